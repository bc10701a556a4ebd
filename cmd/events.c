/* reg-runc events [--stats] [--interval D] ID: runc's stats events (JSON
   lines); --stats prints one and exits.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "container-cgroup.h"

/* A Go-style duration: "5s", "500ms", "1m", "1.5s"; a bare number is
   seconds.  Milliseconds, or -1.  */
static long
parse_duration (const char *s)
{
  char *end = NULL;
  double v = strtod (s, &end);
  double mult;

  if (end == s || v < 0)
    return -1;
  if (*end == '\0' || strcmp (end, "s") == 0)
    mult = 1000;
  else if (strcmp (end, "ms") == 0)
    mult = 1;
  else if (strcmp (end, "m") == 0)
    mult = 60000;
  else if (strcmp (end, "h") == 0)
    mult = 3600000;
  else
    return -1;
  return (long)(v * mult);
}

int
cmd_events (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct runtime_context ctx;
  bool stats = false;
  long interval = 5000;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "si:h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        stats = true;
        break;
      case 'i':
        interval = parse_duration (optarg);
        if (interval <= 0)
          return cmd_usage_error (err, "events", "--interval: invalid duration `%s`", optarg);
        break;
      case 'h':
        printf ("Usage: reg-runc events [--stats] [--interval D] ID\n\n"
                "Print the container's resource usage as JSON every D (default 5s) until it stops;\n"
                "--stats prints it once.\n");
        return 0;
      default:
        return cmd_usage_error (err, "events", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "events", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return runtime_container_events (&ctx, argv[optind], stats, interval, stdout, err);
}
