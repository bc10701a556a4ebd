/* reg-runc: small helpers shared by oci-spec, libreg and the CLI.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

int
write_all (int fd, const void *buf, size_t len, reg_error_t *err)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return reg_make_error (err, errno, "write");
        }
      p += r;
      len -= (size_t)r;
    }
  return 0;
}

int
read_all_fd (int fd, const char *description, size_t max, char **out, size_t *len, reg_error_t *err)
{
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc (cap + 1);

  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap + 1);
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return reg_make_error (err, errno, "read `%s`", description);
        }
      if (r == 0)
        break;
      used += (size_t)r;
      if (max && used > max)
        return reg_make_error (err, EFBIG, "read `%s`: larger than %zu bytes", description, max);
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_all_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "open `%s`", path);
  return read_all_fd (fd, path, max, out, len, err);
}

int
read_all_file (const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  if (strcmp (path, "-") == 0)
    return read_all_fd (0, "stdin", max, out, len, err);
  return read_all_file_at (AT_FDCWD, path, max, out, len, err);
}

int
read_regular_file (const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  cleanup_close int pathfd = -1;
  cleanup_close int fd = -1;

  if (strcmp (path, "-") == 0)
    return read_all_fd (0, "stdin", max, out, len, err);
  pathfd = open (path, O_PATH | O_CLOEXEC);
  if (pathfd < 0)
    return reg_make_error (err, errno, "open `%s`", path);
  fd = reopen_regular (pathfd, O_RDONLY, NULL);
  if (fd == -EINVAL)
    return reg_make_error (err, 0, "open `%s`: not a regular file", path);
  if (fd < 0)
    return reg_make_error (err, -fd, "open `%s`", path);
  return read_all_fd (fd, path, max, out, len, err);
}

int
read_regular_file_or_pipe (const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  cleanup_close int pathfd = -1;
  cleanup_close int fd = -1;
  char proc[64];
  struct stat st;
  int ret;

  if (strcmp (path, "-") == 0)
    return read_all_fd (0, "stdin", max, out, len, err);
  pathfd = open (path, O_PATH | O_CLOEXEC);
  if (pathfd < 0 || fstat (pathfd, &st) < 0)
    return reg_make_error (err, errno, "open `%s`", path);
  if (!S_ISFIFO (st.st_mode))
    return read_regular_file (path, max, out, len, err);
  /* Opened without blocking: a FIFO nobody writes to is an end of file at
     once, never a hang; then blocking reads wait for a writer's data.  */
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", pathfd);
  fd = open (proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fcntl (fd, F_SETFL, 0) < 0)
    return reg_make_error (err, errno, "open `%s`", path);
  ret = read_all_fd (fd, path, max, out, len, err);
  if (ret == 0 && *len == 0)
    return reg_make_error (err, 0, "`%s`: a pipe with nothing to read", path);
  return ret;
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable,
                      reg_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int ret;

  xasprintf (&tmp, ".%s.tmp.%d", name, getpid ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "create `%s`", tmp);
  ret = write_all (fd, data, len, err);
  if (ret == 0 && durable && fsync (fd) < 0)
    ret = reg_make_error (err, errno, "fsync `%s`", tmp);
  if (ret == 0 && renameat (dirfd, tmp, dirfd, name) < 0)
    ret = reg_make_error (err, errno, "rename `%s` to `%s`", tmp, name);
  if (ret < 0)
    unlinkat (dirfd, tmp, 0);
  return ret;
}

int
write_file_at (int dirfd, const char *name, const void *data, size_t len, reg_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int ret;

  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "open `%s`", name);
  ret = write_all (fd, data, len, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "write `%s`", name);
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, reg_error_t *err)
{
  return write_file_at (AT_FDCWD, path, data, len, err);
}

int
mkdir_p_at (int dirfd, const char *path, mode_t mode, reg_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *it;

  for (it = p + 1; *it; it++)
    {
      if (*it != '/')
        continue;
      *it = '\0';
      if (mkdirat (dirfd, p, mode) < 0 && errno != EEXIST)
        return reg_make_error (err, errno, "mkdir `%s`", p);
      *it = '/';
    }
  if (mkdirat (dirfd, p, mode) < 0 && errno != EEXIST)
    return reg_make_error (err, errno, "mkdir `%s`", p);
  return 0;
}

/* What remove_tree_at knows of a directory: enough to recognise it again
   after its fd was closed, and to refuse another mount.  */
struct dir_id
{
  dev_t dev;
  ino_t ino;
  uint64_t mnt_id; /* 0: the kernel does not say (before 5.8) */
  bool mount_root;
};

static int
dir_identity (int fd, struct dir_id *id)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) < 0)
    return -1;
  if (!S_ISDIR (stx.stx_mode))
    {
      errno = ENOTDIR;
      return -1;
    }
  id->dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  id->ino = stx.stx_ino;
  id->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
  id->mount_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
  return 0;
}

static bool
same_dir (const struct dir_id *a, const struct dir_id *b)
{
  return a->dev == b->dev && a->ino == b->ino && a->mnt_id == b->mnt_id;
}

/* unlinkat, retried once after giving DIRFD's owner rwx: a tree copied
   from an image or the store may hold read-only directories, which only
   stop a caller without CAP_DAC_OVERRIDE.  */
static int
unlink_in (int dirfd, const char *name, int flags)
{
  struct stat st;

  if (unlinkat (dirfd, name, flags) == 0)
    return 0;
  if (errno != EACCES)
    return -1;
  if (fstat (dirfd, &st) < 0 || fchmod (dirfd, (st.st_mode & 07777) | 0700) < 0)
    {
      errno = EACCES;
      return -1;
    }
  return unlinkat (dirfd, name, flags);
}

/* Open the subdirectory NAME of DIRFD, which is on the mount of TOP,
   without following a symlink or entering another mount (another mount
   id; another device before Linux 5.8).  */
static int
open_subdir (int dirfd, const char *name, const struct dir_id *top, struct dir_id *id, reg_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 && errno == EACCES)
    {
      /* Unreadable: give its owner rwx, as unlink_in does.  */
      if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode)
          && fchmodat (dirfd, name, (st.st_mode & 07777) | 0700, AT_SYMLINK_NOFOLLOW) == 0)
        fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      else
        errno = EACCES;
    }
  if (fd < 0)
    return reg_make_error (err, errno, "open `%s`", name);
  if (dir_identity (fd, id) < 0)
    return reg_make_error (err, errno, "stat `%s`", name);
  /* What is mounted there is not the tree's to remove: a bind of a host
     directory would lose its files.  */
  if (id->mount_root || id->dev != top->dev || id->mnt_id != top->mnt_id)
    return reg_make_error (err, EBUSY, "`%s` is a mount point", name);
  return steal_fd (&fd);
}

/* Remove the entry DE of DIRFD.  Returns 1 when it is a directory that
   is not empty.  */
static int
remove_entry (int dirfd, const struct dirent *de, reg_error_t *err)
{
  bool is_dir = de->d_type == DT_DIR;
  struct stat st;

  if (de->d_type == DT_UNKNOWN)
    {
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno == ENOENT)
            return 0;
          return reg_make_error (err, errno, "stat `%s`", de->d_name);
        }
      is_dir = S_ISDIR (st.st_mode);
    }
  if (unlink_in (dirfd, de->d_name, is_dir ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT)
    return 0;
  if (is_dir && (errno == ENOTEMPTY || errno == EEXIST))
    return 1;
  if (errno == EBUSY)
    return reg_make_error (err, EBUSY, "`%s` is a mount point", de->d_name);
  return reg_make_error (err, errno, "%s `%s`", is_dir ? "rmdir" : "unlink", de->d_name);
}

/* The directory streams that removing a tree keeps open: those of the
   deepest levels of the walk.  A usual tree is then read once; a deeper
   one re-reads a level whose stream was closed, once per return to it.
   One fd each: the number stays fixed whatever the depth.  */
#define TREE_OPEN_LEVELS 8

struct tree_level
{
  struct dir_id id;
  long pos;     /* of its entry in its parent: where the parent reads on */
  DIR *d;       /* NULL when closed */
  char *child;  /* the subdirectory being emptied, while D is open */
  bool resumed; /* D was reopened at a position: read once more from the start */
};

struct tree_walk
{
  int topfd;
  struct dir_id top;
  struct tree_level *levels;
  size_t depth, alloc;
};

static void
tree_level_close (struct tree_level *l)
{
  if (l->d)
    closedir (l->d);
  l->d = NULL;
  free (l->child);
  l->child = NULL;
}

static void
cleanup_tree_walkp (struct tree_walk *w)
{
  for (size_t i = 0; w->levels && i <= w->depth; i++)
    tree_level_close (&w->levels[i]);
  free (w->levels);
}

/* A stream for the directory FD (taken over), read from POS when RESUME.  */
static int
tree_level_open (struct tree_level *l, int fd, bool resume, long pos, reg_error_t *err)
{
  l->d = fdopendir (fd);
  if (l->d == NULL)
    {
      int e = errno;
      close (fd);
      return reg_make_error (err, e, "fdopendir");
    }
  l->resumed = resume;
  if (resume)
    seekdir (l->d, pos);
  return 0;
}

/* Start again from the top, with every other stream closed: what was
   removed stays removed.  */
static int
tree_walk_restart (struct tree_walk *w, reg_error_t *err)
{
  int fd;

  for (size_t i = 0; i <= w->depth; i++)
    tree_level_close (&w->levels[i]);
  w->depth = 0;
  /* Not a dup of TOPFD: its own offset.  */
  fd = openat (w->topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return reg_make_error (err, errno, "open a directory");
  return tree_level_open (&w->levels[0], fd, false, 0, err);
}

/* Down into NAME, the subdirectory at POS of the current level.  */
static int
tree_walk_down (struct tree_walk *w, const char *name, long pos, reg_error_t *err)
{
  struct tree_level *l;
  struct dir_id id;
  int fd = open_subdir (dirfd (w->levels[w->depth].d), name, &w->top, &id, err);

  if (UNLIKELY (fd < 0))
    return fd;
  if (w->depth + 1 == w->alloc)
    {
      w->alloc *= 2;
      w->levels = xrealloc (w->levels, w->alloc * sizeof (*w->levels));
    }
  l = &w->levels[w->depth];
  free (l->child);
  l->child = xstrdup (name);
  l = &w->levels[++w->depth];
  *l = (struct tree_level){ .id = id, .pos = pos };
  if (w->depth >= TREE_OPEN_LEVELS)
    tree_level_close (&w->levels[w->depth - TREE_OPEN_LEVELS]);
  return tree_level_open (l, fd, false, 0, err);
}

/* Up from the current level, which is empty now.  An open parent removes
   it by name; a closed one is reopened through "..", which must be the
   directory we came from (a process still renaming directories of the
   tree could have moved us: then start again from the top), and reads on
   from its entry.  */
static int
tree_walk_up (struct tree_walk *w, reg_error_t *err)
{
  struct tree_level *l = &w->levels[w->depth], *p = &w->levels[w->depth - 1];
  cleanup_free char *name = NULL;
  long pos = l->pos;
  struct dir_id id;
  int fd, ret;

  if (p->d == NULL)
    {
      if (w->depth == 1)
        fd = openat (w->topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      else
        {
          fd = openat (dirfd (l->d), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0 && (dir_identity (fd, &id) < 0 || !same_dir (&id, &p->id)))
            {
              close (fd);
              return tree_walk_restart (w, err);
            }
        }
      if (fd < 0)
        return tree_walk_restart (w, err);
      tree_level_close (l);
      w->depth--;
      return tree_level_open (p, fd, true, pos, err);
    }
  tree_level_close (l);
  w->depth--;
  name = steal_pointer (&p->child);
  if (unlink_in (dirfd (p->d), name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  /* Filled meanwhile: empty it again.  */
  if (errno == ENOTEMPTY || errno == EEXIST)
    return tree_walk_down (w, name, pos, err);
  ret = errno;
  return reg_make_error (err, ret, "rmdir `%s`", name);
}

/* Empty the directory TOPFD with a fixed number of fds whatever its depth
   (a container decides the depth of its writable layer, and one fd per
   level ends in EMFILE).  Each level keeps its identity and where its
   parent's read stopped (memory, not fds), and an open stream only while
   it is among the deepest TREE_OPEN_LEVELS.  A stream reopened at a
   position ends with one more read from the start: entries may move when
   others are removed.  */
static int
empty_tree (int topfd, const struct dir_id *top, reg_error_t *err)
{
  __attribute__ ((cleanup (cleanup_tree_walkp))) struct tree_walk w = { .topfd = topfd, .top = *top };
  int ret;

  w.alloc = 64;
  w.levels = xmalloc0 (w.alloc * sizeof (*w.levels));
  w.levels[0].id = *top;
  ret = tree_walk_restart (&w, err);
  if (UNLIKELY (ret < 0))
    return ret;
  for (;;)
    {
      struct tree_level *l = &w.levels[w.depth];
      long here = telldir (l->d);
      struct dirent *de;

      errno = 0;
      de = readdir (l->d);
      if (de == NULL)
        {
          if (errno != 0)
            return reg_make_error (err, errno, "read a directory");
          if (l->resumed)
            {
              rewinddir (l->d);
              l->resumed = false;
              continue;
            }
          if (w.depth == 0)
            return 0;
          ret = tree_walk_up (&w, err);
        }
      else if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      else
        {
          ret = remove_entry (dirfd (l->d), de, err);
          if (ret == 1)
            ret = tree_walk_down (&w, de->d_name, here, err);
        }
      if (UNLIKELY (ret < 0))
        return ret;
    }
}

int
remove_tree_at (int dirfd, const char *name, reg_error_t *err)
{
  cleanup_close int fd = -1;
  struct dir_id top;
  int ret;

  if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno == ENOTDIR)
    {
      if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
        return reg_make_error (err, errno, "unlink `%s`", name);
      return 0;
    }
  if (errno != ENOTEMPTY && errno != EEXIST)
    return reg_make_error (err, errno, "rmdir `%s`", name);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return reg_make_error (err, errno, "open `%s`", name);
  if (dir_identity (fd, &top) < 0)
    return reg_make_error (err, errno, "stat `%s`", name);
  if (top.mount_root)
    return reg_make_error (err, EBUSY, "`%s` is a mount point", name);
  ret = empty_tree (fd, &top, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "remove `%s`", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return reg_make_error (err, errno, "rmdir `%s`", name);
  return 0;
}

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
  };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  if (fd < 0)
    return -errno;
  return fd;
}

int
open_in_root_raw (int rootfd, const char *path, int flags, mode_t mode)
{
  return openat2_in_root (rootfd, path, flags, mode, 0);
}

int
open_real_path_in_root_raw (int rootfd, const char *path, int flags)
{
  return openat2_in_root (rootfd, path, flags, 0, RESOLVE_NO_SYMLINKS);
}

int
open_in_root (int rootfd, const char *path, int flags, mode_t mode, reg_error_t *err)
{
  int fd = open_in_root_raw (rootfd, path, flags, mode);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, -fd, "open `%s` in the container root", path);
  return fd;
}

int
reopen_fd (int pathfd, int flags)
{
  char proc[64];
  int fd;

  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", pathfd);
  fd = open (proc, flags | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == EPERM && (flags & O_NOATIME))
    fd = open (proc, (flags & ~O_NOATIME) | O_NONBLOCK | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int
reopen_regular (int pathfd, int flags, struct stat *st)
{
  struct stat buf;

  if (st == NULL)
    st = &buf;
  if (fstat (pathfd, st) < 0)
    return -errno;
  if (!S_ISREG (st->st_mode))
    return -EINVAL;
  return reopen_fd (pathfd, flags);
}

int
open_regular_in_root_raw (int rootfd, const char *path, struct stat *st)
{
  cleanup_close int pathfd = open_in_root_raw (rootfd, path, O_PATH, 0);

  if (pathfd < 0)
    return pathfd;
  return reopen_regular (pathfd, O_RDONLY, st);
}

int
parse_uint64 (const char *s, uint64_t *out)
{
  char *end = NULL;
  unsigned long long v;

  if (s == NULL || *s == '\0' || *s == '-')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 0);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
parse_int64 (const char *s, int64_t *out)
{
  char *end = NULL;
  long long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 0);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

bool
has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* The lines of /proc/self/uid_map: "inside outside count".  */
struct uid_range
{
  unsigned long inside, outside, count;
};

static size_t
read_uid_map (struct uid_range *r, size_t max)
{
  cleanup_free char *data = NULL;
  reg_error_t err = NULL;
  size_t len = 0, n = 0;

  if (read_all_file ("/proc/self/uid_map", 1 << 16, &data, &len, &err) < 0)
    {
      reg_error_release (&err);
      return 0;
    }
  for (char *line = data, *next; line && *line && n < max; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (sscanf (line, "%lu %lu %lu", &r[n].inside, &r[n].outside, &r[n].count) == 3)
        n++;
    }
  return n;
}

bool
running_rootless (void)
{
  /* Per process: a child may have entered another user namespace.  */
  static pid_t cached_pid;
  static int cached = -1;
  struct uid_range r[340];
  size_t n;

  if (cached >= 0 && cached_pid == getpid ())
    return cached;
  cached_pid = getpid ();
  if (geteuid () != 0)
    return (cached = 1);
  /* No /proc: nothing says we are in a user namespace.  */
  n = read_uid_map (r, sizeof (r) / sizeof (r[0]));
  cached = !(n == 0 || (n == 1 && r[0].inside == 0 && r[0].outside == 0 && r[0].count == 4294967295UL));
  return cached;
}

uid_t
host_euid (void)
{
  struct uid_range r[340];
  uid_t uid = geteuid ();
  size_t n = read_uid_map (r, sizeof (r) / sizeof (r[0]));

  for (size_t i = 0; i < n; i++)
    if (uid >= r[i].inside && uid - r[i].inside < r[i].count)
      return (uid_t)(r[i].outside + (uid - r[i].inside));
  return uid;
}

bool
has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  char *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  xasprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },     { "ILL", SIGILL },   { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },   { "KILL", SIGKILL },
  { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
  { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },     { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
  { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

int
signal_from_name (const char *name)
{
  uint64_t num;
  int64_t off;

  if (name == NULL || *name == '\0')
    return -1;
  if (parse_uint64 (name, &num) == 0)
    return num >= 1 && num < (uint64_t)NSIG ? (int)num : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMIN;
      if (parse_int64 (name + 5, &off) == 0 && off >= 0 && SIGRTMIN + off <= SIGRTMAX)
        return SIGRTMIN + (int)off;
    }
  if (strncasecmp (name, "RTMAX", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMAX;
      if (parse_int64 (name + 5, &off) == 0 && off <= 0 && SIGRTMAX + off >= SIGRTMIN)
        return SIGRTMAX + (int)off;
    }
  return -1;
}

const char *
signal_name (int sig)
{
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}

int
fd_above (int fd, int floor, reg_error_t *err)
{
  int n;

  if (fd < 0 || fd >= floor)
    return fd;
  n = fcntl (fd, F_DUPFD_CLOEXEC, floor);
  if (n < 0)
    n = reg_make_error (err, errno, "dup fd");
  close (fd);
  return n;
}
