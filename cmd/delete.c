/* reg-runc delete [--force] ID  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "container.h"

int
cmd_delete (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct runtime_context ctx;
  bool force = false;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        printf ("Usage: reg-runc delete [--force] ID\n\n"
                "Delete a stopped or created container; --force kills a running one first.\n");
        return 0;
      default:
        return cmd_usage_error (err, "delete", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "delete", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return runtime_container_delete (&ctx, argv[optind], force, err);
}
