/* reg-runc spec [--bundle DIR] [--rootless]: write a default config.json.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "oci-spec.h"
#include "utils.h"

static void
spec_usage (FILE *out)
{
  fprintf (out, "Usage: reg-runc spec [--bundle DIR] [--rootless]\n\n"
                "Write a default config.json into the bundle directory (default: the current one).\n\n"
                "  -b, --bundle DIR   the bundle directory\n"
                "      --rootless     a config for a container started without root\n"
                "  -h, --help         this help\n");
}

int
cmd_spec (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *json = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  const char *bundle = ".";
  bool rootless = false;
  size_t len;
  int c, ret;

  (void)g;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'r':
        rootless = true;
        break;
      case 'h':
        spec_usage (stdout);
        return 0;
      default:
        return cmd_usage_error (err, "spec", "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cmd_usage_error (err, "spec", "unexpected argument `%s`", argv[optind]);

  json = oci_default_config_json (rootless, geteuid (), getegid (), &len);
  xasprintf (&path, "%s/config.json", bundle);
  /* O_EXCL: never replace a config someone wrote, even if it appears
     between a check and the write.  */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return reg_make_error (err, 0, "spec: `%s` already exists; remove it first", path);
      return reg_make_error (err, errno, "spec: create `%s`", path);
    }
  ret = write_all (fd, json, len, err);
  if (ret == 0)
    ret = write_all (fd, "\n", json[len ? len - 1 : 0] == '\n' ? 0 : 1, err);
  if (ret == 0 && close (steal_fd (&fd)) < 0)
    ret = reg_make_error (err, errno, "spec: write `%s`", path);
  if (ret < 0)
    {
      /* Leave nothing half-written behind.  */
      unlink (path);
      return ret;
    }
  return 0;
}
