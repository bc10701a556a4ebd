/* libreg: reader of glibc's ld.so.cache.
 *
 * Written by hand: no library exposes this format (glibc reads it only
 * inside ld.so and ldconfig).  Layout, from glibc's sysdeps/generic/dl-cache.h:
 *
 *   old:  "ld.so-1.7.0" (11 bytes, padded to 12), uint32 nlibs,
 *         nlibs x { int32 flags; uint32 key, value }  (12 bytes each),
 *         strings relative to the end of those entries.
 *   new:  "glibc-ld.so.cache" "1.1" (20 bytes), uint32 nlibs, uint32
 *         len_strings, uint8 flags (byte order), 3 padding, uint32
 *         extension_offset (from the start of the file), 3 x uint32 unused,
 *         nlibs x { int32 flags; uint32 key, value; uint32 osversion;
 *         uint64 hwcap } (24 bytes each); strings relative to the new header.
 *   The new part either is the whole file or follows the old entries,
 *   aligned to 8 bytes.
 *   extension: uint32 magic 0xeaa42174, uint32 count, count x { uint32 tag,
 *         flags, offset (from the start of the file), size }.  Tag 1 is the
 *         glibc-hwcaps list: uint32 string offsets (relative to the new
 *         header) of subdirectory names.  An entry whose hwcap has exactly
 *         bit 62 set in its upper half names one of them by its lower 32 bits.
 *
 * Every read goes through the bounds-checked helpers below.  */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-ldcache.h"
#include "utils.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_HEADER 16
#define OLD_ENTRY 12
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_HEADER 48
#define NEW_ENTRY 24
#define EXT_MAGIC 0xeaa42174u
#define EXT_TAG_HWCAPS 1
#define HWCAP_EXTENSION (1ull << 62)
/* Byte-order flag values of the new header.  */
#define ENDIAN_UNSET 0
#define ENDIAN_LITTLE 2
#define ENDIAN_BIG 3

struct reg_ldcache
{
  unsigned char *data;
  size_t len;
  bool is_new;
  size_t entries; /* file offset of the first entry */
  size_t entry_size;
  uint32_t nlibs;
  size_t strings;      /* file offset string offsets are relative to */
  const char **hwcaps; /* validated subdirectory names */
  uint32_t n_hwcaps;
};

static bool
get_u32 (const struct reg_ldcache *c, size_t off, uint32_t *v)
{
  if (off > c->len || c->len - off < 4)
    return false;
  memcpy (v, c->data + off, 4);
  return true;
}

static bool
get_u64 (const struct reg_ldcache *c, size_t off, uint64_t *v)
{
  if (off > c->len || c->len - off < 8)
    return false;
  memcpy (v, c->data + off, 8);
  return true;
}

/* The NUL-terminated string at OFF of the string area, or NULL.  */
static const char *
get_string (const struct reg_ldcache *c, uint32_t off)
{
  size_t pos = c->strings + (size_t)off;

  if (pos < c->strings || pos >= c->len)
    return NULL;
  if (memchr (c->data + pos, '\0', c->len - pos) == NULL)
    return NULL;
  return (const char *)c->data + pos;
}

static int
parse_extension (struct reg_ldcache *c, uint32_t ext_off, reg_error_t *err)
{
  uint32_t magic, count;

  if (ext_off == 0)
    return 0;
  if (!get_u32 (c, ext_off, &magic) || !get_u32 (c, (size_t)ext_off + 4, &count))
    return reg_make_error (err, EINVAL, "ld.so.cache: extension directory outside the file");
  if (magic != EXT_MAGIC)
    return reg_make_error (err, EINVAL, "ld.so.cache: bad extension magic");
  if (count > (c->len - ext_off - 8) / 16)
    return reg_make_error (err, EINVAL, "ld.so.cache: extension count %u past the end of the file", count);
  for (uint32_t i = 0; i < count; i++)
    {
      size_t s = (size_t)ext_off + 8 + (size_t)i * 16;
      uint32_t tag, offset, size, n;

      if (!get_u32 (c, s, &tag) || !get_u32 (c, s + 8, &offset) || !get_u32 (c, s + 12, &size))
        return reg_make_error (err, EINVAL, "ld.so.cache: truncated extension section");
      if (tag != EXT_TAG_HWCAPS || c->hwcaps)
        continue;
      if ((size_t)offset > c->len || size > c->len - offset || size % 4 != 0)
        return reg_make_error (err, EINVAL, "ld.so.cache: glibc-hwcaps section outside the file");
      n = size / 4;
      c->hwcaps = xmalloc0 (sizeof (char *) * (n + 1));
      c->n_hwcaps = n;
      for (uint32_t j = 0; j < n; j++)
        {
          uint32_t soff;
          const char *name;

          if (!get_u32 (c, (size_t)offset + (size_t)j * 4, &soff) || (name = get_string (c, soff)) == NULL
              || name[0] == '\0' || strchr (name, '/') || strcmp (name, "..") == 0)
            return reg_make_error (err, EINVAL, "ld.so.cache: bad glibc-hwcaps name %u", j);
          c->hwcaps[j] = name;
        }
    }
  return 0;
}

int
reg_ldcache_parse (const void *data, size_t len, struct reg_ldcache **out, reg_error_t *err)
{
  struct reg_ldcache *c;
  size_t new_off = 0;
  uint32_t nlibs = 0;
  int ret;

  if (len > REG_LDCACHE_MAX_SIZE)
    return reg_make_error (err, EFBIG, "ld.so.cache: larger than %u bytes", REG_LDCACHE_MAX_SIZE);
  c = xmalloc0 (sizeof (*c));
  c->data = xmalloc (len ? len : 1);
  memcpy (c->data, data, len);
  c->len = len;

  if (len >= OLD_HEADER && memcmp (c->data, OLD_MAGIC, sizeof (OLD_MAGIC) - 1) == 0)
    {
      size_t end;

      get_u32 (c, 12, &nlibs);
      if (nlibs > (len - OLD_HEADER) / OLD_ENTRY)
        {
          reg_ldcache_free (c);
          return reg_make_error (err, EINVAL, "ld.so.cache: %u entries past the end of the file", nlibs);
        }
      end = OLD_HEADER + (size_t)nlibs * OLD_ENTRY;
      new_off = (end + 7) & ~(size_t)7;
      if (new_off + NEW_HEADER > len || memcmp (c->data + new_off, NEW_MAGIC, sizeof (NEW_MAGIC) - 1) != 0)
        {
          /* The old format alone.  */
          c->is_new = false;
          c->entries = OLD_HEADER;
          c->entry_size = OLD_ENTRY;
          c->nlibs = nlibs;
          c->strings = end;
          *out = c;
          return 0;
        }
    }
  else if (len < NEW_HEADER || memcmp (c->data, NEW_MAGIC, sizeof (NEW_MAGIC) - 1) != 0)
    {
      reg_ldcache_free (c);
      return reg_make_error (err, EINVAL, "ld.so.cache: unknown format");
    }

  {
    uint8_t endian = c->data[new_off + 28];
    uint32_t ext_off = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint8_t native = ENDIAN_LITTLE;
#else
    const uint8_t native = ENDIAN_BIG;
#endif
    if (endian != ENDIAN_UNSET && endian != native)
      {
        reg_ldcache_free (c);
        return reg_make_error (err, EINVAL, "ld.so.cache: written for the other byte order");
      }
    get_u32 (c, new_off + 20, &nlibs);
    if (nlibs > (len - new_off - NEW_HEADER) / NEW_ENTRY)
      {
        reg_ldcache_free (c);
        return reg_make_error (err, EINVAL, "ld.so.cache: %u entries past the end of the file", nlibs);
      }
    c->is_new = true;
    c->entries = new_off + NEW_HEADER;
    c->entry_size = NEW_ENTRY;
    c->nlibs = nlibs;
    c->strings = new_off;
    get_u32 (c, new_off + 32, &ext_off);
    ret = parse_extension (c, ext_off, err);
    if (UNLIKELY (ret < 0))
      {
        reg_ldcache_free (c);
        return ret;
      }
  }
  *out = c;
  return 0;
}

int
reg_ldcache_load_in_root (int rootfd, const char *path, struct reg_ldcache **out, reg_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  int ret;

  struct stat st;

  /* A FIFO or a device node planted at the cache's path is never opened
     (it could block us, or act on being opened).  */
  fd = open_regular_in_root_raw (rootfd, path, &st);
  if (fd == -EINVAL)
    return reg_make_error (err, EINVAL, "`%s` is not a regular file", path);
  if (UNLIKELY (fd < 0))
    return reg_make_error (err, -fd, "open `%s` in the container root", path);
  ret = read_all_fd (fd, path, REG_LDCACHE_MAX_SIZE, &buf, &len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  return reg_ldcache_parse (buf, len, out, err);
}

void
reg_ldcache_free (struct reg_ldcache *cache)
{
  if (cache == NULL)
    return;
  free (cache->hwcaps);
  free (cache->data);
  free (cache);
}

size_t
reg_ldcache_size (const struct reg_ldcache *cache)
{
  return cache->nlibs;
}

int32_t
reg_ldcache_flags_for (int elf_class, int machine)
{
  if (elf_class == ELFCLASS64 && machine == EM_X86_64)
    return REG_LDCACHE_FLAG_ELF_LIBC6 | REG_LDCACHE_FLAG_X8664_LIB64;
  if (elf_class == ELFCLASS32 && machine == EM_X86_64)
    return REG_LDCACHE_FLAG_ELF_LIBC6 | REG_LDCACHE_FLAG_X8664_LIBX32;
  if (elf_class == ELFCLASS64 && machine == EM_AARCH64)
    return REG_LDCACHE_FLAG_ELF_LIBC6 | REG_LDCACHE_FLAG_AARCH64_LIB64;
  if (elf_class == ELFCLASS32 && machine == EM_386)
    return REG_LDCACHE_FLAG_ELF_LIBC6;
  return REG_LDCACHE_FLAGS_ANY;
}

int
reg_ldcache_lookup (const struct reg_ldcache *c, const char *soname, int32_t flags, struct reg_ldcache_hit **hits,
                    size_t *n_hits)
{
  struct reg_ldcache_hit *h = NULL;
  size_t n = 0;

  for (uint32_t i = 0; i < c->nlibs; i++)
    {
      size_t e = c->entries + (size_t)i * c->entry_size;
      uint32_t eflags, key, value;
      uint64_t hwcap = 0;
      const char *k, *v, *sub = NULL;

      if (!get_u32 (c, e, &eflags) || !get_u32 (c, e + 4, &key) || !get_u32 (c, e + 8, &value))
        break;
      if (((int32_t)eflags & REG_LDCACHE_FLAG_TYPE_MASK) != REG_LDCACHE_FLAG_ELF_LIBC6)
        continue;
      if (flags != REG_LDCACHE_FLAGS_ANY && (int32_t)eflags != flags)
        continue;
      k = get_string (c, key);
      if (k == NULL || strcmp (k, soname) != 0)
        continue;
      v = get_string (c, value);
      if (v == NULL || v[0] != '/')
        continue;
      if (c->is_new && get_u64 (c, e + 16, &hwcap) && (hwcap >> 32) == (HWCAP_EXTENSION >> 32))
        {
          uint32_t idx = (uint32_t)hwcap;
          if (idx >= c->n_hwcaps)
            continue;
          sub = c->hwcaps[idx];
        }
      h = xrealloc (h, sizeof (*h) * (n + 1));
      h[n++] = (struct reg_ldcache_hit){ .path = v, .hwcaps = sub, .flags = (int32_t)eflags };
    }
  *hits = h;
  *n_hits = n;
  return 0;
}
