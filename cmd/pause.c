/* reg-runc pause ID  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "container-cgroup.h"

int
cmd_pause (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct reg_context ctx;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc pause ID\n\n%s\n", "Freeze every process of the container (cgroup freezer).");
        return 0;
      default:
        return cmd_usage_error (err, "pause", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "pause", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return reg_container_pause (&ctx, argv[optind], err);
}
