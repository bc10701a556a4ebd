/* libreg: the socket between `create` (the parent) and the container's init.
 *
 * Messages go over a SOCK_SEQPACKET socketpair, one message per packet: a
 * numbered sync point, an errno and a payload (text, a pid, the state JSON),
 * and optionally one fd (SCM_RIGHTS).  An error inside the init travels as
 * RUNTIME_SYNC_ERROR with its errno and its full message, so the caller prints
 * one line naming the step and the path.  */
#ifndef RUNTIME_SYNC_H
#define RUNTIME_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum runtime_sync_type
{
  RUNTIME_SYNC_ERROR = 1,  /* child -> parent: errno + message; the child exits */
  RUNTIME_SYNC_USERNS,     /* child -> parent: user namespace made, write the id maps */
  RUNTIME_SYNC_GO,         /* parent -> child: maps, cgroup, oom_score_adj done */
  RUNTIME_SYNC_INIT_PID,   /* intermediate -> parent: the init's pid (payload int32) */
  RUNTIME_SYNC_HOOKS,      /* init -> parent: before pivot_root, run prestart/createRuntime */
  RUNTIME_SYNC_HOOKS_DONE, /* parent -> init: payload is the state JSON for the init's hooks */
  RUNTIME_SYNC_CONSOLE,    /* init -> parent: the pty master (fd) */
  RUNTIME_SYNC_CREATED,    /* init -> parent: set up, waiting for start */
  RUNTIME_SYNC_SECCOMP,    /* init -> parent: the seccomp notify fd, for listenerPath */
};

struct runtime_sync_msg
{
  int type;
  int error;  /* errno for RUNTIME_SYNC_ERROR */
  char *data; /* NUL-terminated payload, owned */
  size_t len;
  int fd; /* received fd or -1 */
};

int runtime_sync_pair (int fds[2], reg_error_t *err);

/* Send a message; FD >= 0 is passed with SCM_RIGHTS.  */
int runtime_sync_send (int sock, int type, int error, const void *data, size_t len, int fd, reg_error_t *err);

/* Send the error in *ERR to the other side (used by the child before it exits).  */
void runtime_sync_send_error (int sock, reg_error_t *err);

/* Receive one message.  End of file is an error "container init exited".  */
int runtime_sync_recv (int sock, struct runtime_sync_msg *msg, reg_error_t *err);

/* Receive one message of type TYPE; a RUNTIME_SYNC_ERROR becomes *ERR (with the
   child's errno and text), anything else is a protocol error.  */
int runtime_sync_expect (int sock, int type, struct runtime_sync_msg *msg, reg_error_t *err);

void runtime_sync_msg_clear (struct runtime_sync_msg *msg);

/* The parent's end of the hand-over, for the init and exec alike: the
   intermediate INTERMEDIATE sends the pid of the process it cloned
   (CLONE_PARENT: our child, so its pid cannot be reused before we reap it)
   and exits; reap it, and pin the process with *PIDFD.  */
int runtime_sync_take_pid (int sock, pid_t intermediate, pid_t *pid, int *pidfd, reg_error_t *err);

#endif
