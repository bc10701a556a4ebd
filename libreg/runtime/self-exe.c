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
  struct statvfs svfs;
  int seals = fcntl (fd, F_GET_SEALS);

  /* A tmpfs file answers too (F_SEAL_SEAL alone) without being sealed:
     a memfd with every seal is protected, anything else is judged by its
     mount below (our copy in a /run that is a tmpfs, as where systemd is
     init, is a file of a read-only bind).  */
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return true;
  /* A file of a read-only mount (our copy's bind, our overlay without an
     upper layer, a read-only /usr): nothing can open it for writing through
     that mount, and a container cannot reach the host's mounts to change
     their flags.  */
  return fstatvfs (fd, &svfs) == 0 && (svfs.f_flag & ST_RDONLY);
}

bool
runtime_self_exe_is_protected (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && fd_is_protected (fd);
}

/* The runtime's binary copied once per boot (and per installed version)
   into RUNTIME_SELF_EXE_DIR, a root-only directory of /run, and bound
   read-only over itself: an O_PATH fd of it.  Every later command re-executes
   from it at the cost of one execve: no copy, no mount made or torn down.
   -errno when it cannot be made (not root, no /run).  */
static int
persistent_copy (int self)
{
  cleanup_free char *name = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int out = -1;
  cleanup_close int mnt = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  struct stat st;
  off_t off = 0;
  int fd;

  if (fstat (self, &st) < 0)
    return -errno;
  /* Named after the installed binary's identity: an upgrade gets a copy of
     its own.  */
  xasprintf (&name, "reg-runc-%llx-%llx-%llx-%llx.%lx", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
  if (mkdir (RUNTIME_SELF_EXE_DIR, 0700) < 0 && errno != EEXIST)
    return -errno;
  dirfd = open (RUNTIME_SELF_EXE_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return -errno;
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && fd_is_protected (fd))
    return fd;
  if (fd >= 0)
    close (fd);
  /* Not there yet (or a create killed before its bind): copy, publish by
     rename, bind read-only; concurrent creates may each do it, harmlessly.  */
  xasprintf (&tmp, ".%s.%d", name, getpid ());
  out = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
  if (out < 0)
    return -errno;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (out, self, &off, (size_t)(st.st_size - off));
      if (n <= 0)
        {
          unlinkat (dirfd, tmp, 0);
          return n < 0 ? -errno : -EIO;
        }
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return -errno;
    }
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  mnt = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (mnt < 0 || mount_setattr (mnt, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0
      || move_mount (mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  close (fd);
  /* The path again, now through the read-only bind.  */
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (!fd_is_protected (fd))
    {
      close (fd);
      return -EROFS;
    }
  return fd;
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
runtime_self_exe_protect (char **argv, reg_error_t *err)
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
      /* Already re-executed from a copy that is not protected after all:
         an error, never a second copy of the copy (one per re-execution,
         until /run is full).  */
      if (strncmp (exe, RUNTIME_SELF_EXE_DIR "/", strlen (RUNTIME_SELF_EXE_DIR "/")) == 0
          || strncmp (exe, "/memfd:reg-runc", strlen ("/memfd:reg-runc")) == 0)
        return reg_make_error (err, EROFS, "the runtime's copy `%s` is not read-only", exe);
      copy = persistent_copy (self);
      if (copy < 0)
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
