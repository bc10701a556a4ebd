/* libreg: the runtime's own executable, out of a container's reach
 * (the CVE-2019-5736 class).
 *
 * The init and every `exec` process are clones of the runtime: until their
 * execve, /proc/PID/exe is the runtime's binary, and a process of the
 * container that gets hold of it could open the host's binary for writing
 * once the clone has exec'd.  Before a command that puts a process into a
 * container does anything, the runtime re-executes itself from a copy that
 * nobody can write: a copy made once per boot (and installed version) in
 * a root-only directory of /run and bound read-only over itself, so each
 * command costs one execve; else a private read-only overlay of the
 * binary's directory; else a sealed memfd copy (rootless).
 * The processes are also made non-dumpable, so a container process cannot
 * even open their /proc/PID/exe or fds without CAP_SYS_PTRACE on the host.  */
#ifndef RUNTIME_SELF_EXE_H
#define RUNTIME_SELF_EXE_H

#include <stdbool.h>

#include "error.h"

/* Where the read-only copies of the runtime live (root only).  */
#define RUNTIME_SELF_EXE_DIR "/run/reg-runc-exe"

/* True when /proc/self/exe cannot be opened for writing by anyone: a sealed
   memfd, or a file of a read-only overlay.  */
bool runtime_self_exe_is_protected (void);

/* Re-execute ARGV (with the current environment) from a protected copy of
   /proc/self/exe unless it already is one; then make the process
   non-dumpable.  Returns 0 when the process already runs protected (never
   returns on a successful re-execution).  */
int runtime_self_exe_protect (char **argv, reg_error_t *err);

#endif
