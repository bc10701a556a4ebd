/* libreg: parent/init sync messages (see sync.h).  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sync.h"
#include "utils.h"

/* Payloads are short texts and the state JSON; larger ones are a bug.  */
#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_header
{
  int32_t type;
  int32_t error;
};

int
runtime_sync_pair (int fds[2], reg_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return reg_make_error (err, errno, "socketpair");
  return 0;
}

int
runtime_sync_send (int sock, int type, int error, const void *data, size_t len, int fd, reg_error_t *err)
{
  struct sync_header h = { .type = type, .error = error };
  struct iovec iov[2] = { { &h, sizeof (h) }, { (void *)data, data ? len : 0 } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t r;

  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&u, 0, sizeof (u));
      m.msg_control = u.buf;
      m.msg_controllen = sizeof (u.buf);
      c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  r = TEMP_FAILURE_RETRY_INT (sendmsg (sock, &m, MSG_NOSIGNAL));
  if (r < 0)
    return reg_make_error (err, errno, "sync: send message %d", type);
  return 0;
}

void
runtime_sync_send_error (int sock, reg_error_t *err)
{
  const char *msg = (err && *err) ? (*err)->msg : "unknown error";
  int status = (err && *err) ? (*err)->status : 0;
  (void)runtime_sync_send (sock, RUNTIME_SYNC_ERROR, status, msg, strlen (msg), -1, NULL);
}

int
runtime_sync_recv (int sock, struct runtime_sync_msg *msg, reg_error_t *err)
{
  struct sync_header h;
  cleanup_free char *payload = xmalloc (SYNC_MAX_PAYLOAD + 1);
  struct iovec iov[2] = { { &h, sizeof (h) }, { payload, SYNC_MAX_PAYLOAD } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *c;
  ssize_t r;

  cleanup_close int fd = -1;
  size_t nfds = 0;

  memset (msg, 0, sizeof (*msg));
  msg->fd = -1;
  r = TEMP_FAILURE_RETRY_INT (recvmsg (sock, &m, MSG_CMSG_CLOEXEC));
  if (r < 0)
    return reg_make_error (err, errno, "sync: receive");
  /* Take every fd that came in before judging the message, so one that
     arrives with a malformed message is closed, not leaked.  A message
     carries at most one; more (or a truncated control part) is a
     protocol error.  */
  for (c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN (0))
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
        {
          int f;
          memcpy (&f, CMSG_DATA (c) + i * sizeof (int), sizeof (int));
          if (fd < 0)
            fd = f;
          else
            close (f);
          nfds++;
        }
  if (r == 0)
    return reg_make_error (err, 0, "container init exited before it was set up");
  if ((size_t)r < sizeof (h) || (m.msg_flags & MSG_TRUNC))
    return reg_make_error (err, EPROTO, "sync: short or oversized message");
  if (nfds > 1 || (m.msg_flags & MSG_CTRUNC))
    return reg_make_error (err, EPROTO, "sync: more than one fd in a message");
  msg->fd = steal_fd (&fd);
  msg->type = h.type;
  msg->error = h.error;
  msg->len = (size_t)r - sizeof (h);
  payload[msg->len] = '\0';
  msg->data = xrealloc (steal_pointer (&payload), msg->len + 1);
  return 0;
}

int
runtime_sync_expect (int sock, int type, struct runtime_sync_msg *msg, reg_error_t *err)
{
  int ret = runtime_sync_recv (sock, msg, err);
  if (UNLIKELY (ret < 0))
    return ret;
  if (msg->type == type)
    return 0;
  if (msg->type == RUNTIME_SYNC_ERROR)
    {
      /* The child's message already ends with strerror; keep its errno for
         the exit path without printing it twice.  */
      /* Only a real errno travels on: a wild value would become the
         caller's exit path's errno.  An empty text still gives a line.  */
      int e = (msg->error > 0 && msg->error < 4096) ? msg->error : 0;
      ret = reg_make_error (err, 0, "%s", msg->data[0] ? msg->data : "container init failed (no message)");
      (*err)->status = e;
      runtime_sync_msg_clear (msg);
      return e > 0 ? -e : ret;
    }
  ret = reg_make_error (err, EPROTO, "sync: expected message %d, got %d", type, msg->type);
  runtime_sync_msg_clear (msg);
  return ret;
}

void
runtime_sync_msg_clear (struct runtime_sync_msg *msg)
{
  free (msg->data);
  msg->data = NULL;
  if (msg->fd >= 0)
    close (msg->fd);
  msg->fd = -1;
}

int
runtime_sync_take_pid (int sock, pid_t intermediate, pid_t *pid, int *pidfd, reg_error_t *err)
{
  struct runtime_sync_msg msg;
  int32_t ipid = 0;
  int ret;

  ret = runtime_sync_expect (sock, RUNTIME_SYNC_INIT_PID, &msg, err);
  /* It exits after its message, or after an error it sent.  */
  waitpid (intermediate, NULL, 0);
  if (UNLIKELY (ret < 0))
    return ret;
  if (msg.len >= sizeof (ipid))
    memcpy (&ipid, msg.data, sizeof (ipid));
  runtime_sync_msg_clear (&msg);
  if (ipid <= 0)
    return reg_make_error (err, EPROTO, "no pid from the intermediate process");
  *pid = ipid;
  *pidfd = (int)syscall (SYS_pidfd_open, ipid, 0);
  if (*pidfd < 0)
    return reg_make_error (err, errno, "pidfd_open %d", ipid);
  return 0;
}
