/* libreg: process attributes (see process.h).  */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process.h"
#include "terminal.h"
#include "utils.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* glibc has no wrapper for sched_setattr.  */
struct sched_attr_v1
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

int
runtime_process_set_attributes (const oci_config *config, reg_error_t *err)
{
  const oci_process *p = config->process;
  const oci_personality *pers = &config->linux_cfg.personality;

  if (pers->present && personality (pers->persona) < 0)
    return reg_make_error (err, errno, "personality `%s`", pers->domain);
  if (p == NULL)
    return 0;
  if (p->io_priority.present)
    {
      int prio = IOPRIO_PRIO_VALUE (p->io_priority.ioclass, p->io_priority.priority);
      if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
        return reg_make_error (err, errno, "ioprio_set");
    }
  if (p->scheduler.present)
    {
      const oci_scheduler *s = &p->scheduler;
      struct sched_attr_v1 a = {
        .size = sizeof (a),
        .sched_policy = (uint32_t)s->policy,
        .sched_flags = s->flags_mask,
        .sched_nice = s->has_nice ? s->nice : 0,
        .sched_priority = s->has_priority ? (uint32_t)s->priority : 0,
        .sched_runtime = s->runtime,
        .sched_deadline = s->deadline,
        .sched_period = s->period,
      };
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return reg_make_error (err, errno, "sched_setattr `%s`", s->policy_name);
    }
  return 0;
}

int
runtime_process_set_rlimits (const oci_process *p, reg_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit r = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &r) < 0)
        return reg_make_error (err, errno, "setrlimit `%s`", p->rlimits[i].type);
    }
  return 0;
}

/* "0-3,7" -> cpu set.  */
static int
parse_cpus (const char *s, cpu_set_t *set, reg_error_t *err)
{
  cleanup_free char *copy = xstrdup (s);
  char *save = NULL;

  CPU_ZERO (set);
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *dash = strchr (tok, '-');
      uint64_t a, b;
      if (dash)
        *dash = '\0';
      if (parse_uint64 (tok, &a) < 0 || (dash && parse_uint64 (dash + 1, &b) < 0))
        return reg_make_error (err, 0, "execCPUAffinity: invalid CPU list `%s`", s);
      if (!dash)
        b = a;
      if (b < a || b >= CPU_SETSIZE)
        return reg_make_error (err, 0, "execCPUAffinity: invalid CPU list `%s`", s);
      for (uint64_t c = a; c <= b; c++)
        CPU_SET (c, set);
    }
  return 0;
}

int
runtime_process_set_affinity (const oci_process *p, bool final, reg_error_t *err)
{
  const char *cpus;
  cpu_set_t set;
  int ret;

  if (p == NULL || !p->exec_cpu_affinity.present)
    return 0;
  cpus = final ? p->exec_cpu_affinity.final : p->exec_cpu_affinity.initial;
  if (cpus == NULL || *cpus == '\0')
    return 0;
  ret = parse_cpus (cpus, &set, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (sched_setaffinity (0, sizeof (set), &set) < 0)
    return reg_make_error (err, errno, "execCPUAffinity: sched_setaffinity `%s`", cpus);
  return 0;
}

int
runtime_process_join_keyring (const char *name, reg_error_t *err)
{
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0)
    {
      /* Keyrings may be unavailable (ENOSYS) or denied by a seccomp profile
         of the caller; runc goes on without one too.  */
      if (errno == ENOSYS || errno == EPERM || errno == EACCES)
        return 0;
      return reg_make_error (err, errno, "join a session keyring");
    }
  return 0;
}

int
runtime_process_set_user (const oci_process *p, reg_error_t *err)
{
  const oci_user *u = &p->user;
  gid_t *groups = (gid_t *)u->additional_gids;

  if (setgroups (u->n_additional_gids, groups) < 0)
    {
      /* setgroups is denied in a user namespace whose gid map was written
         after "deny": only an empty list is then acceptable.  */
      if (!(errno == EPERM && u->n_additional_gids == 0))
        return reg_make_error (err, errno, "setgroups");
    }
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return reg_make_error (err, errno, "setgid %u", u->gid);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return reg_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return reg_make_error (err, errno, "setuid %u", u->uid);
  return 0;
}

static bool
is_executable (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

int
runtime_process_enter (const oci_process *p, int slave, reg_error_t *err)
{
  int ret;

  umask (p->user.has_umask ? p->user.umask : 022);
  if (chdir (p->cwd) < 0)
    return reg_make_error (err, errno, "chdir to cwd \"%s\"", p->cwd);
  if (p->terminal)
    {
      ret = runtime_terminal_make_controlling (slave, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (slave > 2)
        close (slave);
    }
  return runtime_process_set_rlimits (p, err);
}

int
runtime_exec_error (reg_error_t *err, int errnum, const char *argv0, const char *step)
{
  char msg[128];

  /* Lower-case like Go's errors: Podman and containerd match "no such file
     or directory" and "permission denied" to choose exit codes 127/126.  */
  snprintf (msg, sizeof msg, "%s", strerror (errnum));
  msg[0] = (char)tolower ((unsigned char)msg[0]);
  if (step)
    reg_make_error (err, 0, "exec: \"%s\": %s %s: %s", argv0, step, argv0, msg);
  else
    reg_make_error (err, 0, "exec: \"%s\": %s", argv0, msg);
  (*err)->status = errnum;
  return -errnum;
}

int
runtime_process_find_executable (const char *argv0, const char *path_env, char **out, reg_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (argv0 == NULL || *argv0 == '\0')
    return reg_make_error (err, 0, "exec: no command given (process.args is empty)");
  if (strchr (argv0, '/'))
    {
      struct stat st;
      if (stat (argv0, &st) < 0)
        return runtime_exec_error (err, errno, argv0, "stat");
      if (S_ISDIR (st.st_mode))
        return runtime_exec_error (err, EISDIR, argv0, NULL);
      /* Refuse a file without execute permission here, at create, with the
         text Podman maps to exit status 126 (runc does the same); failing
         only at execve after start would give the container status 127.  */
      if (access (argv0, X_OK) < 0)
        return runtime_exec_error (err, errno, argv0, NULL);
      *out = xstrdup (argv0);
      return 0;
    }
  copy = xstrdup (path_env ? path_env : OCI_DEFAULT_PATH);
  /* strtok_r would skip empty entries, which mean the current directory.  */
  for (char *dir = copy; dir; dir = save)
    {
      cleanup_free char *candidate = NULL;
      save = strchr (dir, ':');
      if (save)
        *save++ = '\0';
      xasprintf (&candidate, "%s/%s", *dir ? dir : ".", argv0);
      if (is_executable (candidate))
        {
          *out = steal_pointer (&candidate);
          return 0;
        }
    }
  /* The exact text Go's exec.LookPath gives, which Podman matches.  */
  reg_make_error (err, 0, "exec: \"%s\": executable file not found in $PATH", argv0);
  if (err && *err)
    (*err)->status = ENOENT;
  return -ENOENT;
}

int
runtime_process_set_oom_score_adj (pid_t pid, const oci_process *p, reg_error_t *err)
{
  char path[64], buf[16];
  int len;

  if (p == NULL || !p->has_oom_score_adj)
    return 0;
  len = snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
  snprintf (path, sizeof (path), "/proc/%d/oom_score_adj", pid);
  if (write_file (path, buf, (size_t)len, err) < 0)
    return reg_error_wrap (err, "process.oomScoreAdj");
  return 0;
}
