/* reg-runc: what `features` reports.  Only what this build implements and
 * what the libseccomp, libcap and kernel it runs with support.  */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <seccomp.h>
#include <sys/capability.h>

#include "config.h"
#include "reg-features.h"
#include "oci-spec.h"
#include "utils.h"

static const char *const hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };

static char **
capability_names (void)
{
  cap_value_t max = cap_max_bits ();
  char **names = xmalloc0 (((size_t) max + 1) * sizeof (char *));
  size_t n = 0;

  for (cap_value_t i = 0; i < max; i++)
    {
      char *name = cap_to_name (i);
      char *p;

      /* libcap spells caps it has no name for as numbers: leave those out,
         a config cannot name them.  */
      if (name && strncmp (name, "cap_", 4) == 0)
        {
          for (p = name; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
          names[n++] = xstrdup (name);
        }
      cap_free (name);
    }
  return names;
}

/* The schema's SCMP_ARCH_* names this libseccomp knows.  */
static const char **
seccomp_archs (void)
{
  const char *const *all = oci_seccomp_arch_names ();
  size_t n = 0, i;
  const char **out;

  for (i = 0; all[i]; i++)
    ;
  out = xmalloc0 ((i + 1) * sizeof (char *));
  for (i = 0; all[i]; i++)
    {
      char lower[64];
      size_t k;

      /* "SCMP_ARCH_X86_64" -> "x86_64", the name libseccomp resolves.  */
      snprintf (lower, sizeof lower, "%s", all[i] + strlen ("SCMP_ARCH_"));
      for (k = 0; lower[k]; k++)
        lower[k] = (char) tolower ((unsigned char) lower[k]);
      if (seccomp_arch_resolve_name (lower) != 0)
        out[n++] = all[i];
    }
  return out;
}

/* The kernel accepts a filter flag when seccomp(2) with it fails on the NULL
   program (EFAULT) rather than on the flag (EINVAL).  */
static bool
kernel_has_seccomp_flag (unsigned long flag)
{
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);

  return r < 0 && errno == EFAULT;
}

static bool
lsm_enabled (const char *path, const char *param)
{
  cleanup_free char *data = NULL;

  if (access (path, F_OK) < 0)
    return false;
  if (param == NULL)
    return true;
  if (read_all_file (param, 64, &data, NULL, NULL) < 0)
    return false;
  return data[0] == 'Y';
}

char *
reg_features_json (size_t *len)
{
  unsigned int api = seccomp_api_get ();
  const struct scmp_version *v = seccomp_version ();
  const char *actions[16], *supported_flags[8];
  static const char *const known_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  static const char *const namespaces[]
      = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
  static const char *const unsafe[] = { "run.reg.", NULL };
  cleanup_free const char **archs = seccomp_archs ();
  char **caps = capability_names ();
  char seccomp_version_str[64];
  oci_kv annotations[2];
  oci_map amap = { annotations, 2 };
  size_t na = 0, nf = 0;
  oci_features f = { 0 };
  char *json;

  /* Actions and flags by libseccomp API level (seccomp_api_get(3)).  */
  actions[na++] = "SCMP_ACT_KILL";
  actions[na++] = "SCMP_ACT_KILL_THREAD";
  if (api >= 3)
    actions[na++] = "SCMP_ACT_KILL_PROCESS";
  actions[na++] = "SCMP_ACT_TRAP";
  actions[na++] = "SCMP_ACT_ERRNO";
  actions[na++] = "SCMP_ACT_TRACE";
  actions[na++] = "SCMP_ACT_ALLOW";
  if (api >= 3)
    actions[na++] = "SCMP_ACT_LOG";
  if (api >= 5)
    actions[na++] = "SCMP_ACT_NOTIFY";
  actions[na] = NULL;
  /* A flag is supported when both libseccomp can set it and the kernel
     takes it.  */
  if (api >= 2 && kernel_has_seccomp_flag (1))
    supported_flags[nf++] = "SECCOMP_FILTER_FLAG_TSYNC";
  if (api >= 3 && kernel_has_seccomp_flag (2))
    supported_flags[nf++] = "SECCOMP_FILTER_FLAG_LOG";
  if (api >= 4 && kernel_has_seccomp_flag (4))
    supported_flags[nf++] = "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
#ifdef SCMP_FLTATR_CTL_WAITKILL
  if (api >= 7 && kernel_has_seccomp_flag (32))
    supported_flags[nf++] = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
#endif
  supported_flags[nf] = NULL;

  snprintf (seccomp_version_str, sizeof seccomp_version_str, "%u.%u.%u", v->major, v->minor, v->micro);
  annotations[0].key = (char *) "io.github.reg-runc.version";
  annotations[0].value = (char *) REG_VERSION;
  annotations[1].key = (char *) "io.github.seccomp.libseccomp.version";
  annotations[1].value = seccomp_version_str;

  f.oci_version_min = "1.0.0";
  f.oci_version_max = OCI_SPEC_VERSION;
  f.hooks = hooks;
  f.mount_options = oci_mount_option_names ();
  f.namespaces = namespaces;
  f.capabilities = (const char *const *) caps;
  f.cgroup_v1 = true;
  f.cgroup_v2 = true;
  f.cgroup_systemd = false;
  f.cgroup_systemd_user = false;
  f.cgroup_rdma = true;
  f.seccomp_enabled = true;
  f.seccomp_actions = actions;
  f.seccomp_operators = oci_seccomp_operator_names ();
  f.seccomp_archs = archs;
  f.seccomp_known_flags = known_flags;
  f.seccomp_supported_flags = supported_flags;
  f.apparmor = lsm_enabled ("/sys/kernel/security/apparmor", "/sys/module/apparmor/parameters/enabled");
  f.selinux = lsm_enabled ("/sys/fs/selinux/enforce", NULL);
  f.intel_rdt = false;
  f.mount_extensions_idmap = false;
  f.net_devices = false;
  f.memory_policy = false;
  f.unsafe_annotations = unsafe;
  f.annotations = &amap;

  json = oci_features_to_json (&f, len);
  free_string_array (caps);
  return json;
}
