/* libreg: the container lifecycle, the API the reg-runc commands call.
 *
 * create/run share one path: parse and validate config.json, take the
 * container's state directory, run the REG phase, make the cgroup, spawn the
 * init in its namespaces (which sets up the root and the process and waits
 * before execve), record the state.  start releases the init; run = create +
 * start + wait (+ delete).  */
#ifndef REG_CONTAINER_H
#define REG_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* The global options of the CLI that matter to the library.  */
struct reg_context
{
  const char *state_root;
  bool systemd_cgroup;
  bool cgroups_disabled;        /* --cgroup-manager disabled */
  const char *reg_root;         /* REG store, NULL: default */
  const char *reg_mode;         /* host default REG mode, NULL: "off" */
  uint64_t reg_max_object_size; /* 0: the store's default */
  /* --rootless: whether a cgroup we may not create is skipped (runc's
     flag); auto: when not root.  */
  enum reg_rootless
  {
    REG_ROOTLESS_AUTO = 0,
    REG_ROOTLESS_TRUE,
    REG_ROOTLESS_FALSE,
  } rootless;
};

struct reg_create_options
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

int reg_container_create (struct reg_context *ctx, const char *id, const struct reg_create_options *opts,
                          reg_error_t *err);
/* Returns the container's exit status (0 with detach).  */
int reg_container_run (struct reg_context *ctx, const char *id, const struct reg_create_options *opts,
                       reg_error_t *err);
int reg_container_start (struct reg_context *ctx, const char *id, reg_error_t *err);
/* The state JSON (runtime-spec plus rootfs, created, owner).  */
int reg_container_state (struct reg_context *ctx, const char *id, char **json, reg_error_t *err);
/* SIGNAL: a name (with or without SIG) or a number; NULL: TERM.  */
int reg_container_kill (struct reg_context *ctx, const char *id, const char *signal, bool all, reg_error_t *err);
int reg_container_delete (struct reg_context *ctx, const char *id, bool force, reg_error_t *err);

enum reg_list_format
{
  REG_LIST_TABLE,
  REG_LIST_JSON,
};
int reg_container_list (struct reg_context *ctx, enum reg_list_format format, bool quiet, FILE *out, reg_error_t *err);

#endif
