/* reg-runc resume ID  */
#include "cmd.h"
#include "container-cgroup.h"

int
cmd_resume (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_context ctx;
  const char *id;
  int ret = cmd_parse_id ("resume", "Thaw a paused container.", argc, argv, &id, err);

  if (ret < 0 || id == NULL)
    return ret;
  cmd_context (g, &ctx);
  return runtime_container_resume (&ctx, id, err);
}
