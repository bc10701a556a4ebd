/* libreg: cgroup layout detection, path mapping and the helpers the
   backends share (see cgroup.h).  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup-internal.h"
#include "cgroup-resources.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

enum runtime_cgroup_mode
runtime_cgroup_mode (void)
{
  static enum runtime_cgroup_mode mode;
  struct statfs sfs;

  if (mode)
    return mode;
  if (statfs (CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    mode = RUNTIME_CGROUP_V2;
  else
    mode = RUNTIME_CGROUP_V1;
  return mode;
}

const struct runtime_cgroup_manager *
runtime_cgroup_manager_for (enum runtime_cgroup_mode mode)
{
  return mode == RUNTIME_CGROUP_V2 ? &runtime_cgroup_manager_v2 : &runtime_cgroup_manager_v1;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests
   slices; "-.slice" is the root.  */
int
runtime_cgroup_slice_path (const char *slice, char **out, reg_error_t *err)
{
  size_t len = strlen (slice);
  cleanup_free char *name = NULL;
  char *buf, *p;

  if (!has_suffix (slice, ".slice") || strchr (slice, '/'))
    return reg_make_error (err, 0, "cgroupsPath: invalid systemd slice `%s`", slice);
  if (strcmp (slice, "-.slice") == 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  name = xstrndup (slice, len - strlen (".slice"));
  if (*name == '\0' || name[0] == '-' || has_suffix (name, "-") || strstr (name, "--"))
    return reg_make_error (err, 0, "cgroupsPath: invalid systemd slice `%s`", slice);
  buf = xmalloc0 (len * len + 1);
  p = buf;
  for (char *dash = name;; dash++)
    {
      if (*dash == '-' || *dash == '\0')
        {
          p += sprintf (p, "/%.*s.slice", (int)(dash - name), name);
          if (*dash == '\0')
            break;
        }
    }
  *out = buf;
  return 0;
}

int
runtime_cgroup_systemd_names (const char *cgroups_path, const char *id, char **slice_out, char **unit_out,
                              reg_error_t *err)
{
  cleanup_free char *copy = xstrdup (cgroups_path && *cgroups_path ? cgroups_path : "");
  cleanup_free char *slice_path = NULL;
  const char *slice, *prefix, *name;
  char *c1, *c2;
  int ret;

  if (*copy == '\0')
    {
      *slice_out = xstrdup ("system.slice");
      xasprintf (unit_out, "reg-runc-%s.scope", id);
      return 0;
    }
  c1 = strchr (copy, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return reg_make_error (err, 0, "cgroupsPath `%s`: expected slice:prefix:name with --systemd-cgroup", cgroups_path);
  *c1 = *c2 = '\0';
  slice = *copy ? copy : "system.slice";
  prefix = c1 + 1;
  name = c2 + 1;
  /* Only to refuse a slice name systemd would refuse.  */
  ret = runtime_cgroup_slice_path (slice, &slice_path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (*name == '\0')
    name = id;
  *slice_out = xstrdup (slice);
  /* A name that is already a unit keeps its suffix, as runc does.  */
  if (has_suffix (name, ".slice"))
    *unit_out = xstrdup (name);
  else if (*prefix)
    xasprintf (unit_out, "%s-%s%s", prefix, name, has_suffix (name, ".scope") ? "" : ".scope");
  else
    xasprintf (unit_out, "%s%s", name, has_suffix (name, ".scope") ? "" : ".scope");
  return 0;
}

int
runtime_cgroup_path_for (const char *cgroups_path, const char *id, bool systemd, char **out, reg_error_t *err)
{
  cleanup_free char *slice = NULL;
  cleanup_free char *unit = NULL;
  cleanup_free char *slice_path = NULL;
  int ret;

  if (!systemd)
    {
      if (cgroups_path == NULL || *cgroups_path == '\0')
        xasprintf (out, "/reg-runc/%s", id);
      else
        *out = xstrdup (cgroups_path);
      return 0;
    }
  ret = runtime_cgroup_systemd_names (cgroups_path, id, &slice, &unit, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* A slice unit is a cgroup of its own, nested by its name.  */
  if (has_suffix (unit, ".slice"))
    return runtime_cgroup_slice_path (unit, out, err);
  ret = runtime_cgroup_slice_path (slice, &slice_path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  xasprintf (out, "%s/%s", slice_path, unit);
  return 0;
}

char *
runtime_cgroup_resolve (const char *own, const char *path)
{
  char *out;
  if (path[0] == '/')
    return xstrdup (path);
  if (own == NULL || strcmp (own, "/") == 0)
    own = "";
  xasprintf (&out, "%s/%s", own, path);
  return out;
}

char *
runtime_cgroup_own_path (const char *controllers)
{
  cleanup_free char *data = NULL;
  char *line, *save = NULL;

  if (read_all_file ("/proc/self/cgroup", 0, &data, NULL, NULL) < 0)
    return NULL;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if (strcmp (c1 + 1, controllers) == 0)
        return xstrdup (c2 + 1);
    }
  return NULL;
}

static int
copy_cpuset_file (int parentfd, int childfd, const char *name, reg_error_t *err)
{
  cleanup_free char *val = NULL;
  cleanup_free char *cur = NULL;
  size_t len;
  int ret;

  if (read_all_file_at (childfd, name, 4096, &cur, NULL, NULL) == 0 && cur[0] != '\n' && cur[0] != '\0')
    return 0;
  ret = read_all_file_at (parentfd, name, 4096, &val, &len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return write_file_at (childfd, name, val, len, err);
}

int
runtime_cgroup_mkdir (const char *mount, const char *path, bool cpuset, reg_error_t *err)
{
  cleanup_close int fd = open (mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;

  if (fd < 0)
    return reg_make_error (err, errno, "open `%s`", mount);
  for (char *comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      int next;
      if (strcmp (comp, "..") == 0 || strcmp (comp, ".") == 0)
        return reg_make_error (err, 0, "cgroup path `%s`: `.` and `..` are not allowed", path);
      if (mkdirat (fd, comp, 0755) < 0 && errno != EEXIST)
        return reg_make_error (err, errno, "create cgroup `%s%s`", mount, path);
      next = openat (fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return reg_make_error (err, errno, "open cgroup `%s%s`", mount, path);
      if (cpuset)
        {
          /* O_PATH fds cannot read: reopen both levels.  */
          cleanup_close int pr = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          cleanup_close int ch = openat (next, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          int ret = (pr < 0 || ch < 0) ? reg_make_error (err, errno, "open cgroup `%s%s`", mount, path)
                                       : copy_cpuset_file (pr, ch, "cpuset.cpus", err);
          if (ret == 0)
            ret = copy_cpuset_file (pr, ch, "cpuset.mems", err);
          if (UNLIKELY (ret < 0))
            {
              close (next);
              return reg_error_wrap (err, "cgroup `%s%s`", mount, path);
            }
        }
      close (fd);
      fd = next;
    }
  return 0;
}

int
runtime_cgroup_generic_enter (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);

  for (char **p = cg->paths; p && *p; p++)
    {
      cleanup_free char *procs = NULL;
      cleanup_close int fd = -1;
      if (*p == skip)
        continue;
      xasprintf (&procs, "%s/cgroup.procs", *p);
      fd = open (procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, buf, (size_t)len) < 0)
        return reg_make_error (err, errno, "add pid %d to cgroup `%s`", pid, *p);
    }
  return 0;
}

int
runtime_cgroup_generic_pids (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err)
{
  cleanup_free char *procs = NULL;
  cleanup_free char *data = NULL;
  size_t count = 0, cap = 16;
  pid_t *out;
  char *save = NULL;
  int ret;

  *pids = NULL;
  *n = 0;
  if (cg->paths == NULL || cg->paths[0] == NULL)
    return 0;
  xasprintf (&procs, "%s/cgroup.procs", cg->paths[0]);
  ret = read_all_file (procs, 0, &data, NULL, err);
  if (UNLIKELY (ret < 0))
    return ret;
  out = xmalloc (cap * sizeof (pid_t));
  for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (count == cap)
        out = xrealloc (out, (cap *= 2) * sizeof (pid_t));
      out[count++] = atoi (l);
    }
  *pids = out;
  *n = count;
  return 0;
}

static bool
cgroup_empty (const char *path)
{
  cleanup_free char *procs = NULL;
  cleanup_free char *data = NULL;
  xasprintf (&procs, "%s/cgroup.procs", path);
  if (read_all_file (procs, 0, &data, NULL, NULL) < 0)
    return true;
  return data[0] == '\0';
}

int
runtime_cgroup_generic_destroy (struct runtime_cgroup *cg, reg_error_t *err)
{
  for (char **p = cg->paths; p && *p; p++)
    {
      struct timespec ts = { 0, 2 * 1000 * 1000 };
      int tries;

      for (tries = 0; tries < 1000; tries++)
        {
          if (rmdir (*p) == 0 || errno == ENOENT)
            break;
          if (errno != EBUSY)
            return reg_make_error (err, errno, "remove cgroup `%s`", *p);
          /* Processes left behind (no pid namespace, or still exiting).  */
          if (!cgroup_empty (*p))
            {
              struct runtime_cgroup one = { .ops = cg->ops, .paths = (char *[]){ *p, NULL } };
              cleanup_free pid_t *pids = NULL;
              size_t n = 0;
              if (runtime_cgroup_generic_pids (&one, &pids, &n, NULL) == 0)
                for (size_t i = 0; i < n; i++)
                  kill (pids[i], SIGKILL);
            }
          nanosleep (&ts, NULL);
        }
      if (tries == 1000)
        return reg_make_error (err, EBUSY, "remove cgroup `%s`", *p);
    }
  return 0;
}

int
runtime_cgroup_create (const struct runtime_cgroup_args *a, struct runtime_cgroup *cg, reg_error_t *err)
{
  int ret;

  memset (cg, 0, sizeof (*cg));
  cg->ops = a->systemd ? &runtime_cgroup_manager_systemd : runtime_cgroup_manager_for (runtime_cgroup_mode ());
  ret = cg->ops->create (cg, a, err);
  if (UNLIKELY (ret < 0))
    {
      reg_error_t tmp = NULL;
      if (cg->paths)
        cg->ops->destroy (cg, &tmp);
      reg_error_release (&tmp);
      runtime_cgroup_clear (cg);
    }
  return ret;
}

void
runtime_cgroup_load (char **paths, const char *unit, struct runtime_cgroup *cg)
{
  size_t n = 0;
  memset (cg, 0, sizeof (*cg));
  cg->ops = unit ? &runtime_cgroup_manager_systemd : runtime_cgroup_manager_for (runtime_cgroup_mode ());
  cg->unit = unit ? xstrdup (unit) : NULL;
  while (paths && paths[n])
    n++;
  cg->paths = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    cg->paths[i] = xstrdup (paths[i]);
}

int
runtime_cgroup_enter (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err)
{
  return cg->ops ? cg->ops->enter (cg, pid, skip, err) : 0;
}

/* Whether CG has directories a process can be in now.  */
static bool
cgroup_made (struct runtime_cgroup *cg)
{
  return cg->ops && cg->paths && cg->paths[0] && (cg->ops->made == NULL || cg->ops->made (cg));
}

const char *
runtime_cgroup_birth_dir (struct runtime_cgroup *cg)
{
  struct runtime_cgroup_layout l
      = { .v2 = cg->ops == &runtime_cgroup_manager_v2 || runtime_cgroup_mode () == RUNTIME_CGROUP_V2 };

  return cgroup_made (cg) ? runtime_cgroup_dir_for (cg->paths, CGROUP_ROOT, &l, "") : NULL;
}

pid_t
runtime_cgroup_clone (struct runtime_cgroup *cg, struct clone_args *ca, bool host_rights,
                      struct runtime_cgroup_birth *b)
{
  const char *dir = runtime_cgroup_birth_dir (cg);
  cleanup_close int fd = -1;
  pid_t pid;

  b->born_in = NULL;
  b->self = host_rights && !(ca->flags & CLONE_NEWUSER) && cgroup_made (cg);
  if (dir)
    fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      struct clone_args into = *ca;
      into.flags |= CLONE_INTO_CGROUP;
      into.cgroup = (uint64_t)fd;
      pid = (pid_t)syscall (SYS_clone3, &into, sizeof (into));
      if (pid >= 0)
        {
          b->born_in = dir;
          return pid;
        }
      /* Before Linux 5.7 (E2BIG, EINVAL), or a cgroup that takes no
         process (EBUSY: controllers enabled below it): the plain clone and
         enter report what is wrong, if anything.  */
      reg_debug ("clone into cgroup `%s`: %s; entered after the clone", dir, strerror (errno));
    }
  return (pid_t)syscall (SYS_clone3, ca, sizeof (*ca));
}

int
runtime_cgroup_enter_self (char **paths, const char *born_in, reg_error_t *err)
{
  for (char **p = paths; p && *p; p++)
    {
      cleanup_free char *file = NULL;
      cleanup_close int fd = -1;
      if (*p == born_in)
        continue;
      xasprintf (&file, "%s/tasks", *p);
      fd = open (file, O_WRONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        {
          free (file);
          xasprintf (&file, "%s/cgroup.procs", *p);
          fd = open (file, O_WRONLY | O_CLOEXEC);
        }
      if (fd < 0 || write (fd, "0", 1) < 0)
        return reg_make_error (err, errno, "enter cgroup `%s`", *p);
    }
  return 0;
}

int
runtime_cgroup_pids (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err)
{
  *pids = NULL;
  *n = 0;
  return cg->ops ? cg->ops->pids (cg, pids, n, err) : 0;
}

int
runtime_cgroup_destroy (struct runtime_cgroup *cg, reg_error_t *err)
{
  if (cg->ops == NULL)
    return 0;
  /* Frozen (v1) processes cannot die of the SIGKILL destroy sends.  */
  if (runtime_cgroup_frozen (cg))
    {
      reg_error_t tmp = NULL;
      if (runtime_cgroup_thaw (cg, &tmp) < 0)
        reg_error_release (&tmp);
    }
  return cg->ops->destroy (cg, err);
}

void
runtime_cgroup_clear (struct runtime_cgroup *cg)
{
  if (cg->ops && cg->ops->release)
    cg->ops->release (cg);
  free_string_array (cg->paths);
  free (cg->unit);
  memset (cg, 0, sizeof (*cg));
}

/* memory.checkBeforeUpdate: a limit below what is in use is refused
   rather than reclaimed (or OOM-killed).  */
int
runtime_cgroup_check_before_update (struct runtime_cgroup *cg, const oci_resources *r, reg_error_t *err)
{
  struct runtime_cgroup_layout l;
  const char *dir;
  cleanup_free char *file = NULL;
  cleanup_free char *cur = NULL;
  uint64_t usage;

  if (r == NULL || !r->memory.check_before_update || !r->memory.has_limit || r->memory.limit <= 0)
    return 0;
  runtime_cgroup_layout_detect (&l);
  dir = runtime_cgroup_dir_for (cg->paths, CGROUP_ROOT, &l, l.v2 ? "" : "memory");
  if (dir == NULL)
    return 0;
  xasprintf (&file, "%s/%s", dir, l.v2 ? "memory.current" : "memory.usage_in_bytes");
  if (read_all_file (file, 64, &cur, NULL, NULL) == 0 && (cur[strcspn (cur, "\n")] = '\0', true)
      && parse_uint64 (cur, &usage) == 0 && (uint64_t)r->memory.limit < usage)
    return reg_make_error (err, 0,
                           "linux.resources.memory: limit %lld is below the current usage %llu (checkBeforeUpdate)",
                           (long long)r->memory.limit, (unsigned long long)usage);
  return 0;
}

int
runtime_cgroup_generic_apply (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err)
{
  struct runtime_cgroup_layout l;
  struct runtime_cgroup_plan plan = { 0 };
  cleanup_free struct runtime_device_rule *rules = NULL;
  size_t n_rules = 0;
  int ret;

  runtime_cgroup_layout_detect (&l);
  /* v2 keeps quota and period in one file (cpu.max): an update of one
     keeps the other's current value.  */
  if (r && l.v2 && r->cpu.present && r->cpu.has_quota != r->cpu.has_period && cg->paths && cg->paths[0])
    {
      cleanup_free char *file = NULL;
      cleanup_free char *cur = NULL;
      xasprintf (&file, "%s/cpu.max", cg->paths[0]);
      if (read_all_file (file, 256, &cur, NULL, NULL) == 0)
        {
          oci_resources copy = *r; /* shallow: only read below */
          char q[32] = "", per[32] = "";
          if (sscanf (cur, "%31s %31s", q, per) == 2)
            {
              if (!r->cpu.has_period && parse_uint64 (per, &copy.cpu.period) == 0)
                copy.cpu.has_period = true;
              if (!r->cpu.has_quota)
                {
                  int64_t qv = -1;
                  if (strcmp (q, "max") == 0 || parse_int64 (q, &qv) == 0)
                    {
                      copy.cpu.quota = qv;
                      copy.cpu.has_quota = true;
                    }
                }
            }
          ret = runtime_cgroup_plan_resources (&copy, &l, &plan, err);
          goto planned;
        }
    }
  ret = runtime_cgroup_plan_resources (r, &l, &plan, err);
planned:
  if (UNLIKELY (ret < 0))
    return ret;
  if (devices && r && r->n_devices)
    {
      runtime_cgroup_device_rules (r, &rules, &n_rules);
      if (!l.v2)
        runtime_cgroup_plan_devices_v1 (rules, n_rules, &plan);
    }
  if (!devices)
    {
      ret = runtime_cgroup_check_before_update (cg, r, err);
      if (UNLIKELY (ret < 0))
        {
          runtime_cgroup_plan_clear (&plan);
          return ret;
        }
    }
  ret = runtime_cgroup_write_plan (cg->paths, CGROUP_ROOT, &l, &plan, err);
  runtime_cgroup_plan_clear (&plan);
  if (UNLIKELY (ret < 0))
    return ret;
  if (rules && (l.v2 || l.unified))
    {
      cleanup_free struct bpf_insn *insns = NULL;
      size_t n = 0;
      const char *dir = runtime_cgroup_dir_for (cg->paths, CGROUP_ROOT, &l, "");
      if (dir)
        {
          runtime_cgroup_bpf_program (rules, n_rules, &insns, &n);
          ret = runtime_cgroup_bpf_attach (dir, insns, n, err);
          if (UNLIKELY (ret < 0))
            return reg_error_wrap (err, "linux.resources.devices");
        }
    }
  return 0;
}

bool
runtime_cgroup_has_line (const char *dir, const char *file, const char *want)
{
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  char *save = NULL;

  xasprintf (&path, "%s/%s", dir, file);
  if (read_all_file (path, 65536, &data, NULL, NULL) < 0)
    return false;
  for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (strcmp (l, want) == 0)
      return true;
  return false;
}

int
runtime_cgroup_wait_line (const char *dir, const char *file, const char *want, reg_error_t *err)
{
  struct timespec ts = { 0, 1000 * 1000 };
  for (int i = 0; i < 10000; i++)
    {
      if (runtime_cgroup_has_line (dir, file, want))
        return 0;
      nanosleep (&ts, NULL);
      if (ts.tv_nsec < 10 * 1000 * 1000)
        ts.tv_nsec *= 2;
    }
  return reg_make_error (err, ETIMEDOUT, "`%s/%s` did not become `%s`", dir, file, want);
}

int
runtime_cgroup_apply (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err)
{
  if (cg->ops == NULL || cg->ops->apply_resources == NULL)
    return 0;
  return cg->ops->apply_resources (cg, r, devices, err);
}

int
runtime_cgroup_freeze (struct runtime_cgroup *cg, reg_error_t *err)
{
  if (cg->ops == NULL || cg->ops->freeze == NULL)
    return reg_make_error (err, 0, "the container has no cgroup to freeze");
  return cg->ops->freeze (cg, err);
}

int
runtime_cgroup_thaw (struct runtime_cgroup *cg, reg_error_t *err)
{
  if (cg->ops == NULL || cg->ops->thaw == NULL)
    return reg_make_error (err, 0, "the container has no cgroup to thaw");
  return cg->ops->thaw (cg, err);
}

bool
runtime_cgroup_frozen (struct runtime_cgroup *cg)
{
  return cg->ops && cg->ops->frozen && cg->paths && cg->ops->frozen (cg);
}

bool
runtime_cgroup_paths_frozen (char **paths)
{
  struct runtime_cgroup cg = { 0 };
  bool out;

  if (paths == NULL || paths[0] == NULL)
    return false;
  runtime_cgroup_load (paths, NULL, &cg);
  out = runtime_cgroup_frozen (&cg);
  runtime_cgroup_clear (&cg);
  return out;
}
