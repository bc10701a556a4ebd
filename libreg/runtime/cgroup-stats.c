/* libreg: the stats document of `events` (runc's types: cpu, memory, pids,
   blkio, hugetlb), read from a container's v1 or v2 cgroup files.  Missing
   files leave their fields out; the reader takes any ROOT so the unit tests
   run it on a fake tree.  */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "cgroup-resources.h"
#include "cgroup.h"
#include "json-gen.h"
#include "utils.h"

static char *
slurp (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;
  char *data = NULL;

  if (dir == NULL)
    return NULL;
  xasprintf (&path, "%s/%s", dir, file);
  if (read_all_file (path, 1 << 20, &data, NULL, NULL) < 0)
    return NULL;
  return data;
}

/* A file holding one number ("max" reads as 0, as runc reports it).  */
static bool
read_u64 (const char *dir, const char *file, uint64_t *out)
{
  cleanup_free char *d = slurp (dir, file);
  if (d == NULL)
    return false;
  d[strcspn (d, " \n")] = '\0';
  if (strcmp (d, "max") == 0)
    {
      *out = 0;
      return true;
    }
  return parse_uint64 (d, out) == 0;
}

/* "KEY VALUE" lines.  */
static bool
read_kv (const char *dir, const char *file, const char *key, uint64_t *out)
{
  cleanup_free char *d = slurp (dir, file);
  char *save = NULL;
  size_t kl = strlen (key);

  if (d == NULL)
    return false;
  for (char *l = strtok_r (d, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (strncmp (l, key, kl) == 0 && l[kl] == ' ')
      return parse_uint64 (l + kl + 1, out) == 0;
  return false;
}

static void
gen_numbers (yajl_gen g, const char *key, const char *text, uint64_t mult)
{
  cleanup_free char *copy = xstrdup (text ? text : "");
  char *save = NULL;

  oci_gen_str (g, key);
  yajl_gen_array_open (g);
  for (char *t = strtok_r (copy, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    {
      uint64_t v;
      char buf[32];
      int n;
      if (parse_uint64 (t, &v) < 0)
        continue;
      n = snprintf (buf, sizeof (buf), "%" PRIu64, v * mult);
      yajl_gen_number (g, buf, (size_t)n);
    }
  yajl_gen_array_close (g);
}

static void
gen_raw (yajl_gen g, const char *dir, const char *file)
{
  cleanup_free char *d = slurp (dir, file);
  char *save = NULL;

  if (d == NULL)
    return;
  oci_gen_str (g, "raw");
  yajl_gen_map_open (g);
  for (char *l = strtok_r (d, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (l, ' ');
      uint64_t v;
      if (sp == NULL)
        continue;
      *sp = '\0';
      if (parse_uint64 (sp + 1, &v) == 0)
        oci_gen_key_uint (g, l, v);
    }
  yajl_gen_map_close (g);
}

/* A memory file PREFIX SUFFIX and the key of its number in an entry.  */
struct mem_file
{
  const char *suffix, *json;
};

/* The numbers of the files FILES (N of them) with PREFIX in DIR, each
   under its key, where present.  */
static void
gen_mem_files (yajl_gen g, const char *dir, const char *prefix, const struct mem_file *files, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *f = NULL;
      uint64_t v;

      xasprintf (&f, "%s%s", prefix, files[i].suffix);
      if (read_u64 (dir, f, &v))
        oci_gen_key_uint (g, files[i].json, v);
    }
}

/* A memory entry ({"limit","usage","max","failcnt"}) from v1 files PREFIX.X.  */
static void
gen_mem_entry_v1 (yajl_gen g, const char *key, const char *dir, const char *prefix)
{
  static const struct mem_file files[] = {
    { "limit_in_bytes", "limit" },
    { "usage_in_bytes", "usage" },
    { "max_usage_in_bytes", "max" },
    { "failcnt", "failcnt" },
  };

  oci_gen_str (g, key);
  yajl_gen_map_open (g);
  gen_mem_files (g, dir, prefix, files, sizeof (files) / sizeof (files[0]));
  yajl_gen_map_close (g);
}

/* The same entry from v2 files PREFIX.X: max, current, peak, and the
   "max" count of PREFIX.events.  */
static void
gen_mem_entry_v2 (yajl_gen g, const char *key, const char *dir, const char *prefix)
{
  static const struct mem_file files[] = {
    { "max", "limit" },
    { "current", "usage" },
    { "peak", "max" },
  };
  cleanup_free char *events = NULL;
  uint64_t v;

  oci_gen_str (g, key);
  yajl_gen_map_open (g);
  gen_mem_files (g, dir, prefix, files, sizeof (files) / sizeof (files[0]));
  xasprintf (&events, "%sevents", prefix);
  if (read_kv (dir, events, "max", &v))
    oci_gen_key_uint (g, "failcnt", v);
  yajl_gen_map_close (g);
}

/* pids: the same files in v1 and v2.  */
static void
gen_pids (yajl_gen g, const char *dir)
{
  uint64_t v;

  oci_gen_str (g, "pids");
  yajl_gen_map_open (g);
  if (read_u64 (dir, "pids.current", &v))
    oci_gen_key_uint (g, "current", v);
  if (read_u64 (dir, "pids.max", &v))
    oci_gen_key_uint (g, "limit", v);
  yajl_gen_map_close (g);
}

static void
gen_blkio_v1 (yajl_gen g, const char *key, const char *dir, const char *file)
{
  cleanup_free char *d = slurp (dir, file);
  char *save = NULL;

  oci_gen_str (g, key);
  yajl_gen_array_open (g);
  for (char *l = d ? strtok_r (d, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      unsigned maj, min;
      char op[32];
      unsigned long long v;
      if (sscanf (l, "%u:%u %31s %llu", &maj, &min, op, &v) != 4)
        continue;
      yajl_gen_map_open (g);
      oci_gen_key_uint (g, "major", maj);
      oci_gen_key_uint (g, "minor", min);
      oci_gen_str (g, "op");
      oci_gen_str (g, op);
      oci_gen_key_uint (g, "value", v);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." as the v1 entries
   runc derives from it.  */
static void
gen_blkio_v2 (yajl_gen g, const char *key, const char *dir, const char *rkey, const char *wkey)
{
  cleanup_free char *d = slurp (dir, "io.stat");
  char *save = NULL;

  oci_gen_str (g, key);
  yajl_gen_array_open (g);
  for (char *l = d ? strtok_r (d, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      unsigned maj, min;
      char *s2 = NULL;
      if (sscanf (l, "%u:%u", &maj, &min) != 2)
        continue;
      for (char *t = strtok_r (strchr (l, ' '), " ", &s2); t; t = strtok_r (NULL, " ", &s2))
        {
          char *eq = strchr (t, '=');
          uint64_t v;
          const char *op;
          if (eq == NULL)
            continue;
          *eq = '\0';
          if (strcmp (t, rkey) == 0)
            op = "Read";
          else if (strcmp (t, wkey) == 0)
            op = "Write";
          else
            continue;
          if (parse_uint64 (eq + 1, &v) < 0)
            continue;
          yajl_gen_map_open (g);
          oci_gen_key_uint (g, "major", maj);
          oci_gen_key_uint (g, "minor", min);
          oci_gen_str (g, "op");
          oci_gen_str (g, op);
          oci_gen_key_uint (g, "value", v);
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_array_close (g);
}

/* hugetlb.<size>.* files in DIR: v1 (limit_in_bytes) or v2 (max).  */
static void
gen_hugetlb (yajl_gen g, const char *dir, bool v2)
{
  cleanup_dir DIR *d = dir ? opendir (dir) : NULL;
  const char *suffix = v2 ? ".current" : ".usage_in_bytes";
  struct dirent *de;

  oci_gen_str (g, "hugetlb");
  yajl_gen_map_open (g);
  while (d && (de = readdir (d)))
    {
      cleanup_free char *size = NULL;
      cleanup_free char *f = NULL;
      uint64_t v;
      const char *n = de->d_name;
      if (!has_prefix (n, "hugetlb.") || !has_suffix (n, suffix) || strstr (n, ".rsvd."))
        continue;
      size = xstrndup (n + 8, strlen (n) - 8 - strlen (suffix));
      oci_gen_str (g, size);
      yajl_gen_map_open (g);
      if (read_u64 (dir, n, &v))
        oci_gen_key_uint (g, "usage", v);
      xasprintf (&f, v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", size);
      if (!v2 && read_u64 (dir, f, &v))
        oci_gen_key_uint (g, "max", v);
      free (f);
      if (v2)
        {
          xasprintf (&f, "hugetlb.%s.events", size);
          if (read_kv (dir, f, "max", &v))
            oci_gen_key_uint (g, "failcnt", v);
        }
      else
        {
          xasprintf (&f, "hugetlb.%s.failcnt", size);
          if (read_u64 (dir, f, &v))
            oci_gen_key_uint (g, "failcnt", v);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static void
gen_v1 (yajl_gen g, char **paths, const char *root, const struct runtime_cgroup_layout *l)
{
  const char *acct = runtime_cgroup_dir_for (paths, root, l, "cpuacct");
  const char *cpu = runtime_cgroup_dir_for (paths, root, l, "cpu");
  const char *mem = runtime_cgroup_dir_for (paths, root, l, "memory");
  const char *pids = runtime_cgroup_dir_for (paths, root, l, "pids");
  const char *blkio = runtime_cgroup_dir_for (paths, root, l, "blkio");
  const char *huge = runtime_cgroup_dir_for (paths, root, l, l->hugetlb_v1 ? "hugetlb" : "");
  long tck = sysconf (_SC_CLK_TCK);
  uint64_t v, ns_per_tick = tck > 0 ? 1000000000ull / (uint64_t)tck : 10000000ull;

  oci_gen_str (g, "cpu");
  yajl_gen_map_open (g);
  oci_gen_str (g, "usage");
  yajl_gen_map_open (g);
  if (read_u64 (acct, "cpuacct.usage", &v))
    oci_gen_key_uint (g, "total", v);
  {
    cleanup_free char *pc = slurp (acct, "cpuacct.usage_percpu");
    cleanup_free char *pk = slurp (acct, "cpuacct.usage_percpu_sys");
    cleanup_free char *pu = slurp (acct, "cpuacct.usage_percpu_user");
    gen_numbers (g, "percpu", pc, 1);
    if (pk)
      gen_numbers (g, "percpu_kernel", pk, 1);
    if (pu)
      gen_numbers (g, "percpu_user", pu, 1);
  }
  /* cpuacct.stat counts clock ticks; runc reports nanoseconds.  */
  if (read_kv (acct, "cpuacct.stat", "system", &v))
    oci_gen_key_uint (g, "kernel", v * ns_per_tick);
  if (read_kv (acct, "cpuacct.stat", "user", &v))
    oci_gen_key_uint (g, "user", v * ns_per_tick);
  yajl_gen_map_close (g);
  oci_gen_str (g, "throttling");
  yajl_gen_map_open (g);
  if (read_kv (cpu, "cpu.stat", "nr_periods", &v))
    oci_gen_key_uint (g, "periods", v);
  if (read_kv (cpu, "cpu.stat", "nr_throttled", &v))
    oci_gen_key_uint (g, "throttled_periods", v);
  if (read_kv (cpu, "cpu.stat", "throttled_time", &v))
    oci_gen_key_uint (g, "throttled_time", v);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  oci_gen_str (g, "memory");
  yajl_gen_map_open (g);
  if (read_kv (mem, "memory.stat", "cache", &v))
    oci_gen_key_uint (g, "cache", v);
  gen_mem_entry_v1 (g, "usage", mem, "memory.");
  gen_mem_entry_v1 (g, "swap", mem, "memory.memsw.");
  gen_mem_entry_v1 (g, "kernel", mem, "memory.kmem.");
  gen_mem_entry_v1 (g, "kernelTCP", mem, "memory.kmem.tcp.");
  gen_raw (g, mem, "memory.stat");
  yajl_gen_map_close (g);

  gen_pids (g, pids);

  oci_gen_str (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio_v1 (g, "ioServiceBytesRecursive", blkio, "blkio.throttle.io_service_bytes_recursive");
  gen_blkio_v1 (g, "ioServicedRecursive", blkio, "blkio.throttle.io_serviced_recursive");
  yajl_gen_map_close (g);

  gen_hugetlb (g, huge, !l->hugetlb_v1);
}

static void
gen_v2 (yajl_gen g, const char *dir)
{
  uint64_t v;

  oci_gen_str (g, "cpu");
  yajl_gen_map_open (g);
  oci_gen_str (g, "usage");
  yajl_gen_map_open (g);
  /* cpu.stat is in microseconds; runc reports nanoseconds.  */
  if (read_kv (dir, "cpu.stat", "usage_usec", &v))
    oci_gen_key_uint (g, "total", v * 1000);
  gen_numbers (g, "percpu", NULL, 1);
  if (read_kv (dir, "cpu.stat", "system_usec", &v))
    oci_gen_key_uint (g, "kernel", v * 1000);
  if (read_kv (dir, "cpu.stat", "user_usec", &v))
    oci_gen_key_uint (g, "user", v * 1000);
  yajl_gen_map_close (g);
  oci_gen_str (g, "throttling");
  yajl_gen_map_open (g);
  if (read_kv (dir, "cpu.stat", "nr_periods", &v))
    oci_gen_key_uint (g, "periods", v);
  if (read_kv (dir, "cpu.stat", "nr_throttled", &v))
    oci_gen_key_uint (g, "throttled_periods", v);
  if (read_kv (dir, "cpu.stat", "throttled_usec", &v))
    oci_gen_key_uint (g, "throttled_time", v * 1000);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  oci_gen_str (g, "memory");
  yajl_gen_map_open (g);
  if (read_kv (dir, "memory.stat", "file", &v))
    oci_gen_key_uint (g, "cache", v);
  gen_mem_entry_v2 (g, "usage", dir, "memory.");
  gen_mem_entry_v2 (g, "swap", dir, "memory.swap.");
  gen_raw (g, dir, "memory.stat");
  yajl_gen_map_close (g);

  gen_pids (g, dir);

  oci_gen_str (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio_v2 (g, "ioServiceBytesRecursive", dir, "rbytes", "wbytes");
  gen_blkio_v2 (g, "ioServicedRecursive", dir, "rios", "wios");
  yajl_gen_map_close (g);

  gen_hugetlb (g, dir, true);
}

int
runtime_cgroup_stats_json (char **paths, const char *root, const struct runtime_cgroup_layout *l, const char *id,
                           char **json, reg_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  if (g == NULL)
    return reg_make_error (err, ENOMEM, "yajl_gen_alloc");
  yajl_gen_map_open (g);
  oci_gen_str (g, "type");
  oci_gen_str (g, "stats");
  oci_gen_str (g, "id");
  oci_gen_str (g, id);
  oci_gen_str (g, "data");
  yajl_gen_map_open (g);
  if (l->v2)
    gen_v2 (g, paths ? paths[0] : NULL);
  else
    gen_v1 (g, paths, root, l);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  *json = xstrndup ((const char *)buf, len);
  yajl_gen_free (g);
  return 0;
}

bool
runtime_cgroup_oom_kills (char **paths, const char *root, const struct runtime_cgroup_layout *l, uint64_t *out)
{
  const char *dir = l->v2 ? (paths ? paths[0] : NULL) : runtime_cgroup_dir_for (paths, root, l, "memory");
  return read_kv (dir, l->v2 ? "memory.events" : "memory.oom_control", "oom_kill", out);
}
