/* reg-runc CLI: the global options and the subcommand entry points.  */
#ifndef REG_CMD_H
#define REG_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "error.h"
#include "json-gen.h"

struct cmd_global_args
{
  const char *root; /* state directory */
  const char *log;
  enum reg_log_format log_format;
  bool debug;
  bool systemd_cgroup;
  const char *rootless;         /* "true", "false", "auto" or NULL */
  const char *cgroup_manager;   /* "cgroupfs", "systemd", "disabled" or NULL */
  const char *reg_root;         /* REG store: flag, config file, else main's default */
  const char *reg_mode;         /* host default REG mode, NULL: from the config file */
  uint64_t reg_max_object_size; /* from the config file, 0: the store's default */
  const char *config_file;
};

/* Each subcommand: parse its own options from ARGV (ARGV[0] is the command
   name) and call one libreg entry point.  */
typedef int (*cmd_fn) (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);

int cmd_create (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_start (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_run (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_state (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_kill (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_delete (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_list (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_exec (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_pause (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_resume (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_update (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_ps (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_events (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_spec (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_features (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_reg (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);

/* `reg` subcommands on the REG store (cmd/reg-store.c); the store is
   g->reg_root, which main chose (the user's when rootless), or
   REG_DEFAULT_STORE.  ARGV[0] is the subcommand name.  */
int cmd_reg_ls (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_reg_stats (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
int cmd_reg_gc (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
/* PART in percent of WHOLE with one decimal ("8.0"; "0.0" when WHOLE is 0),
   into BUF: for the volume reports of `reg ls` and `reg analyze`.  */
const char *cmd_percent (uint64_t part, uint64_t whole, char buf[32]);
/* The REG store of the command line: g->reg_root or REG_DEFAULT_STORE.  */
const char *cmd_store_root (struct cmd_global_args *g);
/* JSON output of the `reg` subcommands (json-gen.h for the rest): KEY
   and PART in percent of WHOLE as cmd_percent writes it (yajl_gen_double
   would print the binary value's 17 digits).  */
void cmd_gen_percent (yajl_gen gen, const char *key, uint64_t part, uint64_t whole);
/* reg profile ls|show|rm (cmd/reg-profile.c).  */
int cmd_reg_profile (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
/* Returns 1 (the exit status) when an object is corrupted.  */
int cmd_reg_check (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err);
struct runtime_context;
struct runtime_create_options;
/* The library's view of the global options.  */
void cmd_context (struct cmd_global_args *g, struct runtime_context *ctx);
/* create and run share their options; RUN adds --detach and --keep.  Returns
   the index of the container id in ARGV, or a negative error; 0 after
   --help.  */
int cmd_parse_create_options (const char *cmd, bool run, int argc, char **argv, struct runtime_create_options *opts,
                              reg_error_t *err);

/* The options of a command that takes only an id (start, pause, resume,
   state): *ID, or NULL after --help (HELP is its text).  */
int cmd_parse_id (const char *cmd, const char *help, int argc, char **argv, const char **id, reg_error_t *err);

/* Print "ARGV0: MSG" and usage hint; returns the error for an unknown flag or
   a wrong number of arguments.  */
int cmd_usage_error (reg_error_t *err, const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

#endif
