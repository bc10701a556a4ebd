/* libreg: the attributes of the container's process, set by the init before
 * execve: personality, I/O priority, scheduler, CPU affinity, rlimits, the
 * session keyring, umask, cwd, the user and groups, no_new_privileges, and
 * the executable's lookup through the container's PATH.  */
#ifndef RUNTIME_PROCESS_H
#define RUNTIME_PROCESS_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* personality, ioPriority, scheduler: while still root in the container.  */
int runtime_process_set_attributes (const oci_config *config, reg_error_t *err);
int runtime_process_set_rlimits (const oci_process *p, reg_error_t *err);
/* process.oomScoreAdj of PID, written by the runtime with the host's
   privileges (lowering the score needs CAP_SYS_RESOURCE, which a user
   namespace does not give); the processes it clones inherit it.  */
int runtime_process_set_oom_score_adj (pid_t pid, const oci_process *p, reg_error_t *err);
/* execCPUAffinity.initial (FINAL false) or .final (FINAL true).  */
int runtime_process_set_affinity (const oci_process *p, bool final, reg_error_t *err);
/* A new session keyring named NAME (the container id).  */
int runtime_process_join_keyring (const char *name, reg_error_t *err);
/* Additional groups, gid, uid; keeps the permitted capabilities across the
   uid change (PR_SET_KEEPCAPS) for the capabilities step that follows.  */
int runtime_process_set_user (const oci_process *p, reg_error_t *err);

/* Resolve ARGV0 as execvp would, through PATH_ENV (NULL: the default PATH),
   in the current root: `exec: "x": executable file not found in $PATH`.  */
/* In the container, before the user change: umask, cwd, the controlling
   terminal (SLAVE, -1: none; closed when above 2), rlimits.  The init and
   exec take the same steps.  */
int runtime_process_enter (const oci_process *p, int slave, reg_error_t *err);

/* "exec: "ARGV0": [STEP ARGV0: ]no such file or directory", worded as the
   clients expect; returns -ERRNUM.  */
int runtime_exec_error (reg_error_t *err, int errnum, const char *argv0, const char *step);
int runtime_process_find_executable (const char *argv0, const char *path_env, char **out, reg_error_t *err);

#endif
