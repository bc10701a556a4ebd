/* libreg: lifecycle helpers shared by container.c and exec.c (internal).  */
#ifndef REG_CONTAINER_INTERNAL_H
#define REG_CONTAINER_INTERNAL_H

#include <sys/types.h>

#include "error.h"

/* Wait for PID (our child, PIDFD on it) while forwarding the caller's
   signals to it, and copying between our stdio and MASTER (a pty master,
   or -1); returns its exit status, 128+signal when killed.  */
int reg_container_wait_process (pid_t pid, int pidfd, int master, reg_error_t *err);

/* Write PID to PATH atomically (conmon and the shim read it).  */
struct reg_status;
/* A pidfd on the container's init, or -1 when it is gone or the pid is now
   another process's (its start time differs from the state's).  */
int reg_container_open_init (const struct reg_status *st);

/* The pids of container ID's cgroup CG that are the container's: learn's
   recorder runs there too (bounded by its limits), for the runtime, and
   is left out (ps, kill --all).  */
struct reg_context;
struct reg_cgroup;
int reg_container_cgroup_pids (struct reg_context *ctx, const char *id, struct reg_cgroup *cg, pid_t **pids, size_t *n,
                               reg_error_t *err);

int reg_container_write_pid_file (const char *path, pid_t pid, reg_error_t *err);

/* The config.json create parsed, kept in the state dir: exec applies the
   config of create, not a later edit of the bundle.  */
#define REG_EXEC_CONFIG "config.json"

#endif
