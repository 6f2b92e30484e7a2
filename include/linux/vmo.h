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
#define VMO_FEATURE_FILE	_BITULL(4)	/* file-backed objects */
#define VMO_FEATURE_SHADOW	_BITULL(5)	/* copy-on-write shadow objects */
#define VMO_FEATURE_SYNC	_BITULL(6)	/* VMO_OBJ_SYNC write-back */
#define VMO_FEATURE_SCAVENGE	_BITULL(7)	/* shrinker, eventfd, evict */
#define VMO_FEATURE_RECORDS	_BITULL(8)	/* page records, kept backing */
#define VMO_FEATURE_MAPPINGS	_BITULL(9)	/* VMO_IOC_MAPPINGS, notify any */

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

/* Object kinds. */
#define VMO_KIND_ANON		1	/* demand-zero */
#define VMO_KIND_FILE		2	/* backed by a file */
#define VMO_KIND_SHADOW		3	/* copy-on-write over a parent object */

/* Flags of struct vmo_create. */
#define VMO_CREATE_CLOEXEC	_BITUL(0)	/* object fd gets O_CLOEXEC */
#define VMO_CREATE_SHARED	_BITUL(1)	/* FILE: writes reach the file */
#define VMO_CREATE_RESERVE	_BITUL(2)	/* commit memory and backing now */
#define VMO_CREATE_FLAGS	(VMO_CREATE_CLOEXEC | VMO_CREATE_SHARED | \
				 VMO_CREATE_RESERVE)

/* Longest shadow chain: a shadow at this depth cannot be shadowed. */
#define VMO_MAX_DEPTH		64

/* "No fd" in an fd field the module fills. */
#define VMO_NO_FD		0xffffffffU

/* Largest object: 1 TiB, far below what pgoff arithmetic could overflow. */
#define VMO_MAX_SIZE		_BITULL(40)

/**
 * struct vmo_create - create an object (VMO_IOC_CREATE)
 * @kind: VMO_KIND_*.
 * @flags: VMO_CREATE_* flags; VMO_CREATE_SHARED only for FILE.
 * @size: in bytes: a non-zero multiple of the page size, at most
 *	VMO_MAX_SIZE.
 * @offset: page-aligned byte offset into the source: the file (FILE) or
 *	the parent object (SHADOW); must be 0 for ANON.
 * @src_fd: FILE: an fd of a regular file, open for reading (and for
 *	writing with VMO_CREATE_SHARED); SHADOW: the parent's object fd;
 *	must be 0 for ANON.  The module keeps its own reference.
 *
 * FILE: @offset must lie before the file's end (ENXIO); pages wholly
 * past the end of the file at creation raise SIGBUS, as with mmap.  The
 * object does not follow later changes of the file's size.
 * SHADOW: @offset + @size must lie within the parent (EINVAL); a chain
 * may be VMO_MAX_DEPTH deep (ELOOP beyond).
 * VMO_CREATE_RESERVE: the object's size is committed at creation, in
 * memory (the kernel's overcommit accounting, as for a private writable
 * mapping) and in the pager's backing store (when a pager with one is
 * attached), or creation fails with ENOMEM; after that the object's
 * pages can always be paged out.  One user's reserved objects may hold
 * at most the module's max_reserve_percent_per_user of the backing
 * store (of RAM without one): EDQUOT beyond, unless CAP_SYS_RESOURCE.
 * VMO_CREATE_SHARED: EDQUOT while the user has max_zombies_per_user
 * released shared file objects still waiting for their final
 * write-back (unless CAP_SYS_RESOURCE).
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
 * @depth: 0, or 1 + the parent's depth for a shadow.
 * @pad: 0.
 * @clean_pages: resident pages that can be re-created (from the file
 *	or the parent) because nobody wrote them since they were filled;
 *	the others are the object's own.
 * @file_size: FILE: the file's size at creation.
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
	__u32 depth;
	__u32 pad;
	__u64 clean_pages;
	__u64 file_size;
	__u64 reserved[1];
};

/**
 * struct vmo_sync - write a shared file object back (VMO_OBJ_SYNC)
 * @flags: must be 0.
 * @pad: must be 0.
 * @pages: out: pages the pager wrote to the file.
 * @reserved: must be 0.
 *
 * Like msync(MS_SYNC) over the whole object: returns once every page
 * written before the call is in the file (and fdatasync'ed).  Other
 * objects have nothing to write back: 0 at once.  ENOTCONN if no pager
 * is attached (or it detached meanwhile); EINTR on a signal.
 */
struct vmo_sync {
	__u32 flags;
	__u32 pad;
	__u64 pages;
	__u64 reserved[2];
};

/**
 * struct vmo_client_attach - make this session a client (VMO_IOC_CLIENT_ATTACH)
 * @uffd: a userfaultfd created by the calling process, UFFDIO_API done
 *	with UFFD_FEATURE_MISSING_SHMEM, UFFD_FEATURE_EVENT_UNMAP,
 *	UFFD_FEATURE_EVENT_REMAP and UFFD_FEATURE_EVENT_REMOVE (EINVAL
 *	without the events: the pager could not tell that a mapping it
 *	serves went away), and UFFD_FEATURE_MINOR_SHMEM if the client
 *	registers MINOR mode (the pager then maps store pages with
 *	UFFDIO_CONTINUE; the library registers MISSING only).  The
 *	module keeps a reference and hands it to the pager; the caller may
 *	keep or close its own.
 * @flags: must be 0.
 * @client_id: out: the client's id.
 * @reserved: must be 0.
 *
 * A session attaches at most once (EBUSY after).  EDQUOT when the user
 * has max_clients_per_user clients already (unless CAP_SYS_RESOURCE),
 * ENFILE when all users have max_clients (module parameters).  The client lives until
 * its session is closed and none of its ranges remain registered, or
 * until its address space exits.
 */
struct vmo_client_attach {
	__u32 uffd;
	__u32 flags;
	__u64 client_id;
	__u64 reserved[2];
};

/* Flags of struct vmo_map_notify. */
#define VMO_NOTIFY_ANY_OBJECT	_BITUL(0)	/* whatever object is mapped */

/**
 * struct vmo_map_notify - tell the pager about a new mapping
 * @obj_fd: the mapped object's fd; 0 with VMO_NOTIFY_ANY_OBJECT.
 * @flags: VMO_NOTIFY_ANY_OBJECT or 0.
 * @addr: start of the mapping in the caller's address space.
 * @len: length in bytes.
 * @reserved: must be 0.
 *
 * VMO_IOC_MAP_NOTIFY, on a client session, after mmap() of @obj_fd and
 * UFFDIO_REGISTER of the range.  The module checks that [addr, addr+len)
 * lies in one mapping of the object (of any object, with
 * VMO_NOTIFY_ANY_OBJECT: a forked child re-registering what it inherited
 * has no fd for it) registered with the client's uffd (EINVAL otherwise)
 * and queues a VMO_EV_MAP for the pager.  The notice is a hint: the
 * pager can always ask VMO_IOC_PAGER_LOOKUP.
 */
struct vmo_map_notify {
	__u32 obj_fd;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u64 reserved[2];
};

/* Most entries one VMO_IOC_MAPPINGS returns. */
#define VMO_MAPPINGS_MAX	256

/**
 * struct vmo_mapping - one object mapping of the caller (VMO_IOC_MAPPINGS)
 * @start: its first byte.
 * @end: its end (exclusive).
 * @obj_id: the object mapped.
 * @pgoff: object page index mapped at @start.
 * @flags: VMO_MAP_SHARED, VMO_MAP_WRITE.
 * @pad: 0.
 */
struct vmo_mapping {
	__u64 start;
	__u64 end;
	__u64 obj_id;
	__u64 pgoff;
	__u32 flags;
	__u32 pad;
};

/**
 * struct vmo_mappings - list the caller's object mappings (VMO_IOC_MAPPINGS)
 * @cursor: in: the address to list from (0 for the first call); out:
 *	where the next call goes on (0 once all were listed).
 * @buf: user pointer to @count struct vmo_mapping.
 * @count: in: room in @buf, 1..VMO_MAPPINGS_MAX; out: entries filled.
 * @flags: must be 0.
 * @reserved: must be 0.
 *
 * On any session after the handshake.  The entries are the mappings
 * (VMAs) of the calling process that map an object, whatever made them:
 * the address space as it is, after any munmap(), mremap() or MAP_FIXED.
 * A forked child, whose inherited mappings are registered nowhere, lists
 * them to register them with a uffd of its own.
 */
struct vmo_mappings {
	__u64 cursor;
	__u64 buf;
	__u32 count;
	__u32 flags;
	__u64 reserved[2];
};

/* Flags of struct vmo_pager_attach. */
#define VMO_PAGER_EVENTFD	_BITUL(0)	/* @eventfd is valid */
#define VMO_PAGER_BACKING	_BITUL(1)	/* @backing_fd, @backing_pages */

/**
 * struct vmo_pager_attach - make this session the pager
 * @flags: VMO_PAGER_EVENTFD, VMO_PAGER_BACKING, or 0.
 * @eventfd: with VMO_PAGER_EVENTFD: an eventfd on which the module asks
 *	for pages (a scavenge request): it adds the number of pages it
 *	wants the pager to give back; requests add up until read.  Must be
 *	0 without the flag.
 * @backing_pages: with VMO_PAGER_BACKING: the pages the pager's backing
 *	store holds (at least 1); reserved objects (VMO_CREATE_RESERVE)
 *	may not commit more.  Must be 0 without the flag.
 * @backing_fd: with VMO_PAGER_BACKING: the backing store, a regular
 *	file or a block device open for reading and writing.  The module
 *	keeps a reference, so that the pages recorded in it (see
 *	VMO_IOC_PAGER_RECORD) outlive the pager.  Must be 0 without the
 *	flag.
 * @kept_fd: out: VMO_NO_FD, or a new fd (O_CLOEXEC) on the backing store
 *	of an earlier pager, which still holds recorded pages: the pager
 *	must use it (and its size, @kept_pages) instead of its own, and
 *	take the records over with VMO_RECORD_LIST.
 * @kept_pages: out: with @kept_fd: the kept store's size in pages.
 * @reserved: must be 0.
 *
 * VMO_IOC_PAGER_ATTACH needs CAP_SYS_ADMIN (EPERM); a second pager gets
 * EBUSY.  On attach the pager is sent VMO_EV_CLIENT_NEW for every live
 * client.  Closing the session detaches the pager; clients then wait
 * for the next one.
 */
struct vmo_pager_attach {
	__u32 flags;
	__u32 eventfd;
	__u64 backing_pages;
	__u32 backing_fd;
	__u32 kept_fd;
	__u64 kept_pages;
	__u64 reserved[2];
};

/* Event types read with VMO_IOC_PAGER_EVENT. */
#define VMO_EV_CLIENT_NEW	1	/* @uffd is a new fd in the pager */
#define VMO_EV_CLIENT_GONE	2	/* close the client's uffd */
#define VMO_EV_MAP		3	/* a client mapped an object */
#define VMO_EV_OBJ_GONE		4	/* an object was freed */
#define VMO_EV_SYNC		5	/* write object back, then PAGER_DONE */
#define VMO_EV_RECORDS_FREED	6	/* punched records: VMO_RECORD_FREED */

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
 * @flags: MAP: VMO_MAP_* flags; OBJ_GONE: VMO_EV_ACK if @seq awaits a
 *	VMO_IOC_PAGER_DONE.
 * @pad: 0.
 * @seq: SYNC, and OBJ_GONE with VMO_EV_ACK: the request to complete with
 *	VMO_IOC_PAGER_DONE.
 * @reserved: 0.
 *
 * OBJ_GONE with VMO_EV_ACK is sent for a shared file object: its store
 * is kept (the pager's store fd from VMO_IOC_PAGER_OBJECT still works,
 * and VMO_IOC_PAGER_OBJECT still answers for @obj_id) until the pager
 * has written it back and sent VMO_IOC_PAGER_DONE.  A pager that attaches
 * is sent one for every such object still waiting.
 *
 * RECORDS_FREED says that a client punched pages out of an object
 * (MADV_REMOVE, fallocate) whose records named backing store slots:
 * fetch them with VMO_RECORD_FREED and free the slots.  At most one is
 * queued at a time.
 *
 * The ioctl fails with EAGAIN when no event is queued; poll() on the
 * pager session reports POLLIN when one is.  A CLIENT_NEW for which
 * the pager has no free fd stays queued without holding up the events
 * behind it; the ioctl fails with EMFILE (or ENFILE) only when nothing
 * else is left.
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
	__u64 seq;
	__u64 reserved[1];
};

/* Flags of struct vmo_event. */
#define VMO_EV_ACK		_BITUL(2)

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
 * when the client or its address space is gone, ENOENT when nothing is
 * mapped at @addr, ENXIO when something is that is not an object.
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

/*
 * Pager counters, indices into struct vmo_pager_stats.counters (new ones
 * go at the end).  Their names, for /proc/vmo/stats and the pager's own
 * report: include/vmo_pstat_names.h.
 */
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
	VMO_PSTAT_PAGES_FILE,		/* pages filled from a file */
	VMO_PSTAT_PAGES_PARENT,		/* pages copied from a parent */
	VMO_PSTAT_PAGES_SHADOW_ZERO,	/* shadow pages zero-filled (no source) */
	VMO_PSTAT_BYTES_READ,		/* bytes read from files */
	VMO_PSTAT_BYTES_WRITTEN,	/* bytes written back to files */
	VMO_PSTAT_PAGES_WRITTEN,	/* pages written back to files */
	VMO_PSTAT_SYNCS,		/* SYNC requests and final write-backs */
	VMO_PSTAT_OBJECTS,		/* objects the pager holds open now */
	VMO_PSTAT_PAGES_OUT,		/* pages written to the backing store */
	VMO_PSTAT_PAGES_IN,		/* pages filled from the backing store */
	VMO_PSTAT_PAGES_EVICTED,	/* pages dropped by VMO_IOC_PAGER_EVICT */
	VMO_PSTAT_BACKING_BYTES_WRITTEN, /* bytes written to the backing store */
	VMO_PSTAT_BACKING_BYTES_READ,	/* bytes read from the backing store */
	VMO_PSTAT_BACKING_SLOTS_USED,	/* backing store pages in use now */
	VMO_PSTAT_BACKING_SLOTS_FREE,	/* backing store pages free now */
	VMO_PSTAT_BACKING_FULL,		/* page-outs refused: no free slot */
	VMO_PSTAT_SCAVENGE_REQUESTS,	/* scavenge requests read (eventfd) */
	VMO_PSTAT_SCAVENGE_WANTED,	/* pages those requests asked for */
	VMO_PSTAT_SCAVENGE_RETURNED,	/* pages given back for them */
	VMO_PSTAT_SCAVENGE_LAST_US,	/* request to pages returned, last one */
	VMO_PSTAT_BACKGROUND_PAGES,	/* pages given back to keep headroom */
	VMO_PSTAT_META_BYTES,		/* pager metadata for page tracking */
	VMO_PSTAT_FAULTS_WP,		/* write-protect faults lifted */
	VMO_PSTAT_FAULTS_SIGBUS,	/* faults ended with SIGBUS */
	VMO_PSTAT_FAULTS_DEFERRED,	/* woken after a pause: fill may pass */
	VMO_PSTAT_FILE_TIMEOUTS,	/* reads of a client's file too slow */
	VMO_PSTAT_NR,
};

#define VMO_PSTAT_SLOTS		64

/**
 * struct vmo_pager_object - open an object for the pager (VMO_IOC_PAGER_OBJECT)
 * @obj_id: in.
 * @flags: in: must be 0.
 * @kind: out: VMO_KIND_*.
 * @store_fd: out: a new fd (O_RDWR | O_CLOEXEC) on the object's store.
 *	It keeps the store's pages reachable, not the object alive: read,
 *	write, fallocate and mmap work as on any shmem file.
 * @src_fd: out: FILE: a new fd (O_CLOEXEC) for the backing file, opened
 *	as the creator opened it; else VMO_NO_FD.
 * @size: out: object size in bytes.
 * @offset: out: byte offset into the file or parent.
 * @parent_id: out: SHADOW: the parent's id; else 0.
 * @file_size: out: FILE: the file's size at creation.
 * @obj_flags: out: creation flags (VMO_CREATE_SHARED).
 * @depth: out: chain depth (0 for ANON and FILE).
 * @file_magic: in: must be 0; out: FILE: the magic number of the file
 *	system the backing file is on (as statfs(2)'s f_type; TMPFS_MAGIC:
 *	writing to it takes memory), known without asking the file system
 *	(a FUSE one may never answer); else 0.
 * @reserved: in: must be 0.
 *
 * ENOENT if no object has @obj_id (it was freed).
 */
struct vmo_pager_object {
	__u64 obj_id;
	__u32 flags;
	__u32 kind;
	__u32 store_fd;
	__u32 src_fd;
	__u64 size;
	__u64 offset;
	__u64 parent_id;
	__u64 file_size;
	__u32 obj_flags;
	__u32 depth;
	__u64 file_magic;
	__u64 reserved[1];
};

/* Most pages one VMO_IOC_PAGER_CLEAN may cover. */
#define VMO_CLEAN_MAX		65536

/* Flags of struct vmo_pager_clean. */
#define VMO_CLEAN_KEEP_DIRTY	_BITUL(0)	/* report, leave dirty */
#define VMO_CLEAN_IF_UNCHANGED	_BITUL(1)	/* clean if not written since */

/**
 * struct vmo_pager_clean - mark store pages clean (VMO_IOC_PAGER_CLEAN)
 * @store_fd: a store fd from VMO_IOC_PAGER_OBJECT.
 * @flags: 0, VMO_CLEAN_KEEP_DIRTY or VMO_CLEAN_IF_UNCHANGED.
 * @first: first page index.
 * @npages: pages, 1..VMO_CLEAN_MAX.
 * @bitmap: user pointer, or 0: bit i (of __u64 words, LSB first) is set
 *	when page @first + i is reported (what that means: below).
 * @dirty: out: how many pages were reported.
 * @reserved: must be 0.
 *
 * Every resident page in the range is write-protected in every mapping,
 * so that the next write through any mapping marks it dirty again (an
 * ordinary write fault, no pager round trip).  Then:
 *  - flags 0: the end of a fill: the pager has just written the page
 *    into the store (unmapped until then), so it equals its source
 *    (file, parent, backing store) and is marked clean, unless a mapping
 *    wrote it meanwhile: then it stays dirty and is reported;
 *  - VMO_CLEAN_KEEP_DIRTY: the page stays dirty (so nothing may drop it)
 *    and is reported if it was dirty, or is out in swap: the start of a
 *    write-back;
 *  - VMO_CLEAN_IF_UNCHANGED: the page is marked clean only if no mapping
 *    wrote it since the last CLEAN: the end of a write-back, over the
 *    pages written; reports the pages cleaned.
 */
struct vmo_pager_clean {
	__u32 store_fd;
	__u32 flags;
	__u64 first;
	__u64 npages;
	__u64 bitmap;
	__u64 dirty;
	__u64 reserved[2];
};

/**
 * struct vmo_pager_evict - drop clean store pages (VMO_IOC_PAGER_EVICT)
 * @store_fd: a store fd from VMO_IOC_PAGER_OBJECT.
 * @flags: must be 0.
 * @first: first page index.
 * @npages: pages, 1..VMO_CLEAN_MAX.
 * @bitmap: user pointer, or 0: bit i (of __u64 words, LSB first) is set
 *	when page @first + i was dropped.
 * @dropped: out: how many pages were dropped.
 * @reserved: must be 0.
 *
 * Drops each page of the range that is clean (not written since
 * VMO_IOC_PAGER_CLEAN), unmapping it from every mapping first.
 * A page written meanwhile is dirty and stays: nothing written is ever
 * dropped.  The next access to a dropped page is a MISSING fault.
 */
struct vmo_pager_evict {
	__u32 store_fd;
	__u32 flags;
	__u64 first;
	__u64 npages;
	__u64 bitmap;
	__u64 dropped;
	__u64 reserved[2];
};

/**
 * struct vmo_scavenge - ask for pages back (VMO_IOC_SCAVENGE)
 * @pages: in: pages wanted.
 * @flags: must be 0.
 * @pad: must be 0.
 * @dropped: out: clean pages the module dropped at once.
 * @asked: out: pages asked of the pager (on its eventfd) for the rest.
 * @reserved: must be 0.
 *
 * Needs CAP_SYS_ADMIN.  The same as writing @pages to
 * /proc/vmo/scavenge, and what the module's shrinker does under memory
 * pressure: drop clean pages itself, then ask the pager for the rest.
 */
struct vmo_scavenge {
	__u64 pages;
	__u32 flags;
	__u32 pad;
	__u64 dropped;
	__u64 asked;
	__u64 reserved[2];
};

/* Page records: where a page's content is while it is not resident. */
#define VMO_REC_NONE		0ULL	/* nothing: zero, the file or the parent */
#define VMO_REC_ZERO		1ULL	/* all zero (not the file's or parent's) */
#define VMO_REC_SLOT(slot)	((__u64)(slot) + 2)	/* backing store page */
/* 2 .. VMO_REC_KEEP - 1, with one use of @rec. */
#define VMO_REC_IS_SLOT(rec)	((__u64)(rec) - 2 < VMO_REC_KEEP - 2)
#define VMO_REC_SLOT_OF(rec)	((rec) - 2)
#define VMO_REC_KEEP		(~0ULL)	/* SET: leave this page's record */

/* Operations of VMO_IOC_PAGER_RECORD. */
#define VMO_RECORD_GET		1	/* read the records of a range */
#define VMO_RECORD_SET		2	/* set them */
#define VMO_RECORD_LIST		3	/* every slot record, from a cursor */
#define VMO_RECORD_FREED	4	/* take the slots punched out */
#define VMO_RECORD_FILLED	5	/* a page-in (GET with FILL) is done */

/* Flags of struct vmo_pager_record. */
#define VMO_RECORD_FILL		_BITUL(0)	/* GET: for a page-in */

/* Most pages (GET, SET) or entries (LIST, FREED) per request. */
#define VMO_RECORD_MAX		4096

/**
 * struct vmo_page_record - one record (VMO_RECORD_LIST, VMO_RECORD_FREED)
 * @obj_id: the object.
 * @index: the page's index in the object.
 * @rec: VMO_REC_SLOT(slot) (LIST: also VMO_REC_ZERO).
 */
struct vmo_page_record {
	__u64 obj_id;
	__u64 index;
	__u64 rec;
};

/**
 * struct vmo_pager_record - the module's copy of the page records
 * @op: VMO_RECORD_*.
 * @flags: GET: VMO_RECORD_FILL or 0; others: 0.
 * @obj_id: GET, SET: the object; LIST: in/out cursor, the object to
 *	start at (0 for the first), set to where the next call goes on;
 *	FREED: must be 0.
 * @first: GET, SET: first page index; LIST: in/out cursor, the page to
 *	start at in @obj_id; FREED: must be 0.
 * @npages: GET, SET: pages, 1..VMO_RECORD_MAX; LIST, FREED: room in
 *	@recs in entries, 1..VMO_RECORD_MAX.
 * @recs: user pointer: GET, SET: @npages __u64 records, one per page;
 *	LIST, FREED: @npages struct vmo_page_record.
 * @count: out: GET: pages with a record; SET: records changed; LIST,
 *	FREED: entries filled (0: no more).
 * @refused: out: SET: pages whose record was left as it was.
 * @reserved: must be 0.
 *
 * The pager tells the module where it put each page it wrote out, so
 * that a page the module drops (clean, VMO_IOC_PAGER_EVICT or the
 * shrinker) can be found again by any pager, also after this one was
 * killed: the module keeps the records and the backing store (see
 * struct vmo_pager_attach).  The records are the authority: the pager
 * reads them (GET) before it pages a page in.
 *
 * SET: @recs[i] is the new record of page @first + i, or VMO_REC_KEEP.
 * VMO_REC_NONE is always taken.  A slot or zero record is taken only
 * for a page present in the store (a page punched out meanwhile has
 * nothing to record), whose old record was not punched and not yet
 * fetched with FREED, and, for an object not created with
 * VMO_CREATE_RESERVE, only while the slots of such objects leave room
 * for every reserved page; else it is refused.  On return @recs[i] is
 * the record in effect.  A slot at or past the backing store's end is
 * EINVAL (nothing is changed).
 *
 * FREED: records that named a slot and whose page a client punched out
 * of the store; each is returned once, then forgotten (only once copied
 * out: a request that fails with EFAULT leaves them for the next).  The
 * pager frees the slots (if its own record of the page still names
 * them).
 *
 * Page-in (GET with VMO_RECORD_FILL, then FILLED): a client may punch
 * pages out of a store (MADV_REMOVE) at any moment, and a page-in that
 * read a record before the punch must not bring the old content back
 * after it.  GET with VMO_RECORD_FILL starts a page-in of the object:
 * until the pager sends FILLED for it (@obj_id; @first, @npages, @recs
 * 0), a punch of that object's store waits; and while a punch is under
 * way, GET with VMO_RECORD_FILL fails with EAGAIN (the pager wakes the
 * thread, whose next fault finds the records as the punch left them).
 * FILLED without a page-in under way is EINVAL.  A pager that detaches
 * ends its page-ins.
 *
 * ENOENT if @obj_id names no object; ENXIO for a range past its end;
 * ENODEV when no backing store is known (SET of a slot).
 */
struct vmo_pager_record {
	__u32 op;
	__u32 flags;
	__u64 obj_id;
	__u64 first;
	__u64 npages;
	__u64 recs;
	__u64 count;
	__u64 refused;
	__u64 reserved[2];
};

/**
 * struct vmo_pager_done - complete a request (VMO_IOC_PAGER_DONE)
 * @seq: the event's @seq.
 * @error: 0, or a positive errno the requester gets.
 * @pad: must be 0.
 * @pages: pages written back.
 * @reserved: must be 0.
 *
 * ENOENT if nothing waits for @seq (the requester gave up).
 */
struct vmo_pager_done {
	__u64 seq;
	__u32 error;
	__u32 pad;
	__u64 pages;
	__u64 reserved[2];
};

/**
 * struct vmo_pager_sigbus - end a fault that can never be served
 * @client_id: the client.
 * @addr: the faulting address (si_addr).
 * @tid: the faulting thread, as its uffd message names it
 *	(UFFD_FEATURE_THREAD_ID: numbered in the client's pid namespace).
 * @flags: must be 0.
 * @reserved: must be 0.
 *
 * VMO_IOC_PAGER_SIGBUS sends the thread SIGBUS (BUS_ADRERR at @addr), as
 * the kernel does when a file page cannot be read; the pager then wakes
 * it.  ESRCH if the client, or a thread @tid of its address space, is
 * gone.
 */
struct vmo_pager_sigbus {
	__u64 client_id;
	__u64 addr;
	__u32 tid;
	__u32 flags;
	__u64 reserved[2];
};

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
#define VMO_IOC_MAPPINGS	_IOWR(VMO_IOC_MAGIC, 0x04, struct vmo_mappings)
#define VMO_IOC_PAGER_ATTACH	_IOWR(VMO_IOC_MAGIC, 0x10, struct vmo_pager_attach)
#define VMO_IOC_PAGER_EVENT	_IOR(VMO_IOC_MAGIC, 0x11, struct vmo_event)
#define VMO_IOC_PAGER_LOOKUP	_IOWR(VMO_IOC_MAGIC, 0x12, struct vmo_lookup)
#define VMO_IOC_PAGER_STATS	_IOW(VMO_IOC_MAGIC, 0x13, struct vmo_pager_stats)
#define VMO_IOC_PAGER_OBJECT	_IOWR(VMO_IOC_MAGIC, 0x14, struct vmo_pager_object)
#define VMO_IOC_PAGER_CLEAN	_IOWR(VMO_IOC_MAGIC, 0x15, struct vmo_pager_clean)
#define VMO_IOC_PAGER_DONE	_IOW(VMO_IOC_MAGIC, 0x16, struct vmo_pager_done)
#define VMO_IOC_PAGER_EVICT	_IOWR(VMO_IOC_MAGIC, 0x17, struct vmo_pager_evict)
#define VMO_IOC_PAGER_RECORD	_IOWR(VMO_IOC_MAGIC, 0x18, struct vmo_pager_record)
#define VMO_IOC_PAGER_SIGBUS	_IOW(VMO_IOC_MAGIC, 0x19, struct vmo_pager_sigbus)
#define VMO_IOC_SCAVENGE	_IOWR(VMO_IOC_MAGIC, 0x20, struct vmo_scavenge)

/* On an object fd. */
#define VMO_OBJ_INFO		_IOR(VMO_IOC_MAGIC, 0x40, struct vmo_info)
#define VMO_OBJ_SYNC		_IOWR(VMO_IOC_MAGIC, 0x41, struct vmo_sync)

#endif /* _UAPI_LINUX_VMO_H */
