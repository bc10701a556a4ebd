/* Helpers shared by the libFuzzer harnesses.  */
#ifndef REG_FUZZ_COMMON_H
#define REG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A memfd holding DATA, at offset 0.  A failure here is the harness's, not
   the code under test's: trap so it is not mistaken for a clean run.  */
static inline int
fuzz_memfd (const char *name, const uint8_t *data, size_t size)
{
  int fd = memfd_create (name, MFD_CLOEXEC);
  size_t done = 0;

  if (fd < 0)
    __builtin_trap ();
  while (done < size)
    {
      ssize_t n = write (fd, data + done, size - done);
      if (n <= 0)
        __builtin_trap ();
      done += (size_t)n;
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    __builtin_trap ();
  return fd;
}

#endif
