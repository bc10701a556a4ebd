/* libreg: from a closure to the files of an environment — the step share
   and minimal have in common.  */
#ifndef REG_ENV_H
#define REG_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "reg-analyze.h"
#include "reg-store.h"

struct reg_env_added
{
  size_t files, symlinks, unshared;
  size_t helped; /* files a helper process hashed (see reg-env.c) */
  uint64_t bytes;
};

/* Add the files of C (in the rootfs open as ROOTFD) to STORE and to M, and
   every source's identity to SRC.  STORE NULL (and M NULL): only count what
   would be added, writing nothing (`reg analyze`); what the store would
   not share counts as left out then too.  ALL: every regular file and symlink
   (minimal: the environment is all the container sees); otherwise only the
   ELF objects (share: the rest stays the image's own).  A file the store
   will not share is left out: a warning when ALL (the program may miss it),
   a debug line otherwise (the image's own file stays in place).  */
int reg_env_add_closure (struct reg_store *store, int rootfd, const struct reg_closure *c, bool all,
                         struct reg_manifest *m, struct reg_sources *src, struct reg_env_added *added,
                         reg_error_t *err);

/* The volume of an image: its regular files and their bytes, each inode
   once (hard links), walking the tree of DIRFD without following symlinks
   or entering mounts on top of it.  Directories and special files count
   nothing.  */
struct reg_tree_size
{
  uint64_t files, bytes;
};
int reg_tree_size (int dirfd, struct reg_tree_size *out, reg_error_t *err);

#endif
