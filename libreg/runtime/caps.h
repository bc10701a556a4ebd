/* reg-runc: process capabilities (libcap).
 *
 * Two phases, so that a bad name fails `create` before anything is forked:
 *
 *   create, before fork:  runtime_caps_resolve (config names -> bit masks)
 *   container init:       runtime_caps_before_setuid ()
 *                         setgroups / setgid / setuid (the lifecycle's job)
 *                         runtime_caps_apply ()
 *                         ... no_new_privs, LSM exec label, seccomp, execve
 *
 * What the program sees after execve follows capabilities(7): for a non-root
 * user without file capabilities, permitted = effective = ambient (the
 * inheritable and bounding sets are kept as set here); for uid 0, permitted
 * = effective = inheritable | bounding.  That is why the runtime-spec's
 * configs list the same caps in bounding/permitted/effective for root, and
 * use ambient for a non-root user that should keep capabilities.  */
#ifndef RUNTIME_CAPS_H
#define RUNTIME_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci-spec.h"

/* The resolved sets, one bit per capability value (CAP_CHOWN = bit 0).
   CONFIGURED is false when the config has no process.capabilities at all: as
   runc does, the process's capabilities are then left as they are (a root
   process keeps all of them, a non-root one loses them at setuid).  A set
   absent from a present capabilities object is empty.  */
struct runtime_caps
{
  bool configured;
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Resolve the names in C.  A name must be "CAP_" + an upper-case name that
   libcap knows ("CAP_CHOWN"); anything else is an error naming it:
     config.json: process.capabilities.bounding: unknown capability "CAP_FOO"
   A capability libcap knows but the running kernel does not (value >=
   cap_max_bits ()) is skipped with a warning, as runc does.  */
int runtime_caps_resolve (const oci_capabilities *c, struct runtime_caps **out, reg_error_t *err);

/* The same with another prefix for messages ("process.json: capabilities"
   for exec).  */
int runtime_caps_resolve_at (const oci_capabilities *c, const char *json_path, struct runtime_caps **out,
                             reg_error_t *err);

/* The decision alone: as runtime_caps_resolve_at, for a kernel that knows
   KERNEL_CAPS capabilities (values 0 .. KERNEL_CAPS-1).  */
int runtime_caps_resolve_for_kernel (const oci_capabilities *c, const char *json_path, int kernel_caps,
                                     struct runtime_caps **out, reg_error_t *err);

/* In the container's init, while still uid 0, before setuid/setgid: keep
   the permitted set across the change to a non-root uid.  */
int runtime_caps_before_setuid (reg_error_t *err);

/* After setgroups/setgid/setuid: bounding (drop what is not configured),
   then effective/permitted/inheritable, then ambient (cleared, then each
   configured cap raised; one the kernel refuses because it is not in both
   permitted and inheritable is skipped with a warning, as runc does), then
   keep-caps off.  A no-op when CAPS is NULL or not configured.  */
int runtime_caps_apply (const struct runtime_caps *caps, reg_error_t *err);

void runtime_caps_free (struct runtime_caps *caps);

/* "CAP_CHOWN", ... : every capability both libcap and the running kernel
   know, NULL-terminated (for `features`).  */
const char *const *runtime_caps_known_names (void);

/* The name of capability value V ("CAP_CHOWN"), or NULL.  */
const char *runtime_caps_name (int v);

#endif
