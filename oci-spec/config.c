/* liboci-spec: config.json top level: version, root, mounts, hooks,
 * annotations; process and linux have their own files.  */
#include <stdlib.h>
#include <string.h>

#include "json-internal.h"
#include "utils.h"

/* "1.MINOR.PATCH" with an optional "-prerelease" / "+build" suffix.  The
   spec is semver: every 1.x document is readable by a 1.3 runtime (new
   fields are ignored like any unknown key), another major is not.  */
int
oci_check_version (const char *v, char **why)
{
  const char *p = v;
  unsigned long major = 0;
  char *end;
  int i;

  *why = NULL;
  for (i = 0; i < 3; i++)
    {
      unsigned long n;

      if (*p < '0' || *p > '9')
        goto malformed;
      n = strtoul (p, &end, 10);
      if (i == 0)
        major = n;
      p = end;
      if (i < 2)
        {
          if (*p != '.')
            goto malformed;
          p++;
        }
    }
  if (*p != '\0' && !((*p == '-' || *p == '+') && p[1] != '\0'))
    goto malformed;
  if (major != 1)
    {
      xasprintf (why, "unsupported version \"%s\" (this runtime reads 1.x, written for %s)", v, OCI_SPEC_VERSION);
      return -1;
    }
  return 0;

malformed:
  xasprintf (why, "malformed version \"%s\" (expected MAJOR.MINOR.PATCH)", v);
  return -1;
}

static int
parse_mount (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_mount *m = elem;
  size_t i;

  (void)keyname;
  CHECK (jstr (c, v, "destination", true, &m->destination));
  if (m->destination[0] == '\0')
    return jerror_at (c, "destination", "must not be empty");
  CHECK (jstr (c, v, "source", false, &m->source));
  CHECK (jstr (c, v, "type", false, &m->type));
  CHECK (jstrv (c, v, "options", NULL, &m->options));
  for (i = 0; i < m->options.len; i++)
    if (m->options.items[i][0] == '\0')
      {
        jpush_key (c, "options");
        jpush_index (c, i);
        return jerror (c, "empty mount option");
      }
  CHECK (jid_mappings (c, v, "uidMappings", &m->uid_mappings, &m->n_uid_mappings));
  CHECK (jid_mappings (c, v, "gidMappings", &m->gid_mappings, &m->n_gid_mappings));
  return 0;
}

static int
parse_hook (struct jctx *c, yajl_val v, void *elem, const char *keyname)
{
  oci_hook *h = elem;

  (void)keyname;
  CHECK (jstr (c, v, "path", true, &h->path));
  if (h->path[0] != '/')
    return jerror_at (c, "path", "not an absolute path: \"%s\"", h->path);
  CHECK (jstrv (c, v, "args", NULL, &h->args));
  CHECK (jstrv (c, v, "env", NULL, &h->env));
  CHECK (ji64 (c, v, "timeout", false, INT64_MIN, INT64_MAX, &h->has_timeout, &h->timeout));
  if (h->has_timeout && h->timeout <= 0)
    return jerror_at (c, "timeout", "must be greater than zero, got %lld", (long long)h->timeout);
  return 0;
}

static int
parse_hooks (struct jctx *c, yajl_val v, oci_hooks *h)
{
  static const struct
  {
    const char *key;
    size_t offset;
  } lists[] = {
    { "prestart", offsetof (oci_hooks, prestart) },
    { "createRuntime", offsetof (oci_hooks, create_runtime) },
    { "createContainer", offsetof (oci_hooks, create_container) },
    { "startContainer", offsetof (oci_hooks, start_container) },
    { "poststart", offsetof (oci_hooks, poststart) },
    { "poststop", offsetof (oci_hooks, poststop) },
  };
  size_t i;

  for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
    {
      oci_hooks_list *l = (oci_hooks_list *)((char *)h + lists[i].offset);

      CHECK (jobjects (c, v, lists[i].key, sizeof (oci_hook), &l->items, &l->len, parse_hook));
    }
  return 0;
}

static int
parse_config (struct jctx *c, yajl_val v, oci_config *cfg)
{
  cleanup_free char *why = NULL;
  yajl_val o;

  if (!YAJL_IS_OBJECT (v))
    return jerror (c, "expected an object, got %s", jtype_name (v));
  CHECK (jstr (c, v, "ociVersion", true, &cfg->oci_version));
  if (oci_check_version (cfg->oci_version, &why) < 0)
    return jerror_at (c, "ociVersion", "%s", why);

  CHECK (jobj (c, v, "root", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "root");

      CHECK (jstr (c, o, "path", true, &cfg->root_path));
      if (cfg->root_path[0] == '\0')
        return jerror_at (c, "path", "must not be empty");
      CHECK (jbool (c, o, "readonly", false, NULL, &cfg->root_readonly));
      jpop (c, mark);
    }
  CHECK (jobjects (c, v, "mounts", sizeof (oci_mount), &cfg->mounts, &cfg->n_mounts, parse_mount));

  CHECK (jobj (c, v, "process", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "process");

      cfg->process = xmalloc0 (sizeof *cfg->process);
      CHECK (oci_parse_process_obj (c, o, cfg->process));
      jpop (c, mark);
    }
  CHECK (jstr (c, v, "hostname", false, &cfg->hostname));
  CHECK (jstr (c, v, "domainname", false, &cfg->domainname));
  CHECK (jobj (c, v, "hooks", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "hooks");
      CHECK (parse_hooks (c, o, &cfg->hooks));
      jpop (c, mark);
    }
  CHECK (jmap (c, v, "annotations", &cfg->annotations));
  CHECK (jobj (c, v, "linux", false, &o));
  if (o)
    {
      size_t mark = jpush_key (c, "linux");
      CHECK (oci_parse_linux_obj (c, o, &cfg->linux_cfg));
      jpop (c, mark);
    }
  /* "solaris", "windows", "vm", "zos", "freebsd": other platforms' sections,
     ignored on Linux like any unknown key.  */
  return 0;
}

static void
hooks_list_clear (oci_hooks_list *l)
{
  size_t i;

  for (i = 0; i < l->len; i++)
    {
      free (l->items[i].path);
      oci_strv_clear (&l->items[i].args);
      oci_strv_clear (&l->items[i].env);
    }
  free (l->items);
  l->items = NULL;
  l->len = 0;
}

void
oci_config_free (oci_config *c)
{
  size_t i;

  if (c == NULL)
    return;
  free (c->oci_version);
  free (c->root_path);
  for (i = 0; i < c->n_mounts; i++)
    {
      oci_mount *m = &c->mounts[i];

      free (m->destination);
      free (m->source);
      free (m->type);
      oci_strv_clear (&m->options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (c->mounts);
  oci_process_free (c->process);
  free (c->hostname);
  free (c->domainname);
  hooks_list_clear (&c->hooks.prestart);
  hooks_list_clear (&c->hooks.create_runtime);
  hooks_list_clear (&c->hooks.create_container);
  hooks_list_clear (&c->hooks.start_container);
  hooks_list_clear (&c->hooks.poststart);
  hooks_list_clear (&c->hooks.poststop);
  oci_map_clear (&c->annotations);
  oci_linux_clear (&c->linux_cfg);
  free (c);
}

int
oci_config_parse (const char *data, size_t len, const char *name, oci_config **out, reg_error_t *err)
{
  struct jctx c;
  yajl_val tree = NULL;
  oci_config *cfg;
  int ret;

  *out = NULL;
  jctx_init (&c, name ? name : "config.json", err);
  ret = jparse (data, len, &c, &tree);
  if (ret < 0)
    {
      jctx_release (&c);
      return ret;
    }
  cfg = xmalloc0 (sizeof *cfg);
  ret = parse_config (&c, tree, cfg);
  yajl_tree_free (tree);
  jctx_release (&c);
  if (ret < 0)
    {
      oci_config_free (cfg);
      return ret;
    }
  *out = cfg;
  return 0;
}

int
oci_config_parse_file (const char *path, oci_config **out, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  const char *base = strrchr (path, '/');
  size_t len;

  *out = NULL;
  CHECK (read_regular_file (path, OCI_MAX_DOCUMENT, &data, &len, err));
  return oci_config_parse (data, len, base ? base + 1 : path, out, err);
}

const oci_namespace *
oci_config_namespace (const oci_config *c, enum oci_ns_type type)
{
  size_t i;

  if (c == NULL)
    return NULL;
  for (i = 0; i < c->linux_cfg.n_namespaces; i++)
    if (c->linux_cfg.namespaces[i].type == type)
      return &c->linux_cfg.namespaces[i];
  return NULL;
}
