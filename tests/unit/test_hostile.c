/* Hostile images for the REG analysis and the store.
 *
 * Every test makes a rootfs fixture and, beside it, a "host" directory
 * outside the fixture holding canaries: files an image's symlinks point at.
 * A canary is never part of a closure (checked by path and by inode), and
 * where reading a host file would change the result (an ld.so.conf naming a
 * directory that exists in the fixture, say), the test also shows that the
 * fixture's own copy of the same file does change it, so the check can
 * fail.  Each analysis runs in a child with a deadline: a hang is a test
 * failure, not a stuck test run.  */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reg-analyze.h"
#include "reg-elf.h"
#include "reg-learn.h"
#include "reg-store.h"
#include "rootfs-fixture.h"
#include "utils.h"

#define GCC(...) xsystem ("gcc " __VA_ARGS__)

/* ------------------------------------------------------------- the host */

struct host
{
  char dir[64];
};

static struct host *live_host;

static struct host *
host_new (void)
{
  struct host *h = calloc (1, sizeof (*h));
  strcpy (h->dir, "/tmp/reg-hostile-host-XXXXXX");
  assert_non_null (mkdtemp (h->dir));
  live_host = h;
  return h;
}

static void
host_free (struct host *h)
{
  reg_error_t err = NULL;
  if (h == NULL)
    return;
  if (remove_tree_at (AT_FDCWD, h->dir, &err) < 0)
    reg_error_release (&err);
  if (live_host == h)
    live_host = NULL;
  free (h);
}

static char *
host_path (struct host *h, const char *rel)
{
  char *p;
  assert_true (asprintf (&p, "%s/%s", h->dir, rel) >= 0);
  return p;
}

static void
host_text (struct host *h, const char *rel, const char *text)
{
  cleanup_free char *p = host_path (h, rel);
  cleanup_free char *d = strdup (p);
  reg_error_t err = NULL;

  *strrchr (d, '/') = '\0';
  assert_int_equal (mkdir_p_at (AT_FDCWD, d, 0755, &err), 0);
  assert_int_equal (write_file (p, text, strlen (text), &err), 0);
}

static void
host_copy_file (struct host *h, const char *rel, const char *from)
{
  cleanup_free char *p = host_path (h, rel);
  cleanup_free char *d = strdup (p);
  reg_error_t err = NULL;

  *strrchr (d, '/') = '\0';
  assert_int_equal (mkdir_p_at (AT_FDCWD, d, 0755, &err), 0);
  copy_file (from, p);
}

/* The inodes of every file under the host directory.  */
static struct
{
  dev_t dev[256];
  ino_t ino[256];
  size_t n;
} canaries;

static int
note_canary (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void)path;
  (void)ftw;
  if (type == FTW_F && canaries.n < 256)
    {
      canaries.dev[canaries.n] = st->st_dev;
      canaries.ino[canaries.n] = st->st_ino;
      canaries.n++;
    }
  return 0;
}

/* Nothing of the host directory in C: no path naming it, no file that is
   one of its inodes.  */
static void
assert_clean (const struct reg_closure *c, struct host *h)
{
  canaries.n = 0;
  assert_int_equal (nftw (h->dir, note_canary, 16, FTW_PHYS), 0);
  assert_true (canaries.n > 0);
  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      if (strstr (e->path, h->dir) != NULL)
        fail_msg ("closure entry %s names the host directory", e->path);
      if (e->kind != REG_CLOSURE_FILE)
        continue;
      for (size_t k = 0; k < canaries.n; k++)
        if (e->id.dev == canaries.dev[k] && e->id.ino == canaries.ino[k])
          fail_msg ("closure entry %s is a host file outside the rootfs", e->path);
    }
}

static const struct reg_closure_entry *
find (const struct reg_closure *c, const char *path)
{
  return reg_closure_find (c, path);
}

static bool
has_missing (const struct reg_closure *c, const char *name)
{
  for (size_t i = 0; i < c->n_missing; i++)
    if (strcmp (c->missing[i].name, name) == 0)
      return true;
  return false;
}

static bool
has_path_containing (const struct reg_closure *c, const char *s)
{
  for (size_t i = 0; i < c->n; i++)
    if (strstr (c->entries[i].path, s))
      return true;
  return false;
}

/* ------------------------------------------------- bounded analysis */

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the analysis in a child first, killed after SECS: a blocking open or
   an endless loop fails the test instead of hanging it.  Then again here
   (it has been shown to end) for the assertions.  Returns the closure;
   *ELAPSED gets the child's time.  */
static struct reg_closure *
analyze_bounded (struct fixture *f, const char *const *argv, const char *const *env, double secs, double *elapsed,
                 const char *cwd)
{
  struct reg_closure *c = NULL;
  reg_error_t err = NULL;
  double t0 = now_s ();
  int status;
  pid_t pid, w;

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      alarm ((unsigned)secs + 1);
      _exit (reg_analyze (f->rootfd, argv, env, cwd, &c, &err) == 0 ? 0 : 3);
    }
  while ((w = waitpid (pid, &status, WNOHANG)) == 0 && now_s () - t0 < secs)
    usleep (10000);
  if (w == 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      fail_msg ("the analysis of %s did not end within %.0f s", argv[0], secs);
    }
  if (elapsed)
    *elapsed = now_s () - t0;
  if (WIFSIGNALED (status))
    fail_msg ("the analysis of %s died of signal %d", argv[0], WTERMSIG (status));
  if (reg_analyze (f->rootfd, argv, env, cwd, &c, &err) < 0)
    fail_msg ("reg_analyze %s: %s", argv[0], err->msg);
  return c;
}

static struct reg_closure *
analyze (struct fixture *f, const char *const *argv, const char *const *env)
{
  return analyze_bounded (f, argv, env, 30, NULL, NULL);
}

/* A library of /bin/ls other than libc and the loader (libselinux on
   Debian), as the host has it: its canonical path.  */
static char *
ls_library (void)
{
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  char *r = NULL;

  for (size_t i = 0; i < n && r == NULL; i++)
    if (strstr (libs[i], "libc.so.6") == NULL && strstr (libs[i], "ld-linux") == NULL)
      r = realpath (libs[i], NULL);
  free_strv (libs, n);
  return r;
}

static char *
ls_loader (void)
{
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  char *r = NULL;

  for (size_t i = 0; i < n && r == NULL; i++)
    if (strstr (libs[i], "ld-linux"))
      r = realpath (libs[i], NULL);
  free_strv (libs, n);
  return r;
}

static void
fx_unlink (struct fixture *f, const char *path)
{
  cleanup_free char *p = fx_path (f, path);
  unlink (p);
}

/* --------------------------------------------- escapes by symlink */

static void
test_escape_entrypoint_path_cwd (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct host *h = host_new ();
  struct reg_closure *c;
  cleanup_free char *hprog = host_path (h, "prog");
  cleanup_free char *hbin = host_path (h, "bin");
  cleanup_free char *rel = NULL;

  host_copy_file (h, "prog", "/bin/ls");
  host_copy_file (h, "bin/mycmd", "/bin/ls");
  fx_symlink (f, "/app/prog", hprog);
  assert_true (asprintf (&rel, "../../../../../../../../..%s", hprog) >= 0);
  fx_symlink (f, "/app/rel", rel);
  fx_symlink (f, "/hostbin", hbin);
  fx_symlink (f, "/app/hostdir", h->dir);

  {
    const char *argv[] = { "/app/prog", NULL };
    c = analyze (f, argv, NULL);
    assert_true (has_missing (c, "/app/prog"));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "/app/rel", NULL };
    c = analyze (f, argv, NULL);
    assert_true (has_missing (c, "/app/rel"));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  {
    /* The host path itself as args[0], and through a linked directory.  */
    const char *argv[] = { hprog, NULL };
    c = analyze (f, argv, NULL);
    assert_true (has_missing (c, hprog));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "/app/hostdir/prog", NULL };
    c = analyze (f, argv, NULL);
    assert_true (has_missing (c, "/app/hostdir/prog"));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  {
    /* A working directory that is a link to the host's.  */
    const char *argv[] = { "./prog", NULL };
    c = analyze_bounded (f, argv, NULL, 30, NULL, "/app/hostdir");
    assert_true (has_missing (c, "./prog"));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  {
    /* PATH directories: a link to the host's, the host's by name.  */
    cleanup_free char *path = NULL;
    assert_true (asprintf (&path, "PATH=/hostbin:%s:/app/hostdir/bin", hbin) >= 0);
    const char *argv[] = { "mycmd", NULL };
    const char *env[] = { path, NULL };
    c = analyze (f, argv, env);
    assert_true (has_missing (c, "mycmd"));
    assert_clean (c, h);
    reg_closure_free (c);
    /* Control: the same command in a PATH directory of the fixture.  */
    {
      cleanup_free char *src = fx_path (f, "/bin/ls");
      cleanup_free char *dst = NULL;
      fx_mkdirs (f, "/opt/bin");
      dst = fx_path (f, "/opt/bin/mycmd");
      copy_file (src, dst);
      const char *env2[] = { "PATH=/hostbin:/opt/bin", NULL };
      c = analyze (f, argv, env2);
      assert_non_null (find (c, "/opt/bin/mycmd"));
      assert_clean (c, h);
      reg_closure_free (c);
    }
  }
  host_free (h);
  fx_free (f);
}

static void
test_escape_library_and_loader (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct host *h = host_new ();
  struct reg_closure *c;
  cleanup_free char *lib = ls_library ();
  cleanup_free char *ld = ls_loader ();
  cleanup_free char *hlib = NULL, *hld = NULL;
  const char *argv[] = { "/bin/ls", NULL };

  if (lib == NULL || ld == NULL)
    TEST_SKIP ("the host has no libc or loader to copy");
  host_copy_file (h, "lib.so", lib);
  host_copy_file (h, "ld.so", ld);
  hlib = host_path (h, "lib.so");
  hld = host_path (h, "ld.so");

  /* Control: the fixture's own copy is in the closure.  */
  c = analyze (f, argv, NULL);
  assert_non_null (find (c, lib));
  reg_closure_free (c);

  fx_unlink (f, lib);
  fx_symlink (f, lib, hlib);
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, strrchr (lib, '/') + 1));
  assert_null (find (c, lib));
  assert_clean (c, h);
  reg_closure_free (c);

  fx_unlink (f, ld);
  fx_symlink (f, ld, hld);
  c = analyze (f, argv, NULL);
  assert_null (find (c, ld));
  assert_clean (c, h);
  reg_closure_free (c);
  host_free (h);
  fx_free (f);
}

/* libcanary.so.1 in /canary of the fixture, and /app/needs-canary that
   needs it (no RPATH): found only when something names /canary.  */
static void
build_canary (struct fixture *f)
{
  fx_mkdirs (f, "/canary");
  fx_mkdirs (f, "/src");
  fx_text (f, "/src/c.c", "int canary (void) { return 1; }\n", 0644);
  fx_text (f, "/src/m.c", "int canary (void); int main (void) { return canary (); }\n", 0644);
  GCC ("-shared -fPIC -o %s/canary/libcanary.so.1 -Wl,-soname,libcanary.so.1 %s/src/c.c", f->dir, f->dir);
  fx_mkdirs (f, "/app");
  GCC ("-o %s/app/needs-canary %s/src/m.c %s/canary/libcanary.so.1", f->dir, f->dir, f->dir);
}

static void
test_escape_loader_configuration (void **state)
{
  (void)state;
  struct fixture *f;
  struct host *h;
  struct reg_closure *c;
  const char *argv[] = { "/app/needs-canary", NULL };
  cleanup_free char *cmd = NULL, *hconf = NULL, *hconfd = NULL, *hcache = NULL, *hnss = NULL, *rel = NULL;
  cleanup_free char *libc = NULL, *nssmod = NULL, *src = NULL, *dst = NULL;

  if (!have_program ("gcc"))
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  h = host_new ();
  build_canary (f);
  /* The host's configuration names /canary; its cache lists libcanary.  */
  host_text (h, "ld.so.conf", "/canary\n");
  host_text (h, "conf.d/canary.conf", "/canary\n");
  host_text (h, "nsswitch.conf", "passwd: canary\ngroup: canary\n");
  host_text (h, "root/etc/ld.so.conf", "/canary\n");
  {
    cleanup_free char *d = host_path (h, "root/canary");
    cleanup_free char *from = fx_path (f, "/canary/libcanary.so.1");
    cleanup_free char *to = host_path (h, "root/canary/libcanary.so.1");
    reg_error_t err = NULL;
    assert_int_equal (mkdir_p_at (AT_FDCWD, d, 0755, &err), 0);
    copy_file (from, to);
  }
  assert_true (asprintf (&cmd, "$(command -v ldconfig || echo /sbin/ldconfig) -r %s/root >/dev/null 2>&1", h->dir)
               >= 0);
  xsystem ("%s", cmd);
  hcache = host_path (h, "root/etc/ld.so.cache");
  hconf = host_path (h, "ld.so.conf");
  hconfd = host_path (h, "conf.d");
  hnss = host_path (h, "nsswitch.conf");

  /* Control: the fixture's own ld.so.conf naming /canary finds it.  */
  fx_unlink (f, "/etc/ld.so.cache");
  fx_text (f, "/etc/ld.so.conf", "/canary\n", 0644);
  c = analyze (f, argv, NULL);
  assert_non_null (find (c, "/canary/libcanary.so.1"));
  reg_closure_free (c);

  /* The cache, ld.so.conf, an included file, the include directory, and
     include patterns naming the host's directory by absolute and by
     relative path: none reaches /canary.  */
  fx_symlink (f, "/etc/ld.so.cache", hcache);
  fx_text (f, "/etc/ld.so.conf", "\n", 0644);
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, "libcanary.so.1"));
  assert_clean (c, h);
  reg_closure_free (c);
  fx_unlink (f, "/etc/ld.so.cache");

  fx_symlink (f, "/etc/ld.so.conf", hconf);
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, "libcanary.so.1"));
  assert_clean (c, h);
  reg_closure_free (c);

  fx_unlink (f, "/etc/ld.so.conf");
  fx_text (f, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 0644);
  fx_mkdirs (f, "/etc/ld.so.conf.d");
  {
    cleanup_free char *hc = host_path (h, "conf.d/canary.conf");
    fx_symlink (f, "/etc/ld.so.conf.d/canary.conf", hc);
  }
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, "libcanary.so.1"));
  assert_clean (c, h);
  reg_closure_free (c);

  {
    cleanup_free char *d = fx_path (f, "/etc/ld.so.conf.d");
    reg_error_t err = NULL;
    assert_int_equal (remove_tree_at (AT_FDCWD, d, &err), 0);
  }
  fx_symlink (f, "/etc/ld.so.conf.d", hconfd);
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, "libcanary.so.1"));
  assert_clean (c, h);
  reg_closure_free (c);

  {
    cleanup_free char *text = NULL;
    assert_true (asprintf (&text, "include %s/*.conf\ninclude ../../../../../../..%s/*.conf\ninclude %s\n", hconfd,
                           hconfd, hconf)
                 >= 0);
    fx_text (f, "/etc/ld.so.conf", text, 0644);
  }
  c = analyze (f, argv, NULL);
  assert_true (has_missing (c, "libcanary.so.1"));
  assert_clean (c, h);
  reg_closure_free (c);

  /* nsswitch.conf: a module in the fixture that only the host's file
     names.  Control first: the fixture's own file naming it.  */
  {
    char **libs;
    size_t n = ldd_paths ("/bin/ls", &libs);
    for (size_t i = 0; i < n; i++)
      if (strstr (libs[i], "/libc.so.6"))
        libc = realpath (libs[i], NULL);
    free_strv (libs, n);
    assert_non_null (libc);
    assert_true (asprintf (&nssmod, "%.*s/libnss_canary.so.2", (int)(strrchr (libc, '/') - libc), libc) >= 0);
    src = fx_path (f, libc);
    dst = fx_path (f, nssmod);
    copy_file (src, dst);
  }
  {
    const char *ls[] = { "/bin/ls", NULL };
    fx_text (f, "/etc/nsswitch.conf", "passwd: canary\n", 0644);
    c = analyze (f, ls, NULL);
    assert_non_null (find (c, nssmod));
    reg_closure_free (c);
    fx_unlink (f, "/etc/nsswitch.conf");
    fx_symlink (f, "/etc/nsswitch.conf", hnss);
    c = analyze (f, ls, NULL);
    assert_null (find (c, nssmod));
    assert_clean (c, h);
    reg_closure_free (c);
  }
  (void)rel;
  host_free (h);
  fx_free (f);
}

static void
test_escape_shebang_and_origin (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct host *h = host_new ();
  struct reg_closure *c;
  cleanup_free char *hprog = host_path (h, "prog");
  cleanup_free char *hlib = host_path (h, "lib");
  cleanup_free char *text = NULL;

  host_copy_file (h, "prog", "/bin/sh");
  fx_symlink (f, "/app/interp", hprog);
  fx_text (f, "/app/script", "#!/app/interp -e\n", 0755);
  assert_true (asprintf (&text, "#!%s\n", hprog) >= 0);
  fx_text (f, "/app/script-abs", text, 0755);
  free (text);
  assert_true (asprintf (&text, "#!../../../../../../..%s\n", hprog) >= 0);
  fx_text (f, "/app/script-rel", text, 0755);
  {
    const char *const scripts[] = { "/app/script", "/app/script-abs", "/app/script-rel" };
    for (size_t i = 0; i < 3; i++)
      {
        const char *argv[] = { scripts[i], NULL };
        c = analyze (f, argv, NULL);
        assert_non_null (find (c, scripts[i]));
        assert_true (c->n_missing > 0);
        assert_clean (c, h);
        reg_closure_free (c);
      }
  }

  /* $ORIGIN/../lib where lib is a link to the host's directory.  */
  if (have_program ("gcc"))
    {
      const char *argv[] = { "/opt/o/bin/prog", NULL };
      fx_mkdirs (f, "/opt/o/bin");
      fx_mkdirs (f, "/src");
      fx_text (f, "/src/foo.c", "int foo (void) { return 0; }\n", 0644);
      fx_text (f, "/src/m.c", "int foo (void); int main (void) { return foo (); }\n", 0644);
      fx_mkdirs (f, "/opt/o/lib");
      GCC ("-shared -fPIC -o %s/opt/o/lib/libfoo.so -Wl,-soname,libfoo.so %s/src/foo.c", f->dir, f->dir);
      GCC ("-o %s/opt/o/bin/prog %s/src/m.c -L%s/opt/o/lib -lfoo -Wl,-rpath,'$ORIGIN/../lib'", f->dir, f->dir, f->dir);
      /* Control: the fixture's lib directory.  */
      c = analyze (f, argv, NULL);
      assert_non_null (find (c, "/opt/o/lib/libfoo.so"));
      reg_closure_free (c);
      {
        cleanup_free char *from = fx_path (f, "/opt/o/lib/libfoo.so");
        cleanup_free char *d = fx_path (f, "/opt/o/lib");
        reg_error_t err = NULL;
        host_copy_file (h, "lib/libfoo.so", from);
        assert_int_equal (remove_tree_at (AT_FDCWD, d, &err), 0);
      }
      fx_symlink (f, "/opt/o/lib", hlib);
      c = analyze (f, argv, NULL);
      assert_true (has_missing (c, "libfoo.so"));
      assert_clean (c, h);
      reg_closure_free (c);
      /* The program itself reached through a link: $ORIGIN is where the
         file is inside the root, never the host.  */
      fx_symlink (f, "/opt/o/lib", "../../canary-none");
      fx_symlink (f, "/usr/local/bin/prog", "../../../opt/o/bin/prog");
      {
        const char *argv2[] = { "/usr/local/bin/prog", NULL };
        c = analyze (f, argv2, NULL);
        assert_non_null (find (c, "/opt/o/bin/prog"));
        assert_true (has_missing (c, "libfoo.so"));
        assert_clean (c, h);
        reg_closure_free (c);
      }
    }
  host_free (h);
  fx_free (f);
}

/* ------------------------------------------ loops, sizes, special files */

static void
test_symlink_loops (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  cleanup_free char *lib = ls_library ();

  fx_symlink (f, "/app/loop1", "loop2");
  fx_symlink (f, "/app/loop2", "/app/loop1");
  fx_symlink (f, "/app/self", "self");
  fx_symlink (f, "/loopdir", "/loopdir/x/..");
  /* A chain of 60 links: more than the kernel follows.  */
  for (int i = 0; i < 60; i++)
    {
      char p[64], t[64];
      snprintf (p, sizeof p, "/chain/l%d", i);
      snprintf (t, sizeof t, "l%d", i + 1);
      fx_symlink (f, p, t);
    }
  fx_symlink (f, "/chain/l60", "/bin/ls");
  fx_text (f, "/etc/ld.so.conf", "include /etc/ld.so.conf\ninclude /etc/loop.conf\n/loopdir\n", 0644);
  fx_symlink (f, "/etc/loop.conf", "loop.conf");
  {
    const char *const names[] = { "/app/loop1", "/app/self", "/chain/l0", "/loopdir/ls" };
    for (size_t i = 0; i < 4; i++)
      {
        const char *argv[] = { names[i], NULL };
        c = analyze (f, argv, NULL);
        assert_true (has_missing (c, names[i]));
        reg_closure_free (c);
      }
  }
  if (lib)
    {
      /* A library that is a loop, with loops in every search list.  */
      const char *argv[] = { "/bin/ls", NULL };
      const char *env[] = { "LD_LIBRARY_PATH=/loopdir:/app/loop1:/app/self", NULL };
      fx_unlink (f, lib);
      fx_symlink (f, lib, strrchr (lib, '/') + 1);
      c = analyze (f, argv, env);
      assert_true (has_missing (c, strrchr (lib, '/') + 1));
      reg_closure_free (c);
    }
  fx_free (f);
}

static void
test_big_directory_and_deep_tree (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  cleanup_free char *big = fx_path (f, "/big");
  cleanup_free char *deep = NULL;
  const char *argv[] = { "ls", NULL };
  double t;
  int dfd;

  /* 100,000 entries in a directory that is in every search list.  */
  assert_int_equal (mkdir (big, 0755), 0);
  dfd = open (big, O_RDONLY | O_DIRECTORY);
  assert_true (dfd >= 0);
  for (int i = 0; i < 100000; i++)
    {
      char name[32];
      int fd;
      snprintf (name, sizeof name, "f%06d.conf", i);
      fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
      assert_true (fd >= 0);
      close (fd);
    }
  close (dfd);
  /* Without a cache, so that ld.so.conf and its include glob are read.  */
  fx_unlink (f, "/etc/ld.so.cache");
  {
    cleanup_free char *conf = NULL, *text = NULL;
    reg_error_t err = NULL;
    conf = fx_path (f, "/etc/ld.so.conf");
    if (read_all_file (conf, 0, &text, NULL, &err) < 0)
      fail_msg ("%s", err->msg);
    fx_text (f, "/etc/ld.so.conf", "include /big/*.conf\n/big\n", 0644);
    /* The host's directories after the 100,000 empty includes.  */
    {
      FILE *fp = fopen (conf, "a");
      assert_non_null (fp);
      fputs (text, fp);
      fclose (fp);
    }
  }

  /* A tree 2000 directories deep ("d/d/...", longer than PATH_MAX) with a
     library at the bottom, named in LD_LIBRARY_PATH and ld.so.conf.  */
  {
    size_t len = 0;
    dfd = open (f->dir, O_RDONLY | O_DIRECTORY);
    assert_true (dfd >= 0);
    deep = xmalloc (2000 * 2 + 32);
    for (int i = 0; i < 2000; i++)
      {
        int next;
        assert_int_equal (mkdirat (dfd, "d", 0755), 0);
        next = openat (dfd, "d", O_RDONLY | O_DIRECTORY);
        assert_true (next >= 0);
        close (dfd);
        dfd = next;
        memcpy (deep + len, "/d", 2);
        len += 2;
      }
    deep[len] = '\0';
    close (openat (dfd, "libselinux.so.1", O_WRONLY | O_CREAT, 0644));
    close (dfd);
  }
  {
    cleanup_free char *ldpath = NULL, *pathenv = NULL;
    assert_true (asprintf (&ldpath, "LD_LIBRARY_PATH=/big:%s", deep) >= 0);
    assert_true (asprintf (&pathenv, "PATH=/big:%s:/usr/bin:/bin", deep) >= 0);
    const char *env[] = { ldpath, pathenv, NULL };
    c = analyze_bounded (f, argv, env, 60, &t, NULL);
    /* The program and its libc are still found, in bounded time.  */
    assert_true (c->glibc);
    assert_false (has_path_containing (c, "/big/"));
    assert_false (has_path_containing (c, "/d/d/"));
    print_message ("# big directory and deep tree: analysis in %.2f s\n", t);
    assert_true (t < 20);
    reg_closure_free (c);
  }
  {
    /* The deep path as args[0].  */
    cleanup_free char *prog = NULL;
    assert_true (asprintf (&prog, "%s/libselinux.so.1", deep) >= 0);
    const char *argv2[] = { prog, NULL };
    c = analyze (f, argv2, NULL);
    assert_true (c->n_missing > 0 || c->n > 0);
    reg_closure_free (c);
  }
  fx_free (f);
}

static void
test_sparse_library (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  cleanup_free char *lib = ls_library ();
  cleanup_free char *p = NULL;
  const char *argv[] = { "/bin/ls", NULL };
  off_t size = (off_t)1 << 40; /* 1 TiB */
  double t;
  int fd;

  if (lib == NULL)
    TEST_SKIP ("the host has no libc to copy");
  p = fx_path (f, lib);
  /* The real library's first 64 KiB (headers, dynamic section), then a
     hole to 1 TiB: read whole, it would take many minutes.  */
  assert_int_equal (truncate (p, 65536), 0);
  fd = open (p, O_WRONLY);
  assert_true (fd >= 0);
  if (ftruncate (fd, size) < 0)
    {
      size = (off_t)1 << 36; /* 64 GiB where files cannot be that large */
      assert_int_equal (ftruncate (fd, size), 0);
    }
  close (fd);
  c = analyze_bounded (f, argv, NULL, 60, &t, NULL);
  print_message ("# sparse %lld-byte library: analysis in %.2f s\n", (long long)size, t);
  assert_true (t < 10);
  assert_non_null (find (c, lib));
  assert_int_equal (find (c, lib)->id.size, (uint64_t)size);
  reg_closure_free (c);
  fx_free (f);
}

/* A writer blocked opening the FIFO at PATH; it exits when something opens
   it for reading.  */
static pid_t
fifo_watch (const char *path)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      alarm (120);
      int fd = open (path, O_WRONLY);
      _exit (fd >= 0 ? 0 : 1);
    }
  return pid;
}

/* True when the watcher has seen a reader (and is gone); else it is
   stopped.  */
static bool
fifo_was_opened (pid_t pid)
{
  int status;
  usleep (100000);
  if (waitpid (pid, &status, WNOHANG) == pid)
    return true;
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  return false;
}

static void
test_fifo_and_device_nodes (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  cleanup_free char *lib = ls_library ();
  const char *const fifos[] = { "/etc/ld.so.cache", "/etc/ld.so.conf",  "/etc/nsswitch.conf",
                                "/app/fifo-prog",   "/app/fifo-interp", NULL /* the library */ };
  size_t opened = 0;

  if (lib == NULL)
    TEST_SKIP ("the host has no libc to copy");
  fx_mkdirs (f, "/app");
  fx_text (f, "/app/script", "#!/app/fifo-interp\n", 0755);
  for (size_t i = 0; i < sizeof fifos / sizeof fifos[0]; i++)
    {
      const char *where = fifos[i] ? fifos[i] : lib;
      cleanup_free char *p = fx_path (f, where);
      unlink (p);
      assert_int_equal (mkfifo (p, 0644), 0);
    }
  /* Each FIFO has a writer waiting for a reader: an analysis that opened
     one for reading lets its writer go (it must not block either way).  */
  for (size_t i = 0; i < sizeof fifos / sizeof fifos[0]; i++)
    {
      const char *where = fifos[i] ? fifos[i] : lib;
      const char *prog = strcmp (where, "/app/fifo-prog") == 0     ? "/app/fifo-prog"
                         : strcmp (where, "/app/fifo-interp") == 0 ? "/app/script"
                                                                   : "/bin/ls";
      const char *argv[] = { prog, NULL };
      cleanup_free char *p = fx_path (f, where);
      pid_t w = fifo_watch (p);

      usleep (50000);
      c = analyze_bounded (f, argv, NULL, 20, NULL, NULL);
      if (fifos[i] == NULL)
        assert_true (has_missing (c, strrchr (lib, '/') + 1));
      assert_null (find (c, where));
      reg_closure_free (c);
      if (fifo_was_opened (w))
        {
          print_message ("# the analysis opened the FIFO at %s\n", where);
          opened++;
        }
    }
  /* An include path (reg_closure_add_path) and the entrypoint of the
     learn/minimal profile key (reg_profile_key) that are FIFOs.  */
  {
    cleanup_free char *p = fx_path (f, "/app/fifo-prog");
    struct reg_closure *inc = xmalloc0 (sizeof (*inc));
    reg_error_t err = NULL;
    pid_t w = fifo_watch (p);
    usleep (50000);
    assert_true (reg_closure_add_path (f->rootfd, inc, "/app/fifo-prog", "include", &err) < 0);
    reg_error_release (&err);
    reg_closure_free (inc);
    if (fifo_was_opened (w))
      {
        print_message ("# reg_closure_add_path opened the FIFO\n");
        opened++;
      }
  }
  /* The same file met by a directory walk (reg_closure_add_file_at).  */
  {
    cleanup_free char *p = fx_path (f, "/app/fifo-prog");
    cleanup_close int app = open_in_root_raw (f->rootfd, "/app", O_PATH | O_DIRECTORY, 0);
    struct reg_closure *inc = xmalloc0 (sizeof (*inc));
    reg_error_t err = NULL;
    pid_t w = fifo_watch (p);
    usleep (50000);
    assert_true (app >= 0);
    assert_true (reg_closure_add_file_at (f->rootfd, inc, app, "fifo-prog", "/app/fifo-prog", "include", &err) < 0);
    reg_error_release (&err);
    assert_int_equal (inc->n, 0);
    reg_closure_free (inc);
    if (fifo_was_opened (w))
      {
        print_message ("# reg_closure_add_file_at opened the FIFO\n");
        opened++;
      }
  }
  {
    char sdir[] = "/tmp/reg-hostile-pkey-XXXXXX";
    cleanup_free char *p = fx_path (f, "/app/fifo-prog");
    cleanup_free char *key = NULL;
    struct reg_store *st = NULL;
    reg_error_t err = NULL;
    oci_process proc;
    char *args[] = { (char *)"/app/fifo-prog", NULL };
    pid_t w;

    memset (&proc, 0, sizeof proc);
    proc.args.items = args;
    proc.args.len = 1;
    proc.cwd = (char *)"/";
    assert_non_null (mkdtemp (sdir));
    assert_int_equal (reg_store_open (sdir, &st, &err), 0);
    w = fifo_watch (p);
    usleep (50000);
    assert_int_equal (reg_profile_key (st, f->rootfd, &proc, &key, &err), 0);
    reg_store_close (st);
    assert_int_equal (remove_tree_at (AT_FDCWD, sdir, &err), 0);
    if (fifo_was_opened (w))
      {
        print_message ("# reg_profile_key opened the FIFO\n");
        opened++;
      }
  }
  assert_int_equal (opened, 0);

  /* Device nodes (root only): a disk-like block device and /dev/zero's
     numbers where a library and the loader's configuration are expected.  */
  if (geteuid () == 0)
    {
      const char *argv[] = { "/bin/ls", NULL };
      const char *const where[] = { "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/nsswitch.conf" };
      cleanup_free char *p = fx_path (f, lib);
      unlink (p);
      if (mknod (p, S_IFCHR | 0644, makedev (1, 5)) < 0)
        {
          print_message ("# mknod: %s: no device node cases\n", strerror (errno));
          fx_free (f);
          return;
        }
      for (size_t i = 0; i < 3; i++)
        {
          cleanup_free char *q = fx_path (f, where[i]);
          unlink (q);
          assert_int_equal (mknod (q, S_IFCHR | 0644, makedev (1, 5)), 0);
        }
      c = analyze_bounded (f, argv, NULL, 20, NULL, NULL);
      assert_true (has_missing (c, strrchr (lib, '/') + 1));
      assert_null (find (c, lib));
      reg_closure_free (c);
    }
  fx_free (f);
}

/* ----------------------------------------------- absurd ELF headers */

/* A copy of the 64-bit seed library of the fuzz corpus (RPATH, SONAME,
   PT_DYNAMIC) to mutate.  */
static size_t
load_seed (unsigned char **out)
{
  char *data = NULL;
  size_t len = 0;
  reg_error_t err = NULL;

  if (read_all_file (SRCDIR "/tests/fuzz/corpus/elf/exe-runpath", 0, &data, &len, &err) < 0)
    fail_msg ("%s", err->msg);
  *out = (unsigned char *)data;
  return len;
}

static Elf64_Phdr *
phdr_of (unsigned char *d, uint32_t type)
{
  Elf64_Ehdr *eh = (Elf64_Ehdr *)d;
  for (int i = 0; i < eh->e_phnum; i++)
    {
      Elf64_Phdr *ph = (Elf64_Phdr *)(d + eh->e_phoff + (size_t)i * eh->e_phentsize);
      if (ph->p_type == type)
        return ph;
    }
  return NULL;
}

static Elf64_Dyn *
dyn_of (unsigned char *d, int64_t tag)
{
  Elf64_Phdr *ph = phdr_of (d, PT_DYNAMIC);
  for (Elf64_Dyn *dy = (Elf64_Dyn *)(d + ph->p_offset); dy->d_tag != DT_NULL; dy++)
    if (dy->d_tag == tag)
      return dy;
  return NULL;
}

enum mutation
{
  MUT_PHNUM_HUGE,
  MUT_PHOFF_PAST_EOF,
  MUT_DYN_OFFSET_PAST_EOF,
  MUT_DYN_AT_HEADER,
  MUT_DYN_SIZE_HUGE,
  MUT_STRTAB_OUTSIDE,
  MUT_STRSZ_HUGE,
  MUT_NEEDED_NO_NUL,
  MUT_INTERP_NO_NUL,
  MUT_INTERP_SELF,
  MUT_COUNT
};

static const char *const mutation_names[] = { "e_phnum 0xffff",
                                              "e_phoff past EOF",
                                              "PT_DYNAMIC p_offset past EOF",
                                              "PT_DYNAMIC at the ELF header",
                                              "PT_DYNAMIC p_filesz 2^62",
                                              "DT_STRTAB outside the file",
                                              "DT_STRSZ 2^63",
                                              "DT_NEEDED without a NUL",
                                              "PT_INTERP without a NUL",
                                              "PT_INTERP is the program" };

static void
mutate (unsigned char *d, size_t len, enum mutation m)
{
  Elf64_Ehdr *eh = (Elf64_Ehdr *)d;
  Elf64_Phdr *dyn = phdr_of (d, PT_DYNAMIC), *interp = phdr_of (d, PT_INTERP);

  assert_non_null (dyn);
  assert_non_null (interp);
  switch (m)
    {
    case MUT_PHNUM_HUGE:
      eh->e_phnum = 0xffff;
      break;
    case MUT_PHOFF_PAST_EOF:
      eh->e_phoff = len + 4096;
      break;
    case MUT_DYN_OFFSET_PAST_EOF:
      dyn->p_offset = len * 16;
      break;
    case MUT_DYN_AT_HEADER:
      dyn->p_offset = 0;
      break;
    case MUT_DYN_SIZE_HUGE:
      dyn->p_filesz = (Elf64_Xword)1 << 62;
      break;
    case MUT_STRTAB_OUTSIDE:
      dyn_of (d, DT_STRTAB)->d_un.d_ptr = 0x7fff00000000ull;
      break;
    case MUT_STRSZ_HUGE:
      dyn_of (d, DT_STRSZ)->d_un.d_val = (Elf64_Xword)1 << 63;
      break;
    case MUT_NEEDED_NO_NUL:
      {
        /* The string table, from the first DT_NEEDED's string to the end
           of the file, without a NUL.  */
        Elf64_Dyn *strtab = dyn_of (d, DT_STRTAB), *needed = dyn_of (d, DT_NEEDED);
        Elf64_Phdr *load = phdr_of (d, PT_LOAD);
        size_t off = strtab->d_un.d_ptr - load->p_vaddr + load->p_offset + needed->d_un.d_val;
        dyn_of (d, DT_STRSZ)->d_un.d_val = (Elf64_Xword)1 << 40;
        for (size_t i = off; i < len; i++)
          if (d[i] == 0)
            d[i] = 'x';
        /* That rewrote the dynamic section too: put back its terminator
           being absent is fine (bounded by p_filesz).  */
      }
      break;
    case MUT_INTERP_NO_NUL:
      memset (d + interp->p_offset, 'i', len - interp->p_offset);
      interp->p_filesz = (Elf64_Xword)1 << 40;
      break;
    case MUT_INTERP_SELF:
      memset (d + interp->p_offset, 0, interp->p_filesz);
      strcpy ((char *)d + interp->p_offset, "/app/bad");
      break;
    case MUT_COUNT:
      break;
    }
}

static void
test_absurd_elf_headers (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  unsigned char *seed;
  size_t len = load_seed (&seed);

  for (int m = 0; m < MUT_COUNT; m++)
    {
      unsigned char *d = malloc (len);
      struct reg_elf_info *info = NULL;
      reg_error_t err = NULL;
      struct reg_closure *c;
      const char *argv[] = { "/app/bad", NULL };
      cleanup_free char *p = NULL;
      int fd, ret;
      double t;

      memcpy (d, seed, len);
      mutate (d, len, (enum mutation)m);
      fx_write (f, "/app/bad", d, len, 0755);
      p = fx_path (f, "/app/bad");
      fd = open (p, O_RDONLY);
      assert_true (fd >= 0);
      ret = reg_elf_read_fd (fd, &info, &err);
      close (fd);
      print_message ("# %s: %s\n", mutation_names[m], ret < 0 ? err->msg : "read");
      if (ret == 0)
        {
          for (size_t i = 0; i < info->n_needed; i++)
            assert_true (strlen (info->needed[i]) <= REG_ELF_MAX_STRING);
          if (info->interp)
            assert_true (strlen (info->interp) <= REG_ELF_MAX_STRING);
          reg_elf_info_free (info);
        }
      reg_error_release (&err);

      /* As an entrypoint, and as a library of /bin/ls.  */
      c = analyze_bounded (f, argv, NULL, 20, &t, NULL);
      assert_non_null (find (c, "/app/bad"));
      assert_true (t < 10);
      reg_closure_free (c);
      {
        cleanup_free char *lib = ls_library ();
        if (lib)
          {
            const char *ls[] = { "/bin/ls", NULL };
            fx_write (f, lib, d, len, 0755);
            c = analyze_bounded (f, ls, NULL, 20, &t, NULL);
            assert_true (t < 10);
            reg_closure_free (c);
          }
      }
      free (d);
    }
  free (seed);
  fx_free (f);
}

/* Dependencies that form cycles: a library needing itself, two needing
   each other, scripts naming each other as interpreter.  */
static void
test_cycles (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;

  fx_text (f, "/app/a", "#!/app/b\n", 0755);
  fx_text (f, "/app/b", "#!/app/a\n", 0755);
  fx_text (f, "/app/s", "#!/app/s\n", 0755);
  {
    const char *const names[] = { "/app/a", "/app/s" };
    for (size_t i = 0; i < 2; i++)
      {
        const char *argv[] = { names[i], NULL };
        double t;
        c = analyze_bounded (f, argv, NULL, 20, &t, NULL);
        assert_non_null (find (c, names[i]));
        assert_true (t < 5);
        reg_closure_free (c);
      }
  }
  if (have_program ("gcc"))
    {
      const char *argv[] = { "/opt/c/prog", NULL };
      fx_mkdirs (f, "/opt/c");
      fx_text (f, "/opt/c/s.c", "int s (void) { return 0; }\n", 0644);
      fx_text (f, "/opt/c/m.c", "int s (void); int main (void) { return s (); }\n", 0644);
      /* libself.so needs libself.so.  */
      GCC ("-shared -fPIC -o %s/opt/c/libself.so -Wl,-soname,libself.so %s/opt/c/s.c", f->dir, f->dir);
      GCC ("-shared -fPIC -o %s/opt/c/libself.so -Wl,-soname,libself.so %s/opt/c/s.c -L%s/opt/c -Wl,--no-as-needed "
           "-lself",
           f->dir, f->dir, f->dir);
      GCC ("-o %s/opt/c/prog %s/opt/c/m.c -L%s/opt/c -lself -Wl,-rpath,'$ORIGIN'", f->dir, f->dir, f->dir);
      c = analyze (f, argv, NULL);
      assert_non_null (find (c, "/opt/c/libself.so"));
      assert_int_equal (c->n_missing, 0);
      reg_closure_free (c);
    }
  fx_free (f);
}

/* ------------------------------------------------------------ the store */

static char store_mnt[64];

/* A store on a 1 MiB tmpfs: adding a larger file fails with ENOSPC named
   with the store's path, and leaves nothing (check clean, gc finds no
   temporary file, no object).  */
static void
test_store_full_disk (void **state)
{
  (void)state;
  char dir[] = "/tmp/reg-hostile-store-XXXXXX";
  cleanup_free char *src = NULL;
  struct reg_store *s = NULL;
  struct reg_check_result chk = { 0 };
  struct reg_gc_result gc = { 0 };
  struct reg_store_counters cnt;
  reg_error_t err = NULL;
  struct reg_identity id;
  char *digest = NULL;
  int fd, ret;

  if (geteuid () != 0)
    TEST_SKIP ("needs root (mount)");
  assert_non_null (mkdtemp (dir));
  if (mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") < 0)
    {
      print_message ("# mount tmpfs: %s\n", strerror (errno));
      rmdir (dir);
      TEST_SKIP ("cannot mount a tmpfs");
    }
  strcpy (store_mnt, dir);
  assert_int_equal (reg_store_open (dir, &s, &err), 0);

  /* A small file fits; a 4 MiB one does not.  */
  assert_true (asprintf (&src, "/tmp/reg-hostile-src-%d", getpid ()) >= 0);
  fd = open (src, O_RDWR | O_CREAT | O_TRUNC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "small\n", 6), 6);
  assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
  assert_int_equal (reg_store_add_file (s, fd, &id, &digest, NULL, &err), 0);
  assert_int_equal (reg_store_flush (s, &err), 0);
  free (digest);
  digest = NULL;
  close (fd);
  unlink (src);
  fd = open (src, O_RDWR | O_CREAT | O_TRUNC, 0644);
  assert_true (fd >= 0);
  {
    char buf[65536];
    memset (buf, 'x', sizeof buf);
    for (int i = 0; i < 64; i++)
      assert_int_equal (write (fd, buf, sizeof buf), (ssize_t)sizeof buf);
  }
  assert_int_equal (reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL), 0);
  ret = reg_store_add_file (s, fd, &id, &digest, NULL, &err);
  close (fd);
  unlink (src);
  assert_true (ret < 0);
  print_message ("# full store: %s\n", err->msg);
  assert_int_equal (err->status, ENOSPC);
  assert_non_null (strstr (err->msg, "No space left on device"));
  assert_non_null (strstr (err->msg, dir));
  reg_error_release (&err);
  assert_null (digest);
  reg_store_get_counters (s, &cnt);
  assert_int_equal (cnt.objects_created, 1);

  /* Nothing partial: every object checks, tmp/ is already empty.  */
  assert_int_equal (reg_store_check (s, NULL, &chk, &err), 0);
  assert_int_equal (chk.n_problems, 0);
  assert_int_equal (chk.objects, 1);
  reg_check_result_clear (&chk);
  {
    cleanup_free char *tmp = NULL;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    size_t n = 0;
    assert_true (asprintf (&tmp, "%s/tmp", dir) >= 0);
    d = opendir (tmp);
    assert_non_null (d);
    while ((de = readdir (d)))
      if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
        n++;
    assert_int_equal (n, 0);
  }
  reg_store_close (s);
  s = NULL;
  assert_int_equal (reg_store_open (dir, &s, &err), 0);
  assert_int_equal (reg_store_gc (s, &gc, &err), 0);
  assert_int_equal (gc.temps_removed, 0);
  reg_store_close (s);
  umount2 (dir, MNT_DETACH);
  rmdir (dir);
  store_mnt[0] = '\0';
}

static int
teardown (void **state)
{
  (void)state;
  if (store_mnt[0])
    {
      umount2 (store_mnt, MNT_DETACH);
      rmdir (store_mnt);
    }
  fx_free_all ();
  host_free (live_host);
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_escape_entrypoint_path_cwd),
    cmocka_unit_test (test_escape_library_and_loader),
    cmocka_unit_test (test_escape_loader_configuration),
    cmocka_unit_test (test_escape_shebang_and_origin),
    cmocka_unit_test (test_symlink_loops),
    cmocka_unit_test (test_big_directory_and_deep_tree),
    cmocka_unit_test (test_sparse_library),
    cmocka_unit_test (test_fifo_and_device_nodes),
    cmocka_unit_test (test_absurd_elf_headers),
    cmocka_unit_test (test_cycles),
    cmocka_unit_test (test_store_full_disk),
  };
  return cmocka_run_group_tests_name ("hostile", tests, NULL, teardown);
}
