/* reg-runc reg: REG administration.  `reg analyze` prints the closure of
   files an entrypoint needs in a rootfs.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "cmd.h"
#include "oci-spec.h"
#include "reg-admin.h"
#include "utils.h"

static void
analyze_usage (FILE *out)
{
  fprintf (out,
           "Usage: reg-runc reg analyze --rootfs DIR [--env K=V]... [--cwd DIR] [--format text|json] -- CMD [ARGS...]\n"
           "       reg-runc reg analyze --bundle DIR [--format text|json]\n\n"
           "Print the files CMD needs inside DIR: the entrypoint, interpreters, shared\n"
           "libraries (and the symlinks on the way), what glibc loads at run time; then\n"
           "the volume: the image's bytes, the closure's and, with --bundle, the bytes of\n"
           "the environment `minimal` would give the bundle (closure, learned profile,\n"
           "run.reg.include, default files), each against the image's.\n\n"
           "  --bundle DIR      an OCI bundle: root, process.args, env and cwd from its config.json\n"
           "  --rootfs DIR      the container's root filesystem\n"
           "  --env K=V         process environment (PATH, LD_LIBRARY_PATH), repeatable\n"
           "  --cwd DIR         process working directory (default /)\n"
           "  --format FMT      text (default) or json\n");
}

static void
print_volume_text (const struct reg_report *r)
{
  char pct[32];

  printf ("image:       %llu files, %llu bytes\n", (unsigned long long)r->image_files,
          (unsigned long long)r->image_bytes);
  printf ("closure:     %llu files, %llu bytes (%s%% of the image)\n", (unsigned long long)r->closure_files,
          (unsigned long long)r->closure_bytes, cmd_percent (r->closure_bytes, r->image_bytes, pct));
  if (r->have_env)
    printf ("environment: %llu files, %llu bytes (%s%% of the image): minimal, with profile %.12s (%zu paths)\n",
            (unsigned long long)r->env_files, (unsigned long long)r->env_bytes,
            cmd_percent (r->env_bytes, r->image_bytes, pct), r->profile_key, r->profile_paths);
}

static void
print_text (const struct reg_report *r)
{
  for (size_t i = 0; i < r->n_files; i++)
    {
      const struct reg_report_file *f = &r->files[i];

      if (f->symlink)
        printf ("%-7s %10s  %-12s  %s -> %s  (%s)\n", "symlink", "-", "-", f->path, f->target, f->reason);
      else
        printf ("%-7s %10llu  %.12s  %s  (%s)\n", "file", (unsigned long long)f->size, f->digest, f->path, f->reason);
    }
  for (size_t i = 0; i < r->n_missing; i++)
    printf ("missing %10s  %-12s  %s  (needed by %s)\n", "-", "-", r->missing[i].name, r->missing[i].needed_by);
  print_volume_text (r);
}

static void
gen_volume (yajl_gen g, const struct reg_report *r)
{
  oci_gen_str (g, "volume");
  yajl_gen_map_open (g);
  oci_gen_str (g, "image");
  yajl_gen_map_open (g);
  oci_gen_key_uint (g, "files", r->image_files);
  oci_gen_key_uint (g, "bytes", r->image_bytes);
  yajl_gen_map_close (g);
  oci_gen_str (g, "closure");
  yajl_gen_map_open (g);
  oci_gen_key_uint (g, "files", r->closure_files);
  oci_gen_key_uint (g, "bytes", r->closure_bytes);
  cmd_gen_percent (g, "imagePercent", r->closure_bytes, r->image_bytes);
  yajl_gen_map_close (g);
  if (r->have_env)
    {
      oci_gen_str (g, "environment");
      yajl_gen_map_open (g);
      oci_gen_str (g, "mode");
      oci_gen_str (g, "minimal");
      oci_gen_key_uint (g, "files", r->env_files);
      oci_gen_key_uint (g, "bytes", r->env_bytes);
      oci_gen_key_uint (g, "symlinks", r->env_symlinks);
      oci_gen_key_uint (g, "directories", r->env_dirs);
      oci_gen_key_uint (g, "leftOut", r->env_left_out);
      cmd_gen_percent (g, "imagePercent", r->env_bytes, r->image_bytes);
      oci_gen_str (g, "profile");
      oci_gen_str (g, r->profile_key);
      oci_gen_key_uint (g, "profilePaths", r->profile_paths);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static int
print_json (const struct reg_report *r, reg_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  oci_gen_str (g, "libc");
  oci_gen_str (g, r->libc);
  oci_gen_str (g, "files");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < r->n_files; i++)
    {
      const struct reg_report_file *f = &r->files[i];
      yajl_gen_map_open (g);
      oci_gen_str (g, "path");
      oci_gen_str (g, f->path);
      oci_gen_str (g, "kind");
      oci_gen_str (g, f->symlink ? "symlink" : "file");
      if (f->target)
        {
          oci_gen_str (g, "target");
          oci_gen_str (g, f->target);
        }
      oci_gen_str (g, "reason");
      oci_gen_str (g, f->reason);
      oci_gen_str (g, "elf");
      yajl_gen_bool (g, f->elf);
      oci_gen_str (g, "size");
      yajl_gen_integer (g, (long long)f->size);
      if (!f->symlink)
        {
          oci_gen_str (g, "digest");
          oci_gen_str (g, f->digest);
        }
      oci_gen_str (g, "mode");
      yajl_gen_integer (g, (long long)f->mode);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  oci_gen_str (g, "missing");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < r->n_missing; i++)
    {
      yajl_gen_map_open (g);
      oci_gen_str (g, "name");
      oci_gen_str (g, r->missing[i].name);
      oci_gen_str (g, "needed_by");
      oci_gen_str (g, r->missing[i].needed_by);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  gen_volume (g, r);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  ret = write_all (STDOUT_FILENO, buf, len, err);
  yajl_gen_free (g);
  return ret;
}

static void
env_push (const char ***env, size_t *n, const char *kv)
{
  *env = xrealloc (*env, sizeof (char *) * (*n + 2));
  (*env)[(*n)++] = kv;
  (*env)[*n] = NULL;
}

enum
{
  OPT_ROOTFS = 1000,
  OPT_BUNDLE,
  OPT_ENV,
  OPT_CWD,
  OPT_FORMAT,
};

static int
cmd_reg_analyze (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option opts[] = {
    { "rootfs", required_argument, NULL, OPT_ROOTFS },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "env", required_argument, NULL, OPT_ENV },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *rootfs = NULL, *bundle = NULL, *cwd = NULL, *format = "text";
  const char *const *args;
  oci_config *config = NULL;
  cleanup_free char *config_path = NULL;
  cleanup_free char *bundle_rootfs = NULL;
  cleanup_free const char **env = xmalloc0 (sizeof (char *) * (size_t)(argc + 1));
  size_t n_env = 0;
  struct reg_report_request rq = { 0 };
  struct reg_report r = { 0 };
  int opt, ret;

  opterr = 0;
  optind = 0;
  while ((opt = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
    {
      switch (opt)
        {
        case OPT_ROOTFS:
          rootfs = optarg;
          break;
        case OPT_BUNDLE:
          bundle = optarg;
          break;
        case OPT_ENV:
          if (strchr (optarg, '=') == NULL)
            return cmd_usage_error (err, "reg analyze", "--env expects K=V, got `%s`", optarg);
          env_push (&env, &n_env, optarg);
          break;
        case OPT_CWD:
          cwd = optarg;
          break;
        case OPT_FORMAT:
          format = optarg;
          break;
        case 'h':
          analyze_usage (stdout);
          return 0;
        default:
          return cmd_usage_error (err, "reg analyze", "unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return cmd_usage_error (err, "reg analyze", "--format: expected `text` or `json`, got `%s`", format);
  if ((rootfs == NULL) == (bundle == NULL))
    return cmd_usage_error (err, "reg analyze", "give either --bundle DIR or --rootfs DIR -- CMD");
  if (bundle)
    {
      if (optind < argc)
        return cmd_usage_error (err, "reg analyze", "--bundle takes the command from config.json, not `%s`",
                                argv[optind]);
      if (n_env || cwd)
        return cmd_usage_error (err, "reg analyze", "--env and --cwd go with --rootfs");
      xasprintf (&config_path, "%s/config.json", bundle);
      ret = oci_config_parse_file (config_path, &config, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (config->process == NULL || config->process->args.len == 0 || config->root_path == NULL)
        {
          oci_config_free (config);
          return reg_make_error (err, 0, "%s: analysis needs `process.args` and `root.path`", config_path);
        }
      if (config->root_path[0] == '/')
        bundle_rootfs = xstrdup (config->root_path);
      else
        xasprintf (&bundle_rootfs, "%s/%s", bundle, config->root_path);
      rootfs = bundle_rootfs;
      args = (const char *const *)config->process->args.items;
      cwd = config->process->cwd;
      for (size_t i = 0; i < config->process->env.len; i++)
        env_push (&env, &n_env, config->process->env.items[i]);
    }
  else
    {
      if (optind >= argc)
        return cmd_usage_error (err, "reg analyze", "no command given (after `--`)");
      args = (const char *const *)argv + optind;
    }

  rq.rootfs = rootfs;
  rq.args = args;
  rq.env = env;
  rq.cwd = cwd;
  rq.bundle = bundle;
  rq.config = config;
  rq.store_root = cmd_store_root (g);
  ret = reg_report_analyze (&rq, &r, err);
  if (ret == 0)
    {
      if (strcmp (format, "json") == 0)
        ret = print_json (&r, err);
      else
        print_text (&r);
    }
  reg_report_clear (&r);
  oci_config_free (config);
  return ret < 0 ? ret : 0;
}

static const struct
{
  const char *name;
  cmd_fn fn;
  const char *help;
} reg_commands[] = {
  { "analyze", NULL, "print the files an entrypoint needs in a rootfs" },
  { "ls", cmd_reg_ls, "list the environments of the store" },
  { "stats", cmd_reg_stats, "bytes stored and shared, sharing degree" },
  { "gc", cmd_reg_gc, "remove unreferenced environments and objects" },
  { "check", cmd_reg_check, "verify objects against their digests (all, or --since TIME, --sample N)" },
  { "profile", cmd_reg_profile, "list, show or remove learned profiles" },
};

int
cmd_reg (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *out = argc < 2 ? stderr : stdout;
      fprintf (out, "Usage: reg-runc reg SUBCOMMAND [OPTIONS]\n\nSubcommands:\n");
      for (size_t i = 0; i < sizeof (reg_commands) / sizeof (reg_commands[0]); i++)
        fprintf (out, "  %-10s %s\n", reg_commands[i].name, reg_commands[i].help);
      return argc < 2 ? 1 : 0;
    }
  if (strcmp (argv[1], "analyze") == 0)
    return cmd_reg_analyze (g, argc - 1, argv + 1, err);
  for (size_t i = 0; i < sizeof (reg_commands) / sizeof (reg_commands[0]); i++)
    if (reg_commands[i].fn && strcmp (argv[1], reg_commands[i].name) == 0)
      {
        optind = 0;
        return reg_commands[i].fn (g, argc - 1, argv + 1, err);
      }
  return cmd_usage_error (err, "reg", "unknown subcommand `%s`", argv[1]);
}
