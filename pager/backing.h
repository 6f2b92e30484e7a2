/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager backing store: where dirty pages go when the module wants
 * memory back.  A file or a block device cut into slots of one page,
 * handed out by a bitmap allocator: one bit per slot, nothing else, so
 * the allocator's memory is fixed at open (a 2 GiB store: 64 KiB).
 *
 * The store is opened O_DIRECT when the file system allows it (block
 * devices do): page-outs then take no page cache, which matters since
 * they happen when memory is short.  The I/O itself runs on the object
 * cache's io_uring with page-aligned buffers (objects.h).
 *
 * Reservations: objects created with VMO_CREATE_RESERVE were promised a
 * slot for each of their pages (the module counts them in its
 * reserved_pages).  Unreserved objects may not take the slots that the
 * reserved ones do not hold yet.
 */
#ifndef VMO_PAGER_BACKING_H
#define VMO_PAGER_BACKING_H

#include <stdbool.h>
#include <stdint.h>

/* Default size of a backing file that --backing creates. */
#define BACKING_DEFAULT_SIZE	(1ULL << 30)

struct backing {
	int fd;			/* -1: none */
	char *path;		/* for messages */
	bool direct;		/* opened O_DIRECT */
	bool blockdev;
	uint64_t page_size;
	unsigned int page_shift;
	uint64_t nslots;
	uint64_t used;		/* slots allocated */
	uint64_t *bits;		/* nslots bits, set: allocated */
	uint64_t rotor;		/* word where the next search starts */
	uint64_t reserved_pages;	/* the module's reserved_pages */
	uint64_t held_reserved;	/* slots held by reserved objects */
	uint64_t refused;	/* allocations refused (full) */
	bool full;		/* in a "full" episode: logged once */
};

/*
 * Open (or create) the backing store at @path.  @size: bytes to use, 0
 * for all of an existing file or device; a regular file that does not
 * exist is created with @size (BACKING_DEFAULT_SIZE if 0), one that is
 * smaller than @size is extended.  Returns 0 or -errno (logged).
 */
int backing_open(struct backing *bk, const char *path, uint64_t size,
		 uint64_t page_size);

/*
 * Use @fd, a backing store of @pages pages that the module kept from an
 * earlier pager (VMO_IOC_PAGER_ATTACH's kept_fd), instead of any store
 * @bk had (which is closed).  Its slots start free: claim the recorded
 * ones with backing_claim().  Returns 0 or -errno (logged; @fd closed).
 */
int backing_adopt(struct backing *bk, int fd, uint64_t pages,
		  uint64_t page_size);
/* Mark @slot allocated (a recorded page).  -EINVAL if out of range or taken. */
int backing_claim(struct backing *bk, uint64_t slot, bool reserved);
/* Close it; @bk may be one that was never opened (fd -1) or zeroed. */
void backing_close(struct backing *bk);

/*
 * A free slot for a page of an object (@reserved: created with
 * VMO_CREATE_RESERVE), or -ENOSPC: the store is full, or what is left
 * is promised to reserved objects.  The first refusal of an episode is
 * logged; the episode ends when a slot is freed.
 */
int64_t backing_alloc(struct backing *bk, bool reserved);

/* Give @slot back (allocated for an object of the same @reserved). */
void backing_free(struct backing *bk, uint64_t slot, bool reserved);

/* Slots not allocated. */
uint64_t backing_free_slots(const struct backing *bk);

/* Free slots that unreserved objects must leave to reserved ones. */
uint64_t backing_keep_free(const struct backing *bk);

/* The module's reserved_pages, as last read. */
void backing_set_reserved(struct backing *bk, uint64_t reserved_pages);

/* Byte offset of @slot in the store. */
static inline uint64_t backing_offset(const struct backing *bk, uint64_t slot)
{
	return slot << bk->page_shift;
}

/* Bytes of memory the allocator takes. */
uint64_t backing_meta_bytes(const struct backing *bk);

/*
 * Parse a size: a number of bytes with an optional K, M, G or T suffix
 * (powers of 1024).  Returns 0 or -EINVAL.
 */
int backing_parse_size(const char *s, uint64_t *out);

#endif /* VMO_PAGER_BACKING_H */
