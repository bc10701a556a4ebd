/* libreg: the container's terminal.
 *
 * terminal: true -> the init opens a pty in the container's own devpts
 * (after /dev/pts is mounted), makes the slave its controlling terminal and
 * stdio, and hands the master to the caller, who passes it on over
 * --console-socket with SCM_RIGHTS as runc does.  */
#ifndef RUNTIME_TERMINAL_H
#define RUNTIME_TERMINAL_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* Open a pty from ROOTFD's /dev/pts/ptmx; apply consoleSize.  */
int runtime_terminal_open (int rootfd, const oci_process *process, int *master, int *slave, reg_error_t *err);
/* setsid, make SLAVE the controlling terminal and fds 0-2.  */
int runtime_terminal_make_controlling (int slave, reg_error_t *err);
/* Connect to the unix socket at SOCKET_PATH (before anything is forked, so a
   bad path fails create early).  */
int runtime_terminal_connect (const char *socket_path, int *fd, reg_error_t *err);
/* Send MASTER over the connected console socket SOCK.  */
int runtime_terminal_send (int sock, int master, reg_error_t *err);

/* A pty master MASTER_FD from the container: sent on over CONSOLE_FD (the
   --console-socket connection) when there is one, else kept in *KEPT for
   the caller's own terminal when WANT_MASTER.  Takes MASTER_FD (*MASTER_FD
   becomes -1 when kept).  */
int runtime_terminal_forward_master (int console_fd, bool want_master, int *master_fd, int *kept, reg_error_t *err);

#endif
