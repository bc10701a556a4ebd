/* libreg: the closure of files a container's entrypoint needs.
 *
 * Starting from process.args[0] (resolved through the container's PATH), it
 * follows shebang interpreters, PT_INTERP and DT_NEEDED the way glibc's (or
 * musl's) loader searches for them, plus what glibc loads at run time (NSS
 * modules, libgcc_s, gconv).  Every path is resolved inside the rootfs
 * (openat2 RESOLVE_IN_ROOT, symlinks walked one by one and recorded), so an
 * image's symlink never makes us read a host file.  Needs no privilege.  */
#ifndef REG_ANALYZE_H
#define REG_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "reg-identity.h"

/* Bounds that keep the work finite on absurd images.  */
#define REG_ANALYZE_MAX_LINKS 40     /* symlinks followed per path, as the kernel */
#define REG_ANALYZE_MAX_SHEBANG 8    /* nested #! interpreters */
#define REG_ANALYZE_MAX_OBJECTS 4096 /* ELF objects analysed */
#define REG_ANALYZE_MAX_DIRS 256     /* directories of one search list */
#define REG_ANALYZE_MAX_MISSING 1024

enum reg_closure_kind
{
  REG_CLOSURE_FILE = 0,
  REG_CLOSURE_SYMLINK,
};

struct reg_closure_entry
{
  char *path; /* absolute, inside the rootfs, no symlink in its parents */
  enum reg_closure_kind kind;
  char *link_target; /* SYMLINK: the link text as stored */
  char *reason;      /* "entrypoint", "interpreter", "shebang", "needed by /usr/bin/x", "nss",
                        "libgcc_s", "gconv", "symlink" */
  bool elf;          /* FILE: an ELF object */
  /* Of the file we opened (not following a symlink): later stages use it
     without opening it again.  */
  struct reg_identity id;
  /* FILE: that file, still open read-only (the closure closes it), or -1
     (not readable, or past the budget of open files: later stages open
     the path again).  What is hashed is then what was analysed.  */
  int fd;
};

struct reg_missing
{
  char *name;      /* the library (or program) not found */
  char *needed_by; /* the object that asked for it ("process.args" for the entrypoint) */
};

struct reg_analysis; /* search state, private */

struct reg_closure
{
  struct reg_closure_entry *entries; /* unique by path, in discovery order */
  size_t n;
  struct reg_missing *missing;
  size_t n_missing;
  bool glibc; /* the program's libc is glibc */
  bool musl;
  struct reg_analysis *priv;
};

/* Compute the closure of ARGV (process.args) with ENV (process.env, "K=V",
   both NULL-terminated; ENV may be NULL) and CWD (NULL: "/") in the rootfs
   open as ROOTFD.  An entrypoint or library that cannot be found is recorded
   in `missing`, not an error; errors are for failures of the analysis
   itself.  */
/* PATTERN's matches in the root ROOTFD, sorted: shell wildcards (`*`, `?`,
   `[...]`) in any component, each directory read inside the root; a
   component without one is taken as it is (not checked).  At most
   REG_GLOB_MAX_MATCHES.  *OUT is NULL-terminated, for free_string_array.  */
#define REG_GLOB_MAX_MATCHES 100000
void reg_glob_in_root (int rootfd, const char *pattern, char ***out, size_t *n);

/* NAME as execvp finds it in the root ROOTFD (every path resolved inside
   it): itself when it holds a slash (relative to CWD), else the first
   executable regular file named NAME in PATH_ENV's directories (NULL: the
   default PATH; a relative or empty entry is relative to CWD).  *PATH gets
   its path in the root (even when it does not exist, for messages).
   -ENOENT when none.  One lookup for the closure and the profile key.  */
int reg_find_program (int rootfd, const char *name, const char *path_env, const char *cwd, char **path);

int reg_analyze (int rootfd, const char *const *argv, const char *const *env, const char *cwd, struct reg_closure **out,
                 reg_error_t *err);

/* Add PATH of the rootfs (a regular file; symlinks on the way are recorded)
   to C with REASON, and when it is an ELF object, its own closure.  C may
   come from reg_analyze (the same ROOTFD, its search settings) or be a new
   zeroed struct.  */
int reg_closure_add_path (int rootfd, struct reg_closure *c, const char *path, const char *reason, reg_error_t *err);
/* reg_closure_add_path for the regular file NAME of the directory DIRFD of
   ROOTFD, whose canonical path is CANON (no symlink on the way): a
   directory walk adds each file without walking again from the root.  */
int reg_closure_add_file_at (int rootfd, struct reg_closure *c, int dirfd, const char *name, const char *canon,
                             const char *reason, reg_error_t *err);

/* The entry for PATH, or NULL.  */
const struct reg_closure_entry *reg_closure_find (const struct reg_closure *c, const char *path);

void reg_closure_free (struct reg_closure *c);

#endif
