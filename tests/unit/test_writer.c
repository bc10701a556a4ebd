/* Unit tests of the JSON writers: state, features and the default
 * config.json read back with yajl (and with our own parser) to check the
 * values, not the formatting.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "oci-spec.h"
#include "runtime-features.h"
#include "utils.h"

static yajl_val
parse_json (const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse (text, errbuf, sizeof errbuf);

  if (v == NULL)
    fail_msg ("not JSON (%s): %s", errbuf, text);
  return v;
}

static yajl_val
get (yajl_val v, const char *p1, const char *p2, const char *p3)
{
  const char *path[] = { p1, p2, p3, NULL };
  return yajl_tree_get (v, path, yajl_t_any);
}

static bool
array_has (yajl_val a, const char *s)
{
  assert_true (YAJL_IS_ARRAY (a));
  for (size_t i = 0; i < a->u.array.len; i++)
    if (YAJL_IS_STRING (a->u.array.values[i]) && strcmp (a->u.array.values[i]->u.string, s) == 0)
      return true;
  return false;
}

static void
test_state (void **state)
{
  oci_kv kv[] = { { (char *)"org.example.key", (char *)"va\"lue" } };
  oci_map ann = { kv, 1 };
  oci_state s = { .oci_version = "1.3.0",
                  .id = "c\"1",
                  .status = "running",
                  .pid = 4242,
                  .bundle = "/b/\xc3\xa9",
                  .annotations = &ann,
                  .rootfs = "/b/rootfs",
                  .created = "2026-01-01T00:00:00.000000000Z",
                  .owner = "" };
  size_t len;
  char *json = oci_state_to_json (&s, true, &len);
  yajl_val v = parse_json (json);

  (void)state;
  assert_int_equal (strlen (json), len);
  assert_string_equal (get (v, "ociVersion", NULL, NULL)->u.string, "1.3.0");
  assert_string_equal (get (v, "id", NULL, NULL)->u.string, "c\"1");
  assert_string_equal (get (v, "status", NULL, NULL)->u.string, "running");
  assert_int_equal (YAJL_GET_INTEGER (get (v, "pid", NULL, NULL)), 4242);
  assert_string_equal (get (v, "bundle", NULL, NULL)->u.string, "/b/\xc3\xa9");
  assert_string_equal (get (v, "rootfs", NULL, NULL)->u.string, "/b/rootfs");
  assert_string_equal (get (v, "created", NULL, NULL)->u.string, "2026-01-01T00:00:00.000000000Z");
  assert_string_equal (get (v, "owner", NULL, NULL)->u.string, "");
  assert_string_equal (get (v, "annotations", "org.example.key", NULL)->u.string, "va\"lue");
  yajl_tree_free (v);
  free (json);

  /* pid 0 and absent extensions are left out; compact when not pretty.  */
  s = (oci_state){ .id = "x", .status = "stopped", .bundle = "/b" };
  json = oci_state_to_json (&s, false, &len);
  assert_null (strchr (json, '\n'));
  v = parse_json (json);
  assert_null (get (v, "pid", NULL, NULL));
  assert_null (get (v, "rootfs", NULL, NULL));
  assert_null (get (v, "annotations", NULL, NULL));
  assert_string_equal (get (v, "ociVersion", NULL, NULL)->u.string, OCI_SPEC_VERSION);
  yajl_tree_free (v);
  free (json);
}

static void
test_features (void **state)
{
  size_t len;
  char *json = runtime_features_json (&len);
  yajl_val v = parse_json (json), caps, a;

  (void)state;
  assert_string_equal (get (v, "ociVersionMin", NULL, NULL)->u.string, "1.0.0");
  assert_string_equal (get (v, "ociVersionMax", NULL, NULL)->u.string, "1.3.0");
  a = get (v, "hooks", NULL, NULL);
  assert_int_equal (a->u.array.len, 6);
  assert_true (array_has (a, "createRuntime"));
  a = get (v, "mountOptions", NULL, NULL);
  assert_true (array_has (a, "rbind") && array_has (a, "rro") && array_has (a, "nosuid"));
  assert_false (array_has (a, "idmap"));
  a = get (v, "linux", "namespaces", NULL);
  assert_int_equal (a->u.array.len, 8);
  assert_true (array_has (a, "time") && array_has (a, "cgroup"));
  caps = get (v, "linux", "capabilities", NULL);
  assert_true (caps->u.array.len >= 38); /* every cap up to CAP_AUDIT_READ (Linux 3.16) */
  assert_true (array_has (caps, "CAP_CHOWN") && array_has (caps, "CAP_SYS_ADMIN")
               && array_has (caps, "CAP_AUDIT_READ"));
  for (size_t i = 0; i < caps->u.array.len; i++)
    {
      const char *c = caps->u.array.values[i]->u.string;
      assert_true (has_prefix (c, "CAP_"));
      assert_int_equal (strspn (c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), strlen (c));
    }
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "v2")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "systemd")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "systemdUser")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "seccomp", "enabled")));
  assert_true (array_has (get (v, "linux", "seccomp", "actions"), "SCMP_ACT_ERRNO"));
  assert_int_equal (get (v, "linux", "seccomp", "operators")->u.array.len, 7);
#ifdef __x86_64__
  assert_true (array_has (get (v, "linux", "seccomp", "archs"), "SCMP_ARCH_X86_64"));
#endif
  assert_int_equal (get (v, "linux", "seccomp", "knownFlags")->u.array.len, 4);
  a = get (v, "linux", "seccomp", "supportedFlags");
  for (size_t i = 0; i < a->u.array.len; i++)
    assert_true (array_has (get (v, "linux", "seccomp", "knownFlags"), a->u.array.values[i]->u.string));
  assert_true (YAJL_IS_FALSE (get (v, "linux", "intelRdt", "enabled")));
  assert_true (YAJL_IS_FALSE (get (v, "linux", "netDevices", "enabled")));
  {
    const char *p[] = { "linux", "mountExtensions", "idmap", "enabled", NULL };
    assert_true (YAJL_IS_FALSE (yajl_tree_get (v, p, yajl_t_any)));
  }
  a = get (v, "potentiallyUnsafeConfigAnnotations", NULL, NULL);
  assert_int_equal (a->u.array.len, 1);
  assert_true (array_has (a, "run.reg."));
  assert_non_null (get (v, "annotations", "io.github.reg-runc.version", NULL));
  assert_non_null (get (v, "annotations", "io.github.seccomp.libseccomp.version", NULL));
  yajl_tree_free (v);
  free (json);
}

static void
test_default_config (void **state)
{
  size_t len;
  char *json = oci_default_config_json (false, 1000, 100, &len);
  oci_config *c = NULL;
  reg_error_t err = NULL;
  const oci_process *p;

  (void)state;
  if (oci_config_parse (json, len, "config.json", &c, &err) < 0)
    fail_msg ("%s", err->msg);
  p = c->process;
  assert_string_equal (c->oci_version, OCI_SPEC_VERSION);
  assert_true (p->terminal);
  assert_string_equal (p->args.items[0], "sh");
  assert_int_equal (p->args.len, 1);
  assert_string_equal (p->cwd, "/");
  assert_int_equal (p->env.len, 2);
  assert_true (has_prefix (p->env.items[0], "PATH="));
  assert_string_equal (p->env.items[1], "TERM=xterm");
  assert_int_equal (p->capabilities.bounding.len, 3);
  assert_string_equal (p->capabilities.effective.items[0], "CAP_AUDIT_WRITE");
  assert_string_equal (p->capabilities.permitted.items[2], "CAP_NET_BIND_SERVICE");
  assert_int_equal (p->n_rlimits, 1);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (p->rlimits[0].soft, 1024);
  assert_true (p->no_new_privileges);
  assert_string_equal (c->root_path, "rootfs");
  assert_true (c->root_readonly);
  assert_string_equal (c->hostname, "reg-runc");
  assert_int_equal (c->n_mounts, 7);
  assert_string_equal (c->mounts[1].destination, "/dev");
  assert_string_equal (c->mounts[1].type, "tmpfs");
  assert_string_equal (c->mounts[5].type, "sysfs");
  assert_string_equal (c->mounts[6].destination, "/sys/fs/cgroup");
  assert_string_equal (c->mounts[2].options.items[5], "gid=5");
  assert_non_null (oci_config_namespace (c, OCI_NS_NETWORK));
  assert_non_null (oci_config_namespace (c, OCI_NS_PID));
  assert_null (oci_config_namespace (c, OCI_NS_USER));
  assert_int_equal (c->linux_cfg.n_uid_mappings, 0);
  assert_int_equal (c->linux_cfg.resources.n_devices, 1);
  assert_false (c->linux_cfg.resources.devices[0].allow);
  assert_true (c->linux_cfg.masked_paths.len >= 10);
  assert_string_equal (c->linux_cfg.masked_paths.items[0], "/proc/acpi");
  assert_int_equal (c->linux_cfg.readonly_paths.len, 5);
  oci_config_free (c);
  free (json);
}

static void
test_default_config_rootless (void **state)
{
  size_t len;
  char *json = oci_default_config_json (true, 1000, 100, &len);
  oci_config *c = NULL;
  reg_error_t err = NULL;
  const oci_linux *l;

  (void)state;
  if (oci_config_parse (json, len, "config.json", &c, &err) < 0)
    fail_msg ("%s", err->msg);
  l = &c->linux_cfg;
  assert_non_null (oci_config_namespace (c, OCI_NS_USER));
  assert_null (oci_config_namespace (c, OCI_NS_NETWORK));
  assert_int_equal (l->n_uid_mappings, 1);
  assert_int_equal (l->uid_mappings[0].container_id, 0);
  assert_int_equal (l->uid_mappings[0].host_id, 1000);
  assert_int_equal (l->uid_mappings[0].size, 1);
  assert_int_equal (l->gid_mappings[0].host_id, 100);
  assert_false (l->resources.present);
  assert_string_equal (c->mounts[5].destination, "/sys");
  assert_string_equal (c->mounts[5].source, "/sys");
  assert_string_equal (c->mounts[5].options.items[0], "rbind");
  /* No uid=/gid= options: those ids are not mapped.  */
  for (size_t i = 0; i < c->n_mounts; i++)
    for (size_t k = 0; k < c->mounts[i].options.len; k++)
      assert_false (has_prefix (c->mounts[i].options.items[k], "gid="));
  oci_config_free (c);
  free (json);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_state),
    cmocka_unit_test (test_features),
    cmocka_unit_test (test_default_config),
    cmocka_unit_test (test_default_config_rootless),
  };
  return cmocka_run_group_tests_name ("writer", tests, NULL, NULL);
}
