/* libreg: environment manifests (pure, no I/O).
 *
 * Canonical serialisation, whose SHA-256 (hex) is the environment id:
 *
 *   "reg-manifest 1\n"
 *   one line per entry, sorted by path (bytewise strcmp, so a directory
 *   always precedes what it contains):
 *     "d <mode> <uid> <gid> - <path>\n"
 *     "f <mode> <uid> <gid> <digest> <path>\n"
 *     "l 0777 <uid> <gid> - <path> <target>\n"
 *   mode is 4 octal digits, uid/gid decimal, digest 64 lowercase hex.  In
 *   path and target every byte <= 0x20, 0x7f and '\' is written as "\xHH"
 *   (lowercase hex), so fields never contain a space or a newline and the
 *   encoding of a given set of entries is unique.  */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "reg-store-internal.h"

struct reg_manifest *
reg_manifest_new (void)
{
  return xmalloc0 (sizeof (struct reg_manifest));
}

static void
entry_clear (struct reg_manifest_entry *e)
{
  free (e->path);
  free (e->digest);
  free (e->target);
}

void
reg_manifest_free (struct reg_manifest *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n; i++)
    entry_clear (&m->entries[i]);
  free (m->entries);
  free (m);
}

/* "/usr//lib/" -> "usr/lib"; NULL for an empty path or "."/".." parts.  */
static char *
normalize_path (const char *path)
{
  size_t len = strlen (path);
  char *out = xmalloc (len + 1);
  size_t o = 0;
  const char *p = path;

  while (*p)
    {
      const char *start, *end;
      size_t n;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      start = p;
      while (*p && *p != '/')
        p++;
      end = p;
      n = (size_t)(end - start);
      if ((n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.'))
        {
          free (out);
          return NULL;
        }
      if (o > 0)
        out[o++] = '/';
      memcpy (out + o, start, n);
      o += n;
    }
  out[o] = '\0';
  if (o == 0)
    {
      free (out);
      return NULL;
    }
  return out;
}

static int
add_entry (struct reg_manifest *m, enum reg_entry_type type, const char *path, const char *digest, const char *target,
           mode_t mode, uid_t uid, gid_t gid, reg_error_t *err)
{
  struct reg_manifest_entry *e;
  char *norm;

  if (path == NULL || strlen (path) >= PATH_MAX)
    return reg_make_error (err, EINVAL, "manifest: path too long");
  norm = normalize_path (path);
  if (norm == NULL)
    return reg_make_error (err, EINVAL, "manifest: invalid path `%s` (empty, `.` or `..`)", path);
  if (m->n == m->cap)
    {
      m->cap = m->cap ? m->cap * 2 : 64;
      m->entries = xrealloc (m->entries, m->cap * sizeof (*m->entries));
    }
  e = &m->entries[m->n++];
  memset (e, 0, sizeof (*e));
  e->path = norm;
  e->type = type;
  e->digest = xstrdup (digest);
  e->target = xstrdup (target);
  e->mode = mode & 07777;
  e->uid = uid;
  e->gid = gid;
  return 0;
}

int
reg_manifest_add_dir (struct reg_manifest *m, const char *path, mode_t mode, uid_t uid, gid_t gid, reg_error_t *err)
{
  return add_entry (m, REG_ENTRY_DIR, path, NULL, NULL, mode, uid, gid, err);
}

int
reg_manifest_add_file (struct reg_manifest *m, const char *path, const char *digest, mode_t mode, uid_t uid, gid_t gid,
                       reg_error_t *err)
{
  if (!reg_store_digest_valid (digest))
    return reg_make_error (err, EINVAL, "manifest: `%s`: invalid object digest `%s`", path, digest ? digest : "(null)");
  return add_entry (m, REG_ENTRY_FILE, path, digest, NULL, mode, uid, gid, err);
}

int
reg_manifest_add_symlink (struct reg_manifest *m, const char *path, const char *target, uid_t uid, gid_t gid,
                          reg_error_t *err)
{
  if (target == NULL || *target == '\0' || strlen (target) >= PATH_MAX)
    return reg_make_error (err, EINVAL, "manifest: `%s`: invalid symlink target", path);
  return add_entry (m, REG_ENTRY_SYMLINK, path, NULL, target, 0777, uid, gid, err);
}

static int
cmp_entry (const void *a, const void *b)
{
  const struct reg_manifest_entry *x = a, *y = b;
  return strcmp (x->path, y->path);
}

static int
cmp_key_entry (const void *key, const void *b)
{
  const struct reg_manifest_entry *y = b;
  return strcmp (key, y->path);
}

const struct reg_manifest_entry *
reg_manifest_lookup (const struct reg_manifest *m, const char *path)
{
  /* bsearch and qsort want a non-NULL array even for 0 elements.  */
  if (m->n == 0)
    return NULL;
  return bsearch (path, m->entries, m->n, sizeof (*m->entries), cmp_key_entry);
}

/* Sort and check the entries: no duplicate, nothing below a file or a
   symlink (materialising it would write through the link).  */
static int
manifest_sort_validate (struct reg_manifest *m, reg_error_t *err)
{
  if (m->n > 0)
    qsort (m->entries, m->n, sizeof (*m->entries), cmp_entry);
  for (size_t i = 0; i < m->n; i++)
    {
      const struct reg_manifest_entry *e = &m->entries[i];
      cleanup_free char *parent = xstrdup (e->path);
      char *slash;

      if (i > 0 && strcmp (m->entries[i - 1].path, e->path) == 0)
        return reg_make_error (err, EINVAL, "manifest: `%s` is listed twice", e->path);
      while ((slash = strrchr (parent, '/')))
        {
          const struct reg_manifest_entry *p;
          *slash = '\0';
          p = reg_manifest_lookup (m, parent);
          if (p && p->type != REG_ENTRY_DIR)
            return reg_make_error (err, EINVAL, "manifest: `%s` is below `%s`, which is not a directory", e->path,
                                   parent);
        }
    }
  return 0;
}

struct buf
{
  char *p;
  size_t len, cap;
};

static void
buf_add (struct buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      while (b->len + n + 1 > b->cap)
        b->cap = b->cap ? b->cap * 2 : 4096;
      b->p = xrealloc (b->p, b->cap);
    }
  memcpy (b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void
buf_adds (struct buf *b, const char *s)
{
  buf_add (b, s, strlen (s));
}

static void
buf_add_escaped (struct buf *b, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    {
      if (*p <= 0x20 || *p == 0x7f || *p == '\\')
        {
          char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 0xf] };
          buf_add (b, esc, 4);
        }
      else
        buf_add (b, (const char *)p, 1);
    }
}

char *
reg_store_escape (const char *s)
{
  struct buf b = { 0 };
  buf_adds (&b, "");
  buf_add_escaped (&b, s);
  return b.p;
}

#define MANIFEST_MAGIC "reg-manifest 1\n"

int
reg_manifest_serialize (struct reg_manifest *m, char **data, size_t *len, reg_error_t *err)
{
  struct buf b = { 0 };
  int ret;

  ret = manifest_sort_validate (m, err);
  if (UNLIKELY (ret < 0))
    return ret;
  buf_adds (&b, MANIFEST_MAGIC);
  for (size_t i = 0; i < m->n; i++)
    {
      const struct reg_manifest_entry *e = &m->entries[i];
      char head[128];

      snprintf (head, sizeof (head), "%c %04o %u %u ", (char)e->type, (unsigned)e->mode, (unsigned)e->uid,
                (unsigned)e->gid);
      buf_adds (&b, head);
      buf_adds (&b, e->type == REG_ENTRY_FILE ? e->digest : "-");
      buf_adds (&b, " ");
      buf_add_escaped (&b, e->path);
      if (e->type == REG_ENTRY_SYMLINK)
        {
          buf_adds (&b, " ");
          buf_add_escaped (&b, e->target);
        }
      buf_adds (&b, "\n");
    }
  *data = b.p;
  if (len)
    *len = b.len;
  return 0;
}

int
reg_manifest_id (struct reg_manifest *m, char **id, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  char hex[REG_DIGEST_HEX_LEN + 1];
  int ret;

  ret = reg_manifest_serialize (m, &data, &len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  reg_sha256_hex (data, len, hex);
  *id = xstrdup (hex);
  return 0;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decode one escaped field of LINE starting at *P up to a space or the end.  */
static char *
unescape_field (const char **p, const char *end)
{
  size_t cap = (size_t)(end - *p) + 1, o = 0;
  char *out = xmalloc (cap);

  while (*p < end && **p != ' ')
    {
      if (**p == '\\')
        {
          int hi, lo;
          if (end - *p < 4 || (*p)[1] != 'x' || (hi = hexval ((*p)[2])) < 0 || (lo = hexval ((*p)[3])) < 0
              || (hi == 0 && lo == 0))
            {
              free (out);
              return NULL;
            }
          out[o++] = (char)(hi << 4 | lo);
          *p += 4;
        }
      else
        out[o++] = *(*p)++;
    }
  out[o] = '\0';
  return out;
}

char *
reg_store_unescape (const char **p, const char *end)
{
  return unescape_field (p, end);
}

int
reg_manifest_parse (const char *data, size_t len, struct reg_manifest **out, reg_error_t *err)
{
  struct reg_manifest *m = reg_manifest_new ();
  const char *p = data, *end = data + len;
  size_t lineno = 1;
  int ret = 0;

  if (len < strlen (MANIFEST_MAGIC) || memcmp (data, MANIFEST_MAGIC, strlen (MANIFEST_MAGIC)) != 0)
    {
      reg_manifest_free (m);
      return reg_make_error (err, EINVAL, "manifest: unknown format");
    }
  p += strlen (MANIFEST_MAGIC);
  while (p < end)
    {
      const char *eol = memchr (p, '\n', (size_t)(end - p));
      char type, digest[REG_DIGEST_HEX_LEN + 2];
      unsigned mode, uid, gid;
      int consumed = 0;
      cleanup_free char *path = NULL;
      cleanup_free char *target = NULL;
      cleanup_free char *line = NULL;

      lineno++;
      if (eol == NULL)
        goto bad;
      /* DATA need not end with a NUL: sscanf gets a copy of the line (and
         a NUL inside a line is malformed, not the end of it).  */
      if (memchr (p, '\0', (size_t)(eol - p)) != NULL)
        goto bad;
      line = xstrndup (p, (size_t)(eol - p));
      if (sscanf (line, "%c %o %u %u %65s %n", &type, &mode, &uid, &gid, digest, &consumed) != 5 || consumed == 0
          || p + consumed > eol)
        goto bad;
      p += consumed;
      path = unescape_field (&p, eol);
      if (path == NULL)
        goto bad;
      switch (type)
        {
        case REG_ENTRY_DIR:
          ret = reg_manifest_add_dir (m, path, mode, uid, gid, err);
          break;
        case REG_ENTRY_FILE:
          ret = reg_manifest_add_file (m, path, digest, mode, uid, gid, err);
          break;
        case REG_ENTRY_SYMLINK:
          if (p >= eol || *p != ' ')
            goto bad;
          p++;
          target = unescape_field (&p, eol);
          if (target == NULL)
            goto bad;
          ret = reg_manifest_add_symlink (m, path, target, uid, gid, err);
          break;
        default:
          goto bad;
        }
      if (UNLIKELY (ret < 0))
        {
          reg_manifest_free (m);
          return reg_error_wrap (err, "manifest line %zu", lineno);
        }
      if (p != eol)
        goto bad;
      p = eol + 1;
    }
  ret = manifest_sort_validate (m, err);
  if (UNLIKELY (ret < 0))
    {
      reg_manifest_free (m);
      return ret;
    }
  *out = m;
  return 0;

bad:
  reg_manifest_free (m);
  return reg_make_error (err, EINVAL, "manifest: line %zu is malformed", lineno);
}
