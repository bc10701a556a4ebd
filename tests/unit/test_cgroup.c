/* Unit tests of the cgroup decisions: linux.resources -> file writes on v1,
   hybrid and v2 layouts (carried out on a fake cgroupfs tree in a temporary
   directory), the device rules and the eBPF device program (run by a small
   interpreter of the instructions it uses), the stats document, sizes; the
   systemd driver's unit names and unit properties (resources, devices,
   org.systemd.property.* annotations).  */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "cgroup-internal.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "utils.h"

static char *tmp_root;

static void
parse (const char *json, oci_resources *r)
{
  reg_error_t err = NULL;
  int ret = oci_resources_parse (json, strlen (json), "test", r, &err);
  if (ret < 0)
    fail_msg ("parse: %s", err->msg);
}

/* A fake cgroup directory ROOT/SUB with the (empty) files FILES, as the
   kernel would offer them.  */
static char *
fake_dir (const char *sub, const char *const *files)
{
  char *dir;
  cleanup_free char *cmd = NULL;

  xasprintf (&dir, "%s/%s", tmp_root, sub);
  xasprintf (&cmd, "mkdir -p '%s'", dir);
  assert_int_equal (system (cmd), 0);
  for (; *files; files++)
    {
      cleanup_free char *f = NULL;
      int fd;
      xasprintf (&f, "%s/%s", dir, *files);
      fd = open (f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      assert_true (fd >= 0);
      close (fd);
    }
  return dir;
}

static char *
content (const char *dir, const char *file)
{
  cleanup_free char *f = NULL;
  char *out = NULL;
  xasprintf (&f, "%s/%s", dir, file);
  if (read_all_file (f, 0, &out, NULL, NULL) < 0)
    return xstrdup ("<missing>");
  return out;
}

static void
unlink_file (const char *dir, const char *file)
{
  cleanup_free char *f = NULL;
  xasprintf (&f, "%s/%s", dir, file);
  assert_int_equal (unlink (f), 0);
}

#define assert_file(dir, file, want)                                                                                   \
  do                                                                                                                   \
    {                                                                                                                  \
      cleanup_free char *c_ = content (dir, file);                                                                     \
      assert_string_equal (c_, want);                                                                                  \
    }                                                                                                                  \
  while (0)

static const char *
plan_value (const struct runtime_cgroup_plan *p, const char *file)
{
  const char *v = NULL;
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->w[i].file, file) == 0)
      v = p->w[i].value;
  return v;
}

static void
test_conversions (void **state)
{
  reg_error_t err = NULL;
  int64_t v;

  (void)state;
  assert_int_equal (runtime_cgroup_shares_to_weight (2), 1);
  assert_int_equal (runtime_cgroup_shares_to_weight (262144), 10000);
  assert_int_equal (runtime_cgroup_shares_to_weight (1024), 39);
  assert_int_equal (runtime_cgroup_shares_to_weight (0), 0);
  assert_int_equal (runtime_cgroup_blkio_to_io_weight (10), 1);
  assert_int_equal (runtime_cgroup_blkio_to_io_weight (1000), 10000);
  assert_int_equal (runtime_cgroup_blkio_to_io_weight (500), 4950);

  assert_int_equal (runtime_cgroup_swap_v2 (300, 100, &v, &err), 0);
  assert_int_equal (v, 200);
  assert_int_equal (runtime_cgroup_swap_v2 (-1, 100, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_int_equal (runtime_cgroup_swap_v2 (0, -1, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_true (runtime_cgroup_swap_v2 (50, 100, &v, &err) < 0);
  reg_error_release (&err);
  assert_true (runtime_cgroup_swap_v2 (300, 0, &v, &err) < 0);
  reg_error_release (&err);
}

static void
test_parse_bytes (void **state)
{
  static const struct
  {
    const char *in;
    int64_t out;
  } ok[] = {
    { "4096", 4096 },      { "512m", 512LL << 20 },   { "512M", 512LL << 20 },
    { "1g", 1LL << 30 },   { "1024k", 1024LL << 10 }, { "1.5g", 3LL << 29 },
    { "2MiB", 2LL << 20 }, { "64mb", 64LL << 20 },    { "-1", -1 },
    { "10 k", 10240 },
  };
  static const char *const bad[] = { "", "m", "12x", "-5", "abc", "1e99g", "0x10", "1e3", "99999999999p" };
  reg_error_t err = NULL;
  int64_t v;

  (void)state;
  for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    {
      assert_int_equal (runtime_cgroup_parse_bytes (ok[i].in, &v, &err), 0);
      assert_int_equal (v, ok[i].out);
    }
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_true (runtime_cgroup_parse_bytes (bad[i], &v, &err) < 0);
      reg_error_release (&err);
    }
}

/* Pure v2: every resource on the unified files, carried out on a fake
   tree.  */
static void
test_v2_mapping (void **state)
{
  static const char *const files[]
      = { "memory.max",    "memory.low", "memory.swap.max", "cpu.weight",           "cpu.max",
          "cpu.max.burst", "cpu.idle",   "cpuset.cpus",     "cpuset.mems",          "pids.max",
          "io.bfq.weight", "io.max",     "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max",
          "memory.high",   NULL };
  const char *json = "{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":209715200,"
                     "\"kernel\":1000,\"useHierarchy\":true},"
                     "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":1000,\"idle\":1,"
                     "\"cpus\":\"0-1\",\"mems\":\"0\"},"
                     "\"pids\":{\"limit\":42},"
                     "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
                     "\"rate\":1048576}]},"
                     "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
                     "\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}},"
                     "\"unified\":{\"memory.high\":\"90000000\"}}";
  struct runtime_cgroup_layout l = { .v2 = true };
  struct runtime_cgroup_plan p = { 0 };
  oci_resources r;
  reg_error_t err = NULL;
  cleanup_free char *dir = fake_dir ("v2/ctr", files);
  char *paths[] = { dir, NULL };
  cleanup_free char *root = NULL;

  (void)state;
  xasprintf (&root, "%s/v2", tmp_root);
  parse (json, &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_int_equal (runtime_cgroup_write_plan (paths, root, &l, &p, &err), 0);
  assert_file (dir, "memory.max", "104857600");
  assert_file (dir, "memory.low", "52428800");
  assert_file (dir, "memory.swap.max", "104857600");
  assert_file (dir, "cpu.weight", "39");
  assert_file (dir, "cpu.max", "50000 100000");
  assert_file (dir, "cpu.max.burst", "1000");
  assert_file (dir, "cpu.idle", "1");
  assert_file (dir, "cpuset.cpus", "0-1");
  assert_file (dir, "cpuset.mems", "0");
  assert_file (dir, "pids.max", "42");
  /* BFQ takes the v1 scale.  */
  assert_file (dir, "io.bfq.weight", "500");
  assert_file (dir, "io.max", "8:0 rbps=1048576");
  assert_file (dir, "hugetlb.2MB.max", "4194304");
  assert_file (dir, "hugetlb.2MB.rsvd.max", "4194304");
  assert_file (dir, "rdma.max", "mlx5_0 hca_handle=3 hca_object=max");
  assert_file (dir, "memory.high", "90000000");
  /* Nothing v1 in the v2 plan.  */
  assert_null (plan_value (&p, "memory.swappiness"));
  assert_null (plan_value (&p, "cpu.shares"));
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);

  /* Unlimited memory, no swap: both unlimited; quota alone: the default
     period; a realtime setting is an error on v2.  */
  parse ("{\"memory\":{\"limit\":-1},\"cpu\":{\"quota\":-1,\"period\":20000}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_string_equal (plan_value (&p, "memory.max"), "max");
  assert_string_equal (plan_value (&p, "memory.swap.max"), "max");
  assert_string_equal (plan_value (&p, "cpu.max"), "max 20000");
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  parse ("{\"cpu\":{\"realtimeRuntime\":1000}}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "realtime"));
  reg_error_release (&err);
  oci_resources_clear (&r);
  /* A swap below the memory limit.  */
  parse ("{\"memory\":{\"limit\":1000,\"swap\":10}}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  reg_error_release (&err);
  oci_resources_clear (&r);
  /* A missing mandatory file is an error naming it.  */
  parse ("{\"pids\":{\"limit\":5},\"unified\":{\"nosuch.file\":\"1\"}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (paths, root, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "nosuch.file"));
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  parse ("{\"unified\":{\"../x\":\"1\"}}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  reg_error_release (&err);
  oci_resources_clear (&r);
}

/* What cgroup v2 cannot apply fails with one line naming the field, never
   a warning; where one of two files will do, the other is used.  */
static void
test_v2_refusals (void **state)
{
  static const struct
  {
    const char *json, *msg;
  } bad[] = {
    { "{\"network\":{\"classID\":1048577}}", "linux.resources.network: not available on cgroup v2" },
    { "{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]}}",
      "linux.resources.network: not available on cgroup v2" },
    { "{\"memory\":{\"swappiness\":10}}", "linux.resources.memory.swappiness: not available on cgroup v2" },
    { "{\"memory\":{\"disableOOMKiller\":true}}",
      "linux.resources.memory.disableOOMKiller: not available on cgroup v2" },
    { "{\"memory\":{\"useHierarchy\":false}}",
      "linux.resources.memory.useHierarchy: false: not available on cgroup v2" },
    { "{\"blockIO\":{\"leafWeight\":10}}", "linux.resources.blockIO.leafWeight: not available on cgroup v2" },
    { "{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"leafWeight\":10}]}}",
      "linux.resources.blockIO.weightDevice[].leafWeight: not available on cgroup v2" },
  };
  static const char *const no_files[] = { NULL };
  static const char *const iocost[] = { "io.weight", NULL };
  struct runtime_cgroup_layout l = { .v2 = true };
  struct runtime_cgroup_plan p = { 0 };
  oci_resources r;
  reg_error_t err = NULL;
  cleanup_free char *bare = fake_dir ("v2r/bare", no_files);
  cleanup_free char *io = fake_dir ("v2r/io", iocost);
  char *bare_paths[] = { bare, NULL };
  char *io_paths[] = { io, NULL };
  cleanup_free char *root = NULL;

  (void)state;
  xasprintf (&root, "%s/v2r", tmp_root);
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      parse (bad[i].json, &r);
      assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
      assert_string_equal (err->msg, bad[i].msg);
      assert_int_equal (p.n, 0);
      reg_error_release (&err);
      oci_resources_clear (&r);
    }
  /* An empty network object asks for nothing.  */
  parse ("{\"network\":{}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_int_equal (p.n, 0);
  oci_resources_clear (&r);

  /* A controller the cgroup lacks (no rdma, no io files): an error naming
     the field and the files, at write time.  */
  parse ("{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (bare_paths, root, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.rdma: cannot be applied: no `rdma.max`"));
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  parse ("{\"blockIO\":{\"weight\":500}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (bare_paths, root, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.blockIO: cannot be applied: no `io.bfq.weight` or `io.weight`"));
  reg_error_release (&err);
  /* Without BFQ, io.weight on its own scale.  */
  assert_int_equal (runtime_cgroup_write_plan (io_paths, root, &l, &p, &err), 0);
  assert_file (io, "io.weight", "default 4950");
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  /* Swap unlimited where swap is not accounted: nothing to enforce.  */
  parse ("{\"memory\":{\"swap\":-1}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_int_equal (runtime_cgroup_write_plan (bare_paths, root, &l, &p, &err), 0);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  /* A swap limit there cannot be applied.  */
  parse ("{\"memory\":{\"limit\":1000,\"swap\":2000}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (bare_paths, root, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.memory: cannot be applied"));
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
}

/* v1 (with co-mounted cpu,cpuacct, BFQ-only blkio, hugetlb in the cgroup2
   hierarchy as on this machine).  */
static void
test_v1_mapping (void **state)
{
  static const char *const mem_files[] = { "memory.limit_in_bytes",
                                           "memory.soft_limit_in_bytes",
                                           "memory.memsw.limit_in_bytes",
                                           "memory.swappiness",
                                           "memory.oom_control",
                                           "memory.kmem.tcp.limit_in_bytes",
                                           NULL };
  static const char *const cpu_files[]
      = { "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.rt_period_us", "cpu.rt_runtime_us", NULL };
  static const char *const cpuset_files[] = { "cpuset.cpus", "cpuset.mems", NULL };
  static const char *const pids_files[] = { "pids.max", NULL };
  static const char *const blkio_files[] = { "blkio.bfq.weight", "blkio.throttle.write_iops_device", NULL };
  static const char *const unified_files[] = { "hugetlb.2MB.max", "memory.high", NULL };
  static const char *const net_files[] = { "net_cls.classid", "net_prio.ifpriomap", NULL };
  const char *json = "{\"memory\":{\"limit\":104857600,\"reservation\":1000,\"swap\":209715200,"
                     "\"swappiness\":0,\"disableOOMKiller\":true,\"kernelTCP\":5},"
                     "\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":50000,\"realtimePeriod\":1000000,"
                     "\"realtimeRuntime\":950000,\"cpus\":\"0\",\"mems\":\"0\"},"
                     "\"pids\":{\"limit\":-1},"
                     "\"blockIO\":{\"weight\":300,\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,"
                     "\"rate\":100}]},"
                     "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}],"
                     "\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
                     "\"unified\":{\"memory.high\":\"max\"}}";
  struct runtime_cgroup_layout l = { .unified = true, .net_v1 = true };
  struct runtime_cgroup_plan p = { 0 };
  oci_resources r;
  reg_error_t err = NULL;
  cleanup_free char *mem = fake_dir ("v1/memory/c", mem_files);
  cleanup_free char *cpu = fake_dir ("v1/cpu,cpuacct/c", cpu_files);
  cleanup_free char *cpuset = fake_dir ("v1/cpuset/c", cpuset_files);
  cleanup_free char *pids = fake_dir ("v1/pids/c", pids_files);
  cleanup_free char *blkio = fake_dir ("v1/blkio/c", blkio_files);
  cleanup_free char *uni = fake_dir ("v1/unified/c", unified_files);
  cleanup_free char *net = fake_dir ("v1/net_cls,net_prio/c", net_files);
  char *paths[] = { mem, cpu, cpuset, pids, blkio, uni, net, NULL };
  cleanup_free char *root = NULL;

  (void)state;
  xasprintf (&root, "%s/v1", tmp_root);
  assert_string_equal (runtime_cgroup_dir_for (paths, root, &l, "cpuacct"), cpu);
  assert_string_equal (runtime_cgroup_dir_for (paths, root, &l, ""), uni);
  assert_null (runtime_cgroup_dir_for (paths, root, &l, "freezer"));
  parse (json, &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_int_equal (runtime_cgroup_write_plan (paths, root, &l, &p, &err), 0);
  assert_file (mem, "memory.limit_in_bytes", "104857600");
  assert_file (mem, "memory.soft_limit_in_bytes", "1000");
  /* v1 takes the memory+swap total as given.  */
  assert_file (mem, "memory.memsw.limit_in_bytes", "209715200");
  assert_file (mem, "memory.swappiness", "0");
  assert_file (mem, "memory.oom_control", "1");
  assert_file (mem, "memory.kmem.tcp.limit_in_bytes", "5");
  assert_file (cpu, "cpu.shares", "512");
  assert_file (cpu, "cpu.cfs_period_us", "50000");
  assert_file (cpu, "cpu.cfs_quota_us", "20000");
  assert_file (cpu, "cpu.rt_period_us", "1000000");
  assert_file (cpu, "cpu.rt_runtime_us", "950000");
  assert_file (cpuset, "cpuset.cpus", "0");
  assert_file (pids, "pids.max", "max");
  assert_file (blkio, "blkio.bfq.weight", "300");
  assert_file (blkio, "blkio.throttle.write_iops_device", "8:16 100");
  assert_file (uni, "hugetlb.2MB.max", "2097152");
  assert_file (uni, "memory.high", "max");
  assert_file (net, "net_cls.classid", "1048577");
  assert_file (net, "net_prio.ifpriomap", "eth0 5");
  /* The period is planned before the quota, limit before memsw.  */
  {
    size_t per = 0, quo = 0, lim = 0, sw = 0;
    for (size_t i = 0; i < p.n; i++)
      {
        if (strcmp (p.w[i].file, "cpu.cfs_period_us") == 0)
          per = i;
        if (strcmp (p.w[i].file, "cpu.cfs_quota_us") == 0)
          quo = i;
        if (strcmp (p.w[i].file, "memory.limit_in_bytes") == 0)
          lim = i;
        if (strcmp (p.w[i].file, "memory.memsw.limit_in_bytes") == 0)
          sw = i;
      }
    assert_true (per < quo);
    assert_true (lim < sw);
  }
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);

  /* Unlimited memory, swap unset: memory+swap unlimited too.  */
  parse ("{\"memory\":{\"limit\":-1}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_string_equal (plan_value (&p, "memory.limit_in_bytes"), "-1");
  assert_string_equal (plan_value (&p, "memory.memsw.limit_in_bytes"), "-1");
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);

  /* Pure v1: `unified` and hugetlb without a controller are errors.  */
  l.unified = false;
  parse ("{\"unified\":{\"memory.high\":\"1\"}}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "unified"));
  reg_error_release (&err);
  oci_resources_clear (&r);
  parse ("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  reg_error_release (&err);
  oci_resources_clear (&r);
  l.hugetlb_v1 = true;
  parse ("{\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":0}]}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_string_equal (p.w[0].ctrl, "hugetlb");
  assert_string_equal (p.w[0].file, "hugetlb.1GB.limit_in_bytes");
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);

  /* No net_cls/net_prio hierarchy on the host: refused at planning.  */
  l.net_v1 = false;
  parse ("{\"network\":{\"classID\":1048577}}", &r);
  assert_true (runtime_cgroup_plan_resources (&r, &l, &p, &err) < 0);
  assert_string_equal (err->msg, "linux.resources.network: no net_cls/net_prio controller on this host");
  reg_error_release (&err);
  oci_resources_clear (&r);
  /* No rdma hierarchy, no blkio weight file (neither CFQ nor BFQ), no
     leaf weight: errors naming the field, not warnings.  */
  parse ("{\"rdma\":{\"mlx5_0\":{\"hcaObjects\":3}}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (paths, root, &l, &p, &err) < 0);
  assert_string_equal (err->msg, "linux.resources.rdma: cannot set `rdma.max`: the container has no rdma cgroup");
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  unlink_file (blkio, "blkio.bfq.weight");
  parse ("{\"blockIO\":{\"weight\":300}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (paths, root, &l, &p, &err) < 0);
  assert_non_null (
      strstr (err->msg, "linux.resources.blockIO: cannot be applied: no `blkio.weight` or `blkio.bfq.weight`"));
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  parse ("{\"blockIO\":{\"leafWeight\":30}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_true (runtime_cgroup_write_plan (paths, root, &l, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.blockIO: cannot be applied: no `blkio.leaf_weight`"));
  reg_error_release (&err);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
  /* kernelTCP where the kernel has no file: a warning, set nothing.  */
  unlink_file (mem, "memory.kmem.tcp.limit_in_bytes");
  parse ("{\"memory\":{\"kernelTCP\":5}}", &r);
  assert_int_equal (runtime_cgroup_plan_resources (&r, &l, &p, &err), 0);
  assert_int_equal (runtime_cgroup_write_plan (paths, root, &l, &p, &err), 0);
  runtime_cgroup_plan_clear (&p);
  oci_resources_clear (&r);
}

static void
test_devices_v1 (void **state)
{
  struct runtime_device_rule *rules = NULL;
  struct runtime_cgroup_plan p = { 0 };
  size_t n = 0;
  oci_resources r;

  (void)state;
  parse ("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
         "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rw\"},"
         "{\"allow\":false,\"type\":\"b\",\"major\":8,\"access\":\"w\"}]}",
         &r);
  runtime_cgroup_device_rules (&r, &rules, &n);
  assert_true (n > 3);
  runtime_cgroup_plan_devices_v1 (rules, n, &p);
  /* In order, the deny-all first, then the defaults after the config's.  */
  assert_string_equal (p.w[0].file, "devices.deny");
  assert_string_equal (p.w[0].value, "a");
  assert_string_equal (p.w[1].file, "devices.allow");
  assert_string_equal (p.w[1].value, "c 10:200 rw");
  assert_string_equal (p.w[2].file, "devices.deny");
  assert_string_equal (p.w[2].value, "b 8:* w");
  assert_string_equal (p.w[3].value, "c *:* m");
  assert_string_equal (p.w[4].value, "b *:* m");
  assert_string_equal (p.w[5].value, "c 1:3 rwm");
  runtime_cgroup_plan_clear (&p);
  free (rules);
  oci_resources_clear (&r);
}

/* An interpreter of the instructions the generator emits, to check what the
   program decides for a device access.  */
static int
run_bpf (const struct bpf_insn *v, size_t n, uint32_t type, uint32_t access, uint32_t major, uint32_t minor)
{
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  uint64_t reg[11] = { 0 };
  size_t pc = 0;

  for (int steps = 0; steps < 10000 && pc < n; steps++)
    {
      const struct bpf_insn *i = &v[pc++];
      uint64_t *d = &reg[i->dst_reg];
      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM:
          assert_int_equal (i->src_reg, BPF_REG_1);
          assert_int_equal (i->off % 4, 0);
          *d = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          *d = (uint32_t)(*d & (uint32_t)i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          *d = (uint32_t)*d >> i->imm;
          break;
        case BPF_ALU64 | BPF_MOV | BPF_X:
          *d = reg[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          *d = (uint64_t)(int64_t)i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (*d != (uint64_t)(int64_t)i->imm)
            pc += (size_t)i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (*d == (uint64_t)(int64_t)i->imm)
            pc += (size_t)i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int)reg[0];
        default:
          fail_msg ("unexpected instruction 0x%02x at %zu", i->code, pc - 1);
        }
    }
  fail_msg ("the program did not exit");
  return -1;
}

static void
test_bpf_program (void **state)
{
  struct runtime_device_rule *rules = NULL;
  struct bpf_insn *v = NULL;
  size_t n = 0, ni = 0;
  oci_resources r;
  const uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
  const uint32_t RD = BPF_DEVCG_ACC_READ, WR = BPF_DEVCG_ACC_WRITE, MK = BPF_DEVCG_ACC_MKNOD;

  (void)state;
  parse ("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
         "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"r\"},"
         "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"rw\"},"
         "{\"allow\":false,\"type\":\"b\",\"major\":8,\"minor\":1,\"access\":\"w\"}]}",
         &r);
  runtime_cgroup_device_rules (&r, &rules, &n);
  runtime_cgroup_bpf_program (rules, n, &v, &ni);
  assert_true (ni < 4096);
  /* Defaults.  */
  assert_int_equal (run_bpf (v, ni, C, RD | WR, 1, 3), 1);
  assert_int_equal (run_bpf (v, ni, C, RD, 1, 9), 1);
  assert_int_equal (run_bpf (v, ni, C, RD | WR, 136, 7), 1);
  assert_int_equal (run_bpf (v, ni, C, MK, 4, 4), 1);
  assert_int_equal (run_bpf (v, ni, B, MK, 7, 0), 1);
  /* The deny-all.  */
  assert_int_equal (run_bpf (v, ni, C, RD, 1, 1), 0);
  assert_int_equal (run_bpf (v, ni, C, RD | WR, 4, 4), 0);
  assert_int_equal (run_bpf (v, ni, B, RD, 7, 0), 0);
  /* Access subsets.  */
  assert_int_equal (run_bpf (v, ni, C, RD, 10, 200), 1);
  assert_int_equal (run_bpf (v, ni, C, WR, 10, 200), 0);
  assert_int_equal (run_bpf (v, ni, C, RD | WR, 10, 200), 0);
  assert_int_equal (run_bpf (v, ni, C, RD, 10, 201), 0);
  /* The later deny wins over the earlier allow.  */
  assert_int_equal (run_bpf (v, ni, B, RD | WR, 8, 0), 1);
  assert_int_equal (run_bpf (v, ni, B, RD, 8, 1), 1);
  assert_int_equal (run_bpf (v, ni, B, WR, 8, 1), 0);
  free (v);
  free (rules);
  oci_resources_clear (&r);

  /* No deny-all: what no rule mentions stays allowed (v1's default).  */
  parse ("{\"devices\":[{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":1,\"access\":\"rwm\"}]}", &r);
  runtime_cgroup_device_rules (&r, &rules, &n);
  runtime_cgroup_bpf_program (rules, n, &v, &ni);
  assert_int_equal (run_bpf (v, ni, C, RD, 1, 1), 0);
  assert_int_equal (run_bpf (v, ni, C, RD, 4, 4), 1);
  free (v);
  free (rules);
  oci_resources_clear (&r);
}

static void
write_fake (const char *dir, const char *file, const char *text)
{
  cleanup_free char *f = NULL;
  reg_error_t err = NULL;
  xasprintf (&f, "%s/%s", dir, file);
  assert_int_equal (write_file (f, text, strlen (text), &err), 0);
}

static uint64_t
jnum (yajl_val root, const char **path)
{
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  if (v == NULL)
    fail_msg ("no number at %s...", path[0]);
  return (uint64_t)YAJL_GET_INTEGER (v);
}

static void
test_stats_v2 (void **state)
{
  static const char *const none[] = { NULL };
  cleanup_free char *dir = fake_dir ("s2/c", none);
  cleanup_free char *root = NULL;
  cleanup_free char *json = NULL;
  char *paths[] = { dir, NULL };
  struct runtime_cgroup_layout l = { .v2 = true };
  reg_error_t err = NULL;
  char ebuf[256];
  yajl_val t;

  (void)state;
  xasprintf (&root, "%s/s2", tmp_root);
  write_fake (dir, "cpu.stat",
              "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\n"
              "throttled_usec 30\n");
  write_fake (dir, "memory.current", "4096\n");
  write_fake (dir, "memory.max", "max\n");
  write_fake (dir, "memory.peak", "8192\n");
  write_fake (dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  write_fake (dir, "memory.stat", "anon 100\nfile 200\n");
  write_fake (dir, "memory.swap.current", "512\n");
  write_fake (dir, "memory.swap.max", "1024\n");
  write_fake (dir, "memory.swap.peak", "768\n");
  write_fake (dir, "memory.swap.events", "high 0\nmax 5\nfail 0\n");
  write_fake (dir, "pids.current", "2\n");
  write_fake (dir, "pids.max", "64\n");
  write_fake (dir, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  write_fake (dir, "hugetlb.2MB.current", "0\n");
  write_fake (dir, "hugetlb.2MB.max", "max\n");
  write_fake (dir, "hugetlb.2MB.events", "max 4\n");
  assert_int_equal (runtime_cgroup_stats_json (paths, root, &l, "ctr", &json, &err), 0);
  t = yajl_tree_parse (json, ebuf, sizeof (ebuf));
  assert_non_null (t);
  assert_string_equal (YAJL_GET_STRING (yajl_tree_get (t, (const char *[]){ "type", NULL }, yajl_t_string)), "stats");
  assert_string_equal (YAJL_GET_STRING (yajl_tree_get (t, (const char *[]){ "id", NULL }, yajl_t_string)), "ctr");
  assert_int_equal (jnum (t, (const char *[]){ "data", "cpu", "usage", "total", NULL }), 1500000);
  assert_int_equal (jnum (t, (const char *[]){ "data", "cpu", "usage", "kernel", NULL }), 500000);
  assert_int_equal (jnum (t, (const char *[]){ "data", "cpu", "throttling", "throttled_periods", NULL }), 2);
  assert_int_equal (jnum (t, (const char *[]){ "data", "cpu", "throttling", "throttled_time", NULL }), 30000);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "usage", NULL }), 4096);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "limit", NULL }), 0);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "max", NULL }), 8192);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "failcnt", NULL }), 3);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "swap", "usage", NULL }), 512);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "swap", "limit", NULL }), 1024);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "swap", "max", NULL }), 768);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "swap", "failcnt", NULL }), 5);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "cache", NULL }), 200);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "raw", "anon", NULL }), 100);
  assert_int_equal (jnum (t, (const char *[]){ "data", "pids", "current", NULL }), 2);
  assert_int_equal (jnum (t, (const char *[]){ "data", "pids", "limit", NULL }), 64);
  assert_int_equal (jnum (t, (const char *[]){ "data", "hugetlb", "2MB", "failcnt", NULL }), 4);
  {
    uint64_t k = 0;
    assert_true (runtime_cgroup_oom_kills (paths, root, &l, &k));
    assert_int_equal (k, 1);
  }
  {
    yajl_val a = yajl_tree_get (t, (const char *[]){ "data", "blkio", "ioServiceBytesRecursive", NULL }, yajl_t_array);
    assert_non_null (a);
    assert_int_equal (YAJL_GET_ARRAY (a)->len, 2);
    assert_int_equal (jnum (YAJL_GET_ARRAY (a)->values[1], (const char *[]){ "value", NULL }), 20);
  }
  yajl_tree_free (t);
}

static void
test_stats_v1 (void **state)
{
  static const char *const none[] = { NULL };
  cleanup_free char *acct = fake_dir ("s1/cpuacct/c", none);
  cleanup_free char *mem = fake_dir ("s1/memory/c", none);
  cleanup_free char *pids = fake_dir ("s1/pids/c", none);
  cleanup_free char *root = NULL;
  cleanup_free char *json = NULL;
  char *paths[] = { acct, mem, pids, NULL };
  struct runtime_cgroup_layout l = { 0 };
  reg_error_t err = NULL;
  char ebuf[256];
  yajl_val t, pc;

  (void)state;
  xasprintf (&root, "%s/s1", tmp_root);
  write_fake (acct, "cpuacct.usage", "123456\n");
  write_fake (acct, "cpuacct.usage_percpu", "100000 23456 \n");
  write_fake (mem, "memory.usage_in_bytes", "65536\n");
  write_fake (mem, "memory.limit_in_bytes", "1048576\n");
  write_fake (mem, "memory.failcnt", "9\n");
  write_fake (mem, "memory.memsw.usage_in_bytes", "70000\n");
  write_fake (mem, "memory.stat", "cache 512\nrss 1024\n");
  write_fake (mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  write_fake (pids, "pids.current", "1\n");
  write_fake (pids, "pids.max", "max\n");
  assert_int_equal (runtime_cgroup_stats_json (paths, root, &l, "c1", &json, &err), 0);
  t = yajl_tree_parse (json, ebuf, sizeof (ebuf));
  assert_non_null (t);
  assert_int_equal (jnum (t, (const char *[]){ "data", "cpu", "usage", "total", NULL }), 123456);
  pc = yajl_tree_get (t, (const char *[]){ "data", "cpu", "usage", "percpu", NULL }, yajl_t_array);
  assert_non_null (pc);
  assert_int_equal (YAJL_GET_ARRAY (pc)->len, 2);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "usage", NULL }), 65536);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "limit", NULL }), 1048576);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "usage", "failcnt", NULL }), 9);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "swap", "usage", NULL }), 70000);
  assert_int_equal (jnum (t, (const char *[]){ "data", "memory", "cache", NULL }), 512);
  assert_int_equal (jnum (t, (const char *[]){ "data", "pids", "current", NULL }), 1);
  assert_int_equal (jnum (t, (const char *[]){ "data", "pids", "limit", NULL }), 0);
  {
    uint64_t k = 0;
    assert_true (runtime_cgroup_oom_kills (paths, root, &l, &k));
    assert_int_equal (k, 2);
  }
  yajl_tree_free (t);
}

/* v2 freeze/thaw: cgroup.freeze written, cgroup.events awaited (the fake
   kernel has already answered), the frozen state read back.  */
static void
test_freeze_v2 (void **state)
{
  static const char *const files[] = { "cgroup.freeze", "cgroup.events", NULL };
  cleanup_free char *dir = fake_dir ("f2/c", files);
  char *paths[] = { dir, NULL };
  struct runtime_cgroup cg = { .ops = &runtime_cgroup_manager_v2, .paths = paths };
  reg_error_t err = NULL;

  (void)state;
  write_fake (dir, "cgroup.events", "populated 1\nfrozen 1\n");
  assert_false (runtime_cgroup_frozen (&cg));
  assert_int_equal (runtime_cgroup_freeze (&cg, &err), 0);
  assert_file (dir, "cgroup.freeze", "1");
  assert_true (runtime_cgroup_frozen (&cg));
  write_fake (dir, "cgroup.events", "populated 1\nfrozen 0\n");
  assert_int_equal (runtime_cgroup_thaw (&cg, &err), 0);
  assert_file (dir, "cgroup.freeze", "0");
  assert_false (runtime_cgroup_frozen (&cg));
}

/* ---- the systemd driver ---- */

static void
check_names (const char *cgroups_path, const char *want_slice, const char *want_unit)
{
  reg_error_t err = NULL;
  cleanup_free char *slice = NULL;
  cleanup_free char *unit = NULL;
  int ret = runtime_cgroup_systemd_names (cgroups_path, "ID", &slice, &unit, &err);
  if (ret < 0)
    fail_msg ("%s: %s", cgroups_path, err->msg);
  assert_string_equal (slice, want_slice);
  assert_string_equal (unit, want_unit);
}

static void
test_sd_names (void **state)
{
  reg_error_t err = NULL;
  char *slice = NULL, *unit = NULL;
  (void)state;

  check_names ("machine.slice:libpod:abc", "machine.slice", "libpod-abc.scope");
  check_names ("kubepods-burstable-pod1.slice:cri-containerd:abc", "kubepods-burstable-pod1.slice",
               "cri-containerd-abc.scope");
  check_names (NULL, "system.slice", "reg-runc-ID.scope");
  check_names ("", "system.slice", "reg-runc-ID.scope");
  check_names (":p:", "system.slice", "p-ID.scope");
  check_names ("machine.slice::n", "machine.slice", "n.scope");
  check_names ("machine.slice:p:x.scope", "machine.slice", "p-x.scope");
  check_names ("-.slice:p:n", "-.slice", "p-n.scope");
  assert_true (runtime_cgroup_systemd_names ("/a/b", "ID", &slice, &unit, &err) < 0);
  assert_non_null (strstr (err->msg, "slice:prefix:name"));
  reg_error_release (&err);
  assert_true (runtime_cgroup_systemd_names ("a:b:c:d", "ID", &slice, &unit, &err) < 0);
  reg_error_release (&err);
  assert_true (runtime_cgroup_systemd_names ("notaslice:p:n", "ID", &slice, &unit, &err) < 0);
  reg_error_release (&err);
  assert_true (runtime_cgroup_systemd_names ("a--b.slice:p:n", "ID", &slice, &unit, &err) < 0);
  reg_error_release (&err);
}

static const struct runtime_sd_prop *
prop (const struct runtime_sd_props *p, const char *name, const char *sig)
{
  const struct runtime_sd_prop *e = runtime_sd_props_find (p, name);
  if (e == NULL)
    fail_msg ("no property %s", name);
  assert_string_equal (e->sig, sig);
  return e;
}

#define assert_u64_prop(p, name, want) assert_true (prop ((p), (name), "t")->u == (uint64_t)(want))

static void
resource_props (const char *json, const struct runtime_sd_host *h, bool devices, struct runtime_sd_props *out)
{
  oci_resources r = { 0 };
  reg_error_t err = NULL;
  parse (json, &r);
  if (runtime_sd_resource_props (&r, h, devices, out, &err) < 0)
    fail_msg ("%s: %s", json, err->msg);
  oci_resources_clear (&r);
}

static void
test_sd_resources_v2 (void **state)
{
  struct runtime_sd_host h = { .v2 = true, .version = 252 };
  struct runtime_sd_props p = { 0 };
  const struct runtime_sd_prop *e;
  (void)state;

  resource_props ("{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728},"
                  " \"cpu\": {\"shares\": 512, \"quota\": 12345, \"period\": 100000, \"cpus\": \"0-3,8\","
                  " \"mems\": \"0\"},"
                  " \"pids\": {\"limit\": 42}, \"blockIO\": {\"weight\": 500}}",
                  &h, false, &p);
  assert_u64_prop (&p, "MemoryMax", 67108864);
  assert_u64_prop (&p, "MemoryLow", 33554432);
  /* v1's memory+swap total, as v2's swap alone */
  assert_u64_prop (&p, "MemorySwapMax", 134217728 - 67108864);
  assert_u64_prop (&p, "CPUWeight", runtime_cgroup_shares_to_weight (512));
  /* 12.345 % rounded up to whole percents */
  assert_u64_prop (&p, "CPUQuotaPerSecUSec", 130000);
  assert_u64_prop (&p, "CPUQuotaPeriodUSec", 100000);
  assert_u64_prop (&p, "TasksMax", 42);
  assert_u64_prop (&p, "IOWeight", runtime_cgroup_blkio_to_io_weight (500));
  e = prop (&p, "AllowedCPUs", "ay");
  assert_int_equal (e->n, 2);
  assert_int_equal (e->bytes[0], 0x0f);
  assert_int_equal (e->bytes[1], 0x01);
  e = prop (&p, "AllowedMemoryNodes", "ay");
  assert_int_equal (e->n, 1);
  assert_int_equal (e->bytes[0], 0x01);
  assert_null (runtime_sd_props_find (&p, "CPUShares"));
  assert_null (runtime_sd_props_find (&p, "DevicePolicy"));
  runtime_sd_props_clear (&p);

  /* -1: systemd's infinity; 0 and absent: not set */
  resource_props ("{\"memory\": {\"limit\": -1, \"swap\": -1}, \"cpu\": {\"quota\": -1}, \"pids\": {\"limit\": -1}}",
                  &h, false, &p);
  assert_u64_prop (&p, "MemoryMax", RUNTIME_SD_INFINITY);
  assert_u64_prop (&p, "MemorySwapMax", RUNTIME_SD_INFINITY);
  assert_u64_prop (&p, "CPUQuotaPerSecUSec", RUNTIME_SD_INFINITY);
  assert_u64_prop (&p, "TasksMax", RUNTIME_SD_INFINITY);
  assert_null (runtime_sd_props_find (&p, "CPUQuotaPeriodUSec"));
  runtime_sd_props_clear (&p);
  resource_props ("{\"memory\": {\"limit\": 0}, \"pids\": {\"limit\": 0}, \"cpu\": {\"cpus\": \"\"}}", &h, false, &p);
  assert_int_equal (p.n, 0);
  runtime_sd_props_clear (&p);

  /* Older managers: no CPUQuotaPeriodUSec before 242, no AllowedCPUs
     before 244.  */
  h.version = 243;
  resource_props ("{\"cpu\": {\"quota\": 50000, \"period\": 100000, \"cpus\": \"1\"}}", &h, false, &p);
  assert_u64_prop (&p, "CPUQuotaPeriodUSec", 100000);
  assert_null (runtime_sd_props_find (&p, "AllowedCPUs"));
  runtime_sd_props_clear (&p);
  h.version = 239;
  resource_props ("{\"cpu\": {\"quota\": 50000, \"period\": 100000}}", &h, false, &p);
  assert_u64_prop (&p, "CPUQuotaPerSecUSec", 500000);
  assert_null (runtime_sd_props_find (&p, "CPUQuotaPeriodUSec"));
  runtime_sd_props_clear (&p);
}

static void
test_sd_resources_v1 (void **state)
{
  struct runtime_sd_host h = { .v2 = false, .version = 252 };
  struct runtime_sd_props p = { 0 };
  oci_resources r = { 0 };
  reg_error_t err = NULL;
  (void)state;

  resource_props ("{\"memory\": {\"limit\": 67108864, \"reservation\": 1048576, \"swap\": 134217728},"
                  " \"cpu\": {\"shares\": 512, \"quota\": 25000, \"cpus\": \"0\"},"
                  " \"pids\": {\"limit\": 42}, \"blockIO\": {\"weight\": 500}}",
                  &h, false, &p);
  assert_u64_prop (&p, "MemoryMax", 67108864);
  /* the kernel's value as it is (CPUWeight would be converted back) */
  assert_u64_prop (&p, "CPUShares", 512);
  assert_u64_prop (&p, "CPUQuotaPerSecUSec", 250000);
  assert_u64_prop (&p, "TasksMax", 42);
  assert_u64_prop (&p, "BlockIOWeight", 500);
  /* unified-only properties are left to the files */
  assert_null (runtime_sd_props_find (&p, "CPUWeight"));
  assert_null (runtime_sd_props_find (&p, "MemoryLow"));
  assert_null (runtime_sd_props_find (&p, "MemorySwapMax"));
  assert_null (runtime_sd_props_find (&p, "AllowedCPUs"));
  assert_null (runtime_sd_props_find (&p, "IOWeight"));
  runtime_sd_props_clear (&p);

  /* An invalid cpuset is refused (v2) before anything starts.  */
  h.v2 = true;
  parse ("{\"cpu\": {\"cpus\": \"3-1\"}}", &r);
  assert_true (runtime_sd_resource_props (&r, &h, false, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "cpus"));
  reg_error_release (&err);
  oci_resources_clear (&r);
  runtime_sd_props_clear (&p);
}

static void
test_sd_cpuset_mask (void **state)
{
  uint8_t *m = NULL;
  size_t n = 0;
  reg_error_t err = NULL;
  const char *bad[] = { "3-1", "a", "1-", "-1", "1,,x", "99999", "1 2", NULL };
  (void)state;

  assert_int_equal (runtime_sd_cpuset_mask ("1,3", &m, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (m[0], 0x0a);
  free (m);
  assert_int_equal (runtime_sd_cpuset_mask ("0-9, 15", &m, &n, &err), 0);
  assert_int_equal (n, 2);
  assert_int_equal (m[0], 0xff);
  assert_int_equal (m[1], 0x83);
  free (m);
  for (const char **b = bad; *b; b++)
    {
      m = NULL;
      if (runtime_sd_cpuset_mask (*b, &m, &n, &err) == 0)
        fail_msg ("`%s` accepted", *b);
      reg_error_release (&err);
    }
}

static const char proc_devices[] = "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  5 /dev/tty\n"
                                   "  5 /dev/console\n  5 /dev/ptmx\n136 pts\n\nBlock devices:\n  7 loop\n  8 sd\n";

/* DeviceAllow as "path perms" lines, in order.  */
static char *
device_allow (const struct runtime_sd_props *p, const char *want_policy)
{
  const struct runtime_sd_prop *pol = prop (p, "DevicePolicy", "s");
  const struct runtime_sd_prop *e = prop (p, "DeviceAllow", "a(ss)");
  char *out = xstrdup ("");
  assert_string_equal (pol->s, want_policy);
  for (char **pp = e->strv; pp && pp[0]; pp += 2)
    {
      char *t;
      xasprintf (&t, "%s%s %s\n", out, pp[0], pp[1]);
      free (out);
      out = t;
    }
  return out;
}

static void
test_sd_devices (void **state)
{
  struct runtime_sd_host h = { .v2 = true, .version = 252, .proc_devices = proc_devices };
  struct runtime_sd_props p = { 0 };
  (void)state;

  /* What Podman sends: deny all, then a few; the defaults follow.  */
  resource_props ("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                  " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 200, \"access\": \"rwm\"},"
                  " {\"allow\": true, \"type\": \"b\", \"major\": 7, \"access\": \"rw\"}]}",
                  &h, true, &p);
  {
    cleanup_free char *l = device_allow (&p, "strict");
    assert_string_equal (l, "/dev/char/10:200 rwm\n"
                            "block-loop rw\n"
                            "char-* m\n"
                            "block-* m\n"
                            "/dev/char/1:3 rwm\n"
                            "/dev/char/1:5 rwm\n"
                            "/dev/char/1:7 rwm\n"
                            "/dev/char/1:8 rwm\n"
                            "/dev/char/1:9 rwm\n"
                            "/dev/char/5:0 rwm\n"
                            "/dev/char/5:1 rwm\n"
                            "/dev/char/5:2 rwm\n"
                            "char-pts rwm\n");
  }
  runtime_sd_props_clear (&p);

  /* Without devices (update), or without rules: no device properties.  */
  resource_props ("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}", &h, false, &p);
  assert_null (runtime_sd_props_find (&p, "DevicePolicy"));
  runtime_sd_props_clear (&p);
  resource_props ("{\"memory\": {\"limit\": 1048576}}", &h, true, &p);
  assert_null (runtime_sd_props_find (&p, "DevicePolicy"));
  runtime_sd_props_clear (&p);

  /* Denies after allows narrow the list; a wildcard allow cannot be split
     (kept whole: systemd never stricter than the rules); what systemd has
     no name for widens to the kind; a deny list is "auto".  */
  {
    struct runtime_device_rule rules[] = {
      { false, 'a', -1, -1, 7 },
      { true, 'c', 1, 3, 7 },
      { false, 'c', 1, 3, RUNTIME_DEV_WRITE },
      { true, 'c', 1, -1, RUNTIME_DEV_READ },
      { false, 'c', 1, 5, RUNTIME_DEV_READ },
      { true, 'c', -1, 9, RUNTIME_DEV_READ },
      { true, 'b', 250, -1, RUNTIME_DEV_READ },
      { true, 'c', 4, 4, 7 },
      { false, 'c', 4, 4, 7 },
    };
    cleanup_free char *l = NULL;
    runtime_sd_device_props (rules, sizeof rules / sizeof rules[0], proc_devices, &p);
    l = device_allow (&p, "strict");
    assert_string_equal (l, "/dev/char/1:3 rm\n"
                            "char-mem r\n"
                            "char-* r\n"
                            "block-* r\n");
    runtime_sd_props_clear (&p);
  }
  {
    struct runtime_device_rule rules[] = { { false, 'c', 1, 3, 7 } };
    cleanup_free char *l = NULL;
    runtime_sd_device_props (rules, 1, proc_devices, &p);
    l = device_allow (&p, "auto");
    assert_string_equal (l, "");
    runtime_sd_props_clear (&p);
  }
  {
    struct runtime_device_rule rules[] = { { false, 'a', -1, -1, 7 }, { true, 'a', -1, -1, 7 } };
    cleanup_free char *l = NULL;
    runtime_sd_device_props (rules, 2, NULL, &p);
    l = device_allow (&p, "auto");
    assert_string_equal (l, "");
    runtime_sd_props_clear (&p);
  }
  {
    /* No /proc/devices: a "c 136:*" rule widens to the kind.  */
    struct runtime_device_rule rules[] = { { false, 'a', -1, -1, 7 }, { true, 'c', 136, -1, 7 } };
    cleanup_free char *l = NULL;
    runtime_sd_device_props (rules, 2, NULL, &p);
    l = device_allow (&p, "strict");
    assert_string_equal (l, "char-* rwm\n");
    runtime_sd_props_clear (&p);
  }
}

static void
test_sd_scope (void **state)
{
  struct runtime_sd_host h = { .v2 = true, .version = 252 };
  struct runtime_sd_props p = { 0 };
  const struct runtime_sd_prop *e;
  (void)state;

  runtime_sd_scope_props ("c1", "machine.slice", 4242, &h, &p);
  assert_string_equal (prop (&p, "Slice", "s")->s, "machine.slice");
  assert_int_equal (prop (&p, "Delegate", "b")->u, 1);
  e = prop (&p, "PIDs", "au");
  assert_int_equal (e->n, 1);
  assert_int_equal (e->u32[0], 4242);
  assert_int_equal (prop (&p, "DefaultDependencies", "b")->u, 0);
  assert_string_equal (prop (&p, "CollectMode", "s")->s, "inactive-or-failed");
  assert_non_null (strstr (prop (&p, "Description", "s")->s, "c1"));
  assert_int_equal (prop (&p, "IOAccounting", "b")->u, 1);
  assert_null (runtime_sd_props_find (&p, "BlockIOAccounting"));
  runtime_sd_props_clear (&p);
  h.v2 = false;
  h.version = 235;
  runtime_sd_scope_props ("c1", "system.slice", 1, &h, &p);
  assert_int_equal (prop (&p, "BlockIOAccounting", "b")->u, 1);
  assert_null (runtime_sd_props_find (&p, "CollectMode"));
  runtime_sd_props_clear (&p);

  assert_int_equal (runtime_sd_parse_version ("252.39-1~deb12u2"), 252);
  assert_int_equal (runtime_sd_parse_version ("v255"), 255);
  assert_int_equal (runtime_sd_parse_version ("249 (249.11-0ubuntu3.12)"), 249);
  assert_int_equal (runtime_sd_parse_version (""), 0);
  assert_int_equal (runtime_sd_parse_version (NULL), 0);
}

static void
test_sd_annotations (void **state)
{
  oci_kv kv[] = {
    { (char *)"org.systemd.property.TimeoutStopUSec", (char *)"uint64 123456789" },
    { (char *)"org.systemd.property.CollectMode", (char *)"'inactive-or-failed'" },
    { (char *)"org.systemd.property.SendSIGHUP", (char *)"true" },
    { (char *)"org.systemd.property.RuntimeMaxSec", (char *)"5" },
    { (char *)"org.systemd.property.TimeoutStartSec", (char *)"1.5" },
    { (char *)"org.systemd.property.Wants", (char *)"['a.service', \"b.service\"]" },
    { (char *)"org.systemd.property.CPUWeight", (char *)"@t 7" },
    { (char *)"org.systemd.property.Nice", (char *)"int32 -3" },
    { (char *)"org.systemd.property.KillMode", (char *)"mixed" },
    { (char *)"org.systemd.property.MemoryHigh", (char *)"1048576" },
    { (char *)"io.podman.annotations.other", (char *)"ignored" },
  };
  oci_map m = { kv, sizeof kv / sizeof kv[0] };
  struct runtime_sd_props p = { 0 };
  reg_error_t err = NULL;
  const struct runtime_sd_prop *e;
  const char *bad[][2] = {
    { "lower", "1" },
    { "Bad-Name", "1" },
    { "X", "uint64 x" },
    { "X", "uint64 -1" },
    { "X", "int32 4294967296" },
    { "X", "'unterminated" },
    { "X", "['a', 1]" },
    { "TimeoutStopSec", "'str'" },
    { "TimeoutStopSec", "-1" },
    { "X", "boolean maybe" },
    { NULL, NULL },
  };
  (void)state;

  assert_int_equal (runtime_sd_annotation_props (&m, &p, &err), 0);
  assert_int_equal (p.n, 10);
  assert_u64_prop (&p, "TimeoutStopUSec", 123456789);
  assert_string_equal (prop (&p, "CollectMode", "s")->s, "inactive-or-failed");
  assert_int_equal (prop (&p, "SendSIGHUP", "b")->u, 1);
  /* seconds, as runc: *Sec becomes *USec */
  assert_u64_prop (&p, "RuntimeMaxUSec", 5000000);
  assert_u64_prop (&p, "TimeoutStartUSec", 1500000);
  assert_null (runtime_sd_props_find (&p, "RuntimeMaxSec"));
  e = prop (&p, "Wants", "as");
  assert_string_equal (e->strv[0], "a.service");
  assert_string_equal (e->strv[1], "b.service");
  assert_null (e->strv[2]);
  assert_u64_prop (&p, "CPUWeight", 7);
  assert_int_equal (prop (&p, "Nice", "i")->i, -3);
  assert_string_equal (prop (&p, "KillMode", "s")->s, "mixed");
  assert_u64_prop (&p, "MemoryHigh", 1048576);
  runtime_sd_props_clear (&p);

  for (size_t i = 0; bad[i][0]; i++)
    {
      if (runtime_sd_parse_value (bad[i][0], bad[i][1], &p, &err) == 0)
        fail_msg ("%s=%s accepted", bad[i][0], bad[i][1]);
      assert_non_null (strstr (err->msg, bad[i][0]));
      reg_error_release (&err);
      assert_int_equal (p.n, 0);
    }
  runtime_sd_props_clear (&p);
}

static int
setup (void **state)
{
  char tmpl[] = "/tmp/test_cgroup.XXXXXX";
  (void)state;
  if (mkdtemp (tmpl) == NULL)
    return -1;
  tmp_root = xstrdup (tmpl);
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = NULL;
  (void)state;
  xasprintf (&cmd, "rm -rf '%s'", tmp_root);
  free (tmp_root);
  return system (cmd) == 0 ? 0 : -1;
}

/* The directory a process is born in (CLONE_INTO_CGROUP): the cgroup2 one
   of each layout, none on v1 alone.  */
static void
test_birth_dir (void **state)
{
  char *v2[] = { "/sys/fs/cgroup/c", NULL };
  char *hybrid[] = { "/sys/fs/cgroup/memory/c", "/sys/fs/cgroup/unified/c", "/sys/fs/cgroup/pids/c", NULL };
  char *v1[] = { "/sys/fs/cgroup/memory/c", "/sys/fs/cgroup/cpu,cpuacct/c", NULL };
  char *unified_named[] = { "/sys/fs/cgroup/unifiedx/c", NULL };
  struct runtime_cgroup cg = { .ops = &runtime_cgroup_manager_v2, .paths = v2 };
  (void)state;

  assert_ptr_equal (runtime_cgroup_birth_dir (&cg), v2[0]);
  cg.ops = &runtime_cgroup_manager_v1;
  cg.paths = hybrid;
  assert_ptr_equal (runtime_cgroup_birth_dir (&cg), hybrid[1]);
  cg.paths = v1;
  assert_null (runtime_cgroup_birth_dir (&cg));
  cg.paths = unified_named;
  assert_null (runtime_cgroup_birth_dir (&cg));
  /* No cgroup (cgroups disabled, rootless without one).  */
  cg.ops = NULL;
  cg.paths = hybrid;
  assert_null (runtime_cgroup_birth_dir (&cg));
  cg.ops = &runtime_cgroup_manager_v1;
  cg.paths = NULL;
  assert_null (runtime_cgroup_birth_dir (&cg));
}

/* A child entering its cgroup itself: 0 into `tasks` in a v1 directory,
   into cgroup.procs in the cgroup2 one, none into the directory it was
   born in; a missing directory is an error naming it.  */
static void
test_enter_self (void **state)
{
  static const char *const v1_files[] = { "tasks", "cgroup.procs", NULL };
  static const char *const v2_files[] = { "cgroup.procs", NULL };
  cleanup_free char *v1 = fake_dir ("self/memory/c", v1_files);
  cleanup_free char *v2 = fake_dir ("self/unified/c", v2_files);
  cleanup_free char *missing = NULL;
  cleanup_free char *a = NULL;
  cleanup_free char *b = NULL;
  cleanup_free char *c = NULL;
  reg_error_t err = NULL;
  char *paths[] = { v1, v2, NULL };
  (void)state;

  assert_int_equal (runtime_cgroup_enter_self (paths, NULL, &err), 0);
  a = content (v1, "tasks");
  b = content (v1, "cgroup.procs");
  c = content (v2, "cgroup.procs");
  assert_string_equal (a, "0");
  assert_string_equal (b, "");
  assert_string_equal (c, "0");
  free (a);
  free (c);
  /* Born in the cgroup2 directory: left alone.  */
  unlink_file (v1, "tasks");
  unlink_file (v2, "cgroup.procs");
  free (fake_dir ("self/memory/c", (const char *const[]){ "tasks", NULL }));
  assert_int_equal (runtime_cgroup_enter_self (paths, paths[1], &err), 0);
  a = content (v1, "tasks");
  c = content (v2, "cgroup.procs");
  assert_string_equal (a, "0");
  assert_string_equal (c, "<missing>");

  xasprintf (&missing, "%s/self/pids/c", tmp_root);
  paths[1] = missing;
  assert_true (runtime_cgroup_enter_self (paths, NULL, &err) < 0);
  assert_non_null (strstr (err->msg, missing));
  reg_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_conversions),     cmocka_unit_test (test_parse_bytes),
    cmocka_unit_test (test_v2_mapping),      cmocka_unit_test (test_v1_mapping),
    cmocka_unit_test (test_devices_v1),      cmocka_unit_test (test_bpf_program),
    cmocka_unit_test (test_stats_v2),        cmocka_unit_test (test_stats_v1),
    cmocka_unit_test (test_freeze_v2),       cmocka_unit_test (test_sd_names),
    cmocka_unit_test (test_sd_resources_v2), cmocka_unit_test (test_sd_resources_v1),
    cmocka_unit_test (test_sd_cpuset_mask),  cmocka_unit_test (test_sd_devices),
    cmocka_unit_test (test_sd_scope),        cmocka_unit_test (test_sd_annotations),
    cmocka_unit_test (test_v2_refusals),     cmocka_unit_test (test_birth_dir),
    cmocka_unit_test (test_enter_self),
  };
  return cmocka_run_group_tests_name ("cgroup", tests, setup, teardown);
}
