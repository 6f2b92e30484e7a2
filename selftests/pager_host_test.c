// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the pager's engine and map table, without the module.
 *
 * The map table tests are pure logic.  The engine tests stand in for a
 * client: a memfd (shmem, like an object's store) of NPAGES pages is
 * mapped MAP_SHARED twice (views A and B), both registered with a
 * userfaultfd for MISSING and MINOR faults, the map table is filled by
 * hand, and a server thread runs the engine on the uffd (poll +
 * engine_drain) while the test touches the memory.  Needs userfaultfd
 * (root, or vm.unprivileged_userfaultfd=1): skipped otherwise.
 *
 * The server holds a lock around each engine_drain(); the test reads
 * counters and the table under the same lock.  A fault's resolve wakes
 * the faulting thread from inside that locked section, so a snapshot
 * taken after the access returns includes the whole resolve.
 *
 * File and shadow objects: an object stub stands in for the module's
 * VMO_IOC_PAGER_OBJECT (each object's store is a memfd, a file object's
 * file a real temporary file) and VMO_IOC_PAGER_CLEAN (recorded, and
 * for write-back answered from a dirty bitmap the test chooses).  The
 * test puts pages into an object's store with pwrite(), as a client
 * writing through its mapping would.
 *
 * Paging: with the stub's emulation on, CLEAN and EVICT behave like the
 * module's over a dirty bitmap per object that the test keeps (a page
 * the test writes, or the engine zero-fills, is marked dirty by the
 * test; EVICT punches clean pages out of the memfd store, so the next
 * access is a MISSING fault).  The backing store is a temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <linux/userfaultfd.h>

#include "slow_fuse.h"
#include "kselftest_harness.h"

#include "backing.h"
#include "engine.h"
#include "headroom.h"
#include "log.h"
#include "maptable.h"
#include "objects.h"
#include "slotmap.h"
#include "uring.h"

#define NPAGES		64
#define CLUSTER		16
#define NTHREADS	8

#define CTR(snap, name)	((snap).c[VMO_PSTAT_##name])

/* ---------------------------------------------------------------- */
/* Map table                                                         */
/* ---------------------------------------------------------------- */

#define TPS		4096ULL
#define PG(n)		(0x10000000ULL + (uint64_t)(n) * TPS)

static struct vmo_range mkrange(uint64_t first, uint64_t last_excl,
				uint64_t pgoff, uint64_t obj)
{
	struct vmo_range r;

	memset(&r, 0, sizeof(r));
	r.start = PG(first);
	r.end = PG(last_excl);
	r.pgoff = pgoff;
	r.obj_id = obj;
	r.obj_size = 1024 * TPS;
	r.kind = VMO_KIND_ANON;
	return r;
}

/* Range i of the table is [PG(first), PG(last)) with @pgoff of @obj. */
#define ASSERT_RANGE(mt, i, first, last, off, obj) do {			\
	ASSERT_LT((size_t)(i), (mt)->nr);				\
	EXPECT_EQ(PG(first), (mt)->r[i].start);				\
	EXPECT_EQ(PG(last), (mt)->r[i].end);				\
	EXPECT_EQ((uint64_t)(off), (mt)->r[i].pgoff);			\
	EXPECT_EQ((uint64_t)(obj), (mt)->r[i].obj_id);			\
} while (0)

TEST(mt_insert_lookup)
{
	struct maptable mt;
	struct vmo_range r;

	maptable_init(&mt, TPS);
	r = mkrange(10, 20, 0, 1);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	r = mkrange(0, 5, 7, 2);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	r = mkrange(30, 40, 3, 3);
	ASSERT_EQ(0, maptable_insert(&mt, &r));

	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 5, 7, 2);
	ASSERT_RANGE(&mt, 1, 10, 20, 0, 1);
	ASSERT_RANGE(&mt, 2, 30, 40, 3, 3);

	ASSERT_NE(NULL, maptable_lookup(&mt, PG(10)));
	EXPECT_EQ(1, maptable_lookup(&mt, PG(10))->obj_id);
	ASSERT_NE(NULL, maptable_lookup(&mt, PG(20) - 1));
	EXPECT_EQ(1, maptable_lookup(&mt, PG(20) - 1)->obj_id);
	ASSERT_NE(NULL, maptable_lookup(&mt, PG(4) + 123));
	EXPECT_EQ(2, maptable_lookup(&mt, PG(4) + 123)->obj_id);
	ASSERT_NE(NULL, maptable_lookup(&mt, PG(39)));
	EXPECT_EQ(3, maptable_lookup(&mt, PG(39))->obj_id);

	/* Refused: empty, inverted, unaligned. */
	r = mkrange(50, 50, 0, 4);
	EXPECT_EQ(-EINVAL, maptable_insert(&mt, &r));
	r = mkrange(52, 50, 0, 4);
	EXPECT_EQ(-EINVAL, maptable_insert(&mt, &r));
	r = mkrange(50, 52, 0, 4);
	r.start += 8;
	EXPECT_EQ(-EINVAL, maptable_insert(&mt, &r));
	EXPECT_EQ(3, mt.nr);
	maptable_free(&mt);
}

TEST(mt_lookup_miss)
{
	struct maptable mt;
	struct vmo_range r;

	maptable_init(&mt, TPS);
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(0)));

	r = mkrange(10, 20, 0, 1);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	r = mkrange(30, 40, 0, 2);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(10) - 1));	/* below */
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(20)));		/* end excl. */
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(25)));		/* gap */
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(40)));		/* above */
	EXPECT_EQ(NULL, maptable_lookup(&mt, ~0ULL));

	maptable_remove(&mt, PG(0), PG(100));
	EXPECT_EQ(0, mt.nr);
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(15)));
	maptable_free(&mt);
}

TEST(mt_overlap_replace)
{
	struct maptable mt;
	struct vmo_range r;

	maptable_init(&mt, TPS);
	r = mkrange(0, 16, 100, 1);
	ASSERT_EQ(0, maptable_insert(&mt, &r));

	/* Inside: the old range is split around it, tail pgoff advanced. */
	r = mkrange(4, 8, 0, 2);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 4, 100, 1);
	ASSERT_RANGE(&mt, 1, 4, 8, 0, 2);
	ASSERT_RANGE(&mt, 2, 8, 16, 108, 1);

	/* Across three ranges: trims both neighbours, swallows the middle. */
	r = mkrange(2, 10, 50, 3);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 2, 100, 1);
	ASSERT_RANGE(&mt, 1, 2, 10, 50, 3);
	ASSERT_RANGE(&mt, 2, 10, 16, 110, 1);

	/* Exactly over one range. */
	r = mkrange(2, 10, 9, 4);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 1, 2, 10, 9, 4);

	/* Over everything. */
	r = mkrange(0, 16, 0, 5);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 16, 0, 5);
	maptable_free(&mt);
}

TEST(mt_remove_trims)
{
	struct maptable mt;
	struct vmo_range r;

	maptable_init(&mt, TPS);
	r = mkrange(0, 16, 100, 1);
	ASSERT_EQ(0, maptable_insert(&mt, &r));

	maptable_remove(&mt, PG(0), PG(2));		/* head */
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 2, 16, 102, 1);

	maptable_remove(&mt, PG(14), PG(20));		/* tail */
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 2, 14, 102, 1);

	maptable_remove(&mt, PG(5), PG(7));		/* middle: split */
	ASSERT_EQ(2, mt.nr);
	ASSERT_RANGE(&mt, 0, 2, 5, 102, 1);
	ASSERT_RANGE(&mt, 1, 7, 14, 107, 1);

	maptable_remove(&mt, PG(4), PG(8));		/* across the gap */
	ASSERT_EQ(2, mt.nr);
	ASSERT_RANGE(&mt, 0, 2, 4, 102, 1);
	ASSERT_RANGE(&mt, 1, 8, 14, 108, 1);

	r = mkrange(20, 30, 0, 2);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	maptable_remove(&mt, PG(0), PG(25));		/* two gone, one trimmed */
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 25, 30, 5, 2);

	maptable_remove(&mt, PG(40), PG(50));		/* nothing there */
	maptable_remove(&mt, PG(30), PG(31));		/* touching the end */
	maptable_remove(&mt, PG(24), PG(25));		/* touching the start */
	maptable_remove(&mt, PG(27), PG(27));		/* empty */
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 25, 30, 5, 2);
	maptable_free(&mt);
}

TEST(mt_move)
{
	struct maptable mt;
	struct vmo_range r;

	maptable_init(&mt, TPS);
	r = mkrange(0, 16, 100, 1);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	r = mkrange(100, 104, 0, 2);		/* will be overwritten */
	ASSERT_EQ(0, maptable_insert(&mt, &r));

	/* Middle piece moved up, over another range. */
	ASSERT_EQ(0, maptable_move(&mt, PG(4), PG(100), 4 * TPS));
	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 4, 100, 1);
	ASSERT_RANGE(&mt, 1, 8, 16, 108, 1);
	ASSERT_RANGE(&mt, 2, 100, 104, 104, 1);

	/* A whole range moved up, then down below its old place. */
	ASSERT_EQ(0, maptable_move(&mt, PG(8), PG(200), 8 * TPS));
	ASSERT_EQ(3, mt.nr);
	ASSERT_RANGE(&mt, 2, 200, 208, 108, 1);
	ASSERT_EQ(0, maptable_move(&mt, PG(200), PG(50), 8 * TPS));
	ASSERT_RANGE(&mt, 1, 50, 58, 108, 1);
	ASSERT_RANGE(&mt, 2, 100, 104, 104, 1);

	/* A move window holding two ranges and a gap, clipped at both ends. */
	ASSERT_EQ(0, maptable_move(&mt, PG(2), PG(300), 100 * TPS));
	ASSERT_EQ(5, mt.nr);
	ASSERT_RANGE(&mt, 0, 0, 2, 100, 1);
	ASSERT_RANGE(&mt, 1, 102, 104, 106, 1);
	ASSERT_RANGE(&mt, 2, 300, 302, 102, 1);
	ASSERT_RANGE(&mt, 3, 348, 356, 108, 1);
	ASSERT_RANGE(&mt, 4, 398, 400, 104, 1);
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(2)));
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(50)));
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(101)));

	/* Moving nothing changes nothing (the destination is cleared). */
	ASSERT_EQ(0, maptable_move(&mt, PG(500), PG(600), TPS));
	ASSERT_EQ(5, mt.nr);
	ASSERT_EQ(-EINVAL, maptable_move(&mt, ~0ULL - TPS, PG(0), 2 * TPS));
	maptable_free(&mt);
}

TEST(mt_bounded)
{
	struct maptable mt;
	struct vmo_range r;
	int i;

	maptable_init(&mt, TPS);
	mt.max = 4;
	for (i = 0; i < 4; i++) {
		r = mkrange(i * 10, i * 10 + 5, 0, i + 1);
		ASSERT_EQ(0, maptable_insert(&mt, &r));
	}
	ASSERT_EQ(4, mt.nr);
	EXPECT_EQ(0, mt.flushes);
	/* Replacing does not grow the table. */
	r = mkrange(0, 5, 0, 9);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	ASSERT_EQ(4, mt.nr);
	EXPECT_EQ(0, mt.flushes);
	/* Growing past the bound starts over. */
	r = mkrange(100, 101, 0, 5);
	ASSERT_EQ(0, maptable_insert(&mt, &r));
	EXPECT_EQ(1, mt.flushes);
	ASSERT_EQ(1, mt.nr);
	ASSERT_RANGE(&mt, 0, 100, 101, 0, 5);
	EXPECT_EQ(NULL, maptable_lookup(&mt, PG(0)));
	maptable_free(&mt);
}

/* ---------------------------------------------------------------- */
/* Engine on a real userfaultfd                                      */
/* ---------------------------------------------------------------- */

struct stub {
	int ret;			/* what lookups fail with, 0: answer */
	struct vmo_range answer;	/* given if it holds the address */
};

/* engine_lookup_fn standing in for VMO_IOC_PAGER_LOOKUP. */
static int stub_lookup(struct engine_ctx *ctx, struct engine_client *c,
		       uint64_t addr, struct vmo_range *out)
{
	struct stub *s = ctx->lookup_arg;

	(void)c;
	if (s->ret)
		return s->ret;
	if (s->answer.start <= addr && addr < s->answer.end) {
		*out = s->answer;
		return 0;
	}
	return -ENOENT;
}

/* Object ids 1..MAX_TOBJ (1 is the anonymous object of views A and B). */
#define MAX_TOBJ	8
#define MAX_MAPS	8
#define MAX_CLEANS	64
/* Pages of an object the CLEAN/EVICT emulation covers. */
#define EPAGES		256

struct tobj {
	struct vmo_pager_object info;	/* the stub's own fds */
	bool present;
};

struct clean_call {
	uint64_t obj_id;
	uint64_t first;
	uint64_t npages;
	bool bitmap;
};

/* Stands in for VMO_IOC_PAGER_OBJECT and VMO_IOC_PAGER_CLEAN. */
struct objstub {
	struct tobj obj[MAX_TOBJ + 1];
	unsigned int opens;
	int open_ret;			/* what opens fail with, 0: answer */
	unsigned int open_fails;	/* opens left to fail with open_ret */
	struct clean_call calls[MAX_CLEANS];
	unsigned int ncalls;
	const uint64_t *dirty;		/* pages CLEAN reports dirty, or NULL */
	uint64_t dirty_pages;		/* bits in @dirty */
	uint64_t finished;		/* pages CLEANed IF_UNCHANGED */
	/* Emulation of the module's dirty state (paging tests). */
	bool emulate;
	uint64_t edirty[MAX_TOBJ + 1][EPAGES / 64];
	uint64_t erewrite[MAX_TOBJ + 1][EPAGES / 64];	/* written meanwhile */
	unsigned int evicts;
	/* Emulation of the module's page records (VMO_IOC_PAGER_RECORD). */
	uint64_t erec[MAX_TOBJ + 1][EPAGES];
	uint64_t epunched[MAX_TOBJ + 1][EPAGES / 64];
	unsigned int record_sets;	/* SET requests */
	unsigned int record_gets;	/* GET requests */
};

static int dup_fd(uint32_t fd)
{
	return fd == VMO_NO_FD ? (int)VMO_NO_FD :
	       fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
}

/* objcache_open_fn: new fds, as the module installs them. */
static int stub_open(void *arg, uint64_t id, struct vmo_pager_object *out)
{
	struct objstub *s = arg;
	int store, src;

	s->opens++;
	if (s->open_ret && s->open_fails) {
		if (s->open_fails != UINT_MAX)
			s->open_fails--;
		return s->open_ret;
	}
	if (id > MAX_TOBJ || !s->obj[id].present)
		return -ENOENT;
	store = dup_fd(s->obj[id].info.store_fd);
	src = dup_fd(s->obj[id].info.src_fd);
	if (store < 0 || (src < 0 && src != (int)VMO_NO_FD)) {
		if (store >= 0)
			close(store);
		if (src >= 0)
			close(src);
		return -EMFILE;
	}
	*out = s->obj[id].info;
	out->store_fd = store;
	out->src_fd = src;
	return 0;
}

static bool bit(const uint64_t *bitmap, uint64_t i)
{
	return bitmap[i / 64] & (1ULL << (i % 64));
}

static void set_bit(uint64_t *bitmap, uint64_t i)
{
	bitmap[i / 64] |= 1ULL << (i % 64);
}

static void clear_bit(uint64_t *bitmap, uint64_t i)
{
	bitmap[i / 64] &= ~(1ULL << (i % 64));
}

static bool store_has(int fd, size_t ps, uint64_t idx)
{
	off_t off = (off_t)(idx * ps);

	return lseek(fd, off, SEEK_DATA) == off;
}

/*
 * CLEAN as the module does it, over the emulated dirty bits: 0 cleans,
 * KEEP_DIRTY reports (present) dirty pages, IF_UNCHANGED cleans unless
 * the page was "written again" (erewrite), which it consumes.
 */
static int emu_clean(struct objstub *s, const struct pobj *o, uint64_t first,
		     uint64_t npages, uint32_t flags, uint64_t *bitmap,
		     uint64_t *dirty)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	uint64_t *d = s->edirty[o->id], *rw = s->erewrite[o->id], i, idx;
	bool report;

	*dirty = 0;
	for (i = 0; i < npages; i++) {
		idx = first + i;
		if (idx >= EPAGES)
			continue;
		report = bit(d, idx);
		if (flags & VMO_CLEAN_KEEP_DIRTY) {
			report = report && store_has(o->store_fd, ps, idx);
		} else if ((flags & VMO_CLEAN_IF_UNCHANGED) && bit(rw, idx)) {
			clear_bit(rw, idx);
			report = false;
		} else {
			clear_bit(d, idx);
		}
		if (!report)
			continue;
		if (bitmap)
			set_bit(bitmap, i);
		(*dirty)++;
	}
	return 0;
}

/* objcache_evict_fn: drops present pages that are not (emulated) dirty. */
static int stub_evict(void *arg, const struct pobj *o, uint64_t first,
		      uint64_t npages, uint64_t *bitmap, uint64_t *dropped)
{
	struct objstub *s = arg;
	size_t ps = sysconf(_SC_PAGESIZE);
	uint64_t i, idx;

	s->evicts++;
	*dropped = 0;
	for (i = 0; i < npages; i++) {
		idx = first + i;
		if (idx < EPAGES && bit(s->edirty[o->id], idx))
			continue;
		if (!store_has(o->store_fd, ps, idx))
			continue;
		if (fallocate(o->store_fd, FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, (off_t)(idx * ps),
			      (off_t)ps) < 0)
			return -errno;
		if (bitmap)
			set_bit(bitmap, i);
		(*dropped)++;
	}
	return 0;
}

/* GET/SET of the emulated records; a punched record reads as none. */
static int emu_record_range(struct objstub *s, struct vmo_pager_record *req)
{
	uint64_t *recs = (uint64_t *)(uintptr_t)req->recs, i, idx;
	uint64_t *rec;

	if (req->obj_id > MAX_TOBJ || req->first + req->npages > EPAGES)
		return -ENXIO;
	for (i = 0; i < req->npages; i++) {
		idx = req->first + i;
		rec = &s->erec[req->obj_id][idx];
		if (bit(s->epunched[req->obj_id], idx)) {
			if (req->op == VMO_RECORD_SET &&
			    recs[i] != VMO_REC_KEEP)
				req->refused++;
			recs[i] = VMO_REC_NONE;
			continue;
		}
		if (req->op == VMO_RECORD_SET && recs[i] != VMO_REC_KEEP)
			*rec = recs[i];
		recs[i] = *rec;
	}
	return 0;
}

/* FREED: hand over the punched records, then forget them. */
static int emu_record_freed(struct objstub *s, struct vmo_pager_record *req)
{
	struct vmo_page_record *out = (void *)(uintptr_t)req->recs;
	uint64_t id, idx;

	for (id = 1; id <= MAX_TOBJ; id++) {
		for (idx = 0; idx < EPAGES && req->count < req->npages; idx++) {
			if (!bit(s->epunched[id], idx))
				continue;
			out[req->count++] = (struct vmo_page_record){
				.obj_id = id, .index = idx,
				.rec = s->erec[id][idx],
			};
			s->epunched[id][idx / 64] &= ~(1ULL << (idx % 64));
			s->erec[id][idx] = VMO_REC_NONE;
		}
	}
	return 0;
}

/* objcache_record_fn: the module's records, emulated. */
static int stub_record(void *arg, struct vmo_pager_record *req)
{
	struct objstub *s = arg;

	switch (req->op) {
	case VMO_RECORD_SET:
		s->record_sets++;
		return emu_record_range(s, req);
	case VMO_RECORD_GET:
		s->record_gets++;
		return emu_record_range(s, req);
	case VMO_RECORD_FREED:
		return emu_record_freed(s, req);
	}
	return -EINVAL;	/* LIST is not emulated */
}

/* objcache_clean_fn: records the call, reports pages from @dirty. */
static int stub_clean(void *arg, const struct pobj *o, uint64_t first,
		      uint64_t npages, uint32_t flags, uint64_t *bitmap,
		      uint64_t *dirty)
{
	struct objstub *s = arg;
	uint64_t i;

	if (s->emulate)
		return emu_clean(s, o, first, npages, flags, bitmap, dirty);

	/* The end of a write-back: record it, report nothing. */
	if (flags & VMO_CLEAN_IF_UNCHANGED) {
		s->finished += npages;
		*dirty = 0;
		return 0;
	}

	if (s->ncalls < MAX_CLEANS)
		s->calls[s->ncalls] = (struct clean_call){
			o->id, first, npages, bitmap != NULL };
	s->ncalls++;
	*dirty = 0;
	if (npages > VMO_CLEAN_MAX)
		return -EINVAL;
	for (i = 0; i < npages && s->dirty; i++) {
		if (first + i >= s->dirty_pages || !bit(s->dirty, first + i))
			continue;
		if (bitmap)
			set_bit(bitmap, i);
		(*dirty)++;
	}
	return 0;
}

FIXTURE(engine) {
	bool skip;
	size_t ps;
	size_t len;
	int memfd;
	int uffd;
	char *a, *b;
	char *extra;		/* mremap destination, unmapped at the end */
	size_t extra_len;
	struct stub stub;
	struct engine_ctx ctx;
	struct engine_client client;
	bool client_ready;
	bool ctx_ready;
	struct objstub objs;
	struct backing bk;	/* paging tests: a temporary file */
	bool bk_open;
	char *maps[MAX_MAPS];	/* object mappings, unmapped at the end */
	size_t map_len[MAX_MAPS];
	unsigned int nmaps;
	/* server thread */
	pthread_t thread;
	bool running;
	int stopfd;
	int server_err;
	pthread_mutex_t lock;
};

static void *server_main(void *arg)
{
	FIXTURE_DATA(engine) *self = arg;
	struct pollfd pfd[2] = {
		{ .fd = self->uffd, .events = POLLIN },
		{ .fd = self->stopfd, .events = POLLIN },
	};
	int ret;

	int timeout = -1;

	for (;;) {
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			self->server_err = errno;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			self->server_err = EIO;
			break;
		}
		pthread_mutex_lock(&self->lock);
		ret = pfd[0].revents ? engine_drain(&self->ctx, &self->client) : 0;
		engine_wake_deferred(&self->ctx);
		timeout = engine_deferred_timeout(&self->ctx);
		pthread_mutex_unlock(&self->lock);
		if (ret < 0) {
			self->server_err = -ret;
			break;
		}
	}
	return NULL;
}

static int start_server(FIXTURE_DATA(engine) *self)
{
	uint64_t drain;

	/* Empty the stop eventfd left by a previous run. */
	if (read(self->stopfd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		return -errno;
	if (pthread_create(&self->thread, NULL, server_main, self))
		return -1;
	self->running = true;
	return 0;
}

static void stop_server(FIXTURE_DATA(engine) *self)
{
	uint64_t one = 1;

	if (!self->running)
		return;
	if (write(self->stopfd, &one, sizeof(one)) != sizeof(one))
		abort();
	pthread_join(self->thread, NULL);
	self->running = false;
}

static struct vmo_counters snap(FIXTURE_DATA(engine) *self)
{
	struct vmo_counters s;

	pthread_mutex_lock(&self->lock);
	s = self->ctx.ctr;
	pthread_mutex_unlock(&self->lock);
	return s;
}

/* Feed one synthetic message to the engine, as the server would. */
static void handle(FIXTURE_DATA(engine) *self, const struct uffd_msg *msg)
{
	pthread_mutex_lock(&self->lock);
	engine_handle_msg(&self->ctx, &self->client, msg);
	pthread_mutex_unlock(&self->lock);
}

/* A copy of the table's range holding @addr; start == end if none. */
static struct vmo_range table_at(FIXTURE_DATA(engine) *self, void *addr)
{
	struct vmo_range r, *p;

	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&self->lock);
	p = maptable_lookup(&self->client.mt, (uint64_t)(uintptr_t)addr);
	if (p)
		r = *p;
	pthread_mutex_unlock(&self->lock);
	return r;
}

static struct vmo_range view_range(FIXTURE_DATA(engine) *self, char *view)
{
	struct vmo_range r;

	memset(&r, 0, sizeof(r));
	r.start = (uint64_t)(uintptr_t)view;
	r.end = r.start + self->len;
	r.pgoff = 0;
	r.obj_id = 1;
	r.obj_size = self->len;
	r.kind = VMO_KIND_ANON;
	r.flags = VMO_MAP_SHARED | VMO_MAP_WRITE;
	return r;
}

/* Is page @idx of the store allocated (filled by someone)? */
static bool in_store(FIXTURE_DATA(engine) *self, size_t idx)
{
	off_t off = (off_t)(idx * self->ps);

	return lseek(self->memfd, off, SEEK_DATA) == off;
}

static uint8_t peek(char *p)
{
	return *(volatile uint8_t *)p;
}

static struct uffd_msg fault_msg(void *addr, uint64_t flags)
{
	struct uffd_msg m;

	memset(&m, 0, sizeof(m));
	m.event = UFFD_EVENT_PAGEFAULT;
	m.arg.pagefault.address = (uint64_t)(uintptr_t)addr;
	m.arg.pagefault.flags = flags;
	return m;
}

/*
 * @minor: also MINOR mode (views A and B, for the engine's CONTINUE
 * path); object mappings register MISSING and WP, as the library does.
 */
static int uffd_register(int uffd, void *addr, size_t len, bool minor)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING |
			(minor ? UFFDIO_REGISTER_MODE_MINOR :
			 UFFDIO_REGISTER_MODE_WP),
	};
	const uint64_t need = (1ULL << _UFFDIO_ZEROPAGE) |
			      (minor ? 1ULL << _UFFDIO_CONTINUE : 0) |
			      (1ULL << _UFFDIO_WAKE);

	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	return (reg.ioctls & need) == need ? 0 : -EOPNOTSUPP;
}

FIXTURE_SETUP(engine)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MISSING_SHMEM |
			    UFFD_FEATURE_MINOR_SHMEM |
			    UFFD_FEATURE_EVENT_UNMAP |
			    UFFD_FEATURE_EVENT_REMAP |
			    UFFD_FEATURE_EVENT_REMOVE,
	};
	struct vmo_range r;
	int ret;

	self->memfd = -1;
	self->uffd = -1;
	self->stopfd = -1;
	self->a = MAP_FAILED;
	self->b = MAP_FAILED;
	self->extra = MAP_FAILED;
	pthread_mutex_init(&self->lock, NULL);
	vlog_level = VLOG_ERROR;

	self->ps = sysconf(_SC_PAGESIZE);
	self->len = NPAGES * self->ps;
	self->memfd = memfd_create("pager_host_test", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, self->len));
	self->a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	self->b = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->b);
	self->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->stopfd);

	self->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0) {
		self->skip = true;
		SKIP(return, "userfaultfd(2) not permitted here: %s (run as root or set vm.unprivileged_userfaultfd=1)",
		     strerror(errno));
	}
	if (ioctl(self->uffd, UFFDIO_API, &api) < 0) {
		self->skip = true;
		SKIP(return, "UFFDIO_API with shmem MISSING/MINOR and UNMAP/REMAP/REMOVE events refused: %s",
		     strerror(errno));
	}
	ret = uffd_register(self->uffd, self->a, self->len, true);
	if (!ret)
		ret = uffd_register(self->uffd, self->b, self->len, true);
	if (ret == -EINVAL || ret == -EOPNOTSUPP) {
		self->skip = true;
		SKIP(return, "shmem MISSING|MINOR registration not supported: %s",
		     strerror(-ret));
	}
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, engine_init(&self->ctx, CLUSTER, stub_lookup, &self->stub));
	self->ctx_ready = true;
	engine_set_objects(&self->ctx, stub_open, stub_clean, stub_evict,
			   &self->objs);
	engine_client_init(&self->client, &self->ctx, self->uffd, 7, getpid());
	self->client_ready = true;
	r = view_range(self, self->a);
	ASSERT_EQ(0, maptable_insert(&self->client.mt, &r));
	r = view_range(self, self->b);
	ASSERT_EQ(0, maptable_insert(&self->client.mt, &r));
	ASSERT_EQ(0, start_server(self));
}

FIXTURE_TEARDOWN(engine)
{
	unsigned int i;

	stop_server(self);
	/*
	 * Close the uffd before unmapping: unmapping registered ranges
	 * would wait for a reader of the UNMAP events.
	 */
	if (self->client_ready)
		engine_client_destroy(&self->ctx, &self->client);
	else if (self->uffd >= 0)
		close(self->uffd);
	if (self->a != MAP_FAILED)
		munmap(self->a, self->len);
	if (self->b != MAP_FAILED)
		munmap(self->b, self->len);
	if (self->extra != MAP_FAILED)
		munmap(self->extra, self->extra_len);
	for (i = 0; i < self->nmaps; i++)
		munmap(self->maps[i], self->map_len[i]);
	for (i = 1; i <= MAX_TOBJ; i++) {
		struct vmo_pager_object *info = &self->objs.obj[i].info;

		if (!self->objs.obj[i].present)
			continue;
		close((int)info->store_fd);
		if (info->src_fd != VMO_NO_FD)
			close((int)info->src_fd);
	}
	if (self->ctx_ready)
		engine_destroy(&self->ctx);
	if (self->bk_open)
		backing_close(&self->bk);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->stopfd >= 0)
		close(self->stopfd);
	EXPECT_EQ(0, self->server_err);
}

/* The 6.1 harness runs the test body even after SKIP() in the setup. */
#define SKIP_IF_NO_UFFD() do { if (self->skip) return; } while (0)

TEST_F(engine, missing_reads_zero)
{
	struct vmo_counters s;
	size_t i;

	SKIP_IF_NO_UFFD();
	ASSERT_FALSE(in_store(self, 5));
	for (i = 0; i < self->ps; i++)
		ASSERT_EQ(0, peek(self->a + 5 * self->ps + i));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(0, CTR(s, FAULTS_MINOR));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, LOOKUPS));
	/* The zero page went into the store, not just into view A ... */
	EXPECT_TRUE(in_store(self, 5));
	EXPECT_FALSE(in_store(self, 6));
	/* ... so view B only needs it mapped: a MINOR fault. */
	EXPECT_EQ(0, peek(self->b + 5 * self->ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, FAULTS_MINOR));
	EXPECT_EQ(1, CTR(s, PAGES_CONTINUED));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, write_a_read_b)
{
	char *pa = self->a + 3 * self->ps, *pb = self->b + 3 * self->ps;
	char expect[4096];
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	ASSERT_LE(self->ps, sizeof(expect));
	memset(expect, 0x5a, self->ps);
	expect[100] = 0x77;
	memset(pa, 0x5a, self->ps);		/* MISSING write fault */
	pa[100] = 0x77;
	ASSERT_EQ(0, memcmp(pb, expect, self->ps));	/* MINOR in B */
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(1, CTR(s, FAULTS_MINOR));
	EXPECT_EQ(1, CTR(s, PAGES_CONTINUED));
	EXPECT_EQ(0, CTR(s, ERRORS));
	/* Both views now map the one store page. */
	pb[7] = 0x11;
	EXPECT_EQ(0x11, peek(pa + 7));
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING) + CTR(s, FAULTS_MINOR));
}

TEST_F(engine, window_grows)
{
	struct vmo_counters s;
	size_t i;

	SKIP_IF_NO_UFFD();
	for (i = 0; i < 32; i++)
		ASSERT_EQ(0, peek(self->a + i * self->ps));
	/*
	 * Windows 1, 2, 4, 8, 16, 16 start at pages 0, 1, 3, 7, 15, 31:
	 * six faults for 47 pages (a fill maps its pages, and shmem does
	 * no fault-around on a MINOR-registered range).
	 */
	s = snap(self);
	EXPECT_EQ(6, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(47, CTR(s, PAGES_ZEROED));
	EXPECT_TRUE(in_store(self, 46));
	EXPECT_FALSE(in_store(self, 47));
	/* The rest: 16 from page 47, then the last page alone (range end). */
	for (i = 32; i < NPAGES; i++)
		ASSERT_EQ(0, peek(self->a + i * self->ps));
	s = snap(self);
	EXPECT_EQ(8, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(NPAGES, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, RACES));
}

TEST_F(engine, window_resets)
{
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, peek(self->a + 40 * self->ps));	/* 1 page */
	ASSERT_EQ(0, peek(self->a + 10 * self->ps));	/* jump: 1 page */
	ASSERT_EQ(0, peek(self->a + 11 * self->ps));	/* next: 2 pages */
	ASSERT_EQ(0, peek(self->a + 20 * self->ps));	/* jump: 1 page */
	s = snap(self);
	EXPECT_EQ(4, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(5, CTR(s, PAGES_ZEROED));
	EXPECT_TRUE(in_store(self, 12));
	EXPECT_FALSE(in_store(self, 13));
	EXPECT_FALSE(in_store(self, 21));
}

TEST_F(engine, window_stops_at_object_end)
{
	struct vmo_counters s;
	struct vmo_range *r;

	SKIP_IF_NO_UFFD();
	/* The object ends 4 pages in, though the mapping goes on. */
	pthread_mutex_lock(&self->lock);
	r = maptable_lookup(&self->client.mt, (uintptr_t)self->a);
	ASSERT_NE(NULL, r);
	r->obj_size = 4 * self->ps;
	pthread_mutex_unlock(&self->lock);

	ASSERT_EQ(0, peek(self->a));			/* page 0 */
	ASSERT_EQ(0, peek(self->a + self->ps));		/* pages 1, 2 */
	ASSERT_EQ(0, peek(self->a + 3 * self->ps));	/* 3 only, not 3..6 */
	s = snap(self);
	EXPECT_EQ(3, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(4, CTR(s, PAGES_ZEROED));
	EXPECT_TRUE(in_store(self, 3));
	EXPECT_FALSE(in_store(self, 4));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, window_split_vma)
{
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	/*
	 * mprotect splits view A's VMA at pages 4 and 8 without any uffd
	 * event; the table still has one range.  A fill crossing a VMA
	 * boundary fails with ENOENT: the engine must retry the faulting
	 * page alone (else the thread would wait forever).
	 */
	ASSERT_EQ(0, mprotect(self->a + 4 * self->ps, 4 * self->ps, PROT_READ));
	ASSERT_EQ(0, peek(self->a + 2 * self->ps));	/* window 1 */
	ASSERT_EQ(0, peek(self->a + 3 * self->ps));	/* 3..4 crosses */
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(2, CTR(s, PAGES_ZEROED));
	EXPECT_FALSE(in_store(self, 4));
	ASSERT_EQ(0, peek(self->a + 4 * self->ps));	/* 4..7, one VMA */
	s = snap(self);
	EXPECT_EQ(3, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(6, CTR(s, PAGES_ZEROED));
	EXPECT_TRUE(in_store(self, 7));
	EXPECT_FALSE(in_store(self, 8));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

struct racer {
	FIXTURE_DATA(engine) *self;
	pthread_barrier_t *barrier;
	unsigned int id;
	unsigned int bad;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	size_t ps = r->self->ps, p;
	unsigned int u;

	/* All threads write their slot of every page, in the same order. */
	for (p = 0; p < NPAGES; p++)
		((volatile uint64_t *)(r->self->a + p * ps))[r->id] =
			(p << 8) | r->id;
	pthread_barrier_wait(r->barrier);	/* writes done */
	pthread_barrier_wait(r->barrier);	/* counters sampled */
	/* Then all read every slot through the other view. */
	for (p = 0; p < NPAGES; p++)
		for (u = 0; u < NTHREADS; u++)
			if (((volatile uint64_t *)(r->self->b + p * ps))[u] !=
			    ((p << 8) | u))
				r->bad++;
	return NULL;
}

TEST_F(engine, concurrent_faults)
{
	struct racer racers[NTHREADS];
	pthread_t threads[NTHREADS];
	pthread_barrier_t barrier;
	struct vmo_counters mid, s;
	unsigned int i, bad = 0;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NTHREADS + 1));
	for (i = 0; i < NTHREADS; i++) {
		racers[i] = (struct racer){ self, &barrier, i, 0 };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, racer_main,
					    &racers[i]));
	}
	pthread_barrier_wait(&barrier);
	mid = snap(self);
	pthread_barrier_wait(&barrier);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(threads[i], NULL);
		bad += racers[i].bad;
	}
	s = snap(self);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, CTR(s, ERRORS));

	/*
	 * Phase A: MISSING faults; each store page zeroed once.  (A MINOR
	 * fault in A is possible too, rarely, on a loaded host: seen once,
	 * a page the kernel took out of A's page tables while it stayed in
	 * the store; phase B is therefore counted from the snapshot.)
	 */
	EXPECT_LE(1, CTR(mid, FAULTS_MISSING));
	EXPECT_EQ(NPAGES, CTR(mid, PAGES_ZEROED));
	/*
	 * Phase B: only MINOR faults; each page mapped into B once, every
	 * other fault read found it mapped (a race) and was woken.
	 */
	EXPECT_EQ(CTR(mid, FAULTS_MISSING), CTR(s, FAULTS_MISSING));
	EXPECT_EQ(NPAGES, CTR(s, PAGES_CONTINUED) - CTR(mid, PAGES_CONTINUED));
	EXPECT_EQ(NPAGES + CTR(s, RACES) - CTR(mid, RACES),
		  CTR(s, FAULTS_MINOR) - CTR(mid, FAULTS_MINOR));
	EXPECT_LE(CTR(s, RACES), CTR(s, WAKES));
	TH_LOG("missing %llu minor %llu races %llu wakes %llu",
	       (unsigned long long)CTR(s, FAULTS_MISSING),
	       (unsigned long long)CTR(s, FAULTS_MINOR),
	       (unsigned long long)CTR(s, RACES),
	       (unsigned long long)CTR(s, WAKES));
	pthread_barrier_destroy(&barrier);
}

TEST_F(engine, munmap_sends_unmap)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	struct vmo_range r;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, peek(self->a));
	/* munmap returns once the server has read the UNMAP event. */
	ASSERT_EQ(0, munmap(self->a + 16 * ps, 16 * ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, EV_UNMAP));

	EXPECT_EQ(3, self->client.mt.nr);	/* A head, A tail, B */
	r = table_at(self, self->a + 15 * ps);
	EXPECT_EQ((uintptr_t)self->a, r.start);
	EXPECT_EQ((uintptr_t)self->a + 16 * ps, r.end);
	EXPECT_EQ(0, r.pgoff);
	r = table_at(self, self->a + 16 * ps);
	EXPECT_EQ(r.start, r.end);
	r = table_at(self, self->a + 31 * ps);
	EXPECT_EQ(r.start, r.end);
	r = table_at(self, self->a + 32 * ps);
	EXPECT_EQ((uintptr_t)self->a + 32 * ps, r.start);
	EXPECT_EQ((uintptr_t)self->a + 64 * ps, r.end);
	EXPECT_EQ(32, r.pgoff);

	/* The rest still serves, from the table. */
	ASSERT_EQ(0, peek(self->a + 40 * ps));
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(0, CTR(s, LOOKUPS));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, mremap_sends_remap)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	struct vmo_range r;
	char *dst;

	SKIP_IF_NO_UFFD();
	self->a[8 * ps] = 0x42;
	self->extra_len = 8 * ps;
	self->extra = mmap(NULL, self->extra_len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->extra);
	/* Move A's pages 8..15 elsewhere. */
	dst = mremap(self->a + 8 * ps, 8 * ps, 8 * ps,
		     MREMAP_MAYMOVE | MREMAP_FIXED, self->extra);
	ASSERT_EQ(self->extra, dst);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, EV_REMAP));

	r = table_at(self, dst);
	EXPECT_EQ((uintptr_t)dst, r.start);
	EXPECT_EQ((uintptr_t)dst + 8 * ps, r.end);
	EXPECT_EQ(8, r.pgoff);
	r = table_at(self, self->a + 8 * ps);
	EXPECT_EQ(r.start, r.end);
	r = table_at(self, self->a + 7 * ps);
	EXPECT_EQ((uintptr_t)self->a + 8 * ps, r.end);
	r = table_at(self, self->a + 16 * ps);
	EXPECT_EQ(16, r.pgoff);

	/* Moved with its page table: no fault. */
	EXPECT_EQ(0x42, peek(dst));
	/* Untouched page 11 of the object: served at the new address ... */
	EXPECT_EQ(0, peek(dst + 3 * ps));
	dst[3 * ps] = 0x24;
	/* ... and it is page 11 of the store. */
	EXPECT_EQ(0x24, peek(self->b + 11 * ps));
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_TRUE(in_store(self, 11));
	EXPECT_EQ(0, CTR(s, LOOKUPS));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, madvise_remove_sends_remove)
{
	size_t ps = self->ps;
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	self->a[2 * ps] = 7;
	ASSERT_TRUE(in_store(self, 2));
	ASSERT_EQ(0, madvise(self->a + 2 * ps, ps, MADV_REMOVE));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, EV_REMOVE));
	EXPECT_FALSE(in_store(self, 2));
	/* The page is gone from the store: MISSING again, zeroes. */
	EXPECT_EQ(0, peek(self->a + 2 * ps));
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(2, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, minor_on_vanished_page_wakes)
{
	struct uffd_msg m = fault_msg(self->a + 9 * self->ps,
				      UFFD_PAGEFAULT_FLAG_MINOR);
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	/* As if the page had been punched between the fault and its read. */
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MINOR));
	EXPECT_EQ(0, CTR(s, PAGES_CONTINUED));
	EXPECT_EQ(1, CTR(s, WAKES));	/* CONTINUE: EFAULT -> wake */
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(0, peek(self->a + 9 * self->ps));
}

TEST_F(engine, missing_on_present_page_races)
{
	struct uffd_msg m = fault_msg(self->b + 4 * self->ps, 0);
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	/* Filled through A after B's (synthetic) MISSING fault was queued. */
	ASSERT_EQ(0, peek(self->a + 4 * self->ps));
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(1, CTR(s, RACES));	/* ZEROPAGE: EEXIST */
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, ERRORS));
	/* The woken thread would fault again, MINOR this time. */
	EXPECT_EQ(0, peek(self->b + 4 * self->ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, PAGES_CONTINUED));
}

TEST_F(engine, fault_in_a_mapping_that_is_no_object_is_error)
{
	/* No table entry here, and no real fault: nobody would wake it. */
	struct uffd_msg m = fault_msg((void *)0x100000000ULL, 0);
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	self->stub.ret = -ENXIO;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, LOOKUPS));
	EXPECT_EQ(1, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, PAGES_ZEROED));
	EXPECT_TRUE(self->client.warned_unmapped);

	/* Failures are not cached: asked again, counted again. */
	self->stub.ret = -ESRCH;
	handle(self, &m);
	m.arg.pagefault.flags = UFFD_PAGEFAULT_FLAG_MINOR;
	self->stub.ret = -ENXIO;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(3, CTR(s, LOOKUPS));
	EXPECT_EQ(3, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, PAGES_CONTINUED));
	EXPECT_EQ(2, self->client.mt.nr);
}

/*
 * Nothing is mapped there (unmapped while the fault waited): the thread
 * is woken, to fault again and get SIGSEGV, as natively; a race, not an
 * error.  Before, it was left waiting for ever.
 */
TEST_F(engine, fault_where_nothing_is_mapped_wakes)
{
	struct uffd_msg m = fault_msg((void *)0x100000000ULL, 0);
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	self->stub.ret = -ENOENT;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, LOOKUPS));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(1, CTR(s, RACES));
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, PAGES_ZEROED));
	EXPECT_FALSE(self->client.warned_unmapped);
}

/*
 * The table still holds a range whose mapping is gone (its UNMAP not
 * read yet): the zero fill fails with ENOENT and the thread is woken, to
 * fault again and get SIGSEGV, as natively.  Before, it was left asleep
 * for ever.
 */
TEST_F(engine, fill_of_a_gone_mapping_wakes)
{
	struct uffd_msg m = fault_msg((void *)0x100000000ULL, 0);
	struct vmo_range r;
	struct vmo_counters s;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	r = table_at(self, self->a);
	r.start = 0x100000000ULL;
	r.end = r.start + 16 * self->ps;
	ASSERT_EQ(0, maptable_insert(&self->client.mt, &r));
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(0, CTR(s, LOOKUPS));
	EXPECT_EQ(0, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(1, CTR(s, RACES));
	EXPECT_EQ(1, CTR(s, WAKES));
}

TEST_F(engine, lookup_fills_table)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	struct vmo_range r;

	SKIP_IF_NO_UFFD();
	pthread_mutex_lock(&self->lock);
	maptable_remove(&self->client.mt, (uintptr_t)self->b,
			(uintptr_t)self->b + self->len);
	pthread_mutex_unlock(&self->lock);
	self->stub.answer = view_range(self, self->b);

	self->a[6 * ps] = 0x33;				/* from the table */
	EXPECT_EQ(0x33, peek(self->b + 6 * ps));	/* lookup, MINOR */
	s = snap(self);
	EXPECT_EQ(1, CTR(s, LOOKUPS));
	EXPECT_EQ(1, CTR(s, PAGES_CONTINUED));
	r = table_at(self, self->b + 20 * ps);
	EXPECT_EQ((uintptr_t)self->b, r.start);
	EXPECT_EQ((uintptr_t)self->b + self->len, r.end);

	EXPECT_EQ(0, peek(self->b + 7 * ps));		/* cached, MISSING */
	s = snap(self);
	EXPECT_EQ(1, CTR(s, LOOKUPS));
	EXPECT_EQ(2, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, kind_not_served)
{
	struct uffd_msg m = fault_msg(self->a + 20 * self->ps, 0);
	struct vmo_counters s;
	struct vmo_range *r;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	pthread_mutex_lock(&self->lock);
	r = maptable_lookup(&self->client.mt, (uintptr_t)self->a);
	ASSERT_NE(NULL, r);
	r->kind = 42;
	pthread_mutex_unlock(&self->lock);

	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(0, CTR(s, WAKES));
	EXPECT_FALSE(in_store(self, 20));
	EXPECT_TRUE(self->client.warned_kind);
}

TEST_F(engine, fork_event_closes_fd)
{
	struct vmo_counters s;
	struct uffd_msg m;
	int fd;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(&m, 0, sizeof(m));
	m.event = UFFD_EVENT_FORK;
	m.arg.fork.ufd = fd;
	handle(self, &m);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	EXPECT_EQ(EBADF, errno);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, EV_FORK));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, unknown_event_is_error)
{
	struct vmo_counters s;
	struct uffd_msg m;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	memset(&m, 0, sizeof(m));
	m.event = 0x7f;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, FAULTS_MISSING) + CTR(s, FAULTS_MINOR));
}

struct toucher {
	char *addr;
	volatile int done;
	uint8_t value;
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;

	t->value = peek(t->addr);
	t->done = 1;
	return NULL;
}

TEST_F(engine, wake_all_after_pager_loss)
{
	struct toucher t = { .addr = self->a + 10 * self->ps, .value = 0xff };
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct vmo_counters s;
	struct uffd_msg m;
	pthread_t thread;
	uint64_t start = 65536;
	int ret;

	SKIP_IF_NO_UFFD();
	/* A pager reads a fault and dies before serving it. */
	stop_server(self);
	ASSERT_EQ(0, pthread_create(&thread, NULL, toucher_main, &t));
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(m), read(self->uffd, &m, sizeof(m)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, m.event);
	usleep(100 * 1000);
	ASSERT_FALSE(t.done);

	/*
	 * The next pager serves, but no message names that thread again
	 * until it is woken over the whole user address space, as the
	 * daemon does for a new client.
	 */
	ASSERT_EQ(0, start_server(self));
	usleep(100 * 1000);
	ASSERT_FALSE(t.done);
	pthread_mutex_lock(&self->lock);
	ret = engine_wake(&self->ctx, &self->client, start,
			  0x7ffffffff000ULL - start);
	pthread_mutex_unlock(&self->lock);
	ASSERT_EQ(0, ret);
	pthread_join(thread, NULL);
	EXPECT_TRUE(t.done);
	EXPECT_EQ(0, t.value);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));	/* the fault read again */
	EXPECT_EQ(1, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

/* ---------------------------------------------------------------- */
/* File and shadow objects                                           */
/* ---------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Byte @off of content @seed: pseudo-random, reproducible. */
static uint8_t pat(uint32_t seed, uint64_t off)
{
	return (uint8_t)(mix64(((uint64_t)seed << 40) ^ (off >> 3)) >>
			 ((off & 7) * 8));
}

static void fill_pat(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(seed, off + i);
}

/*
 * A temporary file of @size bytes, open read-write: content @seed, or
 * a sparse file (zeroes) for seed 0.  -1 on failure.
 */
static int make_file(uint64_t size, uint32_t seed)
{
	char path[] = "/tmp/pager_host_test.XXXXXX";
	uint8_t buf[65536];
	uint64_t off, n;
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	for (off = 0; seed && off < size; off += n) {
		n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		fill_pat(buf, n, seed, off);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* A file object's page at file offset @off: the file, zeroes past its end. */
static void file_page(uint8_t *buf, size_t ps, uint32_t seed, uint64_t off,
		      uint64_t file_size)
{
	size_t i;

	for (i = 0; i < ps; i++)
		buf[i] = off + i < file_size ? pat(seed, off + i) : 0;
}

/*
 * Describe object @id to the stub, with a new memfd as its store, sized
 * as the module sizes stores (a file object's ends with the page of
 * the file's last byte).  The stub owns @file_fd.  Returns the store fd.
 */
static int add_object(FIXTURE_DATA(engine) *self, uint64_t id, uint32_t kind,
		      uint32_t flags, uint64_t size, uint64_t offset,
		      uint64_t parent, int file_fd, uint64_t file_size)
{
	struct tobj *t = &self->objs.obj[id];
	uint64_t store_size = size, in_file;
	struct statfs sfs;
	int fd;

	if (kind == VMO_KIND_FILE) {
		in_file = (file_size - offset + self->ps - 1) & ~(self->ps - 1);
		if (in_file < store_size)
			store_size = in_file;
	}
	fd = memfd_create("pager_host_test_store", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)store_size) < 0) {
		close(fd);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->info.obj_id = id;
	t->info.kind = kind;
	t->info.store_fd = fd;
	t->info.src_fd = file_fd >= 0 ? (uint32_t)file_fd : VMO_NO_FD;
	t->info.size = size;
	t->info.offset = offset;
	t->info.parent_id = parent;
	t->info.file_size = file_size;
	t->info.obj_flags = flags;
	if (file_fd >= 0 && !fstatfs(file_fd, &sfs))	/* as the module says */
		t->info.file_magic = (uint64_t)sfs.f_type;
	t->present = true;
	return fd;
}

static int store_fd(FIXTURE_DATA(engine) *self, uint64_t id)
{
	return (int)self->objs.obj[id].info.store_fd;
}

/* Map object @id (its whole size) as a client does, and tell the table. */
static char *map_object(FIXTURE_DATA(engine) *self, uint64_t id, bool shared)
{
	struct vmo_pager_object *info = &self->objs.obj[id].info;
	size_t len = info->size;
	struct vmo_range r;
	char *p;
	int ret;

	if (self->nmaps == MAX_MAPS)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, (int)info->store_fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	self->maps[self->nmaps] = p;
	self->map_len[self->nmaps++] = len;
	if (uffd_register(self->uffd, p, len, false))
		return NULL;
	memset(&r, 0, sizeof(r));
	r.start = (uint64_t)(uintptr_t)p;
	r.end = r.start + len;
	r.obj_id = id;
	r.obj_size = info->size;
	r.kind = info->kind;
	r.flags = VMO_MAP_WRITE | (shared ? VMO_MAP_SHARED : 0);
	pthread_mutex_lock(&self->lock);
	ret = maptable_insert(&self->client.mt, &r);
	pthread_mutex_unlock(&self->lock);
	return ret ? NULL : p;
}

/*
 * A FILE object 2 over a new @pages-page file of pattern @seed, mapped
 * (@shared or private) and in the client's table; *@fd: the file.
 */
static char *file_object(FIXTURE_DATA(engine) *self, size_t pages,
			 uint32_t seed, bool shared, int *fd)
{
	size_t ps = self->ps;

	*fd = make_file(pages * ps, seed);
	if (*fd < 0)
		return NULL;
	if (add_object(self, 2, VMO_KIND_FILE, 0, pages * ps, 0, 0, *fd,
		       pages * ps) < 0)
		return NULL;
	return map_object(self, 2, shared);
}

/* Put page @idx of a store there, filled with @byte (or pattern @seed). */
static int put_page(int fd, size_t ps, uint64_t idx, int byte, uint32_t seed)
{
	uint8_t *buf = malloc(ps);
	ssize_t n;

	if (!buf)
		return -1;
	if (seed)
		fill_pat(buf, ps, seed, idx * ps);
	else
		memset(buf, byte, ps);
	n = pwrite(fd, buf, ps, (off_t)(idx * ps));
	free(buf);
	return n == (ssize_t)ps ? 0 : -1;
}

static int get_byte(int fd, uint64_t off)
{
	uint8_t b;

	return pread(fd, &b, 1, (off_t)off) == 1 ? b : -1;
}

static struct objstub stub_snap(FIXTURE_DATA(engine) *self)
{
	struct objstub s;

	pthread_mutex_lock(&self->lock);
	s = self->objs;
	pthread_mutex_unlock(&self->lock);
	return s;
}

#define ASSERT_CLEAN(st, i, id, first_, npages_, with_bitmap) do {	\
	ASSERT_LT((unsigned int)(i), (st).ncalls);			\
	EXPECT_EQ((uint64_t)(id), (st).calls[i].obj_id);		\
	EXPECT_EQ((uint64_t)(first_), (st).calls[i].first);		\
	EXPECT_EQ((uint64_t)(npages_), (st).calls[i].npages);		\
	EXPECT_EQ((with_bitmap), (st).calls[i].bitmap);			\
} while (0)

static int sync_object(FIXTURE_DATA(engine) *self, uint64_t id,
		       uint64_t *pages)
{
	int ret;

	pthread_mutex_lock(&self->lock);
	ret = engine_sync(&self->ctx, id, pages);
	pthread_mutex_unlock(&self->lock);
	return ret;
}

/* engine_sigbus_fn standing in for VMO_IOC_PAGER_SIGBUS. */
static struct {
	int calls;
	uint64_t addr;
	uint32_t tid;
} sigbus_stub;

static int stub_sigbus(struct engine_ctx *ctx, struct engine_client *c,
		       uint64_t addr, uint32_t tid)
{
	(void)ctx;
	(void)c;
	sigbus_stub.calls++;
	sigbus_stub.addr = addr;
	sigbus_stub.tid = tid;
	return 0;
}

/*
 * The file under a file object cannot be read (here: open write-only):
 * the page can never be served, so the faulting thread is sent SIGBUS
 * (the thread the message names) and woken to take it, as the kernel's
 * own fault path would.  Before, it was left waiting for ever.
 */
TEST_F(engine, unreadable_file_page_ends_in_sigbus)
{
	size_t ps = self->ps;
	struct uffd_msg m;
	struct vmo_counters s;
	char path[64], *map;
	int fd, wfd;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	fd = make_file(4 * ps, 3);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, 4 * ps, 0, 0, wfd,
				4 * ps));
	map = map_object(self, 2, true);
	ASSERT_NE(NULL, map);
	memset(&sigbus_stub, 0, sizeof(sigbus_stub));
	engine_set_sigbus(&self->ctx, stub_sigbus);

	m = fault_msg(map + 2 * ps, 0);
	m.arg.pagefault.feat.ptid = 4242;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, sigbus_stub.calls);
	EXPECT_EQ((uintptr_t)map + 2 * ps, sigbus_stub.addr);
	EXPECT_EQ(4242, sigbus_stub.tid);
	EXPECT_EQ(1, CTR(s, FAULTS_SIGBUS));
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, PAGES_FILE));

	/* A message naming no thread (an old client): left waiting. */
	m.arg.pagefault.feat.ptid = 0;
	handle(self, &m);
	s = snap(self);
	EXPECT_EQ(1, sigbus_stub.calls);
	EXPECT_EQ(1, CTR(s, WAKES));
	close(wfd);
	close(fd);
}

TEST_F(engine, file_fill_contents)
{
	size_t ps = self->ps;
	uint64_t fsize = 5 * ps + ps / 2;
	uint8_t *expect = malloc(ps), *got = malloc(ps);
	struct vmo_counters s;
	struct objstub st;
	char *m;
	int fd;
	size_t i;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	ASSERT_NE(NULL, got);
	fd = make_file(fsize, 11);
	ASSERT_LE(0, fd);
	/* From page 1 of the file: 4.5 pages of data, so a 5-page store. */
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, 8 * ps, ps, 0, fd,
				fsize));
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);

	for (i = 0; i < 5; i++) {
		file_page(expect, ps, 11, ps + i * ps, fsize);
		ASSERT_EQ(0, memcmp(m + i * ps, expect, ps)) TH_LOG("page %zu", i);
		/* The page went into the store, clean. */
		ASSERT_EQ((ssize_t)ps, pread(store_fd(self, 2), got, ps,
					     (off_t)(i * ps)));
		ASSERT_EQ(0, memcmp(got, expect, ps));
	}
	/* One aligned block, cut to the 5 pages the file has data for. */
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(5, CTR(s, PAGES_FILE));
	EXPECT_EQ(4 * ps + ps / 2, CTR(s, BYTES_READ));
	EXPECT_EQ(0, CTR(s, PAGES_ZEROED));
	EXPECT_EQ(1, CTR(s, OBJECTS));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(0, CTR(s, RACES));
	st = stub_snap(self);
	EXPECT_EQ(1, st.opens);
	ASSERT_EQ(1, st.ncalls);
	ASSERT_CLEAN(st, 0, 2, 0, 5, false);
	free(expect);
	free(got);
}

TEST_F(engine, file_fills_whole_blocks)
{
	size_t ps = self->ps, i;
	uint8_t *expect = malloc(ps);
	/* A block of 16 first, then the stream goes on at CLUSTER (16). */
	static const uint64_t windows[] = { 16, 16, 16, 16, 16, 16, 4 };
	struct vmo_counters s;
	struct objstub st;
	uint64_t first = 0;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	m = file_object(self, 100, 5, true, &fd);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 100; i++) {
		file_page(expect, ps, 5, i * ps, 100 * ps);
		ASSERT_EQ(0, memcmp(m + i * ps, expect, ps)) TH_LOG("page %zu", i);
	}
	s = snap(self);
	EXPECT_EQ(7, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(100, CTR(s, PAGES_FILE));
	EXPECT_EQ(100 * ps, CTR(s, BYTES_READ));
	EXPECT_EQ(0, CTR(s, ERRORS));
	st = stub_snap(self);
	ASSERT_EQ(7, st.ncalls);
	for (i = 0; i < 7; i++) {
		ASSERT_CLEAN(st, i, 2, first, windows[i], false);
		first += windows[i];
	}
	free(expect);
}

TEST_F(engine, file_write_first)
{
	size_t ps = self->ps;
	uint8_t *expect = malloc(ps);
	struct vmo_counters s;
	struct objstub st;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	fd = make_file(4 * ps, 3);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED,
				4 * ps, 0, 0, fd, 4 * ps));
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	/* A first access that writes: filled from the file, then written. */
	m[2 * ps + 10] = 0x5a;
	file_page(expect, ps, 3, 2 * ps, 4 * ps);
	expect[10] = 0x5a;
	EXPECT_EQ(0, memcmp(m + 2 * ps, expect, ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(4, CTR(s, PAGES_FILE));	/* the block: all 4 pages */
	EXPECT_EQ(0, CTR(s, ERRORS));
	st = stub_snap(self);
	ASSERT_EQ(1, st.ncalls);
	ASSERT_CLEAN(st, 0, 2, 0, 4, false);
	/* The file itself is not written by a fault. */
	EXPECT_EQ(pat(3, 2 * ps + 10), get_byte(fd, 2 * ps + 10));
	free(expect);
}

TEST_F(engine, file_private_mapping)
{
	size_t ps = self->ps;
	uint8_t *expect = malloc(ps);
	struct vmo_counters s;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	m = file_object(self, 4, 8, false, &fd);
	ASSERT_NE(NULL, m);
	file_page(expect, ps, 8, ps, 4 * ps);
	EXPECT_EQ(0, memcmp(m + ps, expect, ps));
	s = snap(self);
	EXPECT_EQ(4, CTR(s, PAGES_FILE));	/* the aligned block */
	EXPECT_EQ(0, CTR(s, ERRORS));
	/*
	 * As a private mapping of a file maps the page cache: the fill is
	 * the object's (in the store, clean), the process reads it ...
	 */
	EXPECT_TRUE(store_has(store_fd(self, 2), ps, 1));
	ASSERT_EQ(1, stub_snap(self).ncalls);
	/* ... and a write makes the process its own copy, not the store's. */
	m[ps + 5] = (char)0x77;
	EXPECT_EQ(expect[5], get_byte(store_fd(self, 2), ps + 5));
	EXPECT_EQ(0x77, (uint8_t)m[ps + 5]);
	EXPECT_EQ(1, CTR(snap(self), FAULTS_MISSING));
	free(expect);
}

/*
 * A fill goes into the store, unmapped; the woken thread's new fault and
 * every other mapping's first touch are mapped by the kernel, with no
 * fault reaching the pager.
 */
TEST_F(engine, file_fill_mapped_by_kernel_everywhere)
{
	size_t ps = self->ps;
	uint8_t *expect = malloc(ps);
	char *m, *m2;
	int fd;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	m = file_object(self, 4, 6, true, &fd);
	ASSERT_NE(NULL, m);
	m2 = map_object(self, 2, true);
	ASSERT_NE(NULL, m2);
	file_page(expect, ps, 6, 2 * ps, 4 * ps);
	EXPECT_EQ(0, memcmp(m + 2 * ps, expect, ps));
	EXPECT_EQ(0, memcmp(m2 + 2 * ps, expect, ps));
	EXPECT_EQ(1, CTR(snap(self), FAULTS_MISSING));
	EXPECT_EQ(0, CTR(snap(self), FAULTS_MINOR));
	EXPECT_EQ(4, CTR(snap(self), PAGES_FILE));
	free(expect);
}

/* A page a client write-protected itself: the pager lifts it. */
TEST_F(engine, write_protect_fault_lifted)
{
	size_t ps = self->ps;
	struct uffdio_writeprotect wp;
	struct vmo_counters s;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	m = file_object(self, 4, 7, true, &fd);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(pat(7, ps), peek(m + ps));
	memset(&wp, 0, sizeof(wp));
	wp.range.start = (uintptr_t)(m + ps);
	wp.range.len = ps;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_WRITEPROTECT, &wp));
	/* Served as a MISSING fault, this write would fault forever. */
	m[ps] = 0x3c;
	EXPECT_EQ(0x3c, peek(m + ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(1, CTR(s, FAULTS_WP));
	EXPECT_EQ(1, CTR(s, WAKES));	/* the fill's */
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, file_copy_eexist_wakes)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	struct uffd_msg msg;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	m = file_object(self, 8, 4, true, &fd);
	ASSERT_NE(NULL, m);
	/* Page 3 filled by someone else after this (synthetic) fault. */
	ASSERT_EQ(0, put_page(store_fd(self, 2), ps, 3, 0xee, 0));
	msg = fault_msg(m + 3 * ps, 0);
	handle(self, &msg);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, RACES));	/* the page is there already */
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, PAGES_FILE));
	EXPECT_EQ(0, CTR(s, ERRORS));
	EXPECT_EQ(0, stub_snap(self).ncalls);
	/* The woken thread faults again: the kernel maps the page there. */
	EXPECT_EQ(0xee, peek(m + 3 * ps));
	s = snap(self);
	EXPECT_EQ(0, CTR(s, FAULTS_MINOR));
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));	/* the synthetic one */
}

TEST_F(engine, file_copy_partial)
{
	size_t ps = self->ps;
	uint8_t *expect = malloc(ps);
	struct vmo_counters s;
	struct vmo_range *r;
	struct objstub st;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	m = file_object(self, 16, 6, true, &fd);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, put_page(store_fd(self, 2), ps, 10, 0xee, 0));
	/* Page 7 there too, so the fill does not reach back to page 0. */
	ASSERT_EQ(0, put_page(store_fd(self, 2), ps, 7, 0xdd, 0));
	/* As if a 2-page fill had ended at page 8: the next window is 4. */
	pthread_mutex_lock(&self->lock);
	r = maptable_lookup(&self->client.mt, (uintptr_t)m);
	ASSERT_NE(NULL, r);
	r->ra_next = (uintptr_t)m + 8 * ps;
	r->ra_pages = 2;
	pthread_mutex_unlock(&self->lock);

	/* Pages 8..11 read; the copy stops at page 10 (EEXIST). */
	file_page(expect, ps, 6, 8 * ps, 16 * ps);
	EXPECT_EQ(0, memcmp(m + 8 * ps, expect, ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(2, CTR(s, PAGES_FILE));
	EXPECT_EQ(1, CTR(s, WAKES));
	EXPECT_EQ(0, CTR(s, ERRORS));
	st = stub_snap(self);
	ASSERT_EQ(1, st.ncalls);
	ASSERT_CLEAN(st, 0, 2, 8, 2, false);
	EXPECT_TRUE(store_has(store_fd(self, 2), ps, 9));
	EXPECT_FALSE(store_has(store_fd(self, 2), ps, 11));
	EXPECT_EQ(0xee, peek(m + 10 * ps));
	file_page(expect, ps, 6, 9 * ps, 16 * ps);
	EXPECT_EQ(0, memcmp(m + 9 * ps, expect, ps));
	free(expect);
}

/*
 * A chain of depth 3 over a file object F (file of 6.5 pages):
 *   S3 (mapped) -> S2 -> S1 (offset 1 page) -> F (file, no offset)
 * Page i of S3 is page i of S2, page i + 1 of S1, page i + 2 of F.
 */
TEST_F(engine, shadow_chain)
{
	size_t ps = self->ps, i;
	uint64_t fsize = 6 * ps + ps / 2;
	uint8_t *expect = malloc(ps);
	struct vmo_counters s;
	struct objstub st;
	char *m;
	int fd, f, s1, s2;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	fd = make_file(fsize, 21);
	ASSERT_LE(0, fd);
	f = add_object(self, 2, VMO_KIND_FILE, 0, 8 * ps, 0, 0, fd, fsize);
	s1 = add_object(self, 3, VMO_KIND_SHADOW, 0, 7 * ps, ps, 2, -1, 0);
	s2 = add_object(self, 4, VMO_KIND_SHADOW, 0, 6 * ps, ps, 3, -1, 0);
	ASSERT_LE(0, add_object(self, 5, VMO_KIND_SHADOW, 0, 6 * ps, 0, 4, -1, 0));
	ASSERT_LE(0, f);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	m = map_object(self, 5, true);
	ASSERT_NE(NULL, m);

	ASSERT_EQ(0, put_page(s2, ps, 0, 0xa0, 0));	/* S3 page 0 ... */
	ASSERT_EQ(0, put_page(s1, ps, 1, 0xb0, 0));	/* ... not this */
	ASSERT_EQ(0, put_page(s1, ps, 2, 0xb1, 0));	/* S3 page 1 ... */
	ASSERT_EQ(0, put_page(f, ps, 3, 0xc1, 0));	/* ... not this */
	ASSERT_EQ(0, put_page(f, ps, 4, 0xc2, 0));	/* S3 page 2 */

	EXPECT_EQ(0xa0, peek(m));
	EXPECT_EQ(0xb1, peek(m + ps));
	EXPECT_EQ(0xc2, peek(m + 2 * ps));
	/* Nowhere in a store: F's file, page 5 (whole), page 6 (half). */
	file_page(expect, ps, 21, 5 * ps, fsize);
	EXPECT_EQ(0, memcmp(m + 3 * ps, expect, ps));
	file_page(expect, ps, 21, 6 * ps, fsize);
	EXPECT_EQ(0, memcmp(m + 4 * ps, expect, ps));
	/* F's page 7 is past the file's end: zeroes through a shadow. */
	for (i = 0; i < ps; i++)
		ASSERT_EQ(0, peek(m + 5 * ps + i));

	s = snap(self);
	EXPECT_EQ(6, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(5, CTR(s, PAGES_PARENT));
	EXPECT_EQ(1, CTR(s, PAGES_SHADOW_ZERO));
	EXPECT_EQ(0, CTR(s, PAGES_FILE));
	EXPECT_EQ(ps + ps / 2, CTR(s, BYTES_READ));
	EXPECT_EQ(4, CTR(s, OBJECTS));
	EXPECT_EQ(0, CTR(s, ERRORS));
	/* Each copy went into S3's store and was cleaned there. */
	st = stub_snap(self);
	EXPECT_EQ(4, st.opens);
	ASSERT_EQ(6, st.ncalls);
	for (i = 0; i < 6; i++) {
		ASSERT_CLEAN(st, i, 5, i, 1, false);
		EXPECT_TRUE(store_has(store_fd(self, 5), ps, i));
	}
	/* Reading through a shadow leaves the ancestors' stores alone. */
	EXPECT_FALSE(store_has(s2, ps, 1));
	EXPECT_FALSE(store_has(s1, ps, 4));
	EXPECT_FALSE(store_has(f, ps, 5));
	free(expect);
}

TEST_F(engine, shadow_anon_root)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	a = add_object(self, 2, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_SHADOW, 0, 4 * ps, 0, 2, -1, 0));
	m = map_object(self, 3, true);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, put_page(a, ps, 1, 0x11, 0));
	EXPECT_EQ(0, peek(m));
	EXPECT_EQ(0x11, peek(m + ps));
	s = snap(self);
	EXPECT_EQ(1, CTR(s, PAGES_SHADOW_ZERO));
	EXPECT_EQ(1, CTR(s, PAGES_PARENT));
	EXPECT_EQ(0, CTR(s, BYTES_READ));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, shadow_page_frozen_at_first_access)
{
	size_t ps = self->ps;
	char *ma, *ms;
	int a;

	SKIP_IF_NO_UFFD();
	a = add_object(self, 2, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	/* S's page i is A's page i + 1. */
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_SHADOW, 0, 3 * ps, ps, 2,
				-1, 0));
	ma = map_object(self, 2, true);
	ms = map_object(self, 3, true);
	ASSERT_NE(NULL, ma);
	ASSERT_NE(NULL, ms);

	/* Until S touches a page, it shows A's current content. */
	ASSERT_EQ(0, put_page(a, ps, 1, 0x11, 0));
	ASSERT_EQ(0, put_page(a, ps, 1, 0x22, 0));
	EXPECT_EQ(0x22, peek(ms));
	/* From then on A's writes no longer show ... */
	ASSERT_EQ(0, put_page(a, ps, 1, 0x33, 0));
	EXPECT_EQ(0x22, peek(ms));
	/* ... and S's writes never reach A. */
	ms[0] = 0x44;
	EXPECT_EQ(0x33, get_byte(a, ps));
	EXPECT_EQ(0x33, peek(ma + ps));

	/* A first access that writes copies first. */
	ASSERT_EQ(0, put_page(a, ps, 2, 0x55, 0));
	ms[ps] = 0x66;
	EXPECT_EQ(0x66, peek(ms + ps));
	EXPECT_EQ(0x55, peek(ms + ps + 1));
	EXPECT_EQ(0x55, get_byte(a, 2 * ps));

	/* A written through a client's mapping: the same. */
	ma[3 * ps] = 0x77;
	EXPECT_EQ(0x77, peek(ms + 2 * ps));
	ma[3 * ps] = 0x78;
	EXPECT_EQ(0x77, peek(ms + 2 * ps));
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
}

TEST_F(engine, shadow_fills_one_page)
{
	size_t ps = self->ps, i;
	struct vmo_counters s;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	fd = make_file(8 * ps, 9);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, 8 * ps, 0, 0, fd,
				8 * ps));
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_SHADOW, 0, 8 * ps, 0, 2,
				-1, 0));
	m = map_object(self, 3, true);
	ASSERT_NE(NULL, m);
	/* Sequential, yet no read-ahead: that would freeze pages early. */
	for (i = 0; i < 8; i++)
		EXPECT_EQ(pat(9, i * ps), peek(m + i * ps));
	s = snap(self);
	EXPECT_EQ(8, CTR(s, FAULTS_MISSING));
	EXPECT_EQ(8, CTR(s, PAGES_PARENT));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

TEST_F(engine, object_gone_closes_it)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	m = file_object(self, 40, 2, true, &fd);
	ASSERT_NE(NULL, m);
	/* Random faults: one 16-page block each. */
	EXPECT_EQ(pat(2, 0), peek(m));
	EXPECT_EQ(pat(2, 20 * ps), peek(m + 20 * ps));
	EXPECT_EQ(1, stub_snap(self).opens);	/* opened once, kept */
	EXPECT_EQ(1, CTR(snap(self), OBJECTS));

	pthread_mutex_lock(&self->lock);
	engine_object_gone(&self->ctx, 2);
	engine_object_gone(&self->ctx, 77);	/* never opened: nothing */
	pthread_mutex_unlock(&self->lock);
	EXPECT_EQ(0, CTR(snap(self), OBJECTS));
	/* (Cannot happen with the module; shows the fds were let go.) */
	EXPECT_EQ(pat(2, 36 * ps), peek(m + 36 * ps));
	s = snap(self);
	EXPECT_EQ(2, stub_snap(self).opens);
	EXPECT_EQ(1, CTR(s, OBJECTS));
	EXPECT_EQ(0, CTR(s, ERRORS));
}

/*
 * An object that cannot be opened now (gone with its mapping; no fd
 * left) is tried again after a pause: the fault is deferred, not left
 * waiting for ever, nor woken at once into a busy loop.
 */
TEST_F(engine, object_unavailable_deferred)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	struct uffd_msg msg;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	m = file_object(self, 8, 2, true, &fd);
	ASSERT_NE(NULL, m);
	msg = fault_msg(m + ps, 0);

	self->objs.obj[2].present = false;	/* the module: ENOENT */
	handle(self, &msg);
	self->objs.obj[2].present = true;
	self->objs.open_ret = -EMFILE;
	self->objs.open_fails = UINT_MAX;
	handle(self, &msg);
	s = snap(self);
	EXPECT_EQ(1, CTR(s, ERRORS));		/* EMFILE; ENOENT is a race */
	EXPECT_EQ(1, CTR(s, RACES));
	EXPECT_EQ(1, CTR(s, FAULTS_DEFERRED));	/* one wake for both */
	EXPECT_EQ(0, CTR(s, PAGES_FILE));
	EXPECT_EQ(0, CTR(s, OBJECTS));
	EXPECT_EQ(2, stub_snap(self).opens);	/* failures are not cached */
	EXPECT_FALSE(store_has(store_fd(self, 2), ps, 1));

	/* Without object callbacks file objects are not served. */
	self->objs.open_ret = 0;
	pthread_mutex_lock(&self->lock);
	engine_set_objects(&self->ctx, NULL, NULL, NULL, NULL);
	pthread_mutex_unlock(&self->lock);
	handle(self, &msg);
	EXPECT_TRUE(self->client.warned_kind);
	EXPECT_EQ(2, CTR(snap(self), ERRORS));
}

struct slow_reader {
	const char *p;
	unsigned char got;
};

static void *slow_reader_main(void *arg)
{
	struct slow_reader *r = arg;

	r->got = *(volatile const unsigned char *)r->p;
	return NULL;
}

/*
 * A file object over a file that does not answer (a FUSE file system
 * any user may mount holds the read): its fault waits, but the pager
 * goes on serving every other fault, and once the file answers the
 * waiting fault is served too.  Before, the pager's one thread sat in
 * the read and no fault of anyone was served.
 */
TEST_F_TIMEOUT(engine, slow_file_does_not_stall_other_faults, 60)
{
	size_t ps = self->ps;
	struct slow_reader r;
	struct slow_fuse fs;
	struct vmo_counters s;
	pthread_t th;
	char *m;
	int fd, ret, i;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	ret = slow_fuse_start(&fs, 8 * ps);
	if (ret)
		SKIP(return, "cannot mount a FUSE file system here: %s",
		     strerror(-ret));
	fd = open(fs.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", fs.path, strerror(errno));
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, 8 * ps, 0, 0, fd,
				8 * ps));
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);

	r.p = m + 2 * ps + 5;
	ASSERT_EQ(0, pthread_create(&th, NULL, slow_reader_main, &r));
	for (i = 0; i < 1000 && !CTR(snap(self), FILE_TIMEOUTS); i++)
		usleep(10000);
	s = snap(self);
	ASSERT_EQ(1, CTR(s, FILE_TIMEOUTS));
	/* Held: the pager serves another object meanwhile. */
	EXPECT_EQ(0, peek(self->a + 9 * ps));
	EXPECT_EQ(0, peek(self->b + 11 * ps));
	s = snap(self);
	EXPECT_LE(2, CTR(s, PAGES_ZEROED) + CTR(s, PAGES_CONTINUED));
	EXPECT_LE(1, CTR(s, FAULTS_DEFERRED));

	slow_fuse_release(&fs);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(slow_fuse_byte(2 * ps + 5), r.got);
	EXPECT_EQ(1, CTR(snap(self), FILE_TIMEOUTS));
	EXPECT_LE(1, slow_fuse_reads(&fs));
	slow_fuse_stop(&fs);	/* the teardown closes fd */
}

/*
 * No fd for the object, three times: the faulting thread is woken after
 * a pause each time, faults again, and is served once an open works.
 * Before, the first failure left it asleep for ever.
 */
TEST_F(engine, fill_that_may_pass_is_retried_after_a_pause)
{
	size_t ps = self->ps;
	struct vmo_counters s;
	char *m;
	int fd;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	m = file_object(self, 8, 2, true, &fd);
	ASSERT_NE(NULL, m);
	pthread_mutex_lock(&self->lock);
	self->objs.open_ret = -EMFILE;
	self->objs.open_fails = 3;
	pthread_mutex_unlock(&self->lock);

	EXPECT_EQ(pat(2, 3 * ps), peek(m + 3 * ps));
	s = snap(self);
	EXPECT_EQ(3, CTR(s, FAULTS_DEFERRED));
	EXPECT_EQ(4, stub_snap(self).opens);
	EXPECT_EQ(4, CTR(s, FAULTS_MISSING));
	EXPECT_LE(1, CTR(s, PAGES_FILE));
}

/* ---------------------------------------------------------------- */
/* Write-back                                                        */
/* ---------------------------------------------------------------- */

TEST_F(engine, writeback_dirty_pages)
{
	size_t ps = self->ps, i;
	uint64_t fsize = 5 * ps + ps / 2, pages = 0;
	uint64_t dirty[1] = { 0 };
	uint8_t *expect = malloc(ps), *got = malloc(ps);
	struct vmo_counters s;
	struct objstub st;
	struct stat sb;
	int fd, store;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, expect);
	ASSERT_NE(NULL, got);
	fd = make_file(fsize, 31);
	ASSERT_LE(0, fd);
	/* Object page i is file page i + 1; 5 store pages, the last half. */
	store = add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED, 8 * ps,
			   ps, 0, fd, fsize);
	ASSERT_LE(0, store);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, put_page(store, ps, i, 0, 99));
	/* Dirty: page 0 alone, and a run 2..4 that ends with the tail. */
	set_bit(dirty, 0);
	set_bit(dirty, 2);
	set_bit(dirty, 3);
	set_bit(dirty, 4);
	self->objs.dirty = dirty;
	self->objs.dirty_pages = 64;

	ASSERT_EQ(0, sync_object(self, 2, &pages));
	EXPECT_EQ(4, pages);
	/* The file did not grow past its end. */
	ASSERT_EQ(0, fstat(fd, &sb));
	EXPECT_EQ(fsize, (uint64_t)sb.st_size);
	for (i = 0; i < 6; i++) {
		bool written = i >= 1 && bit(dirty, i - 1);
		size_t len = i < 5 ? ps : ps / 2;

		if (written)
			fill_pat(expect, ps, 99, (i - 1) * ps);
		else
			fill_pat(expect, ps, 31, i * ps);
		ASSERT_EQ((ssize_t)len, pread(fd, got, ps, (off_t)(i * ps)));
		EXPECT_EQ(0, memcmp(got, expect, len)) TH_LOG("file page %zu", i);
	}
	s = snap(self);
	EXPECT_EQ(4, CTR(s, PAGES_WRITTEN));
	EXPECT_EQ(3 * ps + ps / 2, CTR(s, BYTES_WRITTEN));
	EXPECT_EQ(1, CTR(s, SYNCS));
	EXPECT_EQ(0, CTR(s, ERRORS));
	st = stub_snap(self);
	ASSERT_EQ(1, st.ncalls);
	ASSERT_CLEAN(st, 0, 2, 0, 5, true);
	/* Exactly the written pages end their write-back. */
	EXPECT_EQ(4, st.finished);
	free(expect);
	free(got);
}

TEST_F(engine, writeback_in_chunks)
{
	const uint64_t n = VMO_CLEAN_MAX + 3;
	static const uint64_t singles[] = {
		1, VMO_CLEAN_MAX - 1, VMO_CLEAN_MAX, VMO_CLEAN_MAX + 2,
	};
	size_t ps = self->ps;
	uint64_t *dirty = calloc((n + 63) / 64, sizeof(*dirty));
	uint8_t *expect = malloc(ps), *got = malloc(ps);
	uint64_t i, pages = 0, nr = 0;
	struct objstub st;
	int fd, store;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, dirty);
	ASSERT_NE(NULL, expect);
	ASSERT_NE(NULL, got);
	fd = make_file(n * ps, 0);
	ASSERT_LE(0, fd);
	store = add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED, n * ps,
			   0, 0, fd, n * ps);
	ASSERT_LE(0, store);
	/* Single pages, one across the chunk boundary, and a long run. */
	for (i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		set_bit(dirty, singles[i]);
	for (i = 1000; i < 1600; i++)
		set_bit(dirty, i);
	for (i = 0; i < n; i++) {
		if (!bit(dirty, i))
			continue;
		ASSERT_EQ(0, put_page(store, ps, i, 0, 41));
		nr++;
	}
	ASSERT_EQ(604, nr);
	self->objs.dirty = dirty;
	self->objs.dirty_pages = n;

	ASSERT_EQ(0, sync_object(self, 2, &pages));
	EXPECT_EQ(nr, pages);
	st = stub_snap(self);
	ASSERT_EQ(2, st.ncalls);
	ASSERT_CLEAN(st, 0, 2, 0, VMO_CLEAN_MAX, true);
	ASSERT_CLEAN(st, 1, 2, VMO_CLEAN_MAX, 3, true);
	for (i = 0; i < n; i++) {
		if (bit(dirty, i))
			fill_pat(expect, ps, 41, i * ps);
		else if (i == 0 || i == 999 || i == 1600 || i == n - 2)
			memset(expect, 0, ps);
		else
			continue;
		ASSERT_EQ((ssize_t)ps, pread(fd, got, ps, (off_t)(i * ps)));
		ASSERT_EQ(0, memcmp(got, expect, ps)) TH_LOG("page %llu",
							      (unsigned long long)i);
	}
	EXPECT_EQ(nr, CTR(snap(self), PAGES_WRITTEN));
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
	free(dirty);
	free(expect);
	free(got);
}

TEST_F(engine, writeback_only_shared_files)
{
	size_t ps = self->ps;
	uint64_t pages = 1, dirty[1] = { ~0ULL };
	struct vmo_counters s;
	int fd;

	SKIP_IF_NO_UFFD();
	fd = make_file(4 * ps, 1);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, 4 * ps, 0, 0, fd,
				4 * ps));
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_SHADOW, 0, 4 * ps, 0, 2,
				-1, 0));
	ASSERT_LE(0, add_object(self, 4, VMO_KIND_ANON, 0, 4 * ps, 0, 0,
				-1, 0));
	self->objs.dirty = dirty;
	self->objs.dirty_pages = 64;
	EXPECT_EQ(0, sync_object(self, 2, &pages));
	EXPECT_EQ(0, pages);
	EXPECT_EQ(0, sync_object(self, 3, &pages));
	EXPECT_EQ(0, sync_object(self, 4, &pages));
	EXPECT_EQ(0, pages);
	EXPECT_EQ(0, stub_snap(self).ncalls);
	s = snap(self);
	EXPECT_EQ(3, CTR(s, SYNCS));
	EXPECT_EQ(0, CTR(s, PAGES_WRITTEN));
	EXPECT_EQ(0, CTR(s, ERRORS));
	/* A sync for an object that is gone fails. */
	vlog_level = VLOG_SILENT;
	EXPECT_EQ(-ENOENT, sync_object(self, 6, &pages));
	EXPECT_EQ(1, CTR(snap(self), ERRORS));
}

TEST_F(engine, writeback_error_reported)
{
	size_t ps = self->ps;
	uint64_t pages = 1, dirty[1] = { 0x5 };
	char path[64];
	int fd, ro;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	fd = make_file(4 * ps, 1);
	ASSERT_LE(0, fd);
	/* Not open for writing: every write fails with EBADF. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	close(fd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED,
				4 * ps, 0, 0, ro, 4 * ps));
	ASSERT_EQ(0, put_page(store_fd(self, 2), ps, 0, 0x10, 0));
	ASSERT_EQ(0, put_page(store_fd(self, 2), ps, 2, 0x12, 0));
	self->objs.dirty = dirty;
	self->objs.dirty_pages = 64;
	EXPECT_EQ(-EBADF, sync_object(self, 2, &pages));
	EXPECT_EQ(0, pages);
	EXPECT_LE(2, CTR(snap(self), ERRORS));	/* both writes */
	EXPECT_EQ(pat(1, 0), get_byte(ro, 0));
}

/* ---------------------------------------------------------------- */
/* Paging: backing store, slot map, page-out and page-in             */
/* ---------------------------------------------------------------- */

/* A backing store of @slots pages in a new temporary file (unlinked). */
static int open_backing(struct backing *bk, uint64_t slots)
{
	char path[] = "/tmp/pager_host_backing.XXXXXX";
	size_t ps = sysconf(_SC_PAGESIZE);
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);		/* backing_open() creates it anew */
	ret = backing_open(bk, path, slots * ps, ps);
	unlink(path);
	return ret;
}

TEST(backing_allocator)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	int64_t got[8], slot;
	struct backing bk;
	struct stat st;
	int i, j;

	vlog_level = VLOG_SILENT;
	ASSERT_EQ(0, open_backing(&bk, 8));
	TH_LOG("backing file: %s", bk.direct ? "O_DIRECT" : "buffered");
	ASSERT_EQ(0, fstat(bk.fd, &st));
	EXPECT_EQ(8 * ps, (size_t)st.st_size);
	EXPECT_EQ(8, bk.nslots);
	EXPECT_EQ(8, backing_free_slots(&bk));
	EXPECT_EQ(8, backing_meta_bytes(&bk));	/* one 64-bit word */
	for (i = 0; i < 8; i++) {
		got[i] = backing_alloc(&bk, false);
		ASSERT_LE(0, got[i]);
		ASSERT_GT(8, got[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(got[j], got[i]);
	}
	/* Full: refused, counted, the episode flagged. */
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, false));
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, true));
	EXPECT_EQ(2, bk.refused);
	EXPECT_TRUE(bk.full);
	backing_free(&bk, 3, false);
	EXPECT_EQ(3, backing_alloc(&bk, false));
	for (i = 0; i < 8; i++)
		backing_free(&bk, (uint64_t)i, false);
	EXPECT_EQ(0, bk.used);
	EXPECT_FALSE(bk.full);

	/* Three slots promised to reserved objects: others stop at 3 free. */
	backing_set_reserved(&bk, 3);
	EXPECT_EQ(3, backing_keep_free(&bk));
	for (i = 0; i < 5; i++)
		ASSERT_LE(0, backing_alloc(&bk, false));
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, false));
	/* The reserved ones may take them, which keeps fewer free. */
	slot = backing_alloc(&bk, true);
	ASSERT_LE(0, slot);
	EXPECT_EQ(2, backing_keep_free(&bk));
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, false));
	ASSERT_LE(0, backing_alloc(&bk, true));
	ASSERT_LE(0, backing_alloc(&bk, true));
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, true));
	EXPECT_EQ(3, bk.held_reserved);
	backing_free(&bk, (uint64_t)slot, true);
	EXPECT_EQ(1, backing_keep_free(&bk));
	EXPECT_EQ(-ENOSPC, backing_alloc(&bk, false));
	backing_close(&bk);
}

TEST(backing_open_and_sizes)
{
	char path[] = "/tmp/pager_host_small.XXXXXX";
	uint64_t v = 0;
	struct backing bk;
	int fd;

	vlog_level = VLOG_SILENT;
	EXPECT_EQ(0, backing_parse_size("4096", &v));
	EXPECT_EQ(4096, v);
	EXPECT_EQ(0, backing_parse_size("2G", &v));
	EXPECT_EQ(2ULL << 30, v);
	EXPECT_EQ(0, backing_parse_size("512m", &v));
	EXPECT_EQ(512ULL << 20, v);
	EXPECT_EQ(-EINVAL, backing_parse_size("", &v));
	EXPECT_EQ(-EINVAL, backing_parse_size("-1", &v));
	EXPECT_EQ(-EINVAL, backing_parse_size("12X", &v));
	EXPECT_EQ(-EINVAL, backing_parse_size("1GB", &v));
	EXPECT_EQ(-EINVAL, backing_parse_size("99999999999T", &v));
	/* Neither a file nor a block device. */
	EXPECT_GT(0, backing_open(&bk, "/dev/null", 0, 4096));
	EXPECT_EQ(-1, bk.fd);
	/* Smaller than a page. */
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 100));
	close(fd);
	EXPECT_EQ(-EINVAL, backing_open(&bk, path, 0, 4096));
	/* A size given grows the file. */
	ASSERT_EQ(0, backing_open(&bk, path, 5 * 4096, 4096));
	EXPECT_EQ(5, bk.nslots);
	backing_close(&bk);
	unlink(path);
}

static void count_slot(void *arg, uint64_t idx, uint64_t slot)
{
	(*(uint64_t *)arg)++;
}

TEST(slotmap_sparse_bounded)
{
	const uint64_t big = 1ULL << 28;	/* 1 TiB of 4 KiB pages */
	const uint64_t far[] = { 0, 12345, big / 2 + 7, big - 1 };
	struct slotmap_acct acct = { 0 };
	struct slotmap sm;
	uint64_t i, n = 0, top, dense = 100000;

	slotmap_init(&sm, big, &acct);
	EXPECT_EQ(0, acct.bytes);	/* nothing until the first entry */
	EXPECT_EQ(0, slotmap_get(&sm, 5));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, slotmap_set(&sm, far[i], sm_slot_rec(i) | SM_RES));
	EXPECT_EQ(-EINVAL, slotmap_set(&sm, big, 1));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(sm_slot_rec(i) | SM_RES, slotmap_get(&sm, far[i]));
	EXPECT_EQ(0, slotmap_get(&sm, 1));
	EXPECT_EQ(0, slotmap_get(&sm, big - 2));
	/* Four scattered pages: the top (8 KiB) and small pieces. */
	TH_LOG("4 pages scattered over 1 TiB: %llu bytes",
	       (unsigned long long)acct.bytes);
	EXPECT_GT(40000, acct.bytes);
	EXPECT_EQ(4, acct.tracked);
	EXPECT_EQ(4, acct.resident);
	EXPECT_EQ(4, sm.slots);
	EXPECT_EQ(far[1], slotmap_next(&sm, 1, SM_RES));
	EXPECT_EQ(far[3], slotmap_next(&sm, far[2] + 1, SM_RES));
	EXPECT_EQ(SM_NONE, slotmap_next(&sm, far[3] + 1, SM_RES));
	/* Entries back to 0: leaves and mids go, only the top stays. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, slotmap_set(&sm, far[i], 0));
	top = acct.bytes;
	EXPECT_EQ(1024 * sizeof(void *), top);
	EXPECT_EQ(0, acct.tracked);

	/* Dense: about 4 bytes per tracked page, far below 8. */
	for (i = 0; i < dense; i++)
		ASSERT_EQ(0, slotmap_set(&sm, i, sm_slot_rec(i)));
	TH_LOG("%llu dense pages: %.3f bytes per page (plus the %llu-byte top)",
	       (unsigned long long)dense,
	       (double)(acct.bytes - top) / dense, (unsigned long long)top);
	EXPECT_GT(4.1 * dense, (double)(acct.bytes - top));
	EXPECT_GT(8 * dense, acct.bytes);
	EXPECT_EQ(dense, acct.records);
	EXPECT_EQ(10, slotmap_run(&sm, dense - 10, 100, true));
	EXPECT_EQ(0, slotmap_run(&sm, dense - 10, 100, false));
	EXPECT_EQ(100, slotmap_run(&sm, dense, 100, false));
	slotmap_destroy(&sm, count_slot, &n);
	EXPECT_EQ(dense, n);
	EXPECT_EQ(0, acct.bytes);
	EXPECT_EQ(0, acct.tracked);
	EXPECT_EQ(0, acct.records);

	/* A small object costs little: 16 pages. */
	slotmap_init(&sm, 16, &acct);
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, slotmap_set(&sm, i, SM_RES));
	TH_LOG("16-page object, all tracked: %llu bytes",
	       (unsigned long long)acct.bytes);
	EXPECT_GE(8 * 16, acct.bytes);
	slotmap_destroy(&sm, NULL, NULL);
	EXPECT_EQ(0, acct.bytes);
}

TEST(headroom_policy)
{
	const char *mi = "MemTotal:         262144 kB\n"
			 "MemFree:           10000 kB\n"
			 "MemAvailable:      8192 kB\n"
			 "Buffers:              0 kB\n";
	uint64_t total = 0, avail = 0;
	struct headroom h = { .fd = -1 };

	vlog_level = VLOG_SILENT;
	ASSERT_EQ(0, meminfo_parse(mi, &total, &avail));
	EXPECT_EQ(262144, total);
	EXPECT_EQ(8192, avail);
	EXPECT_EQ(-ENOENT, meminfo_parse("MemTotal: 5 kB\n", &total, &avail));

	/* Defaults: 4% and 8% of 64 Ki pages, but at least 16 and 32 MiB. */
	ASSERT_EQ(0, headroom_set(&h, total, HEADROOM_DEFAULT,
				  HEADROOM_DEFAULT, 4096));
	EXPECT_EQ(4096, h.low);
	EXPECT_EQ(8192, h.high);
	ASSERT_EQ(0, headroom_set(&h, 64ULL << 20, HEADROOM_DEFAULT,
				  HEADROOM_DEFAULT, 4096));
	EXPECT_EQ((16ULL << 20) * 4 / 100, h.low);	/* 64 GiB */
	EXPECT_EQ((16ULL << 20) * 8 / 100, h.high);
	/* A tiny machine: at most a quarter and a half of it. */
	ASSERT_EQ(0, headroom_set(&h, 32768, HEADROOM_DEFAULT,
				  HEADROOM_DEFAULT, 4096));
	EXPECT_EQ(2048, h.low);
	EXPECT_EQ(4096, h.high);
	ASSERT_EQ(0, headroom_set(&h, total, HEADROOM_DEFAULT,
				  HEADROOM_DEFAULT, 4096));
	EXPECT_EQ(0, headroom_want(&h, h.low));
	EXPECT_EQ(HEADROOM_BATCH, headroom_want(&h, 0));
	/* Towards the high watermark, at most a batch at a time. */
	ASSERT_EQ(0, headroom_set(&h, total, 1, 2, 4096));
	EXPECT_EQ(256, h.low);
	EXPECT_EQ(512, h.high);
	EXPECT_EQ(0, headroom_want(&h, 300));
	EXPECT_EQ(312, headroom_want(&h, 200));
	/* Given in MiB; only the low one: the high one keeps the ratio. */
	ASSERT_EQ(0, headroom_set(&h, total, 10, HEADROOM_DEFAULT, 4096));
	EXPECT_EQ(2560, h.low);
	EXPECT_EQ(5120, h.high);
	EXPECT_EQ(-EINVAL, headroom_set(&h, total, 10, 5, 4096));
	/* 0 disables. */
	ASSERT_EQ(0, headroom_set(&h, total, 0, HEADROOM_DEFAULT, 4096));
	EXPECT_EQ(0, headroom_want(&h, 0));
}

/* Paging on: a backing store of @slots pages, CLEAN/EVICT emulated. */
static int paging_on(FIXTURE_DATA(engine) *self, uint64_t slots)
{
	int ret = open_backing(&self->bk, slots);

	if (ret)
		return ret;
	self->bk_open = true;
	pthread_mutex_lock(&self->lock);
	self->objs.emulate = true;
	engine_set_backing(&self->ctx, &self->bk);
	pthread_mutex_unlock(&self->lock);
	return 0;
}

/* The module would see pages [first, first + n) of @id as written. */
static void mark_dirty(FIXTURE_DATA(engine) *self, uint64_t id,
		       uint64_t first, uint64_t n)
{
	uint64_t i;

	pthread_mutex_lock(&self->lock);
	for (i = first; i < first + n; i++)
		set_bit(self->objs.edirty[id], i);
	pthread_mutex_unlock(&self->lock);
}

static uint64_t scavenge_short(FIXTURE_DATA(engine) *self, uint64_t want,
			       bool short_of_memory)
{
	uint64_t got;

	pthread_mutex_lock(&self->lock);
	got = engine_scavenge(&self->ctx, want, short_of_memory);
	pthread_mutex_unlock(&self->lock);
	return got;
}

static uint64_t scavenge(FIXTURE_DATA(engine) *self, uint64_t want)
{
	return scavenge_short(self, want, false);
}

/* Pages of store @fd (of @n pages) that are present. */
static uint64_t store_count(int fd, size_t ps, uint64_t n)
{
	uint64_t i, c = 0;

	for (i = 0; i < n; i++)
		c += store_has(fd, ps, i);
	return c;
}

/* Page @idx's slot map entry in open object @id (0 if not open). */
static uint32_t entry(FIXTURE_DATA(engine) *self, uint64_t id, uint64_t idx)
{
	struct pobj *o;
	uint32_t e = 0;

	pthread_mutex_lock(&self->lock);
	o = objcache_find(&self->ctx.objs, id);
	if (o)
		e = slotmap_get(&o->map, idx);
	pthread_mutex_unlock(&self->lock);
	return e;
}

static void gone(FIXTURE_DATA(engine) *self, uint64_t id)
{
	pthread_mutex_lock(&self->lock);
	engine_object_gone(&self->ctx, id);
	pthread_mutex_unlock(&self->lock);
}

/* Write page @pg of mapping @m with content @seed (0: leave it alone). */
static void write_page(char *m, size_t ps, uint64_t pg, uint32_t seed)
{
	fill_pat((uint8_t *)m + pg * ps, ps, seed, pg * ps);
}

static bool page_is(const char *m, size_t ps, uint64_t pg, uint32_t seed,
		    uint8_t *tmp)
{
	if (seed)
		fill_pat(tmp, ps, seed, pg * ps);
	else
		memset(tmp, 0, ps);
	return !memcmp(m + pg * ps, tmp, ps);
}

TEST_F(engine, paging_anon_round_trip)
{
	const uint64_t n = 32, zero_pg = 5;
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	struct vmo_counters s0, s;
	uint64_t i;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 64));
	a = add_object(self, 2, VMO_KIND_ANON, 0, n * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < n; i++) {
		if (i == zero_pg) {
			EXPECT_EQ(0, peek(m + i * ps));	/* zero-filled only */
		} else {
			write_page(m, ps, i, 41);
		}
	}
	mark_dirty(self, 2, 0, n);	/* zero fills are the object's own */
	EXPECT_EQ(n, store_count(a, ps, n));
	s0 = snap(self);
	EXPECT_EQ(64, CTR(s0, BACKING_SLOTS_FREE));
	EXPECT_EQ(0, CTR(s0, BACKING_SLOTS_USED));

	/* Everything goes; the all-zero page needs no slot. */
	EXPECT_EQ(n, scavenge(self, n));
	s = snap(self);
	EXPECT_EQ(0, store_count(a, ps, n));
	EXPECT_EQ(n - 1, CTR(s, PAGES_OUT));
	EXPECT_EQ(n, CTR(s, PAGES_EVICTED));
	EXPECT_EQ((n - 1) * ps, CTR(s, BACKING_BYTES_WRITTEN));
	EXPECT_EQ(n - 1, CTR(s, BACKING_SLOTS_USED));
	EXPECT_EQ(64 - (n - 1), CTR(s, BACKING_SLOTS_FREE));
	EXPECT_GT(CTR(s, META_BYTES), 0);
	EXPECT_EQ(0, entry(self, 2, zero_pg));
	EXPECT_TRUE(sm_rec_is_slot(sm_rec(entry(self, 2, 0))));

	/* Page-in: the same content, from the backing store. */
	for (i = 0; i < n; i++)
		ASSERT_TRUE(page_is(m, ps, i, i == zero_pg ? 0 : 41, tmp))
			TH_LOG("page %llu", (unsigned long long)i);
	s = snap(self);
	EXPECT_EQ(n - 1, CTR(s, PAGES_IN));
	EXPECT_EQ((n - 1) * ps, CTR(s, BACKING_BYTES_READ));
	EXPECT_EQ(0, CTR(s, ERRORS));

	/* Paged in = clean (equal to the slot): goes again without a write. */
	EXPECT_EQ(n, scavenge(self, n));
	s = snap(self);
	EXPECT_EQ(n - 1, CTR(s, PAGES_OUT));
	EXPECT_EQ(n - 1, CTR(s, BACKING_SLOTS_USED));
	/* A page that became all zero gives its slot back. */
	memset(m + 7 * ps, 0, ps);
	mark_dirty(self, 2, 7, 1);
	EXPECT_LE(1, scavenge(self, n));
	s = snap(self);
	EXPECT_EQ(n - 2, CTR(s, BACKING_SLOTS_USED));
	for (i = 0; i < n; i++)
		ASSERT_TRUE(page_is(m, ps, i,
				    i == zero_pg || i == 7 ? 0 : 41, tmp))
			TH_LOG("page %llu", (unsigned long long)i);

	/* The object's slots go with it. */
	gone(self, 2);
	EXPECT_EQ(0, self->bk.used);
	engine_update_gauges(&self->ctx);
	EXPECT_EQ(64, CTR(snap(self), BACKING_SLOTS_FREE));
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
	free(tmp);
}

/*
 * Pages in a store before the pager opened the object (an earlier
 * pager's) are tracked from the open on and can be given back: the
 * kernel maps store pages without the pager, so nothing else tells it.
 */
TEST_F(engine, paging_tracks_pages_already_in_store)
{
	const uint64_t n = 16;
	size_t ps = self->ps;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, paging_on(self, 64));
	a = add_object(self, 2, VMO_KIND_ANON, 0, n * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, put_page(a, ps, 3, 0xab, 0));
	ASSERT_EQ(0, put_page(a, ps, 9, 0xcd, 0));
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0, peek(m));		/* opens the object */
	EXPECT_TRUE(entry(self, 2, 3) & SM_RES);
	EXPECT_TRUE(entry(self, 2, 9) & SM_RES);
	EXPECT_FALSE(entry(self, 2, 4) & SM_RES);

	mark_dirty(self, 2, 0, n);
	EXPECT_LE(2, scavenge(self, n));
	EXPECT_FALSE(store_has(a, ps, 3));
	EXPECT_FALSE(store_has(a, ps, 9));
	EXPECT_EQ(0xab, (uint8_t)peek(m + 3 * ps));
	EXPECT_EQ(0xcd, (uint8_t)peek(m + 9 * ps));
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
}

TEST_F(engine, paging_shadow_round_trip)
{
	const uint64_t n = 16, zero_pg = 8;
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps), *buf = malloc(ps);
	struct vmo_counters s;
	char *ms, *mg;
	uint64_t i;
	int fd, st;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, paging_on(self, 64));
	fd = make_file(n * ps, 51);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_FILE, 0, n * ps, 0, 0, fd,
				n * ps));
	st = add_object(self, 3, VMO_KIND_SHADOW, 0, n * ps, 0, 2, -1, 0);
	ASSERT_LE(0, st);
	ASSERT_LE(0, add_object(self, 4, VMO_KIND_SHADOW, 0, n * ps, 0, 3, -1,
				0));
	ms = map_object(self, 3, true);
	ASSERT_NE(NULL, ms);
	/* 0..3 read (clean copies), 4..7 written, 8 written all zero. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(pat(51, i * ps), peek(ms + i * ps));
	for (i = 4; i < 8; i++)
		write_page(ms, ps, i, 52);
	memset(ms + zero_pg * ps, 0, ps);
	mark_dirty(self, 3, 4, 5);

	EXPECT_EQ(9, scavenge(self, 100));
	s = snap(self);
	EXPECT_EQ(0, store_count(st, ps, n));
	EXPECT_EQ(4, CTR(s, PAGES_OUT));
	EXPECT_EQ(4, self->bk.used);
	/* The zero page is recorded: its parent would show something else. */
	EXPECT_EQ(SM_REC_ZERO, sm_rec(entry(self, 3, zero_pg)));
	EXPECT_EQ(0, sm_rec(entry(self, 3, 0)));	/* re-derived */

	/* The file changes under the clean copies. */
	for (i = 0; i < n; i++) {
		fill_pat(buf, ps, 53, i * ps);
		ASSERT_EQ((ssize_t)ps, pwrite(fd, buf, ps, (off_t)(i * ps)));
	}
	/* A shadow of S reads S's paged-out pages from the backing store. */
	mg = map_object(self, 4, true);
	ASSERT_NE(NULL, mg);
	for (i = 4; i < 8; i++)
		ASSERT_TRUE(page_is(mg, ps, i, 52, tmp));
	ASSERT_TRUE(page_is(mg, ps, zero_pg, 0, tmp));
	ASSERT_TRUE(page_is(mg, ps, 0, 53, tmp));
	EXPECT_EQ(0, store_count(st, ps, n));	/* S's store untouched */
	EXPECT_EQ(4 * ps, CTR(snap(self), BACKING_BYTES_READ));

	/* Through S: own pages back, clean copies re-derived (newer file). */
	for (i = 0; i < n; i++) {
		uint32_t seed = i >= 4 && i < 8 ? 52 : i == zero_pg ? 0 : 53;

		ASSERT_TRUE(page_is(ms, ps, i, seed, tmp))
			TH_LOG("page %llu", (unsigned long long)i);
	}
	s = snap(self);
	EXPECT_EQ(5, CTR(s, PAGES_IN));	/* 4 slots and the zero record */
	EXPECT_EQ(8 * ps, CTR(s, BACKING_BYTES_READ));
	EXPECT_EQ(0, CTR(s, ERRORS));
	gone(self, 4);
	gone(self, 3);
	EXPECT_EQ(0, self->bk.used);
	free(tmp);
	free(buf);
}

TEST_F(engine, paging_backing_full_keeps_pages)
{
	const uint64_t n = 8;
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	struct vmo_counters s;
	uint64_t i;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;	/* "backing store full" */
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 4));
	a = add_object(self, 2, VMO_KIND_ANON, 0, n * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < n; i++)
		write_page(m, ps, i, 61);
	mark_dirty(self, 2, 0, n);

	EXPECT_EQ(4, scavenge(self, n));
	s = snap(self);
	EXPECT_EQ(4, CTR(s, PAGES_OUT));
	EXPECT_EQ(4, CTR(s, BACKING_FULL));
	EXPECT_EQ(0, CTR(s, BACKING_SLOTS_FREE));
	EXPECT_TRUE(self->bk.full);
	/* The rest stay resident, dirty, with no slot. */
	EXPECT_EQ(4, store_count(a, ps, n));
	/* Asking again changes nothing and loses nothing. */
	EXPECT_EQ(0, scavenge(self, n));
	EXPECT_EQ(4, store_count(a, ps, n));
	for (i = 0; i < n; i++)
		ASSERT_TRUE(page_is(m, ps, i, 61, tmp))
			TH_LOG("page %llu", (unsigned long long)i);
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
	free(tmp);
}

TEST_F(engine, paging_victims_skip_recent)
{
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	uint64_t i;
	char *m, *m2;
	int a, b;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 64));
	a = add_object(self, 2, VMO_KIND_ANON, 0, 16 * ps, 0, 0, -1, 0);
	b = add_object(self, 3, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	m = map_object(self, 2, true);
	m2 = map_object(self, 3, true);
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, m2);
	for (i = 0; i < 16; i++)
		write_page(m, ps, i, 71);
	mark_dirty(self, 2, 0, 16);
	/* All were just filled: one round clears them, then the oldest go. */
	EXPECT_EQ(4, scavenge(self, 4));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(i >= 4, store_has(a, ps, i));
	/* Recent: page 0 comes back in, B's page 0 is filled. */
	ASSERT_TRUE(page_is(m, ps, 0, 71, tmp));
	EXPECT_EQ(0, peek(m2));
	mark_dirty(self, 3, 0, 1);
	/* The hand goes on with A's 4..15 and passes over both. */
	EXPECT_EQ(12, scavenge(self, 12));
	EXPECT_TRUE(store_has(a, ps, 0));
	EXPECT_TRUE(store_has(b, ps, 0));
	for (i = 1; i < 16; i++)
		EXPECT_FALSE(store_has(a, ps, i));
	/* Next time round they go too. */
	EXPECT_EQ(2, scavenge(self, 2));
	EXPECT_FALSE(store_has(a, ps, 0));
	EXPECT_FALSE(store_has(b, ps, 0));
	for (i = 0; i < 16; i++)
		ASSERT_TRUE(page_is(m, ps, i, 71, tmp));
	EXPECT_EQ(0, CTR(snap(self), ERRORS));
	free(tmp);
}

TEST_F(engine, paging_rewritten_page_keeps_slot)
{
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	uint64_t i, slot;
	uint32_t e;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 64));
	a = add_object(self, 2, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 4; i++)
		write_page(m, ps, i, 81);
	mark_dirty(self, 2, 0, 4);
	/* Page 2 is written again while it is being written out. */
	set_bit(self->objs.erewrite[2], 2);
	EXPECT_EQ(3, scavenge(self, 3));
	EXPECT_TRUE(store_has(a, ps, 2));
	e = entry(self, 2, 2);
	ASSERT_TRUE(sm_rec_is_slot(sm_rec(e)));
	EXPECT_TRUE(e & SM_RES);
	slot = sm_rec_slot(sm_rec(e));
	EXPECT_EQ(4, self->bk.used);
	EXPECT_EQ(4, CTR(snap(self), PAGES_OUT));
	/* Next time it goes, through the same slot. */
	EXPECT_EQ(1, scavenge(self, 4));
	EXPECT_FALSE(store_has(a, ps, 2));
	EXPECT_EQ(sm_slot_rec(slot), sm_rec(entry(self, 2, 2)));
	EXPECT_EQ(4, self->bk.used);
	EXPECT_EQ(5, CTR(snap(self), PAGES_OUT));
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(page_is(m, ps, i, 81, tmp));
	free(tmp);
}

TEST_F(engine, paging_reserved_slots_kept)
{
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	uint64_t i;
	char *m, *mr;
	int a, r;

	SKIP_IF_NO_UFFD();
	vlog_level = VLOG_SILENT;
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 8));
	a = add_object(self, 2, VMO_KIND_ANON, 0, 8 * ps, 0, 0, -1, 0);
	r = add_object(self, 3, VMO_KIND_ANON, VMO_CREATE_RESERVE, 4 * ps, 0,
		       0, -1, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, r);
	/* The module has 4 pages reserved (object 3). */
	backing_set_reserved(&self->bk, 4);
	m = map_object(self, 2, true);
	mr = map_object(self, 3, true);
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, mr);
	for (i = 0; i < 8; i++)
		write_page(m, ps, i, 91);
	mark_dirty(self, 2, 0, 8);
	EXPECT_EQ(4, scavenge(self, 100));
	EXPECT_EQ(4, self->bk.used);
	for (i = 0; i < 4; i++)
		write_page(mr, ps, i, 92);
	mark_dirty(self, 3, 0, 4);
	EXPECT_EQ(4, scavenge(self, 100));
	EXPECT_EQ(0, store_count(r, ps, 4));
	EXPECT_EQ(8, self->bk.used);
	EXPECT_EQ(4, self->bk.held_reserved);
	for (i = 0; i < 8; i++)
		ASSERT_TRUE(page_is(m, ps, i, 91, tmp));
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(page_is(mr, ps, i, 92, tmp));
	free(tmp);
}

TEST_F(engine, paging_shared_file_written_back)
{
	const uint64_t n = 8;
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	struct vmo_counters s;
	uint64_t i;
	char *m;
	int fd, st;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 64));
	fd = make_file(n * ps, 101);
	ASSERT_LE(0, fd);
	st = add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED, n * ps, 0,
			0, fd, n * ps);
	ASSERT_LE(0, st);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < n; i++)
		EXPECT_EQ(pat(101, i * ps), peek(m + i * ps));
	write_page(m, ps, 2, 102);
	mark_dirty(self, 2, 2, 1);
	EXPECT_EQ(n, scavenge(self, n));
	s = snap(self);
	EXPECT_EQ(0, store_count(st, ps, n));
	EXPECT_EQ(1, CTR(s, PAGES_WRITTEN));	/* to the file ... */
	EXPECT_EQ(0, CTR(s, PAGES_OUT));	/* ... not the backing store */
	EXPECT_EQ(0, self->bk.used);
	ASSERT_EQ((ssize_t)ps, pread(fd, tmp, ps, (off_t)(2 * ps)));
	EXPECT_EQ(pat(102, 2 * ps), tmp[0]);
	for (i = 0; i < n; i++)
		ASSERT_TRUE(page_is(m, ps, i, i == 2 ? 102 : 101, tmp));
	free(tmp);
}

/*
 * Short of memory, a shared file object's dirty pages are not written
 * to a file in memory (tmpfs: each write takes a page before one can
 * go) while anything else can go; then they are.
 */
TEST_F(engine, paging_short_of_memory_writes_to_memory_files_last)
{
	char path[] = "/dev/shm/pager_host_test.XXXXXX";
	const uint64_t n = 4;
	size_t ps = self->ps;
	struct vmo_counters s;
	char *mf, *ma;
	uint64_t i;
	int fd, st;

	SKIP_IF_NO_UFFD();
	fd = mkstemp(path);
	if (fd < 0)
		SKIP(return, "no tmpfs at /dev/shm: %s", strerror(errno));
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, (off_t)(n * ps)));
	ASSERT_EQ(0, paging_on(self, 64));
	st = add_object(self, 2, VMO_KIND_FILE, VMO_CREATE_SHARED, n * ps, 0,
			0, fd, n * ps);
	ASSERT_LE(0, st);
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_ANON, 0, n * ps, 0, 0, -1, 0));
	mf = map_object(self, 2, true);
	ma = map_object(self, 3, true);
	ASSERT_NE(NULL, mf);
	ASSERT_NE(NULL, ma);
	for (i = 0; i < n; i++) {
		write_page(mf, ps, i, 131);
		write_page(ma, ps, i, 132);
	}
	mark_dirty(self, 2, 0, n);
	mark_dirty(self, 3, 0, n);

	EXPECT_EQ(n, scavenge_short(self, n, true));
	s = snap(self);
	EXPECT_EQ(0, CTR(s, PAGES_WRITTEN));	/* nothing to the tmpfs file */
	EXPECT_EQ(n, CTR(s, PAGES_OUT));	/* the anonymous pages went */
	EXPECT_EQ(n, store_count(st, ps, n));

	/* Nothing else left: then the file's pages go too. */
	EXPECT_EQ(n, scavenge_short(self, n, true));
	s = snap(self);
	EXPECT_EQ(n, CTR(s, PAGES_WRITTEN));
	EXPECT_EQ(0, store_count(st, ps, n));
	close(fd);
}

TEST_F(engine, paging_forget_unlisted_objects)
{
	const uint64_t live[] = { 3, 9 };
	size_t ps = self->ps, gone;
	uint64_t i;
	char *m2, *m3;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, paging_on(self, 64));
	ASSERT_LE(0, add_object(self, 2, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0));
	ASSERT_LE(0, add_object(self, 3, VMO_KIND_ANON, 0, 4 * ps, 0, 0, -1, 0));
	m2 = map_object(self, 2, true);
	m3 = map_object(self, 3, true);
	ASSERT_NE(NULL, m2);
	ASSERT_NE(NULL, m3);
	for (i = 0; i < 4; i++) {
		write_page(m2, ps, i, 121);
		write_page(m3, ps, i, 122);
	}
	mark_dirty(self, 2, 0, 4);
	mark_dirty(self, 3, 0, 4);
	EXPECT_EQ(8, scavenge(self, 8));
	EXPECT_EQ(8, self->bk.used);
	/* The module lists only 3 (and 9): 2's gone event was lost. */
	pthread_mutex_lock(&self->lock);
	gone = engine_objects_exist(&self->ctx, live, 2);
	pthread_mutex_unlock(&self->lock);
	EXPECT_EQ(1, gone);
	EXPECT_EQ(4, self->bk.used);
	EXPECT_EQ(NULL, objcache_find(&self->ctx.objs, 2));
	EXPECT_EQ(1, CTR(snap(self), OBJECTS));
}

/* Turn on the emulation of the module's page records. */
static void records_on(FIXTURE_DATA(engine) *self)
{
	pthread_mutex_lock(&self->lock);
	engine_set_records(&self->ctx, stub_record);
	pthread_mutex_unlock(&self->lock);
}

TEST_F(engine, paging_tells_module_where_pages_went)
{
	uint64_t i, slots = 0;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	ASSERT_EQ(0, paging_on(self, 64));
	records_on(self);
	a = add_object(self, 2, VMO_KIND_ANON, 0, 8 * self->ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 8; i++)
		write_page(m, self->ps, i, 111);
	mark_dirty(self, 2, 0, 8);
	EXPECT_EQ(8, scavenge(self, 8));
	EXPECT_LE(1, self->objs.record_sets);
	/* Every page written out has its slot recorded with the module. */
	for (i = 0; i < 8; i++) {
		EXPECT_TRUE(VMO_REC_IS_SLOT(self->objs.erec[2][i]));
		slots += VMO_REC_IS_SLOT(self->objs.erec[2][i]);
	}
	EXPECT_EQ(self->bk.used, slots);
}

TEST_F(engine, paging_punched_record_is_not_paged_in)
{
	size_t ps = self->ps;
	uint8_t *tmp = malloc(ps);
	uint64_t i;
	char *m;
	int a;

	SKIP_IF_NO_UFFD();
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0, paging_on(self, 64));
	records_on(self);
	a = add_object(self, 2, VMO_KIND_ANON, 0, 8 * ps, 0, 0, -1, 0);
	ASSERT_LE(0, a);
	m = map_object(self, 2, true);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 8; i++)
		write_page(m, ps, i, 111);
	mark_dirty(self, 2, 0, 8);
	EXPECT_EQ(8, scavenge(self, 8));
	EXPECT_EQ(8, self->bk.used);
	/* A client punches page 3 out (MADV_REMOVE): its content is gone. */
	pthread_mutex_lock(&self->lock);
	set_bit(self->objs.epunched[2], 3);
	pthread_mutex_unlock(&self->lock);
	/* The fault reads zeroes, not the old slot, whose slot is freed. */
	for (i = 0; i < ps; i++)
		ASSERT_EQ(0, peek(m + 3 * ps + i));
	EXPECT_LE(1, self->objs.record_gets);
	EXPECT_EQ(7, self->bk.used);
	EXPECT_EQ(VMO_REC_NONE, self->objs.erec[2][3]);
	/* Its neighbours still come back from their slots. */
	ASSERT_TRUE(page_is(m, ps, 2, 111, tmp));
	ASSERT_TRUE(page_is(m, ps, 4, 111, tmp));
	free(tmp);
}

/* ---------------------------------------------------------------- */
/* io_uring batches                                                  */
/* ---------------------------------------------------------------- */

static void uring_checks(struct __test_metadata *_metadata, struct uring *u)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	uint8_t *buf = malloc(4 * ps), *expect = malloc(4 * ps);
	struct uring_op ops[3];
	uint64_t done = 0;
	int fd = make_file(3 * ps + 100, 7);

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, expect);
	/* A read across the end of the file stops there. */
	memset(buf, 0xff, 4 * ps);
	ASSERT_EQ(0, uring_one(u, URING_READ, fd, buf, 4 * ps, 0, &done));
	EXPECT_EQ(3 * ps + 100, done);
	fill_pat(expect, done, 7, 0);
	EXPECT_EQ(0, memcmp(buf, expect, done));

	/* A batch: one bad request fails alone, the others are done. */
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct uring_op){ .opcode = URING_WRITE, .fd = fd,
				    .buf = expect, .len = ps, .off = 5 * ps };
	ops[1] = (struct uring_op){ .opcode = URING_READ, .fd = -1,
				    .buf = buf, .len = ps, .off = 0 };
	ops[2] = (struct uring_op){ .opcode = URING_FDATASYNC, .fd = fd };
	EXPECT_EQ(-EBADF, uring_run(u, ops, 3));
	EXPECT_EQ(ps, ops[0].done);
	EXPECT_EQ(0, ops[0].error);
	EXPECT_EQ(-EBADF, ops[1].error);
	EXPECT_EQ(0, ops[2].error);
	ASSERT_EQ((ssize_t)ps, pread(fd, buf, ps, 5 * ps));
	EXPECT_EQ(0, memcmp(buf, expect, ps));
	close(fd);
	free(buf);
	free(expect);
}

TEST(uring_batches)
{
	struct uring u;

	if (uring_init(&u, URING_ENTRIES))
		SKIP(return, "io_uring not available here");
	uring_checks(_metadata, &u);
	uring_exit(&u);
}

TEST(uring_fallback)
{
	struct uring u;

	uring_init(&u, URING_ENTRIES);
	uring_exit(&u);		/* as if io_uring were refused */
	ASSERT_FALSE(u.ready);
	uring_checks(_metadata, &u);
}

TEST(counter_names)
{
	unsigned int i;

	for (i = 0; i < VMO_PSTAT_NR; i++)
		ASSERT_NE(NULL, engine_counter_name(i));
	EXPECT_STREQ("faults_missing",
		     engine_counter_name(VMO_PSTAT_FAULTS_MISSING));
	EXPECT_STREQ("lookups", engine_counter_name(VMO_PSTAT_LOOKUPS));
	EXPECT_STREQ("pages_file", engine_counter_name(VMO_PSTAT_PAGES_FILE));
	EXPECT_STREQ("pages_parent",
		     engine_counter_name(VMO_PSTAT_PAGES_PARENT));
	EXPECT_STREQ("pages_shadow_zero",
		     engine_counter_name(VMO_PSTAT_PAGES_SHADOW_ZERO));
	EXPECT_STREQ("bytes_read", engine_counter_name(VMO_PSTAT_BYTES_READ));
	EXPECT_STREQ("bytes_written",
		     engine_counter_name(VMO_PSTAT_BYTES_WRITTEN));
	EXPECT_STREQ("pages_written",
		     engine_counter_name(VMO_PSTAT_PAGES_WRITTEN));
	EXPECT_STREQ("syncs", engine_counter_name(VMO_PSTAT_SYNCS));
	EXPECT_STREQ("objects", engine_counter_name(VMO_PSTAT_OBJECTS));
	EXPECT_STREQ("pages_out", engine_counter_name(VMO_PSTAT_PAGES_OUT));
	EXPECT_STREQ("pages_in", engine_counter_name(VMO_PSTAT_PAGES_IN));
	EXPECT_STREQ("backing_slots_free",
		     engine_counter_name(VMO_PSTAT_BACKING_SLOTS_FREE));
	EXPECT_STREQ("meta_bytes", engine_counter_name(VMO_PSTAT_META_BYTES));
	EXPECT_STREQ("faults_wp", engine_counter_name(VMO_PSTAT_FAULTS_WP));
	EXPECT_EQ(NULL, engine_counter_name(VMO_PSTAT_NR));
}

TEST_HARNESS_MAIN
