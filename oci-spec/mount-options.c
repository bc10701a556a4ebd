/* liboci-spec: the mount options the runtime understands, one table for the
 * mount code and for `features`.  */
#include <pthread.h>
#include <string.h>
#include <sys/mount.h>

#include "oci-spec.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

#define SET(n, f)                                                                                                      \
  {                                                                                                                    \
    n, f, false, 0, false                                                                                              \
  }
#define CLR(n, f)                                                                                                      \
  {                                                                                                                    \
    n, f, true, 0, false                                                                                               \
  }
#define PROP(n, p)                                                                                                     \
  {                                                                                                                    \
    n, 0, false, p, false                                                                                              \
  }
#define RSET(n, f)                                                                                                     \
  {                                                                                                                    \
    n, f, false, 0, true                                                                                               \
  }
#define RCLR(n, f)                                                                                                     \
  {                                                                                                                    \
    n, f, true, 0, true                                                                                                \
  }

static const struct oci_mount_option options[] = {
  SET ("defaults", 0),
  SET ("ro", MS_RDONLY),
  CLR ("rw", MS_RDONLY),
  SET ("nosuid", MS_NOSUID),
  CLR ("suid", MS_NOSUID),
  SET ("nodev", MS_NODEV),
  CLR ("dev", MS_NODEV),
  SET ("noexec", MS_NOEXEC),
  CLR ("exec", MS_NOEXEC),
  SET ("sync", MS_SYNCHRONOUS),
  CLR ("async", MS_SYNCHRONOUS),
  SET ("dirsync", MS_DIRSYNC),
  SET ("remount", MS_REMOUNT),
  SET ("mand", MS_MANDLOCK),
  CLR ("nomand", MS_MANDLOCK),
  SET ("noatime", MS_NOATIME),
  CLR ("atime", MS_NOATIME),
  SET ("nodiratime", MS_NODIRATIME),
  CLR ("diratime", MS_NODIRATIME),
  SET ("relatime", MS_RELATIME),
  CLR ("norelatime", MS_RELATIME),
  SET ("strictatime", MS_STRICTATIME),
  CLR ("nostrictatime", MS_STRICTATIME),
  SET ("iversion", MS_I_VERSION),
  CLR ("noiversion", MS_I_VERSION),
  SET ("lazytime", MS_LAZYTIME),
  CLR ("nolazytime", MS_LAZYTIME),
  SET ("silent", MS_SILENT),
  CLR ("loud", MS_SILENT),
  SET ("nosymfollow", MS_NOSYMFOLLOW),
  CLR ("symfollow", MS_NOSYMFOLLOW),
  SET ("bind", MS_BIND),
  RSET ("rbind", MS_BIND | MS_REC),
  PROP ("private", MS_PRIVATE),
  PROP ("rprivate", MS_PRIVATE | MS_REC),
  PROP ("shared", MS_SHARED),
  PROP ("rshared", MS_SHARED | MS_REC),
  PROP ("slave", MS_SLAVE),
  PROP ("rslave", MS_SLAVE | MS_REC),
  PROP ("unbindable", MS_UNBINDABLE),
  PROP ("runbindable", MS_UNBINDABLE | MS_REC),
  /* Recursive attributes, applied with mount_setattr (AT_RECURSIVE).  */
  RSET ("rro", MS_RDONLY),
  RCLR ("rrw", MS_RDONLY),
  RSET ("rnosuid", MS_NOSUID),
  RCLR ("rsuid", MS_NOSUID),
  RSET ("rnodev", MS_NODEV),
  RCLR ("rdev", MS_NODEV),
  RSET ("rnoexec", MS_NOEXEC),
  RCLR ("rexec", MS_NOEXEC),
  RSET ("rnoatime", MS_NOATIME),
  RCLR ("ratime", MS_NOATIME),
  RSET ("rnodiratime", MS_NODIRATIME),
  RCLR ("rdiratime", MS_NODIRATIME),
  RSET ("rrelatime", MS_RELATIME),
  RCLR ("rnorelatime", MS_RELATIME),
  RSET ("rstrictatime", MS_STRICTATIME),
  RCLR ("rnostrictatime", MS_STRICTATIME),
  RSET ("rnosymfollow", MS_NOSYMFOLLOW),
  RCLR ("rsymfollow", MS_NOSYMFOLLOW),
};

#define N_OPTIONS (sizeof options / sizeof options[0])

const struct oci_mount_option *
oci_mount_option_find (const char *name)
{
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N_OPTIONS; i++)
    if (strcmp (options[i].name, name) == 0)
      return &options[i];
  return NULL;
}

static const char *names[N_OPTIONS + 1];

static void
fill_names (void)
{
  for (size_t i = 0; i < N_OPTIONS; i++)
    names[i] = options[i].name;
}

const char *const *
oci_mount_option_names (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;

  pthread_once (&once, fill_names);
  return names;
}
