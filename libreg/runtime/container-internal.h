/* libreg: lifecycle helpers shared by container.c and exec.c (internal).  */
#ifndef RUNTIME_CONTAINER_INTERNAL_H
#define RUNTIME_CONTAINER_INTERNAL_H

#include <sys/types.h>

#include "error.h"

/* Wait for PID (our child, PIDFD on it) while forwarding the caller's
   signals to it, and copying between our stdio and MASTER (a pty master,
   or -1); returns its exit status, 128+signal when killed.  */
int runtime_container_wait_process (pid_t pid, int pidfd, int master, reg_error_t *err);

/* Write PID to PATH atomically (conmon and the shim read it).  */
struct runtime_status;
/* A pidfd on the container's init, or -1 when it is gone or the pid is now
   another process's (its start time differs from the state's).  */
int runtime_container_open_init (const struct runtime_status *st);

/* The pids of container ID's cgroup CG that are the container's: learn's
   recorder runs there too (bounded by its limits), for the runtime, and
   is left out (ps, kill --all).  */
struct runtime_context;
struct runtime_cgroup;
int runtime_container_cgroup_pids (struct runtime_context *ctx, const char *id, struct runtime_cgroup *cg, pid_t **pids,
                                   size_t *n, reg_error_t *err);

int runtime_container_write_pid_file (const char *path, pid_t pid, reg_error_t *err);

/* The config.json create parsed, kept in the state dir: exec applies the
   config of create, not a later edit of the bundle.  */
#define RUNTIME_EXEC_CONFIG "config.json"

#endif
