/* libreg: linux.resources -> cgroup file writes (see cgroup-resources.h).  */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup-resources.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static bool
is_fs (const char *path, long magic)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 && sfs.f_type == magic;
}

void
runtime_cgroup_layout_detect (struct runtime_cgroup_layout *l)
{
  memset (l, 0, sizeof (*l));
  l->v2 = is_fs (CGROUP_ROOT, CGROUP2_SUPER_MAGIC);
  if (l->v2)
    return;
  l->unified = is_fs (CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC);
  l->hugetlb_v1 = is_fs (CGROUP_ROOT "/hugetlb", CGROUP_SUPER_MAGIC);
  l->net_v1 = is_fs (CGROUP_ROOT "/net_cls", CGROUP_SUPER_MAGIC) || is_fs (CGROUP_ROOT "/net_prio", CGROUP_SUPER_MAGIC);
}

static void add_full (struct runtime_cgroup_plan *p, const char *ctrl, const char *file, const char *alt, bool optional,
                      const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static void
add_full (struct runtime_cgroup_plan *p, const char *ctrl, const char *file, const char *alt, bool optional,
          const char *fmt, ...)
{
  struct runtime_cgroup_write *w;
  va_list ap;

  p->w = xrealloc (p->w, (p->n + 1) * sizeof (*p->w));
  w = &p->w[p->n++];
  w->field = p->field ? p->field : "linux.resources";
  w->ctrl = xstrdup (ctrl);
  w->file = xstrdup (file);
  w->alt = alt ? xstrdup (alt) : NULL;
  w->alt_value = NULL;
  w->optional = optional;
  va_start (ap, fmt);
  if (vasprintf (&w->value, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

#define add(p, ctrl, file, ...) add_full (p, ctrl, file, NULL, false, __VA_ARGS__)

/* The value the last write's alternative file takes.  */
static void alt_value (struct runtime_cgroup_plan *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
alt_value (struct runtime_cgroup_plan *p, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&p->w[p->n - 1].alt_value, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

/* What cgroup v2 has no file for.  */
static int
not_on_v2 (const char *field, reg_error_t *err)
{
  return reg_make_error (err, 0, "%s: not available on cgroup v2", field);
}

void
runtime_cgroup_plan_clear (struct runtime_cgroup_plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->w[i].ctrl);
      free (p->w[i].file);
      free (p->w[i].alt);
      free (p->w[i].alt_value);
      free (p->w[i].value);
    }
  free (p->w);
  p->w = NULL;
  p->n = 0;
}

uint64_t
runtime_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
runtime_cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int
runtime_cgroup_swap_v2 (int64_t swap, int64_t limit, int64_t *out, reg_error_t *err)
{
  /* Memory unlimited and swap unset: both unlimited, as with v1.  */
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (limit == 0 || limit == -1)
    return reg_make_error (err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit");
  if (limit < 0)
    return reg_make_error (err, 0, "linux.resources.memory.limit: invalid value %" PRId64, limit);
  if (swap < limit)
    return reg_make_error (
        err, 0, "linux.resources.memory.swap: memory+swap (%" PRId64 ") is below the memory limit (%" PRId64 ")", swap,
        limit);
  *out = swap - limit;
  return 0;
}

static const char *
max_or (int64_t v, char *buf, size_t len)
{
  if (v < 0)
    return "max";
  snprintf (buf, len, "%" PRId64, v);
  return buf;
}

static int
plan_memory (const oci_memory *m, const struct runtime_cgroup_layout *l, struct runtime_cgroup_plan *p,
             reg_error_t *err)
{
  char b[32];

  if (!m->present)
    return 0;
  if (m->has_kernel && m->kernel)
    reg_warning ("linux.resources.memory.kernel is ignored (deprecated by the kernel)");
  if (l->v2)
    {
      if (m->has_kernel_tcp && m->kernel_tcp)
        reg_warning ("linux.resources.memory.kernelTCP is not available on cgroup v2: ignored");
      if (m->has_limit && m->limit != 0)
        add (p, "", "memory.max", "%s", max_or (m->limit, b, sizeof (b)));
      if (m->has_reservation && m->reservation != 0)
        add (p, "", "memory.low", "%s", max_or (m->reservation, b, sizeof (b)));
      if (m->has_swap || (m->has_limit && m->limit == -1))
        {
          int64_t sw;
          int ret = runtime_cgroup_swap_v2 (m->has_swap ? m->swap : 0, m->has_limit ? m->limit : 0, &sw, err);
          if (UNLIKELY (ret < 0))
            return ret;
          /* Unlimited swap holds without the file (no swap accounting);
             a limit needs it.  */
          if (sw != 0)
            add_full (p, "", "memory.swap.max", NULL, sw < 0, "%s", max_or (sw, b, sizeof (b)));
        }
      if (m->has_swappiness)
        return not_on_v2 ("linux.resources.memory.swappiness", err);
      if (m->has_disable_oom_killer && m->disable_oom_killer)
        return not_on_v2 ("linux.resources.memory.disableOOMKiller", err);
      /* v2 is always hierarchical.  */
      if (m->has_use_hierarchy && !m->use_hierarchy)
        return not_on_v2 ("linux.resources.memory.useHierarchy: false", err);
      return 0;
    }
  if (m->has_limit && m->limit != 0)
    add (p, "memory", "memory.limit_in_bytes", "%" PRId64, m->limit);
  /* Unlimited memory without a swap setting: memory+swap unlimited too
     (the kernel refuses a limit above memsw), as runc does.  */
  if (m->has_limit && m->limit == -1 && (!m->has_swap || m->swap == 0))
    add_full (p, "memory", "memory.memsw.limit_in_bytes", NULL, true, "-1");
  if (m->has_reservation && m->reservation != 0)
    add (p, "memory", "memory.soft_limit_in_bytes", "%" PRId64, m->reservation);
  /* v1 takes memory+swap as one total, after the memory limit (the
     writer retries in the other order when the kernel refuses).  */
  if (m->has_swap && m->swap != 0)
    add (p, "memory", "memory.memsw.limit_in_bytes", "%" PRId64, m->swap);
  if (m->has_swappiness)
    add (p, "memory", "memory.swappiness", "%" PRIu64, m->swappiness);
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    add (p, "memory", "memory.oom_control", "1");
  if (m->has_use_hierarchy)
    add (p, "memory", "memory.use_hierarchy", "%d", m->use_hierarchy ? 1 : 0);
  /* NOT RECOMMENDED by the spec and gone from cgroup v2: a kernel without
     the file only warns.  */
  if (m->has_kernel_tcp && m->kernel_tcp)
    add_full (p, "memory", "memory.kmem.tcp.limit_in_bytes", NULL, true, "%" PRId64, m->kernel_tcp);
  return 0;
}

static int
plan_cpu (const oci_cpu *c, const struct runtime_cgroup_layout *l, struct runtime_cgroup_plan *p, reg_error_t *err)
{
  char b[32];

  if (!c->present)
    return 0;
  if (l->v2)
    {
      if (c->has_shares && c->shares)
        add (p, "", "cpu.weight", "%" PRIu64, runtime_cgroup_shares_to_weight (c->shares));
      if ((c->has_quota && c->quota != 0) || (c->has_period && c->period))
        add (p, "", "cpu.max", "%s %" PRIu64, c->has_quota && c->quota > 0 ? max_or (c->quota, b, sizeof (b)) : "max",
             c->has_period && c->period ? c->period : 100000);
      if (c->has_burst)
        add (p, "", "cpu.max.burst", "%" PRIu64, c->burst);
      if ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period))
        return reg_make_error (err, 0, "linux.resources.cpu: realtimeRuntime/realtimePeriod need cgroup v1");
      if (c->has_idle)
        add (p, "", "cpu.idle", "%" PRId64, c->idle);
    }
  else
    {
      if (c->has_shares && c->shares)
        add (p, "cpu", "cpu.shares", "%" PRIu64, c->shares);
      if (c->has_period && c->period)
        add (p, "cpu", "cpu.cfs_period_us", "%" PRIu64, c->period);
      if (c->has_quota && c->quota != 0)
        add (p, "cpu", "cpu.cfs_quota_us", "%" PRId64, c->quota);
      if (c->has_burst)
        add (p, "cpu", "cpu.cfs_burst_us", "%" PRIu64, c->burst);
      /* The period first: the kernel checks runtime against it.  */
      if (c->has_realtime_period && c->realtime_period)
        add (p, "cpu", "cpu.rt_period_us", "%" PRIu64, c->realtime_period);
      if (c->has_realtime_runtime && c->realtime_runtime)
        add (p, "cpu", "cpu.rt_runtime_us", "%" PRId64, c->realtime_runtime);
      if (c->has_idle)
        add (p, "cpu", "cpu.idle", "%" PRId64, c->idle);
    }
  if (c->cpus && *c->cpus)
    add (p, l->v2 ? "" : "cpuset", "cpuset.cpus", "%s", c->cpus);
  if (c->mems && *c->mems)
    add (p, l->v2 ? "" : "cpuset", "cpuset.mems", "%s", c->mems);
  return 0;
}

static void
plan_throttle (struct runtime_cgroup_plan *p, const struct runtime_cgroup_layout *l, const oci_blkio_throttle *t,
               size_t n, const char *v1file, const char *v2key)
{
  for (size_t i = 0; i < n; i++)
    {
      char rate[32] = "max";
      if (t[i].rate)
        snprintf (rate, sizeof (rate), "%" PRIu64, t[i].rate);
      if (l->v2)
        add (p, "", "io.max", "%" PRId64 ":%" PRId64 " %s=%s", t[i].major, t[i].minor, v2key, rate);
      else
        add (p, "blkio", v1file, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor, t[i].rate);
    }
}

static int
plan_blkio (const oci_blkio *b, const struct runtime_cgroup_layout *l, struct runtime_cgroup_plan *p, reg_error_t *err)
{
  if (!b->present)
    return 0;
  if (l->v2)
    {
      /* BFQ's file takes the v1 scale; without BFQ, io.weight (iocost)
         takes the v2 one.  One of them, as runc and crun.  */
      if (b->has_weight && b->weight)
        {
          add_full (p, "", "io.bfq.weight", "io.weight", false, "%u", b->weight);
          alt_value (p, "default %" PRIu64, runtime_cgroup_blkio_to_io_weight (b->weight));
        }
      if (b->has_leaf_weight && b->leaf_weight)
        return not_on_v2 ("linux.resources.blockIO.leafWeight", err);
      for (size_t i = 0; i < b->n_weight_device; i++)
        {
          const oci_blkio_weight_device *d = &b->weight_device[i];
          if (d->has_leaf_weight && d->leaf_weight)
            return not_on_v2 ("linux.resources.blockIO.weightDevice[].leafWeight", err);
          if (!d->has_weight)
            continue;
          add_full (p, "", "io.bfq.weight", "io.weight", false, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                    d->weight);
          alt_value (p, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                     runtime_cgroup_blkio_to_io_weight (d->weight));
        }
    }
  else
    {
      if (b->has_weight && b->weight)
        add_full (p, "blkio", "blkio.weight", "blkio.bfq.weight", false, "%u", b->weight);
      if (b->has_leaf_weight && b->leaf_weight)
        add (p, "blkio", "blkio.leaf_weight", "%u", b->leaf_weight);
      for (size_t i = 0; i < b->n_weight_device; i++)
        {
          const oci_blkio_weight_device *d = &b->weight_device[i];
          if (d->has_weight)
            add_full (p, "blkio", "blkio.weight_device", "blkio.bfq.weight_device", false, "%" PRId64 ":%" PRId64 " %u",
                      d->major, d->minor, d->weight);
          if (d->has_leaf_weight && d->leaf_weight)
            add (p, "blkio", "blkio.leaf_weight_device", "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                 d->leaf_weight);
        }
    }
  plan_throttle (p, l, b->throttle_read_bps, b->n_throttle_read_bps, "blkio.throttle.read_bps_device", "rbps");
  plan_throttle (p, l, b->throttle_write_bps, b->n_throttle_write_bps, "blkio.throttle.write_bps_device", "wbps");
  plan_throttle (p, l, b->throttle_read_iops, b->n_throttle_read_iops, "blkio.throttle.read_iops_device", "riops");
  plan_throttle (p, l, b->throttle_write_iops, b->n_throttle_write_iops, "blkio.throttle.write_iops_device", "wiops");
  return 0;
}

int
runtime_cgroup_plan_resources (const oci_resources *r, const struct runtime_cgroup_layout *l,
                               struct runtime_cgroup_plan *out, reg_error_t *err)
{
  char b[32];
  int ret;

  memset (out, 0, sizeof (*out));
  if (r == NULL || !r->present)
    return 0;
  out->field = "linux.resources.memory";
  ret = plan_memory (&r->memory, l, out, err);
  out->field = "linux.resources.cpu";
  if (ret == 0)
    ret = plan_cpu (&r->cpu, l, out, err);
  out->field = "linux.resources.blockIO";
  if (ret == 0)
    ret = plan_blkio (&r->block_io, l, out, err);
  if (UNLIKELY (ret < 0))
    goto fail;
  out->field = "linux.resources.pids";
  if (r->has_pids && r->pids_limit != 0)
    add (out, l->v2 ? "" : "pids", "pids.max", "%s", max_or (r->pids_limit, b, sizeof (b)));
  out->field = "linux.resources.hugepageLimits";
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const oci_hugepage_limit *h = &r->hugepage_limits[i];
      cleanup_free char *f = NULL;
      if (!l->v2 && l->hugetlb_v1)
        {
          xasprintf (&f, "hugetlb.%s.limit_in_bytes", h->page_size);
          add (out, "hugetlb", f, "%" PRIu64, h->limit);
          continue;
        }
      if (!l->v2 && !l->unified)
        {
          ret = reg_make_error (err, 0, "linux.resources.hugepageLimits: no hugetlb controller");
          goto fail;
        }
      /* v2, and hybrid hosts whose hugetlb controller is in the cgroup2
         hierarchy.  */
      xasprintf (&f, "hugetlb.%s.max", h->page_size);
      add (out, "", f, "%" PRIu64, h->limit);
      free (f);
      /* The spec's fallback: page-fault accounting where the kernel has no
         reservation limit.  */
      xasprintf (&f, "hugetlb.%s.rsvd.max", h->page_size);
      add_full (out, "", f, NULL, true, "%" PRIu64, h->limit);
    }
  out->field = "linux.resources.network";
  if (r->has_network && (r->has_class_id || r->n_net_priorities))
    {
      /* runc and crun refuse it too: a container must not run without the
         traffic class or priorities it asked for.  */
      if (l->v2)
        {
          ret = not_on_v2 ("linux.resources.network", err);
          goto fail;
        }
      if (!l->net_v1)
        {
          ret = reg_make_error (err, 0, "linux.resources.network: no net_cls/net_prio controller on this host");
          goto fail;
        }
      if (r->has_class_id)
        add (out, "net_cls", "net_cls.classid", "%u", r->class_id);
      for (size_t i = 0; i < r->n_net_priorities; i++)
        add (out, "net_prio", "net_prio.ifpriomap", "%s %u", r->net_priorities[i].name, r->net_priorities[i].priority);
    }
  out->field = "linux.resources.rdma";
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const oci_rdma *d = &r->rdma[i];
      char h[32] = "max", o[32] = "max";
      if (d->has_hca_handles)
        snprintf (h, sizeof (h), "%u", d->hca_handles);
      if (d->has_hca_objects)
        snprintf (o, sizeof (o), "%u", d->hca_objects);
      add (out, l->v2 ? "" : "rdma", "rdma.max", "%s hca_handle=%s hca_object=%s", d->device, h, o);
    }
  out->field = "linux.resources.unified";
  if (r->unified.len)
    {
      if (!l->v2 && !l->unified)
        {
          ret = reg_make_error (err, 0, "linux.resources.unified: needs cgroup v2 (this host has only v1)");
          goto fail;
        }
      for (size_t i = 0; i < r->unified.len; i++)
        {
          const char *k = r->unified.items[i].key;
          if (*k == '\0' || strchr (k, '/') || k[0] == '.')
            {
              ret = reg_make_error (err, 0, "linux.resources.unified: invalid key \"%s\"", k);
              goto fail;
            }
          add (out, "", k, "%s", r->unified.items[i].value);
        }
    }
  out->field = NULL;
  return 0;

fail:
  runtime_cgroup_plan_clear (out);
  return ret;
}

/* Devices.  */

static const struct runtime_device_rule default_rules[] = {
  { true, 'c', -1, -1, RUNTIME_DEV_MKNOD },
  { true, 'b', -1, -1, RUNTIME_DEV_MKNOD },
  { true, 'c', 1, 3, 7 },    /* null */
  { true, 'c', 1, 5, 7 },    /* zero */
  { true, 'c', 1, 7, 7 },    /* full */
  { true, 'c', 1, 8, 7 },    /* random */
  { true, 'c', 1, 9, 7 },    /* urandom */
  { true, 'c', 5, 0, 7 },    /* tty */
  { true, 'c', 5, 1, 7 },    /* console */
  { true, 'c', 5, 2, 7 },    /* ptmx */
  { true, 'c', 136, -1, 7 }, /* pts */
};

static unsigned
access_bits (const char *a)
{
  unsigned out = 0;
  if (a == NULL)
    return 7;
  for (; *a; a++)
    out |= *a == 'm' ? RUNTIME_DEV_MKNOD : *a == 'r' ? RUNTIME_DEV_READ : *a == 'w' ? RUNTIME_DEV_WRITE : 0;
  return out;
}

void
runtime_cgroup_device_rules (const oci_resources *r, struct runtime_device_rule **out, size_t *n)
{
  size_t nd = sizeof (default_rules) / sizeof (default_rules[0]);
  size_t nr = r ? r->n_devices : 0;
  struct runtime_device_rule *rules = xmalloc ((nr + nd) * sizeof (*rules));

  for (size_t i = 0; i < nr; i++)
    {
      const oci_device_cgroup *d = &r->devices[i];
      rules[i].allow = d->allow;
      rules[i].type = d->type ? d->type : 'a';
      rules[i].major = d->has_major ? d->major : -1;
      rules[i].minor = d->has_minor ? d->minor : -1;
      rules[i].access = access_bits (d->access);
    }
  memcpy (rules + nr, default_rules, sizeof (default_rules));
  *out = rules;
  *n = nr + nd;
}

void
runtime_cgroup_plan_devices_v1 (const struct runtime_device_rule *rules, size_t n, struct runtime_cgroup_plan *p)
{
  p->field = "linux.resources.devices";
  for (size_t i = 0; i < n; i++)
    {
      const struct runtime_device_rule *d = &rules[i];
      const char *file = d->allow ? "devices.allow" : "devices.deny";
      char acc[4], maj[24], min[24];
      size_t k = 0;

      if (d->type == 'a' && d->major < 0 && d->minor < 0 && d->access == 7)
        {
          /* "a" resets the whole list: deny-all or allow-all.  */
          add (p, "devices", file, "a");
          continue;
        }
      if (d->access & RUNTIME_DEV_READ)
        acc[k++] = 'r';
      if (d->access & RUNTIME_DEV_WRITE)
        acc[k++] = 'w';
      if (d->access & RUNTIME_DEV_MKNOD)
        acc[k++] = 'm';
      acc[k] = '\0';
      if (k == 0)
        continue;
      snprintf (maj, sizeof (maj), d->major < 0 ? "*" : "%" PRId64, d->major);
      snprintf (min, sizeof (min), d->minor < 0 ? "*" : "%" PRId64, d->minor);
      add (p, "devices", file, "%c %s:%s %s", d->type, maj, min, acc);
    }
}

/* The eBPF program is written by hand: libbpf needs a compiled BPF object
   (clang -target bpf at build time, or a skeleton), while this program is a
   few dozen instructions generated from the rules at run time.  */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static void
emit (struct bpf_insn **v, size_t *n, struct bpf_insn i)
{
  *v = xrealloc (*v, (*n + 1) * sizeof (**v));
  (*v)[(*n)++] = i;
}

void
runtime_cgroup_bpf_program (const struct runtime_device_rule *rules, size_t n, struct bpf_insn **insns, size_t *n_insns)
{
  struct bpf_insn *v = NULL;
  size_t k = 0;

  /* r2 = type, r3 = access, r4 = major, r5 = minor
     (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type).  */
  emit (&v, &k, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  emit (&v, &k, INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  emit (&v, &k, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  emit (&v, &k, INSN (BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit (&v, &k, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  emit (&v, &k, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));

  /* The last matching rule decides: check them from the end.  */
  for (size_t i = n; i-- > 0;)
    {
      const struct runtime_device_rule *d = &rules[i];
      struct bpf_insn blk[16];
      size_t b = 0, start;

      if (d->access == 0)
        continue;
      if (d->type == 'c' || d->type == 'b')
        blk[b++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                         d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
      if (d->access != 7)
        {
          blk[b++] = INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          if (d->allow)
            {
              /* Allowed when every requested access is in the rule.  */
              blk[b++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)(~d->access & 7));
              blk[b++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 0, 0);
            }
          else
            {
              /* Denied when any requested access is in the rule.  */
              blk[b++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)d->access);
              blk[b++] = INSN (BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0);
            }
        }
      if (d->major >= 0)
        blk[b++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)d->major);
      if (d->minor >= 0)
        blk[b++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)d->minor);
      start = b;
      blk[b++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, d->allow ? 1 : 0);
      blk[b++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      /* Every test jumps past this rule's block when it does not match.  */
      for (size_t j = 0; j < start; j++)
        if (BPF_CLASS (blk[j].code) == BPF_JMP)
          blk[j].off = (int16_t)(b - j - 1);
      for (size_t j = 0; j < b; j++)
        emit (&v, &k, blk[j]);
      /* A rule for every device ends the program: the verifier refuses
         unreachable instructions.  */
      if (start == 0)
        {
          *insns = v;
          *n_insns = k;
          return;
        }
    }
  /* No rule matched: what a new v1 cgroup starts with, allow (configs
     begin with a deny-all rule, which always matches).  */
  emit (&v, &k, INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
  emit (&v, &k, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  *insns = v;
  *n_insns = k;
}

int
runtime_cgroup_bpf_attach (const char *dir, const struct bpf_insn *insns, size_t n, reg_error_t *err)
{
  cleanup_close int cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int progfd = -1;
  char log[4096] = "";
  union bpf_attr attr;

  if (cgfd < 0)
    return reg_make_error (err, errno, "open cgroup `%s`", dir);
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  /* The verifier's log is asked for only to explain a failure: writing it
     costs more than the verification itself.  */
  progfd = (int)syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof (attr));
  if (progfd < 0)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = sizeof (log);
      attr.log_level = 1;
      progfd = (int)syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof (attr));
    }
  if (progfd < 0)
    return reg_make_error (err, errno, "load the eBPF device program%s%s", *log ? ": " : "", log);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall (SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof (attr)) < 0)
    return reg_make_error (err, errno, "attach the eBPF device program to `%s`", dir);
  return 0;
}

/* Writing.  */

const char *
runtime_cgroup_dir_for (char **paths, const char *root, const struct runtime_cgroup_layout *l, const char *ctrl)
{
  size_t rl = strlen (root);

  if (paths == NULL)
    return NULL;
  if (l->v2)
    return paths[0];
  for (char **p = paths; *p; p++)
    {
      const char *rest, *end;
      if (strncmp (*p, root, rl) != 0 || (*p)[rl] != '/')
        continue;
      rest = *p + rl + 1;
      end = strchrnul (rest, '/');
      if (*ctrl == '\0')
        {
          if ((size_t)(end - rest) == strlen ("unified") && strncmp (rest, "unified", 7) == 0)
            return *p;
          continue;
        }
      /* "cpu,cpuacct": any of the co-mounted names.  */
      for (const char *c = rest; c < end;)
        {
          const char *comma = memchr (c, ',', (size_t)(end - c));
          const char *e = comma ? comma : end;
          if ((size_t)(e - c) == strlen (ctrl) && strncmp (c, ctrl, (size_t)(e - c)) == 0)
            return *p;
          c = e + 1;
        }
    }
  return NULL;
}

static int
write_one (const char *dir, const char *file, const char *value)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (value);

  xasprintf (&path, "%s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  if (write (fd, value, len) != (ssize_t)len)
    return errno ? -errno : -EIO;
  return 0;
}

/* Enable hugetlb (hybrid hosts: it lives in the cgroup2 hierarchy) in the
   subtree of every ancestor of DIR below ROOT/unified.  */
static void
enable_unified_controller (const char *root, const char *dir, const char *ctrl)
{
  cleanup_free char *base = NULL;
  cleanup_free char *copy = xstrdup (dir);
  char buf[64];
  size_t bl;

  xasprintf (&base, "%s/unified", root);
  bl = strlen (base);
  if (strncmp (dir, base, bl) != 0)
    return;
  snprintf (buf, sizeof (buf), "+%s", ctrl);
  for (char *slash = copy + bl; slash; slash = strchr (slash + 1, '/'))
    {
      char c = *slash;
      *slash = '\0';
      if (write_one (copy, "cgroup.subtree_control", buf) < 0)
        reg_debug ("enable %s in `%s`: %s", ctrl, copy, strerror (errno));
      *slash = c;
      if (c == '\0')
        break;
    }
}

int
runtime_cgroup_write_plan (char **paths, const char *root, const struct runtime_cgroup_layout *l,
                           const struct runtime_cgroup_plan *p, reg_error_t *err)
{
  cleanup_free bool *done = xmalloc0 ((p->n + 1) * sizeof (bool));
  bool hugetlb_enabled = false;

  /* Two passes: limits that depend on each other (memory and memsw, cfs
     period and quota) are accepted in one order only, which depends on the
     current values.  */
  for (int pass = 0; pass < 2; pass++)
    {
      size_t failed = 0;

      for (size_t i = 0; i < p->n; i++)
        {
          const struct runtime_cgroup_write *w = &p->w[i];
          const char *dir, *used;
          int ret;

          if (done[i])
            continue;
          dir = runtime_cgroup_dir_for (paths, root, l, w->ctrl);
          if (dir == NULL)
            {
              if (w->optional)
                {
                  reg_warning ("%s: no %s cgroup: `%s` not set", w->field, *w->ctrl ? w->ctrl : "cgroup2", w->file);
                  done[i] = true;
                  continue;
                }
              return reg_make_error (err, 0, "%s: cannot set `%s`: the container has no %s cgroup", w->field, w->file,
                                     *w->ctrl ? w->ctrl : "cgroup2");
            }
          if (!l->v2 && *w->ctrl == '\0' && has_prefix (w->file, "hugetlb.") && !hugetlb_enabled)
            {
              enable_unified_controller (root, dir, "hugetlb");
              hugetlb_enabled = true;
            }
          used = w->file;
          ret = write_one (dir, w->file, w->value);
          if (ret == -ENOENT && w->alt)
            {
              used = w->alt;
              ret = write_one (dir, w->alt, w->alt_value ? w->alt_value : w->value);
            }
          if (ret == -ENOENT && w->optional)
            {
              reg_warning ("%s: the kernel has no `%s`: not set", w->field, w->file);
              ret = 0;
            }
          if (ret == 0)
            {
              done[i] = true;
              continue;
            }
          if (pass == 1 && ret == -ENOENT)
            return reg_make_error (err, 0, "%s: cannot be applied: no `%s`%s%s%s in `%s`", w->field, w->file,
                                   w->alt ? " or `" : "", w->alt ? w->alt : "", w->alt ? "`" : "", dir);
          if (pass == 1)
            return reg_make_error (err, -ret, "%s: write `%s` to `%s/%s`", w->field,
                                   used == w->alt && w->alt_value ? w->alt_value : w->value, dir, used);
          failed++;
        }
      if (failed == 0)
        break;
    }
  return 0;
}

int
runtime_cgroup_parse_bytes (const char *s, int64_t *out, reg_error_t *err)
{
  char *end = NULL;
  double v;
  int64_t mult = 1;
  cleanup_free char *unit = NULL;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  errno = 0;
  v = strtod (s, &end);
  /* Digits and dots only (no sign, hex or exponent), as runc's
     units.RAMInBytes; one space may separate the unit.  */
  if (end == s || errno || v < 0 || !isdigit ((unsigned char)s[0]) || strspn (s, "0123456789.") != (size_t)(end - s))
    return reg_make_error (err, 0, "invalid size `%s`", s);
  unit = xstrdup (*end == ' ' ? end + 1 : end);
  for (char *c = unit; *c; c++)
    *c = (char)tolower ((unsigned char)*c);
  if (has_suffix (unit, "ib"))
    unit[strlen (unit) - 2] = '\0';
  else if (has_suffix (unit, "b"))
    unit[strlen (unit) - 1] = '\0';
  if (*unit == '\0')
    mult = 1;
  else if (strcmp (unit, "k") == 0)
    mult = 1LL << 10;
  else if (strcmp (unit, "m") == 0)
    mult = 1LL << 20;
  else if (strcmp (unit, "g") == 0)
    mult = 1LL << 30;
  else if (strcmp (unit, "t") == 0)
    mult = 1LL << 40;
  else if (strcmp (unit, "p") == 0)
    mult = 1LL << 50;
  else
    return reg_make_error (err, 0, "invalid size `%s`: unknown unit", s);
  if (v * (double)mult > 9.2e18)
    return reg_make_error (err, 0, "invalid size `%s`: too large", s);
  *out = (int64_t)(v * (double)mult);
  return 0;
}
