// SPDX-License-Identifier: GPL-2.0
/*
 * Per-client table of object mappings (see maptable.h).
 *
 * Pure logic: no system calls, no logging, so the host tests can check
 * every edge case directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maptable.h"

void maptable_init(struct maptable *mt, size_t page_size)
{
	memset(mt, 0, sizeof(*mt));
	mt->max = MAPTABLE_MAX_RANGES;
	mt->page_shift = __builtin_ctzl(page_size);
}

void maptable_free(struct maptable *mt)
{
	free(mt->r);
	mt->r = NULL;
	mt->nr = 0;
	mt->cap = 0;
}

void maptable_clear(struct maptable *mt)
{
	mt->nr = 0;
}

/* Make room for @need ranges.  Returns 0 or -ENOMEM (table unchanged). */
static int maptable_reserve(struct maptable *mt, size_t need)
{
	struct vmo_range *r;
	size_t cap;

	if (need <= mt->cap)
		return 0;
	cap = mt->cap ? mt->cap * 2 : 16;
	if (cap < need)
		cap = need;
	r = realloc(mt->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	mt->r = r;
	mt->cap = cap;
	return 0;
}

/*
 * Index of the first range ending after @addr (nr if none).  Ranges are
 * sorted and disjoint, so their ends are sorted too.
 */
static size_t maptable_first_after(const struct maptable *mt, uint64_t addr)
{
	size_t lo = 0, hi = mt->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mt->r[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vmo_range *maptable_lookup(struct maptable *mt, uint64_t addr)
{
	size_t i = maptable_first_after(mt, addr);

	if (i < mt->nr && mt->r[i].start <= addr)
		return &mt->r[i];
	return NULL;
}

/* Cut the first @new_start - start bytes off @r, keeping pgoff right. */
static void range_trim_head(struct vmo_range *r, uint64_t new_start,
			    unsigned int page_shift)
{
	r->pgoff += (new_start - r->start) >> page_shift;
	r->start = new_start;
}

/* Remove the ranges [i, j) from the array. */
static void maptable_delete(struct maptable *mt, size_t i, size_t j)
{
	if (j <= i)
		return;
	memmove(&mt->r[i], &mt->r[j], (mt->nr - j) * sizeof(mt->r[0]));
	mt->nr -= j - i;
}

/* [start, end) lies strictly inside range i: keep both outer pieces. */
static void maptable_split(struct maptable *mt, size_t i, uint64_t start,
			   uint64_t end)
{
	struct vmo_range tail = mt->r[i];

	range_trim_head(&tail, end, mt->page_shift);
	mt->r[i].end = start;
	/* Without memory the upper piece is forgotten: it is only a cache. */
	if (maptable_reserve(mt, mt->nr + 1))
		return;
	memmove(&mt->r[i + 2], &mt->r[i + 1],
		(mt->nr - i - 1) * sizeof(mt->r[0]));
	mt->r[i + 1] = tail;
	mt->nr++;
}

void maptable_remove(struct maptable *mt, uint64_t start, uint64_t end)
{
	size_t i, j;

	if (start >= end)
		return;
	i = maptable_first_after(mt, start);
	if (i == mt->nr || mt->r[i].start >= end)
		return;
	if (mt->r[i].start < start && mt->r[i].end > end) {
		maptable_split(mt, i, start, end);
		return;
	}
	if (mt->r[i].start < start) {
		mt->r[i].end = start;
		i++;
	}
	/* From i on every range starts at or after @start. */
	for (j = i; j < mt->nr && mt->r[j].end <= end; j++)
		;
	if (j < mt->nr && mt->r[j].start < end)
		range_trim_head(&mt->r[j], end, mt->page_shift);
	maptable_delete(mt, i, j);
}

static int range_valid(const struct vmo_range *r, unsigned int page_shift)
{
	uint64_t mask = (1ULL << page_shift) - 1;

	return r->start < r->end && !(r->start & mask) && !(r->end & mask);
}

int maptable_insert(struct maptable *mt, const struct vmo_range *range)
{
	size_t i;

	if (!range_valid(range, mt->page_shift))
		return -EINVAL;
	/* Removing the overlaps may split one range: room for two more. */
	if (maptable_reserve(mt, mt->nr + 2))
		return -ENOMEM;
	maptable_remove(mt, range->start, range->end);
	if (mt->nr >= mt->max) {
		/*
		 * Stale entries can pile up (ranges unregistered and then
		 * unmapped send no event); the module can always tell
		 * again, so start over rather than grow without bound.
		 */
		maptable_clear(mt);
		mt->flushes++;
	}
	i = maptable_first_after(mt, range->start);
	memmove(&mt->r[i + 1], &mt->r[i], (mt->nr - i) * sizeof(mt->r[0]));
	mt->r[i] = *range;
	mt->r[i].ra_next = 0;
	mt->r[i].ra_pages = 0;
	mt->r[i].pad = 0;
	mt->nr++;
	return 0;
}

int maptable_move(struct maptable *mt, uint64_t from, uint64_t to,
		  uint64_t len)
{
	uint64_t end = from + len, delta = to - from;
	struct vmo_range *pieces;
	size_t i, n, k;
	int ret = 0;

	if (!len || from == to)
		return 0;
	if (end < from || to + len < to)
		return -EINVAL;

	i = maptable_first_after(mt, from);
	for (n = 0; i + n < mt->nr && mt->r[i + n].start < end; n++)
		;
	pieces = n ? malloc(n * sizeof(*pieces)) : NULL;
	if (n && !pieces)
		ret = -ENOMEM;
	for (k = 0; pieces && k < n; k++) {
		struct vmo_range *p = &pieces[k];

		*p = mt->r[i + k];
		if (p->start < from)
			range_trim_head(p, from, mt->page_shift);
		if (p->end > end)
			p->end = end;
		/* Unsigned wrap-around makes this right in both directions. */
		p->start += delta;
		p->end += delta;
	}

	maptable_remove(mt, from, end);
	maptable_remove(mt, to, to + len);
	for (k = 0; pieces && k < n; k++)
		if (maptable_insert(mt, &pieces[k]))
			ret = -ENOMEM;
	free(pieces);
	return ret;
}
