/* reg-runc: Linux security modules (AppArmor, SELinux).
 *
 * Written by hand: libapparmor and libselinux would each be a dependency
 * for one write to /proc; what we need is a file read and a file write.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lsm.h"
#include "utils.h"

#define SELINUX_MAGIC 0xf97cff8c

bool
runtime_lsm_apparmor_enabled (void)
{
  cleanup_free char *buf = NULL;
  struct stat st;

  /* securityfs shows AppArmor only when it is the active LSM; the module
     parameter says whether it is turned on.  */
  if (stat ("/sys/kernel/security/apparmor", &st) < 0)
    return false;
  if (read_all_file ("/sys/module/apparmor/parameters/enabled", 16, &buf, NULL, NULL) < 0)
    return false;
  return buf[0] == 'Y';
}

bool
runtime_lsm_selinux_enabled (void)
{
  cleanup_free char *cur = NULL;
  struct statfs sfs;

  if (statfs ("/sys/fs/selinux", &sfs) < 0 || (unsigned long)sfs.f_type != SELINUX_MAGIC)
    return false;
  /* A kernel that has selinuxfs but no policy loaded labels everything
     "kernel"; that is not enabled.  */
  if (read_all_file ("/proc/self/attr/current", 4096, &cur, NULL, NULL) < 0)
    return false;
  return strncmp (cur, "kernel", 6) != 0;
}

int
runtime_lsm_check (const oci_process *p, const char *mount_label, reg_error_t *err)
{
  if (p && p->apparmor_profile && *p->apparmor_profile && !runtime_lsm_apparmor_enabled ())
    return reg_make_error (err, 0, "config.json: process.apparmorProfile: AppArmor is not enabled on this host");
  if (p && p->selinux_label && *p->selinux_label && !runtime_lsm_selinux_enabled ())
    return reg_make_error (err, 0, "config.json: process.selinuxLabel: SELinux is not enabled on this host");
  if (mount_label && *mount_label && !runtime_lsm_selinux_enabled ())
    return reg_make_error (err, 0, "config.json: linux.mountLabel: SELinux is not enabled on this host");
  return 0;
}

static int
write_attr (const char *const *paths, const char *value, reg_error_t *err)
{
  const char *const *p;
  int last_errno = ENOENT;
  const char *last_path = paths[0];

  for (p = paths; *p; p++)
    {
      cleanup_close int fd = open (*p, O_WRONLY | O_CLOEXEC);
      ssize_t n;

      if (fd < 0)
        {
          last_errno = errno;
          last_path = *p;
          if (errno == ENOENT)
            continue;
          break;
        }
      /* One write: the LSM parses the whole attribute at once.  */
      n = TEMP_FAILURE_RETRY_INT (write (fd, value, strlen (value)));
      if (n < 0)
        return reg_make_error (err, errno, "write `%s` to `%s`", value, *p);
      return 0;
    }
  return reg_make_error (err, last_errno, "open `%s`", last_path);
}

int
runtime_lsm_set_exec_label (const oci_process *p, reg_error_t *err)
{
  int ret;

  if (p == NULL)
    return 0;
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      static const char *const paths[]
          = { "/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", NULL };
      cleanup_free char *value = NULL;

      xasprintf (&value, "exec %s", p->apparmor_profile);
      ret = write_attr (paths, value, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "set the AppArmor profile `%s`", p->apparmor_profile);
    }
  if (p->selinux_label && *p->selinux_label)
    {
      static const char *const paths[] = { "/proc/thread-self/attr/exec", NULL };

      ret = write_attr (paths, p->selinux_label, err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "set the SELinux label `%s`", p->selinux_label);
    }
  return 0;
}

char *
runtime_lsm_format_mount_label (const char *data, const char *label)
{
  char *out = NULL;

  if (label == NULL || *label == '\0')
    return data ? xstrdup (data) : NULL;
  if (data == NULL || *data == '\0')
    xasprintf (&out, "context=\"%s\"", label);
  else
    xasprintf (&out, "%s,context=\"%s\"", data, label);
  return out;
}

char *
runtime_lsm_mount_data (const char *data, const char *label)
{
  if (label && *label && runtime_lsm_selinux_enabled ())
    return runtime_lsm_format_mount_label (data, label);
  return data ? xstrdup (data) : NULL;
}
