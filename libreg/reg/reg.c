/* libreg: REG modes and plans (see reg.h); the phase itself is in
   reg-phase.c.  */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "reg.h"
#include "utils.h"

static const char *const mode_names[] = { "off", "share", "minimal", "learn" };

const char *
reg_mode_name (enum reg_mode mode)
{
  if ((unsigned)mode < sizeof (mode_names) / sizeof (mode_names[0]))
    return mode_names[mode];
  return "unknown";
}

static int
mode_parse (const char *value, const char *where, enum reg_mode *mode, reg_error_t *err)
{
  for (size_t i = 0; i < sizeof (mode_names) / sizeof (mode_names[0]); i++)
    if (strcmp (value, mode_names[i]) == 0)
      {
        *mode = (enum reg_mode)i;
        return 0;
      }
  return reg_make_error (err, 0, "%s: unknown REG mode \"%s\" (expected off, share, minimal or learn)", where, value);
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

void
reg_host_config_clear (struct reg_host_config *cfg)
{
  free (cfg->mode);
  free (cfg->store);
  cfg->mode = cfg->store = NULL;
  cfg->max_object_size = 0;
}

/* A size: decimal bytes, or with a K, M, G or T suffix (powers of 1024),
   more than 0.  */
static int
size_parse (const char *value, uint64_t *out)
{
  static const char units[] = "KMGT";
  uint64_t n = 0, mul = 1;
  const char *p = value, *u;

  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
        return -1;
      n = n * 10 + (uint64_t)(*p - '0');
    }
  if (*p && (u = strchr (units, toupper ((unsigned char)*p))) != NULL)
    {
      mul = (uint64_t)1 << (10 * (u - units + 1));
      p++;
    }
  if (*p != '\0' || n == 0 || n > UINT64_MAX / mul)
    return -1;
  *out = n * mul;
  return 0;
}

static char *
trim (char *s)
{
  char *end;

  while (isspace ((unsigned char)*s))
    s++;
  end = s + strlen (s);
  while (end > s && isspace ((unsigned char)end[-1]))
    *--end = '\0';
  return s;
}

int
reg_host_config_load (const char *path, struct reg_host_config *cfg, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t lineno = 0, len = 0;
  int ret;

  ret = read_all_file (path, 1 << 20, &data, &len, err);
  if (ret < 0)
    {
      if ((*err)->status == ENOENT)
        {
          reg_error_release (err);
          return 0;
        }
      return ret;
    }
  if (memchr (data, '\0', len))
    return reg_make_error (err, 0, "%s: contains a NUL byte", path);
  /* strtok_r would skip empty lines and lose the numbering.  */
  for (char *line = data, *next; line; line = next)
    {
      char *eq, *key, *value, *hash;
      enum reg_mode mode;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      lineno++;
      hash = strchr (line, '#');
      if (hash)
        *hash = '\0';
      line = trim (line);
      if (*line == '\0')
        continue;
      eq = strchr (line, '=');
      if (eq == NULL)
        return reg_make_error (err, 0, "%s:%zu: expected `key = value`", path, lineno);
      *eq = '\0';
      key = trim (line);
      value = trim (eq + 1);
      if (strcmp (key, "mode") == 0)
        {
          cleanup_free char *where = NULL;
          xasprintf (&where, "%s:%zu: mode", path, lineno);
          ret = mode_parse (value, where, &mode, err);
          if (UNLIKELY (ret < 0))
            return ret;
          free (cfg->mode);
          cfg->mode = xstrdup (value);
        }
      else if (strcmp (key, "store") == 0)
        {
          if (value[0] != '/')
            return reg_make_error (err, 0, "%s:%zu: store: expected an absolute path", path, lineno);
          free (cfg->store);
          cfg->store = xstrdup (value);
        }
      else if (strcmp (key, "max_object_size") == 0)
        {
          if (size_parse (value, &cfg->max_object_size) < 0)
            return reg_make_error (err, 0,
                                   "%s:%zu: max_object_size: expected a size in bytes, or a number with a K, M, G or "
                                   "T suffix (powers of 1024), more than 0, not `%s`",
                                   path, lineno, value);
        }
      else
        return reg_make_error (err, 0, "%s:%zu: unknown key `%s` (expected mode, store or max_object_size)", path,
                               lineno, key);
    }
  return 0;
}

const char *
reg_options_store_root (const struct reg_options *opts)
{
  return opts->store_root && *opts->store_root ? opts->store_root : REG_DEFAULT_STORE;
}
