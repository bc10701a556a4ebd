/* libreg: REG modes and plans (see reg.h); the phase itself is in
   reg-phase.c.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reg.h"
#include "utils.h"

static const char *const mode_names[] = { "off", "share", "minimal", "learn" };

const char *
reg_mode_name (enum reg_mode mode)
{
  if ((unsigned) mode < sizeof (mode_names) / sizeof (mode_names[0]))
    return mode_names[mode];
  return "unknown";
}

static int
mode_parse (const char *value, const char *where, enum reg_mode *mode, reg_error_t *err)
{
  for (size_t i = 0; i < sizeof (mode_names) / sizeof (mode_names[0]); i++)
    if (strcmp (value, mode_names[i]) == 0)
      {
        *mode = (enum reg_mode) i;
        return 0;
      }
  return reg_make_error (err, EINVAL, "%s: unknown REG mode \"%s\" (expected off, share, minimal or learn)", where,
                         value);
}

int
reg_mode_from_config (const oci_config *config, const char *default_mode, enum reg_mode *mode, reg_error_t *err)
{
  const char *v = oci_map_get (&config->annotations, REG_ANNOTATION_MODE);

  if (v)
    return mode_parse (v, "config.json: annotations." REG_ANNOTATION_MODE, mode, err);
  return mode_parse (default_mode ? default_mode : "off", "REG default mode", mode, err);
}

void
reg_plan_free (struct reg_plan *plan)
{
  if (plan == NULL)
    return;
  for (size_t i = 0; i < plan->n_binds; i++)
    {
      free (plan->binds[i].source);
      free (plan->binds[i].target);
    }
  free (plan->binds);
  free (plan->env_id);
  free (plan->lower_dir);
  free (plan->upper_dir);
  free (plan->work_dir);
  free (plan->profile_key);
  free (plan);
}
