/* libreg: running OCI hooks (see hooks.h).  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "utils.h"

static int
run_one (const oci_hook *h, const char *kind, const char *state_json, reg_error_t *err)
{
  char *default_argv[] = { h->path, NULL };
  char *empty_env[] = { NULL };
  int pipefd[2];
  cleanup_close int pidfd = -1;
  pid_t pid;
  int status = 0;
  int ret = 0;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return reg_make_error (err, errno, "%s hook `%s`: pipe", kind, h->path);
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return reg_make_error (err, errno, "%s hook `%s`: fork", kind, h->path);
    }
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (dup2 (pipefd[0], 0) < 0)
        _exit (127);
      execve (h->path, h->args.len ? h->args.items : default_argv, h->env.len ? h->env.items : empty_env);
      dprintf (2, "%s hook `%s`: exec: %s\n", kind, h->path, strerror (errno));
      _exit (127);
    }
  close (pipefd[0]);
  pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  /* A hook need not read its stdin: ignore EPIPE.  */
  {
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    sigaction (SIGPIPE, &ign, &old);
    (void)write_all (pipefd[1], state_json, strlen (state_json), NULL);
    sigaction (SIGPIPE, &old, NULL);
  }
  close (pipefd[1]);

  if (h->has_timeout && h->timeout > 0 && pidfd >= 0)
    {
      struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
      int64_t ms = h->timeout * 1000;
      int r = TEMP_FAILURE_RETRY_INT (poll (&pfd, 1, ms > 2000000000 ? 2000000000 : (int)ms));
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          return reg_make_error (err, 0, "%s hook `%s`: timed out after %lld seconds", kind, h->path,
                                 (long long)h->timeout);
        }
    }
  if (TEMP_FAILURE_RETRY_INT (waitpid (pid, &status, 0)) < 0)
    return reg_make_error (err, errno, "%s hook `%s`: waitpid", kind, h->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    ret = reg_make_error (err, 0, "%s hook `%s`: exited with status %d", kind, h->path, WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    ret = reg_make_error (err, 0, "%s hook `%s`: killed by signal %d", kind, h->path, WTERMSIG (status));
  return ret;
}

int
runtime_hooks_run (const oci_hooks_list *list, const char *kind, const char *state_json, bool warn_only,
                   reg_error_t *err)
{
  for (size_t i = 0; list && i < list->len; i++)
    {
      int ret = run_one (&list->items[i], kind, state_json, err);
      if (ret == 0)
        continue;
      if (!warn_only)
        return ret;
      reg_warning ("%s", (*err)->msg);
      reg_error_release (err);
    }
  return 0;
}
