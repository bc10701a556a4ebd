/* libreg: unit properties for the systemd cgroup driver (see
   cgroup-systemd.h).  No D-Bus here: the lists are built and tested as
   data.  */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-systemd.h"
#include "utils.h"

/* A cpuset list longer than this many CPUs / nodes is refused.  */
#define MAX_CPUSET_BIT 8192

static struct runtime_sd_prop *
add (struct runtime_sd_props *p, const char *name, const char *sig)
{
  struct runtime_sd_prop *e;
  p->p = xrealloc (p->p, (p->n + 1) * sizeof (*p->p));
  e = &p->p[p->n++];
  memset (e, 0, sizeof (*e));
  e->name = xstrdup (name);
  e->sig = sig;
  return e;
}

static void
add_u64 (struct runtime_sd_props *p, const char *name, uint64_t v)
{
  add (p, name, "t")->u = v;
}

static void
add_bool (struct runtime_sd_props *p, const char *name, bool v)
{
  add (p, name, "b")->u = v;
}

static void
add_str (struct runtime_sd_props *p, const char *name, const char *v)
{
  add (p, name, "s")->s = xstrdup (v);
}

static void
prop_free (struct runtime_sd_prop *e)
{
  free (e->name);
  free (e->s);
  free_string_array (e->strv);
  free (e->bytes);
  free (e->u32);
}

void
runtime_sd_props_clear (struct runtime_sd_props *p)
{
  for (size_t i = 0; i < p->n; i++)
    prop_free (&p->p[i]);
  free (p->p);
  p->p = NULL;
  p->n = 0;
}

const struct runtime_sd_prop *
runtime_sd_props_find (const struct runtime_sd_props *p, const char *name)
{
  for (size_t i = p->n; i > 0; i--)
    if (strcmp (p->p[i - 1].name, name) == 0)
      return &p->p[i - 1];
  return NULL;
}

unsigned
runtime_sd_parse_version (const char *v)
{
  unsigned long n;
  char *end;
  if (v == NULL)
    return 0;
  /* "252.39-1~deb12u2", "v255", "249 (249.11-0ubuntu3)" */
  while (*v && !isdigit ((unsigned char)*v))
    v++;
  errno = 0;
  n = strtoul (v, &end, 10);
  if (errno || end == v || n > 100000)
    return 0;
  return (unsigned)n;
}

static bool
at_least (const struct runtime_sd_host *h, unsigned version)
{
  return h->version == 0 || h->version >= version;
}

void
runtime_sd_scope_props (const char *id, const char *slice, pid_t pid, const struct runtime_sd_host *h,
                        struct runtime_sd_props *out)
{
  struct runtime_sd_prop *e;
  char *desc;

  xasprintf (&desc, "reg-runc container %s", id);
  add_str (out, "Description", desc);
  free (desc);
  add_str (out, "Slice", slice);
  /* The container (a nested systemd, a nested runtime) may make cgroups
     below its own: systemd must leave that subtree alone.  */
  add_bool (out, "Delegate", true);
  e = add (out, "PIDs", "au");
  e->u32 = xmalloc (sizeof (uint32_t));
  e->u32[0] = (uint32_t)pid;
  e->n = 1;
  /* No ordering against shutdown.target & co: the engine stops its
     containers itself.  */
  add_bool (out, "DefaultDependencies", false);
  /* A scope that ends failed (a stop that timed out) is unloaded anyway:
     delete must leave no unit behind.  */
  if (at_least (h, 236))
    add_str (out, "CollectMode", "inactive-or-failed");
  add_bool (out, "MemoryAccounting", true);
  add_bool (out, "CPUAccounting", true);
  add_bool (out, "TasksAccounting", true);
  add_bool (out, h->v2 ? "IOAccounting" : "BlockIOAccounting", true);
}

uint64_t
runtime_sd_cpu_quota_per_sec (int64_t quota, uint64_t period)
{
  uint64_t us;
  if (quota < 0)
    return RUNTIME_SD_INFINITY;
  if (period == 0)
    period = 100000;
  us = (uint64_t)quota * 1000000 / period;
  /* systemd keeps CPUQuota in whole percents (10 ms per second): round up,
     so the kernel's quota is never below the one asked for.  */
  if (us % 10000)
    us = (us / 10000 + 1) * 10000;
  return us;
}

int
runtime_sd_cpuset_mask (const char *list, uint8_t **mask, size_t *n, reg_error_t *err)
{
  cleanup_free char *copy = xstrdup (list);
  uint8_t *bits = NULL;
  size_t len = 0;
  char *save = NULL;

  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *dash, *end;
      unsigned long lo, hi;

      size_t tl;
      while (isspace ((unsigned char)*tok))
        tok++;
      tl = strlen (tok);
      while (tl && isspace ((unsigned char)tok[tl - 1]))
        tok[--tl] = '\0';
      if (*tok == '\0')
        continue;
      dash = strchr (tok, '-');
      errno = 0;
      lo = strtoul (tok, &end, 10);
      if (errno || end == tok || (dash ? end != dash : *end != '\0') || !isdigit ((unsigned char)*tok))
        goto invalid;
      hi = lo;
      if (dash)
        {
          hi = strtoul (dash + 1, &end, 10);
          if (errno || end == dash + 1 || *end != '\0' || !isdigit ((unsigned char)dash[1]) || hi < lo)
            goto invalid;
        }
      if (hi >= MAX_CPUSET_BIT)
        goto invalid;
      if (hi / 8 + 1 > len)
        {
          bits = xrealloc (bits, hi / 8 + 1);
          memset (bits + len, 0, hi / 8 + 1 - len);
          len = hi / 8 + 1;
        }
      for (unsigned long b = lo; b <= hi; b++)
        bits[b / 8] |= (uint8_t)(1u << (b % 8));
    }
  *mask = bits;
  *n = len;
  return 0;

invalid:
  free (bits);
  return reg_make_error (err, 0, "invalid CPU or memory node list `%s`", list);
}

static void
add_mask (struct runtime_sd_props *p, const char *name, uint8_t *bytes, size_t n)
{
  struct runtime_sd_prop *e = add (p, name, "ay");
  e->bytes = bytes;
  e->n = n;
}

int
runtime_sd_resource_props (const oci_resources *r, const struct runtime_sd_host *h, bool devices,
                           struct runtime_sd_props *out, reg_error_t *err)
{
  const oci_memory *m;
  const oci_cpu *c;
  int ret;

  if (r == NULL)
    return 0;
  m = &r->memory;
  c = &r->cpu;

  if (m->has_limit && m->limit != 0)
    add_u64 (out, "MemoryMax", m->limit < 0 ? RUNTIME_SD_INFINITY : (uint64_t)m->limit);
  if (h->v2 && m->has_reservation && m->reservation != 0)
    add_u64 (out, "MemoryLow", m->reservation < 0 ? RUNTIME_SD_INFINITY : (uint64_t)m->reservation);
  if (h->v2 && m->has_swap && m->swap != 0)
    {
      int64_t sw;
      ret = runtime_cgroup_swap_v2 (m->swap, m->has_limit ? m->limit : 0, &sw, err);
      if (UNLIKELY (ret < 0))
        return ret;
      add_u64 (out, "MemorySwapMax", sw < 0 ? RUNTIME_SD_INFINITY : (uint64_t)sw);
    }

  if (c->has_shares && c->shares)
    {
      /* v1's CPUShares is what the kernel gets as it is; CPUWeight on v1
         would go through systemd's own (lossy) conversion back.  */
      if (h->v2)
        add_u64 (out, "CPUWeight", runtime_cgroup_shares_to_weight (c->shares));
      else
        add_u64 (out, "CPUShares", c->shares);
    }
  if (c->has_quota && c->quota != 0)
    add_u64 (out, "CPUQuotaPerSecUSec", runtime_sd_cpu_quota_per_sec (c->quota, c->has_period ? c->period : 0));
  if (c->has_period && c->period && at_least (h, 242))
    add_u64 (out, "CPUQuotaPeriodUSec", c->period);
  /* systemd has cpusets on the unified hierarchy only (v244).  */
  if (h->v2 && at_least (h, 244))
    {
      const char *lists[2] = { c->cpus, c->mems };
      const char *names[2] = { "AllowedCPUs", "AllowedMemoryNodes" };
      for (int i = 0; i < 2; i++)
        {
          uint8_t *bytes = NULL;
          size_t n = 0;
          if (lists[i] == NULL || lists[i][strspn (lists[i], " \n")] == '\0')
            continue;
          ret = runtime_sd_cpuset_mask (lists[i], &bytes, &n, err);
          if (UNLIKELY (ret < 0))
            return reg_error_wrap (err, "linux.resources.cpu.%s", i ? "mems" : "cpus");
          add_mask (out, names[i], bytes, n);
        }
    }

  if (r->has_pids && r->pids_limit != 0)
    add_u64 (out, "TasksMax", r->pids_limit < 0 ? RUNTIME_SD_INFINITY : (uint64_t)r->pids_limit);

  if (r->block_io.has_weight && r->block_io.weight)
    {
      if (h->v2)
        add_u64 (out, "IOWeight", runtime_cgroup_blkio_to_io_weight (r->block_io.weight));
      else
        add_u64 (out, "BlockIOWeight", r->block_io.weight);
    }

  if (devices && r->n_devices)
    {
      cleanup_free struct runtime_device_rule *rules = NULL;
      size_t n = 0;
      runtime_cgroup_device_rules (r, &rules, &n);
      runtime_sd_device_props (rules, n, h->proc_devices, out);
    }
  return 0;
}

/* The device emulator: the rules in order, as the v1 kernel would keep
   them: a default (allow or deny everything) and the exceptions to it.  */
struct dev_entry
{
  char type; /* 'c' 'b' */
  int64_t major, minor;
  unsigned access;
};

struct dev_state
{
  bool allow_all;
  struct dev_entry *e;
  size_t n;
};

/* Add RULE's access to the exceptions.  */
static void
dev_add (struct dev_state *s, const struct runtime_device_rule *r)
{
  if (r->type == 'a')
    {
      /* "a 1:3 r": both kinds.  */
      struct runtime_device_rule c = *r, b = *r;
      c.type = 'c';
      b.type = 'b';
      dev_add (s, &c);
      dev_add (s, &b);
      return;
    }
  for (size_t i = 0; i < s->n; i++)
    if (s->e[i].type == r->type && s->e[i].major == r->major && s->e[i].minor == r->minor)
      {
        s->e[i].access |= r->access;
        return;
      }
  s->e = xrealloc (s->e, (s->n + 1) * sizeof (*s->e));
  s->e[s->n++] = (struct dev_entry){ r->type, r->major, r->minor, r->access };
}

/* Take RULE's access out of the exceptions it covers whole.  An exception
   wider than the rule (allow c 1:* then deny c 1:3) cannot be split in
   systemd's terms: it is kept whole, wider than the rules.  */
static void
dev_remove (struct dev_state *s, const struct runtime_device_rule *r)
{
  size_t k = 0;
  for (size_t i = 0; i < s->n; i++)
    {
      struct dev_entry *e = &s->e[i];
      if ((r->type == 'a' || r->type == e->type) && (r->major < 0 || r->major == e->major)
          && (r->minor < 0 || r->minor == e->minor))
        e->access &= ~r->access;
      if (e->access)
        s->e[k++] = *e;
    }
  s->n = k;
}

/* The name /proc/devices gives the devices of TYPE with MAJOR.  */
static bool
device_group (const char *proc_devices, char type, int64_t major, char *buf, size_t len)
{
  const char *want = type == 'c' ? "Character devices:" : "Block devices:";
  bool in = false;

  for (const char *l = proc_devices; l && *l;)
    {
      const char *nl = strchr (l, '\n');
      size_t ll = nl ? (size_t)(nl - l) : strlen (l);
      char line[300], name[256];
      long long mj;

      if (ll < sizeof line)
        {
          memcpy (line, l, ll);
          line[ll] = '\0';
          if (ll && !isspace ((unsigned char)line[0]) && !isdigit ((unsigned char)line[0]))
            in = strcmp (line, want) == 0;
          else if (in && sscanf (line, "%lld %255s", &mj, name) == 2 && mj == major)
            {
              snprintf (buf, len, "%s", name);
              return true;
            }
        }
      l = nl ? nl + 1 : NULL;
    }
  return false;
}

void
runtime_sd_device_props (const struct runtime_device_rule *rules, size_t n, const char *proc_devices,
                         struct runtime_sd_props *out)
{
  /* A new cgroup allows every device until a rule says otherwise (the v1
     kernel's default, and the runtime's own filter's).  */
  struct dev_state s = { .allow_all = true };
  char **allow;
  size_t na = 0;

  for (size_t i = 0; i < n; i++)
    {
      const struct runtime_device_rule *r = &rules[i];
      if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == 7)
        {
          /* "a" resets the list: deny-all (a list of allowed exceptions)
             or allow-all (a list of denied ones).  */
          s.allow_all = r->allow;
          s.n = 0;
          continue;
        }
      if (r->allow != s.allow_all)
        dev_add (&s, r);
      else
        dev_remove (&s, r);
    }

  if (s.allow_all)
    {
      /* systemd has no deny list: "auto" allows all, and the runtime's
         filter denies what the rules deny.  */
      free (s.e);
      add_str (out, "DevicePolicy", "auto");
      add (out, "DeviceAllow", "a(ss)")->strv = xmalloc0 (sizeof (char *));
      return;
    }

  allow = xmalloc0 ((2 * s.n + 1) * sizeof (char *));
  for (size_t i = 0; i < s.n; i++)
    {
      const struct dev_entry *e = &s.e[i];
      const char *kind = e->type == 'c' ? "char" : "block";
      char perms[4], group[256];
      size_t k = 0;
      char *path;

      if (e->access & RUNTIME_DEV_READ)
        perms[k++] = 'r';
      if (e->access & RUNTIME_DEV_WRITE)
        perms[k++] = 'w';
      if (e->access & RUNTIME_DEV_MKNOD)
        perms[k++] = 'm';
      perms[k] = '\0';
      if (e->major >= 0 && e->minor >= 0)
        /* A path systemd need not stat: the node may not exist here.  */
        xasprintf (&path, "/dev/%s/%" PRId64 ":%" PRId64, kind, e->major, e->minor);
      else if (e->major >= 0 && device_group (proc_devices, e->type, e->major, group, sizeof group))
        /* "c 136:*": the group /proc/devices names it by ("char-pts").  */
        xasprintf (&path, "%s-%s", kind, group);
      else
        /* "c *:*", and what systemd has no name for ("c *:5", a major
           without a group): every device of the kind.  */
        xasprintf (&path, "%s-*", kind);
      allow[na++] = path;
      allow[na++] = xstrdup (perms);
    }
  free (s.e);
  add_str (out, "DevicePolicy", "strict");
  add (out, "DeviceAllow", "a(ss)")->strv = allow;
}

/* GVariant text values, the subset unit properties need.  */

static const char *
skip_ws (const char *p)
{
  while (isspace ((unsigned char)*p))
    p++;
  return p;
}

/* A quoted string at *P ('...' or "..."), backslash escapes kept simple.  */
static int
parse_quoted (const char **p, char **out)
{
  char q = **p;
  const char *s = *p + 1;
  char *buf = xmalloc (strlen (s) + 1), *o = buf;

  for (; *s && *s != q; s++)
    {
      if (*s == '\\' && s[1])
        s++;
      *o++ = *s;
    }
  if (*s != q)
    {
      free (buf);
      return -1;
    }
  *o = '\0';
  *out = buf;
  *p = s + 1;
  return 0;
}

static const struct
{
  const char *word; /* GVariant's type keyword */
  const char *sig;
} typed[] = {
  { "uint64", "t" }, { "int64", "x" }, { "uint32", "u" }, { "int32", "i" },   { "uint16", "u" },
  { "int16", "i" },  { "byte", "u" },  { "double", "d" }, { "boolean", "b" }, { "string", "s" },
  { "@t", "t" },     { "@x", "x" },    { "@u", "u" },     { "@i", "i" },      { "@q", "u" },
  { "@n", "i" },     { "@y", "u" },    { "@d", "d" },     { "@b", "b" },      { "@s", "s" },
};

static bool
valid_name (const char *name)
{
  if (!isupper ((unsigned char)name[0]))
    return false;
  for (const char *c = name; *c; c++)
    if (!isalnum ((unsigned char)*c))
      return false;
  return true;
}

static int
parse_scalar (const char *text, const char *sig, struct runtime_sd_prop *e)
{
  char *end;
  text = skip_ws (text);
  errno = 0;
  switch (sig[0])
    {
    case 't':
    case 'u':
      if (*text == '-')
        return -1;
      e->u = strtoull (text, &end, 0);
      break;
    case 'x':
    case 'i':
      e->i = strtoll (text, &end, 0);
      break;
    case 'd':
      e->d = strtod (text, &end);
      break;
    case 'b':
      if (strcmp (text, "true") == 0)
        e->u = 1;
      else if (strcmp (text, "false") == 0)
        e->u = 0;
      else
        return -1;
      return 0;
    case 's':
      if (*text == '\'' || *text == '"')
        {
          const char *p = text;
          if (parse_quoted (&p, &e->s) < 0 || *skip_ws (p))
            return -1;
          return 0;
        }
      e->s = xstrdup (text);
      return 0;
    default:
      return -1;
    }
  if (errno || end == text || *skip_ws (end))
    return -1;
  if (sig[0] == 'u' && e->u > UINT32_MAX)
    return -1;
  if (sig[0] == 'i' && (e->i < INT32_MIN || e->i > INT32_MAX))
    return -1;
  return 0;
}

int
runtime_sd_parse_value (const char *name, const char *text, struct runtime_sd_props *out, reg_error_t *err)
{
  struct runtime_sd_prop *e;
  cleanup_free char *pname = xstrdup (name);
  const char *v = skip_ws (text);
  size_t nl = strlen (name);
  bool sec = nl > 4 && has_suffix (name, "Sec") && islower ((unsigned char)name[nl - 4]);

  if (!valid_name (name))
    return reg_make_error (err, 0, "annotation %s%s: invalid property name", RUNTIME_SD_ANNOTATION_PREFIX, name);
  if (sec)
    {
      /* TimeoutStopSec=5 -> TimeoutStopUSec=5000000  */
      free (pname);
      xasprintf (&pname, "%.*sUSec", (int)(nl - 3), name);
    }
  e = add (out, pname, "s");

  if (*v == '[' || has_prefix (v, "@as"))
    {
      /* ['a', 'b'] */
      size_t n = 0;
      if (*v == '@')
        v = skip_ws (v + 3);
      if (*v != '[')
        goto invalid;
      e->sig = "as";
      e->strv = xmalloc0 (sizeof (char *));
      v = skip_ws (v + 1);
      while (*v != ']')
        {
          char *s;
          if ((*v != '\'' && *v != '"') || parse_quoted (&v, &s) < 0)
            goto invalid;
          e->strv = xrealloc (e->strv, (n + 2) * sizeof (char *));
          e->strv[n++] = s;
          e->strv[n] = NULL;
          v = skip_ws (v);
          if (*v == ',')
            v = skip_ws (v + 1);
          else if (*v != ']')
            goto invalid;
        }
      if (*skip_ws (v + 1))
        goto invalid;
      return 0;
    }

  for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
    {
      size_t wl = strlen (typed[i].word);
      if (strncmp (v, typed[i].word, wl) == 0 && isspace ((unsigned char)v[wl]))
        {
          e->sig = typed[i].sig;
          if (parse_scalar (v + wl, e->sig, e) < 0)
            goto invalid;
          goto typed_done;
        }
    }
  if (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)
    e->sig = "b";
  else if (*v == '\'' || *v == '"')
    e->sig = "s";
  else if (isdigit ((unsigned char)*v) || ((*v == '-' || *v == '+') && isdigit ((unsigned char)v[1])))
    /* A bare number: uint64 (what systemd's numeric properties take), a
       negative one int64, one with a point or an exponent a double.  */
    e->sig = strpbrk (v, ".eE") && !has_prefix (v, "0x") ? "d" : *v == '-' ? "x" : "t";
  else
    e->sig = "s"; /* a bare word: CollectMode=inactive-or-failed */
  if (parse_scalar (v, e->sig, e) < 0)
    goto invalid;

typed_done:
  if (sec)
    {
      /* Seconds to microseconds.  */
      double s;
      switch (e->sig[0])
        {
        case 't':
        case 'u':
          s = (double)e->u;
          break;
        case 'x':
        case 'i':
          s = (double)e->i;
          break;
        case 'd':
          s = e->d;
          break;
        default:
          goto invalid;
        }
      if (!(s >= 0) || s * 1e6 >= 18446744073709551615.0)
        goto invalid;
      e->sig = "t";
      e->u = (uint64_t)(s * 1e6 + 0.5);
    }
  return 0;

invalid:
  prop_free (e);
  out->n--;
  return reg_make_error (err, 0,
                         "annotation %s%s: cannot read the value `%s` (GVariant text: 'string', "
                         "uint64 N, true, ...)",
                         RUNTIME_SD_ANNOTATION_PREFIX, name, text);
}

int
runtime_sd_annotation_props (const oci_map *annotations, struct runtime_sd_props *out, reg_error_t *err)
{
  for (size_t i = 0; annotations && i < annotations->len; i++)
    {
      const oci_kv *kv = &annotations->items[i];
      int ret;
      if (!has_prefix (kv->key, RUNTIME_SD_ANNOTATION_PREFIX))
        continue;
      ret = runtime_sd_parse_value (kv->key + strlen (RUNTIME_SD_ANNOTATION_PREFIX), kv->value ? kv->value : "", out,
                                    err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}
