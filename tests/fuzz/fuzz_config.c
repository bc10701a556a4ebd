/* libFuzzer harness for liboci-spec: every input goes through the config,
 * process and resources parsers; each must return an error or a value that
 * frees cleanly (ASan/UBSan/LeakSanitizer watch).  */
#include <stddef.h>
#include <stdint.h>

#include "oci-spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  reg_error_t err = NULL;
  oci_config *c = NULL;
  oci_process *p = NULL;
  oci_resources r;

  if (oci_config_parse ((const char *)data, size, "config.json", &c, &err) == 0)
    {
      /* Touch what the lifecycle reads first.  */
      (void)oci_config_namespace (c, OCI_NS_USER);
      (void)oci_map_get (&c->annotations, "run.reg.mode");
      oci_config_free (c);
    }
  reg_error_release (&err);
  if (oci_process_parse ((const char *)data, size, "process.json", &p, &err) == 0)
    oci_process_free (p);
  reg_error_release (&err);
  if (oci_resources_parse ((const char *)data, size, "resources.json", &r, &err) == 0)
    oci_resources_clear (&r);
  reg_error_release (&err);
  return 0;
}
