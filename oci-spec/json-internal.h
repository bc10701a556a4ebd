/* liboci-spec internals: loading a document into a yajl tree and walking it
 * with typed getters that report errors by JSON path.  Not installed.  */
#ifndef OCI_JSON_INTERNAL_H
#define OCI_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "oci-spec.h"

/* Deepest nesting of objects/arrays we hand to yajl; checked before parsing
   so neither yajl nor our walkers recurse without bound.  */
#define OCI_MAX_NESTING 64

struct jctx
{
  const char *name; /* "config.json", prefixes every message */
  reg_error_t *err;
  char *path; /* "linux.namespaces[2].type" */
  size_t len, cap;
};

/* Evaluate a call returning int; return its value when negative.  */
#define CHECK(expr)                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      int _r = (expr);                                                                                                 \
      if (UNLIKELY (_r < 0))                                                                                           \
        return _r;                                                                                                     \
    }                                                                                                                  \
  while (0)

void jctx_init (struct jctx *c, const char *name, reg_error_t *err);
void jctx_release (struct jctx *c);

/* Path building: push returns a mark to pop back to.  */
size_t jpush_key (struct jctx *c, const char *key);
size_t jpush_index (struct jctx *c, size_t i);
void jpop (struct jctx *c, size_t mark);

/* "NAME: PATH: MSG" (or "NAME: MSG" at the root); returns -1.  */
int jerror (struct jctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* The same with KEY appended to the path.  */
int jerror_at (struct jctx *c, const char *key, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Check size, NULs and nesting, then parse with yajl.  */
int jparse (const char *data, size_t len, struct jctx *c, yajl_val *out);

const char *jtype_name (yajl_val v);

/* Member KEY of object OBJ; NULL when absent or JSON null (null reads as
   absent, as Go's encoding/json does for the configs runc accepts).  */
yajl_val jget (yajl_val obj, const char *key);

/* Typed getters for member KEY of object OBJ.  Each checks the JSON type and
   range and names KEY in its error.  When the member is absent: an error if
   REQUIRED, else *HAS (when given) is set false and OUT is left alone.  */
int jstr (struct jctx *c, yajl_val obj, const char *key, bool required, char **out);
int jbool (struct jctx *c, yajl_val obj, const char *key, bool required, bool *has, bool *out);
int ji64 (struct jctx *c, yajl_val obj, const char *key, bool required, int64_t min, int64_t max, bool *has,
          int64_t *out);
int ju64 (struct jctx *c, yajl_val obj, const char *key, bool required, uint64_t max, bool *has, uint64_t *out);
int ju32 (struct jctx *c, yajl_val obj, const char *key, bool required, bool *has, uint32_t *out);
int jobj (struct jctx *c, yajl_val obj, const char *key, bool required, yajl_val *out);
int jarr (struct jctx *c, yajl_val obj, const char *key, bool required, yajl_val *out);
int jstrv (struct jctx *c, yajl_val obj, const char *key, bool *has, oci_strv *out);
int jmap (struct jctx *c, yajl_val obj, const char *key, oci_map *out);

/* Value-level checks (the path is already pushed).  */
int jval_i64 (struct jctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out);
int jval_u64 (struct jctx *c, yajl_val v, uint64_t max, uint64_t *out);
int jval_str (struct jctx *c, yajl_val v, char **out);

/* Arrays of objects (KEY: [ {...} ]) and objects of objects (KEY: { "name":
   {...} }): allocate *OUT (zeroed, SIZE bytes each), call FN on each with
   the path pushed; *N counts the elements FN was called on, so a partial
   result can be freed.  KEYNAME is the member name for jmembers, else NULL. */
typedef int (*jelem_fn) (struct jctx *c, yajl_val v, void *elem, const char *keyname);
int jobjects (struct jctx *c, yajl_val obj, const char *key, size_t size, void *out, size_t *n, jelem_fn fn);
int jmembers (struct jctx *c, yajl_val obj, const char *key, size_t size, void *out, size_t *n, jelem_fn fn);

int jid_mappings (struct jctx *c, yajl_val obj, const char *key, oci_id_mapping **out, size_t *n);

/* Look NAME up in a NULL-terminated list of strings; index or -1.  */
int jenum_index (const char *const *names, const char *name);

void oci_strv_clear (oci_strv *v);
void oci_map_clear (oci_map *m);

/* The sections, one file each.  */
int oci_parse_process_obj (struct jctx *c, yajl_val v, oci_process *p);
void oci_process_clear (oci_process *p);
int oci_parse_linux_obj (struct jctx *c, yajl_val v, oci_linux *l);
void oci_linux_clear (oci_linux *l);
int oci_parse_resources_obj (struct jctx *c, yajl_val v, oci_resources *r);

#endif
