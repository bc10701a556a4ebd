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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
int reg_layers_lower_file (struct reg_layers *l, int fd, const struct reg_identity *id, int *lower_fd,
                           struct reg_identity *lower_id);

/* The same for the file or symlink at PATH of the root (a directory is
   never a lower layer's alone: the upper layer's part of it differs by
   container), whose identity through the overlay is ID: 0 with the index
   of its layer (0: the top lower layer) and the layer file's identity.  */
int reg_layers_lower_entry (struct reg_layers *l, const char *path, const struct reg_identity *id, size_t *layer,
                            struct reg_identity *lower_id);
/* 0 when the overlay shows at PATH (as ID) the file of lower layer LAYER
   whose identity is LOWER_ID, as reg_layers_lower_entry found it before
   (a changed file has another identity: its metadata is not read).  */
int reg_layers_check_entry (struct reg_layers *l, const char *path, const struct reg_identity *id, size_t layer,
                            const struct reg_identity *lower_id);

/* The same without looking at the overlay (whose dentries are new in each
   container, so each lookup there is a cold one through every layer): 0
   when the upper layer has nothing under PATH's first component, no lower
   layer above LAYER has anything at PATH (nor a non-directory on its
   way), and LAYER has the file of identity LOWER_ID there.  The lower
   layers are the image's, which only root changes (see above); a file
   changed in place has another identity.  -1 otherwise, also when the
   upper layer has something under that component: ask the overlay
   (reg_layers_check_entry).  */
int reg_layers_check_layer_entry (struct reg_layers *l, const char *path, size_t layer,
                                  const struct reg_identity *lower_id);

/* What the lower layers have at the directory PATH, to F: for each layer,
   top first, the identity of its entry there or its absence.  0, or -1
   when the upper layer has something under PATH's first component or a
   layer has a non-directory on the way (ask the overlay).  A directory's
   identity moves with every entry added to it, removed or renamed, and
   with its attributes (an opaque directory's xattr): while what is written
   stays the same, so does the overlay's listing of PATH.  */
int reg_layers_write_dir (struct reg_layers *l, const char *path, FILE *f);

/* The overlay's root (the fd of_root was given, duplicated).  */
int reg_layers_root (const struct reg_layers *l);

/* Whether ID is of the overlay's own mount: known there only, never in
   another container.  */
bool reg_layers_own_mount (const struct reg_layers *l, const struct reg_identity *id);

/* The lower layers for a cache key: one line each, "lower N MNT DEV INO",
   top first (the upper layer, each container's own, is not one).  */
void reg_layers_write_key (const struct reg_layers *l, FILE *f);

#endif
