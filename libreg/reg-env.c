/* libreg: from a closure to the files of an environment (see reg-env.h).  */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-env.h"
#include "utils.h"

int
reg_env_add_closure (struct reg_store *store, int rootfd, const struct reg_closure *c, bool all,
                     struct reg_manifest *m, struct reg_sources *src, struct reg_env_added *added, reg_error_t *err)
{
  int ret;

  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      cleanup_close int fd = -1;
      cleanup_free char *digest = NULL;
      struct stat st;

      if (e->kind == REG_CLOSURE_SYMLINK)
        {
          struct stat lst = {
            .st_dev = e->dev, .st_ino = e->ino, .st_size = (off_t) e->size, .st_mtim = e->mtime, .st_ctim = e->ctime
          };
          reg_sources_add (src, e->path, &lst);
          if (! all)
            continue;
          ret = reg_manifest_add_symlink (m, e->path, e->link_target, e->uid, e->gid, err);
          if (UNLIKELY (ret < 0))
            return ret;
          added->symlinks++;
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
      reg_sources_add (src, e->path, &st);
      if (! all && ! e->elf)
        continue;
      ret = reg_store_add_file (store, fd, &st, &digest, NULL, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (ret > 0)
        {
          if (all)
            reg_warning ("REG minimal: `%s` left out of the environment: %s", e->path,
                         reg_store_unshared_reason (ret));
          else
            reg_debug ("REG: `%s` not shared: %s", e->path, reg_store_unshared_reason (ret));
          added->unshared++;
          continue;
        }
      ret = reg_manifest_add_file (m, e->path, digest, st.st_mode & 07777, st.st_uid, st.st_gid, err);
      if (UNLIKELY (ret < 0))
        return ret;
      added->files++;
      added->bytes += (uint64_t) st.st_size;
    }
  return 0;
}
