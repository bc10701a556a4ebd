/* libFuzzer harness for the ld.so.cache reader: parse the input, then look
   up the names the analysis asks for, with every flag filter it uses.  */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "reg-ldcache.h"

static const char *const sonames[] = { "libc.so.6", "libm.so.6", "libf.so.1", "lib32.so", "ld-linux-x86-64.so.2", "" };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct reg_ldcache *cache = NULL;
  reg_error_t err = NULL;

  if (reg_ldcache_parse (data, size, &cache, &err) == 0)
    {
      const int32_t flags[] = { REG_LDCACHE_FLAGS_ANY, reg_ldcache_flags_for (2 /* ELFCLASS64 */, 62 /* EM_X86_64 */),
                                reg_ldcache_flags_for (1 /* ELFCLASS32 */, 3 /* EM_386 */) };
      (void)reg_ldcache_size (cache);
      for (size_t i = 0; i < sizeof sonames / sizeof sonames[0]; i++)
        for (size_t j = 0; j < sizeof flags / sizeof flags[0]; j++)
          {
            struct reg_ldcache_hit *hits = NULL;
            size_t n = 0;
            if (reg_ldcache_lookup (cache, sonames[i], flags[j], &hits, &n) < 0)
              continue;
            for (size_t k = 0; k < n; k++)
              {
                (void)strlen (hits[k].path);
                (void)(hits[k].hwcaps && strlen (hits[k].hwcaps));
              }
            free (hits);
          }
      reg_ldcache_free (cache);
    }
  reg_error_release (&err);
  return 0;
}
