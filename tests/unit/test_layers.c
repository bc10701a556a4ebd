/* Unit tests of the layers of an overlay rootfs (libreg/reg-layers.c) and
 * of the store keyed on them.  Mounting overlays needs root: without it
 * every test skips.  The tests run in a mount namespace of their own, so a
 * failed test leaves no mount on the host.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "reg-layers.h"
#include "reg-store.h"
#include "utils.h"

struct fixture
{
  char *dir;
  unsigned n; /* overlays made */
};

static bool can_mount;

static void
check_err (int ret, reg_error_t *err)
{
  if (ret < 0)
    fail_msg ("error: %s", (*err)->msg);
}

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));
  const char *base = getenv ("TMPDIR");

  xasprintf (&f->dir, "%s/reg-layers-test.XXXXXX", base && *base ? base : "/tmp");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  reg_error_t err = NULL;

  /* The overlays go with the namespace's mounts under DIR.  */
  for (unsigned i = 1; i <= f->n; i++)
    {
      cleanup_free char *m = NULL;
      xasprintf (&m, "%s/ov%u/merged", f->dir, i);
      umount2 (m, MNT_DETACH);
    }
  if (remove_tree_at (AT_FDCWD, f->dir, &err) < 0)
    {
      fprintf (stderr, "cleanup: %s\n", err->msg);
      reg_error_release (&err);
    }
  free (f->dir);
  free (f);
  return 0;
}

static char *
fpath (struct fixture *f, const char *rel)
{
  char *p = NULL;
  xasprintf (&p, "%s/%s", f->dir, rel);
  return p;
}

static void
write_at (struct fixture *f, const char *rel, const char *content)
{
  cleanup_free char *p = fpath (f, rel);
  cleanup_free char *dir = xstrdup (p);
  reg_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  check_err (mkdir_p_at (AT_FDCWD, dir, 0755, &err), &err);
  check_err (write_file (p, content, strlen (content), &err), &err);
}

/* A new overlay of LOWERS ("a:b", top first, relative to DIR) with an
   empty upper layer of its own (UPPER_FILE, if not NULL, is put there
   first); an fd of its root.  */
static int
overlay (struct fixture *f, const char *lowers, const char *upper_file, const char *extra)
{
  cleanup_free char *d = NULL, *opts = NULL, *lower = NULL, *merged = NULL;
  reg_error_t err = NULL;
  char *save = NULL;
  cleanup_free char *copy = xstrdup (lowers);

  xasprintf (&d, "%s/ov%u", f->dir, ++f->n);
  for (const char *sub = "upper"; sub; sub = strcmp (sub, "upper") == 0  ? "work"
                                             : strcmp (sub, "work") == 0 ? "merged"
                                                                         : NULL)
    {
      cleanup_free char *p = NULL;
      xasprintf (&p, "%s/%s", d, sub);
      check_err (mkdir_p_at (AT_FDCWD, p, 0755, &err), &err);
    }
  if (upper_file)
    {
      cleanup_free char *rel = NULL;
      xasprintf (&rel, "ov%u/upper/%s", f->n, upper_file);
      write_at (f, rel, "upper's own");
    }
  lower = xstrdup ("");
  for (char *l = strtok_r (copy, ":", &save); l; l = strtok_r (NULL, ":", &save))
    {
      char *next = NULL;
      xasprintf (&next, "%s%s%s/%s", lower, *lower ? ":" : "", f->dir, l);
      free (lower);
      lower = next;
    }
  xasprintf (&opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s%s", lower, d, d, extra ? "," : "",
             extra ? extra : "");
  xasprintf (&merged, "%s/merged", d);
  if (mount ("overlay", merged, "overlay", 0, opts) < 0)
    fail_msg ("mount overlay %s: %s", opts, strerror (errno));
  return open (merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool
skip_unless_mount (void)
{
  if (can_mount)
    return false;
  fprintf (stderr, "skip: needs root (overlay mounts in a mount namespace of its own)\n");
  return true;
}

/* The lower-layer file of ROOTFD/REL through L: its fd (or -1) and
   identity.  */
static int
lower_of (struct reg_layers *l, int rootfd, const char *rel, struct reg_identity *lid)
{
  cleanup_close int fd = openat (rootfd, rel, O_RDONLY | O_CLOEXEC);
  struct reg_identity id;
  int lfd = -1;

  assert_true (fd >= 0);
  assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
  if (reg_layers_lower_file (l, fd, &id, &lfd, lid) < 0)
    return -1;
  return lfd;
}

static struct reg_identity
identity_of (struct fixture *f, const char *rel)
{
  cleanup_free char *p = fpath (f, rel);
  struct reg_identity id;
  assert_int_equal (reg_identity_at (AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, &id, NULL), 0);
  return id;
}

/* A file of a lower layer is that layer file, in every overlay of it;
   the top layer's file hides a lower one's.  */
static void
test_lower_file (void **state)
{
  struct fixture *f = *state;
  struct reg_layers *l1, *l2;
  struct reg_identity a, b, want;
  cleanup_close int r1 = -1, r2 = -1;
  int fd;

  if (skip_unless_mount ())
    skip ();
  write_at (f, "bottom/usr/lib/libx.so", "bottom x");
  write_at (f, "bottom/usr/lib/liby.so", "bottom y");
  write_at (f, "top/usr/lib/libx.so", "top x");
  r1 = overlay (f, "top:bottom", NULL, NULL);
  r2 = overlay (f, "top:bottom", NULL, NULL);
  l1 = reg_layers_of_root (r1);
  l2 = reg_layers_of_root (r2);
  assert_non_null (l1);
  assert_non_null (l2);

  fd = lower_of (l1, r1, "usr/lib/libx.so", &a);
  assert_true (fd >= 0);
  close (fd);
  want = identity_of (f, "top/usr/lib/libx.so");
  assert_int_equal (reg_identity_cmp (&a, &want), 0);
  fd = lower_of (l2, r2, "usr/lib/libx.so", &b);
  assert_true (fd >= 0);
  close (fd);
  assert_int_equal (reg_identity_cmp (&a, &b), 0);

  fd = lower_of (l2, r2, "usr/lib/liby.so", &b);
  assert_true (fd >= 0);
  close (fd);
  want = identity_of (f, "bottom/usr/lib/liby.so");
  assert_int_equal (reg_identity_cmp (&b, &want), 0);

  /* a file of one overlay is nothing to the other's layers */
  {
    cleanup_close int other = openat (r1, "usr/lib/liby.so", O_RDONLY | O_CLOEXEC);
    struct reg_identity id;
    int lfd = -1;
    assert_int_equal (reg_identity_at (other, "", AT_EMPTY_PATH, &id, NULL), 0);
    assert_int_equal (reg_layers_lower_file (l2, other, &id, &lfd, &b), -1);
  }
  reg_layers_free (l1);
  reg_layers_free (l2);
}

/* The container's own files are no layer's: one the engine put in the
   upper layer, one copied up by a write, one under overlay metadata.  */
static void
test_upper_and_copied_up (void **state)
{
  struct fixture *f = *state;
  struct reg_layers *l;
  struct reg_identity id;
  cleanup_close int r = -1;
  reg_error_t err = NULL;

  if (skip_unless_mount ())
    skip ();
  write_at (f, "img/etc/own", "image's");
  write_at (f, "img/etc/written", "image's");
  write_at (f, "img/etc/touched", "image's");
  write_at (f, "img/etc/meta", "image's");
  write_at (f, "img/etc/kept", "image's");
  {
    cleanup_free char *p = fpath (f, "img/etc/meta");
    /* what a redirect or metacopy looks like to a userxattr overlay */
    if (setxattr (p, "user.overlay.metacopy", "", 0, 0) < 0)
      fprintf (stderr, "no user xattrs here (%s): that part is not tested\n", strerror (errno));
  }
  r = overlay (f, "img", "etc/own", NULL);
  l = reg_layers_of_root (r);
  assert_non_null (l);
  check_err (write_file_at (r, "etc/written", "changed", 7, &err), &err);
  {
    /* a copy-up that keeps the content, size and mtime: its ctime is new */
    cleanup_close int fd = openat (r, "etc/touched", O_WRONLY | O_CLOEXEC);
    assert_true (fd >= 0);
    assert_int_equal (fchmod (fd, 0644), 0);
  }
  assert_int_equal (lower_of (l, r, "etc/own", &id), -1);
  assert_int_equal (lower_of (l, r, "etc/written", &id), -1);
  assert_int_equal (lower_of (l, r, "etc/touched", &id), -1);
  assert_int_equal (lower_of (l, r, "etc/meta", &id), -1);
  {
    int fd = lower_of (l, r, "etc/kept", &id);
    assert_true (fd >= 0);
    close (fd);
  }
  reg_layers_free (l);
}

/* No mapping where the layers cannot be checked: not an overlay, layers
   on two file systems, a directory below an overlay's root.  */
static void
test_no_layers (void **state)
{
  struct fixture *f = *state;
  cleanup_close int plain = -1, r = -1, sub = -1;
  cleanup_free char *tmpfs = fpath (f, "tmpfs");

  if (skip_unless_mount ())
    skip ();
  write_at (f, "img/d/a", "a");
  plain = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_null (reg_layers_of_root (plain));
  r = overlay (f, "img", NULL, NULL);
  sub = openat (r, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (sub >= 0);
  assert_null (reg_layers_of_root (sub));
  close (steal_fd (&r));

  /* a lower layer on a tmpfs, the upper on the test's file system */
  assert_int_equal (mkdir (tmpfs, 0755), 0);
  assert_int_equal (mount ("tmpfs", tmpfs, "tmpfs", 0, NULL), 0);
  write_at (f, "tmpfs/b", "b");
  r = overlay (f, "tmpfs", NULL, NULL);
  assert_null (reg_layers_of_root (r));
  umount2 (tmpfs, MNT_DETACH);
}

/* The store keyed on the layer file: the second overlay of a layer hashes
   nothing, and its file gets the first one's object.  */
static void
test_store_second_overlay (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *store_dir = fpath (f, "store");
  cleanup_free char *d1 = NULL, *d2 = NULL;
  reg_error_t err = NULL;
  struct reg_store_counters c;

  if (skip_unless_mount ())
    skip ();
  write_at (f, "img/usr/lib/libz.so", "zzzz");
  for (int i = 0; i < 2; i++)
    {
      cleanup_close int r = overlay (f, "img", NULL, NULL);
      cleanup_close int fd = openat (r, "usr/lib/libz.so", O_RDONLY | O_CLOEXEC);
      struct reg_layers *l = reg_layers_of_root (r);
      struct reg_store *s = NULL;
      struct reg_identity id;

      assert_non_null (l);
      check_err (reg_store_open (store_dir, &s, &err), &err);
      reg_store_set_layers (s, l);
      assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
      check_err (reg_store_add_file (s, fd, &id, i ? &d2 : &d1, NULL, &err), &err);
      reg_store_get_counters (s, &c);
      assert_int_equal (c.layer_files, 1);
      assert_int_equal (c.files_read, i ? 0 : 1);
      assert_int_equal (c.identity_hits, i ? 1 : 0);
      reg_store_close (s);
      reg_layers_free (l);
    }
  assert_string_equal (d1, d2);
}

/* The sources of an environment as an overlay shows them (SRC[3]: "/",
   /usr/lib, /usr/lib/libz.so).  */
static void
overlay_sources (int rootfd, struct reg_source_identity *src)
{
  static const char *const paths[] = { "/", "/usr/lib", "/usr/lib/libz.so" };

  for (size_t i = 0; i < 3; i++)
    {
      struct reg_identity id;
      cleanup_close int fd = openat (rootfd, i ? paths[i] + 1 : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
      assert_true (fd >= 0);
      assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
      reg_source_identity_set (&src[i], paths[i], &id);
    }
}

/* A store at STORE_DIR with one environment (*ENV: a directory usr), and
   the image layer img with usr/lib/libz.so.  */
static struct reg_store *
store_with_env (struct fixture *f, const char *store_dir, char **env)
{
  struct reg_manifest *m = reg_manifest_new ();
  struct reg_store *s = NULL;
  reg_error_t err = NULL;

  write_at (f, "img/usr/lib/libz.so", "zzzz");
  check_err (reg_store_open (store_dir, &s, &err), &err);
  check_err (reg_manifest_add_dir (m, "usr", 0755, geteuid (), getegid (), &err), &err);
  check_err (reg_store_env_get (s, m, env, NULL, &err), &err);
  reg_manifest_free (m);
  return s;
}

/* The environment cache of an overlay root, keyed on its layers: a record
   written through one container's overlay holds in the next one's; a
   changed layer file, or a file of the container's own upper layer in a
   source directory, is a miss.  */
static void
test_env_cache_across_overlays (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *store_dir = fpath (f, "store");
  cleanup_free char *env = NULL;
  struct reg_source_identity src[3];
  struct reg_store *s;
  reg_error_t err = NULL;

  if (skip_unless_mount ())
    skip ();
  s = store_with_env (f, store_dir, &env);

  for (int round = 0; round < 5; round++)
    {
      cleanup_close int r = overlay (f, "img", round == 3 ? "usr/lib/own.so" : NULL, NULL);
      struct reg_layers *l = reg_layers_of_root (r);
      cleanup_free char *hit = NULL;
      int want = round == 1 || round == 2;

      assert_non_null (l);
      reg_store_set_layers (s, l);
      if (round == 4)
        {
          /* the layer's file changed (its ctime moves) */
          cleanup_free char *p = fpath (f, "img/usr/lib/libz.so");
          assert_int_equal (chmod (p, 0600), 0);
        }
      if (round > 0)
        assert_int_equal (reg_store_env_cache_get (s, "layers", r, &hit, &err), want);
      if (round == 0)
        {
          overlay_sources (r, src);
          check_err (reg_store_env_cache_put (s, "layers", env, src, 3, &err), &err);
          for (size_t i = 0; i < 3; i++)
            free (src[i].path);
        }
      reg_store_set_layers (s, NULL);
      reg_layers_free (l);
    }
  reg_store_close (s);
}

/* A lower layer's file is checked in the layers, not through the overlay:
   it holds while the upper layer has nothing under the path's first
   component and no layer above has the path; otherwise the caller is
   sent to the overlay.  */
static void
test_check_layer_entry (void **state)
{
  struct fixture *f = *state;
  struct reg_identity lid, id;
  size_t layer;

  if (skip_unless_mount ())
    skip ();
  write_at (f, "img/usr/lib/libz.so", "zzzz");
  write_at (f, "top/etc/motd", "hi");
  for (int round = 0; round < 5; round++)
    {
      cleanup_close int r = overlay (f, "top:img", round == 1 ? "etc/hosts" : round == 2 ? "usr/own" : NULL, NULL);
      struct reg_layers *l = reg_layers_of_root (r);
      int want = round <= 1 ? 0 : -1;

      assert_non_null (l);
      if (round == 0)
        {
          assert_int_equal (reg_identity_at (r, "usr/lib/libz.so", AT_SYMLINK_NOFOLLOW, &id, NULL), 0);
          assert_int_equal (reg_layers_lower_entry (l, "/usr/lib/libz.so", &id, &layer, &lid), 0);
          assert_int_equal (layer, 1);
        }
      if (round == 3)
        /* the host's change to a layer above */
        write_at (f, "top/usr/lib/libz.so", "not z");
      if (round == 4)
        {
          cleanup_free char *p = fpath (f, "top/usr/lib/libz.so");
          assert_int_equal (unlink (p), 0);
          p = (free (p), fpath (f, "img/usr/lib/libz.so"));
          assert_int_equal (chmod (p, 0600), 0); /* its ctime moves */
        }
      /* twice: the second answer comes from what the first asked */
      assert_int_equal (reg_layers_check_layer_entry (l, "/usr/lib/libz.so", layer, &lid), want);
      assert_int_equal (reg_layers_check_layer_entry (l, "/usr/lib/libz.so", layer, &lid), want);
      assert_int_equal (reg_layers_check_layer_entry (l, "/usr/lib/libz.so", layer + 1, &lid), -1);
      reg_layers_free (l);
    }
}

/* The first line of a record under STORE/cache/envs of KIND ("D "...).  */
static bool
record_has_line (const char *store, const char *kind)
{
  cleanup_free char *cmd = NULL;
  FILE *p;
  int found;

  xasprintf (&cmd, "grep -rqs '^%s' '%s/cache/envs'", kind, store);
  p = popen (cmd, "r");
  assert_non_null (p);
  found = pclose (p);
  return found == 0;
}

/* A directory source of an overlay root is recorded with what each lower
   layer has there ("D" line), checked without listing it through the
   overlay: a hit in the next container; a miss once a layer's directory
   gains an entry (listed through the overlay then, it has a new name).  */
static void
test_env_cache_dir_by_layers (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *store_dir = fpath (f, "store");
  cleanup_free char *env = NULL;
  struct reg_store *s;
  reg_error_t err = NULL;

  if (skip_unless_mount ())
    skip ();
  s = store_with_env (f, store_dir, &env);

  for (int round = 0; round < 3; round++)
    {
      cleanup_close int r = overlay (f, "img", NULL, NULL);
      struct reg_layers *l = reg_layers_of_root (r);
      cleanup_free char *hit = NULL;

      assert_non_null (l);
      reg_store_set_layers (s, l);
      if (round == 0)
        {
          struct reg_source_identity src;
          struct reg_identity id;

          assert_int_equal (reg_identity_at (r, "usr/lib", AT_SYMLINK_NOFOLLOW, &id, NULL), 0);
          reg_source_identity_set (&src, "/usr/lib", &id);
          check_err (reg_store_env_cache_put (s, "dirs", env, &src, 1, &err), &err);
          free (src.path);
          assert_true (record_has_line (store_dir, "D "));
        }
      if (round == 2)
        write_at (f, "img/usr/lib/new.so", "new");
      if (round > 0)
        assert_int_equal (reg_store_env_cache_get (s, "dirs", r, &hit, &err), round == 1);
      reg_store_set_layers (s, NULL);
      reg_layers_free (l);
    }
  reg_store_close (s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_lower_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_upper_and_copied_up, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_layers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_store_second_overlay, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_cache_across_overlays, setup, teardown),
    cmocka_unit_test_setup_teardown (test_check_layer_entry, setup, teardown),
    cmocka_unit_test_setup_teardown (test_env_cache_dir_by_layers, setup, teardown),
  };

  /* Mounts of our own, private to this process.  */
  can_mount = geteuid () == 0 && unshare (CLONE_NEWNS) == 0 && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
  return cmocka_run_group_tests (tests, NULL, NULL);
}
