/* libreg: the runtime's own executable, out of a container's reach (see
 * self-exe.h).  */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "self-exe.h"
#include "utils.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool
fd_is_protected (int fd)
{
  struct statfs sfs;
  struct statvfs svfs;
  int seals = fcntl (fd, F_GET_SEALS);

  if (seals >= 0)
    return (seals & SEALS) == SEALS;
  /* Our own overlay has no upper layer: read-only by construction, whatever
     anyone does to the mount's flags.  */
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC && fstatvfs (fd, &svfs) == 0
         && (svfs.f_flag & ST_RDONLY);
}

bool
reg_self_exe_is_protected (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && fd_is_protected (fd);
}

/* An O_PATH fd of the binary seen through a private overlay whose only
   layers are its own directory and an empty tmpfs: no upper layer, so no
   write can ever reach the file, and the page cache is the binary's own.
   The mounts are detached: they go away with the last process that runs
   from them.  -errno when the kernel or our privileges do not allow it.  */
static int
overlay_copy (const char *exe)
{
  cleanup_free char *dir_copy = xstrdup (exe);
  cleanup_free char *name_copy = xstrdup (exe);
  cleanup_free char *lower = NULL;
  cleanup_close int tmpfs = -1;
  cleanup_close int empty = -1;
  cleanup_close int ovl = -1;
  cleanup_close int mnt = -1;
  const char *dir = dirname (dir_copy);
  const char *name = basename (name_copy);
  int fd;

  /* Overlay refuses one lower layer without an upper one, and two copies
     of one directory: the second layer is an empty tmpfs.  */
  tmpfs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (tmpfs < 0)
    return -errno;
  if (fsconfig (tmpfs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0
      || fsconfig (tmpfs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -errno;
  empty = fsmount (tmpfs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (empty < 0)
    return -errno;

  ovl = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (ovl < 0)
    return -errno;
  /* "lowerdir+" (6.8) takes any path; before it, the legacy list, where a
     `:` or `,` in the binary's directory cannot be expressed.  */
  if (fsconfig (ovl, FSCONFIG_SET_STRING, "lowerdir+", dir, 0) < 0)
    {
      if (errno != EINVAL || strpbrk (dir, ":,\\") != NULL)
        return -errno;
      xasprintf (&lower, "%s:/proc/self/fd/%d", dir, empty);
      if (fsconfig (ovl, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
        return -errno;
    }
  else
    {
      xasprintf (&lower, "/proc/self/fd/%d", empty);
      if (fsconfig (ovl, FSCONFIG_SET_STRING, "lowerdir+", lower, 0) < 0)
        return -errno;
    }
  if (fsconfig (ovl, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -errno;
  mnt = fsmount (ovl, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mnt < 0)
    return -errno;
  fd = openat (mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* A sealed memfd copy of the binary, for a runtime without the privilege to
   mount (rootless).  */
static int
memfd_copy (int src)
{
  cleanup_close int fd = -1;
  struct stat st;
  off_t off = 0;

  if (fstat (src, &st) < 0)
    return -errno;
  fd = memfd_create ("reg-runc", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("reg-runc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -errno;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (fd, src, NULL, (size_t)(st.st_size - off));
      if (n <= 0)
        return n < 0 ? -errno : -EIO;
      off += n;
    }
  if (fchmod (fd, 0500) < 0 || fcntl (fd, F_ADD_SEALS, SEALS) < 0)
    return -errno;
  return steal_fd (&fd);
}

int
reg_self_exe_protect (char **argv, reg_error_t *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  char exe[PATH_MAX];
  ssize_t len;

  if (self < 0)
    return reg_make_error (err, errno, "open /proc/self/exe");
  if (!fd_is_protected (self))
    {
      len = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
      if (len < 0)
        return reg_make_error (err, errno, "readlink /proc/self/exe");
      exe[len] = '\0';
      copy = overlay_copy (exe);
      if (copy < 0)
        copy = memfd_copy (self);
      if (copy < 0)
        return reg_make_error (err, -copy, "make a sealed copy of the runtime's binary");
      syscall (SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
      return reg_make_error (err, errno, "re-execute the runtime from its sealed copy");
    }
  /* Not even its /proc/PID/exe and fds are reachable from the container
     without CAP_SYS_PTRACE on the host; execve of the container's program
     makes it dumpable again.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return reg_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  return 0;
}
