/* reg-runc: allocation and cleanups (see xalloc.h).  */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "xalloc.h"

static void __attribute__ ((noreturn)) oom (void)
{
  fputs ("out of memory\n", stderr);
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p;
  if (s == NULL)
    return NULL;
  p = strdup (s);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (UNLIKELY (p == NULL))
    oom ();
  return p;
}

int
xasprintf (char **p, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = vasprintf (p, fmt, ap);
  va_end (ap);
  if (UNLIKELY (ret < 0))
    oom ();
  return ret;
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
      *fd = -1;
    }
}

void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
free_string_array (char **a)
{
  if (a == NULL)
    return;
  for (char **p = a; *p; p++)
    free (*p);
  free (a);
}
