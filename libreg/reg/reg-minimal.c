/* libreg: the minimized environment (reg-minimal.h).
 *
 * Two steps: select the nodes (files, symlinks, directories, mount-point
 * placeholders) from the rootfs, then put the files into the store and the
 * whole into a manifest, whose environment the store builds once.  */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-analyze.h"
#include "reg-env.h"
#include "reg-minimal.h"
#include "reg.h"
#include "utils.h"

#define MAX_INCLUDE_DEPTH 64

/* --- annotations (pure) ------------------------------------------------- */

static const struct
{
  const char *name;
  unsigned bit;
} group_names[] = {
  { "users", REG_DEFAULTS_USERS }, { "hosts", REG_DEFAULTS_HOSTS },     { "zoneinfo", REG_DEFAULTS_ZONEINFO },
  { "certs", REG_DEFAULTS_CERTS }, { "ldcache", REG_DEFAULTS_LDCACHE }, { "osrelease", REG_DEFAULTS_OSRELEASE },
};

/* W without its leading and trailing blanks (the list's "a, b" form);
   the trailing ones are cut in place.  */
static char *
trim_blanks (char *w)
{
  char *end;

  while (*w == ' ' || *w == '\t')
    w++;
  for (end = w + strlen (w); end > w && (end[-1] == ' ' || end[-1] == '\t'); end--)
    end[-1] = '\0';
  return w;
}

int
reg_defaults_parse (const char *value, unsigned *groups, reg_error_t *err)
{
  cleanup_free char *copy = xstrdup (value ? value : "");
  char *save = NULL;

  *groups = REG_DEFAULTS_ALL;
  for (char *w = strtok_r (copy, ",", &save); w; w = strtok_r (NULL, ",", &save))
    {
      bool drop = false, found = false;

      w = trim_blanks (w);
      if (*w == '\0')
        continue;
      if (strcmp (w, "none") == 0 || strcmp (w, "all") == 0)
        {
          *groups = *w == 'n' ? 0 : REG_DEFAULTS_ALL;
          continue;
        }
      if (*w == '-' || *w == '+')
        drop = *w++ == '-';
      for (size_t i = 0; i < sizeof (group_names) / sizeof (group_names[0]); i++)
        if (strcmp (w, group_names[i].name) == 0)
          {
            found = true;
            if (drop)
              *groups &= ~group_names[i].bit;
            else
              *groups |= group_names[i].bit;
          }
      if (!found)
        return reg_make_error (err, EINVAL,
                               "config.json: annotations.%s: unknown group `%s` (expected users, hosts, zoneinfo, "
                               "certs, ldcache, osrelease, all or none, each with an optional - or +)",
                               REG_ANNOTATION_DEFAULTS, w);
    }
  return 0;
}

int
reg_includes_parse (const char *value, char ***paths, size_t *n, reg_error_t *err)
{
  cleanup_free char *copy = xstrdup (value ? value : "");
  char **out = xmalloc0 (sizeof (char *));
  size_t count = 0;
  char *save = NULL;

  for (char *w = strtok_r (copy, ",", &save); w; w = strtok_r (NULL, ",", &save))
    {
      const char *c;

      w = trim_blanks (w);
      if (*w == '\0')
        continue;
      if (*w != '/')
        {
          free_string_array (out);
          return reg_make_error (err, EINVAL, "config.json: annotations.%s: `%s` is not an absolute path",
                                 REG_ANNOTATION_INCLUDE, w);
        }
      /* Paths are resolved inside the rootfs anyway; a ".." says the
         author meant something outside it.  */
      for (c = w; (c = strstr (c, "..")); c += 2)
        if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
          {
            free_string_array (out);
            return reg_make_error (err, EINVAL, "config.json: annotations.%s: `%s` escapes the rootfs (`..`)",
                                   REG_ANNOTATION_INCLUDE, w);
          }
      out = xrealloc (out, (count + 2) * sizeof (char *));
      out[count++] = xstrdup (w);
      out[count] = NULL;
    }
  *paths = out;
  *n = count;
  return 0;
}

static bool
mount_is_file_bind (const oci_mount *m)
{
  bool bind = m->type && strcmp (m->type, "bind") == 0;
  struct stat st;

  for (size_t i = 0; i < m->options.len; i++)
    bind = bind || strcmp (m->options.items[i], "bind") == 0 || strcmp (m->options.items[i], "rbind") == 0;
  /* create runs in the bundle directory: a relative source is from it.  */
  return bind && m->source && stat (m->source, &st) == 0 && !S_ISDIR (st.st_mode);
}

/* A mount point as the environment sees it: where, and whether a file.  */
struct mount_point
{
  const char *destination;
  bool file;
};

static int
cmp_mount_point (const void *a, const void *b)
{
  const struct mount_point *x = a, *y = b;
  int c = strcmp (x->destination, y->destination);
  return c ? c : (int)x->file - (int)y->file;
}

/* CONFIG's mount points, sorted: the environment depends on the set, not
   on the order (Podman writes its mounts in a new order at each run, from
   a Go map).  */
static struct mount_point *
mount_points (const oci_config *config)
{
  struct mount_point *v = xmalloc0 ((config->n_mounts + 1) * sizeof (*v));

  for (size_t i = 0; i < config->n_mounts; i++)
    v[i] = (struct mount_point){ config->mounts[i].destination, mount_is_file_bind (&config->mounts[i]) };
  qsort (v, config->n_mounts, sizeof (*v), cmp_mount_point);
  return v;
}

char *
reg_minimal_mounts_key (const oci_config *config)
{
  cleanup_free struct mount_point *v = mount_points (config);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    abort ();
  for (size_t i = 0; i < config->n_mounts; i++)
    fprintf (f, "mount %zu %s %c\n", strlen (v[i].destination), v[i].destination, v[i].file ? 'f' : 'd');
  fclose (f);
  return buf;
}

/* --- selection ---------------------------------------------------------- */

enum node_type
{
  NODE_DIR = 'd',
  NODE_SYMLINK = 'l',
  NODE_EMPTY_FILE = 'e', /* a mount point for a file: no such file in the image, or one a bind
                            mount covers (add_bind_target) */
};

struct node
{
  char *path; /* absolute, canonical in the image */
  enum node_type type;
  char *target;
  struct reg_identity id; /* the image's (from_image); else only the mode */
  bool from_image;
};

struct selection
{
  int rootfd;
  struct reg_closure *closure;
  struct node **nodes;
  size_t n_nodes;
  void *tree; /* struct node * by path */
  void *visited_dirs;
  struct reg_sources sources;
  size_t include_warnings;
};

/* run.reg.include's warnings, whose number the annotation decides (100,000
   paths that match nothing made 100,000 lines): the first few by name, the
   others as debug lines, then one warning that counts them.  */
#define INCLUDE_WARNINGS_SHOWN 5

static void __attribute__ ((format (printf, 2, 3))) include_warning (struct selection *s, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  reg_vlog (s->include_warnings++ < INCLUDE_WARNINGS_SHOWN ? REG_LOG_WARNING : REG_LOG_DEBUG, fmt, ap);
  va_end (ap);
}

static void
include_warnings_end (struct selection *s)
{
  if (s->include_warnings > INCLUDE_WARNINGS_SHOWN)
    reg_warning ("config.json: annotations.%s: and %zu more warnings like these (--debug shows them)",
                 REG_ANNOTATION_INCLUDE, s->include_warnings - INCLUDE_WARNINGS_SHOWN);
}

static int
cmp_node (const void *a, const void *b)
{
  return strcmp (((const struct node *)a)->path, ((const struct node *)b)->path);
}

static struct node *
node_find (struct selection *s, const char *path)
{
  struct node key = { .path = (char *)path };
  void *found = tfind (&key, &s->tree, cmp_node);
  return found ? *(struct node **)found : NULL;
}

static struct node *
node_add (struct selection *s, const char *path, enum node_type type, const char *target, const struct reg_identity *id,
          bool from_image)
{
  struct node *n = xmalloc0 (sizeof (*n));
  void *slot;

  n->path = xstrdup (path);
  n->type = type;
  n->target = target ? xstrdup (target) : NULL;
  if (id)
    n->id = *id;
  n->from_image = from_image;
  slot = tsearch (n, &s->tree, cmp_node);
  if (slot == NULL)
    abort ();
  if (*(struct node **)slot != n)
    {
      free (n->path);
      free (n->target);
      free (n);
      return *(struct node **)slot;
    }
  s->nodes = xrealloc (s->nodes, (s->n_nodes + 1) * sizeof (*s->nodes));
  s->nodes[s->n_nodes++] = n;
  return n;
}

/* The canonical path inside the root of FD (a file of the root).  */
static char *
canonical_path (int rootfd, int fd)
{
  char a[64], b[64], root[PATH_MAX + 1], path[PATH_MAX + 1];
  ssize_t rn, pn;
  size_t skip;

  snprintf (a, sizeof (a), "/proc/self/fd/%d", rootfd);
  snprintf (b, sizeof (b), "/proc/self/fd/%d", fd);
  rn = readlink (a, root, sizeof (root) - 1);
  pn = readlink (b, path, sizeof (path) - 1);
  if (rn <= 0 || pn <= 0)
    return NULL;
  root[rn] = path[pn] = '\0';
  skip = strcmp (root, "/") == 0 ? 0 : (size_t)rn;
  if (strncmp (path, root, skip) != 0)
    return NULL;
  if (path[skip] == '\0')
    return xstrdup ("/");
  if (path[skip] != '/')
    return NULL;
  return xstrdup (path + skip);
}

/* A path that is not in the image: its nearest existing ancestor's
   identity goes to the cache sources (creating it changes that).  */
static void
note_missing (struct selection *s, const char *path)
{
  cleanup_free char *p = xstrdup (path);
  char *slash;

  while ((slash = strrchr (p, '/')))
    {
      struct reg_identity id;
      cleanup_close int fd = -1;
      slash[slash == p ? 1 : 0] = '\0';
      fd = open_in_root_raw (s->rootfd, p, O_PATH, 0);
      if (fd >= 0 && reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) == 0)
        {
          reg_sources_add (&s->sources, p, &id);
          return;
        }
      if (strcmp (p, "/") == 0)
        return;
    }
}

/* What adding PATH to the closure returned (RET, with the error E): a
   file that cannot be added is left out, said as a warning when
   WARN_MISSING, else in the debug log.  */
static int
left_out (struct selection *s, const char *path, const char *reason, bool warn_missing, int ret, reg_error_t e)
{
  if (ret < 0)
    {
      if (e->status == ENOENT)
        note_missing (s, path);
      if (warn_missing)
        include_warning (s, "REG minimal: %s: %s; left out", reason, e->msg);
      else
        reg_debug ("REG minimal: %s: %s; left out", reason, e->msg);
      reg_error_release (&e);
    }
  return 0;
}

static int
add_file (struct selection *s, const char *path, const char *reason, bool warn_missing, reg_error_t *err)
{
  reg_error_t e = NULL;
  int ret = reg_closure_add_path (s->rootfd, s->closure, path, reason, &e);

  (void)err;
  return left_out (s, path, reason, warn_missing, ret, e);
}

/* add_file for NAME of the directory DIRFD, whose path is CANON.  */
static int
add_file_at (struct selection *s, int dirfd, const char *name, const char *canon, const char *reason, reg_error_t *err)
{
  reg_error_t e = NULL;
  int ret = reg_closure_add_file_at (s->rootfd, s->closure, dirfd, name, canon, reason, &e);

  (void)err;
  return left_out (s, canon, reason, false, ret, e);
}

/* The symlinks PATH goes through to a directory, each at its canonical
   path.  */
static void
add_link_chain (struct selection *s, const char *path)
{
  cleanup_free char *cur = xstrdup (path);

  for (int i = 0; i < 40; i++)
    {
      cleanup_free char *parent = xstrdup (cur);
      cleanup_free char *canon_parent = NULL;
      cleanup_free char *link = NULL;
      cleanup_close int pfd = -1;
      char *slash = strrchr (parent, '/');
      char target[PATH_MAX];
      const char *base;
      struct reg_identity id;
      ssize_t n;

      if (slash == NULL || slash[1] == '\0')
        return;
      *slash = '\0';
      base = slash + 1;
      pfd = open_in_root_raw (s->rootfd, *parent ? parent : "/", O_PATH | O_DIRECTORY, 0);
      if (pfd < 0 || (canon_parent = canonical_path (s->rootfd, pfd)) == NULL)
        return;
      if (reg_identity_at (pfd, base, AT_SYMLINK_NOFOLLOW, &id, NULL) < 0 || !S_ISLNK (id.mode))
        return;
      n = readlinkat (pfd, base, target, sizeof (target) - 1);
      if (n <= 0)
        return;
      target[n] = '\0';
      xasprintf (&link, "%s/%s", strcmp (canon_parent, "/") == 0 ? "" : canon_parent, base);
      node_add (s, link, NODE_SYMLINK, target, &id, true);
      free (cur);
      if (target[0] == '/')
        cur = xstrdup (target);
      else
        xasprintf (&cur, "%s/%s", strcmp (canon_parent, "/") == 0 ? "" : canon_parent, target);
    }
}

static int include_tree (struct selection *s, int dirfd, const char *canon, const char *reason, int depth,
                         reg_error_t *err);

/* PATH (absolute, in the image) with whatever it is: a file and its
   closure, a directory and its tree (RECURSIVE) or alone, a symlink and
   what it points at.  */
static int
include_path (struct selection *s, const char *path, const char *reason, bool recursive, bool warn_missing, int depth,
              reg_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *canon = NULL;
  struct reg_identity id;
  int ret;

  fd = open_in_root_raw (s->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
  if (fd < 0)
    fd = open_in_root_raw (s->rootfd, path, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0)
    return add_file (s, path, reason, warn_missing, err);
  ret = reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL);
  if (ret < 0 || (canon = canonical_path (s->rootfd, fd)) == NULL)
    return reg_make_error (err, ret < 0 ? -ret : EINVAL, "%s: `%s` in the rootfs", reason, path);
  if (strcmp (path, canon) != 0)
    /* Symlinks on the way: keep the names the program uses too.  */
    add_link_chain (s, path);
  if (!recursive)
    {
      if (strcmp (canon, "/") != 0)
        node_add (s, canon, NODE_DIR, NULL, &id, true);
      return 0;
    }
  return include_tree (s, fd, canon, reason, depth, err);
}

static int
include_tree (struct selection *s, int dirfd, const char *canon, const char *reason, int depth, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct reg_identity id;
  int fd;

  if (depth > MAX_INCLUDE_DEPTH)
    {
      reg_warning ("REG minimal: %s: `%s` is nested too deep; not followed further", reason, canon);
      return 0;
    }
  if (tfind (canon, &s->visited_dirs, (int (*) (const void *, const void *))strcmp))
    return 0;
  tsearch (xstrdup (canon), &s->visited_dirs, (int (*) (const void *, const void *))strcmp);
  {
    int r = reg_identity_at (dirfd, "", AT_EMPTY_PATH, &id, NULL);
    if (r < 0)
      return reg_make_error (err, -r, "stat `%s`", canon);
  }
  if (strcmp (canon, "/") != 0)
    node_add (s, canon, NODE_DIR, NULL, &id, true);

  fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return reg_make_error (err, errno, "open `%s` in the rootfs", canon);
    }
  while ((de = readdir (d)))
    {
      cleanup_free char *child = NULL;
      struct reg_identity cid;
      int ret = 0;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      xasprintf (&child, "%s/%s", strcmp (canon, "/") == 0 ? "" : canon, de->d_name);
      /* A file is stat'ed where it is opened (which checks its type
         again), a directory where it is walked: only what readdir leaves
         unsaid is asked here.  */
      if (de->d_type == DT_REG)
        cid.mode = S_IFREG;
      else if (de->d_type == DT_DIR)
        cid.mode = S_IFDIR;
      else if (reg_identity_at (dirfd, de->d_name, AT_SYMLINK_NOFOLLOW, &cid, NULL) < 0)
        continue;
      if (S_ISDIR (cid.mode))
        {
          cleanup_close int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0)
            ret = include_tree (s, sub, child, reason, depth + 1, err);
        }
      else if (S_ISREG (cid.mode))
        ret = add_file_at (s, dirfd, de->d_name, child, reason, err);
      else if (S_ISLNK (cid.mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (dirfd, de->d_name, target, sizeof (target) - 1);
          if (n <= 0)
            continue;
          target[n] = '\0';
          node_add (s, child, NODE_SYMLINK, target, &cid, true);
          ret = include_path (s, child, reason, true, false, depth + 1, err);
        }
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

static int
add_includes (struct selection *s, const char *value, reg_error_t *err)
{
  cleanup_string_array char **paths = NULL;
  size_t n = 0;
  int ret;

  ret = reg_includes_parse (value, &paths, &n, err);
  if (UNLIKELY (ret < 0))
    return ret;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_string_array char **matches = NULL;
      size_t n_matches = 0;
      size_t found = 0;

      reg_glob_in_root (s->rootfd, paths[i], &matches, &n_matches);
      for (size_t j = 0; j < n_matches; j++)
        {
          cleanup_close int fd = open_in_root_raw (s->rootfd, matches[j], O_PATH, 0);
          if (fd < 0)
            {
              note_missing (s, matches[j]);
              continue;
            }
          found++;
          ret = include_path (s, matches[j], "run.reg.include", true, true, 0, err);
          if (UNLIKELY (ret < 0))
            return reg_error_wrap (err, "config.json: annotations.%s: `%s`", REG_ANNOTATION_INCLUDE, paths[i]);
        }
      if (found == 0)
        {
          note_missing (s, paths[i]);
          include_warning (s, "config.json: annotations.%s: `%s` is not in the rootfs; ignored", REG_ANNOTATION_INCLUDE,
                           paths[i]);
        }
    }
  include_warnings_end (s);
  return 0;
}

static const struct
{
  unsigned group;
  const char *path;
  bool tree;
} default_paths[] = {
  { REG_DEFAULTS_USERS, "/etc/passwd", false },          { REG_DEFAULTS_USERS, "/etc/group", false },
  { REG_DEFAULTS_USERS, "/etc/nsswitch.conf", false },   { REG_DEFAULTS_HOSTS, "/etc/hosts", false },
  { REG_DEFAULTS_HOSTS, "/etc/resolv.conf", false },     { REG_DEFAULTS_HOSTS, "/etc/hostname", false },
  { REG_DEFAULTS_HOSTS, "/etc/host.conf", false },       { REG_DEFAULTS_HOSTS, "/etc/services", false },
  { REG_DEFAULTS_HOSTS, "/etc/protocols", false },       { REG_DEFAULTS_ZONEINFO, "/etc/localtime", false },
  { REG_DEFAULTS_ZONEINFO, "/etc/timezone", false },     { REG_DEFAULTS_CERTS, "/etc/ssl/certs", true },
  { REG_DEFAULTS_CERTS, "/etc/ssl/openssl.cnf", false }, { REG_DEFAULTS_CERTS, "/usr/share/ca-certificates", true },
  { REG_DEFAULTS_CERTS, "/etc/pki/tls", true },          { REG_DEFAULTS_CERTS, "/etc/pki/ca-trust/extracted", true },
  { REG_DEFAULTS_LDCACHE, "/etc/ld.so.cache", false },   { REG_DEFAULTS_OSRELEASE, "/etc/os-release", false },
};

static int
add_defaults (struct selection *s, unsigned groups, reg_error_t *err)
{
  for (size_t i = 0; i < sizeof (default_paths) / sizeof (default_paths[0]); i++)
    {
      cleanup_close int fd = -1;
      int ret;

      if (!(groups & default_paths[i].group))
        continue;
      fd = open_in_root_raw (s->rootfd, default_paths[i].path, O_PATH, 0);
      if (fd < 0)
        {
          note_missing (s, default_paths[i].path);
          continue;
        }
      ret = include_path (s, default_paths[i].path, "default file", default_paths[i].tree, false, 0, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

/* The source a compiled Python module was checked against:
   "/x/__pycache__/mod.cpython-311.pyc" -> "/x/mod.py", or NULL.  Python
   only stat()s the .py before it opens the .pyc, so learn never sees the
   source open, but without it the import fails.  */
char *
reg_pyc_source (const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *cache = "/__pycache__/";
  size_t dir_len;
  const char *dot;

  if (slash == NULL || !has_suffix (path, ".pyc"))
    return NULL;
  dir_len = (size_t)(slash - path);
  if (dir_len < strlen (cache) - 1 || strncmp (slash - (strlen (cache) - 1), cache, strlen (cache)) != 0)
    return NULL;
  /* "mod.cpython-311.pyc", "mod.cpython-311.opt-1.pyc": the module is the
     name up to the first dot.  */
  dot = strchr (slash + 1, '.');
  if (dot == NULL || dot == slash + 1)
    return NULL;
  {
    char *out = NULL;
    size_t parent_len = dir_len - (strlen (cache) - 1);
    xasprintf (&out, "%.*s/%.*s.py", (int)parent_len, path, (int)(dot - slash - 1), slash + 1);
    return out;
  }
}

/* CPython's standard-library landmark in DIR: "DIR/os.py" when DIR is a
   "pythonX.Y" directory, else NULL.  At start-up the interpreter finds its
   prefix by stat()ing that file; `os` itself is frozen into the
   interpreter, so nothing ever opens it and learn never records it, but
   without it every start warns "Could not find platform independent
   libraries".  The directory is in the profile because the import system
   lists it.  */
char *
reg_python_landmark (const char *dir)
{
  size_t len = strlen (dir);
  const char *base, *p;
  char *out = NULL;

  while (len > 1 && dir[len - 1] == '/')
    len--;
  for (base = dir + len; base > dir && base[-1] != '/'; base--)
    ;
  if ((size_t)(dir + len - base) < strlen ("python0.0") || strncmp (base, "python", 6) != 0)
    return NULL;
  p = base + 6;
  if (*p < '0' || *p > '9')
    return NULL;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p++ != '.' || *p < '0' || *p > '9')
    return NULL;
  while (p < dir + len && *p >= '0' && *p <= '9')
    p++;
  if (p != dir + len)
    return NULL;
  xasprintf (&out, "%.*s/os.py", (int)len, dir);
  return out;
}

/* The profile: files with their closures, directories alone, and the
   symlinks next to each file that point at it.  */
static int
add_profile (struct selection *s, const char *const *profile, size_t n, reg_error_t *err)
{
  void *dirs = NULL;
  int ret = 0;

  for (size_t i = 0; i < n && ret == 0; i++)
    {
      size_t len = strlen (profile[i]);
      cleanup_free char *dir = NULL;
      char *slash;

      if (len > 1 && profile[i][len - 1] == '/')
        {
          cleanup_free char *p = xstrndup (profile[i], len - 1);
          cleanup_close int fd = open_in_root_raw (s->rootfd, p, O_PATH | O_DIRECTORY, 0);
          cleanup_free char *landmark = reg_python_landmark (p);
          if (fd >= 0)
            ret = include_path (s, p, "profile", false, false, 0, err);
          if (fd >= 0 && landmark && ret == 0)
            ret = add_file (s, landmark, "profile (Python's stdlib landmark)", false, err);
          continue;
        }
      ret = add_file (s, profile[i], "profile", false, err);
      {
        cleanup_free char *py = reg_pyc_source (profile[i]);
        if (py && ret == 0)
          ret = add_file (s, py, "profile (source of a .pyc)", false, err);
      }
      dir = xstrdup (profile[i]);
      slash = strrchr (dir, '/');
      if (slash == NULL)
        continue;
      *slash = '\0';
      if (tfind (dir, &dirs, (int (*) (const void *, const void *))strcmp) == NULL)
        tsearch (steal_pointer (&dir), &dirs, (int (*) (const void *, const void *))strcmp);
    }

  /* Sibling symlinks: one readdir per directory of the profile.  */
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *dir = xstrdup (profile[i]);
      char *slash = strrchr (dir, '/');
      void *found;
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      int fd;

      if (slash == NULL || profile[i][strlen (profile[i]) - 1] == '/')
        continue;
      *slash = '\0';
      found = tfind (dir, &dirs, (int (*) (const void *, const void *))strcmp);
      if (found == NULL)
        continue; /* done already */
      {
        char *key = *(char **)found;
        tdelete (dir, &dirs, (int (*) (const void *, const void *))strcmp);
        free (key);
      }
      fd = open_in_root_raw (s->rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
      if (fd < 0 || (d = fdopendir (fd)) == NULL)
        {
          if (fd >= 0)
            close (fd);
          continue;
        }
      while ((de = readdir (d)))
        {
          char target[PATH_MAX];
          cleanup_free char *child = NULL;
          cleanup_free char *pointee = NULL;
          ssize_t len;
          struct reg_identity id;

          if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
            continue;
          len = readlinkat (fd, de->d_name, target, sizeof (target) - 1);
          if (len <= 0)
            continue;
          target[len] = '\0';
          if (strchr (target, '/'))
            continue;
          xasprintf (&pointee, "%s/%s", dir, target);
          if (reg_closure_find (s->closure, pointee) == NULL)
            continue;
          xasprintf (&child, "%s/%s", dir, de->d_name);
          if (reg_identity_at (fd, de->d_name, AT_SYMLINK_NOFOLLOW, &id, NULL) == 0)
            node_add (s, child, NODE_SYMLINK, target, &id, true);
        }
    }
  tdestroy (dirs, free);
  return ret;
}

/* Whether PATH is the target of a file bind mount (add_bind_target).  */
static bool
bind_target (struct selection *s, const char *path)
{
  struct node *n = node_find (s, path);
  return n && n->type == NODE_EMPTY_FILE;
}

/* Each component of DEST: the image's directory, or a new one; the last is
   an empty file for a file bind mount.  A symlink in the image is kept and
   ends the walk (the lifecycle resolves the mount through it).  */
static int
add_mount_point (struct selection *s, const char *dest, bool file, reg_error_t *err)
{
  cleanup_free char *path = xstrdup ("");
  cleanup_free char *copy = xstrdup (dest);
  char *save = NULL;
  struct reg_identity def = { .mode = S_IFDIR | 0755 };

  (void)err;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      cleanup_close int fd = -1;
      bool last = save == NULL || *save == '\0';
      char *next = NULL;
      struct reg_identity id;

      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          reg_debug ("REG minimal: mount point `%s` has `..`; not made", dest);
          return 0;
        }
      xasprintf (&next, "%s/%s", path, c);
      free (path);
      path = next;
      fd = open_in_root_raw (s->rootfd, path, O_PATH | O_NOFOLLOW, 0);
      if (fd >= 0 && reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) == 0)
        {
          if (S_ISDIR (id.mode))
            {
              node_add (s, path, NODE_DIR, NULL, &id, true);
              continue;
            }
          if (S_ISLNK (id.mode))
            {
              char target[PATH_MAX];
              ssize_t n = readlinkat (fd, "", target, sizeof (target) - 1);
              if (n > 0)
                {
                  target[n] = '\0';
                  node_add (s, path, NODE_SYMLINK, target, &id, true);
                }
              return 0;
            }
          if (S_ISREG (id.mode) && last && !bind_target (s, path))
            return add_file (s, path, "mount point", false, err);
          return 0;
        }
      note_missing (s, path);
      if (last && file)
        {
          struct reg_identity fid = { .mode = S_IFREG | 0644 };
          node_add (s, path, NODE_EMPTY_FILE, NULL, &fid, false);
        }
      else
        {
          def.mode = S_IFDIR | (strcmp (path, "/tmp") == 0 ? 01777 : 0755);
          node_add (s, path, NODE_DIR, NULL, &def, false);
        }
    }
  return 0;
}

/* The destination DEST of a file bind mount: the mount covers whatever
   the image has there, so the environment needs an empty file to mount
   on, not the image's file.  Under Podman that file is often the
   container's own (its upper layer's /etc/hosts, /run/.containerenv), new
   in every container: as a source it made the environment cache miss at
   every create.  Only where DEST is the canonical path (no symlink on the
   way, not a symlink itself); elsewhere add_mount_point keeps the image's
   entries.  */
static void
add_bind_target (struct selection *s, const char *dest)
{
  cleanup_free char *path = xstrdup (dest);
  cleanup_free char *canon = NULL;
  cleanup_close int parent = -1;
  struct reg_identity fid = { .mode = S_IFREG | 0644 }, id;
  char *slash;
  size_t len;

  if (path[0] != '/' || strstr (path, "//") || strstr (path, "/./") || strstr (path, "/../"))
    return;
  len = strlen (path);
  if (len < 2 || path[len - 1] == '/' || path[len - 1] == '.')
    return;
  slash = strrchr (path, '/');
  *slash = '\0';
  parent = open_in_root_raw (s->rootfd, slash == path ? "/" : path, O_PATH | O_DIRECTORY, 0);
  if (parent < 0 || (canon = canonical_path (s->rootfd, parent)) == NULL
      || strcmp (canon, slash == path ? "/" : path) != 0)
    return;
  if (reg_identity_at (parent, slash + 1, AT_SYMLINK_NOFOLLOW, &id, NULL) == 0 && !S_ISREG (id.mode))
    return;
  *slash = '/';
  node_add (s, path, NODE_EMPTY_FILE, NULL, &fid, false);
}

static int
select_nodes (struct selection *s, const oci_config *config, const char *const *profile, size_t n_profile,
              reg_error_t *err)
{
  cleanup_free struct mount_point *mounts = NULL;
  const oci_process *p = config->process;
  const char *v;
  unsigned groups = REG_DEFAULTS_ALL;
  int ret;

  ret = reg_defaults_parse (oci_map_get (&config->annotations, REG_ANNOTATION_DEFAULTS), &groups, err);
  if (UNLIKELY (ret < 0))
    return ret;
  ret = reg_analyze (s->rootfd, (const char *const *)p->args.items, (const char *const *)p->env.items, p->cwd,
                     &s->closure, err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "REG analysis");
  for (size_t i = 0; i < s->closure->n_missing; i++)
    reg_warning ("REG: `%s` (needed by %s) not found in the rootfs", s->closure->missing[i].name,
                 s->closure->missing[i].needed_by);

  mounts = mount_points (config);
  for (size_t i = 0; i < config->n_mounts; i++)
    if (mounts[i].file)
      add_bind_target (s, mounts[i].destination);
  ret = add_profile (s, profile, n_profile, err);
  if (ret == 0 && (v = oci_map_get (&config->annotations, REG_ANNOTATION_INCLUDE)))
    ret = add_includes (s, v, err);
  if (ret == 0)
    ret = add_defaults (s, groups, err);
  for (size_t i = 0; ret == 0 && i < config->n_mounts; i++)
    ret = add_mount_point (s, mounts[i].destination, mounts[i].file, err);
  if (ret == 0)
    ret = add_mount_point (s, "/tmp", false, err);
  return ret;
}

/* --- the manifest ------------------------------------------------------- */

/* The image's directory PATH (or 0755 root when the image has none).  */
static void
add_parents (struct selection *s, const char *path)
{
  cleanup_free char *p = xstrdup (path);
  char *slash;

  while ((slash = strrchr (p, '/')) && slash != p)
    {
      cleanup_close int fd = -1;
      struct reg_identity id;

      *slash = '\0';
      if (node_find (s, p))
        {
          /* Its own parents were added with it.  */
          if (node_find (s, p)->type == NODE_DIR)
            return;
          return;
        }
      fd = open_in_root_raw (s->rootfd, p, O_PATH | O_NOFOLLOW, 0);
      if (fd >= 0 && reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL) == 0 && S_ISDIR (id.mode))
        node_add (s, p, NODE_DIR, NULL, &id, true);
      else
        {
          struct reg_identity def = { .mode = S_IFDIR | 0755 };
          node_add (s, p, NODE_DIR, NULL, &def, false);
        }
    }
}

/* An entry whose parent is not a directory of the environment (a symlink
   or a file of the image) cannot be in the manifest.  */
static bool
under_non_dir (struct selection *s, const char *path)
{
  cleanup_free char *p = xstrdup (path);
  char *slash;

  while ((slash = strrchr (p, '/')) && slash != p)
    {
      struct node *n;
      *slash = '\0';
      if (reg_closure_find (s->closure, p))
        return true;
      n = node_find (s, p);
      if (n && n->type != NODE_DIR)
        return true;
    }
  return false;
}

static int
empty_object (struct reg_store *store, char **digest, reg_error_t *err)
{
  cleanup_close int fd = memfd_create ("reg-empty", MFD_CLOEXEC);
  struct reg_identity id;
  int ret;

  if (fd < 0 || fchmod (fd, 0644) < 0)
    return reg_make_error (err, errno, "empty file for a mount point");
  ret = reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL);
  if (ret < 0)
    return reg_make_error (err, -ret, "empty file for a mount point");
  ret = reg_store_add_file (store, fd, &id, digest, NULL, err);
  if (ret > 0)
    return reg_make_error (err, EPERM, "empty file for a mount point: %s", reg_store_unshared_reason (ret));
  return ret;
}

static int
build_manifest (struct reg_store *store, struct selection *s, struct reg_manifest *m, struct reg_minimal_result *res,
                reg_error_t *err)
{
  cleanup_free char *empty = NULL;
  struct reg_identity root_id;
  int ret;

  if (reg_identity_at (s->rootfd, "", AT_EMPTY_PATH, &root_id, NULL) == 0)
    reg_sources_add (&s->sources, "/", &root_id);

  /* Parents first, so every directory has the image's mode.  */
  for (size_t i = 0; i < s->closure->n; i++)
    add_parents (s, s->closure->entries[i].path);
  for (size_t i = 0, n = s->n_nodes; i < n; i++)
    add_parents (s, s->nodes[i]->path);

  {
    struct reg_env_added added = { 0 };
    /* The closure without the files bind mounts cover.  */
    cleanup_free struct reg_closure_entry *kept = xmalloc0 ((s->closure->n + 1) * sizeof (*kept));
    struct reg_closure view = *s->closure;

    view.entries = kept;
    view.n = 0;
    for (size_t i = 0; i < s->closure->n; i++)
      if (!bind_target (s, s->closure->entries[i].path))
        kept[view.n++] = s->closure->entries[i];
    ret = reg_env_add_closure (store, s->rootfd, &view, true, m, &s->sources, &added, err);
    if (UNLIKELY (ret < 0))
      return ret;
    if (added.helped)
      reg_debug ("REG minimal: a helper process read %zu of the %zu files", added.helped, added.files);
    res->files += added.files;
    res->symlinks += added.symlinks;
    res->unshared += added.unshared;
    res->bytes += added.bytes;
  }

  for (size_t i = 0; i < s->n_nodes; i++)
    {
      struct node *n = s->nodes[i];

      if ((reg_closure_find (s->closure, n->path) && n->type != NODE_EMPTY_FILE) || under_non_dir (s, n->path))
        continue;
      if (n->from_image)
        reg_sources_add (&s->sources, n->path, &n->id);
      if (store == NULL)
        {
          /* Counting only (reg_minimal_measure).  */
          res->dirs += n->type == NODE_DIR;
          res->symlinks += n->type == NODE_SYMLINK;
          res->files += n->type == NODE_EMPTY_FILE;
          continue;
        }
      switch (n->type)
        {
        case NODE_DIR:
          ret = reg_manifest_add_dir (m, n->path, n->id.mode & 07777, n->id.uid, n->id.gid, err);
          res->dirs++;
          break;
        case NODE_SYMLINK:
          ret = reg_manifest_add_symlink (m, n->path, n->target, n->id.uid, n->id.gid, err);
          res->symlinks++;
          break;
        case NODE_EMPTY_FILE:
          ret = empty ? 0 : empty_object (store, &empty, err);
          if (ret == 0)
            ret = reg_manifest_add_file (m, n->path, empty, 0644, geteuid (), getegid (), err);
          res->files++;
          break;
        }
      if (UNLIKELY (ret < 0))
        return ret;
    }

  /* The symlinks at the top of the root whose target is here.  */
  {
    cleanup_close int fd = open_in_root_raw (s->rootfd, "/", O_RDONLY | O_DIRECTORY, 0);
    cleanup_dir DIR *d = NULL;
    struct dirent *de;

    if (fd >= 0 && (d = fdopendir (fd)) != NULL)
      {
        int dfd = steal_fd (&fd);
        while ((de = readdir (d)))
          {
            char target[PATH_MAX];
            cleanup_free char *abs = NULL;
            cleanup_free char *top = NULL;
            struct reg_identity id;
            struct node *t;
            size_t len;
            ssize_t n = readlinkat (dfd, de->d_name, target, sizeof (target) - 1);

            if (n <= 0 || reg_identity_at (dfd, de->d_name, AT_SYMLINK_NOFOLLOW, &id, NULL) < 0)
              continue;
            target[n] = '\0';
            xasprintf (&abs, "%s%s", target[0] == '/' ? "" : "/", target);
            len = strlen (abs);
            while (len > 1 && abs[len - 1] == '/')
              abs[--len] = '\0';
            xasprintf (&top, "/%s", de->d_name);
            t = node_find (s, abs);
            if (t == NULL || t->type != NODE_DIR || node_find (s, top) || reg_closure_find (s->closure, top))
              continue;
            reg_sources_add (&s->sources, top, &id);
            res->symlinks++;
            if (store == NULL)
              continue;
            ret = reg_manifest_add_symlink (m, top, target, id.uid, id.gid, err);
            if (UNLIKELY (ret < 0))
              return ret;
          }
      }
  }
  return 0;
}

void
reg_minimal_result_clear (struct reg_minimal_result *r)
{
  free (r->env_id);
  reg_sources_clear (&r->sources);
  memset (r, 0, sizeof (*r));
}

static void
noop_free (void *p)
{
  (void)p;
}

/* STORE NULL: select and count, write nothing.  */
static int
minimal_build (struct reg_store *store, int rootfd, const oci_config *config, const char *const *profile,
               size_t n_profile, struct reg_minimal_result *res, reg_error_t *err)
{
  struct selection s = { .rootfd = rootfd };
  struct reg_manifest *m = reg_manifest_new ();
  int ret;

  memset (res, 0, sizeof (*res));
  if (config->process == NULL || config->process->args.len == 0)
    {
      reg_manifest_free (m);
      return reg_make_error (err, EINVAL, "REG minimal: no process.args");
    }
  ret = select_nodes (&s, config, profile, n_profile, err);
  if (ret == 0)
    ret = build_manifest (store, &s, m, res, err);
  if (ret == 0 && store)
    ret = reg_store_env_get (store, m, &res->env_id, NULL, err);

  res->sources = s.sources;
  tdestroy (s.tree, noop_free);
  tdestroy (s.visited_dirs, free);
  for (size_t i = 0; i < s.n_nodes; i++)
    {
      free (s.nodes[i]->path);
      free (s.nodes[i]->target);
      free (s.nodes[i]);
    }
  free (s.nodes);
  reg_closure_free (s.closure);
  reg_manifest_free (m);
  if (ret < 0)
    reg_minimal_result_clear (res);
  return ret;
}

int
reg_minimal_build (struct reg_store *store, int rootfd, const oci_config *config, const char *const *profile,
                   size_t n_profile, struct reg_minimal_result *res, reg_error_t *err)
{
  if (store == NULL)
    return reg_make_error (err, EINVAL, "REG minimal: no store");
  return minimal_build (store, rootfd, config, profile, n_profile, res, err);
}

int
reg_minimal_measure (int rootfd, const oci_config *config, const char *const *profile, size_t n_profile,
                     struct reg_minimal_result *res, reg_error_t *err)
{
  return minimal_build (NULL, rootfd, config, profile, n_profile, res, err);
}
