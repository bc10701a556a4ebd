/* libreg: the container's root file system, set up by the init inside its
 * new mount namespace: propagation, the root as a mount point (or the REG
 * overlay), REG's binds, config.json's mounts in order, devices, /dev
 * links, /dev/console, pivot_root, masked and read-only paths, a read-only
 * root, sysctl.  Every destination is resolved inside the root
 * (RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so an image's
 * symlink never points a mount at a host path.  */
#ifndef RUNTIME_MOUNTS_H
#define RUNTIME_MOUNTS_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"
#include "reg.h"

struct runtime_mount_ctx
{
  const oci_config *config;
  const char *bundle;          /* absolute */
  const char *rootfs;          /* absolute host path of root.path */
  const struct reg_plan *plan; /* NULL: REG off */
  bool userns;                 /* in a new user namespace: devices are bind-mounted */
  bool cgroupns;
  char **cgroup_paths; /* the container's cgroup directories, for `cgroup` mounts */
  bool no_pivot;
  bool reg_premounted; /* REG's mounts came with the rootfs (runtime_mounts_reg_premount) */
  bool host_mntns;     /* no mount namespace: the runtime's is shared (see runtime_mounts_host_root) */
};

/* What a mount's options ask for (pure; unit-tested).  */
struct runtime_mount_flags
{
  unsigned long flags;          /* MS_* for mount(2) */
  unsigned long propagation[4]; /* in order */
  int n_propagation;
  bool bind, rbind;
  unsigned long long attr_set, attr_clr; /* mount_setattr, AT_RECURSIVE (rro, rnosuid...) */
  char *data;                            /* unknown options: filesystem data, comma-joined */
  bool tmpcopyup; /* runc's extension: a tmpfs starts with the contents of the directory it covers */
};
int runtime_mount_flags_parse (const oci_strv *options, struct runtime_mount_flags *out, reg_error_t *err);
void runtime_mount_flags_clear (struct runtime_mount_flags *f);

/* Whether PLAN has anything to mount.  */
bool runtime_mounts_reg_needed (const struct reg_plan *plan);
/* For a container in a user namespace: REG's mounts made onto the rootfs
   itself, in a new mount namespace of the calling process, while it still
   has the host's privileges (before it makes or joins the user namespace).
   The container's mount namespace, a copy owned by its user namespace,
   gets them with flags the kernel locks (its root cannot make an object
   writable), and the init never needs to reach the 0700 store.  */
int runtime_mounts_reg_premount (const struct reg_plan *plan, const char *rootfs, reg_error_t *err);

/* Propagation of "/", the root as a mount point (or the REG root), REG
   binds; *ROOTFD is an O_PATH fd of the new root.  */
int runtime_mounts_prepare_root (const struct runtime_mount_ctx *ctx, int *rootfd, reg_error_t *err);

/* A container without a mount namespace lives in the runtime's (the spec's
   inherited namespace, as runc): its root is still a mount of its own over
   the rootfs, made by the runtime in its namespace (the propagation of "/"
   left alone) with everything the container mounts below it, and the init
   chroots into it instead of pivot_root.  Delete detaches that one mount and
   so everything below it: nothing stays on the host.  *ID names the mount
   (its unique id where the kernel has them) for runtime_mounts_host_root_release,
   which leaves alone whatever is at ROOTFS now when it is another mount.  */
int runtime_mounts_host_root (const struct runtime_mount_ctx *ctx, char **id, reg_error_t *err);
int runtime_mounts_host_root_release (const char *rootfs, const char *id, reg_error_t *err);
/* What is mounted at ROOTFS now ("none": no mount's root is there), recorded
   before runtime_mounts_host_root: a create killed after it attached the root
   but before it recorded the id leaves a mount that
   runtime_mounts_host_root_release_unrecorded still finds (whatever is on top
   of ROOTFS and was not BELOW).  */
char *runtime_mounts_host_root_below (const char *rootfs);
int runtime_mounts_host_root_release_unrecorded (const char *rootfs, const char *below, reg_error_t *err);
/* config.json's mounts, in order.  */
int runtime_mounts_config (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err);
/* Default devices, linux.devices, /dev symlinks (unless /dev is a bind).  */
int runtime_mounts_devices (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err);
/* Bind the pty slave SLAVE_FD over /dev/console.  */
int runtime_mounts_console (int rootfd, int slave_fd, reg_error_t *err);
/* Make sure DIR exists inside the root (process.cwd).  */
int runtime_mounts_mkdir_in_root (int rootfd, const char *dir, reg_error_t *err);
/* pivot_root (or chroot with no_pivot or host_mntns) into ROOTFD.  */
int runtime_mounts_pivot (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err);
/* After pivot: masked paths, read-only paths, root.readonly,
   rootfsPropagation.  */
int runtime_mounts_finalize (const struct runtime_mount_ctx *ctx, reg_error_t *err);
/* linux.sysctl through /proc/sys (after the mounts).  */
int runtime_sysctl_apply (const oci_config *config, reg_error_t *err);

#endif
