/* libreg: the commands that act on a running container's cgroup: pause,
   resume, update, ps, events.  */
#ifndef REG_CONTAINER_CGROUP_H
#define REG_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "oci-spec.h"

int reg_container_pause (struct reg_context *ctx, const char *id, reg_error_t *err);
int reg_container_resume (struct reg_context *ctx, const char *id, reg_error_t *err);
/* Apply R (devices are not changed) to a created, running or paused
   container.  */
int reg_container_update (struct reg_context *ctx, const char *id, const oci_resources *r, reg_error_t *err);
/* The host pids of the container's cgroup.  */
int reg_container_pids (struct reg_context *ctx, const char *id, pid_t **pids, size_t *n, reg_error_t *err);
/* runc's stats event for ID, one JSON line.  */
int reg_container_stats (struct reg_context *ctx, const char *id, char **json, reg_error_t *err);
/* events: one stats line on OUT (STATS_ONLY), or one every INTERVAL_MS
   until the container stops.  */
int reg_container_events (struct reg_context *ctx, const char *id, bool stats_only, long interval_ms, FILE *out,
                          reg_error_t *err);

#endif
