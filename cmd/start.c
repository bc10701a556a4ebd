/* reg-runc start ID: release a created container's init.  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "container.h"

int
cmd_start (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct reg_context ctx;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc start ID\n\nStart a created container.\n");
        return 0;
      default:
        return cmd_usage_error (err, "start", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "start", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return reg_container_start (&ctx, argv[optind], err);
}
