/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager object cache: what the pager knows of each object whose
 * pages it had to read or write (kind, geometry, an fd on its store and
 * one on its backing file), and the I/O on their contents: file reads
 * for fills, shadow chain walks, write-back of shared file objects.
 *
 * Like the engine it knows nothing of /dev/vmo: the daemon plugs in
 * VMO_IOC_PAGER_OBJECT and VMO_IOC_PAGER_CLEAN as callbacks, the host
 * tests plug in stubs over memfds and temporary files.
 *
 * Memory is bounded: one fixed struct per open object, and per page at
 * most one 32-bit slot map entry (slotmap.h) for pages the pager filled
 * or paged out.
 */
#ifndef VMO_PAGER_OBJECTS_H
#define VMO_PAGER_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vmo.h>

#include "backing.h"
#include "slotmap.h"
#include "uring.h"

/* One object the pager holds open. */
struct pobj {
	struct pobj *next;	/* hash chain */
	uint64_t id;
	uint64_t size;		/* bytes */
	uint64_t offset;	/* bytes into the file (FILE) or parent (SHADOW) */
	uint64_t parent_id;	/* SHADOW */
	uint64_t file_size;	/* FILE: end of file at creation */
	int store_fd;		/* the object's store (shmem), O_RDWR */
	void *fill_map;		/* the pager's fill mapping of it, or NULL */
	uint64_t fill_len;	/* its length: the store's size when mapped */
	int src_fd;		/* FILE: the backing file; else -1 */
	uint32_t kind;		/* VMO_KIND_* */
	uint32_t flags;		/* VMO_CREATE_* */
	uint32_t depth;
	bool file_in_memory;	/* FILE: on tmpfs/ramfs (objcache_add()) */
	bool io_stalled;	/* FILE: a read of it is past its deadline */
	bool file_trusted;	/* FILE: on a local file system (not FUSE) */
	struct slotmap map;	/* per page: resident, paged out */
	struct pobj *lru_prev;	/* the victim clock's ring of objects */
	struct pobj *lru_next;
};

/*
 * Open object @id: fill @out as VMO_IOC_PAGER_OBJECT does, with new fds
 * the cache then owns.  Returns 0, -ENOENT (no such object) or -errno.
 */
typedef int (*objcache_open_fn)(void *arg, uint64_t id,
				struct vmo_pager_object *out);

/*
 * VMO_IOC_PAGER_CLEAN on pages [first, first + npages) of @o's store
 * with @flags (0, VMO_CLEAN_KEEP_DIRTY or VMO_CLEAN_IF_UNCHANGED): set
 * bit i of @bitmap (if not NULL) for each page first + i reported, and
 * their number in *@dirty.  @npages <= VMO_CLEAN_MAX.  Returns 0 or
 * -errno.
 */
typedef int (*objcache_clean_fn)(void *arg, const struct pobj *o,
				 uint64_t first, uint64_t npages,
				 uint32_t flags, uint64_t *bitmap,
				 uint64_t *dirty);

/*
 * VMO_IOC_PAGER_EVICT on pages [first, first + npages) of @o's store:
 * drop the clean ones, set bit i of @bitmap (if not NULL) for each page
 * first + i dropped and their number in *@dropped.  @npages <=
 * VMO_CLEAN_MAX.  Returns 0 or -errno.
 */
typedef int (*objcache_evict_fn)(void *arg, const struct pobj *o,
				 uint64_t first, uint64_t npages,
				 uint64_t *bitmap, uint64_t *dropped);

/* Where the page of a shadow fill came from. */
enum fill_source {
	FILL_PARENT,		/* an ancestor's store or the chain's file */
	FILL_ZERO,		/* nothing below has it: zeroes */
};

/*
 * VMO_IOC_PAGER_RECORD with @req (the module's copy of the page
 * records, see include/linux/vmo.h).  Returns 0 or -errno (logged).
 */
typedef int (*objcache_record_fn)(void *arg, struct vmo_pager_record *req);

/* Entries of oc->freed: records taken per VMO_RECORD_FREED or LIST. */
#define OBJCACHE_FREED_BATCH	256

/* How long a read of a client's file may take before the pager moves on. */
#define OBJCACHE_FILE_TIMEOUT_MS	500

struct objcache {
	struct pobj **hash;	/* nbuckets chains, by id */
	size_t nbuckets;	/* a power of two */
	size_t nr;		/* objects open */
	objcache_open_fn open;	/* NULL: only anonymous objects served */
	objcache_clean_fn clean;
	objcache_evict_fn evict;	/* NULL: nothing is paged out */
	objcache_record_fn record;	/* NULL: no module records (host) */
	void *arg;		/* for the callbacks */
	struct backing *bk;	/* NULL: no paging out of dirty pages */
	uint64_t *ctr;		/* counters, indexed by enum vmo_pstat */
	uint64_t page_size;
	unsigned int page_shift;
	struct uring io;	/* stores, the backing store, write-back */
	struct uring fio;	/* reads of clients' files: bounded */
	int fill_uffd;		/* the pager's own uffd, for fills (-1: none) */
	char *buf;		/* bounce buffer of buf_pages pages */
	unsigned int buf_pages;
	uint64_t *bitmap;	/* VMO_CLEAN_MAX bits, for write-back */
	struct uring_op *ops;	/* buf_pages requests, for write-back */
	/* Paging (paging.c): bitmaps of buf_pages bits each. */
	uint64_t *dirty;	/* CLEAN(KEEP_DIRTY) said dirty */
	uint64_t *done;		/* written out: end the write-back */
	uint64_t *dropped;	/* EVICT dropped */
	uint64_t *present;	/* in the store (SEEK_DATA) */
	uint64_t *recs;		/* buf_pages records, for the module */
	struct vmo_page_record *freed;	/* OBJCACHE_FREED_BATCH entries */
	bool freed_pending;	/* the module has punched records for us */
	bool warned_records;	/* "records differ" was logged */
	struct slotmap_acct acct;	/* every object's slot map */
	struct pobj *lru;	/* ring of open objects, or NULL */
	struct pobj *hand;	/* victim clock: object ... */
	uint64_t hand_idx;	/* ... and page it points at */
	unsigned int bits_words;	/* words of each paging bitmap */
	bool warned_track;	/* "cannot track pages" was logged */
	bool no_slot[2];	/* this scavenge found no slot for [reserved] */
	bool spare_memory;	/* this scavenge: no write-back that needs memory */
};

/*
 * @ctr: the engine's counters (OBJECTS, BYTES_*, PAGES_WRITTEN, ERRORS
 * are counted here).  @buf_pages: the bounce buffer, at least the
 * largest fill.  Returns 0, -ENOMEM, or -errno from making the fill
 * uffd (objcache_store_write()).  Disables transparent huge pages for
 * the whole process (PR_SET_THP_DISABLE): see objects.c.
 */
int objcache_init(struct objcache *oc, uint64_t page_size,
		  unsigned int buf_pages, uint64_t *ctr);

void objcache_set_ops(struct objcache *oc, objcache_open_fn open,
		      objcache_clean_fn clean, objcache_evict_fn evict,
		      void *arg);

/* Page dirty pages out to @bk (NULL: none).  Set before any object opens. */
void objcache_set_backing(struct objcache *oc, struct backing *bk);

/* Close every object and free everything. */
void objcache_destroy(struct objcache *oc);

/*
 * Object @id, opened through the callback the first time.  Returns 0
 * and *@out, or -errno (logged unless -ENOENT or -EOPNOTSUPP: no open
 * callback).
 */
int objcache_get(struct objcache *oc, uint64_t id, struct pobj **out);

/*
 * Forget every open object whose id is not in @ids (@n ids, ascending):
 * the module no longer has them (their VMO_EV_OBJ_GONE was dropped).
 * Returns how many went.
 */
size_t objcache_forget_unlisted(struct objcache *oc, const uint64_t *ids,
				size_t n);

/* Object @id if it is open, else NULL (nothing is opened). */
struct pobj *objcache_find(const struct objcache *oc, uint64_t id);

/*
 * The object is gone: close its fds, if it was open, and free its
 * backing store slots.
 */
void objcache_forget(struct objcache *oc, uint64_t id);

/*
 * Pages of a fill of @pages at page @idx of FILE object @o that hold
 * file data: the fill stops with the page holding the last byte (the
 * store ends there).  At least 1.
 */
uint64_t objcache_file_pages(const struct objcache *oc, const struct pobj *o,
			     uint64_t idx, uint64_t pages);

/*
 * Read pages [idx, idx + pages) of FILE object @o from its file into
 * the bounce buffer, zeroes past the end of the file.  Returns 0 or
 * -errno (logged).  A file is the client's: one that does not answer
 * within OBJCACHE_FILE_TIMEOUT_MS (a FUSE file system that holds the
 * read) gives -EAGAIN, and so does every read of it until that one has
 * ended (objcache_reap()): the fault waits, the pager serves others.
 */
int objcache_read_file(struct objcache *oc, struct pobj *o,
		       uint64_t idx, uint64_t pages);

/* Let go of the reads past their deadline that have ended since. */
void objcache_reap(struct objcache *oc);

/*
 * Read page @idx of SHADOW object @o, which its own store lacks, into
 * the bounce buffer: from the nearest ancestor that has it (in its
 * store, else paged out to the backing store), else from the file at
 * the root of the chain, else zeroes.  Returns a FILL_* or -errno
 * (logged).
 */
int objcache_read_shadow(struct objcache *oc, struct pobj *o,
			 uint64_t idx);

/*
 * Pages from @idx on, at most @max, that @o's store lacks: 0 if it has
 * page @idx, or -errno (logged).  Only the pager puts pages into a
 * store, so a hole found here is still one when it is filled.
 */
int64_t objcache_store_holes(struct objcache *oc, const struct pobj *o,
			     uint64_t idx, uint64_t max);

/*
 * Write the first @pages pages of the bounce buffer into @o's store at
 * page @idx, which must be holes: the write stops before the first page
 * already there.  Returns the whole pages written (> 0) or -errno
 * (-EEXIST: page @idx is there).  The pages are order-0 folios, dirty,
 * mapped nowhere (see objects.c).
 */
int64_t objcache_store_write(struct objcache *oc, struct pobj *o,
			     uint64_t idx, uint64_t pages);

/*
 * Mark pages of @o just filled as clean (equal to their source).
 * Failures are logged and counted: the pages then merely look written.
 */
void objcache_clean_filled(struct objcache *oc, const struct pobj *o,
			   uint64_t first, uint64_t npages);

/*
 * Write every dirty page of a shared FILE object back to its file and
 * fdatasync the file; other objects have nothing to write.  *@pages:
 * pages written.  Returns 0 or the first error (logged); the writing
 * goes on past errors as far as it can.
 */
int objcache_writeback(struct objcache *oc, const struct pobj *o,
		       uint64_t *pages);

/*
 * Write the pages of [first, first + n) of a shared FILE object whose
 * bits are set in oc->bitmap (bit i: page first + i) to its file, each
 * write ended with CLEAN(VMO_CLEAN_IF_UNCHANGED); no fdatasync.  @n <=
 * VMO_CLEAN_MAX.  *@pages grows by the pages written.  Returns 0 or the
 * first error (logged).
 */
int objcache_write_dirty(struct objcache *oc, const struct pobj *o,
			 uint64_t first, uint64_t n, uint64_t *pages);

/* The object's size in pages. */
static inline uint64_t pobj_pages(const struct objcache *oc,
				  const struct pobj *o)
{
	return o->size >> oc->page_shift;
}

/* Created with VMO_CREATE_RESERVE: its slots are promised. */
static inline bool pobj_reserved(const struct pobj *o)
{
	return o->flags & VMO_CREATE_RESERVE;
}

#endif /* VMO_PAGER_OBJECTS_H */
