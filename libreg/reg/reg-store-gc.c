/* libreg: REG store maintenance: gc and statistics.
 *
 * gc holds the store lock exclusively, so no create is between adding an
 * object and linking it into an environment, and nobody is writing in tmp/:
 * every object with a single link (its own name) is unused, and everything
 * in tmp/ was left by a killed process.  An environment is first renamed
 * into tmp/ and then removed, so a gc killed half-way leaves no half
 * environment under envs/.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-store-internal.h"

static DIR *
open_dir_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d;
  if (fd < 0)
    return NULL;
  d = fdopendir (fd);
  if (d == NULL)
    close (fd);
  return d;
}

static bool
is_dot (const char *name)
{
  return strcmp (name, ".") == 0 || strcmp (name, "..") == 0;
}

static int
gc_tmp (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  cleanup_dir DIR *d = open_dir_at (s->tmp_fd, ".");
  struct dirent *de;

  if (d == NULL)
    return reg_make_error (err, errno, "open `tmp`");
  while ((de = readdir (d)))
    {
      int ret;
      if (is_dot (de->d_name))
        continue;
      ret = remove_tree_at (s->tmp_fd, de->d_name, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "tmp");
      res->temps_removed++;
    }
  return 0;
}

static bool
env_has_refs (struct reg_store *s, const char *id)
{
  cleanup_free char *rel = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  xasprintf (&rel, "%s/refs", id);
  d = open_dir_at (s->envs_fd, rel);
  if (d == NULL)
    return errno != ENOENT; /* in doubt, keep it */
  while ((de = readdir (d)))
    if (!is_dot (de->d_name))
      return true;
  return false;
}

static int
gc_envs (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  cleanup_dir DIR *d = open_dir_at (s->envs_fd, ".");
  struct dirent *de;

  if (d == NULL)
    return reg_make_error (err, errno, "open `envs`");
  while ((de = readdir (d)))
    {
      cleanup_free char *tmp = NULL;
      int ret;

      if (!reg_store_digest_valid (de->d_name) || env_has_refs (s, de->d_name))
        continue;
      tmp = reg_store_tmp_name (s, "gc-env");
      if (renameat (s->envs_fd, de->d_name, s->tmp_fd, tmp) < 0)
        return reg_make_error (err, errno, "move `envs/%s` to `tmp/%s`", de->d_name, tmp);
      reg_store_crash_point ("gc-env-moved");
      ret = remove_tree_at (s->tmp_fd, tmp, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "remove environment %s", de->d_name);
      res->envs_removed++;
    }
  return 0;
}

/* Call FN for every object file: objects/<dir>/<name>.  */
typedef int (*object_fn) (struct reg_store *s, int dirfd, const char *dir, const char *name, const struct stat *st,
                          void *data, reg_error_t *err);

static int
for_each_object (struct reg_store *s, object_fn fn, void *data, reg_error_t *err)
{
  cleanup_dir DIR *top = open_dir_at (s->objects_fd, ".");
  struct dirent *de;

  if (top == NULL)
    return reg_make_error (err, errno, "open `objects`");
  while ((de = readdir (top)))
    {
      cleanup_dir DIR *sub = NULL;
      struct dirent *e;

      if (de->d_name[0] == '.')
        continue;
      sub = open_dir_at (s->objects_fd, de->d_name);
      if (sub == NULL)
        continue; /* not a directory: reg check reports it */
      while ((e = readdir (sub)))
        {
          struct stat st;
          int ret;

          if (is_dot (e->d_name))
            continue;
          if (fstatat (dirfd (sub), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            {
              if (errno == ENOENT)
                continue;
              return reg_make_error (err, errno, "stat `objects/%s/%s`", de->d_name, e->d_name);
            }
          if (!S_ISREG (st.st_mode))
            continue;
          ret = fn (s, dirfd (sub), de->d_name, e->d_name, &st, data, err);
          if (UNLIKELY (ret < 0))
            return ret;
        }
    }
  return 0;
}

static int
gc_object (struct reg_store *s, int dirfd, const char *dir, const char *name, const struct stat *st, void *data,
           reg_error_t *err)
{
  struct reg_gc_result *res = data;

  (void)s;
  if (st->st_nlink != 1)
    return 0;
  if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
    return reg_make_error (err, errno, "remove `objects/%s/%s`", dir, name);
  res->objects_removed++;
  res->bytes_freed += (uint64_t)st->st_size;
  return 0;
}

/* Identity-table records (cache/ids) naming a removed object or that no
   lookup would trust (of another boot, damaged): their slots are zeroed,
   in place.  The table of per-file records of older versions
   (cache/files) goes whole.  */
static int
gc_identity_cache (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  static const char zeros[REG_STORE_IDENTITY_SLOT];
  cleanup_dir DIR *d = open_dir_at (s->cache_ids_fd, ".");
  cleanup_close int cache_fd = openat (s->root_fd, "cache", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct dirent *de;
  int ret;

  if (d == NULL)
    return reg_make_error (err, errno, "open `cache/ids`");
  if (cache_fd >= 0 && faccessat (cache_fd, "files", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    {
      ret = remove_tree_at (cache_fd, "files", err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "remove `cache/files`");
    }
  while ((de = readdir (d)))
    {
      cleanup_close int fd = -1;
      cleanup_free char *data = NULL;
      size_t len = 0;

      if (is_dot (de->d_name))
        continue;
      /* The whole table at once (a megabyte at most): slots are few and
         far between.  */
      fd = openat (s->cache_ids_fd, de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return reg_make_error (err, errno, "open `cache/ids/%s`", de->d_name);
      if (read_all_fd (fd, de->d_name, 64 << 20, &data, &len, err) < 0)
        return reg_error_wrap (err, "cache/ids");
      for (size_t at = 0; at + sizeof (zeros) <= len; at += sizeof (zeros))
        {
          const char *slot = data + at;
          char digest[REG_DIGEST_HEX_LEN + 1];
          cleanup_free char *rel = NULL;
          struct reg_identity id;
          struct stat st;

          if (memcmp (slot, zeros, sizeof (zeros)) == 0)
            continue;
          if (reg_store_identity_slot_parse (slot, &id, digest))
            {
              rel = reg_store_object_rel (digest, 0);
              if (fstatat (s->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
                continue;
            }
          if (pwrite (fd, zeros, sizeof (zeros), (off_t)at) != (ssize_t)sizeof (zeros))
            return reg_make_error (err, errno ? errno : EIO, "clear a slot of `cache/ids/%s`", de->d_name);
          res->cache_entries_removed++;
        }
    }
  return 0;
}

/* Environment-cache entries naming a removed environment, entries no
   lookup would trust (of another boot, or of an older format), and the
   temporaries of write_file_atomic_at (".NAME.tmp.PID") that a killed
   process left.  */
static int
gc_env_cache (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  cleanup_dir DIR *top = open_dir_at (s->cache_envs_fd, ".");
  struct dirent *de;

  if (top == NULL)
    return reg_make_error (err, errno, "open cache");
  while ((de = readdir (top)))
    {
      cleanup_dir DIR *sub = NULL;
      struct dirent *e;

      if (is_dot (de->d_name))
        continue;
      sub = open_dir_at (s->cache_envs_fd, de->d_name);
      if (sub == NULL)
        continue;
      while ((e = readdir (sub)))
        {
          cleanup_free char *data = NULL;
          char digest[REG_DIGEST_HEX_LEN + 1] = "";
          const char *lines_end;
          bool keep = false;
          struct stat st;
          size_t len;

          if (is_dot (e->d_name))
            continue;
          if (e->d_name[0] != '.' && read_all_file_at (dirfd (sub), e->d_name, 64 << 20, &data, &len, NULL) == 0)
            {
              keep = reg_store_env_record_parse (data, len, digest, &lines_end) != NULL
                     && fstatat (s->envs_fd, digest, &st, AT_SYMLINK_NOFOLLOW) == 0;
            }
          if (keep)
            continue;
          if (unlinkat (dirfd (sub), e->d_name, 0) < 0 && errno != ENOENT)
            return reg_make_error (err, errno, "remove cache entry `%s/%s`", de->d_name, e->d_name);
          res->cache_entries_removed++;
        }
    }
  return 0;
}

static int
gc (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  int ret;

  ret = gc_tmp (s, res, err);
  if (ret == 0)
    ret = gc_envs (s, res, err);
  if (ret == 0)
    ret = for_each_object (s, gc_object, res, err);
  if (ret == 0)
    ret = gc_identity_cache (s, res, err);
  if (ret == 0)
    ret = gc_env_cache (s, res, err);
  return ret;
}

int
reg_store_gc (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err)
{
  int ret;

  memset (res, 0, sizeof (*res));
  /* Converting our shared lock: wait until every other handle is closed.  */
  if (flock (s->lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK)
        return reg_store_wrap (s, err, reg_make_error (err, errno, "lock exclusively"));
      reg_debug ("store `%s`: gc waits for the creates that are using the store", s->root);
      if (TEMP_FAILURE_RETRY_INT (flock (s->lock_fd, LOCK_EX)) < 0)
        return reg_store_wrap (s, err, reg_make_error (err, errno, "lock exclusively"));
    }
  ret = gc (s, res, err);
  if (TEMP_FAILURE_RETRY_INT (flock (s->lock_fd, LOCK_SH)) < 0 && ret == 0)
    ret = reg_make_error (err, errno, "lock shared");
  if (ret < 0)
    return reg_store_wrap (s, err, reg_error_wrap (err, "gc"));
  return 0;
}

/* --- statistics --------------------------------------------------------- */

static int
stat_object (struct reg_store *s, int dirfd, const char *dir, const char *name, const struct stat *st, void *data,
             reg_error_t *err)
{
  struct reg_store_stats *out = data;

  (void)s;
  (void)dirfd;
  (void)dir;
  (void)name;
  (void)err;
  out->objects++;
  out->object_bytes += (uint64_t)st->st_size;
  out->env_links += (uint64_t)st->st_nlink - 1;
  return 0;
}

int
reg_store_stats (struct reg_store *s, struct reg_store_stats *out, reg_error_t *err)
{
  struct reg_env_info *envs = NULL;
  size_t n = 0;
  int ret;

  memset (out, 0, sizeof (*out));
  ret = for_each_object (s, stat_object, out, err);
  if (UNLIKELY (ret < 0))
    return reg_store_wrap (s, err, ret);
  ret = reg_store_list_envs (s, &envs, &n, err);
  if (UNLIKELY (ret < 0))
    return ret;
  out->envs = n;
  for (size_t i = 0; i < n; i++)
    {
      out->refs += envs[i].n_refs;
      out->referenced_bytes += envs[i].bytes;
    }
  reg_env_info_free (envs, n);
  out->saved_bytes = out->referenced_bytes > out->object_bytes ? out->referenced_bytes - out->object_bytes : 0;
  out->sharing_degree = out->objects ? (double)out->env_links / (double)out->objects : 0.0;
  return 0;
}
