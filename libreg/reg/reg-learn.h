/* libreg: learn mode — record the files a container opens, keep them as a
 * profile in the REG store, and give later `minimal` runs the profile.
 *
 * A profile is keyed by the entrypoint: the content digest of the file
 * process.args[0] resolves to in the rootfs, the arguments, the cwd and the
 * PATH / LD_LIBRARY_PATH of process.env (reg_profile_key); any copy of the
 * same image with the same command line finds it.  It is a text file
 * STORE/profiles/<key>: "reg-profile 1", then one absolute rootfs path per
 * line, sorted ("/dir/" for a directory the program listed; '\n' and '\\'
 * escaped as "\n" and "\\").  Learning again merges (union) with what is
 * there; the file is replaced atomically.  A profile holds at most
 * REG_PROFILE_MAX_PATHS paths and REG_PROFILE_MAX_BYTES bytes: a container
 * that opens more gets a profile cut there (the paths already in it are
 * kept first), and one warning.  A profile that cannot be read (corrupt,
 * over the bounds, not a regular file) never fails a `minimal` create: it
 * is a warning, and the environment is built without it.
 *
 * The recorder.  reg_learn_start puts a fanotify mark (FAN_OPEN |
 * FAN_OPEN_EXEC, directories too) on the container's root *mount* and
 * double-forks a small process, in the caller's (host) mount namespace,
 * that keeps the mark: it is not a child anyone waits for, and it holds
 * none of the caller's fds (stdin and stdout are /dev/null, stderr a file
 * in the state dir), so a client waiting for `create`'s output to close is
 * not held.  What it records stops growing at the profile's bounds.
 * Only the root mount is marked: /proc, /sys, /dev and config.json's
 * mounts are other mounts and give no events.  Each event's file is named
 * by its /proc/self/fd link, mapped to a path of the root (checked by
 * device and inode against the root), and recorded.  The recorder stops
 * when the container's init exits (pidfd), when reg_learn_stop asks (a
 * FIFO in the state dir) or on SIGTERM/SIGINT; then it merges what it saw
 * into the profile.  Its warnings (the profile was cut, events were lost,
 * the profile could not be written) go to reg-learn.warnings, which
 * reg_learn_stop logs: they reach the log and stderr of the `delete` (or
 * `run`) that ends the container.
 *
 * The recorder runs in the container's cgroup: it joins it before it makes
 * its fanotify group, so the container's limits bound it, the kernel's
 * queue of events included (charged to the memory cgroup of the group's
 * creator).  It is the runtime's helper there, not a process of the
 * container: ps and kill --all leave it out, and delete lets it write the
 * profile before it empties the cgroup.
 *
 * Files in the container's state dir: reg-learn.stop (FIFO),
 * reg-learn.lock (held by the recorder until the profile is written; it
 * holds the recorder's pid) and reg-learn.warnings.  */
#ifndef REG_LEARN_H
#define REG_LEARN_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"
#include "reg-store.h"
#include "reg.h"

#define REG_LEARN_STOP_FIFO "reg-learn.stop"
#define REG_LEARN_LOCK "reg-learn.lock"
#define REG_LEARN_WARNINGS "reg-learn.warnings"

/* The bounds of a profile, so of the recorder's memory and of what a
   `minimal` create reads: far above what a program opens to start (a
   Python or Node.js service: a few thousand files, a few hundred KiB),
   far below what a container that opens files without end would make.
   BYTES is the size of the profile file.  */
#define REG_PROFILE_MAX_PATHS 65536u
#define REG_PROFILE_MAX_BYTES (8u << 20)

/* The profile key of process P in the rootfs open as ROOTFD (64 hex, in
   *KEY).  The entrypoint's digest comes from the store's identity cache
   when the file was seen before (nothing is read then).  An entrypoint
   that is missing or not shareable (set-uid) is keyed by its path.  S may
   be NULL: the digest is computed without adding anything to a store.  */
int reg_profile_key (struct reg_store *s, int rootfd, const oci_process *p, char **key, reg_error_t *err);

/* What a merge wrote: the profile's paths and bytes, and how many new
   paths it left out at the bounds.  */
struct reg_profile_summary
{
  size_t paths, bytes, dropped;
};

/* Merge PATHS into profile KEY (created as needed), atomically, under a
   lock of the profiles directory.  Within the bounds, the paths already
   in the profile first; SUM (may be NULL) says what was written.  */
int reg_profile_merge (const char *store_root, const char *key, const char *const *paths, size_t n,
                       struct reg_profile_summary *sum, reg_error_t *err);

/* An identity of profile KEY that changes whenever it is rewritten ("none"
   when there is none): for the environment cache key.  */
char *reg_profile_identity (const char *store_root, const char *key);

/* Start the recorder for a container in learn mode.  PLAN is its REG plan
   (mode learn; its profile_key names the profile).  ROOT_FD is a
   directory fd on the container's root mount, or -1 to use
   /proc/INIT_PID/root (the container's root once it has pivoted).  Call it
   after the container's root is mounted and before its init execs the
   entrypoint; the mark is in place when it returns.  OPTS->state_dir must
   exist.  PLACE (with PLACE_DATA) puts the recorder in the container's
   cgroup, bounded by its limits; NULL: it stays in the caller's.  *RECORDER_PID (may be NULL) is the recorder's pid,
   for logs.  */
int reg_learn_start (const struct reg_options *opts, const struct reg_plan *plan, int root_fd, pid_t init_pid,
                     reg_place_fn place, void *place_data, pid_t *recorder_pid, reg_error_t *err);

/* The pid of the container's running recorder (STATE_DIR), 0 when there is
   none: a process of its cgroup that is not the container's.  */
pid_t reg_learn_recorder (const char *state_dir);

/* Ask the recorder of the container (OPTS->state_dir) to stop and wait (up
   to TIMEOUT_MS) until its profile is written, then log its warnings.  No
   recorder: 0.  */
int reg_learn_stop (const struct reg_options *opts, int timeout_ms, reg_error_t *err);

#endif
