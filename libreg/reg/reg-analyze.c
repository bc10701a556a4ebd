/* libreg: the closure of files an entrypoint needs, computed inside the
 * rootfs without privilege.
 *
 * The search follows glibc's elf/dl-load.c (and musl's ldso/dynlink.c for
 * musl programs): DT_RPATH of the object and its loaders (only when the
 * object has no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache,
 * default directories; glibc-hwcaps subdirectories of each directory.  Where
 * the real loader would pick one of several files depending on the CPU we
 * keep all of them.  Every path is walked component by component inside the
 * root so each symlink met is recorded and none leaves the root.  */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci-spec.h"
#include "reg-analyze.h"
#include "reg-elf.h"
#include "reg-ldcache.h"
#include "utils.h"

/* The kernel reads this much of a file to find "#!" (BINPRM_BUF_SIZE).  */
#define SHEBANG_BUF 256
/* Config files we read (nsswitch.conf, ld.so.conf, musl path file).  */
#define MAX_CONFIG_FILE (1024 * 1024)
#define MAX_CONF_DEPTH 8
#define MAX_KEPT_FDS 16384 /* files a closure keeps open (reg_closure_entry.fd) */

/* A string -> index map (open addressing); keys are owned.  */
struct hmap
{
  char **keys;
  size_t *vals;
  size_t cap, n;
};

struct dirlist
{
  char **dirs;
  size_t n;
};

struct object
{
  char *path;   /* canonical path in the root */
  char *origin; /* $ORIGIN */
  struct reg_elf_info *elf;
  struct object *loader; /* the object that first needed it; NULL for an executable */
};

struct reg_analysis
{
  int rootfd; /* the caller's, not owned */
  char *cwd;
  char *path_env;
  char *ld_library_path;

  struct object **objects;
  size_t n_objects;
  size_t queue;        /* objects before this index have had their needs resolved */
  struct hmap by_path; /* canonical path -> object */
  struct hmap by_name; /* DT_NEEDED name / DT_SONAME -> object */
  struct hmap missing; /* names already searched in vain */
  struct hmap entries; /* closure path -> entry */

  bool cache_tried;
  struct reg_ldcache *cache;
  bool conf_tried;
  struct dirlist conf; /* ld.so.conf directories, when there is no cache */
  bool musl;
  bool musl_tried;
  struct dirlist musl_path;
  char *musl_arch;

  bool extras_done;
  size_t fds_left; /* files the closure may still keep open */
};

/* ---------------------------------------------------------------- hmap */

static size_t
hash_str (const char *s)
{
  size_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static bool
hmap_get (const struct hmap *m, const char *key, size_t *val)
{
  if (m->cap == 0)
    return false;
  for (size_t i = hash_str (key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
    {
      if (m->keys[i] == NULL)
        return false;
      if (strcmp (m->keys[i], key) == 0)
        {
          if (val)
            *val = m->vals[i];
          return true;
        }
    }
}

static void hmap_put (struct hmap *m, const char *key, size_t val);

static void
hmap_grow (struct hmap *m)
{
  struct hmap bigger = { 0 };

  bigger.cap = m->cap ? m->cap * 2 : 64;
  bigger.keys = xmalloc0 (sizeof (char *) * bigger.cap);
  bigger.vals = xmalloc0 (sizeof (size_t) * bigger.cap);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i])
      {
        hmap_put (&bigger, m->keys[i], m->vals[i]);
        free (m->keys[i]);
      }
  free (m->keys);
  free (m->vals);
  *m = bigger;
}

/* Insert KEY -> VAL unless KEY is there already.  */
static void
hmap_put (struct hmap *m, const char *key, size_t val)
{
  size_t i;

  if ((m->n + 1) * 2 > m->cap)
    hmap_grow (m);
  for (i = hash_str (key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
    if (strcmp (m->keys[i], key) == 0)
      return;
  m->keys[i] = xstrdup (key);
  m->vals[i] = val;
  m->n++;
}

static void
hmap_clear (struct hmap *m)
{
  for (size_t i = 0; i < m->cap; i++)
    free (m->keys[i]);
  free (m->keys);
  free (m->vals);
  memset (m, 0, sizeof (*m));
}

/* --------------------------------------------------------------- paths */

static char *
path_join (const char *dir, const char *name)
{
  char *r;
  size_t l = strlen (dir);

  while (l > 0 && dir[l - 1] == '/')
    l--;
  xasprintf (&r, "%.*s/%s", (int)l, dir, name);
  return r;
}

/* DIR made absolute against the container's cwd.  */
static char *
absolute (struct reg_analysis *a, const char *path)
{
  if (path[0] == '/')
    return xstrdup (path);
  if (path[0] == '\0')
    return xstrdup (a->cwd);
  return path_join (a->cwd, path);
}

static char *
dir_name (const char *path)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL)
    return xstrdup (".");
  if (slash == path)
    return xstrdup ("/");
  return xstrndup (path, (size_t)(slash - path));
}

static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? slash + 1 : path;
}

/* ---------------------------------------------------- walking in the root */

struct walk_link
{
  char *path;
  char *target;
  struct reg_identity id;
};

struct walk
{
  char *canon; /* canonical absolute path */
  int fd;      /* the file, O_RDONLY (O_PATH when unreadable) */
  bool readable;
  struct reg_identity id;
  struct walk_link *links;
  size_t n_links;
};

static void
walk_release (struct walk *w)
{
  free (w->canon);
  if (w->fd >= 0)
    close (w->fd);
  for (size_t i = 0; i < w->n_links; i++)
    {
      free (w->links[i].path);
      free (w->links[i].target);
    }
  free (w->links);
  memset (w, 0, sizeof (*w));
  w->fd = -1;
}

static int
reopen_dir (int rootfd, const char *canon, int *dirfd)
{
  int fd = open_in_root_raw (rootfd, canon[0] ? canon : "/", O_PATH | O_DIRECTORY, 0);
  if (fd < 0)
    return fd;
  if (*dirfd >= 0)
    close (*dirfd);
  *dirfd = fd;
  return 0;
}

/* The end of a walk: the regular file NAME of DIRFD into W, at the
   canonical path *CANON (taken).  O_PATH|O_NOFOLLOW first, then a real open
   only of a regular file: if the name was swapped for a device node, a
   FIFO or a symlink since it was looked up, it is never opened (no side
   effect, no blocking).  */
static int
walk_last (int dirfd, const char *name, char **canon, struct walk *w)
{
  cleanup_close int pathfd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int ret;

  if (pathfd < 0)
    return -errno;
  /* The identity of what was opened, not of the name looked up before.  */
  w->fd = reg_identity_reopen (pathfd, &w->id);
  w->readable = w->fd >= 0;
  if (w->fd == -EACCES)
    w->fd = steal_fd (&pathfd);
  if (w->fd < 0)
    {
      ret = w->fd;
      w->fd = -1;
      return ret;
    }
  w->canon = steal_pointer (canon);
  return 0;
}

/* Resolve the absolute PATH inside ROOTFD one component at a time, the way
   the kernel would with the root at ROOTFD: ".." stops at the root, absolute
   symlinks restart from it, at most REG_ANALYZE_MAX_LINKS symlinks.  Every
   symlink met is recorded in W.  Parents are opened O_PATH|O_NOFOLLOW from
   their own parent (or in-root from ROOTFD), never by a host path.  The final
   component must be a regular file.  Returns 0 or -errno.  */
static int
walk_in_root (int rootfd, const char *path, struct walk *w)
{
  cleanup_free char *rest = xstrdup (path);
  cleanup_free char *cur = xstrdup ("");
  cleanup_free char *last = NULL;
  cleanup_close int dirfd = -1;
  size_t pos = 0;
  int links = 0, ret;
  struct reg_identity id;

  memset (w, 0, sizeof (*w));
  w->fd = -1;
  ret = reopen_dir (rootfd, "", &dirfd);
  if (ret < 0)
    return ret;

  for (;;)
    {
      cleanup_free char *comp = NULL;
      size_t end, after;
      bool final;

      while (rest[pos] == '/')
        pos++;
      if (rest[pos] == '\0')
        break;
      for (end = pos; rest[end] && rest[end] != '/'; end++)
        ;
      comp = xstrndup (rest + pos, end - pos);
      for (after = end; rest[after] == '/'; after++)
        ;
      final = rest[after] == '\0';
      pos = end;
      free (last);
      last = NULL;

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *slash = strrchr (cur, '/');
          if (slash)
            *slash = '\0';
          ret = reopen_dir (rootfd, cur, &dirfd);
          if (ret < 0)
            return ret;
          continue;
        }
      if (strlen (comp) > NAME_MAX)
        return -ENAMETOOLONG;
      ret = reg_identity_at (dirfd, comp, AT_SYMLINK_NOFOLLOW, &id, NULL);
      if (ret < 0)
        return ret;

      if (S_ISLNK (id.mode))
        {
          char target[PATH_MAX];
          ssize_t n;
          char *next;

          if (++links > REG_ANALYZE_MAX_LINKS)
            return -ELOOP;
          n = readlinkat (dirfd, comp, target, sizeof (target) - 1);
          if (n < 0)
            return -errno;
          if (n == 0)
            return -ENOENT;
          target[n] = '\0';
          w->links = xrealloc (w->links, sizeof (*w->links) * (w->n_links + 1));
          w->links[w->n_links].path = path_join (cur[0] ? cur : "/", comp);
          w->links[w->n_links].target = xstrdup (target);
          w->links[w->n_links].id = id;
          w->n_links++;

          xasprintf (&next, "%s%s", target, rest + pos);
          free (rest);
          rest = next;
          pos = 0;
          if (target[0] == '/')
            {
              cur[0] = '\0';
              ret = reopen_dir (rootfd, cur, &dirfd);
              if (ret < 0)
                return ret;
            }
          continue;
        }

      {
        char *next = path_join (cur[0] ? cur : "/", comp);
        free (cur);
        cur = next;
      }
      if (!final)
        {
          int fd;
          if (!S_ISDIR (id.mode))
            return -ENOTDIR;
          fd = openat (dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0)
            return -errno;
          close (dirfd);
          dirfd = fd;
          continue;
        }
      last = steal_pointer (&comp);
    }

  if (last == NULL)
    return -EISDIR; /* the path named a directory (or the root) */
  if (S_ISDIR (id.mode))
    return -EISDIR;
  if (!S_ISREG (id.mode))
    return -EINVAL;
  return walk_last (dirfd, last, &cur, w);
}

/* Cheap existence probe before a full walk: most search candidates do not
   exist.  */
static bool
exists_regular (int rootfd, const char *path, bool want_exec)
{
  cleanup_close int fd = open_in_root_raw (rootfd, path, O_PATH, 0);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return false;
  return !want_exec || (st.st_mode & 0111);
}

/* Read a small configuration file of the root.  -errno on failure.  */
static int
read_config_in_root (int rootfd, const char *path, char **out)
{
  /* Never opens a device node or a FIFO planted at PATH.  */
  cleanup_close int fd = open_regular_in_root_raw (rootfd, path, NULL);
  reg_error_t err = NULL;
  int ret;

  if (fd < 0)
    return fd;
  ret = read_all_fd (fd, path, MAX_CONFIG_FILE, out, NULL, &err);
  if (ret < 0)
    {
      reg_debug ("analysis: %s", err->msg);
      reg_error_release (&err);
      return -EIO;
    }
  return 0;
}

/* -------------------------------------------------------------- closure */

static size_t
add_entry (struct reg_closure *c, const char *path, enum reg_closure_kind kind, const char *target, const char *reason,
           bool elf, const struct reg_identity *id)
{
  struct reg_analysis *a = c->priv;
  struct reg_closure_entry *e;
  size_t idx;

  if (hmap_get (&a->entries, path, &idx))
    return idx;
  c->entries = xrealloc (c->entries, sizeof (*c->entries) * (c->n + 1));
  e = &c->entries[c->n];
  memset (e, 0, sizeof (*e));
  e->path = xstrdup (path);
  e->kind = kind;
  e->link_target = xstrdup (target);
  e->reason = xstrdup (reason);
  e->elf = elf;
  e->id = *id;
  e->fd = -1;
  hmap_put (&a->entries, path, c->n);
  return c->n++;
}

/* The walk W into the closure; a new file entry keeps W's fd while the
   budget lasts.  */
static void
commit_walk (struct reg_closure *c, struct walk *w, const char *reason, bool elf)
{
  struct reg_analysis *a = c->priv;
  size_t n, idx;

  for (size_t i = 0; i < w->n_links; i++)
    add_entry (c, w->links[i].path, REG_CLOSURE_SYMLINK, w->links[i].target, "symlink", false, &w->links[i].id);
  n = c->n;
  idx = add_entry (c, w->canon, REG_CLOSURE_FILE, NULL, reason, elf, &w->id);
  if (idx == n && w->readable && a->fds_left > 0)
    {
      c->entries[idx].fd = steal_fd (&w->fd);
      a->fds_left--;
    }
}

static void
add_missing (struct reg_closure *c, const char *name, const char *needed_by)
{
  for (size_t i = 0; i < c->n_missing; i++)
    if (strcmp (c->missing[i].name, name) == 0 && strcmp (c->missing[i].needed_by, needed_by) == 0)
      return;
  if (c->n_missing >= REG_ANALYZE_MAX_MISSING)
    return;
  c->missing = xrealloc (c->missing, sizeof (*c->missing) * (c->n_missing + 1));
  c->missing[c->n_missing].name = xstrdup (name);
  c->missing[c->n_missing].needed_by = xstrdup (needed_by);
  c->n_missing++;
}

const struct reg_closure_entry *
reg_closure_find (const struct reg_closure *c, const char *path)
{
  size_t idx;

  if (c->priv)
    return hmap_get (&c->priv->entries, path, &idx) ? &c->entries[idx] : NULL;
  for (size_t i = 0; i < c->n; i++)
    if (strcmp (c->entries[i].path, path) == 0)
      return &c->entries[i];
  return NULL;
}

/* ------------------------------------------------------------- objects */

static struct object *
chain_root (struct object *o)
{
  for (size_t i = 0; o->loader && i < REG_ANALYZE_MAX_OBJECTS; i++)
    o = o->loader;
  return o;
}

static struct object *
object_by_path (struct reg_analysis *a, const char *path)
{
  size_t idx;
  return hmap_get (&a->by_path, path, &idx) ? a->objects[idx] : NULL;
}

/* Add the ELF object found at REQUESTED (walked into W) unless its file is
   one already.  */
static struct object *
new_object (struct reg_analysis *a, struct walk *w, const char *requested, struct reg_elf_info **elf,
            struct object *loader)
{
  struct object *o;

  o = object_by_path (a, w->canon);
  if (o)
    return o;
  if (a->n_objects >= REG_ANALYZE_MAX_OBJECTS)
    {
      reg_warning ("analysis: more than %d ELF objects, not following `%s`", REG_ANALYZE_MAX_OBJECTS, w->canon);
      return NULL;
    }
  o = xmalloc0 (sizeof (*o));
  o->path = xstrdup (w->canon);
  /* glibc takes $ORIGIN of a library from the name it opened it by, of the
     executable from /proc/self/exe (the canonical path).  */
  o->origin = dir_name (loader ? requested : w->canon);
  o->elf = steal_pointer (elf);
  o->loader = loader;
  a->objects = xrealloc (a->objects, sizeof (*a->objects) * (a->n_objects + 1));
  a->objects[a->n_objects] = o;
  hmap_put (&a->by_path, o->path, a->n_objects);
  a->n_objects++;
  if (o->elf->soname)
    hmap_put (&a->by_name, o->elf->soname, a->n_objects - 1);
  return o;
}

static void
object_free (struct object *o)
{
  free (o->path);
  free (o->origin);
  reg_elf_info_free (o->elf);
  free (o);
}

/* Try PATH as a library for REQUESTER (NULL: an executable): 1 when it is
   an ELF object of the class and machine wanted (WANT NULL: any) and it is
   now in the closure, 0 when absent or unsuitable.  */
static int
try_object (struct reg_closure *c, const char *path, const char *reason, struct object *requester,
            const struct reg_elf_info *want, struct object **found)
{
  struct reg_analysis *a = c->priv;
  __attribute__ ((cleanup (walk_release))) struct walk w = { .fd = -1 };
  struct reg_elf_info *elf = NULL;
  struct object *o;
  reg_error_t err = NULL;
  int ret;

  if (!exists_regular (a->rootfd, path, false))
    return 0;
  ret = walk_in_root (a->rootfd, path, &w);
  if (ret < 0)
    {
      reg_debug ("analysis: `%s`: %s", path, strerror (-ret));
      return 0;
    }
  o = object_by_path (a, w.canon);
  if (o == NULL)
    {
      if (!w.readable)
        {
          reg_debug ("analysis: `%s` is not readable, skipped", path);
          return 0;
        }
      ret = reg_elf_read_fd (w.fd, &elf, &err);
      if (ret < 0)
        {
          reg_debug ("analysis: skipping `%s`: %s", path, err->msg);
          reg_error_release (&err);
          return 0;
        }
    }
  {
    const struct reg_elf_info *info = o ? o->elf : elf;
    if (want && (info->elf_class != want->elf_class || info->machine != want->machine))
      {
        reg_debug ("analysis: skipping `%s`: ELF class %d machine %d, wanted %d/%d", path, info->elf_class,
                   info->machine, want->elf_class, want->machine);
        reg_elf_info_free (elf);
        return 0;
      }
  }
  commit_walk (c, &w, reason, true);
  if (o == NULL)
    o = new_object (a, &w, path, &elf, requester);
  reg_elf_info_free (elf);
  if (found)
    *found = o;
  return 1;
}

/* ------------------------------------------------------- search lists */

static const char *
triplet_for (const struct reg_elf_info *t)
{
  if (t->machine == EM_X86_64)
    return t->elf_class == ELFCLASS64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
  if (t->machine == EM_386)
    return "i386-linux-gnu";
  if (t->machine == EM_AARCH64)
    return "aarch64-linux-gnu";
  return NULL;
}

static const char *
platform_for (const struct reg_elf_info *t)
{
  switch (t->machine)
    {
    case EM_X86_64:
      return "x86_64";
    case EM_386:
      return "i686";
    case EM_AARCH64:
      return "aarch64";
    default:
      return "";
    }
}

static bool
dir_exists (int rootfd, const char *path)
{
  cleanup_close int fd = open_in_root_raw (rootfd, path, O_PATH | O_DIRECTORY, 0);
  return fd >= 0;
}

/* glibc's $LIB: Debian's glibc uses its multiarch slibdir
   ("lib/x86_64-linux-gnu"); elsewhere lib64 for 64-bit, lib otherwise.  */
static char *
lib_for (struct reg_analysis *a, const struct reg_elf_info *t)
{
  const char *triplet = triplet_for (t);
  char *r;

  if (triplet)
    {
      cleanup_free char *d = NULL;
      xasprintf (&d, "/usr/lib/%s", triplet);
      if (dir_exists (a->rootfd, d))
        {
          xasprintf (&r, "lib/%s", triplet);
          return r;
        }
    }
  return xstrdup (t->elf_class == ELFCLASS64 ? "lib64" : "lib");
}

/* Expand $ORIGIN, $LIB and $PLATFORM (also as ${NAME}) in S.  Unknown names
   stay as written, as glibc does.  */
static char *
expand_dst (struct reg_analysis *a, const char *s, const struct object *o, const struct reg_elf_info *target)
{
  size_t cap = strlen (s) + 1, len = 0;
  char *r = xmalloc (cap);
  cleanup_free char *lib = NULL;

  while (*s)
    {
      const char *value = NULL;
      size_t skip = 0;

      if (*s == '$')
        {
          static const char *const names[] = { "ORIGIN", "LIB", "PLATFORM" };
          for (size_t i = 0; i < 3 && value == NULL; i++)
            {
              size_t n = strlen (names[i]);
              bool braced = s[1] == '{' && strncmp (s + 2, names[i], n) == 0 && s[2 + n] == '}';
              bool plain = strncmp (s + 1, names[i], n) == 0 && !(s[1 + n] == '_' || isalnum ((unsigned char)s[1 + n]));
              if (!braced && !plain)
                continue;
              skip = braced ? n + 3 : n + 1;
              if (i == 0)
                value = o ? o->origin : a->cwd;
              else if (i == 1)
                value = lib ? lib : (lib = lib_for (a, target));
              else
                value = platform_for (target);
            }
        }
      if (value == NULL)
        {
          value = s;
          skip = 1;
          if (len + 2 > cap)
            r = xrealloc (r, cap *= 2);
          r[len++] = *s;
          s += skip;
          continue;
        }
      {
        size_t vl = strlen (value);
        while (len + vl + 1 > cap)
          r = xrealloc (r, cap *= 2);
        memcpy (r + len, value, vl);
        len += vl;
        s += skip;
      }
    }
  r[len] = '\0';
  return r;
}

static void
dirlist_free (struct dirlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->dirs[i]);
  free (l->dirs);
  l->dirs = NULL;
  l->n = 0;
}

static void
dirlist_add (struct dirlist *l, char *dir /* owned */)
{
  if (l->n >= REG_ANALYZE_MAX_DIRS)
    {
      free (dir);
      return;
    }
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->dirs[i], dir) == 0)
      {
        free (dir);
        return;
      }
  l->dirs = xrealloc (l->dirs, sizeof (char *) * (l->n + 1));
  l->dirs[l->n++] = dir;
}

/* Split LIST at SEPS, expand DSTs (for object O), make each absolute;
   empty elements mean the current directory.  Bounded by
   REG_ANALYZE_MAX_DIRS distinct directories.  */
static void
dirlist_parse (struct reg_analysis *a, struct dirlist *l, const char *list, const char *seps, const struct object *o,
               const struct reg_elf_info *target)
{
  const char *p = list;

  while (l->n < REG_ANALYZE_MAX_DIRS)
    {
      size_t n = strcspn (p, seps);
      cleanup_free char *item = xstrndup (p, n);
      cleanup_free char *expanded = strchr (item, '$') ? expand_dst (a, item, o, target) : xstrdup (item);

      dirlist_add (l, absolute (a, expanded));
      if (p[n] == '\0')
        break;
      p += n + 1;
    }
}

/* Search DIR for NAME: its glibc-hwcaps subdirectories (all of them: the
   CPU at run time chooses) and DIR itself.  */
static int
search_dir (struct reg_closure *c, const char *dir, const char *name, const char *reason, struct object *requester,
            const struct reg_elf_info *want, bool hwcaps)
{
  struct reg_analysis *a = c->priv;
  int found = 0;

  if (hwcaps)
    {
      cleanup_free char *hdir = path_join (dir, "glibc-hwcaps");
      int fd = open_in_root_raw (a->rootfd, hdir, O_RDONLY | O_DIRECTORY, 0);
      cleanup_dir DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
      struct dirent *de;

      if (fd >= 0 && d == NULL)
        close (fd);
      while (d && (de = readdir (d)))
        {
          cleanup_free char *sub = NULL;
          cleanup_free char *p = NULL;

          if (de->d_name[0] == '.')
            continue;
          sub = path_join (hdir, de->d_name);
          p = path_join (sub, name);
          found |= try_object (c, p, reason, requester, want, NULL);
        }
    }
  {
    cleanup_free char *p = path_join (dir, name);
    found |= try_object (c, p, reason, requester, want, NULL);
  }
  return found;
}

static int
search_list (struct reg_closure *c, const struct dirlist *l, const char *name, const char *reason,
             struct object *requester, const struct reg_elf_info *want, bool hwcaps)
{
  for (size_t i = 0; i < l->n; i++)
    if (search_dir (c, l->dirs[i], name, reason, requester, want, hwcaps))
      return 1;
  return 0;
}

static void
load_cache (struct reg_analysis *a)
{
  reg_error_t err = NULL;

  if (a->cache_tried)
    return;
  a->cache_tried = true;
  if (reg_ldcache_load_in_root (a->rootfd, "/etc/ld.so.cache", &a->cache, &err) < 0)
    {
      reg_debug ("analysis: no usable /etc/ld.so.cache: %s", err->msg);
      reg_error_release (&err);
      a->cache = NULL;
    }
}

static int
cmp_str (const void *x, const void *y)
{
  return strcmp (*(char *const *)x, *(char *const *)y);
}

/* reg_glob_in_root's matches; grown geometrically (a directory of the
   image may hold 100,000 entries).  */
struct matches
{
  char **v;
  size_t n, cap;
};

/* reg_glob_in_root's recursion: PREFIX is matched, REST is still to be.  */
static void
glob_rest (int rootfd, const char *prefix, const char *rest, struct matches *m)
{
  cleanup_free char *comp = NULL;
  const char *slash;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  while (*rest == '/')
    rest++;
  if (*rest == '\0')
    {
      if (m->n < REG_GLOB_MAX_MATCHES)
        {
          if (m->n + 2 > m->cap)
            {
              m->cap = m->cap ? 2 * m->cap : 16;
              m->v = xrealloc (m->v, m->cap * sizeof (char *));
            }
          m->v[m->n++] = xstrdup (*prefix ? prefix : "/");
          m->v[m->n] = NULL;
        }
      return;
    }
  slash = strchr (rest, '/');
  comp = slash ? xstrndup (rest, (size_t)(slash - rest)) : xstrdup (rest);
  if (!strpbrk (comp, "*?["))
    {
      cleanup_free char *next = NULL;
      xasprintf (&next, "%s/%s", prefix, comp);
      glob_rest (rootfd, next, slash ? slash : "", m);
      return;
    }
  fd = open_in_root_raw (rootfd, *prefix ? prefix : "/", O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0)
    return;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0 && fnmatch (comp, de->d_name, FNM_PERIOD) == 0)
      {
        cleanup_free char *next = NULL;
        xasprintf (&next, "%s/%s", prefix, de->d_name);
        glob_rest (rootfd, next, slash ? slash : "", m);
      }
}

void
reg_glob_in_root (int rootfd, const char *pattern, char ***out, size_t *n)
{
  struct matches m = { 0 };

  glob_rest (rootfd, "", pattern, &m);
  if (m.v == NULL)
    m.v = xmalloc0 (sizeof (char *));
  qsort (m.v, m.n, sizeof (char *), cmp_str);
  *out = m.v;
  *n = m.n;
}

/* Files of the root matching PATTERN, sorted, into OUT.  */
static void
glob_in_root (struct reg_analysis *a, const char *pattern, struct dirlist *out)
{
  cleanup_string_array char **m = NULL;
  size_t n;

  reg_glob_in_root (a->rootfd, pattern, &m, &n);
  for (size_t i = 0; i < n; i++)
    dirlist_add (out, steal_pointer (&m[i]));
}

/* ldconfig reads /etc/ld.so.conf; ld.so itself reads only the cache.  Used
   when the root has no cache: the directories ldconfig would have put in
   it (a superset of what ld.so finds without a cache, which is harmless).  */
static void
parse_ld_so_conf (struct reg_analysis *a, const char *path, int depth)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;

  if (depth > MAX_CONF_DEPTH || read_config_in_root (a->rootfd, path, &buf) < 0)
    return;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *hash = strchr (line, '#'), *end;

      if (hash)
        *hash = '\0';
      while (isspace ((unsigned char)*line))
        line++;
      end = line + strlen (line);
      while (end > line && isspace ((unsigned char)end[-1]))
        *--end = '\0';
      if (*line == '\0')
        continue;
      if (strncmp (line, "include", 7) == 0 && isblank ((unsigned char)line[7]))
        {
          char *pat, *save2 = NULL;
          for (pat = strtok_r (line + 8, " \t", &save2); pat; pat = strtok_r (NULL, " \t", &save2))
            {
              cleanup_free char *dir = dir_name (path);
              cleanup_free char *abs = pat[0] == '/' ? xstrdup (pat) : path_join (dir, pat);
              struct dirlist files = { 0 };

              glob_in_root (a, abs, &files);
              for (size_t i = 0; i < files.n; i++)
                parse_ld_so_conf (a, files.dirs[i], depth + 1);
              dirlist_free (&files);
            }
          continue;
        }
      if (strncasecmp (line, "hwcap", 5) == 0 && isblank ((unsigned char)line[5]))
        continue;
      /* Old "DIR=TYPE" lines: the type does not matter here.  */
      if ((end = strchr (line, '=')))
        *end = '\0';
      if (line[0] == '/')
        dirlist_add (&a->conf, xstrdup (line));
    }
}

static void
load_conf (struct reg_analysis *a)
{
  if (a->conf_tried)
    return;
  a->conf_tried = true;
  parse_ld_so_conf (a, "/etc/ld.so.conf", 0);
}

/* musl: /etc/ld-musl-ARCH.path, or its built-in default.  */
static void
load_musl_path (struct reg_analysis *a)
{
  cleanup_free char *file = NULL;
  cleanup_free char *buf = NULL;
  const char *list = "/lib:/usr/local/lib:/usr/lib";
  char *tok, *save = NULL;
  cleanup_free char *copy = NULL;

  if (a->musl_tried)
    return;
  a->musl_tried = true;
  xasprintf (&file, "/etc/ld-musl-%s.path", a->musl_arch ? a->musl_arch : "");
  if (read_config_in_root (a->rootfd, file, &buf) == 0)
    list = buf;
  copy = xstrdup (list);
  for (tok = strtok_r (copy, ":\n", &save); tok; tok = strtok_r (NULL, ":\n", &save))
    if (tok[0] == '/')
      dirlist_add (&a->musl_path, xstrdup (tok));
}

/* musl resolves these names to itself (ldso/dynlink.c, "reserved").  */
static bool
musl_reserved (const char *name)
{
  static const char *const reserved[] = { "c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet." };

  if (strncmp (name, "lib", 3) != 0)
    return false;
  for (size_t i = 0; i < sizeof (reserved) / sizeof (reserved[0]); i++)
    if (strncmp (name + 3, reserved[i], strlen (reserved[i])) == 0)
      return true;
  return false;
}

static void
default_dirs (const struct reg_elf_info *want, struct dirlist *l)
{
  const char *triplet = triplet_for (want);
  char *d;

  if (triplet)
    {
      xasprintf (&d, "/lib/%s", triplet);
      dirlist_add (l, d);
      xasprintf (&d, "/usr/lib/%s", triplet);
      dirlist_add (l, d);
    }
  if (want->elf_class == ELFCLASS64)
    {
      dirlist_add (l, xstrdup ("/lib64"));
      dirlist_add (l, xstrdup ("/usr/lib64"));
    }
  dirlist_add (l, xstrdup ("/lib"));
  dirlist_add (l, xstrdup ("/usr/lib"));
}

/* Parse LIST into a fresh list and search it.  */
static int
search_string (struct reg_closure *c, const char *list, const char *seps, const struct object *origin_of,
               const char *name, const char *reason, struct object *requester, const struct reg_elf_info *want,
               bool hwcaps)
{
  struct dirlist l = { 0 };
  int r;

  dirlist_parse (c->priv, &l, list, seps, origin_of, want);
  r = search_list (c, &l, name, reason, requester, want, hwcaps);
  dirlist_free (&l);
  return r;
}

/* Find NAME, needed by REQUESTER, as its loader would; add what is found
   (with REASON) to the closure.  1 when found.  */
static int
find_library (struct reg_closure *c, const char *name, struct object *requester, const char *reason)
{
  struct reg_analysis *a = c->priv;
  struct object *root = chain_root (requester);
  const struct reg_elf_info *want = root->elf;
  size_t depth = 0;

  if (strchr (name, '/'))
    {
      cleanup_free char *abs = absolute (a, name);
      return try_object (c, abs, reason, requester, want, NULL);
    }

  if (a->musl)
    {
      if (musl_reserved (name))
        return 1;
      if (a->ld_library_path
          && search_string (c, a->ld_library_path, ":\n", root, name, reason, requester, want, false))
        return 1;
      /* musl takes DT_RUNPATH or DT_RPATH alike, of the object and its loaders.  */
      for (struct object *o = requester; o && depth < REG_ANALYZE_MAX_OBJECTS; o = o->loader, depth++)
        {
          const char *rp = o->elf->runpath ? o->elf->runpath : o->elf->rpath;
          if (rp && search_string (c, rp, ":", o, name, reason, requester, want, false))
            return 1;
        }
      load_musl_path (a);
      return search_list (c, &a->musl_path, name, reason, requester, want, false);
    }

  /* glibc: DT_RPATH of the object and up its loaders, unless the object has
     DT_RUNPATH; an object with DT_RUNPATH has its DT_RPATH ignored.  */
  if (requester->elf->runpath == NULL)
    for (struct object *o = requester; o && depth < REG_ANALYZE_MAX_OBJECTS; o = o->loader, depth++)
      if (o->elf->rpath && o->elf->runpath == NULL
          && search_string (c, o->elf->rpath, ":", o, name, reason, requester, want, true))
        return 1;
  if (a->ld_library_path && search_string (c, a->ld_library_path, ":;", root, name, reason, requester, want, true))
    return 1;
  if (requester->elf->runpath
      && search_string (c, requester->elf->runpath, ":", requester, name, reason, requester, want, true))
    return 1;
  if (requester->elf->flags_1 & DF_1_NODEFLIB)
    return 0;

  load_cache (a);
  if (a->cache)
    {
      cleanup_free struct reg_ldcache_hit *hits = NULL;
      size_t n = 0;
      int found = 0;

      reg_ldcache_lookup (a->cache, name, reg_ldcache_flags_for (want->elf_class, want->machine), &hits, &n);
      for (size_t i = 0; i < n; i++)
        found |= try_object (c, hits[i].path, reason, requester, want, NULL);
      if (found)
        return 1;
    }
  else
    {
      load_conf (a);
      if (search_list (c, &a->conf, name, reason, requester, want, true))
        return 1;
    }
  {
    struct dirlist l = { 0 };
    int r;

    default_dirs (want, &l);
    r = search_list (c, &l, name, reason, requester, want, true);
    dirlist_free (&l);
    return r;
  }
}

static bool
chain_has_paths (struct object *o)
{
  for (size_t i = 0; o && i < REG_ANALYZE_MAX_OBJECTS; o = o->loader, i++)
    if (o->elf->rpath || o->elf->runpath)
      return true;
  return false;
}

/* Resolve the DT_NEEDED of every object not yet done, breadth first as
   glibc does; a name already loaded is not searched again (so cycles end).  */
static void
process_queue (struct reg_closure *c)
{
  struct reg_analysis *a = c->priv;

  while (a->queue < a->n_objects)
    {
      struct object *o = a->objects[a->queue++];
      cleanup_free char *reason = NULL;
      bool cacheable = !chain_has_paths (o);

      xasprintf (&reason, "needed by %s", o->path);
      for (size_t i = 0; i < o->elf->n_needed; i++)
        {
          const char *name = o->elf->needed[i];

          if (hmap_get (&a->by_name, name, NULL))
            continue;
          /* A name not found is searched again only when this object's
             loader chain has its own search paths.  */
          if (cacheable && hmap_get (&a->missing, name, NULL))
            {
              add_missing (c, name, o->path);
              continue;
            }
          if (find_library (c, name, o, reason))
            hmap_put (&a->by_name, name, 0);
          else
            {
              if (cacheable)
                hmap_put (&a->missing, name, 0);
              add_missing (c, name, o->path);
            }
        }
    }
}

/* Add a file that is not loaded as code (a configuration file).  */
static void
add_plain_file (struct reg_closure *c, const char *path, const char *reason)
{
  __attribute__ ((cleanup (walk_release))) struct walk w = { .fd = -1 };

  if (walk_in_root (c->priv->rootfd, path, &w) == 0)
    commit_walk (c, &w, reason, false);
}

/* NSS services named in nsswitch.conf ("files", "dns", "systemd" ...).  */
static void
nss_services (struct reg_analysis *a, struct dirlist *out)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;

  if (read_config_in_root (a->rootfd, "/etc/nsswitch.conf", &buf) < 0)
    {
      /* glibc's defaults without the file.  */
      dirlist_add (out, xstrdup ("files"));
      dirlist_add (out, xstrdup ("dns"));
      return;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *p = strchr (line, '#');
      bool in_action = false;

      if (p)
        *p = '\0';
      p = strchr (line, ':');
      if (p == NULL)
        continue;
      for (p++; *p;)
        {
          size_t n;
          if (isspace ((unsigned char)*p))
            {
              p++;
              continue;
            }
          if (*p == '[')
            in_action = true;
          if (in_action)
            {
              if (*p == ']')
                in_action = false;
              p++;
              continue;
            }
          for (n = 0; p[n] && (isalnum ((unsigned char)p[n]) || p[n] == '_' || p[n] == '-'); n++)
            ;
          if (n == 0)
            {
              p++;
              continue;
            }
          dirlist_add (out, xstrndup (p, n));
          p += n;
        }
    }
}

/* The gconv modules we keep besides the configuration: the Unicode ones
   (UTF-8, ASCII, ISO-8859-1 and UCS-4 are built into libc).  A Debian
   gconv directory holds ~250 modules, 8 MiB, nearly all legacy charsets; a
   program that needs one lists it in run.reg.include.  */
static const char *const gconv_modules[] = { "UTF-16.so", "UTF-32.so", "UTF-7.so", "UNICODE.so" };

static void
add_gconv (struct reg_closure *c, struct object *libc)
{
  struct reg_analysis *a = c->priv;
  cleanup_free char *libdir = dir_name (libc->path);
  cleanup_free char *dir = path_join (libdir, "gconv");
  cleanup_free char *pattern = NULL;
  struct dirlist confs = { 0 };
  static const char *const files[] = { "gconv-modules", "gconv-modules.cache" };

  if (!dir_exists (a->rootfd, dir))
    return;
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *p = path_join (dir, files[i]);
      add_plain_file (c, p, "gconv");
    }
  pattern = path_join (dir, "gconv-modules.d/*.conf");
  glob_in_root (a, pattern, &confs);
  for (size_t i = 0; i < confs.n; i++)
    add_plain_file (c, confs.dirs[i], "gconv");
  dirlist_free (&confs);
  for (size_t i = 0; i < sizeof (gconv_modules) / sizeof (gconv_modules[0]); i++)
    {
      cleanup_free char *p = path_join (dir, gconv_modules[i]);
      try_object (c, p, "gconv", libc, chain_root (libc)->elf, NULL);
    }
}

/* What glibc loads at run time without a DT_NEEDED.  */
static void
glibc_extras (struct reg_closure *c)
{
  struct reg_analysis *a = c->priv;
  struct object *libc = NULL;
  struct dirlist services = { 0 };

  for (size_t i = 0; i < a->n_objects && libc == NULL; i++)
    if (a->objects[i]->elf->soname && strcmp (a->objects[i]->elf->soname, "libc.so.6") == 0)
      libc = a->objects[i];
  if (libc == NULL)
    return;
  c->glibc = true;
  if (a->extras_done)
    return;
  a->extras_done = true;

  /* NSS modules: "files" and "dns" are inside libc since glibc 2.34, so a
     module is taken only when the root has it.  */
  nss_services (a, &services);
  for (size_t i = 0; i < services.n; i++)
    {
      cleanup_free char *lib = NULL;
      xasprintf (&lib, "libnss_%s.so.2", services.dirs[i]);
      if (hmap_get (&a->by_name, lib, NULL))
        continue;
      if (find_library (c, lib, libc, "nss"))
        hmap_put (&a->by_name, lib, 0);
      else
        reg_debug ("analysis: NSS module %s not in the root", lib);
    }
  dirlist_free (&services);

  /* pthread_cancel and pthread_exit dlopen libgcc_s for unwinding.  */
  if (!hmap_get (&a->by_name, "libgcc_s.so.1", NULL) && find_library (c, "libgcc_s.so.1", libc, "libgcc_s"))
    hmap_put (&a->by_name, "libgcc_s.so.1", 0);

  add_gconv (c, libc);
  process_queue (c);
}

static void
finish (struct reg_closure *c)
{
  process_queue (c);
  glibc_extras (c);
  c->musl = c->priv->musl;
}

/* ------------------------------------------------------------ programs */

static int add_program (struct reg_closure *c, const char *path, const char *reason, int depth);
static int resolve_command (struct reg_closure *c, const char *name, const char *reason, int depth,
                            const char *needed_by);

static void
handle_interp (struct reg_closure *c, struct object *exe)
{
  struct reg_analysis *a = c->priv;
  const char *interp = exe->elf->interp;
  const char *base = base_name (interp);
  struct object *io = NULL;
  cleanup_free char *abs = absolute (a, interp);

  if (has_prefix (base, "ld-musl-"))
    {
      const char *arch = base + strlen ("ld-musl-");
      const char *dot = strstr (arch, ".so");
      a->musl = true;
      if (a->musl_arch == NULL)
        a->musl_arch = xstrndup (arch, dot ? (size_t)(dot - arch) : strlen (arch));
    }
  if (try_object (c, abs, "interpreter", NULL, exe->elf, &io) && io)
    {
      /* libc names the loader in its DT_NEEDED: it is already loaded.  */
      hmap_put (&a->by_name, base, 0);
      if (io->elf->soname)
        hmap_put (&a->by_name, io->elf->soname, 0);
    }
  else
    add_missing (c, interp, exe->path);
}

/* The program interpreter named by a "#!" line, and for `/usr/bin/env NAME`
   the program NAME.  */
static void
handle_shebang (struct reg_closure *c, const char *script, const char *head, size_t len, int depth)
{
  cleanup_free char *line = NULL;
  char *p, *interp, *arg;
  size_t n;

  for (n = 2; n < len && head[n] != '\n'; n++)
    ;
  line = xstrndup (head + 2, n - 2);
  for (p = line; *p == ' ' || *p == '\t'; p++)
    ;
  interp = p;
  while (*p && *p != ' ' && *p != '\t')
    p++;
  if (*p)
    *p++ = '\0';
  while (*p == ' ' || *p == '\t')
    p++;
  arg = p;
  n = strlen (arg);
  while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t' || arg[n - 1] == '\r'))
    arg[--n] = '\0';
  if (*interp == '\0')
    return;

  /* The kernel opens the interpreter by its path (relative: from the cwd),
     never through PATH.  */
  {
    cleanup_free char *abs = absolute (c->priv, interp);
    if (add_program (c, abs, "shebang", depth + 1) < 0)
      {
        add_missing (c, interp, script);
        return;
      }
  }
  if (strcmp (base_name (interp), "env") == 0 && *arg)
    {
      char *tok, *save = NULL;
      bool skip_next = false;

      /* env [-S] [-i] [-u NAME] [-C DIR] [VAR=VALUE]... NAME [ARGS] */
      for (tok = strtok_r (arg, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save))
        {
          if (skip_next)
            {
              skip_next = false;
              continue;
            }
          if (tok[0] == '-')
            {
              skip_next = strcmp (tok, "-u") == 0 || strcmp (tok, "-C") == 0;
              continue;
            }
          if (strchr (tok, '='))
            continue;
          resolve_command (c, tok, "shebang", depth + 1, script);
          break;
        }
    }
}

/* The program walked into W (requested as PATH) and what it needs.  */
static void
add_walked (struct reg_closure *c, struct walk *w, const char *path, const char *reason, int depth)
{
  struct reg_analysis *a = c->priv;
  char head[SHEBANG_BUF] = { 0 };
  ssize_t len = 0;

  if (w->readable)
    len = pread (w->fd, head, sizeof (head), 0);
  if (len < 0)
    len = 0;

  if (reg_elf_has_magic (head, (size_t)len))
    {
      struct object *o = object_by_path (a, w->canon);
      struct reg_elf_info *elf = NULL;
      reg_error_t err = NULL;

      if (o == NULL && reg_elf_read_fd (w->fd, &elf, &err) < 0)
        {
          reg_debug ("analysis: `%s`: %s", path, err->msg);
          reg_error_release (&err);
          commit_walk (c, w, reason, false);
          return;
        }
      commit_walk (c, w, reason, true);
      if (o == NULL)
        {
          o = new_object (a, w, path, &elf, NULL);
          reg_elf_info_free (elf);
          if (o && o->elf->interp)
            handle_interp (c, o);
        }
      return;
    }
  commit_walk (c, w, reason, false);
  if (len >= 2 && head[0] == '#' && head[1] == '!')
    {
      if (depth >= REG_ANALYZE_MAX_SHEBANG)
        reg_debug ("analysis: `%s`: more than %d nested interpreters", path, REG_ANALYZE_MAX_SHEBANG);
      else
        handle_shebang (c, w->canon, head, (size_t)len, depth);
    }
}

/* Add the program at the absolute PATH and what it needs.  -errno when the
   file cannot be resolved.  */
static int
add_program (struct reg_closure *c, const char *path, const char *reason, int depth)
{
  __attribute__ ((cleanup (walk_release))) struct walk w = { .fd = -1 };
  int ret;

  ret = walk_in_root (c->priv->rootfd, path, &w);
  if (ret < 0)
    return ret;
  add_walked (c, &w, path, reason, depth);
  return 0;
}

int
reg_find_program (int rootfd, const char *name, const char *path_env, const char *cwd, char **path)
{
  const char *p = path_env ? path_env : OCI_DEFAULT_PATH;

  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  *path = NULL;
  if (*name == '\0')
    return -ENOENT;
  if (strchr (name, '/'))
    {
      *path = name[0] == '/' ? xstrdup (name) : path_join (cwd, name);
      return exists_regular (rootfd, *path, false) ? 0 : -ENOENT;
    }
  for (;;)
    {
      size_t n = strcspn (p, ":");
      cleanup_free char *dir = xstrndup (p, n);
      /* An empty or relative entry is relative to the working directory,
         as for execvp.  */
      cleanup_free char *absdir = dir[0] == '/' ? xstrdup (dir) : (*dir ? path_join (cwd, dir) : xstrdup (cwd));
      char *cand = path_join (absdir, name);

      if (exists_regular (rootfd, cand, true))
        {
          *path = cand;
          return 0;
        }
      free (cand);
      if (p[n] == '\0')
        break;
      p += n + 1;
    }
  return -ENOENT;
}

/* NAME as execvp finds it (reg_find_program).  A program not found is
   recorded as missing (needed by NEEDED_BY).  */
static int
resolve_command (struct reg_closure *c, const char *name, const char *reason, int depth, const char *needed_by)
{
  struct reg_analysis *a = c->priv;
  cleanup_free char *path = NULL;

  if (reg_find_program (a->rootfd, name, a->path_env, a->cwd, &path) == 0 && add_program (c, path, reason, depth) == 0)
    return 0;
  add_missing (c, name, needed_by);
  return -ENOENT;
}

/* ------------------------------------------------------------- public */

static struct reg_analysis *
analysis_new (int rootfd, const char *const *env, const char *cwd)
{
  struct reg_analysis *a = xmalloc0 (sizeof (*a));
  const char *path = oci_env_get (env, "PATH");
  const char *llp = oci_env_get (env, "LD_LIBRARY_PATH");
  struct rlimit nofile;

  a->rootfd = rootfd;
  /* Half the fd limit: the store's tables and the rest of a create share
     the other half.  */
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0)
    a->fds_left
        = nofile.rlim_cur == RLIM_INFINITY || nofile.rlim_cur / 2 > MAX_KEPT_FDS ? MAX_KEPT_FDS : nofile.rlim_cur / 2;
  if (cwd == NULL || *cwd == '\0')
    a->cwd = xstrdup ("/");
  else if (cwd[0] != '/')
    xasprintf (&a->cwd, "/%s", cwd);
  else
    a->cwd = xstrdup (cwd);
  a->path_env = xstrdup (path ? path : OCI_DEFAULT_PATH);
  a->ld_library_path = llp && *llp ? xstrdup (llp) : NULL;
  return a;
}

static void
analysis_free (struct reg_analysis *a)
{
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->n_objects; i++)
    object_free (a->objects[i]);
  free (a->objects);
  hmap_clear (&a->by_path);
  hmap_clear (&a->by_name);
  hmap_clear (&a->missing);
  hmap_clear (&a->entries);
  reg_ldcache_free (a->cache);
  dirlist_free (&a->conf);
  dirlist_free (&a->musl_path);
  free (a->musl_arch);
  free (a->cwd);
  free (a->path_env);
  free (a->ld_library_path);
  free (a);
}

static int
check_root (int rootfd, reg_error_t *err)
{
  cleanup_close int fd = open_in_root_raw (rootfd, "/", O_PATH | O_DIRECTORY, 0);
  if (fd < 0)
    return reg_make_error (err, -fd, "the rootfs is not a directory");
  return 0;
}

int
reg_analyze (int rootfd, const char *const *argv, const char *const *env, const char *cwd, struct reg_closure **out,
             reg_error_t *err)
{
  struct reg_closure *c;
  int ret;

  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
    return reg_make_error (err, EINVAL, "process.args is empty");
  ret = check_root (rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  c = xmalloc0 (sizeof (*c));
  c->priv = analysis_new (rootfd, env, cwd);
  resolve_command (c, argv[0], "entrypoint", 0, "process.args");
  finish (c);
  *out = c;
  return 0;
}

/* C, to be added to from ROOTFD.  */
static void
closure_begin (int rootfd, struct reg_closure *c)
{
  if (c->priv == NULL)
    {
      c->priv = analysis_new (rootfd, NULL, NULL);
      for (size_t i = 0; i < c->n; i++)
        hmap_put (&c->priv->entries, c->entries[i].path, i);
    }
  c->priv->rootfd = rootfd;
}

int
reg_closure_add_path (int rootfd, struct reg_closure *c, const char *path, const char *reason, reg_error_t *err)
{
  cleanup_free char *abs = NULL;
  int ret;

  ret = check_root (rootfd, err);
  if (UNLIKELY (ret < 0))
    return ret;
  closure_begin (rootfd, c);
  abs = absolute (c->priv, path);
  ret = add_program (c, abs, reason, 0);
  if (ret < 0)
    return reg_make_error (err, -ret, "`%s` in the rootfs", path);
  finish (c);
  return 0;
}

int
reg_closure_add_file_at (int rootfd, struct reg_closure *c, int dirfd, const char *name, const char *canon,
                         const char *reason, reg_error_t *err)
{
  __attribute__ ((cleanup (walk_release))) struct walk w = { .fd = -1 };
  cleanup_free char *path = xstrdup (canon);
  int ret;

  closure_begin (rootfd, c);
  ret = walk_last (dirfd, name, &path, &w);
  if (ret < 0)
    return reg_make_error (err, -ret, "`%s` in the rootfs", canon);
  add_walked (c, &w, canon, reason, 0);
  finish (c);
  return 0;
}

void
reg_closure_free (struct reg_closure *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n; i++)
    {
      if (c->entries[i].fd >= 0)
        close (c->entries[i].fd);
      free (c->entries[i].path);
      free (c->entries[i].link_target);
      free (c->entries[i].reason);
    }
  free (c->entries);
  for (size_t i = 0; i < c->n_missing; i++)
    {
      free (c->missing[i].name);
      free (c->missing[i].needed_by);
    }
  free (c->missing);
  analysis_free (c->priv);
  free (c);
}
