/* libreg: the minimized environment of `minimal` mode.
 *
 * What it holds, all taken from the rootfs (resolved inside it):
 *  - the ELF/shebang closure of the entrypoint (reg-analyze);
 *  - the learned profile of the entrypoint (reg-learn), with the ELF
 *    closures of its files and the symlinks of their directories that
 *    point at them (a dlopen'ed "libfoo.so.1" is opened as its target);
 *  - run.reg.include: comma-separated absolute paths; a directory brings
 *    its whole tree, a component may hold shell wildcards (* ? [...], no
 *    "**"); every file brings its own closure.  A relative path or a ".."
 *    component is an error naming the annotation; a path (or a wildcard)
 *    that matches nothing is a warning;
 *  - the default groups, each when present in the image, each switched
 *    with run.reg.defaults (see reg_defaults_parse);
 *  - the mount points of config.json's mounts (empty directories with the
 *    image's mode, 0755 when the image has none, an empty file for the
 *    bind mount of a file), /tmp (1777 when the image has none) and the
 *    symlinks at the top of the root (/bin -> usr/bin, ...) whose target is
 *    in the environment.
 * Directories keep the image's mode and owner.  Files the store does not
 * share (set-uid/set-gid, extended attributes) are left out with a
 * warning: they would have to be private copies, and minimal's point is
 * the shared layer.  */
#ifndef REG_MINIMAL_H
#define REG_MINIMAL_H

#include <stddef.h>

#include "error.h"
#include "oci-spec.h"
#include "reg-store.h"

enum reg_default_group
{
  REG_DEFAULTS_USERS = 1 << 0,     /* /etc/passwd, group, nsswitch.conf */
  REG_DEFAULTS_HOSTS = 1 << 1,     /* /etc/hosts, resolv.conf, hostname, host.conf, services, protocols */
  REG_DEFAULTS_ZONEINFO = 1 << 2,  /* /etc/localtime (and its zoneinfo file), /etc/timezone */
  REG_DEFAULTS_CERTS = 1 << 3,     /* /etc/ssl/certs, /etc/ssl/openssl.cnf, /usr/share/ca-certificates, /etc/pki */
  REG_DEFAULTS_LDCACHE = 1 << 4,   /* /etc/ld.so.cache */
  REG_DEFAULTS_OSRELEASE = 1 << 5, /* /etc/os-release */
  REG_DEFAULTS_ALL = (1 << 6) - 1,
};

/* run.reg.defaults: comma-separated words applied left to right to "all":
   `-GROUP` drops a group, `GROUP` or `+GROUP` keeps it, `none` drops all,
   `all` keeps all.  NULL or "" is all.  An unknown word is an error naming
   the annotation.  */
int reg_defaults_parse (const char *value, unsigned *groups, reg_error_t *err);

/* The .py source of a compiled module in __pycache__, or NULL (pure).  */
char *reg_pyc_source (const char *path);

/* CPython's stdlib landmark ("DIR/os.py") when DIR is a "pythonX.Y"
   directory of a profile, else NULL (pure).  */
char *reg_python_landmark (const char *dir);

/* run.reg.include split into its paths (NULL-terminated, *N of them).  */
int reg_includes_parse (const char *value, char ***paths, size_t *n, reg_error_t *err);

/* What a minimal environment was built from and what it left out.  */
struct reg_minimal_result
{
  char *env_id;
  struct reg_sources sources; /* for the environment cache */
  size_t files, dirs, symlinks, unshared;
  uint64_t bytes;
};
void reg_minimal_result_clear (struct reg_minimal_result *r);

/* Build (or find) the minimal environment of CONFIG in the rootfs open as
   ROOTFD, with the learned PROFILE paths (may be NULL), into the store S.  */
int reg_minimal_build (struct reg_store *s, int rootfd, const oci_config *config, const char *const *profile,
                       size_t n_profile, struct reg_minimal_result *res, reg_error_t *err);

/* What reg_minimal_build would put into the environment (RES: files,
   bytes, symlinks, directories, left out; no env_id), without writing
   anything: for `reg analyze`.  */
int reg_minimal_measure (int rootfd, const oci_config *config, const char *const *profile, size_t n_profile,
                         struct reg_minimal_result *res, reg_error_t *err);

/* The mount points of CONFIG as they enter the environment cache key:
   "dest kind" lines (kind f: a file bind mount, d: a directory).  */
char *reg_minimal_mounts_key (const oci_config *config);

#endif
