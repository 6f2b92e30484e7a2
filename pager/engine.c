// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager fault engine.
 *
 * Serves one client's userfaultfd messages.  MISSING faults are filled
 * from the object's source: zeroes for anonymous objects
 * (UFFDIO_ZEROPAGE), the file for file objects and the nearest ancestor
 * for shadows (read into a bounce buffer, then written into the store),
 * over a window that grows with sequential faults.  MINOR faults (only
 * if a client registered for them; the library does not) are mapped
 * from the store (UFFDIO_CONTINUE).  UNMAP/REMAP events keep the
 * client's map table current.
 *
 * A page with a record in its object's slot map (paged out: a backing
 * store slot, or "all zero") comes from there first, whatever the kind
 * (paging.h); fills from other sources stop before such pages.
 *
 * A page copied from a file, a parent or the backing store is a clean
 * copy of its source: it is written into the store, where no mapping
 * has it yet, marked clean (VMO_IOC_PAGER_CLEAN; a page some mapping
 * wrote meanwhile stays dirty), and only then is the faulting thread
 * woken.  It faults again and the kernel maps the store's page itself,
 * with a clean page table entry (a later write marks the page dirty)
 * and its own fault-around: the rest of the fill is mapped without the
 * pager.  UFFDIO_COPY would map the page dirty, so every fill would
 * need the page cleaned in the client's page tables, one TLB flush per
 * page.
 *
 * Two kernel rules shape the error handling:
 *  - a resolve that fails does not wake the faulting thread, so every
 *    failure that leaves a thread waiting for something that is now
 *    there (a racing resolve, a page that vanished, an mm that was
 *    changing) is followed by UFFDIO_WAKE: the thread faults again and
 *    the new fault is served from the state as it is now;
 *  - a fault we cannot serve at all (no object there) is not woken, as
 *    the thread would only fault again at once, in a busy loop.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "paging.h"
#include "vmo_pstat_names.h"

/* read(2) calls per engine_drain(), so one busy client cannot starve others. */
#define ENGINE_DRAIN_ROUNDS	16

typedef unsigned long long ull;


const char *engine_counter_name(unsigned int idx)
{
	return idx < VMO_PSTAT_NR ? vmo_pstat_names[idx] : NULL;
}

void engine_print_counters(const struct vmo_counters *ctr, FILE *f)
{
	unsigned int i;

	for (i = 0; i < VMO_PSTAT_NR; i++)
		fprintf(f, "%s %llu\n", vmo_pstat_names[i], (ull)ctr->c[i]);
	fflush(f);
}

int engine_init(struct engine_ctx *ctx, unsigned int cluster,
		engine_lookup_fn lookup, void *lookup_arg)
{
	long ps = sysconf(_SC_PAGESIZE);

	memset(ctx, 0, sizeof(*ctx));
	if (cluster < 1)
		cluster = 1;
	if (cluster > ENGINE_CLUSTER_MAX)
		cluster = ENGINE_CLUSTER_MAX;
	ctx->cluster = cluster;
	ctx->page_size = ps > 0 ? (uint64_t)ps : 4096;
	ctx->lookup = lookup;
	ctx->lookup_arg = lookup_arg;
	/* The bounce buffer holds the largest fill. */
	return objcache_init(&ctx->objs, ctx->page_size, ENGINE_CLUSTER_MAX,
			     ctx->ctr.c);
}

void engine_set_objects(struct engine_ctx *ctx, objcache_open_fn open,
			objcache_clean_fn clean, objcache_evict_fn evict,
			void *arg)
{
	objcache_set_ops(&ctx->objs, open, clean, evict, arg);
}

void engine_set_backing(struct engine_ctx *ctx, struct backing *bk)
{
	objcache_set_backing(&ctx->objs, bk);
	engine_update_gauges(ctx);
}

uint64_t engine_scavenge(struct engine_ctx *ctx, uint64_t want,
			 bool short_of_memory)
{
	uint64_t got = paging_scavenge(&ctx->objs, want, short_of_memory);

	engine_update_gauges(ctx);
	return got;
}

void engine_set_sigbus(struct engine_ctx *ctx, engine_sigbus_fn fn)
{
	ctx->sigbus = fn;
}

void engine_set_fill_gate(struct engine_ctx *ctx, engine_fill_gate_fn gate,
			  void *arg)
{
	ctx->fill_gate = gate;
	ctx->gate_arg = arg;
}

void engine_update_gauges(struct engine_ctx *ctx)
{
	const struct backing *bk = ctx->objs.bk;
	uint64_t meta = ctx->objs.acct.bytes;

	if (bk) {
		meta += backing_meta_bytes(bk);
		ctx->ctr.c[VMO_PSTAT_BACKING_SLOTS_USED] = bk->used;
		ctx->ctr.c[VMO_PSTAT_BACKING_SLOTS_FREE] =
			backing_free_slots(bk);
	}
	ctx->ctr.c[VMO_PSTAT_META_BYTES] = meta;
}

void engine_set_records(struct engine_ctx *ctx, objcache_record_fn record)
{
	ctx->objs.record = record;
}

int engine_adopt_records(struct engine_ctx *ctx, uint64_t *adopted)
{
	int ret = paging_adopt(&ctx->objs, adopted);

	engine_update_gauges(ctx);
	return ret;
}

void engine_records_freed(struct engine_ctx *ctx)
{
	paging_take_freed(&ctx->objs);
	engine_update_gauges(ctx);
}

void engine_destroy(struct engine_ctx *ctx)
{
	objcache_destroy(&ctx->objs);
}

void engine_client_init(struct engine_client *c, const struct engine_ctx *ctx,
			int uffd, uint64_t id, uint32_t pid)
{
	memset(c, 0, sizeof(*c));
	c->uffd = uffd;
	c->id = id;
	c->pid = pid;
	maptable_init(&c->mt, ctx->page_size);
}

static void engine_forget_deferred(struct engine_ctx *ctx,
				   const struct engine_client *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < ctx->ndeferred; i++)
		if (ctx->deferred[i].c != c)
			ctx->deferred[n++] = ctx->deferred[i];
	ctx->ndeferred = n;
}

void engine_client_destroy(struct engine_ctx *ctx, struct engine_client *c)
{
	engine_forget_deferred(ctx, c);
	if (c->uffd >= 0 && close(c->uffd) < 0)
		log_err("client %llu: close(userfaultfd): %s", (ull)c->id,
			strerror(errno));
	c->uffd = -1;
	maptable_free(&c->mt);
}

static inline void count(struct engine_ctx *ctx, enum vmo_pstat idx,
			 uint64_t n)
{
	ctx->ctr.c[idx] += n;
}

int engine_wake(struct engine_ctx *ctx, struct engine_client *c,
		uint64_t start, uint64_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	if (ioctl(c->uffd, UFFDIO_WAKE, &range) < 0)
		return -errno;
	count(ctx, VMO_PSTAT_WAKES, 1);
	return 0;
}

/* Wake the threads waiting in [addr, addr + len). */
static void engine_wake_range(struct engine_ctx *ctx, struct engine_client *c,
			      uint64_t addr, uint64_t len)
{
	int ret = engine_wake(ctx, c, addr, len);

	/* ENOENT/ESRCH: the address space is gone, nobody to wake. */
	if (ret && ret != -ENOENT && ret != -ESRCH) {
		count(ctx, VMO_PSTAT_ERRORS, 1);
		log_err("client %llu: UFFDIO_WAKE [%#llx, %#llx): %s",
			(ull)c->id, (ull)addr, (ull)(addr + len),
			strerror(-ret));
	}
}

/* Make the thread waiting on @addr fault again. */
static void engine_wake_page(struct engine_ctx *ctx, struct engine_client *c,
			     uint64_t addr)
{
	engine_wake_range(ctx, c, addr, ctx->page_size);
}

/*
 * Wake the thread waiting on @addr ENGINE_RETRY_MS from now (see
 * struct engine_deferred), or at once if too many wait already.
 */
static void engine_defer_wake(struct engine_ctx *ctx, struct engine_client *c,
			      uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < ctx->ndeferred; i++)
		if (ctx->deferred[i].c == c && ctx->deferred[i].addr == addr)
			return;
	if (ctx->ndeferred == ENGINE_DEFERRED_MAX) {
		engine_wake_page(ctx, c, addr);
		return;
	}
	if (!ctx->ndeferred)
		ctx->deferred_due = clock_now_ns() + ENGINE_RETRY_MS * 1000000ULL;
	ctx->deferred[ctx->ndeferred].c = c;
	ctx->deferred[ctx->ndeferred].addr = addr;
	ctx->ndeferred++;
	count(ctx, VMO_PSTAT_FAULTS_DEFERRED, 1);
}

int engine_deferred_timeout(const struct engine_ctx *ctx)
{
	return ctx->ndeferred ? clock_ms_until(ctx->deferred_due) : -1;
}

void engine_wake_deferred(struct engine_ctx *ctx)
{
	unsigned int i, n;

	/* Faults waiting for a slow file's read: has it ended? */
	objcache_reap(&ctx->objs);
	n = ctx->ndeferred;
	if (!n || clock_ms_until(ctx->deferred_due))
		return;
	ctx->ndeferred = 0;
	for (i = 0; i < n; i++)
		engine_wake_page(ctx, ctx->deferred[i].c,
				 ctx->deferred[i].addr);
}

/*
 * UFFDIO_ZEROPAGE, UFFDIO_COPY and UFFDIO_CONTINUE report twice: the
 * ioctl's result and a field for the bytes done or -errno.  The kernel
 * leaves the field alone when it fails before trying (6.1:
 * mmap_changing, bad range, mm gone), and on a partial resolve it fails
 * with EAGAIN while the field holds the bytes that were done (and woken,
 * unless DONTWAKE).  Fold both into one value: bytes done (> 0) or
 * -errno.
 */
static int64_t uffd_result(int rc, int err, int64_t field)
{
	if (field != 0)
		return field;
	if (rc < 0)
		return -err;
	return -EIO;	/* success with nothing done: cannot happen */
}

static int64_t uffd_zeropage(int uffd, uint64_t start, uint64_t len)
{
	struct uffdio_zeropage zp = {
		.range = { .start = start, .len = len },
	};
	int rc = ioctl(uffd, UFFDIO_ZEROPAGE, &zp);

	return uffd_result(rc, errno, zp.zeropage);
}

static int64_t uffd_continue(int uffd, uint64_t start, uint64_t len)
{
	struct uffdio_continue cont = {
		.range = { .start = start, .len = len },
	};
	int rc = ioctl(uffd, UFFDIO_CONTINUE, &cont);

	return uffd_result(rc, errno, cont.mapped);
}

/* Can a fill that failed with @err succeed if tried again later? */
static bool engine_may_pass(int err)
{
	switch (err) {
	case -ENOMEM:	/* memory (a memcg limit too: the kernel OOM-retries) */
	case -EAGAIN:
	case -EINTR:
	case -EMFILE:	/* an fd for the object */
	case -ENFILE:
	case -ENOBUFS:
		return true;
	}
	return false;
}

/*
 * A fill at @addr failed with @err (logged where it failed).  A failure
 * that may pass (no memory) wakes the thread to fault again after a
 * pause (engine_defer_wake()).  Any other means the page can never be
 * served (its file or its backing store slot cannot be read, the store
 * is full): the thread gets SIGBUS, as the kernel's own fault path
 * would give it, then is woken to take it.  A client whose messages
 * name no thread (no UFFD_FEATURE_THREAD_ID), or a pager that cannot
 * signal, leaves it waiting: a new pager tries again.
 */
static void engine_fill_failed(struct engine_ctx *ctx,
			       struct engine_client *c, uint64_t addr,
			       int err)
{
	if (engine_may_pass(err)) {
		engine_defer_wake(ctx, c, addr);
		return;
	}
	if (!ctx->sigbus || !ctx->fault_tid) {
		log_warn("client %llu: fault at %#llx cannot be served (%s): left waiting",
			 (ull)c->id, (ull)addr, strerror(-err));
		return;
	}
	if (ctx->sigbus(ctx, c, addr, ctx->fault_tid))
		return;		/* logged by the callback */
	count(ctx, VMO_PSTAT_FAULTS_SIGBUS, 1);
	log_warn("client %llu: fault at %#llx cannot be served (%s): SIGBUS to thread %u",
		 (ull)c->id, (ull)addr, strerror(-err), ctx->fault_tid);
	engine_wake_page(ctx, c, addr);
}

/*
 * A resolve of the page at @addr failed with @err.  @vanished_retry:
 * EFAULT means the page left the store (CONTINUE), so a new fault will
 * be a MISSING one that we can serve.
 */
static void engine_resolve_failed(struct engine_ctx *ctx,
				  struct engine_client *c, const char *what,
				  uint64_t addr, int64_t err,
				  bool vanished_retry)
{
	switch (err) {
	case -EEXIST:
		/* Another thread's fault got the page there first. */
		count(ctx, VMO_PSTAT_RACES, 1);
		engine_wake_page(ctx, c, addr);
		return;
	case -EAGAIN:
		/* The mm was changing (mremap, munmap): try again. */
		engine_wake_page(ctx, c, addr);
		return;
	case -EFAULT:
		if (!vanished_retry)
			break;
		engine_wake_page(ctx, c, addr);
		return;
	case -ENOENT:
	case -ESRCH:
		/*
		 * The mapping or the process went away meanwhile.  Woken,
		 * the thread faults again and meets what is there now:
		 * nothing (SIGSEGV, as natively) or a new mapping.
		 */
		log_debug("client %llu: %s at %#llx: %s", (ull)c->id, what,
			  (ull)addr, strerror((int)-err));
		count(ctx, VMO_PSTAT_RACES, 1);
		engine_wake_page(ctx, c, addr);
		return;
	}
	count(ctx, VMO_PSTAT_ERRORS, 1);
	log_err("client %llu: %s at %#llx: %s", (ull)c->id, what, (ull)addr,
		strerror((int)-err));
	engine_fill_failed(ctx, c, addr, (int)err);
}

static bool range_holds(const struct vmo_range *r, uint64_t addr,
			uint64_t page_size)
{
	return r->start <= addr && addr < r->end &&
	       !(r->start & (page_size - 1)) && !(r->end & (page_size - 1));
}

/*
 * The range holding @addr: from the table, else from the lookup
 * callback (then cached).  NULL, counted and logged, if there is none.
 * @tmp holds the answer when the table cannot take it.
 */
static struct vmo_range *engine_find(struct engine_ctx *ctx,
				     struct engine_client *c, uint64_t addr,
				     struct vmo_range *tmp)
{
	struct vmo_range *r = maptable_lookup(&c->mt, addr);
	int ret = -ENOENT;

	if (r)
		return r;
	memset(tmp, 0, sizeof(*tmp));
	if (ctx->lookup) {
		count(ctx, VMO_PSTAT_LOOKUPS, 1);
		ret = ctx->lookup(ctx, c, addr, tmp);
	}
	if (!ret && !range_holds(tmp, addr, ctx->page_size)) {
		log_err("client %llu: lookup of %#llx answered [%#llx, %#llx)",
			(ull)c->id, (ull)addr, (ull)tmp->start,
			(ull)tmp->end);
		ret = -EPROTO;
	}
	if (ret) {
		if (ret != -ENOENT)
			count(ctx, VMO_PSTAT_ERRORS, 1);
		if (ret == -ESRCH) {
			log_debug("client %llu: gone, fault at %#llx dropped",
				  (ull)c->id, (ull)addr);
		} else if (ret == -ENOENT) {
			/*
			 * Nothing is mapped there any more (unmapped while
			 * the fault waited): woken, the thread faults again
			 * and gets SIGSEGV, as natively.
			 */
			count(ctx, VMO_PSTAT_RACES, 1);
			engine_wake_page(ctx, c, addr);
		} else if (ret != -ENXIO) {
			/* No memory, or the module's answer was unusable. */
			log_err("client %llu: lookup of %#llx: %s",
				(ull)c->id, (ull)addr, strerror(-ret));
			engine_defer_wake(ctx, c, addr);
		} else if (!c->warned_unmapped) {
			/* Waking it would only make it fault again. */
			log_warn("client %llu (pid %u): fault at %#llx in a mapping that is no object, left waiting (logged once per client)",
				 (ull)c->id, c->pid, (ull)addr);
			c->warned_unmapped = true;
		}
		return NULL;
	}
	log_debug("client %llu: [%#llx, %#llx) is object %llu pgoff %llu",
		  (ull)c->id, (ull)tmp->start, (ull)tmp->end,
		  (ull)tmp->obj_id, (ull)tmp->pgoff);
	if (!maptable_insert(&c->mt, tmp)) {
		r = maptable_lookup(&c->mt, addr);
		if (r)
			return r;
	}
	return tmp;
}

/*
 * Pages a fill at @addr may cover, at most @window: up to the end of
 * the range and of the object (the store ends there; a fill past it
 * would fail).  Always at least the faulting page.
 */
static uint64_t fill_pages(const struct engine_ctx *ctx,
			   const struct vmo_range *r, uint64_t addr,
			   uint64_t window)
{
	unsigned int shift = __builtin_ctzll(ctx->page_size);
	uint64_t pages = (r->end - addr) >> shift;

	if (r->obj_size) {
		uint64_t idx = r->pgoff + ((addr - r->start) >> shift);
		uint64_t obj_pages = r->obj_size >> shift;

		if (idx < obj_pages && obj_pages - idx < pages)
			pages = obj_pages - idx;
	}
	if (pages > window)
		pages = window;
	return pages ? pages : 1;
}

/* Object page index of @addr, which lies in @r. */
static uint64_t page_index(const struct engine_ctx *ctx,
			   const struct vmo_range *r, uint64_t addr)
{
	return r->pgoff + ((addr - r->start) >> __builtin_ctzll(ctx->page_size));
}

/*
 * Pages a fill at @addr may take: like read-ahead, a fault right where
 * the range's previous fill ended doubles the window (up to --cluster),
 * any other fault resets it to one page.
 */
static uint64_t ra_window(const struct engine_ctx *ctx,
			  const struct vmo_range *r, uint64_t addr)
{
	uint64_t window = 1;

	if (r->ra_pages && addr == r->ra_next) {
		window = (uint64_t)r->ra_pages * 2;
		if (window > ctx->cluster)
			window = ctx->cluster;
	}
	return window;
}

static void ra_update(struct vmo_range *r, uint64_t addr, uint64_t bytes,
		      uint64_t window)
{
	r->ra_next = addr + bytes;
	r->ra_pages = window;
}

/*
 * Pages from @idx on, at most @pages, that no record claims: a fill
 * from the object's source must not cover a paged-out page.  At least
 * 1 (the faulting page has none, or we would not be here).
 */
static uint64_t unrecorded(const struct pobj *o, uint64_t idx, uint64_t pages)
{
	uint64_t n = o ? paging_record_run(o, idx, pages, false) : pages;

	return n ? n : 1;
}

/*
 * Demand-zero fill.  @o: the object if it is open (its records limit
 * the window and its map tracks the pages), or NULL.
 */
static void engine_fill_zero(struct engine_ctx *ctx, struct engine_client *c,
			     struct vmo_range *r, struct pobj *o,
			     uint64_t addr)
{
	uint64_t ps = ctx->page_size, window = ra_window(ctx, r, addr), pages;
	uint64_t idx = page_index(ctx, r, addr);
	int64_t done;

	pages = unrecorded(o, idx, fill_pages(ctx, r, addr, window));
	done = uffd_zeropage(c->uffd, addr, pages * ps);
	if (done == -ENOENT && pages > 1) {
		/*
		 * A fill must lie in one VMA and a range can span several
		 * (mprotect or mlock split it without any uffd event):
		 * fall back to the faulting page alone.
		 */
		done = uffd_zeropage(c->uffd, addr, ps);
	}
	if (done > 0) {
		count(ctx, VMO_PSTAT_PAGES_ZEROED, (uint64_t)done / ps);
		ra_update(r, addr, (uint64_t)done, window);
		if (o && (r->flags & VMO_MAP_SHARED))
			paging_filled(&ctx->objs, o, idx, (uint64_t)done / ps);
		return;
	}
	engine_resolve_failed(ctx, c, "UFFDIO_ZEROPAGE", addr, done, false);
}

/*
 * Pages of a fill of @pages at page @idx of @o that its store lacks:
 * the fill stops before the first page already there.  0 if the
 * faulting page itself is there (filled since the fault was raised):
 * then the thread is woken to find it, or, on an error, left waiting
 * (logged; see engine_fill_object()).
 */
static uint64_t engine_holes(struct engine_ctx *ctx, struct engine_client *c,
			     struct pobj *o, uint64_t addr, uint64_t idx,
			     uint64_t pages)
{
	int64_t n = objcache_store_holes(&ctx->objs, o, idx, pages);

	if (n > 0)
		return (uint64_t)n;
	if (!n)
		engine_resolve_failed(ctx, c, "fill", addr, -EEXIST, false);
	return 0;
}

/*
 * Resolve the fault at @fault with the first @pages pages of the bounce
 * buffer, the contents of pages [idx, idx + pages) of @o, mapped from
 * @addr on, which its store lacks (engine_holes()): write them into the
 * store, mark them clean, wake (see the top).  A write that stops short
 * of the faulting page (a page there after all, no memory) still wakes
 * its thread, which faults again.  Returns the pages filled, 0 if none
 * (the failure is handled).
 */
static uint64_t engine_store_fill(struct engine_ctx *ctx,
				  struct engine_client *c, struct pobj *o,
				  uint64_t addr, uint64_t idx, uint64_t pages,
				  uint64_t fault)
{
	int64_t done = objcache_store_write(&ctx->objs, o, idx, pages);
	uint64_t n;

	if (done <= 0) {
		engine_resolve_failed(ctx, c, "write(store)", fault, done,
				      false);
		return 0;
	}
	n = (uint64_t)done;
	objcache_clean_filled(&ctx->objs, o, idx, n);
	paging_filled(&ctx->objs, o, idx, n);
	engine_wake_range(ctx, c, addr, n * ctx->page_size);
	if (fault - addr >= n * ctx->page_size)
		engine_wake_page(ctx, c, fault);
	return n;
}

/*
 * First page of a file fill for a fault at page @idx: the start of the
 * aligned block of ENGINE_FILE_BLOCK pages holding it, as the kernel's
 * fault-around maps a file's page cache, unless that block starts
 * before the range, or something (a page in the store, a record) lies
 * between its start and @idx: then @idx itself.
 */
static uint64_t file_fill_start(struct engine_ctx *ctx,
				const struct vmo_range *r, struct pobj *o,
				uint64_t idx)
{
	uint64_t start = idx & ~(uint64_t)(ENGINE_FILE_BLOCK - 1);

	if (start == idx || start < r->pgoff)
		return idx;
	if (paging_record_run(o, start, idx - start + 1, false) !=
	    idx - start + 1)
		return idx;
	if (objcache_store_holes(&ctx->objs, o, start, idx - start + 1) !=
	    (int64_t)(idx - start + 1))
		return idx;
	return start;
}

/*
 * A file fill covers the fault's aligned block (file_fill_start()) and,
 * for a sequential stream, the read-ahead window from the fault on:
 * random reads then cost what a native fault with fault-around costs
 * in page cache pages, and the woken thread's new fault maps the block.
 */
static void engine_fill_file(struct engine_ctx *ctx, struct engine_client *c,
			     struct vmo_range *r, struct pobj *o,
			     uint64_t addr)
{
	uint64_t ps = ctx->page_size, idx = page_index(ctx, r, addr);
	uint64_t window = ra_window(ctx, r, addr), pages, n, start, at;
	int ret;

	start = file_fill_start(ctx, r, o, idx);
	if (idx - start >= ctx->cluster)
		start = idx;	/* --cluster bounds every fill */
	at = addr - (idx - start) * ps;
	pages = idx - start + window;
	if (pages < ENGINE_FILE_BLOCK && !(start % ENGINE_FILE_BLOCK))
		pages = ENGINE_FILE_BLOCK;
	if (pages > ctx->cluster)
		pages = ctx->cluster;
	pages = fill_pages(ctx, r, at, pages);
	pages = unrecorded(o, start, pages);
	pages = objcache_file_pages(&ctx->objs, o, start, pages);
	pages = engine_holes(ctx, c, o, addr, start, pages);
	if (!pages)
		return;
	ret = objcache_read_file(&ctx->objs, o, start, pages);
	if (ret) {
		engine_fill_failed(ctx, c, addr, ret);
		return;
	}
	n = engine_store_fill(ctx, c, o, at, start, pages, addr);
	if (!n)
		return;
	count(ctx, VMO_PSTAT_PAGES_FILE, n);
	/* A stream that filled a whole block goes on from its size. */
	ra_update(r, at, n * ps, n > window ? n : window);
}

/*
 * One page at a time: a shadow's page is frozen at the shadow's first
 * access to it (objects.c), so filling pages ahead of the accesses
 * would freeze them too early.
 */
static void engine_fill_shadow(struct engine_ctx *ctx, struct engine_client *c,
			       const struct vmo_range *r, struct pobj *o,
			       uint64_t addr)
{
	uint64_t idx = page_index(ctx, r, addr), n;
	int src;

	if (!engine_holes(ctx, c, o, addr, idx, 1))
		return;
	src = objcache_read_shadow(&ctx->objs, o, idx);
	if (src < 0) {
		engine_fill_failed(ctx, c, addr, src);
		return;
	}
	n = engine_store_fill(ctx, c, o, addr, idx, 1, addr);
	count(ctx, src == FILL_ZERO ? VMO_PSTAT_PAGES_SHADOW_ZERO :
	      VMO_PSTAT_PAGES_PARENT, n);
}

/*
 * Page-in: the faulting page, and the pages after it (read-ahead
 * window) that are paged out too, from the backing store; copied in
 * and marked clean like any fill (they equal their slots now, so they
 * can go again without a write).
 */
static bool engine_page_in(struct engine_ctx *ctx, struct engine_client *c,
			   struct vmo_range *r, struct pobj *o, uint64_t addr,
			   uint64_t pages, uint64_t window)
{
	uint64_t idx = page_index(ctx, r, addr), n;
	int ret;

	pages = paging_record_run(o, idx, pages, true);
	if (!pages)
		return false;	/* no record after all: from its source */
	pages = engine_holes(ctx, c, o, addr, idx, pages);
	if (!pages)
		return true;
	ret = paging_read_in(&ctx->objs, o, idx, pages);
	if (ret) {
		engine_fill_failed(ctx, c, addr, ret);
		return true;
	}
	n = engine_store_fill(ctx, c, o, addr, idx, pages, addr);
	if (!n)
		return true;
	count(ctx, VMO_PSTAT_PAGES_IN, n);
	ra_update(r, addr, n * ctx->page_size, window);
	return true;
}

static bool engine_fill_backing(struct engine_ctx *ctx,
				struct engine_client *c, struct vmo_range *r,
				struct pobj *o, uint64_t addr)
{
	uint64_t idx = page_index(ctx, r, addr);
	uint64_t window = ra_window(ctx, r, addr), pages;
	bool served;
	int ret;

	pages = fill_pages(ctx, r, addr, window);
	pages = paging_record_run(o, idx, pages, true);
	/*
	 * The module's records first: a client may have punched pages
	 * out since we recorded them, and no punch may happen until the
	 * store is filled (paging_confirm()).  A punch under way: the
	 * thread faults again after it.  Other errors are logged where
	 * they happened, see engine_fill_failed().
	 */
	ret = paging_confirm(&ctx->objs, o, idx, pages, true);
	if (ret == -EAGAIN) {
		count(ctx, VMO_PSTAT_RACES, 1);
		engine_wake_page(ctx, c, addr);
		return true;
	}
	if (ret) {
		engine_fill_failed(ctx, c, addr, ret);
		return true;
	}
	served = engine_page_in(ctx, c, r, o, addr, pages, window);
	paging_fill_done(&ctx->objs, o);
	return served;
}

static void engine_kind_not_served(struct engine_ctx *ctx,
				   struct engine_client *c,
				   const struct vmo_range *r, uint64_t addr)
{
	count(ctx, VMO_PSTAT_ERRORS, 1);
	if (!c->warned_kind)
		log_err("client %llu: object %llu is of kind %u, not served: fault at %#llx left waiting (logged once per client)",
			(ull)c->id, (ull)r->obj_id, r->kind, (ull)addr);
	c->warned_kind = true;
}

/*
 * File and shadow fills need the object's fds.  An object that cannot
 * be opened now (no fd, no memory; gone with its mapping) is retried
 * after a pause; one whose description is unusable, or a fill that can
 * never succeed, ends the fault with SIGBUS (engine_fill_failed()).
 */
static void engine_fill_object(struct engine_ctx *ctx, struct engine_client *c,
			       struct vmo_range *r, uint64_t addr)
{
	struct pobj *o;
	int ret = objcache_get(&ctx->objs, r->obj_id, &o);

	if (ret && r->kind == VMO_KIND_ANON) {
		/*
		 * Not open, so nothing of it was paged out: zero is right
		 * (the page just cannot be tracked).
		 */
		engine_fill_zero(ctx, c, r, NULL, addr);
		return;
	}
	if (ret == -EOPNOTSUPP) {
		engine_kind_not_served(ctx, c, r, addr);
		return;
	}
	if (ret == -ENOENT) {
		/*
		 * Gone: its mapping went meanwhile (a mapping keeps its
		 * object), and the woken thread meets what is there now.
		 */
		count(ctx, VMO_PSTAT_RACES, 1);
		log_debug("client %llu: fault at %#llx in object %llu, which is gone",
			  (ull)c->id, (ull)addr, (ull)r->obj_id);
		engine_defer_wake(ctx, c, addr);
		return;
	}
	if (ret) {
		/* Counted and logged where it failed. */
		log_debug("client %llu: fault at %#llx: object %llu: %s",
			  (ull)c->id, (ull)addr, (ull)r->obj_id,
			  strerror(-ret));
		engine_fill_failed(ctx, c, addr, ret);
		return;
	}
	if (sm_rec(slotmap_get(&o->map, page_index(ctx, r, addr))) &&
	    engine_fill_backing(ctx, c, r, o, addr))
		return;
	switch (o->kind) {
	case VMO_KIND_FILE:
		engine_fill_file(ctx, c, r, o, addr);
		break;
	case VMO_KIND_SHADOW:
		engine_fill_shadow(ctx, c, r, o, addr);
		break;
	default:
		/* The module's own answer says anonymous. */
		engine_fill_zero(ctx, c, r, o, addr);
		break;
	}
}

static void engine_missing(struct engine_ctx *ctx, struct engine_client *c,
			   struct vmo_range *r, uint64_t addr)
{
	/*
	 * Before anything is decided: giving pages back changes which
	 * pages are present and which have records, and uses the bounce
	 * buffer.
	 */
	if (ctx->fill_gate)
		ctx->fill_gate(ctx, fill_pages(ctx, r, addr,
					       ra_window(ctx, r, addr)));
	switch (r->kind) {
	case VMO_KIND_ANON:
		/* Paged out only if tracked, which needs the object open. */
		if (paging_tracks(&ctx->objs, VMO_KIND_ANON))
			engine_fill_object(ctx, c, r, addr);
		else
			engine_fill_zero(ctx, c, r, NULL, addr);
		break;
	case VMO_KIND_FILE:
	case VMO_KIND_SHADOW:
		engine_fill_object(ctx, c, r, addr);
		break;
	default:
		engine_kind_not_served(ctx, c, r, addr);
		break;
	}
}

/*
 * A MINOR fault (a client that registered MINOR mode) says the page is
 * in the store and being used: tell the victim clock.
 */
static void engine_touch(struct engine_ctx *ctx, const struct vmo_range *r,
			 uint64_t addr)
{
	struct pobj *o;

	if (!paging_tracks(&ctx->objs, r->kind) ||
	    objcache_get(&ctx->objs, r->obj_id, &o))
		return;
	paging_touched(&ctx->objs, o, page_index(ctx, r, addr));
}

/* The page is in the store, only the page table entry is missing. */
static void engine_minor(struct engine_ctx *ctx, struct engine_client *c,
			 const struct vmo_range *r, uint64_t addr)
{
	int64_t done = uffd_continue(c->uffd, addr, ctx->page_size);

	if (done > 0) {
		count(ctx, VMO_PSTAT_PAGES_CONTINUED,
		      (uint64_t)done / ctx->page_size);
		engine_touch(ctx, r, addr);
		return;
	}
	engine_resolve_failed(ctx, c, "UFFDIO_CONTINUE", addr, done, true);
}

/*
 * A write to a page write-protected through the uffd.  The library
 * registers WP mode only so that the kernel tracks writes to shared
 * pages (see lib/libvmo.c) and nothing here write-protects a page, so
 * only a client that did UFFDIO_WRITEPROTECT itself gets here: lift it
 * (which wakes the thread), or the thread would fault forever.
 */
static void engine_wp(struct engine_ctx *ctx, struct engine_client *c,
		      uint64_t addr)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = addr, .len = ctx->page_size },
		.mode = 0,
	};

	log_debug("client %llu: write-protect fault at %#llx: lifted",
		  (ull)c->id, (ull)addr);
	count(ctx, VMO_PSTAT_FAULTS_WP, 1);
	if (!ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp))
		return;
	engine_resolve_failed(ctx, c, "UFFDIO_WRITEPROTECT", addr, -errno,
			      false);
}

static void engine_fault(struct engine_ctx *ctx, struct engine_client *c,
			 const struct uffd_msg *msg)
{
	uint64_t addr = msg->arg.pagefault.address & ~(ctx->page_size - 1);
	bool minor = msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR;
	struct vmo_range tmp, *r;

	if (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
		engine_wp(ctx, c, addr);
		return;
	}

	count(ctx, minor ? VMO_PSTAT_FAULTS_MINOR : VMO_PSTAT_FAULTS_MISSING,
	      1);
	log_debug("client %llu: %s fault at %#llx%s", (ull)c->id,
		  minor ? "minor" : "missing", (ull)addr,
		  msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE ?
		  " (write)" : "");
	ctx->fault_tid = msg->arg.pagefault.feat.ptid;
	r = engine_find(ctx, c, addr, &tmp);
	if (!r)
		return;
	if (minor)
		engine_minor(ctx, c, r, addr);
	else
		engine_missing(ctx, c, r, addr);
}

static void engine_fork(struct engine_ctx *ctx, struct engine_client *c,
			const struct uffd_msg *msg)
{
	int ufd = (int)msg->arg.fork.ufd;

	count(ctx, VMO_PSTAT_EV_FORK, 1);
	/*
	 * The library does not ask for fork events (children attach on
	 * their own); if one comes anyway, do not keep the child's uffd
	 * open: without a holder its faults fall back to the kernel.
	 */
	log_warn("client %llu: unexpected UFFD_EVENT_FORK, closing the child's userfaultfd %d",
		 (ull)c->id, ufd);
	if (close(ufd) < 0)
		log_err("client %llu: close(forked userfaultfd %d): %s",
			(ull)c->id, ufd, strerror(errno));
}

int engine_handle_msg(struct engine_ctx *ctx, struct engine_client *c,
		      const struct uffd_msg *msg)
{
	int ret = 0;

	switch (msg->event) {
	case UFFD_EVENT_PAGEFAULT:
		engine_fault(ctx, c, msg);
		break;
	case UFFD_EVENT_UNMAP:
		count(ctx, VMO_PSTAT_EV_UNMAP, 1);
		log_debug("client %llu: unmap [%#llx, %#llx)", (ull)c->id,
			  (ull)msg->arg.remove.start, (ull)msg->arg.remove.end);
		maptable_remove(&c->mt, msg->arg.remove.start,
				msg->arg.remove.end);
		break;
	case UFFD_EVENT_REMAP:
		count(ctx, VMO_PSTAT_EV_REMAP, 1);
		log_debug("client %llu: remap %#llx -> %#llx (%#llx bytes)",
			  (ull)c->id, (ull)msg->arg.remap.from,
			  (ull)msg->arg.remap.to, (ull)msg->arg.remap.len);
		ret = maptable_move(&c->mt, msg->arg.remap.from,
				    msg->arg.remap.to, msg->arg.remap.len);
		if (ret)
			log_warn("client %llu: remap %#llx -> %#llx: %s; ranges left to lookups",
				 (ull)c->id, (ull)msg->arg.remap.from,
				 (ull)msg->arg.remap.to, strerror(-ret));
		break;
	case UFFD_EVENT_REMOVE:
		/* madvise(DONTNEED/REMOVE): later faults say what is left. */
		count(ctx, VMO_PSTAT_EV_REMOVE, 1);
		break;
	case UFFD_EVENT_FORK:
		engine_fork(ctx, c, msg);
		break;
	default:
		count(ctx, VMO_PSTAT_ERRORS, 1);
		log_err("client %llu: unknown userfaultfd event %#x",
			(ull)c->id, msg->event);
		break;
	}
	return ret;
}

int engine_sync(struct engine_ctx *ctx, uint64_t obj_id, uint64_t *pages)
{
	struct pobj *o;
	int ret;

	*pages = 0;
	count(ctx, VMO_PSTAT_SYNCS, 1);
	ret = objcache_get(&ctx->objs, obj_id, &o);
	if (ret == -ENOENT || ret == -EOPNOTSUPP) {
		count(ctx, VMO_PSTAT_ERRORS, 1);
		log_err("object %llu: write-back: %s", (ull)obj_id,
			ret == -ENOENT ? "no such object" :
			"no object source configured");
	}
	if (ret)
		return ret;
	return objcache_writeback(&ctx->objs, o, pages);
}

void engine_object_gone(struct engine_ctx *ctx, uint64_t obj_id)
{
	objcache_forget(&ctx->objs, obj_id);
}

size_t engine_objects_exist(struct engine_ctx *ctx, const uint64_t *ids,
			    size_t n)
{
	size_t gone = objcache_forget_unlisted(&ctx->objs, ids, n);

	engine_update_gauges(ctx);
	return gone;
}

int engine_drain(struct engine_ctx *ctx, struct engine_client *c)
{
	struct uffd_msg msgs[ENGINE_BATCH];
	int handled = 0, round;
	ssize_t n;
	size_t i, nr;

	for (round = 0; round < ENGINE_DRAIN_ROUNDS; round++) {
		n = read(c->uffd, msgs, sizeof(msgs));
		if (n < 0) {
			/* The daemon's read guard: the read blocked. */
			if (errno == EINTR)
				return -EINTR;
			if (errno == EAGAIN)
				break;
			if (errno == EBADF || errno == EINVAL) {
				/* Not a usable uffd (closed, no UFFDIO_API). */
				log_err("client %llu: read(userfaultfd): %s",
					(ull)c->id, strerror(errno));
				return -errno;
			}
			log_warn("client %llu: read(userfaultfd): %s",
				 (ull)c->id, strerror(errno));
			break;
		}
		nr = (size_t)n / sizeof(msgs[0]);
		if ((size_t)n % sizeof(msgs[0])) {
			count(ctx, VMO_PSTAT_ERRORS, 1);
			log_err("client %llu: read(userfaultfd) returned %zd bytes, not whole messages",
				(ull)c->id, n);
		}
		/*
		 * read() returns pending faults before pending events, and
		 * the kernel queues an UNMAP only after the unmapping thread
		 * dropped the mmap lock: a fault on a new mapping can come
		 * before the UNMAP of the old one at the same address.
		 * Apply the batch's events first, so that no fault is served
		 * from a range that is gone.
		 */
		for (i = 0; i < nr; i++)
			if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
				engine_handle_msg(ctx, c, &msgs[i]);
		for (i = 0; i < nr; i++)
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				engine_handle_msg(ctx, c, &msgs[i]);
		handled += nr;
		/* A short read means the queue was empty: no need to ask. */
		if (nr < ENGINE_BATCH)
			break;
	}
	return handled;
}
