/* libreg: from a closure to the files of an environment (see reg-env.h).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-env.h"
#include "utils.h"

int
reg_env_add_closure (struct reg_store *store, int rootfd, const struct reg_closure *c, bool all, struct reg_manifest *m,
                     struct reg_sources *src, struct reg_env_added *added, reg_error_t *err)
{
  int ret;

  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      cleanup_close int fd = -1;
      cleanup_free char *digest = NULL;
      struct reg_identity id;

      if (e->kind == REG_CLOSURE_SYMLINK)
        {
          reg_sources_add (src, e->path, &e->id);
          if (!all)
            continue;
          added->symlinks++;
          if (store == NULL)
            continue;
          ret = reg_manifest_add_symlink (m, e->path, e->link_target, e->id.uid, e->id.gid, err);
          if (UNLIKELY (ret < 0))
            return ret;
          continue;
        }
      {
        /* O_PATH first: what is no longer a regular file is never opened.  */
        cleanup_close int pathfd = open_in_root_raw (rootfd, e->path, O_PATH | O_NOFOLLOW, 0);
        fd = pathfd < 0 ? pathfd : reopen_regular (pathfd, O_RDONLY, NULL);
      }
      if ((fd < 0 ? fd : reg_identity_at (fd, "", AT_EMPTY_PATH, &id, NULL)) < 0)
        {
          reg_debug ("REG: `%s` is no longer a regular file; left as the image has it", e->path);
          continue;
        }
      reg_sources_add (src, e->path, &id);
      if (!all && !e->elf)
        continue;
      if (store)
        ret = reg_store_add_file (store, fd, &id, &digest, NULL, err);
      else
        ret = reg_store_shareable (fd, id.mode, err); /* counting only */
      if (UNLIKELY (ret < 0))
        return ret;
      if (ret == REG_STORE_UNSHARED_SIZE && all)
        /* Left out, the program would miss it; copied privately, every
           container would pay its length at each create.  */
        return reg_make_error (err, EFBIG,
                               "REG minimal: `%s` (%s, %llu bytes) is larger than the store's max_object_size (%llu "
                               "bytes): raise max_object_size in the runtime's configuration (reg.conf), leave the "
                               "file out of the environment, or run the container with run.reg.mode=share or off",
                               e->path, e->reason, (unsigned long long)id.size,
                               (unsigned long long)reg_store_max_object_size (store));
      if (ret > 0)
        {
          if (store && all)
            reg_warning ("REG minimal: `%s` left out of the environment: %s", e->path, reg_store_unshared_reason (ret));
          else if (store)
            reg_debug ("REG: `%s` not shared: %s", e->path, reg_store_unshared_reason (ret));
          added->unshared++;
          continue;
        }
      ret = store ? reg_manifest_add_file (m, e->path, digest, id.mode & 07777, id.uid, id.gid, err) : 0;
      if (UNLIKELY (ret < 0))
        return ret;
      added->files++;
      added->bytes += id.size;
    }
  return 0;
}

struct tree_walk
{
  struct reg_tree_size *out;
  void *seen; /* struct stat * of files with more than one link */
};

static int
cmp_inode (const void *a, const void *b)
{
  const struct stat *x = a, *y = b;
  if (x->st_dev != y->st_dev)
    return x->st_dev < y->st_dev ? -1 : 1;
  if (x->st_ino != y->st_ino)
    return x->st_ino < y->st_ino ? -1 : 1;
  return 0;
}

/* Whether NAME in DIRFD is the root of a mount (a bind mount or a file
   system mounted into the rootfs).  Unknown (old kernels) is no.  */
static bool
is_mount_root (int dirfd, const char *name)
{
  struct statx stx;

  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int
walk_tree (struct tree_walk *w, int dirfd, int depth, reg_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (depth > 1024)
    return reg_make_error (err, ELOOP, "directory tree too deep");
  fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return reg_make_error (err, e, "open a directory");
    }
  while ((de = readdir (d)))
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue; /* removed meanwhile */
      if (is_mount_root (dirfd, de->d_name))
        continue; /* not the image's: a mount on top of it */
      if (S_ISREG (st.st_mode))
        {
          if (st.st_nlink > 1)
            {
              struct stat *key = xmalloc (sizeof (*key));
              void *slot;
              *key = st;
              slot = tsearch (key, &w->seen, cmp_inode);
              if (slot == NULL)
                abort ();
              if (*(struct stat **)slot != key)
                {
                  free (key);
                  continue;
                }
            }
          w->out->files++;
          w->out->bytes += (uint64_t)st.st_size;
        }
      else if (S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          int ret;
          if (sub < 0)
            continue;
          ret = walk_tree (w, sub, depth + 1, err);
          if (UNLIKELY (ret < 0))
            return reg_error_wrap (err, "`%s`", de->d_name);
        }
    }
  return 0;
}

int
reg_tree_size (int dirfd, struct reg_tree_size *out, reg_error_t *err)
{
  struct tree_walk w = { .out = out };
  cleanup_close int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int ret;

  memset (out, 0, sizeof (*out));
  if (fd < 0)
    return reg_make_error (err, errno, "open the image's root");
  ret = walk_tree (&w, fd, 0, err);
  tdestroy (w.seen, free);
  return ret;
}
