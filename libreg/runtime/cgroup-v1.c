/* libreg: cgroup v1 and hybrid hosts: one directory in every hierarchy
   mounted under /sys/fs/cgroup, the cgroup2 one (hybrid) included.  */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include <linux/magic.h>

#include "cgroup-internal.h"
#include "cgroup-resources.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The controllers field of /proc/self/cgroup for the hierarchy mounted at
   /sys/fs/cgroup/NAME.  */
static char *
controllers_of (const char *name, bool v2)
{
  char *out;
  if (v2)
    return xstrdup ("");
  if (strcmp (name, "systemd") == 0)
    {
      xasprintf (&out, "name=%s", name);
      return out;
    }
  return xstrdup (name);
}

int
runtime_cgroup_v1_paths (const char *path, bool make, char ***out, reg_error_t *err)
{
  cleanup_dir DIR *d = opendir (CGROUP_ROOT);
  cleanup_string_array char **paths = NULL;
  struct dirent *de;
  size_t n = 0, cap = 16;

  if (d == NULL)
    return reg_make_error (err, errno, "open `%s`", CGROUP_ROOT);
  paths = xmalloc0 (cap * sizeof (char *));
  while ((de = readdir (d)))
    {
      cleanup_free char *mount = NULL;
      cleanup_free char *own = NULL;
      cleanup_free char *rel = NULL;
      struct statfs sfs;
      bool v2;

      /* Co-mounted controllers appear once as a directory ("cpu,cpuacct")
         and again as symlinks ("cpu"): only directories count.  */
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      xasprintf (&mount, CGROUP_ROOT "/%s", de->d_name);
      if (statfs (mount, &sfs) < 0)
        continue;
      if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
        continue;
      v2 = sfs.f_type == CGROUP2_SUPER_MAGIC;
      if (path[0] != '/')
        {
          cleanup_free char *ctrl = controllers_of (de->d_name, v2);
          own = runtime_cgroup_own_path (ctrl);
        }
      rel = runtime_cgroup_resolve (own, path);
      if (make)
        {
          int ret = runtime_cgroup_mkdir (mount, rel, strstr (de->d_name, "cpuset") != NULL, err);
          if (UNLIKELY (ret < 0))
            {
              /* The caller removes what was made: hand over the list.  */
              *out = paths;
              paths = NULL;
              return ret;
            }
        }
      if (n + 1 >= cap)
        paths = xrealloc (paths, (cap *= 2) * sizeof (char *));
      xasprintf (&paths[n++], "%s%s", mount, rel);
      paths[n] = NULL;
    }
  *out = paths;
  paths = NULL;
  return 0;
}

static int
v1_create (struct runtime_cgroup *cg, const struct runtime_cgroup_args *a, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  int ret = runtime_cgroup_path_for (a->cgroups_path, a->id, false, &path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return runtime_cgroup_v1_paths (path, true, &cg->paths, err);
}

/* The freezer: v1's freezer hierarchy, or on a hybrid host without one
   the cgroup2 directory's cgroup.freeze.  */
static const char *
freezer_dir (struct runtime_cgroup *cg, bool *v2)
{
  struct runtime_cgroup_layout l;
  const char *dir;

  runtime_cgroup_layout_detect (&l);
  dir = runtime_cgroup_dir_for (cg->paths, CGROUP_ROOT, &l, "freezer");
  *v2 = dir == NULL;
  return dir ? dir : runtime_cgroup_dir_for (cg->paths, CGROUP_ROOT, &l, "");
}

static int
write_state (const char *dir, const char *file, const char *value, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, file);
  return write_file (path, value, strlen (value), err);
}

static int
v1_freeze (struct runtime_cgroup *cg, reg_error_t *err)
{
  bool v2;
  const char *dir = freezer_dir (cg, &v2);
  int ret;

  if (dir == NULL)
    return reg_make_error (err, 0, "no freezer cgroup");
  if (v2)
    return runtime_cgroup_v2_set_frozen (dir, true, err);
  /* FREEZING can stall on a task in an uninterruptible sleep: write
     FROZEN again until the kernel reports it, as runc does.  */
  for (int i = 0; i < 1000; i++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      ret = write_state (dir, "freezer.state", "FROZEN", err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (runtime_cgroup_has_line (dir, "freezer.state", "FROZEN"))
        return 0;
      nanosleep (&ts, NULL);
    }
  write_state (dir, "freezer.state", "THAWED", NULL);
  return reg_make_error (err, ETIMEDOUT, "freeze `%s`: still FREEZING after 10 s", dir);
}

static int
v1_thaw (struct runtime_cgroup *cg, reg_error_t *err)
{
  bool v2;
  const char *dir = freezer_dir (cg, &v2);
  int ret;

  if (dir == NULL)
    return reg_make_error (err, 0, "no freezer cgroup");
  if (v2)
    return runtime_cgroup_v2_set_frozen (dir, false, err);
  ret = write_state (dir, "freezer.state", "THAWED", err);
  return ret < 0 ? ret : runtime_cgroup_wait_line (dir, "freezer.state", "THAWED", err);
}

static bool
v1_frozen (struct runtime_cgroup *cg)
{
  bool v2;
  const char *dir = freezer_dir (cg, &v2);

  if (dir == NULL)
    return false;
  if (v2)
    return runtime_cgroup_has_line (dir, "cgroup.freeze", "1");
  return !runtime_cgroup_has_line (dir, "freezer.state", "THAWED");
}

const struct runtime_cgroup_manager runtime_cgroup_manager_v1 = {
  .name = "cgroupfs-v1",
  .create = v1_create,
  .enter = runtime_cgroup_generic_enter,
  .pids = runtime_cgroup_generic_pids,
  .destroy = runtime_cgroup_generic_destroy,
  .apply_resources = runtime_cgroup_generic_apply,
  .freeze = v1_freeze,
  .thaw = v1_thaw,
  .frozen = v1_frozen,
};
