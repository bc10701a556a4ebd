/* liboci-spec: runtime-spec v1.3 config.json / process.json for Linux.
 *
 * Parsing fills the structs below; every optional scalar carries a `has_`
 * flag so "absent" and "zero" stay distinct.  Arrays are a pointer and a
 * count.  Strings are NUL-terminated, NULL when absent.  Errors name the JSON
 * path: "config.json: process.user.uid: expected an unsigned integer".  */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define OCI_SPEC_VERSION "1.3.0"
/* Largest config.json / process.json we read.  */
#define OCI_MAX_DOCUMENT (64u * 1024u * 1024u)

typedef struct
{
  char *key;
  char *value;
} oci_kv;

typedef struct
{
  oci_kv *items;
  size_t len;
} oci_map;

typedef struct
{
  char **items; /* NULL-terminated too, for execve-style users */
  size_t len;
} oci_strv;

typedef struct
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
} oci_id_mapping;

typedef struct
{
  char *destination; /* required */
  char *source;
  char *type;
  oci_strv options;
  oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
} oci_mount;

typedef struct
{
  char *path; /* required, absolute */
  oci_strv args;
  oci_strv env;
  bool has_timeout;
  int64_t timeout; /* seconds, > 0 */
} oci_hook;

typedef struct
{
  oci_hook *items;
  size_t len;
} oci_hooks_list;

typedef struct
{
  oci_hooks_list prestart, create_runtime, create_container, start_container, poststart, poststop;
} oci_hooks;

typedef struct
{
  int resource; /* RLIMIT_* */
  char *type;   /* "RLIMIT_NOFILE" */
  uint64_t soft, hard;
} oci_rlimit;

typedef struct
{
  bool present;
  oci_strv bounding, effective, inheritable, permitted, ambient;
  bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
} oci_capabilities;

typedef struct
{
  uint32_t uid, gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* not used on Linux */
} oci_user;

typedef struct
{
  bool present;
  char *class_name; /* IOPRIO_CLASS_RT|BE|IDLE */
  int ioclass;      /* IOPRIO_CLASS_* value */
  int32_t priority;
} oci_io_priority;

typedef struct
{
  bool present;
  char *policy_name;
  int policy; /* SCHED_* */
  bool has_nice, has_priority;
  int32_t nice, priority;
  oci_strv flags;
  uint64_t flags_mask; /* SCHED_FLAG_* or-ed */
  uint64_t runtime, deadline, period;
} oci_scheduler;

typedef struct
{
  bool present;
  char *initial, *final;
} oci_exec_cpu_affinity;

typedef struct
{
  bool terminal;
  bool has_console_size;
  uint64_t console_height, console_width;
  oci_user user;
  oci_strv args;
  char *command_line; /* Windows only; kept for completeness */
  oci_strv env;
  char *cwd; /* required, absolute */
  oci_capabilities capabilities;
  oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  oci_io_priority io_priority;
  oci_scheduler scheduler;
  oci_exec_cpu_affinity exec_cpu_affinity;
} oci_process;

enum oci_ns_type
{
  OCI_NS_MOUNT,
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_UTS,
  OCI_NS_IPC,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT,
};

typedef struct
{
  enum oci_ns_type type;
  int clone_flag; /* CLONE_NEW* */
  char *path;     /* join this namespace when set */
} oci_namespace;

typedef struct
{
  char *path; /* required */
  char type;  /* 'c' 'b' 'u' 'p' */
  int64_t major, minor;
  bool has_major, has_minor;
  bool has_file_mode, has_uid, has_gid;
  uint32_t file_mode, uid, gid;
} oci_device;

typedef struct
{
  bool allow;
  char type; /* 'a' 'c' 'b', default 'a' */
  bool has_major, has_minor;
  int64_t major, minor; /* -1 means wildcard */
  char *access;         /* "rwm" subset, NULL = all */
} oci_device_cgroup;

typedef struct
{
  bool present;
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
  int64_t limit, reservation, swap, kernel, kernel_tcp;
  uint64_t swappiness;
  bool has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  bool disable_oom_killer, use_hierarchy, check_before_update;
} oci_memory;

typedef struct
{
  bool present;
  bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime, has_realtime_period, has_idle;
  uint64_t shares, period, burst, realtime_period;
  int64_t quota, realtime_runtime, idle;
  char *cpus, *mems;
} oci_cpu;

typedef struct
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
} oci_blkio_weight_device;

typedef struct
{
  int64_t major, minor;
  uint64_t rate;
} oci_blkio_throttle;

typedef struct
{
  bool present;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
  oci_blkio_weight_device *weight_device;
  size_t n_weight_device;
  oci_blkio_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops, *throttle_write_iops;
  size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
} oci_blkio;

typedef struct
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
} oci_hugepage_limit;

typedef struct
{
  char *name;
  uint32_t priority;
} oci_net_priority;

typedef struct
{
  char *device;
  bool has_hca_handles, has_hca_objects;
  uint32_t hca_handles, hca_objects;
} oci_rdma;

typedef struct
{
  bool present;
  oci_device_cgroup *devices;
  size_t n_devices;
  oci_memory memory;
  oci_cpu cpu;
  bool has_pids;
  int64_t pids_limit;
  oci_blkio block_io;
  oci_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  bool has_network;
  bool has_class_id;
  uint32_t class_id;
  oci_net_priority *net_priorities;
  size_t n_net_priorities;
  oci_rdma *rdma;
  size_t n_rdma;
  oci_map unified;
} oci_resources;

typedef struct
{
  uint32_t index;
  uint64_t value, value_two;
  char *op_name;
  int op; /* enum scmp_compare value (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7) */
} oci_syscall_arg;

typedef struct
{
  oci_strv names;
  char *action;
  bool has_errno_ret;
  uint32_t errno_ret;
  oci_syscall_arg *args;
  size_t n_args;
} oci_syscall;

typedef struct
{
  bool present;
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  oci_strv architectures;
  oci_strv flags;
  char *listener_path;
  char *listener_metadata;
  oci_syscall *syscalls;
  size_t n_syscalls;
} oci_seccomp;

typedef struct
{
  bool present;
  char *clos_id;
  oci_strv schemata;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_monitoring;
} oci_intel_rdt;

typedef struct
{
  bool present;
  char *mode;
  char *nodes;
  oci_strv flags;
  int mpol_mode;       /* MPOL_* value of mode (MPOL_DEFAULT when absent) */
  unsigned mpol_flags; /* MPOL_F_* or-ed */
} oci_memory_policy;

typedef struct
{
  bool present;
  char *domain; /* LINUX | LINUX32 */
  oci_strv flags;
  unsigned long persona; /* PER_LINUX or PER_LINUX32, for personality(2) */
} oci_personality;

typedef struct
{
  bool has_boottime, has_monotonic;
  int64_t boottime_secs, monotonic_secs;
  uint32_t boottime_nanosecs, monotonic_nanosecs;
} oci_time_offsets;

typedef struct
{
  char *name;     /* the host interface */
  char *new_name; /* its name inside, defaults to name */
} oci_net_device;

typedef struct
{
  bool present;
  oci_namespace *namespaces;
  size_t n_namespaces;
  oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  oci_time_offsets time_offsets;
  oci_device *devices;
  size_t n_devices;
  oci_net_device *net_devices;
  size_t n_net_devices;
  char *cgroups_path;
  oci_resources resources;
  char *rootfs_propagation;
  oci_seccomp seccomp;
  oci_map sysctl;
  oci_strv masked_paths;
  oci_strv readonly_paths;
  bool has_masked_paths, has_readonly_paths;
  char *mount_label;
  oci_intel_rdt intel_rdt;
  oci_memory_policy memory_policy;
  oci_personality personality;
} oci_linux;

typedef struct
{
  char *oci_version;
  char *root_path; /* NULL when the config has no root */
  bool root_readonly;
  oci_mount *mounts;
  size_t n_mounts;
  oci_process *process; /* NULL when absent */
  char *hostname;
  char *domainname;
  oci_hooks hooks;
  oci_map annotations;
  oci_linux linux_cfg; /* "linux"; `linux` is a predefined macro in GNU C */
} oci_config;

/* Parse a config.json document.  NAME prefixes error messages
   ("config.json").  On success *out owns everything.  */
int oci_config_parse (const char *data, size_t len, const char *name, oci_config **out, reg_error_t *err);
int oci_config_parse_file (const char *path, oci_config **out, reg_error_t *err);
void oci_config_free (oci_config *c);

/* A standalone process.json (for exec), with the same rules as config.json's
   "process".  */
int oci_process_parse (const char *data, size_t len, const char *name, oci_process **out, reg_error_t *err);
int oci_process_parse_file (const char *path, oci_process **out, reg_error_t *err);
void oci_process_free (oci_process *p);

/* What execvp searches when process.env has no PATH (runc's and crun's
   default too).  */
#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The value of NAME in ENV (process.env, "NAME=value" strings,
   NULL-terminated), or NULL.  */
const char *oci_env_get (const char *const *env, const char *name);
/* Whether S is one of V's strings.  */
bool oci_strv_has (const oci_strv *v, const char *s);

/* A linux.resources document on its own (update --resources).  */
int oci_resources_parse (const char *data, size_t len, const char *name, oci_resources *out, reg_error_t *err);
void oci_resources_clear (oci_resources *r);

/* Lookups.  */
const char *oci_map_get (const oci_map *m, const char *key);
const oci_namespace *oci_config_namespace (const oci_config *c, enum oci_ns_type type);

const char *oci_ns_type_name (enum oci_ns_type type);
/* -1 when NAME is not a namespace type of the spec.  */
int oci_ns_type_from_name (const char *name);
/* CLONE_NEW* for TYPE.  */
int oci_ns_clone_flag (enum oci_ns_type type);
/* RLIMIT_* for "RLIMIT_NOFILE"; -1 when unknown.  */
int oci_rlimit_from_name (const char *name);
/* Check an ociVersion: 0, or -1 with *WHY (malloc'ed) saying why not.  */
int oci_check_version (const char *version, char **why);

/* The enums of the schema (NULL-terminated), for `features`.  */
const char *const *oci_seccomp_action_names (void);
const char *const *oci_seccomp_arch_names (void);
const char *const *oci_seccomp_flag_names (void);
const char *const *oci_seccomp_operator_names (void);
const char *const *oci_memory_policy_mode_names (void);
const char *const *oci_memory_policy_flag_names (void);

/* Mount options the runtime knows.  An option not in the table is filesystem
   data ("mode=755", "size=65536k") and passed to mount(2) as such.  */
struct oci_mount_option
{
  const char *name;
  unsigned long flags;       /* MS_* to set, or to clear when `clear` */
  bool clear;                /* "rw", "suid", "dev", "exec", "atime"... */
  unsigned long propagation; /* MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE, | MS_REC for the r- forms */
  bool recursive;            /* rbind; rro, rnosuid...: apply to the whole tree (mount_setattr AT_RECURSIVE) */
};
const struct oci_mount_option *oci_mount_option_find (const char *name);
/* Every name of the table, NULL-terminated.  */
const char *const *oci_mount_option_names (void);

/* The state document (state-schema.json).  */
typedef struct
{
  const char *oci_version;
  const char *id;
  const char *status; /* creating|created|running|stopped|paused */
  int pid;            /* 0: omitted */
  const char *bundle;
  const oci_map *annotations;
  /* runc extensions, printed by `state` (NULL/0: omitted) */
  const char *rootfs;
  const char *created;
  const char *owner;
} oci_state;

/* Serialise STATE as JSON (pretty when PRETTY).  */
char *oci_state_to_json (const oci_state *state, bool pretty, size_t *len);

/* Serialise the runtime's features document.  */
typedef struct
{
  const char *oci_version_min, *oci_version_max;
  const char *const *hooks;
  const char *const *mount_options;
  const char *const *namespaces;
  const char *const *capabilities;
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  bool seccomp_enabled;
  const char *const *seccomp_actions;
  const char *const *seccomp_operators;
  const char *const *seccomp_archs;
  const char *const *seccomp_known_flags;
  const char *const *seccomp_supported_flags;
  bool apparmor, selinux, intel_rdt, intel_rdt_schemata, mount_extensions_idmap, net_devices, memory_policy;
  const char *const *memory_policy_modes, *const *memory_policy_flags;
  const char *const *unsafe_annotations;
  const oci_map *annotations;
} oci_features;

char *oci_features_to_json (const oci_features *f, size_t *len);

/* A default config.json like `runc spec` writes (pretty, NUL-terminated):
   `sh` on a terminal, runc's capability set and mounts, masked and read-only
   paths.  ROOTLESS: no network namespace, a user namespace mapping UID/GID
   to root, /sys bound from the host, no device cgroup rules.  */
char *oci_default_config_json (bool rootless, uid_t uid, gid_t gid, size_t *len);

#endif
