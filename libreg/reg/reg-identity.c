/* libreg: file identities (see reg-identity.h).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "reg-identity.h"
#include "utils.h"

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

#define BOOT_ID_LEN 36

static int64_t
stx_ns (const struct statx_timestamp *t)
{
  return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The disk sequence number of the disk holding block device MAJ:MIN (a
   partition's is its disk's), 0 when the kernel gives none (before 5.15).  */
static uint64_t
read_diskseq (unsigned maj, unsigned min)
{
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;
  char path[64], buf[32];
  uint64_t seq = 0;
  ssize_t n;

  snprintf (path, sizeof (path), "/sys/dev/block/%u:%u", maj, min);
  dirfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return 0;
  fd = openat (dirfd, "diskseq", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fd = openat (dirfd, "../diskseq", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (n = read (fd, buf, sizeof (buf) - 1)) <= 0)
    return 0;
  buf[n] = '\0';
  if (buf[n - 1] == '\n')
    buf[n - 1] = '\0';
  return parse_uint64 (buf, &seq) == 0 ? seq : 0;
}

/* Whether a file system of type MAGIC (statfs) lives on a block device,
   so that its st_dev names a disk.  Other file systems with a device
   number of their own (UBIFS's is a character device) are known by their
   mount: a block device of that number would be another device.  */
static bool
on_block_device (long magic)
{
  static const long magics[] = {
    0xEF53,     /* ext2, ext3, ext4 */
    0x58465342, /* XFS */
    0xF2F52010, /* F2FS */
    0x73717368, /* squashfs */
    0xE0F5E1E2, /* EROFS */
    0x3153464a, /* JFS */
    0x4d44,     /* FAT */
    0x2011BAB0, /* exFAT */
    0x9660,     /* ISO 9660 */
    0x15013346, /* UDF */
  };

  for (size_t i = 0; i < sizeof (magics) / sizeof (magics[0]); i++)
    if (magic == magics[i])
      return true;
  return false;
}

/* The instance of the file system of DIRFD/PATH (FLAGS of statx), whose
   unique mount id is MNT and device MAJ:MIN (see reg-identity.h): for a
   file system on a disk, the disk's attachment (REG_IDENTITY_DISKSEQ | its
   diskseq), else MNT.  Remembered by mount: while the mount MNT exists it
   holds its device open, and a loop device in use takes no new backing
   file, so the diskseq stays that mount's.  One table per thread (libreg:
   one store handle per thread).  */
static uint64_t
fs_instance (int dirfd, const char *path, int flags, uint64_t mnt, unsigned maj, unsigned min)
{
  static __thread struct
  {
    uint64_t mnt, instance;
  } seen[16];
  static __thread unsigned next;
  cleanup_close int fd = -1;
  struct statx stx;
  struct statfs sfs;
  uint64_t seq;

  if (maj == 0 || mnt == 0)
    return mnt;
  for (size_t i = 0; i < sizeof (seen) / sizeof (seen[0]); i++)
    if (seen[i].mnt == mnt)
      return seen[i].instance;
  /* The type of the file system, from an fd on the same mount (PATH may
     name another file by now: then MNT alone).  */
  if (!(*path == '\0' && (flags & AT_EMPTY_PATH)))
    {
      fd = openat (dirfd, path, O_PATH | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0));
      if (fd < 0)
        return mnt;
      dirfd = fd;
    }
  if (statx (dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID_UNIQUE)
      || stx.stx_mnt_id != mnt || fstatfs (dirfd, &sfs) < 0)
    return mnt;
  seq = on_block_device ((long)sfs.f_type) ? read_diskseq (maj, min) : 0;
  seen[next].mnt = mnt;
  seen[next].instance = seq ? REG_IDENTITY_DISKSEQ | seq : mnt;
  next = (next + 1) % (sizeof (seen) / sizeof (seen[0]));
  return seq ? REG_IDENTITY_DISKSEQ | seq : mnt;
}

int
reg_identity_at (int dirfd, const char *path, int flags, struct reg_identity *id, struct stat *st)
{
  struct statx stx;

  if (statx (dirfd, path, flags, STATX_BASIC_STATS | STATX_MNT_ID_UNIQUE, &stx) < 0)
    return -errno;
  /* A kernel without unique mount ids ignores the request: stx_mnt_id is
     then the reusable STATX_MNT_ID, or nothing.  */
  id->mnt = fs_instance (dirfd, path, flags, (stx.stx_mask & STATX_MNT_ID_UNIQUE) ? stx.stx_mnt_id : 0,
                         stx.stx_dev_major, stx.stx_dev_minor);
  id->dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  id->ino = stx.stx_ino;
  id->size = stx.stx_size;
  id->mtime_ns = stx_ns (&stx.stx_mtime);
  id->ctime_ns = stx_ns (&stx.stx_ctime);
  id->mode = stx.stx_mode;
  id->uid = stx.stx_uid;
  id->gid = stx.stx_gid;
  if (st)
    {
      memset (st, 0, sizeof (*st));
      st->st_dev = (dev_t)id->dev;
      st->st_ino = (ino_t)stx.stx_ino;
      st->st_mode = stx.stx_mode;
      st->st_nlink = stx.stx_nlink;
      st->st_uid = stx.stx_uid;
      st->st_gid = stx.stx_gid;
      st->st_rdev = makedev (stx.stx_rdev_major, stx.stx_rdev_minor);
      st->st_size = (off_t)stx.stx_size;
      st->st_blksize = (blksize_t)stx.stx_blksize;
      st->st_blocks = (blkcnt_t)stx.stx_blocks;
      st->st_atim = (struct timespec){ stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec };
      st->st_mtim = (struct timespec){ stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec };
      st->st_ctim = (struct timespec){ stx.stx_ctime.tv_sec, stx.stx_ctime.tv_nsec };
    }
  return 0;
}

int
reg_identity_reopen (int pathfd, struct reg_identity *id)
{
  int ret = reg_identity_at (pathfd, "", AT_EMPTY_PATH, id, NULL);

  if (ret < 0)
    return ret;
  return S_ISREG (id->mode) ? reopen_fd (pathfd, O_RDONLY | O_NOATIME) : -EINVAL;
}

const char *
reg_boot_id (void)
{
  static char boot[BOOT_ID_LEN + 1];
  static int state; /* 0: not read yet, 1: read, -1: unreadable */
  cleanup_close int fd = -1;
  char buf[BOOT_ID_LEN + 2];
  ssize_t n;

  if (state != 0)
    return state > 0 ? boot : NULL;
  state = -1;
  fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof (buf));
  if (n < BOOT_ID_LEN)
    return NULL;
  for (size_t i = 0; i < BOOT_ID_LEN; i++)
    if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f') || buf[i] == '-'))
      return NULL;
  memcpy (boot, buf, BOOT_ID_LEN);
  boot[BOOT_ID_LEN] = '\0';
  state = 1;
  return boot;
}

bool
reg_identity_trusted (const struct reg_identity *id)
{
  return id->mnt != 0 && reg_boot_id () != NULL;
}

int
reg_identity_cmp (const struct reg_identity *a, const struct reg_identity *b)
{
  /* Field by field: the struct has padding a memcmp would compare.  */
  const uint64_t x[]
      = { a->mnt, a->dev, a->ino, a->size, (uint64_t)a->mtime_ns, (uint64_t)a->ctime_ns, a->mode, a->uid, a->gid };
  const uint64_t y[]
      = { b->mnt, b->dev, b->ino, b->size, (uint64_t)b->mtime_ns, (uint64_t)b->ctime_ns, b->mode, b->uid, b->gid };

  for (size_t i = 0; i < sizeof (x) / sizeof (x[0]); i++)
    if (x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  return 0;
}

void
reg_identity_write (FILE *f, const struct reg_identity *id)
{
  fprintf (f, "%llu %llu %llu %llu %lld %lld %u %u %u ", (unsigned long long)id->mnt, (unsigned long long)id->dev,
           (unsigned long long)id->ino, (unsigned long long)id->size, (long long)id->mtime_ns, (long long)id->ctime_ns,
           (unsigned)id->mode, (unsigned)id->uid, (unsigned)id->gid);
}

/* By hand: sscanf was a third of the validation of a large environment
   (every source is one line of its cache record).  */
int
reg_identity_parse (const char **pp, const char *end, struct reg_identity *id)
{
  enum
  {
    U64,
    I64,
    U32
  };
  static const int kind[] = { U64, U64, U64, U64, I64, I64, U32, U32, U32 };
  uint64_t v[9];
  const char *p = *pp;

  for (size_t i = 0; i < 9; i++)
    {
      bool neg = kind[i] == I64 && p < end && *p == '-';
      const char *digits;
      uint64_t n = 0;

      p += neg;
      digits = p;
      while (p < end && *p >= '0' && *p <= '9')
        {
          uint64_t d = (uint64_t)(*p++ - '0');
          if (n > (UINT64_MAX - d) / 10)
            return -1;
          n = n * 10 + d;
        }
      if (p == digits || p >= end || *p != ' ')
        return -1;
      if ((kind[i] == I64 && n > (uint64_t)INT64_MAX) || (kind[i] == U32 && n > UINT32_MAX))
        return -1;
      v[i] = neg ? -n : n; /* two's complement: read back as int64_t */
      p++;
    }
  id->mnt = v[0];
  id->dev = v[1];
  id->ino = v[2];
  id->size = v[3];
  id->mtime_ns = (int64_t)v[4];
  id->ctime_ns = (int64_t)v[5];
  id->mode = (uint32_t)v[6];
  id->uid = (uint32_t)v[7];
  id->gid = (uint32_t)v[8];
  *pp = p;
  return 0;
}
