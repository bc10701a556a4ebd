/* reg-runc reg: REG administration.  `reg analyze` prints the closure of
   files an entrypoint needs in a rootfs.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "cmd.h"
#include "oci-spec.h"
#include "reg-analyze.h"
#include "reg-env.h"
#include "reg-learn.h"
#include "reg-minimal.h"
#include "reg-store.h"
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

static const char *
kind_name (enum reg_closure_kind k)
{
  return k == REG_CLOSURE_SYMLINK ? "symlink" : "file";
}

/* The store object name the file at PATH would get (its digest), or "-"
   when it cannot be read.  Nothing is written to the store.  */
static void
object_digest (int rootfd, const char *path, char hex[REG_DIGEST_HEX_LEN + 1])
{
  struct stat st;
  cleanup_close int fd = open_regular_in_root_raw (rootfd, path, &st);

  if (fd < 0 || reg_store_hash_object_fd (fd, &st, hex, NULL) < 0)
    strcpy (hex, "-");
}

/* The volume report: the image, the closure, and (with --bundle) the
   minimal environment.  */
struct volume
{
  struct reg_tree_size image;
  uint64_t closure_files, closure_bytes;
  bool have_env;
  struct reg_minimal_result env;
  char *profile_key;
  size_t profile_paths;
};

static void
closure_volume (const struct reg_closure *c, struct volume *v)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->entries[i].kind == REG_CLOSURE_FILE)
      {
        v->closure_files++;
        v->closure_bytes += c->entries[i].id.size;
      }
}

/* What `minimal` would make of the bundle, from the profile its
   entrypoint has in the store now; nothing is written.  */
static int
minimal_volume (const char *store_root, const char *bundle, int rootfd, const oci_config *config, struct volume *v,
                reg_error_t *err)
{
  cleanup_string_array char **profile = NULL;
  size_t n = 0;
  int ret;

  ret = reg_profile_key (NULL, rootfd, config->process, &v->profile_key, err);
  if (ret == 0 && reg_profile_read (store_root, v->profile_key, &profile, &n, err) < 0)
    {
      /* A store this user may not read (analysis needs no root): the
         environment without a profile, said so.  */
      reg_warning ("store `%s`: %s; the environment is measured without a learned profile", store_root, (*err)->msg);
      reg_error_release (err);
      profile = NULL;
      n = 0;
    }
  /* Relative mount sources are from the bundle, as for create (after the
     store is read: --reg-root may be relative too).  */
  if (ret == 0 && chdir (bundle) < 0)
    ret = reg_make_error (err, errno, "chdir `%s`", bundle);
  if (ret == 0)
    ret = reg_minimal_measure (rootfd, config, (const char *const *)profile, n, &v->env, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "the minimal environment");
  v->profile_paths = n;
  v->have_env = true;
  return 0;
}

static void
print_volume_text (const struct volume *v)
{
  printf ("image:       %llu files, %llu bytes\n", (unsigned long long)v->image.files,
          (unsigned long long)v->image.bytes);
  char pct[32];

  printf ("closure:     %llu files, %llu bytes (%s%% of the image)\n", (unsigned long long)v->closure_files,
          (unsigned long long)v->closure_bytes, cmd_percent (v->closure_bytes, v->image.bytes, pct));
  if (v->have_env)
    printf ("environment: %zu files, %llu bytes (%s%% of the image): minimal, with profile %.12s (%zu paths)\n",
            v->env.files, (unsigned long long)v->env.bytes, cmd_percent (v->env.bytes, v->image.bytes, pct),
            v->profile_key, v->profile_paths);
}

static void
print_text (int rootfd, const struct reg_closure *c)
{
  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      char hex[REG_DIGEST_HEX_LEN + 1];

      if (e->kind == REG_CLOSURE_SYMLINK)
        {
          printf ("%-7s %10s  %-12s  %s -> %s  (%s)\n", kind_name (e->kind), "-", "-", e->path, e->link_target,
                  e->reason);
          continue;
        }
      object_digest (rootfd, e->path, hex);
      printf ("%-7s %10llu  %.12s  %s  (%s)\n", kind_name (e->kind), (unsigned long long)e->id.size, hex, e->path,
              e->reason);
    }
  for (size_t i = 0; i < c->n_missing; i++)
    printf ("missing %10s  %-12s  %s  (needed by %s)\n", "-", "-", c->missing[i].name, c->missing[i].needed_by);
}

static void
gen_volume (yajl_gen g, const struct volume *v)
{
  cmd_gen_str (g, "volume");
  yajl_gen_map_open (g);
  cmd_gen_str (g, "image");
  yajl_gen_map_open (g);
  cmd_gen_uint (g, "files", v->image.files);
  cmd_gen_uint (g, "bytes", v->image.bytes);
  yajl_gen_map_close (g);
  cmd_gen_str (g, "closure");
  yajl_gen_map_open (g);
  cmd_gen_uint (g, "files", v->closure_files);
  cmd_gen_uint (g, "bytes", v->closure_bytes);
  cmd_gen_percent (g, "imagePercent", v->closure_bytes, v->image.bytes);
  yajl_gen_map_close (g);
  if (v->have_env)
    {
      cmd_gen_str (g, "environment");
      yajl_gen_map_open (g);
      cmd_gen_str (g, "mode");
      cmd_gen_str (g, "minimal");
      cmd_gen_uint (g, "files", v->env.files);
      cmd_gen_uint (g, "bytes", v->env.bytes);
      cmd_gen_uint (g, "symlinks", v->env.symlinks);
      cmd_gen_uint (g, "directories", v->env.dirs);
      cmd_gen_uint (g, "leftOut", v->env.unshared);
      cmd_gen_percent (g, "imagePercent", v->env.bytes, v->image.bytes);
      cmd_gen_str (g, "profile");
      cmd_gen_str (g, v->profile_key);
      cmd_gen_uint (g, "profilePaths", v->profile_paths);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static int
print_json (int rootfd, const struct reg_closure *c, const struct volume *v, reg_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  cmd_gen_str (g, "libc");
  cmd_gen_str (g, c->glibc ? "glibc" : c->musl ? "musl" : "unknown");
  cmd_gen_str (g, "files");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      yajl_gen_map_open (g);
      cmd_gen_str (g, "path");
      cmd_gen_str (g, e->path);
      cmd_gen_str (g, "kind");
      cmd_gen_str (g, kind_name (e->kind));
      if (e->link_target)
        {
          cmd_gen_str (g, "target");
          cmd_gen_str (g, e->link_target);
        }
      cmd_gen_str (g, "reason");
      cmd_gen_str (g, e->reason);
      cmd_gen_str (g, "elf");
      yajl_gen_bool (g, e->elf);
      cmd_gen_str (g, "size");
      yajl_gen_integer (g, (long long)e->id.size);
      if (e->kind == REG_CLOSURE_FILE)
        {
          char hex[REG_DIGEST_HEX_LEN + 1];
          object_digest (rootfd, e->path, hex);
          cmd_gen_str (g, "digest");
          cmd_gen_str (g, hex);
        }
      cmd_gen_str (g, "mode");
      yajl_gen_integer (g, (long long)(e->id.mode & 07777));
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  cmd_gen_str (g, "missing");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < c->n_missing; i++)
    {
      yajl_gen_map_open (g);
      cmd_gen_str (g, "name");
      cmd_gen_str (g, c->missing[i].name);
      cmd_gen_str (g, "needed_by");
      cmd_gen_str (g, c->missing[i].needed_by);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  gen_volume (g, v);
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
cmd_reg_analyze (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
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
  struct reg_closure *c = NULL;
  struct volume vol = { 0 };
  cleanup_close int rootfd = -1;
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

  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    ret = reg_make_error (err, errno, "open rootfs `%s`", rootfs);
  else
    ret = reg_analyze (rootfd, args, env, cwd, &c, err);
  if (ret == 0)
    ret = reg_tree_size (rootfd, &vol.image, err);
  if (ret == 0)
    closure_volume (c, &vol);
  if (ret == 0 && bundle)
    ret = minimal_volume (cmd_store_root (g), bundle, rootfd, config, &vol, err);
  if (ret == 0)
    {
      if (strcmp (format, "json") == 0)
        ret = print_json (rootfd, c, &vol, err);
      else
        {
          print_text (rootfd, c);
          print_volume_text (&vol);
        }
    }
  reg_closure_free (c);
  oci_config_free (config);
  reg_minimal_result_clear (&vol.env);
  free (vol.profile_key);
  return ret < 0 ? ret : 0;
}

static const struct
{
  const char *name;
  reg_command_fn fn;
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
cmd_reg (struct reg_global_args *g, int argc, char **argv, reg_error_t *err)
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
