/* reg-runc resume ID  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "container-cgroup.h"

int
cmd_resume (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct reg_context ctx;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc resume ID\n\n%s\n", "Thaw a paused container.");
        return 0;
      default:
        return cmd_usage_error (err, "resume", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "resume", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return reg_container_resume (&ctx, argv[optind], err);
}
