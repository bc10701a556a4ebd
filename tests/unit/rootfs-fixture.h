/* Rootfs fixtures for unit tests, made without root: host programs and
   their libraries copied in with their paths and symlinks (merged-/usr
   included), an ld.so.cache, small files.  Shared by the REG tests.  */
#ifndef REG_TEST_ROOTFS_FIXTURE_H
#define REG_TEST_ROOTFS_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci-spec.h"

struct fixture
{
  char dir[64];
  int rootfd;
};

void xsystem (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
bool have_program (const char *name);
char *fx_path (struct fixture *f, const char *path);
void fx_mkdirs (struct fixture *f, const char *path);
void fx_write (struct fixture *f, const char *path, const void *data, size_t len, mode_t mode);
void fx_text (struct fixture *f, const char *path, const char *text, mode_t mode);
void fx_symlink (struct fixture *f, const char *path, const char *target);
void copy_file (const char *from, const char *to);
char *host_copy (struct fixture *f, const char *path, char ***links, size_t *n_links, int depth);
size_t ldd_paths (const char *program, char ***out);
void free_strv (char **v, size_t n);
void copy_program (struct fixture *f, const char *program);
void fx_ldcache (struct fixture *f);
struct fixture *fx_new (void);
void fx_free (struct fixture *f);
struct fixture *fx_base (void);
/* Remove every fixture still alive (a failed test jumps out before fx_free). */
void fx_free_all (void);

/* Make the calling process root of a user namespace of its own, with a
   mount namespace of its own, when it is not root, or when it is and
   REG_TEST_USERNS is set (the meson tests "<name>-userns" run the tests
   that way as root): 65536 ids are mapped, from the user's subordinate
   range when it is not root.  Call it before any thread or fixture
   exists.  The code under test runs unchanged, with the privileges
   rootless reg-runc has (rootless Podman's namespace): it may chown within
   the range, mount, and mark inodes with fanotify.  NULL, or why it could
   not (no unprivileged user namespaces, no subordinate ids).  */
const char *fx_enter_user_namespace (void);

/* A config.json running ARG0 -l (PATH=/usr/bin:/bin, uid 0) in ./rootfs,
   with run.reg.mode MODE.  */
oci_config *fx_config (const char *mode, const char *arg0);

/* Skip the current test with a reason: TAP shows "ok N # SKIP" (see
   tap-skip.sh) and the reason on the line above, so a skip is counted as a
   skip, never as a pass.  */
#define TEST_SKIP(...)                                                                                                 \
  do                                                                                                                   \
    {                                                                                                                  \
      printf ("# SKIP: " __VA_ARGS__);                                                                                 \
      printf ("\n");                                                                                                   \
      skip ();                                                                                                         \
    }                                                                                                                  \
  while (0)

#endif
