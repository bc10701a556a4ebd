/* libreg: the container's root file system (see mounts.h).  */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup.h"
#include "lsm.h"
#include "mounts.h"
#include "utils.h"

#define FD_PATH_MAX 32

static const char *
fd_path (char buf[FD_PATH_MAX], int fd)
{
  snprintf (buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

/* MS_* -> MOUNT_ATTR_* for mount_setattr.  */
static unsigned long long
ms_to_attr (unsigned long ms, unsigned long long *atime_clr)
{
  unsigned long long a = 0;
  if (ms & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
#ifdef MOUNT_ATTR_NOSYMFOLLOW
  if (ms & 256 /* MS_NOSYMFOLLOW */)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
#endif
  if (ms & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      *atime_clr |= MOUNT_ATTR__ATIME;
      if (ms & MS_NOATIME)
        a |= MOUNT_ATTR_NOATIME;
      else if (ms & MS_STRICTATIME)
        a |= MOUNT_ATTR_STRICTATIME;
    }
  return a;
}

int
runtime_mount_flags_parse (const oci_strv *options, struct runtime_mount_flags *out, reg_error_t *err)
{
  size_t data_len = 0;

  memset (out, 0, sizeof (*out));
  for (size_t i = 0; i < options->len; i++)
    {
      const char *name = options->items[i];
      const struct oci_mount_option *o = oci_mount_option_find (name);

      if (o == NULL && strcmp (name, "tmpcopyup") == 0)
        {
          out->tmpcopyup = true;
          continue;
        }
      if (o == NULL)
        {
          size_t n = strlen (name);
          out->data = xrealloc (out->data, data_len + n + 2);
          if (data_len)
            out->data[data_len++] = ',';
          memcpy (out->data + data_len, name, n + 1);
          data_len += n;
          continue;
        }
      if (o->propagation)
        {
          if (out->n_propagation == (int)(sizeof (out->propagation) / sizeof (out->propagation[0])))
            return reg_make_error (err, 0, "mount option `%s`: too many propagation options", name);
          out->propagation[out->n_propagation++] = o->propagation;
          continue;
        }
      if (o->flags & MS_BIND)
        {
          out->bind = true;
          out->rbind |= o->recursive;
          continue;
        }
      if (o->recursive)
        {
          unsigned long long clr = 0;
          unsigned long long a = ms_to_attr (o->flags, &clr);
          if (o->clear)
            {
              out->attr_clr |= a | clr;
              out->attr_set &= ~a;
            }
          else
            {
              out->attr_set |= a;
              out->attr_clr |= clr;
            }
          continue;
        }
      if (o->clear)
        out->flags &= ~o->flags;
      else
        out->flags |= o->flags;
    }
  return 0;
}

void
runtime_mount_flags_clear (struct runtime_mount_flags *f)
{
  free (f->data);
  f->data = NULL;
}

/* Open PATH inside the root, making what is missing: directories, and the
   last component as a directory (DIR) or an empty file.  Returns an O_PATH
   fd.  Each component is resolved inside the root, so a symlink of the
   image cannot lead the creation outside.  */
static int
make_in_root (int rootfd, const char *path, bool dir, reg_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *p;
  int fd;

  fd = open_in_root_raw (rootfd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (fd != -ENOENT)
    return reg_make_error (err, -fd, "open `%s` in the container root", path);

  copy = xstrdup (path);
  p = copy;
  while (*p == '/')
    p++;
  for (;;)
    {
      char *slash = strchr (p, '/');
      bool last;
      cleanup_close int parent = -1;
      char saved;
      char *name;

      while (slash && slash[1] == '/')
        slash++;
      last = slash == NULL || slash[1] == '\0';
      if (slash)
        *slash = '\0';
      /* copy is now the prefix up to and including this component.  */
      fd = open_in_root_raw (rootfd, copy, O_PATH, 0);
      if (fd >= 0 && !last)
        {
          close (fd);
          *slash = '/';
          p = slash + 1;
          continue;
        }
      if (fd >= 0)
        return fd;
      if (fd != -ENOENT)
        return reg_make_error (err, -fd, "open `%s` in the container root", copy);
      name = strrchr (copy, '/');
      if (name == NULL || name == copy)
        {
          parent = open_in_root_raw (rootfd, "/", O_PATH | O_DIRECTORY, 0);
          name = (name == copy) ? copy + 1 : copy;
        }
      else
        {
          saved = *name;
          *name = '\0';
          parent = open_in_root_raw (rootfd, copy, O_PATH | O_DIRECTORY, 0);
          *name = saved;
          name++;
        }
      if (parent < 0)
        return reg_make_error (err, -parent, "open `%s` in the container root", copy);
      if (!last || dir)
        {
          if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
            return reg_make_error (err, errno, "mkdir `%s` in the container root", copy);
        }
      else
        {
          int f = openat (parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0755);
          if (f < 0 && errno != EEXIST)
            return reg_make_error (err, errno, "create `%s` in the container root", copy);
          if (f >= 0)
            close (f);
        }
      fd = open_in_root_raw (rootfd, copy, O_PATH, 0);
      if (fd < 0)
        return reg_make_error (err, -fd, "open `%s` in the container root", copy);
      if (last)
        return fd;
      close (fd);
      *slash = '/';
      p = slash + 1;
    }
}

int
runtime_mounts_mkdir_in_root (int rootfd, const char *dir, reg_error_t *err)
{
  int fd = make_in_root (rootfd, dir, true, err);
  if (UNLIKELY (fd < 0))
    return fd;
  close (fd);
  return 0;
}

/* ---- mounts made with their final flags before they are attached ----

   Every mount is prepared detached (open_tree of a bind's source, fsopen +
   fsmount of a new filesystem), gets its final attributes with
   mount_setattr, and only then is moved onto a target fd resolved once in
   the root: nothing is ever remounted through a path looked up a second
   time, which whoever can rename the rootfs's directories during create
   could redirect.  Propagation, which needs an attached mount, is set
   through the same mount fd.  */

/* Test-only: with REG_TEST_PAUSE_DIR set, stop after attaching each mount
   until a test has done its worst to the rootfs (DIR/N names the mount;
   the test creates DIR/N.go).  How the trust tests drive renaming races
   deterministically.  */
static void
test_pause (const char *what)
{
  static int n;
  const char *dir = getenv ("REG_TEST_PAUSE_DIR");
  cleanup_free char *path = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_free char *go = NULL;

  if (dir == NULL || *dir == '\0')
    return;
  xasprintf (&path, "%s/%d", dir, n);
  xasprintf (&tmp, "%s/%d.tmp", dir, n);
  xasprintf (&go, "%s/%d.go", dir, n++);
  if (write_file (tmp, what, strlen (what), NULL) < 0 || rename (tmp, path) < 0)
    return;
  for (int i = 0; i < 30000 && access (go, F_OK) < 0; i++)
    usleep (1000);
}

/* A detached copy of the mount tree at DIRFD/PATH ("": DIRFD itself), to
   be mounted at DEST.  */
static int
clone_tree (int dirfd, const char *path, bool recursive, const char *source, const char *dest, reg_error_t *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) | (*path ? 0 : AT_EMPTY_PATH);
  int fd = open_tree (dirfd, path, flags);
  if (fd < 0)
    return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", source, dest);
  return fd;
}

static int
set_attr (int mfd, unsigned long long set, unsigned long long clr, bool recursive, const char *what, reg_error_t *err)
{
  struct mount_attr a = { .attr_set = set, .attr_clr = clr };
  if (set == 0 && clr == 0)
    return 0;
  if (mount_setattr (mfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof (a)) < 0)
    return reg_make_error (err, errno, "set the flags of \"%s\"", what);
  return 0;
}

/* The flags of a bind's options, as a remount with them would give: a flag
   the options do not name is cleared, except the atime mode.  Where the
   kernel locked a flag of the source (a user namespace), it is kept, as a
   remount would have to.  */
static int
set_bind_flags (int mfd, const struct runtime_mount_flags *f, const char *what, reg_error_t *err)
{
  const unsigned long long clearable = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC
                                       | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW;
  unsigned long long atime_clr = 0;
  unsigned long long set;
  int ret;

  if ((f->flags & ~(MS_BIND | MS_REC)) == 0)
    return 0;
  set = ms_to_attr (f->flags, &atime_clr);
  ret = set_attr (mfd, set, (clearable & ~set) | atime_clr, false, what, err);
  if (ret == -EPERM)
    {
      reg_error_release (err);
      ret = set_attr (mfd, set, atime_clr, false, what, err);
    }
  return ret;
}

/* Attach the detached mount MFD onto TARGET (an O_PATH fd): no lookup.  */
static int
attach (int mfd, int target, const char *what, reg_error_t *err)
{
  if (move_mount (mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return reg_make_error (err, errno, "mount \"%s\"", what);
  test_pause (what);
  return 0;
}

/* The options' propagation, in order, on the attached mount MFD.  */
static int
set_propagation (int mfd, const struct runtime_mount_flags *f, const char *what, reg_error_t *err)
{
  for (int i = 0; i < f->n_propagation; i++)
    {
      struct mount_attr a = { .propagation = f->propagation[i] & ~MS_REC };
      if (mount_setattr (mfd, "", AT_EMPTY_PATH | ((f->propagation[i] & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof (a))
          < 0)
        return reg_make_error (err, errno, "set propagation of \"%s\"", what);
    }
  return 0;
}

/* The filesystem's own message for a failed fsconfig, if it left one.  */
static int
fs_error (int fsfd, int errnum, const char *source, const char *what, reg_error_t *err)
{
  char log[512];
  ssize_t n = read (fsfd, log, sizeof (log) - 1);
  if (n > 2)
    {
      log[n] = '\0';
      if (log[n - 1] == '\n')
        log[n - 1] = '\0';
      return reg_make_error (err, errnum, "mount \"%s\" to \"%s\" (%s)", source, what, log + 2);
    }
  return reg_make_error (err, errnum, "mount \"%s\" to \"%s\"", source, what);
}

/* One option of mount(2)'s data string as an fsconfig parameter.  */
static int
fs_param (int fsfd, char *opt)
{
  char *eq = strchr (opt, '=');
  if (eq == NULL)
    return fsconfig (fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
  *eq++ = '\0';
  /* An LSM context is quoted because it may hold commas.  */
  if (*eq == '"' && eq[strlen (eq) - 1] == '"' && strlen (eq) >= 2)
    {
      eq[strlen (eq) - 1] = '\0';
      eq++;
    }
  return fsconfig (fsfd, FSCONFIG_SET_STRING, opt, eq, 0);
}

/* A new, detached mount of filesystem TYPE: DATA (mount(2)'s
   comma-separated options, a comma inside double quotes included) as
   fsconfig parameters, the superblock flags of FLAGS as flags, the rest of
   FLAGS as the mount's attributes.  */
static int
fs_mount (const char *type, const char *source, unsigned long flags, const char *data, const char *what,
          reg_error_t *err)
{
  static const struct
  {
    unsigned long flag;
    const char *name;
  } sb_flags[] = {
    { MS_RDONLY, "ro" },         { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },    { MS_MANDLOCK, "mand" },
    { MS_LAZYTIME, "lazytime" }, { MS_SILENT, "silent" },    { MS_I_VERSION, "iversion" },
  };
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  cleanup_free char *opts = data ? xstrdup (data) : NULL;
  unsigned long long atime_clr = 0;
  unsigned long long attr;
  int mfd;

  if (fsfd < 0)
    return reg_make_error (err, errno, "mount \"%s\" to \"%s\": filesystem `%s`", source, what, type);
  if (source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_error (fsfd, errno, source, what, err);
  for (size_t i = 0; i < sizeof (sb_flags) / sizeof (sb_flags[0]); i++)
    if ((flags & sb_flags[i].flag) && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
      return fs_error (fsfd, errno, source, what, err);
  for (char *p = opts; p && *p;)
    {
      char *e = p;
      bool quoted = false;
      for (; *e && (quoted || *e != ','); e++)
        if (*e == '"')
          quoted = !quoted;
      if (*e)
        *e++ = '\0';
      if (*p && fs_param (fsfd, p) < 0)
        return fs_error (fsfd, errno, source, what, err);
      p = e;
    }
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, errno, source, what, err);
  attr = ms_to_attr (flags, &atime_clr);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned)attr);
  if (mfd < 0)
    return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", source, what);
  return mfd;
}

/* Check that the attached mount MFD is read-only, as asked.  */
static int
check_rdonly (int mfd, const char *what, reg_error_t *err)
{
  struct statvfs sv;
  if (fstatvfs (mfd, &sv) < 0)
    return reg_make_error (err, errno, "statvfs \"%s\"", what);
  if (!(sv.f_flag & ST_RDONLY))
    return reg_make_error (err, EPERM, "\"%s\" is not read-only after its mount", what);
  return 0;
}

/* The name of the hierarchy a cgroup directory belongs to:
   /sys/fs/cgroup/memory/x -> "memory".  */
static char *
hierarchy_name (const char *path)
{
  const char *p = path + strlen ("/sys/fs/cgroup/");
  const char *e = strchr (p, '/');
  return e ? xstrndup (p, (size_t)(e - p)) : xstrdup (p);
}

/* The detached mount MFD, given the options' attributes, attached onto
   TARGET, then its propagation.  */
static int
attach_final (int mfd, const struct runtime_mount_flags *f, int target, const char *what, reg_error_t *err)
{
  int ret = set_attr (mfd, f->attr_set, f->attr_clr, true, what, err);

  if (LIKELY (ret == 0))
    ret = attach (mfd, target, what, err);
  if (LIKELY (ret == 0))
    ret = set_propagation (mfd, f, what, err);
  return ret;
}

/* A bind of the host directory SOURCE onto TARGET with the options' flags.  */
static int
bind_onto (const char *source, bool recursive, const struct runtime_mount_flags *f, int target, const char *what,
           reg_error_t *err)
{
  cleanup_close int mfd = clone_tree (AT_FDCWD, source, recursive, source, what, err);
  int ret;

  if (UNLIKELY (mfd < 0))
    return mfd;
  ret = set_bind_flags (mfd, f, what, err);
  return ret < 0 ? ret : attach_final (mfd, f, target, what, err);
}

/* A new filesystem onto TARGET with the options' flags.  */
static int
fs_onto (const char *type, const char *source, const struct runtime_mount_flags *f, const char *data, int target,
         const char *what, reg_error_t *err)
{
  cleanup_close int mfd = fs_mount (type, source, f->flags, data, what, err);

  if (UNLIKELY (mfd < 0))
    return mfd;
  return attach_final (mfd, f, target, what, err);
}

static int
mount_cgroup (const struct runtime_mount_ctx *ctx, int rootfd, const oci_mount *m, const struct runtime_mount_flags *f,
              reg_error_t *err)
{
  struct runtime_mount_flags tmpfs_flags = *f;
  cleanup_close int fd = -1;
  cleanup_close int mfd = -1;
  int ret;

  fd = make_in_root (rootfd, m->destination, true, err);
  if (UNLIKELY (fd < 0))
    return fd;
  if (runtime_cgroup_mode () == RUNTIME_CGROUP_V2)
    {
      /* Inside a cgroup namespace cgroup2 shows the container's own cgroup
         as its root; without one, bind that directory.  */
      if (ctx->cgroupns || ctx->cgroup_paths == NULL || ctx->cgroup_paths[0] == NULL)
        return fs_onto ("cgroup2", "cgroup2", f, NULL, fd, m->destination, err);
      return bind_onto (ctx->cgroup_paths[0], true, f, fd, m->destination, err);
    }

  /* v1/hybrid: a tmpfs with a directory per hierarchy: the hierarchy
     itself in a cgroup namespace, else the container's own directory bound
     there; the tmpfs is made read-only (through its fd) once filled.  */
  tmpfs_flags.flags &= ~MS_RDONLY;
  mfd = fs_mount ("tmpfs", "tmpfs", tmpfs_flags.flags, "mode=755", m->destination, err);
  if (UNLIKELY (mfd < 0))
    return mfd;
  ret = attach (mfd, fd, m->destination, err);
  if (UNLIKELY (ret < 0))
    return ret;
  for (char **cg = ctx->cgroup_paths; cg && *cg; cg++)
    {
      cleanup_free char *name = hierarchy_name (*cg);
      cleanup_free char *sub = NULL;
      cleanup_close int sfd = -1;

      xasprintf (&sub, "%s/%s", m->destination, name);
      if (mkdirat (mfd, name, 0755) < 0 && errno != EEXIST)
        return reg_make_error (err, errno, "mkdir \"%s\"", sub);
      sfd = openat (mfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0)
        return reg_make_error (err, errno, "open \"%s\"", sub);
      if (ctx->cgroupns)
        {
          /* In a cgroup namespace each hierarchy mounted afresh shows the
             container's cgroup as its root, as runc does.  */
          struct statfs sfs;
          bool v2 = statfs (*cg, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
          const char *opts = strcmp (name, "systemd") == 0 ? "none,name=systemd" : name;
          ret = fs_onto (v2 ? "cgroup2" : "cgroup", v2 ? "cgroup2" : "cgroup", f, v2 ? NULL : opts, sfd, sub, err);
        }
      else
        ret = bind_onto (*cg, true, f, sfd, sub, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (f->flags & MS_RDONLY)
    {
      ret = set_attr (mfd, MOUNT_ATTR_RDONLY, 0, false, m->destination, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return set_propagation (mfd, f, m->destination, err);
}

/* Copy the regular file or symlink NAME of SRC into DST (not recursive: the
   buffer is not on every level of copy_tree's stack).  */
static int
copy_leaf (int src, int dst, const char *name, const struct stat *st, const char *dest, reg_error_t *err)
{
  if (S_ISREG (st->st_mode))
    {
      cleanup_close int s2 = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d2 = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      char buf[65536];
      ssize_t r;
      if (s2 < 0 || d2 < 0)
        return reg_make_error (err, errno, "tmpcopyup: open \"%s/%s\"", dest, name);
      while ((r = TEMP_FAILURE_RETRY_INT (read (s2, buf, sizeof buf))) > 0)
        if (write_all (d2, buf, (size_t)r, err) < 0)
          return reg_error_wrap (err, "tmpcopyup: write \"%s/%s\"", dest, name);
      if (r < 0)
        return reg_make_error (err, errno, "tmpcopyup: read \"%s/%s\"", dest, name);
      return 0;
    }
  if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t len = readlinkat (src, name, target, sizeof target - 1);
      if (len < 0)
        return reg_make_error (err, errno, "tmpcopyup: readlink \"%s/%s\"", dest, name);
      target[len] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return reg_make_error (err, errno, "tmpcopyup: symlink \"%s/%s\"", dest, name);
      return 0;
    }
  if (mknodat (dst, name, st->st_mode, st->st_rdev) < 0)
    return reg_make_error (err, errno, "tmpcopyup: mknod \"%s/%s\"", dest, name);
  return 0;
}

/* An image's directory under a tmpcopyup mount may be hostile: a bound on
   the depth keeps the copy from exhausting fds or stack.  */
#define TMPCOPYUP_MAX_DEPTH 128

/* Copy the entries of directory SRC into DST (an empty tmpfs), keeping
   type, mode, owner and times: what `tmpcopyup` promises.  Extended
   attributes are not copied (runc does not either).  By hand because no
   library of ours copies trees.  */
static int
copy_tree (int src, int dst, const char *dest, int depth, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int dupfd;

  if (depth > TMPCOPYUP_MAX_DEPTH)
    return reg_make_error (err, 0, "tmpcopyup: \"%s\" is nested deeper than %d directories", dest, TMPCOPYUP_MAX_DEPTH);
  dupfd = dup (src);
  if (dupfd < 0 || (d = fdopendir (dupfd)) == NULL)
    {
      if (dupfd >= 0)
        close (dupfd);
      return reg_make_error (err, errno, "tmpcopyup: read \"%s\"", dest);
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      const char *n = de->d_name;
      struct stat st;
      int ret;

      if (strcmp (n, ".") == 0 || strcmp (n, "..") == 0)
        continue;
      if (fstatat (src, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return reg_make_error (err, errno, "tmpcopyup: stat \"%s/%s\"", dest, n);
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int s2 = -1;
          cleanup_close int d2 = -1;
          if (mkdirat (dst, n, 0700) < 0)
            return reg_make_error (err, errno, "tmpcopyup: mkdir \"%s/%s\"", dest, n);
          s2 = openat (src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          d2 = openat (dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (s2 < 0 || d2 < 0)
            return reg_make_error (err, errno, "tmpcopyup: open \"%s/%s\"", dest, n);
          ret = copy_tree (s2, d2, dest, depth + 1, err);
        }
      else
        ret = copy_leaf (src, dst, n, &st, dest, err);
      if (UNLIKELY (ret < 0))
        return ret;
      /* Owner before mode: chown clears set-id bits.  */
      if (fchownat (dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return reg_make_error (err, errno, "tmpcopyup: chown \"%s/%s\"", dest, n);
      if (!S_ISLNK (st.st_mode) && fchmodat (dst, n, st.st_mode & 07777, 0) < 0)
        return reg_make_error (err, errno, "tmpcopyup: chmod \"%s/%s\"", dest, n);
      {
        struct timespec ts[2] = { st.st_atim, st.st_mtim };
        utimensat (dst, n, ts, AT_SYMLINK_NOFOLLOW);
      }
    }
  if (errno != 0)
    return reg_make_error (err, errno, "tmpcopyup: read \"%s\"", dest);
  return 0;
}

/* The tmpfs M with the contents of the image's directory underneath
   (TARGET, when it was there before: EXISTED), filled while detached, then
   given its final flags and attached.  */
static int
mount_tmpcopyup (const oci_mount *m, const struct runtime_mount_flags *f, const char *source, int target, bool existed,
                 reg_error_t *err)
{
  cleanup_close int mfd = -1;
  cleanup_close int dst = -1;
  unsigned long long atime_clr = 0;
  int ret;

  mfd = fs_mount ("tmpfs", source, f->flags & ~MS_RDONLY, f->data, m->destination, err);
  if (UNLIKELY (mfd < 0))
    return mfd;
  /* runc copies only what the image had: a mount point we made has
     nothing to copy, and its mode is not the image's.  */
  if (existed)
    {
      cleanup_close int src = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct stat st;

      dst = openat (mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (src < 0 || dst < 0)
        return reg_make_error (err, errno, "tmpcopyup: open \"%s\"", m->destination);
      ret = copy_tree (src, dst, m->destination, 0, err);
      if (UNLIKELY (ret < 0))
        return ret;
      /* The directory itself keeps its mode and owner too.  */
      if (fstat (src, &st) < 0 || fchown (dst, st.st_uid, st.st_gid) < 0 || fchmod (dst, st.st_mode & 07777) < 0)
        return reg_make_error (err, errno, "tmpcopyup: chmod \"%s\"", m->destination);
    }
  ret = set_attr (mfd, ms_to_attr (f->flags & MS_RDONLY, &atime_clr), 0, false, m->destination, err);
  return ret < 0 ? ret : attach_final (mfd, f, target, m->destination, err);
}

static int
mount_one (const struct runtime_mount_ctx *ctx, int rootfd, const oci_mount *m, reg_error_t *err)
{
  struct runtime_mount_flags f;
  cleanup_free char *source = NULL;
  cleanup_close int fd = -1;
  cleanup_close int mfd = -1;
  const char *type = m->type;
  bool bind;
  int ret;

  ret = runtime_mount_flags_parse (&m->options, &f, err);
  if (UNLIKELY (ret < 0))
    return ret;
  bind = f.bind || (type && strcmp (type, "bind") == 0);

  if (type && strcmp (type, "cgroup") == 0 && !bind)
    {
      ret = mount_cgroup (ctx, rootfd, m, &f, err);
      runtime_mount_flags_clear (&f);
      return ret;
    }

  if (bind && m->source && m->source[0] != '/')
    xasprintf (&source, "%s/%s", ctx->bundle, m->source);
  else
    source = xstrdup (m->source ? m->source : (type ? type : "none"));

  if (bind)
    {
      struct stat st;
      /* The source once: what was cloned decides the mount point's type.  */
      mfd = clone_tree (AT_FDCWD, source, f.rbind, source, m->destination, err);
      if (UNLIKELY (mfd < 0))
        {
          ret = mfd;
          goto out;
        }
      if (fstat (mfd, &st) < 0)
        {
          ret = reg_make_error (err, errno, "stat \"%s\"", source);
          goto out;
        }
      fd = make_in_root (rootfd, m->destination, S_ISDIR (st.st_mode), err);
      if (UNLIKELY (fd < 0))
        {
          ret = fd;
          goto out;
        }
      ret = set_bind_flags (mfd, &f, m->destination, err);
      if (LIKELY (ret == 0))
        ret = attach_final (mfd, &f, fd, m->destination, err);
    }
  else if (f.tmpcopyup && type && strcmp (type, "tmpfs") == 0)
    {
      int existing = open_in_root_raw (rootfd, m->destination, O_PATH, 0);
      if (existing >= 0)
        close (existing);
      fd = make_in_root (rootfd, m->destination, true, err);
      if (UNLIKELY (fd < 0))
        {
          ret = fd;
          goto out;
        }
      ret = mount_tmpcopyup (m, &f, source, fd, existing >= 0, err);
    }
  else
    {
      /* linux.mountLabel: on the filesystems we make ourselves, where
         SELinux is on.  */
      bool labeled
          = type && (strcmp (type, "tmpfs") == 0 || strcmp (type, "devpts") == 0 || strcmp (type, "mqueue") == 0);
      cleanup_free char *data = labeled ? runtime_lsm_mount_data (f.data, ctx->config->linux_cfg.mount_label) : NULL;

      fd = make_in_root (rootfd, m->destination, true, err);
      if (UNLIKELY (fd < 0))
        {
          ret = fd;
          goto out;
        }
      mfd = fs_mount (type ? type : "none", source, f.flags, labeled ? data : f.data, m->destination, err);
      /* sysfs needs a network namespace of our own user namespace; without
         one, bind the host's /sys as runc does.  */
      if (mfd < 0 && type && strcmp (type, "sysfs") == 0 && (mfd == -EPERM || mfd == -EBUSY))
        {
          reg_error_release (err);
          ret = bind_onto ("/sys", true, &f, fd, m->destination, err);
          goto out;
        }
      if (UNLIKELY (mfd < 0))
        {
          ret = mfd;
          goto out;
        }
      ret = attach_final (mfd, &f, fd, m->destination, err);
    }
out:
  runtime_mount_flags_clear (&f);
  return ret;
}

static unsigned long
propagation_flags (const char *name)
{
  const struct oci_mount_option *o = oci_mount_option_find (name);
  return o ? o->propagation : 0;
}

/* minimal's root: the environment LOWER under the private UPPER layer.
   Each layer is one fsconfig parameter, so any path works (the legacy
   option string breaks at a `,` or `:`).  */
static int
overlay_mount (const char *lower, const char *upper, const char *work, reg_error_t *err)
{
  cleanup_close int fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  int mfd;

  if (fsfd < 0)
    return reg_make_error (err, errno, "REG: overlay");
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir+", lower, 0) < 0)
    {
      /* Before 6.8: "lowerdir", where `:` separates layers unless escaped.  */
      cleanup_free char *esc = xmalloc (2 * strlen (lower) + 1);
      char *o = esc;
      for (const char *c = lower; *c; c++)
        {
          if (*c == ':' || *c == '\\')
            *o++ = '\\';
          *o++ = *c;
        }
      *o = '\0';
      if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir", esc, 0) < 0)
        return fs_error (fsfd, errno, "overlay", lower, err);
    }
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, errno, "overlay", upper, err);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return reg_make_error (err, errno, "REG: mount the overlay");
  return mfd;
}

/* minimal's root, detached: the overlay of the environment under the
   private layer, or a read-only clone of the environment.  */
static int
minimal_root (const struct reg_plan *plan, const char *rootfs, reg_error_t *err)
{
  int mfd;

  if (plan->upper_dir)
    return overlay_mount (plan->lower_dir, plan->upper_dir, plan->work_dir, err);
  mfd = clone_tree (AT_FDCWD, plan->lower_dir, true, plan->lower_dir, rootfs, err);
  if (mfd >= 0 && (set_attr (mfd, MOUNT_ATTR_RDONLY, 0, true, rootfs, err) < 0 || check_rdonly (mfd, rootfs, err) < 0))
    {
      close (mfd);
      return reg_error_ret (err);
    }
  return mfd;
}

/* share's objects over their paths in the tree at ROOTFD: each read-only
   before it is attached, onto a target resolved once, inside the root,
   through no symlink (the analysis recorded real paths), and checked
   read-only after.  */
static int
share_binds (const struct reg_plan *plan, int rootfd, reg_error_t *err)
{
  for (size_t i = 0; i < plan->n_binds; i++)
    {
      const struct reg_bind *b = &plan->binds[i];
      cleanup_close int obj = -1;
      cleanup_close int t = -1;
      int ret;

      obj = clone_tree (AT_FDCWD, b->source, false, b->source, b->target, err);
      if (UNLIKELY (obj < 0))
        return reg_error_wrap (err, "REG");
      ret = set_attr (obj, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, false, b->target, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "REG");
      t = open_real_path_in_root_raw (rootfd, b->target, O_PATH | O_NOFOLLOW);
      if (t < 0)
        return reg_make_error (err, -t, "REG: open `%s` in the container root", b->target);
      ret = attach (obj, t, b->target, err);
      if (LIKELY (ret == 0))
        ret = check_rdonly (obj, b->target, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "REG");
    }
  return 0;
}

bool
runtime_mounts_reg_needed (const struct reg_plan *plan)
{
  return plan && (plan->lower_dir || plan->n_binds);
}

int
runtime_mounts_reg_premount (const struct reg_plan *plan, const char *rootfs, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  int ret;

  if (unshare (CLONE_NEWNS) < 0)
    return reg_make_error (err, errno, "REG: unshare the mount namespace");
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return reg_make_error (err, errno, "REG: make \"/\" a slave mount");
  dirfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return reg_make_error (err, errno, "open root `%s`", rootfs);
  if (plan->lower_dir)
    {
      cleanup_close int mfd = minimal_root (plan, rootfs, err);
      if (UNLIKELY (mfd < 0))
        return reg_error_wrap (err, "REG");
      return attach (mfd, dirfd, rootfs, err);
    }
  ret = share_binds (plan, dirfd, err);
  return ret;
}

int
runtime_mounts_prepare_root (const struct runtime_mount_ctx *ctx, int *rootfd, reg_error_t *err)
{
  const char *prop = ctx->config->linux_cfg.rootfs_propagation;
  unsigned long root_prop = MS_SLAVE | MS_REC;
  const struct reg_plan *plan = ctx->reg_premounted ? NULL : ctx->plan;
  cleanup_close int dirfd = -1;
  cleanup_close int mfd = -1;
  int ret;

  /* Nothing we mount may reach the host: "/" becomes a slave (or private
     when asked); a shared rootfsPropagation is applied after pivot_root,
     which refuses a shared parent.  Without a mount namespace "/" is the
     host's own, which is not ours to change.  */
  if (prop && (propagation_flags (prop) & MS_PRIVATE))
    root_prop = MS_PRIVATE | MS_REC;
  if (!ctx->host_mntns && mount (NULL, "/", NULL, root_prop, NULL) < 0)
    return reg_make_error (err, errno, "make \"/\" a %s mount", root_prop & MS_PRIVATE ? "private" : "slave");

  dirfd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return reg_make_error (err, errno, "open root `%s`", ctx->rootfs);
  if (plan && plan->lower_dir)
    {
      mfd = minimal_root (plan, ctx->rootfs, err);
      if (UNLIKELY (mfd < 0))
        return reg_error_wrap (err, "REG");
    }
  else
    {
      mfd = clone_tree (dirfd, "", true, ctx->rootfs, ctx->rootfs, err);
      if (UNLIKELY (mfd < 0))
        return reg_error_wrap (err, "the container's root");
    }
  ret = attach (mfd, dirfd, ctx->rootfs, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (plan && plan->n_binds)
    {
      ret = share_binds (plan, mfd, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  *rootfd = steal_fd (&mfd);
  return 0;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* "unique:N" (Linux 6.8: never reused) or "id:N" for the mount at
   DIRFD/PATH when it is the root of a mount there, else NULL.  */
static char *
mount_id_at (int dirfd, const char *path, int flags)
{
  struct statx stx;
  char *out;

  if (statx (dirfd, path, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &stx) < 0)
    return NULL;
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return NULL;
  if (stx.stx_mask & STATX_MNT_ID_UNIQUE)
    xasprintf (&out, "unique:%llu", (unsigned long long)stx.stx_mnt_id);
  else if (stx.stx_mask & STATX_MNT_ID)
    xasprintf (&out, "id:%llu", (unsigned long long)stx.stx_mnt_id);
  else
    return NULL;
  return out;
}

int
runtime_mounts_host_root (const struct runtime_mount_ctx *ctx, char **id, reg_error_t *err)
{
  cleanup_close int rootfd = -1;
  int ret;

  ret = runtime_mounts_prepare_root (ctx, &rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  *id = mount_id_at (rootfd, "", AT_EMPTY_PATH);
  if (*id == NULL)
    {
      /* Not one delete could find again: take it away now.  */
      char p[FD_PATH_MAX];
      umount2 (fd_path (p, rootfd), MNT_DETACH);
      return reg_make_error (err, 0, "the container's root `%s`: the kernel does not say its mount id", ctx->rootfs);
    }
  return 0;
}

int
runtime_mounts_host_root_release (const char *rootfs, const char *id, reg_error_t *err)
{
  cleanup_free char *now = mount_id_at (AT_FDCWD, rootfs, 0);

  /* Already gone (a reboot, or an earlier delete): nothing of ours there.  */
  if (now == NULL || strcmp (now, id) != 0)
    return 0;
  if (umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
    return reg_make_error (err, errno, "unmount the container's root `%s`", rootfs);
  return 0;
}

char *
runtime_mounts_host_root_below (const char *rootfs)
{
  char *id = mount_id_at (AT_FDCWD, rootfs, 0);
  return id ? id : xstrdup ("none");
}

int
runtime_mounts_host_root_release_unrecorded (const char *rootfs, const char *below, reg_error_t *err)
{
  cleanup_free char *now = mount_id_at (AT_FDCWD, rootfs, 0);

  if (now == NULL || strcmp (now, below) == 0)
    return 0;
  if (umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
    return reg_make_error (err, errno, "unmount the container's root `%s`", rootfs);
  return 0;
}

int
runtime_mounts_config (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err)
{
  for (size_t i = 0; i < ctx->config->n_mounts; i++)
    {
      int ret = mount_one (ctx, rootfd, &ctx->config->mounts[i], err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

static bool
dev_is_bind (const oci_config *config)
{
  for (size_t i = 0; i < config->n_mounts; i++)
    {
      const oci_mount *m = &config->mounts[i];
      if (strcmp (m->destination, "/dev") != 0)
        continue;
      if (m->type && strcmp (m->type, "bind") == 0)
        return true;
      for (size_t j = 0; j < m->options.len; j++)
        if (strcmp (m->options.items[j], "bind") == 0 || strcmp (m->options.items[j], "rbind") == 0)
          return true;
    }
  return false;
}

static int
make_device (const struct runtime_mount_ctx *ctx, int rootfd, const char *path, char type, unsigned maj, unsigned min,
             mode_t perm, uid_t uid, gid_t gid, reg_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  cleanup_close int dfd = -1;
  char *slash = strrchr (dir, '/');
  const char *name;
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

  if (slash == NULL)
    return reg_make_error (err, 0, "device path `%s` is not absolute", path);
  *slash = '\0';
  name = slash + 1;
  dfd = make_in_root (rootfd, *dir ? dir : "/", true, err);
  if (UNLIKELY (dfd < 0))
    return dfd;

  if (ctx->userns && kind != S_IFIFO)
    {
      /* mknod is not allowed in a user namespace: bind the host's node.  */
      cleanup_close int t = -1;
      char p[FD_PATH_MAX];
      int f = openat (dfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f < 0 && errno != EEXIST)
        return reg_make_error (err, errno, "create device `%s`", path);
      if (f >= 0)
        close (f);
      t = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, 0, err);
      if (UNLIKELY (t < 0))
        return t;
      if (mount (path, fd_path (p, t), NULL, MS_BIND, NULL) < 0)
        return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", path, path);
      return 0;
    }
  if (mknodat (dfd, name, kind | (perm & 07777), makedev (maj, min)) < 0)
    {
      if (errno == EEXIST)
        return 0;
      return reg_make_error (err, errno, "mknod `%s`", path);
    }
  /* The umask applied to mknod: set the mode as asked.  */
  {
    cleanup_close int t = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    char p[FD_PATH_MAX];
    if (t < 0 || chmod (fd_path (p, t), perm & 07777) < 0 || fchownat (t, "", uid, gid, AT_EMPTY_PATH) < 0)
      return reg_make_error (err, errno, "set owner and mode of `%s`", path);
  }
  return 0;
}

static const struct
{
  const char *path;
  unsigned maj, min;
} default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

int
runtime_mounts_devices (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err)
{
  const oci_linux *l = &ctx->config->linux_cfg;
  static const struct
  {
    const char *target, *name;
  } links[] = {
    { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  cleanup_close int devfd = -1;
  int ret;

  if (dev_is_bind (ctx->config))
    return 0;
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      bool overridden = false;
      for (size_t j = 0; j < l->n_devices && !overridden; j++)
        overridden = strcmp (l->devices[j].path, default_devices[i].path) == 0;
      if (overridden)
        continue;
      ret = make_device (ctx, rootfd, default_devices[i].path, 'c', default_devices[i].maj, default_devices[i].min,
                         0666, 0, 0, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  for (size_t j = 0; j < l->n_devices; j++)
    {
      const oci_device *d = &l->devices[j];
      ret = make_device (ctx, rootfd, d->path, d->type, (unsigned)d->major, (unsigned)d->minor,
                         d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  devfd = make_in_root (rootfd, "/dev", true, err);
  if (UNLIKELY (devfd < 0))
    return devfd;
  for (size_t i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    if (symlinkat (links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
      return reg_make_error (err, errno, "symlink `/dev/%s`", links[i].name);
  /* /dev/ptmx must be the container's devpts multiplexer.  */
  {
    char p[FD_PATH_MAX];
    cleanup_close int pts = open_in_root_raw (rootfd, "/dev/pts/ptmx", O_PATH, 0);
    if (pts >= 0)
      {
        if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
          return reg_make_error (err, errno, "unlink `/dev/ptmx`");
        if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
          return reg_make_error (err, errno, "symlink `/dev/ptmx`");
      }
    (void)p;
  }
  return 0;
}

int
runtime_mounts_console (int rootfd, int slave_fd, reg_error_t *err)
{
  cleanup_close int fd = make_in_root (rootfd, "/dev/console", false, err);
  char p[FD_PATH_MAX], s[FD_PATH_MAX];

  if (UNLIKELY (fd < 0))
    return fd;
  if (mount (fd_path (s, slave_fd), fd_path (p, fd), NULL, MS_BIND, NULL) < 0)
    return reg_make_error (err, errno, "mount the console to \"/dev/console\"");
  return 0;
}

int
runtime_mounts_pivot (const struct runtime_mount_ctx *ctx, int rootfd, reg_error_t *err)
{
  /* pivot_root or a move onto "/" in the runtime's namespace would change
     the root of every process on the host.  */
  if (ctx->host_mntns)
    {
      if (fchdir (rootfd) < 0)
        return reg_make_error (err, errno, "chdir to the root");
      if (chroot (".") < 0)
        return reg_make_error (err, errno, "chroot");
      if (chdir ("/") < 0)
        return reg_make_error (err, errno, "chdir \"/\"");
      return 0;
    }
  if (ctx->no_pivot)
    {
      if (fchdir (rootfd) < 0)
        return reg_make_error (err, errno, "chdir to the root");
      if (move_mount (rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return reg_make_error (err, errno, "move the root to \"/\"");
      if (chroot (".") < 0)
        return reg_make_error (err, errno, "chroot");
      if (chdir ("/") < 0)
        return reg_make_error (err, errno, "chdir \"/\"");
      return 0;
    }
  else
    {
      cleanup_close int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (oldroot < 0)
        return reg_make_error (err, errno, "open \"/\"");
      if (fchdir (rootfd) < 0)
        return reg_make_error (err, errno, "chdir to the root");
      /* pivot_root(".", ".") stacks the old root on the new one; detach it
         after making it a slave so the unmount does not reach the host.  */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return reg_make_error (err, errno, "pivot_root");
      if (fchdir (oldroot) < 0)
        return reg_make_error (err, errno, "chdir to the old root");
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return reg_make_error (err, errno, "make the old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return reg_make_error (err, errno, "unmount the old root");
      if (chdir ("/") < 0)
        return reg_make_error (err, errno, "chdir \"/\"");
      return 0;
    }
}

static int
mask_path (const char *path, reg_error_t *err)
{
  cleanup_close int fd = open (path, O_PATH | O_CLOEXEC);
  struct stat st;
  char p[FD_PATH_MAX];

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return reg_make_error (err, errno, "masked path `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return reg_make_error (err, errno, "masked path `%s`", path);
  fd_path (p, fd);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", p, "tmpfs", MS_RDONLY, "size=0,mode=555") < 0)
        return reg_make_error (err, errno, "mask \"%s\"", path);
    }
  else if (mount ("/dev/null", p, NULL, MS_BIND, NULL) < 0)
    return reg_make_error (err, errno, "mask \"%s\"", path);
  return 0;
}

/* A read-only bind of PATH over itself: the clone of what PATH names once,
   read-only before it is attached.  */
static int
readonly_path (const char *path, reg_error_t *err)
{
  cleanup_close int fd = open (path, O_PATH | O_CLOEXEC);
  cleanup_close int mfd = -1;
  int ret;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return reg_make_error (err, errno, "readonly path `%s`", path);
    }
  mfd = clone_tree (fd, "", true, path, path, err);
  if (UNLIKELY (mfd < 0))
    return mfd;
  ret = set_attr (mfd, MOUNT_ATTR_RDONLY, 0, true, path, err);
  if (LIKELY (ret == 0))
    ret = attach (mfd, fd, path, err);
  return ret;
}

int
runtime_mounts_finalize (const struct runtime_mount_ctx *ctx, reg_error_t *err)
{
  const oci_linux *l = &ctx->config->linux_cfg;
  const char *prop = l->rootfs_propagation;
  int ret;

  for (size_t i = 0; i < l->masked_paths.len; i++)
    {
      ret = mask_path (l->masked_paths.items[i], err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  for (size_t i = 0; i < l->readonly_paths.len; i++)
    {
      ret = readonly_path (l->readonly_paths.items[i], err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (ctx->config->root_readonly)
    {
      cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (root < 0)
        return reg_make_error (err, errno, "root.readonly: open \"/\"");
      ret = set_attr (root, MOUNT_ATTR_RDONLY, 0, false, "/", err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "root.readonly");
    }
  if (prop && propagation_flags (prop) && mount (NULL, "/", NULL, propagation_flags (prop), NULL) < 0)
    return reg_make_error (err, errno, "rootfsPropagation `%s`", prop);
  return 0;
}

int
runtime_sysctl_apply (const oci_config *config, reg_error_t *err)
{
  const oci_map *m = &config->linux_cfg.sysctl;
  for (size_t i = 0; i < m->len; i++)
    {
      cleanup_free char *path = NULL;
      char *c;
      int ret;

      xasprintf (&path, "/proc/sys/%s", m->items[i].key);
      for (c = path + strlen ("/proc/sys/"); *c; c++)
        if (*c == '.')
          *c = '/';
      if (strstr (path, "/../"))
        return reg_make_error (err, 0, "sysctl `%s`: invalid name", m->items[i].key);
      ret = write_file (path, m->items[i].value, strlen (m->items[i].value), err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "sysctl `%s`", m->items[i].key);
    }
  return 0;
}
