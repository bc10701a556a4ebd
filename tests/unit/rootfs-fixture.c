/* Rootfs fixtures for unit tests (see rootfs-fixture.h).  */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rootfs-fixture.h"
#include "utils.h"

void
xsystem (const char *fmt, ...)
{
  char *cmd;
  va_list ap;
  int r;

  va_start (ap, fmt);
  assert_true (vasprintf (&cmd, fmt, ap) >= 0);
  va_end (ap);
  r = system (cmd);
  if (r != 0)
    fail_msg ("command failed (%d): %s", r, cmd);
  free (cmd);
}

bool
have_program (const char *name)
{
  char *cmd;
  int r;
  assert_true (asprintf (&cmd, "command -v %s >/dev/null 2>&1", name) >= 0);
  r = system (cmd);
  free (cmd);
  return r == 0;
}

char *
fx_path (struct fixture *f, const char *path)
{
  char *r;
  assert_true (asprintf (&r, "%s%s", f->dir, path) >= 0);
  return r;
}

void
fx_mkdirs (struct fixture *f, const char *path)
{
  reg_error_t err = NULL;
  char *p = fx_path (f, path);
  if (mkdir_p_at (AT_FDCWD, p, 0755, &err) < 0)
    fail_msg ("mkdir %s: %s", p, err->msg);
  free (p);
}

void
fx_write (struct fixture *f, const char *path, const void *data, size_t len, mode_t mode)
{
  char *p = fx_path (f, path);
  char *dir = strdup (path);
  int fd;

  *strrchr (dir, '/') = '\0';
  if (*dir)
    fx_mkdirs (f, dir);
  free (dir);
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, len), (ssize_t)len);
  fchmod (fd, mode);
  close (fd);
  free (p);
}

void
fx_text (struct fixture *f, const char *path, const char *text, mode_t mode)
{
  fx_write (f, path, text, strlen (text), mode);
}

void
fx_symlink (struct fixture *f, const char *path, const char *target)
{
  char *p = fx_path (f, path);
  char *dir = strdup (path);
  *strrchr (dir, '/') = '\0';
  if (*dir)
    fx_mkdirs (f, dir);
  free (dir);
  unlink (p);
  assert_int_equal (symlink (target, p), 0);
  free (p);
}

void
copy_file (const char *from, const char *to)
{
  struct stat st;
  char *data = NULL;
  size_t len = 0;
  reg_error_t err = NULL;
  int fd;

  if (read_all_file (from, 0, &data, &len, &err) < 0)
    fail_msg ("read %s: %s", from, err->msg);
  assert_int_equal (stat (from, &st), 0);
  fd = open (to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, len), (ssize_t)len);
  fchmod (fd, st.st_mode & 0755);
  close (fd);
  free (data);
}

/* Copy the host's PATH into the fixture keeping every symlink on the way
   (recorded in LINKS when not NULL, as "canonical parent/name").  Returns
   the canonical host path.  */
char *
host_copy (struct fixture *f, const char *path, char ***links, size_t *n_links, int depth)
{
  char cur[PATH_MAX] = "";
  const char *p = path;

  assert_true (depth < 40);
  while (*p)
    {
      char comp[NAME_MAX + 1], host[PATH_MAX], *dst;
      size_t n;
      struct stat st;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      n = strcspn (p, "/");
      snprintf (comp, sizeof comp, "%.*s", (int)n, p);
      p += n;
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *s = strrchr (cur, '/');
          if (s)
            *s = '\0';
          continue;
        }
      snprintf (host, sizeof host, "%s/%s", cur, comp);
      if (lstat (host, &st) < 0)
        fail_msg ("host path %s: %s", host, strerror (errno));
      dst = fx_path (f, host);
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX], next[PATH_MAX * 2];
          ssize_t l = readlink (host, target, sizeof target - 1);
          assert_true (l > 0);
          target[l] = '\0';
          if (access (dst, F_OK) != 0 && errno == ENOENT)
            {
              struct stat lst;
              if (lstat (dst, &lst) != 0)
                assert_int_equal (symlink (target, dst), 0);
            }
          if (links)
            {
              *links = realloc (*links, sizeof (char *) * (*n_links + 1));
              (*links)[(*n_links)++] = strdup (host);
            }
          free (dst);
          if (target[0] == '/')
            snprintf (next, sizeof next, "%s%s", target, p);
          else
            snprintf (next, sizeof next, "%s/%s%s", cur, target, p);
          return host_copy (f, next, links, n_links, depth + 1);
        }
      if (S_ISDIR (st.st_mode))
        {
          if (mkdir (dst, 0755) < 0)
            assert_int_equal (errno, EEXIST);
        }
      else
        {
          assert_true (S_ISREG (st.st_mode));
          if (access (dst, F_OK) != 0)
            copy_file (host, dst);
        }
      free (dst);
      strcpy (cur, host);
    }
  return strdup (cur[0] ? cur : "/");
}

/* The libraries `ldd` lists for a host PROGRAM (and the interpreter).  */
size_t
ldd_paths (const char *program, char ***out)
{
  char *cmd, line[4096];
  FILE *p;
  size_t n = 0;

  *out = NULL;
  assert_true (asprintf (&cmd, "ldd %s 2>/dev/null", program) >= 0);
  p = popen (cmd, "r");
  assert_non_null (p);
  while (fgets (line, sizeof line, p))
    {
      char *s = strstr (line, "=> "), *e;
      s = s ? s + 3 : line;
      while (*s == ' ' || *s == '\t')
        s++;
      if (*s != '/')
        continue;
      e = strpbrk (s, " \t\n");
      if (e)
        *e = '\0';
      *out = realloc (*out, sizeof (char *) * (n + 1));
      (*out)[n++] = strdup (s);
    }
  pclose (p);
  free (cmd);
  return n;
}

void
free_strv (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* Copy a host program and what ldd says it loads.  */
void
copy_program (struct fixture *f, const char *program)
{
  char **libs;
  size_t n = ldd_paths (program, &libs);

  free (host_copy (f, program, NULL, NULL, 0));
  for (size_t i = 0; i < n; i++)
    free (host_copy (f, libs[i], NULL, NULL, 0));
  free_strv (libs, n);
}

/* The fixture's ld.so.cache: `ldconfig -r`, else a copy of the host's.  */
void
fx_ldcache (struct fixture *f)
{
  glob_t g;
  const char *ldconfig = access ("/sbin/ldconfig", X_OK) == 0 ? "/sbin/ldconfig" : "/usr/sbin/ldconfig";
  char *cache = fx_path (f, "/etc/ld.so.cache");

  if (access ("/etc/ld.so.conf", R_OK) == 0)
    free (host_copy (f, "/etc/ld.so.conf", NULL, NULL, 0));
  if (glob ("/etc/ld.so.conf.d/*.conf", 0, NULL, &g) == 0)
    {
      for (size_t i = 0; i < g.gl_pathc; i++)
        free (host_copy (f, g.gl_pathv[i], NULL, NULL, 0));
      globfree (&g);
    }
  fx_mkdirs (f, "/etc");
  {
    char *cmd;
    assert_true (asprintf (&cmd, "%s -r %s >/dev/null 2>&1", ldconfig, f->dir) >= 0);
    if (system (cmd) != 0 || access (cache, R_OK) != 0)
      {
        if (access ("/etc/ld.so.cache", R_OK) == 0)
          copy_file ("/etc/ld.so.cache", cache);
      }
    free (cmd);
  }
  free (cache);
}

/* Fixtures still alive: a failing test jumps out before its fx_free, the
   group teardown removes what is left.  */
static struct fixture *live[16];

/* The first subordinate range of USER (name or uid) in FILE
   (/etc/subuid, /etc/subgid), capped at 65535 ids; false when none.  */
static bool
subordinate_range (const char *file, const char *name, unsigned id, unsigned long *start, unsigned long *count)
{
  char line[256], owner[128];
  bool found = false;
  FILE *fp = fopen (file, "re");

  if (fp == NULL)
    return false;
  while (!found && fgets (line, sizeof line, fp))
    if (sscanf (line, "%127[^:]:%lu:%lu", owner, start, count) == 3
        && (strcmp (owner, name) == 0 || strtoul (owner, NULL, 10) == id) && *count > 0)
      found = true;
  fclose (fp);
  if (found && *count > 65535)
    *count = 65535;
  return found;
}

/* Where the ids of a user namespace made by root for a test start: far
   from any real user's.  */
#define TEST_USERNS_BASE 1879048192u

/* The helper of fx_enter_user_namespace, forked before the unshare: once
   told on GO, give PARENT its maps, and exit 0 when they are written.  As
   root, 65536 ids from TEST_USERNS_BASE; otherwise our ids as 0 and the
   user's subordinate range from 1, through newuidmap/newgidmap (the setuid
   helpers rootless Podman uses).  */
static void __attribute__ ((noreturn)) map_ids_helper (int go, pid_t parent, const char *uid_args, const char *gid_args)
{
  char c, cmd[512];

  if (read (go, &c, 1) != 1 || c != 'u')
    _exit (0); /* no namespace: nothing to map */
  if (geteuid () == 0)
    {
      char path[64], map[64];
      snprintf (map, sizeof map, "0 %u 65536\n", TEST_USERNS_BASE);
      for (int i = 0; i < 2; i++)
        {
          int fd;
          snprintf (path, sizeof path, "/proc/%d/%s", (int)parent, i ? "gid_map" : "uid_map");
          fd = open (path, O_WRONLY | O_CLOEXEC);
          if (fd < 0 || write (fd, map, strlen (map)) != (ssize_t)strlen (map))
            _exit (1);
          close (fd);
        }
      _exit (0);
    }
  snprintf (cmd, sizeof cmd, "newuidmap %d %s && newgidmap %d %s", (int)parent, uid_args, (int)parent, gid_args);
  execl ("/bin/sh", "sh", "-c", cmd, (char *)NULL);
  _exit (127);
}

const char *
fx_enter_user_namespace (void)
{
  static char why[256];
  unsigned long us = 0, uc = 0, gs = 0, gc = 0;
  char uid_args[128], gid_args[128];
  struct passwd *pw;
  const char *name;
  int go[2], status;
  pid_t helper;
  bool unshared;

  if (geteuid () == 0 && getenv ("REG_TEST_USERNS") == NULL)
    return NULL;
  pw = getpwuid (geteuid ());
  name = pw ? pw->pw_name : "";
  /* The tests give files owners other than 0: one id is not enough.  */
  if (geteuid () != 0
      && !(subordinate_range ("/etc/subuid", name, geteuid (), &us, &uc)
           && subordinate_range ("/etc/subgid", name, geteuid (), &gs, &gc)))
    {
      snprintf (why, sizeof why, "no subordinate ids for `%s` in /etc/subuid and /etc/subgid", name);
      return why;
    }
  snprintf (uid_args, sizeof uid_args, "0 %u 1 1 %lu %lu", (unsigned)geteuid (), us, uc);
  snprintf (gid_args, sizeof gid_args, "0 %u 1 1 %lu %lu", (unsigned)getegid (), gs, gc);
  /* Only a process with CAP_SETUID in the parent namespace may map more
     than its own id: a helper forked before the unshare writes the maps.  */
  if (pipe2 (go, O_CLOEXEC) < 0)
    return "pipe";
  helper = fork ();
  if (helper < 0)
    return "fork";
  if (helper == 0)
    {
      close (go[1]);
      map_ids_helper (go[0], getppid (), uid_args, gid_args);
    }
  close (go[0]);
  unshared = unshare (CLONE_NEWUSER | CLONE_NEWNS) == 0;
  if (!unshared)
    snprintf (why, sizeof why, "no user namespace for uid %u: %s", (unsigned)geteuid (), strerror (errno));
  if (write (go[1], unshared ? "u" : "n", 1) != 1)
    unshared = false;
  close (go[1]);
  if (waitpid (helper, &status, 0) != helper || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      snprintf (why, sizeof why, "the id maps could not be written (%s)",
                getuid () == 0 ? "as root" : "newuidmap/newgidmap: package uidmap");
      return why;
    }
  if (!unshared)
    return why;
  if (setresuid (0, 0, 0) < 0 || setresgid (0, 0, 0) < 0)
    {
      snprintf (why, sizeof why, "become root of the user namespace: %s", strerror (errno));
      return why;
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      snprintf (why, sizeof why, "make / private in the new mount namespace: %s", strerror (errno));
      return why;
    }
  return NULL;
}

struct fixture *
fx_new (void)
{
  struct fixture *f = calloc (1, sizeof (*f));
  for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
    if (live[i] == NULL)
      {
        live[i] = f;
        break;
      }
  strcpy (f->dir, "/tmp/reg-analysis-XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  f->rootfd = open (f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->rootfd >= 0);
  return f;
}

void
fx_free (struct fixture *f)
{
  reg_error_t err = NULL;
  for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
    if (live[i] == f)
      live[i] = NULL;
  close (f->rootfd);
  if (remove_tree_at (AT_FDCWD, f->dir, &err) < 0)
    reg_error_release (&err);
  free (f);
}

/* A fixture with /bin/ls, /bin/sh, /usr/bin/env and an ld.so.cache.  */
struct fixture *
fx_base (void)
{
  struct fixture *f = fx_new ();
  copy_program (f, "/bin/ls");
  copy_program (f, "/bin/sh");
  copy_program (f, "/usr/bin/env");
  fx_ldcache (f);
  return f;
}

void
fx_free_all (void)
{
  for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
    if (live[i])
      fx_free (live[i]);
}

/* A config running ARG0 -l in ./rootfs with REG mode MODE.  */
oci_config *
fx_config (const char *mode, const char *arg0)
{
  cleanup_free char *json = NULL;
  oci_config *c = NULL;
  reg_error_t err = NULL;

  xasprintf (&json,
             "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
             "\"process\":{\"args\":[\"%s\",\"-l\"],\"cwd\":\"/\","
             "\"env\":[\"PATH=/usr/bin:/bin\"],\"user\":{\"uid\":0,\"gid\":0}},"
             "\"annotations\":{\"run.reg.mode\":\"%s\"}}",
             arg0, mode);
  if (oci_config_parse (json, strlen (json), "config.json", &c, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return c;
}
