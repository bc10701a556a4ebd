/* libFuzzer harness for the receiving side of the parent/init socket
   (sync.c): the message path that carries sync points, error texts, the
   state JSON and, with SCM_RIGHTS, the pty master (RUNTIME_SYNC_CONSOLE) and the
   seccomp notify fd.  The input is a sequence of records

     flags (1 byte) | expected type (1 byte) | length (2 bytes, LE) | packet

   each sent as one raw SOCK_SEQPACKET packet (the 8-byte header included, so
   type and errno are fuzzed too) with 0-3 fds attached (flags & 3), then
   received with runtime_sync_expect (flags & 4) or runtime_sync_recv.  After the
   last record the sender is closed, so the receiver sees end of file.

   Checked: an accepted message has its payload NUL-terminated at len, the
   fd is close-on-exec, a failure carries a message, and no fd is leaked:
   the process has the same open fds after each input as before it.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "sync.h"
#include "utils.h"

#define MAX_RECORDS 8
#define MAX_PACKET 4096

/* Open fds among the first 1024 (the harness never has more).  */
static int
count_fds (void)
{
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl (fd, F_GETFD) >= 0)
      n++;
  return n;
}

static void
send_packet (int sock, const uint8_t *data, size_t len, int nfds, int fdsrc)
{
  union
  {
    char buf[CMSG_SPACE (3 * sizeof (int))];
    struct cmsghdr align;
  } u;
  int fds[3];
  struct iovec iov = { (void *)data, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

  if (nfds > 0)
    {
      struct cmsghdr *c;
      for (int i = 0; i < nfds; i++)
        fds[i] = fdsrc;
      memset (&u, 0, sizeof u);
      m.msg_control = u.buf;
      m.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
      c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (nfds * sizeof (int));
      memcpy (CMSG_DATA (c), fds, nfds * sizeof (int));
    }
  /* A packet the socket refuses (none should be, at this size) is simply
     not sent: the receiver then sees the next one or end of file.  */
  (void)sendmsg (sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
check_message (const struct runtime_sync_msg *msg, int ret, reg_error_t err)
{
  if (ret == 0)
    {
      if (msg->data == NULL || msg->data[msg->len] != '\0')
        __builtin_trap ();
      if (msg->fd >= 0 && !(fcntl (msg->fd, F_GETFD) & FD_CLOEXEC))
        __builtin_trap ();
    }
  else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  int before = count_fds ();
  int sv[2];
  int fdsrc;
  int records = 0;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    __builtin_trap ();
  fdsrc = fuzz_memfd ("fuzz-sync-fd", (const uint8_t *)"x", 1);

  while (size >= 4 && records < MAX_RECORDS)
    {
      uint8_t flags = data[0];
      int type = data[1];
      size_t len = (size_t)data[2] | ((size_t)data[3] << 8);
      struct runtime_sync_msg msg;
      reg_error_t err = NULL;
      int ret;

      data += 4;
      size -= 4;
      if (len > size)
        len = size;
      if (len > MAX_PACKET)
        len = MAX_PACKET;
      records++;
      /* A zero-length packet reads as end of file, like a closed peer.  */
      send_packet (sv[1], data, len, flags & 3, fdsrc);
      data += len;
      size -= len;
      if (flags & 4)
        ret = runtime_sync_expect (sv[0], type, &msg, &err);
      else
        ret = runtime_sync_recv (sv[0], &msg, &err);
      check_message (&msg, ret, err);
      if (ret == 0)
        runtime_sync_msg_clear (&msg);
      reg_error_release (&err);
    }

  /* End of file: an error naming the exited init, never a message.  */
  close (sv[1]);
  {
    struct runtime_sync_msg msg;
    reg_error_t err = NULL;
    int ret = runtime_sync_recv (sv[0], &msg, &err);
    if (ret == 0)
      {
        /* Unread packets may still be queued: drain them.  */
        do
          {
            runtime_sync_msg_clear (&msg);
            reg_error_release (&err);
            ret = runtime_sync_recv (sv[0], &msg, &err);
          }
        while (ret == 0);
      }
    check_message (&msg, ret, err);
    reg_error_release (&err);
  }
  close (sv[0]);
  close (fdsrc);
  if (count_fds () != before)
    __builtin_trap ();
  return 0;
}
