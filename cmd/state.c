/* reg-runc state ID: the container's state JSON.  */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "container.h"

int
cmd_state (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_context ctx;
  const char *id;
  char *json = NULL;
  int ret = cmd_parse_id ("state", "Print the state of a container (JSON).", argc, argv, &id, err);

  if (ret < 0 || id == NULL)
    return ret;
  cmd_context (g, &ctx);
  ret = runtime_container_state (&ctx, id, &json, err);
  if (ret < 0)
    return ret;
  printf ("%s\n", json);
  free (json);
  return 0;
}
