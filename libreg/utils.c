/* reg-runc: small helpers shared by oci-spec, libreg and the CLI.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

static void __attribute__ ((noreturn))
oom (void)
{
  fputs ("out of memory\n", stderr);
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p;
  if (s == NULL)
    return NULL;
  p = strdup (s);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

int
xasprintf (char **p, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = vasprintf (p, fmt, ap);
  va_end (ap);
  if (UNLIKELY (ret < 0))
    oom ();
  return ret;
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
      *fd = -1;
    }
}

void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
free_string_array (char **a)
{
  if (a == NULL)
    return;
  for (char **p = a; *p; p++)
    free (*p);
  free (a);
}

int
write_all (int fd, const void *buf, size_t len, reg_error_t *err)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return reg_make_error (err, errno, "write");
        }
      p += r;
      len -= (size_t) r;
    }
  return 0;
}

int
read_all_fd (int fd, const char *description, size_t max, char **out, size_t *len, reg_error_t *err)
{
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc (cap + 1);

  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap + 1);
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return reg_make_error (err, errno, "read `%s`", description);
        }
      if (r == 0)
        break;
      used += (size_t) r;
      if (max && used > max)
        return reg_make_error (err, EFBIG, "read `%s`: larger than %zu bytes", description, max);
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_all_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "open `%s`", path);
  return read_all_fd (fd, path, max, out, len, err);
}

int
read_all_file (const char *path, size_t max, char **out, size_t *len, reg_error_t *err)
{
  if (strcmp (path, "-") == 0)
    return read_all_fd (0, "stdin", max, out, len, err);
  return read_all_file_at (AT_FDCWD, path, max, out, len, err);
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable,
                      reg_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int ret;

  xasprintf (&tmp, ".%s.tmp.%d", name, getpid ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "create `%s`", tmp);
  ret = write_all (fd, data, len, err);
  if (ret == 0 && durable && fsync (fd) < 0)
    ret = reg_make_error (err, errno, "fsync `%s`", tmp);
  if (ret == 0 && renameat (dirfd, tmp, dirfd, name) < 0)
    ret = reg_make_error (err, errno, "rename `%s` to `%s`", tmp, name);
  if (ret < 0)
    unlinkat (dirfd, tmp, 0);
  return ret;
}

int
write_file_at (int dirfd, const char *name, const void *data, size_t len, reg_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int ret;

  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "open `%s`", name);
  ret = write_all (fd, data, len, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "write `%s`", name);
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, reg_error_t *err)
{
  return write_file_at (AT_FDCWD, path, data, len, err);
}

int
mkdir_p_at (int dirfd, const char *path, mode_t mode, reg_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *it;

  for (it = p + 1; *it; it++)
    {
      if (*it != '/')
        continue;
      *it = '\0';
      if (mkdirat (dirfd, p, mode) < 0 && errno != EEXIST)
        return reg_make_error (err, errno, "mkdir `%s`", p);
      *it = '/';
    }
  if (mkdirat (dirfd, p, mode) < 0 && errno != EEXIST)
    return reg_make_error (err, errno, "mkdir `%s`", p);
  return 0;
}

static int
remove_tree_fd (int dfd, reg_error_t *err)
{
  cleanup_dir DIR *d = fdopendir (dfd);
  struct dirent *de;

  if (d == NULL)
    {
      close (dfd);
      return reg_make_error (err, errno, "fdopendir");
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) == 0)
        continue;
      if (errno == EISDIR || errno == EPERM)
        {
          int ret = remove_tree_at (dirfd (d), de->d_name, err);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      if (errno != ENOENT)
        return reg_make_error (err, errno, "unlink `%s`", de->d_name);
    }
  return 0;
}

int
remove_tree_at (int dirfd, const char *name, reg_error_t *err)
{
  int dfd, ret;

  if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno == ENOTDIR)
    {
      if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
        return reg_make_error (err, errno, "unlink `%s`", name);
      return 0;
    }
  dfd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return reg_make_error (err, errno, "open `%s`", name);
  ret = remove_tree_fd (dfd, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "remove `%s`", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return reg_make_error (err, errno, "rmdir `%s`", name);
  return 0;
}

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
  };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  if (fd < 0)
    return -errno;
  return fd;
}

int
open_in_root_raw (int rootfd, const char *path, int flags, mode_t mode)
{
  return openat2_in_root (rootfd, path, flags, mode, 0);
}

int
open_real_path_in_root_raw (int rootfd, const char *path, int flags)
{
  return openat2_in_root (rootfd, path, flags, 0, RESOLVE_NO_SYMLINKS);
}

int
open_in_root (int rootfd, const char *path, int flags, mode_t mode, reg_error_t *err)
{
  int fd = open_in_root_raw (rootfd, path, flags, mode);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, -fd, "open `%s` in the container root", path);
  return fd;
}

int
reopen_regular (int pathfd, int flags, struct stat *st)
{
  struct stat buf;
  char proc[64];
  int fd;

  if (st == NULL)
    st = &buf;
  if (fstat (pathfd, st) < 0)
    return -errno;
  if (! S_ISREG (st->st_mode))
    return -EINVAL;
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", pathfd);
  fd = open (proc, flags | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (fstat (fd, st) < 0 || ! S_ISREG (st->st_mode))
    {
      int e = S_ISREG (st->st_mode) ? errno : EINVAL;
      close (fd);
      return -e;
    }
  return fd;
}

int
open_regular_in_root_raw (int rootfd, const char *path, struct stat *st)
{
  cleanup_close int pathfd = open_in_root_raw (rootfd, path, O_PATH, 0);

  if (pathfd < 0)
    return pathfd;
  return reopen_regular (pathfd, O_RDONLY, st);
}

int
parse_uint64 (const char *s, uint64_t *out)
{
  char *end = NULL;
  unsigned long long v;

  if (s == NULL || *s == '\0' || *s == '-')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 0);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
parse_int64 (const char *s, int64_t *out)
{
  char *end = NULL;
  long long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 0);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

bool
has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  char *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  xasprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },     { "CLD", SIGCHLD },    { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH },   { "IO", SIGIO },       { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

int
signal_from_name (const char *name)
{
  uint64_t num;
  int64_t off;

  if (name == NULL || *name == '\0')
    return -1;
  if (parse_uint64 (name, &num) == 0)
    return num >= 1 && num < (uint64_t) NSIG ? (int) num : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMIN;
      if (parse_int64 (name + 5, &off) == 0 && off >= 0 && SIGRTMIN + off <= SIGRTMAX)
        return SIGRTMIN + (int) off;
    }
  if (strncasecmp (name, "RTMAX", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMAX;
      if (parse_int64 (name + 5, &off) == 0 && off <= 0 && SIGRTMAX + off >= SIGRTMIN)
        return SIGRTMAX + (int) off;
    }
  return -1;
}

const char *
signal_name (int sig)
{
  for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}

int
fd_above (int fd, int floor, reg_error_t *err)
{
  int n;

  if (fd < 0 || fd >= floor)
    return fd;
  n = fcntl (fd, F_DUPFD_CLOEXEC, floor);
  if (n < 0)
    return reg_make_error (err, errno, "dup fd");
  close (fd);
  return n;
}
