/* reg-runc ps [--format table|json] ID [PS OPTIONS]
   json: the host pids of the container's cgroup; table: ps's own output
   (`ps -ef` or the options given) cut down to those pids, as runc does.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "container-cgroup.h"
#include "utils.h"

static bool
has_pid (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* The column of the PID field in ps's header line, or -1.  */
static int
pid_column (const char *header)
{
  cleanup_free char *copy = xstrdup (header);
  char *save = NULL;
  int col = 0;

  for (char *t = strtok_r (copy, " \t\n", &save); t; t = strtok_r (NULL, " \t\n", &save), col++)
    if (strcmp (t, "PID") == 0)
      return col;
  return -1;
}

static long
field (const char *line, int col)
{
  cleanup_free char *copy = xstrdup (line);
  char *save = NULL;
  char *t = strtok_r (copy, " \t\n", &save);

  for (int i = 0; t && i < col; i++)
    t = strtok_r (NULL, " \t\n", &save);
  return t ? strtol (t, NULL, 10) : -1;
}

static int
ps_table (const pid_t *pids, size_t n, int argc, char **argv, reg_error_t *err)
{
  cleanup_free char **args = xmalloc0 ((size_t)(argc + 3) * sizeof (char *));
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  int fds[2], col = -1, status;
  bool first = true;
  pid_t child;

  args[0] = (char *)"ps";
  if (argc == 0)
    args[1] = (char *)"-ef";
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return reg_make_error (err, errno, "pipe");
  child = fork ();
  if (child < 0)
    return reg_make_error (err, errno, "fork");
  if (child == 0)
    {
      dup2 (fds[1], 1);
      execvp ("ps", args);
      _exit (127);
    }
  close (fds[1]);
  f = fdopen (fds[0], "r");
  while (getline (&line, &cap, f) > 0)
    {
      if (first)
        {
          first = false;
          col = pid_column (line);
          if (col < 0)
            {
              free (line);
              fclose (f);
              waitpid (child, NULL, 0);
              return reg_make_error (err, 0, "ps: no PID column in ps's output (options must keep it)");
            }
          fputs (line, stdout);
          continue;
        }
      if (has_pid (pids, n, field (line, col)))
        fputs (line, stdout);
    }
  free (line);
  fclose (f);
  if (waitpid (child, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return reg_make_error (err, 0, "ps failed (status %d)", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  return 0;
}

int
cmd_ps (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct runtime_context ctx;
  const char *format = "table";
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int c, ret;

  opterr = 0;
  /* "+": ps's own options follow the id.  */
  while ((c = getopt_long_only (argc, argv, "+f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        printf ("Usage: reg-runc ps [--format table|json] ID [PS OPTIONS]\n\n"
                "The processes of a container: json, the host pids; table, ps's output (default -ef).\n");
        return 0;
      default:
        return cmd_usage_error (err, "ps", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cmd_usage_error (err, "ps", "--format: expected table or json, got `%s`", format);
  if (argc - optind < 1)
    return cmd_usage_error (err, "ps", "missing the container id");
  if (strcmp (format, "json") == 0 && argc - optind > 1)
    return cmd_usage_error (err, "ps", "ps options cannot be used with --format json");
  cmd_context (g, &ctx);
  ret = runtime_container_pids (&ctx, argv[optind], &pids, &n, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (strcmp (format, "json") == 0)
    {
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int)pids[i]);
      printf ("]\n");
      return 0;
    }
  fflush (stdout);
  return ps_table (pids, n, argc - optind - 1, argv + optind + 1, err);
}
