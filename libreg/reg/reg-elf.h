/* libreg: what the dynamic loader needs to know about one ELF object.
 *
 * Reads the ELF header, PT_INTERP and the PT_DYNAMIC segment (DT_NEEDED,
 * DT_RPATH, DT_RUNPATH, DT_SONAME, DT_FLAGS_1) of a file with libelf, the way
 * the loader does: through the program headers, not the section headers
 * (which a stripped object may lack).  Corrupt, truncated or absurd files
 * give an error, never a crash; the work is bounded (see the limits).  */
#ifndef REG_ELF_H
#define REG_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* More DT_NEEDED entries than this: the object is treated as corrupt.  */
#define REG_ELF_MAX_NEEDED 1024
/* Longest string (PT_INTERP, a DT_* string) taken; longer ones are cut.  */
#define REG_ELF_MAX_STRING 65536
/* Largest dynamic segment / string table read.  */
#define REG_ELF_MAX_TABLE (64u * 1024u * 1024u)

struct reg_elf_info
{
  int elf_class;    /* ELFCLASS32 / ELFCLASS64 */
  int data;         /* ELFDATA2LSB / ELFDATA2MSB */
  int machine;      /* EM_* */
  int type;         /* ET_EXEC, ET_DYN, ... */
  char *interp;     /* PT_INTERP, NULL when static or a library */
  bool has_dynamic; /* a PT_DYNAMIC segment exists */
  char **needed;    /* DT_NEEDED, in order */
  size_t n_needed;
  char *rpath;      /* DT_RPATH as written, NULL when absent */
  char *runpath;    /* DT_RUNPATH as written, NULL when absent */
  char *soname;     /* DT_SONAME, NULL when absent */
  uint64_t flags_1; /* DT_FLAGS_1 (DF_1_NODEFLIB ...) */
};

/* True when BUF (LEN bytes) starts with the ELF magic.  */
bool reg_elf_has_magic (const void *buf, size_t len);

/* Read the ELF object open as FD (read-only, regular file).  */
int reg_elf_read_fd (int fd, struct reg_elf_info **out, reg_error_t *err);

void reg_elf_info_free (struct reg_elf_info *info);

#endif
