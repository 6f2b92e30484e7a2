/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager slot map: what the pager remembers about each page of one
 * object, in 32 bits, in a sparse three-level array:
 *
 *   top  one pointer per GiB of the object (2^18 pages), allocated at
 *        the first entry;
 *   mid  one pointer per 2 MiB (512 pages), allocated on demand, sized
 *        to the part of the object it covers;
 *   leaf 512 entries of 32 bits (fewer at the object's end), allocated
 *        on demand and freed when its last entry goes back to 0.
 *
 * So a tracked page costs 4 bytes plus its share of the leaf's and the
 * upper levels' headers: 4.02 bytes per page when dense.  A page that
 * is neither resident (as far as the pager knows) nor paged out has
 * entry 0 and costs nothing once its leaf is empty.
 *
 * An entry:
 *   bit 31  SM_REF  filled or touched since the victim clock last came
 *                   by: skipped once (second chance);
 *   bit 30  SM_RES  resident: the pager filled it into the store (or
 *                   saw it there); may be stale, the module drops clean
 *                   pages on its own;
 *   0..29   the record: 0 nothing, SM_REC_ZERO "an all-zero page, no
 *           slot", else backing store slot + 1.
 * The record says where the page's content is when it is not resident,
 * and what a clean resident page equals.
 */
#ifndef VMO_PAGER_SLOTMAP_H
#define VMO_PAGER_SLOTMAP_H

#include <stdbool.h>
#include <stdint.h>

#define SM_REF		(1U << 31)
#define SM_RES		(1U << 30)
#define SM_REC_MASK	(SM_RES - 1)
#define SM_REC_NONE	0U
#define SM_REC_ZERO	SM_REC_MASK
/* Slots 0 .. SM_MAX_SLOTS - 1 fit in a record. */
#define SM_MAX_SLOTS	((uint64_t)SM_REC_MASK - 1)

#define SM_NONE		UINT64_MAX	/* slotmap_next(): no more */

/* Totals over every map that shares one (the object cache's). */
struct slotmap_acct {
	uint64_t bytes;		/* memory of all levels */
	uint64_t tracked;	/* non-zero entries */
	uint64_t resident;	/* entries with SM_RES */
	uint64_t records;	/* entries with a record (slot or zero) */
};

struct sm_mid;

struct slotmap {
	struct sm_mid **top;	/* ntop pointers, NULL until needed */
	uint64_t npages;
	uint32_t ntop;
	uint64_t tracked;	/* non-zero entries */
	uint64_t resident;	/* entries with SM_RES */
	uint64_t slots;		/* entries with a slot */
	struct slotmap_acct *acct;	/* also counted there, or NULL */
};

static inline uint32_t sm_rec(uint32_t e)
{
	return e & SM_REC_MASK;
}

/* Does record @rec name a slot? */
static inline bool sm_rec_is_slot(uint32_t rec)
{
	return rec != SM_REC_NONE && rec != SM_REC_ZERO;
}

static inline uint64_t sm_rec_slot(uint32_t rec)
{
	return (uint64_t)rec - 1;
}

static inline uint32_t sm_slot_rec(uint64_t slot)
{
	return (uint32_t)(slot + 1);
}

/* An empty map for an object of @npages pages; allocates nothing. */
void slotmap_init(struct slotmap *sm, uint64_t npages,
		  struct slotmap_acct *acct);

/* Entry of page @idx (0 past the end or where nothing is known). */
uint32_t slotmap_get(const struct slotmap *sm, uint64_t idx);

/*
 * Set the entry of page @idx.  Returns 0, -ENOMEM (only for a non-zero
 * entry whose leaf could not be allocated: the map is unchanged) or
 * -EINVAL (@idx past the end).
 */
int slotmap_set(struct slotmap *sm, uint64_t idx, uint32_t e);

/*
 * The first page at or after @from whose entry has a bit of @mask set,
 * or SM_NONE.  Leaves without such entries are skipped whole when
 * @mask is SM_RES.
 */
uint64_t slotmap_next(const struct slotmap *sm, uint64_t from, uint32_t mask);

/*
 * Pages from @idx on (at most @max) whose records are all present
 * (@with_record) or all absent.  0 if page @idx itself differs.
 */
uint64_t slotmap_run(const struct slotmap *sm, uint64_t idx, uint64_t max,
		     bool with_record);

/*
 * Call @fn for every page with a slot (with the slot), then free the
 * whole map.  The map is empty (and reusable) afterwards.
 */
void slotmap_destroy(struct slotmap *sm,
		     void (*fn)(void *arg, uint64_t idx, uint64_t slot),
		     void *arg);

#endif /* VMO_PAGER_SLOTMAP_H */
