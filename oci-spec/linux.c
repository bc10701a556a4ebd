/* liboci-spec: the "linux" object of config.json (resources in resources.c).  */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "json-internal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* In enum oci_ns_type order.  */
static const char *const ns_names[] = { "mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time", NULL };
static const int ns_flags[] = { CLONE_NEWNS,  CLONE_NEWPID,  CLONE_NEWNET,    CLONE_NEWUTS,
                                CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME };

/* runc also accepts the recursive spellings; so do we.  */
static const char *const propagations[]
    = { "private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave", "runbindable", NULL };

static const char *const seccomp_actions[]
    = { "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL };

static const char *const seccomp_archs[]
    = { "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
        "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", NULL };

static const char *const seccomp_flags[]
    = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

/* enum scmp_compare values (libseccomp ABI), in this order.  */
static const char *const seccomp_ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
                                           "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };

/* MPOL_* of linux/mempolicy.h.  */
static const char *const mpol_modes[]
    = { "MPOL_DEFAULT",        "MPOL_PREFERRED",           "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
        "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL };
static const char *const mpol_flags[]
    = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL };
static const unsigned mpol_flag_values[] = { 1u << 13, 1u << 14, 1u << 15 };

const char *const *
oci_seccomp_action_names (void)
{
  return seccomp_actions;
}
const char *const *
oci_seccomp_arch_names (void)
{
  return seccomp_archs;
}
const char *const *
oci_seccomp_flag_names (void)
{
  return seccomp_flags;
}
const char *const *
oci_seccomp_operator_names (void)
{
  return seccomp_ops;
}
const char *const *
oci_memory_policy_mode_names (void)
{
  return mpol_modes;
}
const char *const *
oci_memory_policy_flag_names (void)
{
  return mpol_flags;
}

const char *
oci_ns_type_name (enum oci_ns_type type)
{
  if ((int)type < 0 || type >= OCI_NS_COUNT)
    return NULL;
  return ns_names[type];
}

int
oci_ns_type_from_name (const char *name)
{
  return jenum_index (ns_names, name);
}

int
oci_ns_clone_flag (enum oci_ns_type type)
{
  if ((int)type < 0 || type >= OCI_NS_COUNT)
    return 0;
  return ns_flags[type];
}

/* An element of a string array that must be in NAMES.  */
static int
check_enum_strv (struct jctx *c, const char *key, const oci_strv *v, const char *const *names, const char *what)
{
  size_t i;

  for (i = 0; i < v->len; i++)
    if (jenum_index (names, v->items[i]) < 0)
      {
        size_t mark = jpush_key (c, key);
        int ret;

        jpush_index (c, i);
        ret = jerror (c, "unknown %s \"%s\"", what, v->items[i]);
        jpop (c, mark);
        return ret;
      }
  return 0;
}

static int
enum_str (struct jctx *c, yajl_val obj, const char *key, bool required, const char *const *names, const char *what,
          char **out, int *idx)
{
  int i;

  CHECK (jstr (c, obj, key, required, out));
  if (*out == NULL)
    return 0;
  i = jenum_index (names, *out);
  if (i < 0)
    return jerror_at (c, key, "unknown %s \"%s\"", what, *out);
  if (idx)
    *idx = i;
  return 0;
}

static int
namespace_entry (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_namespace *ns = elem;
  cleanup_free char *type = NULL;
  int idx;

  (void)keyname;
  CHECK (enum_str (c, v, "type", true, ns_names, "namespace type", &type, &idx));
  ns->type = (enum oci_ns_type)idx;
  ns->clone_flag = ns_flags[idx];
  CHECK (jstr (c, v, "path", false, &ns->path));
  if (ns->path && ns->path[0] != '/')
    return jerror_at (c, "path", "not an absolute path: \"%s\"", ns->path);
  return 0;
}

static int
device_entry (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_device *d = elem;
  cleanup_free char *type = NULL;
  uint64_t mode;

  (void)keyname;
  CHECK (jstr (c, v, "path", true, &d->path));
  if (d->path[0] != '/')
    return jerror_at (c, "path", "not an absolute path: \"%s\"", d->path);
  CHECK (jstr (c, v, "type", true, &type));
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    return jerror_at (c, "type", "unknown device type \"%s\" (expected c, b, u or p)", type);
  d->type = type[0];
  CHECK (ji64 (c, v, "major", d->type != 'p', INT64_MIN, INT64_MAX, &d->has_major, &d->major));
  CHECK (ji64 (c, v, "minor", d->type != 'p', INT64_MIN, INT64_MAX, &d->has_minor, &d->minor));
  /* Podman and Docker put the file-type bits in fileMode (S_IFCHR|0660) and
     runc accepts them: take the permission bits, but type bits that say
     another kind of file than "type" are a mistake worth reporting.  */
  CHECK (ju64 (c, v, "fileMode", false, S_IFMT | 07777, &d->has_file_mode, &mode));
  if (d->has_file_mode)
    {
      mode_t kind = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

      if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != kind)
        return jerror_at (c, "fileMode", "file type bits 0%o do not match type \"%c\" (0%o)", (unsigned)(mode & S_IFMT),
                          d->type, (unsigned)kind);
      d->file_mode = (uint32_t)(mode & 07777);
    }
  CHECK (ju32 (c, v, "uid", false, &d->has_uid, &d->uid));
  CHECK (ju32 (c, v, "gid", false, &d->has_gid, &d->gid));
  return 0;
}

static int
net_device_entry (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_net_device *d = elem;

  d->name = xstrdup (keyname);
  CHECK (jstr (c, v, "name", false, &d->new_name));
  if (d->new_name == NULL)
    d->new_name = xstrdup (keyname);
  return 0;
}

static int
syscall_arg (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_syscall_arg *a = elem;
  int idx;

  (void)keyname;
  /* A syscall has six arguments (index 0..5).  */
  uint64_t index = 0;

  CHECK (ju64 (c, v, "index", true, 5, NULL, &index));
  a->index = (uint32_t)index;
  CHECK (ju64 (c, v, "value", true, UINT64_MAX, NULL, &a->value));
  CHECK (ju64 (c, v, "valueTwo", false, UINT64_MAX, NULL, &a->value_two));
  CHECK (enum_str (c, v, "op", true, seccomp_ops, "seccomp operator", &a->op_name, &idx));
  a->op = idx + 1; /* SCMP_CMP_NE is 1 */
  return 0;
}

static int
syscall_entry (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_syscall *s = elem;
  bool has;

  (void)keyname;
  CHECK (jstrv (c, v, "names", &has, &s->names));
  if (!has)
    return jerror_at (c, "names", "required");
  if (s->names.len == 0)
    return jerror_at (c, "names", "must not be empty");
  CHECK (enum_str (c, v, "action", true, seccomp_actions, "seccomp action", &s->action, NULL));
  CHECK (ju32 (c, v, "errnoRet", false, &s->has_errno_ret, &s->errno_ret));
  CHECK (jobjects (c, v, "args", sizeof (oci_syscall_arg), &s->args, &s->n_args, syscall_arg));
  return 0;
}

static int
parse_seccomp (struct jctx *c, yajl_val v, oci_seccomp *s)
{
  s->present = true;
  CHECK (enum_str (c, v, "defaultAction", true, seccomp_actions, "seccomp action", &s->default_action, NULL));
  CHECK (ju32 (c, v, "defaultErrnoRet", false, &s->has_default_errno_ret, &s->default_errno_ret));
  CHECK (jstrv (c, v, "architectures", NULL, &s->architectures));
  CHECK (check_enum_strv (c, "architectures", &s->architectures, seccomp_archs, "seccomp architecture"));
  CHECK (jstrv (c, v, "flags", NULL, &s->flags));
  CHECK (check_enum_strv (c, "flags", &s->flags, seccomp_flags, "seccomp flag"));
  CHECK (jstr (c, v, "listenerPath", false, &s->listener_path));
  CHECK (jstr (c, v, "listenerMetadata", false, &s->listener_metadata));
  CHECK (jobjects (c, v, "syscalls", sizeof (oci_syscall), &s->syscalls, &s->n_syscalls, syscall_entry));
  return 0;
}

static int
time_offset (struct jctx *c, yajl_val v, const char *key, bool *has, int64_t *secs, uint32_t *nsecs)
{
  yajl_val o;
  uint64_t ns = 0;
  size_t mark;

  CHECK (jobj (c, v, key, false, &o));
  if (o == NULL)
    return 0;
  *has = true;
  mark = jpush_key (c, key);
  CHECK (ji64 (c, o, "secs", false, INT64_MIN, INT64_MAX, NULL, secs));
  CHECK (ju64 (c, o, "nanosecs", false, 999999999, NULL, &ns));
  *nsecs = (uint32_t)ns;
  jpop (c, mark);
  return 0;
}

static int
parse_time_offsets (struct jctx *c, yajl_val o, oci_time_offsets *t)
{
  CHECK (time_offset (c, o, "boottime", &t->has_boottime, &t->boottime_secs, &t->boottime_nanosecs));
  CHECK (time_offset (c, o, "monotonic", &t->has_monotonic, &t->monotonic_secs, &t->monotonic_nanosecs));
  return 0;
}

/* Run FN on member KEY of V when it is an object, with the path pushed.  */
#define SECTION(key, call)                                                                                             \
  do                                                                                                                   \
    {                                                                                                                  \
      yajl_val o_;                                                                                                     \
      CHECK (jobj (c, v, key, false, &o_));                                                                            \
      if (o_)                                                                                                          \
        {                                                                                                              \
          size_t mark_ = jpush_key (c, key);                                                                           \
          yajl_val o = o_;                                                                                             \
          CHECK (call);                                                                                                \
          jpop (c, mark_);                                                                                             \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

static int
parse_intel_rdt (struct jctx *c, yajl_val o, oci_intel_rdt *r)
{
  r->present = true;
  CHECK (jstr (c, o, "closID", false, &r->clos_id));
  CHECK (jstrv (c, o, "schemata", NULL, &r->schemata));
  CHECK (jstr (c, o, "l3CacheSchema", false, &r->l3_cache_schema));
  CHECK (jstr (c, o, "memBwSchema", false, &r->mem_bw_schema));
  if (r->mem_bw_schema && (!has_prefix (r->mem_bw_schema, "MB:") || strchr (r->mem_bw_schema, '\n')))
    return jerror_at (c, "memBwSchema", "expected \"MB:...\" on one line");
  CHECK (jbool (c, o, "enableMonitoring", false, NULL, &r->enable_monitoring));
  return 0;
}

static int
parse_memory_policy (struct jctx *c, yajl_val o, oci_memory_policy *m)
{
  size_t i;
  int idx = 0;

  m->present = true;
  CHECK (enum_str (c, o, "mode", false, mpol_modes, "memory policy mode", &m->mode, &idx));
  m->mpol_mode = idx;
  CHECK (jstr (c, o, "nodes", false, &m->nodes));
  CHECK (jstrv (c, o, "flags", NULL, &m->flags));
  CHECK (check_enum_strv (c, "flags", &m->flags, mpol_flags, "memory policy flag"));
  for (i = 0; i < m->flags.len; i++)
    m->mpol_flags |= mpol_flag_values[jenum_index (mpol_flags, m->flags.items[i])];
  return 0;
}

static int
parse_personality (struct jctx *c, yajl_val o, oci_personality *p)
{
  static const char *const domains[] = { "LINUX", "LINUX32", NULL };
  int idx = 0;

  p->present = true;
  CHECK (enum_str (c, o, "domain", false, domains, "personality domain", &p->domain, &idx));
  p->persona = idx == 1 ? PER_LINUX32 : PER_LINUX;
  CHECK (jstrv (c, o, "flags", NULL, &p->flags));
  return 0;
}

int
oci_parse_linux_obj (struct jctx *c, yajl_val v, oci_linux *l)
{
  size_t i, j;
  int idx;

  if (!YAJL_IS_OBJECT (v))
    return jerror (c, "expected an object, got %s", jtype_name (v));
  l->present = true;
  CHECK (jobjects (c, v, "namespaces", sizeof (oci_namespace), &l->namespaces, &l->n_namespaces, namespace_entry));
  for (i = 0; i < l->n_namespaces; i++)
    for (j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        {
          size_t mark = jpush_key (c, "namespaces");
          int ret;

          jpush_index (c, i);
          ret = jerror_at (c, "type", "duplicate namespace type \"%s\"", ns_names[l->namespaces[i].type]);
          jpop (c, mark);
          return ret;
        }
  CHECK (jid_mappings (c, v, "uidMappings", &l->uid_mappings, &l->n_uid_mappings));
  CHECK (jid_mappings (c, v, "gidMappings", &l->gid_mappings, &l->n_gid_mappings));
  SECTION ("timeOffsets", parse_time_offsets (c, o, &l->time_offsets));
  CHECK (jobjects (c, v, "devices", sizeof (oci_device), &l->devices, &l->n_devices, device_entry));
  CHECK (jmembers (c, v, "netDevices", sizeof (oci_net_device), &l->net_devices, &l->n_net_devices, net_device_entry));
  CHECK (jstr (c, v, "cgroupsPath", false, &l->cgroups_path));
  SECTION ("resources", oci_parse_resources_obj (c, o, &l->resources));
  CHECK (enum_str (c, v, "rootfsPropagation", false, propagations, "rootfs propagation", &l->rootfs_propagation, &idx));
  SECTION ("seccomp", parse_seccomp (c, o, &l->seccomp));
  CHECK (jmap (c, v, "sysctl", &l->sysctl));
  CHECK (jstrv (c, v, "maskedPaths", &l->has_masked_paths, &l->masked_paths));
  CHECK (jstrv (c, v, "readonlyPaths", &l->has_readonly_paths, &l->readonly_paths));
  CHECK (jstr (c, v, "mountLabel", false, &l->mount_label));
  SECTION ("intelRdt", parse_intel_rdt (c, o, &l->intel_rdt));
  SECTION ("memoryPolicy", parse_memory_policy (c, o, &l->memory_policy));
  SECTION ("personality", parse_personality (c, o, &l->personality));
  return 0;
}

void
oci_linux_clear (oci_linux *l)
{
  size_t i;

  for (i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  for (i = 0; i < l->n_net_devices; i++)
    {
      free (l->net_devices[i].name);
      free (l->net_devices[i].new_name);
    }
  free (l->net_devices);
  free (l->cgroups_path);
  oci_resources_clear (&l->resources);
  free (l->rootfs_propagation);
  free (l->seccomp.default_action);
  oci_strv_clear (&l->seccomp.architectures);
  oci_strv_clear (&l->seccomp.flags);
  free (l->seccomp.listener_path);
  free (l->seccomp.listener_metadata);
  for (i = 0; i < l->seccomp.n_syscalls; i++)
    {
      oci_syscall *s = &l->seccomp.syscalls[i];
      size_t k;

      oci_strv_clear (&s->names);
      free (s->action);
      for (k = 0; k < s->n_args; k++)
        free (s->args[k].op_name);
      free (s->args);
    }
  free (l->seccomp.syscalls);
  oci_map_clear (&l->sysctl);
  oci_strv_clear (&l->masked_paths);
  oci_strv_clear (&l->readonly_paths);
  free (l->mount_label);
  free (l->intel_rdt.clos_id);
  oci_strv_clear (&l->intel_rdt.schemata);
  free (l->intel_rdt.l3_cache_schema);
  free (l->intel_rdt.mem_bw_schema);
  free (l->memory_policy.mode);
  free (l->memory_policy.nodes);
  oci_strv_clear (&l->memory_policy.flags);
  free (l->personality.domain);
  oci_strv_clear (&l->personality.flags);
  memset (l, 0, sizeof *l);
}
