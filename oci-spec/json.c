/* liboci-spec: document loading and typed, path-reporting JSON getters.  */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-internal.h"
#include "utils.h"

void
jctx_init (struct jctx *c, const char *name, reg_error_t *err)
{
  c->name = name ? name : "config.json";
  c->err = err;
  c->cap = 128;
  c->path = xmalloc (c->cap);
  c->path[0] = '\0';
  c->len = 0;
}

void
jctx_release (struct jctx *c)
{
  free (c->path);
  c->path = NULL;
}

static void
jappend (struct jctx *c, const char *s, size_t n)
{
  if (c->len + n + 1 > c->cap)
    {
      while (c->len + n + 1 > c->cap)
        c->cap *= 2;
      c->path = xrealloc (c->path, c->cap);
    }
  memcpy (c->path + c->len, s, n);
  c->len += n;
  c->path[c->len] = '\0';
}

size_t
jpush_key (struct jctx *c, const char *key)
{
  size_t mark = c->len;

  if (c->len > 0)
    jappend (c, ".", 1);
  jappend (c, key, strlen (key));
  return mark;
}

size_t
jpush_index (struct jctx *c, size_t i)
{
  size_t mark = c->len;
  char buf[32];
  int n = snprintf (buf, sizeof buf, "[%zu]", i);

  jappend (c, buf, (size_t)n);
  return mark;
}

void
jpop (struct jctx *c, size_t mark)
{
  c->len = mark;
  c->path[mark] = '\0';
}

static int
jverror (struct jctx *c, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  if (c->len == 0)
    return reg_make_error (c->err, 0, "%s: %s", c->name, msg);
  return reg_make_error (c->err, 0, "%s: %s: %s", c->name, c->path, msg);
}

int
jerror (struct jctx *c, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = jverror (c, fmt, ap);
  va_end (ap);
  return ret;
}

int
jerror_at (struct jctx *c, const char *key, const char *fmt, ...)
{
  size_t mark = jpush_key (c, key);
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = jverror (c, fmt, ap);
  va_end (ap);
  jpop (c, mark);
  return ret;
}

/* yajl's tree parser takes a C string and its stack-free parser is fine, but
   its tree free and our walkers recurse: bound the nesting first.  Also
   reject NUL bytes (yajl would stop at the first) and \u0000 escapes (a C
   string cannot carry them; no field of the spec needs one).  */
static int
prescan (const char *data, size_t len, struct jctx *c)
{
  bool in_string = false;
  size_t depth = 0, i;
  bool any = false;

  if (memchr (data, '\0', len) != NULL)
    return jerror (c, "invalid JSON: NUL byte at offset %zu", (size_t)((const char *)memchr (data, '\0', len) - data));
  for (i = 0; i < len; i++)
    {
      char ch = data[i];

      if (in_string)
        {
          if (ch == '\\')
            {
              if (i + 5 < len && data[i + 1] == 'u' && strncmp (data + i + 2, "0000", 4) == 0)
                return jerror (c, "invalid JSON: string with a NUL character (\\u0000) at offset %zu", i);
              i++;
            }
          else if (ch == '"')
            in_string = false;
          continue;
        }
      switch (ch)
        {
        case '"':
          in_string = true;
          any = true;
          break;
        case '{':
        case '[':
          any = true;
          if (++depth > OCI_MAX_NESTING)
            return jerror (c, "invalid JSON: nested deeper than %d levels at offset %zu", OCI_MAX_NESTING, i);
          break;
        case '}':
        case ']':
          if (depth > 0)
            depth--;
          break;
        case ' ':
        case '\t':
        case '\r':
        case '\n':
          break;
        default:
          any = true;
        }
    }
  if (!any)
    return jerror (c, "empty document");
  return 0;
}

int
jparse (const char *data, size_t len, struct jctx *c, yajl_val *out)
{
  cleanup_free char *copy = NULL;
  char errbuf[1024];
  yajl_val tree;

  if (data == NULL)
    len = 0;
  if (len > OCI_MAX_DOCUMENT)
    return jerror (c, "document too large (%zu bytes, at most %u)", len, OCI_MAX_DOCUMENT);
  CHECK (prescan (data ? data : "", len, c));

  copy = xmalloc (len + 1);
  memcpy (copy, data, len);
  copy[len] = '\0';
  errbuf[0] = '\0';
  tree = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (tree == NULL)
    {
      /* yajl's message spans lines (a snippet and an arrow): keep the first.  */
      size_t n = strcspn (errbuf, "\n");

      while (n > 0 && (errbuf[n - 1] == ' ' || errbuf[n - 1] == '.'))
        n--;
      errbuf[n] = '\0';
      return jerror (c, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  *out = tree;
  return 0;
}

const char *
jtype_name (yajl_val v)
{
  if (v == NULL)
    return "nothing";
  switch (v->type)
    {
    case yajl_t_string:
      return "string";
    case yajl_t_number:
      return "number";
    case yajl_t_object:
      return "object";
    case yajl_t_array:
      return "array";
    case yajl_t_true:
    case yajl_t_false:
      return "boolean";
    case yajl_t_null:
      return "null";
    default:
      return "unknown";
    }
}

yajl_val
jget (yajl_val obj, const char *key)
{
  size_t i;

  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  /* The last of duplicate keys wins, as in Go's encoding/json.  */
  for (i = obj->u.object.len; i > 0; i--)
    if (strcmp (obj->u.object.keys[i - 1], key) == 0)
      {
        yajl_val v = obj->u.object.values[i - 1];
        return YAJL_IS_NULL (v) ? NULL : v;
      }
  return NULL;
}

/* JSON numbers without a fraction or exponent.  */
static bool
is_integer_text (const char *s, bool *negative)
{
  *negative = (*s == '-');
  if (*s == '-')
    s++;
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int
jval_i64 (struct jctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  const char *text;
  bool negative;
  long long n;
  char *end;

  if (!YAJL_IS_NUMBER (v))
    return jerror (c, "expected an integer, got %s", jtype_name (v));
  text = YAJL_GET_NUMBER (v);
  if (!is_integer_text (text, &negative))
    return jerror (c, "expected an integer, got %s", text);
  errno = 0;
  n = strtoll (text, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    return jerror (c, "out of range: %s (minimum %" PRId64 ", maximum %" PRId64 ")", text, min, max);
  *out = n;
  return 0;
}

int
jval_u64 (struct jctx *c, yajl_val v, uint64_t max, uint64_t *out)
{
  const char *text;
  bool negative;
  unsigned long long n;
  char *end;

  if (!YAJL_IS_NUMBER (v))
    return jerror (c, "expected an unsigned integer, got %s", jtype_name (v));
  text = YAJL_GET_NUMBER (v);
  if (!is_integer_text (text, &negative) || negative)
    return jerror (c, "expected an unsigned integer, got %s", text);
  errno = 0;
  n = strtoull (text, &end, 10);
  if (errno != 0 || *end != '\0' || n > max)
    return jerror (c, "out of range: %s (maximum %" PRIu64 ")", text, max);
  *out = n;
  return 0;
}

int
jval_str (struct jctx *c, yajl_val v, char **out)
{
  if (!YAJL_IS_STRING (v))
    return jerror (c, "expected a string, got %s", jtype_name (v));
  free (*out);
  *out = xstrdup (v->u.string);
  return 0;
}

/* Resolve member KEY; 1 when present, 0 when absent (or an error when
   REQUIRED).  */
static int
member (struct jctx *c, yajl_val obj, const char *key, bool required, bool *has, yajl_val *v)
{
  *v = jget (obj, key);
  if (has)
    *has = *v != NULL;
  if (*v == NULL)
    return required ? jerror_at (c, key, "required") : 0;
  return 1;
}

int
jstr (struct jctx *c, yajl_val obj, const char *key, bool required, char **out)
{
  yajl_val v;
  size_t mark;
  int ret = member (c, obj, key, required, NULL, &v);

  if (ret <= 0)
    return ret;
  mark = jpush_key (c, key);
  ret = jval_str (c, v, out);
  jpop (c, mark);
  return ret;
}

int
jbool (struct jctx *c, yajl_val obj, const char *key, bool required, bool *has, bool *out)
{
  yajl_val v;
  int ret = member (c, obj, key, required, has, &v);

  if (ret <= 0)
    return ret;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return jerror_at (c, key, "expected a boolean, got %s", jtype_name (v));
  *out = YAJL_IS_TRUE (v);
  return 0;
}

int
ji64 (struct jctx *c, yajl_val obj, const char *key, bool required, int64_t min, int64_t max, bool *has, int64_t *out)
{
  yajl_val v;
  size_t mark;
  int ret = member (c, obj, key, required, has, &v);

  if (ret <= 0)
    return ret;
  mark = jpush_key (c, key);
  ret = jval_i64 (c, v, min, max, out);
  jpop (c, mark);
  return ret;
}

int
ju64 (struct jctx *c, yajl_val obj, const char *key, bool required, uint64_t max, bool *has, uint64_t *out)
{
  yajl_val v;
  size_t mark;
  int ret = member (c, obj, key, required, has, &v);

  if (ret <= 0)
    return ret;
  mark = jpush_key (c, key);
  ret = jval_u64 (c, v, max, out);
  jpop (c, mark);
  return ret;
}

int
ju32 (struct jctx *c, yajl_val obj, const char *key, bool required, bool *has, uint32_t *out)
{
  uint64_t v = 0;
  bool h = false;

  CHECK (ju64 (c, obj, key, required, UINT32_MAX, &h, &v));
  if (has)
    *has = h;
  if (h)
    *out = (uint32_t)v;
  return 0;
}

int
jobj (struct jctx *c, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  yajl_val v;
  int ret = member (c, obj, key, required, NULL, &v);

  *out = NULL;
  if (ret <= 0)
    return ret;
  if (!YAJL_IS_OBJECT (v))
    return jerror_at (c, key, "expected an object, got %s", jtype_name (v));
  *out = v;
  return 0;
}

int
jarr (struct jctx *c, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  yajl_val v;
  int ret = member (c, obj, key, required, NULL, &v);

  *out = NULL;
  if (ret <= 0)
    return ret;
  if (!YAJL_IS_ARRAY (v))
    return jerror_at (c, key, "expected an array, got %s", jtype_name (v));
  *out = v;
  return 0;
}

int
jstrv (struct jctx *c, yajl_val obj, const char *key, bool *has, oci_strv *out)
{
  yajl_val a;
  size_t i, n, mark;

  if (has)
    *has = false;
  CHECK (jarr (c, obj, key, false, &a));
  if (a == NULL)
    return 0;
  if (has)
    *has = true;
  oci_strv_clear (out);
  n = a->u.array.len;
  out->items = xmalloc0 ((n + 1) * sizeof (char *));
  mark = jpush_key (c, key);
  for (i = 0; i < n; i++)
    {
      size_t m2 = jpush_index (c, i);
      char *s = NULL;
      int ret = jval_str (c, a->u.array.values[i], &s);

      if (UNLIKELY (ret < 0))
        return ret; /* path left pushed: the caller stops here */
      out->items[out->len++] = s;
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}

int
jmap (struct jctx *c, yajl_val obj, const char *key, oci_map *out)
{
  yajl_val o;
  size_t i, n, mark;

  CHECK (jobj (c, obj, key, false, &o));
  if (o == NULL)
    return 0;
  oci_map_clear (out);
  n = o->u.object.len;
  out->items = xmalloc0 ((n ? n : 1) * sizeof (oci_kv));
  mark = jpush_key (c, key);
  for (i = 0; i < n; i++)
    {
      size_t m2 = jpush_key (c, o->u.object.keys[i]);
      char *s = NULL;

      CHECK (jval_str (c, o->u.object.values[i], &s));
      out->items[out->len].key = xstrdup (o->u.object.keys[i]);
      out->items[out->len].value = s;
      out->len++;
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}

int
jid_mappings (struct jctx *c, yajl_val obj, const char *key, oci_id_mapping **out, size_t *n)
{
  yajl_val a;
  size_t i, mark;

  CHECK (jarr (c, obj, key, false, &a));
  if (a == NULL)
    return 0;
  free (*out);
  *n = 0;
  *out = xmalloc0 ((a->u.array.len ? a->u.array.len : 1) * sizeof (oci_id_mapping));
  mark = jpush_key (c, key);
  for (i = 0; i < a->u.array.len; i++)
    {
      yajl_val m = a->u.array.values[i];
      oci_id_mapping *im = &(*out)[i];

      size_t m2 = jpush_index (c, i);

      if (!YAJL_IS_OBJECT (m))
        return jerror (c, "expected an object, got %s", jtype_name (m));
      CHECK (ju32 (c, m, "containerID", true, NULL, &im->container_id));
      CHECK (ju32 (c, m, "hostID", true, NULL, &im->host_id));
      CHECK (ju32 (c, m, "size", true, NULL, &im->size));
      *n = i + 1;
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}

int
jenum_index (const char *const *names, const char *name)
{
  int i;

  for (i = 0; names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  return -1;
}

void
oci_strv_clear (oci_strv *v)
{
  size_t i;

  if (v->items)
    for (i = 0; i < v->len; i++)
      free (v->items[i]);
  free (v->items);
  v->items = NULL;
  v->len = 0;
}

void
oci_map_clear (oci_map *m)
{
  size_t i;

  for (i = 0; i < m->len; i++)
    {
      free (m->items[i].key);
      free (m->items[i].value);
    }
  free (m->items);
  m->items = NULL;
  m->len = 0;
}

const char *
oci_map_get (const oci_map *m, const char *key)
{
  size_t i;

  if (m == NULL)
    return NULL;
  /* The last of duplicate keys wins, as in Go's encoding/json.  */
  for (i = m->len; i > 0; i--)
    if (strcmp (m->items[i - 1].key, key) == 0)
      return m->items[i - 1].value;
  return NULL;
}

int
jobjects (struct jctx *c, yajl_val obj, const char *key, size_t size, void *outp, size_t *n, jelem_fn fn)
{
  void **out = outp;
  yajl_val a;
  size_t i, mark;

  CHECK (jarr (c, obj, key, false, &a));
  if (a == NULL)
    return 0;
  *out = xmalloc0 ((a->u.array.len + 1) * size);
  *n = 0;
  mark = jpush_key (c, key);
  for (i = 0; i < a->u.array.len; i++)
    {
      yajl_val v = a->u.array.values[i];
      size_t m2 = jpush_index (c, i);

      if (!YAJL_IS_OBJECT (v))
        return jerror (c, "expected an object, got %s", jtype_name (v));
      *n = i + 1;
      CHECK (fn (c, v, (char *)*out + i * size, NULL));
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}

int
jmembers (struct jctx *c, yajl_val obj, const char *key, size_t size, void *outp, size_t *n, jelem_fn fn)
{
  void **out = outp;
  yajl_val o;
  size_t i, mark;

  CHECK (jobj (c, obj, key, false, &o));
  if (o == NULL)
    return 0;
  *out = xmalloc0 ((o->u.object.len + 1) * size);
  *n = 0;
  mark = jpush_key (c, key);
  for (i = 0; i < o->u.object.len; i++)
    {
      yajl_val v = o->u.object.values[i];
      size_t m2 = jpush_key (c, o->u.object.keys[i]);

      if (!YAJL_IS_OBJECT (v))
        return jerror (c, "expected an object, got %s", jtype_name (v));
      *n = i + 1;
      CHECK (fn (c, v, (char *)*out + i * size, o->u.object.keys[i]));
      jpop (c, m2);
    }
  jpop (c, mark);
  return 0;
}
