/* libreg: the container's cgroup.
 *
 * One manager per cgroup layout (v1 or hybrid: every mounted hierarchy under
 * /sys/fs/cgroup, the cgroup2 one at /sys/fs/cgroup/unified included; v2:
 * /sys/fs/cgroup itself), chosen once, and the systemd driver
 * (--systemd-cgroup: a transient scope unit that systemd makes and owns, on
 * either layout).  A container's cgroup is the list of its directories, one
 * per hierarchy, and the systemd unit when there is one; both are recorded in
 * the state so that later commands act on exactly those.  Resource limits,
 * freeze/thaw and stats slot into the same table.  */
#ifndef RUNTIME_CGROUP_H
#define RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <linux/sched.h>

#include "error.h"
#include "oci-spec.h"

enum runtime_cgroup_mode
{
  RUNTIME_CGROUP_V1 = 1, /* v1 only, or hybrid (v1 + cgroup2 at .../unified) */
  RUNTIME_CGROUP_V2,     /* unified */
};

struct runtime_cgroup;

/* What create is asked for.  */
struct runtime_cgroup_args
{
  const char *cgroups_path;   /* linux.cgroupsPath, or NULL */
  const char *id;             /* the container */
  bool systemd;               /* --systemd-cgroup: the systemd driver, cgroupsPath slice:prefix:name */
  const oci_map *annotations; /* org.systemd.property.* (systemd), or NULL */
};

struct runtime_cgroup_manager
{
  const char *name;
  /* Make the directories for A's cgroupsPath (absolute inside each
     hierarchy, or relative to the caller's cgroup there) and fill cg->paths;
     systemd: name the unit and its directories, which systemd makes when
     enter starts the unit.  */
  int (*create) (struct runtime_cgroup *cg, const struct runtime_cgroup_args *a, reg_error_t *err);
  /* Move PID into every directory but SKIP, where it was born (NULL: none);
     systemd, the first time: start the unit with PID in it.  */
  int (*enter) (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err);
  /* Can a process be born in the cgroup's directories now (NULL: yes)?  The
     systemd driver's are there only once its unit has started.  */
  bool (*made) (struct runtime_cgroup *cg);
  /* The pids in the cgroup.  */
  int (*pids) (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err);
  /* Kill what is left and remove the directories.  */
  int (*destroy) (struct runtime_cgroup *cg, reg_error_t *err);
  /* Write linux.resources; DEVICES: the device rules too (create only:
     update leaves them as they are).  */
  int (*apply_resources) (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err);
  /* Freeze every process, returning once the kernel says frozen; thaw.  */
  int (*freeze) (struct runtime_cgroup *cg, reg_error_t *err);
  int (*thaw) (struct runtime_cgroup *cg, reg_error_t *err);
  bool (*frozen) (struct runtime_cgroup *cg);
  /* Free what the backend keeps in cg->priv (may be NULL).  */
  void (*release) (struct runtime_cgroup *cg);
};

struct runtime_cgroup
{
  const struct runtime_cgroup_manager *ops;
  char **paths; /* NULL-terminated absolute directories, one per hierarchy */
  char *unit;   /* systemd: the scope unit that owns PATHS, else NULL */
  void *priv;   /* the backend's own state during one command */
};

enum runtime_cgroup_mode runtime_cgroup_mode (void);
const struct runtime_cgroup_manager *runtime_cgroup_manager_for (enum runtime_cgroup_mode mode);

/* The cgroup path for a container (pure): CGROUPS_PATH as given, or
   /reg-runc/ID when NULL; with SYSTEMD, "slice:prefix:name" becomes
   /slice-path/prefix-name.scope, where systemd puts the unit (below its own
   root cgroup).  */
int runtime_cgroup_path_for (const char *cgroups_path, const char *id, bool systemd, char **out, reg_error_t *err);

/* A relative PATH under the caller's OWN cgroup, or PATH itself (pure).  */
char *runtime_cgroup_resolve (const char *own, const char *path);

/* systemd: "slice:prefix:name" (NULL or "": system.slice, reg-runc-ID) as
   the slice and the unit "prefix-name.scope" (pure).  */
int runtime_cgroup_systemd_names (const char *cgroups_path, const char *id, char **slice, char **unit,
                                  reg_error_t *err);
/* "a-b.slice" as systemd nests it: "/a.slice/a-b.slice"; "-.slice": "" (pure).  */
int runtime_cgroup_slice_path (const char *slice, char **out, reg_error_t *err);

/* Create the container's cgroup (not entered yet).  */
int runtime_cgroup_create (const struct runtime_cgroup_args *a, struct runtime_cgroup *cg, reg_error_t *err);
/* The cgroup recorded in the state: its directories and systemd unit
   (NULL: none).  */
void runtime_cgroup_load (char **paths, const char *unit, struct runtime_cgroup *cg);
/* Move PID into the container's cgroup, but not into SKIP, the directory
   it was born in (runtime_cgroup_clone), NULL: none.  */
int runtime_cgroup_enter (struct runtime_cgroup *cg, pid_t pid, const char *skip, reg_error_t *err);

/* How a child of runtime_cgroup_clone gets into its cgroup.  Moving another
   process into a cgroup takes a lock that waits for an RCU grace period
   unless another move came just before: 10-20 ms after an idle moment on
   this VM.  A child born in its cgroup2 directory (clone3's
   CLONE_INTO_CGROUP), or a single-threaded process that moves only itself
   (its thread) into a v1 directory, does not wait.  */
struct runtime_cgroup_birth
{
  const char *born_in; /* the cgroup2 directory the child was born in, or NULL */
  bool self;           /* the child enters the rest itself (runtime_cgroup_enter_self)
                          before it joins any namespace; else runtime_cgroup_enter
                          moves it */
};

/* clone3 (CA), returning like fork, with the child born in CG's cgroup2
   directory when it has one (else, or when the kernel or cgroup refuses
   it, a plain clone).  The child can enter the rest itself when CG's
   directories exist and it keeps the host's rights until GO: HOST_RIGHTS
   (the caller's word: not a child that joins a user namespace before GO)
   and not cloned into a new user namespace.  */
pid_t runtime_cgroup_clone (struct runtime_cgroup *cg, struct clone_args *ca, bool host_rights,
                            struct runtime_cgroup_birth *b);
/* In that child (single-threaded): move itself into every directory of
   PATHS but BORN_IN, by writing 0 to a v1 directory's `tasks` (the caller's
   thread only: no wait) and to cgroup2's cgroup.procs (a wait, only where
   it could not be born there).  */
int runtime_cgroup_enter_self (char **paths, const char *born_in, reg_error_t *err);
int runtime_cgroup_pids (struct runtime_cgroup *cg, pid_t **pids, size_t *n, reg_error_t *err);
int runtime_cgroup_destroy (struct runtime_cgroup *cg, reg_error_t *err);
void runtime_cgroup_clear (struct runtime_cgroup *cg);

/* linux.resources at create (DEVICES true: the device rules too, before the
   init runs) or update.  */
int runtime_cgroup_apply (struct runtime_cgroup *cg, const oci_resources *r, bool devices, reg_error_t *err);
int runtime_cgroup_freeze (struct runtime_cgroup *cg, reg_error_t *err);
int runtime_cgroup_thaw (struct runtime_cgroup *cg, reg_error_t *err);
bool runtime_cgroup_frozen (struct runtime_cgroup *cg);
/* Is the cgroup recorded as PATHS frozen?  (status: `paused`)  */
bool runtime_cgroup_paths_frozen (char **paths);

/* runc's `events` stats document for ID ({"type":"stats","id":…,"data":…})
   from the directories PATHS below ROOT.  */
struct runtime_cgroup_layout;
int runtime_cgroup_stats_json (char **paths, const char *root, const struct runtime_cgroup_layout *l, const char *id,
                               char **json, reg_error_t *err);
/* How many processes the OOM killer ended in the cgroup (false: unknown).  */
bool runtime_cgroup_oom_kills (char **paths, const char *root, const struct runtime_cgroup_layout *l, uint64_t *out);

#endif
