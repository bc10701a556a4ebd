/* Unit tests of the REG analysis: ELF reader, ld.so.cache reader, closure.
 *
 * Every test builds its own rootfs fixture under a mkdtemp directory, as any
 * user: host programs and their libraries copied in with their paths and
 * symlinks (merged-/usr included), an ld.so.cache made by `ldconfig -r` (or
 * the host's, whose paths match the copied layout), small programs and
 * libraries compiled with gcc at test time.  */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reg-analyze.h"
#include "reg-elf.h"
#include "reg-ldcache.h"
#include "utils.h"

#include "rootfs-fixture.h"

static struct reg_closure *
analyze (struct fixture *f, const char *const *argv, const char *const *env, const char *cwd)
{
  struct reg_closure *c = NULL;
  reg_error_t err = NULL;

  if (reg_analyze (f->rootfd, argv, env, cwd, &c, &err) < 0)
    fail_msg ("reg_analyze: %s", err->msg);
  assert_non_null (c);
  return c;
}

static const struct reg_closure_entry *
find (const struct reg_closure *c, const char *path)
{
  return reg_closure_find (c, path);
}

static void
assert_file (const struct reg_closure *c, const char *path)
{
  const struct reg_closure_entry *e = find (c, path);
  if (e == NULL || e->kind != REG_CLOSURE_FILE)
    fail_msg ("closure lacks the file %s", path);
}

static bool
has_missing (const struct reg_closure *c, const char *name, const char *needed_by)
{
  for (size_t i = 0; i < c->n_missing; i++)
    if (strcmp (c->missing[i].name, name) == 0
        && (needed_by == NULL || strcmp (c->missing[i].needed_by, needed_by) == 0))
      return true;
  return false;
}

static char *
host_realpath (const char *p)
{
  char *r = realpath (p, NULL);
  assert_non_null (r);
  return r;
}

/* gcc, quietly; fails the test when it fails.  */
#define GCC(...) xsystem ("gcc " __VA_ARGS__)

static bool
need_gcc (void)
{
  return have_program ("gcc");
}

/* ------------------------------------------------------------ ELF reader */

static void
test_elf_reads_host_ls (void **state)
{
  (void)state;
  int fd = open ("/bin/ls", O_RDONLY | O_CLOEXEC);
  struct reg_elf_info *info = NULL;
  reg_error_t err = NULL;
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  bool libc = false;

  assert_true (fd >= 0);
  if (reg_elf_read_fd (fd, &info, &err) < 0)
    fail_msg ("%s", err->msg);
  close (fd);
  assert_non_null (info->interp);
  assert_true (info->n_needed > 0);
  for (size_t i = 0; i < info->n_needed; i++)
    libc |= strcmp (info->needed[i], "libc.so.6") == 0;
  assert_true (libc);
  /* The interpreter is one ldd lists.  */
  {
    bool seen = false;
    for (size_t i = 0; i < n; i++)
      seen |= strcmp (libs[i], info->interp) == 0;
    assert_true (seen);
  }
  reg_elf_info_free (info);
  free_strv (libs, n);
}

static void
test_elf_corrupt_files (void **state)
{
  (void)state;
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  char *libc = NULL, *data = NULL;
  size_t len = 0;
  reg_error_t err = NULL;
  char tmpl[] = "/tmp/reg-elf-XXXXXX";
  int fd = mkstemp (tmpl);
  unsigned seed = (unsigned)time (NULL);
  size_t errors = 0;

  assert_true (fd >= 0);
  unlink (tmpl);
  for (size_t i = 0; i < n; i++)
    if (strstr (libs[i], "libc.so"))
      libc = libs[i];
  assert_non_null (libc);
  assert_int_equal (read_all_file (libc, 0, &data, &len, &err), 0);
  srand (seed);

  /* Truncated copies: some lengths cut the headers, some the segments.  */
  {
    size_t cuts[] = { 0, 4, 16, 52, 63, 64, 100, 500, 1000, 4096, 8192, len / 3, len / 2, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
      {
        struct reg_elf_info *info = NULL;
        assert_int_equal (ftruncate (fd, 0), 0);
        assert_int_equal (pwrite (fd, data, cuts[i], 0), (ssize_t)cuts[i]);
        if (reg_elf_read_fd (fd, &info, &err) < 0)
          {
            errors++;
            reg_error_release (&err);
          }
        reg_elf_info_free (info);
      }
  }
  /* Random bytes behind the ELF magic, and random mutations of libc's
     first 64 KiB (headers, dynamic section, string table offsets).  */
  for (int round = 0; round < 300; round++)
    {
      size_t sz = round < 100 ? 64 + (size_t)(rand () % 8192) : (len < 65536 ? len : 65536);
      unsigned char *buf = malloc (sz);
      struct reg_elf_info *info = NULL;

      if (round < 100)
        {
          for (size_t i = 0; i < sz; i++)
            buf[i] = (unsigned char)rand ();
          memcpy (buf, ELFMAG, SELFMAG);
          buf[EI_CLASS] = (unsigned char)(1 + rand () % 2);
          buf[EI_DATA] = ELFDATA2LSB;
          buf[EI_VERSION] = EV_CURRENT;
        }
      else
        {
          memcpy (buf, data, sz);
          for (int k = 0; k < 1 + rand () % 16; k++)
            buf[rand () % (sz < 4096 ? sz : 4096)] = (unsigned char)rand ();
        }
      assert_int_equal (ftruncate (fd, 0), 0);
      assert_int_equal (pwrite (fd, buf, sz, 0), (ssize_t)sz);
      if (reg_elf_read_fd (fd, &info, &err) < 0)
        reg_error_release (&err);
      else
        for (size_t i = 0; i < info->n_needed; i++)
          assert_true (strlen (info->needed[i]) <= REG_ELF_MAX_STRING);
      reg_elf_info_free (info);
      free (buf);
    }
  /* Cuts inside the headers are errors, not silent successes.  */
  assert_true (errors >= 8);
  close (fd);
  free (data);
  free_strv (libs, n);
}

/* ------------------------------------------------------- ld.so.cache */

static void
test_ldcache_host_libc (void **state)
{
  (void)state;
  struct reg_ldcache *cache = NULL;
  struct reg_ldcache_hit *hits = NULL;
  size_t n = 0;
  reg_error_t err = NULL;
  int rootfd;
  char **libs;
  size_t nl;
  char *want = NULL;
  bool match = false;

  if (access ("/etc/ld.so.cache", R_OK) != 0)
    TEST_SKIP ("no /etc/ld.so.cache on this host");
  rootfd = open ("/", O_PATH | O_DIRECTORY);
  if (reg_ldcache_load_in_root (rootfd, "/etc/ld.so.cache", &cache, &err) < 0)
    fail_msg ("%s", err->msg);
  close (rootfd);
  assert_true (reg_ldcache_size (cache) > 0);

  nl = ldd_paths ("/bin/ls", &libs);
  for (size_t i = 0; i < nl; i++)
    if (strstr (libs[i], "/libc.so.6"))
      want = host_realpath (libs[i]);
  assert_non_null (want);
#if defined(__x86_64__)
  reg_ldcache_lookup (cache, "libc.so.6", reg_ldcache_flags_for (ELFCLASS64, EM_X86_64), &hits, &n);
#else
  reg_ldcache_lookup (cache, "libc.so.6", REG_LDCACHE_FLAGS_ANY, &hits, &n);
#endif
  assert_true (n >= 1);
  for (size_t i = 0; i < n; i++)
    {
      char *r = realpath (hits[i].path, NULL);
      match |= r && strcmp (r, want) == 0;
      free (r);
    }
  assert_true (match);
  free (hits);
  /* Nothing under a name that is not there.  */
  reg_ldcache_lookup (cache, "libdoes-not-exist.so.9", REG_LDCACHE_FLAGS_ANY, &hits, &n);
  assert_int_equal (n, 0);
  free (hits);
  free (want);
  free_strv (libs, nl);
  reg_ldcache_free (cache);
}

static void
test_ldcache_garbage (void **state)
{
  (void)state;
  char *data = NULL;
  size_t len = 0;
  reg_error_t err = NULL;
  size_t rejected = 0;

  if (access ("/etc/ld.so.cache", R_OK) != 0)
    TEST_SKIP ("no /etc/ld.so.cache on this host");
  assert_int_equal (read_all_file ("/etc/ld.so.cache", 0, &data, &len, &err), 0);

  /* Every truncation of the first 4 KiB and a few later ones.  */
  for (size_t cut = 0; cut <= len; cut += cut < 4096 ? 1 : 997)
    {
      struct reg_ldcache *c = NULL;
      struct reg_ldcache_hit *hits = NULL;
      size_t n = 0;

      if (reg_ldcache_parse (data, cut, &c, &err) < 0)
        {
          rejected++;
          reg_error_release (&err);
          continue;
        }
      reg_ldcache_lookup (c, "libc.so.6", REG_LDCACHE_FLAGS_ANY, &hits, &n);
      for (size_t i = 0; i < n; i++)
        assert_int_equal (hits[i].path[0], '/');
      free (hits);
      reg_ldcache_free (c);
    }
  /* Short ones cannot hold the header.  */
  assert_true (rejected >= 48);

  /* Random mutations of the header and entries.  */
  srand (42);
  for (int round = 0; round < 2000; round++)
    {
      char *copy = malloc (len);
      struct reg_ldcache *c = NULL;
      struct reg_ldcache_hit *hits = NULL;
      size_t n = 0;

      memcpy (copy, data, len);
      for (int k = 0; k < 1 + rand () % 8; k++)
        copy[rand () % (len < 512 ? len : 512)] = (char)rand ();
      if (reg_ldcache_parse (copy, len, &c, &err) == 0)
        {
          reg_ldcache_lookup (c, "libc.so.6", REG_LDCACHE_FLAGS_ANY, &hits, &n);
          free (hits);
          reg_ldcache_free (c);
        }
      else
        reg_error_release (&err);
      free (copy);
    }

  /* Pure garbage, and the magic with absurd counts.  */
  {
    char junk[200];
    struct reg_ldcache *c = NULL;
    memset (junk, 'x', sizeof junk);
    assert_true (reg_ldcache_parse (junk, sizeof junk, &c, &err) < 0);
    reg_error_release (&err);
    memset (junk, 0, sizeof junk);
    memcpy (junk, "glibc-ld.so.cache1.1", 20);
    junk[20] = (char)0xff;
    junk[21] = (char)0xff;
    assert_true (reg_ldcache_parse (junk, sizeof junk, &c, &err) < 0);
    reg_error_release (&err);
    memset (junk, 0, sizeof junk);
    memcpy (junk, "ld.so-1.7.0", 11);
    junk[12] = (char)0xff;
    junk[13] = (char)0xff;
    assert_true (reg_ldcache_parse (junk, sizeof junk, &c, &err) < 0);
    reg_error_release (&err);
  }
  free (data);
}

/* An old+new ("compat") cache with a glibc-hwcaps entry, written by the
   host's ldconfig into a fixture.  */
static void
test_ldcache_compat_hwcaps (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_ldcache *cache = NULL;
  struct reg_ldcache_hit *hits = NULL;
  size_t n = 0;
  reg_error_t err = NULL;
  char **libs;
  size_t nl = ldd_paths ("/bin/ls", &libs);
  const char *lib = NULL;
  char *canon, *dir, *hw, *cmd, *base;
  bool plain = false, v3 = false;

  if (access ("/sbin/ldconfig", X_OK) != 0 && access ("/usr/sbin/ldconfig", X_OK) != 0)
    TEST_SKIP ("no ldconfig on this host");
  for (size_t i = 0; i < nl; i++)
    if (strstr (libs[i], "libc.so.6") == NULL && strstr (libs[i], "ld-linux") == NULL)
      lib = libs[i];
  if (lib == NULL)
    TEST_SKIP ("the host has none of the libraries this test needs");
  f = fx_new ();
  canon = host_copy (f, lib, NULL, NULL, 0);
  base = strrchr (canon, '/') + 1;
  dir = strndup (canon, (size_t)(base - canon - 1));
  assert_true (asprintf (&hw, "%s/glibc-hwcaps/x86-64-v3/%s", dir, base) >= 0);
  {
    char *src = fx_path (f, canon), *dst = fx_path (f, hw), *d = strdup (hw);
    *strrchr (d, '/') = '\0';
    fx_mkdirs (f, d);
    copy_file (src, dst);
    free (src);
    free (dst);
    free (d);
  }
  {
    char conf[PATH_MAX + 2];
    snprintf (conf, sizeof conf, "%s\n", dir);
    fx_text (f, "/etc/ld.so.conf", conf, 0644);
  }
  assert_true (asprintf (&cmd,
                         "$(command -v ldconfig || echo /sbin/ldconfig) -c compat -r %s -C /etc/ld.so.cache -f "
                         "/etc/ld.so.conf >/dev/null 2>&1",
                         f->dir)
               >= 0);
  if (system (cmd) != 0)
    {
      free (cmd);
      fx_free (f);
      TEST_SKIP ("ldconfig could not build the fixture's ld.so.cache");
    }
  free (cmd);
  if (reg_ldcache_load_in_root (f->rootfd, "/etc/ld.so.cache", &cache, &err) < 0)
    fail_msg ("%s", err->msg);
  {
    char *p = fx_path (f, "/etc/ld.so.cache"), head[12] = { 0 };
    int fd = open (p, O_RDONLY);
    assert_int_equal (read (fd, head, 11), 11);
    close (fd);
    free (p);
    /* The layout under test: old table first.  */
    assert_string_equal (head, "ld.so-1.7.0");
  }
  /* The library's soname: what ldconfig keys it by.  */
  {
    int fd = open (lib, O_RDONLY);
    struct reg_elf_info *info = NULL;
    assert_int_equal (reg_elf_read_fd (fd, &info, &err), 0);
    close (fd);
    assert_non_null (info->soname);
    reg_ldcache_lookup (cache, info->soname, REG_LDCACHE_FLAGS_ANY, &hits, &n);
    reg_elf_info_free (info);
  }
  for (size_t i = 0; i < n; i++)
    {
      if (hits[i].hwcaps && strcmp (hits[i].hwcaps, "x86-64-v3") == 0
          && strstr (hits[i].path, "/glibc-hwcaps/x86-64-v3/"))
        v3 = true;
      if (hits[i].hwcaps == NULL && strstr (hits[i].path, "glibc-hwcaps") == NULL)
        plain = true;
    }
  assert_true (plain);
#if defined(__x86_64__)
  assert_true (v3);
#endif
  free (hits);
  reg_ldcache_free (cache);
  free (canon);
  free (dir);
  free (hw);
  free_strv (libs, nl);
  fx_free (f);
}

/* ----------------------------------------------------------- closure */

static void
assert_ldd_closure (struct fixture *f, const struct reg_closure *c, const char *program)
{
  char **libs;
  size_t n = ldd_paths (program, &libs);

  assert_true (n > 0);
  for (size_t i = 0; i < n; i++)
    {
      char **links = NULL;
      size_t nlinks = 0;
      /* host_copy walks the host path again: the canonical path and every
         symlink on the way.  */
      char *canon = host_copy (f, libs[i], &links, &nlinks, 0);
      assert_file (c, canon);
      for (size_t k = 0; k < nlinks; k++)
        {
          const struct reg_closure_entry *e = find (c, links[k]);
          if (e == NULL || e->kind != REG_CLOSURE_SYMLINK)
            fail_msg ("closure lacks the symlink %s (on the way to %s)", links[k], libs[i]);
          {
            char target[PATH_MAX];
            ssize_t l = readlink (links[k], target, sizeof target - 1);
            assert_true (l > 0);
            target[l] = '\0';
            assert_string_equal (e->link_target, target);
          }
        }
      free_strv (links, nlinks);
      free (canon);
    }
  free_strv (libs, n);
}

static void
test_closure_ls (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  const char *argv[] = { "ls", "-l", NULL };
  struct reg_closure *c = analyze (f, argv, NULL, NULL);
  char *ls = host_realpath ("/bin/ls");
  const struct reg_closure_entry *e;
  struct stat st;
  char *fxls = fx_path (f, ls);

  e = find (c, ls);
  assert_non_null (e);
  assert_string_equal (e->reason, "entrypoint");
  assert_true (e->elf);
  /* The identity is the fixture's copy, from the fd we opened.  */
  assert_int_equal (stat (fxls, &st), 0);
  assert_int_equal (e->id.ino, st.st_ino);
  assert_int_equal (e->id.dev, st.st_dev);
  assert_int_equal (e->id.size, (uint64_t)st.st_size);
  assert_ldd_closure (f, c, "/bin/ls");
  /* The interpreter has its reason.  */
  {
    bool interp = false;
    for (size_t i = 0; i < c->n; i++)
      interp |= strcmp (c->entries[i].reason, "interpreter") == 0;
    assert_true (interp);
  }
  /* Unique paths.  */
  for (size_t i = 0; i < c->n; i++)
    for (size_t j = i + 1; j < c->n; j++)
      assert_string_not_equal (c->entries[i].path, c->entries[j].path);
  assert_true (c->glibc);
  assert_false (c->musl);
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);
  free (ls);
  free (fxls);
  fx_free (f);
}

static void
test_closure_python (void **state)
{
  (void)state;
  struct fixture *f;
  const char *argv[] = { "python3", "-c", "pass", NULL };
  const char *env[] = { "PATH=/usr/bin:/bin", NULL };
  struct reg_closure *c;

  if (access ("/usr/bin/python3", X_OK) != 0)
    {
      print_message ("no /usr/bin/python3 on this host\n");
      TEST_SKIP ("no /usr/bin/python3 on this host");
    }
  f = fx_base ();
  copy_program (f, "/usr/bin/python3");
  c = analyze (f, argv, env, "/");
  assert_ldd_closure (f, c, "/usr/bin/python3");
  {
    char *real = host_realpath ("/usr/bin/python3");
    assert_file (c, real);
    if (strcmp (real, "/usr/bin/python3") != 0)
      assert_int_equal (find (c, "/usr/bin/python3")->kind, REG_CLOSURE_SYMLINK);
    free (real);
  }
  reg_closure_free (c);
  fx_free (f);
}

static void
test_shebang (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  char *sh = host_realpath ("/bin/sh");
  char *env = host_realpath ("/usr/bin/env");
  struct reg_closure *c;

  fx_text (f, "/app/run.sh", "#!/bin/sh\necho hi\n", 0755);
  fx_text (f, "/app/run-env.sh", "#!/usr/bin/env  sh  \necho hi\n", 0755);
  fx_text (f, "/app/nested", "#! /app/run.sh -x\n", 0755);
  fx_text (f, "/app/loop", "#!/app/loop\n", 0755);

  {
    const char *argv[] = { "/app/run.sh", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_string_equal (find (c, "/app/run.sh")->reason, "entrypoint");
    assert_false (find (c, "/app/run.sh")->elf);
    assert_file (c, sh);
    assert_string_equal (find (c, sh)->reason, "shebang");
    assert_ldd_closure (f, c, "/bin/sh");
    reg_closure_free (c);
  }
  {
    /* Relative, from the cwd; env finds sh through PATH.  */
    const char *argv[] = { "./run-env.sh", NULL };
    const char *e[] = { "PATH=/bin", NULL };
    c = analyze (f, argv, e, "/app");
    assert_file (c, "/app/run-env.sh");
    assert_file (c, env);
    assert_file (c, sh);
    assert_int_equal (find (c, "/bin")->kind, REG_CLOSURE_SYMLINK);
    assert_ldd_closure (f, c, "/usr/bin/env");
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "/app/nested", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_file (c, "/app/run.sh");
    assert_file (c, sh);
    reg_closure_free (c);
  }
  {
    /* A relative interpreter is taken from the cwd, never through PATH.  */
    const char *argv[] = { "/app/rel", NULL };
    const char *argv2[] = { "/app/bare", NULL };
    const char *e[] = { "PATH=/bin:/usr/bin", NULL };
    fx_text (f, "/app/rel", "#!bin/sh\n", 0755);
    fx_text (f, "/app/bare", "#!sh\n", 0755);
    c = analyze (f, argv, e, "/");
    assert_file (c, sh);
    reg_closure_free (c);
    c = analyze (f, argv2, e, "/");
    assert_true (has_missing (c, "sh", "/app/bare"));
    assert_null (find (c, sh));
    reg_closure_free (c);
  }
  {
    /* A script that is its own interpreter ends.  */
    const char *argv[] = { "/app/loop", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_file (c, "/app/loop");
    reg_closure_free (c);
  }
  free (sh);
  free (env);
  fx_free (f);
}

/* libfoo (needs libbar) in /opt/app/lib; prog with RPATH $ORIGIN/../lib,
   prog-runpath with RUNPATH: the RPATH reaches libfoo's own needs, the
   RUNPATH does not.  */
static void
build_app (struct fixture *f)
{
  fx_mkdirs (f, "/opt/app/lib");
  fx_mkdirs (f, "/opt/app/bin");
  fx_mkdirs (f, "/src");
  fx_text (f, "/src/bar.c", "int bar (void) { return 1; }\n", 0644);
  fx_text (f, "/src/foo.c", "int bar (void); int foo (void) { return bar (); }\n", 0644);
  fx_text (f, "/src/main.c", "int foo (void); int main (void) { return foo (); }\n", 0644);
  GCC ("-shared -fPIC -o %s/opt/app/lib/libbar.so -Wl,-soname,libbar.so %s/src/bar.c", f->dir, f->dir);
  GCC ("-shared -fPIC -o %s/opt/app/lib/libfoo.so -Wl,-soname,libfoo.so %s/src/foo.c -L%s/opt/app/lib -lbar", f->dir,
       f->dir, f->dir);
  GCC (
      "-o %s/opt/app/bin/prog %s/src/main.c -L%s/opt/app/lib -lfoo -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../lib' "
      "-Wl,-rpath-link,%s/opt/app/lib",
      f->dir, f->dir, f->dir, f->dir);
  GCC ("-o %s/opt/app/bin/prog-runpath %s/src/main.c -L%s/opt/app/lib -lfoo -Wl,--enable-new-dtags "
       "-Wl,-rpath,'${ORIGIN}/../lib' -Wl,-rpath-link,%s/opt/app/lib",
       f->dir, f->dir, f->dir, f->dir);
  GCC ("-o %s/opt/app/bin/prog-plain %s/src/main.c -L%s/opt/app/lib -lfoo -Wl,-rpath-link,%s/opt/app/lib", f->dir,
       f->dir, f->dir, f->dir);
}

static void
test_rpath_runpath_origin (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);

  /* The ELF reader sees RPATH vs RUNPATH.  */
  {
    struct reg_elf_info *info = NULL;
    reg_error_t err = NULL;
    char *p = fx_path (f, "/opt/app/bin/prog-runpath");
    int fd = open (p, O_RDONLY);
    assert_int_equal (reg_elf_read_fd (fd, &info, &err), 0);
    close (fd);
    assert_null (info->rpath);
    assert_string_equal (info->runpath, "${ORIGIN}/../lib");
    reg_elf_info_free (info);
    free (p);
  }
  {
    const char *argv[] = { "/opt/app/bin/prog", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_file (c, "/opt/app/lib/libfoo.so");
    assert_string_equal (find (c, "/opt/app/lib/libfoo.so")->reason, "needed by /opt/app/bin/prog");
    /* Inherited RPATH: libfoo's own need is found through prog's RPATH.  */
    assert_file (c, "/opt/app/lib/libbar.so");
    assert_string_equal (find (c, "/opt/app/lib/libbar.so")->reason, "needed by /opt/app/lib/libfoo.so");
    assert_int_equal (c->n_missing, 0);
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "/opt/app/bin/prog-runpath", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_file (c, "/opt/app/lib/libfoo.so");
    /* RUNPATH is for prog's own needs: libbar is missing, needed by libfoo.  */
    assert_null (find (c, "/opt/app/lib/libbar.so"));
    assert_true (has_missing (c, "libbar.so", "/opt/app/lib/libfoo.so"));
    reg_closure_free (c);
  }
  {
    /* Through a symlinked directory: $ORIGIN is where prog was found.  */
    const char *argv[] = { "/apps/bin/prog", NULL };
    fx_symlink (f, "/apps", "opt/app");
    c = analyze (f, argv, NULL, NULL);
    assert_int_equal (find (c, "/apps")->kind, REG_CLOSURE_SYMLINK);
    assert_file (c, "/opt/app/bin/prog");
    assert_file (c, "/opt/app/lib/libfoo.so");
    reg_closure_free (c);
  }
  fx_free (f);
}

static void
test_ld_library_path_and_missing (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);
  {
    const char *argv[] = { "/opt/app/bin/prog-plain", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_true (has_missing (c, "libfoo.so", "/opt/app/bin/prog-plain"));
    assert_null (find (c, "/opt/app/lib/libfoo.so"));
    /* What was found is still there.  */
    assert_true (c->glibc);
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "prog-plain", NULL };
    const char *env[] = { "PATH=/nonexistent:/opt/app/bin", "LD_LIBRARY_PATH=/nowhere:/opt/app/lib", NULL };
    c = analyze (f, argv, env, NULL);
    assert_file (c, "/opt/app/bin/prog-plain");
    assert_file (c, "/opt/app/lib/libfoo.so");
    assert_file (c, "/opt/app/lib/libbar.so");
    assert_int_equal (c->n_missing, 0);
    reg_closure_free (c);
  }
  {
    /* An entrypoint that is not there is reported, not an error.  */
    const char *argv[] = { "no-such-program", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_true (has_missing (c, "no-such-program", "process.args"));
    assert_int_equal (c->n, 0);
    reg_closure_free (c);
  }
  fx_free (f);
}

static void
test_glibc_hwcaps_dir (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/app/bin/prog", NULL };

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);
  fx_mkdirs (f, "/opt/app/lib/glibc-hwcaps/x86-64-v3");
  {
    char *src = fx_path (f, "/opt/app/lib/libfoo.so"),
         *dst = fx_path (f, "/opt/app/lib/glibc-hwcaps/x86-64-v3/libfoo.so");
    copy_file (src, dst);
    free (src);
    free (dst);
  }
  c = analyze (f, argv, NULL, NULL);
  assert_file (c, "/opt/app/lib/libfoo.so");
  assert_file (c, "/opt/app/lib/glibc-hwcaps/x86-64-v3/libfoo.so");
  reg_closure_free (c);
  fx_free (f);
}

/* No ld.so.cache: /etc/ld.so.conf and its include globs, read inside the
   root.  */
static void
test_ld_so_conf_without_cache (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/app/bin/prog-plain", NULL };
  char *cache;

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);
  cache = fx_path (f, "/etc/ld.so.cache");
  unlink (cache);
  free (cache);
  fx_text (f, "/etc/ld.so.conf", "# comment\ninclude ld.so.conf.d/*.conf\n", 0644);
  fx_mkdirs (f, "/etc/ld.so.conf.d");
  fx_text (f, "/etc/ld.so.conf.d/app.conf", "  /opt/app/lib   # the app\n", 0644);
  fx_text (f, "/etc/ld.so.conf.d/app.conf.disabled", "/nothing\n", 0644);
  c = analyze (f, argv, NULL, NULL);
  assert_file (c, "/opt/app/lib/libfoo.so");
  assert_file (c, "/opt/app/lib/libbar.so");
  /* libc still comes from the default directories.  */
  assert_true (c->glibc);
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);
  fx_free (f);
}

static void
test_symlink_escape (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  reg_error_t err = NULL;
  const char *fx_passwd = "fixture passwd\n";

  fx_symlink (f, "/app/shadow", "/etc/shadow");
  fx_symlink (f, "/app/up", "../../../../../../../etc/passwd");
  fx_symlink (f, "/app/sub/deep", "../../../../etc/shadow");
  fx_symlink (f, "/app/dirlink", "/../../../etc");
  fx_symlink (f, "/app/loop1", "loop2");
  fx_symlink (f, "/app/loop2", "loop1");

  {
    /* No /etc/shadow in the fixture: missing, never the host's.  */
    const char *argv[] = { "/app/shadow", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_true (has_missing (c, "/app/shadow", "process.args"));
    assert_null (find (c, "/etc/shadow"));
    reg_closure_free (c);
  }
  {
    const char *argv[] = { "/app/sub/deep", NULL };
    c = analyze (f, argv, NULL, NULL);
    assert_true (has_missing (c, "/app/sub/deep", "process.args"));
    reg_closure_free (c);
  }
  c = xmalloc0 (sizeof (*c));
  assert_true (reg_closure_add_path (f->rootfd, c, "/app/shadow", "include", &err) < 0);
  reg_error_release (&err);
  assert_true (reg_closure_add_path (f->rootfd, c, "/app/loop1", "include", &err) < 0);
  reg_error_release (&err);
  /* ../.. stops at the fixture's root: its own /etc/passwd.  */
  fx_text (f, "/etc/passwd", fx_passwd, 0644);
  assert_int_equal (reg_closure_add_path (f->rootfd, c, "/app/up", "include", &err), 0);
  assert_int_equal (find (c, "/app/up")->kind, REG_CLOSURE_SYMLINK);
  assert_file (c, "/etc/passwd");
  assert_int_equal (find (c, "/etc/passwd")->id.size, strlen (fx_passwd));
  assert_int_equal (reg_closure_add_path (f->rootfd, c, "/app/dirlink/passwd", "include", &err), 0);
  assert_int_equal (find (c, "/app/dirlink")->kind, REG_CLOSURE_SYMLINK);
  reg_closure_free (c);

  /* A library whose file is a link to /etc/shadow: reported missing.  */
  if (need_gcc ())
    {
      const char *argv[] = { "/opt/app/bin/prog", NULL };
      char *lib;
      build_app (f);
      lib = fx_path (f, "/opt/app/lib/libbar.so");
      unlink (lib);
      free (lib);
      fx_symlink (f, "/opt/app/lib/libbar.so", "/etc/shadow");
      c = analyze (f, argv, NULL, NULL);
      assert_true (has_missing (c, "libbar.so", "/opt/app/lib/libfoo.so"));
      assert_null (find (c, "/etc/shadow"));
      reg_closure_free (c);
    }
  fx_free (f);
}

static void
test_corrupt_library_in_closure (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/app/bin/prog", NULL };
  char *p, *data = NULL;
  size_t len = 0;
  reg_error_t err = NULL;

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);
  p = fx_path (f, "/opt/app/lib/libfoo.so");
  assert_int_equal (read_all_file (p, 0, &data, &len, &err), 0);
  /* Truncated libfoo: skipped (missing), no crash.  */
  assert_int_equal (truncate (p, 200), 0);
  c = analyze (f, argv, NULL, NULL);
  assert_true (has_missing (c, "libfoo.so", "/opt/app/bin/prog"));
  reg_closure_free (c);
  /* Random bytes behind the magic.  */
  {
    unsigned char junk[4096];
    srand (7);
    for (size_t i = 0; i < sizeof junk; i++)
      junk[i] = (unsigned char)rand ();
    memcpy (junk, ELFMAG, SELFMAG);
    fx_write (f, "/opt/app/lib/libfoo.so", junk, sizeof junk, 0755);
    c = analyze (f, argv, NULL, NULL);
    assert_true (has_missing (c, "libfoo.so", "/opt/app/bin/prog"));
    reg_closure_free (c);
  }
  /* A corrupt entrypoint is a plain file.  */
  {
    const char *argv2[] = { "/opt/app/lib/libfoo.so", NULL };
    c = analyze (f, argv2, NULL, NULL);
    assert_file (c, "/opt/app/lib/libfoo.so");
    assert_false (find (c, "/opt/app/lib/libfoo.so")->elf);
    reg_closure_free (c);
  }
  free (data);
  free (p);
  fx_free (f);
}

static void
test_needed_cycle (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/cyc/prog", NULL };

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  fx_mkdirs (f, "/opt/cyc");
  fx_text (f, "/opt/cyc/a.c", "int b (void); int a (void) { return 0; }\n", 0644);
  fx_text (f, "/opt/cyc/b.c", "int a (void); int b (void) { return a (); }\n", 0644);
  fx_text (f, "/opt/cyc/m.c", "int a (void); int main (void) { return a (); }\n", 0644);
  /* liba needs libb and libb needs liba.  */
  GCC ("-shared -fPIC -o %s/opt/cyc/libb.so -Wl,-soname,libb.so %s/opt/cyc/b.c", f->dir, f->dir);
  GCC ("-shared -fPIC -o %s/opt/cyc/liba.so -Wl,-soname,liba.so %s/opt/cyc/a.c -L%s/opt/cyc -Wl,--no-as-needed -lb",
       f->dir, f->dir, f->dir);
  GCC ("-shared -fPIC -o %s/opt/cyc/libb.so -Wl,-soname,libb.so %s/opt/cyc/b.c -L%s/opt/cyc -Wl,--no-as-needed -la",
       f->dir, f->dir, f->dir);
  GCC ("-o %s/opt/cyc/prog %s/opt/cyc/m.c -L%s/opt/cyc -la -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN' "
       "-Wl,-rpath-link,%s/opt/cyc",
       f->dir, f->dir, f->dir, f->dir);
  c = analyze (f, argv, NULL, NULL);
  assert_file (c, "/opt/cyc/liba.so");
  assert_file (c, "/opt/cyc/libb.so");
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);
  fx_free (f);
}

/* A huge RPATH (10,000 entries) is bounded work.  */
static void
test_huge_rpath (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/app/bin/prog-huge", NULL };
  char *rpath, *p;
  struct timespec t0, t1;

  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_base ();
  build_app (f);
  rpath = malloc (10000 * 12 + 64);
  p = rpath;
  for (int i = 0; i < 10000; i++)
    p += sprintf (p, "%s/d%d", i ? ":" : "", i);
  p += sprintf (p, ":$ORIGIN/../lib");
  fx_text (f, "/src/rpath.txt", rpath, 0644);
  GCC ("-o %s/opt/app/bin/prog-huge %s/src/main.c -L%s/opt/app/lib -lfoo -Wl,--disable-new-dtags "
       "-Wl,-rpath,\"$(cat %s/src/rpath.txt)\" -Wl,-rpath-link,%s/opt/app/lib",
       f->dir, f->dir, f->dir, f->dir, f->dir);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  c = analyze (f, argv, NULL, NULL);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  assert_true (t1.tv_sec - t0.tv_sec < 10);
  assert_file (c, "/opt/app/bin/prog-huge");
  assert_true (c->glibc);
  /* The entries past the cap are not searched: libfoo is missing.  */
  assert_true (has_missing (c, "libfoo.so", "/opt/app/bin/prog-huge"));
  reg_closure_free (c);
  free (rpath);
  fx_free (f);
}

/* A library of another ELF class earlier in the search path is skipped.  */
static void
test_other_class_skipped (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  const char *argv[] = { "/bin/ls", NULL };
  const char *env[] = { "LD_LIBRARY_PATH=/opt/wrong:/opt/patched", NULL };
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  char *libc = NULL;

  for (size_t i = 0; i < n; i++)
    if (strstr (libs[i], "/libc.so.6"))
      libc = host_realpath (libs[i]);
  assert_non_null (libc);
  fx_mkdirs (f, "/opt/wrong");
  fx_mkdirs (f, "/opt/patched");
  if (access ("/usr/lib32/libc.so.6", R_OK) == 0)
    {
      char *dst = fx_path (f, "/opt/wrong/libc.so.6");
      copy_file ("/usr/lib32/libc.so.6", dst);
      free (dst);
    }
  else
    print_message ("no 32-bit libc on this host: only the patched copy\n");
  /* A copy of the real libc with EI_CLASS flipped.  */
  {
    char *src = fx_path (f, libc), *dst = fx_path (f, "/opt/patched/libc.so.6");
    int fd;
    unsigned char cls = ELFCLASS32;
    copy_file (src, dst);
    fd = open (dst, O_WRONLY);
    assert_int_equal (pwrite (fd, &cls, 1, EI_CLASS), 1);
    close (fd);
    free (src);
    free (dst);
  }
  c = analyze (f, argv, env, NULL);
  assert_null (find (c, "/opt/wrong/libc.so.6"));
  assert_null (find (c, "/opt/patched/libc.so.6"));
  assert_file (c, libc);
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);
  free (libc);
  free_strv (libs, n);
  fx_free (f);
}

static void
test_nsswitch (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c;
  const char *argv[] = { "ls", NULL };
  char **libs;
  size_t n = ldd_paths ("/bin/ls", &libs);
  char *libc = NULL, *dir, *mod, *src, *dst;

  for (size_t i = 0; i < n; i++)
    if (strstr (libs[i], "/libc.so.6"))
      libc = host_realpath (libs[i]);
  assert_non_null (libc);
  dir = strndup (libc, (size_t)(strrchr (libc, '/') - libc));
  assert_true (asprintf (&mod, "%s/libnss_regtest.so.2", dir) >= 0);
  /* Any ELF object of the right class does for a module file.  */
  src = fx_path (f, libc);
  dst = fx_path (f, mod);
  copy_file (src, dst);
  fx_text (f, "/etc/nsswitch.conf",
           "# test\npasswd: files regtest\nhosts: files [NOTFOUND=return] dns\ngroup:files regtest # again\n", 0644);
  c = analyze (f, argv, NULL, NULL);
  assert_file (c, mod);
  assert_string_equal (find (c, mod)->reason, "nss");
  /* Missing modules ("dns" built into libc) are not reported.  */
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);
  free (libc);
  free (dir);
  free (mod);
  free (src);
  free (dst);
  free_strv (libs, n);
  fx_free (f);
}

/* musl's search, on a glibc-built program whose PT_INTERP is rewritten to
   musl's loader (no musl toolchain needed): libc.* names are the loader
   itself, DT_RUNPATH is inherited by the libraries, and
   /etc/ld-musl-ARCH.path lists the system directories.  */
static void
test_musl_search (void **state)
{
  (void)state;
  static const char glibc_interp[] = "/lib64/ld-linux-x86-64.so.2";
  static const char musl_interp[] = "/lib/ld-musl-x86_64.so.1";
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/opt/app/bin/prog-runpath", NULL };
  char *p, *data = NULL, *hit;
  size_t len = 0;
  reg_error_t err = NULL;

#if !defined(__x86_64__)
  TEST_SKIP ("needs x86_64");
#endif
  if (!need_gcc ())
    TEST_SKIP ("no gcc on this host");
  f = fx_new ();
  build_app (f);
  p = fx_path (f, "/opt/app/bin/prog-runpath");
  assert_int_equal (read_all_file (p, 0, &data, &len, &err), 0);
  hit = memmem (data, len, glibc_interp, sizeof glibc_interp);
  if (hit == NULL)
    {
      free (p);
      free (data);
      fx_free (f);
      TEST_SKIP ("the fixture's library is not in the cache");
    }
  memset (hit, 0, sizeof glibc_interp);
  memcpy (hit, musl_interp, sizeof musl_interp);
  fx_write (f, "/opt/app/bin/prog-runpath", data, len, 0755);
  /* The "loader": any x86-64 ELF object will do for the analysis.  */
  {
    char *dst = fx_path (f, "/lib/ld-musl-x86_64.so.1");
    fx_mkdirs (f, "/lib");
    copy_file (p, dst);
    free (dst);
  }
  /* libbar leaves the RUNPATH directory for one the path file names.  */
  {
    char *from = fx_path (f, "/opt/app/lib/libbar.so"), *to;
    fx_mkdirs (f, "/opt/musl-lib");
    to = fx_path (f, "/opt/musl-lib/libbar.so");
    assert_int_equal (rename (from, to), 0);
    free (from);
    free (to);
  }
  fx_text (f, "/etc/ld-musl-x86_64.path", "/opt/musl-lib\n/usr/lib\n", 0644);
  c = analyze (f, argv, NULL, NULL);
  assert_true (c->musl);
  assert_false (c->glibc);
  assert_file (c, "/lib/ld-musl-x86_64.so.1");
  assert_string_equal (find (c, "/lib/ld-musl-x86_64.so.1")->reason, "interpreter");
  assert_file (c, "/opt/app/lib/libfoo.so");
  assert_file (c, "/opt/musl-lib/libbar.so");
  /* libc.so.6 is musl itself: not missing.  */
  assert_int_equal (c->n_missing, 0);
  reg_closure_free (c);

  /* Without the path file, musl's default directories only.  */
  {
    char *pf = fx_path (f, "/etc/ld-musl-x86_64.path");
    unlink (pf);
    free (pf);
  }
  c = analyze (f, argv, NULL, NULL);
  assert_true (has_missing (c, "libbar.so", "/opt/app/lib/libfoo.so"));
  reg_closure_free (c);
  free (p);
  free (data);
  fx_free (f);
}

static void
test_static_program (void **state)
{
  (void)state;
  struct fixture *f;
  struct reg_closure *c;
  const char *argv[] = { "/bin/busybox", "sh", NULL };
  char *real;

  if (access ("/bin/busybox", R_OK) != 0)
    TEST_SKIP ("no /bin/busybox (busybox-static)");
  {
    int fd = open ("/bin/busybox", O_RDONLY);
    struct reg_elf_info *info = NULL;
    reg_error_t err = NULL;
    bool is_static = reg_elf_read_fd (fd, &info, &err) == 0 && info->interp == NULL;
    close (fd);
    reg_elf_info_free (info);
    reg_error_release (&err);
    if (!is_static)
      TEST_SKIP ("/bin/busybox is not static");
  }
  f = fx_new ();
  real = host_copy (f, "/bin/busybox", NULL, NULL, 0);
  c = analyze (f, argv, NULL, NULL);
  assert_file (c, real);
  assert_false (c->glibc);
  for (size_t i = 0; i < c->n; i++)
    assert_true (c->entries[i].kind == REG_CLOSURE_SYMLINK || strcmp (c->entries[i].path, real) == 0);
  reg_closure_free (c);
  free (real);
  fx_free (f);
}

static void
test_add_path (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  const char *argv[] = { "/bin/sh", NULL };
  struct reg_closure *c = analyze (f, argv, NULL, NULL);
  reg_error_t err = NULL;
  size_t before = c->n;
  char *ls = host_realpath ("/bin/ls");

  assert_int_equal (reg_closure_add_path (f->rootfd, c, "/bin/ls", "include", &err), 0);
  assert_string_equal (find (c, ls)->reason, "include");
  assert_true (c->n > before);
  assert_ldd_closure (f, c, "/bin/ls");
  /* Adding again changes nothing.  */
  before = c->n;
  assert_int_equal (reg_closure_add_path (f->rootfd, c, "/bin/ls", "include", &err), 0);
  assert_int_equal (c->n, before);
  assert_true (reg_closure_add_path (f->rootfd, c, "/does/not/exist", "include", &err) < 0);
  reg_error_release (&err);
  assert_true (reg_closure_add_path (f->rootfd, c, "/usr", "include", &err) < 0);
  reg_error_release (&err);
  reg_closure_free (c);
  free (ls);
  fx_free (f);
}

/* A file of a directory walk is added by its directory's fd, with what it
   needs, the same as by its path; a name that is not a regular file is
   refused.  */
static void
test_add_file_at (void **state)
{
  (void)state;
  struct fixture *f = fx_base ();
  struct reg_closure *c = xmalloc0 (sizeof (*c));
  cleanup_free char *ls = host_realpath ("/bin/ls");
  cleanup_free char *dir = xstrndup (ls, (size_t)(strrchr (ls, '/') - ls));
  cleanup_close int dirfd = open_in_root_raw (f->rootfd, dir, O_PATH | O_DIRECTORY, 0);
  reg_error_t err = NULL;

  assert_true (dirfd >= 0);
  assert_int_equal (reg_closure_add_file_at (f->rootfd, c, dirfd, "ls", ls, "include", &err), 0);
  assert_string_equal (find (c, ls)->reason, "include");
  assert_true (find (c, ls)->elf);
  assert_ldd_closure (f, c, "/bin/ls");
  assert_true (reg_closure_add_file_at (f->rootfd, c, dirfd, "no-such-file", "/x/no-such-file", "include", &err) < 0);
  assert_int_equal (err->status, ENOENT);
  reg_error_release (&err);
  {
    cleanup_close int root = open_in_root_raw (f->rootfd, "/", O_PATH | O_DIRECTORY, 0);
    size_t before = c->n;
    assert_true (reg_closure_add_file_at (f->rootfd, c, root, "usr", "/usr", "include", &err) < 0);
    reg_error_release (&err);
    assert_int_equal (c->n, before);
  }
  reg_closure_free (c);
  fx_free (f);
}

static int
teardown_fixtures (void **state)
{
  (void)state;
  fx_free_all ();
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_elf_reads_host_ls),
    cmocka_unit_test (test_elf_corrupt_files),
    cmocka_unit_test (test_ldcache_host_libc),
    cmocka_unit_test (test_ldcache_garbage),
    cmocka_unit_test (test_ldcache_compat_hwcaps),
    cmocka_unit_test (test_closure_ls),
    cmocka_unit_test (test_closure_python),
    cmocka_unit_test (test_shebang),
    cmocka_unit_test (test_rpath_runpath_origin),
    cmocka_unit_test (test_ld_library_path_and_missing),
    cmocka_unit_test (test_glibc_hwcaps_dir),
    cmocka_unit_test (test_ld_so_conf_without_cache),
    cmocka_unit_test (test_symlink_escape),
    cmocka_unit_test (test_corrupt_library_in_closure),
    cmocka_unit_test (test_needed_cycle),
    cmocka_unit_test (test_huge_rpath),
    cmocka_unit_test (test_other_class_skipped),
    cmocka_unit_test (test_nsswitch),
    cmocka_unit_test (test_musl_search),
    cmocka_unit_test (test_static_program),
    cmocka_unit_test (test_add_path),
    cmocka_unit_test (test_add_file_at),
  };
  return cmocka_run_group_tests_name ("analysis", tests, NULL, teardown_fixtures);
}
