/* libreg: what the CLI's `reg` commands call (cmd/reg*.c), REG's public
 * interface besides the phase (reg.h), which the runtime calls.  Everything
 * else of REG is internal to libreg/reg.
 *
 *   reg analyze   reg_report_analyze: the closure of an entrypoint, each
 *                 file's object digest, and the volume (image, closure, the
 *                 environment `minimal` would make), nothing written
 *   reg ls        reg_store_list_envs       reg stats  reg_store_stats
 *   reg gc        reg_store_gc              reg check  reg_store_check
 *   reg profile   reg_profile_list, reg_profile_read, reg_profile_remove
 *
 * Declared here, defined with the rest of their module (reg-store*.c,
 * reg-manifest.c, reg-learn.c, reg-report.c).  */
#ifndef REG_ADMIN_H
#define REG_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

#define REG_DIGEST_HEX_LEN 64

/* --- the store (reg-store.h has the rest) ------------------------------ */

struct reg_store;

/* Open (creating as needed) the store at ROOT and take its shared lock.  */
int reg_store_open (const char *root, struct reg_store **out, reg_error_t *err);
void reg_store_close (struct reg_store *s);
const char *reg_store_root (struct reg_store *s);

/* The root of an existing environment, or an ENOENT error.  */
int reg_store_env_root (struct reg_store *s, const char *env_id, char **env_root, reg_error_t *err);

enum reg_entry_type
{
  REG_ENTRY_DIR = 'd',
  REG_ENTRY_FILE = 'f',
  REG_ENTRY_SYMLINK = 'l',
};

struct reg_manifest_entry
{
  char *path; /* relative to the environment root, normalised: "usr/lib/libc.so.6" */
  enum reg_entry_type type;
  char *digest; /* FILE: the object (its mode/uid/gid are the object's) */
  char *target; /* SYMLINK: the link text, kept verbatim */
  mode_t mode;  /* DIR: permission bits; FILE: the object's; SYMLINK: 0777 */
  uid_t uid;
  gid_t gid;
};

struct reg_manifest
{
  struct reg_manifest_entry *entries;
  size_t n;
  size_t cap;
};

void reg_manifest_free (struct reg_manifest *m);
int reg_manifest_parse (const char *data, size_t len, struct reg_manifest **out, reg_error_t *err);

struct reg_env_info
{
  char *id;
  uint64_t files; /* regular files */
  uint64_t symlinks;
  uint64_t dirs;
  uint64_t bytes;                    /* sum of the sizes of its files */
  uint64_t image_files, image_bytes; /* the image it was built from; 0 when not known */
  char **refs;                       /* NULL-terminated names of the containers using it */
  size_t n_refs;
  int64_t created; /* seconds since the epoch */
};
int reg_store_list_envs (struct reg_store *s, struct reg_env_info **envs, size_t *n, reg_error_t *err);
void reg_env_info_free (struct reg_env_info *envs, size_t n);

struct reg_store_stats
{
  uint64_t objects;      /* distinct inodes in objects/ (copies included) */
  uint64_t object_bytes; /* bytes in the store: each object once */
  uint64_t envs;
  uint64_t refs;             /* container references over all environments */
  uint64_t env_links;        /* links from environments to objects */
  uint64_t referenced_bytes; /* bytes the environments would take unshared */
  uint64_t saved_bytes;      /* referenced_bytes - object_bytes (0 if negative) */
  double sharing_degree;     /* env_links / objects: mean number of environments per object */
};
int reg_store_stats (struct reg_store *s, struct reg_store_stats *st, reg_error_t *err);

/* --- maintenance -------------------------------------------------------- */

struct reg_gc_result
{
  uint64_t envs_removed;
  uint64_t objects_removed;
  uint64_t bytes_freed;
  uint64_t temps_removed;
  uint64_t cache_entries_removed;
};
/* Take the exclusive lock (waiting for every open handle to close), remove
   environments without references, objects no environment links, what is
   left in tmp/ (only killed processes leave anything there) and cache
   entries that name removed objects or environments.  */
int reg_store_gc (struct reg_store *s, struct reg_gc_result *res, reg_error_t *err);

struct reg_check_problem
{
  char *object; /* path relative to the store root */
  char *problem;
};
struct reg_check_result
{
  uint64_t objects; /* hashed */
  uint64_t bytes;
  uint64_t skipped; /* objects not hashed: older than `since`, or not in the sample */
  struct reg_check_problem *problems;
  size_t n_problems;
};
/* What to re-hash, so that a check can run often on a large store.  */
struct reg_check_options
{
  int64_t since;   /* only objects whose ctime (seconds since the epoch) is at or after this; 0: all */
  uint64_t sample; /* at most this many of them, chosen at random; 0: all */
};
/* Re-hash the objects OPTS selects (NULL: every one) with their inodes'
   mode/uid/gid and compare with their names; every object's name and type
   are checked whatever OPTS says.  Problems are listed in RES; the return
   value is < 0 only when the check itself could not run.  */
int reg_store_check (struct reg_store *s, const struct reg_check_options *opts, struct reg_check_result *res,
                     reg_error_t *err);
void reg_check_result_clear (struct reg_check_result *res);

/* --- learned profiles (reg-learn.h has the rest) -------------------------- */

/* The paths of profile KEY (NULL-terminated, sorted; an empty list when
   there is none).  A profile over the bounds, corrupt or not a regular
   file is an error ("profile KEY: ...").  */
int reg_profile_read (const char *store_root, const char *key, char ***paths, size_t *n, reg_error_t *err);

/* The keys of every profile (NULL-terminated), and removing one.  */
int reg_profile_list (const char *store_root, char ***keys, size_t *n, reg_error_t *err);
int reg_profile_remove (const char *store_root, const char *key, reg_error_t *err);

/* --- reg analyze ---------------------------------------------------------- */

struct reg_report_file
{
  const char *path;   /* absolute, inside the rootfs */
  bool symlink;       /* else a regular file */
  const char *target; /* symlink: its text */
  const char *reason; /* why it is in the closure ("needed by /usr/bin/x") */
  bool elf;
  uint64_t size;
  mode_t mode;                         /* permission bits */
  char digest[REG_DIGEST_HEX_LEN + 1]; /* file: the object it would be, "-" when unreadable */
};

struct reg_report_missing
{
  const char *name;
  const char *needed_by;
};

struct reg_report
{
  const char *libc; /* "glibc", "musl", "unknown" */
  struct reg_report_file *files;
  size_t n_files;
  struct reg_report_missing *missing;
  size_t n_missing;
  uint64_t image_files, image_bytes; /* the rootfs's regular files */
  uint64_t closure_files, closure_bytes;
  /* With a bundle: the environment `minimal` would make for it now. */
  bool have_env;
  uint64_t env_files, env_bytes, env_symlinks, env_dirs, env_left_out;
  char *profile_key; /* the learned profile it would use */
  size_t profile_paths;
  void *priv; /* owns the strings above */
};

struct reg_report_request
{
  const char *rootfs;
  const char *const *args; /* process.args */
  const char *const *env;  /* process.env, NULL-terminated; may be NULL */
  const char *cwd;         /* NULL: "/" */
  /* With a bundle (BUNDLE and CONFIG, its config.json): the environment
     `minimal` would make, with the profile STORE_ROOT has for it (a store
     that cannot be read is a warning).  Relative mount sources are the
     bundle's: the process's working directory becomes BUNDLE.  */
  const char *bundle;
  const oci_config *config;
  const char *store_root;
};

int reg_report_analyze (const struct reg_report_request *rq, struct reg_report *out, reg_error_t *err);
void reg_report_clear (struct reg_report *r);

#endif
