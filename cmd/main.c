/* reg-runc: global options and the command table.  */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "cmd.h"
#include "config.h"
#include "oci-spec.h"
#include "reg-commit.h"
#include "reg.h"
#include "self-exe.h"
#include "utils.h"

struct command
{
  const char *name;
  cmd_fn fn;
  const char *help;
};

static const struct command commands[] = {
  { "create", cmd_create, "create a container" },
  { "start", cmd_start, "start a created container" },
  { "run", cmd_run, "create and start a container, wait for it" },
  { "state", cmd_state, "print the state of a container" },
  { "kill", cmd_kill, "send a signal to the container's init" },
  { "delete", cmd_delete, "delete a container" },
  { "list", cmd_list, "list containers" },
  { "exec", cmd_exec, "run a process in a running container" },
  { "pause", cmd_pause, "freeze every process of a container" },
  { "resume", cmd_resume, "thaw a paused container" },
  { "update", cmd_update, "change a container's resource limits" },
  { "ps", cmd_ps, "list the processes of a container" },
  { "events", cmd_events, "print a container's resource usage (stats)" },
  { "spec", cmd_spec, "write a default config.json" },
  { "features", cmd_features, "print the features this runtime supports" },
  { "reg", cmd_reg, "REG administration (analyze, ls, stats, gc, check)" },
  { NULL, NULL, NULL },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: reg-runc [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
                "An OCI container runtime with runtime environment generation (REG).\n\n"
                "Commands:\n");
  for (const struct command *c = commands; c->name; c++)
    if (c->fn)
      fprintf (out, "  %-10s %s\n", c->name, c->help);
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR             state directory (default " REG_DEFAULT_ROOT ")\n"
                "  --log FILE             write logs to FILE\n"
                "  --log-format FMT       text or json\n"
                "  --debug                debug logging\n"
                "  --systemd-cgroup       a systemd scope per container (cgroupsPath slice:prefix:name)\n"
                "  --rootless true|false|auto\n"
                "  --cgroup-manager M     cgroupfs, systemd or disabled\n"
                "  --reg-root DIR         REG store (default " REG_DEFAULT_STORE
                ", rootless: $XDG_DATA_HOME/reg-runc or ~/.local/share/reg-runc)\n"
                "  --reg-mode MODE        default REG mode: off, share, minimal, learn\n"
                "  --config FILE          runtime configuration (default " REG_CONFIG_FILE
                ", rootless: $XDG_CONFIG_HOME/reg-runc/reg.conf or ~/.config/reg-runc/reg.conf)\n"
                "  -v, --version          print the version\n"
                "  -h, --help             this help\n");
}

static void
print_version (void)
{
  /* The lines go-runc (containerd) and Podman parse.  */
  printf ("reg-runc version %s\n", REG_VERSION);
  printf ("commit: %s\n", REG_COMMIT);
  printf ("spec: %s\n", OCI_SPEC_VERSION);
  printf ("libseccomp: %s\n", REG_SECCOMP_VERSION);
}

int
cmd_usage_error (reg_error_t *err, const char *cmd, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return reg_make_error (err, 0, "%s: %s (see `reg-runc %s --help`)", cmd, msg, cmd);
}

int
cmd_parse_id (const char *cmd, const char *help, int argc, char **argv, const char **id, reg_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        printf ("Usage: reg-runc %s ID\n\n%s\n", cmd, help);
        *id = NULL;
        return 0;
      default:
        return cmd_usage_error (err, cmd, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, cmd, argc - optind < 1 ? "missing the container id" : "too many arguments");
  *id = argv[optind];
  return 0;
}

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
  OPT_CGROUP_MANAGER,
  OPT_REG_ROOT,
  OPT_REG_MODE,
  OPT_CONFIG,
  OPT_CRIU,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER },
  { "reg-root", required_argument, NULL, OPT_REG_ROOT },
  { "reg-mode", required_argument, NULL, OPT_REG_MODE },
  { "config", required_argument, NULL, OPT_CONFIG },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Where a user's REG files go when the runtime is not root of the initial
   user namespace: $XDG_VAR/LEAF, else HOME/FALLBACK/LEAF.  Rootless Podman
   runs the runtime as uid 0 of its user namespace with the user's HOME
   (but not at `delete`): without HOME, the home of the uid we map to.  NULL
   when there is none.  */
static char *
user_dir (const char *xdg_var, const char *fallback, const char *leaf)
{
  const char *xdg = getenv (xdg_var);
  const char *home = getenv ("HOME");
  char *out = NULL;

  if (xdg && xdg[0] == '/')
    {
      xasprintf (&out, "%s/%s", xdg, leaf);
      return out;
    }
  if (home == NULL || home[0] != '/')
    {
      struct passwd *pw = getpwuid (host_euid ());
      home = pw ? pw->pw_dir : NULL;
    }
  if (home && home[0] == '/')
    xasprintf (&out, "%s/%s/%s", home, fallback, leaf);
  return out;
}

/* The one place that chooses reg.conf and the REG store when no flag did:
   the system's for root, the user's (XDG base directories) for anyone else,
   rootless Podman's uid 0 included.  reg.conf's `store` comes between the
   flag and this default.  */
static void
default_reg_paths (char **config_file, char **store)
{
  if (!running_rootless ())
    {
      *config_file = xstrdup (REG_CONFIG_FILE);
      *store = xstrdup (REG_DEFAULT_STORE);
      return;
    }
  *config_file = user_dir ("XDG_CONFIG_HOME", ".config", "reg-runc/reg.conf");
  *store = user_dir ("XDG_DATA_HOME", ".local/share", "reg-runc");
}

static const char *
default_root (void)
{
  static char *root;
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  if (xdg && *xdg && root == NULL)
    xasprintf (&root, "%s/reg-runc", xdg);
  return root ? root : REG_DEFAULT_ROOT;
}

int
main (int argc, char **argv)
{
  struct cmd_global_args g = { .log_format = REG_LOG_TEXT };
  reg_error_t err = NULL;
  const char *log_format = NULL;
  /* For the whole run: g points into them.  */
  static char *default_config, *default_store;
  int c, ret;

  /* "+": stop at the first non-option, the command name.  */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", global_options, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_ROOT:
          g.root = optarg;
          break;
        case OPT_LOG:
          g.log = optarg;
          break;
        case OPT_LOG_FORMAT:
          log_format = optarg;
          break;
        case OPT_DEBUG:
          g.debug = true;
          break;
        case OPT_SYSTEMD_CGROUP:
          g.systemd_cgroup = true;
          break;
        case OPT_ROOTLESS:
          g.rootless = optarg;
          break;
        case OPT_CGROUP_MANAGER:
          g.cgroup_manager = optarg;
          break;
        case OPT_REG_ROOT:
          g.reg_root = optarg;
          break;
        case OPT_REG_MODE:
          g.reg_mode = optarg;
          break;
        case OPT_CONFIG:
          g.config_file = optarg;
          break;
        case OPT_CRIU:
          break;
        case 'v':
          print_version ();
          return 0;
        case 'h':
          usage (stdout);
          return 0;
        default:
          fprintf (stderr, "reg-runc: unknown or incomplete global option `%s`\n", argv[optind - 1]);
          usage (stderr);
          return 1;
        }
    }

  if (log_format == NULL || strcmp (log_format, "text") == 0)
    g.log_format = REG_LOG_TEXT;
  else if (strcmp (log_format, "json") == 0)
    g.log_format = REG_LOG_JSON;
  else
    {
      fprintf (stderr, "reg-runc: --log-format: expected `text` or `json`, got `%s`\n", log_format);
      return 1;
    }
  if (g.rootless && strcmp (g.rootless, "true") != 0 && strcmp (g.rootless, "false") != 0
      && strcmp (g.rootless, "auto") != 0)
    {
      fprintf (stderr, "reg-runc: --rootless: expected `true`, `false` or `auto`, got `%s`\n", g.rootless);
      return 1;
    }
  if (g.root == NULL)
    g.root = default_root ();
  default_reg_paths (&default_config, &default_store);
  if (g.config_file == NULL)
    g.config_file = default_config;

  /* Before anything else: a command that puts a process into a container
     runs from a copy of the binary that the container cannot write.  */
  if (optind < argc
      && (strcmp (argv[optind], "create") == 0 || strcmp (argv[optind], "run") == 0
          || strcmp (argv[optind], "exec") == 0)
      && runtime_self_exe_protect (argv, &err) < 0)
    {
      reg_error_print (&err, "reg-runc");
      reg_error_release (&err);
      return 1;
    }

  if (reg_log_init (g.log, g.log_format, g.debug, &err) < 0)
    {
      reg_error_print (&err, "reg-runc");
      reg_error_release (&err);
      return 1;
    }

  /* The host's REG defaults, under the global flags.  Read even when the
     flags give mode and store: max_object_size has no flag.  */
  {
    static struct reg_host_config host;

    if (g.config_file && reg_host_config_load (g.config_file, &host, &err) < 0)
      {
        /* A user's default file under a HOME that is not theirs (setpriv
           and sudo keep root's): as if absent.  One named by --config, or
           the system's, must be read.  */
        if (!(g.config_file == default_config && running_rootless () && err->status == EACCES))
          {
            reg_error_print (&err, "reg-runc");
            reg_error_release (&err);
            return 1;
          }
        reg_debug ("%s", err->msg);
        reg_error_release (&err);
      }
    if (g.reg_mode == NULL)
      g.reg_mode = host.mode;
    if (g.reg_root == NULL)
      g.reg_root = host.store;
    if (g.reg_root == NULL)
      g.reg_root = default_store;
    g.reg_max_object_size = host.max_object_size;
  }

  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }

  for (const struct command *cmd = commands; cmd->name; cmd++)
    {
      int first = optind;

      if (cmd->fn == NULL || strcmp (cmd->name, argv[first]) != 0)
        continue;
      /* Each command parses its own options from its own argv; optind = 0
         makes getopt start afresh.  */
      optind = 0;
      ret = cmd->fn (&g, argc - first, argv + first, &err);
      if (ret < 0)
        {
          reg_error_print (&err, NULL);
          reg_error_release (&err);
          return 1;
        }
      /* A non-negative value is the exit status (run, exec).  */
      return ret;
    }
  fprintf (stderr, "reg-runc: unknown command `%s`\n", argv[optind]);
  usage (stderr);
  return 1;
}
