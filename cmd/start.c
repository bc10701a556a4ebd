/* reg-runc start ID: release a created container's init.  */
#include "cmd.h"
#include "container.h"

int
cmd_start (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_context ctx;
  const char *id;
  int ret = cmd_parse_id ("start", "Start a created container.", argc, argv, &id, err);

  if (ret < 0 || id == NULL)
    return ret;
  cmd_context (g, &ctx);
  return runtime_container_start (&ctx, id, err);
}
