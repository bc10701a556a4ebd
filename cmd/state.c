/* reg-runc state ID: the container's state JSON.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "container.h"

int
cmd_state (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct reg_context ctx;
  char *json = NULL;
  int c, ret;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc state ID\n\nPrint the state of a container (JSON).\n");
        return 0;
      default:
        return cmd_usage_error (err, "state", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, "state", argc - optind < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  ret = reg_container_state (&ctx, argv[optind], &json, err);
  if (ret < 0)
    return ret;
  printf ("%s\n", json);
  free (json);
  return 0;
}
