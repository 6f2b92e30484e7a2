/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmo: Mach/FreeBSD-style VM objects served by a user-space pager.
 *
 * User API of /dev/vmo, shared by the module, the pager, the client
 * library and the tests.  Every structure is made of fixed-size fields
 * with explicit padding; every reserved field and padding must be zero
 * and every unknown flag is refused with EINVAL, so later versions can
 * give them a meaning without breaking old callers.
 *
 * A /dev/vmo file descriptor is a "session".  Its first request must be
 * VMO_IOC_HANDSHAKE; any other request before it fails with EBADFD.  A
 * session then creates objects and may become a client (by attaching a
 * userfaultfd) or the pager (one at a time, CAP_SYS_ADMIN), not both.
 */
#ifndef _UAPI_LINUX_VMO_H
#define _UAPI_LINUX_VMO_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

#define VMO_API_VERSION		1

#define VMO_IOC_MAGIC		0xBE

/* Features reported by VMO_IOC_HANDSHAKE. */
#define VMO_FEATURE_ANON	_BITULL(0)	/* demand-zero objects */
#define VMO_FEATURE_CLIENT	_BITULL(1)	/* clients hand over a uffd */
#define VMO_FEATURE_PAGER	_BITULL(2)	/* pager attach/events/lookup */
#define VMO_FEATURE_PROC	_BITULL(3)	/* /proc/vmo/{stats,objects} */

/**
 * struct vmo_handshake - agree on the API version (first request)
 * @api_version: in: the version the caller speaks (1..VMO_API_VERSION);
 *	out: the module's version.  An unsupported version fails with
 *	EPROTONOSUPPORT after the module's version has been written back.
 * @flags: in: must be 0.
 * @features: out: VMO_FEATURE_* bits.
 * @reserved: in: must be 0.
 *
 * Repeating the handshake with a supported version is allowed.
 */
struct vmo_handshake {
	__u32 api_version;
	__u32 flags;
	__u64 features;
	__u64 reserved[2];
};

/* Object kinds.  FILE and SHADOW are reserved for a later version. */
#define VMO_KIND_ANON		1	/* demand-zero */
#define VMO_KIND_FILE		2	/* reserved: backed by a file */
#define VMO_KIND_SHADOW		3	/* reserved: copy-on-write over a parent */

/* Flags of struct vmo_create. */
#define VMO_CREATE_CLOEXEC	_BITUL(0)	/* object fd gets O_CLOEXEC */
#define VMO_CREATE_FLAGS	VMO_CREATE_CLOEXEC

/* Largest object: 1 TiB, far below what pgoff arithmetic could overflow. */
#define VMO_MAX_SIZE		_BITULL(40)

/**
 * struct vmo_create - create an object (VMO_IOC_CREATE)
 * @kind: VMO_KIND_*; only VMO_KIND_ANON in this version.
 * @flags: VMO_CREATE_* flags.
 * @size: in bytes: a non-zero multiple of the page size, at most
 *	VMO_MAX_SIZE.
 * @offset: offset into the source (file or parent); must be 0 for ANON.
 * @src_fd: source file or parent object fd; must be 0 for ANON.
 * @pad: must be 0.
 * @reserved: must be 0.
 * @id: out: the object's id (never reused while the module is loaded).
 * @fd: out: the object's fd, also the ioctl's return value.
 * @pad2: out: 0.
 */
struct vmo_create {
	__u32 kind;
	__u32 flags;
	__u64 size;
	__u64 offset;
	__u32 src_fd;
	__u32 pad;
	__u64 reserved[4];
	__u64 id;
	__u32 fd;
	__u32 pad2;
};

/**
 * struct vmo_info - describe an object (VMO_OBJ_INFO, on an object fd)
 * @id: object id.
 * @kind: VMO_KIND_*.
 * @flags: creation flags.
 * @size: size in bytes.
 * @parent_id: parent object id, 0 if none.
 * @offset: offset into the source.
 * @resident_pages: pages in the object's store.
 * @refs: references on the object's store (fds, mappings, dependents).
 * @mappings: VMAs mapping the object, in all processes.
 * @reserved: 0.
 */
struct vmo_info {
	__u64 id;
	__u32 kind;
	__u32 flags;
	__u64 size;
	__u64 parent_id;
	__u64 offset;
	__u64 resident_pages;
	__u64 refs;
	__u64 mappings;
	__u64 reserved[4];
};

/**
 * struct vmo_client_attach - make this session a client (VMO_IOC_CLIENT_ATTACH)
 * @uffd: a userfaultfd created by the calling process, UFFDIO_API done
 *	with UFFD_FEATURE_MISSING_SHMEM and UFFD_FEATURE_MINOR_SHMEM.  The
 *	module keeps a reference and hands it to the pager; the caller may
 *	keep or close its own.
 * @flags: must be 0.
 * @client_id: out: the client's id.
 * @reserved: must be 0.
 *
 * A session attaches at most once (EBUSY after).  The client lives until
 * its session is closed and none of its ranges remain registered, or
 * until its address space exits.
 */
struct vmo_client_attach {
	__u32 uffd;
	__u32 flags;
	__u64 client_id;
	__u64 reserved[2];
};

/**
 * struct vmo_map_notify - tell the pager about a new mapping
 * @obj_fd: the mapped object's fd.
 * @flags: must be 0.
 * @addr: start of the mapping in the caller's address space.
 * @len: length in bytes.
 * @reserved: must be 0.
 *
 * VMO_IOC_MAP_NOTIFY, on a client session, after mmap() of @obj_fd and
 * UFFDIO_REGISTER of the range.  The module checks that [addr, addr+len)
 * lies in one mapping of the object (EINVAL otherwise) and queues a
 * VMO_EV_MAP for the pager.  The notice is a hint: the pager can always
 * ask VMO_IOC_PAGER_LOOKUP.
 */
struct vmo_map_notify {
	__u32 obj_fd;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u64 reserved[2];
};

/**
 * struct vmo_pager_attach - make this session the pager
 * @flags: must be 0.
 * @pad: must be 0.
 * @reserved: must be 0.
 *
 * VMO_IOC_PAGER_ATTACH needs CAP_SYS_ADMIN (EPERM); a second pager gets
 * EBUSY.  On attach the pager is sent VMO_EV_CLIENT_NEW for every live
 * client.  Closing the session detaches the pager; clients then wait
 * for the next one.
 */
struct vmo_pager_attach {
	__u32 flags;
	__u32 pad;
	__u64 reserved[3];
};

/* Event types read with VMO_IOC_PAGER_EVENT. */
#define VMO_EV_CLIENT_NEW	1	/* @uffd is a new fd in the pager */
#define VMO_EV_CLIENT_GONE	2	/* close the client's uffd */
#define VMO_EV_MAP		3	/* a client mapped an object */
#define VMO_EV_OBJ_GONE		4	/* an object was freed */

/* Flags of struct vmo_event and struct vmo_lookup. */
#define VMO_MAP_SHARED		_BITUL(0)	/* MAP_SHARED (else private) */
#define VMO_MAP_WRITE		_BITUL(1)	/* mapped writable */

/**
 * struct vmo_event - one pager event (VMO_IOC_PAGER_EVENT)
 * @type: VMO_EV_*.
 * @uffd: CLIENT_NEW: the client's userfaultfd, installed in the pager
 *	with O_CLOEXEC; the pager owns and closes it.
 * @client_id: CLIENT_NEW, CLIENT_GONE, MAP.
 * @obj_id: MAP, OBJ_GONE.
 * @kind: MAP: VMO_KIND_* of the object.
 * @pid: CLIENT_NEW: the client's process id (tgid); MAP: 0.
 * @addr: MAP: start address in the client.
 * @len: MAP: length in bytes.
 * @pgoff: MAP: object page index mapped at @addr.
 * @obj_size: MAP: object size in bytes.
 * @flags: MAP: VMO_MAP_* flags.
 * @pad: 0.
 * @reserved: 0.
 *
 * The ioctl fails with EAGAIN when no event is queued; poll() on the
 * pager session reports POLLIN when one is.
 */
struct vmo_event {
	__u32 type;
	__u32 uffd;
	__u64 client_id;
	__u64 obj_id;
	__u32 kind;
	__u32 pid;
	__u64 addr;
	__u64 len;
	__u64 pgoff;
	__u64 obj_size;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct vmo_lookup - which object is mapped at an address of a client
 * @client_id: in.
 * @addr: in: an address in the client.
 * @obj_id: out.
 * @kind: out: VMO_KIND_*.
 * @flags: out: VMO_MAP_* flags.
 * @start: out: start of the mapping (VMA) holding @addr.
 * @end: out: its end (exclusive).
 * @pgoff: out: object page index mapped at @start.
 * @obj_size: out: object size in bytes.
 * @reserved: in: must be 0.
 *
 * VMO_IOC_PAGER_LOOKUP is the authority the pager falls back on: ESRCH
 * when the client or its address space is gone, ENOENT when no object
 * is mapped at @addr.
 */
struct vmo_lookup {
	__u64 client_id;
	__u64 addr;
	__u64 obj_id;
	__u32 kind;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u64 obj_size;
	__u64 reserved[2];
};

/* Pager counters, indices into struct vmo_pager_stats.counters. */
enum vmo_pstat {
	VMO_PSTAT_FAULTS_MISSING,	/* MISSING faults read */
	VMO_PSTAT_FAULTS_MINOR,		/* MINOR faults read */
	VMO_PSTAT_PAGES_ZEROED,		/* pages filled by UFFDIO_ZEROPAGE */
	VMO_PSTAT_PAGES_CONTINUED,	/* pages mapped by UFFDIO_CONTINUE */
	VMO_PSTAT_RACES,		/* resolves that found the page done */
	VMO_PSTAT_WAKES,		/* UFFDIO_WAKE sent */
	VMO_PSTAT_ERRORS,		/* failed resolves and lost faults */
	VMO_PSTAT_EV_UNMAP,		/* UFFD_EVENT_UNMAP */
	VMO_PSTAT_EV_REMAP,		/* UFFD_EVENT_REMAP */
	VMO_PSTAT_EV_REMOVE,		/* UFFD_EVENT_REMOVE */
	VMO_PSTAT_EV_FORK,		/* UFFD_EVENT_FORK (refused) */
	VMO_PSTAT_CLIENTS,		/* clients being served now */
	VMO_PSTAT_CLIENTS_TOTAL,	/* clients served since start */
	VMO_PSTAT_LOOKUPS,		/* VMO_IOC_PAGER_LOOKUP calls */
	VMO_PSTAT_NR,
};

#define VMO_PSTAT_SLOTS		64

/**
 * struct vmo_pager_stats - counters the pager publishes (VMO_IOC_PAGER_STATS)
 * @counters: indexed by enum vmo_pstat; slots from VMO_PSTAT_NR on are
 *	reserved and must be 0.
 *
 * The module shows the latest report in /proc/vmo/stats.
 */
struct vmo_pager_stats {
	__u64 counters[VMO_PSTAT_SLOTS];
};

#define VMO_IOC_HANDSHAKE	_IOWR(VMO_IOC_MAGIC, 0x00, struct vmo_handshake)
#define VMO_IOC_CREATE		_IOWR(VMO_IOC_MAGIC, 0x01, struct vmo_create)
#define VMO_IOC_CLIENT_ATTACH	_IOWR(VMO_IOC_MAGIC, 0x02, struct vmo_client_attach)
#define VMO_IOC_MAP_NOTIFY	_IOW(VMO_IOC_MAGIC, 0x03, struct vmo_map_notify)
#define VMO_IOC_PAGER_ATTACH	_IOW(VMO_IOC_MAGIC, 0x10, struct vmo_pager_attach)
#define VMO_IOC_PAGER_EVENT	_IOR(VMO_IOC_MAGIC, 0x11, struct vmo_event)
#define VMO_IOC_PAGER_LOOKUP	_IOWR(VMO_IOC_MAGIC, 0x12, struct vmo_lookup)
#define VMO_IOC_PAGER_STATS	_IOW(VMO_IOC_MAGIC, 0x13, struct vmo_pager_stats)

/* On an object fd. */
#define VMO_OBJ_INFO		_IOR(VMO_IOC_MAGIC, 0x40, struct vmo_info)

#endif /* _UAPI_LINUX_VMO_H */
