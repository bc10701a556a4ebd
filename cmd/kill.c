/* reg-runc kill [--all] ID [SIGNAL]  */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "container.h"

int
cmd_kill (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct runtime_context ctx;
  bool all = false;
  int c, n;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        printf ("Usage: reg-runc kill [--all] ID [SIGNAL]\n\n"
                "Send SIGNAL (name or number, default TERM) to the container's init, or with --all to\n"
                "every process of its cgroup.\n");
        return 0;
      default:
        return cmd_usage_error (err, "kill", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  n = argc - optind;
  if (n < 1 || n > 2)
    return cmd_usage_error (err, "kill", n < 1 ? "missing the container id" : "too many arguments");
  cmd_context (g, &ctx);
  return runtime_container_kill (&ctx, argv[optind], n == 2 ? argv[optind + 1] : NULL, all, err);
}
