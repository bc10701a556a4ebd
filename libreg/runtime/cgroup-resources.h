/* libreg: linux.resources as cgroup file writes.
 *
 * The decision (resources -> the list of (controller, file, value) writes,
 * the device rules, the eBPF device program) is pure and unit-tested against
 * a fake cgroupfs tree; runtime_cgroup_write_plan carries it out on the
 * directories of a container's cgroup.  */
#ifndef RUNTIME_CGROUP_RESOURCES_H
#define RUNTIME_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "error.h"
#include "oci-spec.h"

/* What the host offers.  */
struct runtime_cgroup_layout
{
  bool v2;         /* unified hierarchy at the root */
  bool unified;    /* v1/hybrid: cgroup2 mounted at ROOT/unified */
  bool hugetlb_v1; /* v1: a hugetlb hierarchy (else hugetlb in the unified one) */
  bool net_v1;     /* v1: net_cls / net_prio hierarchies */
};

struct runtime_cgroup_write
{
  const char *field; /* the config field it comes from, for messages */
  char *ctrl;        /* v1 controller name ("memory"), "" for the cgroup2 directory */
  char *file;        /* "memory.limit_in_bytes" */
  char *alt;         /* used when FILE does not exist, or NULL */
  char *alt_value;   /* what ALT takes when not VALUE (another scale), or NULL */
  char *value;
  bool optional; /* nothing to enforce, or the spec allows doing without: a
                    kernel without the file only warns */
};

struct runtime_cgroup_plan
{
  struct runtime_cgroup_write *w;
  size_t n;
  const char *field; /* while planning: the field of the writes being added */
};

void runtime_cgroup_layout_detect (struct runtime_cgroup_layout *l);

/* The writes for R (devices excepted), in order.  What the host cannot
   apply (a controller or a cgroup version without it) is an error naming
   the field, never a warning.  */
int runtime_cgroup_plan_resources (const oci_resources *r, const struct runtime_cgroup_layout *l,
                                   struct runtime_cgroup_plan *out, reg_error_t *err);
void runtime_cgroup_plan_clear (struct runtime_cgroup_plan *p);

/* cgroup v2 cpu.weight from v1 cpu.shares (runc's and crun's linear map of
   [2, 262144] onto [1, 10000]); io.weight from blkio.weight ([10, 1000] onto
   [1, 10000]); memory.swap.max from the v1 memory+swap total.  */
uint64_t runtime_cgroup_shares_to_weight (uint64_t shares);
uint64_t runtime_cgroup_blkio_to_io_weight (uint64_t weight);
int runtime_cgroup_swap_v2 (int64_t swap, int64_t limit, int64_t *out, reg_error_t *err);

enum
{
  RUNTIME_DEV_MKNOD = 1,
  RUNTIME_DEV_READ = 2,
  RUNTIME_DEV_WRITE = 4,
};

struct runtime_device_rule
{
  bool allow;
  char type;            /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1: any */
  unsigned access;      /* RUNTIME_DEV_* */
};

/* The effective rules: linux.resources.devices, then the devices every
   container gets (null, zero, full, tty, random, urandom, console, ptmx,
   pts, and mknod of any node), as runc appends them.  */
void runtime_cgroup_device_rules (const oci_resources *r, struct runtime_device_rule **out, size_t *n);
/* v1: one devices.allow / devices.deny write per rule, in order.  */
void runtime_cgroup_plan_devices_v1 (const struct runtime_device_rule *rules, size_t n, struct runtime_cgroup_plan *p);
/* v2: a BPF_PROG_TYPE_CGROUP_DEVICE program: the last matching rule
   decides; when none matches, allowed (a new v1 cgroup's default).  */
void runtime_cgroup_bpf_program (const struct runtime_device_rule *rules, size_t n, struct bpf_insn **insns,
                                 size_t *n_insns);
/* Load the program and attach it (BPF_F_ALLOW_MULTI) to the cgroup2
   directory DIR.  */
int runtime_cgroup_bpf_attach (const char *dir, const struct bpf_insn *insns, size_t n, reg_error_t *err);

/* Carry out P on PATHS (the container's directories, each below ROOT).  */
int runtime_cgroup_write_plan (char **paths, const char *root, const struct runtime_cgroup_layout *l,
                               const struct runtime_cgroup_plan *p, reg_error_t *err);
/* The directory of PATHS for CTRL ("" = cgroup2), or NULL.  */
const char *runtime_cgroup_dir_for (char **paths, const char *root, const struct runtime_cgroup_layout *l,
                                    const char *ctrl);

/* "512m", "1G", "1024k", "4096", "-1" as runc's update flags take them
   (binary units, optional b/ib).  */
int runtime_cgroup_parse_bytes (const char *s, int64_t *out, reg_error_t *err);

#endif
