/* reg-runc features: print the runtime-spec features document.  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "runtime-features.h"
#include "utils.h"

int
cmd_features (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *json = NULL;
  size_t len;
  int c;

  (void)g;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc features\n\nPrint the features this runtime supports (runtime-spec features.md).\n");
        return 0;
      default:
        return cmd_usage_error (err, "features", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cmd_usage_error (err, "features", "unexpected argument `%s`", argv[optind]);

  json = runtime_features_json (&len);
  if (write_all (1, json, len, err) < 0)
    return -1;
  if (len == 0 || json[len - 1] != '\n')
    return write_all (1, "\n", 1, err);
  return 0;
}
