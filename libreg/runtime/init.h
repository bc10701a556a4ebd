/* libreg: the container's init, from the moment it is cloned until execve.
 * Internal to the lifecycle code (container.c spawns it).  */
#ifndef RUNTIME_INIT_H
#define RUNTIME_INIT_H

#include <stdbool.h>

#include "caps.h"
#include "cgroup.h"
#include "oci-spec.h"
#include "seccomp-filter.h"
#include "reg.h"

struct runtime_init_args
{
  const char *id;
  const oci_config *config;
  const char *bundle; /* absolute */
  const char *rootfs; /* absolute */
  const struct reg_plan *plan;
  char **cgroup_paths;
  /* self: enter CGROUP_PATHS on GO, before any namespace */
  struct runtime_cgroup_birth cgroup_birth;
  int sync_fd;       /* the init's end of the sync socket */
  int fifo_fd;       /* exec.fifo, open read-write: start writes one byte; kept
                        until execve closes it (O_CLOEXEC), which start sees */
  int result_fd;     /* start.result, open read-write, or -1 without
                        startContainer hooks: the error if execve is not reached */
  bool indirect;     /* cloned without namespaces: join/unshare, then fork the init */
  bool reg_premount; /* indirect: make REG's mounts before the user namespace */
  int unshare_flags; /* CLONE_NEW* still to make (cgroup always, all when indirect) */
  bool hooks;        /* stop before pivot_root for the hooks */
  bool no_pivot;
  bool host_mntns; /* no mount namespace: the root is already mounted (runtime_mounts_host_root) */
  bool no_new_keyring;
  int preserve_fds;                /* fds 3 .. 3+N-1 stay open */
  char **env;                      /* process.env plus LISTEN_FDS/LISTEN_PID when passed on */
  const struct runtime_caps *caps; /* resolved process.capabilities (NULL: none) */
  struct runtime_seccomp *seccomp; /* compiled linux.seccomp (NULL: no filter) */
  bool seccomp_pending;            /* the filter is still to be loaded */
};

/* Never returns: execs the container's process, or sends the error over the
   sync socket and exits.  */
__attribute__ ((noreturn)) void runtime_init_main (struct runtime_init_args *a);

/* Load F (NULL: nothing) in this process; a SCMP_ACT_NOTIFY listener fd
   goes to the runtime over SYNC_FD.  The init and exec's process share it.  */
int runtime_init_load_seccomp (struct runtime_seccomp *f, int sync_fd, reg_error_t *err);

/* The process's identity and privileges, one sequence for the init and
   exec alike: stdio and terminal, the filter when loading it needs the
   CAP_SYS_ADMIN the user change drops, user and groups, the executable as
   that user sees it (*EXEC_PATH), capabilities, LSM exec label,
   no_new_privileges.  *SECCOMP_PENDING says whether the filter is still to
   be loaded (as late as possible, so it never sees our own syscalls).  */
int runtime_init_prepare_process (const oci_process *p, const struct runtime_caps *caps,
                                  struct runtime_seccomp *seccomp, int sync_fd, int slave, char **exec_path,
                                  bool *seccomp_pending, reg_error_t *err);

#endif
