/* libreg: the REG phase of `create` — from a config and a rootfs to a plan
 * of what to mount.
 *
 * share: the closure of the entrypoint (reg-analyze) is added to the store
 * (reg-store), recorded as an environment (so gc keeps its objects while a
 * container references it), and every shared file of the environment is
 * bind-mounted read-only over its own path in the container's root.  A
 * repeated create of the same image answers from the environment cache:
 * nothing is analysed or hashed again while the sources keep their
 * identities.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "reg-analyze.h"
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

struct sources
{
  struct reg_source_identity *items;
  size_t n, cap;
};

static void
sources_clear (struct sources *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->items[i].path);
  free (s->items);
  s->items = NULL;
  s->n = s->cap = 0;
}

static void
sources_add (struct sources *s, const char *path, const struct stat *st)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 64;
      s->items = xrealloc (s->items, s->cap * sizeof (*s->items));
    }
  reg_source_identity_set (&s->items[s->n++], path, st);
}

/* The files besides the closure whose change changes the closure.  */
static const char *const closure_inputs[] = {
  "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/nsswitch.conf", NULL,
};

const char *
reg_options_store_root (const struct reg_options *opts)
{
  return opts->store_root && *opts->store_root ? opts->store_root : REG_DEFAULT_STORE;
}

/* The environment cache key: everything the closure is computed from
   besides the files themselves (whose identities the cache checks).  The
   rootfs directory's identity keeps two images apart.  */
static char *
env_cache_key (enum reg_mode mode, const oci_process *p, int rootfd)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  struct stat st;
  FILE *f = open_memstream (&buf, &len);
  char hex[REG_DIGEST_HEX_LEN + 1];

  if (f == NULL)
    abort ();
  if (fstat (rootfd, &st) == 0)
    fprintf (f, "root %llu %llu\n", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
  fprintf (f, "mode %s\ncwd %s\n", reg_mode_name (mode), p->cwd ? p->cwd : "/");
  for (size_t i = 0; i < p->args.len; i++)
    fprintf (f, "arg %zu %s\n", strlen (p->args.items[i]), p->args.items[i]);
  for (size_t i = 0; i < p->env.len; i++)
    if (has_prefix (p->env.items[i], "PATH=") || has_prefix (p->env.items[i], "LD_LIBRARY_PATH="))
      fprintf (f, "env %zu %s\n", strlen (p->env.items[i]), p->env.items[i]);
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
build_share_env (struct reg_store *store, int rootfd, const oci_process *p, const char *key, char **env_id,
                 reg_error_t *err)
{
  cleanup_closure struct reg_closure *closure = NULL;
  cleanup_manifest struct reg_manifest *m = reg_manifest_new ();
  cleanup_free char *env_root = NULL;
  struct sources src = { 0 };
  size_t shared = 0;
  int ret;

  ret = reg_analyze (rootfd, (const char *const *) p->args.items, (const char *const *) p->env.items, p->cwd,
                     &closure, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "REG analysis");

  for (size_t i = 0; i < closure->n_missing; i++)
    reg_warning ("REG: `%s` (needed by %s) not found in the rootfs", closure->missing[i].name,
                 closure->missing[i].needed_by);

  for (size_t i = 0; i < closure->n; i++)
    {
      const struct reg_closure_entry *e = &closure->entries[i];
      cleanup_close int fd = -1;
      cleanup_free char *digest = NULL;
      struct stat st;

      if (e->kind == REG_CLOSURE_SYMLINK)
        {
          struct stat lst = { .st_dev = e->dev, .st_ino = e->ino, .st_size = (off_t) e->size,
                              .st_mtim = e->mtime, .st_ctim = e->ctime };
          sources_add (&src, e->path, &lst);
          continue;
        }
      {
        /* O_PATH first: what is no longer a regular file is never opened.  */
        cleanup_close int pathfd = open_in_root_raw (rootfd, e->path, O_PATH | O_NOFOLLOW, 0);
        fd = pathfd < 0 ? pathfd : reopen_regular (pathfd, O_RDONLY, &st);
      }
      if (fd < 0)
        {
          reg_debug ("REG: `%s` is no longer a regular file; left as the image has it", e->path);
          continue;
        }
      sources_add (&src, e->path, &st);
      /* share keeps the image as it is but for its ELF objects: scripts
         and configuration files stay the image's own.  */
      if (! e->elf)
        continue;
      ret = reg_store_add_file (store, fd, &st, &digest, NULL, err);
      if (UNLIKELY (ret < 0))
        goto out;
      if (ret > 0)
        {
          reg_debug ("REG: `%s` not shared: %s", e->path, reg_store_unshared_reason (ret));
          continue;
        }
      ret = reg_manifest_add_file (m, e->path, digest, st.st_mode & 07777, st.st_uid, st.st_gid, err);
      if (UNLIKELY (ret < 0))
        goto out;
      shared++;
    }

  for (const char *const *in = closure_inputs; *in; in++)
    {
      struct stat st;
      cleanup_close int fd = open_in_root_raw (rootfd, *in, O_PATH | O_NOFOLLOW, 0);
      if (fd >= 0 && fstat (fd, &st) == 0)
        sources_add (&src, *in, &st);
    }

  ret = reg_store_env_get (store, m, env_id, &env_root, err);
  if (UNLIKELY (ret < 0))
    goto out;
  ret = reg_store_env_cache_put (store, key, *env_id, src.items, src.n, err);
  reg_debug ("REG: environment %s: %zu shared files of %zu in the closure", *env_id, shared, closure->n);

out:
  sources_clear (&src);
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
  xasprintf (&manifest_path, "%.*s/manifest", (int) (slash - env_root), env_root);
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

int
reg_phase_prepare (const struct reg_options *opts, const oci_config *config, int rootfd, struct reg_plan **plan,
                   reg_error_t *err)
{
  cleanup_store struct reg_store *store = NULL;
  cleanup_free char *key = NULL;
  cleanup_free char *env_id = NULL;
  cleanup_free char *ref = NULL;
  struct reg_plan *p;
  enum reg_mode mode;
  int ret;

  *plan = NULL;
  ret = reg_mode_from_config (config, opts->default_mode, &mode, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (mode == REG_MODE_OFF || config->process == NULL || config->process->args.len == 0)
    return 0;
  if (mode != REG_MODE_SHARE)
    return reg_make_error (err, 0, "config.json: annotations.%s: REG mode `%s` is not available yet",
                           REG_ANNOTATION_MODE, reg_mode_name (mode));

  ret = reg_store_open (reg_options_store_root (opts), &store, err);
  if (UNLIKELY (ret < 0))
    return ret;

  key = env_cache_key (mode, config->process, rootfd);
  ret = reg_store_env_cache_get (store, key, rootfd, &env_id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (ret == 0)
    {
      ret = build_share_env (store, rootfd, config->process, key, &env_id, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }

  p = xmalloc0 (sizeof (*p));
  p->mode = mode;
  ret = share_plan (store, env_id, p, err);
  if (UNLIKELY (ret < 0))
    {
      reg_plan_free (p);
      return ret;
    }
  ref = ref_name (opts);
  ret = reg_store_env_ref (store, env_id, ref, err);
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
