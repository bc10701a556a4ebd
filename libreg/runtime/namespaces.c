/* libreg: namespaces (see namespaces.h).  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "namespaces.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int
runtime_ns_new_flags (const oci_config *config)
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
runtime_ns_joined (const oci_config *config, enum oci_ns_type type)
{
  const oci_namespace *ns = oci_config_namespace (config, type);
  return ns && ns->path && *ns->path;
}

bool
runtime_ns_any_joined (const oci_config *config)
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
runtime_ns_join (const oci_config *config, bool user, bool others, reg_error_t *err)
{
  /* The order setns needs: user (so the rest are joined with its
     privileges), then the others, the mount namespace last because it
     changes how the remaining paths would resolve.  */
  static const enum oci_ns_type order[]
      = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID, OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT };
  int fds[OCI_NS_COUNT];
  int ret = 0;
  size_t i;

  for (i = 0; i < OCI_NS_COUNT; i++)
    fds[i] = -1;
  for (i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    {
      const oci_namespace *ns = oci_config_namespace (config, order[i]);
      bool want = order[i] == OCI_NS_USER ? user : others;
      if (!want || ns == NULL || ns->path == NULL || *ns->path == '\0')
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
runtime_ns_format_id_map (const oci_id_mapping *maps, size_t n)
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
runtime_ns_write_id_maps (pid_t pid, const oci_config *config, reg_error_t *err)
{
  const oci_linux *l = &config->linux_cfg;
  cleanup_free char *uid = runtime_ns_format_id_map (l->uid_mappings, l->n_uid_mappings);
  cleanup_free char *gid = runtime_ns_format_id_map (l->gid_mappings, l->n_gid_mappings);
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
runtime_ns_write_time_offsets (const oci_config *config, reg_error_t *err)
{
  const oci_time_offsets *t = &config->linux_cfg.time_offsets;
  char buf[128];
  int len = 0;

  if (t->has_monotonic)
    len += snprintf (buf + len, sizeof (buf) - (size_t)len, "monotonic %lld %u\n", (long long)t->monotonic_secs,
                     t->monotonic_nanosecs);
  if (t->has_boottime)
    len += snprintf (buf + len, sizeof (buf) - (size_t)len, "boottime %lld %u\n", (long long)t->boottime_secs,
                     t->boottime_nanosecs);
  if (len == 0)
    return 0;
  /* One line per write: the kernel parses the buffer line by line but some
     versions reject a multi-line write.  */
  for (char *line = buf, *nl; *line; line = nl + 1)
    {
      nl = strchr (line, '\n');
      int ret = write_file ("/proc/self/timens_offsets", line, (size_t)(nl - line + 1), err);
      if (UNLIKELY (ret < 0))
        return reg_error_wrap (err, "time namespace offsets");
    }
  return 0;
}

int
runtime_ns_set_hostname (const oci_config *config, reg_error_t *err)
{
  if (config->hostname && sethostname (config->hostname, strlen (config->hostname)) < 0)
    return reg_make_error (err, errno, "sethostname `%s`", config->hostname);
  if (config->domainname && setdomainname (config->domainname, strlen (config->domainname)) < 0)
    return reg_make_error (err, errno, "setdomainname `%s`", config->domainname);
  return 0;
}

int
runtime_ns_validate (const oci_config *config, reg_error_t *err)
{
  const oci_linux *l = &config->linux_cfg;
  const oci_namespace *user = oci_config_namespace (config, OCI_NS_USER);

  if (user == NULL)
    {
      if (l->n_uid_mappings || l->n_gid_mappings)
        return reg_make_error (err, 0, "config.json: linux.%s: set, but there is no user namespace",
                               l->n_uid_mappings ? "uidMappings" : "gidMappings");
      return 0;
    }
  /* A joined namespace has its maps already.  */
  if (user->path && *user->path)
    return 0;
  if (l->n_uid_mappings == 0)
    return reg_make_error (err, 0, "config.json: linux.uidMappings: required with a new user namespace");
  if (l->n_gid_mappings == 0)
    return reg_make_error (err, 0, "config.json: linux.gidMappings: required with a new user namespace");
  return 0;
}

enum oci_ns_type
runtime_sysctl_namespace (const char *name)
{
  /* The sysctls the kernel keeps per namespace (what runc allows too).  */
  static const char *const ipc[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem", "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  char key[256];
  size_t n = strlen (name);

  if (n >= sizeof (key))
    return OCI_NS_COUNT;
  for (size_t i = 0; i <= n; i++)
    key[i] = name[i] == '/' ? '.' : name[i];
  for (const char *const *k = ipc; *k; k++)
    if (strcmp (key, *k) == 0)
      return OCI_NS_IPC;
  if (has_prefix (key, "fs.mqueue."))
    return OCI_NS_IPC;
  if (has_prefix (key, "net."))
    return OCI_NS_NETWORK;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return OCI_NS_UTS;
  return OCI_NS_COUNT;
}

/* Does CONFIG give the container its own namespace of TYPE?  A path that
   names the caller's own namespace does not count.  */
static bool
has_own_ns (const oci_config *config, enum oci_ns_type type)
{
  static const char *const proc_names[OCI_NS_COUNT] = {
    [OCI_NS_NETWORK] = "net",
    [OCI_NS_IPC] = "ipc",
    [OCI_NS_UTS] = "uts",
  };
  const oci_namespace *ns = oci_config_namespace (config, type);
  struct stat a, b;
  char self[64];

  if (ns == NULL)
    return false;
  if (ns->path == NULL || *ns->path == '\0' || proc_names[type] == NULL)
    return true;
  snprintf (self, sizeof (self), "/proc/self/ns/%s", proc_names[type]);
  if (stat (ns->path, &a) < 0 || stat (self, &b) < 0)
    return true; /* joining reports a bad path */
  return !(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

int
runtime_sysctl_validate (const oci_config *config, reg_error_t *err)
{
  const oci_map *m = &config->linux_cfg.sysctl;

  for (size_t i = 0; i < m->len; i++)
    {
      const char *key = m->items[i].key;
      enum oci_ns_type t = runtime_sysctl_namespace (key);

      if (t == OCI_NS_COUNT)
        return reg_make_error (err, 0, "config.json: linux.sysctl: \"%s\" is not in a separate kernel namespace", key);
      if (!has_own_ns (config, t))
        return reg_make_error (err, 0, "config.json: linux.sysctl: \"%s\" is not allowed in the host's %s namespace",
                               key, oci_ns_type_name (t));
    }
  return 0;
}
