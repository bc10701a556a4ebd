/* reg-runc: where messages go (stderr, a --log file, text or JSON), set
 * once by the CLI (see error.h).  */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "utils.h"

static int log_fd = -1;
static enum reg_log_format log_format = REG_LOG_TEXT;
static bool log_debug;

int
reg_log_init (const char *file, enum reg_log_format format, bool debug, reg_error_t *err)
{
  log_format = format;
  log_debug = debug;
  if (file == NULL || *file == '\0')
    return 0;
  log_fd = open (file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (UNLIKELY (log_fd < 0))
    return reg_make_error (err, errno, "open log file `%s`", file);
  return 0;
}

void
reg_log_close (void)
{
  if (log_fd >= 0)
    close (log_fd);
  log_fd = -1;
}

bool
reg_log_debug_enabled (void)
{
  return log_debug;
}

static const char *
level_name (enum reg_log_level level)
{
  switch (level)
    {
    case REG_LOG_ERROR:
      return "error";
    case REG_LOG_WARNING:
      return "warning";
    case REG_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

/* JSON string escaping for the log line.  Written by hand because a log
   line is one short string and must work even when nothing else does.  */
static void
json_escape (FILE *out, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c == '\n')
        fputs ("\\n", out);
      else if (c == '\t')
        fputs ("\\t", out);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
}

static void
log_to_file (enum reg_log_level level, const char *msg)
{
  cleanup_free char *line = NULL;
  cleanup_free char *now = NULL;
  size_t len = 0;
  FILE *out;

  if (log_fd < 0)
    return;
  out = open_memstream (&line, &len);
  if (out == NULL)
    return;
  now = rfc3339_now ();
  if (log_format == REG_LOG_JSON)
    {
      fprintf (out, "{\"level\":\"%s\",\"msg\":\"", level_name (level));
      json_escape (out, msg);
      fprintf (out, "\",\"time\":\"%s\"}\n", now);
    }
  else
    fprintf (out, "%s %s: %s\n", now, level_name (level), msg);
  fclose (out);
  (void)write_all (log_fd, line, len, NULL);
}

void
reg_vlog (enum reg_log_level level, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (level == REG_LOG_DEBUG && !log_debug)
    return;
  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  log_to_file (level, msg);
  /* Warnings and errors also reach the caller's terminal, as runc prints
     them; with a log file, debug output goes only to the file.  */
  if (level <= REG_LOG_WARNING || log_fd < 0)
    fprintf (stderr, "%s: %s\n", level_name (level), msg);
}

void
reg_log (enum reg_log_level level, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  reg_vlog (level, fmt, ap);
  va_end (ap);
}

void
reg_error_print (reg_error_t *err, const char *prefix)
{
  cleanup_free char *msg = NULL;

  if (err == NULL || *err == NULL)
    return;
  if (prefix)
    xasprintf (&msg, "%s: %s", prefix, (*err)->msg);
  else
    msg = xstrdup ((*err)->msg);
  log_to_file (REG_LOG_ERROR, msg);
  fprintf (stderr, "%s\n", msg);
}
