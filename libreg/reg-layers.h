/* libreg: the layers of an overlay rootfs, and the layer file a file of it
 * comes from.
 *
 * Podman and containerd give each container a new overlay mount of its
 * image's layers.  Through it a file has a new mount (and device) each
 * time, so its identity (reg-identity.h) is new to the caches.  The
 * unchanged file of a read-only lower layer is the same file in every
 * container of the image, with an identity of its own on the host's mount
 * of the layers: that is the identity the caches can be keyed on.
 *
 * Which file is it.  The layers are the overlay's lowerdir/upperdir as the
 * host's mount table (/proc/self/mountinfo) names them; only root can
 * mount them or change them.  A file of the overlay is a lower layer's file
 * L when, its path looked up layer by layer from the top (never through a
 * symlink): nothing is at its path in the upper layer (the container's own:
 * a file there is treated as the image's own, hashed), the first lower
 * layer that has the path has L there, and the overlay shows L's inode
 * number, size, mtime, ctime, mode and owner.  Every layer is on one file
 * system, where an inode number names one file, so the inode number says
 * which file the overlay reads; a copy-up into the upper layer has a new
 * ctime, which nobody can set.  L carries no overlay metadata (a metacopy
 * or a redirect would take its data from elsewhere).  Anything else (the
 * layers on several file systems, a relative or unreadable layer path,
 * data-only layers, an idmapped overlay whose owners differ) is no
 * mapping: the file is known by its own identity, as without layers.  */
#ifndef REG_LAYERS_H
#define REG_LAYERS_H

#include <stddef.h>

#include "reg-identity.h"

struct reg_layers;

/* The layers of the overlay mounted at ROOTFD (the root of that mount);
   NULL when ROOTFD is not one whose layers can be named and checked (see
   above).  */
struct reg_layers *reg_layers_of_root (int rootfd);
void reg_layers_free (struct reg_layers *l);

/* The lower-layer file the regular file FD (identity ID) of the overlay
   is: 0 with *LOWER_FD (O_RDONLY) and *LOWER_ID, its identity on the
   layers' mount; -1 when it is not one unchanged lower-layer file (another
   mount, the upper layer, copied up, overlay metadata, not found).  */
int reg_layers_lower_file (const struct reg_layers *l, int fd, const struct reg_identity *id, int *lower_fd,
                           struct reg_identity *lower_id);

#endif
