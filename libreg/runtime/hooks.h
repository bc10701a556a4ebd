/* libreg: OCI hooks (runtime-spec config.md "POSIX-platform Hooks").
 *
 * Each hook runs with the container's state JSON on stdin, its own args and
 * env, and is killed after `timeout` seconds.  Where a hook runs (runtime or
 * container namespace) is the caller's business: lifecycle code calls this
 * from the right process.  */
#ifndef RUNTIME_HOOKS_H
#define RUNTIME_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* Run every hook of LIST in order; KIND names them in errors ("prestart").
   The first failure stops the list and is returned; with WARN_ONLY
   (poststart, poststop) failures are logged as warnings and the rest run.  */
int runtime_hooks_run (const oci_hooks_list *list, const char *kind, const char *state_json, bool warn_only,
                       reg_error_t *err);

#endif
