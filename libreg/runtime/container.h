/* libreg: the container lifecycle, the API the reg-runc commands call.
 *
 * create/run share one path: parse and validate config.json, take the
 * container's state directory, run the REG phase, make the cgroup, spawn the
 * init in its namespaces (which sets up the root and the process and waits
 * before execve), record the state.  start releases the init; run = create +
 * start + wait (+ delete).  */
#ifndef RUNTIME_CONTAINER_H
#define RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* The global options of the CLI that matter to the library.  */
struct runtime_context
{
  const char *state_root;
  bool systemd_cgroup;
  bool cgroups_disabled;        /* --cgroup-manager disabled */
  const char *reg_root;         /* REG store, NULL: default */
  const char *reg_mode;         /* host default REG mode, NULL: "off" */
  uint64_t reg_max_object_size; /* 0: the store's default */
  /* --rootless: whether a cgroup we may not create is skipped (runc's
     flag); auto: when not root.  */
  enum runtime_rootless
  {
    RUNTIME_ROOTLESS_AUTO = 0,
    RUNTIME_ROOTLESS_TRUE,
    RUNTIME_ROOTLESS_FALSE,
  } rootless;
};

struct runtime_create_options
{
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  /* run only */
  bool detach;
  bool keep;
};

int runtime_container_create (struct runtime_context *ctx, const char *id, const struct runtime_create_options *opts,
                              reg_error_t *err);
/* Returns the container's exit status (0 with detach).  */
int runtime_container_run (struct runtime_context *ctx, const char *id, const struct runtime_create_options *opts,
                           reg_error_t *err);
int runtime_container_start (struct runtime_context *ctx, const char *id, reg_error_t *err);
/* The state JSON (runtime-spec plus rootfs, created, owner).  */
int runtime_container_state (struct runtime_context *ctx, const char *id, char **json, reg_error_t *err);
/* SIGNAL: a name (with or without SIG) or a number; NULL: TERM.  */
int runtime_container_kill (struct runtime_context *ctx, const char *id, const char *signal, bool all,
                            reg_error_t *err);
int runtime_container_delete (struct runtime_context *ctx, const char *id, bool force, reg_error_t *err);

enum runtime_list_format
{
  RUNTIME_LIST_TABLE,
  RUNTIME_LIST_JSON,
};
int runtime_container_list (struct runtime_context *ctx, enum runtime_list_format format, bool quiet, FILE *out,
                            reg_error_t *err);

#endif
