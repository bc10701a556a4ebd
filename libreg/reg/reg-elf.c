/* libreg: ELF facts for the dependency analysis, read with libelf.  */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "reg-elf.h"
#include "utils.h"

/* Program headers beyond this: corrupt (the kernel caps them at 64 KiB).  */
#define MAX_PHNUM 4096

struct load_seg
{
  uint64_t vaddr, offset, filesz;
};

static int
elf_fail (reg_error_t *err, const char *what)
{
  return reg_make_error (err, EINVAL, "%s: %s", what, elf_errmsg (-1));
}

bool
reg_elf_has_magic (const void *buf, size_t len)
{
  return len >= SELFMAG && memcmp (buf, ELFMAG, SELFMAG) == 0;
}

void
reg_elf_info_free (struct reg_elf_info *info)
{
  if (info == NULL)
    return;
  free (info->interp);
  for (size_t i = 0; i < info->n_needed; i++)
    free (info->needed[i]);
  free (info->needed);
  free (info->rpath);
  free (info->runpath);
  free (info->soname);
  free (info);
}

static void
cleanup_elf_infop (struct reg_elf_info **p)
{
  reg_elf_info_free (*p);
}

static void
cleanup_elfp (Elf **e)
{
  if (*e)
    elf_end (*e);
}

/* The string at IDX of the table STR (SIZE bytes), cut at REG_ELF_MAX_STRING;
   NULL when IDX is outside the table.  */
static char *
table_string (const char *str, size_t size, uint64_t idx)
{
  size_t max, len;

  if (str == NULL || idx >= size)
    return NULL;
  max = size - idx;
  if (max > REG_ELF_MAX_STRING)
    max = REG_ELF_MAX_STRING;
  len = strnlen (str + idx, max);
  return xstrndup (str + idx, len);
}

/* The file offset of virtual address ADDR, through the PT_LOAD segments, and
   how many bytes of the file follow it in that segment.  */
static bool
vaddr_to_offset (const struct load_seg *loads, size_t n, uint64_t addr, uint64_t *off, uint64_t *avail)
{
  for (size_t i = 0; i < n; i++)
    if (addr >= loads[i].vaddr && addr - loads[i].vaddr < loads[i].filesz)
      {
        *off = loads[i].offset + (addr - loads[i].vaddr);
        *avail = loads[i].filesz - (addr - loads[i].vaddr);
        return true;
      }
  return false;
}

static int
read_dynamic (Elf *e, struct reg_elf_info *info, const GElf_Phdr *dynph, const struct load_seg *loads, size_t n_loads,
              reg_error_t *err)
{
  size_t entsize = gelf_fsize (e, ELF_T_DYN, 1, EV_CURRENT);
  uint64_t strtab = 0, strsz = 0, rpath = 0, runpath = 0, soname = 0;
  bool has_strtab = false, has_rpath = false, has_runpath = false, has_soname = false;
  cleanup_free uint64_t *needed = NULL;
  size_t n_needed = 0, n;
  Elf_Data *dyn, *strdata;
  uint64_t stroff, avail;
  const char *str = NULL;
  size_t str_size = 0;

  if (entsize == 0)
    return elf_fail (err, "dynamic entry size");
  if (dynph->p_filesz > REG_ELF_MAX_TABLE)
    return reg_make_error (err, EFBIG, "dynamic segment of %llu bytes", (unsigned long long)dynph->p_filesz);
  n = dynph->p_filesz / entsize;
  if (n == 0)
    return 0;
  dyn = elf_getdata_rawchunk (e, (int64_t)dynph->p_offset, n * entsize, ELF_T_DYN);
  if (dyn == NULL)
    return elf_fail (err, "dynamic segment");

  needed = xmalloc (sizeof (*needed) * REG_ELF_MAX_NEEDED);
  for (size_t i = 0; i < n; i++)
    {
      GElf_Dyn d;
      if (gelf_getdyn (dyn, (int)i, &d) == NULL)
        break;
      if (d.d_tag == DT_NULL)
        break;
      switch (d.d_tag)
        {
        case DT_NEEDED:
          if (n_needed == REG_ELF_MAX_NEEDED)
            return reg_make_error (err, E2BIG, "more than %d DT_NEEDED entries", REG_ELF_MAX_NEEDED);
          needed[n_needed++] = d.d_un.d_val;
          break;
        case DT_STRTAB:
          strtab = d.d_un.d_ptr;
          has_strtab = true;
          break;
        case DT_STRSZ:
          strsz = d.d_un.d_val;
          break;
        case DT_RPATH:
          rpath = d.d_un.d_val;
          has_rpath = true;
          break;
        case DT_RUNPATH:
          runpath = d.d_un.d_val;
          has_runpath = true;
          break;
        case DT_SONAME:
          soname = d.d_un.d_val;
          has_soname = true;
          break;
        case DT_FLAGS_1:
          info->flags_1 = d.d_un.d_val;
          break;
        default:
          break;
        }
    }

  if (!has_strtab)
    {
      if (n_needed || has_rpath || has_runpath || has_soname)
        return reg_make_error (err, EINVAL, "dynamic strings without DT_STRTAB");
      return 0;
    }
  if (!vaddr_to_offset (loads, n_loads, strtab, &stroff, &avail))
    return reg_make_error (err, EINVAL, "DT_STRTAB 0x%llx outside the loaded segments", (unsigned long long)strtab);
  if (strsz > avail)
    strsz = avail;
  if (strsz > REG_ELF_MAX_TABLE)
    strsz = REG_ELF_MAX_TABLE;
  if (strsz > 0)
    {
      strdata = elf_getdata_rawchunk (e, (int64_t)stroff, strsz, ELF_T_BYTE);
      if (strdata == NULL)
        return elf_fail (err, "dynamic string table");
      str = strdata->d_buf;
      str_size = strdata->d_size;
    }

  info->needed = xmalloc0 (sizeof (char *) * (n_needed + 1));
  for (size_t i = 0; i < n_needed; i++)
    {
      char *s = table_string (str, str_size, needed[i]);
      if (s == NULL)
        return reg_make_error (err, EINVAL, "DT_NEEDED string offset %llu outside the string table",
                               (unsigned long long)needed[i]);
      if (*s == '\0')
        {
          free (s);
          continue;
        }
      info->needed[info->n_needed++] = s;
    }
  if (has_rpath)
    info->rpath = table_string (str, str_size, rpath);
  if (has_runpath)
    info->runpath = table_string (str, str_size, runpath);
  if (has_soname)
    info->soname = table_string (str, str_size, soname);
  return 0;
}

int
reg_elf_read_fd (int fd, struct reg_elf_info **out, reg_error_t *err)
{
  __attribute__ ((cleanup (cleanup_elfp))) Elf *e = NULL;
  __attribute__ ((cleanup (cleanup_elf_infop))) struct reg_elf_info *info = NULL;
  cleanup_free struct load_seg *loads = NULL;
  size_t phnum, n_loads = 0;
  GElf_Phdr dynph = { 0 };
  bool has_dyn = false;
  GElf_Ehdr ehdr;
  int ret;

  if (elf_version (EV_CURRENT) == EV_NONE)
    return elf_fail (err, "libelf");
  /* ELF_C_READ reads what is asked with pread: no mapping, so a file that
     shrinks under us cannot SIGBUS the runtime.  */
  e = elf_begin (fd, ELF_C_READ, NULL);
  if (e == NULL)
    return elf_fail (err, "elf_begin");
  if (elf_kind (e) != ELF_K_ELF)
    return reg_make_error (err, ENOEXEC, "not an ELF object");
  if (gelf_getehdr (e, &ehdr) == NULL)
    return elf_fail (err, "ELF header");

  info = xmalloc0 (sizeof (*info));
  info->elf_class = gelf_getclass (e);
  info->data = ehdr.e_ident[EI_DATA];
  info->machine = ehdr.e_machine;
  info->type = ehdr.e_type;
  if (info->elf_class != ELFCLASS32 && info->elf_class != ELFCLASS64)
    return reg_make_error (err, ENOEXEC, "unknown ELF class %d", info->elf_class);

  if (elf_getphdrnum (e, &phnum) < 0)
    return elf_fail (err, "program headers");
  if (phnum > MAX_PHNUM)
    return reg_make_error (err, E2BIG, "%zu program headers", phnum);
  loads = xmalloc (sizeof (*loads) * (phnum + 1));
  for (size_t i = 0; i < phnum; i++)
    {
      GElf_Phdr ph;
      if (gelf_getphdr (e, (int)i, &ph) == NULL)
        return elf_fail (err, "program header");
      switch (ph.p_type)
        {
        case PT_LOAD:
          loads[n_loads++] = (struct load_seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
          break;
        case PT_DYNAMIC:
          if (!has_dyn)
            dynph = ph;
          has_dyn = true;
          break;
        case PT_INTERP:
          {
            size_t sz = ph.p_filesz;
            Elf_Data *d;
            if (info->interp || sz == 0)
              break;
            if (sz > REG_ELF_MAX_STRING)
              sz = REG_ELF_MAX_STRING;
            d = elf_getdata_rawchunk (e, (int64_t)ph.p_offset, sz, ELF_T_BYTE);
            if (d == NULL)
              return elf_fail (err, "PT_INTERP");
            info->interp = xstrndup (d->d_buf, strnlen (d->d_buf, d->d_size));
            if (info->interp[0] == '\0')
              {
                free (info->interp);
                info->interp = NULL;
              }
          }
          break;
        default:
          break;
        }
    }

  if (has_dyn)
    {
      info->has_dynamic = true;
      ret = read_dynamic (e, info, &dynph, loads, n_loads, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (info->needed == NULL)
    info->needed = xmalloc0 (sizeof (char *));
  *out = steal_pointer (&info);
  return 0;
}
