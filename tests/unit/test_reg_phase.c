/* Unit tests of the REG phase: from a config and a rootfs to a plan.
 *
 * The fixtures are copies of host programs with their libraries; the store
 * is a temporary directory.  They run as any user: the store gives each
 * object the image file's owner, which is then the user's own.  */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci-spec.h"
#include "reg-store.h"
#include "reg.h"
#include "rootfs-fixture.h"
#include "utils.h"

static char store_dir[64];

static struct reg_options
options_for (const char *state)
{
  struct reg_options o = { .store_root = store_dir, .default_mode = "off", .container_id = state, .state_dir = state };
  return o;
}

static int
setup_store (void **state)
{
  (void)state;
  strcpy (store_dir, "/tmp/reg-phase-store-XXXXXX");
  assert_non_null (mkdtemp (store_dir));
  return 0;
}

static char conc_work[64];

static int
teardown_store (void **state)
{
  reg_error_t err = NULL;
  (void)state;
  fx_free_all ();
  if (conc_work[0] && remove_tree_at (AT_FDCWD, conc_work, &err) < 0)
    reg_error_release (&err);
  if (remove_tree_at (AT_FDCWD, store_dir, &err) < 0)
    reg_error_release (&err);
  return 0;
}

static const struct reg_bind *
find_bind (const struct reg_plan *p, const char *suffix)
{
  for (size_t i = 0; i < p->n_binds; i++)
    if (has_suffix (p->binds[i].target, suffix))
      return &p->binds[i];
  return NULL;
}

static void
test_off_makes_no_plan (void **state)
{
  struct fixture *f = fx_base ();
  oci_config *c = fx_config ("off", "ls");
  struct reg_options o = options_for ("/run/x/off");
  struct reg_plan *plan = (struct reg_plan *)1;
  reg_error_t err = NULL;
  struct stat st;

  (void)state;
  assert_int_equal (reg_phase_prepare (&o, c, f->rootfd, &plan, &err), 0);
  assert_null (plan);
  /* Nothing was written to the store.  */
  assert_int_equal (stat (store_dir, &st), 0);
  assert_int_equal (st.st_nlink, 2);
  oci_config_free (c);
  fx_free (f);
}

static void
test_unknown_mode_is_an_error (void **state)
{
  struct fixture *f = fx_base ();
  oci_config *c = fx_config ("fast", "ls");
  struct reg_options o = options_for ("/run/x/bad");
  struct reg_plan *plan = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_true (reg_phase_prepare (&o, c, f->rootfd, &plan, &err) < 0);
  assert_null (plan);
  assert_string_equal (err->msg, "config.json: annotations.run.reg.mode: unknown REG mode \"fast\" "
                                 "(expected off, share, minimal or learn)");
  reg_error_release (&err);
  oci_config_free (c);
  fx_free (f);
}

static struct reg_plan *
prepare_share (struct fixture *f, const char *state_dir)
{
  oci_config *c = fx_config ("share", "ls");
  struct reg_options o = options_for (state_dir);
  struct reg_plan *plan = NULL;
  reg_error_t err = NULL;

  if (reg_phase_prepare (&o, c, f->rootfd, &plan, &err) < 0)
    fail_msg ("prepare: %s", err->msg);
  oci_config_free (c);
  assert_non_null (plan);
  assert_int_equal (plan->mode, REG_MODE_SHARE);
  return plan;
}

/* Two separate copies of one image: the libc each container gets is the
   same inode, and it is not the image's file.  */
static void
test_share_two_images_one_inode (void **state)
{
  struct fixture *a, *b;
  struct reg_plan *pa, *pb;
  const struct reg_bind *la, *lb;
  struct stat sa, sb, img;
  cleanup_free char *img_path = NULL;

  (void)state;
  a = fx_base ();
  b = fx_base ();
  pa = prepare_share (a, "/run/x/a");
  pb = prepare_share (b, "/run/x/b");

  assert_string_equal (pa->env_id, pb->env_id);
  la = find_bind (pa, "/libc.so.6");
  lb = find_bind (pb, "/libc.so.6");
  assert_non_null (la);
  assert_non_null (lb);
  assert_string_equal (la->target, lb->target);
  assert_int_equal (stat (la->source, &sa), 0);
  assert_int_equal (stat (lb->source, &sb), 0);
  assert_true (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
  /* The source is in the store, not the image.  */
  assert_true (has_prefix (la->source, store_dir));
  img_path = fx_path (a, la->target);
  assert_int_equal (stat (img_path, &img), 0);
  assert_false (img.st_ino == sa.st_ino && img.st_dev == sa.st_dev);
  assert_int_equal (img.st_size, sa.st_size);
  /* The interpreter and the program are ELF objects of the closure too.  */
  assert_non_null (find_bind (pa, "/ld-linux-x86-64.so.2"));
  assert_non_null (find_bind (pa, "/bin/ls"));
  /* No bind targets a symlink's path: every target is a regular file.  */
  for (size_t i = 0; i < pa->n_binds; i++)
    {
      cleanup_free char *p = fx_path (a, pa->binds[i].target);
      struct stat st;
      assert_int_equal (lstat (p, &st), 0);
      assert_true (S_ISREG (st.st_mode));
    }
  reg_plan_free (pa);
  reg_plan_free (pb);
  fx_free (a);
  fx_free (b);
}

/* 32 processes prepare share-mode containers from 32 separate copies of one
   image at the same moment, on one fresh store: every one succeeds, they all
   get the one environment (32 references), the libc they bind is one inode,
   and the store checks clean with nothing left in tmp/.  */
static void
test_share_concurrent_32 (void **state)
{
  enum
  {
    N = 32
  };
  char *work = conc_work;
  cleanup_free char *store = NULL;
  struct fixture *base;
  int go[2];
  pid_t pids[N];
  struct reg_store *s = NULL;
  struct reg_env_info *envs = NULL;
  struct reg_check_result chk = { 0 };
  reg_error_t err = NULL;
  size_t n_envs = 0;
  cleanup_free char *env0 = NULL, *libc0 = NULL;

  (void)state;
  strcpy (conc_work, "/tmp/reg-phase-conc-XXXXXX");
  assert_non_null (mkdtemp (conc_work));
  xasprintf (&store, "%s/store", work);
  base = fx_base ();
  for (int i = 0; i < N; i++)
    xsystem ("cp -a %s %s/img%d", base->dir, work, i);
  fx_free (base);

  assert_int_equal (pipe (go), 0);
  for (int i = 0; i < N; i++)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        {
          char buf, img[128], id[32], res[128];
          struct reg_plan *plan = NULL;
          const struct reg_bind *libc;
          reg_error_t cerr = NULL;
          oci_config *c = fx_config ("share", "ls");
          struct reg_options o = { .store_root = store, .default_mode = "off", .container_id = id, .state_dir = id };
          int rootfd;
          FILE *out;

          close (go[1]);
          snprintf (img, sizeof img, "%s/img%d", work, i);
          snprintf (id, sizeof id, "c%d", i);
          snprintf (res, sizeof res, "%s/res%d", work, i);
          rootfd = open (img, O_PATH | O_DIRECTORY | O_CLOEXEC);
          /* Everyone starts when the parent closes the pipe.  */
          if (rootfd < 0 || read (go[0], &buf, 1) != 0)
            _exit (10);
          if (reg_phase_prepare (&o, c, rootfd, &plan, &cerr) < 0)
            {
              fprintf (stderr, "# child %d: %s\n", i, cerr->msg);
              _exit (11);
            }
          libc = find_bind (plan, "/libc.so.6");
          out = fopen (res, "w");
          if (out == NULL || libc == NULL)
            _exit (12);
          fprintf (out, "%s\n%s\n", plan->env_id, libc->source);
          fclose (out);
          _exit (0);
        }
    }
  close (go[0]);
  close (go[1]);
  for (int i = 0; i < N; i++)
    {
      int status;
      assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("child %d: status 0x%x", i, status);
    }
  for (int i = 0; i < N; i++)
    {
      cleanup_free char *res = NULL, *data = NULL;
      char *nl;
      xasprintf (&res, "%s/res%d", work, i);
      assert_int_equal (read_all_file (res, 0, &data, NULL, &err), 0);
      nl = strchr (data, '\n');
      assert_non_null (nl);
      *nl = '\0';
      if (env0 == NULL)
        {
          env0 = xstrdup (data);
          libc0 = xstrdup (nl + 1);
        }
      assert_string_equal (data, env0);
      assert_string_equal (nl + 1, libc0);
    }

  assert_int_equal (reg_store_open (store, &s, &err), 0);
  assert_int_equal (reg_store_list_envs (s, &envs, &n_envs, &err), 0);
  assert_int_equal (n_envs, 1);
  assert_string_equal (envs[0].id, env0);
  assert_int_equal (envs[0].n_refs, N);
  reg_env_info_free (envs, n_envs);
  assert_int_equal (reg_store_check (s, NULL, &chk, &err), 0);
  assert_int_equal (chk.n_problems, 0);
  assert_true (chk.objects > 0);
  reg_check_result_clear (&chk);
  reg_store_close (s);
  {
    cleanup_free char *tmp = NULL;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    xasprintf (&tmp, "%s/tmp", store);
    d = opendir (tmp);
    assert_non_null (d);
    while ((de = readdir (d)))
      if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
        fail_msg ("left in the store's tmp/: %s", de->d_name);
  }
  assert_int_equal (remove_tree_at (AT_FDCWD, work, &err), 0);
  conc_work[0] = '\0';
}

/* A script entrypoint: the script stays the image's, its interpreter is
   shared.  */
static void
test_share_script_keeps_script (void **state)
{
  struct fixture *f;
  struct reg_plan *p;
  oci_config *c;
  struct reg_options o = options_for ("/run/x/script");
  reg_error_t err = NULL;

  (void)state;
  f = fx_base ();
  fx_text (f, "/usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
  c = fx_config ("share", "hello");
  if (reg_phase_prepare (&o, c, f->rootfd, &p, &err) < 0)
    fail_msg ("prepare: %s", err->msg);
  assert_non_null (p);
  assert_null (find_bind (p, "/hello"));
  assert_non_null (find_bind (p, "/dash"));
  reg_plan_free (p);
  oci_config_free (c);
  fx_free (f);
}

/* The reference a container holds is dropped by release; gc then removes
   the environment and its objects.  */
static void
test_share_release_and_gc (void **state)
{
  struct fixture *f;
  struct reg_plan *p;
  struct reg_options o = options_for ("/run/x/gc");
  struct reg_store *s = NULL;
  struct reg_env_info *envs = NULL;
  struct reg_gc_result gc = { 0 };
  reg_error_t err = NULL;
  size_t n = 0;
  char *env_id;

  (void)state;
  /* A store of its own: the other tests' containers reference the same
     environment.  */
  teardown_store (NULL);
  setup_store (NULL);
  f = fx_base ();
  p = prepare_share (f, o.state_dir);
  env_id = xstrdup (p->env_id);
  reg_plan_free (p);

  assert_int_equal (reg_store_open (store_dir, &s, &err), 0);
  assert_int_equal (reg_store_list_envs (s, &envs, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    if (strcmp (envs[i].id, env_id) == 0)
      assert_true (envs[i].n_refs >= 1);
  reg_env_info_free (envs, n);
  reg_store_close (s);

  assert_int_equal (reg_phase_release (&o, env_id, &err), 0);
  /* Release is idempotent (delete --force after a failed delete).  */
  assert_int_equal (reg_phase_release (&o, env_id, &err), 0);

  assert_int_equal (reg_store_open (store_dir, &s, &err), 0);
  assert_int_equal (reg_store_gc (s, &gc, &err), 0);
  assert_int_equal (reg_store_list_envs (s, &envs, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    assert_string_not_equal (envs[i].id, env_id);
  reg_env_info_free (envs, n);
  reg_store_close (s);
  free (env_id);
  fx_free (f);
}

/* A second create of the same image reuses the environment.  */
static void
test_share_cached (void **state)
{
  struct fixture *f;
  struct reg_plan *p1, *p2;

  (void)state;
  f = fx_base ();
  p1 = prepare_share (f, "/run/x/c1");
  p2 = prepare_share (f, "/run/x/c2");
  assert_string_equal (p1->env_id, p2->env_id);
  assert_int_equal (p1->n_binds, p2->n_binds);
  reg_plan_free (p1);
  reg_plan_free (p2);
  fx_free (f);
}

static void
write_conf (const char *path, const char *text)
{
  reg_error_t err = NULL;
  assert_int_equal (write_file (path, text, strlen (text), &err), 0);
}

/* A config whose process has CAPS (a JSON list) in its bounding set, with a
   user namespace of its own when USERNS.  */
static oci_config *
caps_config (const char *mode, const char *caps, bool userns)
{
  cleanup_free char *json = NULL;
  oci_config *c = NULL;
  reg_error_t err = NULL;

  xasprintf (&json,
             "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
             "\"process\":{\"args\":[\"ls\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
             "\"capabilities\":{\"bounding\":%s}},"
             "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}%s]},"
             "\"annotations\":{\"run.reg.mode\":\"%s\"}}",
             caps, userns ? ",{\"type\":\"user\"}" : "", mode);
  if (oci_config_parse (json, strlen (json), "config.json", &c, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return c;
}

/* What the child of test_rootless finds, as an exit status: 0 when all
   holds, else the number of the check that failed.  */
static int
rootless_checks (void)
{
  oci_config *admin = caps_config ("share", "[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"]", false);
  oci_config *plain = caps_config ("share", "[\"CAP_CHOWN\"]", false);
  oci_config *own_ns = caps_config ("minimal", "[\"CAP_SYS_ADMIN\"]", true);
  oci_config *off = caps_config ("off", "[\"CAP_SYS_ADMIN\"]", false);
  reg_error_t err = NULL;

  /* uid 0 of a user namespace is rootless, and maps to 1000 outside.  */
  if (geteuid () != 0)
    return 1;
  if (!running_rootless ())
    return 2;
  if (host_euid () != 1000)
    return 3;
  if (reg_phase_validate (admin, NULL, &err) >= 0
      || strstr (err->msg, "run.reg.mode=share: rootless, a process with CAP_SYS_ADMIN") == NULL)
    return 4;
  reg_error_release (&err);
  if (reg_phase_check_process (admin, admin->process, "minimal", &err) >= 0)
    return 5;
  reg_error_release (&err);
  if (reg_phase_validate (plain, NULL, &err) != 1)
    return 6;
  if (reg_phase_validate (own_ns, NULL, &err) != 1)
    return 7;
  if (reg_phase_validate (off, NULL, &err) != 0)
    return 8;
  return 0;
}

/* In the child of test_rootless (uid 0 inside = 1000 outside): a file of
   host root (no mapping: it shows 65534) is never shared, the user's own
   is.  0 when that holds.  */
static int
unmapped_checks (const char *dir)
{
  struct reg_store *s = NULL;
  struct reg_identity id;
  struct stat st;
  reg_error_t err = NULL;
  char path[256];
  int fd, ret;

  snprintf (path, sizeof (path), "%s/store", dir);
  if (reg_store_open (path, &s, &err) < 0)
    return 20;
  snprintf (path, sizeof (path), "%s/roots", dir);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &id, &st) < 0 || st.st_uid != 65534)
    return 21;
  ret = reg_store_add_file (s, fd, &id, NULL, NULL, &err);
  close (fd);
  if (ret != REG_STORE_UNSHARED_OWNER)
    return 22;
  snprintf (path, sizeof (path), "%s/users", dir);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || reg_identity_at (fd, "", AT_EMPTY_PATH, &id, &st) < 0 || st.st_uid != 0 || st.st_gid != 0)
    return 23;
  ret = reg_store_add_file (s, fd, &id, NULL, NULL, &err);
  close (fd);
  if (ret != 0)
    return 24;
  reg_store_close (s);
  return 0;
}

/* Rootless is "not root of the initial user namespace": uid 0 of a user
   namespace whose uid_map maps it to 1000 is rootless; there a process with
   CAP_SYS_ADMIN gets no REG, unless the container has a user namespace of
   its own, and REG off is always allowed; a file whose owner has no mapping
   is not shared.  */
static void
test_rootless (void **state)
{
  int go[2], ready[2], status;
  char dir[] = "/tmp/reg-rootless-XXXXXX";
  cleanup_free char *map = NULL;
  pid_t pid;
  char c = 0;

  (void)state;
  if (geteuid () != 0)
    {
      TEST_SKIP ("writing another process's uid_map needs root");
      return;
    }
  assert_int_equal (pipe (go), 0);
  assert_int_equal (pipe (ready), 0);
  /* A file of host root and one of uid 1000, and a store directory of
     uid 1000's, for unmapped_checks.  */
  assert_non_null (mkdtemp (dir));
  assert_int_equal (chown (dir, 1000, 1000), 0);
  {
    reg_error_t err = NULL;
    char path[256];
    snprintf (path, sizeof (path), "%s/roots", dir);
    if (write_file (path, "root's\n", 7, &err) < 0)
      fail_msg ("%s", err->msg);
    snprintf (path, sizeof (path), "%s/users", dir);
    if (write_file (path, "the user's\n", 11, &err) < 0)
      fail_msg ("%s", err->msg);
    assert_int_equal (chown (path, 1000, 1000), 0);
  }
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (go[1]);
      close (ready[0]);
      /* uid 1000 outside, as a user starting rootless Podman.  */
      if (setgroups (0, NULL) < 0 || setresgid (1000, 1000, 1000) < 0 || setresuid (1000, 1000, 1000) < 0
          || unshare (CLONE_NEWUSER) < 0 || write (ready[1], "u", 1) != 1 || read (go[0], &c, 1) != 1)
        _exit (100);
      status = rootless_checks ();
      _exit (status ? status : unmapped_checks (dir));
    }
  close (go[0]);
  close (ready[1]);
  assert_int_equal (read (ready[0], &c, 1), 1);
  xasprintf (&map, "/proc/%d/uid_map", (int)pid);
  {
    reg_error_t err = NULL;
    /* 65534 mapped too, as in rootless Podman's namespace: the overflow
       id an unmapped owner shows is then an id the store could give.  */
    static const char ids[] = "0 1000 1\n65534 1001 1\n";
    if (write_file (map, ids, strlen (ids), &err) < 0)
      fail_msg ("%s", err->msg);
    free (map);
    xasprintf (&map, "/proc/%d/gid_map", (int)pid);
    if (write_file (map, ids, strlen (ids), &err) < 0)
      fail_msg ("%s", err->msg);
  }
  assert_int_equal (write (go[1], "g", 1), 1);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  {
    reg_error_t err = NULL;
    if (remove_tree_at (AT_FDCWD, dir, &err) < 0)
      fail_msg ("%s", err->msg);
  }
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
  close (go[1]);
  close (ready[0]);
  assert_false (running_rootless ());
  assert_int_equal (host_euid (), 0);
}

static void
test_host_config (void **state)
{
  struct reg_host_config cfg = { 0 };
  reg_error_t err = NULL;
  char path[128];

  (void)state;
  snprintf (path, sizeof path, "%s/reg.conf", store_dir);

  /* A missing file is an empty configuration.  */
  assert_int_equal (reg_host_config_load (path, &cfg, &err), 0);
  assert_null (cfg.mode);
  assert_null (cfg.store);

  write_conf (path, "# host defaults\n\nmode = share   # prebuilt images only\nstore=/srv/reg\n");
  assert_int_equal (reg_host_config_load (path, &cfg, &err), 0);
  assert_string_equal (cfg.mode, "share");
  assert_string_equal (cfg.store, "/srv/reg");
  reg_host_config_clear (&cfg);

  write_conf (path, "mode = share\nspeed = 11\n");
  assert_true (reg_host_config_load (path, &cfg, &err) < 0);
  assert_true (has_suffix (err->msg, "reg.conf:2: unknown key `speed` (expected mode, store or max_object_size)"));
  reg_error_release (&err);
  reg_host_config_clear (&cfg);

  write_conf (path, "\nmode = fast\n");
  assert_true (reg_host_config_load (path, &cfg, &err) < 0);
  assert_true (
      has_suffix (err->msg, "reg.conf:2: mode: unknown REG mode \"fast\" (expected off, share, minimal or learn)"));
  reg_error_release (&err);

  write_conf (path, "store = relative/dir\n");
  assert_true (reg_host_config_load (path, &cfg, &err) < 0);
  assert_true (has_suffix (err->msg, "reg.conf:1: store: expected an absolute path"));
  reg_error_release (&err);

  assert_int_equal (write_file (path, "mode = share\0\nmode = bogus\n", 27, &err), 0);
  assert_true (reg_host_config_load (path, &cfg, &err) < 0);
  assert_true (has_suffix (err->msg, "reg.conf: contains a NUL byte"));
  reg_error_release (&err);
  reg_host_config_clear (&cfg);

  /* Sizes: bytes or K, M, G, T (powers of 1024), either case.  */
  {
    static const struct
    {
      const char *value;
      uint64_t bytes;
    } good[] = { { "4096", 4096 }, { "256M", 256ULL << 20 }, { "1g", 1ULL << 30 }, { "3T", 3ULL << 40 } };
    static const char *const bad[]
        = { "", "lots", "12X", "-1", "0", "0K", "1.5G", "256 M", "256MB", "99999999999999999999", "20000000T" };
    char text[128];

    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
      {
        snprintf (text, sizeof text, "mode = share\nmax_object_size = %s\n", good[i].value);
        write_conf (path, text);
        assert_int_equal (reg_host_config_load (path, &cfg, &err), 0);
        assert_int_equal (cfg.max_object_size, good[i].bytes);
        reg_host_config_clear (&cfg);
      }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
      {
        cleanup_free char *want = NULL;
        snprintf (text, sizeof text, "\nmax_object_size = %s\n", bad[i]);
        write_conf (path, text);
        assert_true (reg_host_config_load (path, &cfg, &err) < 0);
        xasprintf (&want,
                   "reg.conf:2: max_object_size: expected a size in bytes, or a number with a K, M, G or T "
                   "suffix (powers of 1024), more than 0, not `%s`",
                   bad[i]);
        if (!has_suffix (err->msg, want))
          fail_msg ("`%s`: %s", bad[i], err->msg);
        reg_error_release (&err);
        reg_host_config_clear (&cfg);
      }
  }

  write_conf (path, "just words\n");
  assert_true (reg_host_config_load (path, &cfg, &err) < 0);
  assert_true (has_suffix (err->msg, "reg.conf:1: expected `key = value`"));
  reg_error_release (&err);
  reg_host_config_clear (&cfg);
  unlink (path);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_off_makes_no_plan),
    cmocka_unit_test (test_unknown_mode_is_an_error),
    cmocka_unit_test (test_share_two_images_one_inode),
    cmocka_unit_test (test_share_script_keeps_script),
    cmocka_unit_test (test_share_release_and_gc),
    cmocka_unit_test (test_share_cached),
    cmocka_unit_test (test_host_config),
    cmocka_unit_test (test_rootless),
    cmocka_unit_test (test_share_concurrent_32),
  };
  return cmocka_run_group_tests_name ("reg_phase", tests, setup_store, teardown_store);
}
