/* libreg: pause, resume, update, ps, events (see container-cgroup.h).  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup-resources.h"
#include "cgroup.h"
#include "container-cgroup.h"
#include "container-internal.h"
#include "reg.h"
#include "status.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* Open ID's state (locked; SHARED for readers) and load its cgroup.  */
static int
open_container (struct runtime_context *ctx, const char *id, bool shared, int *dirfd, struct runtime_status *st,
                struct runtime_cgroup *cg, reg_error_t *err)
{
  int ret = runtime_status_open (ctx->state_root, id, shared, dirfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = runtime_status_read (*dirfd, id, st, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (st->cgroup_paths == NULL || st->cgroup_paths[0] == NULL)
    return reg_make_error (err, 0, "container \"%s\" has no cgroup", id);
  runtime_cgroup_load (st->cgroup_paths, st->cgroup_unit, cg);
  return 0;
}

int
runtime_container_pause (struct runtime_context *ctx, const char *id, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup cg = { 0 };
  enum runtime_container_status s;
  int ret;

  ret = open_container (ctx, id, false, &dirfd, &st, &cg, err);
  if (ret == 0)
    {
      s = runtime_status_current (dirfd, &st);
      if (s != RUNTIME_STATUS_RUNNING && s != RUNTIME_STATUS_CREATED)
        ret = reg_make_error (err, 0, "container \"%s\" is %s, not running", id, runtime_container_status_name (s));
      else
        ret = runtime_cgroup_freeze (&cg, err);
    }
  runtime_cgroup_clear (&cg);
  return ret;
}

int
runtime_container_resume (struct runtime_context *ctx, const char *id, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup cg = { 0 };
  int ret;

  ret = open_container (ctx, id, false, &dirfd, &st, &cg, err);
  if (ret == 0)
    {
      if (runtime_status_current (dirfd, &st) != RUNTIME_STATUS_PAUSED)
        ret = reg_make_error (err, 0, "container \"%s\" is not paused", id);
      else
        ret = runtime_cgroup_thaw (&cg, err);
    }
  runtime_cgroup_clear (&cg);
  return ret;
}

int
runtime_container_update (struct runtime_context *ctx, const char *id, const oci_resources *r, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup cg = { 0 };
  int ret;

  ret = open_container (ctx, id, false, &dirfd, &st, &cg, err);
  if (ret == 0 && runtime_status_current (dirfd, &st) == RUNTIME_STATUS_STOPPED)
    ret = reg_make_error (err, 0, "container \"%s\" is stopped", id);
  if (ret == 0)
    ret = runtime_cgroup_apply (&cg, r, false, err);
  runtime_cgroup_clear (&cg);
  return ret;
}

int
runtime_container_cgroup_pids (struct runtime_context *ctx, const char *id, struct runtime_cgroup *cg, pid_t **pids,
                               size_t *n, reg_error_t *err)
{
  cleanup_free char *state_dir = NULL;
  pid_t recorder;
  int ret;

  ret = runtime_cgroup_pids (cg, pids, n, err);
  if (UNLIKELY (ret < 0))
    return ret;
  xasprintf (&state_dir, "%s/%s", ctx->state_root, id);
  recorder = reg_phase_helper_pid (state_dir);
  for (size_t i = 0; recorder > 0 && i < *n; i++)
    if ((*pids)[i] == recorder)
      {
        memmove (*pids + i, *pids + i + 1, (*n - i - 1) * sizeof (pid_t));
        (*n)--;
        break;
      }
  return 0;
}

int
runtime_container_pids (struct runtime_context *ctx, const char *id, pid_t **pids, size_t *n, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup cg = { 0 };
  int ret;

  ret = open_container (ctx, id, true, &dirfd, &st, &cg, err);
  if (ret == 0)
    ret = runtime_container_cgroup_pids (ctx, id, &cg, pids, n, err);
  runtime_cgroup_clear (&cg);
  return ret;
}

static int
stats_locked (const char *id, const struct runtime_status *st, char **json, reg_error_t *err)
{
  struct runtime_cgroup_layout l;
  runtime_cgroup_layout_detect (&l);
  return runtime_cgroup_stats_json (st->cgroup_paths, CGROUP_ROOT, &l, id, json, err);
}

int
runtime_container_stats (struct runtime_context *ctx, const char *id, char **json, reg_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup cg = { 0 };
  int ret;

  ret = open_container (ctx, id, true, &dirfd, &st, &cg, err);
  runtime_cgroup_clear (&cg);
  if (ret == 0 && runtime_status_current (dirfd, &st) == RUNTIME_STATUS_STOPPED)
    ret = reg_make_error (err, 0, "container \"%s\" is stopped", id);
  if (ret == 0)
    ret = stats_locked (id, &st, json, err);
  return ret;
}

/* The OOM kills counted so far in ID's memory cgroup; false when unknown.  */
static bool
oom_kills (struct runtime_context *ctx, const char *id, uint64_t *out)
{
  cleanup_close int dirfd = -1;
  cleanup_status struct runtime_status st = { 0 };
  struct runtime_cgroup_layout l;
  reg_error_t tmp = NULL;

  if (runtime_status_open (ctx->state_root, id, true, &dirfd, &tmp) < 0
      || runtime_status_read (dirfd, id, &st, &tmp) < 0)
    {
      reg_error_release (&tmp);
      return false;
    }
  runtime_cgroup_layout_detect (&l);
  return runtime_cgroup_oom_kills (st.cgroup_paths, CGROUP_ROOT, &l, out);
}

int
runtime_container_events (struct runtime_context *ctx, const char *id, bool stats_only, long interval_ms, FILE *out,
                          reg_error_t *err)
{
  uint64_t ooms = 0, now;
  bool have_ooms;

  if (interval_ms <= 0)
    return reg_make_error (err, 0, "events: the interval must be positive");
  have_ooms = !stats_only && oom_kills (ctx, id, &ooms);
  for (;;)
    {
      cleanup_free char *json = NULL;
      struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
      int ret;

      /* runc's {"type":"oom"} event when the OOM killer struck since the
         last look (polled, with the stats).  */
      if (have_ooms && oom_kills (ctx, id, &now) && now > ooms)
        {
          fprintf (out, "{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
          ooms = now;
        }
      ret = runtime_container_stats (ctx, id, &json, err);
      if (ret < 0)
        {
          /* The stream ends when the container does.  */
          if (!stats_only)
            {
              reg_error_release (err);
              return 0;
            }
          return ret;
        }
      fprintf (out, "%s\n", json);
      fflush (out);
      if (stats_only)
        return 0;
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
    }
}
