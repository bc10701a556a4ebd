/* libFuzzer harness for the closure computation: a tiny rootfs is made once
   (the host's /bin/sh with its libraries, an ld.so.cache, ld.so.conf,
   nsswitch.conf) and every input becomes its entrypoint /bin/entry (an ELF
   file, a #! script, anything), analysed by reg_analyze.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-common.h"
#include "reg-analyze.h"
#include "utils.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);

static char root[] = "/tmp/reg-fuzz-closure-XXXXXX";
static int rootfd = -1;
static int bindirfd = -1;

static void
remove_root (void)
{
  reg_error_t err = NULL;
  if (remove_tree_at (AT_FDCWD, root, &err) < 0)
    reg_error_release (&err);
}

static void
must (int ok, const char *what)
{
  if (!ok)
    {
      fprintf (stderr, "fuzz_closure: setting up the rootfs: %s failed\n", what);
      abort ();
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cleanup_free char *cmd = NULL;

  (void)argc;
  (void)argv;
  must (mkdtemp (root) != NULL, "mkdtemp");
  atexit (remove_root);
  xasprintf (&cmd,
             "set -e; r=%s; for f in /bin/sh $(ldd /bin/sh | grep -o '/[^ ]*'); do cp -L --parents \"$f\" \"$r\"; done;"
             "mkdir -p \"$r/etc\" \"$r/usr/lib\" \"$r/lib64\";"
             "for f in $(ldd /bin/sh | grep -o '/[^ ]*'); do echo \"${f%%/*}\"; done | sort -u > \"$r/etc/ld.so.conf\";"
             "printf 'passwd: files\\nhosts: files dns\\n' > \"$r/etc/nsswitch.conf\";"
             "ln -s ../bin \"$r/usr/bin\";"
             "(/sbin/ldconfig -r \"$r\" || /usr/sbin/ldconfig -r \"$r\") >/dev/null 2>&1 || true",
             root);
  must (system (cmd) == 0, "copying /bin/sh and its libraries");
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  must (rootfd >= 0, "open root");
  bindirfd = open (root, O_DIRECTORY | O_CLOEXEC);
  must (bindirfd >= 0, "open root dir");
  must (mkdirat (bindirfd, "bin", 0755) == 0 || errno == EEXIST, "mkdir bin");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const argv[] = { "entry", "arg", NULL };
  static const char *const env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LD_LIBRARY_PATH=/opt/lib", NULL };
  struct reg_closure *c = NULL;
  reg_error_t err = NULL;
  cleanup_close int fd = -1;

  fd = openat (bindirfd, "bin/entry", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0 || write_all (fd, data, size, &err) < 0)
    __builtin_trap ();
  close (steal_fd (&fd));

  if (reg_analyze (rootfd, argv, env, "/", &c, &err) == 0)
    {
      /* Every entry is an absolute path of the root; the walk never leaves it.  */
      for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].path[0] != '/' || strstr (c->entries[i].path, "/../") != NULL)
          __builtin_trap ();
      reg_closure_free (c);
    }
  reg_error_release (&err);
  return 0;
}
