/* libreg: what the store's source files share; not installed.  */
#ifndef REG_STORE_INTERNAL_H
#define REG_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "reg-layers.h"
#include "reg-store.h"
#include "utils.h"

struct reg_store
{
  char *root;
  int root_fd;
  int lock_fd;
  int objects_fd;
  int envs_fd;
  int tmp_fd;
  int cache_ids_fd;
  int cache_envs_fd;
  int ids_fds[256];       /* the tables of cache/ids, opened at first use; -1 */
  bool keep_ids_fds;      /* whether the fd limit leaves room to keep them */
  bool rootless;          /* running_rootless () when opened */
  bool fs_known, fs_fuse; /* the last file system asked, by device and instance */
  uint64_t fs_dev, fs_mnt;
  unsigned long tmp_counter;
  uint64_t max_object_size;
  struct reg_layers *layers;         /* of the rootfs files are added from; not owned */
  struct reg_store_pending *pending; /* new objects written, not yet synced and linked */
  size_t n_pending;
  struct reg_store_counters counters;
};

/* Test hook: when REG_STORE_TEST_CRASH_AT names STEP, the process kills
   itself with SIGKILL there (crash-consistency tests).  */
void reg_store_crash_point (const char *step);

/* reg_store_flush without the store's name as context.  */
int reg_store_publish_pending (struct reg_store *s, reg_error_t *err);

/* A name for work in progress in tmp/: "<what>.<pid>.<n>.<random>".  */
char *reg_store_tmp_name (struct reg_store *s, const char *what);

bool reg_store_digest_valid (const char *digest);
void reg_sha256_hex (const void *data, size_t len, char *hex);

/* "ab/cdef..." (relative to objects/), with ".<copy>" when COPY > 0.  */
char *reg_store_object_rel (const char *digest, unsigned copy);

/* Make a new copy of object DIGEST (copy number COPY) from the existing
   object open as SRC_FD.  0 when made or when another process made it.  */
int reg_store_make_copy (struct reg_store *s, const char *digest, unsigned copy, int src_fd, reg_error_t *err);

const struct reg_manifest_entry *reg_manifest_lookup (const struct reg_manifest *m, const char *path);

/* The escaping of manifests (see reg-manifest.c): no byte <= 0x20, 0x7f or
   '\' is left.  unescape reads from *P up to a space or END; NULL if bad.  */
char *reg_store_escape (const char *s);
char *reg_store_unescape (const char **p, const char *end);

/* The file-identity record of this boot in the slot at SLOT
   (REG_STORE_IDENTITY_SLOT bytes of cache/ids, see reg-store.c; the record
   is its bytes up to the first newline): its identity and the digest
   (REG_DIGEST_HEX_LEN + 1 bytes) it names.  False when there is none
   (empty, damaged, of an older format or of another boot).  */
bool reg_store_identity_slot_parse (const char *slot, struct reg_identity *id, char *digest);
/* Where the record of ID's file is: table file NAME of cache/ids, and
   the offset of its set there.  */
void reg_store_identity_slot (const struct reg_identity *id, char name[3], off_t *set);
/* The page cache state of a whole file, cachestat(2) (Linux 6.5): the
   kernel's struct cachestat.  0 or -errno (ENOSYS before 6.5).  */
struct reg_cachestat
{
  uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
int reg_cachestat (int fd, struct reg_cachestat *out);

/* The slot size and the set size of the identity table.  */
#define REG_STORE_IDENTITY_SLOT 512
#define REG_STORE_IDENTITY_WAYS 2

/* An environment-cache record (cache/envs) of this boot whose check holds:
   the environment id (REG_DIGEST_HEX_LEN + 1 bytes) in ID, the start of
   its source lines returned and their end in *END; NULL when DATA is none
   (damaged, half rewritten, of an older format or of another boot).  */
const char *reg_store_env_record_parse (const char *data, size_t len, char *id, const char **end);

/* Error with the store root as context: "store `ROOT`: ...".  */
int reg_store_wrap (struct reg_store *s, reg_error_t *err, int ret);

#endif
