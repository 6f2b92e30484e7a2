/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libvmo: the client library of vmo.
 *
 * Every function returns 0 (or a non-negative value) on success and a
 * negative errno on failure; vmo_strerror() names the problem.
 */
#ifndef LIBVMO_H
#define LIBVMO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vmo.h>

#define VMO_DEVICE_PATH "/dev/vmo"

struct vmo_lib;

/* Opens a session on /dev/vmo (or $VMO_DEVICE) and does the handshake. */
int vmo_open(struct vmo_lib **out);
/* Unmaps nothing: mappings stay valid; closes the session and uffd. */
void vmo_close(struct vmo_lib *v);

int vmo_session_fd(const struct vmo_lib *v);
uint32_t vmo_api_version(const struct vmo_lib *v);
uint64_t vmo_features(const struct vmo_lib *v);
/* The client id, or 0 before the first mapping attached the session. */
uint64_t vmo_client_id(const struct vmo_lib *v);

/* Creates an anonymous (demand-zero) object; returns its fd. */
int vmo_create_anon(struct vmo_lib *v, uint64_t size, uint32_t flags,
		    uint64_t *id);
/*
 * Creates a file object over [offset, offset + size) of @file_fd; with
 * VMO_CREATE_SHARED writes reach the file (vmo_sync(), and when the
 * object goes), else they never do.  Returns its fd.
 */
int vmo_create_file(struct vmo_lib *v, int file_fd, uint64_t offset,
		    uint64_t size, uint32_t flags, uint64_t *id);
/*
 * Creates a copy-on-write shadow over [offset, offset + size) of the
 * object @parent_fd.  Returns its fd.
 */
int vmo_create_shadow(struct vmo_lib *v, int parent_fd, uint64_t offset,
		      uint64_t size, uint32_t flags, uint64_t *id);
/* Writes a shared file object back (like msync); *pages if not NULL. */
int vmo_sync(int obj_fd, uint64_t *pages);
/* Raw VMO_IOC_CREATE; returns the object fd. */
int vmo_create(struct vmo_lib *v, struct vmo_create *req);

/*
 * Maps @len bytes of object @obj_fd from byte @offset with @prot and
 * @flags (MAP_SHARED or MAP_PRIVATE, optionally MAP_FIXED with *@addr as
 * the address).  The range is registered with the session's userfaultfd
 * and announced to the pager before this returns, so no access can reach
 * the kernel's own fault path.  The first call attaches the session as a
 * client.  Stores the address in *@addr.
 */
int vmo_map(struct vmo_lib *v, int obj_fd, uint64_t offset, size_t len,
	    int prot, int flags, void **addr);
int vmo_unmap(struct vmo_lib *v, void *addr, size_t len);

int vmo_info(int obj_fd, struct vmo_info *info);

/* A message for a negative errno returned by this library. */
const char *vmo_strerror(int err);

#endif /* LIBVMO_H */
