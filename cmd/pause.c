/* reg-runc pause ID  */
#include "cmd.h"
#include "container-cgroup.h"

int
cmd_pause (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_context ctx;
  const char *id;
  int ret = cmd_parse_id ("pause", "Freeze every process of the container (cgroup freezer).", argc, argv, &id, err);

  if (ret < 0 || id == NULL)
    return ret;
  cmd_context (g, &ctx);
  return runtime_container_pause (&ctx, id, err);
}
