/* libreg: the layers of an overlay rootfs (see reg-layers.h).  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "reg-layers.h"
#include "utils.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
/* The kernel's own limit of lower layers.  */
#define MAX_LOWER 500

/* A layer, and the directory of its last lookup: paths come sorted, so
   most share their predecessor's directory.  */
struct layer
{
  int fd; /* O_PATH */
  char *dir;
  int dir_fd; /* -errno when DIR is not a directory of the layer */
};

struct reg_layers
{
  int root_fd;         /* the overlay's root */
  uint64_t mnt;        /* the overlay's unique mount id */
  char *mnt_point;     /* where it is mounted, as /proc/self/fd shows it */
  uint64_t dev;        /* the one file system of every layer */
  struct layer upper;  /* fd -1 when the overlay has no upper layer */
  struct layer *lower; /* top first */
  size_t n_lower;
  char *top_asked; /* the first component upper_clear last asked of the upper layer */
  bool top_absent; /* and whether the upper layer has nothing there */
};

static void
layer_clear (struct layer *y)
{
  if (y->fd >= 0)
    close (y->fd);
  if (y->dir_fd >= 0)
    close (y->dir_fd);
  free (y->dir);
}

void
reg_layers_free (struct reg_layers *l)
{
  if (l == NULL)
    return;
  if (l->root_fd >= 0)
    close (l->root_fd);
  layer_clear (&l->upper);
  for (size_t i = 0; i < l->n_lower; i++)
    layer_clear (&l->lower[i]);
  free (l->lower);
  free (l->mnt_point);
  free (l->top_asked);
  free (l);
}

/* The octal escapes of /proc/self/mountinfo (\040 for a space...) undone
   in place.  */
static void
unmangle (char *s)
{
  char *w = s;

  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
          r += 3;
          continue;
        }
      *w++ = *r;
    }
  *w = '\0';
}

/* An O_PATH fd of the layer directory PATH (absolute: a relative one was
   relative to the mounter's directory), on file system *DEV (the first
   sets it); -1 when there is none or it is on another.  */
static int
open_layer (const char *path, uint64_t *dev)
{
  struct reg_identity id;
  int fd;

  if (path[0] != '/')
    return -1;
  fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) < 0 || (*dev != 0 && id.dev != *dev))
    {
      close (fd);
      return -1;
    }
  *dev = id.dev;
  return fd;
}

static bool
add_lower (struct reg_layers *l, const char *path)
{
  int fd;

  if (l->n_lower == MAX_LOWER || (fd = open_layer (path, &l->dev)) < 0)
    return false;
  l->lower = xrealloc (l->lower, (l->n_lower + 1) * sizeof (*l->lower));
  l->lower[l->n_lower++] = (struct layer){ .fd = fd, .dir_fd = -1 };
  return true;
}

/* The legacy lowerdir=A:B:C (top first; `\:` is a colon of a path, `::`
   starts the data-only layers, which only a redirect reaches).  */
static bool
add_lower_list (struct reg_layers *l, char *list)
{
  char *start = list, *w = list;

  for (char *r = list;; r++)
    {
      if (r[0] == '\\' && r[1] != '\0')
        {
          *w++ = *++r;
          continue;
        }
      if (*r == ':' || *r == '\0')
        {
          bool end = *r == '\0';
          *w = '\0';
          if (!add_lower (l, start))
            return false;
          if (end)
            return true;
          if (r[1] == ':')
            return false;
          start = w = r + 1;
          continue;
        }
      *w++ = *r;
    }
}

/* The layers from the overlay's super options (mountinfo's last field).  */
static bool
parse_options (struct reg_layers *l, char *opts)
{
  char *save = NULL;

  for (char *o = strtok_r (opts, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (o, '=');
      if (eq == NULL)
        continue;
      *eq++ = '\0';
      unmangle (eq);
      if (strcmp (o, "lowerdir") == 0)
        {
          if (l->n_lower || !add_lower_list (l, eq))
            return false;
        }
      else if (strcmp (o, "lowerdir+") == 0)
        {
          if (!add_lower (l, eq))
            return false;
        }
      else if (strcmp (o, "datadir+") == 0)
        return false;
      else if (strcmp (o, "upperdir") == 0)
        {
          if (l->upper.fd >= 0 || (l->upper.fd = open_layer (eq, &l->dev)) < 0)
            return false;
        }
    }
  return l->n_lower > 0;
}

/* The mountinfo line of mount MNT_ID: "ID PARENT MAJ:MIN ROOT POINT OPTS
   [OPTIONAL...] - TYPE SOURCE SUPER-OPTS".  Only an overlay mounted from
   its own root: a bind mount of a directory of it would need its path
   inside the overlay too.  */
static bool
parse_mountinfo (struct reg_layers *l, uint64_t mnt_id)
{
  cleanup_free char *data = NULL;
  reg_error_t err = NULL;
  size_t len;

  if (read_all_file ("/proc/self/mountinfo", 64 << 20, &data, &len, &err) < 0)
    {
      reg_error_release (&err);
      return false;
    }
  for (char *line = data, *next; line && *line; line = next)
    {
      char *f[5], *dash, *super, *save = NULL;
      unsigned long long id;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (sscanf (line, "%llu ", &id) != 1 || id != mnt_id)
        continue;
      dash = strstr (line, " - ");
      if (dash == NULL)
        return false;
      *dash = '\0';
      for (size_t i = 0; i < 5; i++)
        if ((f[i] = strtok_r (i ? NULL : line, " ", &save)) == NULL)
          return false;
      /* " - overlay SOURCE SUPER-OPTS" */
      save = NULL;
      if ((super = strtok_r (dash + 3, " ", &save)) == NULL || strcmp (super, "overlay") != 0
          || strtok_r (NULL, " ", &save) == NULL || (super = strtok_r (NULL, " ", &save)) == NULL)
        return false;
      if (strcmp (f[3], "/") != 0)
        return false;
      return parse_options (l, super);
    }
  return false;
}

struct reg_layers *
reg_layers_of_root (int rootfd)
{
  struct reg_layers *l;
  struct reg_identity id;
  struct statfs sfs;
  struct statx stx;
  char proc[64], point[PATH_MAX];
  ssize_t n;

  if (fstatfs (rootfd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC)
    return NULL;
  /* The reusable mount id names the mountinfo line; the fd keeps the
     mount, so the id cannot go to another one meanwhile.  */
  if (statx (rootfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID)
      || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return NULL;
  if (reg_identity_at (rootfd, "", AT_EMPTY_PATH, &id, NULL) < 0 || !reg_identity_trusted (&id))
    return NULL;
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", rootfd);
  n = readlink (proc, point, sizeof (point) - 1);
  if (n <= 0 || point[0] != '/')
    return NULL;
  point[n] = '\0';

  l = xmalloc0 (sizeof (*l));
  l->upper = (struct layer){ .fd = -1, .dir_fd = -1 };
  l->root_fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 0);
  l->mnt = id.mnt;
  l->mnt_point = xstrdup (strcmp (point, "/") == 0 ? "" : point);
  if (l->root_fd < 0 || !parse_mountinfo (l, stx.stx_mnt_id))
    {
      reg_layers_free (l);
      return NULL;
    }
  return l;
}

enum lookup
{
  FOUND,  /* *ID is the entry's */
  ABSENT, /* nothing there: look in the next layer */
  HIDDEN, /* a non-directory on the way hides the layers below */
};

/* PATH (relative, no symlink in it) in layer Y; with FD, a regular file
   found is opened (O_RDONLY) there.  */
static enum lookup
lookup (struct layer *y, const char *path, struct reg_identity *id, int *fd)
{
  const char *slash = strrchr (path, '/');
  const char *leaf = slash ? slash + 1 : path;
  size_t dlen = slash ? (size_t)(slash - path) : 0;
  int dirfd = y->fd, ret;

  if (slash)
    {
      if (y->dir == NULL || strlen (y->dir) != dlen || memcmp (y->dir, path, dlen) != 0)
        {
          if (y->dir_fd >= 0)
            close (y->dir_fd);
          free (y->dir);
          y->dir = xstrndup (path, dlen);
          y->dir_fd = open_real_path_in_root_raw (y->fd, y->dir, O_PATH | O_DIRECTORY);
        }
      if (y->dir_fd == -ENOENT)
        return ABSENT;
      if (y->dir_fd < 0)
        return HIDDEN;
      dirfd = y->dir_fd;
    }
  ret = reg_identity_at (dirfd, leaf, AT_SYMLINK_NOFOLLOW, id, NULL);
  if (ret == -ENOENT)
    return ABSENT;
  if (ret < 0)
    return HIDDEN;
  if (fd && S_ISREG (id->mode))
    *fd = openat (dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  return FOUND;
}

/* Whether the layer file FD carries overlay metadata (trusted.overlay.*,
   or user.overlay.* of a userxattr overlay): a metacopy's data, a
   redirect's name are elsewhere.  */
static bool
has_overlay_xattr (int fd)
{
  char buf[4096];
  ssize_t n = flistxattr (fd, buf, sizeof (buf));

  if (n < 0)
    return errno != ENOTSUP && errno != ENOSYS;
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen (buf + i) + 1)
    if (has_prefix (buf + i, "trusted.overlay.") || has_prefix (buf + i, "user.overlay."))
      return true;
  return false;
}

/* The lower layer entry the overlay shows at PATH (relative) as ID: its
   layer and identity; with FD, the regular file opened.  */
static int
lower_entry (struct reg_layers *l, const char *path, const struct reg_identity *id, size_t *layer,
             struct reg_identity *lower_id, int *fd)
{
  struct reg_identity found;

  if (l == NULL || id->mnt != l->mnt || S_ISDIR (id->mode) || *path == '\0')
    return -1;
  if (l->upper.fd >= 0 && lookup (&l->upper, path, &found, NULL) != ABSENT)
    return -1;
  for (size_t i = 0; i < l->n_lower; i++)
    {
      switch (lookup (&l->lower[i], path, &found, fd))
        {
        case ABSENT:
          continue;
        case HIDDEN:
          return -1;
        case FOUND:
          break;
        }
      if (found.dev != l->dev || found.ino != id->ino || found.size != id->size || found.mtime_ns != id->mtime_ns
          || found.ctime_ns != id->ctime_ns || found.mode != id->mode || found.uid != id->uid || found.gid != id->gid
          || !reg_identity_trusted (&found))
        return -1;
      *layer = i;
      *lower_id = found;
      return 0;
    }
  return -1;
}

int
reg_layers_lower_file (struct reg_layers *l, int fd, const struct reg_identity *id, int *lower_fd,
                       struct reg_identity *lower_id)
{
  cleanup_close int lfd = -1;
  char proc[64], path[PATH_MAX];
  size_t plen, layer;
  ssize_t n;

  if (l == NULL || id->mnt != l->mnt || !S_ISREG (id->mode))
    return -1;
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  n = readlink (proc, path, sizeof (path) - 1);
  if (n <= 0)
    return -1;
  path[n] = '\0';
  plen = strlen (l->mnt_point);
  if (strncmp (path, l->mnt_point, plen) != 0 || path[plen] != '/')
    return -1;
  if (lower_entry (l, path + plen + 1, id, &layer, lower_id, &lfd) < 0 || lfd < 0 || has_overlay_xattr (lfd))
    return -1;
  *lower_fd = steal_fd (&lfd);
  return 0;
}

int
reg_layers_lower_entry (struct reg_layers *l, const char *path, const struct reg_identity *id, size_t *layer,
                        struct reg_identity *lower_id)
{
  cleanup_close int lfd = -1;

  while (*path == '/')
    path++;
  if (lower_entry (l, path, id, layer, lower_id, S_ISREG (id->mode) ? &lfd : NULL) < 0)
    return -1;
  return S_ISREG (id->mode) && (lfd < 0 || has_overlay_xattr (lfd)) ? -1 : 0;
}

int
reg_layers_check_entry (struct reg_layers *l, const char *path, const struct reg_identity *id, size_t layer,
                        const struct reg_identity *lower_id)
{
  struct reg_identity found;
  size_t at;

  while (*path == '/')
    path++;
  if (lower_entry (l, path, id, &at, &found, NULL) < 0 || at != layer)
    return -1;
  return reg_identity_cmp (&found, lower_id) == 0 ? 0 : -1;
}

/* Whether the upper layer holds nothing under the first component of
   PATH (relative): then nothing of it hides, or redirects, what the lower
   layers have at PATH.  A fresh container's upper layer holds only what
   its engine wrote (/etc/hosts, /run/.containerenv); a component found
   there is not looked into (opaque directories, whiteouts): the caller
   asks the overlay instead.  The last component asked is remembered: the
   cache lists its sources sorted.  */
static bool
upper_clear (struct reg_layers *l, const char *path)
{
  size_t len = strcspn (path, "/");
  struct reg_identity id;

  if (l->upper.fd < 0)
    return true;
  if (l->top_asked == NULL || strlen (l->top_asked) != len || memcmp (l->top_asked, path, len) != 0)
    {
      cleanup_free char *top = xstrndup (path, len);

      free (l->top_asked);
      l->top_asked = steal_pointer (&top);
      l->top_absent = len > 0 && len <= NAME_MAX
                      && reg_identity_at (l->upper.fd, l->top_asked, AT_SYMLINK_NOFOLLOW, &id, NULL) == -ENOENT;
    }
  return l->top_absent;
}

int
reg_layers_check_layer_entry (struct reg_layers *l, const char *path, size_t layer, const struct reg_identity *lower_id)
{
  struct reg_identity found;

  while (*path == '/')
    path++;
  if (l == NULL || *path == '\0' || layer >= l->n_lower || !upper_clear (l, path))
    return -1;
  for (size_t i = 0; i < layer; i++)
    if (lookup (&l->lower[i], path, &found, NULL) != ABSENT)
      return -1;
  if (lookup (&l->lower[layer], path, &found, NULL) != FOUND || !reg_identity_trusted (&found))
    return -1;
  return reg_identity_cmp (&found, lower_id) == 0 ? 0 : -1;
}

int
reg_layers_write_dir (struct reg_layers *l, const char *path, FILE *f)
{
  struct reg_identity found;

  while (*path == '/')
    path++;
  if (l == NULL || *path == '\0' || !upper_clear (l, path))
    return -1;
  for (size_t i = 0; i < l->n_lower; i++)
    switch (lookup (&l->lower[i], path, &found, NULL))
      {
      case ABSENT:
        fprintf (f, "%zu -\n", i);
        break;
      case HIDDEN:
        return -1;
      case FOUND:
        if (!reg_identity_trusted (&found))
          return -1;
        fprintf (f, "%zu ", i);
        reg_identity_write (f, &found);
        fputc ('\n', f);
        break;
      }
  return 0;
}

int
reg_layers_root (const struct reg_layers *l)
{
  return l->root_fd;
}

bool
reg_layers_own_mount (const struct reg_layers *l, const struct reg_identity *id)
{
  return l && id->mnt == l->mnt;
}

void
reg_layers_write_key (const struct reg_layers *l, FILE *f)
{
  for (size_t i = 0; i < l->n_lower; i++)
    {
      struct reg_identity id;
      if (reg_identity_at (l->lower[i].fd, "", AT_EMPTY_PATH, &id, NULL) == 0)
        fprintf (f, "lower %zu %llu %llu %llu\n", i, (unsigned long long)id.mnt, (unsigned long long)id.dev,
                 (unsigned long long)id.ino);
    }
}
