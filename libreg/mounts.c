/* libreg: the container's root file system (see mounts.h).  */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
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
reg_mount_flags_parse (const oci_strv *options, struct reg_mount_flags *out, reg_error_t *err)
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
          if (out->n_propagation == (int) (sizeof (out->propagation) / sizeof (out->propagation[0])))
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
reg_mount_flags_clear (struct reg_mount_flags *f)
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
      if (fd >= 0 && ! last)
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
      if (! last || dir)
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
reg_mounts_mkdir_in_root (int rootfd, const char *dir, reg_error_t *err)
{
  int fd = make_in_root (rootfd, dir, true, err);
  if (UNLIKELY (fd < 0))
    return fd;
  close (fd);
  return 0;
}

/* MS_* flags the kernel locks on a mount (so a bind remount must repeat
   them, or fail with EPERM in a user namespace).  */
static unsigned long
locked_flags (const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

/* Remount the bind mount at PATH with FLAGS (MS_RDONLY, MS_NOSUID...).  */
static int
bind_remount (const char *path, const char *what, unsigned long flags, reg_error_t *err)
{
  unsigned long f = MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
  if (mount (NULL, path, NULL, f, NULL) == 0)
    return 0;
  if (errno == EPERM || errno == EINVAL)
    {
      if (mount (NULL, path, NULL, f | locked_flags (path), NULL) == 0)
        return 0;
    }
  return reg_make_error (err, errno, "remount \"%s\"", what);
}

/* The mounted target again: after a mount, an fd opened before it still
   points at the directory underneath.  */
static int
reopen (int rootfd, const char *dest, reg_error_t *err)
{
  return open_in_root (rootfd, dest, O_PATH, 0, err);
}

static int
apply_after (int rootfd, const char *dest, const struct reg_mount_flags *f, bool remount_bind, reg_error_t *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];
  int ret;

  if (! remount_bind && f->n_propagation == 0 && ! f->attr_set && ! f->attr_clr)
    return 0;
  fd = reopen (rootfd, dest, err);
  if (UNLIKELY (fd < 0))
    return fd;
  fd_path (p, fd);
  if (remount_bind)
    {
      ret = bind_remount (p, dest, f->flags, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  for (int i = 0; i < f->n_propagation; i++)
    if (mount (NULL, p, NULL, f->propagation[i], NULL) < 0)
      return reg_make_error (err, errno, "set propagation of \"%s\"", dest);
  if (f->attr_set || f->attr_clr)
    {
      struct mount_attr attr = { .attr_set = f->attr_set, .attr_clr = f->attr_clr };
      if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
        return reg_make_error (err, errno, "set recursive mount attributes of \"%s\"", dest);
    }
  return 0;
}

static bool
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The name of the hierarchy a cgroup directory belongs to:
   /sys/fs/cgroup/memory/x -> "memory".  */
static char *
hierarchy_name (const char *path)
{
  const char *p = path + strlen ("/sys/fs/cgroup/");
  const char *e = strchr (p, '/');
  return e ? xstrndup (p, (size_t) (e - p)) : xstrdup (p);
}

static int
mount_cgroup (const struct reg_mount_ctx *ctx, int rootfd, const oci_mount *m, const struct reg_mount_flags *f,
              reg_error_t *err)
{
  unsigned long flags = f->flags & ~MS_RDONLY;
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];
  int ret;

  fd = make_in_root (rootfd, m->destination, true, err);
  if (UNLIKELY (fd < 0))
    return fd;
  fd_path (p, fd);
  if (reg_cgroup_mode () == REG_CGROUP_V2)
    {
      /* Inside a cgroup namespace cgroup2 shows the container's own cgroup
         as its root; without one, bind that directory.  */
      if (ctx->cgroupns || ctx->cgroup_paths == NULL || ctx->cgroup_paths[0] == NULL)
        {
          if (mount ("cgroup2", p, "cgroup2", f->flags, NULL) < 0)
            return reg_make_error (err, errno, "mount \"cgroup2\" to \"%s\"", m->destination);
          return apply_after (rootfd, m->destination, f, false, err);
        }
      if (mount (ctx->cgroup_paths[0], p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", ctx->cgroup_paths[0], m->destination);
      return apply_after (rootfd, m->destination, f, true, err);
    }

  /* v1/hybrid: a tmpfs with a directory per hierarchy: the hierarchy
     itself in a cgroup namespace, else the container's own directory bound
     there.  */
  if (mount ("tmpfs", p, "tmpfs", flags, "mode=755") < 0)
    return reg_make_error (err, errno, "mount \"tmpfs\" to \"%s\"", m->destination);
  for (char **cg = ctx->cgroup_paths; cg && *cg; cg++)
    {
      cleanup_free char *name = hierarchy_name (*cg);
      cleanup_free char *sub = NULL;
      cleanup_close int sfd = -1;
      char sp[FD_PATH_MAX];

      xasprintf (&sub, "%s/%s", m->destination, name);
      sfd = make_in_root (rootfd, sub, true, err);
      if (UNLIKELY (sfd < 0))
        return sfd;
      fd_path (sp, sfd);
      if (ctx->cgroupns)
        {
          /* In a cgroup namespace each hierarchy mounted afresh shows the
             container's cgroup as its root, as runc does.  */
          struct statfs sfs;
          cleanup_free char *opts = NULL;
          bool v2 = statfs (*cg, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
          if (strcmp (name, "systemd") == 0)
            opts = xstrdup ("none,name=systemd");
          else
            opts = xstrdup (name);
          if (mount (v2 ? "cgroup2" : "cgroup", sp, v2 ? "cgroup2" : "cgroup", f->flags, v2 ? NULL : opts) < 0)
            return reg_make_error (err, errno, "mount \"cgroup\" (%s) to \"%s\"", name, sub);
          ret = apply_after (rootfd, sub, f, false, err);
        }
      else
        {
          if (mount (*cg, sp, NULL, MS_BIND | MS_REC, NULL) < 0)
            return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", *cg, sub);
          ret = apply_after (rootfd, sub, f, true, err);
        }
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (f->flags & MS_RDONLY)
    {
      close (fd);
      fd = reopen (rootfd, m->destination, err);
      if (UNLIKELY (fd < 0))
        return fd;
      if (mount (NULL, fd_path (p, fd), NULL, MS_REMOUNT | flags | MS_RDONLY, "mode=755") < 0)
        return reg_make_error (err, errno, "remount \"%s\" read-only", m->destination);
    }
  return 0;
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
        if (write_all (d2, buf, (size_t) r, err) < 0)
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
    return reg_make_error (err, 0, "tmpcopyup: \"%s\" is nested deeper than %d directories", dest,
                           TMPCOPYUP_MAX_DEPTH);
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
      if (! S_ISLNK (st.st_mode) && fchmodat (dst, n, st.st_mode & 07777, 0) < 0)
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

/* Mount the tmpfs M over P with the contents of the directory underneath
   (OLDFD, opened before the mount): mounted writable, filled, then made
   read-only if asked.  */
static int
mount_tmpcopyup (int rootfd, const oci_mount *m, const struct reg_mount_flags *f, const char *source, const char *p,
                 int oldfd, reg_error_t *err)
{
  cleanup_close int src = openat (oldfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dst = -1;
  int ret;

  if (src < 0)
    return reg_make_error (err, errno, "tmpcopyup: open \"%s\"", m->destination);
  if (mount (source, p, "tmpfs", f->flags & ~MS_RDONLY, f->data) < 0)
    return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", source, m->destination);
  dst = open_in_root (rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
  if (UNLIKELY (dst < 0))
    return dst;
  ret = copy_tree (src, dst, m->destination, 0, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* The directory itself keeps its mode and owner too.  */
  {
    struct stat st;
    if (fstat (src, &st) == 0 && (fchown (dst, st.st_uid, st.st_gid) < 0 || fchmod (dst, st.st_mode & 07777) < 0))
      return reg_make_error (err, errno, "tmpcopyup: chmod \"%s\"", m->destination);
  }
  if (f->flags & MS_RDONLY)
    {
      /* P is the directory underneath; DST is the new mount's root.  */
      char dp[FD_PATH_MAX];
      if (mount (NULL, fd_path (dp, dst), NULL, MS_REMOUNT | f->flags, f->data) < 0)
        return reg_make_error (err, errno, "remount \"%s\" read-only", m->destination);
    }
  return 0;
}

static int
mount_one (const struct reg_mount_ctx *ctx, int rootfd, const oci_mount *m, reg_error_t *err)
{
  struct reg_mount_flags f;
  cleanup_free char *source = NULL;
  cleanup_close int fd = -1;
  const char *type = m->type;
  char p[FD_PATH_MAX];
  bool bind;
  int ret;

  ret = reg_mount_flags_parse (&m->options, &f, err);
  if (UNLIKELY (ret < 0))
    return ret;
  bind = f.bind || (type && strcmp (type, "bind") == 0);

  if (type && strcmp (type, "cgroup") == 0 && ! bind)
    {
      ret = mount_cgroup (ctx, rootfd, m, &f, err);
      reg_mount_flags_clear (&f);
      return ret;
    }

  if (bind && m->source && m->source[0] != '/')
    xasprintf (&source, "%s/%s", ctx->bundle, m->source);
  else
    source = xstrdup (m->source ? m->source : (type ? type : "none"));

  fd = make_in_root (rootfd, m->destination, bind ? is_dir (source) : true, err);
  if (UNLIKELY (fd < 0))
    goto fail;
  fd_path (p, fd);

  if (bind)
    {
      if (mount (source, p, NULL, MS_BIND | (f.rbind ? MS_REC : 0), NULL) < 0)
        {
          ret = reg_make_error (err, errno, "mount \"%s\" to \"%s\"", source, m->destination);
          goto fail;
        }
      ret = apply_after (rootfd, m->destination, &f, (f.flags & ~MS_REC) != 0, err);
    }
  else if (f.tmpcopyup && type && strcmp (type, "tmpfs") == 0)
    {
      ret = mount_tmpcopyup (rootfd, m, &f, source, p, fd, err);
      if (ret == 0)
        ret = apply_after (rootfd, m->destination, &f, false, err);
    }
  else
    {
      /* linux.mountLabel: on the filesystems we make ourselves, where
         SELinux is on.  */
      bool labeled = type && (strcmp (type, "tmpfs") == 0 || strcmp (type, "devpts") == 0 || strcmp (type, "mqueue") == 0);
      cleanup_free char *data = labeled ? reg_lsm_mount_data (f.data, ctx->config->linux_cfg.mount_label) : NULL;

      ret = 0;
      if (mount (source, p, type, f.flags, labeled ? data : f.data) < 0)
        {
          /* sysfs needs a network namespace of our own user namespace; without
             one, bind the host's /sys as runc does.  */
          if (type && strcmp (type, "sysfs") == 0 && (errno == EPERM || errno == EBUSY))
            {
              if (mount ("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0)
                ret = reg_make_error (err, errno, "mount \"/sys\" to \"%s\"", m->destination);
              else
                ret = apply_after (rootfd, m->destination, &f, true, err);
            }
          else
            ret = reg_make_error (err, errno, "mount \"%s\" to \"%s\"", source, m->destination);
        }
      else
        ret = apply_after (rootfd, m->destination, &f, false, err);
    }
fail:
  reg_mount_flags_clear (&f);
  return ret < 0 ? ret : (fd < 0 ? fd : 0);
}

static unsigned long
propagation_flags (const char *name)
{
  const struct oci_mount_option *o = oci_mount_option_find (name);
  return o ? o->propagation : 0;
}

int
reg_mounts_prepare_root (const struct reg_mount_ctx *ctx, int *rootfd, reg_error_t *err)
{
  const char *prop = ctx->config->linux_cfg.rootfs_propagation;
  unsigned long root_prop = MS_SLAVE | MS_REC;
  const struct reg_plan *plan = ctx->plan;
  cleanup_close int fd = -1;

  /* Nothing we mount may reach the host: "/" becomes a slave (or private
     when asked); a shared rootfsPropagation is applied after pivot_root,
     which refuses a shared parent.  */
  if (prop && (propagation_flags (prop) & MS_PRIVATE))
    root_prop = MS_PRIVATE | MS_REC;
  if (mount (NULL, "/", NULL, root_prop, NULL) < 0)
    return reg_make_error (err, errno, "make \"/\" a %s mount", root_prop & MS_PRIVATE ? "private" : "slave");

  if (plan && plan->mode == REG_MODE_MINIMAL && plan->lower_dir)
    {
      if (plan->upper_dir)
        {
          cleanup_free char *data = NULL;
          xasprintf (&data, "lowerdir=%s,upperdir=%s,workdir=%s", plan->lower_dir, plan->upper_dir,
                     plan->work_dir);
          if (mount ("overlay", ctx->rootfs, "overlay", 0, data) < 0)
            return reg_make_error (err, errno, "mount REG overlay to \"%s\"", ctx->rootfs);
        }
      else
        {
          if (mount (plan->lower_dir, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", plan->lower_dir, ctx->rootfs);
          if (bind_remount (ctx->rootfs, ctx->rootfs, MS_RDONLY, err) < 0)
            return reg_error_ret (err);
        }
    }
  else if (mount (ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return reg_make_error (err, errno, "mount \"%s\" to \"%s\"", ctx->rootfs, ctx->rootfs);

  fd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return reg_make_error (err, errno, "open root `%s`", ctx->rootfs);

  if (plan && plan->mode == REG_MODE_SHARE)
    for (size_t i = 0; i < plan->n_binds; i++)
      {
        const struct reg_bind *b = &plan->binds[i];
        cleanup_close int t = open_in_root (fd, b->target, O_PATH | O_NOFOLLOW, 0, err);
        char p[FD_PATH_MAX];
        int ret;

        if (UNLIKELY (t < 0))
          return reg_error_wrap (err, "REG");
        if (mount (b->source, fd_path (p, t), NULL, MS_BIND, NULL) < 0)
          return reg_make_error (err, errno, "REG: mount \"%s\" to \"%s\"", b->source, b->target);
        close (t);
        t = reopen (fd, b->target, err);
        if (UNLIKELY (t < 0))
          return t;
        ret = bind_remount (fd_path (p, t), b->target, MS_RDONLY | MS_NOSUID | MS_NODEV, err);
        if (UNLIKELY (ret < 0))
          return ret;
      }
  *rootfd = steal_fd (&fd);
  return 0;
}

int
reg_mounts_config (const struct reg_mount_ctx *ctx, int rootfd, reg_error_t *err)
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
make_device (const struct reg_mount_ctx *ctx, int rootfd, const char *path, char type, unsigned maj, unsigned min,
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
  { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

int
reg_mounts_devices (const struct reg_mount_ctx *ctx, int rootfd, reg_error_t *err)
{
  const oci_linux *l = &ctx->config->linux_cfg;
  static const struct
  {
    const char *target, *name;
  } links[] = {
    { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  cleanup_close int devfd = -1;
  int ret;

  if (dev_is_bind (ctx->config))
    return 0;
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      bool overridden = false;
      for (size_t j = 0; j < l->n_devices && ! overridden; j++)
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
      ret = make_device (ctx, rootfd, d->path, d->type, (unsigned) d->major, (unsigned) d->minor,
                         d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                         err);
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
    (void) p;
  }
  return 0;
}

int
reg_mounts_console (int rootfd, int slave_fd, reg_error_t *err)
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
reg_mounts_pivot (const struct reg_mount_ctx *ctx, int rootfd, reg_error_t *err)
{
  if (ctx->no_pivot)
    {
      if (fchdir (rootfd) < 0)
        return reg_make_error (err, errno, "chdir to the root");
      if (mount (ctx->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
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

static int
readonly_path (const char *path, reg_error_t *err)
{
  cleanup_close int fd = open (path, O_PATH | O_CLOEXEC);
  char p[FD_PATH_MAX];

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return reg_make_error (err, errno, "readonly path `%s`", path);
    }
  if (mount (fd_path (p, fd), fd_path (p, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
    return reg_make_error (err, errno, "mount \"%s\" read-only", path);
  close (fd);
  fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return reg_make_error (err, errno, "readonly path `%s`", path);
  return bind_remount (fd_path (p, fd), path, MS_RDONLY | MS_REC, err);
}

int
reg_mounts_finalize (const struct reg_mount_ctx *ctx, reg_error_t *err)
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
      ret = bind_remount ("/", "/", MS_RDONLY, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "root.readonly");
    }
  if (prop && propagation_flags (prop) && mount (NULL, "/", NULL, propagation_flags (prop), NULL) < 0)
    return reg_make_error (err, errno, "rootfsPropagation `%s`", prop);
  return 0;
}

int
reg_sysctl_apply (const oci_config *config, reg_error_t *err)
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
