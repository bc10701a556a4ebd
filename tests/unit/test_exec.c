/* Unit tests of exec's process object: what the flags override, what
   comes from the container when the process leaves it out.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec.h"
#include "oci-spec.h"
#include "utils.h"

static const char container_json[]
    = "{\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],"
      " \"env\": [\"PATH=/bin\", \"TERM=xterm\"], \"cwd\": \"/\","
      " \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"],"
      "   \"permitted\": [\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]},"
      " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512}],"
      " \"apparmorProfile\": \"ctr-profile\", \"noNewPrivileges\": false}";

static oci_process *
parse (const char *json)
{
  oci_process *p = NULL;
  reg_error_t err = NULL;
  int ret = oci_process_parse (json, strlen (json), "process.json", &p, &err);
  if (ret < 0)
    fail_msg ("%s", err->msg);
  return p;
}

static bool
has (const oci_strv *v, const char *s)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->items[i], s) == 0)
      return true;
  return false;
}

/* Without --process: config.json's process with the flags over it.  */
static void
test_from_config (void **state)
{
  oci_process *p = parse (container_json);
  char *args[] = { "/bin/probe", "id", NULL };
  char *env[] = { "TERM=dumb", "FOO=bar", NULL };
  char *gids[] = { "2000", NULL };
  char *caps[] = { "CAP_SYS_ADMIN", NULL };
  struct runtime_exec_options o = { .args = args,
                                    .env = env,
                                    .user = "1000:1001",
                                    .cwd = "/tmp",
                                    .additional_gids = gids,
                                    .caps = caps,
                                    .no_new_privs = true };
  reg_error_t err = NULL;
  char *user_name = NULL;
  (void)state;

  assert_int_equal (runtime_exec_make_process (p, false, NULL, &o, &user_name, &err), 0);
  assert_null (user_name);
  assert_int_equal (p->args.len, 2);
  assert_string_equal (p->args.items[0], "/bin/probe");
  assert_null (p->args.items[2]);
  /* runc: the terminal follows --tty, not config.json.  */
  assert_false (p->terminal);
  assert_string_equal (p->cwd, "/tmp");
  assert_int_equal (p->env.len, 3);
  assert_true (has (&p->env, "TERM=dumb"));
  assert_true (has (&p->env, "FOO=bar"));
  assert_true (has (&p->env, "PATH=/bin"));
  assert_int_equal (p->user.uid, 1000);
  assert_int_equal (p->user.gid, 1001);
  assert_int_equal (p->user.n_additional_gids, 1);
  assert_int_equal (p->user.additional_gids[0], 2000);
  assert_true (p->no_new_privileges);
  assert_true (has (&p->capabilities.bounding, "CAP_SYS_ADMIN"));
  assert_true (has (&p->capabilities.effective, "CAP_SYS_ADMIN"));
  assert_true (has (&p->capabilities.permitted, "CAP_SYS_ADMIN"));
  /* Inheritable is set: ambient gets it too.  */
  assert_true (has (&p->capabilities.ambient, "CAP_SYS_ADMIN"));
  assert_false (has (&p->capabilities.inheritable, "CAP_SYS_ADMIN"));
  oci_process_free (p);
}

/* --process: the file's values; what it leaves out, the container's.  */
static void
test_from_file (void **state)
{
  oci_process *c = parse (container_json);
  oci_process *p
      = parse ("{\"terminal\": true, \"user\": {\"uid\": 5, \"gid\": 6}, \"args\": [\"ls\"], \"cwd\": \"/srv\"}");
  struct runtime_exec_options o = { .user = "nobody" };
  reg_error_t err = NULL;
  char *user_name = NULL;
  (void)state;

  assert_int_equal (runtime_exec_make_process (p, true, c, &o, &user_name, &err), 0);
  assert_true (p->terminal);
  assert_string_equal (p->args.items[0], "ls");
  assert_string_equal (p->cwd, "/srv");
  assert_string_equal (user_name, "nobody");
  assert_true (p->capabilities.present);
  assert_true (has (&p->capabilities.bounding, "CAP_KILL"));
  assert_int_equal (p->n_rlimits, 1);
  assert_int_equal (p->rlimits[0].soft, 512);
  assert_string_equal (p->rlimits[0].type, "RLIMIT_NOFILE");
  assert_string_equal (p->apparmor_profile, "ctr-profile");
  assert_int_equal (p->env.len, 0);
  free (user_name);

  /* A name with a numeric group: the lookup keeps the gid ("NAME:").  */
  o.user = "user:7";
  assert_int_equal (runtime_exec_make_process (p, true, c, &o, &user_name, &err), 0);
  assert_string_equal (user_name, "user:");
  assert_int_equal (p->user.gid, 7);
  free (user_name);
  oci_process_free (p);
  oci_process_free (c);
}

static void
test_bad_flags (void **state)
{
  struct
  {
    struct runtime_exec_options o;
    const char *msg;
  } cases[] = {
    { { .user = ":5" }, "--user" },
    { { .user = "1:group" }, "numeric gid" },
    { { .cwd = "tmp" }, "absolute" },
    { { .env = (char *[]){ "NOEQ", NULL } }, "KEY=VALUE" },
    { { .additional_gids = (char *[]){ "x", NULL } }, "--additional-gids" },
  };
  (void)state;

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      oci_process *p = parse (container_json);
      reg_error_t err = NULL;
      char *user_name = NULL;
      assert_true (runtime_exec_make_process (p, false, NULL, &cases[i].o, &user_name, &err) < 0);
      assert_non_null (strstr (err->msg, cases[i].msg));
      assert_null (user_name);
      reg_error_release (&err);
      oci_process_free (p);
    }

  /* No command at all.  */
  oci_process *p = xmalloc0 (sizeof (*p));
  struct runtime_exec_options o = { 0 };
  reg_error_t err = NULL;
  char *user_name = NULL;
  assert_true (runtime_exec_make_process (p, false, NULL, &o, &user_name, &err) < 0);
  assert_non_null (strstr (err->msg, "no command"));
  reg_error_release (&err);
  oci_process_free (p);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_from_config),
    cmocka_unit_test (test_from_file),
    cmocka_unit_test (test_bad_flags),
  };
  return cmocka_run_group_tests_name ("exec", tests, NULL, NULL);
}
