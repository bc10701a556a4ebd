/* reg-runc run [OPTIONS] ID: create + start + wait (+ delete).  */
#include "cmd.h"
#include "container.h"

int
cmd_run (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_create_options opts;
  struct runtime_context ctx;
  int idx = cmd_parse_create_options ("run", true, argc, argv, &opts, err);

  if (idx <= 0)
    return idx;
  cmd_context (g, &ctx);
  /* The container's exit status is ours.  */
  return runtime_container_run (&ctx, argv[idx], &opts, err);
}
