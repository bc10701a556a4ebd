/* reg-runc exec [OPTIONS] ID [COMMAND ARGS...]: a second process in a
   running container.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exec.h"
#include "utils.h"

enum
{
  OPT_CONSOLE_SOCKET = 1000,
  OPT_PID_FILE,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
  OPT_IGNORED_ARG,
};

static void
usage (void)
{
  printf ("Usage: reg-runc exec [OPTIONS] ID [COMMAND ARGS...]\n\n"
          "Run a process in a running container.\n\n"
          "  -p, --process FILE          the process object (process.json)\n"
          "  -t, --tty                   allocate a pty\n"
          "      --console-socket SOCK   send the pty master there\n"
          "  -d, --detach                return once the process has exec'd\n"
          "      --pid-file FILE         write the process's host pid there\n"
          "      --cwd DIR               working directory in the container\n"
          "  -e, --env KEY=VALUE         set an environment variable (repeatable)\n"
          "  -u, --user UID[:GID]        the user (or a name from the container's /etc/passwd)\n"
          "  -g, --additional-gids GID   an additional group (repeatable)\n"
          "  -c, --cap CAP               add a capability (repeatable)\n"
          "      --no-new-privs          set no_new_privileges\n"
          "      --preserve-fds N        pass fds 3 .. 3+N-1 on\n"
          "      --process-label LABEL   SELinux label\n"
          "      --apparmor PROFILE      AppArmor profile\n"
          "      --cgroup SUBPATH        run in this sub-cgroup of the container's\n"
          "      --ignore-paused         exec even when the container is paused\n"
          "  -h, --help                  this help\n");
}

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

int
cmd_exec (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts_table[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
    { "apparmor", required_argument, NULL, OPT_APPARMOR },
    { "cgroup", required_argument, NULL, OPT_CGROUP },
    { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
    /* Accepted for runc compatibility.  */
    { "pidfd-socket", required_argument, NULL, OPT_IGNORED_ARG },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct runtime_exec_options o;
  struct runtime_context ctx;
  cleanup_free char **env = NULL, **gids = NULL, **caps = NULL;
  size_t n_env = 0, n_gids = 0, n_caps = 0;
  int c;

  memset (&o, 0, sizeof (o));
  opterr = 0;
  /* "+": the options end at the id; COMMAND's own options follow it.  */
  while ((c = getopt_long (argc, argv, "+p:tde:u:g:c:h", opts_table, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_file = optarg;
        break;
      case 't':
        o.tty = true;
        break;
      case OPT_CONSOLE_SOCKET:
        o.console_socket = optarg;
        break;
      case 'd':
        o.detach = true;
        break;
      case OPT_PID_FILE:
        o.pid_file = optarg;
        break;
      case OPT_CWD:
        o.cwd = optarg;
        break;
      case 'e':
        push (&env, &n_env, optarg);
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'g':
        /* runc also takes a comma-separated list.  */
        for (char *tok = strtok (optarg, ","); tok; tok = strtok (NULL, ","))
          push (&gids, &n_gids, tok);
        break;
      case 'c':
        push (&caps, &n_caps, optarg);
        break;
      case OPT_NO_NEW_PRIVS:
        o.no_new_privs = true;
        break;
      case OPT_PRESERVE_FDS:
        {
          uint64_t v;
          if (parse_uint64 (optarg, &v) < 0 || v > 65536)
            return cmd_usage_error (err, "exec", "--preserve-fds: expected a number, got `%s`", optarg);
          o.preserve_fds = (int)v;
        }
        break;
      case OPT_PROCESS_LABEL:
        o.process_label = optarg;
        break;
      case OPT_APPARMOR:
        o.apparmor = optarg;
        break;
      case OPT_CGROUP:
        o.cgroup = optarg;
        break;
      case OPT_IGNORE_PAUSED:
        o.ignore_paused = true;
        break;
      case OPT_IGNORED_ARG:
        break;
      case 'h':
        usage ();
        return 0;
      default:
        return cmd_usage_error (err, "exec", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return cmd_usage_error (err, "exec", "missing the container id");
  if (o.process_file == NULL && optind + 1 >= argc)
    return cmd_usage_error (err, "exec", "missing the command (or --process)");
  o.env = env;
  o.additional_gids = gids;
  o.caps = caps;
  o.args = argv + optind + 1;
  cmd_context (g, &ctx);
  /* The process's exit status is ours.  */
  return runtime_container_exec (&ctx, argv[optind], &o, err);
}
