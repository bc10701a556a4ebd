/* liboci-spec: the helpers every JSON writer of the project uses over
 * yajl_gen (the state and features documents, `events`, the seccomp
 * notify message, the `reg` commands' --format json), so escaping and
 * number formatting are yajl's and written once.  */
#ifndef OCI_JSON_GEN_H
#define OCI_JSON_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

/* A string (a value, or a map's key).  */
void oci_gen_str (yajl_gen g, const char *s);
/* KEY and a value.  */
void oci_gen_key_str (yajl_gen g, const char *key, const char *value);
void oci_gen_key_bool (yajl_gen g, const char *key, bool value);
void oci_gen_key_int (yajl_gen g, const char *key, long long value);
/* An unsigned 64-bit number, all of its range (yajl_gen_integer takes a
   long long).  */
void oci_gen_key_uint (yajl_gen g, const char *key, uint64_t value);
/* An array of the NULL-terminated strings V (NULL: empty).  */
void oci_gen_strv (yajl_gen g, const char *const *v);
void oci_gen_key_strv (yajl_gen g, const char *key, const char *const *v);

#endif
