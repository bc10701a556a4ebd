/* libFuzzer harness for the runtime's configuration file parser
   (reg_host_config_load), reading the input through a memfd's path.  */
#include <stdio.h>
#include <string.h>

#include "fuzz-common.h"
#include "reg.h"
#include "utils.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_close int fd = fuzz_memfd ("reg.conf", data, size);
  struct reg_host_config cfg = { 0 };
  reg_error_t err = NULL;
  char path[64];

  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  if (reg_host_config_load (path, &cfg, &err) == 0)
    {
      enum reg_mode mode;
      /* A mode the loader accepted is one the phase accepts.  */
      oci_config empty;
      memset (&empty, 0, sizeof empty);
      if (cfg.mode && reg_mode_from_config (&empty, cfg.mode, &mode, &err) < 0)
        __builtin_trap ();
      if (cfg.store && cfg.store[0] != '/')
        __builtin_trap ();
    }
  else if (err == NULL || err->msg == NULL || strstr (err->msg, path) == NULL)
    __builtin_trap (); /* every error names the file */
  reg_error_release (&err);
  reg_host_config_clear (&cfg);
  return 0;
}
