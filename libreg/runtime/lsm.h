/* reg-runc: Linux security modules (AppArmor, SELinux).
 *
 *   create, before fork:  runtime_lsm_check (a profile or label for an LSM the
 *                         host does not run is an error naming it, as runc)
 *   mounts:               runtime_lsm_mount_data (context="<mountLabel>" for the
 *                         filesystems the runtime mounts itself: tmpfs,
 *                         devpts, mqueue-less ones; not for bind mounts,
 *                         proc, sysfs, cgroup)
 *   init, just before seccomp and execve:
 *                         runtime_lsm_set_exec_label (takes effect at execve)  */
#ifndef RUNTIME_LSM_H
#define RUNTIME_LSM_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

bool runtime_lsm_apparmor_enabled (void);
bool runtime_lsm_selinux_enabled (void);

/* P's apparmorProfile and selinuxLabel, and MOUNT_LABEL (linux.mountLabel),
   against what the host runs:
     config.json: process.apparmorProfile: AppArmor is not enabled on this host  */
int runtime_lsm_check (const oci_process *p, const char *mount_label, reg_error_t *err);

/* Write "exec <apparmorProfile>" to /proc/thread-self/attr/apparmor/exec
   (older kernels: attr/exec), and selinuxLabel to
   /proc/thread-self/attr/exec.  Nothing for empty values.  */
int runtime_lsm_set_exec_label (const oci_process *p, reg_error_t *err);

/* DATA (mount options, may be NULL or "") with context="LABEL" appended; a
   copy of DATA (or NULL) when LABEL is NULL or empty.  Pure: the caller
   decides whether SELinux is on (runtime_lsm_mount_data does).  */
char *runtime_lsm_format_mount_label (const char *data, const char *label);

/* runtime_lsm_format_mount_label when SELinux is enabled, else a copy of DATA.  */
char *runtime_lsm_mount_data (const char *data, const char *label);

#endif
