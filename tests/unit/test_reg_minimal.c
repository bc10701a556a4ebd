/* Unit tests of REG minimal and learn modes: the environment a minimal
 * container gets (closure, default files, includes, mount points,
 * profile), its cache, the plan's layers, and the fanotify recorder.
 *
 * The store gives objects the image files' owners, environments get
 * directories of owner 0 and the recorder needs fanotify and mount: run
 * without root, the tests make themselves root of a user namespace of
 * their own (fx_enter_user_namespace), where the code runs as rootless
 * reg-runc runs it, and skip only where the host allows no such namespace.  */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci-spec.h"
#include "reg-learn.h"
#include "reg-minimal.h"
#include "reg-store.h"
#include "reg.h"
#include "rootfs-fixture.h"
#include "utils.h"

static char store_dir[64];
static char state_root[64];
/* Why this process is not root, not even of a user namespace; NULL when it is.  */
static const char *no_root;

static int
setup (void **state)
{
  (void)state;
  strcpy (store_dir, "/tmp/reg-minimal-store-XXXXXX");
  assert_non_null (mkdtemp (store_dir));
  strcpy (state_root, "/tmp/reg-minimal-state-XXXXXX");
  assert_non_null (mkdtemp (state_root));
  return 0;
}

static int
teardown (void **state)
{
  reg_error_t err = NULL;
  (void)state;
  fx_free_all ();
  if (remove_tree_at (AT_FDCWD, store_dir, &err) < 0)
    reg_error_release (&err);
  if (remove_tree_at (AT_FDCWD, state_root, &err) < 0)
    reg_error_release (&err);
  return 0;
}

static bool
skip_unless_root (void)
{
  if (no_root == NULL)
    return false;
  TEST_SKIP ("needs root, at least of a user namespace: %s", no_root);
  return true;
}

/* A config running ARG0 with MODE and the extra annotations ANN (JSON
   members, may be ""), the usual mounts and the EXTRA ones (JSON objects
   after a comma, may be ""), root.readonly READONLY.  */
static oci_config *
config_with (const char *mode, const char *arg0, const char *ann, bool readonly, const char *extra)
{
  cleanup_free char *json = NULL;
  oci_config *c = NULL;
  reg_error_t err = NULL;

  xasprintf (&json,
             "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":%s},"
             "\"process\":{\"args\":[\"%s\",\"-l\"],\"cwd\":\"/\","
             "\"env\":[\"PATH=/usr/bin:/bin\"],\"user\":{\"uid\":0,\"gid\":0}},"
             "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
             "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
             "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\"},"
             "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"},"
             "{\"destination\":\"/run/secrets/token\",\"type\":\"bind\",\"source\":\"/etc/hostname\","
             "\"options\":[\"rbind\",\"ro\"]}%s],"
             "\"annotations\":{\"run.reg.mode\":\"%s\"%s%s}}",
             readonly ? "true" : "false", arg0, extra, mode, *ann ? "," : "", ann);
  if (oci_config_parse (json, strlen (json), "config.json", &c, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return c;
}

static oci_config *
config_for (const char *mode, const char *arg0, const char *ann, bool readonly)
{
  return config_with (mode, arg0, ann, readonly, "");
}

static struct reg_options
options_for (const char *name, char **state_dir)
{
  struct reg_options o = { .store_root = store_dir, .default_mode = "off" };
  xasprintf (state_dir, "%s/%s", state_root, name);
  mkdir (*state_dir, 0700);
  o.container_id = name;
  o.state_dir = *state_dir;
  return o;
}

/* The image the tests run: ls and sh with their libraries, the default
   files, a zoneinfo link, certificates, data to include.  */
static struct fixture *
image (void)
{
  struct fixture *f = fx_base ();
  fx_text (f, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
  fx_text (f, "/etc/group", "root:x:0:\n", 0644);
  fx_text (f, "/etc/hosts", "127.0.0.1 localhost\n", 0644);
  fx_text (f, "/etc/os-release", "ID=fixture\n", 0644);
  fx_text (f, "/usr/share/zoneinfo/Etc/UTC", "TZif2-fixture\n", 0644);
  fx_symlink (f, "/etc/localtime", "../usr/share/zoneinfo/Etc/UTC");
  fx_text (f, "/usr/share/ca-certificates/mozilla/A.crt", "-----BEGIN CERTIFICATE-----\n", 0644);
  fx_mkdirs (f, "/etc/ssl/certs");
  fx_symlink (f, "/etc/ssl/certs/A.pem", "/usr/share/ca-certificates/mozilla/A.crt");
  fx_text (f, "/opt/app/data.txt", "data\n", 0640);
  fx_text (f, "/opt/app/other.txt", "other\n", 0644);
  fx_text (f, "/srv/www/index.html", "<p>hi</p>\n", 0644);
  fx_text (f, "/srv/www/sub/page.html", "<p>page</p>\n", 0644);
  fx_text (f, "/usr/lib/py/a.py", "a\n", 0644);
  fx_text (f, "/usr/lib/py/b.py", "b\n", 0644);
  fx_text (f, "/usr/lib/py/c.txt", "c\n", 0644);
  fx_text (f, "/not-included", "x\n", 0644);
  fx_mkdirs (f, "/var/empty-dir");
  xsystem ("chmod 0750 %s/srv/www/sub && chown 1:2 %s/srv/www/sub", f->dir, f->dir);
  return f;
}

static struct reg_plan *
prepare (struct fixture *f, const struct reg_options *o, oci_config *c)
{
  struct reg_plan *plan = NULL;
  reg_error_t err = NULL;

  if (reg_phase_prepare (o, c, f->rootfd, &plan, &err) < 0)
    fail_msg ("prepare: %s", err->msg);
  assert_non_null (plan);
  return plan;
}

static char *
in_env (const struct reg_plan *p, const char *path)
{
  char *s = NULL;
  xasprintf (&s, "%s%s", p->lower_dir, path);
  return s;
}

static bool
env_has (const struct reg_plan *p, const char *path, mode_t type)
{
  cleanup_free char *s = in_env (p, path);
  struct stat st;
  return lstat (s, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static mode_t
env_mode (const struct reg_plan *p, const char *path)
{
  cleanup_free char *s = in_env (p, path);
  struct stat st;
  assert_int_equal (lstat (s, &st), 0);
  return st.st_mode & 07777;
}

static void
test_minimal_contents (void **state)
{
  struct fixture *f;
  oci_config *c;
  cleanup_free char *sd = NULL;
  struct reg_options o = options_for ("contents", &sd);
  struct reg_plan *p;
  struct stat st;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  c = config_for ("minimal", "ls", "\"run.reg.include\":\"/opt/app/data.txt, /srv/www,/usr/lib/py/*.py,/missing/file\"",
                  false);
  p = prepare (f, &o, c);
  assert_int_equal (p->mode, REG_MODE_MINIMAL);
  assert_non_null (p->env_id);
  assert_int_equal (p->n_binds, 0);
  assert_true (has_prefix (p->lower_dir, store_dir));

  /* The closure: the program, its libraries, the loader.  */
  assert_true (env_has (p, "/usr/bin/ls", S_IFREG) || env_has (p, "/bin/ls", S_IFREG));
  {
    cleanup_free char *libc = NULL;
    struct stat img;
    xsystem ("test -n \"$(find %s -name 'libc.so.6' | head -1)\"", p->lower_dir);
    /* Every file is a hard link to a store object, not the image's.  */
    libc = in_env (p, "/lib/x86_64-linux-gnu/libc.so.6");
    if (lstat (libc, &st) == 0)
      {
        cleanup_free char *ip = fx_path (f, "/lib/x86_64-linux-gnu/libc.so.6");
        assert_true (st.st_nlink >= 2);
        assert_int_equal (stat (ip, &img), 0);
        assert_false (img.st_ino == st.st_ino && img.st_dev == st.st_dev);
      }
  }
  /* The default files, symlinks kept as symlinks.  */
  assert_true (env_has (p, "/etc/passwd", S_IFREG));
  assert_true (env_has (p, "/etc/group", S_IFREG));
  assert_true (env_has (p, "/etc/hosts", S_IFREG));
  assert_true (env_has (p, "/etc/os-release", S_IFREG));
  assert_true (env_has (p, "/etc/ld.so.cache", S_IFREG));
  assert_true (env_has (p, "/etc/localtime", S_IFLNK));
  assert_true (env_has (p, "/usr/share/zoneinfo/Etc/UTC", S_IFREG));
  assert_true (env_has (p, "/etc/ssl/certs/A.pem", S_IFLNK));
  assert_true (env_has (p, "/usr/share/ca-certificates/mozilla/A.crt", S_IFREG));
  /* Includes: a file (its mode kept), a directory tree (modes and owners
     kept), a glob.  */
  assert_true (env_has (p, "/opt/app/data.txt", S_IFREG));
  assert_int_equal (env_mode (p, "/opt/app/data.txt"), 0640);
  assert_false (env_has (p, "/opt/app/other.txt", S_IFREG));
  assert_true (env_has (p, "/srv/www/index.html", S_IFREG));
  assert_true (env_has (p, "/srv/www/sub/page.html", S_IFREG));
  assert_int_equal (env_mode (p, "/srv/www/sub"), 0750);
  {
    cleanup_free char *sub = in_env (p, "/srv/www/sub");
    assert_int_equal (lstat (sub, &st), 0);
    assert_int_equal (st.st_uid, 1);
    assert_int_equal (st.st_gid, 2);
  }
  assert_true (env_has (p, "/usr/lib/py/a.py", S_IFREG));
  assert_true (env_has (p, "/usr/lib/py/b.py", S_IFREG));
  assert_false (env_has (p, "/usr/lib/py/c.txt", S_IFREG));
  /* Mount points: directories, a file for a file bind mount; /tmp 1777.  */
  assert_true (env_has (p, "/proc", S_IFDIR));
  assert_true (env_has (p, "/sys", S_IFDIR));
  assert_true (env_has (p, "/dev/pts", S_IFDIR));
  assert_true (env_has (p, "/run/secrets/token", S_IFREG));
  assert_true (env_has (p, "/tmp", S_IFDIR));
  assert_int_equal (env_mode (p, "/tmp"), 01777);
  /* Nothing else of the image.  */
  assert_false (env_has (p, "/not-included", S_IFREG));
  assert_false (env_has (p, "/var/empty-dir", S_IFDIR));
  /* The private layers.  */
  assert_non_null (p->upper_dir);
  assert_non_null (p->work_dir);
  assert_true (has_prefix (p->upper_dir, sd));
  assert_int_equal (stat (p->upper_dir, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  assert_int_equal (stat (p->work_dir, &st), 0);

  reg_plan_free (p);
  oci_config_free (c);
  fx_free (f);
}

static void
test_minimal_defaults_off (void **state)
{
  struct fixture *f;
  oci_config *c;
  cleanup_free char *sd = NULL;
  struct reg_options o = options_for ("defaults", &sd);
  struct reg_plan *p;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  c = config_for ("minimal", "ls", "\"run.reg.defaults\":\"-users, -zoneinfo,-certs\"", false);
  p = prepare (f, &o, c);
  assert_false (env_has (p, "/etc/passwd", S_IFREG));
  assert_false (env_has (p, "/etc/localtime", S_IFLNK));
  assert_false (env_has (p, "/usr/share/ca-certificates/mozilla/A.crt", S_IFREG));
  assert_true (env_has (p, "/etc/hosts", S_IFREG));
  reg_plan_free (p);
  oci_config_free (c);

  c = config_for ("minimal", "ls", "\"run.reg.defaults\":\"none,+users\"", false);
  p = prepare (f, &o, c);
  assert_true (env_has (p, "/etc/passwd", S_IFREG));
  assert_false (env_has (p, "/etc/hosts", S_IFREG));
  assert_false (env_has (p, "/etc/os-release", S_IFREG));
  reg_plan_free (p);
  oci_config_free (c);
  fx_free (f);
}

static void
expect_error (struct fixture *f, const char *ann, const char *msg)
{
  oci_config *c = config_for ("minimal", "ls", ann, false);
  cleanup_free char *sd = NULL;
  struct reg_options o = options_for ("bad", &sd);
  struct reg_plan *p = NULL;
  reg_error_t err = NULL;
  struct stat st;

  assert_true (reg_phase_prepare (&o, c, f->rootfd, &p, &err) < 0);
  assert_null (p);
  if (strstr (err->msg, msg) == NULL)
    fail_msg ("`%s` lacks `%s`", err->msg, msg);
  reg_error_release (&err);
  /* Nothing left behind.  */
  assert_true (stat (sd, &st) == 0 && st.st_nlink == 2);
  oci_config_free (c);
}

static void
test_minimal_bad_annotations (void **state)
{
  struct fixture *f;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  expect_error (f, "\"run.reg.include\":\"opt/app\"",
                "config.json: annotations.run.reg.include: `opt/app` is not an absolute path");
  expect_error (f, "\"run.reg.include\":\"/opt/../../etc/shadow\"",
                "config.json: annotations.run.reg.include: `/opt/../../etc/shadow` escapes the rootfs");
  expect_error (f, "\"run.reg.defaults\":\"-users,-fonts\"",
                "config.json: annotations.run.reg.defaults: unknown group `fonts`");
  fx_free (f);
}

/* The same image twice: one environment, answered by the cache; a change
   in an included directory makes a new one.  */
static void
test_minimal_cached_and_invalidated (void **state)
{
  struct fixture *f;
  oci_config *c;
  cleanup_free char *sd1 = NULL;
  cleanup_free char *sd2 = NULL;
  cleanup_free char *sd3 = NULL;
  struct reg_options o1 = options_for ("c1", &sd1), o2 = options_for ("c2", &sd2), o3 = options_for ("c3", &sd3);
  struct reg_plan *p1, *p2, *p3;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  c = config_for ("minimal", "ls", "\"run.reg.include\":\"/srv/www\"", false);
  p1 = prepare (f, &o1, c);
  p2 = prepare (f, &o2, c);
  assert_string_equal (p1->env_id, p2->env_id);
  assert_string_equal (p1->lower_dir, p2->lower_dir);
  assert_string_not_equal (p1->upper_dir, p2->upper_dir);

  fx_text (f, "/srv/www/new.html", "new\n", 0644);
  p3 = prepare (f, &o3, c);
  assert_string_not_equal (p1->env_id, p3->env_id);
  assert_true (env_has (p3, "/srv/www/new.html", S_IFREG));
  assert_false (env_has (p1, "/srv/www/new.html", S_IFREG));
  reg_plan_free (p1);
  reg_plan_free (p2);
  reg_plan_free (p3);
  oci_config_free (c);
  fx_free (f);
}

/* Two separate copies of one image: the same environment, so the same
   inodes.  */
static void
test_minimal_two_copies_same_env (void **state)
{
  struct fixture *a, *b;
  oci_config *c;
  cleanup_free char *sda = NULL;
  cleanup_free char *sdb = NULL;
  struct reg_options oa = options_for ("ca", &sda), ob = options_for ("cb", &sdb);
  struct reg_plan *pa, *pb;
  cleanup_free char *la = NULL;
  cleanup_free char *lb = NULL;
  struct stat sa, sb;

  (void)state;
  if (skip_unless_root ())
    return;
  a = image ();
  b = image ();
  xsystem ("chmod 0750 %s/srv/www/sub && chown 1:2 %s/srv/www/sub", b->dir, b->dir);
  c = config_for ("minimal", "ls", "", false);
  pa = prepare (a, &oa, c);
  pb = prepare (b, &ob, c);
  assert_string_equal (pa->env_id, pb->env_id);
  la = in_env (pa, "/etc/passwd");
  lb = in_env (pb, "/etc/passwd");
  assert_int_equal (stat (la, &sa), 0);
  assert_int_equal (stat (lb, &sb), 0);
  assert_true (sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev);
  reg_plan_free (pa);
  reg_plan_free (pb);
  oci_config_free (c);
  fx_free (a);
  fx_free (b);
}

static void
test_minimal_readonly_and_release (void **state)
{
  struct fixture *f;
  oci_config *ro, *rw;
  cleanup_free char *sd1 = NULL;
  cleanup_free char *sd2 = NULL;
  struct reg_options o1 = options_for ("ro", &sd1), o2 = options_for ("rw", &sd2);
  struct reg_plan *p1, *p2;
  reg_error_t err = NULL;
  cleanup_free char *upper = NULL;
  cleanup_free char *work = NULL;
  struct stat st;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  ro = config_for ("minimal", "ls", "", true);
  p1 = prepare (f, &o1, ro);
  assert_non_null (p1->lower_dir);
  assert_null (p1->upper_dir);
  assert_null (p1->work_dir);

  rw = config_for ("minimal", "ls", "", false);
  p2 = prepare (f, &o2, rw);
  upper = xstrdup (p2->upper_dir);
  work = xstrdup (p2->work_dir);
  fx_write (f, "/unused", "", 0, 0644);
  xsystem ("echo written > %s/scratch", upper);
  assert_int_equal (reg_phase_release (&o2, p2->env_id, &err), 0);
  assert_true (stat (upper, &st) < 0 && errno == ENOENT);
  assert_true (stat (work, &st) < 0 && errno == ENOENT);
  /* Idempotent.  */
  assert_int_equal (reg_phase_release (&o2, p2->env_id, &err), 0);
  assert_int_equal (reg_phase_release (&o1, p1->env_id, &err), 0);
  reg_plan_free (p1);
  reg_plan_free (p2);
  oci_config_free (ro);
  oci_config_free (rw);
  fx_free (f);
}

static void
test_learn_plan (void **state)
{
  struct fixture *f;
  oci_config *c;
  cleanup_free char *sd = NULL;
  struct reg_options o = options_for ("learnplan", &sd);
  struct reg_plan *p;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  c = config_for ("learn", "ls", "", false);
  p = prepare (f, &o, c);
  assert_int_equal (p->mode, REG_MODE_LEARN);
  assert_null (p->env_id);
  assert_null (p->lower_dir);
  assert_int_equal (p->n_binds, 0);
  assert_non_null (p->profile_key);
  assert_int_equal (strlen (p->profile_key), 64);
  reg_plan_free (p);
  oci_config_free (c);
  fx_free (f);
}

/* minimal after a profile was learned: its files, their closures and the
   symlinks that point at them are in the environment.  */
static void
test_minimal_uses_profile (void **state)
{
  struct fixture *f;
  oci_config *learn, *min;
  cleanup_free char *sd = NULL;
  struct reg_options o = options_for ("profile", &sd);
  struct reg_plan *pl, *p1, *p2;
  reg_error_t err = NULL;
  const char *learned[] = { "/usr/share/app/data.bin", "/usr/lib/plugins/libplug.so.1.2", "/var/empty-dir/" };

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  fx_text (f, "/usr/share/app/data.bin", "bin\n", 0644);
  /* A "plugin": an ELF object (a copy of env) with a symlink to it.  */
  xsystem ("mkdir -p %s/usr/lib/plugins && cp /usr/bin/env %s/usr/lib/plugins/libplug.so.1.2", f->dir, f->dir);
  fx_symlink (f, "/usr/lib/plugins/libplug.so.1", "libplug.so.1.2");
  learn = config_for ("learn", "ls", "", false);
  min = config_for ("minimal", "ls", "", false);

  p1 = prepare (f, &o, min);
  assert_false (env_has (p1, "/usr/share/app/data.bin", S_IFREG));

  pl = prepare (f, &o, learn);
  assert_int_equal (reg_profile_merge (store_dir, pl->profile_key, learned, 3, NULL, &err), 0);
  p2 = prepare (f, &o, min);
  assert_string_equal (p2->profile_key, pl->profile_key);
  assert_string_not_equal (p1->env_id, p2->env_id);
  assert_true (env_has (p2, "/usr/share/app/data.bin", S_IFREG));
  assert_true (env_has (p2, "/usr/lib/plugins/libplug.so.1.2", S_IFREG));
  assert_true (env_has (p2, "/usr/lib/plugins/libplug.so.1", S_IFLNK));
  assert_true (env_has (p2, "/var/empty-dir", S_IFDIR));
  reg_plan_free (pl);
  reg_plan_free (p1);
  reg_plan_free (p2);
  oci_config_free (learn);
  oci_config_free (min);
  fx_free (f);
}

/* reg_minimal_measure (reg analyze) counts what reg_minimal_build puts
   into the environment, and writes nothing.  */
static void
test_minimal_measure (void **state)
{
  struct fixture *f;
  oci_config *c;
  struct reg_store *s = NULL;
  struct reg_minimal_result built = { 0 }, measured = { 0 };
  cleanup_free char *store = NULL;
  const char *profile[] = { "/opt/app/other.txt", "/var/empty-dir/" };
  reg_error_t err = NULL;
  struct stat st;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  c = config_for ("minimal", "ls", "\"run.reg.include\":\"/opt/app/data.txt,/srv/www\"", false);
  xasprintf (&store, "%s/measure", store_dir);

  if (reg_minimal_measure (f->rootfd, c, profile, 2, &measured, &err) < 0)
    fail_msg ("measure: %s", err->msg);
  assert_null (measured.env_id);
  assert_true (stat (store, &st) < 0 && errno == ENOENT);

  if (reg_store_open (store, &s, &err) < 0 || reg_minimal_build (s, f->rootfd, c, profile, 2, &built, &err) < 0)
    fail_msg ("build: %s", err->msg);
  assert_non_null (built.env_id);
  assert_true (measured.files > 5);
  assert_int_equal (measured.files, built.files);
  assert_int_equal (measured.bytes, built.bytes);
  assert_int_equal (measured.symlinks, built.symlinks);
  assert_int_equal (measured.dirs, built.dirs);
  assert_int_equal (measured.unshared, built.unshared);
  {
    struct reg_env_info *envs = NULL;
    size_t n = 0;
    if (reg_store_list_envs (s, &envs, &n, &err) < 0)
      fail_msg ("list: %s", err->msg);
    assert_int_equal (n, 1);
    assert_int_equal (envs[0].bytes, measured.bytes);
    reg_env_info_free (envs, n);
  }
  reg_minimal_result_clear (&built);
  reg_minimal_result_clear (&measured);
  reg_store_close (s);
  oci_config_free (c);
  fx_free (f);
}

/* Whether SOURCES name PATH.  */
static bool
has_source (const struct reg_sources *sources, const char *path)
{
  for (size_t i = 0; i < sources->n; i++)
    if (strcmp (sources->items[i].path, path) == 0)
      return true;
  return false;
}

/* A file bind mount covers the image's file: the environment has an empty
   file to mount on, and the image's file is not a source of the cache
   (Podman's /etc/hosts and /run/.containerenv are each container's own,
   new every time, and made the cache miss at every create).  */
static void
test_minimal_bind_target (void **state)
{
  struct fixture *f;
  oci_config *plain, *bound;
  struct reg_store *s = NULL;
  struct reg_minimal_result a = { 0 }, b = { 0 }, c = { 0 };
  cleanup_free char *store = NULL, *hosts = NULL;
  reg_error_t err = NULL;
  struct stat st;

  (void)state;
  if (skip_unless_root ())
    return;
  f = image ();
  plain = config_for ("minimal", "ls", "", false);
  bound = config_with ("minimal", "ls", "", false,
                       ",{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/etc/hostname\","
                       "\"options\":[\"rbind\"]}");
  xasprintf (&store, "%s/bind-target", store_dir);
  if (reg_store_open (store, &s, &err) < 0 || reg_minimal_build (s, f->rootfd, plain, NULL, 0, &a, &err) < 0
      || reg_minimal_build (s, f->rootfd, bound, NULL, 0, &b, &err) < 0)
    fail_msg ("build: %s", err->msg);
  /* without the bind mount, the image's file with its bytes */
  assert_true (has_source (&a.sources, "/etc/hosts"));
  assert_false (has_source (&b.sources, "/etc/hosts"));
  assert_string_not_equal (a.env_id, b.env_id);
  {
    cleanup_free char *root = NULL;
    if (reg_store_env_root (s, b.env_id, &root, &err) < 0)
      fail_msg ("env root: %s", err->msg);
    xasprintf (&hosts, "%s/etc/hosts", root);
  }
  assert_int_equal (lstat (hosts, &st), 0);
  assert_true (S_ISREG (st.st_mode));
  assert_int_equal (st.st_size, 0);

  /* another /etc/hosts in the image (a container's own): the same
     environment */
  fx_text (f, "/etc/hosts", "10.0.0.1 other\n", 0644);
  if (reg_minimal_build (s, f->rootfd, bound, NULL, 0, &c, &err) < 0)
    fail_msg ("build: %s", err->msg);
  assert_string_equal (b.env_id, c.env_id);
  reg_minimal_result_clear (&a);
  reg_minimal_result_clear (&b);
  reg_minimal_result_clear (&c);
  reg_store_close (s);
  oci_config_free (plain);
  oci_config_free (bound);
  fx_free (f);
}

/* The same mounts in another order (Podman writes them from a Go map, in a
   new order at each run): the same key, the same environment.  */
static void
test_minimal_mounts_order (void **state)
{
  static const char hosts[] = ",{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/etc/hostname\","
                              "\"options\":[\"rbind\"]}";
  static const char data[] = ",{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}";
  cleanup_free char *ab = NULL, *ba = NULL, *key_ab = NULL, *key_ba = NULL;
  oci_config *c1, *c2;

  (void)state;
  xasprintf (&ab, "%s%s", hosts, data);
  xasprintf (&ba, "%s%s", data, hosts);
  c1 = config_with ("minimal", "ls", "", false, ab);
  c2 = config_with ("minimal", "ls", "", false, ba);
  key_ab = reg_minimal_mounts_key (c1);
  key_ba = reg_minimal_mounts_key (c2);
  assert_string_equal (key_ab, key_ba);
  assert_non_null (strstr (key_ab, "/etc/hosts f"));
  assert_non_null (strstr (key_ab, "/data d"));
  if (!skip_unless_root ())
    {
      struct fixture *f = image ();
      cleanup_free char *sd1 = NULL, *sd2 = NULL;
      struct reg_options o1 = options_for ("order-1", &sd1), o2 = options_for ("order-2", &sd2);
      struct reg_plan *p1 = prepare (f, &o1, c1), *p2 = prepare (f, &o2, c2);
      assert_string_equal (p1->env_id, p2->env_id);
      reg_plan_free (p1);
      reg_plan_free (p2);
      fx_free (f);
    }
  oci_config_free (c1);
  oci_config_free (c2);
}

static void
test_profile_merge_and_read (void **state)
{
  const char *first[] = { "/b", "/a\nnewline" };
  const char *second[] = { "/c/", "/b" };
  const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  cleanup_string_array char **paths = NULL;
  reg_error_t err = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal (reg_profile_read (store_dir, key, &paths, &n, &err), 0);
  assert_int_equal (n, 0);
  free_string_array (paths);
  assert_int_equal (reg_profile_merge (store_dir, key, first, 2, NULL, &err), 0);
  assert_int_equal (reg_profile_merge (store_dir, key, second, 2, NULL, &err), 0);
  assert_int_equal (reg_profile_read (store_dir, key, &paths, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_string_equal (paths[0], "/a\nnewline");
  assert_string_equal (paths[1], "/b");
  assert_string_equal (paths[2], "/c/");
  free_string_array (paths);
  paths = NULL;
  assert_true (reg_profile_read (store_dir, "../x", &paths, &n, &err) < 0);
  reg_error_release (&err);
}

/* Past REG_PROFILE_MAX_PATHS / _BYTES a merge cuts, keeping the paths
   the profile had; a read refuses a profile over them.  */
static void
test_profile_bounds (void **state)
{
  const char *key = "1111111111111111111111111111111111111111111111111111111111111111";
  const char *key2 = "2222222222222222222222222222222222222222222222222222222222222222";
  size_t many = REG_PROFILE_MAX_PATHS + 100, n = 0, n_long = 3000;
  char **paths = xmalloc (many * sizeof (char *));
  const char *early[] = { "/a/0", "/a/1" };
  struct reg_profile_summary sum = { 0 };
  cleanup_string_array char **got = NULL;
  cleanup_free char *file = NULL;
  reg_error_t err = NULL;
  struct stat st;

  (void)state;
  for (size_t i = 0; i < many; i++)
    xasprintf (&paths[i], "/p/%06zu", i);
  assert_int_equal (reg_profile_merge (store_dir, key, (const char *const *)paths, many, &sum, &err), 0);
  assert_int_equal (sum.paths, REG_PROFILE_MAX_PATHS);
  assert_int_equal (sum.dropped, 100);
  /* Full: new paths are left out, even those sorting first.  */
  assert_int_equal (reg_profile_merge (store_dir, key, early, 2, &sum, &err), 0);
  assert_int_equal (sum.paths, REG_PROFILE_MAX_PATHS);
  assert_int_equal (sum.dropped, 2);
  assert_int_equal (reg_profile_read (store_dir, key, &got, &n, &err), 0);
  assert_int_equal (n, REG_PROFILE_MAX_PATHS);
  assert_string_equal (got[0], "/p/000000");
  free_string_array (got);
  got = NULL;
  for (size_t i = 0; i < many; i++)
    free (paths[i]);

  /* 3000 paths of 4000 bytes: cut at the byte bound, the file that size.  */
  for (size_t i = 0; i < n_long; i++)
    {
      paths[i] = xmalloc (4001);
      memset (paths[i], 'x', 4000);
      snprintf (paths[i], 10, "/%07zu", i);
      paths[i][8] = 'x';
      paths[i][4000] = '\0';
    }
  assert_int_equal (reg_profile_merge (store_dir, key2, (const char *const *)paths, n_long, &sum, &err), 0);
  assert_true (sum.bytes <= REG_PROFILE_MAX_BYTES);
  assert_true (sum.bytes > REG_PROFILE_MAX_BYTES - 4001);
  assert_int_equal (sum.paths + sum.dropped, n_long);
  xasprintf (&file, "%s/profiles/%s", store_dir, key2);
  assert_int_equal (stat (file, &st), 0);
  assert_int_equal ((size_t)st.st_size, sum.bytes);
  for (size_t i = 0; i < n_long; i++)
    free (paths[i]);
  free (paths);

  /* Over the bound (not written by a merge): an error naming the profile.  */
  assert_int_equal (truncate (file, REG_PROFILE_MAX_BYTES + 1), 0);
  assert_true (reg_profile_read (store_dir, key2, &got, &n, &err) < 0);
  assert_non_null (strstr (err->msg, "over the limit"));
  assert_non_null (strstr (err->msg, key2));
  reg_error_release (&err);
}

/* The recorder on a tmpfs of its own: a child opens and executes files
   there; the profile lists exactly those.  */
static void
test_learn_recorder (void **state)
{
  char dir[64] = "/tmp/reg-learn-XXXXXX";
  cleanup_free char *root = NULL;
  cleanup_free char *sd = NULL;
  cleanup_string_array char **paths = NULL;
  struct reg_options o = options_for ("recorder", &sd);
  struct reg_plan plan
      = { .mode = REG_MODE_LEARN, .profile_key = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" };
  reg_error_t err = NULL;
  int go[2], status, rootfd;
  pid_t child, rec = 0;
  size_t n = 0;

  (void)state;
  if (skip_unless_root ())
    return;
  if (access ("/bin/busybox", X_OK) != 0)
    {
      TEST_SKIP ("no /bin/busybox (busybox-static)");
    }
  assert_non_null (mkdtemp (dir));
  xasprintf (&root, "%s/root", dir);
  assert_int_equal (mkdir (root, 0755), 0);
  if (mount ("tmpfs", root, "tmpfs", 0, "mode=0755") < 0)
    {
      rmdir (root);
      rmdir (dir);
      fail_msg ("mount a tmpfs: %s", strerror (errno));
    }
  xsystem ("cp /bin/busybox %s/busybox && mkdir -p %s/sub %s/list && echo a > %s/a && echo b > %s/b "
           "&& echo c > %s/sub/c && echo u > %s/unused && touch %s/list/x",
           root, root, root, root, root, root, root, root);
  assert_int_equal (pipe (go), 0);
  child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    {
      char c, *a = NULL, *cpath = NULL, *b = NULL, *bb = NULL, *list = NULL;
      close (go[1]);
      if (read (go[0], &c, 1) != 1)
        _exit (2);
      xasprintf (&a, "%s/a", root);
      xasprintf (&cpath, "%s/sub/c", root);
      xasprintf (&b, "%s/b", root);
      xasprintf (&bb, "%s/busybox", root);
      xasprintf (&list, "%s/list", root);
      close (open (a, O_RDONLY));
      close (open (cpath, O_RDONLY));
      close (open (list, O_RDONLY | O_DIRECTORY));
      dup2 (open ("/dev/null", O_WRONLY), 1);
      execl (bb, "cat", b, (char *)NULL);
      _exit (3);
    }
  close (go[0]);
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (rootfd >= 0);
  if (reg_learn_start (&o, &plan, rootfd, child, NULL, NULL, &rec, &err) < 0)
    {
      kill (child, SIGKILL);
      waitpid (child, NULL, 0);
      umount2 (root, MNT_DETACH);
      fail_msg ("start: %s", err->msg);
    }
  close (rootfd);
  assert_true (rec > 0);
  /* Not our child: nobody has to wait for it.  */
  assert_int_equal (waitpid (rec, NULL, WNOHANG), -1);
  assert_int_equal (write (go[1], "g", 1), 1);
  close (go[1]);
  assert_int_equal (waitpid (child, &status, 0), child);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  assert_int_equal (reg_learn_stop (&o, 10000, &err), 0);
  umount2 (root, MNT_DETACH);
  xsystem ("rm -rf %s", dir);

  assert_int_equal (reg_profile_read (store_dir, plan.profile_key, &paths, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    printf ("# learned %s\n", paths[i]);
  assert_int_equal (n, 5);
  assert_string_equal (paths[0], "/a");
  assert_string_equal (paths[1], "/b");
  assert_string_equal (paths[2], "/busybox");
  assert_string_equal (paths[3], "/list/");
  assert_string_equal (paths[4], "/sub/c");
  /* The recorder cleaned up its files in the state dir.  */
  {
    cleanup_free char *fifo = NULL;
    struct stat st;
    xasprintf (&fifo, "%s/%s", sd, REG_LEARN_STOP_FIFO);
    assert_true (stat (fifo, &st) < 0);
  }
}

/* Stopped while the container still runs: the profile is written.  */
static void
test_learn_recorder_stop (void **state)
{
  char dir[64] = "/tmp/reg-learn-XXXXXX";
  cleanup_free char *root = NULL;
  cleanup_free char *sd = NULL;
  cleanup_string_array char **paths = NULL;
  struct reg_options o = options_for ("recorder-stop", &sd);
  struct reg_plan plan
      = { .mode = REG_MODE_LEARN, .profile_key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
  reg_error_t err = NULL;
  pid_t child;
  size_t n = 0;
  int fd;

  (void)state;
  if (skip_unless_root ())
    return;
  assert_non_null (mkdtemp (dir));
  xasprintf (&root, "%s/root", dir);
  assert_int_equal (mkdir (root, 0755), 0);
  if (mount (root, root, NULL, MS_BIND, NULL) < 0)
    {
      fail_msg ("bind-mount: %s", strerror (errno));
    }
  xsystem ("echo x > %s/x", root);
  child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  /* root_fd -1 would be /proc/CHILD/root, the host's "/": use the path.  */
  fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (reg_learn_start (&o, &plan, fd, child, NULL, NULL, NULL, &err), 0);
  close (fd);
  {
    cleanup_free char *x = NULL;
    xasprintf (&x, "%s/x", root);
    /* Our own open: the recorder only skips its own pid.  */
    close (open (x, O_RDONLY));
  }
  assert_int_equal (reg_learn_stop (&o, 10000, &err), 0);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  umount2 (root, MNT_DETACH);
  xsystem ("rm -rf %s", dir);
  assert_int_equal (reg_profile_read (store_dir, plan.profile_key, &paths, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_string_equal (paths[0], "/x");
}

static void
test_pyc_source (void **state)
{
  char *p;

  (void)state;
  p = reg_pyc_source ("/usr/lib/python3.11/encodings/__pycache__/utf_8.cpython-311.pyc");
  assert_string_equal (p, "/usr/lib/python3.11/encodings/utf_8.py");
  free (p);
  p = reg_pyc_source ("/app/__pycache__/main.cpython-311.opt-1.pyc");
  assert_string_equal (p, "/app/main.py");
  free (p);
  p = reg_pyc_source ("/__pycache__/top.cpython-311.pyc");
  assert_string_equal (p, "/top.py");
  free (p);
  assert_null (reg_pyc_source ("/usr/lib/python3.11/os.py"));
  assert_null (reg_pyc_source ("/app/cache/mod.cpython-311.pyc"));
  assert_null (reg_pyc_source ("/app/__pycache__/.pyc"));
  assert_null (reg_pyc_source ("/x__pycache__/m.pyc"));
}

static void
test_python_landmark (void **state)
{
  char *p;

  (void)state;
  p = reg_python_landmark ("/usr/lib/python3.11");
  assert_string_equal (p, "/usr/lib/python3.11/os.py");
  free (p);
  p = reg_python_landmark ("/usr/local/lib/python3.12/");
  assert_string_equal (p, "/usr/local/lib/python3.12/os.py");
  free (p);
  p = reg_python_landmark ("/opt/py/lib/python10.1");
  assert_string_equal (p, "/opt/py/lib/python10.1/os.py");
  free (p);
  assert_null (reg_python_landmark ("/usr/lib/python3"));
  assert_null (reg_python_landmark ("/usr/lib/python3.11/json"));
  assert_null (reg_python_landmark ("/usr/lib/python3.x"));
  assert_null (reg_python_landmark ("/usr/lib/python3.11a"));
  assert_null (reg_python_landmark ("/usr/lib/cpython3.11"));
  assert_null (reg_python_landmark ("/usr/lib/python.11"));
  assert_null (reg_python_landmark ("/"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_pyc_source),
    cmocka_unit_test (test_python_landmark),
    cmocka_unit_test (test_minimal_contents),
    cmocka_unit_test (test_minimal_defaults_off),
    cmocka_unit_test (test_minimal_bad_annotations),
    cmocka_unit_test (test_minimal_cached_and_invalidated),
    cmocka_unit_test (test_minimal_two_copies_same_env),
    cmocka_unit_test (test_minimal_readonly_and_release),
    cmocka_unit_test (test_learn_plan),
    cmocka_unit_test (test_minimal_uses_profile),
    cmocka_unit_test (test_minimal_measure),
    cmocka_unit_test (test_minimal_bind_target),
    cmocka_unit_test (test_minimal_mounts_order),
    cmocka_unit_test (test_profile_merge_and_read),
    cmocka_unit_test (test_profile_bounds),
    cmocka_unit_test (test_learn_recorder),
    cmocka_unit_test (test_learn_recorder_stop),
  };
  no_root = fx_enter_user_namespace ();
  return cmocka_run_group_tests_name ("reg_minimal", tests, setup, teardown);
}
