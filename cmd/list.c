/* reg-runc list [--format table|json] [-q]  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "container.h"

int
cmd_list (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  enum runtime_list_format format = RUNTIME_LIST_TABLE;
  struct runtime_context ctx;
  bool quiet = false;
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "table") == 0)
          format = RUNTIME_LIST_TABLE;
        else if (strcmp (optarg, "json") == 0)
          format = RUNTIME_LIST_JSON;
        else
          return cmd_usage_error (err, "list", "--format: expected `table` or `json`, got `%s`", optarg);
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        printf ("Usage: reg-runc list [--format table|json] [-q]\n\nList the containers.\n");
        return 0;
      default:
        return cmd_usage_error (err, "list", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind != argc)
    return cmd_usage_error (err, "list", "unexpected argument `%s`", argv[optind]);
  cmd_context (g, &ctx);
  return runtime_container_list (&ctx, format, quiet, stdout, err);
}
