/* libreg: the unified hierarchy at /sys/fs/cgroup.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* Enable in each new ancestor every controller its parent offers, so the
   limits can be set in the leaf.  Best effort: a controller that
   cannot be enabled (threaded, busy) is left out.  */
static void
enable_controllers (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_free char *dir = xstrdup (CGROUP_ROOT);
  char *save = NULL;
  char *comp = strtok_r (copy, "/", &save);

  while (comp)
    {
      char *next = strtok_r (NULL, "/", &save);
      cleanup_free char *ctrl = NULL;
      cleanup_free char *file = NULL;
      char *tok, *s2 = NULL;

      if (next == NULL)
        break; /* the leaf holds processes: no controllers in its subtree */
      xasprintf (&file, "%s/cgroup.controllers", dir);
      if (read_all_file (file, 4096, &ctrl, NULL, NULL) == 0)
        {
          cleanup_free char *sub = NULL;
          cleanup_close int fd = -1;
          xasprintf (&sub, "%s/%s/cgroup.subtree_control", dir, comp);
          fd = open (sub, O_WRONLY | O_CLOEXEC);
          for (tok = strtok_r (ctrl, " \n", &s2); fd >= 0 && tok; tok = strtok_r (NULL, " \n", &s2))
            {
              char buf[64];
              int len = snprintf (buf, sizeof (buf), "+%s", tok);
              if (write (fd, buf, (size_t)len) < 0)
                continue;
            }
        }
      {
        char *nd = NULL;
        xasprintf (&nd, "%s/%s", dir, comp);
        free (dir);
        dir = nd;
      }
      comp = next;
    }
}

static int
v2_create (struct runtime_cgroup *cg, const struct runtime_cgroup_args *a, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *own = NULL;
  cleanup_free char *rel = NULL;
  int ret;

  ret = runtime_cgroup_path_for (a->cgroups_path, a->id, false, &path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (path[0] != '/')
    own = runtime_cgroup_own_path ("");
  rel = runtime_cgroup_resolve (own, path);
  ret = runtime_cgroup_mkdir (CGROUP_ROOT, rel, false, err);
  if (UNLIKELY (ret < 0))
    return ret;
  enable_controllers (rel);
  cg->paths = xmalloc0 (2 * sizeof (char *));
  xasprintf (&cg->paths[0], CGROUP_ROOT "%s", rel);
  return 0;
}

static int
v2_destroy (struct runtime_cgroup *cg, reg_error_t *err)
{
  /* cgroup.kill (5.14) ends everything at once; older kernels fall back to
     killing pid by pid.  */
  for (char **p = cg->paths; p && *p; p++)
    {
      cleanup_free char *kill_file = NULL;
      cleanup_close int fd = -1;
      xasprintf (&kill_file, "%s/cgroup.kill", *p);
      fd = open (kill_file, O_WRONLY | O_CLOEXEC);
      if (fd >= 0 && write (fd, "1", 1) < 0)
        {
          /* fall through to the generic path */
        }
    }
  return runtime_cgroup_generic_destroy (cg, err);
}

int
runtime_cgroup_v2_set_frozen (const char *dir, bool frozen, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  int ret;

  xasprintf (&path, "%s/cgroup.freeze", dir);
  ret = write_file (path, frozen ? "1" : "0", 1, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return runtime_cgroup_wait_line (dir, "cgroup.events", frozen ? "frozen 1" : "frozen 0", err);
}

static int
v2_set_freeze (struct runtime_cgroup *cg, bool frozen, reg_error_t *err)
{
  if (cg->paths == NULL || cg->paths[0] == NULL)
    return reg_make_error (err, 0, "no cgroup");
  return runtime_cgroup_v2_set_frozen (cg->paths[0], frozen, err);
}

static int
v2_freeze (struct runtime_cgroup *cg, reg_error_t *err)
{
  return v2_set_freeze (cg, true, err);
}

static int
v2_thaw (struct runtime_cgroup *cg, reg_error_t *err)
{
  return v2_set_freeze (cg, false, err);
}

static bool
v2_frozen (struct runtime_cgroup *cg)
{
  return runtime_cgroup_has_line (cg->paths[0], "cgroup.freeze", "1");
}

const struct runtime_cgroup_manager runtime_cgroup_manager_v2 = {
  .name = "cgroupfs-v2",
  .create = v2_create,
  .enter = runtime_cgroup_generic_enter,
  .pids = runtime_cgroup_generic_pids,
  .destroy = v2_destroy,
  .apply_resources = runtime_cgroup_generic_apply,
  .freeze = v2_freeze,
  .thaw = v2_thaw,
  .frozen = v2_frozen,
};
