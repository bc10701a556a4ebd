/* A long-running caller of libreg: one process loops the REG
   analysis, the REG phase of create (share and minimal: store writes and
   environment builds) and its release, gc and check, a few hundred times,
   and its open fds (the set of numbers and what each one is) are the same
   afterwards as before: nothing libreg opens outlives the call.  The
   minimal image changes every round (a new /etc/passwd), so every round
   builds a new environment and writes new objects; a large closure (many
   libraries) must not hold an fd per file either.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci-spec.h"
#include "reg-analyze.h"
#include "reg-store.h"
#include "reg.h"
#include "rootfs-fixture.h"
#include "utils.h"

#define ROUNDS 300

static char work_dir[64];
/* Why this process is not root, not even of a user namespace (see
   fx_enter_user_namespace); NULL when it is.  */
static const char *no_root;

/* "fd -> target" for every open fd but the one reading the directory.  */
static char *
fd_snapshot (void)
{
  cleanup_free char *out = xstrdup ("");
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;

  assert_non_null (d);
  while ((e = readdir (d)))
    {
      char p[PATH_MAX], t[PATH_MAX] = "";
      char *n;
      ssize_t l;
      if (e->d_name[0] == '.' || atoi (e->d_name) == dirfd (d))
        continue;
      snprintf (p, sizeof p, "/proc/self/fd/%s", e->d_name);
      l = readlink (p, t, sizeof t - 1);
      t[l > 0 ? l : 0] = '\0';
      xasprintf (&n, "%s%s -> %s\n", out, e->d_name, t);
      free (out);
      out = n;
    }
  closedir (d);
  return steal_pointer (&out);
}

static int
fd_count (void)
{
  cleanup_free char *s = fd_snapshot ();
  int n = 0;
  for (char *p = s; *p; p++)
    n += *p == '\n';
  return n;
}

static void
prepare_and_release (const char *store, int rootfd, const char *mode, const char *arg0, int round)
{
  cleanup_free char *state = NULL;
  oci_config *c = fx_config (mode, arg0);
  struct reg_plan *plan = NULL;
  reg_error_t err = NULL;
  struct reg_options o;

  xasprintf (&state, "%s/state-%s-%d", work_dir, mode, round);
  assert_int_equal (mkdir (state, 0700), 0);
  o = (struct reg_options){ .store_root = store, .default_mode = "off", .container_id = state, .state_dir = state };
  if (reg_phase_prepare (&o, c, rootfd, &plan, &err) < 0)
    fail_msg ("round %d, %s: prepare: %s", round, mode, err->msg);
  assert_non_null (plan);
  assert_non_null (plan->env_id);
  if (reg_phase_release (&o, plan->env_id, &err) < 0)
    fail_msg ("round %d, %s: release: %s", round, mode, err->msg);
  reg_plan_free (plan);
  oci_config_free (c);
  if (remove_tree_at (AT_FDCWD, state, &err) < 0)
    fail_msg ("remove %s: %s", state, err->msg);
}

static void
gc_and_check (const char *store)
{
  struct reg_store *s = NULL;
  struct reg_gc_result gc = { 0 };
  struct reg_check_result chk;
  reg_error_t err = NULL;

  memset (&chk, 0, sizeof chk);
  if (reg_store_open (store, &s, &err) < 0)
    fail_msg ("store open: %s", err->msg);
  if (reg_store_gc (s, &gc, &err) < 0)
    fail_msg ("gc: %s", err->msg);
  if (reg_store_check (s, NULL, &chk, &err) < 0)
    fail_msg ("check: %s", err->msg);
  assert_int_equal (chk.n_problems, 0);
  reg_check_result_clear (&chk);
  reg_store_close (s);
}

static void
test_long_running_caller (void **state)
{
  cleanup_free char *before = NULL, *after = NULL, *store = NULL;
  struct fixture *f;
  const char *argv[] = { "/bin/ls", NULL };
  const char *env[] = { "PATH=/usr/bin:/bin", NULL };
  int n0;
  (void)state;

  if (no_root)
    {
      TEST_SKIP ("share and minimal need root, at least of a user namespace: %s", no_root);
    }
  f = fx_base ();
  xasprintf (&store, "%s/store", work_dir);

  /* One round first: what is opened once for the process's life (the
     log, caches of libcrypto and libc) is opened now.  */
  prepare_and_release (store, f->rootfd, "share", "ls", -1);
  before = fd_snapshot ();
  n0 = fd_count ();

  for (int i = 0; i < ROUNDS; i++)
    {
      struct reg_closure *cl = NULL;
      reg_error_t err = NULL;
      char passwd[128];

      if (reg_analyze (f->rootfd, argv, env, "/", &cl, &err) < 0)
        fail_msg ("round %d: analyze: %s", i, err->msg);
      assert_true (cl->n > 3);
      reg_closure_free (cl);

      prepare_and_release (store, f->rootfd, "share", "ls", i);
      /* a new image each round: new objects, a new environment */
      snprintf (passwd, sizeof passwd, "root:x:0:0:root:/root:/bin/sh\nu%d:x:%d:%d::/:/bin/sh\n", i, 1000 + i,
                1000 + i);
      fx_text (f, "/etc/passwd", passwd, 0644);
      prepare_and_release (store, f->rootfd, "minimal", "ls", i);
      if (i % 50 == 49)
        gc_and_check (store);
      if (fd_count () != n0)
        {
          cleanup_free char *now = fd_snapshot ();
          fail_msg ("round %d: %d fds open, %d before:\nbefore:\n%safter:\n%s", i, fd_count (), n0, before, now);
        }
    }
  after = fd_snapshot ();
  assert_string_equal (before, after);
  fx_free (f);
}

/* A closure of many libraries under RLIMIT_NOFILE 64: the analysis and the
   store do not keep one fd per file.  */
static void
test_large_closure_few_fds (void **state)
{
  cleanup_free char *store = NULL;
  struct fixture *f;
  struct rlimit old, low;
  const char *progs[] = { "/usr/bin/python3", "/usr/bin/perl", "/usr/bin/gdb",   "/usr/bin/curl",
                          "/usr/bin/ssh",     "/usr/bin/git",  "/usr/bin/clang", "/usr/bin/gcc" };
  const char *big = NULL;
  size_t most = 0;
  int n0;
  (void)state;

  if (no_root)
    {
      TEST_SKIP ("share needs root, at least of a user namespace: %s", no_root);
    }
  /* The host program with the most libraries among a few usual ones.  */
  for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++)
    {
      char **libs = NULL;
      size_t n;
      if (access (progs[i], X_OK) != 0)
        continue;
      n = ldd_paths (progs[i], &libs);
      free_strv (libs, n);
      if (n > most)
        {
          most = n;
          big = progs[i];
        }
    }
  if (big == NULL || most < 8)
    {
      TEST_SKIP ("no host program with 8 or more libraries");
    }
  f = fx_new ();
  copy_program (f, big);
  fx_ldcache (f);
  xasprintf (&store, "%s/store-big", work_dir);
  n0 = fd_count ();
  assert_int_equal (getrlimit (RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 64;
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
  prepare_and_release (store, f->rootfd, "share", big, 1000);
  prepare_and_release (store, f->rootfd, "minimal", big, 1000);
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &old), 0);
  printf ("# %s: %zu libraries, share and minimal under RLIMIT_NOFILE 64\n", big, most);
  assert_int_equal (fd_count (), n0);
  fx_free (f);
}

static int
setup (void **state)
{
  (void)state;
  strcpy (work_dir, "/tmp/reg-longrun-XXXXXX");
  assert_non_null (mkdtemp (work_dir));
  return 0;
}

static int
teardown (void **state)
{
  reg_error_t err = NULL;
  (void)state;
  fx_free_all ();
  if (remove_tree_at (AT_FDCWD, work_dir, &err) < 0)
    reg_error_release (&err);
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_long_running_caller),
    cmocka_unit_test (test_large_closure_few_fds),
  };
  no_root = fx_enter_user_namespace ();
  return cmocka_run_group_tests_name ("longrun", tests, setup, teardown);
}
