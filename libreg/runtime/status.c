/* libreg: the state directory (see status.h).  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "status.h"
#include "cgroup.h"
#include "json-gen.h"
#include "utils.h"

/* An error whose text is exactly what clients match ("does not exist"),
   without strerror, that still carries STATUS for callers.  */
static int
plain_error (reg_error_t *err, int status, const char *fmt, const char *id)
{
  reg_make_error (err, 0, fmt, id);
  if (err && *err)
    (*err)->status = status;
  return -status;
}

static bool
id_char_ok (char c, bool first)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return !first && (c == '_' || c == '.' || c == '+' || c == '-');
}

/* An invalid id as a message shows it: whatever the caller passed, one
   line of bounded length (its first 64 bytes, then "..."), every byte that
   is not printable ASCII as \xNN (a newline or a terminal escape must not
   reach the terminal or the log).  */
static char *
shown_id (const char *id, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t n = len < 64 ? len : 64;
  char *out = xmalloc (n * 4 + 4), *o = out;

  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char)id[i];
      if (c < 0x20 || c >= 0x7f || c == '\\')
        {
          *o++ = '\\';
          *o++ = 'x';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 0xf];
        }
      else
        *o++ = (char)c;
    }
  if (n < len)
    o = stpcpy (o, "...");
  *o = '\0';
  return out;
}

int
runtime_status_validate_id (const char *id, reg_error_t *err)
{
  size_t len = id ? strlen (id) : 0;
  cleanup_free char *shown = NULL;
  cleanup_free char *msg = NULL;
  size_t i = 0;

  if (len == 0)
    return plain_error (err, EINVAL, "invalid container id \"%s\": empty", "");
  while (i < len && id_char_ok (id[i], i == 0))
    i++;
  if (i == len && len <= RUNTIME_ID_MAX)
    return 0;
  shown = shown_id (id, len);
  if (len > RUNTIME_ID_MAX)
    xasprintf (&msg, "invalid container id \"%s\": %zu bytes, more than %d (the name of its state directory)", shown,
               len, RUNTIME_ID_MAX);
  else
    xasprintf (&msg, "invalid container id \"%s\": only letters, digits and `_.+-`, first a letter or a digit", shown);
  return plain_error (err, EINVAL, "%s", msg);
}

static int
lock_dir (int dirfd, const char *id, bool shared, reg_error_t *err)
{
  struct stat st;

  if (TEMP_FAILURE_RETRY_INT (flock (dirfd, shared ? LOCK_SH : LOCK_EX)) < 0)
    return reg_make_error (err, errno, "lock container \"%s\"", id);
  /* A delete that held the lock before us removed the directory.  */
  if (fstat (dirfd, &st) < 0)
    return reg_make_error (err, errno, "stat container \"%s\"", id);
  if (st.st_nlink == 0)
    return plain_error (err, ENOENT, "container \"%s\" does not exist", id);
  return 0;
}

int
runtime_status_create_dir (const char *root, const char *id, int *dirfd, reg_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int fd = -1;
  int ret;

  ret = runtime_status_validate_id (id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 && errno == ENOENT)
    {
      ret = mkdir_p_at (AT_FDCWD, root, 0700, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "state directory");
      rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
  if (rootfd < 0)
    return reg_make_error (err, errno, "open state directory `%s`", root);
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return plain_error (err, EEXIST, "container \"%s\" already exists", id);
      return reg_make_error (err, errno, "mkdir `%s/%s`", root, id);
    }
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      ret = reg_make_error (err, errno, "open `%s/%s`", root, id);
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return ret;
    }
  ret = lock_dir (fd, id, false, err);
  if (UNLIKELY (ret < 0))
    return ret;
  *dirfd = steal_fd (&fd);
  return 0;
}

int
runtime_status_open (const char *root, const char *id, bool shared, int *dirfd, reg_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  int ret;

  ret = runtime_status_validate_id (id, err);
  if (UNLIKELY (ret < 0))
    return ret;
  xasprintf (&path, "%s/%s", root, id);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return plain_error (err, ENOENT, "container \"%s\" does not exist", id);
      return reg_make_error (err, errno, "open `%s`", path);
    }
  ret = lock_dir (fd, id, shared, err);
  if (UNLIKELY (ret < 0))
    return ret;
  *dirfd = steal_fd (&fd);
  return 0;
}

int
runtime_status_remove_dir (const char *root, const char *id, reg_error_t *err)
{
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return reg_make_error (err, errno, "open state directory `%s`", root);
  return remove_tree_at (rootfd, id, err);
}

/* K and V, nothing when V is NULL (a field the state leaves out).  */
static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  if (v)
    oci_gen_key_str (g, k, v);
}

static void
gen_hooks (yajl_gen g, const char *key, const oci_hooks_list *l)
{
  if (l->len == 0)
    return;
  oci_gen_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < l->len; i++)
    {
      const oci_hook *h = &l->items[i];
      yajl_gen_map_open (g);
      gen_kv (g, "path", h->path);
      oci_gen_key_strv (g, "args", (const char *const *)h->args.items);
      oci_gen_key_strv (g, "env", (const char *const *)h->env.items);
      if (h->has_timeout)
        {
          oci_gen_str (g, "timeout");
          yajl_gen_integer (g, h->timeout);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

char *
runtime_status_to_json (const struct runtime_status *st, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t blen;
  char *out;

  yajl_gen_map_open (g);
  gen_kv (g, "id", st->id);
  oci_gen_str (g, "pid");
  yajl_gen_integer (g, st->pid);
  oci_gen_str (g, "pid_start");
  yajl_gen_integer (g, (long long)st->pid_start);
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  gen_kv (g, "owner", st->owner);
  gen_kv (g, "reg_mode", st->reg_mode);
  gen_kv (g, "reg_env", st->reg_env);
  gen_kv (g, "host_root", st->host_root);
  if (st->cgroup_paths)
    oci_gen_key_strv (g, "cgroup_paths", (const char *const *)st->cgroup_paths);
  if (st->cgroup_unit)
    gen_kv (g, "cgroup_unit", st->cgroup_unit);
  if (st->no_process)
    {
      oci_gen_str (g, "no_process");
      yajl_gen_bool (g, 1);
    }
  oci_gen_str (g, "annotations");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < st->annotations.len; i++)
    gen_kv (g, st->annotations.items[i].key, st->annotations.items[i].value);
  yajl_gen_map_close (g);
  gen_hooks (g, "poststart", &st->poststart);
  gen_hooks (g, "poststop", &st->poststop);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &blen);
  out = xstrndup ((const char *)buf, blen);
  if (len)
    *len = blen;
  yajl_gen_free (g);
  return out;
}

static const char *
tree_str (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val s = yajl_tree_get (v, path, yajl_t_string);
  return s ? YAJL_GET_STRING (s) : NULL;
}

static char *
tree_strdup (yajl_val v, const char *key)
{
  return xstrdup (tree_str (v, key));
}

static long long
tree_int (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val n = yajl_tree_get (v, path, yajl_t_number);
  return n && YAJL_IS_INTEGER (n) ? YAJL_GET_INTEGER (n) : 0;
}

static void
tree_strv (yajl_val v, const char *key, oci_strv *out)
{
  const char *path[] = { key, NULL };
  yajl_val a = yajl_tree_get (v, path, yajl_t_array);
  size_t n = a ? YAJL_GET_ARRAY (a)->len : 0;

  out->items = xmalloc0 ((n + 1) * sizeof (char *));
  out->len = 0;
  for (size_t i = 0; i < n; i++)
    if (YAJL_IS_STRING (YAJL_GET_ARRAY (a)->values[i]))
      out->items[out->len++] = xstrdup (YAJL_GET_STRING (YAJL_GET_ARRAY (a)->values[i]));
}

static void
tree_hooks (yajl_val root, const char *key, oci_hooks_list *out)
{
  const char *path[] = { key, NULL };
  yajl_val hooks = yajl_tree_get (root, path, yajl_t_array);
  size_t n = hooks ? YAJL_GET_ARRAY (hooks)->len : 0;

  if (n == 0)
    return;
  out->items = xmalloc0 ((n + 1) * sizeof (oci_hook));
  for (size_t i = 0; i < n; i++)
    {
      yajl_val h = YAJL_GET_ARRAY (hooks)->values[i];
      oci_hook *o = &out->items[out->len];
      if (tree_str (h, "path") == NULL)
        continue;
      o->path = tree_strdup (h, "path");
      tree_strv (h, "args", &o->args);
      tree_strv (h, "env", &o->env);
      o->timeout = tree_int (h, "timeout");
      o->has_timeout = o->timeout > 0;
      out->len++;
    }
}

int
runtime_status_from_json (const char *data, const char *id, struct runtime_status *st, reg_error_t *err)
{
  char ebuf[256];
  yajl_val root = yajl_tree_parse (data, ebuf, sizeof (ebuf));
  const char *ann_path[] = { "annotations", NULL };
  yajl_val ann;
  oci_strv cg;

  memset (st, 0, sizeof (*st));
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      if (root)
        yajl_tree_free (root);
      return reg_make_error (err, EINVAL, "container \"%s\": corrupt %s", id, RUNTIME_STATUS_FILE);
    }
  st->id = tree_strdup (root, "id");
  st->pid = (pid_t)tree_int (root, "pid");
  st->pid_start = (unsigned long long)tree_int (root, "pid_start");
  st->bundle = tree_strdup (root, "bundle");
  st->rootfs = tree_strdup (root, "rootfs");
  st->created = tree_strdup (root, "created");
  st->owner = tree_strdup (root, "owner");
  st->reg_mode = tree_strdup (root, "reg_mode");
  st->reg_env = tree_strdup (root, "reg_env");
  st->host_root = tree_strdup (root, "host_root");
  st->cgroup_unit = tree_strdup (root, "cgroup_unit");
  {
    const char *np[] = { "no_process", NULL };
    st->no_process = yajl_tree_get (root, np, yajl_t_true) != NULL;
  }
  tree_strv (root, "cgroup_paths", &cg);
  st->cgroup_paths = cg.items;
  ann = yajl_tree_get (root, ann_path, yajl_t_object);
  if (ann)
    {
      size_t n = YAJL_GET_OBJECT (ann)->len;
      st->annotations.items = xmalloc0 ((n + 1) * sizeof (oci_kv));
      for (size_t i = 0; i < n; i++)
        {
          yajl_val v = YAJL_GET_OBJECT (ann)->values[i];
          if (!YAJL_IS_STRING (v))
            continue;
          st->annotations.items[st->annotations.len].key = xstrdup (YAJL_GET_OBJECT (ann)->keys[i]);
          st->annotations.items[st->annotations.len++].value = xstrdup (YAJL_GET_STRING (v));
        }
    }
  tree_hooks (root, "poststart", &st->poststart);
  tree_hooks (root, "poststop", &st->poststop);
  yajl_tree_free (root);
  if (st->id == NULL)
    st->id = xstrdup (id);
  return 0;
}

int
runtime_status_write (int dirfd, const struct runtime_status *st, reg_error_t *err)
{
  size_t len;
  cleanup_free char *json = runtime_status_to_json (st, &len);
  return write_file_atomic_at (dirfd, RUNTIME_STATUS_FILE, json, len, 0600, false, err);
}

int
runtime_status_read (int dirfd, const char *id, struct runtime_status *st, reg_error_t *err)
{
  cleanup_free char *data = NULL;
  int ret;

  memset (st, 0, sizeof (*st));
  ret = read_all_file_at (dirfd, RUNTIME_STATUS_FILE, 16 * 1024 * 1024, &data, NULL, err);
  if (UNLIKELY (ret < 0))
    {
      if ((*err)->status == ENOENT)
        {
          reg_error_release (err);
          return plain_error (err, ENOENT, "container \"%s\" does not exist", id);
        }
      return ret;
    }
  return runtime_status_from_json (data, id, st, err);
}

static void
free_strv (oci_strv *v)
{
  for (size_t i = 0; i < v->len; i++)
    free (v->items[i]);
  free (v->items);
}

static void
hooks_clear (oci_hooks_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    {
      free (l->items[i].path);
      free_strv (&l->items[i].args);
      free_strv (&l->items[i].env);
    }
  free (l->items);
}

void
runtime_status_clear (struct runtime_status *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->reg_mode);
  free (st->reg_env);
  free (st->host_root);
  free_string_array (st->cgroup_paths);
  free (st->cgroup_unit);
  for (size_t i = 0; i < st->annotations.len; i++)
    {
      free (st->annotations.items[i].key);
      free (st->annotations.items[i].value);
    }
  free (st->annotations.items);
  hooks_clear (&st->poststart);
  hooks_clear (&st->poststop);
  memset (st, 0, sizeof (*st));
}

int
runtime_proc_stat_parse (const char *text, unsigned long long *start_time, char *state)
{
  /* The command name (field 2) may hold spaces and parentheses: fields
     after it start after the last ')'.  */
  const char *p = strrchr (text, ')');
  int field = 2;

  if (p == NULL)
    return -EINVAL;
  p++;
  while (*p)
    {
      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      field++;
      if (field == 3 && state)
        *state = *p;
      if (field == 22)
        {
          char *end;
          errno = 0;
          *start_time = strtoull (p, &end, 10);
          if (errno || (*end != ' ' && *end != '\0' && *end != '\n'))
            return -EINVAL;
          return 0;
        }
      while (*p && *p != ' ')
        p++;
    }
  return -EINVAL;
}

int
runtime_proc_stat (pid_t pid, unsigned long long *start_time, char *state)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t r;

  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  r = TEMP_FAILURE_RETRY_INT (read (fd, buf, sizeof (buf) - 1));
  if (r < 0)
    return -errno;
  buf[r] = '\0';
  return runtime_proc_stat_parse (buf, start_time, state);
}

enum runtime_container_status
runtime_status_current (int dirfd, const struct runtime_status *st)
{
  unsigned long long start = 0;
  char state = '?';

  if (st->pid <= 0)
    return RUNTIME_STATUS_STOPPED;
  if (runtime_proc_stat (st->pid, &start, &state) < 0)
    return RUNTIME_STATUS_STOPPED;
  if (start != st->pid_start || state == 'Z' || state == 'X')
    return RUNTIME_STATUS_STOPPED;
  if (faccessat (dirfd, RUNTIME_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return RUNTIME_STATUS_CREATED;
  if (runtime_cgroup_paths_frozen (st->cgroup_paths))
    return RUNTIME_STATUS_PAUSED;
  return RUNTIME_STATUS_RUNNING;
}

const char *
runtime_container_status_name (enum runtime_container_status s)
{
  switch (s)
    {
    case RUNTIME_STATUS_CREATING:
      return "creating";
    case RUNTIME_STATUS_CREATED:
      return "created";
    case RUNTIME_STATUS_RUNNING:
      return "running";
    case RUNTIME_STATUS_PAUSED:
      return "paused";
    default:
      return "stopped";
    }
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
runtime_status_list_ids (const char *root, char ***ids, reg_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  size_t n = 0, cap = 16;
  char **out;

  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = xmalloc0 (sizeof (char *));
          return 0;
        }
      return reg_make_error (err, errno, "open state directory `%s`", root);
    }
  out = xmalloc0 (cap * sizeof (char *));
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || runtime_status_validate_id (de->d_name, NULL) < 0)
        continue;
      if (n + 1 >= cap)
        {
          cap *= 2;
          out = xrealloc (out, cap * sizeof (char *));
        }
      out[n++] = xstrdup (de->d_name);
    }
  out[n] = NULL;
  qsort (out, n, sizeof (char *), cmp_str);
  *ids = out;
  return 0;
}
