/* libreg: `exec`, a second process in a running container.
 *
 * The process object comes from --process (process.json, the same parser as
 * config.json) or, without it, from config.json's process as runc does; the
 * command-line flags override either.  What the process does not say comes
 * from the container (capabilities, rlimits, LSM labels when absent), and
 * the container's seccomp filter always applies (the runtime-spec has no
 * per-process filter), as runc does.
 *
 * Three processes: the runtime (P) puts a helper (C) in the container's
 * cgroup; C joins every namespace of the container's init (one setns on a
 * pidfd, or /proc/PID/ns files on older kernels) and clones the exec'd process
 * (G) with CLONE_PARENT, so G is P's child and really in the pid namespace.
 * G sets up its attributes and execs; P learns that execve succeeded when
 * the CLOEXEC sync socket reaches end of file without an error message.  */
#ifndef RUNTIME_EXEC_H
#define RUNTIME_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "container.h"
#include "error.h"
#include "oci-spec.h"

struct runtime_exec_options
{
  const char *process_file; /* --process, NULL: config.json's process */
  char **args;              /* COMMAND ARGS (NULL-terminated), may be empty */
  bool tty;                 /* --tty */
  bool detach;
  const char *pid_file;
  const char *console_socket;
  const char *cwd;
  char **env;             /* --env K=V, NULL-terminated or NULL */
  const char *user;       /* --user UID[:GID] or NAME[:GID] */
  char **additional_gids; /* --additional-gids, NULL-terminated or NULL */
  char **caps;            /* --cap, NULL-terminated or NULL */
  bool no_new_privs;
  int preserve_fds;
  const char *process_label;
  const char *apparmor;
  const char *cgroup; /* --cgroup: a sub-cgroup of the container's */
  bool ignore_paused;
};

/* Returns the process's exit status (128+signal when killed), or 0 with
   detach once it has exec'd.  */
int runtime_container_exec (struct runtime_context *ctx, const char *id, const struct runtime_exec_options *opts,
                            reg_error_t *err);

/* The decision alone (pure, unit-tested): turn P (the base process: a copy
   of config.json's process, or process.json's) into the exec process by
   applying OPTS and, for what P leaves out, CONTAINER's values.  FROM_FILE
   tells which base P is (runc takes terminal from the file, else from
   --tty).  *USER_NAME is set (owned) when --user names a user to look up in
   the container's /etc/passwd.  */
int runtime_exec_make_process (oci_process *p, bool from_file, const oci_process *container,
                               const struct runtime_exec_options *opts, char **user_name, reg_error_t *err);

#endif
