/* reg-runc create [OPTIONS] ID: and the options `run` shares with it.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "container.h"
#include "utils.h"

void
cmd_context (struct cmd_global_args *g, struct runtime_context *ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->state_root = g->root;
  ctx->systemd_cgroup = g->systemd_cgroup || (g->cgroup_manager && strcmp (g->cgroup_manager, "systemd") == 0);
  ctx->cgroups_disabled = g->cgroup_manager && strcmp (g->cgroup_manager, "disabled") == 0;
  ctx->reg_root = g->reg_root;
  ctx->reg_mode = g->reg_mode;
  ctx->reg_max_object_size = g->reg_max_object_size;
  if (g->rootless && strcmp (g->rootless, "true") == 0)
    ctx->rootless = RUNTIME_ROOTLESS_TRUE;
  else if (g->rootless && strcmp (g->rootless, "false") == 0)
    ctx->rootless = RUNTIME_ROOTLESS_FALSE;
}

enum
{
  OPT_CONSOLE_SOCKET = 1000,
  OPT_PID_FILE,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_KEEP,
  OPT_IGNORED_ARG,
  OPT_IGNORED,
};

static void
usage (const char *cmd, bool run)
{
  printf ("Usage: reg-runc %s [OPTIONS] ID\n\n"
          "%s\n\n"
          "  -b, --bundle DIR          the bundle (default: the current directory)\n"
          "      --console-socket SOCK  send the pty master there (process.terminal)\n"
          "      --pid-file FILE       write the init's pid there\n"
          "      --no-pivot            chroot instead of pivot_root\n"
          "      --no-new-keyring      keep the caller's session keyring\n"
          "      --preserve-fds N      pass fds 3 .. 3+N-1 on\n"
          "%s"
          "  -h, --help                this help\n",
          cmd, run ? "Create and start a container, wait for it, delete it." : "Create a container; `start` runs it.",
          run ? "  -d, --detach              return once the container started\n"
                "      --keep                do not delete the container when it exits\n"
              : "");
}

int
cmd_parse_create_options (const char *cmd, bool run, int argc, char **argv, struct runtime_create_options *opts,
                          reg_error_t *err)
{
  static const struct option create_opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    /* Accepted for runc compatibility.  */
    { "pidfd-socket", required_argument, NULL, OPT_IGNORED_ARG },
    { "notify-socket", required_argument, NULL, OPT_IGNORED_ARG },
    { "no-subreaper", no_argument, NULL, OPT_IGNORED },
    { "help", no_argument, NULL, 'h' },
    /* run only: keep these last.  */
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { NULL, 0, NULL, 0 },
  };
  static struct option create_only[sizeof (create_opts) / sizeof (create_opts[0]) - 2];
  const struct option *table = create_opts;
  int c;

  memset (opts, 0, sizeof (*opts));
  if (!run)
    {
      /* create: the same table without --detach and --keep.  */
      size_t n = sizeof (create_only) / sizeof (create_only[0]) - 1;
      memcpy (create_only, create_opts, n * sizeof (struct option));
      memset (&create_only[n], 0, sizeof (struct option));
      table = create_only;
    }
  opterr = 0;
  /* _only: runc (urfave/cli) also takes `-bundle`, `-pid-file`...  */
  while ((c = getopt_long_only (argc, argv, run ? "b:dh" : "b:h", table, NULL)) != -1)
    switch (c)
      {
      case 'b':
        opts->bundle = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        opts->console_socket = optarg;
        break;
      case OPT_PID_FILE:
        opts->pid_file = optarg;
        break;
      case OPT_NO_PIVOT:
        opts->no_pivot = true;
        break;
      case OPT_NO_NEW_KEYRING:
        opts->no_new_keyring = true;
        break;
      case OPT_PRESERVE_FDS:
        {
          uint64_t v;
          if (parse_uint64 (optarg, &v) < 0 || v > 65536)
            return cmd_usage_error (err, cmd, "--preserve-fds: expected a number, got `%s`", optarg);
          opts->preserve_fds = (int)v;
        }
        break;
      case 'd':
        opts->detach = true;
        break;
      case OPT_KEEP:
        opts->keep = true;
        break;
      case OPT_IGNORED:
      case OPT_IGNORED_ARG:
        break;
      case 'h':
        usage (cmd, run);
        return 0;
      default:
        return cmd_usage_error (err, cmd, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cmd_usage_error (err, cmd, argc - optind < 1 ? "missing the container id" : "too many arguments");
  return optind;
}

int
cmd_create (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct runtime_create_options opts;
  struct runtime_context ctx;
  int idx = cmd_parse_create_options ("create", false, argc, argv, &opts, err);

  if (idx <= 0)
    return idx;
  cmd_context (g, &ctx);
  return runtime_container_create (&ctx, argv[idx], &opts, err);
}
