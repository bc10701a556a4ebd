/* libreg: helpers shared by the cgroup backends (cgroup-v1.c, cgroup-v2.c,
   cgroup-systemd.c).  */
#ifndef RUNTIME_CGROUP_INTERNAL_H
#define RUNTIME_CGROUP_INTERNAL_H

#include "cgroup.h"

extern const struct runtime_cgroup_manager runtime_cgroup_manager_v1;
extern const struct runtime_cgroup_manager runtime_cgroup_manager_v2;
extern const struct runtime_cgroup_manager runtime_cgroup_manager_systemd;

/* v1/hybrid: PATH's directory in every hierarchy mounted under
   /sys/fs/cgroup (a relative PATH below the caller's cgroup there), made
   when MAKE.  */
int runtime_cgroup_v1_paths (const char *path, bool make, char ***out, reg_error_t *err);

/* The caller's cgroup in the hierarchy whose controllers are CONTROLLERS
   ("memory", "name=systemd", "" for cgroup2), from /proc/self/cgroup.  */
char *runtime_cgroup_own_path (const char *controllers);
/* mkdir -p DIR below the hierarchy mounted at MOUNT; CPUSET copies
   cpuset.cpus/mems into each new level (v1 cpuset starts empty).  */
int runtime_cgroup_mkdir (const char *mount, const char *path, bool cpuset, reg_error_t *err);
/* The cgroup2 directory of CG a process can be born in (runtime_cgroup_clone),
   NULL when there is none: no cgroup2 hierarchy, or the systemd driver
   before its unit started.  */
const char *runtime_cgroup_birth_dir (struct runtime_cgroup *cg);
int runtime_cgroup_generic_enter (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err);
int runtime_cgroup_generic_pids (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err);
int runtime_cgroup_generic_destroy (struct runtime_cgroup *cg, reg_error_t *err);
int runtime_cgroup_generic_apply (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err);
/* Poll FILE in DIR until a line equal to WANT (about 10 s).  */
int runtime_cgroup_wait_line (const char *dir, const char *file, const char *want, reg_error_t *err);
bool runtime_cgroup_has_line (const char *dir, const char *file, const char *want);
/* Freeze (FROZEN) or thaw the cgroup2 directory DIR through cgroup.freeze
   and wait until cgroup.events says so: v2, and v1 on a hybrid host
   without a freezer hierarchy.  */
int runtime_cgroup_v2_set_frozen (const char *dir, bool frozen, reg_error_t *err);
/* update: memory.checkBeforeUpdate refuses a limit below the usage.  */
int runtime_cgroup_check_before_update (struct runtime_cgroup *cg, const oci_resources *r, reg_error_t *err);

#endif
