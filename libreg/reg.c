/* libreg: the REG phase of create (see reg.h).  The mode selection is here;
   prepare/release are placeholders until the REG store and analysis land.  */
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
  return reg_make_error (err, 0, "%s: unknown REG mode \"%s\" (expected off, share, minimal or learn)", where,
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

int
reg_phase_prepare (const struct reg_options *opts, const oci_config *config, int rootfd, struct reg_plan **plan,
                   reg_error_t *err)
{
  enum reg_mode mode;
  int ret;

  (void) rootfd;
  *plan = NULL;
  ret = reg_mode_from_config (config, opts->default_mode, &mode, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (mode == REG_MODE_OFF)
    return 0;
  return reg_make_error (err, 0, "REG mode %s is not available yet", reg_mode_name (mode));
}

int
reg_phase_release (const struct reg_options *opts, const char *env_id, reg_error_t *err)
{
  (void) opts;
  if (env_id == NULL)
    return 0;
  return reg_make_error (err, ENOTSUP, "REG: cannot release environment %s: REG is not available yet", env_id);
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
  free (plan);
}
