/* reg-runc: seccomp filters (libseccomp).  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "json-gen.h"
#include "seccomp-filter.h"
#include "utils.h"

#define SECCOMP_PATH "config.json: linux.seccomp"
/* The kernel clamps a filter's errno to MAX_ERRNO.  */
#define MAX_ERRNO_RET 4095u
#define MAX_SYSCALL_ARGS 6

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_SCMP_WAITKILL 1
#endif

struct runtime_seccomp
{
  scmp_filter_ctx ctx;
  bool has_notify;
  char *listener_path;
  char *listener_metadata;
};

static const char *const action_names[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The runtime-spec's architectures (defs-linux.json SeccompArch); the
   libseccomp name is the lower-cased suffix.  */
static const char *const spec_archs[] = {
  "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", NULL,
};

static const char *const known_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

/* Syscalls the init uses between loading the filter and execve to hand on
   the listener fd: a NOTIFY rule on them would block the init forever.  */
static const char *const notify_forbidden[] = { "write", "sendmsg", NULL };

static bool
in_list (const char *const *list, const char *s)
{
  for (; *list; list++)
    if (strcmp (*list, s) == 0)
      return true;
  return false;
}

static bool
action_takes_errno (const char *name)
{
  return strcmp (name, "SCMP_ACT_ERRNO") == 0 || strcmp (name, "SCMP_ACT_TRACE") == 0;
}

/* Map an action name (+ errno) to libseccomp's value.  PATH names the object
   ("config.json: linux.seccomp.syscalls[3]"), ACTION_KEY and ERRNO_KEY its
   fields.  */
static int
parse_action (const char *name, bool has_errno, uint32_t errno_ret, const char *path, const char *action_key,
              const char *errno_key, uint32_t *out, reg_error_t *err)
{
  uint32_t e = has_errno ? errno_ret : EPERM;

  if (name == NULL)
    return reg_make_error (err, 0, "%s.%s: required", path, action_key);
  if (!in_list (action_names, name))
    return reg_make_error (err, 0, "%s.%s: unknown action \"%s\"", path, action_key, name);
  if (has_errno && !action_takes_errno (name))
    return reg_make_error (err, 0, "%s.%s: %s does not take an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", path,
                           errno_key, name);
  if (has_errno && errno_ret > MAX_ERRNO_RET)
    return reg_make_error (err, 0, "%s.%s: %u is out of range (0-%u)", path, errno_key, errno_ret, MAX_ERRNO_RET);

  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (e);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (e);
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else
    *out = SCMP_ACT_NOTIFY;
  return 0;
}

static int
parse_operator (const char *name, enum scmp_compare *op)
{
  size_t i;

  if (name == NULL)
    return -1;
  for (i = 0; i < sizeof (operators) / sizeof (operators[0]); i++)
    if (strcmp (operators[i].name, name) == 0)
      {
        *op = operators[i].op;
        return 0;
      }
  return -1;
}

/* 0 and *ARCH set; 1 for a runtime-spec architecture this libseccomp does
   not know; -1 for a name that is no architecture at all.  */
static int
parse_arch (const char *name, uint32_t *arch)
{
  char lower[32];
  size_t i;

  if (name == NULL || !in_list (spec_archs, name))
    return -1;
  name += strlen ("SCMP_ARCH_");
  for (i = 0; name[i] && i < sizeof (lower) - 1; i++)
    lower[i] = tolower ((unsigned char)name[i]);
  lower[i] = '\0';
  *arch = seccomp_arch_resolve_name (lower);
  return *arch == 0 ? 1 : 0;
}

/* 0 and *ATTR set; 1 when the flag is known but this libseccomp cannot set
   it; -1 when unknown.  */
static int
parse_flag (const char *name, enum scmp_filter_attr *attr)
{
  if (name == NULL)
    return -1;
  if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    *attr = SCMP_FLTATR_CTL_TSYNC;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    *attr = SCMP_FLTATR_CTL_LOG;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    *attr = SCMP_FLTATR_CTL_SSB;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    {
#ifdef HAVE_SCMP_WAITKILL
      *attr = SCMP_FLTATR_CTL_WAITKILL;
#else
      return 1;
#endif
    }
  else
    return -1;
  return 0;
}

void
runtime_seccomp_free (struct runtime_seccomp *f)
{
  if (f == NULL)
    return;
  if (f->ctx)
    seccomp_release (f->ctx);
  free (f->listener_path);
  free (f->listener_metadata);
  free (f);
}

static void
cleanup_seccompp (struct runtime_seccomp **f)
{
  runtime_seccomp_free (*f);
}
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))

static int
add_syscall_rules (struct runtime_seccomp *f, const oci_syscall *sc, size_t idx, uint32_t default_action,
                   reg_error_t *err)
{
  cleanup_free char *path = NULL;
  struct scmp_arg_cmp cmps[MAX_SYSCALL_ARGS];
  unsigned int seen[MAX_SYSCALL_ARGS] = { 0 };
  bool repeated = false;
  uint32_t action;
  size_t i, j;
  int ret;

  xasprintf (&path, SECCOMP_PATH ".syscalls[%zu]", idx);
  ret = parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, path, "action", "errnoRet", &action, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (sc->names.len == 0)
    return reg_make_error (err, 0, "%s.names: must contain at least one syscall", path);
  if (sc->n_args > MAX_SYSCALL_ARGS)
    return reg_make_error (err, 0, "%s.args: at most %d comparisons", path, MAX_SYSCALL_ARGS);

  for (i = 0; i < sc->n_args; i++)
    {
      const oci_syscall_arg *a = &sc->args[i];
      enum scmp_compare op;

      if (parse_operator (a->op_name, &op) < 0)
        return reg_make_error (err, 0, "%s.args[%zu].op: unknown operator \"%s\"", path, i,
                               a->op_name ? a->op_name : "");
      if (a->index >= MAX_SYSCALL_ARGS)
        return reg_make_error (err, 0, "%s.args[%zu].index: %u is out of range (0-%d)", path, i, a->index,
                               MAX_SYSCALL_ARGS - 1);
      /* For MASKED_EQ, value is the mask and valueTwo the value compared
         with (arg & value) == valueTwo, as libseccomp's SCMP_CMP takes them.  */
      cmps[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two };
      if (seen[a->index]++)
        repeated = true;
    }

  if (action == SCMP_ACT_NOTIFY)
    for (j = 0; j < sc->names.len; j++)
      if (in_list (notify_forbidden, sc->names.items[j]))
        return reg_make_error (err, 0,
                               "%s: SCMP_ACT_NOTIFY cannot be used for \"%s\": the runtime needs it to hand over"
                               " the listener",
                               path, sc->names.items[j]);

  if (action == default_action)
    {
      /* libseccomp refuses a rule that does what the default does.  */
      reg_debug ("%s: action is the default action, rule skipped", path);
      return 0;
    }
  if (action == SCMP_ACT_NOTIFY)
    f->has_notify = true;

  for (j = 0; j < sc->names.len; j++)
    {
      const char *name = sc->names.items[j];
      int nr = seccomp_syscall_resolve_name (name);

      if (nr == __NR_SCMP_ERROR)
        {
          reg_debug ("%s: syscall \"%s\" unknown to libseccomp, skipped", path, name);
          continue;
        }
      if (!repeated)
        ret = seccomp_rule_add_array (f->ctx, action, nr, (unsigned int)sc->n_args, cmps);
      else
        /* libseccomp takes one comparison per argument in a rule.  With the
           same argument twice, do what runc does: one rule per comparison
           (they match as alternatives).  */
        for (i = 0, ret = 0; i < sc->n_args && ret == 0; i++)
          ret = seccomp_rule_add_array (f->ctx, action, nr, 1, &cmps[i]);
      if (UNLIKELY (ret < 0))
        return reg_make_error (err, -ret, "%s: add the rule for \"%s\"", path, name);
    }
  return 0;
}

int
runtime_seccomp_build (const oci_seccomp *s, struct runtime_seccomp **out, reg_error_t *err)
{
  cleanup_seccomp struct runtime_seccomp *f = NULL;
  uint32_t default_action;
  size_t i;
  int ret;

  *out = NULL;
  if (s == NULL || !s->present)
    return 0;

  ret = parse_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret, SECCOMP_PATH, "defaultAction",
                      "defaultErrnoRet", &default_action, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (default_action == SCMP_ACT_NOTIFY)
    return reg_make_error (err, 0, SECCOMP_PATH ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (s->listener_metadata && *s->listener_metadata && (s->listener_path == NULL || !*s->listener_path))
    return reg_make_error (err, 0, SECCOMP_PATH ".listenerMetadata: set without listenerPath");

  f = xmalloc0 (sizeof (*f));
  f->ctx = seccomp_init (default_action);
  if (f->ctx == NULL)
    return reg_make_error (err, 0, SECCOMP_PATH ".defaultAction: %s is not supported by libseccomp %d.%d.%d",
                           s->default_action, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
  if (s->listener_path && *s->listener_path)
    f->listener_path = xstrdup (s->listener_path);
  if (s->listener_metadata && *s->listener_metadata)
    f->listener_metadata = xstrdup (s->listener_metadata);

  /* NO_NEW_PRIVS is the config's noNewPrivileges, set by the lifecycle; a
     filter must not turn it on behind its back.  */
  ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (UNLIKELY (ret < 0))
    return reg_make_error (err, -ret, "seccomp: clear SCMP_FLTATR_CTL_NNP");

  for (i = 0; i < s->architectures.len; i++)
    {
      const char *name = s->architectures.items[i];
      uint32_t arch = 0;

      ret = parse_arch (name, &arch);
      if (ret < 0)
        return reg_make_error (err, 0, SECCOMP_PATH ".architectures[%zu]: unknown architecture \"%s\"", i, name);
      if (ret > 0)
        {
          reg_warning (SECCOMP_PATH ".architectures[%zu]: \"%s\" is not supported by libseccomp %d.%d.%d, ignored", i,
                       name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
          continue;
        }
      ret = seccomp_arch_add (f->ctx, arch);
      if (UNLIKELY (ret < 0 && ret != -EEXIST))
        return reg_make_error (err, -ret, SECCOMP_PATH ".architectures[%zu]: add \"%s\"", i, name);
    }

  for (i = 0; i < s->flags.len; i++)
    {
      const char *name = s->flags.items[i];
      enum scmp_filter_attr attr;

      ret = parse_flag (name, &attr);
      if (ret < 0)
        return reg_make_error (err, 0, SECCOMP_PATH ".flags[%zu]: unknown flag \"%s\"", i, name);
      if (ret > 0)
        return reg_make_error (err, 0, SECCOMP_PATH ".flags[%zu]: %s is not supported by libseccomp %d.%d.%d", i, name,
                               SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
      ret = seccomp_attr_set (f->ctx, attr, 1);
      if (UNLIKELY (ret < 0))
        return reg_make_error (err, -ret, SECCOMP_PATH ".flags[%zu]: %s is not supported here", i, name);
    }

  for (i = 0; i < s->n_syscalls; i++)
    {
      ret = add_syscall_rules (f, &s->syscalls[i], i, default_action, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  if (f->has_notify && f->listener_path == NULL)
    return reg_make_error (err, 0, SECCOMP_PATH ".listenerPath: required when SCMP_ACT_NOTIFY is used");

  *out = steal_pointer (&f);
  return 0;
}

bool
runtime_seccomp_has_notify (const struct runtime_seccomp *f)
{
  return f && f->has_notify;
}

const char *
runtime_seccomp_listener_path (const struct runtime_seccomp *f)
{
  return f ? f->listener_path : NULL;
}

const char *
runtime_seccomp_listener_metadata (const struct runtime_seccomp *f)
{
  return f ? f->listener_metadata : NULL;
}

int
runtime_seccomp_load (struct runtime_seccomp *f, int *notify_fd, reg_error_t *err)
{
  int ret, fd;

  if (notify_fd)
    *notify_fd = -1;
  if (f == NULL)
    return 0;
  ret = seccomp_load (f->ctx);
  if (UNLIKELY (ret < 0))
    return reg_make_error (err, -ret, "load the seccomp filter (it needs no_new_privileges or CAP_SYS_ADMIN)");
  if (!f->has_notify)
    return 0;

  fd = seccomp_notify_fd (f->ctx);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, -fd, "seccomp: get the notify fd");
  /* The context owns its fd (seccomp_release closes it); hand out our own.  */
  fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, errno, "seccomp: dup the notify fd");
  if (notify_fd)
    *notify_fd = fd;
  else
    close (fd);
  return 0;
}

static void
cleanup_yajl_genp (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}

static void
cleanup_yajl_valp (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}

/* The container process state as one JSON text.  STATE_JSON is already a
   document (the runtime's state); it is checked to be an object and spliced
   in as it is, since yajl_gen cannot embed raw JSON.  */
static int
process_state_json (pid_t pid, const char *state_json, const char *metadata, char **out, reg_error_t *err)
{
  __attribute__ ((cleanup (cleanup_yajl_genp))) yajl_gen g = NULL;
  __attribute__ ((cleanup (cleanup_yajl_valp))) yajl_val state = NULL;
  const unsigned char *buf;
  size_t len;
  char errbuf[256];

  state = yajl_tree_parse (state_json ? state_json : "", errbuf, sizeof (errbuf));
  if (state == NULL || !YAJL_IS_OBJECT (state))
    return reg_make_error (err, 0, "seccomp listener: the container state is not a JSON object");

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  oci_gen_str (g, "ociVersion");
  oci_gen_str (g, OCI_SPEC_VERSION);
  oci_gen_str (g, "fds");
  yajl_gen_array_open (g);
  oci_gen_str (g, "seccompFd");
  yajl_gen_array_close (g);
  oci_gen_str (g, "pid");
  yajl_gen_integer (g, pid);
  if (metadata && *metadata)
    {
      oci_gen_str (g, "metadata");
      oci_gen_str (g, metadata);
    }
  /* The map is left open: "state" goes in by hand.  */
  yajl_gen_get_buf (g, &buf, &len);
  xasprintf (out, "%.*s,\"state\":%s}", (int)len, (const char *)buf, state_json);
  return 0;
}

int
runtime_seccomp_send_listener (const char *listener_path, int notify_fd, pid_t pid, const char *state_json,
                               const char *metadata, reg_error_t *err)
{
  cleanup_close int sock = -1;
  cleanup_free char *msg = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov;
  struct msghdr mh = { 0 };
  struct cmsghdr *cmsg;
  ssize_t n;
  int ret;

  if (listener_path == NULL || *listener_path == '\0')
    return reg_make_error (err, 0, "seccomp listener: no listenerPath");
  if (strlen (listener_path) >= sizeof (addr.sun_path))
    return reg_make_error (err, 0, "seccomp listener `%s`: path too long for a unix socket", listener_path);
  strcpy (addr.sun_path, listener_path);

  ret = process_state_json (pid, state_json, metadata, &msg, err);
  if (UNLIKELY (ret < 0))
    return ret;

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (UNLIKELY (sock < 0))
    return reg_make_error (err, errno, "seccomp listener: socket");
  if (UNLIKELY (TEMP_FAILURE_RETRY_INT (connect (sock, (struct sockaddr *)&addr, sizeof (addr))) < 0))
    return reg_make_error (err, errno, "seccomp listener: connect to `%s`", listener_path);

  /* One sendmsg with the whole payload and the fd: agents (runc's sample,
     crun's) read the state with a single recvmsg.  */
  memset (&control, 0, sizeof (control));
  iov.iov_base = msg;
  iov.iov_len = strlen (msg);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);
  cmsg = CMSG_FIRSTHDR (&mh);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));

  n = TEMP_FAILURE_RETRY_INT (sendmsg (sock, &mh, MSG_NOSIGNAL));
  if (UNLIKELY (n < 0))
    return reg_make_error (err, errno, "seccomp listener: send to `%s`", listener_path);
  if (UNLIKELY ((size_t)n != iov.iov_len))
    {
      /* The fd went with the first part; the rest goes without.  */
      ret = write_all (sock, msg + n, iov.iov_len - (size_t)n, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "seccomp listener: send to `%s`", listener_path);
    }
  return 0;
}

const char *const *
runtime_seccomp_actions (void)
{
  static const char *list[sizeof (action_names) / sizeof (action_names[0])];
  unsigned int api = seccomp_api_get ();
  size_t i, k = 0;

  for (i = 0; action_names[i]; i++)
    {
      const char *a = action_names[i];
      if (api < 3 && (strcmp (a, "SCMP_ACT_KILL_PROCESS") == 0 || strcmp (a, "SCMP_ACT_LOG") == 0))
        continue;
      if (api < 5 && strcmp (a, "SCMP_ACT_NOTIFY") == 0)
        continue;
      list[k++] = a;
    }
  list[k] = NULL;
  return list;
}

const char *const *
runtime_seccomp_operators (void)
{
  static const char *list[sizeof (operators) / sizeof (operators[0]) + 1];
  size_t i;

  for (i = 0; i < sizeof (operators) / sizeof (operators[0]); i++)
    list[i] = operators[i].name;
  list[i] = NULL;
  return list;
}

const char *const *
runtime_seccomp_archs (void)
{
  static const char *list[sizeof (spec_archs) / sizeof (spec_archs[0])];
  size_t i, k = 0;

  for (i = 0; spec_archs[i]; i++)
    {
      uint32_t arch;
      if (parse_arch (spec_archs[i], &arch) == 0)
        list[k++] = spec_archs[i];
    }
  list[k] = NULL;
  return list;
}

const char *const *
runtime_seccomp_known_flags (void)
{
  return known_flags;
}

/* The kernel accepts a filter flag when seccomp(2) with it fails on the NULL
   program (EFAULT) rather than on the flag (EINVAL).  */
static bool
kernel_has_filter_flag (unsigned long flag)
{
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);

  return r < 0 && errno == EFAULT;
}

static unsigned long
filter_flag_bit (enum scmp_filter_attr attr)
{
  switch (attr)
    {
    case SCMP_FLTATR_CTL_TSYNC:
      return SECCOMP_FILTER_FLAG_TSYNC;
    case SCMP_FLTATR_CTL_LOG:
      return SECCOMP_FILTER_FLAG_LOG;
    case SCMP_FLTATR_CTL_SSB:
      return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    default:
      return 1UL << 5; /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
    }
}

const char *const *
runtime_seccomp_supported_flags (void)
{
  static const char *list[sizeof (known_flags) / sizeof (known_flags[0])];
  unsigned int api = seccomp_api_get ();
  size_t i, k = 0;

  for (i = 0; known_flags[i]; i++)
    {
      enum scmp_filter_attr attr;
      const char *fl = known_flags[i];

      if (parse_flag (fl, &attr) != 0)
        continue;
      if ((attr == SCMP_FLTATR_CTL_TSYNC && api < 2) || (attr == SCMP_FLTATR_CTL_LOG && api < 3)
          || (attr == SCMP_FLTATR_CTL_SSB && api < 4))
        continue;
#ifdef HAVE_SCMP_WAITKILL
      if (attr == SCMP_FLTATR_CTL_WAITKILL && api < 7)
        continue;
#endif
      if (!kernel_has_filter_flag (filter_flag_bit (attr)))
        continue;
      list[k++] = fl;
    }
  list[k] = NULL;
  return list;
}
