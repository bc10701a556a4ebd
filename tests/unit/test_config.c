/* Unit tests of liboci-spec's parser: the runtime-spec's own good/bad
 * documents, real Podman and containerd configs field by field, one exact
 * message per validation error class, and hostile documents.  */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sched.h>

#include <cmocka.h>

#include "oci-spec.h"
#include "utils.h"

#define DATA SRCDIR "/tests/data"
#define SCHEMA_TESTS DATA "/oci-runtime-spec/schema/test/config"

static char *
read_data (const char *path, size_t *len)
{
  char *data = NULL;
  reg_error_t err = NULL;

  if (read_all_file (path, 0, &data, len, &err) < 0)
    fail_msg ("%s", err->msg);
  return data;
}

/* Test documents are written with ' for " to stay readable in C.  */
static char *
doc (const char *text)
{
  char *s = xstrdup (text);

  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';
  return s;
}

static oci_config *
parse_ok (const char *path)
{
  oci_config *c = NULL;
  reg_error_t err = NULL;

  if (oci_config_parse_file (path, &c, &err) < 0)
    fail_msg ("%s: %s", path, err->msg);
  return c;
}

/* Every file of DIR, sorted, NULL-terminated.  */
static char **
list_dir (const char *dir)
{
  struct dirent **ents;
  int n = scandir (dir, &ents, NULL, alphasort);
  char **out;
  int k = 0;

  assert_true (n > 0);
  out = xmalloc0 ((size_t)(n + 1) * sizeof (char *));
  for (int i = 0; i < n; i++)
    {
      if (has_suffix (ents[i]->d_name, ".json"))
        xasprintf (&out[k++], "%s/%s", dir, ents[i]->d_name);
      free (ents[i]);
    }
  free (ents);
  return out;
}

/* The spec's "good" documents.  Two of them (spec-example.json and
   zos-example.json) declare ociVersion "0.5.0-dev", a pre-1.0 version this
   runtime does not read (it accepts 1.x only): they are rejected for exactly
   that, and with the version set to 1.3.0 they parse, so their content
   (spec-example is the most complete Linux config there is) is still
   checked.  FreeBSD and z/OS documents have no "linux" section; on Linux
   their platform sections are unknown keys, which the spec says to ignore,
   so they parse.  */
static void
test_schema_good (void **state)
{
  char **files = list_dir (SCHEMA_TESTS "/good");
  int n = 0;

  (void)state;
  for (char **f = files; *f; f++, n++)
    {
      size_t len;
      char *data = read_data (*f, &len);
      char *ver = strstr (data, "\"0.5.0-dev\"");
      oci_config *c = NULL;
      reg_error_t err = NULL;
      int ret = oci_config_parse (data, len, "config.json", &c, &err);

      if (ver)
        {
          assert_int_equal (ret, -1);
          assert_string_equal (err->msg, "config.json: ociVersion: unsupported version \"0.5.0-dev\" (this runtime "
                                         "reads 1.x, written for 1.3.0)");
          reg_error_release (&err);
          memcpy (ver, "\"1.3.0\"    ", 11);
          ret = oci_config_parse (data, len, "config.json", &c, &err);
        }
      if (ret < 0)
        fail_msg ("%s: %s", *f, err->msg);
      assert_non_null (c);
      oci_config_free (c);
      free (data);
    }
  assert_int_equal (n, 9);
  free_string_array (files);
}

static void
test_spec_example_values (void **state)
{
  size_t len;
  char *data = read_data (SCHEMA_TESTS "/good/spec-example.json", &len);
  char *ver = strstr (data, "\"0.5.0-dev\"");
  oci_config *c = NULL;
  reg_error_t err = NULL;
  const oci_linux *l;

  (void)state;
  memcpy (ver, "\"1.3.0\"    ", 11);
  if (oci_config_parse (data, len, "config.json", &c, &err) < 0)
    fail_msg ("%s", err->msg);
  l = &c->linux_cfg;
  assert_string_equal (c->hostname, "slartibartfast");
  assert_int_equal (c->process->user.uid, 1);
  assert_int_equal (c->process->user.n_additional_gids, 2);
  assert_int_equal (c->process->n_rlimits, 2);
  assert_int_equal (c->process->rlimits[1].resource, RLIMIT_NOFILE);
  assert_int_equal (c->hooks.prestart.len, 2);
  assert_true (c->hooks.poststart.len >= 1);
  assert_true (l->n_devices >= 2);
  assert_int_equal (l->devices[0].type, 'c');
  assert_true (l->resources.present);
  assert_true (l->resources.memory.has_limit);
  assert_true (l->resources.block_io.n_weight_device >= 1);
  assert_true (l->seccomp.present);
  assert_string_equal (l->rootfs_propagation, "slave");
  assert_non_null (oci_config_namespace (c, OCI_NS_PID));
  oci_config_free (c);
  free (data);
}

/* The spec's "bad" documents.  freebsd-vnet-disable.json is bad only in its
   "freebsd" section, which a Linux runtime ignores as an unknown key (the
   spec requires that): it parses here.  The others fail with a message
   naming the exact path.  */
static void
test_schema_bad (void **state)
{
  static const struct
  {
    const char *file, *msg;
  } expected[] = {
    { "freebsd-vnet-disable.json", NULL },
    { "invalid-json.json", "invalid-json.json: invalid JSON: parse error: invalid object key (must be a string)" },
    { "linux-hugepage.json", "linux-hugepage.json: linux.resources.hugepageLimits[0].pageSize: invalid page size "
                             "\"64kB\" (expected a number and KB, MB or GB)" },
    { "linux-netdevice.json", "linux-netdevice.json: linux.netDevices.eth0.name: expected a string, got number" },
    { "linux-rdma.json",
      "linux-rdma.json: linux.resources.rdma.mlx5_1.hcaHandles: expected an unsigned integer, got string" },
  };
  char **files = list_dir (SCHEMA_TESTS "/bad");
  size_t n = 0;

  (void)state;
  for (char **f = files; *f; f++, n++)
    {
      oci_config *c = NULL;
      reg_error_t err = NULL;
      size_t i;

      for (i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (has_suffix (*f, expected[i].file))
          break;
      if (i == sizeof expected / sizeof expected[0])
        fail_msg ("no expectation for %s", *f);
      if (expected[i].msg == NULL)
        {
          assert_int_equal (oci_config_parse_file (*f, &c, &err), 0);
          oci_config_free (c);
          continue;
        }
      assert_int_equal (oci_config_parse_file (*f, &c, &err), -1);
      assert_null (c);
      assert_string_equal (err->msg, expected[i].msg);
      reg_error_release (&err);
    }
  assert_int_equal (n, 5);
  free_string_array (files);
}

static void
test_podman_config (void **state)
{
  oci_config *c = parse_ok (DATA "/samples/podman/config-run-d-memory-pids.json");
  const oci_process *p = c->process;
  const oci_linux *l = &c->linux_cfg;
  const oci_syscall *personality = NULL;

  (void)state;
  assert_string_equal (c->oci_version, "1.0.2-dev");
  assert_int_equal (p->args.len, 2);
  assert_string_equal (p->args.items[0], "sleep");
  assert_string_equal (p->args.items[1], "100");
  assert_null (p->args.items[2]);
  assert_int_equal (p->env.len, 5);
  assert_string_equal (p->env.items[0], "container=podman");
  assert_string_equal (p->cwd, "/");
  assert_int_equal (p->user.uid, 0);
  assert_int_equal (p->user.gid, 0);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 18);
  assert_true (p->capabilities.has_bounding);
  assert_int_equal (p->capabilities.bounding.len, 11);
  assert_string_equal (p->capabilities.bounding.items[0], "CAP_CHOWN");
  assert_int_equal (p->capabilities.effective.len, 11);
  assert_int_equal (p->capabilities.permitted.len, 11);
  assert_false (p->capabilities.has_ambient);
  assert_int_equal (p->n_rlimits, 2);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (p->rlimits[0].soft, 20000);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_NPROC);
  assert_int_equal (p->rlimits[1].hard, 32768);

  assert_int_equal (c->n_mounts, 11);
  assert_string_equal (c->mounts[0].destination, "/proc");
  assert_string_equal (c->mounts[0].type, "proc");
  assert_int_equal (c->mounts[0].options.len, 3);
  assert_string_equal (c->mounts[1].destination, "/dev");
  assert_string_equal (c->mounts[1].options.items[4], "size=65536k");

  assert_int_equal (l->n_namespaces, 5);
  assert_int_equal (l->namespaces[0].type, OCI_NS_PID);
  assert_int_equal (l->namespaces[0].clone_flag, CLONE_NEWPID);
  assert_int_equal (l->namespaces[1].type, OCI_NS_NETWORK);
  assert_string_equal (l->namespaces[1].path, "/run/netns/netns-7adecb24-4a5c-d345-ed45-8f12e7fa0e57");
  assert_ptr_equal (oci_config_namespace (c, OCI_NS_MOUNT), &l->namespaces[4]);
  assert_null (oci_config_namespace (c, OCI_NS_USER));
  assert_string_equal (l->cgroups_path,
                       "/libpod_parent/libpod-62ff902f70b883125bba37462038bef4984c7c0f2882a4a23c080e797a62ca81");
  assert_true (l->resources.memory.has_limit);
  assert_int_equal (l->resources.memory.limit, 67108864);
  assert_int_equal (l->resources.memory.swap, 134217728);
  assert_true (l->resources.has_pids);
  assert_int_equal (l->resources.pids_limit, 20);

  assert_true (l->seccomp.present);
  assert_string_equal (l->seccomp.default_action, "SCMP_ACT_ERRNO");
  assert_int_equal (l->seccomp.architectures.len, 3);
  assert_string_equal (l->seccomp.architectures.items[0], "SCMP_ARCH_X86_64");
  assert_int_equal (l->seccomp.n_syscalls, 22);
  for (size_t i = 0; i < l->seccomp.n_syscalls; i++)
    if (l->seccomp.syscalls[i].n_args > 0 && strcmp (l->seccomp.syscalls[i].names.items[0], "personality") == 0)
      {
        personality = &l->seccomp.syscalls[i];
        break;
      }
  assert_non_null (personality);
  assert_string_equal (personality->action, "SCMP_ACT_ALLOW");
  assert_int_equal (personality->args[0].index, 0);
  assert_int_equal (personality->args[0].value, 0);
  assert_string_equal (personality->args[0].op_name, "SCMP_CMP_EQ");
  assert_int_equal (personality->args[0].op, 4);

  assert_true (l->has_masked_paths);
  assert_int_equal (l->masked_paths.len, 11);
  assert_string_equal (l->masked_paths.items[0], "/proc/acpi");
  assert_string_equal (l->masked_paths.items[1], "/proc/kcore");
  assert_true (l->has_readonly_paths);
  oci_config_free (c);
}

static void
test_podman_userns (void **state)
{
  oci_config *c = parse_ok (DATA "/samples/podman/config-userns.json");
  const oci_linux *l = &c->linux_cfg;

  (void)state;
  assert_non_null (oci_config_namespace (c, OCI_NS_USER));
  assert_int_equal (oci_config_namespace (c, OCI_NS_USER)->clone_flag, CLONE_NEWUSER);
  assert_int_equal (l->n_uid_mappings, 1);
  assert_int_equal (l->uid_mappings[0].container_id, 0);
  assert_int_equal (l->uid_mappings[0].host_id, 100000);
  assert_int_equal (l->uid_mappings[0].size, 65536);
  assert_int_equal (l->n_gid_mappings, 1);
  assert_int_equal (l->resources.pids_limit, 2048);
  assert_string_equal (c->process->args.items[2], "cat /proc/self/uid_map");
  oci_config_free (c);
}

static void
test_containerd_config (void **state)
{
  oci_config *c = parse_ok (DATA "/samples/containerd/cri-container-config.json");
  const oci_linux *l = &c->linux_cfg;

  (void)state;
  assert_string_equal (c->process->args.items[0], "sleep");
  assert_string_equal (c->process->args.items[1], "100");
  assert_int_equal (c->process->user.n_additional_gids, 1);
  assert_int_equal (c->process->user.additional_gids[0], 0);
  assert_int_equal (c->process->capabilities.bounding.len, 14);
  assert_int_equal (c->n_mounts, 10);
  assert_int_equal (l->n_namespaces, 5);
  assert_int_equal (l->namespaces[0].type, OCI_NS_PID);
  assert_string_equal (l->namespaces[0].path, "/proc/19376/ns/pid");
  assert_null (l->namespaces[3].path);
  assert_int_equal (l->namespaces[3].type, OCI_NS_MOUNT);
  assert_string_equal (l->cgroups_path,
                       "/kubepods/podsmoke/41968ae5b0fb74b1066ed8eba5b729560b9a34c7317bbd579988aad574bd3a95");
  assert_int_equal (l->resources.memory.limit, 67108864);
  assert_int_equal (l->resources.memory.swap, 67108864);
  assert_false (l->resources.has_pids);
  assert_false (l->seccomp.present);
  oci_config_free (c);

  c = parse_ok (DATA "/samples/containerd/config-run-d-memory.json");
  assert_string_equal (c->linux_cfg.cgroups_path, "/default/k2");
  assert_int_equal (c->process->n_rlimits, 1);
  assert_int_equal (c->process->rlimits[0].soft, 1024);
  assert_int_equal (c->linux_cfg.masked_paths.len, 10);
  assert_string_equal (c->linux_cfg.masked_paths.items[1], "/proc/asound");
  oci_config_free (c);
}

static void
test_all_sample_configs (void **state)
{
  const char *dirs[] = { DATA "/samples/podman", DATA "/samples/containerd" };
  int configs = 0, processes = 0, resources = 0;

  (void)state;
  for (size_t d = 0; d < 2; d++)
    {
      char **files = list_dir (dirs[d]);

      for (char **f = files; *f; f++)
        {
          size_t len;
          char *data = read_data (*f, &len);
          reg_error_t err = NULL;
          int ret;

          if (strstr (*f, "exec-process"))
            {
              oci_process *p = NULL;
              ret = oci_process_parse (data, len, "process.json", &p, &err);
              oci_process_free (p);
              processes++;
            }
          else if (strstr (*f, "resources"))
            {
              oci_resources r;
              ret = oci_resources_parse (data, len, "resources.json", &r, &err);
              oci_resources_clear (&r);
              resources++;
            }
          else
            {
              oci_config *c = NULL;
              ret = oci_config_parse (data, len, "config.json", &c, &err);
              oci_config_free (c);
              configs++;
            }
          if (ret < 0)
            fail_msg ("%s: %s", *f, err->msg);
          free (data);
        }
      free_string_array (files);
    }
  assert_int_equal (configs, 11);
  assert_int_equal (processes, 5);
  assert_int_equal (resources, 2);
}

static void
test_exec_process (void **state)
{
  oci_process *p = NULL;
  reg_error_t err = NULL;

  (void)state;
  if (oci_process_parse_file (DATA "/samples/podman/exec-process.json", &p, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (p->user.uid, 1000);
  assert_string_equal (p->args.items[0], "true");
  assert_string_equal (p->cwd, "/tmp");
  assert_int_equal (p->env.len, 5);
  assert_string_equal (p->env.items[3], "FOO=bar");
  assert_string_equal (p->env.items[4], "HOME=");
  assert_int_equal (p->capabilities.effective.len, 11);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_NPROC);
  assert_false (p->terminal);
  oci_process_free (p);

  if (oci_process_parse_file (DATA "/samples/containerd/exec-process-tty.json", &p, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_true (p->terminal);
  oci_process_free (p);
}

static void
test_update_resources (void **state)
{
  size_t len;
  char *data = read_data (DATA "/samples/podman/update-resources.json", &len);
  oci_resources r;
  reg_error_t err = NULL;

  (void)state;
  if (oci_resources_parse (data, len, "resources.json", &r, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_true (r.memory.has_reservation);
  assert_int_equal (r.memory.reservation, 33554432);
  assert_false (r.memory.has_limit);
  assert_int_equal (r.cpu.quota, 50000);
  assert_int_equal (r.cpu.period, 100000);
  oci_resources_clear (&r);
  free (data);
}

/* Every optional Linux member, to see each lands in its field.  */
static void
test_every_linux_field (void **state)
{
  char *d
      = doc ("{'ociVersion':'1.2.0-rc.1','root':{'path':'rootfs','readonly':true},'domainname':'example.org',"
             "'annotations':{'a':'1','a':'2'},"
             "'mounts':[{'destination':'/m','type':'bind','source':'/s','options':['rbind','ro'],"
             "  "
             "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],'gidMappings':[{'containerID':0,'hostID':100,'"
             "size':2}]}],"
             "'hooks':{'createRuntime':[{'path':'/bin/hook','args':['hook','x'],'env':['A=B'],'timeout':5}]},"
             "'process':{'cwd':'/w','args':['a'],'terminal':true,'consoleSize':{'height':24,'width':80},"
             "  'user':{'uid':4294967295,'gid':5,'additionalGids':[1,2],'username':'u'},"
             "  'capabilities':{'ambient':['CAP_KILL']},'noNewPrivileges':true,'oomScoreAdj':-999,"
             "  'apparmorProfile':'p','selinuxLabel':'l',"
             "  'ioPriority':{'class':'IOPRIO_CLASS_IDLE','priority':7},"
             "  "
             "'scheduler':{'policy':'SCHED_DEADLINE','nice':-20,'priority':1,'flags':['SCHED_FLAG_RECLAIM','SCHED_FLAG_"
             "UTIL_CLAMP_MAX'],"
             "    'runtime':1,'deadline':2,'period':3},"
             "  'execCPUAffinity':{'initial':'0-3, 7','final':'1'}},"
             "'linux':{'namespaces':[{'type':'time'},{'type':'cgroup'}],"
             "  'timeOffsets':{'boottime':{'secs':-5,'nanosecs':9},'monotonic':{'secs':7}},"
             "  "
             "'devices':[{'path':'/dev/fifo','type':'p','fileMode':438,'uid':1,'gid':2},{'path':'/dev/"
             "null','type':'c','major':1,'minor':3,'fileMode':8624}],"
             "  'netDevices':{'eth1':{'name':'in0'},'eth2':{}},"
             "  "
             "'resources':{'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':1,'minor':-1,'"
             "access':'r'}],"
             "    "
             "'memory':{'limit':-1,'kernelTCP':5,'swappiness':60,'disableOOMKiller':true,'useHierarchy':false,'"
             "checkBeforeUpdate':true},"
             "    "
             "'cpu':{'shares':1024,'quota':-1,'burst':5,'period':100000,'realtimeRuntime':9,'realtimePeriod':10,'idle':"
             "1,'cpus':'0-1','mems':'0'},"
             "    'blockIO':{'weight':10,'leafWeight':20,'weightDevice':[{'major':8,'minor':0,'weight':500}],"
             "      "
             "'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':600}],'throttleWriteIOPSDevice':[{'major':8,'minor':"
             "16,'rate':300}]},"
             "    'hugepageLimits':[{'pageSize':'2MB','limit':209715200}],"
             "    'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500}]},"
             "    'rdma':{'mlx':{'hcaHandles':3}},'unified':{'memory.high':'1G'}},"
             "  'rootfsPropagation':'rprivate',"
             "  'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'flags':['SECCOMP_FILTER_FLAG_LOG'],"
             "    'listenerPath':'/run/l.sock','listenerMetadata':'m',"
             "    'syscalls':[{'names':['clone'],'action':'SCMP_ACT_ALLOW','errnoRet':2,"
             "      'args':[{'index':0,'value':2114060288,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]}]},"
             "  'sysctl':{'net.ipv4.ip_forward':'1'},'maskedPaths':[],'mountLabel':'ml',"
             "  "
             "'intelRdt':{'closID':'c','schemata':['L3:0=f'],'l3CacheSchema':'L3:0=f','memBwSchema':'MB:0=20','"
             "enableMonitoring':true},"
             "  'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0-1','flags':['MPOL_F_STATIC_NODES']},"
             "  'personality':{'domain':'LINUX32','flags':[]}},"
             "'solaris':{'anything':1},'unknownKey':[1,{'x':null}]}");
  oci_config *c = NULL;
  reg_error_t err = NULL;
  const oci_linux *l;
  const oci_process *p;
  const oci_resources *r;

  (void)state;
  if (oci_config_parse (d, strlen (d), "config.json", &c, &err) < 0)
    fail_msg ("%s", err->msg);
  p = c->process;
  l = &c->linux_cfg;
  r = &l->resources;
  assert_true (c->root_readonly);
  assert_string_equal (c->domainname, "example.org");
  assert_string_equal (oci_map_get (&c->annotations, "a"), "2");
  assert_null (oci_map_get (&c->annotations, "b"));
  assert_int_equal (c->mounts[0].n_uid_mappings, 1);
  assert_int_equal (c->mounts[0].uid_mappings[0].host_id, 1000);
  assert_int_equal (c->mounts[0].gid_mappings[0].size, 2);
  assert_int_equal (c->hooks.create_runtime.len, 1);
  assert_true (c->hooks.create_runtime.items[0].has_timeout);
  assert_int_equal (c->hooks.create_runtime.items[0].timeout, 5);
  assert_string_equal (c->hooks.create_runtime.items[0].env.items[0], "A=B");
  assert_int_equal (c->hooks.prestart.len, 0);

  assert_true (p->terminal);
  assert_int_equal (p->console_height, 24);
  assert_int_equal (p->console_width, 80);
  assert_int_equal (p->user.uid, UINT32_MAX);
  assert_int_equal (p->user.additional_gids[1], 2);
  assert_string_equal (p->user.username, "u");
  assert_true (p->capabilities.has_ambient);
  assert_false (p->capabilities.has_bounding);
  assert_true (p->no_new_privileges);
  assert_int_equal (p->oom_score_adj, -999);
  assert_int_equal (p->io_priority.ioclass, 3);
  assert_int_equal (p->io_priority.priority, 7);
  assert_int_equal (p->scheduler.policy, 6);
  assert_int_equal (p->scheduler.nice, -20);
  assert_int_equal (p->scheduler.flags_mask, 0x02 | 0x40);
  assert_int_equal (p->scheduler.period, 3);
  assert_string_equal (p->exec_cpu_affinity.initial, "0-3, 7");

  assert_int_equal (l->namespaces[0].clone_flag, 0x80);
  assert_string_equal (oci_ns_type_name (l->namespaces[1].type), "cgroup");
  assert_int_equal (l->time_offsets.boottime_secs, -5);
  assert_int_equal (l->time_offsets.boottime_nanosecs, 9);
  assert_true (l->time_offsets.has_monotonic);
  assert_int_equal (l->devices[0].type, 'p');
  assert_false (l->devices[0].has_major);
  assert_int_equal (l->devices[0].file_mode, 0666);
  /* Podman's S_IFCHR|0660: the type bits go, the permission bits stay.  */
  assert_int_equal (l->devices[1].file_mode, 0660);
  assert_int_equal (l->devices[1].minor, 3);
  assert_int_equal (l->n_net_devices, 2);
  assert_string_equal (l->net_devices[0].new_name, "in0");
  assert_string_equal (l->net_devices[1].new_name, "eth2");
  assert_int_equal (r->devices[0].type, 'a');
  assert_int_equal (r->devices[0].major, -1);
  assert_int_equal (r->devices[1].minor, -1);
  assert_int_equal (r->memory.limit, -1);
  assert_int_equal (r->memory.swappiness, 60);
  assert_true (r->memory.check_before_update);
  assert_int_equal (r->cpu.shares, 1024);
  assert_int_equal (r->cpu.quota, -1);
  assert_int_equal (r->cpu.idle, 1);
  assert_string_equal (r->cpu.mems, "0");
  assert_int_equal (r->block_io.weight, 10);
  assert_int_equal (r->block_io.weight_device[0].weight, 500);
  assert_int_equal (r->block_io.throttle_read_bps[0].rate, 600);
  assert_int_equal (r->block_io.n_throttle_write_iops, 1);
  assert_int_equal (r->block_io.throttle_write_iops[0].minor, 16);
  assert_string_equal (r->hugepage_limits[0].page_size, "2MB");
  assert_int_equal (r->class_id, 1048577);
  assert_int_equal (r->net_priorities[0].priority, 500);
  assert_string_equal (r->rdma[0].device, "mlx");
  assert_false (r->rdma[0].has_hca_objects);
  assert_string_equal (oci_map_get (&r->unified, "memory.high"), "1G");
  assert_string_equal (l->rootfs_propagation, "rprivate");
  assert_int_equal (l->seccomp.default_errno_ret, 1);
  assert_string_equal (l->seccomp.listener_path, "/run/l.sock");
  assert_int_equal (l->seccomp.syscalls[0].args[0].value, 2114060288);
  assert_int_equal (l->seccomp.syscalls[0].args[0].op, 7);
  assert_string_equal (oci_map_get (&l->sysctl, "net.ipv4.ip_forward"), "1");
  assert_true (l->has_masked_paths);
  assert_int_equal (l->masked_paths.len, 0);
  assert_false (l->has_readonly_paths);
  assert_string_equal (l->intel_rdt.mem_bw_schema, "MB:0=20");
  assert_int_equal (l->memory_policy.mpol_mode, 2);
  assert_int_equal (l->memory_policy.mpol_flags, 1u << 15);
  assert_int_equal (l->personality.persona, 0x0008);
  oci_config_free (c);
  free (d);
}

/* One validation error class each: the document and the exact message.  */
struct bad_case
{
  const char *json;
  const char *msg;
};

#define P "'process':{'cwd':'/','args':['sh']"
#define V "'ociVersion':'1.3.0'"

static const struct bad_case bad_cases[] = {
  { "{" V "," P ",'user':{'uid':'0'}}}", "config.json: process.user.uid: expected an unsigned integer, got string" },
  { "{" V "," P ",'user':{'uid':-1}}}", "config.json: process.user.uid: expected an unsigned integer, got -1" },
  { "{" V "," P ",'user':{'uid':4294967296}}}",
    "config.json: process.user.uid: out of range: 4294967296 (maximum 4294967295)" },
  { "{" V "," P ",'user':{'gid':1.5}}}", "config.json: process.user.gid: expected an unsigned integer, got 1.5" },
  { "{" V ",'linux':{'resources':{'memory':{'limit':'1G'}}}}",
    "config.json: linux.resources.memory.limit: expected an integer, got string" },
  { "{" V ",'linux':{'resources':{'memory':{'limit':9223372036854775808}}}}",
    "config.json: linux.resources.memory.limit: out of range: 9223372036854775808 (minimum -9223372036854775808, "
    "maximum 9223372036854775807)" },
  { "{" V ",'linux':{'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'foo'}]}}",
    "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"" },
  { "{" V ",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}}",
    "config.json: linux.namespaces[1].type: duplicate namespace type \"pid\"" },
  { "{" V ",'linux':{'namespaces':[{'path':'/proc/1/ns/pid'}]}}", "config.json: linux.namespaces[0].type: required" },
  { "{" V ",'linux':{'namespaces':[{'type':'net','path':'x'}]}}",
    "config.json: linux.namespaces[0].type: unknown namespace type \"net\"" },
  { "{" V ",'linux':{'namespaces':[{'type':'network','path':'x'}]}}",
    "config.json: linux.namespaces[0].path: not an absolute path: \"x\"" },
  { "{" V ",'process':{'args':['sh']}}", "config.json: process.cwd: required" },
  { "{" V ",'process':{'cwd':'tmp','args':['sh']}}", "config.json: process.cwd: not an absolute path: \"tmp\"" },
  { "{" V ",'process':{'cwd':'/'}}", "config.json: process.args: required" },
  { "{" V ",'process':{'cwd':'/','args':[]}}", "config.json: process.args: must not be empty" },
  { "{" V ",'process':{'cwd':'/','args':['sh',1]}}", "config.json: process.args[1]: expected a string, got number" },
  { "{" V ",'process':{'cwd':'/','args':'sh'}}", "config.json: process.args: expected an array, got string" },
  { "{" V ",'process':[]}", "config.json: process: expected an object, got array" },
  { "{" V "," P ",'terminal':'yes'}}", "config.json: process.terminal: expected a boolean, got string" },
  { "{" V "," P ",'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
    "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
  { "{" V "," P ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':1,'hard':1}]}}",
    "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
  { "{" V "," P ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':2,'hard':1}]}}",
    "config.json: process.rlimits[0].soft: soft limit 2 above hard limit 1" },
  { "{" V "," P ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}}", "config.json: process.rlimits[0].hard: required" },
  { "{" V "," P ",'consoleSize':{'height':1}}}", "config.json: process.consoleSize.width: required" },
  { "{" V "," P ",'ioPriority':{'class':'IOPRIO_CLASS_NONE'}}}",
    "config.json: process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"" },
  { "{" V "," P ",'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}}}",
    "config.json: process.ioPriority.priority: out of range: 8 (minimum 0, maximum 7)" },
  { "{" V "," P ",'scheduler':{'policy':'SCHED_FAST'}}}",
    "config.json: process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\"" },
  { "{" V "," P ",'scheduler':{'policy':'SCHED_OTHER','flags':['SCHED_FLAG_X']}}}",
    "config.json: process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_X\"" },
  { "{" V "," P ",'oomScoreAdj':1001}}",
    "config.json: process.oomScoreAdj: out of range: 1001 (minimum -1000, maximum 1000)" },
  { "{" V "," P ",'execCPUAffinity':{'initial':'0-3;'}}}",
    "config.json: process.execCPUAffinity.initial: invalid CPU list \"0-3;\"" },
  { "{" V ",'hooks':{'prestart':[{'path':'hook'}]}}",
    "config.json: hooks.prestart[0].path: not an absolute path: \"hook\"" },
  { "{" V ",'hooks':{'poststop':[{'path':'/h','timeout':0}]}}",
    "config.json: hooks.poststop[0].timeout: must be greater than zero, got 0" },
  { "{" V ",'hooks':{'poststart':[{'args':[]}]}}", "config.json: hooks.poststart[0].path: required" },
  { "{" V ",'mounts':[{'destination':'/a','options':['ro','']}]}",
    "config.json: mounts[0].options[1]: empty mount option" },
  { "{" V ",'mounts':[{'source':'/a'}]}", "config.json: mounts[0].destination: required" },
  { "{" V ",'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':0}]}]}",
    "config.json: mounts[0].uidMappings[0].size: required" },
  { "{'root':{'path':'rootfs'}}", "config.json: ociVersion: required" },
  { "{'ociVersion':'2.0.0'}",
    "config.json: ociVersion: unsupported version \"2.0.0\" (this runtime reads 1.x, written for 1.3.0)" },
  { "{'ociVersion':'1.0'}", "config.json: ociVersion: malformed version \"1.0\" (expected MAJOR.MINOR.PATCH)" },
  { "{'ociVersion':'1.0.0-'}", "config.json: ociVersion: malformed version \"1.0.0-\" (expected MAJOR.MINOR.PATCH)" },
  { "{'ociVersion':1}", "config.json: ociVersion: expected a string, got number" },
  { "{" V ",'root':{}}", "config.json: root.path: required" },
  { "{" V ",'annotations':{'a':1}}", "config.json: annotations.a: expected a string, got number" },
  { "{" V ",'linux':{'rootfsPropagation':'everywhere'}}",
    "config.json: linux.rootfsPropagation: unknown rootfs propagation \"everywhere\"" },
  { "{" V ",'linux':{'seccomp':{'syscalls':[]}}}", "config.json: linux.seccomp.defaultAction: required" },
  { "{" V ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_DENY'}}}",
    "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\"" },
  { "{" V ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_VAX']}}}",
    "config.json: linux.seccomp.architectures[0]: unknown seccomp architecture \"SCMP_ARCH_VAX\"" },
  { "{" V ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_X']}}}",
    "config.json: linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_X\"" },
  { "{" V
    ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO',"
    "'args':[{'index':0,'value':1,'op':'SCMP_CMP_XX'}]}]}}}",
    "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XX\"" },
  { "{" V
    ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO',"
    "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}}}",
    "config.json: linux.seccomp.syscalls[0].args[0].index: out of range: 6 (maximum 5)" },
  { "{" V
    ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}}}",
    "config.json: linux.seccomp.syscalls[0].names: must not be empty" },
  { "{" V ",'linux':{'memoryPolicy':{'mode':'MPOL_ANY'}}}",
    "config.json: linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_ANY\"" },
  { "{" V ",'linux':{'memoryPolicy':{'mode':'MPOL_BIND','flags':['MPOL_F_NONE']}}}",
    "config.json: linux.memoryPolicy.flags[0]: unknown memory policy flag \"MPOL_F_NONE\"" },
  { "{" V ",'linux':{'personality':{'domain':'LINUX64'}}}",
    "config.json: linux.personality.domain: unknown personality domain \"LINUX64\"" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'x'}]}}",
    "config.json: linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'c','minor':1}]}}",
    "config.json: linux.devices[0].major: required" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'b','major':1}]}}",
    "config.json: linux.devices[0].minor: required" },
  { "{" V ",'linux':{'devices':[{'path':'dev/x','type':'p'}]}}",
    "config.json: linux.devices[0].path: not an absolute path: \"dev/x\"" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'p','fileMode':65536}]}}",
    "config.json: linux.devices[0].fileMode: out of range: 65536 (maximum 65535)" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'b','major':1,'minor':1,'fileMode':8624}]}}",
    "config.json: linux.devices[0].fileMode: file type bits 020000 do not match type \"b\" (060000)" },
  { "{" V ",'linux':{'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'fileMode':16877}]}}",
    "config.json: linux.devices[0].fileMode: file type bits 040000 do not match type \"c\" (020000)" },
  { "{" V ",'linux':{'resources':{'devices':[{'allow':true,'type':'x'}]}}}",
    "config.json: linux.resources.devices[0].type: unknown device type \"x\" (expected a, c or b)" },
  { "{" V ",'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
    "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (expected letters of rwm)" },
  { "{" V ",'linux':{'resources':{'devices':[{'access':'rw'}]}}}",
    "config.json: linux.resources.devices[0].allow: required" },
  { "{" V ",'linux':{'resources':{'pids':{}}}}", "config.json: linux.resources.pids.limit: required" },
  { "{" V ",'linux':{'resources':{'memory':{'swappiness':101}}}}",
    "config.json: linux.resources.memory.swappiness: out of range: 101 (maximum 100)" },
  { "{" V ",'linux':{'resources':{'blockIO':{'weight':65536}}}}",
    "config.json: linux.resources.blockIO.weight: out of range: 65536 (maximum 65535)" },
  { "{" V ",'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'rate':1}]}}}}",
    "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: required" },
  { "{" V ",'linux':{'resources':{'network':{'priorities':[{'name':'eth0'}]}}}}",
    "config.json: linux.resources.network.priorities[0].priority: required" },
  { "{" V ",'linux':{'uidMappings':[{'containerID':0,'hostID':-1,'size':1}]}}",
    "config.json: linux.uidMappings[0].hostID: expected an unsigned integer, got -1" },
  { "{" V ",'linux':{'timeOffsets':{'boottime':{'nanosecs':1000000000}}}}",
    "config.json: linux.timeOffsets.boottime.nanosecs: out of range: 1000000000 (maximum 999999999)" },
  { "{" V ",'linux':{'intelRdt':{'memBwSchema':'L3:0=1'}}}",
    "config.json: linux.intelRdt.memBwSchema: expected \"MB:...\" on one line" },
  { "{" V ",'linux':{'sysctl':{'kernel.x':1}}}", "config.json: linux.sysctl.kernel.x: expected a string, got number" },
  { "{" V ",'linux':{'maskedPaths':'/proc'}}", "config.json: linux.maskedPaths: expected an array, got string" },
  { "{" V ",'linux':[]}", "config.json: linux: expected an object, got array" },
};

static void
test_bad_case (void **state)
{
  const struct bad_case *bc = *state;
  char *d = doc (bc->json);
  oci_config *c = NULL;
  reg_error_t err = NULL;

  assert_int_equal (oci_config_parse (d, strlen (d), "config.json", &c, &err), -1);
  assert_null (c);
  assert_non_null (err);
  assert_string_equal (err->msg, bc->msg);
  assert_null (strchr (err->msg, '\n'));
  reg_error_release (&err);
  free (d);
}

static void
expect_error (const char *data, size_t len, const char *msg)
{
  oci_config *c = NULL;
  reg_error_t err = NULL;

  assert_int_equal (oci_config_parse (data, len, "config.json", &c, &err), -1);
  assert_null (c);
  assert_string_equal (err->msg, msg);
  reg_error_release (&err);
}

static void
test_not_json (void **state)
{
  (void)state;
  expect_error ("", 0, "config.json: empty document");
  expect_error (" \n\t", 3, "config.json: empty document");
  expect_error ("hello", 5, "config.json: invalid JSON: lexical error: invalid char in json text");
  expect_error ("[1,2]", 5, "config.json: expected an object, got array");
  expect_error ("{\"ociVersion\":\"1.3.0\"} {}", 25, "config.json: invalid JSON: parse error: trailing garbage");
  expect_error ("{\"ociVersion\":\"1.3.0\"}\0{}", 25, "config.json: invalid JSON: NUL byte at offset 22");
  expect_error ("{\"ociVersion\":\"1.3.0\",\"hostname\":\"a\\u0000b\"}", 43,
                "config.json: invalid JSON: string with a NUL character (\\u0000) at offset 35");
  expect_error ("{\"ociVersion\":\"1.3.0\",\"hostname\":\"\xff\"}", 36,
                "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string");
}

static void
test_truncated (void **state)
{
  size_t len;
  char *data = read_data (DATA "/samples/podman/config-tty.json", &len);

  (void)state;
  /* Every prefix of a real config is an error, never a crash or a leak.  */
  for (size_t n = 0; n < len; n += 7)
    {
      oci_config *c = NULL;
      reg_error_t err = NULL;

      assert_int_equal (oci_config_parse (data, n, "config.json", &c, &err), -1);
      assert_null (c);
      assert_non_null (err);
      assert_null (strchr (err->msg, '\n'));
      reg_error_release (&err);
    }
  expect_error (data, len / 2, "config.json: invalid JSON: parse error: premature EOF");
  free (data);
}

static void
test_deep_nesting (void **state)
{
  size_t depth = 100000;
  char *d = xmalloc (2 * depth + 64);
  size_t n = 0;

  (void)state;
  n += (size_t)sprintf (d, "{\"ociVersion\":\"1.3.0\",\"x\":");
  for (size_t i = 0; i < depth; i++)
    d[n++] = '[';
  for (size_t i = 0; i < depth; i++)
    d[n++] = ']';
  d[n++] = '}';
  expect_error (d, n, "config.json: invalid JSON: nested deeper than 64 levels at offset 89");
  /* 64 levels are fine, and brackets inside strings do not count.  */
  n = (size_t)sprintf (d, "{\"ociVersion\":\"1.3.0\",\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                          "[[[[[[[[[[\",\"x\":");
  for (size_t i = 0; i < 63; i++)
    d[n++] = '[';
  for (size_t i = 0; i < 63; i++)
    d[n++] = ']';
  d[n++] = '}';
  {
    oci_config *c = NULL;
    reg_error_t err = NULL;
    if (oci_config_parse (d, n, "config.json", &c, &err) < 0)
      fail_msg ("%s", err->msg);
    oci_config_free (c);
  }
  free (d);
}

static void
test_huge (void **state)
{
  size_t len = OCI_MAX_DOCUMENT + 1;
  char *d = xmalloc (len);
  char msg[128];

  (void)state;
  memset (d, ' ', len);
  d[0] = '{';
  d[len - 1] = '}';
  snprintf (msg, sizeof msg, "config.json: document too large (%zu bytes, at most %u)", len, OCI_MAX_DOCUMENT);
  expect_error (d, len, msg);
  free (d);
}

static void
test_process_json_errors (void **state)
{
  oci_process *p = NULL;
  reg_error_t err = NULL;

  (void)state;
  assert_int_equal (oci_process_parse ("{\"args\":[\"sh\"]}", 15, NULL, &p, &err), -1);
  assert_string_equal (err->msg, "process.json: cwd: required");
  reg_error_release (&err);
  assert_int_equal (oci_process_parse ("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":true}}", 45, NULL, &p, &err),
                    -1);
  assert_string_equal (err->msg, "process.json: user.uid: expected an unsigned integer, got boolean");
  reg_error_release (&err);
  assert_int_equal (oci_process_parse_file (SRCDIR "/does-not-exist.json", &p, &err), -2);
  assert_string_equal (err->msg, "open `" SRCDIR "/does-not-exist.json`: No such file or directory");
  reg_error_release (&err);
  assert_null (p);
}

static void
test_versions (void **state)
{
  static const char *const ok[] = { "1.0.0", "1.0.2-dev", "1.2.0-rc.1", "1.3.0", "1.1.0+build.5", "1.4.0", NULL };
  static const char *const bad[] = { "0.5.0", "2.0.0", "1", "1.0", "v1.0.0", "1.0.0.0", "1.x.0", "", "1.0.0-", NULL };
  char *why = NULL;

  (void)state;
  for (const char *const *v = ok; *v; v++)
    {
      if (oci_check_version (*v, &why) < 0)
        fail_msg ("%s: %s", *v, why);
    }
  for (const char *const *v = bad; *v; v++)
    {
      if (oci_check_version (*v, &why) == 0)
        fail_msg ("%s accepted", *v);
      free (why);
    }
}

static void
test_mount_options (void **state)
{
  const struct oci_mount_option *o;
  size_t n = 0;

  (void)state;
  o = oci_mount_option_find ("rw");
  assert_non_null (o);
  assert_true (o->clear);
  assert_int_equal (o->flags, 1 /* MS_RDONLY */);
  o = oci_mount_option_find ("nosuid");
  assert_false (o->clear);
  assert_int_equal (o->flags, 2 /* MS_NOSUID */);
  assert_true (oci_mount_option_find ("exec")->clear);
  assert_true (oci_mount_option_find ("atime")->clear);
  o = oci_mount_option_find ("rbind");
  assert_true (o->recursive);
  assert_int_equal (o->flags, 4096 | 16384 /* MS_BIND|MS_REC */);
  o = oci_mount_option_find ("rslave");
  assert_int_equal (o->propagation, (1 << 19) | 16384 /* MS_SLAVE|MS_REC */);
  assert_int_equal (oci_mount_option_find ("private")->propagation, 1 << 18);
  assert_true (oci_mount_option_find ("rro")->recursive);
  assert_null (oci_mount_option_find ("mode=755"));
  assert_null (oci_mount_option_find ("size=65536k"));
  assert_null (oci_mount_option_find (""));
  for (const char *const *names = oci_mount_option_names (); *names; names++, n++)
    assert_ptr_equal (oci_mount_option_find (*names)->name, *names);
  assert_true (n > 50);
}

static void
test_lookups (void **state)
{
  (void)state;
  assert_string_equal (oci_ns_type_name (OCI_NS_NETWORK), "network");
  assert_null (oci_ns_type_name (OCI_NS_COUNT));
  assert_int_equal (oci_ns_type_from_name ("uts"), OCI_NS_UTS);
  assert_int_equal (oci_ns_type_from_name ("net"), -1);
  assert_int_equal (oci_ns_clone_flag (OCI_NS_IPC), CLONE_NEWIPC);
  assert_int_equal (oci_rlimit_from_name ("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  assert_int_equal (oci_rlimit_from_name ("NOFILE"), -1);
  assert_null (oci_map_get (NULL, "x"));
  assert_null (oci_config_namespace (NULL, OCI_NS_PID));
}

int
main (void)
{
  size_t nbad = sizeof bad_cases / sizeof bad_cases[0];
  struct CMUnitTest fixed[] = {
    cmocka_unit_test (test_schema_good),
    cmocka_unit_test (test_spec_example_values),
    cmocka_unit_test (test_schema_bad),
    cmocka_unit_test (test_podman_config),
    cmocka_unit_test (test_podman_userns),
    cmocka_unit_test (test_containerd_config),
    cmocka_unit_test (test_all_sample_configs),
    cmocka_unit_test (test_exec_process),
    cmocka_unit_test (test_update_resources),
    cmocka_unit_test (test_every_linux_field),
    cmocka_unit_test (test_not_json),
    cmocka_unit_test (test_truncated),
    cmocka_unit_test (test_deep_nesting),
    cmocka_unit_test (test_huge),
    cmocka_unit_test (test_process_json_errors),
    cmocka_unit_test (test_versions),
    cmocka_unit_test (test_mount_options),
    cmocka_unit_test (test_lookups),
  };
  size_t nfixed = sizeof fixed / sizeof fixed[0];
  struct CMUnitTest *tests = xmalloc0 ((nfixed + nbad) * sizeof *tests);
  char **names = xmalloc0 ((nbad + 1) * sizeof (char *));
  int ret;

  memcpy (tests, fixed, sizeof fixed);
  for (size_t i = 0; i < nbad; i++)
    {
      /* Name each case after the message it expects, minus the prefix.  */
      xasprintf (&names[i], "error: %s", bad_cases[i].msg + strlen ("config.json: "));
      tests[nfixed + i] = (struct CMUnitTest){ names[i], test_bad_case, NULL, NULL, (void *)&bad_cases[i] };
    }
  ret = _cmocka_run_group_tests ("config", tests, nfixed + nbad, NULL, NULL);
  free_string_array (names);
  free (tests);
  return ret;
}
