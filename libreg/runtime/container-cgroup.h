/* libreg: the commands that act on a running container's cgroup: pause,
   resume, update, ps, events.  */
#ifndef RUNTIME_CONTAINER_CGROUP_H
#define RUNTIME_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "oci-spec.h"

int runtime_container_pause (struct runtime_context *ctx, const char *id, reg_error_t *err);
int runtime_container_resume (struct runtime_context *ctx, const char *id, reg_error_t *err);
/* Apply R (devices are not changed) to a created, running or paused
   container.  */
int runtime_container_update (struct runtime_context *ctx, const char *id, const oci_resources *r, reg_error_t *err);
/* The host pids of the container's cgroup.  */
int runtime_container_pids (struct runtime_context *ctx, const char *id, pid_t **pids, size_t *n, reg_error_t *err);
/* runc's stats event for ID, one JSON line.  */
int runtime_container_stats (struct runtime_context *ctx, const char *id, char **json, reg_error_t *err);
/* events: one stats line on OUT (STATS_ONLY), or one every INTERVAL_MS
   until the container stops.  */
int runtime_container_events (struct runtime_context *ctx, const char *id, bool stats_only, long interval_ms, FILE *out,
                              reg_error_t *err);

#endif
