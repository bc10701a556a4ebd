/* reg-runc: the runtime-spec `features` document of this build and host.
 * (Not "features.h": that name is glibc's, and libreg/ is on the include path.)  */
#ifndef RUNTIME_RUNTIME_FEATURES_H
#define RUNTIME_RUNTIME_FEATURES_H

#include <stddef.h>

/* The features JSON (pretty, NUL-terminated, malloc'ed).  */
char *runtime_features_json (size_t *len);

#endif
