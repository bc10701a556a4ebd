/* reg-runc: what `features` reports.  Only what this build implements and
 * what the libseccomp, libcap and kernel it runs with support.  */
#include <stdio.h>
#include <stdlib.h>

#include <seccomp.h>

#include "caps.h"
#include "config.h"
#include "lsm.h"
#include "oci-spec.h"
#include "runtime-features.h"
#include "seccomp-filter.h"
#include "utils.h"

static const char *const hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };

char *
runtime_features_json (size_t *len)
{
  const struct scmp_version *v = seccomp_version ();
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
  static const char *const unsafe[] = { "run.reg.", NULL };
  char seccomp_version_str[64];
  oci_kv annotations[2];
  oci_map amap = { annotations, 2 };
  oci_features f = { 0 };

  snprintf (seccomp_version_str, sizeof seccomp_version_str, "%u.%u.%u", v->major, v->minor, v->micro);
  annotations[0].key = (char *)"io.github.reg-runc.version";
  annotations[0].value = (char *)REG_VERSION;
  annotations[1].key = (char *)"io.github.seccomp.libseccomp.version";
  annotations[1].value = seccomp_version_str;

  f.oci_version_min = "1.0.0";
  f.oci_version_max = OCI_SPEC_VERSION;
  f.hooks = hooks;
  f.mount_options = oci_mount_option_names ();
  f.namespaces = namespaces;
  f.capabilities = runtime_caps_known_names ();
  f.cgroup_v1 = true;
  f.cgroup_v2 = true;
  /* The systemd driver: the system manager as root, the user's manager
     without root (--systemd-cgroup).  */
  f.cgroup_systemd = true;
  f.cgroup_systemd_user = true;
  f.cgroup_rdma = true;
  f.seccomp_enabled = true;
  f.seccomp_actions = runtime_seccomp_actions ();
  f.seccomp_operators = runtime_seccomp_operators ();
  f.seccomp_archs = runtime_seccomp_archs ();
  f.seccomp_known_flags = runtime_seccomp_known_flags ();
  f.seccomp_supported_flags = runtime_seccomp_supported_flags ();
  f.apparmor = runtime_lsm_apparmor_enabled ();
  f.selinux = runtime_lsm_selinux_enabled ();
  f.intel_rdt = false;
  f.mount_extensions_idmap = false;
  f.net_devices = false;
  f.memory_policy = false;
  f.unsafe_annotations = unsafe;
  f.annotations = &amap;

  return oci_features_to_json (&f, len);
}
