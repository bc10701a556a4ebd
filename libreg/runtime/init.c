/* libreg: the container's init (see init.h).
 *
 * Order (runtime-spec runtime.md "Lifecycle" and config.md hooks):
 * namespaces, hostname, root and mounts, devices, console, [hooks: prestart
 * and createRuntime in the parent, createContainer here], pivot_root, masked
 * and read-only paths, sysctl, process attributes, rlimits, user,
 * capabilities, LSM exec labels, no_new_privileges, "created" to the parent;
 * then wait for start, startContainer hooks, seccomp, execve.
 *
 * The seccomp filter goes as late as it can (see seccomp_point): after the
 * wait for start normally, so the filter never sees our own syscalls; before
 * "created" when it has NOTIFY rules (the listener gets the fd while the
 * container is "creating", over our sync socket, which is gone later); and
 * before the uid change when loading it needs CAP_SYS_ADMIN that the
 * configured capabilities would drop (no no_new_privileges), as runc does.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks.h"
#include "init.h"
#include "lsm.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static __attribute__ ((noreturn)) void
die (struct runtime_init_args *a, reg_error_t *err)
{
  runtime_sync_send_error (a->sync_fd, err);
  _exit (1);
}

/* The indirect path: namespaces that need the calling process to do the
   work (joining a user or pid namespace, a time namespace with offsets).
   Runs in the intermediate process, which forks the init (CLONE_PARENT, so
   the init is the caller's child) and exits.  */
static void
intermediate (struct runtime_init_args *a)
{
  reg_error_t err = NULL;
  struct runtime_sync_msg msg;
  int flags = a->unshare_flags;
  int later = CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWTIME | CLONE_NEWUSER;
  struct clone_args ca = { .flags = CLONE_PARENT, .exit_signal = 0 };
  pid_t pid;
  int32_t ipid;

  if (a->reg_premount && runtime_mounts_reg_premount (a->plan, a->rootfs, &err) < 0)
    die (a, &err);
  /* Every namespace given by path first, the user namespace before the
     others, while we still have the host's privileges.  */
  if (runtime_ns_join (a->config, true, true, &err) < 0)
    die (a, &err);
  if (flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          reg_make_error (&err, errno, "unshare the user namespace");
          die (a, &err);
        }
      if (runtime_sync_send (a->sync_fd, RUNTIME_SYNC_USERNS, 0, NULL, 0, -1, &err) < 0)
        _exit (1);
    }
  if (runtime_sync_expect (a->sync_fd, RUNTIME_SYNC_GO, &msg, &err) < 0)
    _exit (1);
  runtime_sync_msg_clear (&msg);
  /* The maps are written (see spawn in container.c).  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if ((flags & CLONE_NEWUSER) && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      reg_make_error (&err, errno, "become root in the user namespace");
      die (a, &err);
    }
  if ((flags & ~later) && unshare (flags & ~later) < 0)
    {
      reg_make_error (&err, errno, "unshare namespaces");
      die (a, &err);
    }
  /* The parent has put us in the container's cgroup: it is the root of the
     new cgroup namespace.  */
  if (flags & (CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWTIME))
    if (unshare (flags & (CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWTIME)) < 0)
      {
        reg_make_error (&err, errno, "unshare namespaces");
        die (a, &err);
      }
  if (flags & CLONE_NEWTIME)
    {
      /* Non-dumpable, /proc/self belongs to the host's root and
         timens_offsets is out of reach of the namespace's root: dumpable
         only for that write, before any process of the container can
         exist to look.  */
      if (flags & CLONE_NEWUSER)
        prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
      if (runtime_ns_write_time_offsets (a->config, &err) < 0)
        die (a, &err);
      prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
    }

  /* clone3 refuses an exit signal with CLONE_PARENT: the init inherits
     ours (SIGCHLD) and reports to our parent.  */
  pid = (pid_t)syscall (SYS_clone3, &ca, sizeof (ca));
  if (pid < 0)
    {
      reg_make_error (&err, errno, "clone the container's init");
      die (a, &err);
    }
  if (pid == 0)
    {
      a->unshare_flags = 0;
      return;
    }
  ipid = pid;
  (void)runtime_sync_send (a->sync_fd, RUNTIME_SYNC_INIT_PID, 0, &ipid, sizeof (ipid), -1, NULL);
  _exit (0);
}

/* HOME, when process.env has none: the user's entry in the container's
   /etc/passwd, else "/", as runc sets it.  */
static void
add_home (struct runtime_init_args *a, uid_t uid)
{
  cleanup_free char *data = NULL;
  const char *home = "/";
  char *line, *save = NULL;
  size_t n = 0;

  for (char **e = a->env; e && *e; e++, n++)
    if (has_prefix (*e, "HOME="))
      return;
  if (read_all_file ("/etc/passwd", 1 << 20, &data, NULL, NULL) == 0)
    for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        /* name:passwd:uid:gid:gecos:home:shell */
        char *f[7] = { NULL };
        int i = 0;
        for (char *p = line; i < 7 && p; i++)
          {
            f[i] = p;
            p = strchr (p, ':');
            if (p)
              *p++ = '\0';
          }
        if (i >= 6 && f[2] && strtoul (f[2], NULL, 10) == uid && f[5] && *f[5])
          {
            home = f[5];
            break;
          }
      }
  a->env = xrealloc (a->env, (n + 2) * sizeof (char *));
  xasprintf (&a->env[n], "HOME=%s", home);
  a->env[n + 1] = NULL;
}

static int
wait_for_start (struct runtime_init_args *a, reg_error_t *err)
{
  char c;
  ssize_t r = TEMP_FAILURE_RETRY_INT (read (a->fifo_fd, &c, 1));
  if (r != 1)
    return reg_make_error (err, r < 0 ? errno : EPIPE, "wait for start");
  /* The fifo stays open until execve (O_CLOEXEC) or exit: its closing tells
     a start that waits for the startContainer hooks that we are done.  */
  return 0;
}

/* Without no_new_privileges, loading a filter needs CAP_SYS_ADMIN: when the
   process is about to lose it, the filter goes before the user change, as
   runc does; else as late as possible, so it never sees our own
   syscalls.  */
static bool
seccomp_before_user (const oci_process *p, const struct runtime_caps *caps, const struct runtime_seccomp *f)
{
  bool keeps_sys_admin;

  if (f == NULL || p->no_new_privileges)
    return false;
  keeps_sys_admin
      = caps && caps->configured ? (caps->effective & (UINT64_C (1) << CAP_SYS_ADMIN)) != 0 : p->user.uid == 0;
  return !keeps_sys_admin;
}

/* Load the filter; a notify fd goes to the parent (which hands it to
   listenerPath) and is closed here.  */
int
runtime_init_load_seccomp (struct runtime_seccomp *f, int sync_fd, reg_error_t *err)
{
  int fd = -1;
  int ret = runtime_seccomp_load (f, &fd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (fd < 0)
    return 0;
  if (sync_fd < 0)
    {
      close (fd);
      return reg_make_error (err, EINVAL, "seccomp: no channel for the notify fd");
    }
  ret = runtime_sync_send (sync_fd, RUNTIME_SYNC_SECCOMP, 0, NULL, 0, fd, err);
  close (fd);
  return ret;
}

static int
load_seccomp (struct runtime_init_args *a, reg_error_t *err)
{
  return runtime_init_load_seccomp (a->seccomp, a->sync_fd, err);
}

int
runtime_init_prepare_process (const oci_process *p, const struct runtime_caps *caps, struct runtime_seccomp *seccomp,
                              int sync_fd, int slave, char **exec_path, bool *seccomp_pending, reg_error_t *err)
{
  int ret;

  *seccomp_pending = seccomp != NULL;
  ret = runtime_process_enter (p, slave, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (seccomp_before_user (p, caps, seccomp))
    {
      ret = runtime_init_load_seccomp (seccomp, sync_fd, err);
      if (UNLIKELY (ret < 0))
        return ret;
      *seccomp_pending = false;
    }
  ret = runtime_caps_before_setuid (err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_process_set_user (p, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* The user's own view of the root decides what it may execute.  */
  ret = runtime_process_find_executable (p->args.len ? p->args.items[0] : NULL,
                                         oci_env_get ((const char *const *)p->env.items, "PATH"), exec_path, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* After the uid change that PR_SET_KEEPCAPS survived.  */
  ret = runtime_caps_apply (caps, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "process.capabilities");
  /* Before no_new_privileges: AppArmor refuses most profile changes
     under it.  The label takes effect at execve.  */
  ret = runtime_lsm_set_exec_label (p, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return reg_make_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

static int
setup (struct runtime_init_args *a, char **exec_path, char **state_json, reg_error_t *err)
{
  const oci_config *c = a->config;
  const oci_process *p = c->process;
  struct runtime_mount_ctx mctx = {
    .config = c,
    .bundle = a->bundle,
    .rootfs = a->rootfs,
    .plan = a->plan,
    /* Rootless Podman's uid 0 runs us in its user namespace: no mknod.  */
    .userns = oci_config_namespace (c, OCI_NS_USER) != NULL || running_rootless (),
    .cgroupns = oci_config_namespace (c, OCI_NS_CGROUP) != NULL,
    .cgroup_paths = a->cgroup_paths,
    .no_pivot = a->no_pivot,
    .reg_premounted = a->reg_premount,
    .host_mntns = a->host_mntns,
  };
  struct runtime_sync_msg msg;
  cleanup_close int rootfd = -1;
  int master = -1, slave = -1;
  int ret;

  if (a->indirect)
    intermediate (a); /* returns in the init only */
  else
    {
      ret = runtime_sync_expect (a->sync_fd, RUNTIME_SYNC_GO, &msg, err);
      if (UNLIKELY (ret < 0))
        _exit (1);
      runtime_sync_msg_clear (&msg);
      /* Into the cgroup before the cgroup namespace is made, with the
         host's rights (no user namespace then, see runtime_cgroup_clone).  */
      if (a->cgroup_birth.self)
        {
          ret = runtime_cgroup_enter_self (a->cgroup_paths, a->cgroup_birth.born_in, err);
          if (UNLIKELY (ret < 0))
            return ret;
        }
      /* The maps are written (see spawn in container.c): non-dumpable
         again, and the namespace's root (our host uid may not be mapped at
         all).  */
      prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
      if (runtime_ns_new_flags (c) & CLONE_NEWUSER)
        if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
          return reg_make_error (err, errno, "become root in the user namespace");
      ret = runtime_ns_join (c, false, true, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if ((a->unshare_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
        return reg_make_error (err, errno, "unshare the cgroup namespace");
    }

  ret = runtime_process_set_affinity (p, false, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (oci_config_namespace (c, OCI_NS_UTS))
    {
      ret = runtime_ns_set_hostname (c, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  /* Devices get the modes asked for, not masked by the caller's umask.  */
  umask (0);
  if (a->host_mntns)
    {
      rootfd = open (a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return reg_make_error (err, errno, "open root `%s`", a->rootfs);
    }
  else
    {
      ret = runtime_mounts_prepare_root (&mctx, &rootfd, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  ret = runtime_mounts_config (&mctx, rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_mounts_devices (&mctx, rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (p && p->terminal)
    {
      ret = runtime_terminal_open (rootfd, p, &master, &slave, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = runtime_mounts_console (rootfd, slave, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = runtime_sync_send (a->sync_fd, RUNTIME_SYNC_CONSOLE, 0, NULL, 0, master, err);
      if (UNLIKELY (ret < 0))
        return ret;
      close (master);
    }
  if (p && p->cwd)
    {
      ret = runtime_mounts_mkdir_in_root (rootfd, p->cwd, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "process.cwd");
    }

  if (a->hooks)
    {
      ret = runtime_sync_send (a->sync_fd, RUNTIME_SYNC_HOOKS, 0, NULL, 0, -1, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = runtime_sync_expect (a->sync_fd, RUNTIME_SYNC_HOOKS_DONE, &msg, err);
      if (UNLIKELY (ret < 0))
        _exit (1);
      *state_json = steal_pointer (&msg.data);
      runtime_sync_msg_clear (&msg);
      /* createContainer: in the container's namespaces, before pivot_root.  */
      ret = runtime_hooks_run (&c->hooks.create_container, "createContainer", *state_json, false, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  ret = runtime_mounts_pivot (&mctx, rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* sysctl before the read-only paths: /proc/sys is usually one.  */
  ret = runtime_sysctl_apply (c, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_mounts_finalize (&mctx, err);
  if (UNLIKELY (ret < 0))
    return ret;

  ret = runtime_process_set_attributes (c, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (!a->no_new_keyring)
    {
      ret = runtime_process_join_keyring (a->id, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (p == NULL)
    return 0;
  add_home (a, p->user.uid);

  ret = runtime_init_prepare_process (p, a->caps, a->seccomp, a->sync_fd, slave, exec_path, &a->seccomp_pending, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* A NOTIFY listener's fd goes back over the sync socket, which is gone
     after "created".  */
  if (a->seccomp_pending && runtime_seccomp_has_notify (a->seccomp))
    {
      ret = load_seccomp (a, err);
      if (UNLIKELY (ret < 0))
        return ret;
      a->seccomp_pending = false;
    }
  return 0;
}

void
runtime_init_main (struct runtime_init_args *a)
{
  cleanup_free char *exec_path = NULL;
  cleanup_free char *state_json = NULL;
  reg_error_t err = NULL;
  const oci_process *p = a->config->process;
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* Die with the caller while it still waits for us.  */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  if (setup (a, &exec_path, &state_json, &err) < 0)
    die (a, &err);
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (runtime_sync_send (a->sync_fd, RUNTIME_SYNC_CREATED, 0, NULL, 0, -1, &err) < 0)
    _exit (1);
  close (a->sync_fd);
  a->sync_fd = -1;

  if (wait_for_start (a, &err) < 0)
    goto fail;
  if (p == NULL)
    {
      reg_make_error (&err, EINVAL, "config.json has no process to start");
      goto fail;
    }
  if (state_json
      && runtime_hooks_run (&a->config->hooks.start_container, "startContainer", state_json, false, &err) < 0)
    goto fail;
  if (runtime_process_set_affinity (p, true, &err) < 0)
    goto fail;

  /* Only stdio and the preserved fds reach the container's process;
     before the filter, which might deny close_range.  */
  syscall (SYS_close_range, 3 + a->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  /* The last step before execve, which the profile must allow.  */
  if (a->seccomp_pending && load_seccomp (a, &err) < 0)
    goto fail;
  execve (exec_path, p->args.items, a->env);
  runtime_exec_error (&err, errno, p->args.items[0], NULL);
fail:
  /* Nobody listens on the sync socket any more: a start waiting for the
     startContainer hooks reads the error from start.result; stderr gets it
     too.  Written before we exit, which is what that start waits for.  */
  if (a->result_fd >= 0 && err && err->msg)
    (void)write_all (a->result_fd, err->msg, strlen (err->msg), NULL);
  reg_error_print (&err, "reg-runc init");
  _exit (127);
}
