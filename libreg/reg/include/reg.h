/* libreg: the REG phase of `create`.
 *
 * One call, after config.json is validated and before the container's
 * mounts: it reads the REG mode (annotations, or the host default), runs the
 * analysis and the store, and returns a plan of what to mount.  The
 * lifecycle code applies the plan without knowing how it was computed.  */
#ifndef REG_REG_H
#define REG_REG_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci-spec.h"

#define REG_ANNOTATION_MODE "run.reg.mode"
#define REG_ANNOTATION_INCLUDE "run.reg.include"
/* minimal: the groups of default files to keep or drop (see reg-minimal.h) */
#define REG_ANNOTATION_DEFAULTS "run.reg.defaults"
#define REG_ANNOTATION_PREFIX "run.reg."
/* Written into the state's annotations by create.  */
#define REG_ANNOTATION_ENV "run.reg.environment"

enum reg_mode
{
  REG_MODE_OFF = 0,
  REG_MODE_SHARE,
  REG_MODE_MINIMAL,
  REG_MODE_LEARN,
};

struct reg_bind
{
  char *source; /* absolute host path of a store object */
  char *target; /* absolute path inside the container's root */
};

struct reg_plan
{
  enum reg_mode mode;
  char *env_id; /* the environment this container references */

  /* share: read-only binds of store objects over paths of the rootfs,
     applied after the root is set up and before config.json's mounts.  */
  struct reg_bind *binds;
  size_t n_binds;

  /* minimal: the container's root is an overlay with lower_dir (the
     environment tree) and upper_dir/work_dir (private, under the state
     dir), or a read-only bind of lower_dir when upper_dir is NULL.  */
  char *lower_dir;
  char *upper_dir;
  char *work_dir;

  /* minimal and learn: the profile key of the entrypoint (reg-learn.h);
     learn passes the plan to reg_learn_start.  */
  char *profile_key;
};

struct reg_options
{
  const char *store_root;   /* NULL: the configured default */
  const char *default_mode; /* host default ("off" when NULL) */
  const char *container_id;
  const char *state_dir;    /* the container's state directory */
  uint64_t max_object_size; /* 0: REG_STORE_DEFAULT_MAX_OBJECT_SIZE */
};

/* The mode for CONFIG: its run.reg.mode annotation, else DEFAULT_MODE.  An
   unknown value is an error naming the annotation.  */
int reg_mode_from_config (const oci_config *config, const char *default_mode, enum reg_mode *mode, reg_error_t *err);
const char *reg_mode_name (enum reg_mode mode);

/* The runtime's configuration file (REG_CONFIG_FILE, or --config):
   `key = value` lines, `#` comments.  Keys: `mode` (the host default REG
   mode), `store` (the store root) and `max_object_size` (bytes, or a
   number with a K, M, G or T suffix: powers of 1024; the largest file the
   store shares).  A missing file is an empty configuration; an unknown key
   or a bad value is an error naming the line and the key.  The strings are
   owned by the struct.  */
struct reg_host_config
{
  char *mode;
  char *store;
  uint64_t max_object_size; /* 0: not set */
};
int reg_host_config_load (const char *path, struct reg_host_config *cfg, reg_error_t *err);
void reg_host_config_clear (struct reg_host_config *cfg);

/* The store OPTS names, or the built-in default.  */
const char *reg_options_store_root (const struct reg_options *opts);

/* Check CONFIG's REG annotations (before anything is made): 1 when REG has
   work for it (reg_phase_prepare), 0 when its mode is off.  */
int reg_phase_validate (const oci_config *config, const char *default_mode, reg_error_t *err);
/* Whether PROCESS (the container's, or one exec'd into it) may run in a
   container of CONFIG whose REG mode is MODE: rootless, not while it could
   make a store object's read-only mount writable (reg-phase.c).  */
int reg_phase_check_process (const oci_config *config, const oci_process *process, const char *mode, reg_error_t *err);

/* Run REG for a container whose root directory is open as ROOTFD.  *PLAN is
   NULL when the mode is off.  */
int reg_phase_prepare (const struct reg_options *opts, const oci_config *config, int rootfd, struct reg_plan **plan,
                       reg_error_t *err);

/* A process of REG's that must run in the container's cgroup (learn's
   recorder): the runtime's way of putting PID there.  */
typedef int (*reg_place_fn) (void *data, pid_t pid, reg_error_t *err);

/* Once the container's init exists and waits before execve: start what
   PLAN runs beside the container (learn's recorder, placed with PLACE and
   DATA; NULL: in the caller's cgroup).  Nothing for other plans.  */
int reg_phase_start (const struct reg_options *opts, const struct reg_plan *plan, pid_t init_pid, reg_place_fn place,
                     void *data, reg_error_t *err);

/* At delete, before the container's cgroup is emptied: let what
   reg_phase_start started finish its work (learn writes its profile).  */
int reg_phase_stop (const struct reg_options *opts, reg_error_t *err);

/* REG's process in the container's cgroup (STATE_DIR), which is not the
   container's (ps and kill --all leave it out); 0 when there is none.  */
pid_t reg_phase_helper_pid (const char *state_dir);

/* The name of PLAN's mode for the state ("off" for NULL).  */
const char *reg_plan_mode_name (const struct reg_plan *plan);

/* At delete, once the container's processes are gone: stop a learn
   recorder (waiting until its profile is written), remove minimal's
   STATE/reg-upper and STATE/reg-work, drop the container's reference on
   ENV_ID (NULL: none).  Idempotent.  */
int reg_phase_release (const struct reg_options *opts, const char *env_id, reg_error_t *err);

void reg_plan_free (struct reg_plan *plan);

#endif
