/* libreg: the REG store: opening, objects, the file-identity cache, check.
 *
 * Object names.  An object is one inode that containers share, so its name
 * covers everything that inode carries: the SHA-256 (OpenSSL libcrypto) of
 *
 *   "reg-object 1\nmode " <4 octal digits of st_mode & 07777> "\nuid " <decimal>
 *   "\ngid " <decimal> "\n\n" <content>
 *
 * The header ends at the first empty line and holds only digits, so it is
 * unambiguous without a length; the content length need not be known before
 * hashing starts.
 *
 * Owners.  The object inode has exactly the mode, uid and gid its name says
 * (check verifies it).  When the file's owner is not ours, the object is
 * fchown()ed; a process that may not do that (non-root outside a user
 * namespace that maps the owner) does not share the file at all
 * (REG_STORE_UNSHARED_OWNER) rather than publish an object whose inode
 * differs from what the container would see in its image.
 *
 * Write bits.  The object keeps the image's mode, write bits included: the
 * container must see its file's mode unchanged (an overlay copy-up of a
 * user's own file in `minimal` mode depends on it).  Objects are protected
 * by the store root being 0700 and by every mount of them being read-only;
 * a mode without write bits would not stop root anyway.
 *
 * Publishing.  Content goes to a temporary file in tmp/ (owner, mode,
 * fsync), then link(2) to objects/<2>/<62>: link never replaces, so when
 * two processes publish the same object the first one wins and the other
 * just unlinks its temporary.  A killed process leaves at worst a file in
 * tmp/, which gc removes.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* SHA256_Init/Update/Final rather than EVP: EVP's first digest in a
   process sets up OpenSSL's provider machinery, about 0.5 ms, a third of
   what REG adds to a cached create.  The low-level interface is deprecated
   in OpenSSL 3 but kept, and computes the same SHA-256 (with SHA-NI where
   the CPU has it).  */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "reg-store-internal.h"

#define COPY_CHUNK (128 * 1024)
/* cachestat(2), Linux 6.5; the C library's headers may predate it.  The
   number is the same on every architecture (the unified syscall table).  */
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
#define FUSE_SUPER_MAGIC 0x65735546
/* The identity tables stay open (256 fds) only under a limit this high.  */
#define IDS_FDS_MIN_NOFILE 1024

void
reg_store_crash_point (const char *step)
{
  const char *at = getenv ("REG_STORE_TEST_CRASH_AT");
  if (at && strcmp (at, step) == 0)
    raise (SIGKILL);
}

int
reg_store_wrap (struct reg_store *s, reg_error_t *err, int ret)
{
  if (ret >= 0)
    return ret;
  return reg_error_wrap (err, "store `%s`", s->root);
}

static void
to_hex (const unsigned char *md, unsigned len, char *hex)
{
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; i++)
    {
      hex[2 * i] = digits[md[i] >> 4];
      hex[2 * i + 1] = digits[md[i] & 0xf];
    }
  hex[2 * len] = '\0';
}

void
reg_sha256_hex (const void *data, size_t len, char *hex)
{
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;

  /* Not SHA256 (): in OpenSSL 3 the one-shot goes through EVP.  */
  SHA256_Init (&ctx);
  SHA256_Update (&ctx, data, len);
  SHA256_Final (md, &ctx);
  to_hex (md, sizeof (md), hex);
}

bool
reg_store_digest_valid (const char *digest)
{
  size_t i;
  if (digest == NULL)
    return false;
  for (i = 0; digest[i]; i++)
    if (!((digest[i] >= '0' && digest[i] <= '9') || (digest[i] >= 'a' && digest[i] <= 'f')))
      return false;
  return i == REG_DIGEST_HEX_LEN;
}

static void
object_hash_begin (SHA256_CTX *ctx, mode_t mode, uid_t uid, gid_t gid)
{
  char header[128];
  int n;

  SHA256_Init (ctx);
  n = snprintf (header, sizeof (header), "reg-object 1\nmode %04o\nuid %u\ngid %u\n\n", (unsigned)(mode & 07777),
                (unsigned)uid, (unsigned)gid);
  SHA256_Update (ctx, header, (size_t)n);
}

static void
object_hash_end (SHA256_CTX *ctx, char *hex)
{
  unsigned char md[SHA256_DIGEST_LENGTH];

  SHA256_Final (md, ctx);
  to_hex (md, sizeof (md), hex);
}

void
reg_store_digest_buffer (const void *content, size_t len, mode_t mode, uid_t uid, gid_t gid, char *hex)
{
  SHA256_CTX ctx;

  object_hash_begin (&ctx, mode, uid, gid);
  SHA256_Update (&ctx, content, len);
  object_hash_end (&ctx, hex);
}

/* LEN zero bytes into CTX: a hole reads as zeros.  */
static void
hash_zeros (SHA256_CTX *ctx, off_t len)
{
  static const unsigned char zeros[COPY_CHUNK];

  while (len > 0)
    {
      size_t n = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
      SHA256_Update (ctx, zeros, n);
      len -= (off_t)n;
    }
}

static int
pwrite_all (int fd, const void *buf, size_t len, off_t off, reg_error_t *err)
{
  while (len > 0)
    {
      ssize_t w = pwrite (fd, buf, len, off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return reg_make_error (err, errno, "write");
      buf = (const char *)buf + w;
      len -= (size_t)w;
      off += w;
    }
  return 0;
}

/* Up to WANT bytes of FD at OFF, read into BUF and taken into CTX, and
   written to OUT_FD at OFF when >= 0: the bytes read (0 at the end), or
   an error.  */
static ssize_t
take_chunk (int fd, char *buf, size_t want, off_t off, SHA256_CTX *ctx, int out_fd, reg_error_t *err)
{
  ssize_t r;
  int ret;

  do
    r = pread (fd, buf, want, off);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return reg_make_error (err, errno, "read");
  if (r == 0)
    return 0;
  SHA256_Update (ctx, buf, (size_t)r);
  if (out_fd < 0)
    return r;
  ret = pwrite_all (out_fd, buf, (size_t)r, off, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (off == 0)
    reg_store_crash_point ("object-partial");
  return r;
}

/* Read all of FD from offset 0, hashing it (as an object with MODE, UID,
   GID) and, when OUT_FD >= 0, copying it there.  Holes (SEEK_HOLE) are
   hashed as the zeros they read as but neither read nor written, so the
   copy has the holes of the file: a 2 GiB sparse file of 16 KiB of data
   takes 16 KiB in the store, not 2 GiB.  Only hashed (no copy), the first
   chunk is read without seeking: most files of an image fit in it, and
   its four lseek calls would cost more than reading a small hole.  FD's
   offset is changed.  What is hashed is what is copied, even if the file
   changes meanwhile.  */
static int
hash_copy (int fd, mode_t mode, uid_t uid, gid_t gid, int out_fd, char *hex, uint64_t *bytes, reg_error_t *err)
{
  cleanup_free char *buf = xmalloc (COPY_CHUNK);
  SHA256_CTX ctx;
  uint64_t data_bytes = 0;
  off_t off = 0;

  object_hash_begin (&ctx, mode, uid, gid);
  while (out_fd < 0 && off < COPY_CHUNK)
    {
      ssize_t r = take_chunk (fd, buf, COPY_CHUNK, off, &ctx, out_fd, err);

      if (r < 0)
        return (int)r;
      if (r == 0)
        goto end;
      off += r;
      data_bytes += (uint64_t)r;
    }
  for (;;)
    {
      off_t data = lseek (fd, off, SEEK_DATA), hole;

      if (data < 0 && errno == ENXIO)
        {
          /* No data after OFF: a hole up to the end, or the end.  */
          off_t end = lseek (fd, 0, SEEK_END);
          if (end < 0)
            return reg_make_error (err, errno, "seek");
          if (end > off)
            hash_zeros (&ctx, end - off);
          off = end > off ? end : off;
          break;
        }
      if (data < 0 && errno != EINVAL && errno != EOPNOTSUPP)
        return reg_make_error (err, errno, "seek");
      if (data < 0)
        {
          /* No SEEK_DATA here: all data, read up to the end.  */
          data = off;
          hole = -1;
        }
      else if ((hole = lseek (fd, data, SEEK_HOLE)) < 0)
        return reg_make_error (err, errno, "seek");
      hash_zeros (&ctx, data - off);
      off = data;
      while (hole < 0 || off < hole)
        {
          size_t want = hole < 0 || hole - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(hole - off);
          ssize_t r = take_chunk (fd, buf, want, off, &ctx, out_fd, err);

          if (r < 0)
            return (int)r;
          if (r == 0)
            goto end; /* the end (or the file shrank meanwhile) */
          off += r;
          data_bytes += (uint64_t)r;
        }
    }
end:
  /* The copy's length, a final hole included.  */
  if (out_fd >= 0 && ftruncate (out_fd, off) < 0)
    return reg_make_error (err, errno, "truncate");
  if (bytes)
    *bytes = data_bytes;
  object_hash_end (&ctx, hex);
  return 0;
}

int
reg_store_hash_object_fd (int fd, const struct stat *st, char *hex, reg_error_t *err)
{
  return hash_copy (fd, st->st_mode, st->st_uid, st->st_gid, -1, hex, NULL, err);
}

char *
reg_store_object_rel (const char *digest, unsigned copy)
{
  char *rel = NULL;
  if (copy == 0)
    xasprintf (&rel, "%.2s/%s", digest, digest + 2);
  else
    xasprintf (&rel, "%.2s/%s.%u", digest, digest + 2, copy);
  return rel;
}

char *
reg_store_object_path (struct reg_store *s, const char *digest)
{
  char *path = NULL;
  xasprintf (&path, "%s/objects/%.2s/%s", s->root, digest, digest + 2);
  return path;
}

char *
reg_store_tmp_name (struct reg_store *s, const char *what)
{
  char *name = NULL;
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  xasprintf (&name, "%s.%d.%lu.%lx", what, (int)getpid (), ++s->tmp_counter, (unsigned long)(ts.tv_nsec ^ ts.tv_sec));
  return name;
}

const char *
reg_store_root (struct reg_store *s)
{
  return s->root;
}

void
reg_store_set_max_object_size (struct reg_store *s, uint64_t bytes)
{
  s->max_object_size = bytes;
}

uint64_t
reg_store_max_object_size (struct reg_store *s)
{
  return s->max_object_size;
}

void
reg_store_set_layers (struct reg_store *s, struct reg_layers *layers)
{
  s->layers = layers;
}

void
reg_store_get_counters (struct reg_store *s, struct reg_store_counters *out)
{
  *out = s->counters;
}

const char *
reg_store_unshared_reason (int code)
{
  switch (code)
    {
    case REG_STORE_UNSHARED_SETID:
      return "set-uid or set-gid";
    case REG_STORE_UNSHARED_XATTR:
      return "has extended attributes";
    case REG_STORE_UNSHARED_OWNER:
      return "owner cannot be reproduced by this process";
    case REG_STORE_UNSHARED_SIZE:
      return "larger than the store's max_object_size";
    default:
      return "shared";
    }
}

/* --- open / close ------------------------------------------------------- */

static int
open_subdir (int dirfd, const char *name, mode_t mode, reg_error_t *err)
{
  /* Open first: the store exists at every create but the first.  */
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd >= 0 || errno != ENOENT)
    goto out;
  if (mkdirat (dirfd, name, mode) < 0 && errno != EEXIST)
    return reg_make_error (err, errno, "mkdir `%s`", name);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
out:
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "open `%s`", name);
  return fd;
}

void
reg_store_close (struct reg_store *s)
{
  reg_error_t err = NULL;

  if (s == NULL)
    return;
  /* What was added is published, as if added one by one.  */
  if (s->n_pending && reg_store_publish_pending (s, &err) < 0)
    {
      reg_debug ("store `%s`: %s", s->root, err->msg);
      reg_error_release (&err);
    }
  int *fds[]
      = { &s->root_fd, &s->objects_fd, &s->envs_fd, &s->tmp_fd, &s->cache_ids_fd, &s->cache_envs_fd, &s->lock_fd };
  for (size_t i = 0; i < sizeof (s->ids_fds) / sizeof (s->ids_fds[0]); i++)
    if (s->ids_fds[i] >= 0)
      close (s->ids_fds[i]);
  for (size_t i = 0; i < sizeof (fds) / sizeof (fds[0]); i++)
    if (*fds[i] >= 0)
      close (*fds[i]); /* closing the lock fd releases the flock */
  free (s->root);
  free (s);
}

int
reg_store_open (const char *root, struct reg_store **out, reg_error_t *err)
{
  struct reg_store *s = xmalloc0 (sizeof (*s));
  cleanup_close int cache_fd = -1;
  int ret;

  s->root = xstrdup (root);
  s->max_object_size = REG_STORE_DEFAULT_MAX_OBJECT_SIZE;
  s->root_fd = s->lock_fd = s->objects_fd = s->envs_fd = s->tmp_fd = s->cache_ids_fd = s->cache_envs_fd = -1;
  for (size_t i = 0; i < sizeof (s->ids_fds) / sizeof (s->ids_fds[0]); i++)
    s->ids_fds[i] = -1;
  s->rootless = running_rootless ();
  {
    struct rlimit nofile;
    s->keep_ids_fds = getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur >= IDS_FDS_MIN_NOFILE;
  }

  /* 0700: only the runtime reaches objects by path; containers see them
     through their (read-only) mounts.  */
  s->root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0 && errno == ENOENT)
    {
      ret = mkdir_p_at (AT_FDCWD, root, 0700, err);
      if (UNLIKELY (ret < 0))
        goto fail;
      s->root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (UNLIKELY (s->root_fd < 0))
    {
      ret = reg_make_error (err, errno, "open");
      goto fail;
    }
  s->lock_fd = openat (s->root_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (UNLIKELY (s->lock_fd < 0))
    {
      ret = reg_make_error (err, errno, "open `lock`");
      goto fail;
    }
  if (TEMP_FAILURE_RETRY_INT (flock (s->lock_fd, LOCK_SH)) < 0)
    {
      ret = reg_make_error (err, errno, "lock `lock`");
      goto fail;
    }

#define SUBDIR(field, dirfd, name, mode)                                                                               \
  do                                                                                                                   \
    {                                                                                                                  \
      ret = s->field = open_subdir (dirfd, name, mode, err);                                                           \
      if (UNLIKELY (ret < 0))                                                                                          \
        goto fail;                                                                                                     \
    }                                                                                                                  \
  while (0)
  SUBDIR (objects_fd, s->root_fd, "objects", 0700);
  SUBDIR (envs_fd, s->root_fd, "envs", 0700);
  SUBDIR (tmp_fd, s->root_fd, "tmp", 0700);
  ret = cache_fd = open_subdir (s->root_fd, "cache", 0700, err);
  if (UNLIKELY (ret < 0))
    goto fail;
  SUBDIR (cache_ids_fd, cache_fd, "ids", 0700);
  SUBDIR (cache_envs_fd, cache_fd, "envs", 0700);
#undef SUBDIR

  *out = s;
  return 0;

fail:
  reg_store_wrap (s, err, ret);
  reg_store_close (s);
  return ret;
}

/* --- the identity cache ------------------------------------------------- */

/* A table of fixed slots, not a file per record: a new file is an inode
   to allocate, and on ext4 without a journal the allocator scans past
   every recently freed inode (recently_deleted), which was half the CPU of
   a create from a new copy of an image (one record per file hashed).

   cache/ids/<xx>, 256 files, each IDENTITY_SETS sets of IDENTITY_WAYS
   slots of IDENTITY_SLOT bytes (sparse: a file holds the blocks written).
   A (device, inode) has one set, by a hash, whatever the mount: a file
   seen through many mounts (a new overlay per container) keeps one
   record, the last.  A slot holds "3 BOOT IDENTITY DIGEST CHECK\n"
   (reg_identity_write) and zeros after it; CHECK is the first 16 hex of
   the SHA-256 of what precedes " CHECK".  A slot is rewritten in place,
   and a reader that meets a write half done, or two writers' mix, takes
   it for what it is, a miss.  A set that is full loses one of its records
   (the table is a cache: a miss only costs a hash).  */
#define IDENTITY_MAGIC "3 "
#define IDENTITY_CHECK_LEN 16
#define IDENTITY_SLOT REG_STORE_IDENTITY_SLOT
#define IDENTITY_WAYS REG_STORE_IDENTITY_WAYS
#define IDENTITY_SETS 1024
#define IDENTITY_SET_BYTES (IDENTITY_SLOT * IDENTITY_WAYS)

/* The table file NAME, open read-write, or -1 (a miss: the cache is only
   an optimisation).  A create looks up, and records, one identity per
   file it hashes (1,140 for Python's standard library): the tables stay
   open with the store, unless the fd limit is too low to spare 256.  The
   caller closes the fd when *KEPT is false.  */
static int
identity_table (struct reg_store *s, const char name[3], bool create, bool *kept)
{
  size_t i = (size_t)strtoul (name, NULL, 16);
  int fd;

  *kept = s->keep_ids_fds && i < sizeof (s->ids_fds) / sizeof (s->ids_fds[0]);
  if (*kept && s->ids_fds[i] >= 0)
    return s->ids_fds[i];
  fd = openat (s->cache_ids_fd, name, O_RDWR | (create ? O_CREAT : 0) | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && !create && (errno == EACCES || errno == EROFS))
    {
      /* a store we may only read */
      *kept = false;
      return openat (s->cache_ids_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
  /* a set is one read at a random place: the pages around it would only
     be read from the disk for nothing */
  if (fd >= 0)
    posix_fadvise (fd, 0, 0, POSIX_FADV_RANDOM);
  if (*kept && fd >= 0)
    s->ids_fds[i] = fd;
  return fd;
}

static void
identity_check (const char *data, size_t len, char check[IDENTITY_CHECK_LEN + 1])
{
  char hex[REG_DIGEST_HEX_LEN + 1];

  reg_sha256_hex (data, len, hex);
  memcpy (check, hex, IDENTITY_CHECK_LEN);
  check[IDENTITY_CHECK_LEN] = '\0';
}

/* splitmix64's finaliser */
static uint64_t
mix64 (uint64_t h)
{
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void
reg_store_identity_slot (const struct reg_identity *id, char name[3], off_t *set)
{
  /* mixed: inode numbers of one directory are close */
  uint64_t h = mix64 (id->dev * 0x9e3779b97f4a7c15ULL ^ id->ino);

  snprintf (name, 3, "%02x", (unsigned)(h & 0xff));
  *set = (off_t)((h >> 8) % IDENTITY_SETS) * IDENTITY_SET_BYTES;
}

static bool
identity_record_parse (const char *data, size_t len, struct reg_identity *id, char *digest)
{
  const char *boot = reg_boot_id ();
  const char *p = data, *end;
  char check[IDENTITY_CHECK_LEN + 1];
  size_t blen;

  if (boot == NULL || len < IDENTITY_CHECK_LEN + 2 || data[len - 1] != '\n'
      || data[len - IDENTITY_CHECK_LEN - 2] != ' ')
    return false;
  /* the body, and its check */
  end = data + len - IDENTITY_CHECK_LEN - 2;
  identity_check (data, (size_t)(end - data), check);
  if (memcmp (check, end + 1, IDENTITY_CHECK_LEN) != 0)
    return false;
  len = (size_t)(end - data);
  blen = strlen (boot);
  if (len < strlen (IDENTITY_MAGIC) + blen + 1 || memcmp (p, IDENTITY_MAGIC, strlen (IDENTITY_MAGIC)) != 0)
    return false;
  p += strlen (IDENTITY_MAGIC);
  if (memcmp (p, boot, blen) != 0 || p[blen] != ' ')
    return false;
  p += blen + 1;
  if (reg_identity_parse (&p, end, id) < 0 || end - p != REG_DIGEST_HEX_LEN)
    return false;
  memcpy (digest, p, REG_DIGEST_HEX_LEN);
  digest[REG_DIGEST_HEX_LEN] = '\0';
  return reg_store_digest_valid (digest);
}

bool
reg_store_identity_slot_parse (const char *slot, struct reg_identity *id, char *digest)
{
  const char *nl = memchr (slot, '\n', IDENTITY_SLOT);

  return nl && identity_record_parse (slot, (size_t)(nl - slot + 1), id, digest);
}

/* The set at AT of the table file open as FD into SET; what is past the
   end of the file (a table not that long yet) reads as empty slots.  */
static bool
read_set (int fd, off_t at, char set[IDENTITY_SET_BYTES])
{
  ssize_t n = pread (fd, set, IDENTITY_SET_BYTES, at);

  if (n < 0)
    return false;
  memset (set + n, 0, IDENTITY_SET_BYTES - (size_t)n);
  return true;
}

/* The digest recorded for ID, or NULL.  With *ELSEWHERE set (ELSEWHERE
   may be NULL), the record is of the same file but seen through another
   mount: a hint, not an answer.  Problems reading the cache are misses: it
   is only an optimisation.  */
static char *
identity_lookup (struct reg_store *s, const struct reg_identity *id, bool *elsewhere)
{
  char name[3], set[IDENTITY_SET_BYTES], digest[REG_DIGEST_HEX_LEN + 1];
  bool kept, ok;
  off_t at;
  int fd;

  reg_store_identity_slot (id, name, &at);
  fd = identity_table (s, name, false, &kept);
  ok = fd >= 0 && read_set (fd, at, set);
  if (fd >= 0 && !kept)
    close (fd);
  if (!ok)
    return NULL;
  for (size_t w = 0; w < IDENTITY_WAYS; w++)
    {
      struct reg_identity was;
      if (!reg_store_identity_slot_parse (set + w * IDENTITY_SLOT, &was, digest) || was.dev != id->dev
          || was.ino != id->ino)
        continue;
      if (elsewhere)
        *elsewhere = was.mnt != id->mnt;
      was.mnt = id->mnt;
      return reg_identity_cmp (&was, id) == 0 ? xstrdup (digest) : NULL;
    }
  return NULL;
}

static void
identity_record (struct reg_store *s, const struct reg_identity *id, const char *digest)
{
  char name[3], set[IDENTITY_SET_BYTES] = { 0 }, slot[IDENTITY_SLOT] = { 0 };
  char check[IDENTITY_CHECK_LEN + 1], old[REG_DIGEST_HEX_LEN + 1];
  cleanup_free char *data = NULL;
  size_t len = 0, way = IDENTITY_WAYS;
  bool kept;
  off_t at;
  FILE *f;
  int fd;

  f = open_memstream (&data, &len);
  if (f == NULL)
    abort ();
  fprintf (f, IDENTITY_MAGIC "%s ", reg_boot_id ());
  reg_identity_write (f, id);
  fprintf (f, "%s", digest);
  fflush (f);
  identity_check (data, len, check);
  fprintf (f, " %s\n", check);
  fclose (f);
  if (len > IDENTITY_SLOT)
    return;
  memcpy (slot, data, len);

  reg_store_identity_slot (id, name, &at);
  fd = identity_table (s, name, true, &kept);
  if (fd < 0)
    return;
  /* The way of this file's record, else a free one, else one chosen by
     the inode number.  */
  read_set (fd, at, set);
  for (size_t w = 0; w < IDENTITY_WAYS; w++)
    {
      struct reg_identity was;
      if (!reg_store_identity_slot_parse (set + w * IDENTITY_SLOT, &was, old))
        {
          if (way == IDENTITY_WAYS)
            way = w;
          continue;
        }
      if (was.dev == id->dev && was.ino == id->ino)
        {
          way = w;
          break;
        }
    }
  if (way == IDENTITY_WAYS)
    way = (size_t)(id->ino % IDENTITY_WAYS);
  reg_store_crash_point ("identity-write");
  if (pwrite (fd, slot, IDENTITY_SLOT, at + (off_t)(way * IDENTITY_SLOT)) != IDENTITY_SLOT)
    reg_debug ("store `%s`: identity cache: write `cache/ids/%s`: %s", s->root, name, strerror (errno));
  if (!kept)
    close (fd);
}

/* --- objects ------------------------------------------------------------ */

static int
object_exists (struct reg_store *s, const char *digest)
{
  cleanup_free char *rel = reg_store_object_rel (digest, 0);
  struct stat st;
  return fstatat (s->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode);
}

/* Link the finished temporary TMP to the object REL.  0 when published or
   when the object already existed (ours is then dropped).  */
static int
publish_tmp (struct reg_store *s, const char *tmp, const char *rel, bool *created, reg_error_t *err)
{
  char dir[3] = { rel[0], rel[1], '\0' };

  *created = false;
  if (mkdirat (s->objects_fd, dir, 0700) < 0 && errno != EEXIST)
    return reg_make_error (err, errno, "mkdir `objects/%s`", dir);
  if (linkat (s->tmp_fd, tmp, s->objects_fd, rel, 0) == 0)
    *created = true;
  else if (errno != EEXIST)
    return reg_make_error (err, errno, "link `objects/%s`", rel);
  reg_store_crash_point ("object-linked");
  if (unlinkat (s->tmp_fd, tmp, 0) < 0)
    return reg_make_error (err, errno, "unlink `tmp/%s`", tmp);
  return 0;
}

static struct timespec
ns_timespec (int64_t ns)
{
  int64_t sec = ns / 1000000000, rem = ns % 1000000000;

  if (rem < 0)
    {
      sec--;
      rem += 1000000000;
    }
  return (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = (long)rem };
}

/* A temporary object with ID's owner, mode and mtime, filled from SRC_FD;
   synced now (SYNC), or only its writeback started (reg_store_flush syncs
   it).  1 when the owner cannot be given.  */
static int
write_tmp_object (struct reg_store *s, int src_fd, const struct reg_identity *id, const char *tmp, bool sync, char *hex,
                  reg_error_t *err)
{
  cleanup_close int fd = -1;
  int ret;

  fd = openat (s->tmp_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "create `tmp/%s`", tmp);
  reg_store_crash_point ("object-tmp");
  if ((id->uid != geteuid () || id->gid != getegid ()) && fchown (fd, id->uid, id->gid) < 0)
    {
      if (errno == EPERM || errno == EINVAL)
        return 1;
      return reg_make_error (err, errno, "chown `tmp/%s`", tmp);
    }
  ret = hash_copy (src_fd, id->mode, id->uid, id->gid, fd, hex, NULL, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "copy to `tmp/%s`", tmp);
  if (fchmod (fd, id->mode & 07777) < 0)
    return reg_make_error (err, errno, "chmod `tmp/%s`", tmp);
  /* The first publisher's mtime, not the time of publishing: programs
     compare it with what they recorded (Python's .pyc keeps its source's
     mtime and recompiles on a mismatch), and copies of one image agree.  */
  {
    const struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, ns_timespec (id->mtime_ns) };
    if (futimens (fd, times) < 0)
      return reg_make_error (err, errno, "set the times of `tmp/%s`", tmp);
  }
  s->counters.files_copied++;
  if (!sync)
    {
      /* Its data goes to the disk while the next files are read.  */
      sync_file_range (fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      return 0;
    }
  if (fsync (fd) < 0)
    return reg_make_error (err, errno, "fsync `tmp/%s`", tmp);
  reg_store_crash_point ("object-synced");
  return 0;
}

int
reg_store_shareable (int fd, mode_t mode, reg_error_t *err)
{
  ssize_t r;

  if (mode & (S_ISUID | S_ISGID))
    return REG_STORE_UNSHARED_SETID;
  r = flistxattr (fd, NULL, 0);
  if (r < 0 && errno != ENOTSUP && errno != ENOSYS)
    return reg_make_error (err, errno, "list extended attributes");
  /* overlayfs answers the size query with its layer's list, its own
     private attributes included (user.overlay.* of rootless Podman's
     --uidmap layers), and leaves those out of the list itself: only the
     list counts.  */
  if (r > 0)
    {
      cleanup_free char *names = xmalloc ((size_t)r);
      r = flistxattr (fd, names, (size_t)r);
      if (r < 0 && errno == ERANGE)
        return REG_STORE_UNSHARED_XATTR; /* one was added meanwhile */
      if (r < 0)
        return reg_make_error (err, errno, "list extended attributes");
    }
  return r > 0 ? REG_STORE_UNSHARED_XATTR : 0;
}

/* --- new objects, published together ------------------------------------

   A new object is written to tmp/ and its writeback started; the objects of
   one create are synced together, then linked: their writes overlap the
   reading of the next files, and on a journalling file system the first
   fsync commits what the others would each have waited for.  Nothing is
   visible in objects/ before it is on the disk.  */

struct reg_store_pending
{
  char *tmp;
  char hex[REG_DIGEST_HEX_LEN + 1];
};

static struct reg_store_pending *
pending_find (struct reg_store *s, const char *hex)
{
  for (size_t i = 0; i < s->n_pending; i++)
    if (strcmp (s->pending[i].hex, hex) == 0)
      return &s->pending[i];
  return NULL;
}

static void
pending_add (struct reg_store *s, char *tmp, const char *hex)
{
  s->pending = xrealloc (s->pending, (s->n_pending + 1) * sizeof (*s->pending));
  s->pending[s->n_pending].tmp = tmp;
  memcpy (s->pending[s->n_pending].hex, hex, REG_DIGEST_HEX_LEN + 1);
  s->n_pending++;
}

/* Forget the list, removing what a failed publication left in tmp/ (gc
   would, but nobody will use it).  */
static void
pending_drop (struct reg_store *s)
{
  for (size_t i = 0; i < s->n_pending; i++)
    {
      if (s->pending[i].tmp == NULL) /* published */
        continue;
      unlinkat (s->tmp_fd, s->pending[i].tmp, 0);
      free (s->pending[i].tmp);
    }
  free (s->pending);
  s->pending = NULL;
  s->n_pending = 0;
}

int
reg_store_publish_pending (struct reg_store *s, reg_error_t *err)
{
  int ret = 0;

  for (size_t i = 0; i < s->n_pending && ret == 0; i++)
    {
      cleanup_close int fd = openat (s->tmp_fd, s->pending[i].tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fsync (fd) < 0)
        ret = reg_make_error (err, errno, "fsync `tmp/%s`", s->pending[i].tmp);
    }
  if (ret == 0 && s->n_pending)
    reg_store_crash_point ("object-synced");
  for (size_t i = 0; i < s->n_pending && ret == 0; i++)
    {
      cleanup_free char *rel = reg_store_object_rel (s->pending[i].hex, 0);
      bool created = false;

      ret = publish_tmp (s, s->pending[i].tmp, rel, &created, err);
      if (UNLIKELY (ret < 0))
        {
          reg_error_wrap (err, "publish object %s", s->pending[i].hex);
          break;
        }
      free (steal_pointer (&s->pending[i].tmp));
      if (created)
        s->counters.objects_created++;
    }
  pending_drop (s);
  return ret;
}

int
reg_store_flush (struct reg_store *s, reg_error_t *err)
{
  return reg_store_wrap (s, err, reg_store_publish_pending (s, err));
}

int
reg_cachestat (int fd, struct reg_cachestat *out)
{
  const struct
  {
    uint64_t off, len;
  } whole = { 0, 0 };

  return syscall (SYS_cachestat, fd, &whole, out, 0) < 0 ? -errno : 0;
}

/* Whether FD has pages not yet on the disk (dirty or under writeback).
   DONTNEED drops none of them and starts their writeback at once, which
   in a start-up storm from just-made copies was disk traffic the kernel
   would have spread over the next 30 s.  Unknown (a kernel without
   cachestat): no.  */
static bool
has_unwritten_pages (int fd)
{
  struct reg_cachestat cs;

  return reg_cachestat (fd, &cs) == 0 && (cs.nr_dirty > 0 || cs.nr_writeback > 0);
}

/* In a user namespace (rootless Podman), a file whose owner or group has
   no mapping shows the overflow uid/gid, which the namespace may well map
   (65534 inside): its object would get an owner the file does not have.
   Such files are never shared.  */
static bool
owner_unmapped (struct reg_store *s, const struct reg_identity *id)
{
  static long overflow_uid = -2, overflow_gid = -2;

  if (!s->rootless)
    return false;
  if (overflow_uid == -2)
    {
      cleanup_free char *u = NULL, *g = NULL;
      reg_error_t tmp = NULL;
      size_t len;
      int64_t v;

      overflow_uid = overflow_gid = 65534;
      if (read_all_file ("/proc/sys/kernel/overflowuid", 64, &u, &len, &tmp) == 0
          && parse_int64 (strtok (u, "\n"), &v) == 0)
        overflow_uid = v;
      reg_error_release (&tmp);
      if (read_all_file ("/proc/sys/kernel/overflowgid", 64, &g, &len, &tmp) == 0
          && parse_int64 (strtok (g, "\n"), &v) == 0)
        overflow_gid = v;
      reg_error_release (&tmp);
    }
  return (long)id->uid == overflow_uid || (long)id->gid == overflow_gid;
}

/* Whether FD, the file of ID, is on a FUSE file system (or one that
   statfs cannot tell).  Asked once per file system instance in a row:
   the files of an image are on one.  */
static bool
on_fuse (struct reg_store *s, int fd, const struct reg_identity *id)
{
  struct statfs sfs;

  if (s->fs_known && s->fs_dev == id->dev && s->fs_mnt == id->mnt)
    return s->fs_fuse;
  if (fstatfs (fd, &sfs) < 0)
    return true;
  s->fs_known = true;
  s->fs_dev = id->dev;
  s->fs_mnt = id->mnt;
  s->fs_fuse = sfs.f_type == FUSE_SUPER_MAGIC;
  return s->fs_fuse;
}

/* --- candidates ------------------------------------------------------------

   A file of a new copy of an image (cp -a, a layer an engine extracted
   again) has a new inode, so the identity cache misses, but it keeps its
   size, mtime, mode, owner and bytes.  Those, with the bytes of its first
   page (which tell apart the files of one package, often of one size and
   mtime: an ELF file's build id is there), name a candidate object in the
   identity tables, under a key no inode takes (REG_STORE_CANDIDATE_DEV).
   A candidate is only a guess: the file is that object when their bytes
   are equal, which a comparison tells at memory speed, against SHA-256's
   ~1.8 GB/s here.
   Equal bytes, mode and owner are what the object's name is the digest
   of, so the answer is as exact as hashing (more: no collision is
   possible), and a wrong or stale candidate costs the comparison, then
   the hash.  */
#define WEAK_PREFIX 4096

/* Up to LEN bytes of the regular file FD at OFF into BUF: fewer only at
   its end; -1 on an error.  A read that stops short has met the end (one
   asking a byte more than a file holds needs no second read to say so);
   anything else reads as a file that differs, which costs a hash.  */
static ssize_t
read_full_at (int fd, char *buf, size_t len, off_t off)
{
  size_t got = 0;

  while (got < len)
    {
      size_t asked = len - got;
      ssize_t r = pread (fd, buf + got, asked, off + (off_t)got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      got += (size_t)r;
      if ((size_t)r < asked)
        break; /* the end */
    }
  return (ssize_t)got;
}

/* The first page of a file, read for its candidate key: all of a file no
   longer than a page, whose end was seen in the same read.  */
struct first_page
{
  size_t len;
  char data[WEAK_PREFIX + 1];
};

/* The candidate key of the file FD with identity ID, from its first page,
   read into PAGE; false when that cannot be read, or the file is no
   longer of ID's size.  */
static bool
weak_identity (int fd, const struct reg_identity *id, struct reg_identity *w, struct first_page *page)
{
  bool whole = id->size <= WEAK_PREFIX;
  size_t want = whole ? (size_t)id->size : WEAK_PREFIX;
  uint64_t h = mix64 (id->size ^ (uint64_t)id->mtime_ns * 0x9e3779b97f4a7c15ULL);

  /* a small file is read to its end (a byte more asked), which must be
     where it was */
  if (read_full_at (fd, page->data, want + whole, 0) != (ssize_t)want)
    return false;
  page->len = want;
  /* not a digest: the key is a hint that the comparison checks */
  for (size_t i = 0; i < want; i += 8)
    {
      uint64_t v = 0;
      memcpy (&v, page->data + i, want - i < 8 ? want - i : 8);
      h = mix64 (h ^ v);
    }
  h = mix64 (h ^ ((uint64_t)id->mode << 40) ^ ((uint64_t)id->uid << 20) ^ id->gid);
  memset (w, 0, sizeof (*w));
  w->dev = REG_STORE_CANDIDATE_DEV;
  w->ino = h;
  w->size = id->size;
  w->mtime_ns = id->mtime_ns;
  w->mode = id->mode;
  w->uid = id->uid;
  w->gid = id->gid;
  return true;
}

/* Whether FD holds exactly the SIZE bytes of object DIGEST; PAGE is FD's
   first page, all of it when SIZE is no larger.  A difference does not
   end the comparison: the objects are shared between tenants, and a
   create that took longer the more chunks of a file matched would tell
   how much of another tenant's object a crafted file guessed right
   (hashing tells only whether all of it was).  Each is read to its end,
   which must be at SIZE (the file may have grown since it was stat'ed).  */
static bool
same_as_object (struct reg_store *s, int fd, uint64_t size, const char *digest, const struct first_page *page)
{
  cleanup_free char *rel = reg_store_object_rel (digest, 0);
  /* O_NONBLOCK: what is in objects/ is ours, but never wait on a FIFO */
  const int flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC;
  cleanup_close int ofd = openat (s->objects_fd, rel, flags | O_NOATIME);
  cleanup_free char *a = NULL;
  bool same = true;
  size_t chunk;
  char *b;
  uint64_t off = 0;

  if (ofd < 0 && errno == EPERM) /* an owner not ours, without CAP_FOWNER */
    ofd = openat (s->objects_fd, rel, flags);
  if (ofd < 0)
    return false;
  if (size <= WEAK_PREFIX)
    {
      char obj[WEAK_PREFIX + 1];

      if (page->len != size || read_full_at (ofd, obj, (size_t)size + 1, 0) != (ssize_t)size)
        return false;
      s->counters.bytes_compared += size;
      return memcmp (page->data, obj, (size_t)size) == 0;
    }
  /* no larger than the file: most are small, and 2 chunks would be an
     mmap and its page faults for each */
  chunk = size < COPY_CHUNK ? (size_t)size : COPY_CHUNK;
  a = xmalloc (2 * (chunk + 1));
  b = a + chunk + 1;
  while (off < size)
    {
      size_t want = size - off > chunk ? chunk : (size_t)(size - off);
      size_t ask = want + (off + want == size); /* the last: a byte more */

      if (read_full_at (fd, a, ask, (off_t)off) != (ssize_t)want
          || read_full_at (ofd, b, ask, (off_t)off) != (ssize_t)want)
        return false; /* a read error, or a file not SIZE long */
      same &= memcmp (a, b, want) == 0;
      off += want;
      s->counters.bytes_compared += want;
    }
  return same;
}

/* Whether FD (identity ID) holds the bytes of its candidate object,
   *CANDIDATE when it has one (equal or not); *WEAK gets its key, when its
   first page (into PAGE) could be read (*HAVE_WEAK).  */
static bool
equal_to_candidate (struct reg_store *s, int fd, const struct reg_identity *id, struct reg_identity *weak,
                    bool *have_weak, struct first_page *page, char **candidate)
{
  *have_weak = weak_identity (fd, id, weak, page);
  return *have_weak && (*candidate = identity_lookup (s, weak, NULL)) != NULL
         && same_as_object (s, fd, id->size, *candidate, page);
}

int
reg_store_read_digest (struct reg_store *s, int fd, const struct reg_identity *id, char *hex, bool *compared,
                       reg_error_t *err)
{
  cleanup_free char *candidate = NULL;
  struct reg_identity weak;
  struct first_page page;
  bool have_weak;

  *compared = equal_to_candidate (s, fd, id, &weak, &have_weak, &page, &candidate);
  if (*compared)
    {
      memcpy (hex, candidate, REG_DIGEST_HEX_LEN + 1);
      return 0;
    }
  return hash_copy (fd, id->mode, id->uid, id->gid, -1, hex, NULL, err);
}

static int
add_file (struct reg_store *s, int fd, const struct reg_identity *id, const char *hashed, bool compared, char **digest,
          char **object_path, reg_error_t *err)
{
  cleanup_free char *cached = NULL;
  cleanup_free char *candidate = NULL;
  cleanup_free char *tmp = NULL;
  char hex[REG_DIGEST_HEX_LEN + 1];
  struct reg_identity after, weak;
  struct first_page page;
  bool trust_identity, elsewhere = false, have_weak = false;
  int ret;

  if (!S_ISREG (id->mode))
    return reg_make_error (err, EINVAL, "not a regular file");
  /* Before anything is read: hashing costs its length, holes included.  */
  if (id->size > s->max_object_size)
    return REG_STORE_UNSHARED_SIZE;
  ret = reg_store_shareable (fd, id->mode, err);
  if (ret != 0)
    return ret;
  if (owner_unmapped (s, id))
    return REG_STORE_UNSHARED_OWNER;

  /* A file of an overlay rootfs is known by the lower-layer file it is,
     the same in every container of the image (reg-layers.h).  */
  if (s->layers)
    {
      cleanup_close int lower_fd = -1;
      struct reg_identity lower_id;

      if (reg_layers_lower_file (s->layers, fd, id, &lower_fd, &lower_id) == 0)
        {
          s->counters.layer_files++;
          return add_file (s, lower_fd, &lower_id, NULL, false, digest, object_path, err);
        }
    }

  /* A FUSE file system reports whatever stat data its daemon likes, so a
     tenant could fake another file's identity and be handed its object:
     no identity cache there.  */
  trust_identity = reg_identity_trusted (id) && !on_fuse (s, fd, id);
  if (trust_identity)
    cached = identity_lookup (s, id, &elsewhere);
  if (cached && !elsewhere && object_exists (s, cached))
    {
      s->counters.identity_hits++;
      memcpy (hex, cached, sizeof (hex));
      goto done;
    }

  /* Known before anything is written, by its candidate (a new copy of an
     image) or by its hash: the file of a new copy, or seen through a new
     mount (an engine's overlay per container), is most often in the store
     already, and its copy and fsync would be thrown away.  A new object's
     content is then read a second time, by the copy, whose own hash names
     it.  */
  if (hashed)
    {
      /* by another process, of this identity (reg_store_add_file_hashed) */
      memcpy (hex, hashed, sizeof (hex));
      if (compared)
        {
          /* found equal to its candidate: that record stands */
          candidate = xstrdup (hashed);
          s->counters.candidate_hits++;
          goto record;
        }
      s->counters.files_read++;
      s->counters.bytes_read += id->size;
    }
  else if (equal_to_candidate (s, fd, id, &weak, &have_weak, &page, &candidate))
    {
      memcpy (hex, candidate, sizeof (hex));
      s->counters.candidate_hits++;
      goto record;
    }
  else
    {
      uint64_t bytes = 0;

      ret = hash_copy (fd, id->mode, id->uid, id->gid, -1, hex, &bytes, err);
      if (UNLIKELY (ret < 0))
        return ret;
      s->counters.files_read++;
      s->counters.bytes_read += bytes;
    }
  if (object_exists (s, hex))
    {
      s->counters.files_hashed_only++;
      goto record;
    }

  if (pending_find (s, hex) == NULL)
    {
      tmp = reg_store_tmp_name (s, "obj");
      ret = write_tmp_object (s, fd, id, tmp, false, hex, err);
      if (ret != 0)
        {
          unlinkat (s->tmp_fd, tmp, 0);
          return ret == 1 ? REG_STORE_UNSHARED_OWNER : ret;
        }
      /* Published with the others, after one round of syncs.  */
      if (pending_find (s, hex) != NULL)
        unlinkat (s->tmp_fd, tmp, 0);
      else
        pending_add (s, steal_pointer (&tmp), hex);
    }

record:
  /* A container maps the store's object, not this file: the pages that
     reading it brought in would only crowd the page cache, once per copy
     of an image.  */
  if (!has_unwritten_pages (fd))
    posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
  /* Only when the file did not change while it was read (otherwise the
     digest may not be that of the identity), and not over the record of
     another mount: rewritten at every new mount (an overlay per
     container), it would cost a write per file, and a create on one mount
     is answered by the environment cache anyway.  */
  if (reg_identity_at (fd, "", AT_EMPTY_PATH, &after, NULL) == 0 && reg_identity_cmp (id, &after) == 0)
    {
      if (trust_identity && !elsewhere)
        identity_record (s, id, hex);
      /* the candidate of the next copy (a hit needs no new record) */
      if ((candidate == NULL || strcmp (candidate, hex) != 0) && (have_weak || weak_identity (fd, id, &weak, &page)))
        identity_record (s, &weak, hex);
    }

done:
  /* A caller that wants the object's path may open it at once.  */
  if (object_path && s->n_pending)
    {
      ret = reg_store_publish_pending (s, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (digest)
    *digest = xstrdup (hex);
  if (object_path)
    *object_path = reg_store_object_path (s, hex);
  return 0;
}

int
reg_store_add_file (struct reg_store *s, int fd, const struct reg_identity *id, char **digest, char **object_path,
                    reg_error_t *err)
{
  return reg_store_wrap (s, err, add_file (s, fd, id, NULL, false, digest, object_path, err));
}

int
reg_store_add_file_hashed (struct reg_store *s, int fd, const struct reg_identity *id, const char *hashed,
                           bool compared, char **digest, reg_error_t *err)
{
  if (hashed && !reg_store_digest_valid (hashed))
    hashed = NULL;
  return reg_store_wrap (s, err, add_file (s, fd, id, hashed, compared, digest, NULL, err));
}

int
reg_store_make_copy (struct reg_store *s, const char *digest, unsigned copy, int src_fd, reg_error_t *err)
{
  cleanup_free char *tmp = reg_store_tmp_name (s, "copy");
  cleanup_free char *rel = reg_store_object_rel (digest, copy);
  char hex[REG_DIGEST_HEX_LEN + 1];
  struct reg_identity id;
  bool created = false;
  int ret;

  ret = reg_identity_at (src_fd, "", AT_EMPTY_PATH, &id, NULL);
  if (ret < 0)
    return reg_make_error (err, -ret, "stat object %s", digest);
  ret = write_tmp_object (s, src_fd, &id, tmp, true, hex, err);
  if (ret == 1)
    ret = reg_make_error (err, EPERM, "copy object %s: cannot give the copy the object's owner", digest);
  if (ret == 0 && strcmp (hex, digest) != 0)
    ret = reg_make_error (err, EIO, "copy object %s: the object is corrupted (its content hashes to %s)", digest, hex);
  if (ret == 0)
    ret = publish_tmp (s, tmp, rel, &created, err);
  if (ret < 0)
    {
      unlinkat (s->tmp_fd, tmp, 0);
      return ret;
    }
  if (created)
    s->counters.link_copies++;
  return 0;
}

/* --- check -------------------------------------------------------------- */

static void add_problem (struct reg_check_result *res, const char *dir, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
add_problem (struct reg_check_result *res, const char *dir, const char *name, const char *fmt, ...)
{
  struct reg_check_problem *p;
  va_list ap;

  res->problems = xrealloc (res->problems, (res->n_problems + 1) * sizeof (*res->problems));
  p = &res->problems[res->n_problems++];
  xasprintf (&p->object, "objects/%s/%s", dir, name);
  va_start (ap, fmt);
  if (vasprintf (&p->problem, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

/* The digest an object file NAME in fan-out DIR claims: "<dir><name>"
   without the ".<copy>" suffix, or false when the name is not an object's.  */
static bool
object_name_digest (const char *dir, const char *name, char *digest)
{
  size_t n = strcspn (name, ".");
  if (strlen (dir) != 2 || n != REG_DIGEST_HEX_LEN - 2)
    return false;
  if (name[n] == '.')
    {
      const char *c = name + n + 1;
      if (*c == '\0' || *c == '0')
        return false;
      for (; *c; c++)
        if (*c < '0' || *c > '9')
          return false;
    }
  memcpy (digest, dir, 2);
  memcpy (digest + 2, name, n);
  digest[REG_DIGEST_HEX_LEN] = '\0';
  return reg_store_digest_valid (digest);
}

/* An object picked for hashing: kept by name (opened when its turn
   comes) so that a sample of a large store costs its size, not the
   store's.  */
struct check_pick
{
  char dir[3];
  char *name;
};

struct check_walk
{
  const struct reg_check_options *opts;
  struct reg_check_result *res;
  struct check_pick *picks; /* the reservoir, when sampling */
  uint64_t seen;            /* candidates so far */
  uint64_t rng;
};

/* xorshift64*: which objects a sample takes need not be secret, only not
   the same every time (a seed from getrandom).  */
static uint64_t
check_random (struct check_walk *w)
{
  w->rng ^= w->rng >> 12;
  w->rng ^= w->rng << 25;
  w->rng ^= w->rng >> 27;
  return w->rng * 0x2545F4914F6CDD1DULL;
}

/* Hash object DIR/NAME, open in DIRFD, and compare with the digest its
   name claims.  */
static int
hash_check (int dirfd, const char *dir, const char *name, struct reg_check_result *res, reg_error_t *err)
{
  char claimed[REG_DIGEST_HEX_LEN + 1], actual[REG_DIGEST_HEX_LEN + 1];
  cleanup_close int fd = -1;
  struct stat st;
  int ret;

  object_name_digest (dir, name, claimed);
  fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0; /* removed meanwhile (gc) */
      add_problem (res, dir, name, "cannot open: %s", strerror (errno));
      return 0;
    }
  if (fstat (fd, &st) < 0)
    return reg_make_error (err, errno, "stat `objects/%s/%s`", dir, name);
  if (!S_ISREG (st.st_mode))
    {
      add_problem (res, dir, name, "not a regular file");
      return 0;
    }
  res->objects++;
  res->bytes += (uint64_t)st.st_size;
  if (st.st_mode & (S_ISUID | S_ISGID))
    add_problem (res, dir, name, "set-uid or set-gid object");
  ret = reg_store_hash_object_fd (fd, &st, actual, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "hash `objects/%s/%s`", dir, name);
  if (strcmp (claimed, actual) != 0)
    add_problem (res, dir, name, "content or metadata (mode %04o, uid %u, gid %u) hash to %s", st.st_mode & 07777,
                 (unsigned)st.st_uid, (unsigned)st.st_gid, actual);
  return 0;
}

/* Entry NAME of fan-out DIR: what its name and type say at once, then
   hashed now, picked for the sample, or skipped.  */
static int
check_entry (struct check_walk *w, int dirfd, const char *dir, const char *name, reg_error_t *err)
{
  char claimed[REG_DIGEST_HEX_LEN + 1];
  struct stat st;
  uint64_t slot;

  if (!object_name_digest (dir, name, claimed))
    {
      add_problem (w->res, dir, name, "not an object name");
      return 0;
    }
  if (w->opts->since || w->opts->sample)
    {
      if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno != ENOENT)
            add_problem (w->res, dir, name, "cannot stat: %s", strerror (errno));
          return 0;
        }
      if (!S_ISREG (st.st_mode))
        {
          add_problem (w->res, dir, name, "not a regular file");
          return 0;
        }
      /* The ctime: any write, chmod or chown of the object moves it, and
         nothing short of the clock moves it back.  */
      if (st.st_ctim.tv_sec < w->opts->since)
        {
          w->res->skipped++;
          return 0;
        }
    }
  if (w->opts->sample == 0)
    return hash_check (dirfd, dir, name, w->res, err);

  /* Reservoir sampling: each candidate ends up picked with the same
     probability, sample / candidates.  */
  slot = w->seen++;
  if (slot >= w->opts->sample)
    {
      slot = check_random (w) % w->seen;
      w->res->skipped++;
      if (slot >= w->opts->sample)
        return 0;
      free (w->picks[slot].name);
    }
  memcpy (w->picks[slot].dir, dir, 3);
  w->picks[slot].name = xstrdup (name);
  return 0;
}

static int
check (struct reg_store *s, const struct reg_check_options *opts, struct reg_check_result *res, reg_error_t *err)
{
  static const struct reg_check_options all = { 0 };
  struct check_walk w = { .opts = opts ? opts : &all, .res = res };
  cleanup_dir DIR *top = NULL;
  struct dirent *de;
  int fd, ret = 0;

  if (w.opts->sample)
    {
      w.picks = xmalloc0 ((size_t)w.opts->sample * sizeof (*w.picks));
      if (getrandom (&w.rng, sizeof (w.rng), 0) != sizeof (w.rng) || w.rng == 0)
        w.rng = (uint64_t)time (NULL) ^ ((uint64_t)getpid () << 32) ^ 0x9E3779B97F4A7C15ULL;
    }
  fd = openat (s->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (top = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      ret = reg_make_error (err, errno, "open `objects`");
      goto out;
    }
  while (ret == 0 && (de = readdir (top)))
    {
      cleanup_dir DIR *sub = NULL;
      struct dirent *e;
      int subfd;

      if (de->d_name[0] == '.')
        continue;
      subfd = openat (s->objects_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (subfd < 0 || (sub = fdopendir (subfd)) == NULL)
        {
          if (subfd >= 0)
            close (subfd);
          if (errno == ENOTDIR || errno == ELOOP)
            {
              res->problems = xrealloc (res->problems, (res->n_problems + 1) * sizeof (*res->problems));
              xasprintf (&res->problems[res->n_problems].object, "objects/%s", de->d_name);
              res->problems[res->n_problems++].problem = xstrdup ("not a directory");
              continue;
            }
          ret = reg_make_error (err, errno, "open `objects/%s`", de->d_name);
          break;
        }
      while (ret == 0 && (e = readdir (sub)))
        {
          if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
          ret = check_entry (&w, dirfd (sub), de->d_name, e->d_name, err);
        }
    }
  for (uint64_t i = 0; ret == 0 && i < w.opts->sample && i < w.seen; i++)
    {
      cleanup_close int dirfd = openat (s->objects_fd, w.picks[i].dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dirfd < 0)
        continue; /* its fan-out directory went away meanwhile (gc) */
      ret = hash_check (dirfd, w.picks[i].dir, w.picks[i].name, res, err);
    }

out:
  for (uint64_t i = 0; i < w.opts->sample; i++)
    free (w.picks ? w.picks[i].name : NULL);
  free (w.picks);
  return ret;
}

int
reg_store_check (struct reg_store *s, const struct reg_check_options *opts, struct reg_check_result *res,
                 reg_error_t *err)
{
  memset (res, 0, sizeof (*res));
  return reg_store_wrap (s, err, check (s, opts, res, err));
}

void
reg_check_result_clear (struct reg_check_result *res)
{
  for (size_t i = 0; i < res->n_problems; i++)
    {
      free (res->problems[i].object);
      free (res->problems[i].problem);
    }
  free (res->problems);
  memset (res, 0, sizeof (*res));
}
