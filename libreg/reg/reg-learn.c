/* libreg: learn mode — profiles and the fanotify recorder (reg-learn.h).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reg-analyze.h"
#include "reg-learn.h"
#include "utils.h"

#define PROFILE_MAGIC "reg-profile 1\n"
#define PROFILES_DIR "profiles"

/* --- the key ------------------------------------------------------------ */

static const char *
env_get (const oci_process *p, const char *name)
{
  return oci_env_get ((const char *const *)p->env.items, name);
}

/* args[0] as execvp finds it in the root (reg_find_program, as the
   closure does): an open regular file, and its path in *PATH.  -1 when not
   found.  */
static int
open_entrypoint (int rootfd, const oci_process *p, char **path)
{
  struct stat st;
  int fd;

  if (reg_find_program (rootfd, p->args.items[0], env_get (p, "PATH"), p->cwd, path) < 0)
    {
      free (*path);
      *path = xstrdup (p->args.items[0]);
      return -1;
    }
  /* Never opens a FIFO or a device node the image put there.  */
  fd = open_regular_in_root_raw (rootfd, *path, &st);
  return fd >= 0 ? fd : -1;
}

int
reg_profile_key (struct reg_store *s, int rootfd, const oci_process *p, char **key, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *digest = NULL;
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;
  char hex[REG_DIGEST_HEX_LEN + 1];
  const char *v;
  FILE *f;
  int ret;

  if (p == NULL || p->args.len == 0)
    return reg_make_error (err, EINVAL, "profile key: no process.args");
  fd = open_entrypoint (rootfd, p, &path);
  if (fd >= 0)
    {
      struct reg_identity id;
      struct stat st;
      ret = reg_identity_at (fd, "", AT_EMPTY_PATH, &id, &st);
      if (ret < 0)
        return reg_make_error (err, -ret, "stat `%s` in the rootfs", path);
      if (s)
        ret = reg_store_add_file (s, fd, &id, &digest, NULL, err);
      else
        {
          /* The same name, nothing written (reg analyze).  */
          char hex[REG_DIGEST_HEX_LEN + 1];
          ret = reg_store_shareable (fd, id.mode, err);
          if (ret == 0)
            ret = reg_store_hash_object_fd (fd, &st, hex, err);
          if (ret == 0)
            digest = xstrdup (hex);
        }
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "profile key: `%s`", path);
    }
  f = open_memstream (&buf, &len);
  if (f == NULL)
    abort ();
  fprintf (f, "profile 1\n");
  if (digest)
    fprintf (f, "entrypoint %s\n", digest);
  else
    fprintf (f, "entrypoint-path %zu %s\n", strlen (path), path);
  fprintf (f, "cwd %s\n", p->cwd ? p->cwd : "/");
  for (size_t i = 0; i < p->args.len; i++)
    fprintf (f, "arg %zu %s\n", strlen (p->args.items[i]), p->args.items[i]);
  if ((v = env_get (p, "PATH")))
    fprintf (f, "PATH %s\n", v);
  if ((v = env_get (p, "LD_LIBRARY_PATH")))
    fprintf (f, "LD_LIBRARY_PATH %s\n", v);
  fclose (f);
  reg_store_digest_buffer (buf, len, 0, 0, 0, hex);
  *key = xstrdup (hex);
  return 0;
}

/* --- profiles ----------------------------------------------------------- */

static bool
key_valid (const char *key)
{
  size_t n = 0;
  if (key == NULL)
    return false;
  for (const char *p = key; *p; p++, n++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return n == REG_DIGEST_HEX_LEN;
}

/* Write S escaped at O ('\n' and '\\' as "\n" and "\\"); the end.  */
static char *
escape_path (char *o, const char *s)
{
  for (; *s; s++)
    {
      if (*s == '\n' || *s == '\\')
        {
          *o++ = '\\';
          *o++ = *s == '\n' ? 'n' : '\\';
        }
      else
        *o++ = *s;
    }
  return o;
}

/* The length of S escaped (escape_path).  */
static size_t
escaped_len (const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += (*s == '\n' || *s == '\\') ? 2 : 1;
  return n;
}

/* Unescape LINE in place; false when it is malformed.  */
static bool
unescape_path (char *line)
{
  char *o = line;
  for (char *s = line; *s; s++)
    {
      if (*s != '\\')
        {
          *o++ = *s;
          continue;
        }
      s++;
      if (*s == 'n')
        *o++ = '\n';
      else if (*s == '\\')
        *o++ = '\\';
      else
        return false;
    }
  *o = '\0';
  return true;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Parse profile DATA into a NULL-terminated list.  */
static int
profile_parse (char *data, size_t len, const char *key, char ***paths, size_t *n, reg_error_t *err)
{
  size_t count = 0, cap = 64;
  char **out = xmalloc0 (cap * sizeof (char *));
  char *p, *end = data + len;

  if (len < strlen (PROFILE_MAGIC) || memcmp (data, PROFILE_MAGIC, strlen (PROFILE_MAGIC)) != 0)
    {
      free (out);
      return reg_make_error (err, EINVAL, "profile %s: not a reg-runc profile", key);
    }
  for (p = data + strlen (PROFILE_MAGIC); p < end;)
    {
      char *eol = memchr (p, '\n', (size_t)(end - p));
      if (eol == NULL)
        eol = end;
      *eol = '\0';
      if (*p)
        {
          if (*p != '/' || !unescape_path (p))
            {
              free_string_array (out);
              return reg_make_error (err, EINVAL, "profile %s: bad line `%s`", key, p);
            }
          if (count == REG_PROFILE_MAX_PATHS)
            {
              free_string_array (out);
              return reg_make_error (err, EFBIG, "profile %s: more than %u paths", key, REG_PROFILE_MAX_PATHS);
            }
          /* doubled: up to 65,536 paths, whose one-at-a-time growth
             was quadratic (each realloc a copy, under ASan always) */
          if (count + 2 > cap)
            out = xrealloc (out, (cap *= 2) * sizeof (char *));
          out[count++] = xstrdup (p);
          out[count] = NULL;
        }
      p = eol + 1;
    }
  *paths = out;
  *n = count;
  return 0;
}

int
reg_profile_read (const char *store_root, const char *key, char ***paths, size_t *n, reg_error_t *err)
{
  cleanup_free char *file = NULL;
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  size_t len = 0;
  int ret;

  *paths = NULL;
  *n = 0;
  if (!key_valid (key))
    return reg_make_error (err, EINVAL, "invalid profile key `%s`", key ? key : "");
  xasprintf (&file, "%s/" PROFILES_DIR "/%s", store_root, key);
  /* Whatever is there, nothing blocks (a FIFO) or is read past the bound.  */
  fd = open (file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      *paths = xmalloc0 (sizeof (char *));
      return 0;
    }
  if (fd < 0 || fstat (fd, &st) < 0)
    return reg_make_error (err, errno, "profile %s: open `%s`", key, file);
  if (!S_ISREG (st.st_mode))
    return reg_make_error (err, EINVAL, "profile %s: `%s` is not a regular file", key, file);
  if (st.st_size > (off_t)REG_PROFILE_MAX_BYTES)
    return reg_make_error (err, EFBIG, "profile %s: %lld bytes, over the limit of %u", key, (long long)st.st_size,
                           REG_PROFILE_MAX_BYTES);
  ret = read_all_fd (fd, file, REG_PROFILE_MAX_BYTES, &data, &len, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "profile %s", key);
  return profile_parse (data, len, key, paths, n, err);
}

static int
open_profiles_dir (const char *store_root, bool create, reg_error_t *err)
{
  cleanup_free char *dir = NULL;
  int fd;

  xasprintf (&dir, "%s/" PROFILES_DIR, store_root);
  if (create)
    {
      int ret = mkdir_p_at (AT_FDCWD, dir, 0700, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return reg_make_error (err, errno, "open `%s`", dir);
  return fd;
}

struct merge_item
{
  const char *path; /* NULL: not written (a duplicate, or past the bounds) */
  bool old;         /* in the profile already */
};

/* By path; of two equal ones, the profile's own first.  */
static int
cmp_merge_item (const void *a, const void *b)
{
  const struct merge_item *x = a, *y = b;
  int c = strcmp (x->path, y->path);
  return c ? c : (int)y->old - (int)x->old;
}

int
reg_profile_merge (const char *store_root, const char *key, const char *const *paths, size_t n,
                   struct reg_profile_summary *sum, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_string_array char **old = NULL;
  cleanup_free struct merge_item *all = NULL;
  cleanup_free char *data = NULL;
  struct reg_profile_summary out = { 0 };
  size_t n_old = 0, count = 0, len = strlen (PROFILE_MAGIC);
  char *o;
  int ret;

  if (!key_valid (key))
    return reg_make_error (err, EINVAL, "invalid profile key `%s`", key ? key : "");
  dirfd = open_profiles_dir (store_root, true, err);
  if (UNLIKELY (dirfd < 0))
    return dirfd;
  /* Two learners of one key must not lose each other's paths.  */
  if (flock (dirfd, LOCK_EX) < 0)
    return reg_make_error (err, errno, "lock `%s/" PROFILES_DIR "`", store_root);
  ret = reg_profile_read (store_root, key, &old, &n_old, err);
  if (ret < 0)
    {
      /* A damaged profile is replaced by what was learned now.  */
      reg_warning ("%s; replacing it", (*err)->msg);
      reg_error_release (err);
      n_old = 0;
    }
  all = xmalloc ((n_old + n + 1) * sizeof (*all));
  for (size_t i = 0; i < n_old; i++)
    all[count++] = (struct merge_item){ old[i], true };
  for (size_t i = 0; i < n; i++)
    if (paths[i][0] == '/')
      all[count++] = (struct merge_item){ paths[i], false };
  qsort (all, count, sizeof (*all), cmp_merge_item);
  for (size_t i = count; i-- > 1;)
    if (strcmp (all[i].path, all[i - 1].path) == 0)
      all[i].path = NULL;

  /* Within the bounds, what the profile held stays (a profile that was
     read is within them), new paths are added while they fit.  */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < count; i++)
      {
        size_t line;
        if (all[i].path == NULL || all[i].old != (pass == 0))
          continue;
        line = escaped_len (all[i].path) + 1;
        if (!all[i].old && (out.paths == REG_PROFILE_MAX_PATHS || len + line > REG_PROFILE_MAX_BYTES))
          {
            all[i].path = NULL;
            out.dropped++;
            continue;
          }
        out.paths++;
        len += line;
      }

  /* Its exact size at once: no buffer of twice the profile.  */
  data = xmalloc (len);
  o = mempcpy (data, PROFILE_MAGIC, strlen (PROFILE_MAGIC));
  for (size_t i = 0; i < count; i++)
    if (all[i].path)
      {
        o = escape_path (o, all[i].path);
        *o++ = '\n';
      }
  out.bytes = len;
  ret = write_file_atomic_at (dirfd, key, data, len, 0600, true, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "write profile %s", key);
  if (sum)
    *sum = out;
  return 0;
}

char *
reg_profile_identity (const char *store_root, const char *key)
{
  cleanup_free char *file = NULL;
  struct stat st;
  char *id = NULL;

  if (!key_valid (key))
    return xstrdup ("none");
  xasprintf (&file, "%s/" PROFILES_DIR "/%s", store_root, key);
  if (stat (file, &st) < 0)
    return xstrdup ("none");
  /* Every write is a rename of a new inode.  */
  xasprintf (&id, "%llu %llu %llu %lld.%09ld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  return id;
}

int
reg_profile_list (const char *store_root, char ***keys, size_t *n, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  cleanup_free char *dir = NULL;
  char **out = xmalloc0 (sizeof (char *));
  size_t count = 0;
  struct dirent *de;

  xasprintf (&dir, "%s/" PROFILES_DIR, store_root);
  d = opendir (dir);
  if (d == NULL && errno != ENOENT)
    {
      free (out);
      return reg_make_error (err, errno, "open `%s`", dir);
    }
  while (d && (de = readdir (d)))
    {
      if (!key_valid (de->d_name))
        continue;
      out = xrealloc (out, (count + 2) * sizeof (char *));
      out[count++] = xstrdup (de->d_name);
      out[count] = NULL;
    }
  qsort (out, count, sizeof (char *), cmp_strp);
  *keys = out;
  *n = count;
  return 0;
}

int
reg_profile_remove (const char *store_root, const char *key, reg_error_t *err)
{
  cleanup_free char *file = NULL;

  if (!key_valid (key))
    return reg_make_error (err, EINVAL, "invalid profile key `%s`", key ? key : "");
  xasprintf (&file, "%s/" PROFILES_DIR "/%s", store_root, key);
  if (unlink (file) < 0)
    return reg_make_error (err, errno, "remove profile %s", key);
  return 0;
}

/* --- the recorder ------------------------------------------------------- */

struct recorder
{
  int fan_fd, pidfd, stop_fd, sig_fd, root_fd, state_fd;
  char *store_root, *key;
  void *seen; /* tsearch tree of recorded paths */
  size_t n_seen, bytes_seen;
  bool cut;      /* a path was left out at the profile's bounds */
  bool overflow; /* the kernel dropped events */
  char *prefix;  /* the link prefix that last mapped to the root */
  struct stat root_st;
  /* Rootless: the kernel reports a directory's file handle and a name
     instead of an fd (FAN_REPORT_DFID_NAME); DIRS maps the handles of the
     root's directories to their paths.  */
  bool fid_mode;
  void *dirs;
};

static int
cmp_tree (const void *a, const void *b)
{
  return strcmp (a, b);
}

/* SUFFIX (a tail of the link BUF) when it names the file ST in the root.  */
static char *
try_suffix (struct recorder *r, const char *buf, const char *suffix, const struct stat *st, bool dir)
{
  cleanup_close int fd = -1;
  struct stat cand;
  char *out = NULL;

  if (suffix[1] == '\0')
    return NULL;
  fd = open_in_root_raw (r->root_fd, suffix, O_PATH | O_NOFOLLOW, 0);
  if (fd < 0 || fstat (fd, &cand) < 0 || cand.st_dev != st->st_dev || cand.st_ino != st->st_ino)
    return NULL;
  if (r->prefix == NULL || strlen (r->prefix) != (size_t)(suffix - buf)
      || strncmp (r->prefix, buf, strlen (r->prefix)) != 0)
    {
      free (r->prefix);
      r->prefix = xstrndup (buf, (size_t)(suffix - buf));
    }
  xasprintf (&out, "%s%s", suffix, dir ? "/" : "");
  return out;
}

/* The path of the root that names the same file as the event's fd: the
   longest suffix of its /proc/self/fd link (which shows the path from
   whatever root the mount is seen under: the container's after
   pivot_root, the host's before) that resolves, inside the root, to the
   same device and inode.  */
static char *
map_event_path (struct recorder *r, int evfd, bool dir)
{
  char link[64], buf[PATH_MAX + 1];
  struct stat st;
  ssize_t n;

  snprintf (link, sizeof (link), "/proc/self/fd/%d", evfd);
  n = readlink (link, buf, sizeof (buf) - 1);
  if (n <= 0 || buf[0] != '/' || fstat (evfd, &st) < 0)
    return NULL;
  buf[n] = '\0';
  /* fd events of directories do not carry FAN_ONDIR: ask the file.  */
  dir = dir || S_ISDIR (st.st_mode);

  if (st.st_dev == r->root_st.st_dev && st.st_ino == r->root_st.st_ino)
    return NULL; /* the root itself */
  /* The prefix that matched last time first: it is nearly always the one.  */
  if (r->prefix && has_prefix (buf, r->prefix) && buf[strlen (r->prefix)] == '/')
    {
      char *out = try_suffix (r, buf, buf + strlen (r->prefix), &st, dir);
      if (out)
        return out;
    }
  for (char *p = buf; p; p = strchr (p + 1, '/'))
    {
      char *out = try_suffix (r, buf, p, &st, dir);
      if (out)
        return out;
    }
  return NULL;
}

/* Keep PATH once, up to the profile's bounds: past them nothing more is
   held, whatever the container opens (a path already seen is no cut).  */
static void
record (struct recorder *r, char *path)
{
  size_t len = strlen (path) + 1;

  if (tfind (path, &r->seen, cmp_tree))
    {
      free (path);
      return;
    }
  if (r->n_seen == REG_PROFILE_MAX_PATHS || r->bytes_seen + len > REG_PROFILE_MAX_BYTES - strlen (PROFILE_MAGIC))
    {
      r->cut = true;
      free (path);
      return;
    }
  if (tsearch (path, &r->seen, cmp_tree) == NULL)
    abort ();
  r->n_seen++;
  r->bytes_seen += len;
}

/* --- rootless: directory handles ----------------------------------------- */

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200 /* Linux 6.5: the handle fanotify reports */
#endif

/* The root's directories at most: past these (a hostile image), opens in
   the rest are not recorded.  */
#define FID_MAX_DIRS 100000
#define FID_MAX_DEPTH 128

struct dir_entry
{
  char *key;  /* handle type and bytes, in hex */
  char *path; /* "" for the root, else "/a/b" */
};

static int
cmp_dir (const void *a, const void *b)
{
  return strcmp (((const struct dir_entry *)a)->key, ((const struct dir_entry *)b)->key);
}

static void
free_dir (void *p)
{
  struct dir_entry *e = p;
  free (e->key);
  free (e->path);
  free (e);
}

static char *
handle_key (int type, const unsigned char *bytes, unsigned len)
{
  char *key = xmalloc (16 + 2 * (size_t)len);
  int n = sprintf (key, "%x:", (unsigned)type);
  for (unsigned i = 0; i < len; i++)
    n += sprintf (key + n, "%02x", bytes[i]);
  return key;
}

/* Mark directory FD (its opens and its entries' opens) and map its
   handle to PATH.  */
static void
add_dir (struct recorder *r, int fd, const char *path)
{
  union
  {
    struct file_handle fh;
    char buf[sizeof (struct file_handle) + MAX_HANDLE_SZ];
  } h;
  struct dir_entry *e;
  int mount_id;

  h.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at (fd, "", &h.fh, &mount_id, AT_EMPTY_PATH | AT_HANDLE_FID) < 0)
    return;
  if (fanotify_mark (r->fan_fd, FAN_MARK_ADD, FAN_OPEN | FAN_OPEN_EXEC | FAN_ONDIR | FAN_EVENT_ON_CHILD, fd, NULL) < 0)
    {
      r->cut = true; /* fs.fanotify.max_user_marks */
      return;
    }
  e = xmalloc (sizeof (*e));
  e->key = handle_key (h.fh.handle_type, h.fh.f_handle, h.fh.handle_bytes);
  e->path = xstrdup (path);
  if (*(struct dir_entry **)tsearch (e, &r->dirs, cmp_dir) != e)
    free_dir (e);
}

/* Mark every directory of the root on its file system (add_dir): breadth
   first, each opened inside the root (RESOLVE_IN_ROOT, no symlink followed): glibc's
   nftw follows paths from the host's root, so it is written here.  */
static void
map_dirs (struct recorder *r)
{
  struct pending
  {
    char *path;
    unsigned depth;
  } *queue = xmalloc (sizeof (*queue));
  size_t head = 0, tail = 0, cap = 1, n_dirs = 0;
  int root = openat (r->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (root < 0)
    {
      free (queue);
      return;
    }
  add_dir (r, root, "");
  queue[tail++] = (struct pending){ xstrdup (""), 0 };
  while (head < tail)
    {
      struct pending cur = queue[head++];
      cleanup_close int fd = -1;
      DIR *d;
      struct dirent *de;

      fd = *cur.path ? open_in_root_raw (root, cur.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0) : dup (root);
      d = fd < 0 ? NULL : fdopendir (fd);
      if (d == NULL)
        {
          free (cur.path);
          continue;
        }
      fd = -1; /* the DIR owns it */
      while ((de = readdir (d)) != NULL)
        {
          struct stat st;
          int sub;
          char *path;

          if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (n_dirs >= FID_MAX_DIRS || cur.depth + 1 > FID_MAX_DEPTH)
            {
              r->cut = true;
              break;
            }
          sub = openat (dirfd (d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub < 0)
            continue;
          /* Another file system (a mount in the container) is not the image.  */
          if (fstat (sub, &st) < 0 || st.st_dev != r->root_st.st_dev)
            {
              close (sub);
              continue;
            }
          xasprintf (&path, "%s/%s", cur.path, de->d_name);
          add_dir (r, sub, path);
          close (sub);
          n_dirs++;
          if (tail == cap)
            {
              cap *= 2;
              queue = xrealloc (queue, cap * sizeof (*queue));
            }
          queue[tail++] = (struct pending){ path, cur.depth + 1 };
        }
      closedir (d);
      free (cur.path);
    }
  while (head < tail)
    free (queue[head++].path);
  free (queue);
  close (root);
}

/* The path of a FAN_REPORT_DFID_NAME event M, NULL when its directory is
   not one of the root's.  */
static char *
map_fid_event (struct recorder *r, const struct fanotify_event_metadata *m)
{
  const char *p = (const char *)(m + 1), *end = (const char *)m + m->event_len;

  while (p + sizeof (struct fanotify_event_info_header) <= end)
    {
      const struct fanotify_event_info_header *h = (const void *)p;
      if (h->len == 0 || p + h->len > end)
        return NULL;
      if (h->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME
          && h->len >= sizeof (struct fanotify_event_info_fid) + sizeof (struct file_handle))
        {
          const struct fanotify_event_info_fid *fid = (const void *)p;
          const struct file_handle *fh = (const void *)fid->handle;
          const char *name = (const char *)fh->f_handle + fh->handle_bytes;
          struct dir_entry probe, **found;
          bool dir = (m->mask & FAN_ONDIR) != 0;
          char *out = NULL;

          if ((const char *)fh->f_handle + fh->handle_bytes >= p + h->len
              || memchr (name, '\0', (size_t)(p + h->len - name)) == NULL)
            return NULL;
          probe.key = handle_key (fh->handle_type, fh->f_handle, fh->handle_bytes);
          found = tfind (&probe, &r->dirs, cmp_dir);
          free (probe.key);
          if (found == NULL)
            return NULL;
          if (strcmp (name, ".") == 0)
            {
              if ((*found)->path[0] == '\0')
                return NULL; /* the root itself */
              xasprintf (&out, "%s/", (*found)->path);
            }
          else if (strchr (name, '/') == NULL && strcmp (name, "..") != 0)
            xasprintf (&out, "%s/%s%s", (*found)->path, name, dir ? "/" : "");
          return out;
        }
      p += h->len;
    }
  return NULL;
}

/* Read what is queued; false when the fanotify fd failed.  */
static bool
drain_events (struct recorder *r)
{
  char buf[16384] __attribute__ ((aligned (__alignof__(struct fanotify_event_metadata))));

  for (;;)
    {
      ssize_t len = read (r->fan_fd, buf, sizeof (buf));
      struct fanotify_event_metadata *m;

      if (len < 0)
        return errno == EAGAIN || errno == EINTR;
      if (len == 0)
        return false;
      for (m = (struct fanotify_event_metadata *)buf; FAN_EVENT_OK (m, len); m = FAN_EVENT_NEXT (m, len))
        {
          if (m->vers != FANOTIFY_METADATA_VERSION)
            return false;
          /* Even an unlimited queue drops events when the container's
             memory cgroup refuses the kernel their memory.  */
          if (m->mask & FAN_Q_OVERFLOW)
            r->overflow = true;
          if (r->fid_mode && m->pid != getpid () && !(m->mask & FAN_Q_OVERFLOW))
            {
              char *path = map_fid_event (r, m);
              if (path)
                record (r, path);
              continue;
            }
          if (m->fd < 0)
            continue;
          if (m->pid != getpid ())
            {
              char *path = map_event_path (r, m->fd, (m->mask & FAN_ONDIR) != 0);
              if (path)
                record (r, path);
            }
          close (m->fd);
        }
    }
}

static char **collected;
static size_t n_collected;

static void
collect (const void *node, VISIT which, void *closure)
{
  (void)closure;
  if (which == postorder || which == leaf)
    collected[n_collected++] = *(char *const *)node;
}

/* Write the profile.  Its warnings go to stderr, the state dir's
   REG_LEARN_WARNINGS, which reg_learn_stop logs.  */
static int
recorder_finish (struct recorder *r)
{
  struct reg_profile_summary sum = { 0 };
  reg_error_t err = NULL;
  int ret = 0;

  collected = xmalloc ((r->n_seen + 1) * sizeof (char *));
  n_collected = 0;
  twalk_r (r->seen, collect, NULL);
  if (reg_profile_merge (r->store_root, r->key, (const char *const *)collected, n_collected, &sum, &err) < 0)
    {
      reg_warning ("REG learn: %s", err->msg);
      reg_error_release (&err);
      ret = -1;
    }
  else if (r->cut || sum.dropped)
    reg_warning ("REG learn: profile %s cut at %zu paths, %zu bytes (its bounds: %u paths, %u bytes): files the "
                 "container opened past them are not in it; name those `minimal` needs in " REG_ANNOTATION_INCLUDE,
                 r->key, sum.paths, sum.bytes, REG_PROFILE_MAX_PATHS, REG_PROFILE_MAX_BYTES);
  if (r->overflow)
    reg_warning ("REG learn: profile %s: the kernel dropped events (the container's memory limit), files may be "
                 "missing from it",
                 r->key);
  free (collected);
  tdestroy (r->seen, free);
  if (r->dirs)
    tdestroy (r->dirs, free_dir);
  unlinkat (r->state_fd, REG_LEARN_STOP_FIFO, 0);
  unlinkat (r->state_fd, REG_LEARN_LOCK, 0);
  return ret;
}

static void
recorder_loop (struct recorder *r)
{
  for (;;)
    {
      struct pollfd fds[4] = {
        { .fd = r->fan_fd, .events = POLLIN },
        { .fd = r->pidfd, .events = POLLIN },
        { .fd = r->stop_fd, .events = POLLIN },
        { .fd = r->sig_fd, .events = POLLIN },
      };
      if (poll (fds, 4, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return;
        }
      if ((fds[0].revents & POLLIN) && !drain_events (r))
        return;
      if (fds[1].revents || fds[2].revents || fds[3].revents)
        {
          /* Events of the last opens are queued before the exit is seen.  */
          drain_events (r);
          return;
        }
    }
}

/* Keep only the fds in KEEP (stdin and stdout become /dev/null, stderr
   ERR_FD when it is open): the caller's pipes must not stay open in a
   process that outlives it.  */
static void
close_other_fds (const int *keep, size_t n_keep, int err_fd)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  DIR *d;
  struct dirent *de;
  int *fds = NULL;
  size_t n = 0;

  reg_log_close ();
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (err_fd >= 0 ? err_fd : null, 2);
    }
  d = opendir ("/proc/self/fd");
  while (d && (de = readdir (d)))
    {
      int fd = atoi (de->d_name);
      if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd (d))
        continue;
      fds = xrealloc (fds, (n + 1) * sizeof (int));
      fds[n++] = fd;
    }
  if (d)
    closedir (d);
  for (size_t i = 0; i < n; i++)
    {
      bool kept = false;
      for (size_t j = 0; j < n_keep; j++)
        kept = kept || keep[j] == fds[i];
      if (!kept)
        close (fds[i]);
    }
  free (fds);
}

static void
cleanup_state_files (int state_fd)
{
  unlinkat (state_fd, REG_LEARN_STOP_FIFO, 0);
  unlinkat (state_fd, REG_LEARN_LOCK, 0);
}

static const char *const mark_steps[] = { "fanotify_init", "fanotify_mark the container's root mount" };

/* The fanotify group and its mark on the container's root mount, made by
   the recorder itself once in the container's cgroup: the kernel charges
   the group's queued events to its creator's memory cgroup.  On failure,
   *STEP is the call (mark_steps).  */
static int
recorder_mark (struct recorder *r, int *step)
{
  r->fan_fd = fanotify_init (FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
  if (r->fan_fd < 0 && errno == EPERM)
    r->fan_fd = fanotify_init (FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                               O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  /* Root of a user namespace (rootless Podman) gets no fds, only a
     directory's handle and a name.  */
  if (r->fan_fd < 0 && errno == EPERM && running_rootless ())
    {
      r->fan_fd = fanotify_init (FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
                                 O_RDONLY | O_LARGEFILE | O_CLOEXEC);
      r->fid_mode = r->fan_fd >= 0;
    }
  *step = 0;
  if (r->fan_fd < 0)
    return -errno;
  /* Mount marks need handles the file system can decode, which an overlay
     without nfs_export cannot: each directory gets an inode mark.  */
  if (r->fid_mode)
    {
      map_dirs (r);
      *step = 1;
      return r->dirs ? 0 : -EOPNOTSUPP;
    }
  /* "." through the fd: fanotify_mark does not take an O_PATH fd alone.  */
  if (fanotify_mark (r->fan_fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN | FAN_OPEN_EXEC | FAN_ONDIR, r->root_fd, ".")
      < 0)
    {
      *step = 1;
      return -errno;
    }
  return 0;
}

/* The recorder, forked: wait for the parent's go on SOCK (it is in the
   container's cgroup then), mark, answer, then record until the end.  */
static void __attribute__ ((noreturn)) recorder_main (struct recorder *r, int sock, int lock_fd, const sigset_t *mask)
{
  int result[2] = { 0, 0 }; /* -errno, and the step of mark_steps */
  int warnings;
  char c;

  if (TEMP_FAILURE_RETRY_INT (read (sock, &c, 1)) != 1)
    _exit (1); /* the parent gave up */
  result[0] = recorder_mark (r, &result[1]);
  if (send (sock, result, sizeof (result), MSG_NOSIGNAL) != sizeof (result) || result[0] < 0)
    _exit (1);
  warnings = openat (r->state_fd, REG_LEARN_WARNINGS, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  {
    int keep[] = { r->fan_fd, r->pidfd, r->stop_fd, r->sig_fd, r->root_fd, r->state_fd, lock_fd };
    close_other_fds (keep, sizeof (keep) / sizeof (keep[0]), warnings);
  }
  prctl (PR_SET_NAME, "reg-learn");
  sigprocmask (SIG_BLOCK, mask, NULL);
  signal (SIGPIPE, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  recorder_loop (r);
  _exit (recorder_finish (r) < 0 ? 1 : 0);
}

int
reg_learn_start (const struct reg_options *opts, const struct reg_plan *plan, int root_fd, pid_t init_pid,
                 reg_place_fn place, void *place_data, pid_t *recorder_pid, reg_error_t *err)
{
  struct recorder r = { .fan_fd = -1, .pidfd = -1, .stop_fd = -1, .sig_fd = -1, .root_fd = -1, .state_fd = -1 };
  cleanup_close int lock_fd = -1;
  int sock[2] = { -1, -1 }; /* [0] ours, [1] the recorder's */
  int result[2];
  sigset_t mask;
  pid_t child, grandchild = 0;
  int status, ret;

  if (plan == NULL || plan->mode != REG_MODE_LEARN || !key_valid (plan->profile_key))
    return reg_make_error (err, EINVAL, "REG learn: not a learn plan");
  if (opts->state_dir == NULL)
    return reg_make_error (err, EINVAL, "REG learn: no state directory");

  r.state_fd = open (opts->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r.state_fd < 0)
    return reg_make_error (err, errno, "REG learn: open `%s`", opts->state_dir);
  if (root_fd >= 0)
    r.root_fd = fcntl (root_fd, F_DUPFD_CLOEXEC, 3);
  else
    {
      char proc[64];
      snprintf (proc, sizeof (proc), "/proc/%d/root", (int)init_pid);
      r.root_fd = open (proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
  if (r.root_fd < 0 || fstat (r.root_fd, &r.root_st) < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: open the container's root");
      goto fail;
    }
  r.pidfd = (int)syscall (SYS_pidfd_open, init_pid, 0);
  if (r.pidfd < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: pidfd_open %d", (int)init_pid);
      goto fail;
    }

  cleanup_state_files (r.state_fd);
  unlinkat (r.state_fd, REG_LEARN_WARNINGS, 0);
  if (mkfifoat (r.state_fd, REG_LEARN_STOP_FIFO, 0600) < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: mkfifo `%s/%s`", opts->state_dir, REG_LEARN_STOP_FIFO);
      goto fail;
    }
  /* O_RDWR: the FIFO never reports EOF while we hold a writer too.  */
  r.stop_fd = openat (r.state_fd, REG_LEARN_STOP_FIFO, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  lock_fd = openat (r.state_fd, REG_LEARN_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (r.stop_fd < 0 || lock_fd < 0 || flock (lock_fd, LOCK_EX) < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: files in `%s`", opts->state_dir);
      goto fail;
    }
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  r.sig_fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (r.sig_fd < 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: signalfd, socketpair");
      goto fail;
    }
  r.store_root = xstrdup (reg_options_store_root (opts));
  r.key = xstrdup (plan->profile_key);

  child = fork ();
  if (child < 0)
    {
      ret = reg_make_error (err, errno, "REG learn: fork");
      goto fail;
    }
  if (child == 0)
    {
      pid_t pid;
      /* Only the parent holds its end: EOF when it gave up.  */
      close (sock[0]);
      setsid ();
      pid = fork ();
      if (pid != 0)
        {
          if (write (sock[1], &pid, sizeof (pid)) < 0)
            _exit (1);
          _exit (pid < 0);
        }
      recorder_main (&r, sock[1], lock_fd, &mask);
    }
  close (sock[1]);
  sock[1] = -1;
  if (TEMP_FAILURE_RETRY_INT (read (sock[0], &grandchild, sizeof (grandchild))) != sizeof (grandchild))
    grandchild = -1;
  TEMP_FAILURE_RETRY_INT (waitpid (child, &status, 0));
  if (grandchild <= 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      ret = reg_make_error (err, ECHILD, "REG learn: could not start the recorder");
      goto fail;
    }
  /* Before it allocates anything: the container's limits bound it.  */
  if (place)
    {
      ret = place (place_data, grandchild, err);
      if (UNLIKELY (ret < 0))
        {
          reg_error_wrap (err, "REG learn: move the recorder into the container's cgroup");
          goto fail; /* closing our end ends it */
        }
    }
  /* MSG_NOSIGNAL: a recorder that died must not SIGPIPE the runtime.  */
  if (TEMP_FAILURE_RETRY_INT (send (sock[0], "g", 1, MSG_NOSIGNAL)) != 1)
    {
      ret = reg_make_error (err, errno, "REG learn: start the recorder");
      goto fail;
    }
  if (TEMP_FAILURE_RETRY_INT (read (sock[0], result, sizeof (result))) != sizeof (result))
    {
      ret = reg_make_error (err, ECHILD, "REG learn: the recorder exited");
      goto fail;
    }
  if (result[0] < 0)
    {
      ret = reg_make_error (err, -result[0], "REG learn: %s", mark_steps[result[1] != 0]);
      goto fail;
    }
  /* For ps and kill --all, which leave it out (reg_learn_recorder).  */
  if (dprintf (lock_fd, "%d\n", (int)grandchild) < 0)
    reg_debug ("REG learn: write the recorder's pid: %s", strerror (errno));
  if (recorder_pid)
    *recorder_pid = grandchild;
  reg_debug ("REG learn: recorder %d for profile %s", (int)grandchild, plan->profile_key);
  ret = 0;
  goto out;

fail:
  if (r.state_fd >= 0)
    cleanup_state_files (r.state_fd);
out:
  for (int *fd = (int[]){ r.fan_fd, r.pidfd, r.stop_fd, r.sig_fd, r.root_fd, r.state_fd, sock[0], sock[1] },
           *end = fd + 8;
       fd < end; fd++)
    if (*fd >= 0)
      close (*fd);
  free (r.store_root);
  free (r.key);
  return ret;
}

pid_t
reg_learn_recorder (const char *state_dir)
{
  cleanup_close int state_fd = -1;
  cleanup_close int lock = -1;
  char buf[32];
  ssize_t n;
  int pid;

  state_fd = open (state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (state_fd < 0)
    return 0;
  lock = openat (state_fd, REG_LEARN_LOCK, O_RDONLY | O_CLOEXEC);
  /* Locked: the recorder is alive, so the pid is its own.  */
  if (lock < 0 || flock (lock, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
    return 0;
  n = read (lock, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%d", &pid) != 1 || pid <= 0)
    return 0;
  return pid;
}

/* Log what the recorder said (its stderr), once: the file goes.  */
static void
log_recorder_warnings (int state_fd)
{
  cleanup_close int fd = openat (state_fd, REG_LEARN_WARNINGS, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  cleanup_free char *text = NULL;
  reg_error_t err = NULL;
  char *save = NULL;

  if (fd < 0)
    return;
  if (read_all_fd (fd, REG_LEARN_WARNINGS, 64 << 10, &text, NULL, &err) < 0)
    {
      reg_warning ("REG learn: %s", err->msg);
      reg_error_release (&err);
    }
  /* The recorder logged them as "LEVEL: message".  */
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      if (has_prefix (line, "warning: ") || has_prefix (line, "error: "))
        reg_warning ("%s", strchr (line, ' ') + 1);
      else
        reg_debug ("REG learn: recorder: %s", line);
    }
  unlinkat (state_fd, REG_LEARN_WARNINGS, 0);
}

int
reg_learn_stop (const struct reg_options *opts, int timeout_ms, reg_error_t *err)
{
  cleanup_close int state_fd = -1;
  cleanup_close int fifo = -1;
  cleanup_close int lock = -1;
  struct timespec start, now;

  if (opts->state_dir == NULL)
    return 0;
  state_fd = open (opts->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (state_fd < 0)
    return errno == ENOENT ? 0 : reg_make_error (err, errno, "REG learn: open `%s`", opts->state_dir);
  lock = openat (state_fd, REG_LEARN_LOCK, O_RDONLY | O_CLOEXEC);
  if (lock < 0)
    {
      /* No recorder, or it has finished.  */
      log_recorder_warnings (state_fd);
      return 0;
    }
  /* ENXIO: no reader, the recorder is gone.  */
  fifo = openat (state_fd, REG_LEARN_STOP_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo >= 0 && write (fifo, "x", 1) < 0 && errno != EAGAIN)
    reg_debug ("REG learn: write the stop FIFO: %s", strerror (errno));

  clock_gettime (CLOCK_MONOTONIC, &start);
  while (flock (lock, LOCK_SH | LOCK_NB) < 0)
    {
      long ms;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return reg_make_error (err, errno, "REG learn: lock `%s`", REG_LEARN_LOCK);
      clock_gettime (CLOCK_MONOTONIC, &now);
      ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (ms > timeout_ms)
        return reg_make_error (err, ETIMEDOUT, "REG learn: the recorder did not finish its profile");
      usleep (10000);
    }
  /* A recorder that was killed left its files.  */
  cleanup_state_files (state_fd);
  log_recorder_warnings (state_fd);
  return 0;
}
