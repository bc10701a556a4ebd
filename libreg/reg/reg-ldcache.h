/* libreg: a reader of glibc's /etc/ld.so.cache.
 *
 * Understands the "glibc-ld.so.cache1.1" format, alone or after the old
 * "ld.so-1.7.0" table, with its extension section (glibc-hwcaps
 * subdirectories).  Every offset is checked against the file size, so a
 * corrupt cache is rejected or yields nothing, never an out-of-bounds read.  */
#ifndef REG_LDCACHE_H
#define REG_LDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The entry flags ldconfig writes (glibc sysdeps/generic/ldconfig.h).  */
#define REG_LDCACHE_FLAG_TYPE_MASK 0x00ff
#define REG_LDCACHE_FLAG_ELF_LIBC6 0x0003
#define REG_LDCACHE_FLAG_REQUIRED_MASK 0xff00
#define REG_LDCACHE_FLAG_X8664_LIB64 0x0300
#define REG_LDCACHE_FLAG_X8664_LIBX32 0x0800
#define REG_LDCACHE_FLAG_AARCH64_LIB64 0x0a00
/* No single value: accept any ELF_LIBC6 entry (the caller checks the file).  */
#define REG_LDCACHE_FLAGS_ANY (-1)

/* Largest cache read.  */
#define REG_LDCACHE_MAX_SIZE (64u * 1024u * 1024u)

struct reg_ldcache;

struct reg_ldcache_hit
{
  const char *path;   /* absolute path the cache names, owned by the cache */
  const char *hwcaps; /* glibc-hwcaps subdirectory ("x86-64-v3"), NULL for the baseline */
  int32_t flags;
};

/* Parse a cache image (copied).  */
int reg_ldcache_parse (const void *data, size_t len, struct reg_ldcache **out, reg_error_t *err);
/* Read and parse ROOTFD/PATH, resolved inside the root.  */
int reg_ldcache_load_in_root (int rootfd, const char *path, struct reg_ldcache **out, reg_error_t *err);
void reg_ldcache_free (struct reg_ldcache *cache);

/* The flags glibc's loader accepts for objects of ELF_CLASS / MACHINE
   (REG_LDCACHE_FLAGS_ANY when we do not know them).  */
int32_t reg_ldcache_flags_for (int elf_class, int machine);

/* Every entry for SONAME whose flags match FLAGS (REG_LDCACHE_FLAGS_ANY:
   every ELF_LIBC6 entry), in cache order.  *HITS is allocated (free it);
   the strings in it belong to the cache.  */
int reg_ldcache_lookup (const struct reg_ldcache *cache, const char *soname, int32_t flags,
                        struct reg_ldcache_hit **hits, size_t *n_hits);

/* Number of entries (new format, or old when there is no new part).  */
size_t reg_ldcache_size (const struct reg_ldcache *cache);

#endif
