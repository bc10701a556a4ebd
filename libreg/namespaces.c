/* libreg: namespaces (see namespaces.h).  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "namespaces.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#  define CLONE_NEWTIME 0x00000080
#endif

int
reg_ns_new_flags (const oci_config *config)
{
  int flags = 0;
  for (size_t i = 0; i < config->linux_cfg.n_namespaces; i++)
    {
      const oci_namespace *ns = &config->linux_cfg.namespaces[i];
      if (ns->path == NULL || *ns->path == '\0')
        flags |= ns->clone_flag;
    }
  return flags;
}

bool
reg_ns_joined (const oci_config *config, enum oci_ns_type type)
{
  const oci_namespace *ns = oci_config_namespace (config, type);
  return ns && ns->path && *ns->path;
}

bool
reg_ns_any_joined (const oci_config *config)
{
  for (size_t i = 0; i < config->linux_cfg.n_namespaces; i++)
    {
      const char *p = config->linux_cfg.namespaces[i].path;
      if (p && *p)
        return true;
    }
  return false;
}

int
reg_ns_join (const oci_config *config, bool user, bool others, reg_error_t *err)
{
  /* The order setns needs: user (so the rest are joined with its
     privileges), then the others, the mount namespace last because it
     changes how the remaining paths would resolve.  */
  static const enum oci_ns_type order[] = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID,
                                            OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT };
  int fds[OCI_NS_COUNT];
  int ret = 0;
  size_t i;

  for (i = 0; i < OCI_NS_COUNT; i++)
    fds[i] = -1;
  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    {
      const oci_namespace *ns = oci_config_namespace (config, order[i]);
      bool want = order[i] == OCI_NS_USER ? user : others;
      if (! want || ns == NULL || ns->path == NULL || *ns->path == '\0')
        continue;
      fds[i] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          ret = reg_make_error (err, errno, "open %s namespace `%s`", oci_ns_type_name (order[i]), ns->path);
          goto out;
        }
    }
  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    {
      const oci_namespace *ns = oci_config_namespace (config, order[i]);
      if (fds[i] < 0)
        continue;
      if (setns (fds[i], ns->clone_flag) < 0)
        {
          ret = reg_make_error (err, errno, "join %s namespace `%s`", oci_ns_type_name (order[i]), ns->path);
          goto out;
        }
    }
out:
  for (i = 0; i < OCI_NS_COUNT; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}

char *
reg_ns_format_id_map (const oci_id_mapping *maps, size_t n)
{
  char *out = xmalloc0 (n * 3 * 12 + 1);
  char *p = out;
  for (size_t i = 0; i < n; i++)
    p += sprintf (p, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
  return out;
}

static int
write_proc (pid_t pid, const char *name, const char *data, reg_error_t *err)
{
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/%s", pid, name);
  int ret = write_file (path, data, strlen (data), err);
  if (UNLIKELY (ret < 0))
    return reg_error_wrap (err, "user namespace");
  return 0;
}

int
reg_ns_write_id_maps (pid_t pid, const oci_config *config, reg_error_t *err)
{
  const oci_linux *l = &config->linux_cfg;
  cleanup_free char *uid = reg_ns_format_id_map (l->uid_mappings, l->n_uid_mappings);
  cleanup_free char *gid = reg_ns_format_id_map (l->gid_mappings, l->n_gid_mappings);
  int ret;

  /* Without CAP_SETGID over the parent namespace the kernel only accepts a
     gid map after setgroups is denied.  */
  if (geteuid () != 0 && l->n_gid_mappings)
    {
      ret = write_proc (pid, "setgroups", "deny", err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (l->n_uid_mappings)
    {
      ret = write_proc (pid, "uid_map", uid, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  if (l->n_gid_mappings)
    {
      ret = write_proc (pid, "gid_map", gid, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  return 0;
}

int
reg_ns_write_time_offsets (const oci_config *config, reg_error_t *err)
{
  const oci_time_offsets *t = &config->linux_cfg.time_offsets;
  char buf[128];
  int len = 0;

  if (t->has_monotonic)
    len += snprintf (buf + len, sizeof (buf) - (size_t) len, "monotonic %lld %u\n", (long long) t->monotonic_secs,
                     t->monotonic_nanosecs);
  if (t->has_boottime)
    len += snprintf (buf + len, sizeof (buf) - (size_t) len, "boottime %lld %u\n", (long long) t->boottime_secs,
                     t->boottime_nanosecs);
  if (len == 0)
    return 0;
  /* One line per write: the kernel parses the buffer line by line but some
     versions reject a multi-line write.  */
  for (char *line = buf, *nl; *line; line = nl + 1)
    {
      nl = strchr (line, '\n');
      int ret = write_file ("/proc/self/timens_offsets", line, (size_t) (nl - line + 1), err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "time namespace offsets");
    }
  return 0;
}

int
reg_ns_set_hostname (const oci_config *config, reg_error_t *err)
{
  if (config->hostname && sethostname (config->hostname, strlen (config->hostname)) < 0)
    return reg_make_error (err, errno, "sethostname `%s`", config->hostname);
  if (config->domainname && setdomainname (config->domainname, strlen (config->domainname)) < 0)
    return reg_make_error (err, errno, "setdomainname `%s`", config->domainname);
  return 0;
}
