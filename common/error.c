/* reg-runc: the error values carried up the call chain (see error.h).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "xalloc.h"

static int
error_ret (int status)
{
  return status > 0 ? -status : -1;
}

int
reg_make_error (reg_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);

  if (status > 0)
    {
      char *full = NULL;
      xasprintf (&full, "%s: %s", msg, strerror (status));
      free (msg);
      msg = full;
    }

  if (err == NULL)
    {
      free (msg);
      return error_ret (status);
    }
  reg_error_release (err);
  *err = xmalloc0 (sizeof (**err));
  (*err)->status = status;
  (*err)->msg = msg;
  return error_ret (status);
}

int
reg_error_wrap (reg_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix = NULL;
  char *full = NULL;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    abort ();
  va_end (ap);

  xasprintf (&full, "%s: %s", prefix, (*err)->msg);
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = full;
  return error_ret ((*err)->status);
}

int
reg_error_ret (reg_error_t *err)
{
  if (err == NULL || *err == NULL)
    return -1;
  return error_ret ((*err)->status);
}

void
reg_error_release (reg_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
reg_error_move (reg_error_t *to, reg_error_t *from)
{
  reg_error_release (to);
  *to = *from;
  *from = NULL;
}
