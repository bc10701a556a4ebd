/* libFuzzer harness for the REG annotations: the input becomes a config's
   annotations ("key=value" lines; the first line is the host default mode)
   and goes through reg_mode_from_config, and the run.reg.include /
   run.reg.defaults values through their parsers.  The input is also used
   whole as each annotation's value.  */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "reg-minimal.h"
#include "reg.h"
#include "utils.h"

static void
check (const oci_config *c, const char *default_mode)
{
  enum reg_mode mode = REG_MODE_OFF;
  reg_error_t err = NULL;

  if (reg_mode_from_config (c, default_mode, &mode, &err) == 0)
    {
      /* An accepted mode has a name that parses back to itself.  */
      const char *name = reg_mode_name (mode);
      if (strcmp (name, "unknown") == 0)
        __builtin_trap ();
    }
  else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
    __builtin_trap ();
  reg_error_release (&err);
}

static void
check_include_defaults (const char *include, const char *defaults)
{
  reg_error_t err = NULL;
  char **paths = NULL;
  size_t n = 0;
  unsigned groups = 0;

  if (reg_includes_parse (include, &paths, &n, &err) == 0)
    {
      /* Only absolute paths without a ".." component, NULL-terminated.  */
      for (size_t i = 0; i < n; i++)
        if (paths[i][0] != '/' || strstr (paths[i], "/../") || has_suffix (paths[i], "/.."))
          __builtin_trap ();
      if (paths[n] != NULL)
        __builtin_trap ();
      free_string_array (paths);
    }
  reg_error_release (&err);
  (void)reg_defaults_parse (defaults, &groups, &err);
  reg_error_release (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = xstrndup ((const char *)data, size);
  cleanup_free char *whole = xstrndup ((const char *)data, size);
  cleanup_free char *default_mode = NULL;
  oci_config c;
  oci_kv kv[64];
  char *save = NULL;
  size_t n = 0;

  memset (&c, 0, sizeof c);
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *eq;
      if (default_mode == NULL)
        {
          default_mode = xstrdup (line);
          continue;
        }
      if (n == sizeof kv / sizeof kv[0])
        break;
      eq = strchr (line, '=');
      if (eq)
        *eq++ = '\0';
      kv[n].key = line;
      kv[n].value = eq ? eq : (char *)"";
      n++;
    }
  c.annotations.items = kv;
  c.annotations.len = n;
  check (&c, default_mode);
  check (&c, NULL);
  for (size_t i = 0; i < n; i++)
    {
      if (strcmp (kv[i].key, "run.reg.include") == 0)
        check_include_defaults (kv[i].value, NULL);
      else if (strcmp (kv[i].key, "run.reg.defaults") == 0)
        check_include_defaults (NULL, kv[i].value);
    }
  check_include_defaults (whole, whole);

  kv[0].key = (char *)REG_ANNOTATION_MODE;
  kv[0].value = whole;
  c.annotations.items = kv;
  c.annotations.len = 1;
  check (&c, "share");
  return 0;
}
