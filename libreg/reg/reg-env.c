/* libreg: from a closure to the files of an environment (see reg-env.h).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <search.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reg-env.h"
#include "utils.h"

/* --- reading on a second CPU ----------------------------------------------

   A file REG has not seen is read whole (27 MiB in 1,140 files for
   Python's standard library under minimal): compared with its candidate
   object (a new copy of an image), else hashed; the CPU time of a create
   from a new copy or a new image.  When the first files of a closure
   needed reading, a helper process reads the others, in order, ahead of
   this one, which does the rest of the work of each file (the store's
   identity lookups and records, the manifest) and reads a file itself
   only when the helper has not reached it yet.  The helper only reads
   (open in the root, identity, candidate or hash, identity again; the
   store's tables and objects) and leaves its digests in memory shared
   with us; everything the store writes is written here, in order.

   A process, not a thread: a thread shares the file-system context, and
   until it has wholly exited, setns and unshare of a mount namespace
   (which a create does next) fail with EINVAL.  */

enum
{
  HELP_FREE,  /* nobody took it */
  HELP_TAKEN, /* the helper is reading it */
  HELP_DONE,  /* the helper left its answer */
  HELP_OURS,  /* this process took it */
};

struct help_slot
{
  _Atomic int state;
  bool ok;       /* DIGEST is of the file while it had identity ID */
  bool compared; /* found equal to its candidate object */
  struct reg_identity id;
  char digest[REG_DIGEST_HEX_LEN + 1];
};

struct helper
{
  pid_t pid;
  bool reaped;
  struct help_slot *slots; /* shared, one per closure entry */
  size_t n;
};

/* The regular file PATH of ROOTFD, opened, and its identity: O_PATH first,
   so that what is no longer a regular file is never opened.  */
static int
open_source (int rootfd, const char *path, struct reg_identity *id)
{
  cleanup_close int pathfd = open_in_root_raw (rootfd, path, O_PATH | O_NOFOLLOW, 0);

  return pathfd < 0 ? pathfd : reg_identity_reopen (pathfd, id);
}

/* The file of the closure entry E and its identity: the fd the closure
   kept (not to be closed) with the identity it had when it was walked
   (a change since shows in the store's check after the read, which then
   records nothing, and in the sources, which then miss), else the path
   opened again.  */
static int
open_entry (int rootfd, const struct reg_closure_entry *e, struct reg_identity *id)
{
  if (e->fd < 0)
    return open_source (rootfd, e->path, id);
  *id = e->id;
  return e->fd;
}

static void
helper_run (struct reg_store *store, const struct reg_closure *c, int rootfd, bool all, struct help_slot *slots,
            size_t first)
{
  for (size_t i = first; i < c->n; i++)
    {
      struct help_slot *h = &slots[i];
      struct reg_identity after;
      reg_error_t err = NULL;
      int expect = HELP_FREE;
      int fd;

      if (c->entries[i].kind == REG_CLOSURE_SYMLINK || (!all && !c->entries[i].elf))
        continue; /* not hashed */
      if (!atomic_compare_exchange_strong (&h->state, &expect, HELP_TAKEN))
        continue; /* this process came first */
      fd = open_entry (rootfd, &c->entries[i], &h->id);
      h->ok = fd >= 0 && h->id.size <= reg_store_max_object_size (store)
              && reg_store_read_digest (store, fd, &h->id, h->digest, &h->compared, &err) == 0
              && reg_identity_at (fd, "", AT_EMPTY_PATH, &after, NULL) == 0 && reg_identity_cmp (&h->id, &after) == 0;
      reg_error_release (&err);
      if (fd >= 0 && fd != c->entries[i].fd)
        close (fd);
      atomic_store (&h->state, HELP_DONE);
    }
}

/* A helper for the entries of C from FIRST on; false when none could be
   started (the work is then all done here).  */
static bool
helper_start (struct helper *hp, struct reg_store *store, const struct reg_closure *c, int rootfd, bool all,
              size_t first)
{
  size_t len = c->n * sizeof (struct help_slot);
  void *mem = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

  if (mem == MAP_FAILED)
    return false;
  hp->slots = mem; /* zeros: HELP_FREE */
  hp->n = c->n;
  hp->pid = fork ();
  if (hp->pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      helper_run (store, c, rootfd, all, hp->slots, first);
      _exit (0);
    }
  if (hp->pid < 0)
    {
      munmap (mem, len);
      hp->slots = NULL;
      return false;
    }
  return true;
}

/* The helper's digest of entry I, when it read that file; else entry I
   is ours (the helper will not take it).  */
static const struct help_slot *
helper_take (struct helper *hp, size_t i)
{
  struct help_slot *h;
  int expect = HELP_FREE;

  if (hp->slots == NULL)
    return NULL;
  h = &hp->slots[i];
  if (atomic_compare_exchange_strong (&h->state, &expect, HELP_OURS))
    return NULL;
  while (atomic_load (&h->state) == HELP_TAKEN)
    {
      /* One file: it is reading it now, unless it was killed.  */
      if (!hp->reaped)
        {
          /* ECHILD: reaped already (SIGCHLD ignored by whoever ran us) */
          pid_t r = waitpid (hp->pid, NULL, WNOHANG);
          hp->reaped = r == hp->pid || (r < 0 && errno == ECHILD);
        }
      if (hp->reaped)
        return NULL;
      sched_yield ();
    }
  return h->ok ? h : NULL;
}

static void
helper_stop (struct helper *hp)
{
  if (hp->slots == NULL)
    return;
  /* Whatever it still has to do is taken from it.  */
  for (size_t i = 0; i < hp->n; i++)
    {
      int expect = HELP_FREE;
      atomic_compare_exchange_strong (&hp->slots[i].state, &expect, HELP_OURS);
    }
  if (!hp->reaped)
    TEMP_FAILURE_RETRY_INT (waitpid (hp->pid, NULL, 0));
  munmap (hp->slots, hp->n * sizeof (struct help_slot));
  hp->slots = NULL;
}

/* The helper pays off once the closure's first files needed reading,
   many are left, and a CPU is idle: in a start-up storm every CPU is
   busy with other creates, and a second process would only add its fork
   and its switches.  */
#define HELP_PROBE 4
#define HELP_MIN_LEFT 32

/* Whether a CPU we may run on is idle now: fewer runnable tasks on the
   machine (/proc/loadavg's fourth field, ourselves included) than such
   CPUs.  */
static bool
cpu_idle (void)
{
  cleanup_free char *data = NULL;
  reg_error_t err = NULL;
  unsigned long running;
  cpu_set_t set;
  size_t len;
  char *p;

  /* Test hook: the helper's tests run beside other tests.  */
  if (getenv ("REG_TEST_HELPER_ALWAYS"))
    return true;
  if (sched_getaffinity (0, sizeof (set), &set) < 0 || CPU_COUNT (&set) < 2)
    return false;
  if (read_all_file ("/proc/loadavg", 256, &data, &len, &err) < 0)
    {
      reg_error_release (&err);
      return false;
    }
  /* "0.50 0.40 0.30 RUNNING/TOTAL LAST_PID" */
  p = strchr (data, '/');
  while (p && p > data && p[-1] >= '0' && p[-1] <= '9')
    p--;
  if (p == NULL || sscanf (p, "%lu/", &running) != 1)
    return false;
  return running < (unsigned long)CPU_COUNT (&set);
}

int
reg_env_add_closure (struct reg_store *store, int rootfd, const struct reg_closure *c, bool all, struct reg_manifest *m,
                     struct reg_sources *src, struct reg_env_added *added, reg_error_t *err)
{
  __attribute__ ((cleanup (helper_stop))) struct helper hp = { .pid = -1 };
  struct reg_store_counters before;
  size_t files_seen = 0;
  int ret;

  if (store)
    reg_store_get_counters (store, &before);
  for (size_t i = 0; i < c->n; i++)
    {
      const struct reg_closure_entry *e = &c->entries[i];
      const struct help_slot *helped = NULL;
      cleanup_close int opened = -1;
      cleanup_free char *digest = NULL;
      int fd;
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
      if (store && hp.slots == NULL && files_seen++ == HELP_PROBE && c->n - i >= HELP_MIN_LEFT)
        {
          struct reg_store_counters now;
          reg_store_get_counters (store, &now);
          if (now.files_read + now.candidate_hits - before.files_read - before.candidate_hits >= HELP_PROBE / 2
              && cpu_idle ())
            helper_start (&hp, store, c, rootfd, all, i + 1);
        }
      helped = helper_take (&hp, i);
      fd = open_entry (rootfd, e, &id);
      if (fd >= 0 && fd != e->fd)
        opened = fd;
      if (fd < 0)
        {
          reg_debug ("REG: `%s` is no longer a regular file; left as the image has it", e->path);
          continue;
        }
      reg_sources_add (src, e->path, &id);
      if (!all && !e->elf)
        continue;
      if (helped && reg_identity_cmp (&helped->id, &id) != 0)
        helped = NULL; /* it changed since */
      if (store)
        ret = reg_store_add_file_hashed (store, fd, &id, helped ? helped->digest : NULL, helped && helped->compared,
                                         &digest, err);
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
      added->helped += helped != NULL;
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
