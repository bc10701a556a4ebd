/* libreg: cgroup v1 and hybrid hosts: one directory in every hierarchy
   mounted under /sys/fs/cgroup, the cgroup2 one (hybrid) included.  */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "cgroup-internal.h"
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

static int
v1_create (struct reg_cgroup *cg, const char *path, reg_error_t *err)
{
  cleanup_dir DIR *d = opendir (CGROUP_ROOT);
  struct dirent *de;
  size_t n = 0, cap = 16;

  if (d == NULL)
    return reg_make_error (err, errno, "open `%s`", CGROUP_ROOT);
  cg->paths = xmalloc0 (cap * sizeof (char *));
  while ((de = readdir (d)))
    {
      cleanup_free char *mount = NULL;
      cleanup_free char *own = NULL;
      cleanup_free char *rel = NULL;
      struct statfs sfs;
      bool v2;
      int ret;

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
          own = reg_cgroup_own_path (ctrl);
        }
      rel = reg_cgroup_resolve (own, path);
      ret = reg_cgroup_mkdir (mount, rel, strstr (de->d_name, "cpuset") != NULL, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (n + 1 >= cap)
        cg->paths = xrealloc (cg->paths, (cap *= 2) * sizeof (char *));
      xasprintf (&cg->paths[n++], "%s%s", mount, rel);
      cg->paths[n] = NULL;
    }
  return 0;
}

const struct reg_cgroup_manager reg_cgroup_manager_v1 = {
  .name = "cgroupfs-v1",
  .create = v1_create,
  .enter = reg_cgroup_generic_enter,
  .pids = reg_cgroup_generic_pids,
  .destroy = reg_cgroup_generic_destroy,
};
