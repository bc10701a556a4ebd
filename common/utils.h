/* reg-runc: small helpers shared by oci-spec, libreg and the CLI (files,
 * paths in a root, numbers, times, signals); allocation and cleanups are
 * xalloc.h's.  */
#ifndef REG_UTILS_H
#define REG_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"
#include "xalloc.h"

/* Move FD to a number >= FLOOR, close-on-exec, closing the old one (so
   it survives a close_range of the fds a container keeps); the old one is
   closed on failure too.  A negative FD passes through.  */
int fd_above (int fd, int floor, reg_error_t *err);

/* Retry on EINTR.  */
#define TEMP_FAILURE_RETRY_INT(expr)                                                                                   \
  ({                                                                                                                   \
    long _r;                                                                                                           \
    do                                                                                                                 \
      _r = (long)(expr);                                                                                               \
    while (_r == -1L && errno == EINTR);                                                                               \
    _r;                                                                                                                \
  })

/* Whole-buffer I/O.  */
int write_all (int fd, const void *buf, size_t len, reg_error_t *err);
/* Read all of FD (at most MAX bytes, 0 = no limit) into a NUL-terminated buffer.  */
int read_all_fd (int fd, const char *description, size_t max, char **out, size_t *len, reg_error_t *err);
int read_all_file (const char *path, size_t max, char **out, size_t *len, reg_error_t *err);
int read_all_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, reg_error_t *err);
/* read_all_file of a document a caller names (config.json, --process):
   only a regular file once symlinks are followed, or "-" (stdin).  A FIFO
   would block for ever and a device can act when opened, so neither is
   opened: "open `PATH`: not a regular file".  */
int read_regular_file (const char *path, size_t max, char **out, size_t *len, reg_error_t *err);
/* The same, but a pipe or FIFO is read too (exec --process <(...)); one
   with no writer is an error at once, never a hang.  */
int read_regular_file_or_pipe (const char *path, size_t max, char **out, size_t *len, reg_error_t *err);

/* Write DATA to DIRFD/NAME atomically: a temporary name in the same
   directory, fsync when DURABLE, rename over NAME.  */
int write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable,
                          reg_error_t *err);
int write_file_at (int dirfd, const char *name, const void *data, size_t len, reg_error_t *err);
int write_file (const char *path, const void *data, size_t len, reg_error_t *err);

/* mkdir -p, relative to DIRFD (AT_FDCWD for absolute paths).  */
int mkdir_p_at (int dirfd, const char *path, mode_t mode, reg_error_t *err);
/* rm -rf of DIRFD/NAME without following symlinks or crossing mounts (a
   mount point in the tree is an error, EBUSY), with a few fds whatever the
   depth, through read-only directories.  */
int remove_tree_at (int dirfd, const char *name, reg_error_t *err);

/* Open PATH inside the root directory ROOTFD: every component, symlinks
   included, is resolved as if ROOTFD were "/" (openat2 RESOLVE_IN_ROOT), so
   an image's symlink never reaches a host file.  */
int open_in_root (int rootfd, const char *path, int flags, mode_t mode, reg_error_t *err);
/* The same, returning -errno without an error object (for probes).  */
int open_in_root_raw (int rootfd, const char *path, int flags, mode_t mode);
/* The same through no symlink at all (-ELOOP at one): for a path that must
   be the one the runtime recorded, which nobody may redirect.  */
int open_real_path_in_root_raw (int rootfd, const char *path, int flags);

/* Open for reading (FLAGS: O_RDONLY plus e.g. O_NOATIME) the file that
   PATHFD (an O_PATH fd) refers to, only when it is a regular file: opening
   a device node or a FIFO can block or have side effects (a watchdog, a
   tape), and an O_PATH open never does.  Reopened through
   /proc/self/fd, so it is the same inode.  *ST (if not NULL) gets its fstat.
   Returns the fd or -errno (-EINVAL: not a regular file).  */
int reopen_regular (int pathfd, int flags, struct stat *st);
/* The reopening alone, for a caller that has seen PATHFD's type itself
   (its statx, say): the link /proc/self/fd/N names the inode PATHFD holds,
   not a path looked up again.  O_NOATIME in FLAGS is dropped where it may
   not be asked (a file of another owner, without CAP_FOWNER).  The fd or
   -errno.  */
int reopen_fd (int pathfd, int flags);
/* open_in_root_raw + reopen_regular: a regular file of the root, opened
   read-only without ever opening anything else.  */
int open_regular_in_root_raw (int rootfd, const char *path, struct stat *st);

/* Parse a decimal/0x number; -1 on junk or overflow.  */
int parse_uint64 (const char *s, uint64_t *out);
int parse_int64 (const char *s, int64_t *out);

/* Not root of the initial user namespace: an unprivileged user, or uid 0
   of a user namespace (rootless Podman runs the runtime so, its HOME and
   XDG_* the user's).  */
bool running_rootless (void);
/* The uid that our euid is in the parent user namespace (uid_map maps
   to the parent's; rootless Podman's parent is the initial one), for
   messages; our euid when not mapped or unknown.  */
uid_t host_euid (void);

bool has_prefix (const char *s, const char *prefix);
bool has_suffix (const char *s, const char *suffix);

/* Current time as RFC 3339 with nanoseconds, UTC ("2026-11-28T17:36:32.123456789Z").  */
char *rfc3339_now (void);

/* Signals by name ("KILL", "SIGKILL", "9", "SIGRTMIN+3"); -1 when unknown.  */
int signal_from_name (const char *name);
const char *signal_name (int sig);

#endif
