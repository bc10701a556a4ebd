/* Unit tests of the parent/init socket (sync.c): messages with and without
   an fd round-trip, and what a malformed message does (found by
   fuzz_sync): extra or stray fds are closed, not leaked, and an error
   message without text or with a wild errno still gives one clear line.  */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "sync.h"
#include "utils.h"

static int
count_fds (void)
{
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl (fd, F_GETFD) >= 0)
      n++;
  return n;
}

/* Send LEN raw bytes with NFDS copies of FD, as a peer that does not use
   runtime_sync_send would.  */
static void
send_raw (int sock, const void *data, size_t len, int nfds, int fd)
{
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { (void *)data, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  int fds[4] = { fd, fd, fd, fd };

  memset (&u, 0, sizeof u);
  if (nfds > 0)
    {
      struct cmsghdr *c;
      m.msg_control = u.buf;
      m.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
      c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (nfds * sizeof (int));
      memcpy (CMSG_DATA (c), fds, nfds * sizeof (int));
    }
  assert_true (sendmsg (sock, &m, MSG_NOSIGNAL) >= 0);
}

static void
test_roundtrip (void **state)
{
  reg_error_t err = NULL;
  struct runtime_sync_msg msg;
  int sv[2], before = count_fds ();
  int32_t pid = 4242;
  (void)state;

  assert_int_equal (runtime_sync_pair (sv, &err), 0);
  assert_int_equal (runtime_sync_send (sv[1], RUNTIME_SYNC_INIT_PID, 0, &pid, sizeof pid, -1, &err), 0);
  assert_int_equal (runtime_sync_expect (sv[0], RUNTIME_SYNC_INIT_PID, &msg, &err), 0);
  assert_int_equal (msg.len, sizeof pid);
  assert_memory_equal (msg.data, &pid, sizeof pid);
  assert_int_equal (msg.fd, -1);
  runtime_sync_msg_clear (&msg);

  assert_int_equal (runtime_sync_send (sv[1], RUNTIME_SYNC_CONSOLE, 0, NULL, 0, 0, &err), 0);
  assert_int_equal (runtime_sync_expect (sv[0], RUNTIME_SYNC_CONSOLE, &msg, &err), 0);
  assert_true (msg.fd > 2);
  assert_true (fcntl (msg.fd, F_GETFD) & FD_CLOEXEC);
  assert_string_equal (msg.data, "");
  runtime_sync_msg_clear (&msg);

  close (sv[0]);
  close (sv[1]);
  assert_int_equal (count_fds (), before);
}

static void
test_extra_fds_closed (void **state)
{
  reg_error_t err = NULL;
  struct runtime_sync_msg msg;
  int sv[2], before = count_fds ();
  int32_t h[2] = { RUNTIME_SYNC_CONSOLE, 0 };
  (void)state;

  assert_int_equal (runtime_sync_pair (sv, &err), 0);
  /* Two fds where the protocol has at most one: both closed, an error.  */
  send_raw (sv[1], h, sizeof h, 2, 0);
  assert_true (runtime_sync_recv (sv[0], &msg, &err) < 0);
  assert_non_null (strstr (err->msg, "more than one fd"));
  reg_error_release (&err);
  assert_int_equal (count_fds (), before + 2);

  /* Four: more than the control buffer holds (truncated), same.  */
  send_raw (sv[1], h, sizeof h, 4, 0);
  assert_true (runtime_sync_recv (sv[0], &msg, &err) < 0);
  reg_error_release (&err);
  assert_int_equal (count_fds (), before + 2);

  /* A short message and an empty one, each with an fd.  */
  send_raw (sv[1], h, 3, 1, 0);
  assert_true (runtime_sync_recv (sv[0], &msg, &err) < 0);
  assert_non_null (strstr (err->msg, "short"));
  reg_error_release (&err);
  send_raw (sv[1], "", 0, 1, 0);
  assert_true (runtime_sync_recv (sv[0], &msg, &err) < 0);
  reg_error_release (&err);
  assert_int_equal (count_fds (), before + 2);

  close (sv[0]);
  close (sv[1]);
  assert_int_equal (count_fds (), before);
}

static void
test_error_message (void **state)
{
  reg_error_t err = NULL;
  struct runtime_sync_msg msg;
  int sv[2];
  int ret;
  (void)state;

  assert_int_equal (runtime_sync_pair (sv, &err), 0);
  assert_int_equal (
      runtime_sync_send (sv[1], RUNTIME_SYNC_ERROR, EACCES, "mount `/proc`: Permission denied", 32, -1, &err), 0);
  ret = runtime_sync_expect (sv[0], RUNTIME_SYNC_CREATED, &msg, &err);
  assert_int_equal (ret, -EACCES);
  assert_string_equal (err->msg, "mount `/proc`: Permission denied");
  assert_int_equal (err->status, EACCES);
  reg_error_release (&err);

  /* No text and an errno no kernel has: still one line, no errno.  */
  assert_int_equal (runtime_sync_send (sv[1], RUNTIME_SYNC_ERROR, 0x2a000d, "", 0, -1, &err), 0);
  ret = runtime_sync_expect (sv[0], RUNTIME_SYNC_CREATED, &msg, &err);
  assert_true (ret < 0);
  assert_string_equal (err->msg, "container init failed (no message)");
  assert_int_equal (err->status, 0);
  reg_error_release (&err);

  /* A message of another type is a protocol error.  */
  assert_int_equal (runtime_sync_send (sv[1], RUNTIME_SYNC_GO, 0, NULL, 0, -1, &err), 0);
  assert_true (runtime_sync_expect (sv[0], RUNTIME_SYNC_CREATED, &msg, &err) < 0);
  assert_non_null (strstr (err->msg, "expected message"));
  reg_error_release (&err);

  /* The peer gone: end of file names the init.  */
  close (sv[1]);
  assert_true (runtime_sync_recv (sv[0], &msg, &err) < 0);
  assert_non_null (strstr (err->msg, "exited"));
  reg_error_release (&err);
  close (sv[0]);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_roundtrip),
    cmocka_unit_test (test_extra_fds_closed),
    cmocka_unit_test (test_error_message),
  };
  return cmocka_run_group_tests_name ("sync", tests, NULL, NULL);
}
