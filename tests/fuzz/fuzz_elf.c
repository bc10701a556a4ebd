/* libFuzzer harness for the ELF reader: each input is a file read through
   reg_elf_read_fd from a memfd, as the analysis reads a library.  */
#include <string.h>

#include "fuzz-common.h"
#include "reg-elf.h"
#include "utils.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_close int fd = fuzz_memfd ("fuzz-elf", data, size);
  struct reg_elf_info *info = NULL;
  reg_error_t err = NULL;

  if (reg_elf_read_fd (fd, &info, &err) == 0)
    {
      /* What the analysis reads: every string NUL-terminated (ASan checks
         the strlen), the list NULL-terminated and bounded.  */
      if (info->n_needed > REG_ELF_MAX_NEEDED || info->needed[info->n_needed] != NULL)
        __builtin_trap ();
      for (size_t i = 0; i < info->n_needed; i++)
        if (strlen (info->needed[i]) == 0 || strlen (info->needed[i]) > REG_ELF_MAX_STRING)
          __builtin_trap ();
      if (info->interp && strlen (info->interp) > REG_ELF_MAX_STRING)
        __builtin_trap ();
      (void)(info->rpath && strlen (info->rpath));
      (void)(info->runpath && strlen (info->runpath));
      (void)(info->soname && strlen (info->soname));
      reg_elf_info_free (info);
    }
  reg_error_release (&err);
  return 0;
}
