/* Unit tests of libreg's process-security modules: caps, seccomp, lsm.
 *
 * Whatever changes the process (capabilities, filters) runs in a forked
 * child; the child reports what it saw through a pipe and the parent
 * asserts.  Capability tests need root and skip without it; seccomp tests
 * set no_new_privs in the child and run as any user.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "caps.h"
#include "lsm.h"
#include "rootfs-fixture.h"
#include "seccomp-filter.h"
#include "utils.h"

#define SKIP TEST_SKIP
#define NEED_ROOT()                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      if (geteuid () != 0)                                                                                             \
        SKIP ("%s needs root (setuid, bounding set)", __func__);                                                       \
    }                                                                                                                  \
  while (0)

#define B(x) (UINT64_C (1) << (x))

/* ---------- a child process that reports through a pipe ---------- */

typedef void (*child_fn) (int out, void *arg);

/* Fork; the child runs FN (which writes its report to OUT and returns or
   execs) and exits 0.  The parent collects up to OUTSZ-1 bytes and the wait
   status.  */
static int
run_child (child_fn fn, void *arg, char *out, size_t outsz)
{
  int p[2], status = 0;
  size_t used = 0;
  pid_t pid;

  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      /* A crash kills the child: cmocka's handlers, inherited, would
         report it and go on running the other tests in this process
         (an i386 call where the kernel has no ia32 entry is a SIGSEGV).  */
      signal (SIGSEGV, SIG_DFL);
      signal (SIGBUS, SIG_DFL);
      signal (SIGILL, SIG_DFL);
      signal (SIGFPE, SIG_DFL);
      close (p[0]);
      fn (p[1], arg);
      _exit (0);
    }
  close (p[1]);
  for (;;)
    {
      ssize_t n = read (p[0], out + used, outsz - 1 - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      used += (size_t)n;
      if (used == outsz - 1)
        break;
    }
  out[used] = '\0';
  close (p[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  return status;
}

static void
report (int fd, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  if (write (fd, buf, (size_t)n) < 0)
    _exit (120);
}

/* ---------- config structs from JSON text (the parser is another branch) ---------- */

static void
strv_from (yajl_val v, oci_strv *out)
{
  size_t i;

  memset (out, 0, sizeof (*out));
  if (v == NULL || !YAJL_IS_ARRAY (v))
    return;
  out->len = v->u.array.len;
  out->items = xmalloc0 ((out->len + 1) * sizeof (char *));
  for (i = 0; i < out->len; i++)
    out->items[i] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
}

static void
strv_clear (oci_strv *v)
{
  size_t i;
  for (i = 0; i < v->len; i++)
    free (v->items[i]);
  free (v->items);
}

static yajl_val
get (yajl_val obj, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (obj, path, yajl_t_any);
}

static char *
dup_string (yajl_val v)
{
  return v && YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static uint64_t
get_u64 (yajl_val v)
{
  return v ? strtoull (YAJL_GET_NUMBER (v), NULL, 10) : 0;
}

static void
seccomp_from_val (yajl_val v, oci_seccomp *s)
{
  yajl_val syscalls;
  size_t i, j;

  memset (s, 0, sizeof (*s));
  s->present = true;
  s->default_action = dup_string (get (v, "defaultAction"));
  if (get (v, "defaultErrnoRet"))
    {
      s->has_default_errno_ret = true;
      s->default_errno_ret = (uint32_t)get_u64 (get (v, "defaultErrnoRet"));
    }
  strv_from (get (v, "architectures"), &s->architectures);
  strv_from (get (v, "flags"), &s->flags);
  s->listener_path = dup_string (get (v, "listenerPath"));
  s->listener_metadata = dup_string (get (v, "listenerMetadata"));
  syscalls = get (v, "syscalls");
  if (syscalls == NULL)
    return;
  s->n_syscalls = syscalls->u.array.len;
  s->syscalls = xmalloc0 (s->n_syscalls * sizeof (oci_syscall));
  for (i = 0; i < s->n_syscalls; i++)
    {
      yajl_val sv = syscalls->u.array.values[i], args;
      oci_syscall *sc = &s->syscalls[i];

      strv_from (get (sv, "names"), &sc->names);
      sc->action = dup_string (get (sv, "action"));
      if (get (sv, "errnoRet"))
        {
          sc->has_errno_ret = true;
          sc->errno_ret = (uint32_t)get_u64 (get (sv, "errnoRet"));
        }
      args = get (sv, "args");
      if (args == NULL || !YAJL_IS_ARRAY (args))
        continue;
      sc->n_args = args->u.array.len;
      sc->args = xmalloc0 (sc->n_args * sizeof (oci_syscall_arg));
      for (j = 0; j < sc->n_args; j++)
        {
          yajl_val av = args->u.array.values[j];
          sc->args[j].index = (uint32_t)get_u64 (get (av, "index"));
          sc->args[j].value = get_u64 (get (av, "value"));
          sc->args[j].value_two = get_u64 (get (av, "valueTwo"));
          sc->args[j].op_name = dup_string (get (av, "op"));
        }
    }
}

static void
seccomp_clear (oci_seccomp *s)
{
  size_t i, j;

  free (s->default_action);
  strv_clear (&s->architectures);
  strv_clear (&s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (i = 0; i < s->n_syscalls; i++)
    {
      strv_clear (&s->syscalls[i].names);
      free (s->syscalls[i].action);
      for (j = 0; j < s->syscalls[i].n_args; j++)
        free (s->syscalls[i].args[j].op_name);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
}

/* Build a filter from JSON text; returns runtime_seccomp_build's result, the
   error message (if any) in *MSG.  */
static int
build_json (const char *json, struct runtime_seccomp **out, char **msg)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  reg_error_t err = NULL;
  oci_seccomp s;
  int ret;

  if (v == NULL)
    fail_msg ("bad test JSON: %s: %s", errbuf, json);
  seccomp_from_val (v, &s);
  yajl_tree_free (v);
  ret = runtime_seccomp_build (&s, out, &err);
  seccomp_clear (&s);
  if (msg)
    *msg = err ? xstrdup (err->msg) : NULL;
  reg_error_release (&err);
  return ret;
}

static struct runtime_seccomp *
must_build (const char *json)
{
  struct runtime_seccomp *f = NULL;
  cleanup_free char *msg = NULL;

  if (build_json (json, &f, &msg) < 0)
    fail_msg ("build failed: %s", msg);
  assert_non_null (f);
  return f;
}

/* In the child: no_new_privs, then load.  Exits 121 if that fails.  */
static void
child_load (struct runtime_seccomp *f, int *notify_fd)
{
  reg_error_t err = NULL;

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    _exit (122);
  if (runtime_seccomp_load (f, notify_fd, &err) < 0)
    {
      fprintf (stderr, "load: %s\n", err->msg);
      _exit (121);
    }
}

/* ================= capabilities ================= */

static oci_capabilities
caps_of (const char *const *b, const char *const *e, const char *const *i, const char *const *p, const char *const *a)
{
  oci_capabilities c = { .present = true };
  const char *const *sets[] = { b, e, i, p, a };
  oci_strv *dst[] = { &c.bounding, &c.effective, &c.inheritable, &c.permitted, &c.ambient };
  size_t k;

  for (k = 0; k < 5; k++)
    {
      size_t n = 0;
      if (sets[k] == NULL)
        continue;
      while (sets[k][n])
        n++;
      dst[k]->items = (char **)sets[k];
      dst[k]->len = n;
    }
  c.has_bounding = b != NULL;
  c.has_effective = e != NULL;
  c.has_inheritable = i != NULL;
  c.has_permitted = p != NULL;
  c.has_ambient = a != NULL;
  return c;
}

static void
test_caps_resolve_known (void **state)
{
  const char *b[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  const char *e[] = { "CAP_KILL", NULL };
  const char *a[] = { "CAP_NET_BIND_SERVICE", NULL };
  oci_capabilities c = caps_of (b, e, NULL, b, a);
  struct runtime_caps *caps = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_int_equal (runtime_caps_resolve (&c, &caps, &err), 0);
  assert_non_null (caps);
  assert_true (caps->configured);
  assert_int_equal (caps->bounding, (1u << 0) | (1u << 5) | (1u << 10));
  assert_int_equal (caps->permitted, caps->bounding);
  assert_int_equal (caps->effective, 1u << 5);
  assert_int_equal (caps->inheritable, 0); /* absent set: empty */
  assert_int_equal (caps->ambient, 1u << 10);
  runtime_caps_free (caps);
}

static void
expect_caps_error (const char *name, const char *set_idx_msg)
{
  const char *bad[] = { "CAP_CHOWN", name, NULL };
  oci_capabilities c = caps_of (NULL, NULL, NULL, NULL, NULL);
  struct runtime_caps *caps = (struct runtime_caps *)1;
  reg_error_t err = NULL;

  c.bounding.items = (char **)bad;
  c.bounding.len = 2;
  assert_true (runtime_caps_resolve (&c, &caps, &err) < 0);
  assert_null (caps);
  assert_non_null (err);
  assert_string_equal (err->msg, set_idx_msg);
  reg_error_release (&err);
}

static void
test_caps_resolve_unknown (void **state)
{
  (void)state;
  expect_caps_error ("CAP_FOO", "config.json: process.capabilities.bounding: unknown capability \"CAP_FOO\"");
  /* libcap would take these; the runtime-spec spells CAP_ + upper case, and
     so does runc, so they are refused.  */
  expect_caps_error ("cap_chown", "config.json: process.capabilities.bounding: unknown capability \"cap_chown\"");
  expect_caps_error ("CHOWN", "config.json: process.capabilities.bounding: unknown capability \"CHOWN\"");
  expect_caps_error ("CAP_", "config.json: process.capabilities.bounding: unknown capability \"CAP_\"");
  expect_caps_error ("CAP_12", "config.json: process.capabilities.bounding: unknown capability \"CAP_12\"");
}

static void
test_caps_resolve_other_set_and_prefix (void **state)
{
  const char *bad[] = { "CAP_BOGUS", NULL };
  oci_capabilities c = caps_of (NULL, NULL, NULL, NULL, bad);
  struct runtime_caps *caps = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_true (runtime_caps_resolve_at (&c, "process.json: capabilities", &caps, &err) < 0);
  assert_string_equal (err->msg, "process.json: capabilities.ambient: unknown capability \"CAP_BOGUS\"");
  reg_error_release (&err);
}

static void
test_caps_resolve_absent (void **state)
{
  oci_capabilities c = { .present = false };
  struct runtime_caps *caps = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_int_equal (runtime_caps_resolve (&c, &caps, &err), 0);
  assert_false (caps->configured);
  runtime_caps_free (caps);
  assert_int_equal (runtime_caps_resolve (NULL, &caps, &err), 0);
  assert_false (caps->configured);
  runtime_caps_free (caps);
}

static void
test_caps_resolve_not_in_kernel (void **state)
{
  /* On a kernel whose last capability is CAP_BPF (39), CAP_CHECKPOINT_RESTORE
     (40) is known to libcap but not to the kernel: skipped, not an error.  */
  const char *b[] = { "CAP_CHOWN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF", NULL };
  oci_capabilities c = caps_of (b, NULL, NULL, b, NULL);
  struct runtime_caps *caps = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_int_equal (runtime_caps_resolve_for_kernel (&c, "config.json: process.capabilities", 40, &caps, &err), 0);
  assert_int_equal (caps->bounding, B (0) | B (39));
  assert_int_equal (caps->permitted, B (0) | B (39));
  runtime_caps_free (caps);
  /* With a kernel that knows it, it is kept.  */
  assert_int_equal (runtime_caps_resolve_for_kernel (&c, "config.json: process.capabilities", 41, &caps, &err), 0);
  assert_int_equal (caps->bounding, B (0) | B (39) | B (40));
  runtime_caps_free (caps);
  /* A name nobody knows is still an error, whatever the kernel.  */
  b[1] = "CAP_NOT_YET_INVENTED";
  assert_true (runtime_caps_resolve_for_kernel (&c, "config.json: process.capabilities", 40, &caps, &err) < 0);
  assert_string_equal (err->msg,
                       "config.json: process.capabilities.bounding: unknown capability \"CAP_NOT_YET_INVENTED\"");
  reg_error_release (&err);
}

static void
test_caps_known_names (void **state)
{
  const char *const *names = runtime_caps_known_names ();
  cleanup_free char *buf = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal (read_all_file ("/proc/sys/kernel/cap_last_cap", 64, &buf, NULL, NULL), 0);
  while (names[n])
    n++;
  assert_int_equal (n, (size_t)atoi (buf) + 1);
  assert_string_equal (names[0], "CAP_CHOWN");
  assert_string_equal (names[21], "CAP_SYS_ADMIN");
  assert_string_equal (runtime_caps_name (10), "CAP_NET_BIND_SERVICE");
}

/* "Inh=... Prm=... Eff=... Bnd=... Amb=..." from /proc/self/status text.  */
static void
caps_line (const char *status, char *out, size_t outsz)
{
  const char *keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
  size_t k, used = 0;

  out[0] = '\0';
  for (k = 0; k < 5; k++)
    {
      const char *p = strstr (status, keys[k]);
      char val[17] = "?";
      if (p)
        sscanf (p + strlen (keys[k]), " %16s", val);
      used += (size_t)snprintf (out + used, outsz - used, "%s%.3s=%s", k ? " " : "", keys[k] + 3, val);
    }
}

static char *
expected_caps (uint64_t inh, uint64_t prm, uint64_t eff, uint64_t bnd, uint64_t amb)
{
  char *s = NULL;
  xasprintf (&s, "Inh=%016lx Prm=%016lx Eff=%016lx Bnd=%016lx Amb=%016lx", (unsigned long)inh, (unsigned long)prm,
             (unsigned long)eff, (unsigned long)bnd, (unsigned long)amb);
  return s;
}

struct caps_child
{
  struct runtime_caps *caps;
  uid_t uid;
  bool exec_cat; /* report what a program sees after execve */
};

static void
caps_child_fn (int out, void *arg)
{
  struct caps_child *cc = arg;
  reg_error_t err = NULL;
  cleanup_free char *status = NULL;
  char line[256];

  if (runtime_caps_before_setuid (&err) < 0)
    _exit (10);
  if (setgroups (0, NULL) < 0 || setgid (cc->uid) < 0 || setuid (cc->uid) < 0)
    _exit (11);
  if (runtime_caps_apply (cc->caps, &err) < 0)
    {
      report (out, "apply: %s", err->msg);
      _exit (12);
    }
  if (cc->exec_cat)
    {
      char *argv[] = { (char *)"cat", (char *)"/proc/self/status", NULL };
      char *envp[] = { NULL };
      dup2 (out, 1);
      execve ("/bin/cat", argv, envp);
      _exit (13);
    }
  if (read_all_file ("/proc/self/status", 0, &status, NULL, NULL) < 0)
    _exit (14);
  caps_line (status, line, sizeof (line));
  report (out, "%s", line);
}

static void
run_caps_case (const oci_capabilities *c, uid_t uid, bool exec_cat, const char *expect)
{
  struct caps_child cc = { .uid = uid, .exec_cat = exec_cat };
  reg_error_t err = NULL;
  char out[8192], line[256];
  int status;

  assert_int_equal (runtime_caps_resolve (c, &cc.caps, &err), 0);
  status = run_child (caps_child_fn, &cc, out, sizeof (out));
  runtime_caps_free (cc.caps);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fail_msg ("child status %#x: %s", status, out);
  if (exec_cat)
    caps_line (out, line, sizeof (line));
  else
    {
      snprintf (line, sizeof (line), "%.*s", (int)(sizeof (line) - 1), out);
    }
  assert_string_equal (line, expect);
}

static const char *nb_bound[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
static const char *nb_perm[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
static const char *nb_eff[] = { "CAP_CHOWN", "CAP_KILL", NULL };
static const char *nb_inh[] = { "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
static const char *nb_amb[] = { "CAP_NET_BIND_SERVICE", NULL };

static void
test_caps_apply_nonroot (void **state)
{
  oci_capabilities c = caps_of (nb_bound, nb_eff, nb_inh, nb_perm, nb_amb);
  cleanup_free char *expect = NULL;

  (void)state;
  NEED_ROOT ();
  expect
      = expected_caps (B (5) | B (10), B (0) | B (5) | B (10), B (0) | B (5), B (0) | B (1) | B (5) | B (10), B (10));
  run_caps_case (&c, 1000, false, expect);
}

static void
test_caps_apply_nonroot_after_execve (void **state)
{
  oci_capabilities c = caps_of (nb_bound, nb_eff, nb_inh, nb_perm, nb_amb);
  cleanup_free char *expect = NULL;

  (void)state;
  NEED_ROOT ();
  /* capabilities(7), no file caps, uid != 0: P'(permitted) = P'(effective)
     = P(ambient); inheritable, bounding, ambient carried over.  */
  expect = expected_caps (B (5) | B (10), B (10), B (10), B (0) | B (1) | B (5) | B (10), B (10));
  run_caps_case (&c, 1000, true, expect);
}

static void
test_caps_apply_ambient_refused (void **state)
{
  /* CAP_CHOWN is ambient but not inheritable: the kernel refuses it, the
     runtime warns and goes on (runc does the same; Podman relies on it).  */
  const char *amb[] = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE", NULL };
  oci_capabilities c = caps_of (nb_bound, nb_eff, nb_inh, nb_perm, amb);
  cleanup_free char *expect = NULL;

  (void)state;
  NEED_ROOT ();
  expect
      = expected_caps (B (5) | B (10), B (0) | B (5) | B (10), B (0) | B (5), B (0) | B (1) | B (5) | B (10), B (10));
  run_caps_case (&c, 1000, false, expect);
}

static void
test_caps_apply_root (void **state)
{
  const char *b[] = { "CAP_CHOWN", "CAP_SETUID", NULL };
  const char *e[] = { "CAP_CHOWN", NULL };
  oci_capabilities c = caps_of (b, e, NULL, b, NULL);
  cleanup_free char *expect = NULL;
  cleanup_free char *expect_exec = NULL;

  (void)state;
  NEED_ROOT ();
  expect = expected_caps (0, B (0) | B (7), B (0), B (0) | B (7), 0);
  run_caps_case (&c, 0, false, expect);
  /* uid 0 at execve: permitted = effective = inheritable | bounding.  */
  expect_exec = expected_caps (0, B (0) | B (7), B (0) | B (7), B (0) | B (7), 0);
  run_caps_case (&c, 0, true, expect_exec);
}

static void
test_caps_apply_unconfigured (void **state)
{
  oci_capabilities c = { .present = false };
  cleanup_free char *status = NULL;
  cleanup_free char *expect = NULL;
  char line[256];

  (void)state;
  NEED_ROOT ();
  /* Root with no capabilities object keeps what it had.  */
  assert_int_equal (read_all_file ("/proc/self/status", 0, &status, NULL, NULL), 0);
  caps_line (status, line, sizeof (line));
  run_caps_case (&c, 0, false, line);
  /* A non-root uid then loses them all at setuid (keep-caps is on, so
     permitted survives, effective is cleared by the kernel; apply does
     nothing for an unconfigured set and leaves keep-caps as it was).  */
}

/* ================= seccomp ================= */

struct sc_child
{
  struct runtime_seccomp *f;
  void (*after) (int out, void *arg);
  void *arg;
};

static void
sc_child_fn (int out, void *arg)
{
  struct sc_child *c = arg;

  child_load (c->f, NULL);
  c->after (out, c->arg);
}

static int
run_filtered (const char *json, void (*after) (int, void *), void *arg, char *out, size_t outsz)
{
  struct sc_child c = { .f = must_build (json), .after = after, .arg = arg };
  int status = run_child (sc_child_fn, &c, out, outsz);
  runtime_seccomp_free (c.f);
  return status;
}

static void
expect_exit0 (int status, const char *out)
{
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fail_msg ("child status %#x (%s)", status, out);
}

/* mkdir a fresh path and getppid, report "mkdir=<errno> getppid=<ok|errno>".  */
static void
probe_mkdir (int out, void *arg)
{
  const char *dir = arg;
  cleanup_free char *path = NULL;
  long r;
  int e1 = 0, e2 = 0;

  xasprintf (&path, "%s/d%d", dir, getpid ());
  r = syscall (SYS_mkdir, path, 0700);
  e1 = r < 0 ? errno : 0;
  r = syscall (SYS_getppid);
  e2 = r < 0 ? errno : 0;
  report (out, "mkdir=%d getppid=%d", e1, e2);
}

static char tmpdir[] = "/tmp/reg-test-security.XXXXXX";

static int
setup_tmp (void **state)
{
  (void)state;
  if (mkdtemp (tmpdir) == NULL)
    return -1;
  return 0;
}

static int
teardown_tmp (void **state)
{
  reg_error_t err = NULL;
  (void)state;
  if (remove_tree_at (AT_FDCWD, tmpdir, &err) < 0)
    reg_error_release (&err);
  return 0;
}

static void
test_seccomp_errno_default_eperm (void **state)
{
  char out[256];
  int st;

  (void)state;
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "mkdir=1 getppid=0");
}

static void
test_seccomp_errno_ret (void **state)
{
  char out[256];
  int st;

  (void)state;
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "mkdir=38 getppid=0");
}

static void
probe_default_errno (int out, void *arg)
{
  long r1, r2;
  int e1, e2;

  (void)arg;
  r1 = syscall (SYS_getppid);
  e1 = r1 < 0 ? errno : 0;
  r2 = syscall (SYS_getpid);
  e2 = r2 < 0 ? errno : 0;
  report (out, "getppid=%d getpid=%d", e1, e2);
}

static void
test_seccomp_default_errno_ret (void **state)
{
  char out[256];
  int st;

  (void)state;
  /* Everything but what the probe needs is refused with ENOSYS.  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":["
                     "{\"names\":[\"write\",\"exit\",\"exit_group\",\"getpid\",\"rt_sigreturn\",\"brk\","
                     "\"mmap\",\"munmap\",\"futex\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                     probe_default_errno, NULL, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "getppid=38 getpid=0");
}

static void
test_seccomp_kill_process (void **state)
{
  char out[256];
  int st;

  (void)state;
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                     "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGSYS);
  assert_string_equal (out, "");
}

static void
test_seccomp_kill_thread (void **state)
{
  char out[256];
  int st;

  (void)state;
  /* SCMP_ACT_KILL is KILL_THREAD; the probe is single-threaded.  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                     "\"action\":\"SCMP_ACT_KILL\"}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGSYS);
  assert_string_equal (out, "");
}

static volatile sig_atomic_t trapped_nr = -1;

static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  (void)sig;
  (void)uc;
  trapped_nr = si->si_syscall;
}

static void
probe_trap (int out, void *arg)
{
  (void)arg;
  syscall (SYS_mkdir, "/nonexistent-reg-test/x", 0700);
  report (out, "trapped=%d", (int)trapped_nr);
}

static void
trap_child (int out, void *arg)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  sigaction (SIGSYS, &sa, NULL);
  child_load (arg, NULL);
  probe_trap (out, NULL);
}

static void
test_seccomp_trap (void **state)
{
  struct runtime_seccomp *f = must_build ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                                          "\"action\":\"SCMP_ACT_TRAP\"}]}");
  char out[256], expect[64];
  int st;

  (void)state;
  st = run_child (trap_child, f, out, sizeof (out));
  runtime_seccomp_free (f);
  expect_exit0 (st, out);
  snprintf (expect, sizeof (expect), "trapped=%d", (int)SYS_mkdir);
  assert_string_equal (out, expect);
}

/* Look in /dev/kmsg (from KFD's position) for the audit record of PID with
   CODE; wait up to a second.  */
static bool
kmsg_has_seccomp_record (int kfd, pid_t pid, const char *code)
{
  char pidstr[32], rec[2048];
  int tries;

  snprintf (pidstr, sizeof (pidstr), " pid=%d ", (int)pid);
  for (tries = 0; tries < 20; tries++)
    {
      ssize_t n;
      while ((n = read (kfd, rec, sizeof (rec) - 1)) > 0 || (n < 0 && errno == EPIPE))
        {
          if (n <= 0)
            continue;
          rec[n] = '\0';
          if (strstr (rec, "type=1326") && strstr (rec, pidstr) && strstr (rec, code))
            return true;
        }
      usleep (50000);
    }
  return false;
}

static void
probe_log (int out, void *arg)
{
  cleanup_free char *path = NULL;
  long r1, r2;
  int e1, e2;

  xasprintf (&path, "%s/log%d", (const char *)arg, getpid ());
  r1 = syscall (SYS_mkdir, path, 0700); /* SCMP_ACT_LOG */
  e1 = r1 < 0 ? errno : 0;
  r2 = syscall (SYS_getuid); /* default ERRNO, logged because of the LOG flag */
  e2 = r2 < 0 ? errno : 0;
  report (out, "%d mkdir=%d getuid=%d", getpid (), e1, e2);
}

static void
test_seccomp_log (void **state)
{
  cleanup_close int kfd = -1;
  char out[256], code[32];
  int st, child = 0, e1 = -1, e2 = -1;

  (void)state;
  kfd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (kfd >= 0)
    lseek (kfd, 0, SEEK_END);
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                     "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_LOG\"},"
                     "{\"names\":[\"write\",\"exit_group\",\"getpid\",\"exit\",\"brk\",\"mmap\",\"munmap\","
                     "\"futex\",\"rt_sigreturn\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                     probe_log, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_int_equal (sscanf (out, "%d mkdir=%d getuid=%d", &child, &e1, &e2), 3);
  /* LOG lets the call through; the default refuses the rest.  */
  assert_int_equal (e1, 0);
  assert_int_equal (e2, EPERM);
  /* The kernel logs both (audit type 1326): LOG always, ERRNO because the
     filter has SECCOMP_FILTER_FLAG_LOG.  Without /dev/kmsg or with auditd
     taking the records there is nothing to look at.  */
  if (kfd < 0)
    SKIP ("cannot read /dev/kmsg to see the audit records");
  /* The kernel prints the action without its data.  */
  snprintf (code, sizeof (code), "code=0x%x", SCMP_ACT_ERRNO (0));
  if (!kmsg_has_seccomp_record (kfd, child, code))
    SKIP ("no seccomp audit records in /dev/kmsg (auditd takes them, or they are rate-limited)");
  lseek (kfd, 0, SEEK_SET);
  snprintf (code, sizeof (code), "code=0x%x", SCMP_ACT_LOG);
  assert_true (kmsg_has_seccomp_record (kfd, child, code));
}

/* getppid ignores its arguments, so the filter can be probed with any.  */
struct argcase
{
  const char *args_json;
  unsigned long a0, a1;
  int expect; /* 0 allowed, else the errno */
};

static void
probe_getppid_args (int out, void *arg)
{
  const struct argcase *c = arg;
  long r = syscall (SYS_getppid, c->a0, c->a1, 0, 0, 0, 0);
  report (out, "%d", r < 0 ? errno : 0);
}

static void
test_seccomp_arg_operators (void **state)
{
  static const struct argcase cases[] = {
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_NE\"}]", 11, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_NE\"}]", 10, 0, 0 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_LT\"}]", 9, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_LT\"}]", 10, 0, 0 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_LE\"}]", 10, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_LE\"}]", 11, 0, 0 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_EQ\"}]", 10, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_EQ\"}]", 9, 0, 0 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GE\"}]", 10, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GE\"}]", 9, 0, 0 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GT\"}]", 11, 0, 77 },
    { "[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GT\"}]", 10, 0, 0 },
    /* (arg & 0xff00) == 0x1200 */
    { "[{\"index\":0,\"value\":65280,\"valueTwo\":4608,\"op\":\"SCMP_CMP_MASKED_EQ\"}]", 0x12ab, 0, 77 },
    { "[{\"index\":0,\"value\":65280,\"valueTwo\":4608,\"op\":\"SCMP_CMP_MASKED_EQ\"}]", 0x13ab, 0, 0 },
    /* 64-bit values */
    { "[{\"index\":1,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_EQ\"}]", 0, ~0UL, 77 },
    { "[{\"index\":1,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_EQ\"}]", 0, 0xffffffffUL, 0 },
    /* two arguments: both must match */
    { "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]", 1, 2, 77 },
    { "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]", 1, 3, 0 },
    { "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]", 0, 2, 0 },
    /* the same argument twice: one rule each (runc's behaviour), either matches */
    { "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]", 5, 0, 77 },
    { "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]", 3, 0, 0 },
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *json = NULL;
      char out[64], expect[16];
      int st;

      xasprintf (&json,
                 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,\"args\":%s}]}",
                 cases[i].args_json);
      st = run_filtered (json, probe_getppid_args, (void *)&cases[i], out, sizeof (out));
      expect_exit0 (st, out);
      snprintf (expect, sizeof (expect), "%d", cases[i].expect);
      if (strcmp (out, expect) != 0)
        fail_msg ("case %zu (%s, a0=%#lx a1=%#lx): got %s, expected %s", i, cases[i].args_json, cases[i].a0,
                  cases[i].a1, out, expect);
    }
}

static void
probe_personality (int out, void *arg)
{
  long r1, r2;
  int e1, e2;

  (void)arg;
  r1 = syscall (SYS_personality, 0xffffffffUL); /* query */
  e1 = r1 < 0 ? errno : 0;
  r2 = syscall (SYS_personality, 0x0008UL); /* PER_LINUX32_3GB-ish: refused */
  e2 = r2 < 0 ? errno : 0;
  report (out, "query=%d set=%d", e1, e2);
}

static void
test_seccomp_personality_allow_list (void **state)
{
  char out[256];
  int st;

  (void)state;
  /* The default-profile idiom: only the query form is allowed.  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,\"args\":[{\"index\":0,\"value\":4294967295,"
                     "\"op\":\"SCMP_CMP_NE\"}]}]}",
                     probe_personality, NULL, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "query=0 set=22");
}

static void
test_seccomp_unknown_syscall_skipped (void **state)
{
  char out[256];
  int st;

  (void)state;
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such_syscall_reg\","
                     "\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "mkdir=13 getppid=0");
}

static void
test_seccomp_rule_same_as_default_skipped (void **state)
{
  char out[256];
  int st;

  (void)state;
  /* libseccomp refuses a rule equal to the default; it is skipped.  An
     ERRNO rule with another errno than the default's is kept.  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":["
                     "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
                     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
                     "{\"names\":[\"write\",\"exit\",\"exit_group\",\"getpid\",\"brk\",\"mmap\",\"munmap\","
                     "\"futex\",\"rt_sigreturn\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "mkdir=1 getppid=38");
}

static void
test_seccomp_arch_and_flags (void **state)
{
  char out[256];
  int st;

  (void)state;
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                     "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\"],"
                     "\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
                     "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
                     "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     probe_mkdir, tmpdir, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "mkdir=1 getppid=0");
}

#ifdef __x86_64__
/* getppid through the i386 entry (int $0x80, i386 number 64).  */
static long
getppid_i386 (void)
{
  long ret = 64;
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

static void
probe_i386 (int out, void *arg)
{
  (void)arg;
  report (out, "%ld", getppid_i386 ());
}
#endif

static void
test_seccomp_arch_i386 (void **state)
{
#ifdef __x86_64__
  char out[64], expect[32];
  int st;

  (void)state;
  st = run_child (probe_i386, NULL, out, sizeof (out));
  snprintf (expect, sizeof (expect), "%d", (int)getpid ());
  if (!WIFEXITED (st) || strcmp (out, expect) != 0)
    SKIP ("the kernel has no i386 syscall entry (ia32 emulation off)");
  /* With SCMP_ARCH_X86 the i386 call meets the rule...  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                     "\"SCMP_ARCH_X86\"],\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"errnoRet\":77}]}",
                     probe_i386, NULL, out, sizeof (out));
  expect_exit0 (st, out);
  assert_string_equal (out, "-77");
  /* ... without it, a foreign architecture is killed (libseccomp's bad-arch action).  */
  st = run_filtered ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                     "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77}]}",
                     probe_i386, NULL, out, sizeof (out));
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGSYS);
#else
  (void)state;
  SKIP ("the i386 probe is for x86_64 hosts");
#endif
}

static void
expect_build_error (const char *json, const char *msg)
{
  struct runtime_seccomp *f = (struct runtime_seccomp *)1;
  cleanup_free char *got = NULL;

  assert_true (build_json (json, &f, &got) < 0);
  assert_null (f);
  assert_non_null (got);
  assert_string_equal (got, msg);
}

static void
test_seccomp_bad_values (void **state)
{
  (void)state;
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
                      "config.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"rmdir\"],\"action\":\"SCMP_ACT_DENY\"}]}",
                      "config.json: linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_DENY\"");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                      "\"SCMP_ARCH_VAX\"]}",
                      "config.json: linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                      "{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}",
                      "config.json: linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_XX\"");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                      "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
                      "config.json: linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL does not take an errno"
                      " (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                      "config.json: linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not take an errno"
                      " (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":70000}]}",
                      "config.json: linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-4095)");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_FAST\"]}",
                      "config.json: linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
                      "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                      "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                      "config.json: linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":"
                      "[\"mkdir\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                      "config.json: linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for \"write\": the"
                      " runtime needs it to hand over the listener");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"m\"}",
                      "config.json: linux.seccomp.listenerMetadata: set without listenerPath");
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
                      "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                      "config.json: linux.seccomp.syscalls[0].names: must contain at least one syscall");
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  expect_build_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
                      "config.json: linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported"
                      " by libseccomp " REG_SECCOMP_VERSION);
#endif
}

static void
test_seccomp_absent (void **state)
{
  oci_seccomp s = { .present = false };
  struct runtime_seccomp *f = (struct runtime_seccomp *)1;
  reg_error_t err = NULL;
  int fd = 7;

  (void)state;
  assert_int_equal (runtime_seccomp_build (&s, &f, &err), 0);
  assert_null (f);
  assert_int_equal (runtime_seccomp_load (NULL, &fd, &err), 0);
  assert_int_equal (fd, -1);
}

static void
test_seccomp_features (void **state)
{
  const char *const *l;
  size_t n;

  (void)state;
  for (n = 0, l = runtime_seccomp_actions (); l[n]; n++)
    ;
  assert_int_equal (n, seccomp_api_get () >= 5 ? 9 : seccomp_api_get () >= 3 ? 8 : 6);
  for (n = 0, l = runtime_seccomp_operators (); l[n]; n++)
    ;
  assert_int_equal (n, 7);
  for (n = 0, l = runtime_seccomp_known_flags (); l[n]; n++)
    ;
  assert_int_equal (n, 4);
#ifdef __x86_64__
  {
    bool found = false;
    for (l = runtime_seccomp_archs (); *l; l++)
      found |= strcmp (*l, "SCMP_ARCH_X86_64") == 0;
    assert_true (found);
  }
#endif
}

/* ---------- NOTIFY with a listener ---------- */

struct notify_child
{
  struct runtime_seccomp *f;
  const char *sock;
};

static void
notify_child_fn (int out, void *arg)
{
  struct notify_child *nc = arg;
  reg_error_t err = NULL;
  int fd = -1;
  long r;

  child_load (nc->f, &fd);
  if (fd < 0)
    _exit (30);
  if (runtime_seccomp_send_listener (nc->sock, fd, getpid (),
                                     "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\","
                                     "\"pid\":1234,\"bundle\":\"/b\"}",
                                     runtime_seccomp_listener_metadata (nc->f), &err)
      < 0)
    {
      report (out, "send: %s", err->msg);
      _exit (31);
    }
  close (fd);
  r = syscall (SYS_getppid);
  report (out, "getppid=%ld", r);
}

static const char *
jstr (yajl_val root, const char *a, const char *b)
{
  const char *path[] = { a, b, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? YAJL_GET_STRING (v) : "(missing)";
}

static long long
jint (yajl_val root, const char *a, const char *b)
{
  const char *path[] = { a, b, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v ? YAJL_GET_INTEGER (v) : -1;
}

/* The child blocks in getppid until answered: if an assertion fails
   half-way, the teardown kills it (by the pid we forked) and reaps it.  */
static pid_t notify_pid = -1;

static int
teardown_notify (void **state)
{
  int status;

  (void)state;
  if (notify_pid > 0)
    {
      kill (notify_pid, SIGKILL);
      waitpid (notify_pid, &status, 0);
      notify_pid = -1;
    }
  return 0;
}

static void
test_seccomp_notify_listener (void **state)
{
  cleanup_free char *sock_path = NULL;
  cleanup_free char *json = NULL;
  cleanup_close int lsock = -1;
  cleanup_close int conn = -1;
  cleanup_close int nfd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct notify_child nc;
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  char buf[4096], cbuf[CMSG_SPACE (sizeof (int))], out[256], errbuf[128];
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof (buf) - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *cm;
  struct pollfd pfd;
  yajl_val root;
  ssize_t n;
  int p[2], status;
  pid_t pid;

  (void)state;
  if (seccomp_api_get () < 5)
    SKIP ("libseccomp API level %u has no SCMP_ACT_NOTIFY", seccomp_api_get ());

  xasprintf (&sock_path, "%s/listener.sock", tmpdir);
  strcpy (addr.sun_path, sock_path);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true (lsock >= 0);
  assert_int_equal (bind (lsock, (struct sockaddr *)&addr, sizeof (addr)), 0);
  assert_int_equal (listen (lsock, 1), 0);

  xasprintf (&json,
             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"m=1;x\","
             "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
             sock_path);
  nc.f = must_build (json);
  nc.sock = sock_path;
  assert_true (runtime_seccomp_has_notify (nc.f));

  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      notify_child_fn (p[1], &nc);
      _exit (0);
    }
  notify_pid = pid;
  close (p[1]);
  runtime_seccomp_free (nc.f);

  pfd = (struct pollfd){ .fd = lsock, .events = POLLIN };
  if (poll (&pfd, 1, 5000) != 1)
    fail_msg ("no connection from the child");
  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  assert_true (n > 0);
  buf[n] = '\0';
  cm = CMSG_FIRSTHDR (&mh);
  assert_non_null (cm);
  assert_int_equal (cm->cmsg_type, SCM_RIGHTS);
  memcpy (&nfd, CMSG_DATA (cm), sizeof (int));
  /* The connection is closed after one state.  */
  assert_int_equal (read (conn, errbuf, sizeof (errbuf)), 0);

  root = yajl_tree_parse (buf, errbuf, sizeof (errbuf));
  assert_non_null (root);
  assert_string_equal (jstr (root, "ociVersion", NULL), OCI_SPEC_VERSION);
  assert_int_equal (jint (root, "pid", NULL), pid);
  assert_string_equal (jstr (root, "metadata", NULL), "m=1;x");
  assert_string_equal (jstr (root, "state", "id"), "c1");
  assert_string_equal (jstr (root, "state", "status"), "creating");
  assert_int_equal (jint (root, "state", "pid"), 1234);
  {
    const char *path[] = { "fds", NULL };
    yajl_val fds = yajl_tree_get (root, path, yajl_t_array);
    assert_non_null (fds);
    assert_int_equal (fds->u.array.len, 1);
    assert_string_equal (YAJL_GET_STRING (fds->u.array.values[0]), "seccompFd");
  }
  yajl_tree_free (root);

  /* Answer the child's getppid with 42.  */
  assert_int_equal (seccomp_notify_alloc (&req, &resp), 0);
  pfd = (struct pollfd){ .fd = nfd, .events = POLLIN };
  if (poll (&pfd, 1, 5000) != 1)
    fail_msg ("no notification from the child");
  assert_int_equal (seccomp_notify_receive (nfd, req), 0);
  assert_int_equal (req->data.nr, SYS_getppid);
  assert_int_equal (req->pid, pid);
  resp->id = req->id;
  resp->val = 42;
  resp->error = 0;
  resp->flags = 0;
  assert_int_equal (seccomp_notify_respond (nfd, resp), 0);
  seccomp_notify_free (req, resp);

  n = read (p[0], out, sizeof (out) - 1);
  out[n > 0 ? n : 0] = '\0';
  close (p[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  notify_pid = -1;
  expect_exit0 (status, out);
  assert_string_equal (out, "getppid=42");
}

/* ---------- a real default profile: Podman's ---------- */

static void
podman_child (int out, void *arg)
{
  char *argv[] = { (char *)"true", NULL };
  char *envp[] = { NULL };
  long r1, r2;
  int e1, e2;

  child_load (arg, NULL);
  r1 = syscall (SYS_kexec_load, 0, 0, 0, 0);
  e1 = r1 < 0 ? errno : 0;
  r2 = syscall (SYS_add_key, 0, 0, 0, 0, 0); /* not in the profile: default */
  e2 = r2 < 0 ? errno : 0;
  report (out, "kexec_load=%d add_key=%d", e1, e2);
  execve ("/bin/true", argv, envp);
  _exit (40);
}

static void
test_seccomp_podman_profile (void **state)
{
  static const char *const candidates[] = { SRCDIR "/../../shared/samples/podman/config-run-rm-true.json",
                                            "/work/shared/samples/podman/config-run-rm-true.json", NULL };
  const char *const *c;
  oci_config *cfg = NULL;
  struct runtime_seccomp *f = NULL;
  struct runtime_caps *caps = NULL;
  reg_error_t err = NULL;
  char out[256];
  int st;

  (void)state;
  for (c = candidates; *c; c++)
    if (access (*c, R_OK) == 0)
      break;
  if (*c == NULL)
    SKIP ("the Podman sample config is not available");
  /* Through the real parser, as create does.  */
  if (oci_config_parse_file (*c, &cfg, &err) < 0)
    fail_msg ("parse %s: %s", *c, err->msg);
  /* The profile: default ERRNO(38), ~385 allowed names, ERRNO(1) for the
     dangerous ones, argument rules for personality and socket.  */
  assert_true (cfg->linux_cfg.seccomp.present);
  assert_int_equal (cfg->linux_cfg.seccomp.default_errno_ret, 38);
  if (runtime_seccomp_build (&cfg->linux_cfg.seccomp, &f, &err) < 0)
    fail_msg ("build: %s", err->msg);
  /* Its capabilities resolve too: Podman's 11 defaults.  */
  if (runtime_caps_resolve (&cfg->process->capabilities, &caps, &err) < 0)
    fail_msg ("caps: %s", err->msg);
  assert_int_equal (__builtin_popcountll (caps->bounding), 11);
  assert_int_equal (caps->bounding, caps->permitted);
  assert_true (caps->bounding & B (8)); /* CAP_SETPCAP */
  runtime_caps_free (caps);
  oci_config_free (cfg);

  st = run_child (podman_child, f, out, sizeof (out));
  runtime_seccomp_free (f);
  expect_exit0 (st, out);
  assert_string_equal (out, "kexec_load=1 add_key=38");
}

/* ================= LSM ================= */

static void
test_lsm_check (void **state)
{
  oci_process p = { 0 };
  reg_error_t err = NULL;
  cleanup_free char *aa = NULL;
  bool aa_on;
  struct stat st;

  (void)state;
  /* Independent look: the module parameter and securityfs.  */
  aa_on = stat ("/sys/kernel/security/apparmor", &st) == 0
          && read_all_file ("/sys/module/apparmor/parameters/enabled", 16, &aa, NULL, NULL) == 0 && aa[0] == 'Y';
  assert_int_equal (runtime_lsm_apparmor_enabled (), aa_on);
  assert_int_equal (runtime_lsm_selinux_enabled (), stat ("/sys/fs/selinux/enforce", &st) == 0);

  assert_int_equal (runtime_lsm_check (&p, NULL, &err), 0);
  p.apparmor_profile = (char *)"";
  assert_int_equal (runtime_lsm_check (&p, "", &err), 0);

  p.apparmor_profile = (char *)"reg-default";
  if (aa_on)
    assert_int_equal (runtime_lsm_check (&p, NULL, &err), 0);
  else
    {
      assert_true (runtime_lsm_check (&p, NULL, &err) < 0);
      assert_string_equal (err->msg, "config.json: process.apparmorProfile: AppArmor is not enabled on this host");
      reg_error_release (&err);
    }
  p.apparmor_profile = NULL;
  if (!runtime_lsm_selinux_enabled ())
    {
      p.selinux_label = (char *)"system_u:system_r:container_t:s0";
      assert_true (runtime_lsm_check (&p, NULL, &err) < 0);
      assert_string_equal (err->msg, "config.json: process.selinuxLabel: SELinux is not enabled on this host");
      reg_error_release (&err);
      p.selinux_label = NULL;
      assert_true (runtime_lsm_check (&p, "system_u:object_r:container_file_t:s0", &err) < 0);
      assert_string_equal (err->msg, "config.json: linux.mountLabel: SELinux is not enabled on this host");
      reg_error_release (&err);
    }
}

static void
test_lsm_mount_label (void **state)
{
  cleanup_free char *a = runtime_lsm_format_mount_label ("mode=755,size=65536k", "system_u:object_r:c_t:s0:c1,c2");
  cleanup_free char *b = runtime_lsm_format_mount_label (NULL, "l");
  cleanup_free char *c = runtime_lsm_format_mount_label ("mode=755", "");
  cleanup_free char *d = runtime_lsm_format_mount_label (NULL, NULL);
  cleanup_free char *e = runtime_lsm_mount_data ("mode=755", "l");

  (void)state;
  assert_string_equal (a, "mode=755,size=65536k,context=\"system_u:object_r:c_t:s0:c1,c2\"");
  assert_string_equal (b, "context=\"l\"");
  assert_string_equal (c, "mode=755");
  assert_null (d);
  assert_string_equal (e, runtime_lsm_selinux_enabled () ? "mode=755,context=\"l\"" : "mode=755");
}

static void
test_lsm_set_exec_label_none (void **state)
{
  oci_process p = { 0 };
  reg_error_t err = NULL;

  (void)state;
  assert_int_equal (runtime_lsm_set_exec_label (&p, &err), 0);
  assert_int_equal (runtime_lsm_set_exec_label (NULL, &err), 0);
  if (!runtime_lsm_apparmor_enabled ())
    {
      /* Without AppArmor the kernel refuses the attribute.  */
      p.apparmor_profile = (char *)"reg-test-profile";
      assert_true (runtime_lsm_set_exec_label (&p, &err) < 0);
      assert_true (has_prefix (err->msg, "set the AppArmor profile `reg-test-profile`: "));
      reg_error_release (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_caps_resolve_known),
    cmocka_unit_test (test_caps_resolve_unknown),
    cmocka_unit_test (test_caps_resolve_other_set_and_prefix),
    cmocka_unit_test (test_caps_resolve_absent),
    cmocka_unit_test (test_caps_resolve_not_in_kernel),
    cmocka_unit_test (test_caps_known_names),
    cmocka_unit_test (test_caps_apply_nonroot),
    cmocka_unit_test (test_caps_apply_nonroot_after_execve),
    cmocka_unit_test (test_caps_apply_ambient_refused),
    cmocka_unit_test (test_caps_apply_root),
    cmocka_unit_test (test_caps_apply_unconfigured),
    /* First of the seccomp tests: the kernel rate-limits audit records.  */
    cmocka_unit_test (test_seccomp_log),
    cmocka_unit_test (test_seccomp_errno_default_eperm),
    cmocka_unit_test (test_seccomp_errno_ret),
    cmocka_unit_test (test_seccomp_default_errno_ret),
    cmocka_unit_test (test_seccomp_kill_process),
    cmocka_unit_test (test_seccomp_kill_thread),
    cmocka_unit_test (test_seccomp_trap),
    cmocka_unit_test (test_seccomp_arg_operators),
    cmocka_unit_test (test_seccomp_personality_allow_list),
    cmocka_unit_test (test_seccomp_unknown_syscall_skipped),
    cmocka_unit_test (test_seccomp_rule_same_as_default_skipped),
    cmocka_unit_test (test_seccomp_arch_and_flags),
    cmocka_unit_test (test_seccomp_arch_i386),
    cmocka_unit_test (test_seccomp_bad_values),
    cmocka_unit_test (test_seccomp_absent),
    cmocka_unit_test (test_seccomp_features),
    cmocka_unit_test_teardown (test_seccomp_notify_listener, teardown_notify),
    cmocka_unit_test (test_seccomp_podman_profile),
    cmocka_unit_test (test_lsm_check),
    cmocka_unit_test (test_lsm_mount_label),
    cmocka_unit_test (test_lsm_set_exec_label_none),
  };

  /* Children report on pipes; a dead reader must not kill the runner.  */
  signal (SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests_name ("security", tests, setup_tmp, teardown_tmp);
}
