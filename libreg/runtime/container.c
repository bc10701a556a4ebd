/* libreg: the container lifecycle (see container.h).  */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/file.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "container.h"
#include "container-internal.h"
#include "hooks.h"
#include "init.h"
#include "lsm.h"
#include "mounts.h"
#include "namespaces.h"
#include "oci-spec.h"
#include "process.h"
#include "seccomp-filter.h"
#include "reg.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int
pidfd_open (pid_t pid)
{
  return (int)syscall (SYS_pidfd_open, pid, 0);
}

static int
pidfd_signal (int pidfd, int sig)
{
  return (int)syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Wait up to MS milliseconds for the process behind PIDFD to exit.  */
static bool
pidfd_wait_exit (int pidfd, int ms)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  return TEMP_FAILURE_RETRY_INT (poll (&pfd, 1, ms)) > 0;
}

/* An fd on the container's init, or -1 when it is gone (or the pid is now
   someone else's: the start time differs).  */
int
runtime_container_open_init (const struct runtime_status *st)
{
  unsigned long long start = 0;
  char state = '?';
  int fd;

  if (st->pid <= 0)
    return -1;
  fd = pidfd_open (st->pid);
  if (fd < 0)
    return -1;
  /* Checked after pidfd_open: the fd now pins the process we verify.  */
  if (runtime_proc_stat (st->pid, &start, &state) < 0 || start != st->pid_start || state == 'Z' || state == 'X')
    {
      close (fd);
      return -1;
    }
  return fd;
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  char *out;
  if (pw)
    return xstrdup (pw->pw_name);
  xasprintf (&out, "#%d", (int)geteuid ());
  return out;
}

static char *
state_json (const char *id, const char *status, pid_t pid, const char *bundle, const oci_map *annotations,
            const char *rootfs, const char *created, const char *owner, bool pretty)
{
  oci_map empty = { NULL, 0 };
  oci_state s = {
    .oci_version = OCI_SPEC_VERSION,
    .id = id,
    .status = status,
    .pid = pid,
    .bundle = bundle,
    .annotations = annotations ? annotations : &empty,
    .rootfs = rootfs,
    .created = created,
    .owner = owner,
  };
  return oci_state_to_json (&s, pretty, NULL);
}

static char *
status_state_json (const struct runtime_status *st, enum runtime_container_status s, bool pretty)
{
  return state_json (st->id, runtime_container_status_name (s), s == RUNTIME_STATUS_STOPPED ? 0 : st->pid, st->bundle,
                     &st->annotations, st->rootfs, st->created, st->owner, pretty);
}

static int
write_pid_file (const char *path, pid_t pid, reg_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  cleanup_close int dfd = -1;
  char *slash = strrchr (dir, '/');
  const char *name = path;
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);
  int ret;

  if (slash)
    {
      *slash = '\0';
      name = slash + 1;
      dfd = open (*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        return reg_make_error (err, errno, "pid file `%s`", path);
    }
  ret = write_file_atomic_at (slash ? dfd : AT_FDCWD, name, buf, (size_t)len, 0644, false, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "pid file `%s`", path);
  return 0;
}

/* Everything create made, for the way out on an error.  */
struct creation
{
  struct runtime_context *ctx;
  const char *id;
  char *bundle;
  char *rootfs;
  oci_config *config;
  char *config_data; /* config.json as parsed: kept in the state dir for exec */
  size_t config_len;
  int dirfd; /* locked state dir */
  bool dir_made;
  struct reg_plan *plan;
  struct reg_options reg_opts;
  char *state_dir;
  struct runtime_cgroup cgroup;
  bool cgroup_begun;                 /* runtime_cgroup_create was called */
  struct runtime_cgroup_birth birth; /* how the init (or intermediate) gets into the cgroup */
  pid_t pid;                         /* the init */
  int pidfd;
  pid_t intermediate;
  int sync_fd;
  int fifo_fd;
  int result_fd;  /* start.result, only with startContainer hooks */
  int console_fd; /* --console-socket connection */
  int master_fd;  /* pty master, run without --console-socket */
  struct runtime_caps *caps;
  struct runtime_seccomp *seccomp;
  char *host_root;       /* no mount namespace: the root's mount, made here */
  char *host_root_below; /* what was at the rootfs before it */
};

static void
creation_init (struct creation *c, struct runtime_context *ctx, const char *id)
{
  memset (c, 0, sizeof (*c));
  c->ctx = ctx;
  c->id = id;
  c->dirfd = c->pidfd = c->sync_fd = c->fifo_fd = c->result_fd = c->console_fd = c->master_fd = -1;
}

/* Undo a failed create: no process, cgroup, REG reference or state left.  */
static void
creation_abort (struct creation *c)
{
  reg_error_t tmp = NULL;

  if (c->pidfd >= 0)
    pidfd_signal (c->pidfd, SIGKILL);
  else if (c->pid > 0)
    kill (c->pid, SIGKILL);
  if (c->intermediate > 0)
    {
      kill (c->intermediate, SIGKILL);
      waitpid (c->intermediate, NULL, 0);
    }
  if (c->pid > 0)
    waitpid (c->pid, NULL, 0);
  if (c->cgroup.paths)
    runtime_cgroup_destroy (&c->cgroup, &tmp);
  reg_error_release (&tmp);
  if (c->host_root)
    runtime_mounts_host_root_release (c->rootfs, c->host_root, &tmp);
  reg_error_release (&tmp);
  if (c->plan)
    reg_phase_release (&c->reg_opts, c->plan->env_id, &tmp);
  reg_error_release (&tmp);
  if (c->dir_made)
    runtime_status_remove_dir (c->ctx->state_root, c->id, &tmp);
  reg_error_release (&tmp);
}

static void
creation_free (struct creation *c)
{
  if (c->pidfd >= 0)
    close (c->pidfd);
  if (c->sync_fd >= 0)
    close (c->sync_fd);
  if (c->fifo_fd >= 0)
    close (c->fifo_fd);
  if (c->result_fd >= 0)
    close (c->result_fd);
  if (c->console_fd >= 0)
    close (c->console_fd);
  if (c->master_fd >= 0)
    close (c->master_fd);
  if (c->dirfd >= 0)
    close (c->dirfd);
  runtime_cgroup_clear (&c->cgroup);
  reg_plan_free (c->plan);
  runtime_caps_free (c->caps);
  runtime_seccomp_free (c->seccomp);
  oci_config_free (c->config);
  free (c->config_data);
  free (c->bundle);
  free (c->rootfs);
  free (c->state_dir);
  free (c->host_root);
  free (c->host_root_below);
}

/* Record what a killed create would leave outside the state dir (see
   RUNTIME_CREATING_FILE): the environment referenced, the cgroup directories.  */
static int
save_creating (struct creation *c, reg_error_t *err)
{
  cleanup_free char *text = NULL;
  int ret;

  xasprintf (&text, "mode %s\n", reg_plan_mode_name (c->plan));
  if (c->plan && c->plan->env_id)
    {
      char *t;
      xasprintf (&t, "%senv %s\n", text, c->plan->env_id);
      free (text);
      text = t;
    }
  if (c->cgroup_begun)
    {
      /* Before the directories exist: what makes them again (delete
         re-creates and removes them when they are not listed yet).  */
      const char *cp = c->config->linux_cfg.cgroups_path;
      char *t;
      xasprintf (&t, "%scgroups-path %s\nsystemd %d\n", text, cp ? cp : "", c->ctx->systemd_cgroup ? 1 : 0);
      free (text);
      text = t;
    }
  if (c->host_root_below)
    {
      char *t;
      xasprintf (&t, "%shost-root-below %s %s\n", text, c->host_root_below, c->rootfs);
      free (text);
      text = t;
    }
  if (c->host_root)
    {
      char *t;
      xasprintf (&t, "%shost-root %s %s\n", text, c->host_root, c->rootfs);
      free (text);
      text = t;
    }
  for (char **p = c->cgroup.paths; p && *p; p++)
    {
      char *t;
      xasprintf (&t, "%scgroup %s\n", text, *p);
      free (text);
      text = t;
    }
  if (c->cgroup.unit)
    {
      /* systemd's scope, which delete --force stops.  */
      char *t;
      xasprintf (&t, "%sunit %s\n", text, c->cgroup.unit);
      free (text);
      text = t;
    }
  ret = write_file_atomic_at (c->dirfd, RUNTIME_CREATING_FILE, text, strlen (text), 0600, false, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "save the container state in `%s`", c->state_dir);
  return 0;
}

/* The container lives in our mount namespace: none asked for, or ours
   joined by path (where pivot_root would move the host's root).  */
static bool
in_our_mntns (const oci_config *cfg)
{
  const oci_namespace *ns = oci_config_namespace (cfg, OCI_NS_MOUNT);
  struct stat a, b;

  if (ns == NULL)
    return true;
  return ns->path && stat (ns->path, &a) == 0 && stat ("/proc/self/ns/mnt", &b) == 0 && a.st_dev == b.st_dev
         && a.st_ino == b.st_ino;
}

static int
load_bundle (struct creation *c, const char *bundle_arg, reg_error_t *err)
{
  cleanup_free char *config_path = NULL;
  cleanup_free char *root = NULL;
  struct stat st;
  int ret;

  c->bundle = realpath (bundle_arg ? bundle_arg : ".", NULL);
  if (c->bundle == NULL)
    return reg_make_error (err, errno, "bundle `%s`", bundle_arg ? bundle_arg : ".");
  xasprintf (&config_path, "%s/config.json", c->bundle);
  /* Read once: what exec finds in the state dir is what was parsed.  */
  ret = read_regular_file (config_path, OCI_MAX_DOCUMENT, &c->config_data, &c->config_len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = oci_config_parse (c->config_data, c->config_len, "config.json", &c->config, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (c->config->root_path == NULL)
    return reg_make_error (err, 0, "config.json: root.path: required");
  if (c->config->root_path[0] == '/')
    root = xstrdup (c->config->root_path);
  else
    xasprintf (&root, "%s/%s", c->bundle, c->config->root_path);
  c->rootfs = realpath (root, NULL);
  if (c->rootfs == NULL || stat (c->rootfs, &st) < 0)
    return reg_make_error (err, errno, "config.json: root.path `%s`", root);
  if (!S_ISDIR (st.st_mode))
    return reg_make_error (err, ENOTDIR, "config.json: root.path `%s`", root);
  /* Without a mount namespace the container shares the runtime's, whose
     mounts a new user namespace may not change.  */
  if (in_our_mntns (c->config) && oci_config_namespace (c->config, OCI_NS_USER))
    return reg_make_error (err, 0, "config.json: linux.namespaces: a user namespace needs a mount namespace");
  return 0;
}

static bool
has_creation_hooks (const oci_config *config)
{
  const oci_hooks *h = &config->hooks;
  return h->prestart.len || h->create_runtime.len || h->create_container.len || h->start_container.len;
}

static char **
build_env (const oci_process *p, int listen_fds)
{
  size_t n = p ? p->env.len : 0, j = 0;
  char **env = xmalloc0 ((n + 3) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    env[j++] = p->env.items[i];
  if (listen_fds > 0)
    {
      /* Socket activation passes through, as runc does; the fds follow
         stdio.  */
      xasprintf (&env[j++], "LISTEN_FDS=%d", listen_fds);
      env[j++] = xstrdup ("LISTEN_PID=1");
    }
  return env;
}

/* No mount namespace: the root's mount in ours (see runtime_mounts_host_root),
   recorded at once so that delete, even of a create killed from here on,
   takes it away; what was at the rootfs before is recorded first, for a
   create killed between attaching the root and recording it.  */
static int
make_host_root (struct creation *c, const struct runtime_create_options *opts, reg_error_t *err)
{
  struct runtime_mount_ctx mctx = {
    .config = c->config,
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .plan = c->plan,
    .cgroupns = oci_config_namespace (c->config, OCI_NS_CGROUP) != NULL,
    .cgroup_paths = c->cgroup.paths,
    .no_pivot = opts->no_pivot,
    .host_mntns = true,
  };
  mode_t old;
  int ret;

  c->host_root_below = runtime_mounts_host_root_below (c->rootfs);
  ret = save_creating (c, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* As in the init, which makes the root everywhere else.  */
  old = umask (0);
  ret = runtime_mounts_host_root (&mctx, &c->host_root, err);

  umask (old);
  if (UNLIKELY (ret < 0))
    return ret;
  return save_creating (c, err);
}

/* The parent's side of the init's birth: its cgroup and oom_score_adj
   before any namespace of its own, its id maps, then "go"; with an
   intermediate, the init's pid from it.  */
static int
release_init (struct creation *c, pid_t pid, int pidfd, int new_flags, bool indirect, reg_error_t *err)
{
  struct runtime_sync_msg msg;
  int ret;

  /* Cgroup first: the cgroup namespace is made after this, with the
     container's cgroup as its root.  */
  if (!c->birth.self)
    {
      ret = runtime_cgroup_enter (&c->cgroup, pid, c->birth.born_in, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  ret = runtime_process_set_oom_score_adj (pid, c->config->process, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (new_flags & CLONE_NEWUSER)
    {
      if (indirect)
        {
          ret = runtime_sync_expect (c->sync_fd, RUNTIME_SYNC_USERNS, &msg, err);
          if (UNLIKELY (ret < 0))
            return ret;
          runtime_sync_msg_clear (&msg);
        }
      ret = runtime_ns_write_id_maps (pid, c->config, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  ret = runtime_sync_send (c->sync_fd, RUNTIME_SYNC_GO, 0, NULL, 0, -1, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (indirect)
    {
      pid_t intermediate = c->intermediate;
      c->intermediate = 0;
      close (pidfd);
      ret = runtime_sync_take_pid (c->sync_fd, intermediate, &c->pid, &c->pidfd, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  return 0;
}

/* Serve the init until it is set up and waits for start: its console, its
   seccomp notify fd, the creation hooks; an error it sends is ours.  */
static int
wait_created (struct creation *c, bool want_master, reg_error_t *err)
{
  struct runtime_sync_msg msg;
  int ret;

  for (;;)
    {
      ret = runtime_sync_recv (c->sync_fd, &msg, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (msg.type == RUNTIME_SYNC_CREATED)
        {
          runtime_sync_msg_clear (&msg);
          return 0;
        }
      if (msg.type == RUNTIME_SYNC_ERROR)
        {
          ret = reg_make_error (err, 0, "%s", msg.data);
          (*err)->status = msg.error;
          ret = msg.error > 0 ? -msg.error : ret;
          runtime_sync_msg_clear (&msg);
          return ret;
        }
      if (msg.type == RUNTIME_SYNC_CONSOLE)
        {
          ret = runtime_terminal_forward_master (c->console_fd, want_master, &msg.fd, &c->master_fd, err);
          runtime_sync_msg_clear (&msg);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      if (msg.type == RUNTIME_SYNC_SECCOMP)
        {
          cleanup_free char *json = state_json (c->id, "creating", c->pid, c->bundle, &c->config->annotations,
                                                c->rootfs, NULL, NULL, false);
          ret = msg.fd < 0 ? reg_make_error (err, EPROTO, "sync: no seccomp notify fd")
                           : runtime_seccomp_send_listener (runtime_seccomp_listener_path (c->seccomp), msg.fd, c->pid,
                                                            json, runtime_seccomp_listener_metadata (c->seccomp), err);
          runtime_sync_msg_clear (&msg);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      if (msg.type == RUNTIME_SYNC_HOOKS)
        {
          cleanup_free char *json = state_json (c->id, "creating", c->pid, c->bundle, &c->config->annotations,
                                                c->rootfs, NULL, NULL, false);
          runtime_sync_msg_clear (&msg);
          /* prestart and createRuntime: in the runtime's namespaces.  */
          ret = runtime_hooks_run (&c->config->hooks.prestart, "prestart", json, false, err);
          if (ret == 0)
            ret = runtime_hooks_run (&c->config->hooks.create_runtime, "createRuntime", json, false, err);
          if (UNLIKELY (ret < 0))
            return ret;
          ret = runtime_sync_send (c->sync_fd, RUNTIME_SYNC_HOOKS_DONE, 0, json, strlen (json) + 1, -1, err);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      ret = reg_make_error (err, EPROTO, "sync: unexpected message %d", msg.type);
      runtime_sync_msg_clear (&msg);
      return ret;
    }
}

static int
spawn (struct creation *c, const struct runtime_create_options *opts, bool want_master, reg_error_t *err)
{
  const oci_config *cfg = c->config;
  int new_flags = runtime_ns_new_flags (cfg);
  /* REG's mounts for a container in a user namespace are made before it
     exists (see runtime_mounts_reg_premount), by the intermediate.  */
  bool reg_premount = (oci_config_namespace (cfg, OCI_NS_USER) != NULL) && runtime_mounts_reg_needed (c->plan);
  bool indirect = runtime_ns_joined (cfg, OCI_NS_USER) || runtime_ns_joined (cfg, OCI_NS_PID)
                  || oci_config_namespace (cfg, OCI_NS_TIME) != NULL
                  || ((new_flags & CLONE_NEWUSER) && runtime_ns_any_joined (cfg)) || reg_premount;
  int listen_fds = 0, keep;
  const char *lf = getenv ("LISTEN_FDS");
  struct runtime_init_args a;
  struct clone_args ca = { .exit_signal = SIGCHLD };
  int pair[2];
  int pidfd = -1;
  bool hooks = has_creation_hooks (cfg);
  pid_t pid;
  int ret;

  if (lf)
    {
      uint64_t v;
      if (parse_uint64 (lf, &v) == 0 && v < 1024)
        listen_fds = (int)v;
    }
  keep = 3 + listen_fds + (opts->preserve_fds > 0 ? opts->preserve_fds : 0);

  ret = runtime_sync_pair (pair, err);
  if (UNLIKELY (ret < 0))
    return ret;
  pair[0] = fd_above (pair[0], keep, err);
  if (pair[0] >= 0)
    pair[1] = fd_above (pair[1], keep, err);
  if (pair[0] >= 0 && pair[1] >= 0)
    c->fifo_fd = fd_above (c->fifo_fd, keep, err);
  if (pair[0] < 0 || pair[1] < 0 || c->fifo_fd < 0)
    {
      /* fd_above closed the one it could not move.  */
      for (int i = 0; i < 2; i++)
        if (pair[i] >= 0)
          close (pair[i]);
      return reg_error_ret (err);
    }
  if (c->result_fd >= 0)
    {
      c->result_fd = fd_above (c->result_fd, keep, err);
      if (UNLIKELY (c->result_fd < 0))
        return c->result_fd;
    }

  memset (&a, 0, sizeof (a));
  a.id = c->id;
  a.config = cfg;
  a.bundle = c->bundle;
  a.rootfs = c->rootfs;
  a.plan = c->plan;
  a.cgroup_paths = c->cgroup.paths;
  a.sync_fd = pair[1];
  a.fifo_fd = c->fifo_fd;
  a.result_fd = c->result_fd;
  a.indirect = indirect;
  a.reg_premount = reg_premount;
  a.unshare_flags = indirect ? new_flags : (new_flags & CLONE_NEWCGROUP);
  a.hooks = hooks;
  a.no_pivot = opts->no_pivot;
  a.host_mntns = c->host_root != NULL;
  a.no_new_keyring = opts->no_new_keyring;
  a.preserve_fds = keep - 3;
  a.env = build_env (cfg->process, listen_fds);
  a.caps = c->caps;
  a.seccomp = c->seccomp;

  if (!indirect)
    ca.flags = (uint64_t)(new_flags & ~CLONE_NEWCGROUP);
  ca.flags |= CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  /* A runtime without root writes the child's id maps as their owner, which
     needs the child dumpable: it is, until it has its maps (nothing of the
     container exists yet), and makes itself non-dumpable again.  */
  if ((new_flags & CLONE_NEWUSER) && geteuid () != 0)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  /* An intermediate may join a user namespace before GO, and have no
     rights on the cgroup then.  */
  pid = runtime_cgroup_clone (&c->cgroup, &ca, !indirect, &c->birth);
  if ((new_flags & CLONE_NEWUSER) && geteuid () != 0 && pid != 0)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (pid < 0)
    {
      ret = reg_make_error (err, errno, "clone the container's init");
      close (pair[0]);
      close (pair[1]);
      return ret;
    }
  if (pid == 0)
    {
      a.cgroup_birth = c->birth;
      /* The state dir's fd carries the lock: the init must not hold it
         while it waits for start.  */
      close (pair[0]);
      close (c->dirfd);
      if (c->console_fd >= 0)
        close (c->console_fd);
      runtime_init_main (&a);
    }
  close (pair[1]);
  c->sync_fd = pair[0];
  if (indirect)
    c->intermediate = pid;
  else
    {
      c->pid = pid;
      c->pidfd = pidfd;
    }
  /* Only the init keeps the fifos open: start writes into one, and waits
     for the init to close it when there are startContainer hooks.  */
  close (c->fifo_fd);
  c->fifo_fd = -1;
  if (c->result_fd >= 0)
    close (c->result_fd);
  c->result_fd = -1;

  ret = release_init (c, pid, pidfd, new_flags, indirect, err);
  if (LIKELY (ret == 0))
    ret = wait_created (c, want_master, err);
  free (a.env);
  return ret;
}

/* The limits of R that a cgroup must enforce, as their config.json names
   ("memory, pids"), NULL when none.  Device rules are not: a user
   namespace cannot make device nodes usable anyway.  */
static char *
limit_names (const oci_resources *r)
{
  const struct
  {
    bool set;
    const char *name;
  } limits[] = {
    { r->memory.present, "memory" },
    { r->cpu.present, "cpu" },
    { r->has_pids, "pids" },
    { r->block_io.present, "blockIO" },
    { r->n_hugepage_limits, "hugepageLimits" },
    { r->has_network, "network" },
    { r->n_rdma, "rdma" },
    { r->unified.len, "unified" },
  };
  char *out = NULL;

  if (!r->present)
    return NULL;
  for (size_t i = 0; i < sizeof (limits) / sizeof (limits[0]); i++)
    if (limits[i].set)
      {
        char *prev = out;
        if (prev)
          xasprintf (&out, "%s, %s", prev, limits[i].name);
        else
          out = xstrdup (limits[i].name);
        free (prev);
      }
  return out;
}

/* Rootless (not root of the initial user namespace: an unprivileged user,
   or rootless Podman's uid 0): a cgroup we may not create is skipped, as
   runc does.  Limits that were asked for then cannot hold: a warning names
   them, and the container runs (what rootless Podman does on cgroup v1
   hosts, where it drops them itself).  True when *ERR was dropped.  */
static bool
rootless_without_cgroup (enum runtime_rootless rootless, const oci_config *config, reg_error_t *err)
{
  int e = (err && *err) ? (*err)->status : 0;
  bool is_rootless = rootless == RUNTIME_ROOTLESS_TRUE || (rootless == RUNTIME_ROOTLESS_AUTO && running_rootless ());
  cleanup_free char *limits = NULL;

  if (!is_rootless || !(e == EACCES || e == EPERM || e == EROFS))
    return false;
  limits = limit_names (&config->linux_cfg.resources);
  if (limits)
    reg_warning ("rootless: no cgroup delegated to uid %d (%s): linux.resources %s not applied", (int)host_euid (),
                 (*err)->msg, limits);
  else
    reg_debug ("rootless: no cgroup (not delegated to uid %d)", (int)host_euid ());
  reg_error_release (err);
  return true;
}

/* What can be refused before anything is made: capability names, the
   seccomp filter (compiled here: the init is a clone of this process and
   loads it as it is), LSM labels, user namespace mappings, sysctls.  */
static int
check_security (struct creation *c, reg_error_t *err)
{
  const oci_config *cfg = c->config;
  int ret;

  ret = runtime_ns_validate (cfg, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_sysctl_validate (cfg, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (cfg->process)
    {
      ret = runtime_caps_resolve (&cfg->process->capabilities, &c->caps, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  ret = runtime_lsm_check (cfg->process, cfg->linux_cfg.mount_label, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return runtime_seccomp_build (&cfg->linux_cfg.seccomp, &c->seccomp, err);
}

/* REG's options for container ID of CTX; *STATE_DIR gets its state dir
   (the REG reference is named after it).  */
static void
reg_options_of (const struct runtime_context *ctx, const char *id, char **state_dir, struct reg_options *o)
{
  xasprintf (state_dir, "%s/%s", ctx->state_root, id);
  memset (o, 0, sizeof (*o));
  o->store_root = ctx->reg_root;
  o->default_mode = ctx->reg_mode;
  o->max_object_size = ctx->reg_max_object_size;
  o->container_id = id;
  o->state_dir = *state_dir;
}

/* REG's helper processes run in the container's cgroup.  */
static int
place_in_cgroup (void *data, pid_t pid, reg_error_t *err)
{
  return runtime_cgroup_enter (data, pid, NULL, err);
}

/* create and run: everything up to the init waiting for start.  */
static int
create_container (struct creation *c, const struct runtime_create_options *opts, bool foreground, reg_error_t *err)
{
  struct runtime_context *ctx = c->ctx;
  const oci_process *p;
  bool reg_wanted;
  struct runtime_status st;
  cleanup_free char *created = NULL;
  cleanup_free char *owner = NULL;
  unsigned long long start_time = 0;
  int ret;

  ret = runtime_status_validate_id (c->id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = load_bundle (c, opts->bundle, err);
  if (UNLIKELY (ret < 0))
    return ret;
  p = c->config->process;
  ret = reg_phase_validate (c->config, ctx->reg_mode, err);
  if (UNLIKELY (ret < 0))
    return ret;
  reg_wanted = ret > 0;
  ret = check_security (c, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (p && p->terminal && opts->console_socket == NULL && !foreground)
    return reg_make_error (err, 0, "process.terminal is true: --console-socket is required");
  if (p && !p->terminal && opts->console_socket)
    reg_debug ("--console-socket ignored: process.terminal is false");
  if (p && p->terminal && opts->console_socket)
    {
      ret = runtime_terminal_connect (opts->console_socket, &c->console_fd, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  ret = runtime_status_create_dir (ctx->state_root, c->id, &c->dirfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  c->dir_made = true;
  /* The REG phase: after the config is validated, before any mount.  */
  reg_options_of (ctx, c->id, &c->state_dir, &c->reg_opts);
  if (reg_wanted)
    {
      cleanup_close int rootfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return reg_make_error (err, errno, "open root `%s`", c->rootfs);
      ret = reg_phase_prepare (&c->reg_opts, c->config, rootfd, &c->plan, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  /* One record of the environment's reference and of the cgroups about to
     be made, then one with their paths.  */
  c->cgroup_begun = !ctx->cgroups_disabled;
  if (c->plan || c->cgroup_begun)
    {
      ret = save_creating (c, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (!ctx->cgroups_disabled)
    {
      struct runtime_cgroup_args cga = { .cgroups_path = c->config->linux_cfg.cgroups_path,
                                         .id = c->id,
                                         .systemd = ctx->systemd_cgroup,
                                         .annotations = &c->config->annotations };
      ret = runtime_cgroup_create (&cga, &c->cgroup, err);
      if (UNLIKELY (ret < 0) && rootless_without_cgroup (ctx->rootless, c->config, err))
        ret = 0;
      if (UNLIKELY (ret < 0))
        return ret;
      ret = save_creating (c, err);
      if (UNLIKELY (ret < 0))
        return ret;
      /* Limits and device rules before the init exists: they hold from
         its first instruction.  */
      ret = runtime_cgroup_apply (&c->cgroup, &c->config->linux_cfg.resources, true, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  if (mkfifoat (c->dirfd, RUNTIME_EXEC_FIFO, 0600) < 0)
    return reg_make_error (err, errno, "create `%s`", RUNTIME_EXEC_FIFO);
  /* Read-write: the open does not block, and start's non-blocking write
     open fails (ENXIO) once the init is gone.  */
  c->fifo_fd = openat (c->dirfd, RUNTIME_EXEC_FIFO, O_RDWR | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return reg_make_error (err, errno, "open `%s`", RUNTIME_EXEC_FIFO);
  /* A startContainer hook runs in the init after start released it, and its
     failure must fail start: a second fifo carries the error back.  Opened
     here, as the init may not be allowed to open the state dir (userns).  */
  if (c->config->hooks.start_container.len)
    {
      if (mkfifoat (c->dirfd, RUNTIME_START_RESULT, 0600) < 0)
        return reg_make_error (err, errno, "create `%s`", RUNTIME_START_RESULT);
      c->result_fd = openat (c->dirfd, RUNTIME_START_RESULT, O_RDWR | O_CLOEXEC);
      if (c->result_fd < 0)
        return reg_make_error (err, errno, "open `%s`", RUNTIME_START_RESULT);
    }

  if (in_our_mntns (c->config))
    {
      ret = make_host_root (c, opts, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  ret = spawn (c, opts, foreground, err);
  if (UNLIKELY (ret < 0))
    return ret;

  ret = reg_phase_start (&c->reg_opts, c->plan, c->pid, place_in_cgroup, &c->cgroup, err);
  if (UNLIKELY (ret < 0))
    return ret;

  if (runtime_proc_stat (c->pid, &start_time, NULL) < 0)
    return reg_make_error (err, ESRCH, "container init exited during create");
  created = rfc3339_now ();
  owner = owner_name ();
  memset (&st, 0, sizeof (st));
  st.id = (char *)c->id;
  st.pid = c->pid;
  st.pid_start = start_time;
  st.bundle = c->bundle;
  st.rootfs = c->rootfs;
  st.created = created;
  st.owner = owner;
  st.reg_mode = (char *)reg_plan_mode_name (c->plan);
  st.reg_env = c->plan ? c->plan->env_id : NULL;
  st.cgroup_paths = c->cgroup.paths;
  st.host_root = c->host_root;
  st.cgroup_unit = c->cgroup.unit;
  st.annotations = c->config->annotations;
  st.no_process = p == NULL;
  st.poststart = c->config->hooks.poststart;
  st.poststop = c->config->hooks.poststop;
  /* The state dir is usually on a small tmpfs (/run): a full one must
     name the directory, not just "write".  */
  ret = runtime_status_write (c->dirfd, &st, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "save the container state in `%s`", c->state_dir);
  ret = write_file_atomic_at (c->dirfd, RUNTIME_EXEC_CONFIG, c->config_data, c->config_len, 0600, false, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "save the container's config in `%s`", c->state_dir);
  if (opts->pid_file)
    {
      ret = write_pid_file (opts->pid_file, c->pid, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

int
runtime_container_create (struct runtime_context *ctx, const char *id, const struct runtime_create_options *opts,
                          reg_error_t *err)
{
  struct creation c;
  int ret;

  creation_init (&c, ctx, id);
  ret = create_container (&c, opts, false, err);
  if (ret < 0)
    creation_abort (&c);
  creation_free (&c);
  return ret < 0 ? ret : 0;
}

/* After start released the init (FIFO_FD: our write end of exec.fifo), wait
   until the init ran the startContainer hooks: it closes its end of the fifo
   by execve (O_CLOEXEC) or by exiting, and the write end then polls POLLERR
   (no reader left).  Whatever the init wrote into start.result (RESULT_FD)
   before exiting is the error.  */
static int
wait_start_hooks (const struct runtime_status *st, int fifo_fd, int result_fd, reg_error_t *err)
{
  cleanup_close int pidfd = runtime_container_open_init (st);
  struct pollfd pfd[2] = { { .fd = fifo_fd, .events = 0 }, { .fd = pidfd, .events = POLLIN } };
  char buf[4096];
  ssize_t n;

  for (;;)
    {
      int r = poll (pfd, pidfd >= 0 ? 2 : 1, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return reg_make_error (err, errno, "start: wait for the startContainer hooks");
      if ((pfd[0].revents & (POLLERR | POLLHUP)) || pfd[1].revents)
        break;
    }
  n = TEMP_FAILURE_RETRY_INT (read (result_fd, buf, sizeof (buf) - 1));
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return reg_make_error (err, 0, "%s", buf);
}

/* Release the init of a created container (DIRFD locked).  */
static int
start_locked (int dirfd, const struct runtime_status *st, reg_error_t *err)
{
  enum runtime_container_status s = runtime_status_current (dirfd, st);
  cleanup_close int fd = -1;
  cleanup_close int result_fd = -1;
  int ret;
  cleanup_free char *json = NULL;
  char c = '0';

  if (s == RUNTIME_STATUS_STOPPED)
    return reg_make_error (err, 0, "cannot start a container that has stopped");
  if (s != RUNTIME_STATUS_CREATED)
    return reg_make_error (err, 0, "cannot start an already %s container", runtime_container_status_name (s));
  /* runtime-spec config.md: process is required when start is called.  */
  if (st->no_process)
    return reg_make_error (err, 0, "cannot start container \"%s\": config.json has no process", st->id);
  fd = openat (dirfd, RUNTIME_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENXIO)
        return reg_make_error (err, 0, "cannot start a container that has stopped");
      return reg_make_error (err, errno, "open `%s`", RUNTIME_EXEC_FIFO);
    }
  /* Present only with startContainer hooks; opened (as a reader, so that
     what the init writes outlives it) before the init is released.  */
  result_fd = openat (dirfd, RUNTIME_START_RESULT, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (result_fd < 0 && errno != ENOENT)
    return reg_make_error (err, errno, "open `%s`", RUNTIME_START_RESULT);
  if (write (fd, &c, 1) != 1)
    return reg_make_error (err, errno, "start: write `%s`", RUNTIME_EXEC_FIFO);
  if (unlinkat (dirfd, RUNTIME_EXEC_FIFO, 0) < 0)
    return reg_make_error (err, errno, "unlink `%s`", RUNTIME_EXEC_FIFO);
  if (result_fd >= 0)
    {
      /* The hooks may take long: let kill (a shared lock) reach the init
         meanwhile; delete still waits for us.  */
      if (flock (dirfd, LOCK_SH) < 0)
        return reg_make_error (err, errno, "lock the state of \"%s\"", st->id);
      ret = wait_start_hooks (st, fd, result_fd, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (st->poststart.len)
    {
      json = status_state_json (st, RUNTIME_STATUS_RUNNING, false);
      runtime_hooks_run (&st->poststart, "poststart", json, true, err);
    }
  return 0;
}

int
runtime_container_start (struct runtime_context *ctx, const char *id, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  int ret;

  ret = runtime_status_open (ctx->state_root, id, false, &dirfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_status_read (dirfd, id, &st, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return start_locked (dirfd, &st, err);
}

/* Remove a container whose init is gone (DIRFD locked): cgroup, REG
   reference, state dir, then poststop hooks.  */
static int
destroy_locked (struct runtime_context *ctx, const char *id, const struct runtime_status *st, reg_error_t *err)
{
  struct runtime_cgroup cg = { 0 };
  cleanup_free char *state_dir = NULL;
  struct reg_options reg_opts;
  int ret;

  reg_options_of (ctx, id, &state_dir, &reg_opts);

  /* REG's helper (learn's recorder) is in the container's cgroup, which
     destroy empties with SIGKILL: it finishes its work first.  */
  {
    reg_error_t tmp = NULL;
    if (reg_phase_stop (&reg_opts, &tmp) < 0)
      {
        reg_warning ("%s", tmp->msg);
        reg_error_release (&tmp);
      }
  }
  if (st->cgroup_paths)
    {
      runtime_cgroup_load (st->cgroup_paths, st->cgroup_unit, &cg);
      ret = runtime_cgroup_destroy (&cg, err);
      runtime_cgroup_clear (&cg);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  /* Before REG's release: minimal's upper layer is below this mount.  */
  if (st->host_root)
    {
      ret = runtime_mounts_host_root_release (st->rootfs, st->host_root, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  /* Every REG mode but off has something to release: the environment
     reference, minimal's upper layer, learn's recorder.  */
  if (st->reg_mode && strcmp (st->reg_mode, "off") != 0)
    {
      ret = reg_phase_release (&reg_opts, st->reg_env, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  ret = runtime_status_remove_dir (ctx->state_root, id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (st->poststop.len)
    {
      cleanup_free char *json = status_state_json (st, RUNTIME_STATUS_STOPPED, false);
      runtime_hooks_run (&st->poststop, "poststop", json, true, err);
    }
  return 0;
}

/* A frozen (v1) cgroup keeps a killed process from dying: thaw it after
   the SIGKILL was sent.  */
static void
thaw_after_kill (const struct runtime_status *st)
{
  struct runtime_cgroup cg = { 0 };
  reg_error_t tmp = NULL;

  if (st->cgroup_paths == NULL || !runtime_cgroup_paths_frozen (st->cgroup_paths))
    return;
  runtime_cgroup_load (st->cgroup_paths, st->cgroup_unit, &cg);
  if (runtime_cgroup_thaw (&cg, &tmp) < 0)
    reg_warning ("thaw container \"%s\": %s", st->id, tmp->msg);
  reg_error_release (&tmp);
  runtime_cgroup_clear (&cg);
}

static int
kill_and_wait (const struct runtime_status *st, reg_error_t *err)
{
  cleanup_close int pidfd = runtime_container_open_init (st);
  if (pidfd < 0)
    return 0;
  if (pidfd_signal (pidfd, SIGKILL) < 0 && errno != ESRCH)
    return reg_make_error (err, errno, "kill container \"%s\"", st->id);
  thaw_after_kill (st);
  if (!pidfd_wait_exit (pidfd, 10000))
    return reg_make_error (err, ETIMEDOUT, "container \"%s\" did not exit after SIGKILL", st->id);
  return 0;
}

/* Undo a create that was killed before it wrote the status (DIRFD
   locked): what RUNTIME_CREATING_FILE names.  Destroying the cgroups kills any
   process in them, the container's init included (it stops dying with its
   creator once it is set up, a moment before the status is written).  */
static int
destroy_half_created (struct runtime_context *ctx, const char *id, int dirfd, reg_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *state_dir = NULL;
  cleanup_free char *env_id = NULL;
  bool reg_used = false, systemd = false;
  cleanup_free char *cgroups_path = NULL;
  cleanup_free char *host_root = NULL;
  cleanup_free char *host_root_below = NULL;
  cleanup_free char *unit = NULL;
  struct reg_options reg_opts;
  char **paths = NULL;
  size_t n = 0;
  char *save = NULL;
  int ret;

  ret = read_all_file_at (dirfd, RUNTIME_CREATING_FILE, 1024 * 1024, &text, NULL, err);
  if (ret < 0)
    {
      if ((*err)->status != ENOENT)
        return ret;
      /* killed before it made anything outside the state dir */
      reg_error_release (err);
      return runtime_status_remove_dir (ctx->state_root, id, err);
    }
  paths = xmalloc0 (sizeof (char *));
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (has_prefix (l, "mode "))
        reg_used = strcmp (l + 5, "off") != 0;
      else if (has_prefix (l, "cgroups-path ") && cgroups_path == NULL)
        cgroups_path = xstrdup (l + 13);
      else if (has_prefix (l, "systemd "))
        systemd = strcmp (l + 8, "1") == 0;
      else if (has_prefix (l, "env ") && env_id == NULL)
        env_id = xstrdup (l + 4);
      else if (has_prefix (l, "host-root ") && host_root == NULL)
        host_root = xstrdup (l + 10); /* "ID ROOTFS" */
      else if (has_prefix (l, "host-root-below ") && host_root_below == NULL)
        host_root_below = xstrdup (l + 16); /* "ID ROOTFS" */
      else if (has_prefix (l, "unit ") && unit == NULL)
        unit = xstrdup (l + 5);
      else if (has_prefix (l, "cgroup "))
        {
          paths = xrealloc (paths, (n + 2) * sizeof (char *));
          paths[n++] = xstrdup (l + 7);
          paths[n] = NULL;
        }
    }
  if (n > 0)
    {
      struct runtime_cgroup cg = { 0 };
      runtime_cgroup_load (paths, unit, &cg);
      ret = runtime_cgroup_destroy (&cg, err);
      runtime_cgroup_clear (&cg);
    }
  else if (cgroups_path)
    {
      /* Killed while it made the directories, some of them may exist:
         make them all (mkdir tolerates existing ones) to learn their
         paths, then remove them.  Nothing ran in them yet.  (systemd: the
         unit's name and directories, for destroy to stop and remove.)  */
      struct runtime_cgroup cg = { 0 };
      struct runtime_cgroup_args cga
          = { .cgroups_path = cgroups_path[0] ? cgroups_path : NULL, .id = id, .systemd = systemd };
      reg_error_t tmp = NULL;
      if (runtime_cgroup_create (&cga, &cg, &tmp) == 0)
        {
          ret = runtime_cgroup_destroy (&cg, err);
          runtime_cgroup_clear (&cg);
        }
      reg_error_release (&tmp);
    }
  free_string_array (paths);
  if (UNLIKELY (ret < 0))
    return ret;
  if (host_root && strchr (host_root, ' '))
    {
      char *rootfs = strchr (host_root, ' ');
      *rootfs++ = '\0';
      ret = runtime_mounts_host_root_release (rootfs, host_root, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  else if (host_root_below && strchr (host_root_below, ' '))
    {
      char *rootfs = strchr (host_root_below, ' ');
      *rootfs++ = '\0';
      ret = runtime_mounts_host_root_release_unrecorded (rootfs, host_root_below, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  reg_options_of (ctx, id, &state_dir, &reg_opts);
  /* As destroy_locked: every mode but off has something to release.  */
  if (reg_used)
    {
      ret = reg_phase_release (&reg_opts, env_id, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return runtime_status_remove_dir (ctx->state_root, id, err);
}

int
runtime_container_delete (struct runtime_context *ctx, const char *id, bool force, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  enum runtime_container_status s;
  int ret;

  ret = runtime_status_open (ctx->state_root, id, false, &dirfd, err);
  if (ret < 0)
    {
      if (force && (*err)->status == ENOENT)
        {
          reg_error_release (err);
          return 0;
        }
      return ret;
    }
  ret = runtime_status_read (dirfd, id, &st, err);
  if (ret < 0)
    {
      /* A directory without status: a create that was killed midway.  */
      if ((*err)->status == ENOENT && force)
        {
          reg_error_release (err);
          return destroy_half_created (ctx, id, dirfd, err);
        }
      return ret;
    }
  s = runtime_status_current (dirfd, &st);
  if (s == RUNTIME_STATUS_RUNNING || s == RUNTIME_STATUS_PAUSED)
    {
      if (!force)
        return reg_make_error (err, 0, "cannot delete container \"%s\" that is not stopped: %s", id,
                               runtime_container_status_name (s));
    }
  if (s != RUNTIME_STATUS_STOPPED)
    {
      ret = kill_and_wait (&st, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return destroy_locked (ctx, id, &st, err);
}

int
runtime_container_state (struct runtime_context *ctx, const char *id, char **json, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  cleanup_free char *path = NULL;
  int ret;

  ret = runtime_status_validate_id (id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  xasprintf (&path, "%s/%s", ctx->state_root, id);
  /* No lock: the status file is replaced atomically.  */
  dirfd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    {
      if (errno == ENOENT)
        {
          reg_make_error (err, 0, "container \"%s\" does not exist", id);
          (*err)->status = ENOENT;
          return -ENOENT;
        }
      return reg_make_error (err, errno, "open `%s`", path);
    }
  ret = runtime_status_read (dirfd, id, &st, err);
  if (UNLIKELY (ret < 0))
    return ret;
  *json = status_state_json (&st, runtime_status_current (dirfd, &st), true);
  return 0;
}

int
runtime_container_kill (struct runtime_context *ctx, const char *id, const char *signal, bool all, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_close int pidfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  enum runtime_container_status s;
  int sig = signal ? signal_from_name (signal) : SIGTERM;
  int ret;

  if (sig < 0)
    return reg_make_error (err, 0, "unknown signal \"%s\"", signal);
  ret = runtime_status_open (ctx->state_root, id, true, &dirfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_status_read (dirfd, id, &st, err);
  if (UNLIKELY (ret < 0))
    return ret;
  s = runtime_status_current (dirfd, &st);
  if (all)
    {
      struct runtime_cgroup cg = { 0 };
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;

      /* As runc: a stopped container with nothing left in its cgroup, or
         no cgroup at all, has nothing to signal and that is no error
         (containerd's shim sends kill --all at every stop).  */
      if (st.cgroup_paths == NULL || st.cgroup_paths[0] == NULL)
        {
          if (s == RUNTIME_STATUS_STOPPED)
            return 0;
          return reg_make_error (err, 0, "kill --all: container \"%s\" has no cgroup", id);
        }
      runtime_cgroup_load (st.cgroup_paths, st.cgroup_unit, &cg);
      ret = runtime_container_cgroup_pids (ctx, id, &cg, &pids, &n, err);
      runtime_cgroup_clear (&cg);
      if (UNLIKELY (ret < 0) && s == RUNTIME_STATUS_STOPPED && (*err)->status == ENOENT)
        {
          reg_error_release (err);
          return 0;
        }
      if (UNLIKELY (ret < 0))
        return ret;
      for (size_t i = 0; i < n; i++)
        {
          int fd = pidfd_open (pids[i]);
          if (fd < 0)
            continue;
          pidfd_signal (fd, sig);
          close (fd);
        }
      if (sig == SIGKILL)
        thaw_after_kill (&st);
      return 0;
    }
  if (s == RUNTIME_STATUS_STOPPED)
    return reg_make_error (err, 0, "container not running");
  pidfd = runtime_container_open_init (&st);
  if (pidfd < 0)
    return reg_make_error (err, 0, "container not running");
  if (pidfd_signal (pidfd, sig) < 0)
    {
      if (errno == ESRCH)
        return reg_make_error (err, 0, "container not running");
      return reg_make_error (err, errno, "kill container \"%s\"", id);
    }
  if (sig == SIGKILL && s == RUNTIME_STATUS_PAUSED)
    thaw_after_kill (&st);
  return 0;
}

/* run: forward the signals the caller gets to the init until it exits;
   returns the exit status (128+signal when killed).  */
static int
wait_forwarding (pid_t pid, int pidfd, int master, reg_error_t *err)
{
  static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
  cleanup_close int sfd = -1;
  sigset_t set, old;
  int status = 0;
  bool stdin_open = master >= 0;

  sigemptyset (&set);
  for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (&set, forwarded[i]);
  sigprocmask (SIG_BLOCK, &set, &old);
  sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return reg_make_error (err, errno, "signalfd");

  for (;;)
    {
      struct pollfd pfd[4] = { { .fd = pidfd, .events = POLLIN },
                               { .fd = sfd, .events = POLLIN },
                               { .fd = master >= 0 ? master : -1, .events = POLLIN },
                               { .fd = stdin_open ? 0 : -1, .events = POLLIN } };
      int r = poll (pfd, 4, -1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return reg_make_error (err, errno, "poll");
        }
      if (pfd[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) == sizeof (si))
            {
              struct winsize ws;
              /* With our pty, a resize of the caller's terminal resizes the
                 container's; the kernel signals the container itself.  */
              if (si.ssi_signo == SIGWINCH && master >= 0)
                {
                  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
                    ioctl (master, TIOCSWINSZ, &ws);
                }
              else
                pidfd_signal (pidfd, (int)si.ssi_signo);
            }
        }
      if (master >= 0 && (pfd[2].revents & (POLLIN | POLLHUP)))
        {
          char buf[4096];
          ssize_t n = read (master, buf, sizeof (buf));
          if (n > 0)
            (void)write_all (1, buf, (size_t)n, NULL);
          else
            master = -1;
        }
      if (stdin_open && (pfd[3].revents & (POLLIN | POLLHUP)))
        {
          char buf[4096];
          ssize_t n = read (0, buf, sizeof (buf));
          if (n > 0 && master >= 0)
            (void)write_all (master, buf, (size_t)n, NULL);
          else
            stdin_open = false;
        }
      if (pfd[0].revents & POLLIN)
        break;
    }
  if (master >= 0)
    {
      /* What the container wrote just before it exited.  */
      char buf[4096];
      ssize_t n;
      fcntl (master, F_SETFL, O_NONBLOCK);
      while ((n = read (master, buf, sizeof (buf))) > 0)
        (void)write_all (1, buf, (size_t)n, NULL);
    }
  if (TEMP_FAILURE_RETRY_INT (waitpid (pid, &status, 0)) < 0)
    return reg_make_error (err, errno, "waitpid");
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

int
runtime_container_run (struct runtime_context *ctx, const char *id, const struct runtime_create_options *opts,
                       reg_error_t *err)
{
  struct creation c;
  cleanup_status struct runtime_status st = { 0 };
  int ret, status;

  creation_init (&c, ctx, id);
  ret = create_container (&c, opts, !opts->detach, err);
  if (ret == 0)
    ret = runtime_status_read (c.dirfd, id, &st, err);
  if (ret == 0)
    ret = start_locked (c.dirfd, &st, err);
  if (ret < 0)
    {
      creation_abort (&c);
      creation_free (&c);
      return ret;
    }
  if (opts->detach)
    {
      creation_free (&c);
      return 0;
    }
  /* Let other commands (kill, state) at the container while it runs.  */
  close (c.dirfd);
  c.dirfd = -1;
  if (c.master_fd >= 0 && isatty (0))
    {
      /* run with a terminal and no --console-socket: our terminal becomes
         the container's, raw, until it exits.  */
      struct termios raw, saved;
      struct winsize ws;
      if (ioctl (0, TIOCGWINSZ, &ws) == 0)
        ioctl (c.master_fd, TIOCSWINSZ, &ws);
      if (tcgetattr (0, &saved) == 0)
        {
          raw = saved;
          cfmakeraw (&raw);
          tcsetattr (0, TCSANOW, &raw);
          status = wait_forwarding (c.pid, c.pidfd, c.master_fd, err);
          tcsetattr (0, TCSANOW, &saved);
        }
      else
        status = wait_forwarding (c.pid, c.pidfd, c.master_fd, err);
    }
  else
    status = wait_forwarding (c.pid, c.pidfd, c.master_fd, err);
  creation_free (&c);
  if (status < 0)
    return status;
  if (!opts->keep)
    {
      ret = runtime_container_delete (ctx, id, true, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return status;
}

/* `list`: runc's table (tabwriter, min width 12, padding 3) or JSON.  */
struct list_row
{
  char *id, *pid, *status, *bundle, *created, *owner;
};

int
runtime_container_list (struct runtime_context *ctx, enum runtime_list_format format, bool quiet, FILE *out,
                        reg_error_t *err)
{
  cleanup_string_array char **ids = NULL;
  struct list_row *rows;
  size_t n = 0, nrows = 0;
  size_t w[6] = { 2, 3, 6, 6, 7, 5 };
  int ret;

  ret = runtime_status_list_ids (ctx->state_root, &ids, err);
  if (UNLIKELY (ret < 0))
    return ret;
  while (ids[n])
    n++;
  rows = xmalloc0 ((n + 1) * sizeof (*rows));
  if (format == RUNTIME_LIST_JSON && !quiet)
    fputc ('[', out);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int dirfd = -1;
      cleanup_free char *path = NULL;
      struct runtime_status st;
      enum runtime_container_status s;
      reg_error_t tmp = NULL;

      xasprintf (&path, "%s/%s", ctx->state_root, ids[i]);
      dirfd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dirfd < 0 || runtime_status_read (dirfd, ids[i], &st, &tmp) < 0)
        {
          reg_error_release (&tmp);
          continue;
        }
      s = runtime_status_current (dirfd, &st);
      if (quiet)
        fprintf (out, "%s\n", st.id);
      else if (format == RUNTIME_LIST_JSON)
        {
          cleanup_free char *json = status_state_json (&st, s, false);
          fprintf (out, "%s%s", nrows ? "," : "", json);
        }
      else
        {
          struct list_row *r = &rows[nrows];
          r->id = xstrdup (st.id);
          xasprintf (&r->pid, "%d", s == RUNTIME_STATUS_STOPPED ? 0 : st.pid);
          r->status = xstrdup (runtime_container_status_name (s));
          r->bundle = xstrdup (st.bundle ? st.bundle : "");
          r->created = xstrdup (st.created ? st.created : "");
          r->owner = xstrdup (st.owner ? st.owner : "");
          char *cells[6] = { r->id, r->pid, r->status, r->bundle, r->created, r->owner };
          for (int k = 0; k < 6; k++)
            if (strlen (cells[k]) > w[k])
              w[k] = strlen (cells[k]);
        }
      nrows++;
      runtime_status_clear (&st);
    }
  if (format == RUNTIME_LIST_JSON && !quiet)
    fputs ("]\n", out);
  else if (!quiet)
    {
      const char *head[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
      for (int k = 0; k < 6; k++)
        w[k] = (w[k] + 3 > 12 ? w[k] + 3 : 12);
      for (int k = 0; k < 6; k++)
        {
          if (k < 5)
            fprintf (out, "%-*s", (int)w[k], head[k]);
          else
            fprintf (out, "%s\n", head[k]);
        }
      for (size_t i = 0; i < nrows; i++)
        {
          struct list_row *r = &rows[i];
          fprintf (out, "%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0], r->id, (int)w[1], r->pid, (int)w[2], r->status,
                   (int)w[3], r->bundle, (int)w[4], r->created, r->owner);
        }
    }
  for (size_t i = 0; i < nrows; i++)
    {
      free (rows[i].id);
      free (rows[i].pid);
      free (rows[i].status);
      free (rows[i].bundle);
      free (rows[i].created);
      free (rows[i].owner);
    }
  free (rows);
  return 0;
}

/* For exec.c (container-internal.h).  */
int
runtime_container_wait_process (pid_t pid, int pidfd, int master, reg_error_t *err)
{
  return wait_forwarding (pid, pidfd, master, err);
}

int
runtime_container_write_pid_file (const char *path, pid_t pid, reg_error_t *err)
{
  return write_pid_file (path, pid, err);
}
