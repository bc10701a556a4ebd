/* libreg: the state directory of containers.
 *
 * ROOT/ID/ (mode 0700) holds `status.json`, written atomically, and
 * `exec.fifo` while the container is `created`.  Every command that changes a
 * container holds an flock on ROOT/ID, so two commands on one id never
 * interleave.  */
#ifndef RUNTIME_STATUS_H
#define RUNTIME_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

#define RUNTIME_STATUS_FILE "status.json"
#define RUNTIME_EXEC_FIFO "exec.fifo"
/* Only with startContainer hooks: the init writes why it could not reach
   execve (a failed hook) here, for start to report.  */
#define RUNTIME_START_RESULT "start.result"
/* Written by create before anything outside the state dir exists that
   delete must undo, until the status is: "env ID", "cgroup PATH" and
   "unit NAME" (systemd) lines,
   so delete --force can undo a create that was killed midway.  */
#define RUNTIME_CREATING_FILE "creating"
/* An id is the name of its state directory, ROOT/ID, so it must fit in
   NAME_MAX (255) bytes.  runc takes up to 1024 and then fails at mkdir;
   checking it up front gives one clear error before anything is made.  */
#define RUNTIME_ID_MAX 255

enum runtime_container_status
{
  RUNTIME_STATUS_CREATING = 0,
  RUNTIME_STATUS_CREATED,
  RUNTIME_STATUS_RUNNING,
  RUNTIME_STATUS_STOPPED,
  RUNTIME_STATUS_PAUSED,
};

struct runtime_status
{
  char *id;
  pid_t pid;
  unsigned long long pid_start; /* /proc/PID/stat field 22, to detect pid reuse */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *reg_mode;
  char *reg_env;
  char **cgroup_paths; /* NULL-terminated: one directory per hierarchy */
  char *host_root;     /* no mount namespace: the root's mount (runtime_mounts_host_root), or NULL */
  char *cgroup_unit;   /* the systemd scope owning them, or NULL */
  oci_map annotations;
  bool no_process;          /* config.json without process: start must fail */
  oci_hooks_list poststart; /* run by start */
  oci_hooks_list poststop;  /* run by delete, when the bundle may be gone */
};

/* Is ID a valid container id (1 to RUNTIME_ID_MAX bytes of [A-Za-z0-9_.+-],
   starting with a letter or digit)?  Otherwise one line that says why:
   `invalid container id "x/y": ...`, with the id cut short and its control
   characters escaped.  */
int runtime_status_validate_id (const char *id, reg_error_t *err);

/* Make ROOT/ID and return it open and locked in *DIRFD; an existing id is
   `container "ID" already exists`.  */
int runtime_status_create_dir (const char *root, const char *id, int *dirfd, reg_error_t *err);

/* Open and lock ROOT/ID (exclusive, or shared when SHARED); a missing one is
   `container "ID" does not exist`.  */
int runtime_status_open (const char *root, const char *id, bool shared, int *dirfd, reg_error_t *err);

/* Remove ROOT/ID (whose locked fd is DIRFD).  */
int runtime_status_remove_dir (const char *root, const char *id, reg_error_t *err);

int runtime_status_write (int dirfd, const struct runtime_status *st, reg_error_t *err);
int runtime_status_read (int dirfd, const char *id, struct runtime_status *st, reg_error_t *err);
void runtime_status_clear (struct runtime_status *st);
#define cleanup_status __attribute__ ((cleanup (runtime_status_clear)))

/* Serialise / parse the status document (pure, unit-tested).  */
char *runtime_status_to_json (const struct runtime_status *st, size_t *len);
int runtime_status_from_json (const char *data, const char *id, struct runtime_status *st, reg_error_t *err);

/* What the container is now: its init alive (same start time, not a
   zombie), and the exec fifo still there or not.  */
enum runtime_container_status runtime_status_current (int dirfd, const struct runtime_status *st);
const char *runtime_container_status_name (enum runtime_container_status s);

/* Field 22 (start time) and field 3 (state) of /proc/PID/stat; -errno.  */
int runtime_proc_stat (pid_t pid, unsigned long long *start_time, char *state);
/* Parse the text of a /proc/PID/stat (pure).  */
int runtime_proc_stat_parse (const char *text, unsigned long long *start_time, char *state);

/* The ids under ROOT (sorted); *IDS is NULL-terminated.  */
int runtime_status_list_ids (const char *root, char ***ids, reg_error_t *err);

#endif
