/* reg-runc update [--resources FILE|-] [--memory N] ... ID  (runc's flags;
   as runc, a resources document replaces the flags).  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-resources.h"
#include "cmd.h"
#include "container-cgroup.h"
#include "utils.h"

enum
{
  U_RESOURCES = 'r',
  U_HELP = 'h',
  U_MEMORY = 1000,
  U_MEMORY_RES,
  U_MEMORY_SWAP,
  U_KMEM,
  U_KMEM_TCP,
  U_CPU_SHARES,
  U_CPU_PERIOD,
  U_CPU_QUOTA,
  U_CPU_RT_PERIOD,
  U_CPU_RT_RUNTIME,
  U_CPUSET_CPUS,
  U_CPUSET_MEMS,
  U_PIDS,
  U_BLKIO,
  U_L3,
  U_MEMBW,
};

static const char usage_text[] = "Usage: reg-runc update [OPTIONS] ID\n\n"
                                 "Change the resource limits of a container.\n\n"
                                 "  -r, --resources FILE     a linux.resources JSON document (- for stdin);\n"
                                 "                           the other flags are then ignored, as runc does\n"
                                 "  --memory N               memory limit (bytes; k, m, g units)\n"
                                 "  --memory-reservation N   memory soft limit\n"
                                 "  --memory-swap N          memory+swap limit\n"
                                 "  --kernel-memory N        ignored (deprecated by the kernel)\n"
                                 "  --cpu-share(s) N         CPU shares\n"
                                 "  --cpu-period N           CFS period (us)\n"
                                 "  --cpu-quota N            CFS quota (us)\n"
                                 "  --cpu-rt-period N        realtime period (us)\n"
                                 "  --cpu-rt-runtime N       realtime runtime (us)\n"
                                 "  --cpuset-cpus S          CPUs allowed\n"
                                 "  --cpuset-mems S          memory nodes allowed\n"
                                 "  --pids-limit N           maximum number of processes\n"
                                 "  --blkio-weight N         block IO weight (10-1000)\n"
                                 "  --l3-cache-schema S      Intel RDT (not supported)\n"
                                 "  --mem-bw-schema S        Intel RDT (not supported)\n";

static int
num (const char *opt, const char *v, int64_t *out, reg_error_t *err)
{
  if (parse_int64 (v, out) < 0)
    return reg_make_error (err, 0, "update: --%s: invalid number `%s`", opt, v);
  return 0;
}

static int
unum (const char *opt, const char *v, uint64_t *out, reg_error_t *err)
{
  if (parse_uint64 (v, out) < 0)
    return reg_make_error (err, 0, "update: --%s: invalid number `%s`", opt, v);
  return 0;
}

static int
bytes (const char *opt, const char *v, int64_t *out, reg_error_t *err)
{
  int ret = runtime_cgroup_parse_bytes (v, out, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "update: --%s", opt);
  return 0;
}

static int
read_resources (const char *file, oci_resources *r, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  int ret;

  if (strcmp (file, "-") == 0)
    ret = read_all_fd (STDIN_FILENO, "stdin", OCI_MAX_DOCUMENT, &data, &len, err);
  else
    ret = read_all_file (file, OCI_MAX_DOCUMENT, &data, &len, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "update: read `%s`", file);
  return oci_resources_parse (data, len, strcmp (file, "-") == 0 ? "stdin" : file, r, err);
}

int
cmd_update (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, U_RESOURCES },
    { "memory", required_argument, NULL, U_MEMORY },
    { "memory-reservation", required_argument, NULL, U_MEMORY_RES },
    { "memory-swap", required_argument, NULL, U_MEMORY_SWAP },
    { "kernel-memory", required_argument, NULL, U_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
    { "cpu-share", required_argument, NULL, U_CPU_SHARES },
    { "cpu-shares", required_argument, NULL, U_CPU_SHARES },
    { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
    { "cpu-rt-period", required_argument, NULL, U_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, U_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, U_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, U_CPUSET_MEMS },
    { "pids-limit", required_argument, NULL, U_PIDS },
    { "blkio-weight", required_argument, NULL, U_BLKIO },
    { "l3-cache-schema", required_argument, NULL, U_L3 },
    { "mem-bw-schema", required_argument, NULL, U_MEMBW },
    { "help", no_argument, NULL, U_HELP },
    { NULL, 0, NULL, 0 },
  };
  const char *vals[U_MEMBW + 1 - U_MEMORY] = { 0 };
  const char *resources = NULL;
  oci_resources r = { 0 };
  struct runtime_context ctx;
  int c, ret = 0;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "r:h", opts, NULL)) != -1)
    switch (c)
      {
      case U_RESOURCES:
        resources = optarg;
        break;
      case U_HELP:
        fputs (usage_text, stdout);
        return 0;
      default:
        if (c >= U_MEMORY && c <= U_MEMBW)
          {
            vals[c - U_MEMORY] = optarg;
            break;
          }
        return cmd_usage_error (err, "update", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "update", argc - optind < 1 ? "missing the container id" : "too many arguments");

  if (resources)
    {
      /* As runc: with a resources document the flags are not used.  */
      for (size_t i = 0; i < sizeof (vals) / sizeof (vals[0]); i++)
        if (vals[i])
          {
            reg_warning ("update: --resources given: the other limit flags are ignored");
            memset (vals, 0, sizeof (vals));
            break;
          }
      ret = read_resources (resources, &r, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  r.present = true;
#define V(x) vals[(x)-U_MEMORY]
  if (V (U_L3) || V (U_MEMBW))
    ret = reg_make_error (err, 0, "update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported");
  if (ret == 0 && V (U_MEMORY) && (ret = bytes ("memory", V (U_MEMORY), &r.memory.limit, err)) == 0)
    r.memory.present = r.memory.has_limit = true;
  if (ret == 0 && V (U_MEMORY_RES)
      && (ret = bytes ("memory-reservation", V (U_MEMORY_RES), &r.memory.reservation, err)) == 0)
    r.memory.present = r.memory.has_reservation = true;
  if (ret == 0 && V (U_MEMORY_SWAP) && (ret = bytes ("memory-swap", V (U_MEMORY_SWAP), &r.memory.swap, err)) == 0)
    r.memory.present = r.memory.has_swap = true;
  if (ret == 0 && V (U_KMEM) && (ret = bytes ("kernel-memory", V (U_KMEM), &r.memory.kernel, err)) == 0)
    r.memory.present = r.memory.has_kernel = true;
  if (ret == 0 && V (U_KMEM_TCP) && (ret = bytes ("kernel-memory-tcp", V (U_KMEM_TCP), &r.memory.kernel_tcp, err)) == 0)
    r.memory.present = r.memory.has_kernel_tcp = true;
  if (ret == 0 && V (U_CPU_SHARES) && (ret = unum ("cpu-share", V (U_CPU_SHARES), &r.cpu.shares, err)) == 0)
    r.cpu.present = r.cpu.has_shares = true;
  if (ret == 0 && V (U_CPU_PERIOD) && (ret = unum ("cpu-period", V (U_CPU_PERIOD), &r.cpu.period, err)) == 0)
    r.cpu.present = r.cpu.has_period = true;
  if (ret == 0 && V (U_CPU_QUOTA) && (ret = num ("cpu-quota", V (U_CPU_QUOTA), &r.cpu.quota, err)) == 0)
    r.cpu.present = r.cpu.has_quota = true;
  if (ret == 0 && V (U_CPU_RT_PERIOD)
      && (ret = unum ("cpu-rt-period", V (U_CPU_RT_PERIOD), &r.cpu.realtime_period, err)) == 0)
    r.cpu.present = r.cpu.has_realtime_period = true;
  if (ret == 0 && V (U_CPU_RT_RUNTIME)
      && (ret = num ("cpu-rt-runtime", V (U_CPU_RT_RUNTIME), &r.cpu.realtime_runtime, err)) == 0)
    r.cpu.present = r.cpu.has_realtime_runtime = true;
  if (ret == 0 && V (U_CPUSET_CPUS))
    {
      free (r.cpu.cpus);
      r.cpu.cpus = xstrdup (V (U_CPUSET_CPUS));
      r.cpu.present = true;
    }
  if (ret == 0 && V (U_CPUSET_MEMS))
    {
      free (r.cpu.mems);
      r.cpu.mems = xstrdup (V (U_CPUSET_MEMS));
      r.cpu.present = true;
    }
  if (ret == 0 && V (U_PIDS) && (ret = num ("pids-limit", V (U_PIDS), &r.pids_limit, err)) == 0)
    r.has_pids = true;
  if (ret == 0 && V (U_BLKIO))
    {
      uint64_t w = 0;
      ret = unum ("blkio-weight", V (U_BLKIO), &w, err);
      if (ret == 0 && w > 1000)
        ret = reg_make_error (err, 0, "update: --blkio-weight: %llu is out of range (10-1000)", (unsigned long long)w);
      if (ret == 0)
        {
          r.block_io.present = r.block_io.has_weight = true;
          r.block_io.weight = (uint16_t)w;
        }
    }
#undef V
  /* Device rules are not changed by update (as runc): drop them.  */
  if (ret == 0 && r.n_devices)
    reg_warning ("update: linux.resources.devices ignored (device rules are fixed at create)");
  if (ret == 0)
    {
      cmd_context (g, &ctx);
      ret = runtime_container_update (&ctx, argv[optind], &r, err);
    }
  oci_resources_clear (&r);
  return ret;
}
