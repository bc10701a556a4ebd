/* reg-runc reg ls | stats | gc | check: administration of the REG store.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "cmd.h"
#include "config.h"
#include "reg-admin.h"
#include "utils.h"

enum output_format
{
  FORMAT_TEXT,
  FORMAT_JSON,
};

const char *
cmd_store_root (struct cmd_global_args *g)
{
  return g->reg_root ? g->reg_root : REG_DEFAULT_STORE;
}

/* Parse [--format text|json] [-h]; the first operand index in *FIRST.  */
static int
parse_options (const char *cmd, const char *usage, bool with_format, int argc, char **argv, enum output_format *format,
               int *first, bool *help, reg_error_t *err)
{
  static const struct option long_options[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  *help = false;
  if (format)
    *format = FORMAT_TEXT;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:h", long_options, NULL)) != -1)
    {
      switch (c)
        {
        case 'f':
          if (!with_format)
            return cmd_usage_error (err, cmd, "unknown option `%s`", argv[optind - 1]);
          if (strcmp (optarg, "json") == 0)
            *format = FORMAT_JSON;
          else if (strcmp (optarg, "text") == 0 || strcmp (optarg, "table") == 0)
            *format = FORMAT_TEXT;
          else
            return cmd_usage_error (err, cmd, "--format: expected `text` or `json`, got `%s`", optarg);
          break;
        case 'h':
          printf ("Usage: reg-runc %s\n", usage);
          *help = true;
          return 0;
        default:
          return cmd_usage_error (err, cmd, "unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  *first = optind;
  return 0;
}

/* Open the store; *S stays NULL when it does not exist yet (an empty store:
   nothing to list, collect or check, and nothing is created).  */
static int
open_existing_store (struct cmd_global_args *g, struct reg_store **s, reg_error_t *err)
{
  struct stat st;

  *s = NULL;
  if (stat (cmd_store_root (g), &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return reg_make_error (err, errno, "store `%s`", cmd_store_root (g));
    }
  return reg_store_open (cmd_store_root (g), s, err);
}

static void
format_time (int64_t t, char *buf, size_t len)
{
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r (&tt, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *
cmd_percent (uint64_t part, uint64_t whole, char buf[32])
{
  snprintf (buf, 32, "%.1f", whole ? 100.0 * (double)part / (double)whole : 0.0);
  return buf;
}

/* A number as cmd_percent writes it (yajl_gen_double would print the
   binary value's 17 digits).  */
void
cmd_gen_percent (yajl_gen gen, const char *key, uint64_t part, uint64_t whole)
{
  char buf[32];
  oci_gen_str (gen, key);
  cmd_percent (part, whole, buf);
  yajl_gen_number (gen, buf, strlen (buf));
}

static void
print_json (yajl_gen gen)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (gen, &buf, &len);
  fwrite (buf, 1, len, stdout);
  yajl_gen_free (gen);
}

/* `reg ls ENV`: the entries of one environment.  */
static int
list_env_files (struct reg_store *s, const char *id, enum output_format format, reg_error_t *err)
{
  cleanup_free char *root = NULL;
  cleanup_free char *manifest_path = NULL;
  cleanup_free char *data = NULL;
  struct reg_manifest *m = NULL;
  size_t len;
  int ret;

  ret = reg_store_env_root (s, id, &root, err);
  if (UNLIKELY (ret < 0))
    return ret;
  xasprintf (&manifest_path, "%.*s/manifest", (int)(strlen (root) - strlen ("/root")), root);
  ret = read_all_file (manifest_path, 0, &data, &len, err);
  if (ret == 0)
    ret = reg_manifest_parse (data, len, &m, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "environment %s", id);

  if (format == FORMAT_JSON)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      yajl_gen_config (gen, yajl_gen_beautify, 1);
      yajl_gen_array_open (gen);
      for (size_t i = 0; i < m->n; i++)
        {
          const struct reg_manifest_entry *e = &m->entries[i];
          yajl_gen_map_open (gen);
          oci_gen_str (gen, "path");
          oci_gen_str (gen, e->path);
          oci_gen_str (gen, "type");
          oci_gen_str (gen, e->type == REG_ENTRY_DIR ? "dir" : e->type == REG_ENTRY_FILE ? "file" : "symlink");
          oci_gen_key_uint (gen, "mode", e->mode);
          oci_gen_key_uint (gen, "uid", e->uid);
          oci_gen_key_uint (gen, "gid", e->gid);
          if (e->digest)
            {
              oci_gen_str (gen, "object");
              oci_gen_str (gen, e->digest);
            }
          if (e->target)
            {
              oci_gen_str (gen, "target");
              oci_gen_str (gen, e->target);
            }
          yajl_gen_map_close (gen);
        }
      yajl_gen_array_close (gen);
      print_json (gen);
    }
  else
    for (size_t i = 0; i < m->n; i++)
      {
        const struct reg_manifest_entry *e = &m->entries[i];
        printf ("%c %04o %u:%u %s /%s%s%s\n", (char)e->type, (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid,
                e->digest ? e->digest : "-", e->path, e->target ? " -> " : "", e->target ? e->target : "");
      }
  reg_manifest_free (m);
  return 0;
}

int
cmd_reg_ls (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct reg_store *s = NULL;
  struct reg_env_info *envs = NULL;
  enum output_format format;
  size_t n = 0;
  bool help;
  int first, ret;

  ret = parse_options ("reg ls",
                       "reg ls [--format text|json] [ENVIRONMENT]\n"
                       "List the environments of the REG store (files, bytes, the bytes of the image\n"
                       "each was built from, containers using each), or the entries of one environment.",
                       true, argc, argv, &format, &first, &help, err);
  if (ret < 0 || help)
    return ret;
  if (argc - first > 1)
    return cmd_usage_error (err, "reg ls", "expected at most one environment id");
  ret = open_existing_store (g, &s, err);
  if (UNLIKELY (ret < 0))
    return ret;

  if (argc - first == 1)
    {
      if (s == NULL)
        return reg_make_error (err, ENOENT, "store `%s`: environment `%s`", cmd_store_root (g), argv[first]);
      ret = list_env_files (s, argv[first], format, err);
      reg_store_close (s);
      return ret;
    }

  if (s)
    {
      ret = reg_store_list_envs (s, &envs, &n, err);
      reg_store_close (s);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (format == FORMAT_JSON)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      yajl_gen_config (gen, yajl_gen_beautify, 1);
      yajl_gen_array_open (gen);
      for (size_t i = 0; i < n; i++)
        {
          char created[64];
          format_time (envs[i].created, created, sizeof (created));
          yajl_gen_map_open (gen);
          oci_gen_str (gen, "id");
          oci_gen_str (gen, envs[i].id);
          oci_gen_key_uint (gen, "files", envs[i].files);
          oci_gen_key_uint (gen, "symlinks", envs[i].symlinks);
          oci_gen_key_uint (gen, "directories", envs[i].dirs);
          oci_gen_key_uint (gen, "bytes", envs[i].bytes);
          /* The image it was built from, when recorded (see reg_store_env_set_image).  */
          if (envs[i].image_bytes)
            {
              oci_gen_key_uint (gen, "imageFiles", envs[i].image_files);
              oci_gen_key_uint (gen, "imageBytes", envs[i].image_bytes);
              cmd_gen_percent (gen, "imagePercent", envs[i].bytes, envs[i].image_bytes);
            }
          oci_gen_str (gen, "created");
          oci_gen_str (gen, created);
          oci_gen_str (gen, "containers");
          yajl_gen_array_open (gen);
          for (size_t r = 0; r < envs[i].n_refs; r++)
            oci_gen_str (gen, envs[i].refs[r]);
          yajl_gen_array_close (gen);
          yajl_gen_map_close (gen);
        }
      yajl_gen_array_close (gen);
      print_json (gen);
    }
  else
    {
      printf ("%-64s %8s %8s %12s %12s %6s %10s  %s\n", "ENVIRONMENT", "FILES", "SYMLINKS", "BYTES", "IMAGE BYTES", "%",
              "CONTAINERS", "CREATED");
      for (size_t i = 0; i < n; i++)
        {
          char created[64], image[32] = "-", pct[32] = "-";
          format_time (envs[i].created, created, sizeof (created));
          if (envs[i].image_bytes)
            {
              snprintf (image, sizeof (image), "%llu", (unsigned long long)envs[i].image_bytes);
              cmd_percent (envs[i].bytes, envs[i].image_bytes, pct);
            }
          printf ("%-64s %8llu %8llu %12llu %12s %6s %10zu  %s\n", envs[i].id, (unsigned long long)envs[i].files,
                  (unsigned long long)envs[i].symlinks, (unsigned long long)envs[i].bytes, image, pct, envs[i].n_refs,
                  created);
        }
    }
  reg_env_info_free (envs, n);
  return 0;
}

int
cmd_reg_stats (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct reg_store_stats st = { 0 };
  struct reg_store *s = NULL;
  enum output_format format;
  bool help;
  int first, ret;

  ret = parse_options ("reg stats",
                       "reg stats [--format text|json]\n"
                       "Bytes in the REG store, bytes its environments reference, the saving and\n"
                       "the sharing degree (environments per object).",
                       true, argc, argv, &format, &first, &help, err);
  if (ret < 0 || help)
    return ret;
  if (first != argc)
    return cmd_usage_error (err, "reg stats", "unexpected argument `%s`", argv[first]);
  ret = open_existing_store (g, &s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (s)
    {
      ret = reg_store_stats (s, &st, err);
      reg_store_close (s);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (format == FORMAT_JSON)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      yajl_gen_config (gen, yajl_gen_beautify, 1);
      yajl_gen_map_open (gen);
      oci_gen_str (gen, "store");
      oci_gen_str (gen, cmd_store_root (g));
      oci_gen_key_uint (gen, "objects", st.objects);
      oci_gen_key_uint (gen, "objectBytes", st.object_bytes);
      oci_gen_key_uint (gen, "environments", st.envs);
      oci_gen_key_uint (gen, "containers", st.refs);
      oci_gen_key_uint (gen, "environmentLinks", st.env_links);
      oci_gen_key_uint (gen, "referencedBytes", st.referenced_bytes);
      oci_gen_key_uint (gen, "savedBytes", st.saved_bytes);
      oci_gen_str (gen, "sharingDegree");
      yajl_gen_double (gen, st.sharing_degree);
      yajl_gen_map_close (gen);
      print_json (gen);
      return 0;
    }
  printf ("store:                  %s\n", cmd_store_root (g));
  printf ("objects:                %llu\n", (unsigned long long)st.objects);
  printf ("bytes in store:         %llu\n", (unsigned long long)st.object_bytes);
  printf ("environments:           %llu\n", (unsigned long long)st.envs);
  printf ("containers:             %llu\n", (unsigned long long)st.refs);
  printf ("bytes referenced:       %llu\n", (unsigned long long)st.referenced_bytes);
  printf ("bytes saved:            %llu (%.1f%%)\n", (unsigned long long)st.saved_bytes,
          st.referenced_bytes ? 100.0 * (double)st.saved_bytes / (double)st.referenced_bytes : 0.0);
  printf ("sharing degree:         %.2f environments per object\n", st.sharing_degree);
  return 0;
}

int
cmd_reg_gc (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  struct reg_gc_result res = { 0 };
  struct reg_store *s = NULL;
  bool help;
  int first, ret;

  ret = parse_options ("reg gc",
                       "reg gc\n"
                       "Remove environments no container references, objects no environment links,\n"
                       "and what killed processes left behind.  Waits for running creates.",
                       false, argc, argv, NULL, &first, &help, err);
  if (ret < 0 || help)
    return ret;
  if (first != argc)
    return cmd_usage_error (err, "reg gc", "unexpected argument `%s`", argv[first]);
  ret = open_existing_store (g, &s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (s)
    {
      ret = reg_store_gc (s, &res, err);
      reg_store_close (s);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  printf ("removed %llu environments, %llu objects (%llu bytes), %llu temporary files, %llu cache entries\n",
          (unsigned long long)res.envs_removed, (unsigned long long)res.objects_removed,
          (unsigned long long)res.bytes_freed, (unsigned long long)res.temps_removed,
          (unsigned long long)res.cache_entries_removed);
  return 0;
}

/* A decimal number, nothing else (parse_uint64 also takes 0x...).  */
static bool
parse_decimal (const char *s, uint64_t *out)
{
  return *s && strspn (s, "0123456789") == strlen (s) && parse_uint64 (s, out) == 0;
}

/* --since TIME: "@SECONDS" since the epoch, "YYYY-MM-DDTHH:MM:SSZ" (UTC), or
   a time ago, "N" with s, m, h or d.  */
static int
parse_since (const char *arg, time_t now, int64_t *out)
{
  static const struct
  {
    char unit;
    int64_t seconds;
  } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
  uint64_t n;
  size_t len = strlen (arg);

  if (arg[0] == '@')
    {
      if (!parse_decimal (arg + 1, &n) || n > INT64_MAX)
        return -1;
      *out = (int64_t)n;
      return 0;
    }
  for (size_t i = 0; len > 1 && i < sizeof (units) / sizeof (units[0]); i++)
    if (arg[len - 1] == units[i].unit)
      {
        cleanup_free char *num = xstrndup (arg, len - 1);
        if (!parse_decimal (num, &n) || n > (uint64_t)now / units[i].seconds)
          return -1;
        *out = (int64_t)now - (int64_t)n * units[i].seconds;
        return 0;
      }
  {
    struct tm tm;
    const char *end;

    memset (&tm, 0, sizeof (tm));
    end = strptime (arg, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0')
      return -1;
    *out = (int64_t)timegm (&tm);
    return 0;
  }
}

int
cmd_reg_check (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  static const struct option long_options[] = {
    { "since", required_argument, NULL, 's' },
    { "sample", required_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct reg_check_options opts = { 0 };
  struct reg_check_result res = { 0 };
  struct reg_store *s = NULL;
  int c, ret;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+h", long_options, NULL)) != -1)
    {
      switch (c)
        {
        case 's':
          if (parse_since (optarg, time (NULL), &opts.since) < 0)
            return cmd_usage_error (err, "reg check",
                                    "--since: expected @SECONDS, YYYY-MM-DDTHH:MM:SSZ or a time ago (N with s, m, h "
                                    "or d), got `%s`",
                                    optarg);
          break;
        case 'n':
          if (!parse_decimal (optarg, &opts.sample) || opts.sample == 0)
            return cmd_usage_error (err, "reg check", "--sample: expected a number of objects above 0, got `%s`",
                                    optarg);
          break;
        case 'h':
          printf ("Usage: reg-runc reg check [--since TIME] [--sample N]\n"
                  "Re-hash the objects of the REG store; list the corrupted ones and exit 1.\n\n"
                  "      --since TIME  only objects created or changed (their ctime) since TIME: @SECONDS,\n"
                  "                    YYYY-MM-DDTHH:MM:SSZ, or a time ago: 90m, 24h, 7d\n"
                  "      --sample N    at most N of them, chosen at random\n");
          return 0;
        default:
          return cmd_usage_error (err, "reg check", "unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  if (optind != argc)
    return cmd_usage_error (err, "reg check", "unexpected argument `%s`", argv[optind]);
  ret = open_existing_store (g, &s, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (s)
    {
      ret = reg_store_check (s, &opts, &res, err);
      reg_store_close (s);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  for (size_t i = 0; i < res.n_problems; i++)
    printf ("%s/%s: %s\n", cmd_store_root (g), res.problems[i].object, res.problems[i].problem);
  printf ("%llu objects, %llu bytes checked", (unsigned long long)res.objects, (unsigned long long)res.bytes);
  if (res.skipped)
    printf (", %llu not (--since, --sample)", (unsigned long long)res.skipped);
  printf (": %s\n", res.n_problems ? "CORRUPTED" : "ok");
  ret = res.n_problems ? 1 : 0;
  reg_check_result_clear (&res);
  return ret;
}
