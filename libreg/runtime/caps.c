/* reg-runc: process capabilities (libcap).  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "utils.h"

/* Capability values fit in a 64-bit mask; the kernel is far from that.  */
#define CAPS_MAX 64

static int
kernel_cap_count (void)
{
  int n = (int)cap_max_bits ();
  return n > CAPS_MAX ? CAPS_MAX : n;
}

/* "CAP_" followed by upper-case letters, digits and '_': the spelling of
   capabilities(7) and of the runtime-spec's examples.  libcap itself also
   takes "cap_chown" or "chown"; runc does not, and neither do we, so a
   config means the same on every runtime.  */
static bool
well_formed_name (const char *name)
{
  const char *p;

  if (!has_prefix (name, "CAP_") || name[4] == '\0')
    return false;
  for (p = name + 4; *p; p++)
    if (!(isupper ((unsigned char)*p) || isdigit ((unsigned char)*p) || *p == '_'))
      return false;
  return true;
}

static int
resolve_set (const oci_strv *names, const char *json_path, const char *set, int kernel_max, uint64_t *mask,
             reg_error_t *err)
{
  size_t i;

  *mask = 0;
  for (i = 0; i < names->len; i++)
    {
      const char *name = names->items[i];
      cap_value_t v;

      if (!well_formed_name (name) || cap_from_name (name, &v) < 0 || v < 0 || v >= CAPS_MAX)
        return reg_make_error (err, 0, "%s.%s: unknown capability \"%s\"", json_path, set, name);
      if (v >= kernel_max)
        {
          reg_warning ("%s.%s: capability \"%s\" is not supported by the running kernel, ignored", json_path, set,
                       name);
          continue;
        }
      *mask |= UINT64_C (1) << v;
    }
  return 0;
}

int
runtime_caps_resolve_for_kernel (const oci_capabilities *c, const char *json_path, int kernel_caps,
                                 struct runtime_caps **out, reg_error_t *err)
{
  cleanup_free struct runtime_caps *caps = xmalloc0 (sizeof (*caps));
  int ret;

  *out = NULL;
  if (c != NULL && c->present)
    {
      caps->configured = true;
      ret = resolve_set (&c->bounding, json_path, "bounding", kernel_caps, &caps->bounding, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = resolve_set (&c->effective, json_path, "effective", kernel_caps, &caps->effective, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = resolve_set (&c->inheritable, json_path, "inheritable", kernel_caps, &caps->inheritable, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = resolve_set (&c->permitted, json_path, "permitted", kernel_caps, &caps->permitted, err);
      if (UNLIKELY (ret < 0))
        return ret;
      ret = resolve_set (&c->ambient, json_path, "ambient", kernel_caps, &caps->ambient, err);
      if (UNLIKELY (ret < 0))
        return ret;
    }
  *out = steal_pointer (&caps);
  return 0;
}

int
runtime_caps_resolve_at (const oci_capabilities *c, const char *json_path, struct runtime_caps **out, reg_error_t *err)
{
  return runtime_caps_resolve_for_kernel (c, json_path, kernel_cap_count (), out, err);
}

int
runtime_caps_resolve (const oci_capabilities *c, struct runtime_caps **out, reg_error_t *err)
{
  return runtime_caps_resolve_at (c, "config.json: process.capabilities", out, err);
}

void
runtime_caps_free (struct runtime_caps *caps)
{
  free (caps);
}

int
runtime_caps_before_setuid (reg_error_t *err)
{
  if (UNLIKELY (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0))
    return reg_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

static void
cleanup_capp (cap_t *c)
{
  if (*c)
    cap_free (*c);
}
#define cleanup_cap __attribute__ ((cleanup (cleanup_capp)))

static int
set_flag_from_mask (cap_t c, cap_flag_t flag, uint64_t mask, int n)
{
  cap_value_t v;

  for (v = 0; v < n; v++)
    if (mask & (UINT64_C (1) << v))
      if (cap_set_flag (c, flag, 1, &v, CAP_SET) < 0)
        return -1;
  return 0;
}

int
runtime_caps_apply (const struct runtime_caps *caps, reg_error_t *err)
{
  int n = kernel_cap_count ();
  cleanup_cap cap_t cur = NULL;
  cleanup_cap cap_t want = NULL;
  cap_value_t v;
  int ret;

  if (caps == NULL || !caps->configured)
    return 0;

  /* After setuid to a non-root uid keep-caps kept the permitted set but the
     kernel cleared the effective one; dropping from the bounding set and
     raising inheritable beyond permitted need CAP_SETPCAP effective.  */
  cur = cap_get_proc ();
  if (UNLIKELY (cur == NULL))
    return reg_make_error (err, errno, "read the process capabilities");
  for (v = 0; v < n; v++)
    {
      cap_flag_value_t has = CAP_CLEAR;
      if (cap_get_flag (cur, v, CAP_PERMITTED, &has) == 0 && has == CAP_SET)
        cap_set_flag (cur, CAP_EFFECTIVE, 1, &v, CAP_SET);
    }
  if (UNLIKELY (cap_set_proc (cur) < 0))
    return reg_make_error (err, errno, "raise the permitted capabilities to effective");

  for (v = 0; v < n; v++)
    {
      if (caps->bounding & (UINT64_C (1) << v))
        continue;
      ret = cap_get_bound (v);
      if (ret <= 0)
        continue; /* already dropped, or unknown to the kernel */
      if (UNLIKELY (cap_drop_bound (v) < 0))
        return reg_make_error (err, errno, "drop %s from the bounding set", runtime_caps_name (v) ?: "?");
    }

  want = cap_init ();
  if (UNLIKELY (want == NULL))
    return reg_make_error (err, errno, "cap_init");
  if (UNLIKELY (set_flag_from_mask (want, CAP_EFFECTIVE, caps->effective, n) < 0
                || set_flag_from_mask (want, CAP_PERMITTED, caps->permitted, n) < 0
                || set_flag_from_mask (want, CAP_INHERITABLE, caps->inheritable, n) < 0))
    return reg_make_error (err, errno, "cap_set_flag");
  if (UNLIKELY (cap_set_proc (want) < 0))
    return reg_make_error (err, errno,
                           "set the effective, permitted and inheritable capabilities"
                           " (each effective and inheritable capability must be in"
                           " permitted and bounding)");

  /* The kernel refuses an ambient capability that is not both permitted and
     inheritable; runc warns and goes on, and Podman relies on that.  */
  if (cap_reset_ambient () < 0)
    {
      if (caps->ambient != 0)
        return reg_make_error (err, errno, "clear the ambient capabilities");
    }
  else
    for (v = 0; v < n; v++)
      if (caps->ambient & (UINT64_C (1) << v))
        if (cap_set_ambient (v, CAP_SET) < 0)
          reg_warning ("cannot raise ambient capability %s: %s", runtime_caps_name (v) ?: "?", strerror (errno));

  if (UNLIKELY (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0))
    return reg_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

static char *known_names[CAPS_MAX + 1];
static char *all_names[CAPS_MAX];
static bool names_done;

static void
compute_names (void)
{
  int n = kernel_cap_count ();
  size_t k = 0;
  int v;

  if (names_done)
    return;
  for (v = 0; v < CAPS_MAX; v++)
    {
      char *s = cap_to_name (v);
      char *p;

      if (s == NULL)
        continue;
      /* libcap prints a value it has no name for as a number.  */
      if (!isdigit ((unsigned char)s[0]))
        {
          xasprintf (&all_names[v], "%s", s);
          for (p = all_names[v]; *p; p++)
            *p = toupper ((unsigned char)*p);
          if (v < n)
            known_names[k++] = all_names[v];
        }
      cap_free (s);
    }
  known_names[k] = NULL;
  names_done = true;
}

const char *const *
runtime_caps_known_names (void)
{
  compute_names ();
  return (const char *const *)known_names;
}

const char *
runtime_caps_name (int v)
{
  if (v < 0 || v >= CAPS_MAX)
    return NULL;
  compute_names ();
  return all_names[v];
}
