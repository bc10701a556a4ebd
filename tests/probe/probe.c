/* probe: reports from inside a container what the integration tests assert.

   Linked statically so it runs in any test rootfs.  One subcommand per call;
   output is one `key=value` per line, or a single value.  Errors of the
   thing being probed are printed as the errno name (EROFS, EPERM, ...) and
   exit 0, so a test can assert them; a misuse of the probe exits 2.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char *
errname (int e)
{
  const char *n = strerrorname_np (e);
  return n ? n : "EUNKNOWN";
}

static int
usage (void)
{
  fprintf (stderr, "usage: probe id|caps|nnp|seccomp|cwd|env [NAME]|umask|rlimit NAME|hostname|\n"
                   "  domainname|fds|isatty FD|winsize [FD]|ns|mounts|mountinfo PATH|stat PATH|\n"
                   "  write PATH [DATA]|read PATH|cat PATH|cgroup|oom|personality|ioprio|sched|\n"
                   "  affinity|keyring|pid|ppid|sleep SECS|exit CODE|kill-self SIG|wait-signal|syscall NAME|\n"
                   "  sysctl NAME|alloc MB|forks N|exe-hunt SECS|files DIR N [NAMELEN]\n");
  return 2;
}

static int
cmp_gid (const void *a, const void *b)
{
  gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
  return x < y ? -1 : x > y;
}

static int
p_id (void)
{
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);

  printf ("uid=%u\ngid=%u\neuid=%u\negid=%u\n", getuid (), getgid (), geteuid (), getegid ());
  if (n < 0)
    {
      printf ("groups=%s\n", errname (errno));
      return 0;
    }
  /* Sorted, so the tests compare one canonical list.  */
  qsort (groups, n, sizeof groups[0], cmp_gid);
  printf ("groups=");
  for (int i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", groups[i]);
  printf ("\n");
  return 0;
}

/* Print the lines of FILE starting with one of PREFIXES, as key=value.  */
static int
status_fields (const char *const *prefixes)
{
  char line[4096];
  FILE *f = fopen ("/proc/self/status", "re");

  if (f == NULL)
    {
      printf ("%s\n", errname (errno));
      return 1;
    }
  while (fgets (line, sizeof line, f))
    for (const char *const *p = prefixes; *p; p++)
      {
        size_t l = strlen (*p);
        if (strncmp (line, *p, l) == 0 && line[l] == ':')
          {
            char *v = line + l + 1;
            v += strspn (v, " \t");
            printf ("%s=%s", *p, v);
          }
      }
  fclose (f);
  return 0;
}

static int
print_file (const char *path)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      printf ("%s\n", errname (errno));
      return 1;
    }
  while ((n = read (fd, buf, sizeof buf)) > 0)
    fwrite (buf, 1, n, stdout);
  close (fd);
  return 0;
}

static const struct
{
  const char *name;
  int res;
} rlimits[] = {
  { "CPU", RLIMIT_CPU },           { "FSIZE", RLIMIT_FSIZE },
  { "DATA", RLIMIT_DATA },         { "STACK", RLIMIT_STACK },
  { "CORE", RLIMIT_CORE },         { "RSS", RLIMIT_RSS },
  { "NPROC", RLIMIT_NPROC },       { "NOFILE", RLIMIT_NOFILE },
  { "MEMLOCK", RLIMIT_MEMLOCK },   { "AS", RLIMIT_AS },
  { "LOCKS", RLIMIT_LOCKS },       { "SIGPENDING", RLIMIT_SIGPENDING },
  { "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },
  { "RTPRIO", RLIMIT_RTPRIO },     { "RTTIME", RLIMIT_RTTIME },
};

static void
print_rlim (rlim_t v)
{
  if (v == RLIM_INFINITY)
    printf ("unlimited");
  else
    printf ("%llu", (unsigned long long)v);
}

static int
p_rlimit (const char *name)
{
  struct rlimit rl;

  if (strncmp (name, "RLIMIT_", 7) == 0)
    name += 7;
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (strcasecmp (rlimits[i].name, name) == 0)
      {
        if (getrlimit (rlimits[i].res, &rl) < 0)
          {
            printf ("%s\n", errname (errno));
            return 0;
          }
        print_rlim (rl.rlim_cur);
        printf (" ");
        print_rlim (rl.rlim_max);
        printf ("\n");
        return 0;
      }
  return usage ();
}

static int
p_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  int self;
  struct dirent *de;
  int fds[1024], n = 0;

  if (d == NULL)
    {
      printf ("%s\n", errname (errno));
      return 1;
    }
  self = dirfd (d);
  while ((de = readdir (d)) && n < 1024)
    if (de->d_name[0] != '.' && atoi (de->d_name) != self)
      fds[n++] = atoi (de->d_name);
  closedir (d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (fds[j] < fds[i])
        {
          int t = fds[i];
          fds[i] = fds[j];
          fds[j] = t;
        }
  for (int i = 0; i < n; i++)
    {
      char p[64], target[4096];
      ssize_t l;
      snprintf (p, sizeof p, "/proc/self/fd/%d", fds[i]);
      l = readlink (p, target, sizeof target - 1);
      target[l < 0 ? 0 : l] = '\0';
      printf ("%d=%s\n", fds[i], target);
    }
  return 0;
}

static int
p_ns (void)
{
  static const char *const names[]
      = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts", NULL };
  for (const char *const *n = names; *n; n++)
    {
      char p[64];
      struct stat st;
      snprintf (p, sizeof p, "/proc/self/ns/%s", *n);
      if (stat (p, &st) == 0)
        printf ("%s=%llu\n", *n, (unsigned long long)st.st_ino);
    }
  return 0;
}

/* A mountinfo line, split: see proc(5).  */
struct mi
{
  char *root, *point, *opts, *optional, *fstype, *source, *super;
};

static void
unescape (char *s)
{
  char *o = s;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3])
        {
          *o++ = (char)strtol ((char[]){ s[1], s[2], s[3], 0 }, NULL, 8);
          s += 4;
        }
      else
        *o++ = *s++;
    }
  *o = '\0';
}

static int
parse_mi (char *line, struct mi *m)
{
  char *f[6], *save = NULL, *tok;
  int i = 0;

  line[strcspn (line, "\n")] = '\0';
  for (tok = strtok_r (line, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    {
      f[i++] = tok;
      if (i == 6)
        break;
    }
  if (i < 6)
    return -1;
  m->root = f[3];
  m->point = f[4];
  m->opts = f[5];
  /* Optional fields up to "-".  */
  m->optional = NULL;
  static char optbuf[1024];
  optbuf[0] = '\0';
  while ((tok = strtok_r (NULL, " ", &save)) && strcmp (tok, "-") != 0)
    {
      if (optbuf[0])
        strncat (optbuf, ",", sizeof optbuf - strlen (optbuf) - 1);
      strncat (optbuf, tok, sizeof optbuf - strlen (optbuf) - 1);
    }
  m->optional = optbuf;
  m->fstype = strtok_r (NULL, " ", &save);
  m->source = strtok_r (NULL, " ", &save);
  m->super = strtok_r (NULL, " ", &save);
  if (!m->fstype || !m->source || !m->super)
    return -1;
  unescape (m->point);
  unescape (m->root);
  return 0;
}

static int
p_mounts (const char *want)
{
  char line[8192], found[8192] = "";
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  struct mi m;

  if (f == NULL)
    {
      printf ("%s\n", errname (errno));
      return 1;
    }
  while (fgets (line, sizeof line, f))
    {
      if (want == NULL)
        {
          if (parse_mi (line, &m) == 0)
            printf ("%s %s %s %s\n", m.point, m.fstype, m.opts, m.super);
          continue;
        }
      char copy[8192];
      memcpy (copy, line, sizeof copy);
      if (parse_mi (copy, &m) == 0 && strcmp (m.point, want) == 0)
        memcpy (found, line, sizeof found); /* The last one is the visible one.  */
    }
  fclose (f);
  if (want == NULL)
    return 0;
  if (found[0] == '\0')
    {
      printf ("none\n");
      return 1;
    }
  parse_mi (found, &m);
  printf ("fstype=%s\nsource=%s\nroot=%s\noptions=%s\nsuper=%s\npropagation=%s\n", m.fstype, m.source, m.root, m.opts,
          m.super, m.optional[0] ? m.optional : "private");
  return 0;
}

static int
p_stat (const char *path)
{
  struct stat st;
  const char *type;

  if (lstat (path, &st) < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  switch (st.st_mode & S_IFMT)
    {
    case S_IFREG:
      type = "file";
      break;
    case S_IFDIR:
      type = "dir";
      break;
    case S_IFLNK:
      type = "symlink";
      break;
    case S_IFCHR:
      type = "char";
      break;
    case S_IFBLK:
      type = "block";
      break;
    case S_IFIFO:
      type = "fifo";
      break;
    case S_IFSOCK:
      type = "socket";
      break;
    default:
      type = "unknown";
    }
  printf ("type=%s\nmode=%04o\nuid=%u\ngid=%u\nrdev=%u:%u\n", type, st.st_mode & 07777, st.st_uid, st.st_gid,
          major (st.st_rdev), minor (st.st_rdev));
  if (S_ISLNK (st.st_mode))
    {
      char t[4096];
      ssize_t l = readlink (path, t, sizeof t - 1);
      t[l < 0 ? 0 : l] = '\0';
      printf ("target=%s\n", t);
    }
  return 0;
}

static int
p_write (const char *path, const char *data)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  if (write (fd, data, strlen (data)) < 0)
    {
      printf ("%s\n", errname (errno));
      close (fd);
      return 0;
    }
  if (close (fd) < 0)
    printf ("%s\n", errname (errno));
  else
    printf ("ok\n");
  return 0;
}

/* Create (or open) N distinct files in DIR (made with its parents), named
   by their number zero-padded to NAMELEN digits: many distinct opens, or
   long paths, for a recorder to see.  */
static int
p_files (const char *dir, const char *count, const char *namelen)
{
  long n = atol (count), width = namelen ? atol (namelen) : 6, i;
  char path[PATH_MAX];

  if (n < 0 || width < 1 || width > 255)
    return usage ();
  snprintf (path, sizeof (path), "%s", dir);
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        mkdir (path, 0755);
        *p = '/';
      }
  mkdir (path, 0755);
  for (i = 0; i < n; i++)
    {
      int fd;
      if (snprintf (path, sizeof (path), "%s/%0*ld", dir, (int)width, i) >= (int)sizeof (path))
        return usage ();
      fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        {
          printf ("files=%ld\nerrno=%s\n", i, errname (errno));
          return 0;
        }
      close (fd);
    }
  printf ("files=%ld\n", i);
  return 0;
}

static int
p_read (const char *path)
{
  char buf[4096];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, buf, sizeof buf) < 0)
    printf ("%s\n", errname (errno));
  else
    printf ("ok\n");
  if (fd >= 0)
    close (fd);
  return 0;
}

static const char *
sched_name (int p)
{
  switch (p & ~SCHED_RESET_ON_FORK)
    {
    case SCHED_OTHER:
      return "SCHED_OTHER";
    case SCHED_FIFO:
      return "SCHED_FIFO";
    case SCHED_RR:
      return "SCHED_RR";
    case SCHED_BATCH:
      return "SCHED_BATCH";
    case SCHED_IDLE:
      return "SCHED_IDLE";
#ifdef SCHED_DEADLINE
    case SCHED_DEADLINE:
      return "SCHED_DEADLINE";
#endif
    default:
      return "unknown";
    }
}

static int
p_sched (void)
{
  struct sched_param sp;
  int pol = sched_getscheduler (0);

  if (pol < 0 || sched_getparam (0, &sp) < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  errno = 0;
  int nice = getpriority (PRIO_PROCESS, 0);
  printf ("policy=%s\npriority=%d\nnice=%d\nreset_on_fork=%d\n", sched_name (pol), sp.sched_priority, nice,
          (pol & SCHED_RESET_ON_FORK) ? 1 : 0);
  return 0;
}

static int
p_ioprio (void)
{
  /* No libc wrapper: IOPRIO_WHO_PROCESS = 1; class in the top 3 bits of 16.  */
  static const char *const classes[]
      = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
  long r = syscall (SYS_ioprio_get, 1, 0);
  if (r < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  int cls = (int)(r >> 13), data = (int)(r & ((1 << 13) - 1));
  printf ("class=%s\npriority=%d\n", cls < 4 ? classes[cls] : "unknown", data);
  return 0;
}

static int
p_affinity (void)
{
  cpu_set_t set;
  int first = 1;

  if (sched_getaffinity (0, sizeof set, &set) < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &set))
      {
        int j = i;
        while (j + 1 < CPU_SETSIZE && CPU_ISSET (j + 1, &set))
          j++;
        printf (first ? "" : ",");
        if (j == i)
          printf ("%d", i);
        else
          printf ("%d-%d", i, j);
        first = 0;
        i = j;
      }
  printf ("\n");
  return 0;
}

static int
p_keyring (void)
{
  /* KEYCTL_GET_KEYRING_ID = 0, KEYCTL_DESCRIBE = 6, KEY_SPEC_SESSION_KEYRING = -3.  */
  char desc[1024];
  long id = syscall (SYS_keyctl, 0, -3, 0);
  if (id < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  long n = syscall (SYS_keyctl, 6, id, desc, sizeof desc - 1);
  if (n < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = '\0';
  /* "type;uid;gid;perm;description"  */
  char *name = strrchr (desc, ';');
  printf ("id=%ld\ndescription=%s\n", id, name ? name + 1 : desc);
  return 0;
}

static int
p_syscall (const char *name)
{
  long r = -1;
  char tmp[64];

  errno = 0;
  if (strcmp (name, "getcwd") == 0)
    r = getcwd (tmp, sizeof tmp) ? 0 : -1;
  else if (strcmp (name, "getpid") == 0)
    r = syscall (SYS_getpid);
  else if (strcmp (name, "mkdir") == 0)
    {
      snprintf (tmp, sizeof tmp, "/tmp/.probe-mkdir-%d", getpid ());
      r = mkdir (tmp, 0700);
      if (r == 0)
        rmdir (tmp);
    }
  else if (strcmp (name, "chmod") == 0)
    {
      struct stat st;
      r = stat ("/", &st);
      if (r == 0)
        r = chmod ("/", st.st_mode & 07777);
    }
  else if (strcmp (name, "unshare") == 0)
    r = unshare (0);
  else if (strcmp (name, "personality") == 0)
    r = personality (0xffffffff);
  else if (strcmp (name, "socket") == 0)
    {
      r = syscall (SYS_socket, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0);
      if (r >= 0)
        close ((int)r);
    }
  else if (strcmp (name, "sethostname") == 0)
    {
      struct utsname u;
      r = uname (&u);
      if (r == 0)
        r = sethostname (u.nodename, strlen (u.nodename));
    }
  else if (strncmp (name, "nr:", 3) == 0)
    r = syscall (atol (name + 3), 0, 0, 0, 0, 0, 0);
  else
    return usage ();
  printf ("%s\n", r < 0 ? errname (errno) : "ok");
  return 0;
}

static int
p_sysctl (const char *name)
{
  char path[512];
  size_t n = snprintf (path, sizeof path, "/proc/sys/%s", name);
  for (size_t i = strlen ("/proc/sys/"); i < n && i < sizeof path; i++)
    if (path[i] == '.')
      path[i] = '/';
  return print_file (path);
}

/* Allocate and touch MB mebibytes, one at a time; "ok" when all of it
   fits (a memory limit below it gets the process OOM-killed instead).  */
static int
p_alloc (long mb)
{
  for (long i = 0; i < mb; i++)
    {
      char *p = malloc (1 << 20);
      if (p == NULL)
        {
          printf ("ENOMEM after %ld MB\n", i);
          return 1;
        }
      memset (p, 0x5a, 1 << 20);
    }
  printf ("ok\n");
  return 0;
}

/* Fork up to N children that stay alive; print how many forks succeeded
   and the errno of the first that failed, then end them.  */
static int
p_forks (long n)
{
  pid_t *kids = calloc ((size_t)n, sizeof (pid_t));
  long ok = 0;
  int e = 0;

  for (long i = 0; i < n; i++)
    {
      pid_t c = fork ();
      if (c == 0)
        {
          pause ();
          _exit (0);
        }
      if (c < 0)
        {
          e = errno;
          break;
        }
      kids[ok++] = c;
    }
  for (long i = 0; i < ok; i++)
    kill (kids[i], SIGKILL);
  for (long i = 0; i < ok; i++)
    waitpid (kids[i], NULL, 0);
  printf ("forks=%ld\nerrno=%s\n", ok, e ? errname (e) : "none");
  return 0;
}

/* The CVE-2019-5736 attack, for SECS seconds: find a process whose
   /proc/PID/exe is not a file of this root (a runtime's clone entering the
   container), keep an O_PATH handle on it, and keep trying to open it for
   writing (never writing a byte: a success is the proof).  Prints how many
   foreign executables were held and how many opened for writing.  */
static int
p_exe_hunt (long secs)
{
  enum
  {
    MAX_HELD = 64
  };
  int held[MAX_HELD];
  char names[MAX_HELD][256];
  int n_held = 0, writable = 0;
  time_t end = time (NULL) + secs;

  while (time (NULL) < end)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL)
        {
          char link[300], target[256];
          struct stat st, mine;
          ssize_t len;
          int fd;

          if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi (de->d_name) == getpid ())
            continue;
          snprintf (link, sizeof link, "/proc/%s/exe", de->d_name);
          fd = open (link, O_PATH | O_CLOEXEC);
          if (fd < 0)
            continue;
          len = readlink (link, target, sizeof target - 1);
          target[len < 0 ? 0 : len] = '\0';
          /* A file of this root (our own programs) is not the attack.  */
          if (fstat (fd, &st) < 0
              || (len > 0 && stat (target, &mine) == 0 && mine.st_dev == st.st_dev && mine.st_ino == st.st_ino)
              || n_held == MAX_HELD)
            {
              close (fd);
              continue;
            }
          snprintf (names[n_held], sizeof names[n_held], "%s", target);
          held[n_held++] = fd;
        }
      if (d)
        closedir (d);
      for (int i = 0; i < n_held; i++)
        {
          char self[64];
          int w;
          if (held[i] < 0)
            continue;
          snprintf (self, sizeof self, "/proc/self/fd/%d", held[i]);
          w = open (self, O_WRONLY | O_CLOEXEC);
          if (w >= 0)
            {
              close (w);
              writable++;
              printf ("writable=%s\n", names[i]);
              close (held[i]);
              held[i] = -1;
            }
        }
    }
  printf ("held=%d\nopened-for-writing=%d\n", n_held, writable);
  return 0;
}

static volatile sig_atomic_t got_signal;

static void
on_signal (int sig)
{
  got_signal = sig;
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";
  const char *arg = argc > 2 ? argv[2] : NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);

  if (strcmp (cmd, "id") == 0)
    return p_id ();
  if (strcmp (cmd, "caps") == 0)
    return status_fields ((const char *const[]){ "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL });
  if (strcmp (cmd, "nnp") == 0)
    return status_fields ((const char *const[]){ "NoNewPrivs", NULL });
  if (strcmp (cmd, "seccomp") == 0)
    return status_fields ((const char *const[]){ "Seccomp", "Seccomp_filters", NULL });
  if (strcmp (cmd, "cwd") == 0)
    {
      char buf[4096];
      if (getcwd (buf, sizeof buf) == NULL)
        printf ("%s\n", errname (errno));
      else
        printf ("%s\n", buf);
      return 0;
    }
  if (strcmp (cmd, "env") == 0)
    {
      extern char **environ;
      if (arg == NULL)
        {
          for (char **e = environ; *e; e++)
            printf ("%s\n", *e);
          return 0;
        }
      const char *v = getenv (arg);
      if (v == NULL)
        return 1;
      printf ("%s\n", v);
      return 0;
    }
  if (strcmp (cmd, "umask") == 0)
    {
      mode_t m = umask (0);
      printf ("%04o\n", m);
      return 0;
    }
  if (strcmp (cmd, "rlimit") == 0 && arg)
    return p_rlimit (arg);
  if (strcmp (cmd, "hostname") == 0 || strcmp (cmd, "domainname") == 0)
    {
      struct utsname u;
      uname (&u);
      printf ("%s\n", cmd[0] == 'h' ? u.nodename : u.domainname);
      return 0;
    }
  if (strcmp (cmd, "fds") == 0)
    return p_fds ();
  if (strcmp (cmd, "isatty") == 0 && arg)
    {
      printf ("%d\n", isatty (atoi (arg)));
      return 0;
    }
  if (strcmp (cmd, "winsize") == 0)
    {
      struct winsize ws;
      if (ioctl (arg ? atoi (arg) : 0, TIOCGWINSZ, &ws) < 0)
        printf ("%s\n", errname (errno));
      else
        printf ("rows=%u\ncols=%u\n", ws.ws_row, ws.ws_col);
      return 0;
    }
  if (strcmp (cmd, "ns") == 0)
    return p_ns ();
  if (strcmp (cmd, "mounts") == 0)
    return p_mounts (NULL);
  if (strcmp (cmd, "mountinfo") == 0 && arg)
    return p_mounts (arg);
  if (strcmp (cmd, "stat") == 0 && arg)
    return p_stat (arg);
  if (strcmp (cmd, "write") == 0 && arg)
    return p_write (arg, argc > 3 ? argv[3] : "probe\n");
  if (strcmp (cmd, "files") == 0 && arg && argc > 3)
    return p_files (arg, argv[3], argc > 4 ? argv[4] : NULL);
  if (strcmp (cmd, "read") == 0 && arg)
    return p_read (arg);
  if (strcmp (cmd, "cat") == 0 && arg)
    return print_file (arg);
  if (strcmp (cmd, "cgroup") == 0)
    return print_file ("/proc/self/cgroup");
  if (strcmp (cmd, "oom") == 0)
    return print_file ("/proc/self/oom_score_adj");
  if (strcmp (cmd, "personality") == 0)
    {
      int p = personality (0xffffffff);
      struct utsname u;
      uname (&u);
      printf ("personality=0x%04x\nmachine=%s\n", p, u.machine);
      return 0;
    }
  if (strcmp (cmd, "ioprio") == 0)
    return p_ioprio ();
  if (strcmp (cmd, "sched") == 0)
    return p_sched ();
  if (strcmp (cmd, "affinity") == 0)
    return p_affinity ();
  if (strcmp (cmd, "keyring") == 0)
    return p_keyring ();
  if (strcmp (cmd, "pid") == 0)
    {
      printf ("%d\n", getpid ());
      return 0;
    }
  if (strcmp (cmd, "ppid") == 0)
    {
      printf ("%d\n", getppid ());
      return 0;
    }
  if (strcmp (cmd, "sleep") == 0 && arg)
    {
      struct timespec ts = { .tv_sec = atol (arg) };
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
      return 0;
    }
  if (strcmp (cmd, "exit") == 0 && arg)
    return atoi (arg);
  if (strcmp (cmd, "kill-self") == 0 && arg)
    {
      int sig = atoi (arg);
      /* The init of a pid namespace ignores signals it has no handler for,
         even its own: report that instead of hanging.  */
      kill (getpid (), sig);
      printf ("ignored\n");
      return 0;
    }
  if (strcmp (cmd, "wait-signal") == 0)
    {
      /* A handler for every catchable signal, so that even as the init of a
         pid namespace it gets them; exits with the signal's number.  */
      struct sigaction sa = { .sa_handler = on_signal };
      for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
          sigaction (s, &sa, NULL);
      printf ("ready\n");
      while (got_signal == 0)
        pause ();
      printf ("signal=%d\n", (int)got_signal);
      return got_signal;
    }
  if (strcmp (cmd, "syscall") == 0 && arg)
    return p_syscall (arg);
  if (strcmp (cmd, "sysctl") == 0 && arg)
    return p_sysctl (arg);
  if (strcmp (cmd, "alloc") == 0 && arg)
    return p_alloc (atol (arg));
  if (strcmp (cmd, "forks") == 0 && arg)
    return p_forks (atol (arg));
  if (strcmp (cmd, "exe-hunt") == 0 && arg)
    return p_exe_hunt (atol (arg));
  return usage ();
}
