/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-client table of object mappings: which object (and which page of
 * it) backs each address range of a client.
 *
 * The table is a cache of what the module knows: it is filled from
 * VMO_EV_MAP hints and VMO_IOC_PAGER_LOOKUP answers, kept current with
 * the client's UNMAP/REMAP userfaultfd events, and may be dropped at any
 * time (the module stays the authority).  That is why every operation
 * that cannot allocate memory may lose entries instead of failing.
 *
 * Ranges are kept sorted and non-overlapping in one array, searched by
 * bisection: a few dozen bytes per range, nothing per page.
 */
#ifndef VMO_PAGER_MAPTABLE_H
#define VMO_PAGER_MAPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Default bound on ranges per client: the kernel's default max_map_count. */
#define MAPTABLE_MAX_RANGES	65536

struct vmo_range {
	uint64_t start;		/* first address (page aligned) */
	uint64_t end;		/* one past the last address (page aligned) */
	uint64_t pgoff;		/* object page index mapped at @start */
	uint64_t obj_id;
	uint64_t obj_size;	/* bytes; 0 if unknown */
	uint32_t kind;		/* VMO_KIND_* */
	uint32_t flags;		/* VMO_MAP_* */
	/* Fault-around state, owned by the engine. */
	uint64_t ra_next;	/* address right after the last fill */
	uint32_t ra_pages;	/* window of the last fill, 0: none yet */
	uint32_t pad;
};

struct maptable {
	struct vmo_range *r;	/* sorted by address, no overlaps */
	size_t nr;		/* ranges in use */
	size_t cap;		/* ranges allocated */
	size_t max;		/* flush the table rather than grow past this */
	unsigned int page_shift;
	uint64_t flushes;	/* times the table hit @max and was emptied */
};

void maptable_init(struct maptable *mt, size_t page_size);
void maptable_free(struct maptable *mt);

/* Drop every range (the table is only a cache). */
void maptable_clear(struct maptable *mt);

/*
 * Insert @range, replacing whatever overlapped it.  The fault-around
 * state of @range is reset.  Returns 0, -EINVAL for an empty or
 * unaligned range, or -ENOMEM (table unchanged).
 */
int maptable_insert(struct maptable *mt, const struct vmo_range *range);

/* The range holding @addr, or NULL.  Valid until the next change. */
struct vmo_range *maptable_lookup(struct maptable *mt, uint64_t addr);

/*
 * Forget [start, end): ranges inside it go, ranges crossing its edges
 * are trimmed (a range spanning it is split in two, the upper piece's
 * pgoff advanced).  Never fails: without memory for a split the upper
 * piece is dropped.
 */
void maptable_remove(struct maptable *mt, uint64_t start, uint64_t end);

/*
 * The client moved [from, from + len) to [to, to + len) (mremap): move
 * the pieces of ranges inside the source, keeping their object pages,
 * and drop whatever was at the destination.  Returns 0, or -ENOMEM when
 * pieces had to be dropped instead of moved.
 */
int maptable_move(struct maptable *mt, uint64_t from, uint64_t to,
		  uint64_t len);

#endif /* VMO_PAGER_MAPTABLE_H */
