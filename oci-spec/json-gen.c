/* liboci-spec: JSON writing helpers (see json-gen.h).  */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json-gen.h"

void
oci_gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

void
oci_gen_key_str (yajl_gen g, const char *key, const char *value)
{
  oci_gen_str (g, key);
  oci_gen_str (g, value);
}

void
oci_gen_key_bool (yajl_gen g, const char *key, bool value)
{
  oci_gen_str (g, key);
  yajl_gen_bool (g, value);
}

void
oci_gen_key_int (yajl_gen g, const char *key, long long value)
{
  oci_gen_str (g, key);
  yajl_gen_integer (g, value);
}

void
oci_gen_key_uint (yajl_gen g, const char *key, uint64_t value)
{
  char buf[24];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, value);

  oci_gen_str (g, key);
  yajl_gen_number (g, buf, (size_t)n);
}

void
oci_gen_strv (yajl_gen g, const char *const *v)
{
  yajl_gen_array_open (g);
  for (; v && *v; v++)
    oci_gen_str (g, *v);
  yajl_gen_array_close (g);
}

void
oci_gen_key_strv (yajl_gen g, const char *key, const char *const *v)
{
  oci_gen_str (g, key);
  oci_gen_strv (g, v);
}
