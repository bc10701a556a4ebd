/* liboci-spec: JSON writers (state, features, the default config.json),
 * built with yajl_gen so escaping is yajl's, not ours.  */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "json-gen.h"
#include "oci-spec.h"
#include "utils.h"

static void
gmap (yajl_gen g, const oci_map *m)
{
  size_t i;

  yajl_gen_map_open (g);
  for (i = 0; m && i < m->len; i++)
    oci_gen_key_str (g, m->items[i].key, m->items[i].value);
  yajl_gen_map_close (g);
}

static yajl_gen
gnew (bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    abort ();
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "\t");
    }
  return g;
}

/* Take the buffer out of G (NUL-terminated, with a final newline when
   pretty) and free G.  */
static char *
gfinish (yajl_gen g, size_t *len)
{
  const unsigned char *buf;
  size_t n;
  char *out;

  yajl_gen_get_buf (g, &buf, &n);
  out = xmalloc (n + 1);
  memcpy (out, buf, n);
  out[n] = '\0';
  yajl_gen_free (g);
  if (len)
    *len = n;
  return out;
}

char *
oci_state_to_json (const oci_state *s, bool pretty, size_t *len)
{
  yajl_gen g = gnew (pretty);

  yajl_gen_map_open (g);
  oci_gen_key_str (g, "ociVersion", s->oci_version ? s->oci_version : OCI_SPEC_VERSION);
  oci_gen_key_str (g, "id", s->id ? s->id : "");
  oci_gen_key_str (g, "status", s->status ? s->status : "stopped");
  if (s->pid > 0)
    oci_gen_key_int (g, "pid", s->pid);
  oci_gen_key_str (g, "bundle", s->bundle ? s->bundle : "");
  if (s->rootfs)
    oci_gen_key_str (g, "rootfs", s->rootfs);
  if (s->created)
    oci_gen_key_str (g, "created", s->created);
  if (s->owner)
    oci_gen_key_str (g, "owner", s->owner);
  if (s->annotations && s->annotations->len > 0)
    {
      oci_gen_str (g, "annotations");
      gmap (g, s->annotations);
    }
  yajl_gen_map_close (g);
  return gfinish (g, len);
}

static void
genabled (yajl_gen g, const char *key, bool enabled)
{
  oci_gen_str (g, key);
  yajl_gen_map_open (g);
  oci_gen_key_bool (g, "enabled", enabled);
  yajl_gen_map_close (g);
}

char *
oci_features_to_json (const oci_features *f, size_t *len)
{
  yajl_gen g = gnew (true);

  yajl_gen_map_open (g);
  oci_gen_key_str (g, "ociVersionMin", f->oci_version_min ? f->oci_version_min : "1.0.0");
  oci_gen_key_str (g, "ociVersionMax", f->oci_version_max ? f->oci_version_max : OCI_SPEC_VERSION);
  if (f->hooks)
    oci_gen_key_strv (g, "hooks", f->hooks);
  if (f->mount_options)
    oci_gen_key_strv (g, "mountOptions", f->mount_options);

  oci_gen_str (g, "linux");
  yajl_gen_map_open (g);
  if (f->namespaces)
    oci_gen_key_strv (g, "namespaces", f->namespaces);
  if (f->capabilities)
    oci_gen_key_strv (g, "capabilities", f->capabilities);
  oci_gen_str (g, "cgroup");
  yajl_gen_map_open (g);
  oci_gen_key_bool (g, "v1", f->cgroup_v1);
  oci_gen_key_bool (g, "v2", f->cgroup_v2);
  oci_gen_key_bool (g, "systemd", f->cgroup_systemd);
  oci_gen_key_bool (g, "systemdUser", f->cgroup_systemd_user);
  oci_gen_key_bool (g, "rdma", f->cgroup_rdma);
  yajl_gen_map_close (g);
  oci_gen_str (g, "seccomp");
  yajl_gen_map_open (g);
  oci_gen_key_bool (g, "enabled", f->seccomp_enabled);
  if (f->seccomp_enabled)
    {
      oci_gen_key_strv (g, "actions", f->seccomp_actions);
      oci_gen_key_strv (g, "operators", f->seccomp_operators);
      oci_gen_key_strv (g, "archs", f->seccomp_archs);
      oci_gen_key_strv (g, "knownFlags", f->seccomp_known_flags);
      oci_gen_key_strv (g, "supportedFlags", f->seccomp_supported_flags);
    }
  yajl_gen_map_close (g);
  genabled (g, "apparmor", f->apparmor);
  genabled (g, "selinux", f->selinux);
  oci_gen_str (g, "intelRdt");
  yajl_gen_map_open (g);
  oci_gen_key_bool (g, "enabled", f->intel_rdt);
  if (f->intel_rdt)
    oci_gen_key_bool (g, "schemata", f->intel_rdt_schemata);
  yajl_gen_map_close (g);
  if (f->memory_policy)
    {
      oci_gen_str (g, "memoryPolicy");
      yajl_gen_map_open (g);
      oci_gen_key_strv (g, "modes", f->memory_policy_modes);
      oci_gen_key_strv (g, "flags", f->memory_policy_flags);
      yajl_gen_map_close (g);
    }
  oci_gen_str (g, "mountExtensions");
  yajl_gen_map_open (g);
  genabled (g, "idmap", f->mount_extensions_idmap);
  yajl_gen_map_close (g);
  genabled (g, "netDevices", f->net_devices);
  yajl_gen_map_close (g);

  if (f->annotations)
    {
      oci_gen_str (g, "annotations");
      gmap (g, f->annotations);
    }
  if (f->unsafe_annotations)
    oci_gen_key_strv (g, "potentiallyUnsafeConfigAnnotations", f->unsafe_annotations);
  yajl_gen_map_close (g);
  return gfinish (g, len);
}

/* One mount of the default config.  */
static void
gmount (yajl_gen g, const char *dst, const char *type, const char *src, const char *const *options, bool rootless)
{
  yajl_gen_map_open (g);
  oci_gen_key_str (g, "destination", dst);
  oci_gen_key_str (g, "type", type);
  oci_gen_key_str (g, "source", src);
  if (options)
    {
      oci_gen_str (g, "options");
      yajl_gen_array_open (g);
      for (; *options; options++)
        /* Without root, the uid=/gid= a filesystem would be mounted with do
           not exist in the user namespace: drop them, as runc does.  */
        if (!rootless || (!has_prefix (*options, "uid=") && !has_prefix (*options, "gid=")))
          oci_gen_str (g, *options);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

static void
gid_mapping (yajl_gen g, const char *key, unsigned long host_id)
{
  oci_gen_str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  oci_gen_key_int (g, "containerID", 0);
  oci_gen_key_int (g, "hostID", (long long)host_id);
  oci_gen_key_int (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

char *
oci_default_config_json (bool rootless, uid_t uid, gid_t gid, size_t *len)
{
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  static const char *const env[] = { "PATH=" OCI_DEFAULT_PATH, "TERM=xterm", NULL };
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_opts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_rootless_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  static const char *const masked[] = { "/proc/acpi",
                                        "/proc/asound",
                                        "/proc/kcore",
                                        "/proc/keys",
                                        "/proc/latency_stats",
                                        "/proc/timer_list",
                                        "/proc/timer_stats",
                                        "/proc/sched_debug",
                                        "/sys/firmware",
                                        "/proc/scsi",
                                        "/sys/devices/virtual/powercap",
                                        NULL };
  static const char *const readonly[]
      = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  const char *const *ns;
  yajl_gen g = gnew (true);

  yajl_gen_map_open (g);
  oci_gen_key_str (g, "ociVersion", OCI_SPEC_VERSION);

  oci_gen_str (g, "process");
  yajl_gen_map_open (g);
  oci_gen_key_bool (g, "terminal", true);
  oci_gen_str (g, "user");
  yajl_gen_map_open (g);
  oci_gen_key_int (g, "uid", 0);
  oci_gen_key_int (g, "gid", 0);
  yajl_gen_map_close (g);
  oci_gen_str (g, "args");
  yajl_gen_array_open (g);
  oci_gen_str (g, "sh");
  yajl_gen_array_close (g);
  oci_gen_key_strv (g, "env", env);
  oci_gen_key_str (g, "cwd", "/");
  oci_gen_str (g, "capabilities");
  yajl_gen_map_open (g);
  oci_gen_key_strv (g, "bounding", caps);
  oci_gen_key_strv (g, "effective", caps);
  oci_gen_key_strv (g, "permitted", caps);
  yajl_gen_map_close (g);
  oci_gen_str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  oci_gen_key_str (g, "type", "RLIMIT_NOFILE");
  oci_gen_key_int (g, "hard", 1024);
  oci_gen_key_int (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  oci_gen_key_bool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g);

  oci_gen_str (g, "root");
  yajl_gen_map_open (g);
  oci_gen_key_str (g, "path", "rootfs");
  oci_gen_key_bool (g, "readonly", true);
  yajl_gen_map_close (g);

  oci_gen_key_str (g, "hostname", "reg-runc");

  oci_gen_str (g, "mounts");
  yajl_gen_array_open (g);
  gmount (g, "/proc", "proc", "proc", NULL, rootless);
  gmount (g, "/dev", "tmpfs", "tmpfs", dev_opts, rootless);
  gmount (g, "/dev/pts", "devpts", "devpts", pts_opts, rootless);
  gmount (g, "/dev/shm", "tmpfs", "shm", shm_opts, rootless);
  gmount (g, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts, rootless);
  /* Without root and without a network namespace of its own, a container
     cannot mount sysfs: bind the host's, read-only.  */
  if (rootless)
    gmount (g, "/sys", "none", "/sys", sys_rootless_opts, rootless);
  else
    gmount (g, "/sys", "sysfs", "sysfs", sys_opts, rootless);
  gmount (g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts, rootless);
  yajl_gen_array_close (g);

  oci_gen_str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      gid_mapping (g, "uidMappings", (unsigned long)uid);
      gid_mapping (g, "gidMappings", (unsigned long)gid);
    }
  else
    {
      /* Deny every device but those the runtime creates itself.  */
      oci_gen_str (g, "resources");
      yajl_gen_map_open (g);
      oci_gen_str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      oci_gen_key_bool (g, "allow", false);
      oci_gen_key_str (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  oci_gen_str (g, "namespaces");
  yajl_gen_array_open (g);
  for (ns = namespaces; *ns; ns++)
    {
      /* Rootless: no network namespace (it would have no connectivity),
         and a user namespace holding the mappings above; like runc.  */
      if (rootless && strcmp (*ns, "network") == 0)
        continue;
      yajl_gen_map_open (g);
      oci_gen_key_str (g, "type", *ns);
      yajl_gen_map_close (g);
    }
  if (rootless)
    {
      yajl_gen_map_open (g);
      oci_gen_key_str (g, "type", "user");
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  oci_gen_key_strv (g, "maskedPaths", masked);
  oci_gen_key_strv (g, "readonlyPaths", readonly);
  yajl_gen_map_close (g);

  yajl_gen_map_close (g);
  return gfinish (g, len);
}
