/* libreg: the systemd cgroup driver (--systemd-cgroup, --cgroup-manager
 * systemd).  The container's cgroup is a transient scope unit that systemd
 * starts with the container's first process in it (StartTransientUnit,
 * Delegate=yes, the limits as unit properties) and stops at delete; what
 * systemd has no property for is written into the delegated cgroup after the
 * unit started, as runc does.  The directories are the ones systemd gives the
 * unit (its root cgroup + the slice's path + the unit), on the host's layout:
 * v2, or v1/hybrid, where the hierarchies systemd does not manage get the
 * same path made by hand.  freeze, thaw, pids and the stats work on those
 * directories as for cgroupfs.
 *
 * The bus: as root, systemd's private socket first (what systemctl uses: no
 * broker between, and no dbus-daemon needed), then the system bus; without
 * root, the user's manager the same way.  No systemd reachable is an error
 * naming both, never a silent fallback to cgroupfs.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "cgroup-internal.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "utils.h"

/* libsystemd is loaded only by the systemd driver (dlopen on its first bus
   connection): linked in, it and its libraries (gcrypt, lzma, zstd, lz4)
   cost every command of the runtime ~1 ms of loading and relocation.  */
#define SD_BUS_FUNCS(X)                                                                                                \
  X (sd_bus_call)                                                                                                      \
  X (sd_bus_error_free)                                                                                                \
  X (sd_bus_error_get_errno)                                                                                           \
  X (sd_bus_error_has_name)                                                                                            \
  X (sd_bus_error_is_set)                                                                                              \
  X (sd_bus_flush_close_unref)                                                                                         \
  X (sd_bus_get_property_string)                                                                                       \
  X (sd_bus_match_signal)                                                                                              \
  X (sd_bus_message_append)                                                                                            \
  X (sd_bus_message_append_array)                                                                                      \
  X (sd_bus_message_append_strv)                                                                                       \
  X (sd_bus_message_close_container)                                                                                   \
  X (sd_bus_message_new_method_call)                                                                                   \
  X (sd_bus_message_open_container)                                                                                    \
  X (sd_bus_message_read)                                                                                              \
  X (sd_bus_message_unref)                                                                                             \
  X (sd_bus_new)                                                                                                       \
  X (sd_bus_open_system)                                                                                               \
  X (sd_bus_open_user)                                                                                                 \
  X (sd_bus_process)                                                                                                   \
  X (sd_bus_set_address)                                                                                               \
  X (sd_bus_slot_unref)                                                                                                \
  X (sd_bus_start)                                                                                                     \
  X (sd_bus_unref)                                                                                                     \
  X (sd_bus_wait)

#define SD_BUS_PTR(f) __typeof__ (f) *p_##f;
static struct
{
  SD_BUS_FUNCS (SD_BUS_PTR)
} sd_bus_dl;

static int
sd_bus_load (reg_error_t *err)
{
  static void *lib;
  void *h;

  if (lib)
    return 0;
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return reg_make_error (err, 0, "--systemd-cgroup: load libsystemd: %s", dlerror ());
#define SD_BUS_SYM(f)                                                                                                  \
  if ((sd_bus_dl.p_##f = (__typeof__ (f) *)dlsym (h, #f)) == NULL)                                                     \
    {                                                                                                                  \
      dlclose (h);                                                                                                     \
      return reg_make_error (err, 0, "--systemd-cgroup: libsystemd has no `%s`", #f);                                  \
    }
  SD_BUS_FUNCS (SD_BUS_SYM)
#undef SD_BUS_SYM
  lib = h;
  return 0;
}

#define sd_bus_call (*sd_bus_dl.p_sd_bus_call)
#define sd_bus_error_free (*sd_bus_dl.p_sd_bus_error_free)
#define sd_bus_error_get_errno (*sd_bus_dl.p_sd_bus_error_get_errno)
#define sd_bus_error_has_name (*sd_bus_dl.p_sd_bus_error_has_name)
#define sd_bus_error_is_set (*sd_bus_dl.p_sd_bus_error_is_set)
#define sd_bus_flush_close_unref (*sd_bus_dl.p_sd_bus_flush_close_unref)
#define sd_bus_get_property_string (*sd_bus_dl.p_sd_bus_get_property_string)
#define sd_bus_match_signal (*sd_bus_dl.p_sd_bus_match_signal)
#define sd_bus_message_append (*sd_bus_dl.p_sd_bus_message_append)
#define sd_bus_message_append_array (*sd_bus_dl.p_sd_bus_message_append_array)
#define sd_bus_message_append_strv (*sd_bus_dl.p_sd_bus_message_append_strv)
#define sd_bus_message_close_container (*sd_bus_dl.p_sd_bus_message_close_container)
#define sd_bus_message_new_method_call (*sd_bus_dl.p_sd_bus_message_new_method_call)
#define sd_bus_message_open_container (*sd_bus_dl.p_sd_bus_message_open_container)
#define sd_bus_message_read (*sd_bus_dl.p_sd_bus_message_read)
#define sd_bus_message_unref (*sd_bus_dl.p_sd_bus_message_unref)
#define sd_bus_new (*sd_bus_dl.p_sd_bus_new)
#define sd_bus_open_system (*sd_bus_dl.p_sd_bus_open_system)
#define sd_bus_open_user (*sd_bus_dl.p_sd_bus_open_user)
#define sd_bus_process (*sd_bus_dl.p_sd_bus_process)
#define sd_bus_set_address (*sd_bus_dl.p_sd_bus_set_address)
#define sd_bus_slot_unref (*sd_bus_dl.p_sd_bus_slot_unref)
#define sd_bus_start (*sd_bus_dl.p_sd_bus_start)
#define sd_bus_unref (*sd_bus_dl.p_sd_bus_unref)
#define sd_bus_wait (*sd_bus_dl.p_sd_bus_wait)

#define CGROUP_ROOT "/sys/fs/cgroup"
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEM_BUS_DEFAULT "unix:path=/run/dbus/system_bus_socket"
/* How long a start or stop job may take (runc's bound too).  */
#define JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

struct sd_state
{
  sd_bus *bus;
  bool direct; /* systemd's private socket: no broker, no sender names */
  char *slice;
  char *id;
  char *path; /* the unit's cgroup path, below each hierarchy's root */
  unsigned version;
  bool started; /* the unit is the container's: systemd took its start job, or the state says so */
  /* create, until enter: what the unit starts with */
  struct runtime_sd_props ann; /* org.systemd.property.* */
  struct runtime_sd_props res; /* linux.resources */
  const oci_resources *resources;
  bool devices;
};

static void
sd_release (struct runtime_cgroup *cg)
{
  struct sd_state *s = cg->priv;
  if (s == NULL)
    return;
  if (s->bus)
    sd_bus_flush_close_unref (s->bus);
  free (s->slice);
  free (s->id);
  free (s->path);
  runtime_sd_props_clear (&s->ann);
  runtime_sd_props_clear (&s->res);
  free (s);
  cg->priv = NULL;
}

static int
bus_error (reg_error_t *err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
  int status = sd_bus_error_is_set (e) ? sd_bus_error_get_errno (e) : -r;
  if (sd_bus_error_is_set (e) && e->message)
    return reg_make_error (err, 0, "systemd: %s `%s`: %s", what, unit, e->message);
  return reg_make_error (err, status ? status : EIO, "systemd: %s `%s`", what, unit);
}

/* A direct connection to the manager's private socket SOCKET.  */
static int
connect_direct (const char *socket, sd_bus **out)
{
  cleanup_free char *address = NULL;
  sd_bus *bus = NULL;
  int r;

  if (access (socket, F_OK) < 0)
    return -errno;
  xasprintf (&address, "unix:path=%s", socket);
  r = sd_bus_new (&bus);
  if (r < 0)
    return r;
  r = sd_bus_set_address (bus, address);
  if (r >= 0)
    r = sd_bus_start (bus);
  if (r < 0)
    {
      sd_bus_unref (bus);
      return r;
    }
  *out = bus;
  return 0;
}

static int
bus_open (struct sd_state *s, reg_error_t *err)
{
  bool user = geteuid () != 0;
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *socket = NULL;
  cleanup_free char *address = NULL;
  int r1 = -ENOENT, r2;

  if (s->bus)
    return 0;
  if (sd_bus_load (err) < 0)
    return reg_error_ret (err);
  if (!user)
    socket = xstrdup ("/run/systemd/private");
  else if (xdg && *xdg)
    xasprintf (&socket, "%s/systemd/private", xdg);
  if (socket)
    {
      r1 = connect_direct (socket, &s->bus);
      if (r1 == 0)
        {
          s->direct = true;
          return 0;
        }
    }
  r2 = user ? sd_bus_open_user (&s->bus) : sd_bus_open_system (&s->bus);
  if (r2 >= 0)
    return 0;
  s->bus = NULL;
  if (user)
    {
      const char *a = getenv ("DBUS_SESSION_BUS_ADDRESS");
      if (a)
        address = xstrdup (a);
      else
        xasprintf (&address, "unix:path=%s/bus", xdg ? xdg : "$XDG_RUNTIME_DIR");
    }
  else
    address = xstrdup (getenv ("DBUS_SYSTEM_BUS_ADDRESS") ? getenv ("DBUS_SYSTEM_BUS_ADDRESS") : SYSTEM_BUS_DEFAULT);
  return reg_make_error (
      err, -r2, "--systemd-cgroup: cannot reach systemd on its private socket `%s` (%s) nor on the %s bus `%s`",
      socket ? socket : "$XDG_RUNTIME_DIR/systemd/private", strerror (-r1), user ? "user's" : "system", address);
}

static int
manager_string (struct sd_state *s, const char *prop, char **out, reg_error_t *err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = sd_bus_get_property_string (s->bus, SD_DEST, SD_PATH, SD_MANAGER, prop, &e, out);
  int ret = r < 0 ? bus_error (err, r, &e, "read the manager's property", prop) : 0;
  sd_bus_error_free (&e);
  return ret;
}

static int
append_props (sd_bus_message *m, const struct runtime_sd_props *p)
{
  int r = 0;
  for (size_t i = 0; r >= 0 && i < p->n; i++)
    {
      const struct runtime_sd_prop *e = &p->p[i];
      r = sd_bus_message_open_container (m, 'r', "sv");
      if (r >= 0)
        r = sd_bus_message_append (m, "s", e->name);
      if (r >= 0)
        r = sd_bus_message_open_container (m, 'v', e->sig);
      if (r < 0)
        break;
      if (strcmp (e->sig, "t") == 0)
        r = sd_bus_message_append (m, "t", e->u);
      else if (strcmp (e->sig, "u") == 0)
        r = sd_bus_message_append (m, "u", (uint32_t)e->u);
      else if (strcmp (e->sig, "x") == 0)
        r = sd_bus_message_append (m, "x", e->i);
      else if (strcmp (e->sig, "i") == 0)
        r = sd_bus_message_append (m, "i", (int32_t)e->i);
      else if (strcmp (e->sig, "d") == 0)
        r = sd_bus_message_append (m, "d", e->d);
      else if (strcmp (e->sig, "b") == 0)
        r = sd_bus_message_append (m, "b", (int)e->u);
      else if (strcmp (e->sig, "s") == 0)
        r = sd_bus_message_append (m, "s", e->s);
      else if (strcmp (e->sig, "ay") == 0)
        r = sd_bus_message_append_array (m, 'y', e->bytes, e->n);
      else if (strcmp (e->sig, "au") == 0)
        r = sd_bus_message_append_array (m, 'u', e->u32, e->n * sizeof (uint32_t));
      else if (strcmp (e->sig, "as") == 0)
        r = sd_bus_message_append_strv (m, e->strv);
      else if (strcmp (e->sig, "a(ss)") == 0)
        {
          r = sd_bus_message_open_container (m, 'a', "(ss)");
          for (char **pp = e->strv; r >= 0 && pp && pp[0] && pp[1]; pp += 2)
            r = sd_bus_message_append (m, "(ss)", pp[0], pp[1]);
          if (r >= 0)
            r = sd_bus_message_close_container (m);
        }
      else
        r = -EINVAL;
      if (r >= 0)
        r = sd_bus_message_close_container (m);
      if (r >= 0)
        r = sd_bus_message_close_container (m);
    }
  return r;
}

struct job_wait
{
  const char *path; /* our job */
  char *result;     /* its result, once removed */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  const char *path = NULL, *unit = NULL, *result = NULL;
  uint32_t id;

  (void)ret_error;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && w->result == NULL && strcmp (path, w->path) == 0)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Send CALL (a method that queues a job for UNIT) and wait for the job's
   JobRemoved.  MISSING_OK: a unit systemd no longer has is done too.
   *QUEUED (may be NULL): systemd took the job.  */
static int
run_job (struct sd_state *s, sd_bus_message *call, const char *what, const char *unit, bool missing_ok, bool *queued,
         reg_error_t *err)
{
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  const char *job = NULL;
  uint64_t deadline, t0 = now_usec (), t1 = 0;
  int r, ret = 0;

  /* Before the call, so that the signal cannot be missed; a direct
     connection carries no sender name to match.  */
  r = sd_bus_match_signal (s->bus, &slot, s->direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed,
                           &w);
  if (r < 0)
    {
      ret = reg_make_error (err, -r, "systemd: watch the jobs for `%s`", unit);
      goto out;
    }
  r = sd_bus_call (s->bus, call, JOB_TIMEOUT_USEC, &e, &reply);
  if (r < 0)
    {
      if (missing_ok && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        goto out;
      ret = bus_error (err, r, &e, what, unit);
      goto out;
    }
  r = sd_bus_message_read (reply, "o", &job);
  if (r < 0)
    {
      ret = reg_make_error (err, -r, "systemd: %s `%s`: unexpected reply", what, unit);
      goto out;
    }
  w.path = job;
  if (queued)
    *queued = true;
  t1 = now_usec ();
  deadline = t1 + JOB_TIMEOUT_USEC;
  while (w.result == NULL)
    {
      uint64_t t;
      r = sd_bus_process (s->bus, NULL);
      if (r < 0)
        {
          ret = reg_make_error (err, -r, "systemd: %s `%s`: wait for job %s", what, unit, job);
          goto out;
        }
      if (r > 0)
        continue;
      t = now_usec ();
      if (t >= deadline)
        {
          ret = reg_make_error (err, ETIMEDOUT, "systemd: %s `%s`: job %s did not finish in %llu s", what, unit, job,
                                (unsigned long long)(JOB_TIMEOUT_USEC / 1000000));
          goto out;
        }
      r = sd_bus_wait (s->bus, deadline - t);
      if (r < 0)
        {
          ret = reg_make_error (err, -r, "systemd: %s `%s`: wait for job %s", what, unit, job);
          goto out;
        }
    }
  reg_debug ("systemd: %s `%s`: queued in %llu us, done in %llu us more", what, unit, (unsigned long long)(t1 - t0),
             (unsigned long long)(now_usec () - t1));
  if (strcmp (w.result, "done") != 0)
    ret = reg_make_error (err, 0, "systemd: %s `%s`: the job ended `%s` (journalctl -u %s says why)", what, unit,
                          w.result, unit);

out:
  free (w.result);
  sd_bus_error_free (&e);
  sd_bus_message_unref (reply);
  sd_bus_slot_unref (slot);
  return ret;
}

static void
host_of (const struct sd_state *s, struct runtime_sd_host *h, char **proc_devices)
{
  h->v2 = runtime_cgroup_mode () == RUNTIME_CGROUP_V2;
  h->version = s->version;
  if (read_all_file ("/proc/devices", 1024 * 1024, proc_devices, NULL, NULL) < 0)
    *proc_devices = NULL;
  h->proc_devices = *proc_devices;
}

/* The manager's version: which properties it knows (0 when unknown:
   assume a recent one).  */
static void
read_version (struct sd_state *s)
{
  cleanup_free char *version = NULL;
  reg_error_t tmp = NULL;
  if (manager_string (s, "Version", &version, &tmp) < 0)
    reg_error_release (&tmp);
  s->version = runtime_sd_parse_version (version);
}

static int
sd_create (struct runtime_cgroup *cg, const struct runtime_cgroup_args *a, reg_error_t *err)
{
  struct sd_state *s = xmalloc0 (sizeof (*s));
  cleanup_free char *root = NULL;
  cleanup_free char *slice_path = NULL;
  int ret;

  cg->priv = s;
  s->id = xstrdup (a->id);
  ret = runtime_cgroup_systemd_names (a->cgroups_path, a->id, &s->slice, &cg->unit, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (has_suffix (cg->unit, ".slice"))
    return reg_make_error (err, 0, "cgroupsPath `%s` names a slice (%s): a container is a scope (slice:prefix:name)",
                           a->cgroups_path, cg->unit);
  ret = runtime_cgroup_slice_path (s->slice, &slice_path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* Refused before anything runs, not when the unit starts.  */
  ret = runtime_sd_annotation_props (a->annotations, &s->ann, err);
  if (UNLIKELY (ret < 0))
    return ret;

  ret = bus_open (s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* systemd's own root cgroup ("" at the host's root; a subtree for a
     systemd in a container without a cgroup namespace, or a user's
     manager): its units' cgroups are below it.  */
  ret = manager_string (s, "ControlGroup", &root, err);
  if (UNLIKELY (ret < 0))
    return ret;
  read_version (s);
  xasprintf (&s->path, "%s%s/%s", strcmp (root, "/") == 0 ? "" : root, slice_path, cg->unit);

  if (runtime_cgroup_mode () == RUNTIME_CGROUP_V2)
    {
      cg->paths = xmalloc0 (2 * sizeof (char *));
      xasprintf (&cg->paths[0], CGROUP_ROOT "%s", s->path);
      return 0;
    }
  return runtime_cgroup_v1_paths (s->path, false, &cg->paths, err);
}

/* v1/hybrid: the hierarchies systemd left out (cpuset, freezer, net_cls,
   ...) get the unit's path made by hand, as runc does.  */
static int
make_missing_dirs (struct runtime_cgroup *cg, reg_error_t *err)
{
  for (char **p = cg->paths; p && *p; p++)
    {
      const char *hier = *p + strlen (CGROUP_ROOT "/");
      const char *rel = strchr (hier, '/');
      cleanup_free char *mount = NULL;
      struct stat st;
      int ret;

      if (stat (*p, &st) == 0 || rel == NULL)
        continue;
      mount = xstrndup (*p, (size_t)(rel - *p));
      /* "cpuset", or co-mounted "cpu,cpuset": v1 cpuset starts empty */
      ret = runtime_cgroup_mkdir (mount, rel, strstr (mount + strlen (CGROUP_ROOT "/"), "cpuset") != NULL, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

/* Start the unit with PID in it.  Once systemd took the job, the unit is
   the container's (s->started), whether the job succeeds or not: destroy
   stops it.  A refused call (a unit of that name exists, a property systemd
   rejects) leaves nothing of the container's in systemd.  */
static int
sd_start_unit (struct runtime_cgroup *cg, struct sd_state *s, pid_t pid, reg_error_t *err)
{
  struct runtime_sd_props base = { 0 };
  struct runtime_sd_host h = { 0 };
  cleanup_free char *proc_devices = NULL;
  sd_bus_message *m = NULL;
  int r, ret;

  host_of (s, &h, &proc_devices);
  runtime_sd_scope_props (s->id, s->slice, pid, &h, &base);
  r = sd_bus_message_new_method_call (s->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", cg->unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  /* The annotations last: they override what the runtime chose.  */
  if (r >= 0)
    r = append_props (m, &base);
  if (r >= 0)
    r = append_props (m, &s->res);
  if (r >= 0)
    r = append_props (m, &s->ann);
  if (r >= 0)
    r = sd_bus_message_close_container (m);
  if (r >= 0)
    r = sd_bus_message_append (m, "a(sa(sv))", 0);
  runtime_sd_props_clear (&base);
  if (r < 0)
    {
      sd_bus_message_unref (m);
      return reg_make_error (err, -r, "systemd: build the StartTransientUnit call for `%s`", cg->unit);
    }
  ret = run_job (s, m, "start the transient unit", cg->unit, false, &s->started, err);
  sd_bus_message_unref (m);
  return ret;
}

/* The unit's directories are there once it started (or, for a command
   after create, as the state recorded them).  */
static bool
sd_made (struct runtime_cgroup *cg)
{
  struct sd_state *s = cg->priv;
  return s == NULL || s->started;
}

static int
sd_enter (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err)
{
  struct sd_state *s = cg->priv;
  int ret;

  if (sd_made (cg))
    return runtime_cgroup_generic_enter (cg, pid, skip, err);
  ret = sd_start_unit (cg, s, pid, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (runtime_cgroup_mode () != RUNTIME_CGROUP_V2)
    {
      ret = make_missing_dirs (cg, err);
      if (UNLIKELY (ret < 0))
        return ret;
      /* Where systemd put PID already, this moves nothing.  */
      ret = runtime_cgroup_generic_enter (cg, pid, NULL, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  else if (access (cg->paths[0], F_OK) < 0)
    return reg_make_error (err, errno, "systemd started `%s`, but its cgroup `%s` is not there", cg->unit,
                           cg->paths[0]);
  /* What systemd has no property for, and the device filter of the
     runtime's own, into the delegated cgroup.  */
  if (s->resources)
    {
      ret = runtime_cgroup_generic_apply (cg, s->resources, s->devices, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "linux.resources");
    }
  return 0;
}

static int
set_unit_properties (struct runtime_cgroup *cg, struct sd_state *s, const struct runtime_sd_props *p, reg_error_t *err)
{
  sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r, ret = 0;

  r = sd_bus_message_new_method_call (s->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append (m, "sb", cg->unit, 1);
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = append_props (m, p);
  if (r >= 0)
    r = sd_bus_message_close_container (m);
  if (r < 0)
    ret = reg_make_error (err, -r, "systemd: build the SetUnitProperties call for `%s`", cg->unit);
  else
    {
      r = sd_bus_call (s->bus, m, JOB_TIMEOUT_USEC, &e, NULL);
      if (r < 0)
        ret = bus_error (err, r, &e, "set the properties of", cg->unit);
    }
  sd_bus_error_free (&e);
  sd_bus_message_unref (m);
  return ret;
}

/* A command on a container in the state (update, delete): its own
   connection.  */
static struct sd_state *
loaded_state (struct runtime_cgroup *cg)
{
  if (cg->priv == NULL)
    {
      struct sd_state *s = xmalloc0 (sizeof (*s));
      s->started = true;
      cg->priv = s;
    }
  return cg->priv;
}

static int
sd_apply (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err)
{
  struct sd_state *s = cg->priv;
  struct runtime_sd_props props = { 0 };
  struct runtime_sd_host h = { 0 };
  cleanup_free char *proc_devices = NULL;
  int ret;

  if (s && !s->started)
    {
      /* create, before the init exists: the properties go with the start
         of the unit (and fail now if they cannot be made), the files are
         written once the unit's cgroup is there.  */
      host_of (s, &h, &proc_devices);
      ret = runtime_sd_resource_props (r, &h, devices, &s->res, err);
      if (UNLIKELY (ret < 0))
        return ret;
      s->resources = r;
      s->devices = devices;
      return 0;
    }

  /* update: the unit first, then the files, so that the kernel gets the
     exact values (systemd rounds a CPU quota to 10 ms).  */
  ret = runtime_cgroup_check_before_update (cg, r, err);
  if (UNLIKELY (ret < 0))
    return ret;
  s = loaded_state (cg);
  ret = bus_open (s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  read_version (s);
  host_of (s, &h, &proc_devices);
  ret = runtime_sd_resource_props (r, &h, devices, &props, err);
  if (ret == 0 && props.n)
    ret = set_unit_properties (cg, s, &props, err);
  runtime_sd_props_clear (&props);
  if (UNLIKELY (ret < 0))
    return ret;
  return runtime_cgroup_generic_apply (cg, r, devices, err);
}

/* SIGKILL every process of the cgroup (cgroup.kill where there is one).  */
static void
kill_all (struct runtime_cgroup *cg)
{
  for (char **p = cg->paths; p && *p; p++)
    {
      struct runtime_cgroup one = { .paths = (char *[]){ *p, NULL } };
      cleanup_free char *kill_file = NULL;
      cleanup_free pid_t *pids = NULL;
      cleanup_close int fd = -1;
      size_t n = 0;

      xasprintf (&kill_file, "%s/cgroup.kill", *p);
      fd = open (kill_file, O_WRONLY | O_CLOEXEC);
      if (fd >= 0 && write (fd, "1", 1) == 1)
        continue;
      if (runtime_cgroup_generic_pids (&one, &pids, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++)
          kill (pids[i], SIGKILL);
    }
}

static int
stop_unit (struct runtime_cgroup *cg, reg_error_t *err)
{
  struct sd_state *s = loaded_state (cg);
  sd_bus_message *m = NULL;
  int r, ret;

  ret = bus_open (s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  r = sd_bus_message_new_method_call (s->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", cg->unit, "fail");
  if (r < 0)
    ret = reg_make_error (err, -r, "systemd: build the StopUnit call for `%s`", cg->unit);
  else
    ret = run_job (s, m, "stop", cg->unit, true, NULL, err);
  sd_bus_message_unref (m);
  return ret;
}

static int
sd_destroy (struct runtime_cgroup *cg, reg_error_t *err)
{
  struct sd_state *s = cg->priv;
  reg_error_t tmp = NULL;
  int ret = 0;

  /* A create that never got its unit started made nothing: the unit and
     the directories of that name, if any, are another container's.  (A
     create killed midway is undone from its record, as a loaded unit.)  */
  if (s && !s->started)
    return 0;
  /* Killed first: the stop is then immediate, not systemd's SIGTERM and
     TimeoutStopSec.  An empty scope stops (and is unloaded) by itself, so
     the unit may be gone already: that is no error.  */
  kill_all (cg);
  if (cg->unit)
    ret = stop_unit (cg, err);
  /* What systemd did not make (the v1 hierarchies it leaves out) is
     removed by hand; systemd's own directories are gone with the unit.  */
  if (ret == 0)
    return runtime_cgroup_generic_destroy (cg, err);
  if (runtime_cgroup_generic_destroy (cg, &tmp) < 0)
    reg_error_release (&tmp);
  return ret;
}

static const struct runtime_cgroup_manager *
fs (void)
{
  return runtime_cgroup_manager_for (runtime_cgroup_mode ());
}

static int
sd_pids (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err)
{
  return fs ()->pids (cg, pids, n, err);
}

static int
sd_freeze (struct runtime_cgroup *cg, reg_error_t *err)
{
  return fs ()->freeze (cg, err);
}

static int
sd_thaw (struct runtime_cgroup *cg, reg_error_t *err)
{
  return fs ()->thaw (cg, err);
}

static bool
sd_frozen (struct runtime_cgroup *cg)
{
  return fs ()->frozen (cg);
}

const struct runtime_cgroup_manager runtime_cgroup_manager_systemd = {
  .name = "systemd",
  .create = sd_create,
  .enter = sd_enter,
  .made = sd_made,
  .pids = sd_pids,
  .destroy = sd_destroy,
  .apply_resources = sd_apply,
  .freeze = sd_freeze,
  .thaw = sd_thaw,
  .frozen = sd_frozen,
  .release = sd_release,
};
