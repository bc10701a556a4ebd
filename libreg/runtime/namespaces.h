/* libreg: the container's namespaces: which ones to create, joining the ones
   given by path, user namespace id maps (written by the parent), time
   namespace offsets, hostname and domainname.  */
#ifndef RUNTIME_NAMESPACES_H
#define RUNTIME_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

/* CLONE_NEW* flags of the namespaces CONFIG creates (no path).  */
int runtime_ns_new_flags (const oci_config *config);
/* Is namespace TYPE joined by path?  */
bool runtime_ns_joined (const oci_config *config, enum oci_ns_type type);
bool runtime_ns_any_joined (const oci_config *config);

/* setns into every namespace CONFIG gives by path: the user namespace first
   when USER, then the others (mount last).  Open every path before the
   first setns, so paths resolve in the caller's mount namespace.  */
int runtime_ns_join (const oci_config *config, bool user, bool others, reg_error_t *err);

/* Write uid_map/gid_map (and setgroups "deny" when the caller lacks
   CAP_SETGID) of the process PID.  */
int runtime_ns_write_id_maps (pid_t pid, const oci_config *config, reg_error_t *err);

/* Format id mappings for /proc/PID/uid_map (pure).  */
char *runtime_ns_format_id_map (const oci_id_mapping *maps, size_t n);

/* /proc/self/timens_offsets, after unshare(CLONE_NEWTIME) and before any
   process runs in the namespace.  */
int runtime_ns_write_time_offsets (const oci_config *config, reg_error_t *err);

int runtime_ns_set_hostname (const oci_config *config, reg_error_t *err);

/* Checks at create, before anything is made: a new user namespace needs
   uidMappings and gidMappings, and mappings need a user namespace.  */
int runtime_ns_validate (const oci_config *config, reg_error_t *err);

/* The namespace that owns sysctl NAME ("net.ipv4.ip_forward" or
   "net/ipv4/ip_forward"): OCI_NS_NETWORK, OCI_NS_IPC or OCI_NS_UTS, or
   OCI_NS_COUNT when the sysctl is not namespaced (pure).  */
enum oci_ns_type runtime_sysctl_namespace (const char *name);

/* linux.sysctl: each key must belong to a namespace the container has of
   its own (new, or joined by a path that is not the caller's own), as runc
   checks.  */
int runtime_sysctl_validate (const oci_config *config, reg_error_t *err);

#endif
