/* liboci-spec: linux.resources (also a standalone document for `update`).  */
#include <stdlib.h>
#include <string.h>

#include "json-internal.h"
#include "utils.h"

static int
device_cgroup (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_device_cgroup *d = elem;
  cleanup_free char *type = NULL;

  (void)keyname;
  CHECK (jbool (c, v, "allow", true, NULL, &d->allow));
  CHECK (jstr (c, v, "type", false, &type));
  d->type = 'a';
  if (type)
    {
      if (strlen (type) != 1 || strchr ("acb", type[0]) == NULL)
        return jerror_at (c, "type", "unknown device type \"%s\" (expected a, c or b)", type);
      d->type = type[0];
    }
  d->major = d->minor = -1;
  CHECK (ji64 (c, v, "major", false, -1, INT64_MAX, &d->has_major, &d->major));
  CHECK (ji64 (c, v, "minor", false, -1, INT64_MAX, &d->has_minor, &d->minor));
  CHECK (jstr (c, v, "access", false, &d->access));
  if (d->access && (d->access[strspn (d->access, "rwm")] != '\0'))
    return jerror_at (c, "access", "invalid access \"%s\" (expected letters of rwm)", d->access);
  return 0;
}

static int
parse_memory (struct jctx *c, yajl_val v, oci_memory *m)
{
  m->present = true;
  CHECK (ji64 (c, v, "limit", false, INT64_MIN, INT64_MAX, &m->has_limit, &m->limit));
  CHECK (ji64 (c, v, "reservation", false, INT64_MIN, INT64_MAX, &m->has_reservation, &m->reservation));
  CHECK (ji64 (c, v, "swap", false, INT64_MIN, INT64_MAX, &m->has_swap, &m->swap));
  CHECK (ji64 (c, v, "kernel", false, INT64_MIN, INT64_MAX, &m->has_kernel, &m->kernel));
  CHECK (ji64 (c, v, "kernelTCP", false, INT64_MIN, INT64_MAX, &m->has_kernel_tcp, &m->kernel_tcp));
  CHECK (ju64 (c, v, "swappiness", false, UINT64_MAX, &m->has_swappiness, &m->swappiness));
  /* The kernel takes 0..100; Docker-era clients wrote -1 as uint64 max for
     "unset", so that value reads as absent.  */
  if (m->has_swappiness && m->swappiness == UINT64_MAX)
    m->has_swappiness = false;
  else if (m->has_swappiness && m->swappiness > 100)
    return jerror_at (c, "swappiness", "out of range: %llu (maximum 100)", (unsigned long long)m->swappiness);
  CHECK (jbool (c, v, "disableOOMKiller", false, &m->has_disable_oom_killer, &m->disable_oom_killer));
  CHECK (jbool (c, v, "useHierarchy", false, &m->has_use_hierarchy, &m->use_hierarchy));
  CHECK (jbool (c, v, "checkBeforeUpdate", false, &m->has_check_before_update, &m->check_before_update));
  return 0;
}

static int
parse_cpu (struct jctx *c, yajl_val v, oci_cpu *p)
{
  p->present = true;
  CHECK (ju64 (c, v, "shares", false, UINT64_MAX, &p->has_shares, &p->shares));
  CHECK (ji64 (c, v, "quota", false, INT64_MIN, INT64_MAX, &p->has_quota, &p->quota));
  CHECK (ju64 (c, v, "burst", false, UINT64_MAX, &p->has_burst, &p->burst));
  CHECK (ju64 (c, v, "period", false, UINT64_MAX, &p->has_period, &p->period));
  CHECK (ji64 (c, v, "realtimeRuntime", false, INT64_MIN, INT64_MAX, &p->has_realtime_runtime, &p->realtime_runtime));
  CHECK (ju64 (c, v, "realtimePeriod", false, UINT64_MAX, &p->has_realtime_period, &p->realtime_period));
  CHECK (ji64 (c, v, "idle", false, INT64_MIN, INT64_MAX, &p->has_idle, &p->idle));
  CHECK (jstr (c, v, "cpus", false, &p->cpus));
  CHECK (jstr (c, v, "mems", false, &p->mems));
  return 0;
}

static int
weight_device (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_blkio_weight_device *d = elem;
  uint64_t w;

  (void)keyname;
  CHECK (ji64 (c, v, "major", true, INT64_MIN, INT64_MAX, NULL, &d->major));
  CHECK (ji64 (c, v, "minor", true, INT64_MIN, INT64_MAX, NULL, &d->minor));
  CHECK (ju64 (c, v, "weight", false, UINT16_MAX, &d->has_weight, &w));
  if (d->has_weight)
    d->weight = (uint16_t)w;
  CHECK (ju64 (c, v, "leafWeight", false, UINT16_MAX, &d->has_leaf_weight, &w));
  if (d->has_leaf_weight)
    d->leaf_weight = (uint16_t)w;
  return 0;
}

static int
throttle_device (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_blkio_throttle *d = elem;

  (void)keyname;
  CHECK (ji64 (c, v, "major", true, INT64_MIN, INT64_MAX, NULL, &d->major));
  CHECK (ji64 (c, v, "minor", true, INT64_MIN, INT64_MAX, NULL, &d->minor));
  CHECK (ju64 (c, v, "rate", false, UINT64_MAX, NULL, &d->rate));
  return 0;
}

static int
parse_blkio (struct jctx *c, yajl_val v, oci_blkio *b)
{
  uint64_t w;

  b->present = true;
  CHECK (ju64 (c, v, "weight", false, UINT16_MAX, &b->has_weight, &w));
  if (b->has_weight)
    b->weight = (uint16_t)w;
  CHECK (ju64 (c, v, "leafWeight", false, UINT16_MAX, &b->has_leaf_weight, &w));
  if (b->has_leaf_weight)
    b->leaf_weight = (uint16_t)w;
  CHECK (jobjects (c, v, "weightDevice", sizeof (oci_blkio_weight_device), &b->weight_device, &b->n_weight_device,
                   weight_device));
  CHECK (jobjects (c, v, "throttleReadBpsDevice", sizeof (oci_blkio_throttle), &b->throttle_read_bps,
                   &b->n_throttle_read_bps, throttle_device));
  CHECK (jobjects (c, v, "throttleWriteBpsDevice", sizeof (oci_blkio_throttle), &b->throttle_write_bps,
                   &b->n_throttle_write_bps, throttle_device));
  CHECK (jobjects (c, v, "throttleReadIOPSDevice", sizeof (oci_blkio_throttle), &b->throttle_read_iops,
                   &b->n_throttle_read_iops, throttle_device));
  CHECK (jobjects (c, v, "throttleWriteIOPSDevice", sizeof (oci_blkio_throttle), &b->throttle_write_iops,
                   &b->n_throttle_write_iops, throttle_device));
  return 0;
}

/* "^[1-9][0-9]*[KMG]B$" from the schema.  */
static bool
valid_page_size (const char *s)
{
  size_t n = strlen (s);

  if (n < 3 || s[0] < '1' || s[0] > '9' || s[n - 1] != 'B' || strchr ("KMG", s[n - 2]) == NULL)
    return false;
  return strspn (s, "0123456789") == n - 2;
}

static int
hugepage_limit (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_hugepage_limit *h = elem;

  (void)keyname;
  CHECK (jstr (c, v, "pageSize", true, &h->page_size));
  if (!valid_page_size (h->page_size))
    return jerror_at (c, "pageSize", "invalid page size \"%s\" (expected a number and KB, MB or GB)", h->page_size);
  CHECK (ju64 (c, v, "limit", true, UINT64_MAX, NULL, &h->limit));
  return 0;
}

static int
net_priority (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_net_priority *p = elem;

  (void)keyname;
  CHECK (jstr (c, v, "name", true, &p->name));
  CHECK (ju32 (c, v, "priority", true, NULL, &p->priority));
  return 0;
}

static int
rdma_entry (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_rdma *r = elem;

  r->device = xstrdup (keyname);
  CHECK (ju32 (c, v, "hcaHandles", false, &r->has_hca_handles, &r->hca_handles));
  CHECK (ju32 (c, v, "hcaObjects", false, &r->has_hca_objects, &r->hca_objects));
  return 0;
}

int
oci_parse_resources_obj (struct jctx *c, yajl_val v, oci_resources *r)
{
  yajl_val o;

  if (!YAJL_IS_OBJECT (v))
    return jerror (c, "expected an object, got %s", jtype_name (v));
  r->present = true;
  CHECK (jobjects (c, v, "devices", sizeof (oci_device_cgroup), &r->devices, &r->n_devices, device_cgroup));
  CHECK (jobj (c, v, "memory", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "memory");
      CHECK (parse_memory (c, o, &r->memory));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "cpu", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "cpu");
      CHECK (parse_cpu (c, o, &r->cpu));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "pids", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "pids");

      r->has_pids = true;
      CHECK (ji64 (c, o, "limit", true, INT64_MIN, INT64_MAX, NULL, &r->pids_limit));
      jpop (c, mark);
    }
  CHECK (jobj (c, v, "blockIO", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "blockIO");
      CHECK (parse_blkio (c, o, &r->block_io));
      jpop (c, mark);
    }
  CHECK (jobjects (c, v, "hugepageLimits", sizeof (oci_hugepage_limit), &r->hugepage_limits, &r->n_hugepage_limits,
                   hugepage_limit));
  CHECK (jobj (c, v, "network", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "network");

      r->has_network = true;
      CHECK (ju32 (c, o, "classID", false, &r->has_class_id, &r->class_id));
      CHECK (jobjects (c, o, "priorities", sizeof (oci_net_priority), &r->net_priorities, &r->n_net_priorities,
                       net_priority));
      jpop (c, mark);
    }
  CHECK (jmembers (c, v, "rdma", sizeof (oci_rdma), &r->rdma, &r->n_rdma, rdma_entry));
  CHECK (jmap (c, v, "unified", &r->unified));
  return 0;
}

void
oci_resources_clear (oci_resources *r)
{
  size_t i;

  if (r == NULL)
    return;
  for (i = 0; i < r->n_devices; i++)
    free (r->devices[i].access);
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->block_io.weight_device);
  free (r->block_io.throttle_read_bps);
  free (r->block_io.throttle_write_bps);
  free (r->block_io.throttle_read_iops);
  free (r->block_io.throttle_write_iops);
  for (i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  oci_map_clear (&r->unified);
  memset (r, 0, sizeof *r);
}

int
oci_resources_parse (const char *data, size_t len, const char *name, oci_resources *out, reg_error_t *err)
{
  struct jctx c;
  yajl_val tree = NULL;
  int ret;

  memset (out, 0, sizeof *out);
  jctx_init (&c, name ? name : "resources", err);
  ret = jparse (data, len, &c, &tree);
  if (ret == 0)
    {
      ret = oci_parse_resources_obj (&c, tree, out);
      yajl_tree_free (tree);
    }
  jctx_release (&c);
  if (ret < 0)
    oci_resources_clear (out);
  return ret;
}
