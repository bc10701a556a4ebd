/* libreg: environments in the REG store: building, references, the
 * environment cache, listing.
 *
 * An environment is built in tmp/env.* (manifest, refs/, root/) and made
 * visible by one rename to envs/<id>; when another process won the race the
 * rename fails (the target is not empty) and our copy is removed.  So
 * envs/<id> is always complete, and exists once per manifest.
 *
 * The link limit.  Every environment adds a hard link to each of its
 * objects; at the file system's limit (EMLINK: 65000 on ext4) the
 * environment links a second copy, objects/XX/DIGEST.1 (then .2, ...), made
 * from the first with the same metadata.  Each copy is one shared inode of
 * its own, so sharing continues in groups of ~65000 environments.
 *
 * Owners.  Directories and symlinks get the manifest's uid/gid; a process
 * that may not give them (non-root, outside a user namespace mapping them)
 * fails clearly rather than build an environment that differs from its
 * manifest.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "reg-env.h"
#include "reg-store-internal.h"

static bool
ref_name_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || strlen (name) > 1024)
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'
          || *p == '-'))
      return false;
  return true;
}

static bool
env_exists (struct reg_store *s, const char *id)
{
  struct stat st;
  return reg_store_digest_valid (id) && fstatat (s->envs_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
}

static char *
env_root_path (struct reg_store *s, const char *id)
{
  char *p = NULL;
  xasprintf (&p, "%s/envs/%s/root", s->root, id);
  return p;
}

static int
set_owner (int dirfd, const char *name, uid_t uid, gid_t gid, const char *path, reg_error_t *err)
{
  if (uid == geteuid () && gid == getegid ())
    return 0;
  if (fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return reg_make_error (err, errno, "`%s`: give owner %u:%u", path, (unsigned)uid, (unsigned)gid);
  return 0;
}

/* The directory that will hold PATH (relative to ROOTFD), created with
   0700 where missing; *BASE points at PATH's last component.  Keeps the
   last parent open in *CACHE_FD and *CACHE_PATH: manifests are sorted, so
   siblings follow each other.  */
static int
open_parent (int rootfd, const char *path, const char **base, int *cache_fd, char **cache_path, reg_error_t *err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *parent = NULL;
  int fd;

  if (slash == NULL)
    {
      *base = path;
      return rootfd;
    }
  *base = slash + 1;
  parent = xstrndup (path, (size_t)(slash - path));
  if (*cache_path && strcmp (*cache_path, parent) == 0)
    return *cache_fd;

  fd = dup (rootfd);
  if (fd < 0)
    return reg_make_error (err, errno, "dup");
  for (char *it = parent, *next; it; it = next)
    {
      int sub;
      next = strchr (it, '/');
      if (next)
        *next++ = '\0';
      if (mkdirat (fd, it, 0700) < 0 && errno != EEXIST)
        {
          close (fd);
          return reg_make_error (err, errno, "mkdir `%s`", path);
        }
      sub = openat (fd, it, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (fd);
      if (sub < 0)
        return reg_make_error (err, errno, "open the directory of `%s`", path);
      fd = sub;
      if (next)
        next[-1] = '/';
    }
  if (*cache_fd >= 0)
    close (*cache_fd);
  free (*cache_path);
  *cache_fd = fd;
  *cache_path = xstrndup (path, (size_t)(slash - path));
  return fd;
}

/* Hard-link object E->digest as DIRFD/BASE, moving on to copies at the
   link limit.  */
static int
link_object (struct reg_store *s, const struct reg_manifest_entry *e, int dirfd, const char *base, reg_error_t *err)
{
  cleanup_free char *rel0 = reg_store_object_rel (e->digest, 0);
  struct stat st;

  if (fstatat (s->objects_fd, rel0, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return reg_make_error (err, ENOENT, "`%s`: object %s is not in the store", e->path, e->digest);
      return reg_make_error (err, errno, "`%s`: stat object %s", e->path, e->digest);
    }
  if (!S_ISREG (st.st_mode) || (st.st_mode & 07777) != e->mode || st.st_uid != e->uid || st.st_gid != e->gid)
    return reg_make_error (err, EINVAL, "`%s`: the manifest says mode %04o, owner %u:%u but object %s has %04o, %u:%u",
                           e->path, (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid, e->digest,
                           (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);

  for (unsigned copy = 0; copy < 100000; copy++)
    {
      cleanup_free char *rel = reg_store_object_rel (e->digest, copy);
      int ret;

      if (linkat (s->objects_fd, rel, dirfd, base, 0) == 0)
        return 0;
      if (errno == EMLINK)
        continue;
      if (errno == ENOENT && copy > 0)
        {
          cleanup_close int src = openat (s->objects_fd, rel0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          if (src < 0)
            return reg_make_error (err, errno, "open object %s", e->digest);
          ret = reg_store_make_copy (s, e->digest, copy, src, err);
          if (UNLIKELY (ret < 0))
            return ret;
          copy--; /* link to the copy just made */
          continue;
        }
      return reg_make_error (err, errno, "`%s`: link object %s", e->path, e->digest);
    }
  return reg_make_error (err, EMLINK, "`%s`: link object %s", e->path, e->digest);
}

/* Build M's tree in ROOTFD.  */
static int
build_tree (struct reg_store *s, const struct reg_manifest *m, int rootfd, reg_error_t *err)
{
  cleanup_free char *cache_path = NULL;
  cleanup_close int cache_fd = -1;
  int ret;

  for (size_t i = 0; i < m->n; i++)
    {
      const struct reg_manifest_entry *e = &m->entries[i];
      const char *base;
      int dirfd = open_parent (rootfd, e->path, &base, &cache_fd, &cache_path, err);

      if (UNLIKELY (dirfd < 0))
        return dirfd;
      switch (e->type)
        {
        case REG_ENTRY_DIR:
          /* Final mode and owner once the tree is complete.  */
          if (mkdirat (dirfd, base, 0700) < 0 && errno != EEXIST)
            return reg_make_error (err, errno, "mkdir `%s`", e->path);
          break;
        case REG_ENTRY_FILE:
          ret = link_object (s, e, dirfd, base, err);
          if (UNLIKELY (ret < 0))
            return ret;
          break;
        case REG_ENTRY_SYMLINK:
          if (symlinkat (e->target, dirfd, base) < 0)
            return reg_make_error (err, errno, "symlink `%s`", e->path);
          ret = set_owner (dirfd, base, e->uid, e->gid, e->path, err);
          if (UNLIKELY (ret < 0))
            return ret;
          break;
        }
    }

  /* Directories deepest first, so a read-only one is closed only after
     everything in it exists.  Undeclared parents become 0755.  */
  for (size_t i = m->n; i-- > 0;)
    {
      const struct reg_manifest_entry *e = &m->entries[i];
      if (e->type != REG_ENTRY_DIR)
        continue;
      ret = set_owner (rootfd, e->path, e->uid, e->gid, e->path, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (fchmodat (rootfd, e->path, e->mode, 0) < 0)
        return reg_make_error (err, errno, "chmod `%s`", e->path);
    }
  for (size_t i = m->n; i-- > 0;)
    {
      const struct reg_manifest_entry *e = &m->entries[i];
      cleanup_free char *parent = xstrdup (e->path);
      char *slash;
      while ((slash = strrchr (parent, '/')))
        {
          *slash = '\0';
          if (reg_manifest_lookup (m, parent) != NULL)
            break;
          if (fchmodat (rootfd, parent, 0755, 0) < 0)
            return reg_make_error (err, errno, "chmod `%s`", parent);
        }
    }
  if (fchmod (rootfd, 0755) < 0)
    return reg_make_error (err, errno, "chmod the environment root");
  return 0;
}

static int
env_build (struct reg_store *s, const struct reg_manifest *m, const char *id, const char *data, size_t len,
           reg_error_t *err)
{
  cleanup_free char *tmp = reg_store_tmp_name (s, "env");
  cleanup_close int envfd = -1;
  cleanup_close int rootfd = -1;
  int ret;

  if (mkdirat (s->tmp_fd, tmp, 0700) < 0)
    return reg_make_error (err, errno, "mkdir `tmp/%s`", tmp);
  reg_store_crash_point ("env-tmp");
  envfd = openat (s->tmp_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (envfd < 0)
    {
      ret = reg_make_error (err, errno, "open `tmp/%s`", tmp);
      goto fail;
    }
  ret = write_file_at (envfd, "manifest", data, len, err);
  if (ret == 0 && fchmodat (envfd, "manifest", 0600, 0) < 0)
    ret = reg_make_error (err, errno, "chmod `manifest`");
  if (ret == 0 && (mkdirat (envfd, "refs", 0700) < 0 || mkdirat (envfd, "root", 0700) < 0))
    ret = reg_make_error (err, errno, "mkdir in `tmp/%s`", tmp);
  if (ret == 0 && (rootfd = openat (envfd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ret = reg_make_error (err, errno, "open `tmp/%s/root`", tmp);
  if (ret == 0)
    ret = build_tree (s, m, rootfd, err);
  if (UNLIKELY (ret < 0))
    goto fail;
  reg_store_crash_point ("env-built");

  /* A directory is renamed only onto a missing or empty one: a complete
     environment that another process published stays as it is.  */
  if (renameat (s->tmp_fd, tmp, s->envs_fd, id) == 0)
    {
      s->counters.envs_created++;
      return 0;
    }
  if (errno != EEXIST && errno != ENOTEMPTY)
    {
      ret = reg_make_error (err, errno, "rename `tmp/%s` to `envs/%s`", tmp, id);
      goto fail;
    }
  ret = 0;

fail:
  {
    reg_error_t err2 = NULL;
    if (remove_tree_at (s->tmp_fd, tmp, &err2) < 0)
      {
        reg_warning ("store `%s`: %s", s->root, err2->msg);
        reg_error_release (&err2);
      }
  }
  return ret;
}

static int
env_get (struct reg_store *s, struct reg_manifest *m, char **env_id, char **env_root, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  char id[REG_DIGEST_HEX_LEN + 1];
  size_t len;
  int ret;

  ret = reg_store_publish_pending (s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = reg_manifest_serialize (m, &data, &len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  reg_sha256_hex (data, len, id);
  if (!env_exists (s, id))
    {
      ret = env_build (s, m, id, data, len, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "build environment %s", id);
    }
  if (env_id)
    *env_id = xstrdup (id);
  if (env_root)
    *env_root = env_root_path (s, id);
  return 0;
}

int
reg_store_env_get (struct reg_store *s, struct reg_manifest *m, char **env_id, char **env_root, reg_error_t *err)
{
  return reg_store_wrap (s, err, env_get (s, m, env_id, env_root, err));
}

int
reg_store_env_root (struct reg_store *s, const char *env_id, char **env_root, reg_error_t *err)
{
  if (!env_exists (s, env_id))
    return reg_store_wrap (s, err, reg_make_error (err, ENOENT, "environment `%s`", env_id));
  *env_root = env_root_path (s, env_id);
  return 0;
}

int
reg_store_env_ref (struct reg_store *s, const char *env_id, const char *ref_name, reg_error_t *err)
{
  cleanup_free char *rel = NULL;
  cleanup_free char *manifest = NULL;
  int fd;

  if (!ref_name_valid (ref_name))
    return reg_store_wrap (s, err, reg_make_error (err, EINVAL, "invalid reference name `%s`", ref_name));
  if (!env_exists (s, env_id))
    return reg_store_wrap (s, err, reg_make_error (err, ENOENT, "reference environment `%s`", env_id));
  xasprintf (&rel, "%s/refs/%s", env_id, ref_name);
  xasprintf (&manifest, "%s/manifest", env_id);
  /* A reference is a hard link of the manifest rather than a new file: a
     new inode on ext4 costs a scan for recently deleted inodes, a fifth of
     a cached create's REG work.  At the link limit, an empty file.  */
  if (linkat (s->envs_fd, manifest, s->envs_fd, rel, 0) == 0 || errno == EEXIST)
    return 0;
  if (errno != EMLINK)
    return reg_store_wrap (s, err, reg_make_error (err, errno, "create `envs/%s`", rel));
  fd = openat (s->envs_fd, rel, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return reg_store_wrap (s, err, reg_make_error (err, errno, "create `envs/%s`", rel));
  close (fd);
  return 0;
}

int
reg_store_env_unref (struct reg_store *s, const char *env_id, const char *ref_name, reg_error_t *err)
{
  cleanup_free char *rel = NULL;

  if (!ref_name_valid (ref_name))
    return reg_store_wrap (s, err, reg_make_error (err, EINVAL, "invalid reference name `%s`", ref_name));
  if (!reg_store_digest_valid (env_id))
    return reg_store_wrap (s, err, reg_make_error (err, EINVAL, "invalid environment id `%s`", env_id));
  xasprintf (&rel, "%s/refs/%s", env_id, ref_name);
  if (unlinkat (s->envs_fd, rel, 0) < 0 && errno != ENOENT)
    return reg_store_wrap (s, err, reg_make_error (err, errno, "remove `envs/%s`", rel));
  return 0;
}

#define ENV_IMAGE_MAGIC "reg-env-image 1\n"

bool
reg_store_env_has_image (struct reg_store *s, const char *env_id)
{
  cleanup_free char *rel = NULL;
  struct stat st;

  if (!reg_store_digest_valid (env_id))
    return false;
  xasprintf (&rel, "%s/image", env_id);
  return fstatat (s->envs_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Whether ENV_ID's image record has its volume (not only where the image
   was).  */
static bool
env_image_measured (struct reg_store *s, const char *env_id)
{
  cleanup_free char *rel = NULL;
  cleanup_free char *data = NULL;
  size_t len;

  xasprintf (&rel, "%s/image", env_id);
  return read_all_file_at (s->envs_fd, rel, 8192, &data, &len, NULL) == 0 && len > strlen (ENV_IMAGE_MAGIC)
         && has_prefix (data + strlen (ENV_IMAGE_MAGIC), "files ");
}

int
reg_store_env_set_image (struct reg_store *s, const char *env_id, uint64_t files, uint64_t bytes, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_close int dirfd = -1;
  int ret;

  if (!env_exists (s, env_id))
    return reg_store_wrap (s, err, reg_make_error (err, ENOENT, "environment `%s`", env_id));
  if (env_image_measured (s, env_id))
    return 0;
  dirfd = openat (s->envs_fd, env_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return reg_store_wrap (s, err, reg_make_error (err, errno, "open `envs/%s`", env_id));
  xasprintf (&data, ENV_IMAGE_MAGIC "files %llu\nbytes %llu\n", (unsigned long long)files, (unsigned long long)bytes);
  ret = write_file_atomic_at (dirfd, "image", data, strlen (data), 0600, false, err);
  if (UNLIKELY (ret < 0))
    return reg_store_wrap (s, err, reg_error_wrap (err, "environment %s: image record", env_id));
  return 0;
}

/* Where the image is, for a volume not measured yet: "root " IDENTITY
   PATH (its root directory's identity, the path escaped).  */
#define ENV_IMAGE_ROOT "root "

int
reg_store_env_set_image_root (struct reg_store *s, const char *env_id, int rootfd, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *esc = NULL;
  cleanup_close int dirfd = -1;
  char proc[64], path[PATH_MAX];
  struct reg_identity id;
  size_t len = 0;
  ssize_t n;
  FILE *f;
  int ret;

  if (!env_exists (s, env_id))
    return reg_store_wrap (s, err, reg_make_error (err, ENOENT, "environment `%s`", env_id));
  if (reg_store_env_has_image (s, env_id))
    return 0;
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", rootfd);
  n = readlink (proc, path, sizeof (path) - 1);
  if (n <= 0 || path[0] != '/')
    return reg_store_wrap (s, err, reg_make_error (err, n < 0 ? errno : EINVAL, "the image's path"));
  path[n] = '\0';
  ret = reg_identity_at (rootfd, "", AT_EMPTY_PATH, &id, NULL);
  if (ret < 0)
    return reg_store_wrap (s, err, reg_make_error (err, -ret, "stat the image's root"));
  esc = reg_store_escape (path);
  f = open_memstream (&data, &len);
  if (f == NULL)
    abort ();
  fputs (ENV_IMAGE_MAGIC ENV_IMAGE_ROOT, f);
  reg_identity_write (f, &id);
  fprintf (f, "%s\n", esc);
  fclose (f);
  dirfd = openat (s->envs_fd, env_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return reg_store_wrap (s, err, reg_make_error (err, errno, "open `envs/%s`", env_id));
  ret = write_file_atomic_at (dirfd, "image", data, len, 0600, false, err);
  if (UNLIKELY (ret < 0))
    return reg_store_wrap (s, err, reg_error_wrap (err, "environment %s: image record", env_id));
  return 0;
}

/* The volume of the image a record of reg_store_env_set_image_root names
   (after the magic: P up to END), when it is still there with the same
   root (mount, inode, times): measured now and recorded.  */
static void
measure_env_image (struct reg_store *s, const char *env_id, const char *p, const char *end, struct reg_env_info *info)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  struct reg_identity was, now;
  struct reg_tree_size size;
  reg_error_t err = NULL;

  if (end - p < (ptrdiff_t)strlen (ENV_IMAGE_ROOT) || memcmp (p, ENV_IMAGE_ROOT, strlen (ENV_IMAGE_ROOT)) != 0)
    return;
  p += strlen (ENV_IMAGE_ROOT);
  if (end > p && end[-1] == '\n')
    end--;
  if (reg_identity_parse (&p, end, &was) < 0 || (path = reg_store_unescape (&p, end)) == NULL || p != end)
    return;
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* Gone, or another directory there now (its volume is not the image's).  */
  if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &now, NULL) < 0 || now.mnt != was.mnt || now.dev != was.dev
      || now.ino != was.ino)
    return;
  if (reg_tree_size (fd, &size, &err) < 0 || reg_store_env_set_image (s, env_id, size.files, size.bytes, &err) < 0)
    {
      reg_debug ("store `%s`: environment %s: image volume: %s", s->root, env_id, err->msg);
      reg_error_release (&err);
      return;
    }
  info->image_files = size.files;
  info->image_bytes = size.bytes;
}

/* The image record of ENV_ID into INFO; nothing when there is none or it
   is damaged (it is information, not state).  */
static void
read_env_image (struct reg_store *s, const char *id, struct reg_env_info *info)
{
  cleanup_free char *rel = NULL;
  cleanup_free char *data = NULL;
  unsigned long long files, bytes;
  size_t len;

  xasprintf (&rel, "%s/image", id);
  if (read_all_file_at (s->envs_fd, rel, 8192, &data, &len, NULL) < 0)
    return;
  if (len < strlen (ENV_IMAGE_MAGIC) || memcmp (data, ENV_IMAGE_MAGIC, strlen (ENV_IMAGE_MAGIC)) != 0)
    return;
  if (sscanf (data + strlen (ENV_IMAGE_MAGIC), "files %llu\nbytes %llu\n", &files, &bytes) != 2)
    {
      measure_env_image (s, id, data + strlen (ENV_IMAGE_MAGIC), data + len, info);
      return;
    }
  info->image_files = files;
  info->image_bytes = bytes;
}

/* --- the environment cache ---------------------------------------------- */

/* A record: the magic, the env id, the boot id, then one line per source
   (identities as reg_identity_write writes them, paths escaped):

     f IDENTITY PATH              the root has a file, symlink or directory with IDENTITY at PATH
     l N IDENTITY PATH            an overlay root shows at PATH the file or symlink of its lower layer N
                                  whose identity is IDENTITY (reg-layers.h)
     d MODE UID GID NAMES PATH    an overlay root has a directory at PATH with that mode and owner,
                                  whose entries' names and types hash to NAMES

   Each container's overlay gives the files it shows new identities: those
   of the layer files, and the content of the directories (their layers'
   and the container's upper layer's part), are what the next container of
   the same layers finds again.  */
#define ENV_CACHE_MAGIC "reg-env-cache 4\n"
/* The last line, "end CHECK": the SHA-256 of all before it.  Records are
   rewritten in place (record_write): newlines may follow.  */
#define ENV_CACHE_END "\nend "

static void
env_cache_name (const char *key, char *dir, char **name)
{
  char hex[REG_DIGEST_HEX_LEN + 1];
  reg_sha256_hex (key, strlen (key), hex);
  memcpy (dir, hex, 2);
  dir[2] = '\0';
  xasprintf (name, "%.2s/%s", hex, hex + 2);
}

void
reg_source_identity_set (struct reg_source_identity *src, const char *path, const struct reg_identity *id)
{
  src->path = xstrdup (path);
  src->id = *id;
}

void
reg_sources_add (struct reg_sources *s, const char *path, const struct reg_identity *id)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? 2 * s->cap : 64;
      s->items = xrealloc (s->items, s->cap * sizeof (*s->items));
    }
  reg_source_identity_set (&s->items[s->n++], path, id);
}

void
reg_sources_clear (struct reg_sources *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->items[i].path);
  free (s->items);
  memset (s, 0, sizeof (*s));
}

/* By path, then identity: equal only when the whole line would be.  */
static int
cmp_source (const void *a, const void *b)
{
  const struct reg_source_identity *x = *(const struct reg_source_identity *const *)a;
  const struct reg_source_identity *y = *(const struct reg_source_identity *const *)b;
  int c = strcmp (x->path, y->path);

  return c ? c : reg_identity_cmp (&x->id, &y->id);
}

static int
cmp_name (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The names and types of the entries of directory FD (any offset), each
   "TYPE NAME\0" (the d_type digit), sorted: what a directory's content is
   whatever mount shows it.  0, or -1 when it cannot be read.  */
static int
dir_names_digest (int fd, char *hex)
{
  cleanup_dir DIR *d = NULL;
  cleanup_free char *buf = NULL;
  char **names = NULL;
  size_t n = 0, cap = 0, len = 0;
  struct dirent *de;
  FILE *f;
  int dup_fd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dup_fd < 0 || (d = fdopendir (dup_fd)) == NULL)
    {
      if (dup_fd >= 0)
        close (dup_fd);
      return -1;
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (n == cap)
        {
          cap = cap ? 2 * cap : 64;
          names = xrealloc (names, cap * sizeof (*names));
        }
      xasprintf (&names[n++], "%u %s", (unsigned)de->d_type, de->d_name);
    }
  if (n > 1)
    qsort (names, n, sizeof (*names), cmp_name);
  f = open_memstream (&buf, &len);
  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      fwrite (names[i], 1, strlen (names[i]) + 1, f);
      free (names[i]);
    }
  free (names);
  fclose (f);
  reg_sha256_hex (buf, len, hex);
  return 0;
}

/* The digest of what the lower layers of L have at the directory PATH
   (reg_layers_write_dir) into HEX; -1 when the overlay must be asked.  */
static int
layers_dir_digest (struct reg_layers *l, const char *path, char *hex)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  int ret;

  if (f == NULL)
    abort ();
  ret = reg_layers_write_dir (l, path, f);
  fclose (f);
  if (ret == 0)
    reg_sha256_hex (buf, len, hex);
  return ret;
}

/* The record line of source SRC of an overlay root with layers L, or NULL
   when none would hold in another container: a file of the container's own
   upper layer, or a directory that changed since it was seen.  A
   directory's line "d MODE UID GID NAMES PATH" has the digest of its
   listing through the overlay, or when the layers answer for it, "D ...
   NAMES LAYERS PATH" has also the digest of what each lower layer has
   there (layers_dir_digest): the check then reads no directory.  */
static char *
overlay_source_line (struct reg_layers *l, const struct reg_source_identity *src, const char *esc)
{
  struct reg_identity lower;
  char *line = NULL;
  size_t layer;

  if (S_ISDIR (src->id.mode))
    {
      cleanup_close int fd = open_in_root_raw (reg_layers_root (l), src->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
      char hex[REG_DIGEST_HEX_LEN + 1], in_layers[REG_DIGEST_HEX_LEN + 1];
      struct reg_identity now;

      /* Listed as it was when the environment was computed from it.  */
      if (fd < 0 || dir_names_digest (fd, hex) < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &now, NULL) < 0
          || reg_identity_cmp (&now, &src->id) != 0)
        return NULL;
      if (layers_dir_digest (l, src->path, in_layers) == 0)
        xasprintf (&line, "D %u %u %u %s %s %s\n", (unsigned)src->id.mode, (unsigned)src->id.uid, (unsigned)src->id.gid,
                   hex, in_layers, esc);
      else
        xasprintf (&line, "d %u %u %u %s %s\n", (unsigned)src->id.mode, (unsigned)src->id.uid, (unsigned)src->id.gid,
                   hex, esc);
      return line;
    }
  if (reg_layers_lower_entry (l, src->path, &src->id, &layer, &lower) < 0)
    return NULL;
  {
    cleanup_free char *id = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&id, &len);
    if (f == NULL)
      abort ();
    reg_identity_write (f, &lower);
    fclose (f);
    xasprintf (&line, "l %zu %s%s\n", layer, id, esc);
  }
  return line;
}

/* Write the cache record NAME in DIRFD: a new one by the rename of a
   finished file; one that exists is rewritten in place, for replacing it
   would free its blocks, a synchronous discard (ms) in the middle of a
   create on a file system mounted with `discard`.  Its reader checks it
   (a rewrite half done reads as a miss); a shorter record is padded with
   newlines to the old size, after its end line.  */
static int
record_write (int dirfd, const char *name, const char *data, size_t len, reg_error_t *err)
{
  static const char newlines[512] = { [0 ... 511] = '\n' };
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  off_t at;

  if (fd < 0 && errno == ENOENT)
    return write_file_atomic_at (dirfd, name, data, len, 0600, false, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return reg_make_error (err, errno, "open `%s`", name);
  if (pwrite (fd, data, len, 0) != (ssize_t)len)
    return reg_make_error (err, errno ? errno : EIO, "rewrite `%s`", name);
  for (at = (off_t)len; at < st.st_size;)
    {
      size_t n = (size_t)(st.st_size - at) < sizeof (newlines) ? (size_t)(st.st_size - at) : sizeof (newlines);
      ssize_t w = pwrite (fd, newlines, n, at);
      if (w <= 0)
        return reg_make_error (err, w < 0 ? errno : EIO, "rewrite `%s`", name);
      at += w;
    }
  return 0;
}

int
reg_store_env_cache_put (struct reg_store *s, const char *key, const char *env_id,
                         const struct reg_source_identity *sources, size_t n, reg_error_t *err)
{
  cleanup_free const struct reg_source_identity **sorted = NULL;
  cleanup_free char *name = NULL;
  cleanup_close int dirfd = -1;
  char *data = NULL;
  size_t len = 0;
  char dir[3];
  FILE *f;
  int ret;

  if (!reg_store_digest_valid (env_id))
    return reg_store_wrap (s, err, reg_make_error (err, EINVAL, "invalid environment id `%s`", env_id));
  /* A record no lookup may trust is not worth writing.  */
  for (size_t i = 0; i < n; i++)
    if (!reg_identity_trusted (&sources[i].id))
      return 0;
  env_cache_name (key, dir, &name);
  f = open_memstream (&data, &len);
  if (f == NULL)
    abort ();
  fprintf (f, "%s%s\n%s\n", ENV_CACHE_MAGIC, env_id, reg_boot_id () ? reg_boot_id () : "");
  /* Each identity once (a directory is the source of every absent file it
     would hold): every line is a lookup at each cached create.  */
  sorted = xmalloc ((n ? n : 1) * sizeof (*sorted));
  for (size_t i = 0; i < n; i++)
    sorted[i] = &sources[i];
  qsort (sorted, n, sizeof (*sorted), cmp_source);
  for (size_t i = 0; i < n; i++)
    {
      const struct reg_source_identity *id = sorted[i];
      cleanup_free char *esc = NULL;
      cleanup_free char *line = NULL;
      if (i > 0 && cmp_source (&sorted[i - 1], &sorted[i]) == 0)
        continue;
      esc = reg_store_escape (id->path);
      if (!reg_layers_own_mount (s->layers, &id->id))
        {
          fputs ("f ", f);
          reg_identity_write (f, &id->id);
          fprintf (f, "%s\n", esc);
          continue;
        }
      line = overlay_source_line (s->layers, id, esc);
      if (line == NULL)
        {
          /* Not worth writing: it would replace a record that holds.  */
          fclose (f);
          free (data);
          return 0;
        }
      fputs (line, f);
    }
  fflush (f);
  {
    char check[REG_DIGEST_HEX_LEN + 1];
    reg_sha256_hex (data, len, check);
    fprintf (f, "end %s\n", check);
  }
  fclose (f);
  if (mkdirat (s->cache_envs_fd, dir, 0700) < 0 && errno != EEXIST)
    ret = reg_make_error (err, errno, "mkdir `cache/envs/%s`", dir);
  else if ((dirfd = openat (s->cache_envs_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ret = reg_make_error (err, errno, "open `cache/envs/%s`", dir);
  else
    ret = record_write (dirfd, name + 3, data, len, err);
  free (data);
  if (UNLIKELY (ret < 0))
    return reg_store_wrap (s, err, reg_error_wrap (err, "environment cache"));
  return 0;
}

/* The directory of the previous source, kept open: the cache lists its
   sources sorted, so most share their predecessor's directory.  */
struct source_dir
{
  char *path;
  int fd;
};

/* The identity of PATH in the root as open_in_root_raw (O_PATH |
   O_NOFOLLOW) would find it: the directory resolved in the root
   (RESOLVE_IN_ROOT), the last component not followed.  One statx per
   source instead of an openat2, a statx and a close.  */
static int
stat_source (int rootfd, const char *path, struct source_dir *dir, struct reg_identity *id)
{
  const char *slash = strrchr (path, '/');
  const char *leaf = slash ? slash + 1 : path;
  size_t dlen = slash ? (size_t)(slash - path) : 0;

  if (slash == NULL || *leaf == '\0' || strcmp (leaf, ".") == 0 || strcmp (leaf, "..") == 0)
    {
      int fd = open_in_root_raw (rootfd, path, O_PATH | O_NOFOLLOW, 0);
      int ret = fd >= 0 ? reg_identity_at (fd, "", AT_EMPTY_PATH, id, NULL) : fd;
      if (fd >= 0)
        close (fd);
      return ret;
    }
  if (dir->path == NULL || strlen (dir->path) != dlen || memcmp (dir->path, path, dlen) != 0)
    {
      if (dir->fd >= 0)
        close (dir->fd);
      free (dir->path);
      dir->path = xstrndup (path, dlen);
      dir->fd = open_in_root_raw (rootfd, dlen ? dir->path : "/", O_PATH | O_DIRECTORY, 0);
    }
  if (dir->fd < 0)
    return -1;
  return reg_identity_at (dir->fd, leaf, AT_SYMLINK_NOFOLLOW, id, NULL);
}

static void
source_dir_clear (struct source_dir *dir)
{
  if (dir->fd >= 0)
    close (dir->fd);
  free (dir->path);
}

/* A decimal number and the space after it, from *P (not past END).  */
static int
parse_line_uint (const char **pp, const char *end, uint64_t *out)
{
  const char *p = *pp;
  uint64_t n = 0;

  if (p >= end || *p < '0' || *p > '9')
    return -1;
  while (p < end && *p >= '0' && *p <= '9' && n < UINT64_MAX / 10)
    n = n * 10 + (uint64_t)(*p++ - '0');
  if (p >= end || *p != ' ')
    return -1;
  *pp = p + 1;
  *out = n;
  return 0;
}

/* A digest (REG_DIGEST_HEX_LEN hex digits) and the space after it, from
 *P (not past END), into HEX.  */
static int
parse_line_digest (const char **pp, const char *end, char *hex)
{
  const char *p = *pp;

  if (end - p <= REG_DIGEST_HEX_LEN || p[REG_DIGEST_HEX_LEN] != ' ')
    return -1;
  memcpy (hex, p, REG_DIGEST_HEX_LEN);
  hex[REG_DIGEST_HEX_LEN] = '\0';
  if (!reg_store_digest_valid (hex))
    return -1;
  *pp = p + REG_DIGEST_HEX_LEN + 1;
  return 0;
}

const char *
reg_store_env_record_parse (const char *data, size_t len, char *id, const char **end)
{
  const char *boot = reg_boot_id ();
  const char *p = data, *e;
  size_t mlen = strlen (ENV_CACHE_MAGIC);
  char check[REG_DIGEST_HEX_LEN + 1];

  /* the check first: a record rewritten as it is read is a mix */
  e = memmem (data, len, ENV_CACHE_END, strlen (ENV_CACHE_END));
  if (e == NULL)
    return NULL;
  e++;
  if ((size_t)(data + len - e) < strlen ("end ") + REG_DIGEST_HEX_LEN + 1 || e[4 + REG_DIGEST_HEX_LEN] != '\n')
    return NULL;
  reg_sha256_hex (data, (size_t)(e - data), check);
  if (memcmp (check, e + 4, REG_DIGEST_HEX_LEN) != 0)
    return NULL;
  *end = e;
  len = (size_t)(e - data);
  if (boot == NULL || len < mlen + REG_DIGEST_HEX_LEN + 1 + strlen (boot) + 1 || memcmp (p, ENV_CACHE_MAGIC, mlen) != 0)
    return NULL;
  p += mlen;
  memcpy (id, p, REG_DIGEST_HEX_LEN);
  id[REG_DIGEST_HEX_LEN] = '\0';
  p += REG_DIGEST_HEX_LEN;
  if (*p++ != '\n' || memcmp (p, boot, strlen (boot)) != 0 || p[strlen (boot)] != '\n' || !reg_store_digest_valid (id))
    return NULL;
  return p + strlen (boot) + 1;
}

/* A miss because the source WHAT at PATH is not what the record NAME
   (cache/envs/NAME) saw: one debug line, for a user wondering why a
   create built its environment again.  */
static int
env_cache_changed (const char *name, const char *path, const char *what)
{
  reg_debug ("REG: store: environment cache: the %s `%s` is not the one record `%s` saw", what, path, name);
  return 0;
}

int
reg_store_env_cache_get (struct reg_store *s, const char *key, int rootfd, char **env_id, reg_error_t *err)
{
  __attribute__ ((cleanup (source_dir_clear))) struct source_dir sdir = { NULL, -1 };
  cleanup_free char *name = NULL;
  cleanup_free char *data = NULL;
  char dir[3], id[REG_DIGEST_HEX_LEN + 1];
  const char *p, *end;
  struct statfs sfs;
  size_t len;

  (void)err; /* every problem is a miss: the cache is only an optimisation */
  /* FUSE reports the stat data its daemon chooses: nothing to trust.  */
  if (fstatfs (rootfd, &sfs) < 0 || sfs.f_type == 0x65735546 /* FUSE_SUPER_MAGIC */)
    return 0;
  env_cache_name (key, dir, &name);
  if (read_all_file_at (s->cache_envs_fd, name, 64 << 20, &data, &len, NULL) < 0)
    return 0;
  p = reg_store_env_record_parse (data, len, id, &end);
  if (p == NULL || !env_exists (s, id))
    return 0;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', (size_t)(end - p));
      struct reg_identity was, now;
      cleanup_free char *path = NULL;
      char kind = *p;
      uint64_t layer = 0, mode = 0, uid = 0, gid = 0;
      char names[REG_DIGEST_HEX_LEN + 1], in_layers[REG_DIGEST_HEX_LEN + 1], now_layers[REG_DIGEST_HEX_LEN + 1];

      if (eol == NULL || eol - p < 2 || p[1] != ' ')
        return 0;
      p += 2;
      switch (kind)
        {
        case 'l':
          if (parse_line_uint (&p, eol, &layer) < 0)
            return 0;
          /* fall through */
        case 'f':
          if (reg_identity_parse (&p, eol, &was) < 0)
            return 0;
          break;
        case 'd':
        case 'D':
          if (parse_line_uint (&p, eol, &mode) < 0 || parse_line_uint (&p, eol, &uid) < 0
              || parse_line_uint (&p, eol, &gid) < 0 || parse_line_digest (&p, eol, names) < 0
              || (kind == 'D' && parse_line_digest (&p, eol, in_layers) < 0))
            return 0;
          break;
        default:
          return 0;
        }
      path = reg_store_unescape (&p, eol);
      if (path == NULL || p != eol)
        return 0;
      p = eol + 1;
      if (kind == 'D' && layers_dir_digest (s->layers, path, now_layers) == 0 && strcmp (now_layers, in_layers) == 0)
        continue;
      if (kind == 'd' || kind == 'D')
        {
          cleanup_close int fd = open_in_root_raw (rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
          char hex[REG_DIGEST_HEX_LEN + 1];
          if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &now, NULL) < 0 || now.mode != mode || now.uid != uid
              || now.gid != gid || dir_names_digest (fd, hex) < 0 || strcmp (hex, names) != 0)
            return env_cache_changed (name, path, "directory");
          continue;
        }
      if (kind == 'l' && reg_layers_check_layer_entry (s->layers, path, (size_t)layer, &was) == 0)
        continue;
      if (stat_source (rootfd, path, &sdir, &now) < 0 || !reg_identity_trusted (&now))
        return env_cache_changed (name, path, "source");
      if (kind == 'f' ? reg_identity_cmp (&was, &now) != 0
                      : reg_layers_check_entry (s->layers, path, &now, (size_t)layer, &was) < 0)
        return env_cache_changed (name, path, kind == 'f' ? "file" : "layer file");
    }
  *env_id = xstrdup (id);
  return 1;
}

/* --- listing ------------------------------------------------------------ */

static int
count_tree (int dirfd, struct reg_env_info *info, int depth, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (depth > 256)
    return reg_make_error (err, ELOOP, "environment tree too deep");
  fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return reg_make_error (err, errno, "open directory");
    }
  while ((de = readdir (d)))
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return reg_make_error (err, errno, "stat `%s`", de->d_name);
      if (S_ISREG (st.st_mode))
        {
          info->files++;
          info->bytes += (uint64_t)st.st_size;
        }
      else if (S_ISLNK (st.st_mode))
        info->symlinks++;
      else if (S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          int ret;
          info->dirs++;
          if (sub < 0)
            return reg_make_error (err, errno, "open `%s`", de->d_name);
          ret = count_tree (sub, info, depth + 1, err);
          if (UNLIKELY (ret < 0))
            return ret;
        }
    }
  return 0;
}

static int
env_info (struct reg_store *s, const char *id, struct reg_env_info *info, reg_error_t *err)
{
  cleanup_free char *refs_rel = NULL;
  cleanup_free char *root_rel = NULL;
  cleanup_free char *manifest_rel = NULL;
  cleanup_close int rootfd = -1;
  cleanup_dir DIR *refs = NULL;
  struct dirent *de;
  struct stat st;
  int fd, ret;

  memset (info, 0, sizeof (*info));
  info->id = xstrdup (id);
  info->refs = xmalloc0 (sizeof (char *));
  xasprintf (&manifest_rel, "%s/manifest", id);
  if (fstatat (s->envs_fd, manifest_rel, &st, 0) == 0)
    info->created = st.st_mtim.tv_sec;

  xasprintf (&refs_rel, "%s/refs", id);
  fd = openat (s->envs_fd, refs_rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && (refs = fdopendir (fd)) == NULL)
    close (fd);
  while (refs && (de = readdir (refs)))
    {
      if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp (de->d_name, "..") == 0))
        continue;
      info->refs = xrealloc (info->refs, (info->n_refs + 2) * sizeof (char *));
      info->refs[info->n_refs++] = xstrdup (de->d_name);
      info->refs[info->n_refs] = NULL;
    }

  read_env_image (s, id, info);
  xasprintf (&root_rel, "%s/root", id);
  rootfd = openat (s->envs_fd, root_rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootfd < 0)
    return reg_make_error (err, errno, "open `envs/%s`", root_rel);
  ret = count_tree (rootfd, info, 0, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "environment %s", id);
  return 0;
}

static int
cmp_env_info (const void *a, const void *b)
{
  const struct reg_env_info *x = a, *y = b;
  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  return strcmp (x->id, y->id);
}

static int
list_envs (struct reg_store *s, struct reg_env_info **envs, size_t *n, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct reg_env_info *out = NULL;
  size_t count = 0;
  struct dirent *de;
  int fd = openat (s->envs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return reg_make_error (err, errno, "open `envs`");
    }
  while ((de = readdir (d)))
    {
      int ret;
      if (!reg_store_digest_valid (de->d_name))
        continue;
      out = xrealloc (out, (count + 1) * sizeof (*out));
      ret = env_info (s, de->d_name, &out[count++], err);
      if (UNLIKELY (ret < 0))
        {
          reg_env_info_free (out, count);
          return ret;
        }
    }
  if (count > 1)
    qsort (out, count, sizeof (*out), cmp_env_info);
  *envs = out;
  *n = count;
  return 0;
}

int
reg_store_list_envs (struct reg_store *s, struct reg_env_info **envs, size_t *n, reg_error_t *err)
{
  *envs = NULL;
  *n = 0;
  return reg_store_wrap (s, err, list_envs (s, envs, n, err));
}

void
reg_env_info_free (struct reg_env_info *envs, size_t n)
{
  if (envs == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (envs[i].id);
      free_string_array (envs[i].refs);
    }
  free (envs);
}
