/* libreg: exec (see exec.h).  */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "container-internal.h"
#include "init.h"
#include "exec.h"
#include "lsm.h"
#include "process.h"
#include "seccomp-filter.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The namespaces an exec'd process joins, the user namespace first and the
   mount namespace last (after it, /proc/PID/ns paths would resolve in the
   container).  */
static const struct
{
  const char *name;
  int flag;
} ns_kinds[] = {
  { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET },
  { "pid", CLONE_NEWPID },   { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME }, { "mnt", CLONE_NEWNS },
};
#define N_NS (sizeof (ns_kinds) / sizeof (ns_kinds[0]))

/* ---- the process object (pure) ---- */

static void
strv_set (oci_strv *v, char **items)
{
  size_t n = 0;
  for (size_t i = 0; i < v->len; i++)
    free (v->items[i]);
  free (v->items);
  while (items && items[n])
    n++;
  v->items = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    v->items[i] = xstrdup (items[i]);
  v->len = n;
}

static void
strv_append (oci_strv *v, const char *s)
{
  v->items = xrealloc (v->items, (v->len + 2) * sizeof (char *));
  v->items[v->len++] = xstrdup (s);
  v->items[v->len] = NULL;
}

/* K=V replaces K's entry or is appended.  */
static void
env_set (oci_strv *env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t)(eq - kv) : strlen (kv);

  for (size_t i = 0; i < env->len; i++)
    if (strncmp (env->items[i], kv, klen) == 0 && env->items[i][klen] == '=')
      {
        free (env->items[i]);
        env->items[i] = xstrdup (kv);
        return;
      }
  strv_append (env, kv);
}

static void
caps_copy (oci_capabilities *to, const oci_capabilities *from)
{
  to->present = from->present;
  strv_set (&to->bounding, from->bounding.items);
  strv_set (&to->effective, from->effective.items);
  strv_set (&to->inheritable, from->inheritable.items);
  strv_set (&to->permitted, from->permitted.items);
  strv_set (&to->ambient, from->ambient.items);
  to->has_bounding = from->has_bounding;
  to->has_effective = from->has_effective;
  to->has_inheritable = from->has_inheritable;
  to->has_permitted = from->has_permitted;
  to->has_ambient = from->has_ambient;
}

static int
parse_id (const char *s, uint32_t *out)
{
  uint64_t v;
  if (parse_uint64 (s, &v) < 0 || v > UINT32_MAX - 1)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

int
runtime_exec_make_process (oci_process *p, bool from_file, const oci_process *container,
                           const struct runtime_exec_options *o, char **user_name, reg_error_t *err)
{
  *user_name = NULL;
  if (o->args && o->args[0])
    strv_set (&p->args, o->args);
  if (p->args.len == 0)
    return reg_make_error (err, EINVAL, "exec: no command given: pass COMMAND or --process");
  /* runc: the file says whether there is a terminal; without one, --tty.  */
  p->terminal = from_file ? (p->terminal || o->tty) : o->tty;
  if (o->cwd)
    {
      if (o->cwd[0] != '/')
        return reg_make_error (err, EINVAL, "exec: --cwd `%s`: must be an absolute path", o->cwd);
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  if (p->cwd == NULL)
    p->cwd = xstrdup ("/");
  for (char **e = o->env; e && *e; e++)
    {
      if (strchr (*e, '=') == NULL || **e == '=')
        return reg_make_error (err, EINVAL, "exec: --env `%s`: expected KEY=VALUE", *e);
      env_set (&p->env, *e);
    }
  if (o->user && *o->user)
    {
      cleanup_free char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      if (colon)
        *colon++ = '\0';
      if (*u == '\0')
        return reg_make_error (err, EINVAL, "exec: --user `%s`: expected UID[:GID] or NAME[:GID]", o->user);
      if (parse_id (u, &p->user.uid) < 0)
        {
          /* A name: looked up in the container's /etc/passwd by the
             process itself, once it is in the container's root.  */
          if (strspn (u, "0123456789") == strlen (u))
            return reg_make_error (err, EINVAL, "exec: --user `%s`: uid out of range", o->user);
          *user_name = xstrdup (u);
        }
      if (colon && parse_id (colon, &p->user.gid) < 0)
        {
          free (steal_pointer (user_name));
          return reg_make_error (err, EINVAL, "exec: --user `%s`: the group must be a numeric gid", o->user);
        }
      if (*user_name && colon)
        {
          /* Tell the lookup the gid is given: keep it, take only the uid.  */
          char *tmp = *user_name;
          xasprintf (user_name, "%s:", tmp);
          free (tmp);
        }
    }
  for (char **g = o->additional_gids; g && *g; g++)
    {
      uint32_t gid;
      if (parse_id (*g, &gid) < 0)
        return reg_make_error (err, EINVAL, "exec: --additional-gids `%s`: expected a numeric gid", *g);
      p->user.additional_gids = xrealloc (p->user.additional_gids, (p->user.n_additional_gids + 1) * sizeof (uint32_t));
      p->user.additional_gids[p->user.n_additional_gids++] = gid;
    }

  /* What the process leaves out comes from the container (runc's
     newInitConfig): capabilities, rlimits, LSM labels.  */
  if (container && !p->capabilities.present && container->capabilities.present)
    caps_copy (&p->capabilities, &container->capabilities);
  if (container && p->n_rlimits == 0 && container->n_rlimits)
    {
      p->rlimits = xmalloc0 (container->n_rlimits * sizeof (oci_rlimit));
      for (size_t i = 0; i < container->n_rlimits; i++)
        {
          p->rlimits[i] = container->rlimits[i];
          p->rlimits[i].type = xstrdup (container->rlimits[i].type);
        }
      p->n_rlimits = container->n_rlimits;
    }
  if (container && p->apparmor_profile == NULL && container->apparmor_profile)
    p->apparmor_profile = xstrdup (container->apparmor_profile);
  if (container && p->selinux_label == NULL && container->selinux_label)
    p->selinux_label = xstrdup (container->selinux_label);
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (o->no_new_privs)
    p->no_new_privileges = true;

  /* --cap adds to bounding, effective and permitted; to ambient only when
     the process has inheritable capabilities (ambient needs them), as runc
     does.  */
  for (char **c = o->caps; c && *c; c++)
    {
      oci_capabilities *k = &p->capabilities;
      k->present = true;
      k->has_bounding = k->has_effective = k->has_permitted = true;
      if (!oci_strv_has (&k->bounding, *c))
        strv_append (&k->bounding, *c);
      if (!oci_strv_has (&k->effective, *c))
        strv_append (&k->effective, *c);
      if (!oci_strv_has (&k->permitted, *c))
        strv_append (&k->permitted, *c);
      if (k->inheritable.len && !oci_strv_has (&k->ambient, *c))
        {
          k->has_ambient = true;
          strv_append (&k->ambient, *c);
        }
    }
  return 0;
}

/* ---- the container: state, pause, cgroup ---- */

/* The container's cgroup directories, or their SUB sub-cgroup (which must
   exist, as runc requires).  */
static int
exec_cgroup (char **paths, const char *sub, struct runtime_cgroup *cg, reg_error_t *err)
{
  /* Joined through the directories, a systemd unit's too (as runc).  */
  runtime_cgroup_load (paths, NULL, cg);
  if (sub == NULL || *sub == '\0')
    return 0;
  if (sub[0] == '/' || strstr (sub, "..") || strchr (sub, ':'))
    return reg_make_error (err, EINVAL, "exec: --cgroup `%s`: expected a relative path inside the container's cgroup",
                           sub);
  for (char **p = cg->paths; *p; p++)
    {
      char *full;
      struct stat sb;
      xasprintf (&full, "%s/%s", *p, sub);
      free (*p);
      *p = full;
      if (stat (full, &sb) < 0 || !S_ISDIR (sb.st_mode))
        return reg_make_error (err, ENOENT, "exec: --cgroup `%s`: no sub-cgroup `%s`", sub, full);
    }
  return 0;
}

/* ---- the child side ---- */

struct exec_child
{
  const char *id;
  const oci_config *config;
  oci_process *p;
  struct runtime_caps *caps;
  struct runtime_seccomp *seccomp;
  char *user_name; /* "NAME" or "NAME:" (gid given) */
  int sync_fd;
  int init_pidfd;
  int ns_flags;     /* namespaces to join */
  int ns_fds[N_NS]; /* /proc/PID/ns files, for kernels without pidfd setns */
  int root_fd;      /* the init's root when it shares our mount namespace
                       (a container without one): we chroot there */
  int preserve_fds;
  char **cgroup_paths; /* the container's cgroup */
  /* self: the helper enters it on GO, before any namespace */
  struct runtime_cgroup_birth cgroup_birth;
};

static __attribute__ ((noreturn)) void
child_die (struct exec_child *a, reg_error_t *err)
{
  runtime_sync_send_error (a->sync_fd, err);
  _exit (1);
}

static int
join_namespaces (struct exec_child *a, reg_error_t *err)
{
  if (a->ns_flags == 0)
    return 0;
  /* One call, all or nothing, ordered by the kernel (5.8+).  The
     environment variable makes the tests cover the older kernels' path.  */
  if (getenv ("REG_RUNC_TEST_NO_PIDFD_SETNS") == NULL)
    {
      if (setns (a->init_pidfd, a->ns_flags) == 0)
        return 0;
      if (errno != EINVAL)
        return reg_make_error (err, errno, "setns into the container's namespaces");
    }
  for (size_t i = 0; i < N_NS; i++)
    if ((a->ns_flags & ns_kinds[i].flag) && setns (a->ns_fds[i], ns_kinds[i].flag) < 0)
      return reg_make_error (err, errno, "setns into the container's %s namespace", ns_kinds[i].name);
  return 0;
}

/* Joining a mount namespace moves us to its root; sharing ours, the
   container's root is where its init chrooted.  */
static int
enter_root (struct exec_child *a, reg_error_t *err)
{
  if (a->root_fd < 0)
    return 0;
  if (fchdir (a->root_fd) < 0 || chroot (".") < 0)
    return reg_make_error (err, errno, "chroot into the container's root");
  close (a->root_fd);
  a->root_fd = -1;
  return 0;
}

/* NAME's uid, gid and home in the container's /etc/passwd.  */
static int
lookup_user (const char *name, uid_t uid, bool by_name, uid_t *uid_out, gid_t *gid_out, char **home, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  char *line, *save = NULL;

  if (read_all_file ("/etc/passwd", 1 << 20, &data, NULL, NULL) == 0)
    for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        /* name:passwd:uid:gid:gecos:home:shell */
        char *f[7] = { NULL };
        int i = 0;
        uint32_t u, g;
        for (char *q = line; i < 7 && q; i++)
          {
            f[i] = q;
            q = strchr (q, ':');
            if (q)
              *q++ = '\0';
          }
        if (i < 4 || parse_id (f[2], &u) < 0 || parse_id (f[3], &g) < 0)
          continue;
        if (by_name ? strcmp (f[0], name) != 0 : u != uid)
          continue;
        *uid_out = u;
        *gid_out = g;
        if (home && i >= 6 && f[5] && *f[5])
          *home = xstrdup (f[5]);
        return 0;
      }
  if (by_name)
    {
      reg_make_error (err, 0, "exec: unable to find user %s: no matching entries in the container's /etc/passwd", name);
      (*err)->status = ENOENT;
      return -ENOENT;
    }
  return -ENOENT;
}

/* Load the container's filter; a NOTIFY listener fd goes to the runtime,
   which hands it to listenerPath (runtime_seccomp_build refuses NOTIFY on
   sendmsg, so the send itself cannot block on it).  */
static int
load_seccomp (struct exec_child *a, reg_error_t *err)
{
  return runtime_init_load_seccomp (a->seccomp, a->sync_fd, err);
}

static int
child_setup (struct exec_child *a, char **exec_path, char ***envp, reg_error_t *err)
{
  oci_process *p = a->p;
  oci_config cfg = *a->config;
  cleanup_free char *home = NULL;
  cleanup_close int rootfd = -1;
  int slave = -1, master = -1;
  const char *home_env = oci_env_get ((const char *const *)p->env.items, "HOME");
  /* An empty HOME (Podman sends "HOME=") is filled in, as runc does.  */
  bool has_home = home_env && *home_env;
  bool seccomp_pending;
  size_t n;
  int ret;

  cfg.process = p;
  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return reg_make_error (err, errno, "open the container's root");

  if (p->terminal)
    {
      ret = runtime_terminal_open (rootfd, p, &master, &slave, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = runtime_sync_send (a->sync_fd, RUNTIME_SYNC_CONSOLE, 0, NULL, 0, master, err);
      close (master);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  if (a->user_name)
    {
      size_t l = strlen (a->user_name);
      bool gid_given = l && a->user_name[l - 1] == ':';
      uid_t uid;
      gid_t gid;
      if (gid_given)
        a->user_name[l - 1] = '\0';
      ret = lookup_user (a->user_name, 0, true, &uid, &gid, &home, err);
      if (UNLIKELY (ret < 0))
        return ret;
      p->user.uid = uid;
      if (!gid_given)
        p->user.gid = gid;
    }
  else if (!has_home)
    {
      uid_t u;
      gid_t g;
      (void)lookup_user (NULL, p->user.uid, false, &u, &g, &home, NULL);
    }

  /* The environment: the process's, plus HOME as runc sets it.  */
  n = 0;
  *envp = xmalloc0 ((p->env.len + 2) * sizeof (char *));
  for (size_t i = 0; i < p->env.len; i++)
    if (has_home || !has_prefix (p->env.items[i], "HOME="))
      (*envp)[n++] = p->env.items[i];
  if (!has_home)
    xasprintf (&(*envp)[n], "HOME=%s", home ? home : "/");

  ret = runtime_process_set_attributes (&cfg, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_process_set_affinity (p, false, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_init_prepare_process (p, a->caps, a->seccomp, a->sync_fd, slave, exec_path, &seccomp_pending, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_process_set_affinity (p, true, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* The runtime may exit once we exec (--detach): no death signal then.  */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (seccomp_pending)
    {
      ret = load_seccomp (a, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

static __attribute__ ((noreturn)) void
exec_process (struct exec_child *a)
{
  cleanup_free char *exec_path = NULL;
  char **envp = NULL;
  reg_error_t err = NULL;

  if (child_setup (a, &exec_path, &envp, &err) < 0)
    child_die (a, &err);
  /* Only stdio and the preserved fds reach the process; the sync socket
     closes at execve, which tells the runtime it succeeded.  */
  syscall (SYS_close_range, 3 + a->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  execve (exec_path, a->p->args.items, envp);
  runtime_exec_error (&err, errno, a->p->args.items[0], NULL);
  child_die (a, &err);
}

/* C: join the namespaces, clone G into them, report its pid, exit.  */
static __attribute__ ((noreturn)) void
helper_main (struct exec_child *a)
{
  reg_error_t err = NULL;
  struct runtime_sync_msg msg;
  struct clone_args ca = { .flags = CLONE_PARENT, .exit_signal = 0 };
  sigset_t none;
  pid_t pid;
  int32_t ipid;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (runtime_sync_expect (a->sync_fd, RUNTIME_SYNC_GO, &msg, &err) < 0)
    _exit (1);
  runtime_sync_msg_clear (&msg);
  /* With the host's rights, before the namespaces are joined.  */
  if (a->cgroup_birth.self && runtime_cgroup_enter_self (a->cgroup_paths, a->cgroup_birth.born_in, &err) < 0)
    child_die (a, &err);
  if (join_namespaces (a, &err) < 0 || enter_root (a, &err) < 0)
    child_die (a, &err);
  for (size_t i = 0; i < N_NS; i++)
    if (a->ns_fds[i] >= 0)
      close (a->ns_fds[i]);
  close (a->init_pidfd);

  /* clone3 refuses an exit signal with CLONE_PARENT: G inherits ours
     (SIGCHLD) and reports to the runtime, which can wait for it.  */
  pid = (pid_t)syscall (SYS_clone3, &ca, sizeof (ca));
  if (pid < 0)
    {
      reg_make_error (&err, errno, "clone the exec process");
      child_die (a, &err);
    }
  if (pid == 0)
    {
      /* The runtime dies: so do we, until execve.  */
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      exec_process (a);
    }
  ipid = pid;
  (void)runtime_sync_send (a->sync_fd, RUNTIME_SYNC_INIT_PID, 0, &ipid, sizeof (ipid), -1, NULL);
  _exit (0);
}

/* ---- the runtime side ---- */

struct exec_run
{
  struct exec_child a;
  oci_config *config;
  oci_process *process;
  struct runtime_cgroup cg;
  int console_fd;
  int sync_fd; /* our end */
  pid_t helper;
  pid_t pid; /* G */
  int pidfd;
  int master; /* tty without --console-socket */
};

static void
exec_run_free (struct exec_run *r)
{
  for (size_t i = 0; i < N_NS; i++)
    if (r->a.ns_fds[i] >= 0)
      close (r->a.ns_fds[i]);
  if (r->a.init_pidfd >= 0)
    close (r->a.init_pidfd);
  if (r->a.root_fd >= 0)
    close (r->a.root_fd);
  if (r->a.sync_fd >= 0)
    close (r->a.sync_fd);
  if (r->sync_fd >= 0)
    close (r->sync_fd);
  if (r->console_fd >= 0)
    close (r->console_fd);
  if (r->pidfd >= 0)
    close (r->pidfd);
  if (r->master >= 0)
    close (r->master);
  runtime_caps_free (r->a.caps);
  runtime_seccomp_free (r->a.seccomp);
  free (r->a.user_name);
  runtime_cgroup_clear (&r->cg);
  oci_process_free (r->process);
  oci_config_free (r->config);
}

/* Kill and reap what we started, on an error.  */
static void
exec_run_abort (struct exec_run *r)
{
  if (r->helper > 0)
    {
      kill (r->helper, SIGKILL);
      waitpid (r->helper, NULL, 0);
    }
  if (r->pid > 0)
    {
      kill (r->pid, SIGKILL);
      waitpid (r->pid, NULL, 0);
    }
}

/* Which namespaces of the init differ from ours; open them all now.  */
static int
open_namespaces (struct exec_run *r, pid_t init, int floor, reg_error_t *err)
{
  for (size_t i = 0; i < N_NS; i++)
    {
      char path[64], self[64];
      struct stat a, b;
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", init, ns_kinds[i].name);
      snprintf (self, sizeof (self), "/proc/self/ns/%s", ns_kinds[i].name);
      if (stat (path, &a) < 0)
        {
          if (errno == ENOENT) /* a kernel without this namespace type */
            continue;
          return reg_make_error (err, errno, "stat `%s`", path);
        }
      if (stat (self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        {
          if (ns_kinds[i].flag == CLONE_NEWNS)
            {
              snprintf (path, sizeof (path), "/proc/%d/root", init);
              r->a.root_fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (r->a.root_fd < 0)
                return reg_make_error (err, errno, "open `%s`", path);
              r->a.root_fd = fd_above (r->a.root_fd, floor, err);
              if (r->a.root_fd < 0)
                return reg_error_ret (err);
            }
          continue;
        }
      r->a.ns_fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (r->a.ns_fds[i] < 0)
        return reg_make_error (err, errno, "open `%s`", path);
      r->a.ns_fds[i] = fd_above (r->a.ns_fds[i], floor, err);
      if (r->a.ns_fds[i] < 0)
        return reg_error_ret (err);
      r->a.ns_flags |= ns_kinds[i].flag;
    }
  return 0;
}

/* Wait until G has exec'd (end of file on the sync socket) or failed.  */
/* The container's state with the exec'd process's notify fd to the
   seccomp agent at listenerPath, as create does for the init.  */
static int
send_notify_fd (struct exec_run *r, const struct runtime_status *st, int fd, reg_error_t *err)
{
  oci_state s = {
    .oci_version = OCI_SPEC_VERSION,
    .id = st->id,
    .status = "running",
    .pid = st->pid,
    .bundle = st->bundle,
    .annotations = &st->annotations,
    .rootfs = st->rootfs,
    .created = st->created,
    .owner = st->owner,
  };
  cleanup_free char *json = NULL;

  if (fd < 0)
    return reg_make_error (err, EPROTO, "sync: no seccomp notify fd");
  json = oci_state_to_json (&s, false, NULL);
  return runtime_seccomp_send_listener (runtime_seccomp_listener_path (r->a.seccomp), fd, r->pid, json,
                                        runtime_seccomp_listener_metadata (r->a.seccomp), err);
}

static int
wait_exec (struct exec_run *r, const struct runtime_status *st, bool want_master, reg_error_t *err)
{
  for (;;)
    {
      struct runtime_sync_msg msg;
      char c;
      ssize_t n = TEMP_FAILURE_RETRY_INT (recv (r->sync_fd, &c, 1, MSG_PEEK));
      int ret;

      if (n < 0)
        return reg_make_error (err, errno, "sync: receive");
      if (n == 0)
        return 0;
      ret = runtime_sync_recv (r->sync_fd, &msg, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (msg.type == RUNTIME_SYNC_ERROR)
        {
          ret = reg_make_error (err, 0, "%s", msg.data);
          (*err)->status = msg.error;
          runtime_sync_msg_clear (&msg);
          return ret;
        }
      if (msg.type == RUNTIME_SYNC_SECCOMP)
        {
          ret = send_notify_fd (r, st, msg.fd, err);
          runtime_sync_msg_clear (&msg);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      if (msg.type == RUNTIME_SYNC_CONSOLE)
        {
          ret = runtime_terminal_forward_master (r->console_fd, want_master, &msg.fd, &r->master, err);
          runtime_sync_msg_clear (&msg);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      runtime_sync_msg_clear (&msg);
      return reg_make_error (err, EPROTO, "sync: unexpected message %d", msg.type);
    }
}

static int
spawn (struct exec_run *r, const struct runtime_exec_options *o, const struct runtime_status *st, reg_error_t *err)
{
  int keep = 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0);
  struct clone_args ca = { .exit_signal = SIGCHLD };
  struct runtime_cgroup_birth birth;
  int pair[2];
  pid_t pid;
  int ret;

  r->a.init_pidfd = runtime_container_open_init (st);
  if (r->a.init_pidfd < 0)
    return reg_make_error (err, 0, "container \"%s\" is not running", st->id);
  r->a.init_pidfd = fd_above (r->a.init_pidfd, keep, err);
  if (r->a.init_pidfd < 0)
    return reg_error_ret (err);
  ret = open_namespaces (r, st->pid, keep, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_sync_pair (pair, err);
  if (UNLIKELY (ret < 0))
    return ret;
  r->sync_fd = fd_above (pair[0], keep, err);
  r->a.sync_fd = fd_above (pair[1], keep, err);
  if (r->console_fd >= 0)
    r->console_fd = fd_above (r->console_fd, keep, err);
  if (r->sync_fd < 0 || r->a.sync_fd < 0 || (o->console_socket && r->process->terminal && r->console_fd < 0))
    return reg_error_ret (err);
  r->a.preserve_fds = keep - 3;

  pid = runtime_cgroup_clone (&r->cg, &ca, true, &birth);
  if (pid < 0)
    return reg_make_error (err, errno, "clone the exec helper");
  if (pid == 0)
    {
      r->a.cgroup_paths = r->cg.paths;
      r->a.cgroup_birth = birth;
      close (r->sync_fd);
      if (r->console_fd >= 0)
        close (r->console_fd);
      helper_main (&r->a);
    }
  r->helper = pid;
  close (r->a.sync_fd);
  r->a.sync_fd = -1;

  /* The cgroup and oom_score_adj before the namespaces, with the host's
     privileges: the helper's child inherits both.  */
  if (!birth.self)
    {
      ret = runtime_cgroup_enter (&r->cg, pid, birth.born_in, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "exec: enter the container's cgroup");
    }
  ret = runtime_process_set_oom_score_adj (pid, r->process, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_sync_send (r->sync_fd, RUNTIME_SYNC_GO, 0, NULL, 0, -1, err);
  if (UNLIKELY (ret < 0))
    return ret;
  r->helper = 0;
  ret = runtime_sync_take_pid (r->sync_fd, pid, &r->pid, &r->pidfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return wait_exec (r, st, !o->detach && o->console_socket == NULL, err);
}

static int
load_process (struct exec_run *r, const struct runtime_exec_options *o, int dirfd, const struct runtime_status *st,
              reg_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *config_path = NULL;
  bool from_file = o->process_file != NULL;
  size_t len = 0;
  int ret;

  /* The config of create, kept in the state dir (the container's process,
     seccomp filter); a container made before that: the bundle's.  */
  if (read_all_file_at (dirfd, RUNTIME_EXEC_CONFIG, OCI_MAX_DOCUMENT, &data, &len, NULL) == 0)
    ret = oci_config_parse (data, len, "config.json", &r->config, err);
  else
    {
      xasprintf (&config_path, "%s/config.json", st->bundle);
      ret = oci_config_parse_file (config_path, &r->config, err);
    }
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "exec: container \"%s\"", st->id);
  if (from_file)
    {
      ret = oci_process_parse_file (o->process_file, &r->process, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  else if (r->config->process)
    r->process = steal_pointer (&r->config->process);
  else
    r->process = xmalloc0 (sizeof (oci_process));
  ret = runtime_exec_make_process (r->process, from_file, from_file ? r->config->process : NULL, o, &r->a.user_name,
                                   err);
  if (UNLIKELY (ret < 0))
    return ret;
  r->a.p = r->process;
  r->a.config = r->config;
  r->a.id = st->id;
  ret = reg_phase_check_process (r->config, r->process, st->reg_mode, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "exec");

  ret = runtime_caps_resolve_at (&r->process->capabilities,
                                 from_file ? "process.json: capabilities" : "exec: capabilities", &r->a.caps, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_lsm_check (r->process, NULL, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_seccomp_build (&r->config->linux_cfg.seccomp, &r->a.seccomp, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return 0;
}

static void
block_forwarded_signals (void)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
  sigset_t set;

  sigemptyset (&set);
  for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    sigaddset (&set, sigs[i]);
  sigprocmask (SIG_BLOCK, &set, NULL);
}

static int
wait_foreground (struct exec_run *r, reg_error_t *err)
{
  struct termios raw, saved;
  struct winsize ws;
  int status;

  if (r->master < 0 || !isatty (0))
    return runtime_container_wait_process (r->pid, r->pidfd, r->master, err);
  /* Our terminal becomes the process's, raw, until it exits (as run).  */
  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (r->master, TIOCSWINSZ, &ws);
  if (tcgetattr (0, &saved) < 0)
    return runtime_container_wait_process (r->pid, r->pidfd, r->master, err);
  raw = saved;
  cfmakeraw (&raw);
  tcsetattr (0, TCSANOW, &raw);
  status = runtime_container_wait_process (r->pid, r->pidfd, r->master, err);
  tcsetattr (0, TCSANOW, &saved);
  return status;
}

int
runtime_container_exec (struct runtime_context *ctx, const char *id, const struct runtime_exec_options *o,
                        reg_error_t *err)
{
  struct exec_run r;
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  enum runtime_container_status s;
  int ret;

  memset (&r, 0, sizeof (r));
  r.console_fd = r.sync_fd = r.pidfd = r.master = r.a.sync_fd = r.a.init_pidfd = r.a.root_fd = -1;
  for (size_t i = 0; i < N_NS; i++)
    r.a.ns_fds[i] = -1;

  ret = runtime_status_validate_id (id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* Shared: many execs at once; delete waits until the process exec'd.  */
  ret = runtime_status_open (ctx->state_root, id, true, &dirfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_status_read (dirfd, id, &st, err);
  if (UNLIKELY (ret < 0))
    return ret;
  s = runtime_status_current (dirfd, &st);
  if (s == RUNTIME_STATUS_STOPPED)
    return reg_make_error (err, 0, "container \"%s\" is not running", id);
  if (!o->ignore_paused && s == RUNTIME_STATUS_PAUSED)
    return reg_make_error (err, 0, "cannot exec in a paused container");

  /* The signals we forward are blocked from now on, so none is lost
     between the process's execve and our wait (the children unblock them).  */
  block_forwarded_signals ();
  ret = load_process (&r, o, dirfd, &st, err);
  if (ret == 0 && r.process->terminal && o->detach && o->console_socket == NULL)
    ret = reg_make_error (err, EINVAL, "exec: --tty with --detach requires --console-socket");
  if (ret == 0 && r.process->terminal && o->console_socket)
    ret = runtime_terminal_connect (o->console_socket, &r.console_fd, err);
  /* The cgroup the state recorded (none when create had cgroups
     disabled), whatever this command's global flags say.  */
  if (ret == 0)
    ret = exec_cgroup (st.cgroup_paths, o->cgroup, &r.cg, err);
  if (ret == 0)
    ret = spawn (&r, o, &st, err);
  if (ret == 0 && o->pid_file)
    ret = runtime_container_write_pid_file (o->pid_file, r.pid, err);
  if (ret < 0)
    {
      exec_run_abort (&r);
      exec_run_free (&r);
      return ret;
    }
  /* Exec'd: the container is free for other commands again.  */
  close (steal_fd (&dirfd));
  if (o->detach)
    {
      exec_run_free (&r);
      return 0;
    }
  ret = wait_foreground (&r, err);
  exec_run_free (&r);
  return ret;
}
