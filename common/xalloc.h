/* reg-runc: allocation that aborts on out-of-memory (no caller checks for
 * NULL), and the cleanup attributes that release a local when it goes out
 * of scope.  The bottom of common/: it depends on nothing of ours.  */
#ifndef REG_XALLOC_H
#define REG_XALLOC_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *ptr, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
int xasprintf (char **p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static inline void
cleanup_freep (void *p)
{
  void **pp = (void **)p;
  free (*pp);
}
void cleanup_closep (int *fd);
void cleanup_dirp (DIR **d);
void cleanup_filep (FILE **f);
void free_string_array (char **a);
static inline void
cleanup_string_arrayp (char ***p)
{
  free_string_array (*p);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_string_array __attribute__ ((cleanup (cleanup_string_arrayp)))

/* Take ownership out of a cleanup-managed local.  */
#define steal_pointer(pp)                                                                                              \
  ({                                                                                                                   \
    __typeof__ (*(pp)) _p = *(pp);                                                                                     \
    *(pp) = NULL;                                                                                                      \
    _p;                                                                                                                \
  })
#define steal_fd(fdp)                                                                                                  \
  ({                                                                                                                   \
    int _fd = *(fdp);                                                                                                  \
    *(fdp) = -1;                                                                                                       \
    _fd;                                                                                                               \
  })

#endif
