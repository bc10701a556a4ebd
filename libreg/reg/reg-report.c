/* libreg: `reg analyze` as one call (see reg-admin.h): the closure, each
   file's object digest, and the volume; nothing is written to the store.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg-admin.h"
#include "reg-analyze.h"
#include "reg-env.h"
#include "reg-learn.h"
#include "reg-minimal.h"
#include "reg-store.h"
#include "utils.h"

/* The store object name the file at PATH would get (its digest), or "-"
   when it cannot be read.  */
static void
object_digest (int rootfd, const char *path, char hex[REG_DIGEST_HEX_LEN + 1])
{
  struct stat st;
  cleanup_close int fd = open_regular_in_root_raw (rootfd, path, &st);

  if (fd < 0 || reg_store_hash_object_fd (fd, &st, hex, NULL) < 0)
    strcpy (hex, "-");
}

static void
report_closure (int rootfd, const struct reg_closure *c, struct reg_report *r)
{
  r->libc = c->glibc ? "glibc" : c->musl ? "musl" : "unknown";
  r->files = xmalloc0 ((c->n + 1) * sizeof (*r->files));
  r->n_files = c->n;
  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      struct reg_report_file *f = &r->files[i];

      f->path = e->path;
      f->symlink = e->kind == REG_CLOSURE_SYMLINK;
      f->target = e->link_target;
      f->reason = e->reason;
      f->elf = e->elf;
      f->size = e->id.size;
      f->mode = e->id.mode & 07777;
      if (f->symlink)
        strcpy (f->digest, "-");
      else
        {
          object_digest (rootfd, e->path, f->digest);
          r->closure_files++;
          r->closure_bytes += e->id.size;
        }
    }
  r->missing = xmalloc0 ((c->n_missing + 1) * sizeof (*r->missing));
  r->n_missing = c->n_missing;
  for (size_t i = 0; i < c->n_missing; i++)
    {
      r->missing[i].name = c->missing[i].name;
      r->missing[i].needed_by = c->missing[i].needed_by;
    }
}

/* What `minimal` would make of the bundle, from the profile its entrypoint
   has in the store now.  */
static int
report_env (const struct reg_report_request *rq, int rootfd, struct reg_report *r, reg_error_t *err)
{
  cleanup_string_array char **profile = NULL;
  struct reg_minimal_result env = { 0 };
  size_t n = 0;
  int ret;

  ret = reg_profile_key (NULL, rootfd, rq->config->process, &r->profile_key, err);
  if (ret == 0 && reg_profile_read (rq->store_root, r->profile_key, &profile, &n, err) < 0)
    {
      /* A store this user may not read (analysis needs no root): the
         environment without a profile, said so.  */
      reg_warning ("store `%s`: %s; the environment is measured without a learned profile", rq->store_root,
                   (*err)->msg);
      reg_error_release (err);
      profile = NULL;
      n = 0;
    }
  /* Relative mount sources are from the bundle, as for create (after the
     store is read: its root may be relative too).  */
  if (ret == 0 && chdir (rq->bundle) < 0)
    ret = reg_make_error (err, errno, "chdir `%s`", rq->bundle);
  if (ret == 0)
    ret = reg_minimal_measure (rootfd, rq->config, (const char *const *)profile, n, &env, err);
  if (UNLIKELY (ret < 0))
    {
      reg_minimal_result_clear (&env);
      return reg_error_wrap (err, "the minimal environment");
    }
  r->have_env = true;
  r->env_files = env.files;
  r->env_bytes = env.bytes;
  r->env_symlinks = env.symlinks;
  r->env_dirs = env.dirs;
  r->env_left_out = env.unshared;
  r->profile_paths = n;
  reg_minimal_result_clear (&env);
  return 0;
}

int
reg_report_analyze (const struct reg_report_request *rq, struct reg_report *out, reg_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct reg_closure *c = NULL;
  struct reg_tree_size image = { 0 };
  int ret;

  memset (out, 0, sizeof (*out));
  rootfd = open (rq->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return reg_make_error (err, errno, "open rootfs `%s`", rq->rootfs);
  ret = reg_analyze (rootfd, rq->args, rq->env, rq->cwd, &c, err);
  if (UNLIKELY (ret < 0))
    return ret;
  out->priv = c;
  report_closure (rootfd, c, out);
  ret = reg_tree_size (rootfd, &image, err);
  if (ret == 0 && rq->bundle && rq->config)
    ret = report_env (rq, rootfd, out, err);
  out->image_files = image.files;
  out->image_bytes = image.bytes;
  if (UNLIKELY (ret < 0))
    reg_report_clear (out);
  return ret;
}

void
reg_report_clear (struct reg_report *r)
{
  free (r->files);
  free (r->missing);
  free (r->profile_key);
  reg_closure_free (r->priv);
  memset (r, 0, sizeof (*r));
}
