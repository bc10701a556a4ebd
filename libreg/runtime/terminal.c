/* libreg: pty for terminal: true (see terminal.h).  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"
#include "utils.h"

int
runtime_terminal_open (int rootfd, const oci_process *process, int *master, int *slave, reg_error_t *err)
{
  cleanup_close int m = -1;
  int unlock = 0, s;

  m = open_in_root_raw (rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0);
  if (m < 0)
    return reg_make_error (err, -m, "open the container's `/dev/pts/ptmx`");
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return reg_make_error (err, errno, "unlock the pty");
  /* TIOCGPTPEER opens the slave of this very master, not a path that could
     be swapped.  */
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return reg_make_error (err, errno, "open the pty slave");
  if (process->has_console_size)
    {
      struct winsize ws
          = { .ws_row = (unsigned short)process->console_height, .ws_col = (unsigned short)process->console_width };
      if (ioctl (m, TIOCSWINSZ, &ws) < 0)
        {
          close (s);
          return reg_make_error (err, errno, "set the console size");
        }
    }
  *master = steal_fd (&m);
  *slave = s;
  return 0;
}

int
runtime_terminal_make_controlling (int slave, reg_error_t *err)
{
  if (setsid () < 0)
    return reg_make_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return reg_make_error (err, errno, "make the pty the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return reg_make_error (err, errno, "dup2 the pty to fd %d", i);
  return 0;
}

int
runtime_terminal_connect (const char *socket_path, int *fd, reg_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int s = -1;

  if (strlen (socket_path) >= sizeof (addr.sun_path))
    return reg_make_error (err, ENAMETOOLONG, "console socket `%s`", socket_path);
  strcpy (addr.sun_path, socket_path);
  s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return reg_make_error (err, errno, "console socket: socket");
  if (TEMP_FAILURE_RETRY_INT (connect (s, (struct sockaddr *)&addr, sizeof (addr))) < 0)
    return reg_make_error (err, errno, "connect to the console socket `%s`", socket_path);
  *fd = steal_fd (&s);
  return 0;
}

int
runtime_terminal_send (int sock, int master, reg_error_t *err)
{
  /* runc sends the name of the terminal with the fd; clients ignore it.  */
  char name[] = "/dev/ptmx";
  struct iovec iov = { name, sizeof (name) - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *c;

  memset (&u, 0, sizeof (u));
  c = CMSG_FIRSTHDR (&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master, sizeof (int));
  if (TEMP_FAILURE_RETRY_INT (sendmsg (sock, &m, MSG_NOSIGNAL)) < 0)
    return reg_make_error (err, errno, "send the pty over the console socket");
  return 0;
}

int
runtime_terminal_forward_master (int console_fd, bool want_master, int *master_fd, int *kept, reg_error_t *err)
{
  if (console_fd >= 0)
    return runtime_terminal_send (console_fd, *master_fd, err);
  if (want_master)
    {
      *kept = *master_fd;
      *master_fd = -1;
    }
  return 0;
}
