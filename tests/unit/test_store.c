/* Unit tests of the REG store (libreg/reg-store*.c, reg-manifest.c).
 * They run as root and as an ordinary user; what needs root (giving files
 * another owner) is tested in a child that drops to nobody when root.  */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "reg-env.h"
#include "reg-store-internal.h"
#include "reg-store.h"
#include "utils.h"

struct fixture
{
  char *dir;   /* temporary directory of the test */
  char *store; /* DIR/store */
  char *img;   /* DIR/img: the "image" files */
  int imgfd;
};

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));
  const char *base = getenv ("TMPDIR");
  char *tmpl = NULL;

  xasprintf (&tmpl, "%s/reg-store-test.XXXXXX", base && *base ? base : "/tmp");
  if (mkdtemp (tmpl) == NULL)
    return -1;
  f->dir = tmpl;
  xasprintf (&f->store, "%s/store", f->dir);
  xasprintf (&f->img, "%s/img", f->dir);
  if (mkdir (f->img, 0755) < 0)
    return -1;
  f->imgfd = open (f->img, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = f;
  return f->imgfd < 0 ? -1 : 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *tmpfs = NULL;
  reg_error_t err = NULL;

  close (f->imgfd);
  /* a test that failed before unmounting its tmpfs (tmpfs_with) */
  xasprintf (&tmpfs, "%s/tmpfs", f->dir);
  umount2 (tmpfs, MNT_DETACH);
  if (remove_tree_at (AT_FDCWD, f->dir, &err) < 0)
    {
      fprintf (stderr, "cleanup: %s\n", err->msg);
      reg_error_release (&err);
    }
  free (f->dir);
  free (f->store);
  free (f->img);
  free (f);
  return 0;
}

static void
check_err (int ret, reg_error_t *err)
{
  if (ret < 0)
    fail_msg ("error: %s", (*err)->msg);
}

static void
write_img (struct fixture *f, const char *name, const char *content, mode_t mode)
{
  reg_error_t err = NULL;
  check_err (write_file_at (f->imgfd, name, content, strlen (content), &err), &err);
  assert_int_equal (fchmodat (f->imgfd, name, mode, 0), 0);
}

/* truncate(2) of image file NAME.  */
static int
truncate_at (struct fixture *f, const char *name, off_t len)
{
  cleanup_close int fd = openat (f->imgfd, name, O_WRONLY | O_CLOEXEC);
  return fd < 0 ? -1 : ftruncate (fd, len);
}

static struct reg_store *
open_store (struct fixture *f)
{
  struct reg_store *s = NULL;
  reg_error_t err = NULL;
  check_err (reg_store_open (f->store, &s, &err), &err);
  return s;
}

/* The identity of the file open as FD.  */
static struct reg_identity
fd_identity (int fd)
{
  struct reg_identity id;
  assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
  return id;
}

/* Add DIRFD/NAME; returns reg_store_add_file's value.  */
static int
add_at (struct reg_store *s, int dirfd, const char *name, char **digest)
{
  reg_error_t err = NULL;
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  struct reg_identity id;
  int ret;

  assert_true (fd >= 0);
  id = fd_identity (fd);
  ret = reg_store_add_file (s, fd, &id, digest, NULL, &err);
  check_err (ret, &err);
  /* Its object published, as at a create's end.  */
  check_err (reg_store_flush (s, &err), &err);
  return ret;
}

/* Add image file NAME; returns reg_store_add_file's value.  */
static int
add_img (struct reg_store *s, struct fixture *f, const char *name, char **digest)
{
  return add_at (s, f->imgfd, name, digest);
}

/* SRC: PATH with the identity of DIRFD/NAME (not followed).  */
static void
source_at (struct reg_source_identity *src, int dirfd, const char *name, const char *path)
{
  struct reg_identity id;
  assert_int_equal (reg_identity_at (dirfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &id, NULL), 0);
  reg_source_identity_set (src, path, &id);
}

static char *
add_ok (struct reg_store *s, struct fixture *f, const char *name)
{
  char *digest = NULL;
  assert_int_equal (add_img (s, f, name, &digest), 0);
  assert_non_null (digest);
  return digest;
}

/* Files (recursively) under DIR/SUB, not counting directories.  */
static int
count_files (const char *dir, const char *sub)
{
  cleanup_free char *path = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  xasprintf (&path, "%s/%s", dir, sub);
  d = opendir (path);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *child = NULL;
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      xasprintf (&child, "%s/%s", sub, de->d_name);
      cleanup_free char *full = NULL;
      xasprintf (&full, "%s/%s", dir, child);
      if (lstat (full, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        n += count_files (dir, child);
      else
        n++;
    }
  return n;
}

/* Identity records in the table of the store at DIR that a lookup would
   take (this boot's, undamaged), candidate records left out.  */
static int
count_identity_records (const char *dir)
{
  cleanup_free char *path = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  xasprintf (&path, "%s/cache/ids", dir);
  d = opendir (path);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      char slot[REG_STORE_IDENTITY_SLOT], digest[REG_DIGEST_HEX_LEN + 1];
      struct reg_identity id;
      cleanup_close int fd = -1;

      if (de->d_name[0] == '.')
        continue;
      fd = openat (dirfd (d), de->d_name, O_RDONLY | O_CLOEXEC);
      assert_true (fd >= 0);
      for (off_t at = 0; pread (fd, slot, sizeof (slot), at) == (ssize_t)sizeof (slot); at += (off_t)sizeof (slot))
        n += reg_store_identity_slot_parse (slot, &id, digest) && id.dev != REG_STORE_CANDIDATE_DEV;
    }
  return n;
}

/* Records of both caches.  */
static int
count_cache_records (const char *dir)
{
  return count_identity_records (dir) + count_files (dir, "cache/envs");
}

/* The table file of the record of ID's file, and the offset of its slot
   (the set's first when there is none).  */
static char *
identity_slot_path (const char *dir, const struct reg_identity *id, off_t *slot_at)
{
  char name[3], slot[REG_STORE_IDENTITY_SLOT], digest[REG_DIGEST_HEX_LEN + 1];
  cleanup_close int fd = -1;
  struct reg_identity was;
  char *path = NULL;
  off_t set;

  reg_store_identity_slot (id, name, &set);
  xasprintf (&path, "%s/cache/ids/%s", dir, name);
  *slot_at = set;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  for (int w = 0; fd >= 0 && w < REG_STORE_IDENTITY_WAYS; w++)
    {
      off_t at = set + (off_t)w * REG_STORE_IDENTITY_SLOT;
      if (pread (fd, slot, sizeof (slot), at) == (ssize_t)sizeof (slot)
          && reg_store_identity_slot_parse (slot, &was, digest) && was.dev == id->dev && was.ino == id->ino)
        *slot_at = at;
    }
  return path;
}

/* Change the first character of NEEDLE in the slot at AT of table PATH,
   its check left as it was.  */
static void
flip_in_slot (const char *path, off_t at, const char *needle)
{
  char slot[REG_STORE_IDENTITY_SLOT + 1] = { 0 };
  cleanup_close int fd = open (path, O_RDWR | O_CLOEXEC);
  char *p;

  assert_true (fd >= 0);
  assert_int_equal (pread (fd, slot, REG_STORE_IDENTITY_SLOT, at), REG_STORE_IDENTITY_SLOT);
  assert_non_null (p = strstr (slot, needle));
  p[0] = p[0] == '0' ? '1' : '0';
  assert_int_equal (pwrite (fd, slot, REG_STORE_IDENTITY_SLOT, at), REG_STORE_IDENTITY_SLOT);
}

static int
count_entries (const char *dir, const char *sub)
{
  cleanup_free char *path = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  xasprintf (&path, "%s/%s", dir, sub);
  d = opendir (path);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      n++;
  return n;
}

static void
stat_object (struct fixture *f, const char *digest, struct stat *st)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/objects/%.2s/%s", f->store, digest, digest + 2);
  assert_int_equal (lstat (path, st), 0);
}

static void
assert_check_clean (struct reg_store *s)
{
  struct reg_check_result res;
  reg_error_t err = NULL;
  check_err (reg_store_check (s, NULL, &res, &err), &err);
  for (size_t i = 0; i < res.n_problems; i++)
    fprintf (stderr, "check: %s: %s\n", res.problems[i].object, res.problems[i].problem);
  assert_int_equal (res.n_problems, 0);
  reg_check_result_clear (&res);
}

/* --- tests -------------------------------------------------------------- */

/* The object name is SHA-256 over the documented header and the content,
   computed here independently.  */
static void
test_digest_encoding (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  const char *content = "hello, shared world\n";
  char *expect_in = NULL;
  unsigned char md[32];
  unsigned mdlen;
  char expect[65], hex[65];
  cleanup_free char *digest = NULL;
  struct stat st;
  int n;

  write_img (f, "a", content, 0640);
  assert_int_equal (fstatat (f->imgfd, "a", &st, 0), 0);
  n = xasprintf (&expect_in, "reg-object 1\nmode 0640\nuid %u\ngid %u\n\n%s", (unsigned)st.st_uid, (unsigned)st.st_gid,
                 content);
  assert_int_equal (EVP_Digest (expect_in, (size_t)n, md, &mdlen, EVP_sha256 (), NULL), 1);
  for (unsigned i = 0; i < mdlen; i++)
    sprintf (expect + 2 * i, "%02x", md[i]);
  free (expect_in);

  reg_store_digest_buffer (content, strlen (content), 0640, st.st_uid, st.st_gid, hex);
  assert_string_equal (hex, expect);
  digest = add_ok (s, f, "a");
  assert_string_equal (digest, expect);
  reg_store_close (s);
}

static void
test_dedup (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;
  cleanup_free char *path = NULL;
  reg_error_t err = NULL;
  struct stat st;

  write_img (f, "one", "libc bytes", 0755);
  write_img (f, "two", "libc bytes", 0755);
  write_img (f, "three", "libc bytes", 0644);
  write_img (f, "four", "other bytes", 0755);
  d1 = add_ok (s, f, "one");
  d2 = add_ok (s, f, "two");
  d3 = add_ok (s, f, "three");
  d4 = add_ok (s, f, "four");
  assert_string_equal (d1, d2);
  assert_string_not_equal (d1, d3);
  assert_string_not_equal (d1, d4);
  assert_int_equal (count_files (f->store, "objects"), 3);

  /* The object inode carries the image's mode and content.  */
  stat_object (f, d1, &st);
  assert_int_equal (st.st_mode & 07777, 0755);
  assert_int_equal (st.st_nlink, 1);
  stat_object (f, d3, &st);
  assert_int_equal (st.st_mode & 07777, 0644);
  path = reg_store_object_path (s, d4);
  {
    cleanup_free char *data = NULL;
    check_err (read_all_file (path, 0, &data, NULL, &err), &err);
    assert_string_equal (data, "other bytes");
  }
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  assert_check_clean (s);
  reg_store_close (s);
}

/* New objects are written to tmp/ and published together: none is in
   objects/ before reg_store_flush (their syncs are batched), two files of
   one content are written once, and a flush publishes them all.  */
static void
test_publish_batched (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  const char *names[] = { "b0", "b1", "b2" };
  struct reg_store_counters c;
  reg_error_t err = NULL;

  write_img (f, "b0", "batched zero", 0755);
  write_img (f, "b1", "batched one", 0644);
  write_img (f, "b2", "batched zero", 0755);
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_close int fd = openat (f->imgfd, names[i], O_RDONLY | O_CLOEXEC);
      cleanup_free char *digest = NULL;
      struct reg_identity id;

      assert_true (fd >= 0);
      id = fd_identity (fd);
      check_err (reg_store_add_file (s, fd, &id, &digest, NULL, &err), &err);
    }
  assert_int_equal (count_files (f->store, "objects"), 0);
  assert_int_equal (count_entries (f->store, "tmp"), 2);
  check_err (reg_store_flush (s, &err), &err);
  assert_int_equal (count_files (f->store, "objects"), 2);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_copied, 2);
  assert_int_equal (c.objects_created, 2);
  assert_check_clean (s);
  reg_store_close (s);
}

/* An object keeps the mtime of the file it was published from (Python
   compares a .pyc's recorded source mtime with it).  */
static void
test_object_keeps_mtime (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  const struct timespec times[2] = { { .tv_sec = 978307200 }, { .tv_sec = 978307200, .tv_nsec = 123456789 } };
  cleanup_free char *d = NULL;
  struct stat st;

  write_img (f, "mod.py", "print('hello')\n", 0644);
  assert_int_equal (utimensat (f->imgfd, "mod.py", times, 0), 0);
  d = add_ok (s, f, "mod.py");
  stat_object (f, d, &st);
  assert_int_equal (st.st_mtim.tv_sec, 978307200);
  assert_int_equal (st.st_mtim.tv_nsec, 123456789);
  reg_store_close (s);
}

/* A file that cannot be read: a clear error naming the store, nothing left.  */
static void
test_add_error_leaves_nothing (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  reg_error_t err = NULL;
  char *digest = NULL;
  struct reg_identity id;
  int fd, ret;

  write_img (f, "wo", "write only", 0644);
  fd = openat (f->imgfd, "wo", O_WRONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  id = fd_identity (fd);
  ret = reg_store_add_file (s, fd, &id, &digest, NULL, &err);
  close (fd);
  assert_true (ret < 0);
  assert_null (digest);
  assert_non_null (strstr (err->msg, f->store));
  assert_non_null (strstr (err->msg, "Bad file descriptor"));
  reg_error_release (&err);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  assert_int_equal (count_files (f->store, "objects"), 0);
  assert_int_equal (count_cache_records (f->store), 0);
  reg_store_close (s);
}

static void
test_identity_cache (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_store_counters c;
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;
  struct reg_gc_result gc;
  reg_error_t err = NULL;
  struct timespec later[2];
  int fd;

  write_img (f, "lib", "AAAA", 0644);
  d1 = add_ok (s, f, "lib");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.identity_hits, 0);
  assert_int_equal (count_identity_records (f->store), 1);

  /* Seen before: not read again, same digest (a new handle: the cache is
     on disk).  */
  reg_store_close (s);
  s = open_store (f);
  d2 = add_ok (s, f, "lib");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 0);
  assert_int_equal (c.identity_hits, 1);
  assert_string_equal (d1, d2);

  /* Modified in place, same size, the mtime set forward: a new identity.  */
  fd = openat (f->imgfd, "lib", O_WRONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (pwrite (fd, "BBBB", 4, 0), 4);
  clock_gettime (CLOCK_REALTIME, &later[0]);
  later[0].tv_sec += 10;
  later[1] = later[0];
  assert_int_equal (futimens (fd, later), 0);
  close (fd);
  d3 = add_ok (s, f, "lib");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 1);
  assert_string_not_equal (d1, d3);

  /* A cached digest whose object gc removed is not trusted: the file is
     read and the object made again.  */
  reg_store_close (s);
  s = open_store (f);
  check_err (reg_store_gc (s, &gc, &err), &err);
  assert_int_equal (gc.objects_removed, 2);
  assert_true (gc.cache_entries_removed >= 1);
  d4 = add_ok (s, f, "lib");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.identity_hits, 0);
  assert_string_equal (d3, d4);
  assert_int_equal (count_files (f->store, "objects"), 1);
  reg_store_close (s);
}

static void
test_setid_refused (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);

  write_img (f, "suid", "x", 04755);
  write_img (f, "sgid", "y", 02755);
  assert_int_equal (add_img (s, f, "suid", NULL), REG_STORE_UNSHARED_SETID);
  assert_int_equal (add_img (s, f, "sgid", NULL), REG_STORE_UNSHARED_SETID);
  assert_string_equal (reg_store_unshared_reason (REG_STORE_UNSHARED_SETID), "set-uid or set-gid");
  assert_int_equal (count_files (f->store, "objects"), 0);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  reg_store_close (s);
}

static void
test_xattr_refused (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *path = NULL;

  write_img (f, "labelled", "z", 0644);
  xasprintf (&path, "%s/labelled", f->img);
  if (setxattr (path, "user.reg-test", "1", 1, 0) < 0)
    {
      int e = errno;
      reg_store_close (s);
      fprintf (stderr, "skip: user.* xattrs not supported here: %s\n", strerror (e));
      skip ();
    }
  assert_int_equal (add_img (s, f, "labelled", NULL), REG_STORE_UNSHARED_XATTR);
  assert_int_equal (count_files (f->store, "objects"), 0);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  reg_store_close (s);
}

/* As non-root: a file of another owner is not shared (we could not give
   the object that owner); our own files are.  */
static int
nonroot_owner_checks (struct fixture *f, const char *store)
{
  struct reg_store *s = NULL;
  reg_error_t err = NULL;
  cleanup_close int fd = -1;
  struct reg_identity id;
  int ret;

  if (reg_store_open (store, &s, &err) < 0)
    {
      fprintf (stderr, "open: %s\n", err->msg);
      return 10;
    }
  /* /etc/passwd: world-readable, owned by root.  */
  fd = open ("/etc/passwd", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) < 0 || id.uid == geteuid ())
    return 11;
  ret = reg_store_add_file (s, fd, &id, NULL, NULL, &err);
  if (ret != REG_STORE_UNSHARED_OWNER)
    return 12;
  if (count_entries (store, "tmp") != 0 || count_files (store, "objects") != 0)
    return 13;
  (void)f;
  reg_store_close (s);
  return 0;
}

static void
test_owner (void **state)
{
  struct fixture *f = *state;

  if (geteuid () != 0)
    {
      cleanup_free char *store = NULL;
      xasprintf (&store, "%s/store-user", f->dir);
      assert_int_equal (nonroot_owner_checks (f, store), 0);
      return;
    }

  /* Root: the object gets the image's owner.  */
  {
    struct reg_store *s = open_store (f);
    cleanup_free char *d = NULL;
    struct stat st;

    write_img (f, "owned", "data of uid 1234", 0600);
    assert_int_equal (fchownat (f->imgfd, "owned", 1234, 5678, 0), 0);
    d = add_ok (s, f, "owned");
    stat_object (f, d, &st);
    assert_int_equal (st.st_uid, 1234);
    assert_int_equal (st.st_gid, 5678);
    assert_int_equal (st.st_mode & 07777, 0600);
    assert_check_clean (s);
    reg_store_close (s);
  }

  /* And a child that drops to nobody is refused another owner's file.  */
  {
    cleanup_free char *store = NULL;
    pid_t pid;
    int status;

    xasprintf (&store, "%s/store-nobody", f->dir);
    assert_int_equal (chmod (f->dir, 0755), 0);
    assert_int_equal (mkdir (store, 0700), 0);
    assert_int_equal (chown (store, 65534, 65534), 0);
    pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0)
      {
        if (setgroups (0, NULL) < 0 || setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
          _exit (20);
        _exit (nonroot_owner_checks (f, store));
      }
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
  }
}

/* A manifest of image files a, b (same content), lib -> a, usr/lib/x.  */
static struct reg_manifest *
make_manifest (struct reg_store *s, struct fixture *f, bool reversed)
{
  struct reg_manifest *m = reg_manifest_new ();
  cleanup_free char *da = NULL, *db = NULL, *dx = NULL;
  reg_error_t err = NULL;
  uid_t u = geteuid ();
  gid_t g = getegid ();

  write_img (f, "a", "content a", 0755);
  write_img (f, "b", "content a", 0755);
  write_img (f, "x", "content x", 0644);
  da = add_ok (s, f, "a");
  db = add_ok (s, f, "b");
  dx = add_ok (s, f, "x");
  if (!reversed)
    {
      check_err (reg_manifest_add_dir (m, "/usr", 0755, u, g, &err), &err);
      check_err (reg_manifest_add_dir (m, "/usr/lib", 0555, u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "/usr/lib/x", dx, 0644, u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "/bin/a", da, 0755, u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "/bin/b", db, 0755, u, g, &err), &err);
      check_err (reg_manifest_add_symlink (m, "/lib", "usr/lib", u, g, &err), &err);
    }
  else
    {
      check_err (reg_manifest_add_symlink (m, "lib/", "usr/lib", u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "bin//b", db, 0755, u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "bin/a", da, 0755, u, g, &err), &err);
      check_err (reg_manifest_add_file (m, "usr/lib/x", dx, 0644, u, g, &err), &err);
      check_err (reg_manifest_add_dir (m, "usr/lib", 0555, u, g, &err), &err);
      check_err (reg_manifest_add_dir (m, "usr", 0755, u, g, &err), &err);
    }
  return m;
}

static void
test_env_build_reuse (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *m1 = make_manifest (s, f, false);
  struct reg_manifest *m2 = make_manifest (s, f, true);
  cleanup_free char *id1 = NULL, *id2 = NULL, *root1 = NULL, *root2 = NULL, *p = NULL, *q = NULL;
  reg_error_t err = NULL;
  struct reg_store_counters c;
  struct stat st_tree, st_obj, st1, st2;
  char target[64];
  ssize_t n;

  check_err (reg_store_env_get (s, m1, &id1, &root1, &err), &err);
  check_err (reg_store_env_get (s, m2, &id2, &root2, &err), &err);
  assert_string_equal (id1, id2);
  assert_string_equal (root1, root2);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.envs_created, 1);
  assert_int_equal (count_entries (f->store, "envs"), 1);
  assert_int_equal (count_entries (f->store, "tmp"), 0);

  /* The tree's files are the objects' inodes.  */
  xasprintf (&p, "%s/usr/lib/x", root1);
  assert_int_equal (lstat (p, &st_tree), 0);
  stat_object (f, m1->entries[0].type == REG_ENTRY_FILE ? m1->entries[0].digest : m1->entries[1].digest, &st_obj);
  xasprintf (&q, "%s/bin/a", root1);
  assert_int_equal (lstat (q, &st1), 0);
  free (q);
  q = NULL;
  xasprintf (&q, "%s/bin/b", root1);
  assert_int_equal (lstat (q, &st2), 0);
  assert_int_equal (st1.st_ino, st2.st_ino); /* same content, same object */
  assert_int_equal (st1.st_ino, st_obj.st_ino);
  assert_int_equal (st1.st_nlink, 3);
  assert_int_not_equal (st_tree.st_ino, st1.st_ino);
  assert_int_equal (st_tree.st_mode & 07777, 0644);
  free (p);
  p = NULL;
  xasprintf (&p, "%s/usr/lib", root1);
  assert_int_equal (lstat (p, &st_tree), 0);
  assert_int_equal (st_tree.st_mode & 07777, 0555);
  free (p);
  p = NULL;
  xasprintf (&p, "%s/lib", root1);
  n = readlink (p, target, sizeof (target) - 1);
  assert_true (n > 0);
  target[n] = '\0';
  assert_string_equal (target, "usr/lib");
  free (p);
  p = NULL;
  check_err (reg_store_env_root (s, id1, &p, &err), &err);
  assert_string_equal (p, root1);

  /* A new handle finds the environment without building.  */
  reg_store_close (s);
  s = open_store (f);
  free (id2);
  free (root2);
  check_err (reg_store_env_get (s, m1, &id2, &root2, &err), &err);
  assert_string_equal (id1, id2);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.envs_created, 0);
  assert_check_clean (s);
  reg_manifest_free (m1);
  reg_manifest_free (m2);
  reg_store_close (s);
}

/* The volume of the image an environment was built from: recorded once,
   listed by reg_store_list_envs, removed with the environment by gc.  */
static void
test_env_image_record (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *m = make_manifest (s, f, false);
  cleanup_free char *id = NULL;
  struct reg_env_info *envs = NULL;
  struct reg_gc_result gc;
  struct reg_tree_size size;
  reg_error_t err = NULL;
  size_t n = 0;

  check_err (reg_store_env_get (s, m, &id, NULL, &err), &err);
  assert_false (reg_store_env_has_image (s, id));
  check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
  assert_int_equal (n, 1);
  assert_int_equal (envs[0].image_bytes, 0);
  reg_env_info_free (envs, n);

  /* The fixture's image: a, b, x (9 bytes each) and a hard link of x, a
     symlink, a directory with one more file.  */
  assert_int_equal (linkat (f->imgfd, "x", f->imgfd, "x-link", 0), 0);
  assert_int_equal (symlinkat ("a", f->imgfd, "a-link"), 0);
  assert_int_equal (mkdirat (f->imgfd, "sub", 0755), 0);
  write_img (f, "sub/y", "12345", 0644);
  check_err (reg_tree_size (f->imgfd, &size, &err), &err);
  assert_int_equal (size.files, 4);
  assert_int_equal (size.bytes, 9 + 9 + 9 + 5);
  /* A mount on top of the image is not the image's (root only).  */
  if (geteuid () == 0)
    {
      cleanup_free char *src = NULL, *dst = NULL;
      struct reg_tree_size mounted;
      xasprintf (&src, "%s/sub", f->img);
      xasprintf (&dst, "%s/mnt", f->img);
      assert_int_equal (mkdir (dst, 0755), 0);
      assert_int_equal (mount (src, dst, NULL, MS_BIND, NULL), 0);
      check_err (reg_tree_size (f->imgfd, &mounted, &err), &err);
      umount2 (dst, MNT_DETACH);
      assert_int_equal (mounted.files, size.files);
      assert_int_equal (mounted.bytes, size.bytes);
    }

  /* Where the image is, measured when listed (and then recorded).  */
  check_err (reg_store_env_set_image_root (s, id, f->imgfd, &err), &err);
  assert_true (reg_store_env_has_image (s, id));
  check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
  assert_int_equal (envs[0].image_bytes, 32);
  reg_env_info_free (envs, n);
  /* The first measured record stays.  */
  check_err (reg_store_env_set_image (s, id, 1, 1, &err), &err);
  check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
  assert_int_equal (n, 1);
  assert_int_equal (envs[0].image_files, 4);
  assert_int_equal (envs[0].image_bytes, 32);
  assert_int_equal (envs[0].bytes, 27);
  reg_env_info_free (envs, n);
  assert_check_clean (s);

  /* No such environment.  */
  assert_true (
      reg_store_env_set_image (s, "0000000000000000000000000000000000000000000000000000000000000000", 1, 1, &err) < 0);
  reg_error_release (&err);

  reg_store_close (s);
  s = open_store (f);
  check_err (reg_store_gc (s, &gc, &err), &err);
  assert_int_equal (gc.envs_removed, 1);
  assert_int_equal (count_entries (f->store, "envs"), 0);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  reg_manifest_free (m);
  reg_store_close (s);
}

/* Found by tests/fuzz/fuzz_manifest: an empty manifest (qsort/bsearch on a
   NULL array), and a buffer that does not end with a NUL (the parser ran
   sscanf, which reads to a NUL, over it).  The manifest is put at the end
   of a page followed by an inaccessible one, so reading past it faults.  */
static void
test_manifest_parse_bounds (void **state)
{
  (void)state;
  static const char text[] = "reg-manifest 1\nd 0755 0 0 - usr\nd";
  long page = sysconf (_SC_PAGESIZE);
  struct reg_manifest *m = NULL;
  cleanup_free char *data = NULL, *id = NULL;
  reg_error_t err = NULL;
  size_t len;
  char *map, *buf;

  check_err (reg_manifest_parse ("reg-manifest 1\n", strlen ("reg-manifest 1\n"), &m, &err), &err);
  assert_int_equal (m->n, 0);
  assert_null (reg_manifest_lookup (m, "usr"));
  check_err (reg_manifest_serialize (m, &data, &len, &err), &err);
  assert_int_equal (len, strlen ("reg-manifest 1\n"));
  check_err (reg_manifest_id (m, &id, &err), &err);
  assert_int_equal (strlen (id), REG_DIGEST_HEX_LEN);
  reg_manifest_free (m);
  m = NULL;

  map = mmap (NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true (map != MAP_FAILED);
  assert_int_equal (mprotect (map + page, (size_t)page, PROT_NONE), 0);
  /* No NUL and no newline at the end: the last line "d" is incomplete.  */
  buf = map + page - (sizeof text - 1);
  memcpy (buf, text, sizeof text - 1);
  assert_true (reg_manifest_parse (buf, sizeof text - 1, &m, &err) < 0);
  assert_non_null (strstr (err->msg, "line 3 is malformed"));
  reg_error_release (&err);
  /* A line that ends with its newline right at the end of the buffer, but
     whose fields stop early: sscanf must not look past the newline.  */
  buf = map + page - 17;
  memcpy (buf, "reg-manifest 1\nd\n", 17);
  assert_true (reg_manifest_parse (buf, 17, &m, &err) < 0);
  assert_non_null (strstr (err->msg, "line 2 is malformed"));
  reg_error_release (&err);
  munmap (map, (size_t)page * 2);

  /* A NUL inside a line is malformed, not the end of the path.  */
  {
    char zero[] = "reg-manifest 1\nd 0755 0 0 - usr\0junk\n";
    assert_true (reg_manifest_parse (zero, sizeof zero - 1, &m, &err) < 0);
    assert_non_null (strstr (err->msg, "line 2 is malformed"));
    reg_error_release (&err);
  }
}

static void
test_manifest_roundtrip_and_errors (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *m = reg_manifest_new (), *back = NULL;
  cleanup_free char *data = NULL, *data2 = NULL, *id = NULL;
  char zero[65];
  size_t len, len2;
  reg_error_t err = NULL;
  int ret;

  memset (zero, 'a', 64);
  zero[64] = '\0';
  check_err (reg_manifest_add_dir (m, "odd dir\n\\x", 0750, 1, 2, &err), &err);
  check_err (reg_manifest_add_file (m, "odd dir\n\\x/f\ttab", zero, 0644, 3, 4, &err), &err);
  check_err (reg_manifest_add_symlink (m, "link", "target with space", 5, 6, &err), &err);
  check_err (reg_manifest_serialize (m, &data, &len, &err), &err);
  assert_null (memchr (data + strlen ("reg-manifest 1\n"), '\t', len - strlen ("reg-manifest 1\n")));
  check_err (reg_manifest_parse (data, len, &back, &err), &err);
  assert_int_equal (back->n, 3);
  check_err (reg_manifest_serialize (back, &data2, &len2, &err), &err);
  assert_int_equal (len, len2);
  assert_memory_equal (data, data2, len);
  assert_string_equal (back->entries[2].path, "odd dir\n\\x/f\ttab");
  assert_int_equal (back->entries[2].uid, 3);
  assert_int_equal (back->entries[2].gid, 4);
  assert_int_equal (back->entries[1].mode, 0750);
  assert_string_equal (back->entries[0].target, "target with space");
  reg_manifest_free (back);
  reg_manifest_free (m);

  /* Bad manifests: errors, nothing built.  */
  ret = reg_manifest_add_file (m = reg_manifest_new (), "a/../b", zero, 0644, 0, 0, &err);
  assert_true (ret < 0);
  assert_non_null (strstr (err->msg, "invalid path"));
  reg_error_release (&err);
  ret = reg_manifest_add_file (m, "a", "nothex", 0644, 0, 0, &err);
  assert_true (ret < 0);
  reg_error_release (&err);
  check_err (reg_manifest_add_symlink (m, "lib", "/etc", 0, 0, &err), &err);
  check_err (reg_manifest_add_file (m, "lib/shadow", zero, 0644, 0, 0, &err), &err);
  ret = reg_store_env_get (s, m, &id, NULL, &err);
  assert_true (ret < 0);
  assert_non_null (strstr (err->msg, "not a directory"));
  reg_error_release (&err);
  reg_manifest_free (m);

  m = reg_manifest_new ();
  check_err (reg_manifest_add_file (m, "a", zero, 0644, geteuid (), getegid (), &err), &err);
  check_err (reg_manifest_add_file (m, "/a/", zero, 0644, geteuid (), getegid (), &err), &err);
  assert_true (reg_manifest_serialize (m, &data2, NULL, &err) < 0);
  assert_non_null (strstr (err->msg, "listed twice"));
  reg_error_release (&err);
  reg_manifest_free (m);

  /* An object that is not in the store.  */
  m = reg_manifest_new ();
  check_err (reg_manifest_add_dir (m, "d", 0755, geteuid (), getegid (), &err), &err);
  check_err (reg_manifest_add_file (m, "d/a", zero, 0644, geteuid (), getegid (), &err), &err);
  ret = reg_store_env_get (s, m, &id, NULL, &err);
  assert_true (ret < 0);
  assert_non_null (strstr (err->msg, "is not in the store"));
  assert_non_null (strstr (err->msg, f->store));
  reg_error_release (&err);
  reg_manifest_free (m);
  assert_int_equal (count_entries (f->store, "envs"), 0);
  assert_int_equal (count_entries (f->store, "tmp"), 0);

  ret = reg_manifest_parse ("reg-manifest 1\nq 0 0 0 - x\n", 27, &back, &err);
  assert_true (ret < 0);
  assert_non_null (strstr (err->msg, "line 2"));
  reg_error_release (&err);
  reg_store_close (s);
}

static void
test_refs_gc (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *ma = reg_manifest_new (), *mb = reg_manifest_new ();
  cleanup_free char *dk = NULL, *da = NULL, *db = NULL, *dorphan = NULL;
  cleanup_free char *ida = NULL, *idb = NULL, *p = NULL;
  struct reg_env_info *envs = NULL;
  struct reg_gc_result gc;
  struct reg_store_stats stats;
  reg_error_t err = NULL;
  size_t n;
  struct stat st;
  uid_t u = geteuid ();
  gid_t g = getegid ();

  write_img (f, "kept", "in both envs", 0644);
  write_img (f, "onlya", "only in a", 0644);
  write_img (f, "onlyb", "only in b, a bit longer", 0644);
  write_img (f, "orphan", "in no env", 0644);
  dk = add_ok (s, f, "kept");
  da = add_ok (s, f, "onlya");
  db = add_ok (s, f, "onlyb");
  dorphan = add_ok (s, f, "orphan");
  check_err (reg_manifest_add_file (ma, "k", dk, 0644, u, g, &err), &err);
  check_err (reg_manifest_add_file (ma, "a", da, 0644, u, g, &err), &err);
  check_err (reg_manifest_add_file (mb, "k", dk, 0644, u, g, &err), &err);
  check_err (reg_manifest_add_file (mb, "b", db, 0644, u, g, &err), &err);
  check_err (reg_store_env_get (s, ma, &ida, NULL, &err), &err);
  check_err (reg_store_env_get (s, mb, &idb, NULL, &err), &err);
  check_err (reg_store_env_ref (s, ida, "ctr-1", &err), &err);
  check_err (reg_store_env_ref (s, ida, "ctr-2", &err), &err);
  assert_true (reg_store_env_ref (s, ida, "../x", &err) < 0);
  reg_error_release (&err);
  assert_true (reg_store_env_ref (s, "0000000000000000000000000000000000000000000000000000000000000000", "c", &err)
               < 0);
  assert_int_equal (err->status, ENOENT);
  reg_error_release (&err);

  /* Statistics: 4 objects, "kept" in two environments.  */
  check_err (reg_store_stats (s, &stats, &err), &err);
  assert_int_equal (stats.objects, 4);
  assert_int_equal (stats.object_bytes, 12 + 9 + 23 + 9);
  assert_int_equal (stats.envs, 2);
  assert_int_equal (stats.refs, 2);
  assert_int_equal (stats.env_links, 4);
  assert_int_equal (stats.referenced_bytes, 12 + 9 + 12 + 23);
  assert_int_equal (stats.saved_bytes, 12 + 9 + 12 + 23 - (12 + 9 + 23 + 9));
  assert_true (stats.sharing_degree > 0.99 && stats.sharing_degree < 1.01);
  check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
  assert_int_equal (n, 2);
  for (size_t i = 0; i < n; i++)
    {
      assert_int_equal (envs[i].files, 2);
      if (strcmp (envs[i].id, ida) == 0)
        {
          assert_int_equal (envs[i].n_refs, 2);
          assert_int_equal (envs[i].bytes, 21);
        }
      else
        assert_int_equal (envs[i].n_refs, 0);
    }
  reg_env_info_free (envs, n);

  check_err (reg_store_gc (s, &gc, &err), &err);
  assert_int_equal (gc.envs_removed, 1);
  assert_int_equal (gc.objects_removed, 2); /* onlyb, orphan */
  assert_int_equal (gc.bytes_freed, 23 + 9);
  check_err (reg_store_env_root (s, ida, &p, &err), &err);
  assert_true (reg_store_env_root (s, idb, &p, &err) < 0);
  reg_error_release (&err);
  stat_object (f, dk, &st);
  stat_object (f, da, &st);
  assert_int_equal (st.st_nlink, 2);
  assert_int_equal (count_files (f->store, "objects"), 2);

  /* Unref one: still referenced; the other: gone with its objects.  */
  check_err (reg_store_env_unref (s, ida, "ctr-1", &err), &err);
  check_err (reg_store_env_unref (s, ida, "ctr-1", &err), &err); /* twice is fine */
  check_err (reg_store_gc (s, &gc, &err), &err);
  assert_int_equal (gc.envs_removed, 0);
  check_err (reg_store_env_unref (s, ida, "ctr-2", &err), &err);
  check_err (reg_store_gc (s, &gc, &err), &err);
  assert_int_equal (gc.envs_removed, 1);
  assert_int_equal (gc.objects_removed, 2);
  assert_int_equal (count_files (f->store, "objects"), 0);
  assert_int_equal (count_entries (f->store, "envs"), 0);
  assert_int_equal (count_cache_records (f->store), 0);
  reg_manifest_free (ma);
  reg_manifest_free (mb);
  reg_store_close (s);
}

static void
test_check_corrupt (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *d1 = NULL, *d2 = NULL, *path = NULL;
  struct reg_check_result res;
  reg_error_t err = NULL;
  int fd;

  write_img (f, "good", "good bytes", 0644);
  write_img (f, "bad", "soon bad bytes", 0444);
  d1 = add_ok (s, f, "good");
  d2 = add_ok (s, f, "bad");
  assert_check_clean (s);

  path = reg_store_object_path (s, d2);
  assert_int_equal (chmod (path, 0644), 0);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (pwrite (fd, "S", 1, 0), 1);
  close (fd);
  assert_int_equal (chmod (path, 0444), 0);

  check_err (reg_store_check (s, NULL, &res, &err), &err);
  assert_int_equal (res.objects, 2);
  assert_int_equal (res.n_problems, 1);
  assert_non_null (strstr (res.problems[0].object, d2 + 2));
  assert_non_null (strstr (res.problems[0].problem, "hash to"));
  reg_check_result_clear (&res);

  /* Metadata is part of the name: a changed mode is found too.  */
  free (path);
  path = reg_store_object_path (s, d1);
  assert_int_equal (chmod (path, 0600), 0);
  check_err (reg_store_check (s, NULL, &res, &err), &err);
  assert_int_equal (res.n_problems, 2);
  reg_check_result_clear (&res);
  reg_store_close (s);
}

/* --- crashes ------------------------------------------------------------ */

static const char *crash_steps[] = {
  "object-tmp",     "object-partial", "object-synced", "object-linked",
  "identity-write", "env-tmp",        "env-built",     "gc-env-moved",
};

/* What a `create` does: add files, build the environment, reference it
   (REF NULL: no reference).  Returns 0, or -1 after printing the error.  */
static int
do_create (struct fixture *f, const char *store, const char **names, size_t n, const char *ref, char **env_id)
{
  struct reg_store *s = NULL;
  struct reg_manifest *m = reg_manifest_new ();
  reg_error_t err = NULL;

  if (reg_store_open (store, &s, &err) < 0)
    goto fail;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int fd = openat (f->imgfd, names[i], O_RDONLY | O_CLOEXEC);
      cleanup_free char *digest = NULL;
      struct reg_identity id;
      if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) < 0)
        {
          reg_make_error (&err, errno, "open `%s`", names[i]);
          goto fail;
        }
      if (reg_store_add_file (s, fd, &id, &digest, NULL, &err) != 0)
        goto fail;
      if (reg_manifest_add_file (m, names[i], digest, id.mode, id.uid, id.gid, &err) < 0)
        goto fail;
    }
  if (reg_store_env_get (s, m, env_id, NULL, &err) < 0)
    goto fail;
  if (ref && reg_store_env_ref (s, *env_id, ref, &err) < 0)
    goto fail;
  reg_manifest_free (m);
  reg_store_close (s);
  return 0;

fail:
  fprintf (stderr, "create: %s\n", err ? err->msg : "not shared");
  reg_error_release (&err);
  reg_manifest_free (m);
  if (s)
    reg_store_close (s);
  return -1;
}

static void
test_crash_at_each_step (void **state)
{
  struct fixture *f = *state;
  const char *names[] = { "f0", "f1", "f2" };

  write_img (f, "f0", "zero", 0644);
  write_img (f, "f1", "one one", 0755);
  write_img (f, "f2", "two two two", 0600);
  for (size_t i = 0; i < sizeof (crash_steps) / sizeof (crash_steps[0]); i++)
    {
      cleanup_free char *id = NULL;
      struct reg_store *s;
      struct reg_gc_result gc;
      struct reg_store_counters c;
      reg_error_t err = NULL;
      int status;
      pid_t pid;

      pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          char *child_id = NULL;
          setenv ("REG_STORE_TEST_CRASH_AT", crash_steps[i], 1);
          if (do_create (f, f->store, names, 3, NULL, &child_id) < 0)
            _exit (3);
          if (reg_store_open (f->store, &s, &err) < 0 || reg_store_gc (s, &gc, &err) < 0)
            _exit (3);
          _exit (4); /* the crash point was never reached */
        }
      assert_int_equal (waitpid (pid, &status, 0), pid);
      if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
        fail_msg ("step %s: the child was not killed there (status %d)", crash_steps[i], status);

      /* Nothing partial is visible: every object and env is complete.  */
      s = open_store (f);
      assert_check_clean (s);
      {
        struct reg_env_info *envs = NULL;
        size_t n = 0;
        check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
        for (size_t j = 0; j < n; j++)
          assert_int_equal (envs[j].files, 3);
        reg_env_info_free (envs, n);
      }
      reg_store_close (s);

      /* The next create completes the work; gc clears what the crash left.  */
      assert_int_equal (do_create (f, f->store, names, 3, NULL, &id), 0);
      s = open_store (f);
      check_err (reg_store_gc (s, &gc, &err), &err);
      assert_int_equal (count_entries (f->store, "tmp"), 0);
      assert_check_clean (s);
      reg_store_get_counters (s, &c);
      reg_store_close (s);
      /* gc removed the unreferenced environment and the objects.  */
      assert_int_equal (count_entries (f->store, "envs"), 0);
      assert_int_equal (count_files (f->store, "objects"), 0);
    }
}

/* --- concurrency -------------------------------------------------------- */

#define N_PROCS 32
#define N_FILES 6
#define N_GC 3

static void
test_concurrent_creates (void **state)
{
  struct fixture *f = *state;
  pid_t pids[N_PROCS + N_GC];
  struct reg_env_info *envs = NULL;
  struct reg_store *s;
  reg_error_t err = NULL;
  size_t n;
  char name[64];

  /* Each process has its own copy of the image (distinct inodes, same
     contents), like 32 creates of separate copies of one image.  */
  for (int p = 0; p < N_PROCS; p++)
    for (int i = 0; i < N_FILES; i++)
      {
        char content[64];
        snprintf (name, sizeof (name), "p%d-f%d", p, i);
        snprintf (content, sizeof (content), "content of file %d\n", i);
        write_img (f, name, content, i % 2 ? 0755 : 0644);
      }

  for (int p = 0; p < N_PROCS + N_GC; p++)
    {
      pids[p] = fork ();
      assert_true (pids[p] >= 0);
      if (pids[p] == 0)
        {
          if (p >= N_PROCS)
            {
              /* gc running while the creates run must not break them.  */
              for (int k = 0; k < 5; k++)
                {
                  struct reg_gc_result gc;
                  if (reg_store_open (f->store, &s, &err) < 0 || reg_store_gc (s, &gc, &err) < 0)
                    {
                      fprintf (stderr, "gc: %s\n", err->msg);
                      _exit (5);
                    }
                  reg_store_close (s);
                }
              _exit (0);
            }
          char *names[N_FILES], ref[32], *id = NULL;
          struct reg_store *cs = NULL;
          struct reg_manifest *m = reg_manifest_new ();
          /* Paths in the environment: the same for every process.  */
          if (reg_store_open (f->store, &cs, &err) < 0)
            _exit (6);
          for (int i = 0; i < N_FILES; i++)
            {
              cleanup_free char *digest = NULL;
              struct reg_identity id;
              int fd;
              xasprintf (&names[i], "p%d-f%d", p, i);
              fd = openat (f->imgfd, names[i], O_RDONLY | O_CLOEXEC);
              if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) < 0
                  || reg_store_add_file (cs, fd, &id, &digest, NULL, &err) != 0)
                _exit (7);
              close (fd);
              snprintf (ref, sizeof (ref), "usr/lib/f%d", i);
              if (reg_manifest_add_file (m, ref, digest, id.mode, id.uid, id.gid, &err) < 0)
                _exit (8);
              free (names[i]);
            }
          snprintf (ref, sizeof (ref), "ctr-%d", p);
          if (reg_store_env_get (cs, m, &id, NULL, &err) < 0 || reg_store_env_ref (cs, id, ref, &err) < 0)
            {
              fprintf (stderr, "env: %s\n", err->msg);
              _exit (9);
            }
          reg_store_close (cs);
          _exit (0);
        }
    }
  for (int p = 0; p < N_PROCS + N_GC; p++)
    {
      int status;
      assert_int_equal (waitpid (pids[p], &status, 0), pids[p]);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("process %d failed (status %d)", p, status);
    }

  assert_int_equal (count_files (f->store, "objects"), N_FILES);
  assert_int_equal (count_entries (f->store, "envs"), 1);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  s = open_store (f);
  assert_check_clean (s);
  check_err (reg_store_list_envs (s, &envs, &n, &err), &err);
  assert_int_equal (n, 1);
  assert_int_equal (envs[0].n_refs, N_PROCS);
  assert_int_equal (envs[0].files, N_FILES);
  /* The environment links the published objects themselves (no process
     replaced an object another had already linked).  */
  for (int i = 0; i < N_FILES; i++)
    {
      cleanup_free char *path = NULL, *obj = NULL;
      char content[64], hex[65];
      struct stat st_env, st_obj;

      xasprintf (&path, "%s/envs/%s/root/usr/lib/f%d", f->store, envs[0].id, i);
      assert_int_equal (lstat (path, &st_env), 0);
      snprintf (content, sizeof (content), "content of file %d\n", i);
      reg_store_digest_buffer (content, strlen (content), st_env.st_mode, st_env.st_uid, st_env.st_gid, hex);
      obj = reg_store_object_path (s, hex);
      assert_int_equal (lstat (obj, &st_obj), 0);
      assert_int_equal (st_env.st_ino, st_obj.st_ino);
      assert_int_equal (st_obj.st_nlink, 2);
    }
  reg_env_info_free (envs, n);
  reg_store_close (s);
}

/* --- the environment cache ---------------------------------------------- */

static void
test_env_cache (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *m = make_manifest (s, f, false);
  cleanup_free char *id = NULL, *hit = NULL, *hit2 = NULL;
  struct reg_source_identity src[2];
  reg_error_t err = NULL;
  struct timespec later[2];

  check_err (reg_store_env_get (s, m, &id, NULL, &err), &err);
  source_at (&src[0], f->imgfd, "a", "/a");
  source_at (&src[1], f->imgfd, "x", "x");

  assert_int_equal (reg_store_env_cache_get (s, "image-1 /a", f->imgfd, &hit, &err), 0);
  check_err (reg_store_env_cache_put (s, "image-1 /a", id, src, 2, &err), &err);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 /a", f->imgfd, &hit, &err), 1);
  assert_string_equal (hit, id);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 /b", f->imgfd, &hit2, &err), 0);

  /* A source changed: a miss.  */
  clock_gettime (CLOCK_REALTIME, &later[0]);
  later[0].tv_sec += 5;
  later[1] = later[0];
  assert_int_equal (utimensat (f->imgfd, "x", later, 0), 0);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 /a", f->imgfd, &hit2, &err), 0);
  assert_null (hit2);

  free (src[0].path);
  free (src[1].path);
  reg_manifest_free (m);
  reg_store_close (s);
}

/* Sources in directories: each directory is resolved in the root (a
   symlinked directory followed inside it), the last component never
   followed; sorted and repeated sources validate alike.  */
static void
test_env_cache_dirs (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_manifest *m = make_manifest (s, f, false);
  cleanup_free char *id = NULL, *hit = NULL, *outside = NULL, *outside_f = NULL;
  struct reg_source_identity src[4];
  reg_error_t err = NULL;
  int fd;

  check_err (reg_store_env_get (s, m, &id, NULL, &err), &err);
  assert_int_equal (mkdirat (f->imgfd, "d", 0755), 0);
  fd = openat (f->imgfd, "d/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  assert_true (fd >= 0 && write (fd, "f\n", 2) == 2);
  close (fd);
  assert_int_equal (symlinkat ("/d", f->imgfd, "lnk"), 0);
  /* The same inode outside the root (linked before it is recorded).  */
  xasprintf (&outside, "%s/outside", f->dir);
  xasprintf (&outside_f, "%s/outside/f", f->dir);
  assert_int_equal (mkdir (outside, 0755), 0);
  assert_int_equal (linkat (f->imgfd, "d/f", AT_FDCWD, outside_f, 0), 0);
  source_at (&src[0], f->imgfd, "d/f", "/lnk/f");
  source_at (&src[1], f->imgfd, "d/f", "/d/f");
  source_at (&src[2], f->imgfd, "d/f", "/d/f");
  source_at (&src[3], f->imgfd, "lnk", "/lnk");

  check_err (reg_store_env_cache_put (s, "image-1 dirs", id, src, 4, &err), &err);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 dirs", f->imgfd, &hit, &err), 1);
  assert_string_equal (hit, id);
  free (steal_pointer (&hit));

  /* The directory becomes a symlink out of the root, to a directory that
     holds the very same inode: resolved inside the root it names nothing,
     a miss.  Followed on the host, it would be a hit.  */
  assert_int_equal (renameat (f->imgfd, "d", f->imgfd, "d.old"), 0);
  assert_int_equal (symlinkat ("../../../../../../outside", f->imgfd, "d"), 0);
  assert_int_equal (symlinkat (outside, f->imgfd, "d2"), 0);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 dirs", f->imgfd, &hit, &err), 0);
  assert_null (hit);
  assert_int_equal (unlink (outside_f), 0);
  assert_int_equal (rmdir (outside), 0);
  assert_int_equal (unlinkat (f->imgfd, "d2", 0), 0);

  /* Back as it was: still a miss, dropping the outside link changed the
     file's ctime.  Recorded again, a hit; then the file replaced by a new inode
     of the same content: a miss.  */
  assert_int_equal (unlinkat (f->imgfd, "d", 0), 0);
  assert_int_equal (renameat (f->imgfd, "d.old", f->imgfd, "d"), 0);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 dirs", f->imgfd, &hit, &err), 0);
  for (size_t i = 0; i < 3; i++)
    {
      free (src[i].path);
      source_at (&src[i], f->imgfd, "d/f", i == 0 ? "/lnk/f" : "/d/f");
    }
  check_err (reg_store_env_cache_put (s, "image-1 dirs", id, src, 4, &err), &err);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 dirs", f->imgfd, &hit, &err), 1);
  free (steal_pointer (&hit));
  fd = openat (f->imgfd, "d/f.new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  assert_true (fd >= 0 && write (fd, "f\n", 2) == 2);
  close (fd);
  assert_int_equal (renameat (f->imgfd, "d/f.new", f->imgfd, "d/f"), 0);
  assert_int_equal (reg_store_env_cache_get (s, "image-1 dirs", f->imgfd, &hit, &err), 0);

  for (size_t i = 0; i < 4; i++)
    free (src[i].path);
  reg_manifest_free (m);
  reg_store_close (s);
}

/* --- identities name the mount and the owner ---------------------------- */

/* A user namespace that maps 0-65535 to 100000-165535, as Podman's
   --uidmap 0:100000:65536: an fd of it, or -errno.  */
static int
mapped_userns (void)
{
  int ready[2], hold[2], fd = -1, e = 0;
  char c = 0;
  pid_t pid;

  if (pipe2 (ready, O_CLOEXEC) < 0)
    return -errno;
  if (pipe2 (hold, O_CLOEXEC) < 0)
    {
      e = errno;
      close (ready[0]);
      close (ready[1]);
      return -e;
    }
  pid = fork ();
  if (pid == 0)
    {
      close (ready[0]);
      close (hold[1]);
      if (unshare (CLONE_NEWUSER) < 0 || write (ready[1], "r", 1) != 1)
        _exit (1);
      /* Until the parent has the namespace.  */
      if (read (hold[0], &c, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (ready[1]);
  close (hold[0]);
  if (pid < 0 || read (ready[0], &c, 1) != 1)
    e = pid < 0 ? errno : EPERM;
  for (const char *const *map = (const char *const[]){ "uid_map", "gid_map", NULL }; e == 0 && *map; map++)
    {
      char path[64];
      int mfd;

      snprintf (path, sizeof (path), "/proc/%d/%s", (int)pid, *map);
      mfd = open (path, O_WRONLY | O_CLOEXEC);
      if (mfd < 0 || write (mfd, "0 100000 65536\n", 15) != 15)
        e = errno ? errno : EIO;
      if (mfd >= 0)
        close (mfd);
    }
  if (e == 0)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/ns/user", (int)pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      e = fd < 0 ? errno : 0;
    }
  close (hold[1]);
  close (ready[0]);
  if (pid > 0)
    waitpid (pid, NULL, 0);
  return fd >= 0 ? fd : -e;
}

/* A new mount of DIR's file system, detached (open_tree OPEN_TREE_CLONE;
   closing the fd unmounts it): the same device, inodes and times, another
   mount.  Idmapped through USERNS_FD when >= 0.  The fd, or -errno.  */
static int
clone_mount (const char *dir, int userns_fd)
{
  int fd = open_tree (AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  int e;

  if (fd < 0)
    return -errno;
  if (userns_fd >= 0)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
      if (mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
        {
          e = errno;
          close (fd);
          return -e;
        }
    }
  return fd;
}

/* DIR (a mount from clone_mount) shows NAME with A's device, inode, size
   and times.  */
static void
assert_same_metadata (const struct stat *a, int dir, const char *name)
{
  struct stat b;

  assert_int_equal (fstatat (dir, name, &b, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), 0);
  assert_true (a->st_dev == b.st_dev && a->st_ino == b.st_ino && a->st_size == b.st_size);
  assert_true (a->st_mtim.tv_sec == b.st_mtim.tv_sec && a->st_mtim.tv_nsec == b.st_mtim.tv_nsec);
  assert_true (a->st_ctim.tv_sec == b.st_ctim.tv_sec && a->st_ctim.tv_nsec == b.st_ctim.tv_nsec);
}

/* The idmapped view of the image (owner 0 shown as 100000), or -1 after
   saying why there is none.  */
static int
idmapped_view (struct fixture *f)
{
  cleanup_close int userns = mapped_userns ();
  int fd = userns >= 0 ? clone_mount (f->img, userns) : userns;

  if (fd < 0)
    fprintf (stderr, "no idmapped mount here (%s): that part is not tested\n", strerror (-fd));
  return fd < 0 ? -1 : fd;
}

/* Whether DIR is on a file system of a disk (a block device the kernel
   gives a diskseq): its files are known by the disk's attachment, the
   same through every mount of it.  */
static bool
on_disk (const char *dir)
{
  char path[96];
  struct stat st;

  assert_int_equal (stat (dir, &st), 0);
  if (major (st.st_dev) == 0)
    return false;
  snprintf (path, sizeof path, "/sys/dev/block/%u:%u/diskseq", major (st.st_dev), minor (st.st_dev));
  if (access (path, R_OK) == 0)
    return true;
  snprintf (path, sizeof path, "/sys/dev/block/%u:%u/../diskseq", major (st.st_dev), minor (st.st_dev));
  return access (path, R_OK) == 0;
}

/* A tmpfs mounted on F's DIR/tmpfs with NAME holding CONTENT: a file
   system without a disk (an anonymous device number, reused by the next
   such mount).  Its path; the caller unmounts it.  */
static char *
tmpfs_with (struct fixture *f, const char *name, const char *content)
{
  char *dir = NULL, *file = NULL;
  reg_error_t err = NULL;

  xasprintf (&dir, "%s/tmpfs", f->dir);
  assert_int_equal (mkdir (dir, 0755), 0);
  assert_int_equal (mount ("tmpfs", dir, "tmpfs", 0, "mode=0755"), 0);
  xasprintf (&file, "%s/%s", dir, name);
  check_err (write_file (file, content, strlen (content), &err), &err);
  free (file);
  return dir;
}

/* The identity cache answers for the file it saw, on the file system it
   saw it on: through another mount of the same disk's file system (a bind
   mount, the private bind Podman's storage makes of its directory for
   each command) the file is the same; on a file system without a disk, a
   mount is an instance of its own (a tmpfs's device number goes to the
   next tmpfs), so another mount is read again; a loop device's next image
   is another attachment (reg-store.bats).  An idmapped view (Podman
   --uidmap) gets an object with the owner it shows.  */
static void
test_identity_names_instance_and_owner (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *plain = NULL, *again = NULL, *mapped = NULL, *tmpfs = NULL;
  cleanup_close int view = -1, idmapped = -1, tfd = -1, tview = -1;
  struct reg_store_counters c;
  struct reg_store *s;
  struct stat a, o;

  if (geteuid () != 0)
    {
      fprintf (stderr, "skip: needs root (mounts)\n");
      skip ();
    }
  write_img (f, "lib", "AAAA", 0755);
  view = clone_mount (f->img, -1);
  if (view < 0)
    {
      fprintf (stderr, "skip: open_tree: %s\n", strerror (-view));
      skip ();
    }
  assert_int_equal (fstatat (f->imgfd, "lib", &a, 0), 0);
  assert_same_metadata (&a, view, "lib");

  s = open_store (f);
  assert_int_equal (add_at (s, f->imgfd, "lib", &plain), 0);
  reg_store_close (s);
  s = open_store (f);
  assert_int_equal (add_at (s, view, "lib", &again), 0);
  reg_store_get_counters (s, &c);
  assert_string_equal (plain, again);
  if (on_disk (f->img))
    {
      /* the same file of the same disk: answered */
      assert_int_equal (c.identity_hits, 1);
      assert_int_equal (c.files_read, 0);
    }
  else
    {
      assert_int_equal (c.identity_hits, 0);
      assert_int_equal (c.files_read, 1);
      /* hashed again, but not copied: its object was there */
      assert_int_equal (c.files_hashed_only, 1);
    }
  assert_int_equal (c.objects_created, 0);
  assert_int_equal (count_entries (f->store, "tmp"), 0);

  /* A file system without a disk: another mount of it is read again, and
     the record stays the first mount's, answered there.  */
  tmpfs = tmpfs_with (f, "lib", "TTTT");
  tfd = open (tmpfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  tview = clone_mount (tmpfs, -1);
  assert_true (tfd >= 0 && tview >= 0);
  free (steal_pointer (&plain));
  free (steal_pointer (&again));
  reg_store_close (s);
  s = open_store (f);
  assert_int_equal (add_at (s, tfd, "lib", &plain), 0);
  assert_int_equal (add_at (s, tview, "lib", &again), 0);
  reg_store_get_counters (s, &c);
  assert_string_equal (plain, again);
  assert_int_equal (c.identity_hits, 0);
  /* read again: hashed, or compared with the object the first named */
  assert_int_equal (c.files_read + c.candidate_hits, 2);
  free (steal_pointer (&again));
  assert_int_equal (add_at (s, tfd, "lib", &again), 0);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.identity_hits, 1);
  assert_int_equal (c.files_read + c.candidate_hits, 2);
  assert_int_equal (umount2 (tmpfs, MNT_DETACH), 0);
  free (steal_pointer (&plain));
  assert_int_equal (add_at (s, f->imgfd, "lib", &plain), 0);

  idmapped = idmapped_view (f);
  if (idmapped >= 0)
    {
      assert_int_equal (fstatat (idmapped, "lib", &o, 0), 0);
      assert_int_equal (o.st_uid, 100000);
      a.st_uid = o.st_uid;
      assert_same_metadata (&a, idmapped, "lib");
      assert_int_equal (add_at (s, idmapped, "lib", &mapped), 0);
      assert_string_not_equal (plain, mapped);
      stat_object (f, mapped, &o);
      assert_int_equal (o.st_uid, 100000);
      assert_int_equal (o.st_gid, 100000);
    }
  assert_check_clean (s);
  reg_store_close (s);
}

/* The environment cache likewise: its sources seen through another mount
   of the same disk are the sources it recorded, through another mount of
   a file system without a disk or an idmapped one they are not.  */
static void
test_env_cache_names_instance_and_owner (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *id = NULL, *hit = NULL;
  cleanup_close int view = -1, idmapped = -1;
  struct reg_source_identity src[2];
  struct reg_manifest *m;
  reg_error_t err = NULL;
  struct reg_store *s;
  struct stat a;

  if (geteuid () != 0)
    {
      fprintf (stderr, "skip: needs root (mounts)\n");
      skip ();
    }
  s = open_store (f);
  m = make_manifest (s, f, false);
  check_err (reg_store_env_get (s, m, &id, NULL, &err), &err);
  source_at (&src[0], f->imgfd, "", "/");
  source_at (&src[1], f->imgfd, "a", "/a");
  check_err (reg_store_env_cache_put (s, "image-1", id, src, 2, &err), &err);
  assert_int_equal (reg_store_env_cache_get (s, "image-1", f->imgfd, &hit, &err), 1);
  free (steal_pointer (&hit));

  view = clone_mount (f->img, -1);
  if (view < 0)
    {
      fprintf (stderr, "skip: open_tree: %s\n", strerror (-view));
      skip ();
    }
  assert_int_equal (fstatat (f->imgfd, "a", &a, 0), 0);
  assert_same_metadata (&a, view, "a");
  assert_int_equal (reg_store_env_cache_get (s, "image-1", view, &hit, &err), on_disk (f->img) ? 1 : 0);
  free (steal_pointer (&hit));

  /* sources on a tmpfs, seen through another mount of it */
  {
    cleanup_free char *tmpfs = tmpfs_with (f, "a", "aaa\n");
    cleanup_free char *hit2 = NULL;
    cleanup_close int tfd = open (tmpfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int tview = clone_mount (tmpfs, -1);
    struct reg_source_identity tsrc[2];

    assert_true (tfd >= 0 && tview >= 0);
    source_at (&tsrc[0], tfd, "", "/");
    source_at (&tsrc[1], tfd, "a", "/a");
    check_err (reg_store_env_cache_put (s, "image-2", id, tsrc, 2, &err), &err);
    assert_int_equal (reg_store_env_cache_get (s, "image-2", tfd, &hit2, &err), 1);
    free (steal_pointer (&hit2));
    assert_int_equal (reg_store_env_cache_get (s, "image-2", tview, &hit2, &err), 0);
    assert_null (hit2);
    free (tsrc[0].path);
    free (tsrc[1].path);
    assert_int_equal (umount2 (tmpfs, MNT_DETACH), 0);
  }

  idmapped = idmapped_view (f);
  if (idmapped >= 0)
    assert_int_equal (reg_store_env_cache_get (s, "image-1", idmapped, &hit, &err), 0);
  assert_null (hit);

  free (src[0].path);
  free (src[1].path);
  reg_manifest_free (m);
  reg_store_close (s);
}

/* A record of the same (device, inode) is rewritten in place: the file
   changed (or its inode number came back in a new copy of an image), and
   replacing the record by rename would free a block (a synchronous discard
   on a file system mounted with `discard`).  A record whose check does not
   match its text (a write half done, or changed by hand) is a miss.  */
static void
test_identity_record_in_place (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *d = NULL, *rec = NULL;
  struct reg_store_counters c;
  struct reg_identity id;
  reg_error_t err = NULL;
  cleanup_close int fd = -1;
  struct stat before, after;
  off_t at, again;

  write_img (f, "lib", "AAAA", 0644);
  fd = openat (f->imgfd, "lib", O_RDONLY | O_CLOEXEC);
  id = fd_identity (fd);
  if (!reg_identity_trusted (&id))
    {
      fprintf (stderr, "skip: no unique mount ids on this kernel\n");
      reg_store_close (s);
      skip ();
    }
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  rec = identity_slot_path (f->store, &id, &at);
  assert_int_equal (stat (rec, &before), 0);
  assert_int_equal (count_identity_records (f->store), 1);

  /* the same inode, new content: a new identity, recorded in place, in
     the same slot of the same table file */
  close (fd);
  write_img (f, "lib", "BBBBBBBB", 0644);
  fd = openat (f->imgfd, "lib", O_RDONLY | O_CLOEXEC);
  id = fd_identity (fd);
  free (steal_pointer (&d));
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  assert_int_equal (stat (rec, &after), 0);
  assert_int_equal (after.st_ino, before.st_ino);
  assert_int_equal (count_identity_records (f->store), 1);
  free (identity_slot_path (f->store, &id, &again));
  assert_int_equal (again, at);
  free (steal_pointer (&d));
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 2);
  assert_int_equal (c.identity_hits, 1);

  /* one digit of the digest changed, the check left: a miss, read again */
  flip_in_slot (rec, at, d);
  free (steal_pointer (&d));
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read + c.candidate_hits, 3);
  assert_int_equal (c.identity_hits, 1);
  reg_store_close (s);
}

/* Image file NAME, a new inode: LEN bytes of a pattern with byte AT set to
   X (none when AT >= LEN), MODE, and the mtime MTIME, as a copy of an
   image keeps it.  */
static void
write_img_pattern (struct fixture *f, const char *name, size_t len, size_t at, char x, mode_t mode,
                   const struct timespec *mtime)
{
  cleanup_free char *buf = xmalloc (len + 1);
  struct timespec times[2] = { *mtime, *mtime };

  assert_true (unlinkat (f->imgfd, name, 0) == 0 || errno == ENOENT);

  for (size_t i = 0; i < len; i++)
    buf[i] = (char)('a' + (i * 7) % 26);
  if (at < len)
    buf[at] = x;
  buf[len] = '\0';
  write_img (f, name, buf, mode);
  assert_int_equal (utimensat (f->imgfd, name, times, 0), 0);
}

/* A copy of a file (a new inode, the same size, mtime, mode, owner and
   bytes) is found equal to the object the first named: compared, not
   hashed.  A file that matches all of that but differs after its first
   page is hashed, and gets an object of its own; a candidate whose object
   is gone is hashed and made again.  */
/* Image file NAME added by a new handle *S (the old one closed), its
   counters in *C: the digest.  */
static char *
add_by_new_handle (struct fixture *f, struct reg_store **s, const char *name, struct reg_store_counters *c)
{
  char *digest;

  reg_store_close (*s);
  *s = open_store (f);
  digest = add_ok (*s, f, name);
  reg_store_get_counters (*s, c);
  return digest;
}

static void
test_candidate (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct timespec mtime = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *want = NULL, *rel = NULL, *obj = NULL;
  cleanup_free char *content = NULL;
  struct reg_store_counters c;
  size_t len = 0;

  write_img_pattern (f, "lib", 10000, 10000, 0, 0755, &mtime);
  d1 = add_ok (s, f, "lib");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.candidate_hits, 0);

  /* a copy */
  write_img_pattern (f, "lib", 10000, 10000, 0, 0755, &mtime);
  d2 = add_by_new_handle (f, &s, "lib", &c);
  assert_int_equal (c.identity_hits, 0);
  assert_int_equal (c.files_read, 0);
  assert_int_equal (c.candidate_hits, 1);
  assert_string_equal (d1, d2);

  /* what a helper process reads (reg_store_read_digest), taken as such */
  {
    cleanup_free char *d5 = NULL;
    char hex[REG_DIGEST_HEX_LEN + 1];
    reg_error_t err = NULL;
    struct reg_identity id;
    cleanup_close int fd = -1;
    bool compared = false;

    write_img_pattern (f, "lib", 10000, 10000, 0, 0755, &mtime);
    reg_store_close (s);
    s = open_store (f);
    fd = openat (f->imgfd, "lib", O_RDONLY | O_CLOEXEC);
    assert_true (fd >= 0);
    assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
    check_err (reg_store_read_digest (s, fd, &id, hex, &compared, &err), &err);
    assert_true (compared);
    assert_string_equal (hex, d1);
    check_err (reg_store_add_file_hashed (s, fd, &id, hex, compared, &d5, &err), &err);
    assert_string_equal (d5, d1);
    reg_store_get_counters (s, &c);
    assert_int_equal (c.candidate_hits, 1);
    assert_int_equal (c.files_read, 0);
  }

  /* the first content again, its candidate's object removed */
  write_img_pattern (f, "lib", 10000, 10000, 0, 0755, &mtime);
  rel = reg_store_object_rel (d1, 0);
  xasprintf (&obj, "%s/objects/%s", f->store, rel);
  assert_int_equal (unlink (obj), 0);
  d4 = add_by_new_handle (f, &s, "lib", &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.candidate_hits, 0);
  assert_string_equal (d1, d4);
  assert_int_equal (access (obj, F_OK), 0);

  /* the same size, mtime, mode, owner and first page; one byte after it
     differs */
  write_img_pattern (f, "lib", 10000, 8000, 'Z', 0755, &mtime);
  {
    char hex[REG_DIGEST_HEX_LEN + 1];
    reg_error_t err = NULL;
    struct reg_identity id;
    cleanup_close int fd = openat (f->imgfd, "lib", O_RDONLY | O_CLOEXEC);
    bool compared = true;

    assert_true (fd >= 0);
    assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
    check_err (reg_store_read_digest (s, fd, &id, hex, &compared, &err), &err);
    assert_false (compared);
    assert_string_not_equal (hex, d1);
  }
  d3 = add_by_new_handle (f, &s, "lib", &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.candidate_hits, 0);
  assert_string_not_equal (d1, d3);
  check_err (read_all_file_at (f->imgfd, "lib", 0, &content, &len, NULL), NULL);
  want = xmalloc (REG_DIGEST_HEX_LEN + 1);
  reg_store_digest_buffer (content, len, 0755, geteuid (), getegid (), want);
  assert_string_equal (d3, want);

  /* A difference in the first of three chunks: all of the file is still
     compared, so the time of a create does not tell how much of an
     object a crafted file matched.  */
  write_img_pattern (f, "big", 300000, 300000, 0, 0644, &mtime);
  free (add_ok (s, f, "big"));
  write_img_pattern (f, "big", 300000, 5000, 'Z', 0644, &mtime);
  free (add_by_new_handle (f, &s, "big", &c));
  assert_int_equal (c.candidate_hits, 0);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (c.bytes_compared, 300000);
  reg_store_close (s);
}

/* A file no longer than a page is read once, to its end, for its
   candidate key, and compared from there; the object must end where the
   file does.  */
static void
test_candidate_small (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct timespec mtime = { .tv_sec = 1700000000, .tv_nsec = 5 };
  const size_t sizes[] = { 0, 100, 4095, 4096 };
  struct reg_store_counters c;

  for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++)
    {
      cleanup_free char *d1 = NULL, *d2 = NULL;

      write_img_pattern (f, "small", sizes[i], sizes[i], 0, 0644, &mtime);
      d1 = add_ok (s, f, "small");
      write_img_pattern (f, "small", sizes[i], sizes[i], 0, 0644, &mtime);
      d2 = add_by_new_handle (f, &s, "small", &c);
      assert_int_equal (c.candidate_hits, 1);
      assert_int_equal (c.files_read, 0);
      assert_int_equal (c.bytes_compared, sizes[i]);
      assert_string_equal (d1, d2);
    }

  /* the object of a 100-byte file one byte longer (it was damaged): a copy
     of the file is not that object, and is hashed */
  {
    cleanup_free char *d1 = NULL, *d2 = NULL, *rel = NULL, *obj = NULL;
    cleanup_close int fd = -1;

    write_img_pattern (f, "small", 100, 100, 0, 0644, &mtime);
    d1 = add_ok (s, f, "small");
    rel = reg_store_object_rel (d1, 0);
    xasprintf (&obj, "%s/objects/%s", f->store, rel);
    fd = open (obj, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "x", 1), 1);
    write_img_pattern (f, "small", 100, 100, 0, 0644, &mtime);
    d2 = add_by_new_handle (f, &s, "small", &c);
    assert_int_equal (c.candidate_hits, 0);
    assert_int_equal (c.files_read, 1);
    assert_string_equal (d1, d2);
  }
  reg_store_close (s);
}

/* What goes into an environment is the file that was analysed: the
   closure keeps it open, and the stages after the analysis do not look
   its path up again (a file renamed over it meanwhile changes nothing).  */
static void
test_env_adds_analysed_file (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_closure *c = xmalloc0 (sizeof (*c));
  struct reg_manifest *m = reg_manifest_new ();
  struct reg_sources src = { 0 };
  struct reg_env_added added = { 0 };
  const struct reg_manifest_entry *e;
  char want[REG_DIGEST_HEX_LEN + 1];
  reg_error_t err = NULL;

  write_img (f, "conf", "analysed\n", 0644);
  write_img (f, "other", "renamed over it\n", 0644);
  check_err (reg_closure_add_path (f->imgfd, c, "/conf", "include", &err), &err);
  assert_int_equal (c->n, 1);
  assert_true (c->entries[0].fd >= 0);
  assert_int_equal (renameat (f->imgfd, "other", f->imgfd, "conf"), 0);
  check_err (reg_env_add_closure (s, f->imgfd, c, true, m, &src, &added, &err), &err);
  assert_int_equal (added.files, 1);
  e = reg_manifest_lookup (m, "conf");
  assert_non_null (e);
  reg_store_digest_buffer ("analysed\n", strlen ("analysed\n"), 0644, geteuid (), getegid (), want);
  assert_string_equal (e->digest, want);
  reg_sources_clear (&src);
  reg_manifest_free (m);
  reg_closure_free (c);
  reg_store_close (s);
}

/* Records of many files go to the table's 256 files, not to a new file
   (an inode) each: allocating inodes was half a new-copy create's CPU on
   ext4 without a journal.  Every record is found again.  */
static void
test_identity_table_no_inode_per_record (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_store_counters c;
  enum
  {
    N = 300
  };

  struct reg_identity img = fd_identity (f->imgfd);

  if (!reg_identity_trusted (&img))
    {
      fprintf (stderr, "skip: no unique mount ids on this kernel\n");
      reg_store_close (s);
      skip ();
    }
  for (int i = 0; i < N; i++)
    {
      char name[32], content[32];
      snprintf (name, sizeof name, "f%d", i);
      snprintf (content, sizeof content, "content %d", i);
      write_img (f, name, content, 0644);
      free (add_ok (s, f, name));
    }
  reg_store_close (s);
  assert_true (count_files (f->store, "cache/ids") <= 256);
  /* two ways a set: three of 300 files in one of 262,144 sets is all but
     impossible, and would cost one record */
  assert_true (count_identity_records (f->store) >= N - 1);
  s = open_store (f);
  for (int i = 0; i < N; i++)
    {
      char name[32];
      snprintf (name, sizeof name, "f%d", i);
      free (add_ok (s, f, name));
    }
  reg_store_get_counters (s, &c);
  assert_true (c.identity_hits >= N - 1);
  assert_true (c.files_read <= 1);
  reg_store_close (s);
}

/* The fds of this process open on a file of DIR.  */
static size_t
fds_into (const char *dir)
{
  cleanup_dir DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  size_t n = 0, len = strlen (dir);

  assert_non_null (d);
  while ((de = readdir (d)))
    {
      char link[PATH_MAX];
      ssize_t r = readlinkat (dirfd (d), de->d_name, link, sizeof (link) - 1);
      if (r <= 0)
        continue;
      link[r] = '\0';
      if (strncmp (link, dir, len) == 0 && link[len] == '/')
        n++;
    }
  return n;
}

/* A store handle opens each identity table once, not at every lookup and
   record (a create from a new copy of an image looks up and records one
   identity per file it hashes); under a low fd limit it keeps none open
   and still works.  */
static void
test_identity_tables_open_once (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *ids = NULL;
  struct rlimit was, low;
  struct reg_store *s;
  enum
  {
    N = 300
  };

  xasprintf (&ids, "%s/cache/ids", f->store);
  for (int i = 0; i < N; i++)
    {
      char name[32], content[32];
      snprintf (name, sizeof name, "f%d", i);
      snprintf (content, sizeof content, "content %d", i);
      write_img (f, name, content, 0644);
    }
  s = open_store (f);
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < N; i++)
      {
        char name[32];
        snprintf (name, sizeof name, "f%d", i);
        free (add_ok (s, f, name));
      }
  /* every table written is open, once */
  assert_true (count_files (f->store, "cache/ids") > 0);
  assert_int_equal (fds_into (ids), count_files (f->store, "cache/ids"));
  reg_store_close (s);
  assert_int_equal (fds_into (ids), 0);

  assert_int_equal (getrlimit (RLIMIT_NOFILE, &was), 0);
  low = was;
  low.rlim_cur = 64;
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
  s = open_store (f);
  for (int i = 0; i < N; i++)
    {
      char name[32];
      snprintf (name, sizeof name, "g%d", i);
      write_img (f, name, name, 0644);
      free (add_ok (s, f, name));
      assert_int_equal (fds_into (ids), 0);
    }
  reg_store_close (s);
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &was), 0);
}

/* The files of a closure that need reading are read by a helper process
   ahead of the create's own (reg-env.c), to the digests they have: new
   files hashed, a new copy of known files compared with their objects;
   files the identity cache knows start none, nor does a process with one
   CPU; no child is left behind.  */
static void
test_env_helper_hashes (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  struct reg_closure c = { 0 };
  reg_error_t err = NULL;
  enum
  {
    N = 64
  };
  char *contents[N];

  /* on a busy machine too (meson runs tests in parallel) */
  setenv ("REG_TEST_HELPER_ALWAYS", "1", 1);
  assert_int_equal (mkdirat (f->imgfd, "h", 0755), 0);
  c.entries = xmalloc0 (N * sizeof (*c.entries));
  for (int i = 0; i < N; i++)
    {
      char name[32];
      size_t len = i == N - 1 ? 300 * 1024 : 100 + (size_t)i;

      contents[i] = xmalloc (len + 1);
      for (size_t k = 0; k < len; k++)
        contents[i][k] = (char)('a' + (k * 7 + (size_t)i) % 26);
      contents[i][len] = '\0';
      snprintf (name, sizeof name, "h/f%d", i);
      write_img (f, name, contents[i], 0644);
      xasprintf (&c.entries[i].path, "/h/f%d", i);
      c.entries[i].kind = REG_CLOSURE_FILE;
      c.entries[i].fd = -1; /* opened by path */
    }
  c.n = N;
  for (int round = 0; round < 4; round++)
    {
      struct reg_manifest *m = reg_manifest_new ();
      cpu_set_t all_cpus, one_cpu;
      struct reg_sources src = { 0 };
      struct reg_env_added added = { 0 };
      struct reg_store_counters before, after;

      if (round == 3)
        {
          /* a new copy: new inodes, the bytes, mode, owner and mtime kept */
          setenv ("REG_TEST_HELPER_ALWAYS", "1", 1);
          for (int i = 0; i < N; i++)
            {
              char name[32];
              struct stat st;

              snprintf (name, sizeof name, "h/f%d", i);
              assert_int_equal (fstatat (f->imgfd, name, &st, 0), 0);
              assert_int_equal (unlinkat (f->imgfd, name, 0), 0);
              write_img (f, name, contents[i], 0644);
              assert_int_equal (utimensat (f->imgfd, name, (struct timespec[2]){ st.st_atim, st.st_mtim }, 0), 0);
            }
        }

      if (round == 2)
        {
          /* new files, and no CPU to spare: no helper */
          for (int i = 0; i < N; i++)
            {
              char name[32];
              contents[i][0] = 'Z';
              snprintf (name, sizeof name, "h/f%d", i);
              assert_int_equal (unlinkat (f->imgfd, name, 0), 0);
              write_img (f, name, contents[i], 0644);
            }
          unsetenv ("REG_TEST_HELPER_ALWAYS");
          assert_int_equal (sched_getaffinity (0, sizeof (all_cpus), &all_cpus), 0);
          CPU_ZERO (&one_cpu);
          for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
            if (CPU_ISSET (cpu, &all_cpus))
              {
                CPU_SET (cpu, &one_cpu);
                break;
              }
          assert_int_equal (sched_setaffinity (0, sizeof (one_cpu), &one_cpu), 0);
        }
      reg_store_get_counters (s, &before);
      check_err (reg_env_add_closure (s, f->imgfd, &c, true, m, &src, &added, &err), &err);
      reg_store_get_counters (s, &after);
      if (round == 2)
        assert_int_equal (sched_setaffinity (0, sizeof (all_cpus), &all_cpus), 0);
      print_message ("# round %d: %zu files, %zu read by the helper\n", round, added.files, added.helped);
      assert_int_equal (added.files, N);
      if (round == 0)
        assert_true (added.helped > 0);
      else if (round != 3)
        assert_int_equal (added.helped, 0); /* identity-cache hits, or one CPU: no helper */
      if (round == 3)
        {
          /* all compared, by the helper (how many depends on the machine's
             load: comparing is fast) or here; none hashed */
          assert_int_equal (after.candidate_hits - before.candidate_hits, N);
          assert_int_equal (after.files_read - before.files_read, 0);
        }
      {
        /* sorted by the serialisation, for lookups */
        cleanup_free char *data = NULL;
        size_t len;
        check_err (reg_manifest_serialize (m, &data, &len, &err), &err);
      }
      for (int i = 0; i < N; i++)
        {
          char name[32], want[REG_DIGEST_HEX_LEN + 1];
          const struct reg_manifest_entry *e;

          snprintf (name, sizeof name, "h/f%d", i);
          e = reg_manifest_lookup (m, name);
          assert_non_null (e);
          reg_store_digest_buffer (contents[i], strlen (contents[i]), 0644, geteuid (), getegid (), want);
          assert_string_equal (e->digest, want);
        }
      assert_int_equal (waitpid (-1, NULL, WNOHANG), -1);
      assert_int_equal (errno, ECHILD);
      check_err (reg_store_flush (s, &err), &err);
      reg_sources_clear (&src);
      reg_manifest_free (m);
    }
  for (int i = 0; i < N; i++)
    {
      free (contents[i]);
      free (c.entries[i].path);
    }
  free (c.entries);
  unsetenv ("REG_TEST_HELPER_ALWAYS");
  assert_check_clean (s);
  reg_store_close (s);
}

/* Pages of the image file resident in the page cache (mincore).  */
static size_t
resident_pages (int fd, size_t size)
{
  size_t pages = (size + 4095) / 4096, n = 0;
  unsigned char *vec = xmalloc (pages);
  void *map = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);

  assert_true (map != MAP_FAILED);
  assert_int_equal (mincore (map, size, vec), 0);
  for (size_t i = 0; i < pages; i++)
    n += vec[i] & 1;
  munmap (map, size);
  free (vec);
  return n;
}

/* Image file NAME of SIZE bytes C, just written (its pages dirty), open
   read-only.  */
static int
big_file (struct fixture *f, const char *name, char c, size_t size)
{
  cleanup_free char *content = xmalloc (size + 1);
  int fd;

  memset (content, c, size);
  content[size] = '\0';
  write_img (f, name, content, 0644);
  fd = openat (f->imgfd, name, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  return fd;
}

/* Hashing a file brings its pages into the page cache, where they stay
   although the container maps the store's object: dropped after.  */
static void
test_hashed_pages_dropped (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  size_t size = 1 << 20;
  cleanup_free char *d = NULL;
  cleanup_close int fd = big_file (f, "big", 'z', size);
  struct reg_identity id;
  reg_error_t err = NULL;
  char buf[65536];

  assert_int_equal (fsync (fd), 0);
  while (read (fd, buf, sizeof (buf)) > 0)
    ;
  assert_true (resident_pages (fd, size) > 0);
  id = fd_identity (fd);
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  assert_int_equal (resident_pages (fd, size), 0);
  reg_store_close (s);
}

/* Dirty pages of FD.  */
static uint64_t
dirty_pages (int fd)
{
  struct reg_cachestat cs;

  assert_int_equal (reg_cachestat (fd, &cs), 0);
  return cs.nr_dirty;
}

/* A file just written (a copy of an image made a moment ago) is left as
   it is: DONTNEED would drop none of its dirty pages and only start their
   writeback at once, in the middle of a start-up storm.  */
static void
test_dirty_pages_left_alone (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *d = NULL;
  cleanup_close int fd = big_file (f, "fresh", 'y', 1 << 20);
  struct reg_identity id;
  reg_error_t err = NULL;

  if (dirty_pages (fd) == 0)
    {
      fprintf (stderr, "skip: the fixture's file system keeps no dirty pages\n");
      reg_store_close (s);
      skip ();
    }
  id = fd_identity (fd);
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  check_err (reg_store_flush (s, &err), &err);
  /* the kernel writes dirty pages back after 30 s, not in this instant */
  assert_true (dirty_pages (fd) > 0);
  reg_store_close (s);
}

/* The environment cache's record of a key is rewritten in place too: a
   shorter one is padded (no block freed), and it still answers.  */
static void
test_env_record_in_place (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *env = NULL, *hit = NULL, *path = NULL;
  struct reg_source_identity src[2];
  struct stat first, second, third;
  char hex[REG_DIGEST_HEX_LEN + 1];
  struct reg_manifest *m;
  reg_error_t err = NULL;

  m = make_manifest (s, f, false);
  check_err (reg_store_env_get (s, m, &env, NULL, &err), &err);
  source_at (&src[0], f->imgfd, "a", "/a");
  source_at (&src[1], f->imgfd, "b", "/b");
  if (!reg_identity_trusted (&src[0].id))
    {
      fprintf (stderr, "skip: no unique mount ids on this kernel\n");
      skip ();
    }
  reg_sha256_hex ("k", 1, hex);
  xasprintf (&path, "%s/cache/envs/%.2s/%s", f->store, hex, hex + 2);
  check_err (reg_store_env_cache_put (s, "k", env, src, 2, &err), &err);
  assert_int_equal (stat (path, &first), 0);
  check_err (reg_store_env_cache_put (s, "k", env, src, 1, &err), &err);
  assert_int_equal (stat (path, &second), 0);
  assert_int_equal (second.st_ino, first.st_ino);
  assert_int_equal (second.st_size, first.st_size);
  assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 1);
  assert_string_equal (hit, env);
  free (steal_pointer (&hit));
  check_err (reg_store_env_cache_put (s, "k", env, src, 2, &err), &err);
  assert_int_equal (stat (path, &third), 0);
  assert_int_equal (third.st_ino, first.st_ino);
  assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 1);
  for (size_t i = 0; i < 2; i++)
    free (src[i].path);
  reg_manifest_free (m);
  reg_store_close (s);
}

/* What a cache may not trust.  An identity without a unique mount id (a
   kernel before 6.8) is never recorded nor answered for; a record of
   another boot (unique mount ids start again at each boot) is a miss; and
   an owner or mode other than recorded is another file, the rest equal.  */
static void
test_identity_untrusted (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *env = NULL, *hit = NULL, *d = NULL, *rec = NULL;
  struct reg_source_identity src[1];
  struct reg_store_counters c;
  struct reg_gc_result gc;
  struct reg_manifest *m;
  struct reg_identity id;
  reg_error_t err = NULL;
  cleanup_close int fd = -1;
  char *boot;
  off_t at;

  id = fd_identity (f->imgfd);
  if (!reg_identity_trusted (&id))
    {
      fprintf (stderr, "skip: no unique mount ids on this kernel\n");
      reg_store_close (s);
      skip ();
    }

  /* No mount id: read at every add, nothing recorded.  */
  write_img (f, "lib", "AAAA", 0644);
  fd = openat (f->imgfd, "lib", O_RDONLY | O_CLOEXEC);
  id = fd_identity (fd);
  id.mnt = 0;
  assert_false (reg_identity_trusted (&id));
  for (int i = 0; i < 2; i++)
    {
      free (d);
      check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
    }
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 2);
  assert_int_equal (count_identity_records (f->store), 0);

  /* Recorded, then the record said to be of another boot: read again.  */
  id = fd_identity (fd);
  free (d);
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  assert_int_equal (count_identity_records (f->store), 1);
  rec = identity_slot_path (f->store, &id, &at);
  flip_in_slot (rec, at, reg_boot_id ());
  free (d);
  check_err (reg_store_add_file (s, fd, &id, &d, NULL, &err), &err);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 4);
  assert_int_equal (c.identity_hits, 0);

  /* The environment cache: no record without mount ids; a record of
     another boot or of another owner or mode is a miss.  */
  m = make_manifest (s, f, false);
  check_err (reg_store_env_get (s, m, &env, NULL, &err), &err);
  source_at (&src[0], f->imgfd, "a", "/a");
  src[0].id.mnt = 0;
  check_err (reg_store_env_cache_put (s, "k", env, src, 1, &err), &err);
  assert_int_equal (count_files (f->store, "cache/envs"), 0);
  free (src[0].path);

  source_at (&src[0], f->imgfd, "a", "/a");
  check_err (reg_store_env_cache_put (s, "k", env, src, 1, &err), &err);
  assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 1);
  free (steal_pointer (&hit));
  {
    cleanup_free char *dir = NULL, *path = NULL, *rdata = NULL;
    char hex[REG_DIGEST_HEX_LEN + 1];
    size_t rlen;

    reg_sha256_hex ("k", 1, hex);
    xasprintf (&path, "%s/cache/envs/%.2s/%s", f->store, hex, hex + 2);
    check_err (read_all_file (path, 0, &rdata, &rlen, &err), &err);
    assert_non_null (boot = strstr (rdata, reg_boot_id ()));
    boot[0] = boot[0] == '0' ? '1' : '0';
    check_err (write_file (path, rdata, rlen, &err), &err);
    assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 0);
    /* and gc drops it, the environment (referenced) kept */
    check_err (reg_store_env_ref (s, env, "c1", &err), &err);
    check_err (reg_store_gc (s, &gc, &err), &err);
    assert_int_equal (count_files (f->store, "cache/envs"), 0);
    assert_int_equal (gc.envs_removed, 0);
  }
  free (src[0].path);
  for (int i = 0; i < 3; i++)
    {
      source_at (&src[0], f->imgfd, "a", "/a");
      check_err (reg_store_env_cache_put (s, "k", env, src, 1, &err), &err);
      assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 1);
      free (steal_pointer (&hit));
      if (i == 0)
        src[0].id.uid++;
      else if (i == 1)
        src[0].id.gid++;
      else
        src[0].id.mode ^= 0111;
      check_err (reg_store_env_cache_put (s, "k", env, src, 1, &err), &err);
      assert_int_equal (reg_store_env_cache_get (s, "k", f->imgfd, &hit, &err), 0);
      free (src[0].path);
    }
  reg_manifest_free (m);
  reg_store_close (s);
}

/* A sparse file's object has its holes: the blocks of its data, not of
   its length; its name is that of its whole content, zeros included; and
   check re-hashes it clean.  Also a file that is all hole, and one that
   ends in a hole.  A copy of each (a new inode) is only hashed, holes
   read as zeros, to the same name.  */
static void
test_sparse_object (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  const size_t size = 8 << 20;
  cleanup_free char *content = xmalloc0 (size);
  const struct
  {
    const char *name;
    size_t data[3]; /* where its 4096-byte runs of data are */
    size_t n;
  } files[] = {
    { "sparse", { 0, 4 << 20, (8 << 20) - 4096 }, 3 },
    { "hole", { 0 }, 0 },
    { "ends-in-hole", { 4096 }, 1 },
  };

  for (size_t i = 0; i < sizeof (files) / sizeof (files[0]); i++)
    {
      cleanup_free char *d = NULL;
      char want[REG_DIGEST_HEX_LEN + 1];
      struct stat src, obj;
      int fd;

      memset (content, 0, size);
      fd = openat (f->imgfd, files[i].name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      assert_true (fd >= 0);
      assert_int_equal (ftruncate (fd, (off_t)size), 0);
      for (size_t k = 0; k < files[i].n; k++)
        {
          memset (content + files[i].data[k], 'a' + (int)k, 4096);
          assert_int_equal (pwrite (fd, content + files[i].data[k], 4096, (off_t)files[i].data[k]), 4096);
        }
      assert_int_equal (fstat (fd, &src), 0);
      close (fd);

      d = add_ok (s, f, files[i].name);
      reg_store_digest_buffer (content, size, 0644, geteuid (), getegid (), want);
      assert_string_equal (d, want);
      stat_object (f, d, &obj);
      print_message ("# %s: %lld bytes, %lld blocks; object %lld blocks\n", files[i].name, (long long)src.st_size,
                     (long long)src.st_blocks, (long long)obj.st_blocks);
      assert_int_equal (obj.st_size, (off_t)size);
      assert_true (obj.st_blocks <= src.st_blocks + 16);

      {
        cleanup_free char *copy = NULL, *d2 = NULL;
        struct reg_store_counters before, after;

        xasprintf (&copy, "%s.copy", files[i].name);
        fd = openat (f->imgfd, copy, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true (fd >= 0);
        assert_int_equal (ftruncate (fd, (off_t)size), 0);
        for (size_t k = 0; k < files[i].n; k++)
          assert_int_equal (pwrite (fd, content + files[i].data[k], 4096, (off_t)files[i].data[k]), 4096);
        close (fd);
        reg_store_get_counters (s, &before);
        d2 = add_ok (s, f, copy);
        reg_store_get_counters (s, &after);
        assert_string_equal (d2, want);
        assert_int_equal (after.files_hashed_only, before.files_hashed_only + 1);
      }
    }
  assert_check_clean (s);
  reg_store_close (s);
}

/* A file larger than the store's max_object_size is not shared, and not
   even read (hashing costs its length, holes included); one of exactly
   that size is.  */
static void
test_size_limit (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *d = NULL;
  struct reg_store_counters c;

  assert_true (reg_store_max_object_size (s) == REG_STORE_DEFAULT_MAX_OBJECT_SIZE);
  reg_store_set_max_object_size (s, 4096);
  write_img (f, "edge", "", 0644);
  write_img (f, "big", "", 0644);
  assert_int_equal (truncate_at (f, "edge", 4096), 0);
  assert_int_equal (truncate_at (f, "big", 4097), 0);
  assert_int_equal (add_img (s, f, "big", NULL), REG_STORE_UNSHARED_SIZE);
  assert_string_equal (reg_store_unshared_reason (REG_STORE_UNSHARED_SIZE), "larger than the store's max_object_size");
  d = add_ok (s, f, "edge");
  reg_store_get_counters (s, &c);
  assert_int_equal (c.files_read, 1);
  assert_int_equal (count_files (f->store, "objects"), 1);
  assert_int_equal (count_entries (f->store, "tmp"), 0);
  reg_store_close (s);
}

/* check --since and --sample: only objects changed since (their ctime),
   a random sample of a given size; names and types of all are checked.  */
static void
test_check_some (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s = open_store (f);
  cleanup_free char *da = NULL, *db = NULL, *dc = NULL, *path = NULL, *junk = NULL;
  struct reg_check_result res;
  struct reg_check_options opts = { 0 };
  reg_error_t err = NULL;
  struct stat st;
  time_t before;
  int fd;

  write_img (f, "a", "content a", 0644);
  write_img (f, "b", "content b", 0644);
  write_img (f, "c", "content c", 0644);
  da = add_ok (s, f, "a");
  db = add_ok (s, f, "b");
  dc = add_ok (s, f, "c");

  /* a sample of 1, of 2, of more than there are */
  for (uint64_t n = 1; n <= 4; n++)
    {
      opts.sample = n;
      check_err (reg_store_check (s, &opts, &res, &err), &err);
      assert_int_equal (res.objects, n < 3 ? n : 3);
      assert_int_equal (res.skipped, n < 3 ? 3 - n : 0);
      assert_int_equal (res.n_problems, 0);
      reg_check_result_clear (&res);
    }
  opts.sample = 0;

  /* b changed after the others (a second later: ctimes are compared in
     seconds): only b is checked, and found.  */
  before = time (NULL);
  while (time (NULL) == before)
    usleep (50000);
  xasprintf (&path, "%s/objects/%.2s/%s", f->store, db, db + 2);
  assert_int_equal (chmod (path, 0644), 0);
  fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
  assert_true (fd >= 0 && write (fd, "x", 1) == 1);
  close (fd);
  assert_int_equal (stat (path, &st), 0);
  opts.since = st.st_ctim.tv_sec;
  check_err (reg_store_check (s, &opts, &res, &err), &err);
  assert_int_equal (res.objects, 1);
  assert_int_equal (res.skipped, 2);
  assert_int_equal (res.n_problems, 1);
  assert_non_null (strstr (res.problems[0].object, db + 2));
  reg_check_result_clear (&res);

  /* nothing changed since a time to come: nothing hashed, but a file that
     is no object is still named */
  xasprintf (&junk, "%s/objects/%.2s/junk", f->store, da);
  check_err (write_file (junk, "j", 1, &err), &err);
  opts.since = time (NULL) + 3600;
  check_err (reg_store_check (s, &opts, &res, &err), &err);
  assert_int_equal (res.objects, 0);
  assert_int_equal (res.skipped, 3);
  assert_int_equal (res.n_problems, 1);
  assert_string_equal (res.problems[0].problem, "not an object name");
  reg_check_result_clear (&res);
  reg_store_close (s);
}

/* --- the link limit ----------------------------------------------------- */

/* More links than the file system allows to one inode: the environment
   links copies.  Only where the limit is small enough to reach quickly
   (ext4: 65000).  */
static void
test_link_limit (void **state)
{
  struct fixture *f = *state;
  struct reg_store *s;
  struct reg_manifest *m;
  cleanup_free char *d = NULL, *root = NULL, *p0 = NULL, *plast = NULL;
  struct reg_store_counters c;
  reg_error_t err = NULL;
  long max = pathconf (f->dir, _PC_LINK_MAX);
  struct stat a, b;
  long n;

  if (max <= 0 || max > 70000)
    {
      fprintf (stderr, "skip: the link limit here is %ld, too large to reach in a unit test\n", max);
      skip ();
    }
  s = open_store (f);
  m = reg_manifest_new ();
  write_img (f, "many", "linked many times", 0644);
  d = add_ok (s, f, "many");
  n = max + 10;
  for (long i = 0; i < n; i++)
    {
      char path[32];
      snprintf (path, sizeof (path), "d%ld/f%ld", i % 64, i);
      check_err (reg_manifest_add_file (m, path, d, 0644, geteuid (), getegid (), &err), &err);
    }
  check_err (reg_store_env_get (s, m, NULL, &root, &err), &err);
  reg_store_get_counters (s, &c);
  assert_int_equal (c.link_copies, 1);
  assert_int_equal (count_files (f->store, "objects"), 2);
  xasprintf (&p0, "%s/d0/f0", root);
  /* Linked in manifest order: the last entry got the copy.  */
  xasprintf (&plast, "%s/%s", root, m->entries[m->n - 1].path);
  assert_int_equal (lstat (p0, &a), 0);
  assert_int_equal (lstat (plast, &b), 0);
  assert_int_not_equal (a.st_ino, b.st_ino);
  assert_int_equal (b.st_mode & 07777, 0644);
  assert_check_clean (s);
  reg_manifest_free (m);
  reg_store_close (s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_digest_encoding, setup, teardown),
    cmocka_unit_test_setup_teardown (test_object_keeps_mtime, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dedup, setup, teardown),
    cmocka_unit_test_setup_teardown (test_publish_batched, setup, teardown),
    cmocka_unit_test_setup_teardown (test_add_error_leaves_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_cache, setup, teardown),
    cmocka_unit_test_setup_teardown (test_setid_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_xattr_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_owner, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_build_reuse, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_image_record, setup, teardown),
    cmocka_unit_test_setup_teardown (test_manifest_roundtrip_and_errors, setup, teardown),
    cmocka_unit_test (test_manifest_parse_bounds),
    cmocka_unit_test_setup_teardown (test_refs_gc, setup, teardown),
    cmocka_unit_test_setup_teardown (test_check_corrupt, setup, teardown),
    cmocka_unit_test_setup_teardown (test_crash_at_each_step, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_creates, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_cache, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_cache_dirs, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_names_instance_and_owner, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_cache_names_instance_and_owner, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_untrusted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_record_in_place, setup, teardown),
    cmocka_unit_test_setup_teardown (test_candidate, setup, teardown),
    cmocka_unit_test_setup_teardown (test_candidate_small, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_table_no_inode_per_record, setup, teardown),
    cmocka_unit_test_setup_teardown (test_identity_tables_open_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_helper_hashes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_adds_analysed_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dirty_pages_left_alone, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_record_in_place, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hashed_pages_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sparse_object, setup, teardown),
    cmocka_unit_test_setup_teardown (test_size_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_check_some, setup, teardown),
    cmocka_unit_test_setup_teardown (test_link_limit, setup, teardown),
  };
  return cmocka_run_group_tests_name ("store", tests, NULL, NULL);
}
