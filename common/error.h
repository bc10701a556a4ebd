/* reg-runc: error values carried up the call chain.
 *
 * Every function that can fail returns 0 or a negative value and takes a
 * `reg_error_t *err` last.  The error records errno and one message; callers
 * prefix context with reg_error_wrap, the CLI prints the chain once.
 */
#ifndef REG_ERROR_H
#define REG_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#ifndef UNLIKELY
#define UNLIKELY(x) __builtin_expect (!!(x), 0)
#endif
#ifndef LIKELY
#define LIKELY(x) __builtin_expect (!!(x), 1)
#endif

struct reg_error_s
{
  int status; /* errno, or 0 when the error is not a system error */
  char *msg;
};
typedef struct reg_error_s *reg_error_t;

/* Set *err to "FMT[: strerror(status)]"; returns -1 (or -status when status
   is non-zero) so callers can `return reg_make_error (...)`.  */
int reg_make_error (reg_error_t *err, int status, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Prefix the message of *err with "FMT: ".  Returns the negative value that
   reg_make_error returned for it.  */
int reg_error_wrap (reg_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void reg_error_release (reg_error_t *err);

/* Hand the error in *from to the caller's *to (releasing what *to had).  */
void reg_error_move (reg_error_t *to, reg_error_t *from);

/* The status value to return for an error already in *err.  */
int reg_error_ret (reg_error_t *err);

/* Logging, for the CLI and the library alike.  Where the messages go (stderr,
   a --log file, text or JSON) is set once by the CLI.  */
enum reg_log_level
{
  REG_LOG_ERROR = 0,
  REG_LOG_WARNING = 1,
  REG_LOG_INFO = 2,
  REG_LOG_DEBUG = 3,
};

enum reg_log_format
{
  REG_LOG_TEXT = 0,
  REG_LOG_JSON = 1,
};

/* Open FILE (NULL: stderr only) for logs in FORMAT.  */
int reg_log_init (const char *file, enum reg_log_format format, bool debug, reg_error_t *err);
/* Stop writing to the log file (stderr only): a forked helper that closes
   the fds it does not need, whose log fd number would be reused.  */
void reg_log_close (void);
void reg_log (enum reg_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void reg_vlog (enum reg_log_level level, const char *fmt, va_list ap);
/* Print an error once: stderr, and the log file when one is set.  */
void reg_error_print (reg_error_t *err, const char *prefix);
bool reg_log_debug_enabled (void);

#define reg_warning(...) reg_log (REG_LOG_WARNING, __VA_ARGS__)
#define reg_debug(...)                                                                                                 \
  do                                                                                                                   \
    {                                                                                                                  \
      if (reg_log_debug_enabled ())                                                                                    \
        reg_log (REG_LOG_DEBUG, __VA_ARGS__);                                                                          \
    }                                                                                                                  \
  while (0)

#endif
