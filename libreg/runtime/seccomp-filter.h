/* reg-runc: seccomp filters (libseccomp).  Not named seccomp.h: libreg/ is
 * on the include path and would hide libseccomp's <seccomp.h>.
 *
 *   create, before fork:  runtime_seccomp_build   (validate + compile; errors
 *                                             name the JSON path)
 *   container init, last thing before execve:
 *                         runtime_seccomp_load    (needs no_new_privileges set
 *                                             before, or CAP_SYS_ADMIN in the
 *                                             effective set: the filter never
 *                                             sets NO_NEW_PRIVS by itself)
 *   when *notify_fd >= 0: hand the fd to the runtime process (SCM_RIGHTS over
 *                         the sync socket), which calls
 *                         runtime_seccomp_send_listener with listenerPath (a host
 *                         path, not reachable after pivot_root) and the
 *                         container init's pid as the host sees it.
 *
 * The compiled filter lives in the memory of the process that built it, so
 * the init must be a fork/clone of it (not a re-exec).  Between
 * runtime_seccomp_load and execve the init may only make syscalls the filter
 * allows (and must not block on a NOTIFY rule: the agent has no fd yet);
 * runtime_seccomp_build refuses NOTIFY on write and sendmsg for that reason.  */
#ifndef RUNTIME_SECCOMP_FILTER_H
#define RUNTIME_SECCOMP_FILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

struct runtime_seccomp;

/* Validate and compile S (config.json's linux.seccomp).  *OUT is NULL when S
   is absent (no filter).  Unknown syscall names are skipped (debug log); a
   rule whose action is the default action is skipped; an architecture of
   the runtime-spec that this libseccomp does not know is skipped with a
   warning.  */
int runtime_seccomp_build (const oci_seccomp *s, struct runtime_seccomp **out, reg_error_t *err);

/* Load F into the calling thread (all threads with
   SECCOMP_FILTER_FLAG_TSYNC).  *NOTIFY_FD is set to the listener fd when
   the filter has NOTIFY rules, else -1.  F may be NULL (nothing to do).  */
int runtime_seccomp_load (struct runtime_seccomp *f, int *notify_fd, reg_error_t *err);

/* True when F has SCMP_ACT_NOTIFY rules (the caller must then expect a
   listener fd and have listenerPath).  */
bool runtime_seccomp_has_notify (const struct runtime_seccomp *f);
const char *runtime_seccomp_listener_path (const struct runtime_seccomp *f);
const char *runtime_seccomp_listener_metadata (const struct runtime_seccomp *f);

/* Send the runtime-spec's container process state
     {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}
   with NOTIFY_FD as SCM_RIGHTS in one sendmsg over a new SOCK_STREAM
   connection to LISTENER_PATH, then close the connection.  PID is the
   container process as seen by the runtime; STATE_JSON is the container's
   state object (oci_state_to_json; status "creating" from create);
   METADATA is listenerMetadata (NULL: omitted).  */
int runtime_seccomp_send_listener (const char *listener_path, int notify_fd, pid_t pid, const char *state_json,
                                   const char *metadata, reg_error_t *err);

void runtime_seccomp_free (struct runtime_seccomp *f);

/* For `features`: NULL-terminated lists of what this build supports.  */
const char *const *runtime_seccomp_actions (void);
const char *const *runtime_seccomp_operators (void);
const char *const *runtime_seccomp_archs (void);
const char *const *runtime_seccomp_known_flags (void);
/* The known flags that this libseccomp and kernel can set.  */
const char *const *runtime_seccomp_supported_flags (void);

#endif
