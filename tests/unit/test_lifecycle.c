/* Unit tests of the lifecycle's pure logic: ids, cgroup paths, signals,
   PATH lookup, /proc/PID/stat parsing, the status document, mount
   options, id maps.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/mount.h>
#include <signal.h>

#include "cgroup.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "status.h"
#include "rootfs-fixture.h"
#include "utils.h"

static void
test_id_validation (void **state)
{
  reg_error_t err = NULL;
  char *longid = xmalloc (RUNTIME_ID_MAX + 2);
  (void)state;

  assert_int_equal (runtime_status_validate_id ("abc", &err), 0);
  assert_int_equal (runtime_status_validate_id ("A0_b.c+d-e", &err), 0);
  assert_int_equal (runtime_status_validate_id ("0123456789abcdef0123456789abcdef", &err), 0);
  const char *bad[] = { "", ".", "..", "a/b", "-a", "_a", ".a", "a b", "a\n", "é", "a:b" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_true (runtime_status_validate_id (bad[i], &err) < 0);
      assert_non_null (strstr (err->msg, "invalid container id"));
      reg_error_release (&err);
    }
  runtime_status_validate_id ("x/y", &err);
  assert_string_equal (err->msg,
                       "invalid container id \"x/y\": only letters, digits and `_.+-`, first a letter or a digit");
  reg_error_release (&err);
  /* One line whatever the id holds: control characters escaped.  */
  runtime_status_validate_id ("a\nb\x1b[0m", &err);
  assert_non_null (strstr (err->msg, "\"a\\x0ab\\x1b[0m\""));
  reg_error_release (&err);
  memset (longid, 'a', RUNTIME_ID_MAX);
  longid[RUNTIME_ID_MAX] = '\0';
  assert_int_equal (runtime_status_validate_id (longid, &err), 0);
  longid[RUNTIME_ID_MAX] = 'a';
  longid[RUNTIME_ID_MAX + 1] = '\0';
  assert_true (runtime_status_validate_id (longid, &err) < 0);
  /* Not the whole id again; the limit.  */
  assert_true (strlen (err->msg) < 200);
  assert_non_null (strstr (err->msg, "256 bytes, more than 255"));
  reg_error_release (&err);
  free (longid);
}

static void
check_path (const char *cgroups_path, bool systemd, const char *want)
{
  reg_error_t err = NULL;
  char *out = NULL;
  assert_int_equal (runtime_cgroup_path_for (cgroups_path, "ID", systemd, &out, &err), 0);
  assert_string_equal (out, want);
  free (out);
}

static void
test_cgroup_paths (void **state)
{
  reg_error_t err = NULL;
  char *out = NULL;
  (void)state;

  check_path (NULL, false, "/reg-runc/ID");
  check_path ("", false, "/reg-runc/ID");
  check_path ("/libpod_parent/libpod-ID", false, "/libpod_parent/libpod-ID");
  check_path ("rel/x", false, "rel/x");
  check_path ("system.slice:cri-containerd:abc", true, "/system.slice/cri-containerd-abc.scope");
  check_path ("kubepods-besteffort-pod1.slice:cri-containerd:abc", true,
              "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope");
  check_path (":reg:abc", true, "/system.slice/reg-abc.scope");
  check_path ("-.slice:p:n", true, "/p-n.scope");
  check_path (NULL, true, "/system.slice/reg-runc-ID.scope");
  check_path ("machine.slice:p:x.scope", true, "/machine.slice/p-x.scope");
  assert_true (runtime_cgroup_path_for ("/not/systemd", "ID", true, &out, &err) < 0);
  assert_non_null (strstr (err->msg, "slice:prefix:name"));
  reg_error_release (&err);
  assert_true (runtime_cgroup_path_for ("bad:p:n", "ID", true, &out, &err) < 0);
  reg_error_release (&err);
  assert_true (runtime_cgroup_path_for ("a--b.slice:p:n", "ID", true, &out, &err) < 0);
  reg_error_release (&err);

  out = runtime_cgroup_resolve ("/user.slice/x", "c/d");
  assert_string_equal (out, "/user.slice/x/c/d");
  free (out);
  out = runtime_cgroup_resolve ("/", "c");
  assert_string_equal (out, "/c");
  free (out);
  out = runtime_cgroup_resolve (NULL, "c");
  assert_string_equal (out, "/c");
  free (out);
  out = runtime_cgroup_resolve ("/own", "/abs");
  assert_string_equal (out, "/abs");
  free (out);
}

static void
test_signals (void **state)
{
  (void)state;
  assert_int_equal (signal_from_name ("KILL"), SIGKILL);
  assert_int_equal (signal_from_name ("SIGKILL"), SIGKILL);
  assert_int_equal (signal_from_name ("sigterm"), SIGTERM);
  assert_int_equal (signal_from_name ("9"), 9);
  assert_int_equal (signal_from_name ("15"), 15);
  assert_int_equal (signal_from_name ("SIGRTMIN+3"), SIGRTMIN + 3);
  assert_int_equal (signal_from_name ("NOPE"), -1);
  assert_int_equal (signal_from_name ("0"), -1);
  assert_int_equal (signal_from_name ("999"), -1);
  assert_int_equal (signal_from_name (""), -1);
}

static void
test_path_lookup (void **state)
{
  char tmpl[] = "/tmp/test_lifecycle.XXXXXX";
  char *dir = mkdtemp (tmpl);
  char *a = NULL, *b = NULL, *path_env = NULL, *out = NULL, *exe = NULL, *noexec = NULL;
  reg_error_t err = NULL;
  (void)state;

  assert_non_null (dir);
  xasprintf (&a, "%s/a", dir);
  xasprintf (&b, "%s/b", dir);
  mkdir (a, 0755);
  mkdir (b, 0755);
  xasprintf (&exe, "%s/prog", b);
  xasprintf (&noexec, "%s/prog", a);
  write_file (exe, "#!/bin/sh\n", 10, NULL);
  chmod (exe, 0755);
  write_file (noexec, "x", 1, NULL);
  chmod (noexec, 0644);
  xasprintf (&path_env, "%s:%s", a, b);

  /* A non-executable file earlier in PATH is skipped, as execvp does.  */
  assert_int_equal (runtime_process_find_executable ("prog", path_env, &out, &err), 0);
  assert_string_equal (out, exe);
  free (out);
  assert_int_equal (runtime_process_find_executable ("nosuch", path_env, &out, &err), -ENOENT);
  assert_string_equal (err->msg, "exec: \"nosuch\": executable file not found in $PATH");
  reg_error_release (&err);
  /* A directory is not an executable.  */
  assert_true (runtime_process_find_executable ("a", dir, &out, &err) < 0);
  reg_error_release (&err);
  assert_int_equal (runtime_process_find_executable (exe, NULL, &out, &err), 0);
  assert_string_equal (out, exe);
  free (out);
  assert_true (runtime_process_find_executable ("/nonexistent/x", NULL, &out, &err) < 0);
  reg_error_release (&err);
  /* An explicit path without execute permission: "permission denied" at
     create (Podman's exit status 126).  Root's access() needs one x bit.  */
  assert_int_equal (runtime_process_find_executable (noexec, NULL, &out, &err), -EACCES);
  assert_non_null (strstr (err->msg, "permission denied"));
  reg_error_release (&err);

  oci_strv env = { (char *[]){ "A=1", "PATH=/x:/y", "PATHX=no", NULL }, 3 };
  assert_string_equal (oci_env_get ((const char *const *)env.items, "PATH"), "/x:/y");
  assert_null (oci_env_get ((const char *const *)env.items, "PAT"));

  unlink (exe);
  unlink (noexec);
  rmdir (a);
  rmdir (b);
  rmdir (dir);
  free (a);
  free (b);
  free (exe);
  free (noexec);
  free (path_env);
}

static void
test_proc_stat (void **state)
{
  unsigned long long start = 0;
  char st = 0;
  (void)state;
  const char *text = "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 "
                     "1000 100 18446744073709551615\n";
  assert_int_equal (runtime_proc_stat_parse (text, &start, &st), 0);
  assert_int_equal (start, 987654);
  assert_int_equal (st, 'S');
  assert_true (runtime_proc_stat_parse ("garbage", &start, &st) < 0);
  assert_true (runtime_proc_stat_parse ("1 (x) Z 1 2", &start, &st) < 0);
  /* Our own process.  */
  assert_int_equal (runtime_proc_stat (getpid (), &start, &st), 0);
  assert_true (start > 0);
  assert_int_equal (st, 'R');
}

static void
test_status_roundtrip (void **state)
{
  struct runtime_status in = { 0 }, out = { 0 };
  oci_kv ann[] = { { "k", "v" }, { "run.reg.mode", "share" } };
  oci_hook hooks[] = { { .path = "/bin/true",
                         .args = { (char *[]){ "true", "x", NULL }, 2 },
                         .env = { (char *[]){ "A=b", NULL }, 1 },
                         .has_timeout = true,
                         .timeout = 5 } };
  char *paths[] = { "/sys/fs/cgroup/memory/reg-runc/x", "/sys/fs/cgroup/unified/reg-runc/x", NULL };
  reg_error_t err = NULL;
  size_t len;
  char *json;
  (void)state;

  in.id = "x";
  in.pid = 42;
  in.pid_start = 123456789012ULL;
  in.bundle = "/b \"quoted\"";
  in.rootfs = "/b/rootfs";
  in.created = "2026-01-01T00:00:00Z";
  in.owner = "root";
  in.reg_mode = "off";
  in.cgroup_paths = paths;
  in.cgroup_unit = "machine.slice-x.scope";
  in.annotations.items = ann;
  in.annotations.len = 2;
  in.poststop.items = hooks;
  in.poststop.len = 1;
  json = runtime_status_to_json (&in, &len);
  assert_int_equal (runtime_status_from_json (json, "x", &out, &err), 0);
  assert_string_equal (out.id, "x");
  assert_int_equal (out.pid, 42);
  assert_true (out.pid_start == 123456789012ULL);
  assert_string_equal (out.bundle, "/b \"quoted\"");
  assert_string_equal (out.cgroup_paths[1], paths[1]);
  assert_null (out.cgroup_paths[2]);
  assert_string_equal (out.cgroup_unit, "machine.slice-x.scope");
  assert_null (out.reg_env);
  assert_int_equal (out.annotations.len, 2);
  assert_string_equal (out.annotations.items[1].value, "share");
  assert_int_equal (out.poststop.len, 1);
  assert_int_equal (out.poststart.len, 0);
  assert_string_equal (out.poststop.items[0].args.items[1], "x");
  assert_null (out.poststop.items[0].args.items[2]);
  assert_int_equal (out.poststop.items[0].timeout, 5);
  runtime_status_clear (&out);
  free (json);
  assert_true (runtime_status_from_json ("{not json", "x", &out, &err) < 0);
  reg_error_release (&err);
}

static void
test_mount_flags (void **state)
{
  struct runtime_mount_flags f;
  reg_error_t err = NULL;
  (void)state;

  oci_strv o1 = { (char *[]){ "rbind", "ro", "nosuid", "rprivate", "mode=755", "size=10k", NULL }, 6 };
  assert_int_equal (runtime_mount_flags_parse (&o1, &f, &err), 0);
  assert_true (f.bind && f.rbind);
  assert_true ((f.flags & (MS_RDONLY | MS_NOSUID)) == (MS_RDONLY | MS_NOSUID));
  assert_int_equal (f.n_propagation, 1);
  assert_true (f.propagation[0] == (MS_PRIVATE | MS_REC));
  assert_string_equal (f.data, "mode=755,size=10k");
  runtime_mount_flags_clear (&f);

  oci_strv o2 = { (char *[]){ "ro", "rw", "bind", "rro", "rnoexec", NULL }, 5 };
  assert_int_equal (runtime_mount_flags_parse (&o2, &f, &err), 0);
  assert_true (f.bind && !f.rbind);
  assert_false (f.flags & MS_RDONLY);
  assert_true (f.attr_set & MOUNT_ATTR_RDONLY);
  assert_true (f.attr_set & MOUNT_ATTR_NOEXEC);
  assert_null (f.data);
  runtime_mount_flags_clear (&f);
}

static void
test_id_map (void **state)
{
  oci_id_mapping m[] = { { 0, 100000, 65536 }, { 65536, 1000, 1 } };
  char *s = runtime_ns_format_id_map (m, 2);
  (void)state;
  assert_string_equal (s, "0 100000 65536\n65536 1000 1\n");
  free (s);
}

static void
test_sysctl_namespace (void **state)
{
  (void)state;
  assert_int_equal (runtime_sysctl_namespace ("net.ipv4.ip_forward"), OCI_NS_NETWORK);
  assert_int_equal (runtime_sysctl_namespace ("net/core/somaxconn"), OCI_NS_NETWORK);
  assert_int_equal (runtime_sysctl_namespace ("kernel.shmmax"), OCI_NS_IPC);
  assert_int_equal (runtime_sysctl_namespace ("kernel.sem"), OCI_NS_IPC);
  assert_int_equal (runtime_sysctl_namespace ("fs.mqueue.msg_max"), OCI_NS_IPC);
  assert_int_equal (runtime_sysctl_namespace ("kernel.hostname"), OCI_NS_UTS);
  assert_int_equal (runtime_sysctl_namespace ("kernel.domainname"), OCI_NS_UTS);
  /* Not namespaced, or only a prefix of a namespaced name.  */
  assert_int_equal (runtime_sysctl_namespace ("vm.swappiness"), OCI_NS_COUNT);
  assert_int_equal (runtime_sysctl_namespace ("kernel.shm"), OCI_NS_COUNT);
  assert_int_equal (runtime_sysctl_namespace ("kernel.semx"), OCI_NS_COUNT);
  assert_int_equal (runtime_sysctl_namespace ("fs.file-max"), OCI_NS_COUNT);
  assert_int_equal (runtime_sysctl_namespace ("network.x"), OCI_NS_COUNT);
}

/* A chain of DEPTH directories "d" under DIR, with a file and a symlink to
   CANARY at each level; built with two fds whatever the depth.  */
static void
make_deep_tree (const char *dir, int depth, const char *canary)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0);
  for (int i = 0; i < depth; i++)
    {
      int next;
      assert_int_equal (mkdirat (fd, "d", 0755), 0);
      assert_int_equal (symlinkat (canary, fd, "out"), 0);
      next = openat (fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      assert_true (next >= 0);
      close (next);
      next = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      assert_true (next >= 0);
      close (fd);
      fd = next;
    }
  close (fd);
}

/* remove_tree_at (state dirs, REG upper layers) with a handful of fds
   whatever the depth (a container's 3000-level tree made delete
   fail with EMFILE for ever), never through a symlink, and through a
   read-only directory.  */
static void
test_remove_tree (void **state)
{
  char tmpl[] = "/tmp/test_lifecycle.XXXXXX";
  char *dir = mkdtemp (tmpl);
  char *tree = NULL, *canary = NULL, *kept = NULL, *ro = NULL;
  reg_error_t err = NULL;
  struct rlimit old, low;
  struct stat st;
  (void)state;

  assert_non_null (dir);
  xasprintf (&tree, "%s/tree", dir);
  xasprintf (&canary, "%s/canary", dir);
  xasprintf (&kept, "%s/canary/kept", dir);
  xasprintf (&ro, "%s/tree/ro", dir);
  assert_int_equal (mkdir (canary, 0755), 0);
  assert_int_equal (write_file (kept, "x", 1, &err), 0);
  assert_int_equal (mkdir (tree, 0755), 0);
  make_deep_tree (tree, 3000, canary);
  /* Read-only directories, one of them unreadable.  */
  assert_int_equal (mkdir (ro, 0755), 0);
  make_deep_tree (ro, 3, canary);
  assert_int_equal (chmod (ro, 0555), 0);
  free (ro);
  xasprintf (&ro, "%s/tree/ro/d", dir);
  assert_int_equal (chmod (ro, 0), 0);

  assert_int_equal (getrlimit (RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 20;
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
  int ret = remove_tree_at (AT_FDCWD, tree, &err);
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &old), 0);
  if (ret < 0)
    fail_msg ("remove_tree_at: %s", err->msg);
  assert_true (lstat (tree, &st) < 0 && errno == ENOENT);
  assert_int_equal (stat (kept, &st), 0);

  /* Nothing there is no error; a file is removed too.  */
  assert_int_equal (remove_tree_at (AT_FDCWD, tree, &err), 0);
  assert_int_equal (remove_tree_at (AT_FDCWD, kept, &err), 0);
  assert_true (lstat (kept, &st) < 0 && errno == ENOENT);
  assert_int_equal (remove_tree_at (AT_FDCWD, dir, &err), 0);
  free (tree);
  free (canary);
  free (kept);
  free (ro);
}

/* remove_tree_at never removes what is mounted in the tree (root: a bind
   mount in a private mount namespace of a child).  */
static void
test_remove_tree_mount (void **state)
{
  char tmpl[] = "/tmp/test_lifecycle.XXXXXX";
  char *dir = mkdtemp (tmpl);
  char *tree = NULL, *mnt = NULL, *canary = NULL, *kept = NULL;
  reg_error_t err = NULL;
  struct stat st;
  int status;
  pid_t pid;
  (void)state;

  if (geteuid () != 0)
    {
      rmdir (dir);
      TEST_SKIP ("needs root (mount)");
    }
  assert_non_null (dir);
  xasprintf (&tree, "%s/tree", dir);
  xasprintf (&mnt, "%s/tree/a/mnt", dir);
  xasprintf (&canary, "%s/canary", dir);
  xasprintf (&kept, "%s/canary/kept", dir);
  assert_int_equal (mkdir_p_at (AT_FDCWD, mnt, 0755, &err), 0);
  assert_int_equal (mkdir (canary, 0755), 0);
  assert_int_equal (write_file (kept, "x", 1, &err), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
          || mount (canary, mnt, NULL, MS_BIND, NULL) < 0)
        _exit (2);
      if (remove_tree_at (AT_FDCWD, tree, &err) == 0)
        _exit (3);
      if (stat (kept, &st) < 0)
        _exit (6); /* removed through the mount */
      if (strstr (err->msg, "is a mount point") == NULL)
        _exit (4);
      /* The mount point itself is refused too.  */
      reg_error_release (&err);
      if (remove_tree_at (AT_FDCWD, mnt, &err) == 0)
        _exit (5);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
  assert_int_equal (stat (kept, &st), 0);
  assert_int_equal (remove_tree_at (AT_FDCWD, dir, &err), 0);
  free (tree);
  free (mnt);
  free (canary);
  free (kept);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_id_validation),     cmocka_unit_test (test_cgroup_paths),
    cmocka_unit_test (test_signals),           cmocka_unit_test (test_path_lookup),
    cmocka_unit_test (test_proc_stat),         cmocka_unit_test (test_status_roundtrip),
    cmocka_unit_test (test_mount_flags),       cmocka_unit_test (test_id_map),
    cmocka_unit_test (test_sysctl_namespace),  cmocka_unit_test (test_remove_tree),
    cmocka_unit_test (test_remove_tree_mount),
  };
  return cmocka_run_group_tests_name ("lifecycle", tests, NULL, NULL);
}
