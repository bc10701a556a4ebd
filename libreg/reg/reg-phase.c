/* libreg: the REG phase of `create` — from a config and a rootfs to a plan
 * of what to mount.
 *
 * share: the closure of the entrypoint (reg-analyze) is added to the store
 * (reg-store), recorded as an environment (so gc keeps its objects while a
 * container references it), and every shared file of the environment is
 * bind-mounted read-only over its own path in the container's root.  A
 * repeated create of the same image answers from the environment cache:
 * nothing is analysed or hashed again while the sources keep their
 * identities.
 *
 * minimal: the environment of reg-minimal (closure + profile + includes +
 * default files + mount points) becomes the lower layer of the container's
 * root; its upper and work directories are STATE/reg-upper and
 * STATE/reg-work (none when root.readonly), made here and removed by
 * reg_phase_release.
 *
 * learn: the plan carries the profile key only; the lifecycle starts the
 * recorder (reg-learn.h) once the container's root is mounted.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "reg-analyze.h"
#include "reg-env.h"
#include "reg-layers.h"
#include "reg-learn.h"
#include "reg-minimal.h"
#include "reg-store.h"
#include "reg.h"
#include "utils.h"

static void
cleanup_storep (struct reg_store **s)
{
  if (*s)
    reg_store_close (*s);
}
#define cleanup_store __attribute__ ((cleanup (cleanup_storep)))

static void
cleanup_layersp (struct reg_layers **l)
{
  reg_layers_free (*l);
}
#define cleanup_layers __attribute__ ((cleanup (cleanup_layersp)))

static void
cleanup_closurep (struct reg_closure **c)
{
  if (*c)
    reg_closure_free (*c);
}
#define cleanup_closure __attribute__ ((cleanup (cleanup_closurep)))

static void
cleanup_manifestp (struct reg_manifest **m)
{
  if (*m)
    reg_manifest_free (*m);
}
#define cleanup_manifest __attribute__ ((cleanup (cleanup_manifestp)))

/* The files besides the closure whose change changes the closure.  */
static const char *const closure_inputs[] = {
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/nsswitch.conf",
  NULL,
};

/* The environment cache key: everything the closure is computed from
   besides the files themselves (whose identities the cache checks).  The
   rootfs directory's identity keeps two images apart; the store's size
   limit decides which files are shared.  */
static char *
env_cache_key (struct reg_store *store, enum reg_mode mode, const oci_process *p, int rootfd,
               const struct reg_layers *layers, const char *extra)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  struct reg_identity id;
  FILE *f = open_memstream (&buf, &len);
  char hex[REG_DIGEST_HEX_LEN + 1];

  if (f == NULL)
    abort ();
  /* The file system instance too (reg-identity.h): two images on one
     reused loop device would otherwise share one key (and overwrite each
     other's record).  An overlay root, new for each container, by its
     lower layers instead: every container of the image finds the record.  */
  if (layers)
    reg_layers_write_key (layers, f);
  else if (reg_identity_at (rootfd, "", AT_EMPTY_PATH, &id, NULL) == 0)
    fprintf (f, "root %llu %llu %llu\n", (unsigned long long)id.mnt, (unsigned long long)id.dev,
             (unsigned long long)id.ino);
  fprintf (f, "mode %s\ncwd %s\nmax_object_size %llu\n", reg_mode_name (mode), p->cwd ? p->cwd : "/",
           (unsigned long long)reg_store_max_object_size (store));
  for (size_t i = 0; i < p->args.len; i++)
    fprintf (f, "arg %zu %s\n", strlen (p->args.items[i]), p->args.items[i]);
  for (size_t i = 0; i < p->env.len; i++)
    if (has_prefix (p->env.items[i], "PATH=") || has_prefix (p->env.items[i], "LD_LIBRARY_PATH="))
      fprintf (f, "env %zu %s\n", strlen (p->env.items[i]), p->env.items[i]);
  if (extra)
    fputs (extra, f);
  fclose (f);
  reg_store_digest_buffer (buf, len, 0, 0, 0, hex);
  return xstrdup (hex);
}

/* The reference a container holds on its environment: a digest of its
   state directory, unique across state roots and short enough for a file
   name whatever the id's length.  */
static char *
ref_name (const struct reg_options *opts)
{
  char hex[REG_DIGEST_HEX_LEN + 1];
  const char *s = opts->state_dir ? opts->state_dir : opts->container_id;

  reg_store_digest_buffer (s, strlen (s), 0, 0, 0, hex);
  return xstrdup (hex);
}

/* Analyse, add every shareable file of the closure to the store and make
   the environment.  */
static int
build_share_env (struct reg_store *store, int rootfd, const oci_process *p, char **env_id, struct reg_sources *out,
                 reg_error_t *err)
{
  cleanup_closure struct reg_closure *closure = NULL;
  cleanup_manifest struct reg_manifest *m = reg_manifest_new ();
  cleanup_free char *env_root = NULL;
  struct reg_sources src = { 0 };
  struct reg_env_added added = { 0 };
  int ret;

  ret = reg_analyze (rootfd, (const char *const *)p->args.items, (const char *const *)p->env.items, p->cwd, &closure,
                     err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "REG analysis");

  for (size_t i = 0; i < closure->n_missing; i++)
    reg_warning ("REG: `%s` (needed by %s) not found in the rootfs", closure->missing[i].name,
                 closure->missing[i].needed_by);

  ret = reg_env_add_closure (store, rootfd, closure, false, m, &src, &added, err);
  if (UNLIKELY (ret < 0))
    goto out;

  ret = reg_store_env_get (store, m, env_id, &env_root, err);
  if (UNLIKELY (ret < 0))
    goto out;
  *out = src;
  src = (struct reg_sources){ 0 };
  reg_debug ("REG: environment %s: %zu shared files of %zu in the closure (%zu read by a helper process)", *env_id,
             added.files, closure->n, added.helped);

out:
  reg_sources_clear (&src);
  return ret;
}

/* The binds of a share environment: each of its files over the same path.
   Sources are the environment's hard links, which are the objects' inodes. */
static int
share_plan (struct reg_store *store, const char *env_id, struct reg_plan *plan, reg_error_t *err)
{
  cleanup_free char *env_root = NULL;
  cleanup_free char *manifest_path = NULL;
  cleanup_free char *data = NULL;
  cleanup_manifest struct reg_manifest *m = NULL;
  size_t len = 0, n = 0;
  char *slash;
  int ret;

  ret = reg_store_env_root (store, env_id, &env_root, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* envs/<id>/root -> envs/<id>/manifest */
  slash = strrchr (env_root, '/');
  xasprintf (&manifest_path, "%.*s/manifest", (int)(slash - env_root), env_root);
  ret = read_all_file (manifest_path, 0, &data, &len, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = reg_manifest_parse (data, len, &m, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "environment %s", env_id);

  plan->binds = xmalloc0 ((m->n ? m->n : 1) * sizeof (*plan->binds));
  for (size_t i = 0; i < m->n; i++)
    {
      if (m->entries[i].type != REG_ENTRY_FILE)
        continue;
      xasprintf (&plan->binds[n].source, "%s/%s", env_root, m->entries[i].path);
      xasprintf (&plan->binds[n].target, "/%s", m->entries[i].path);
      n++;
    }
  plan->n_binds = n;
  return 0;
}

/* The files besides the sources whose change changes the environment.  */
static void
add_closure_inputs (struct reg_sources *src, int rootfd)
{
  for (const char *const *in = closure_inputs; *in; in++)
    {
      struct reg_identity id;
      cleanup_close int fd = open_in_root_raw (rootfd, *in, O_PATH | O_NOFOLLOW, 0);
      if (fd >= 0 && reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) == 0)
        reg_sources_add (src, *in, &id);
    }
}

/* *PROFILE_USED is false when the profile could not be read: then the
   environment is built without it (closure, includes, defaults), with a
   warning, and is not cached, so the next create warns again.  */
static int
build_minimal_env (struct reg_store *store, const struct reg_options *opts, int rootfd, const oci_config *config,
                   const char *profile_key, char **env_id, struct reg_sources *out, bool *profile_used,
                   reg_error_t *err)
{
  cleanup_string_array char **profile = NULL;
  struct reg_minimal_result res = { 0 };
  size_t n_profile = 0;
  int ret;

  /* A profile never fails a create: it only adds what learn saw.  */
  *profile_used = true;
  ret = reg_profile_read (reg_options_store_root (opts), profile_key, &profile, &n_profile, err);
  if (ret < 0)
    {
      reg_warning ("REG minimal: %s; the environment is built without it", (*err)->msg);
      reg_error_release (err);
      *profile_used = false;
      n_profile = 0;
    }
  ret = reg_minimal_build (store, rootfd, config, (const char *const *)profile, n_profile, &res, err);
  if (UNLIKELY (ret < 0))
    return ret;
  reg_debug ("REG: minimal environment %s: %zu files (%llu bytes), %zu symlinks, %zu directories, %zu profile "
             "paths, %zu left out",
             res.env_id, res.files, (unsigned long long)res.bytes, res.symlinks, res.dirs, n_profile, res.unshared);
  *env_id = steal_pointer (&res.env_id);
  *out = res.sources;
  memset (&res.sources, 0, sizeof (res.sources));
  reg_minimal_result_clear (&res);
  return 0;
}

/* What besides the process the minimal environment is computed from:
   annotations, mount points, the profile as it is now.  Bad annotations
   are errors here, before any cache lookup.  */
static int
minimal_key_extra (const struct reg_options *opts, const oci_config *config, const char *profile_key, char **extra,
                   reg_error_t *err)
{
  const char *inc = oci_map_get (&config->annotations, REG_ANNOTATION_INCLUDE);
  const char *def = oci_map_get (&config->annotations, REG_ANNOTATION_DEFAULTS);
  cleanup_string_array char **includes = NULL;
  cleanup_free char *mounts = NULL;
  cleanup_free char *profile_id = NULL;
  unsigned groups;
  size_t n;
  int ret;

  ret = reg_defaults_parse (def, &groups, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = reg_includes_parse (inc, &includes, &n, err);
  if (UNLIKELY (ret < 0))
    return ret;
  mounts = reg_minimal_mounts_key (config);
  profile_id = reg_profile_identity (reg_options_store_root (opts), profile_key);
  xasprintf (extra, "defaults %u\ninclude %zu %s\nprofile %s\n%s", groups, strlen (inc ? inc : ""), inc ? inc : "",
             profile_id, mounts);
  return 0;
}

/* minimal: the environment is the lower layer; the upper and work
   directories are private to the container, in its state dir.  */
static int
minimal_plan (struct reg_store *store, const struct reg_options *opts, const oci_config *config, int rootfd,
              const char *env_id, struct reg_plan *plan, reg_error_t *err)
{
  int ret = reg_store_env_root (store, env_id, &plan->lower_dir, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (config->root_readonly)
    return 0;
  if (opts->state_dir == NULL)
    return reg_make_error (err, EINVAL, "REG minimal: no state directory for the container's upper layer");
  xasprintf (&plan->upper_dir, "%s/reg-upper", opts->state_dir);
  xasprintf (&plan->work_dir, "%s/reg-work", opts->state_dir);
  for (const char *d = plan->upper_dir; d; d = d == plan->upper_dir ? plan->work_dir : NULL)
    {
      mode_t mode = d == plan->upper_dir ? 0755 : 0700;
      if (mkdir (d, mode) == 0)
        continue;
      if (errno != EEXIST)
        return reg_make_error (err, errno, "REG minimal: mkdir `%s`", d);
      /* Left over by a create that was killed: start clean.  */
      ret = remove_tree_at (AT_FDCWD, d, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (mkdir (d, mode) < 0)
        return reg_make_error (err, errno, "REG minimal: mkdir `%s`", d);
    }
  /* The upper directory is the root directory the container sees: the
     owner and mode of the image's root (a remapped image's root in a user
     namespace).  */
  {
    struct stat st;
    if (fstat (rootfd, &st) < 0)
      return reg_make_error (err, errno, "REG minimal: stat the rootfs");
    if (chown (plan->upper_dir, st.st_uid, st.st_gid) < 0 || chmod (plan->upper_dir, st.st_mode & 07777) < 0)
      return reg_make_error (err, errno, "REG minimal: chmod `%s`", plan->upper_dir);
  }
  return 0;
}

static void
remove_upper (const struct reg_options *opts)
{
  static const char *const names[] = { "reg-upper", "reg-work" };
  reg_error_t err = NULL;

  if (opts->state_dir == NULL)
    return;
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *d = NULL;
      xasprintf (&d, "%s/%s", opts->state_dir, names[i]);
      if (remove_tree_at (AT_FDCWD, d, &err) < 0)
        {
          reg_warning ("REG: %s", err->msg);
          reg_error_release (&err);
        }
    }
}

/* The first image an environment is built from leaves its volume with it,
   for `reg ls` (environment bytes against image bytes): where it is, to be
   measured when `reg ls` asks (walking every entry of the image here was a
   third of a create with an empty store).  Only when the environment has
   no record yet.  Information only: a failure is a debug line.  */
static void
note_image_volume (struct reg_store *store, const char *env_id, int rootfd)
{
  reg_error_t e = NULL;

  if (reg_store_env_has_image (store, env_id))
    return;
  if (reg_store_env_set_image_root (store, env_id, rootfd, &e) < 0)
    {
      reg_debug ("REG: environment %s: image not recorded: %s", env_id, e->msg);
      reg_error_release (&e);
      return;
    }
  reg_debug ("REG: environment %s: its image's volume is measured when `reg ls` asks", env_id);
}

/* What this create cost the store, in one debug line: how a create is
   answered (environment cache, identity cache, hashing, copying) is what
   its time depends on, and tests assert on it.  */
static void
log_store_work (struct reg_store *store, bool env_cached)
{
  struct reg_store_counters c;

  if (!reg_log_debug_enabled ())
    return;
  reg_store_get_counters (store, &c);
  reg_debug ("REG: store: environment cache %s, %llu files hashed (%llu bytes), %llu found equal to an object "
             "(not hashed), %llu identity-cache hits, %llu files of lower layers, %llu files copied, %llu new "
             "objects, %llu environments built",
             env_cached ? "hit" : "miss", (unsigned long long)c.files_read, (unsigned long long)c.bytes_read,
             (unsigned long long)c.candidate_hits, (unsigned long long)c.identity_hits,
             (unsigned long long)c.layer_files, (unsigned long long)c.files_copied,
             (unsigned long long)c.objects_created, (unsigned long long)c.envs_created);
}

/* The process REG analyses.  An init the engine mounts into the container
   (Podman's --init: catatonit bound from the host at /run/podman-init;
   tini, dumb-init) is not part of the image: the program it runs is the
   entrypoint, the arguments after `--`, else its first non-option
   argument.  BUF holds the adjusted copy (args only point into P's).  */
static const oci_process *
entrypoint_process (const oci_config *config, oci_process *buf)
{
  const oci_process *p = config->process;
  size_t start = 0;

  for (size_t i = 0; i < config->n_mounts && start == 0; i++)
    {
      const oci_mount *m = &config->mounts[i];
      bool bind = m->type && strcmp (m->type, "bind") == 0;
      for (size_t j = 0; j < m->options.len && !bind; j++)
        bind = strcmp (m->options.items[j], "bind") == 0 || strcmp (m->options.items[j], "rbind") == 0;
      if (!bind || m->source == NULL || m->source[0] != '/' || strcmp (m->destination, p->args.items[0]) != 0)
        continue;
      for (size_t a = 1; a < p->args.len && start == 0; a++)
        if (strcmp (p->args.items[a], "--") == 0)
          start = a + 1;
      for (size_t a = 1; a < p->args.len && start == 0; a++)
        if (p->args.items[a][0] != '-')
          start = a;
      if (start == 0 || start >= p->args.len)
        return p;
    }
  if (start == 0)
    return p;
  *buf = *p;
  buf->args.items = p->args.items + start;
  buf->args.len = p->args.len - start;
  return buf;
}

int
reg_phase_prepare (const struct reg_options *opts, const oci_config *config, int rootfd, struct reg_plan **plan,
                   reg_error_t *err)
{
  cleanup_layers struct reg_layers *layers = NULL;
  cleanup_store struct reg_store *store = NULL;
  cleanup_free char *key = NULL;
  cleanup_free char *extra = NULL;
  cleanup_free char *env_id = NULL;
  cleanup_free char *ref = NULL;
  cleanup_free char *profile_key = NULL;
  struct reg_plan *p;
  enum reg_mode mode;
  oci_config cfg;
  oci_process entry;
  int ret, ret_cached;

  *plan = NULL;
  ret = reg_mode_from_config (config, opts->default_mode, &mode, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (mode == REG_MODE_OFF || config->process == NULL || config->process->args.len == 0)
    return 0;
  cfg = *config;
  cfg.process = (oci_process *)entrypoint_process (config, &entry);
  config = &cfg;

  ret = reg_store_open (reg_options_store_root (opts), &store, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (opts->max_object_size)
    reg_store_set_max_object_size (store, opts->max_object_size);
  layers = reg_layers_of_root (rootfd);
  reg_store_set_layers (store, layers);

  if (mode == REG_MODE_MINIMAL || mode == REG_MODE_LEARN)
    {
      ret = reg_profile_key (store, rootfd, config->process, &profile_key, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (mode == REG_MODE_LEARN)
    {
      /* The full rootfs; the recording is the effect.  */
      p = xmalloc0 (sizeof (*p));
      p->mode = mode;
      p->profile_key = steal_pointer (&profile_key);
      *plan = p;
      return 0;
    }
  if (mode == REG_MODE_MINIMAL)
    {
      ret = minimal_key_extra (opts, config, profile_key, &extra, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  key = env_cache_key (store, mode, config->process, rootfd, layers, extra);
  ret = ret_cached = reg_store_env_cache_get (store, key, rootfd, &env_id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (ret == 0)
    {
      struct reg_sources src = { 0 };
      bool cache = true;
      if (mode == REG_MODE_SHARE)
        ret = build_share_env (store, rootfd, config->process, &env_id, &src, err);
      else
        ret = build_minimal_env (store, opts, rootfd, config, profile_key, &env_id, &src, &cache, err);
      if (ret == 0 && cache)
        {
          add_closure_inputs (&src, rootfd);
          ret = reg_store_env_cache_put (store, key, env_id, src.items, src.n, err);
        }
      if (ret == 0)
        note_image_volume (store, env_id, rootfd);
      reg_sources_clear (&src);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  log_store_work (store, ret_cached);
  p = xmalloc0 (sizeof (*p));
  p->mode = mode;
  p->profile_key = steal_pointer (&profile_key);
  ref = ref_name (opts);
  ret = reg_store_env_ref (store, env_id, ref, err);
  if (ret == 0)
    {
      if (mode == REG_MODE_SHARE)
        ret = share_plan (store, env_id, p, err);
      else
        ret = minimal_plan (store, opts, config, rootfd, env_id, p, err);
      if (UNLIKELY (ret < 0))
        {
          /* Nothing half-made is left: no reference, no upper layer.  */
          reg_error_t err2 = NULL;
          if (reg_store_env_unref (store, env_id, ref, &err2) < 0)
            reg_error_release (&err2);
          if (mode == REG_MODE_MINIMAL && p->upper_dir)
            remove_upper (opts);
        }
    }
  if (UNLIKELY (ret < 0))
    {
      reg_plan_free (p);
      return ret;
    }
  p->env_id = steal_pointer (&env_id);
  *plan = p;
  return 0;
}

int
reg_phase_release (const struct reg_options *opts, const char *env_id, reg_error_t *err)
{
  cleanup_store struct reg_store *store = NULL;
  cleanup_free char *ref = NULL;
  struct stat st;
  int ret;

  /* learn: the profile is written before the state dir goes.  */
  ret = reg_learn_stop (opts, 10000, err);
  if (ret < 0)
    {
      reg_warning ("%s", (*err)->msg);
      reg_error_release (err);
    }
  remove_upper (opts);

  if (env_id == NULL || *env_id == '\0')
    return 0;
  /* A store that is gone has no reference to drop.  */
  if (stat (reg_options_store_root (opts), &st) < 0 && errno == ENOENT)
    return 0;
  ret = reg_store_open (reg_options_store_root (opts), &store, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ref = ref_name (opts);
  return reg_store_env_unref (store, env_id, ref, err);
}

int
reg_phase_start (const struct reg_options *opts, const struct reg_plan *plan, pid_t init_pid, reg_place_fn place,
                 void *data, reg_error_t *err)
{
  /* The init has its root and waits before execve: the mark on its root
     mount is in place before the entrypoint opens its first file.  */
  if (plan == NULL || plan->mode != REG_MODE_LEARN)
    return 0;
  return reg_learn_start (opts, plan, -1, init_pid, place, data, NULL, err);
}

int
reg_phase_stop (const struct reg_options *opts, reg_error_t *err)
{
  return reg_learn_stop (opts, 10000, err);
}

pid_t
reg_phase_helper_pid (const char *state_dir)
{
  return reg_learn_recorder (state_dir);
}

const char *
reg_plan_mode_name (const struct reg_plan *plan)
{
  return reg_mode_name (plan ? plan->mode : REG_MODE_OFF);
}

/* Rootless, a container without a user namespace of its own has its mount
   namespace owned by the user namespace we run in (rootless Podman's), and
   the kernel locks mount flags only across user namespaces: CAP_SYS_ADMIN
   there could remount a store object's read-only bind writable and change
   it under the user's other containers.  */
int
reg_phase_check_process (const oci_config *config, const oci_process *process, const char *mode, reg_error_t *err)
{
  const oci_capabilities *c = process ? &process->capabilities : NULL;

  if (mode == NULL || strcmp (mode, "off") == 0 || c == NULL || !running_rootless ()
      || oci_config_namespace (config, OCI_NS_USER) != NULL)
    return 0;
  if (oci_strv_has (&c->bounding, "CAP_SYS_ADMIN") || oci_strv_has (&c->effective, "CAP_SYS_ADMIN")
      || oci_strv_has (&c->permitted, "CAP_SYS_ADMIN") || oci_strv_has (&c->ambient, "CAP_SYS_ADMIN"))
    return reg_make_error (err, 0,
                           "run.reg.mode=%s: rootless, a process with CAP_SYS_ADMIN could make the store's read-only "
                           "mounts writable (no user namespace of the container's own locks them): drop "
                           "CAP_SYS_ADMIN (--privileged, --cap-add) or use run.reg.mode=off",
                           mode);
  return 0;
}

int
reg_phase_validate (const oci_config *config, const char *default_mode, reg_error_t *err)
{
  enum reg_mode mode;
  int ret = reg_mode_from_config (config, default_mode, &mode, err);
  if (UNLIKELY (ret < 0))
    return ret;
  /* REG mounts the store's objects from this process, before the
     container's own user namespace exists: an unprivileged user cannot.
     Rootless Podman runs us as uid 0 of its user namespace, which can.  */
  if (mode != REG_MODE_OFF && geteuid () != 0)
    return reg_make_error (err, 0,
                           "run.reg.mode=%s: REG needs the runtime to run as root, or as uid 0 of a user namespace "
                           "(rootless Podman); started by uid %d, use run.reg.mode=off",
                           reg_mode_name (mode), (int)geteuid ());
  ret = reg_phase_check_process (config, config->process, reg_mode_name (mode), err);
  if (UNLIKELY (ret < 0))
    return ret;
  return mode != REG_MODE_OFF;
}
