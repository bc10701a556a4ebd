/* libreg: file identities, what REG's caches know a file by.
 *
 * The identity cache (file -> object digest) and the environment cache
 * (sources -> environment) trust that a file whose identity is unchanged
 * has unchanged content.  An identity is taken by one statx and is the
 * whole of:
 *
 *   the file system instance
 *               st_dev alone is not enough: a loop device's number goes to
 *               the next image attached to it, an anonymous device number
 *               (tmpfs, overlay) to the next such mount, so a crafted file
 *               system could give its files the device, inodes and times of
 *               a later, genuine one.  So, for a file system on a disk (a
 *               block device: ext4, XFS, F2FS, squashfs, EROFS and a few
 *               more by their statfs type), the disk's sequence number
 *               (diskseq, Linux 5.15): the kernel
 *               gives every disk, and a loop device at every new backing
 *               file, a new one, never reused while the machine runs; every
 *               mount of the file system shares it (a bind mount, the
 *               private bind Podman's storage makes of its directory for
 *               each command, a container's view of an image layer).
 *               Elsewhere (tmpfs, overlay, btrfs subvolumes, network file
 *               systems: anonymous device numbers) the mount itself,
 *               STATX_MNT_ID_UNIQUE (Linux 6.8), never reused while the
 *               machine runs.  Both start again at each boot, so the caches
 *               also record the boot id (reg_boot_id) and trust nothing of
 *               another boot.  Without a unique mount id (older kernels)
 *               nothing is trusted: mnt is 0, the caches are not used and
 *               every file is hashed.
 *   device, inode, size, mtime, ctime
 *   mode and owner   an idmapped mount (Podman --uidmap) shows one inode
 *               with other owners, its times unchanged.
 *
 * A file seen through a new overlay (each container's) is therefore a new
 * file to the caches; its lower layer's file (reg-layers.h) is not.  */
#ifndef REG_IDENTITY_H
#define REG_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

struct reg_identity
{
  uint64_t mnt; /* the file system instance: REG_IDENTITY_DISKSEQ | diskseq,
                   or the unique mount id; 0 when the kernel gives none */
  uint64_t dev, ino, size;
  int64_t mtime_ns, ctime_ns;
  uint32_t mode; /* st_mode, type bits included */
  uint32_t uid, gid;
};

/* Marks a file system instance that is a disk's sequence number (unique
   mount ids are below 2^63).  */
#define REG_IDENTITY_DISKSEQ ((uint64_t)1 << 63)

/* One statx of DIRFD/PATH (FLAGS: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW...)
   into *ID and, when ST is not NULL, the same data as a struct stat.
   0 or -errno.  */
int reg_identity_at (int dirfd, const char *path, int flags, struct reg_identity *id, struct stat *st);

/* The file PATHFD (O_PATH) holds: its identity into *ID, then, when it is
   a regular file, that file opened read-only (O_NOATIME where allowed:
   the runtime's reads are nobody's access).  Nothing else is ever opened
   (-EINVAL).  The fd or -errno.  */
int reg_identity_reopen (int pathfd, struct reg_identity *id);

/* Whether a cache may trust ID: the kernel named its mount, and the boot
   id is known.  */
bool reg_identity_trusted (const struct reg_identity *id);

/* 0 when A and B are the same identity.  */
int reg_identity_cmp (const struct reg_identity *a, const struct reg_identity *b);

/* The text of an identity in a cache record: "MNT DEV INO SIZE MTIME CTIME
   MODE UID GID " (decimal, a space after each).  parse reads one from *P
   (not past END) and moves *P past it; -1 when it is not one.  */
void reg_identity_write (FILE *f, const struct reg_identity *id);
int reg_identity_parse (const char **p, const char *end, struct reg_identity *id);

/* This boot's id (/proc/sys/kernel/random/boot_id, 36 characters), read
   once per process; NULL when it cannot be read.  */
const char *reg_boot_id (void);

#endif
