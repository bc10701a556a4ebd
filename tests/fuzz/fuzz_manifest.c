/* libFuzzer harness for the REG manifest parser.  A manifest that parses
   must serialise, parse back to the same entries and keep its id: the id
   names an environment shared by every container that needs it.  */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "reg-store.h"

static int
same_str (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct reg_manifest *m = NULL, *m2 = NULL;
  reg_error_t err = NULL;
  char *ser = NULL, *ser2 = NULL, *id = NULL, *id2 = NULL;
  size_t len = 0, len2 = 0;

  if (reg_manifest_parse ((const char *)data, size, &m, &err) < 0)
    {
      reg_error_release (&err);
      return 0;
    }
  if (reg_manifest_serialize (m, &ser, &len, &err) < 0 || reg_manifest_id (m, &id, &err) < 0)
    __builtin_trap (); /* a parsed manifest is valid */
  if (reg_manifest_parse (ser, len, &m2, &err) < 0)
    __builtin_trap ();
  if (m2->n != m->n)
    __builtin_trap ();
  for (size_t i = 0; i < m->n; i++)
    {
      const struct reg_manifest_entry *a = &m->entries[i], *b = &m2->entries[i];
      if (a->type != b->type || a->mode != b->mode || a->uid != b->uid || a->gid != b->gid
          || !same_str (a->path, b->path) || !same_str (a->digest, b->digest) || !same_str (a->target, b->target))
        __builtin_trap ();
    }
  if (reg_manifest_serialize (m2, &ser2, &len2, &err) < 0 || reg_manifest_id (m2, &id2, &err) < 0)
    __builtin_trap ();
  if (len != len2 || memcmp (ser, ser2, len) != 0 || strcmp (id, id2) != 0)
    __builtin_trap ();
  free (ser);
  free (ser2);
  free (id);
  free (id2);
  reg_manifest_free (m);
  reg_manifest_free (m2);
  return 0;
}
