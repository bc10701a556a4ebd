/* libreg: the REG store, a content-addressed shared layer on the host.
 *
 * Layout under the store root (default REG_DEFAULT_STORE):
 *
 *   lock                      flock: shared while a handle is open, exclusive for gc
 *   objects/<2 hex>/<62 hex>  one inode per (content, mode, uid, gid); written once
 *   objects/<2>/<62>.<n>      extra copies when the first has reached the link limit
 *   envs/<id>/manifest        an environment's canonical manifest (its digest is <id>)
 *   envs/<id>/root/           its tree: hard links to objects, symlinks, directories
 *   envs/<id>/refs/<name>     one empty file per container that uses it
 *   envs/<id>/image           the volume of the image it was first built from
 *   cache/ids/<xx>            identity cache, a table of fixed slots: boot, identity
 *                             (reg-identity.h) -> digest (see reg-store.c)
 *   cache/envs/<xx>/<key>     environment cache: caller's key -> env id + source identities
 *                             (of an overlay root: of its layers' files, see reg-store-env.c)
 *   tmp/                      work in progress; only gc (exclusive lock) empties it
 *
 * Everything becomes visible by one link(2) or rename(2) of a finished file
 * or tree from tmp/, so a process killed at any point leaves nothing partial
 * where a reader looks.  A handle holds a shared flock on `lock` from open to
 * close, so gc (exclusive) never runs between a create adding objects and
 * that create linking them into an environment and taking its reference.
 *
 * Not thread-safe: one handle per thread.  Do not run gc on one handle while
 * the same process holds another handle open (it would wait for itself).  */
#ifndef REG_STORE_H
#define REG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"
#include "reg-admin.h"
#include "reg-identity.h"

/* The largest file the store shares unless told otherwise (reg.conf's
   max_object_size): every byte of a file, holes included, is hashed.  */
#define REG_STORE_DEFAULT_MAX_OBJECT_SIZE ((uint64_t)1 << 30)

/* Files larger than BYTES (their length, holes included) are not shared
   (REG_STORE_UNSHARED_SIZE).  */
void reg_store_set_max_object_size (struct reg_store *s, uint64_t bytes);
uint64_t reg_store_max_object_size (struct reg_store *s);

/* --- objects ------------------------------------------------------------ */

/* reg_store_add_file's positive results: the file is not shared and stays
   as the image has it.  */
enum reg_store_unshared
{
  REG_STORE_UNSHARED_SETID = 1, /* set-uid or set-gid */
  REG_STORE_UNSHARED_XATTR = 2, /* carries an extended attribute (security.*, ACLs, user.*) */
  REG_STORE_UNSHARED_OWNER = 3, /* owned by a uid/gid this process cannot give an object */
  REG_STORE_UNSHARED_SIZE = 4,  /* larger than the store's max_object_size */
};
const char *reg_store_unshared_reason (int code);

/* Add the regular file open as FD (any offset; it is read with pread)
   whose identity (reg_identity_at) is ID.  Returns 0 with the object's
   digest (64 hex) and host path in *DIGEST and *OBJECT_PATH (either may be
   NULL; a new object is published by reg_store_flush, at once when
   OBJECT_PATH is asked for), a reg_store_unshared value (> 0) when the file must not be shared
   (nothing is left behind), or < 0 on error.  A file whose whole identity
   (mount, inode, times, mode, owner) was seen before in this boot and
   whose object still exists is not read again.  */
int reg_store_add_file (struct reg_store *s, int fd, const struct reg_identity *id, char **digest, char **object_path,
                        reg_error_t *err);

/* reg_store_add_file of a file whose content another process has read
   (reg_store_read_digest) as HASHED, found equal to its candidate object
   when COMPARED, while it had the identity ID, and had it still after
   (NULL: not read, as reg_store_add_file).  The digest only stands for the
   read: a new object is still named by the hash of what is copied.  */
int reg_store_add_file_hashed (struct reg_store *s, int fd, const struct reg_identity *id, const char *hashed,
                               bool compared, char **digest, reg_error_t *err);

/* The object name of the regular file open as FD, whose identity is ID,
   into HEX (REG_DIGEST_HEX_LEN + 1 bytes), from its bytes: those of its
   candidate object (*COMPARED: a new copy of a file the store has), else
   its hash.  Reads the store, never writes it: a helper process may call
   it.  */
int reg_store_read_digest (struct reg_store *s, int fd, const struct reg_identity *id, char *hex, bool *compared,
                           reg_error_t *err);

/* Sync and publish the new objects added since the last call: an object
   whose digest reg_store_add_file gave is in objects/ only after this (or
   reg_store_env_get, or reg_store_close, which call it), so that the
   objects of one create are synced together.  */
int reg_store_flush (struct reg_store *s, reg_error_t *err);

/* The host path of the object DIGEST (which need not exist).  */
char *reg_store_object_path (struct reg_store *s, const char *digest);

/* The object name of CONTENT with MODE, UID, GID (see reg-store.c for the
   encoding), written into HEX (REG_DIGEST_HEX_LEN + 1 bytes).  For tests
   and tools; reg_store_add_file computes it while copying.  */
void reg_store_digest_buffer (const void *content, size_t len, mode_t mode, uid_t uid, gid_t gid, char *hex);

/* 0 when the regular file open as FD (whose st_mode is MODE) may be
   shared, else the REG_STORE_UNSHARED_* reason (set-uid/set-gid, extended
   attributes; an owner this process cannot give is found only when the
   object is written), or a negative error.  */
int reg_store_shareable (int fd, mode_t mode, reg_error_t *err);

/* The object name the regular file open as FD (whose fstat is ST) would
   get, without adding it: for tools (`reg analyze`).  */
int reg_store_hash_object_fd (int fd, const struct stat *st, char *hex, reg_error_t *err);

/* The files added from now on, and the environment cache's sources, are
   of the rootfs with these layers (NULL: none; borrowed until the next
   call): a file of a lower layer is known by that layer file's identity
   (reg-layers.h), so a new overlay of known layers is not hashed again.  */
struct reg_layers;
void reg_store_set_layers (struct reg_store *s, struct reg_layers *layers);

/* What this handle has done, for logs and tests.  */
struct reg_store_counters
{
  uint64_t files_read; /* files whose content was read and hashed */
  uint64_t bytes_read;
  uint64_t files_hashed_only; /* of those, whose object was there: nothing written */
  uint64_t files_copied;      /* files written into the store (fsync included) */
  uint64_t identity_hits;     /* files answered by the identity cache */
  uint64_t candidate_hits;    /* files found equal to the object their size, mtime, mode and
                                 owner named: read, not hashed */
  uint64_t bytes_compared;    /* bytes of files compared with a candidate object, equal or not */
  uint64_t layer_files;       /* files of an overlay known by their lower-layer file */
  uint64_t objects_created;   /* objects this handle published */
  uint64_t envs_created;
  uint64_t link_copies; /* extra object copies made because of EMLINK */
};
void reg_store_get_counters (struct reg_store *s, struct reg_store_counters *out);

/* The identity tables also hold candidate records (see reg-store.c): a
   file's size, mtime, mode, owner and first page as an identity whose
   device is this.  */
#define REG_STORE_CANDIDATE_DEV UINT64_MAX

/* --- manifests (pure: no I/O) ------------------------------------------- */

struct reg_manifest *reg_manifest_new (void);
/* PATH is normalised ("/usr//lib/" -> "usr/lib"); "." or ".." components, an
   empty path and a NUL-free but over-long path are errors.  */
int reg_manifest_add_dir (struct reg_manifest *m, const char *path, mode_t mode, uid_t uid, gid_t gid,
                          reg_error_t *err);
int reg_manifest_add_file (struct reg_manifest *m, const char *path, const char *digest, mode_t mode, uid_t uid,
                           gid_t gid, reg_error_t *err);
int reg_manifest_add_symlink (struct reg_manifest *m, const char *path, const char *target, uid_t uid, gid_t gid,
                              reg_error_t *err);
/* Sort, reject duplicates and entries below a file or a symlink, and give
   the canonical serialisation (see reg-manifest.c) and its id (64 hex).  */
int reg_manifest_serialize (struct reg_manifest *m, char **data, size_t *len, reg_error_t *err);
int reg_manifest_id (struct reg_manifest *m, char **id, reg_error_t *err);

/* --- environments ------------------------------------------------------- */

/* The environment of M: built once as envs/<id>/root (hard links to the
   objects, symlinks, directories) and reused.  Every file's object must be
   in the store.  */
int reg_store_env_get (struct reg_store *s, struct reg_manifest *m, char **env_id, char **env_root, reg_error_t *err);
/* A container (REF_NAME: [A-Za-z0-9_.-]+) uses / stops using ENV_ID.  Unref
   of a reference or an environment that is gone is not an error.  */
int reg_store_env_ref (struct reg_store *s, const char *env_id, const char *ref_name, reg_error_t *err);
int reg_store_env_unref (struct reg_store *s, const char *env_id, const char *ref_name, reg_error_t *err);

/* The environment cache.  KEY is whatever the caller derives from its inputs
   (rootfs, entrypoint, mode, includes...); the record keeps the env id and
   the identities of the sources the environment was computed from (paths
   inside the rootfs: files, symlinks, directories).  */
struct reg_source_identity
{
  char *path;
  struct reg_identity id;
};
/* PATH (copied) with identity ID.  */
void reg_source_identity_set (struct reg_source_identity *src, const char *path, const struct reg_identity *id);

/* A growing list of source identities, as the environment cache records.  */
struct reg_sources
{
  struct reg_source_identity *items;
  size_t n, cap;
};
void reg_sources_add (struct reg_sources *s, const char *path, const struct reg_identity *id);
void reg_sources_clear (struct reg_sources *s);
int reg_store_env_cache_put (struct reg_store *s, const char *key, const char *env_id,
                             const struct reg_source_identity *sources, size_t n, reg_error_t *err);
/* 1 with *ENV_ID when KEY is cached in this boot, its environment exists
   and every source still has its identity inside ROOTFD (statx without
   following the last component, its directory resolved RESOLVE_IN_ROOT);
   0 on a miss (nothing computed from it may be trusted).  A record with an
   untrusted identity (reg_identity_trusted) is never written.  With layers
   (reg_store_set_layers, of ROOTFD's overlay), a source that is a lower
   layer's file is recorded and checked as that file, a directory by its
   mode, owner and entries: what the next container's overlay of the same
   layers shows again; a record with a source of the container's own upper
   layer is not written.  */
int reg_store_env_cache_get (struct reg_store *s, const char *key, int rootfd, char **env_id, reg_error_t *err);

/* Record the volume of the image (rootfs) ENV_ID was built from: its
   regular files and their bytes (reg_tree_size).  Kept for `reg ls`, which
   shows the environment's bytes against the image's; the first record
   stays (an environment is shared by every image with the same files).  */
int reg_store_env_set_image (struct reg_store *s, const char *env_id, uint64_t files, uint64_t bytes, reg_error_t *err);
/* Instead, where that image is: the path and identity of its root ROOTFD,
   for reg_store_list_envs to measure it (and record its volume) while it is
   still there.  A create need not walk the whole image (a third of a
   create with an empty store).  Nothing when ENV_ID has a record.  */
int reg_store_env_set_image_root (struct reg_store *s, const char *env_id, int rootfd, reg_error_t *err);
/* Whether ENV_ID has either record.  */
bool reg_store_env_has_image (struct reg_store *s, const char *env_id);

#endif
