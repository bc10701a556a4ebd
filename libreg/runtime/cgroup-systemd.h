/* libreg: the systemd cgroup driver's decisions (pure, unit-tested).
 *
 * A container under --systemd-cgroup is a transient scope unit: systemd makes
 * and owns its cgroup, and knows its limits as unit properties, so that it
 * keeps them when it re-applies a unit's settings (daemon-reload, a slice's
 * change) instead of resetting what was written behind its back.  These
 * functions turn linux.resources, the device rules and the
 * org.systemd.property.* annotations into those properties, as runc and crun
 * do; cgroup-systemd.c sends them over D-Bus, then writes into the delegated
 * cgroup what systemd has no property for.  */
#ifndef RUNTIME_CGROUP_SYSTEMD_H
#define RUNTIME_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup-resources.h"
#include "error.h"
#include "oci-spec.h"

/* systemd's "infinity" for limits and times.  */
#define RUNTIME_SD_INFINITY UINT64_MAX
#define RUNTIME_SD_ANNOTATION_PREFIX "org.systemd.property."

/* One unit property: a name and a D-Bus value.  */
struct runtime_sd_prop
{
  char *name;
  const char *sig; /* "t" "x" "u" "i" "d" "b" "s" "ay" "au" "as" "a(ss)" */
  uint64_t u;      /* t, u, b */
  int64_t i;       /* x, i */
  double d;
  char *s;        /* s */
  char **strv;    /* as: NULL-terminated; a(ss): pairs, NULL-terminated */
  uint8_t *bytes; /* ay */
  uint32_t *u32;  /* au */
  size_t n;       /* elements of bytes / u32 */
};

struct runtime_sd_props
{
  struct runtime_sd_prop *p;
  size_t n;
};

void runtime_sd_props_clear (struct runtime_sd_props *p);
/* The last property named NAME, or NULL.  */
const struct runtime_sd_prop *runtime_sd_props_find (const struct runtime_sd_props *p, const char *name);

/* What the properties depend on.  */
struct runtime_sd_host
{
  bool v2;                  /* unified hierarchy (CPUWeight, IOWeight, AllowedCPUs...) */
  unsigned version;         /* systemd's major version (0: assume recent) */
  const char *proc_devices; /* the text of /proc/devices (device groups), or NULL */
};

/* The scope's own properties: Description, Slice, Delegate, PIDs, ... */
void runtime_sd_scope_props (const char *id, const char *slice, pid_t pid, const struct runtime_sd_host *h,
                             struct runtime_sd_props *out);

/* linux.resources as properties (DEVICES: DevicePolicy/DeviceAllow too, at
   create).  */
int runtime_sd_resource_props (const oci_resources *r, const struct runtime_sd_host *h, bool devices,
                               struct runtime_sd_props *out, reg_error_t *err);

/* DevicePolicy and DeviceAllow for RULES (runtime_cgroup_device_rules).
   systemd cannot say every rule (no deny list, no "*:N"); where it cannot,
   its list allows more (every device of the kind, or every device) and the
   runtime's own filter, applied after, decides: systemd's list is never
   stricter than the container's rules.  PROC_DEVICES names the groups of
   "c N:*" rules ("char-pts").  */
void runtime_sd_device_props (const struct runtime_device_rule *rules, size_t n, const char *proc_devices,
                              struct runtime_sd_props *out);

/* CPUQuotaPerSecUSec for QUOTA per PERIOD (us), rounded up to the 10 ms
   systemd keeps, as runc does.  */
uint64_t runtime_sd_cpu_quota_per_sec (int64_t quota, uint64_t period);

/* "0-3,8" as systemd's CPU/NUMA-node mask (bit N of byte N/8).  */
int runtime_sd_cpuset_mask (const char *list, uint8_t **mask, size_t *n, reg_error_t *err);

/* The org.systemd.property.NAME annotations: VALUE in GVariant text form
   ("uint64 5", "'str'", "true", "@t 5", "['a', 'b']"; a bare number is a
   uint64, a bare word a string); NAME ending in lowercase+"Sec" is given in
   seconds and sent as NAME-"Sec"+"USec", as runc does.  */
int runtime_sd_annotation_props (const oci_map *annotations, struct runtime_sd_props *out, reg_error_t *err);
int runtime_sd_parse_value (const char *name, const char *text, struct runtime_sd_props *out, reg_error_t *err);

/* systemd's major version from its Version property ("252.39-1~deb12u2").  */
unsigned runtime_sd_parse_version (const char *v);

#endif
