// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager paging (see paging.h).
 *
 * Everything here runs on the pager's one thread, between fault
 * batches: while a run is being paged out no fault of any client is
 * served, so the only thing that changes under us is the module
 * dropping clean pages (and clients writing pages they have mapped,
 * which the two-phase CLEAN takes care of).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paging.h"

typedef unsigned long long ull;

/* Rounds of the victim clock a scavenge may walk before giving up. */
#define SCAN_LAPS	2
/* Most victims taken from one object at a time (and pages per run). */
#define PAGING_VICTIMS	512

static inline void count(struct objcache *oc, enum vmo_pstat idx, uint64_t n)
{
	oc->ctr[idx] += n;
}

static inline bool tbit(const uint64_t *bits, uint64_t i)
{
	return bits[i / 64] & (1ULL << (i % 64));
}

static inline void sbit(uint64_t *bits, uint64_t i)
{
	bits[i / 64] |= 1ULL << (i % 64);
}

static void zbits(const struct objcache *oc, uint64_t *bits)
{
	memset(bits, 0, oc->bits_words * sizeof(*bits));
}

/* End of the run of pages from @i (< @n) whose bit is @set. */
static uint64_t run_end(const uint64_t *bits, uint64_t i, uint64_t n, bool set)
{
	while (i < n && tbit(bits, i) == set)
		i++;
	return i;
}

/* A backing-store transfer cut short ran past the store's end: an error. */
static void backing_op_settle(struct uring_op *op)
{
	if (!op->error && op->done != op->len)
		op->error = -EIO;
}

static char *page_buf(const struct objcache *oc, uint64_t i)
{
	return oc->buf + (i << oc->page_shift);
}

static bool page_is_zero(const char *p, uint64_t size)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t i;

	for (i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* ---- the ring of objects ---- */

static void track_resident(struct objcache *oc, struct pobj *o);

void paging_link(struct objcache *oc, struct pobj *o)
{
	slotmap_init(&o->map, pobj_pages(oc, o), &oc->acct);
	track_resident(oc, o);
	if (!oc->lru) {
		o->lru_prev = o;
		o->lru_next = o;
		oc->lru = o;
		return;
	}
	/* At the tail: the hand reaches new objects last. */
	o->lru_next = oc->lru;
	o->lru_prev = oc->lru->lru_prev;
	o->lru_prev->lru_next = o;
	oc->lru->lru_prev = o;
}

struct forget_arg {
	struct objcache *oc;
	const struct pobj *o;
};

static void free_slot(void *arg, uint64_t idx, uint64_t slot)
{
	struct forget_arg *fa = arg;

	(void)idx;
	if (fa->oc->bk)
		backing_free(fa->oc->bk, slot, pobj_reserved(fa->o));
}

void paging_forget(struct objcache *oc, struct pobj *o)
{
	struct forget_arg fa = { .oc = oc, .o = o };
	struct pobj *next = o->lru_next != o ? o->lru_next : NULL;

	slotmap_destroy(&o->map, free_slot, &fa);
	if (!o->lru_next)
		return;		/* never linked */
	if (oc->hand == o) {
		oc->hand = next;
		oc->hand_idx = 0;
	}
	if (oc->lru == o)
		oc->lru = next;
	o->lru_prev->lru_next = o->lru_next;
	o->lru_next->lru_prev = o->lru_prev;
	o->lru_prev = NULL;
	o->lru_next = NULL;
}

/* ---- tracking ---- */

bool paging_tracks(const struct objcache *oc, uint32_t kind)
{
	if (!oc->evict)
		return false;
	return kind != VMO_KIND_ANON || oc->bk;
}

static void set_entry(struct objcache *oc, struct pobj *o, uint64_t idx,
		      uint32_t e)
{
	if (!slotmap_set(&o->map, idx, e))
		return;
	/* Only a new leaf can fail: the page simply stays untracked. */
	if (!oc->warned_track)
		log_warn("object %llu: out of memory for page tracking: some pages will not be paged out (logged once)",
			 (ull)o->id);
	oc->warned_track = true;
}

/*
 * The first run of pages of @o's store in [@pg, @end), as [*@d, *@h):
 * 1 if there is one, 0 if not, or -errno (logged and counted).
 */
static int next_data_run(struct objcache *oc, const struct pobj *o,
			 uint64_t pg, uint64_t end, uint64_t *d, uint64_t *h)
{
	off_t at;
	int ret;

	/* shmem answers SEEK_DATA/SEEK_HOLE from its page cache (and swap). */
	at = lseek(o->store_fd, (off_t)(pg << oc->page_shift), SEEK_DATA);
	if (at < 0 && errno == ENXIO)
		return 0;		/* no data from here on */
	if (at >= 0) {
		*d = (uint64_t)at >> oc->page_shift;
		if (*d >= end)
			return 0;
		at = lseek(o->store_fd, at, SEEK_HOLE);
	}
	if (at < 0) {
		ret = -errno;
		log_err("object %llu: lseek(store, page %llu): %s",
			(ull)o->id, (ull)pg, strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
		return ret;
	}
	*h = ((uint64_t)at + oc->page_size - 1) >> oc->page_shift;
	if (*h > end)
		*h = end;
	return 1;
}

/*
 * Pages already in @o's store when the pager opens it (filled by an
 * earlier pager, or by this one before the object was last closed):
 * tracked as resident, not recently used, so that they can be given
 * back.  Nothing else would announce them: the kernel maps store pages
 * without the pager.  An error only leaves pages untracked (logged).
 */
static void track_resident(struct objcache *oc, struct pobj *o)
{
	uint64_t pages = pobj_pages(oc, o), pg = 0, d, h;

	if (!paging_tracks(oc, o->kind))
		return;
	while (pg < pages && next_data_run(oc, o, pg, pages, &d, &h) > 0)
		for (pg = d; pg < h; pg++)
			set_entry(oc, o, pg, slotmap_get(&o->map, pg) | SM_RES);
}

void paging_filled(struct objcache *oc, struct pobj *o, uint64_t idx,
		   uint64_t n)
{
	uint64_t i;

	if (!paging_tracks(oc, o->kind))
		return;
	for (i = 0; i < n; i++)
		set_entry(oc, o, idx + i,
			  slotmap_get(&o->map, idx + i) | SM_RES | SM_REF);
}

void paging_touched(struct objcache *oc, struct pobj *o, uint64_t idx)
{
	paging_filled(oc, o, idx, 1);
}

uint64_t paging_record_run(const struct pobj *o, uint64_t idx, uint64_t max,
			   bool with_record)
{
	return slotmap_run(&o->map, idx, max, with_record);
}

/* ---- the module's copy of the records ---- */

static uint64_t vmo_rec(uint32_t rec)
{
	if (rec == SM_REC_NONE)
		return VMO_REC_NONE;
	if (rec == SM_REC_ZERO)
		return VMO_REC_ZERO;
	return VMO_REC_SLOT(sm_rec_slot(rec));
}

/* The slot map record for the module's @rec; false if it fits none. */
static bool sm_from_vmo_rec(uint64_t rec, uint32_t *out)
{
	if (rec == VMO_REC_NONE)
		*out = SM_REC_NONE;
	else if (rec == VMO_REC_ZERO)
		*out = SM_REC_ZERO;
	else if (VMO_REC_IS_SLOT(rec) && VMO_REC_SLOT_OF(rec) < SM_MAX_SLOTS)
		*out = sm_slot_rec(VMO_REC_SLOT_OF(rec));
	else
		return false;
	return true;
}

/* GET or SET the module's records of [first, first + n) in oc->recs. */
/* @flags go with the first request (VMO_RECORD_FILL begins one page-in). */
static int record_range(struct objcache *oc, const struct pobj *o,
			uint32_t op, uint32_t flags, uint64_t first, uint64_t n,
			uint64_t *refused)
{
	struct vmo_pager_record req;
	uint64_t done, k;
	int ret;

	*refused = 0;
	for (done = 0; done < n; done += k) {
		k = n - done < VMO_RECORD_MAX ? n - done : VMO_RECORD_MAX;
		memset(&req, 0, sizeof(req));
		req.op = op;
		req.flags = done ? 0 : flags;
		req.obj_id = o->id;
		req.first = first + done;
		req.npages = k;
		req.recs = (uint64_t)(uintptr_t)(oc->recs + done);
		ret = oc->record(oc->arg, &req);
		if (ret)
			return ret;
		*refused += req.refused;
	}
	return 0;
}

static void set_record(struct objcache *oc, struct pobj *o, uint64_t idx,
		       uint32_t rec);

/*
 * Tell the module where the pages just written (bits of oc->done) went,
 * before they become clean: from then on the module may drop them at
 * any moment, and only the records bring them back.  A page whose
 * record is refused (punched out meanwhile; or its slot would eat into
 * what reserved objects were promised) loses its done bit, so it stays
 * dirty, and takes the module's record back, giving up its new slot.
 */
static void record_written(struct objcache *oc, struct pobj *o,
			   uint64_t first, uint64_t n)
{
	uint64_t i, refused;
	uint32_t rec;

	if (!oc->record)
		return;
	for (i = 0; i < n; i++)
		oc->recs[i] = tbit(oc->done, i) ?
			vmo_rec(sm_rec(slotmap_get(&o->map, first + i))) :
			VMO_REC_KEEP;
	if (record_range(oc, o, VMO_RECORD_SET, 0, first, n, &refused)) {
		/* The module knows nothing of these: they stay dirty. */
		zbits(oc, oc->done);
		count(oc, VMO_PSTAT_ERRORS, 1);
		return;
	}
	for (i = 0; refused && i < n; i++) {
		if (!tbit(oc->done, i) ||
		    oc->recs[i] == vmo_rec(sm_rec(slotmap_get(&o->map,
							      first + i))))
			continue;
		oc->done[i / 64] &= ~(1ULL << (i % 64));
		if (!sm_from_vmo_rec(oc->recs[i], &rec))
			rec = SM_REC_NONE;
		set_record(oc, o, first + i, rec);
		count(oc, VMO_PSTAT_BACKING_FULL, 1);
		refused--;
	}
}

/*
 * The records a client punched out (VMO_RECORD_FREED): free their slots
 * where our own record still names them, and forget the pages.
 */
static void take_freed_one(struct objcache *oc, const struct vmo_page_record *r)
{
	struct pobj *o = objcache_find(oc, r->obj_id);
	uint32_t rec, e;

	/* Not open: we hold nothing of it (LIST opened every recorded one). */
	if (!o || !sm_from_vmo_rec(r->rec, &rec))
		return;
	e = slotmap_get(&o->map, r->index);
	if (sm_rec(e) != rec)
		return;		/* already given up */
	set_record(oc, o, r->index, SM_REC_NONE);
	set_entry(oc, o, r->index, slotmap_get(&o->map, r->index) & ~SM_RES);
}

int paging_take_freed(struct objcache *oc)
{
	struct vmo_pager_record req;
	uint64_t i;
	int ret;

	oc->freed_pending = false;
	if (!oc->record)
		return 0;
	do {
		memset(&req, 0, sizeof(req));
		req.op = VMO_RECORD_FREED;
		req.npages = OBJCACHE_FREED_BATCH;
		req.recs = (uint64_t)(uintptr_t)oc->freed;
		ret = oc->record(oc->arg, &req);
		if (ret) {
			oc->freed_pending = true;	/* try again later */
			return ret;
		}
		for (i = 0; i < req.count; i++)
			take_freed_one(oc, &oc->freed[i]);
	} while (req.count == OBJCACHE_FREED_BATCH);
	return 0;
}

/* Take one record over from an earlier pager (VMO_RECORD_LIST). */
static int adopt_one(struct objcache *oc, const struct vmo_page_record *r)
{
	struct pobj *o;
	uint32_t rec;
	int ret;

	ret = objcache_get(oc, r->obj_id, &o);
	if (ret == -ENOENT)
		return 0;	/* gone since: its records went with it */
	if (ret)
		return ret;
	if (!sm_from_vmo_rec(r->rec, &rec) || !paging_tracks(oc, o->kind) ||
	    (sm_rec_is_slot(rec) &&
	     backing_claim(oc->bk, sm_rec_slot(rec), pobj_reserved(o)))) {
		log_err("object %llu: page %llu: record %#llx from the module does not fit the backing store: that page is lost to this pager",
			(ull)r->obj_id, (ull)r->index, (ull)r->rec);
		count(oc, VMO_PSTAT_ERRORS, 1);
		return 0;
	}
	if (slotmap_set(&o->map, r->index, rec)) {
		log_err("object %llu: out of memory for page records", (ull)o->id);
		if (sm_rec_is_slot(rec))
			backing_free(oc->bk, sm_rec_slot(rec), pobj_reserved(o));
		return -ENOMEM;
	}
	return 0;
}

int paging_adopt(struct objcache *oc, uint64_t *adopted)
{
	struct vmo_pager_record req;
	uint64_t obj_id = 0, first = 0, i;
	int ret;

	*adopted = 0;
	if (!oc->record)
		return 0;
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.op = VMO_RECORD_LIST;
		req.obj_id = obj_id;
		req.first = first;
		req.npages = OBJCACHE_FREED_BATCH;
		req.recs = (uint64_t)(uintptr_t)oc->freed;
		ret = oc->record(oc->arg, &req);
		if (ret)
			return ret;
		if (!req.count)
			return 0;
		for (i = 0; i < req.count; i++) {
			ret = adopt_one(oc, &oc->freed[i]);
			if (ret)
				return ret;
		}
		*adopted += req.count;
		obj_id = req.obj_id;
		first = req.first;
	}
}

/* Do the module's records of [idx, idx + n) equal ours?  In oc->recs. */
static bool records_agree(const struct objcache *oc, const struct pobj *o,
			  uint64_t idx, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (oc->recs[i] != vmo_rec(sm_rec(slotmap_get(&o->map,
							      idx + i))))
			return false;
	return true;
}

int paging_confirm(struct objcache *oc, struct pobj *o, uint64_t idx,
		   uint64_t n, bool fill)
{
	uint64_t i, refused;
	uint32_t rec, e;
	int ret;

	if (!oc->record || n > oc->buf_pages)
		return 0;
	ret = record_range(oc, o, VMO_RECORD_GET, fill ? VMO_RECORD_FILL : 0,
			   idx, n, &refused);
	if (ret || records_agree(oc, o, idx, n))
		return ret;
	/* Punched pages are the only way to differ: take them first. */
	ret = paging_take_freed(oc);
	if (ret) {
		if (fill)
			paging_fill_done(oc, o);
		return ret;
	}
	if (records_agree(oc, o, idx, n))
		return 0;
	for (i = 0; i < n; i++) {
		e = slotmap_get(&o->map, idx + i);
		if (!sm_from_vmo_rec(oc->recs[i], &rec) || sm_rec(e) == rec)
			continue;
		if (!oc->warned_records)
			log_warn("object %llu: page %llu: the module's record %#llx differs from ours (%#x); going by the module's (logged once)",
				 (ull)o->id, (ull)(idx + i),
				 (ull)oc->recs[i], sm_rec(e));
		oc->warned_records = true;
		/* Not freed: whatever the slot holds, nobody else gets it. */
		set_entry(oc, o, idx + i, (e & ~SM_REC_MASK) | rec);
	}
	return 0;
}

void paging_fill_done(struct objcache *oc, const struct pobj *o)
{
	struct vmo_pager_record req = {
		.op = VMO_RECORD_FILLED,
		.obj_id = o->id,
	};

	/*
	 * A failure is logged by the callback; the module ends the
	 * page-in anyway when this pager goes.
	 */
	if (oc->record)
		oc->record(oc->arg, &req);
}

/* ---- reading records ---- */

static void log_backing_io(struct objcache *oc, const struct pobj *o,
			   const struct uring_op *op)
{
	log_err("object %llu: %s(backing store, offset %#llx, %llu bytes): %s",
		(ull)o->id, uring_op_name(op->opcode), (ull)op->off,
		(ull)op->len, strerror(-op->error));
	count(oc, VMO_PSTAT_ERRORS, 1);
}

/*
 * Queue a transfer of page buffer @i to or from @slot, merged with the
 * previous request when both the buffer and the slots are contiguous.
 */
static void add_slot_op(struct objcache *oc, unsigned int *nops,
			enum uring_opcode opcode, uint64_t i, uint64_t slot)
{
	struct uring_op *prev = *nops ? &oc->ops[*nops - 1] : NULL;
	uint64_t off = backing_offset(oc->bk, slot);

	if (prev && prev->opcode == opcode &&
	    (char *)prev->buf + prev->len == page_buf(oc, i) &&
	    prev->off + prev->len == off) {
		prev->len += oc->page_size;
		return;
	}
	oc->ops[(*nops)++] = (struct uring_op){
		.opcode = opcode,
		.fd = oc->bk->fd,
		.buf = page_buf(oc, i),
		.len = oc->page_size,
		.off = off,
	};
}

int paging_read_in(struct objcache *oc, const struct pobj *o, uint64_t idx,
		   uint64_t n)
{
	unsigned int nops = 0, k;
	uint32_t rec;
	uint64_t i;
	int err = 0;

	if (n > oc->buf_pages)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		rec = sm_rec(slotmap_get(&o->map, idx + i));
		if (sm_rec_is_slot(rec) && oc->bk)
			add_slot_op(oc, &nops, URING_READ, i, sm_rec_slot(rec));
		else
			memset(page_buf(oc, i), 0, oc->page_size);
	}
	uring_run(&oc->io, oc->ops, nops);
	for (k = 0; k < nops; k++) {
		struct uring_op *op = &oc->ops[k];

		backing_op_settle(op);
		if (op->error) {
			log_backing_io(oc, o, op);
			err = err ? err : op->error;
			continue;
		}
		count(oc, VMO_PSTAT_BACKING_BYTES_READ, op->done);
	}
	return err;
}

int paging_read_record(struct objcache *oc, struct pobj *o, uint64_t idx,
		       char *buf)
{
	struct uring_op op;
	uint32_t rec;
	int ret;

	if (sm_rec(slotmap_get(&o->map, idx))) {
		ret = paging_confirm(oc, o, idx, 1, false);
		if (ret)
			return ret;
	}
	rec = sm_rec(slotmap_get(&o->map, idx));
	if (rec == SM_REC_NONE)
		return 0;
	if (rec == SM_REC_ZERO || !oc->bk) {
		memset(buf, 0, oc->page_size);
		return 1;
	}
	op = (struct uring_op){
		.opcode = URING_READ,
		.fd = oc->bk->fd,
		.buf = buf,
		.len = oc->page_size,
		.off = backing_offset(oc->bk, sm_rec_slot(rec)),
	};
	uring_run(&oc->io, &op, 1);
	if (!op.error && op.done != op.len)
		op.error = -EIO;
	if (op.error) {
		log_backing_io(oc, o, &op);
		return op.error;
	}
	count(oc, VMO_PSTAT_BACKING_BYTES_READ, op.done);
	return 1;
}

/* ---- giving pages back ---- */

/*
 * Pages of [first, first + n) in @o's store, as bits of oc->present.
 * The ones the module dropped on its own lose SM_RES (their records
 * stay).  Returns how many are present, or -errno (logged).
 */
static int64_t find_present(struct objcache *oc, struct pobj *o,
			    uint64_t first, uint64_t n)
{
	uint64_t pg = first, end = first + n, d, h, i;
	int64_t present = 0;
	int ret = 0;
	uint32_t e;

	zbits(oc, oc->present);
	while (pg < end && (ret = next_data_run(oc, o, pg, end, &d, &h)) > 0) {
		for (i = d; i < h; i++)
			sbit(oc->present, i - first);
		present += h - d;
		pg = h;
	}
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		e = slotmap_get(&o->map, first + i);
		if (!tbit(oc->present, i) && (e & SM_RES))
			set_entry(oc, o, first + i, sm_rec(e));
	}
	return present;
}

/*
 * Read the dirty pages of [first, first + n) (bits of oc->dirty) from
 * the store into the bounce buffer, page i at buffer page i.  Pages that
 * could not be read lose their bit: they stay dirty, unwritten.
 */
static void read_dirty(struct objcache *oc, struct pobj *o, uint64_t first,
		       uint64_t n)
{
	unsigned int nops = 0, k;
	uint64_t i = 0, end, j;

	while ((i = run_end(oc->dirty, i, n, false)) < n) {
		end = run_end(oc->dirty, i, n, true);
		oc->ops[nops++] = (struct uring_op){
			.opcode = URING_READ,
			.fd = o->store_fd,
			.buf = page_buf(oc, i),
			.len = (end - i) << oc->page_shift,
			.off = (first + i) << oc->page_shift,
		};
		i = end;
	}
	uring_run(&oc->io, oc->ops, nops);
	for (k = 0; k < nops; k++) {
		struct uring_op *op = &oc->ops[k];

		if (!op->error && op->done == op->len)
			continue;
		log_err("object %llu: read(store, offset %#llx, %llu bytes): %s",
			(ull)o->id, (ull)op->off, (ull)op->len,
			op->error ? strerror(-op->error) : "short read");
		count(oc, VMO_PSTAT_ERRORS, 1);
		i = ((char *)op->buf - oc->buf) >> oc->page_shift;
		for (j = i; j < i + (op->len >> oc->page_shift); j++)
			oc->dirty[j / 64] &= ~(1ULL << (j % 64));
	}
}

/* Replace the record of page @idx by @rec, freeing the old slot. */
static void set_record(struct objcache *oc, struct pobj *o, uint64_t idx,
		       uint32_t rec)
{
	uint32_t e = slotmap_get(&o->map, idx);

	if (sm_rec_is_slot(sm_rec(e)) && sm_rec(e) != rec)
		backing_free(oc->bk, sm_rec_slot(sm_rec(e)), pobj_reserved(o));
	set_entry(oc, o, idx, (e & ~SM_REC_MASK) | rec);
}

/*
 * Choose where dirty page i (read into buffer page i) goes, and queue
 * its write.  An all-zero page needs no slot: done at once.
 */
static void place_page(struct objcache *oc, struct pobj *o, uint64_t first,
		       uint64_t i, unsigned int *nops)
{
	uint32_t rec = sm_rec(slotmap_get(&o->map, first + i));
	int64_t slot;

	if (page_is_zero(page_buf(oc, i), oc->page_size)) {
		/* Anonymous: absent is zero.  Else absent means the parent. */
		set_record(oc, o, first + i, o->kind == VMO_KIND_ANON ?
			   SM_REC_NONE : SM_REC_ZERO);
		sbit(oc->done, i);
		return;
	}
	if (sm_rec_is_slot(rec)) {
		slot = (int64_t)sm_rec_slot(rec);
	} else {
		slot = backing_alloc(oc->bk, pobj_reserved(o));
		if (slot < 0) {
			count(oc, VMO_PSTAT_BACKING_FULL, 1);
			oc->no_slot[pobj_reserved(o)] = true;
			return;		/* stays dirty and resident */
		}
		set_record(oc, o, first + i, sm_slot_rec((uint64_t)slot));
		if (sm_rec(slotmap_get(&o->map, first + i)) !=
		    sm_slot_rec((uint64_t)slot)) {
			/* Not recorded (no memory): do not write it. */
			backing_free(oc->bk, (uint64_t)slot, pobj_reserved(o));
			return;
		}
	}
	add_slot_op(oc, nops, URING_WRITE, i, (uint64_t)slot);
}

/*
 * The end of a write-out: CLEAN(IF_UNCHANGED) each run of pages written
 * (bits of oc->done).  A page written again meanwhile stays dirty.
 */
static void finish_written(struct objcache *oc, const struct pobj *o,
			   uint64_t first, uint64_t n)
{
	uint64_t i = 0, end, cleaned;

	while ((i = run_end(oc->done, i, n, false)) < n) {
		end = run_end(oc->done, i, n, true);
		if (oc->clean(oc->arg, o, first + i, end - i,
			      VMO_CLEAN_IF_UNCHANGED, NULL, &cleaned))
			count(oc, VMO_PSTAT_ERRORS, 1);
		i = end;
	}
}

/*
 * Write the dirty pages of [first, first + n) (oc->dirty) of an object
 * other than a shared file one to the backing store, record their slots
 * and end the write-out (see the top of paging.h).
 */
static void page_out_dirty(struct objcache *oc, struct pobj *o,
			   uint64_t first, uint64_t n)
{
	unsigned int nops = 0, k;
	uint64_t i, j, pages;

	zbits(oc, oc->done);
	/*
	 * Out of slots (in this scavenge): only pages that have one can go;
	 * do not read the others again and again as the hand comes by.
	 */
	for (i = 0; oc->no_slot[pobj_reserved(o)] && i < n; i++)
		if (!sm_rec_is_slot(sm_rec(slotmap_get(&o->map, first + i))))
			oc->dirty[i / 64] &= ~(1ULL << (i % 64));
	read_dirty(oc, o, first, n);
	for (i = 0; i < n; i++)
		if (tbit(oc->dirty, i))
			place_page(oc, o, first, i, &nops);
	uring_run(&oc->io, oc->ops, nops);
	for (k = 0; k < nops; k++) {
		struct uring_op *op = &oc->ops[k];

		backing_op_settle(op);
		if (op->error) {
			/* They stay dirty; their slots are rewritten later. */
			log_backing_io(oc, o, op);
			continue;
		}
		pages = op->len >> oc->page_shift;
		i = ((char *)op->buf - oc->buf) >> oc->page_shift;
		for (j = i; j < i + pages; j++)
			sbit(oc->done, j);
		count(oc, VMO_PSTAT_PAGES_OUT, pages);
		count(oc, VMO_PSTAT_BACKING_BYTES_WRITTEN, op->done);
	}
	record_written(oc, o, first, n);
	finish_written(oc, o, first, n);
}

/* Shared file object: its dirty pages go to its file. */
static void write_back_dirty(struct objcache *oc, struct pobj *o,
			     uint64_t first, uint64_t n)
{
	uint64_t pages = 0;

	memcpy(oc->bitmap, oc->dirty, oc->bits_words * sizeof(*oc->dirty));
	objcache_write_dirty(oc, o, first, n, &pages);
}

/*
 * Give back what can go of [first, first + n), all present.  Returns
 * the pages dropped.
 */
static uint64_t page_out_present(struct objcache *oc, struct pobj *o,
				 uint64_t first, uint64_t n)
{
	uint64_t ndirty = 0, ndropped = 0, i;
	uint32_t e;

	zbits(oc, oc->dirty);
	if (oc->clean(oc->arg, o, first, n, VMO_CLEAN_KEEP_DIRTY, oc->dirty,
		      &ndirty)) {
		count(oc, VMO_PSTAT_ERRORS, 1);
		return 0;
	}
	if (ndirty && o->kind == VMO_KIND_FILE &&
	    (o->flags & VMO_CREATE_SHARED)) {
		/* Dirty pages stay; the clean ones still go. */
		if (!(oc->spare_memory && o->file_in_memory))
			write_back_dirty(oc, o, first, n);
	} else if (ndirty && oc->bk)
		page_out_dirty(oc, o, first, n);
	zbits(oc, oc->dropped);
	if (oc->evict(oc->arg, o, first, n, oc->dropped, &ndropped)) {
		count(oc, VMO_PSTAT_ERRORS, 1);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!tbit(oc->dropped, i))
			continue;
		e = slotmap_get(&o->map, first + i);
		set_entry(oc, o, first + i, sm_rec(e));
	}
	count(oc, VMO_PSTAT_PAGES_EVICTED, ndropped);
	return ndropped;
}

/* Give back what can go of the victim run [first, first + n). */
static uint64_t page_out_run(struct objcache *oc, struct pobj *o,
			     uint64_t first, uint64_t n)
{
	uint64_t i = 0, end, got = 0;

	if (find_present(oc, o, first, n) <= 0)
		return 0;
	while ((i = run_end(oc->present, i, n, false)) < n) {
		end = run_end(oc->present, i, n, true);
		got += page_out_present(oc, o, first + i, end - i);
		i = end;
	}
	return got;
}

/*
 * Move the clock hand over up to @max victims of one object: pages
 * with SM_RES and without SM_REF (which the hand clears as it passes).
 * Fills @vic (ascending) and returns their number and *@obj; 0 when the
 * budget is spent.
 */
static unsigned int pick_victims(struct objcache *oc, struct pobj **obj,
				 uint64_t *vic, unsigned int max,
				 uint64_t *budget)
{
	struct pobj *o = oc->hand ? oc->hand : oc->lru;
	uint64_t idx = oc->hand ? oc->hand_idx : 0, i;
	unsigned int n = 0;
	uint32_t e;

	while (*budget && n < max) {
		i = o->map.resident ? slotmap_next(&o->map, idx, SM_RES) :
		    SM_NONE;
		(*budget)--;
		if (i == SM_NONE) {
			if (n)
				break;	/* this object's victims first */
			o = o->lru_next;
			idx = 0;
			continue;
		}
		idx = i + 1;
		e = slotmap_get(&o->map, i);
		if (e & SM_REF) {
			set_entry(oc, o, i, e & ~SM_REF);
			continue;
		}
		vic[n++] = i;
	}
	oc->hand = o;
	oc->hand_idx = idx;
	*obj = o;
	return n;
}

/* One pass of the victim clock (see paging_scavenge()). */
static uint64_t scavenge_pass(struct objcache *oc, uint64_t want)
{
	uint64_t vic[PAGING_VICTIMS], budget, got = 0, i, j;
	unsigned int n, max;
	struct pobj *o;

	/*
	 * Every resident entry and every object's end counts: one lap to
	 * clear reference bits, one to take, one more for where the hand
	 * started in the middle of an object.
	 */
	budget = (SCAN_LAPS + 1) * (oc->acct.resident + oc->nr) + 1;
	while (got < want && oc->acct.resident) {
		max = oc->buf_pages < PAGING_VICTIMS ? oc->buf_pages :
		      PAGING_VICTIMS;
		if (want - got < max)
			max = (unsigned int)(want - got);
		n = pick_victims(oc, &o, vic, max, &budget);
		if (!n)
			break;
		/* Contiguous runs: one CLEAN, one write, one EVICT each. */
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && vic[j] == vic[j - 1] + 1; j++)
				;
			got += page_out_run(oc, o, vic[i], j - i);
		}
	}
	return got;
}

uint64_t paging_scavenge(struct objcache *oc, uint64_t want,
			 bool short_of_memory)
{
	uint64_t got;

	if (!oc->evict || !oc->clean || !oc->lru)
		return 0;
	if (oc->freed_pending)
		paging_take_freed(oc);
	oc->no_slot[0] = false;
	oc->no_slot[1] = false;
	/*
	 * Short of memory, writing a shared file object's dirty pages to a
	 * file in memory (tmpfs) would allocate a page for every page it
	 * frees, in an I/O worker that the OOM killer then finds allocating
	 * (seen on the debug kernel): first everything that frees memory
	 * without taking any, those only if that was not enough.
	 */
	oc->spare_memory = short_of_memory;
	got = scavenge_pass(oc, want);
	if (got < want && oc->spare_memory) {
		oc->spare_memory = false;
		got += scavenge_pass(oc, want - got);
	}
	oc->spare_memory = false;
	return got;
}
