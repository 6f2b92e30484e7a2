// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager slot map (see slotmap.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slotmap.h"

#define LEAF_SHIFT	9
#define LEAF_PAGES	(1U << LEAF_SHIFT)		/* 2 MiB */
#define MID_SHIFT	9
#define MID_LEAVES	(1U << MID_SHIFT)
#define TOP_SHIFT	(LEAF_SHIFT + MID_SHIFT)	/* 1 GiB a pointer */

struct sm_leaf {
	uint16_t nonzero;	/* entries != 0 */
	uint16_t resident;	/* entries with SM_RES */
	uint32_t e[];
};

struct sm_mid {
	uint32_t nleaves;	/* leaves allocated */
	uint32_t pad;
	struct sm_leaf *leaf[];
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Entries of leaf number @leafno (global): 512, fewer at the end. */
static uint32_t leaf_len(const struct slotmap *sm, uint64_t leafno)
{
	uint64_t left = sm->npages - (leafno << LEAF_SHIFT);

	return left < LEAF_PAGES ? (uint32_t)left : LEAF_PAGES;
}

/* Leaf pointers of mid number @midno. */
static uint32_t mid_len(const struct slotmap *sm, uint64_t midno)
{
	uint64_t left = div_up(sm->npages, LEAF_PAGES) - (midno << MID_SHIFT);

	return left < MID_LEAVES ? (uint32_t)left : MID_LEAVES;
}

static size_t leaf_bytes(uint32_t len)
{
	return sizeof(struct sm_leaf) + (size_t)len * sizeof(uint32_t);
}

static size_t mid_bytes(uint32_t len)
{
	return sizeof(struct sm_mid) + (size_t)len * sizeof(struct sm_leaf *);
}

static void acct_bytes(struct slotmap *sm, int64_t delta)
{
	if (sm->acct)
		sm->acct->bytes += (uint64_t)delta;
}

void slotmap_init(struct slotmap *sm, uint64_t npages,
		  struct slotmap_acct *acct)
{
	memset(sm, 0, sizeof(*sm));
	sm->npages = npages;
	sm->ntop = (uint32_t)div_up(npages, 1ULL << TOP_SHIFT);
	sm->acct = acct;
}

static struct sm_leaf *find_leaf(const struct slotmap *sm, uint64_t idx)
{
	struct sm_mid *mid;

	if (!sm->top || idx >= sm->npages)
		return NULL;
	mid = sm->top[idx >> TOP_SHIFT];
	if (!mid)
		return NULL;
	return mid->leaf[(idx >> LEAF_SHIFT) & (MID_LEAVES - 1)];
}

uint32_t slotmap_get(const struct slotmap *sm, uint64_t idx)
{
	const struct sm_leaf *leaf = find_leaf(sm, idx);

	return leaf ? leaf->e[idx & (LEAF_PAGES - 1)] : 0;
}

/* The leaf holding @idx, allocating the levels on the way.  NULL: ENOMEM. */
static struct sm_leaf *make_leaf(struct slotmap *sm, uint64_t idx)
{
	uint64_t midno = idx >> TOP_SHIFT, leafno = idx >> LEAF_SHIFT;
	struct sm_leaf **slot;
	struct sm_mid *mid;
	uint32_t len;

	if (!sm->top) {
		sm->top = calloc(sm->ntop, sizeof(*sm->top));
		if (!sm->top)
			return NULL;
		acct_bytes(sm, (int64_t)(sm->ntop * sizeof(*sm->top)));
	}
	mid = sm->top[midno];
	if (!mid) {
		len = mid_len(sm, midno);
		mid = calloc(1, mid_bytes(len));
		if (!mid)
			return NULL;
		acct_bytes(sm, (int64_t)mid_bytes(len));
		sm->top[midno] = mid;
	}
	slot = &mid->leaf[leafno & (MID_LEAVES - 1)];
	if (!*slot) {
		len = leaf_len(sm, leafno);
		*slot = calloc(1, leaf_bytes(len));
		if (!*slot)
			return NULL;	/* an empty mid stays: harmless */
		acct_bytes(sm, (int64_t)leaf_bytes(len));
		mid->nleaves++;
	}
	return *slot;
}

/* Free the leaf of @idx, which is empty, and its mid if that empties. */
static void drop_leaf(struct slotmap *sm, uint64_t idx)
{
	uint64_t midno = idx >> TOP_SHIFT, leafno = idx >> LEAF_SHIFT;
	struct sm_mid *mid = sm->top[midno];

	free(mid->leaf[leafno & (MID_LEAVES - 1)]);
	mid->leaf[leafno & (MID_LEAVES - 1)] = NULL;
	acct_bytes(sm, -(int64_t)leaf_bytes(leaf_len(sm, leafno)));
	if (--mid->nleaves)
		return;
	free(mid);
	sm->top[midno] = NULL;
	acct_bytes(sm, -(int64_t)mid_bytes(mid_len(sm, midno)));
}

/* Count the change of one entry from @old to @e. */
static void account(struct slotmap *sm, struct sm_leaf *leaf, uint32_t old,
		    uint32_t e)
{
	int nz = (e != 0) - (old != 0);
	int res = !!(e & SM_RES) - !!(old & SM_RES);
	int rec = (sm_rec(e) != 0) - (sm_rec(old) != 0);
	int slot = sm_rec_is_slot(sm_rec(e)) - sm_rec_is_slot(sm_rec(old));

	leaf->nonzero += nz;
	leaf->resident += res;
	sm->tracked += nz;
	sm->resident += res;
	sm->slots += slot;
	if (sm->acct) {
		sm->acct->tracked += nz;
		sm->acct->resident += res;
		sm->acct->records += rec;
	}
}

int slotmap_set(struct slotmap *sm, uint64_t idx, uint32_t e)
{
	struct sm_leaf *leaf;
	uint32_t *p, old;

	if (idx >= sm->npages)
		return -EINVAL;
	leaf = e ? make_leaf(sm, idx) : find_leaf(sm, idx);
	if (!leaf)
		return e ? -ENOMEM : 0;
	p = &leaf->e[idx & (LEAF_PAGES - 1)];
	old = *p;
	*p = e;
	account(sm, leaf, old, e);
	if (!leaf->nonzero)
		drop_leaf(sm, idx);
	return 0;
}

uint64_t slotmap_next(const struct slotmap *sm, uint64_t from, uint32_t mask)
{
	const struct sm_leaf *leaf;
	const struct sm_mid *mid;
	uint64_t idx = from, end;

	while (sm->top && idx < sm->npages) {
		mid = sm->top[idx >> TOP_SHIFT];
		if (!mid) {
			idx = ((idx >> TOP_SHIFT) + 1) << TOP_SHIFT;
			continue;
		}
		leaf = mid->leaf[(idx >> LEAF_SHIFT) & (MID_LEAVES - 1)];
		end = ((idx >> LEAF_SHIFT) + 1) << LEAF_SHIFT;
		if (end > sm->npages)
			end = sm->npages;
		if (leaf && (mask != SM_RES || leaf->resident)) {
			for (; idx < end; idx++)
				if (leaf->e[idx & (LEAF_PAGES - 1)] & mask)
					return idx;
		}
		idx = end;
	}
	return SM_NONE;
}

uint64_t slotmap_run(const struct slotmap *sm, uint64_t idx, uint64_t max,
		     bool with_record)
{
	uint64_t n;

	for (n = 0; n < max && idx + n < sm->npages; n++)
		if ((sm_rec(slotmap_get(sm, idx + n)) != 0) != with_record)
			break;
	return n;
}

/* Report the slots of @leaf (leaf number @leafno) to @fn, then free it. */
static void destroy_leaf(struct slotmap *sm, struct sm_leaf *leaf,
			 uint64_t leafno,
			 void (*fn)(void *arg, uint64_t idx, uint64_t slot),
			 void *arg)
{
	uint32_t i, len = leaf_len(sm, leafno), rec;

	for (i = 0; i < len; i++) {
		rec = sm_rec(leaf->e[i]);
		if (fn && sm_rec_is_slot(rec))
			fn(arg, (leafno << LEAF_SHIFT) + i, sm_rec_slot(rec));
		if (leaf->e[i])
			account(sm, leaf, leaf->e[i], 0);
	}
	free(leaf);
	acct_bytes(sm, -(int64_t)leaf_bytes(len));
}

void slotmap_destroy(struct slotmap *sm,
		     void (*fn)(void *arg, uint64_t idx, uint64_t slot),
		     void *arg)
{
	struct sm_mid *mid;
	uint32_t m, l;

	for (m = 0; sm->top && m < sm->ntop; m++) {
		mid = sm->top[m];
		if (!mid)
			continue;
		for (l = 0; l < mid_len(sm, m); l++)
			if (mid->leaf[l])
				destroy_leaf(sm, mid->leaf[l],
					     ((uint64_t)m << MID_SHIFT) + l,
					     fn, arg);
		free(mid);
		acct_bytes(sm, -(int64_t)mid_bytes(mid_len(sm, m)));
	}
	if (sm->top) {
		free(sm->top);
		acct_bytes(sm, -(int64_t)(sm->ntop * sizeof(*sm->top)));
	}
	sm->top = NULL;
}
