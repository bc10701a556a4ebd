/* liboci-spec: the "process" object of config.json, and process.json.  */
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "json-internal.h"
#include "utils.h"

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },           { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_DATA", RLIMIT_DATA },         { "RLIMIT_STACK", RLIMIT_STACK },
  { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },   { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },     { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

/* The kernel's values (linux/ioprio.h, linux/sched.h), spelled out because
   glibc does not export them all.  */
static const char *const ioprio_classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
static const int ioprio_class_values[] = { 1, 2, 3 };

static const char *const sched_policies[]
    = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE", NULL };
static const int sched_policy_values[] = { 0, 1, 2, 3, 4, 5, 6 };

static const char *const sched_flags[]
    = { "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
        "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };
static const uint64_t sched_flag_values[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40 };

int
oci_rlimit_from_name (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (strcmp (rlimits[i].name, name) == 0)
      return rlimits[i].resource;
  return -1;
}

static int
parse_user (struct jctx *c, yajl_val u, oci_user *user)
{
  yajl_val gids;
  size_t i;

  CHECK (ju32 (c, u, "uid", false, NULL, &user->uid));
  CHECK (ju32 (c, u, "gid", false, NULL, &user->gid));
  CHECK (ju32 (c, u, "umask", false, &user->has_umask, &user->umask));
  CHECK (jstr (c, u, "username", false, &user->username));
  CHECK (jarr (c, u, "additionalGids", false, &gids));
  if (gids)
    {
      size_t mark = jpush_key (c, "additionalGids");

      user->additional_gids = xmalloc0 ((gids->u.array.len + 1) * sizeof (uint32_t));
      for (i = 0; i < gids->u.array.len; i++)
        {
          uint64_t g;

          size_t m2 = jpush_index (c, i);

          CHECK (jval_u64 (c, gids->u.array.values[i], UINT32_MAX, &g));
          user->additional_gids[user->n_additional_gids++] = (uint32_t)g;
          jpop (c, m2);
        }
      jpop (c, mark);
    }
  return 0;
}

static int
parse_capabilities (struct jctx *c, yajl_val caps, oci_capabilities *oc)
{
  oc->present = true;
  CHECK (jstrv (c, caps, "bounding", &oc->has_bounding, &oc->bounding));
  CHECK (jstrv (c, caps, "effective", &oc->has_effective, &oc->effective));
  CHECK (jstrv (c, caps, "inheritable", &oc->has_inheritable, &oc->inheritable));
  CHECK (jstrv (c, caps, "permitted", &oc->has_permitted, &oc->permitted));
  CHECK (jstrv (c, caps, "ambient", &oc->has_ambient, &oc->ambient));
  return 0;
}

static int
parse_rlimits (struct jctx *c, yajl_val a, oci_process *p)
{
  size_t i, j, mark = jpush_key (c, "rlimits");

  p->rlimits = xmalloc0 ((a->u.array.len + 1) * sizeof (oci_rlimit));
  for (i = 0; i < a->u.array.len; i++)
    {
      yajl_val r = a->u.array.values[i];
      oci_rlimit *rl = &p->rlimits[i];
      size_t m2 = jpush_index (c, i);

      p->n_rlimits = i + 1;
      if (!YAJL_IS_OBJECT (r))
        return jerror (c, "expected an object, got %s", jtype_name (r));
      CHECK (jstr (c, r, "type", true, &rl->type));
      rl->resource = oci_rlimit_from_name (rl->type);
      if (rl->resource < 0)
        return jerror_at (c, "type", "unknown rlimit \"%s\"", rl->type);
      for (j = 0; j < i; j++)
        if (p->rlimits[j].resource == rl->resource)
          return jerror_at (c, "type", "duplicate rlimit \"%s\"", rl->type);
      CHECK (ju64 (c, r, "soft", true, UINT64_MAX, NULL, &rl->soft));
      CHECK (ju64 (c, r, "hard", true, UINT64_MAX, NULL, &rl->hard));
      if (rl->soft > rl->hard)
        return jerror_at (c, "soft", "soft limit %" PRIu64 " above hard limit %" PRIu64, rl->soft, rl->hard);
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}

static int
parse_io_priority (struct jctx *c, yajl_val v, oci_io_priority *io)
{
  int64_t prio = 0;
  bool has;
  int idx;

  io->present = true;
  CHECK (jstr (c, v, "class", true, &io->class_name));
  idx = jenum_index (ioprio_classes, io->class_name);
  if (idx < 0)
    return jerror_at (c, "class", "unknown I/O priority class \"%s\"", io->class_name);
  io->ioclass = ioprio_class_values[idx];
  /* The kernel keeps 3 bits of priority data for RT and BE.  */
  CHECK (ji64 (c, v, "priority", false, 0, 7, &has, &prio));
  io->priority = (int32_t)prio;
  return 0;
}

static int
parse_scheduler (struct jctx *c, yajl_val v, oci_scheduler *s)
{
  int64_t n;
  size_t i;
  int idx;

  s->present = true;
  CHECK (jstr (c, v, "policy", true, &s->policy_name));
  idx = jenum_index (sched_policies, s->policy_name);
  if (idx < 0)
    return jerror_at (c, "policy", "unknown scheduler policy \"%s\"", s->policy_name);
  s->policy = sched_policy_values[idx];
  CHECK (ji64 (c, v, "nice", false, -20, 19, &s->has_nice, &n));
  if (s->has_nice)
    s->nice = (int32_t)n;
  CHECK (ji64 (c, v, "priority", false, INT32_MIN, INT32_MAX, &s->has_priority, &n));
  if (s->has_priority)
    s->priority = (int32_t)n;
  CHECK (jstrv (c, v, "flags", NULL, &s->flags));
  for (i = 0; i < s->flags.len; i++)
    {
      idx = jenum_index (sched_flags, s->flags.items[i]);
      if (idx < 0)
        {
          size_t mark = jpush_key (c, "flags");

          jpush_index (c, i);
          idx = jerror (c, "unknown scheduler flag \"%s\"", s->flags.items[i]);
          jpop (c, mark);
          return idx;
        }
      s->flags_mask |= sched_flag_values[idx];
    }
  CHECK (ju64 (c, v, "runtime", false, UINT64_MAX, NULL, &s->runtime));
  CHECK (ju64 (c, v, "deadline", false, UINT64_MAX, NULL, &s->deadline));
  CHECK (ju64 (c, v, "period", false, UINT64_MAX, NULL, &s->period));
  return 0;
}

static int
cpu_list (struct jctx *c, yajl_val obj, const char *key, char **out)
{
  CHECK (jstr (c, obj, key, false, out));
  if (*out && (*out)[strspn (*out, "0123456789, -")] != '\0')
    return jerror_at (c, key, "invalid CPU list \"%s\"", *out);
  return 0;
}

int
oci_parse_process_obj (struct jctx *c, yajl_val v, oci_process *p)
{
  yajl_val o, a;
  int64_t n;
  bool has;

  if (!YAJL_IS_OBJECT (v))
    return jerror (c, "expected an object, got %s", jtype_name (v));

  CHECK (jbool (c, v, "terminal", false, NULL, &p->terminal));
  CHECK (jobj (c, v, "consoleSize", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "consoleSize");

      p->has_console_size = true;
      CHECK (ju64 (c, o, "height", true, UINT64_MAX, NULL, &p->console_height));
      CHECK (ju64 (c, o, "width", true, UINT64_MAX, NULL, &p->console_width));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "user", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "user");
      CHECK (parse_user (c, o, &p->user));
      jpop (c, mark);
    }
  CHECK (jstrv (c, v, "args", &has, &p->args));
  /* The spec requires at least one entry on every platform but Windows,
     where commandLine may replace them.  */
  if (!has)
    return jerror_at (c, "args", "required");
  if (p->args.len == 0)
    return jerror_at (c, "args", "must not be empty");
  CHECK (jstr (c, v, "commandLine", false, &p->command_line));
  CHECK (jstrv (c, v, "env", NULL, &p->env));
  CHECK (jstr (c, v, "cwd", true, &p->cwd));
  if (p->cwd[0] != '/')
    return jerror_at (c, "cwd", "not an absolute path: \"%s\"", p->cwd);

  CHECK (jobj (c, v, "capabilities", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "capabilities");
      CHECK (parse_capabilities (c, o, &p->capabilities));
      jpop (c, mark);
    }
  CHECK (jarr (c, v, "rlimits", false, &a));
  if (a)
    CHECK (parse_rlimits (c, a, p));
  CHECK (jbool (c, v, "noNewPrivileges", false, NULL, &p->no_new_privileges));
  CHECK (jstr (c, v, "apparmorProfile", false, &p->apparmor_profile));
  CHECK (ji64 (c, v, "oomScoreAdj", false, -1000, 1000, &p->has_oom_score_adj, &n));
  if (p->has_oom_score_adj)
    p->oom_score_adj = (int)n;
  CHECK (jstr (c, v, "selinuxLabel", false, &p->selinux_label));
  CHECK (jobj (c, v, "ioPriority", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "ioPriority");
      CHECK (parse_io_priority (c, o, &p->io_priority));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "scheduler", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "scheduler");
      CHECK (parse_scheduler (c, o, &p->scheduler));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "execCPUAffinity", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "execCPUAffinity");

      p->exec_cpu_affinity.present = true;
      CHECK (cpu_list (c, o, "initial", &p->exec_cpu_affinity.initial));
      CHECK (cpu_list (c, o, "final", &p->exec_cpu_affinity.final));
      jpop (c, mark);
    }
  return 0;
}

void
oci_process_clear (oci_process *p)
{
  size_t i;

  oci_strv_clear (&p->args);
  oci_strv_clear (&p->env);
  free (p->command_line);
  free (p->cwd);
  free (p->user.additional_gids);
  free (p->user.username);
  oci_strv_clear (&p->capabilities.bounding);
  oci_strv_clear (&p->capabilities.effective);
  oci_strv_clear (&p->capabilities.inheritable);
  oci_strv_clear (&p->capabilities.permitted);
  oci_strv_clear (&p->capabilities.ambient);
  for (i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p->io_priority.class_name);
  free (p->scheduler.policy_name);
  oci_strv_clear (&p->scheduler.flags);
  free (p->exec_cpu_affinity.initial);
  free (p->exec_cpu_affinity.final);
  memset (p, 0, sizeof *p);
}

void
oci_process_free (oci_process *p)
{
  if (p == NULL)
    return;
  oci_process_clear (p);
  free (p);
}

int
oci_process_parse (const char *data, size_t len, const char *name, oci_process **out, reg_error_t *err)
{
  struct jctx c;
  yajl_val tree = NULL;
  oci_process *p;
  int ret;

  *out = NULL;
  jctx_init (&c, name ? name : "process.json", err);
  ret = jparse (data, len, &c, &tree);
  if (ret < 0)
    {
      jctx_release (&c);
      return ret;
    }
  p = xmalloc0 (sizeof *p);
  ret = oci_parse_process_obj (&c, tree, p);
  yajl_tree_free (tree);
  jctx_release (&c);
  if (ret < 0)
    {
      oci_process_free (p);
      return ret;
    }
  *out = p;
  return 0;
}

int
oci_process_parse_file (const char *path, oci_process **out, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  const char *base = strrchr (path, '/');
  size_t len;

  *out = NULL;
  CHECK (read_regular_file_or_pipe (path, OCI_MAX_DOCUMENT, &data, &len, err));
  return oci_process_parse (data, len, base ? base + 1 : path, out, err);
}

const char *
oci_env_get (const char *const *env, const char *name)
{
  size_t n = strlen (name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, n) == 0 && env[i][n] == '=')
      return env[i] + n + 1;
  return NULL;
}

bool
oci_strv_has (const oci_strv *v, const char *s)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->items[i], s) == 0)
      return true;
  return false;
}
