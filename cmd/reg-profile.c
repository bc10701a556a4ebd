/* reg-runc reg profile: the profiles learn mode keeps in the REG store.  */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "reg-admin.h"
#include "utils.h"

static void
profile_usage (FILE *out)
{
  fprintf (out, "Usage: reg-runc reg profile ls\n"
                "       reg-runc reg profile show KEY\n"
                "       reg-runc reg profile rm KEY...\n\n"
                "The profiles `run.reg.mode=learn` recorded (one per entrypoint), used by `minimal`.\n");
}

int
cmd_reg_profile (struct cmd_global_args *g, int argc, char **argv, reg_error_t *err)
{
  const char *root = cmd_store_root (g);
  cleanup_string_array char **items = NULL;
  size_t n = 0;
  int ret;

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      profile_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? cmd_usage_error (err, "reg profile", "expected ls, show or rm") : 0;
    }
  if (strcmp (argv[1], "ls") == 0 && argc == 2)
    {
      ret = reg_profile_list (root, &items, &n, err);
      if (UNLIKELY (ret < 0))
        return ret;
      for (size_t i = 0; i < n; i++)
        {
          cleanup_string_array char **paths = NULL;
          size_t np = 0;
          reg_error_t e = NULL;
          if (reg_profile_read (root, items[i], &paths, &np, &e) < 0)
            {
              printf ("%s  (%s)\n", items[i], e->msg);
              reg_error_release (&e);
              continue;
            }
          printf ("%s  %zu paths\n", items[i], np);
        }
      return 0;
    }
  if (strcmp (argv[1], "show") == 0 && argc == 3)
    {
      ret = reg_profile_read (root, argv[2], &items, &n, err);
      if (UNLIKELY (ret < 0))
        return ret;
      if (n == 0)
        return reg_make_error (err, ENOENT, "store `%s`: profile `%s`", root, argv[2]);
      for (size_t i = 0; i < n; i++)
        printf ("%s\n", items[i]);
      return 0;
    }
  if (strcmp (argv[1], "rm") == 0 && argc >= 3)
    {
      for (int i = 2; i < argc; i++)
        {
          ret = reg_profile_remove (root, argv[i], err);
          if (UNLIKELY (ret < 0))
            return reg_error_wrap (err, "store `%s`", root);
        }
      return 0;
    }
  return cmd_usage_error (err, "reg profile", "expected `ls`, `show KEY` or `rm KEY...`");
}
