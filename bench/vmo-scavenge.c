// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-bench part f: giving memory back, vmo against the kernel's own
 * paths in the same run (bench/README.md, "What is measured").
 *
 *  clean:  N MiB of clean store pages (private file objects filled by
 *          the pager from a tmpfs file) dropped by VMO_IOC_SCAVENGE,
 *          still mapped and unmapped, against N MiB of clean page cache
 *          of the scratch disk dropped by MADV_PAGEOUT (mapped) and
 *          posix_fadvise(POSIX_FADV_DONTNEED) (unmapped);
 *  dirty:  M MiB of written anonymous object pages given back through a
 *          scavenge request (the pager writes them to its backing store
 *          on /dev/vda and evicts them) and read back (page-in through
 *          faults), against M MiB of private anonymous memory paged out
 *          to swap on the scratch disk with MADV_PAGEOUT and touched back.
 *
 * Every side runs in a child process with a time limit and publishes
 * its numbers in shared memory as it gets them.  Rates are MiB/s of what
 * actually went (a side that gave back less says so in its note).
 * Nothing is judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>

#include "vmo-scavenge.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif

#define MIB			(1024UL * 1024UL)
#define SRC_MAX_MIB		256	/* largest tmpfs source file */
#define POLL_US			1000	/* pause of every polling loop */
#define STALL_NS		(5 * 1000000000ULL)	/* no progress: give up */
#define PUBLISH_US		100000	/* the pager publishes every 20 ms */
#define VMO_STATS		"/proc/vmo/stats"
#define MEMINFO			"/proc/meminfo"
#define ZSWAP_ENABLED		"/sys/module/zswap/parameters/enabled"
#define CG_ROOT			"/sys/fs/cgroup"
#define CG_DIR			CG_ROOT "/vmo-bench-swap"
#define PATTERN			0x5c5c000000000000ULL
#define NOTE_LEN		72	/* one side's note */

enum srow {
	R_CLEAN_MAPPED,
	R_CLEAN_UNMAPPED,
	R_PAGE_OUT,
	R_PAGE_IN,
	NR_SROWS,
};

enum side {
	S_VMO,
	S_NATIVE,
	NR_SIDES,
};

static const char *const side_name[NR_SIDES] = { "vmo", "native" };

static const struct {
	const char *name;
	const char *unit;
} srows[NR_SROWS] = {
	[R_CLEAN_MAPPED] = { "scavenge clean pages, mapped (vs MADV_PAGEOUT)", "MiB/s" },
	[R_CLEAN_UNMAPPED] = { "scavenge clean pages, unmapped (vs fadvise DONTNEED)", "MiB/s" },
	[R_PAGE_OUT] = { "page-out dirty to backing store (vs swap, MADV_PAGEOUT)", "MiB/s" },
	[R_PAGE_IN] = { "page-in from backing store (vs swap-in)", "MiB/s" },
};

struct sres {
	int done;
	double val;
	char note[NOTE_LEN];
};

/* Shared with the children: [row][side]. */
struct sout {
	struct sres r[NR_SROWS][NR_SIDES];
};

static struct sout *sout;
static struct vmo_lib *vmo;
static size_t ps;

static void publish(enum srow row, enum side side, double val,
		    const char *note)
{
	struct sres *r = &sout->r[row][side];

	r->val = val;
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

/* A side that cannot be measured: no number, only why. */
static void publish_none(enum srow row, enum side side, const char *why)
{
	publish(row, side, NAN, why);
}

static double mib_per_s(size_t pages, uint64_t ns)
{
	if (!ns)
		return NAN;
	return (double)pages * ps / MIB / (ns / 1e9);
}

static uint64_t pattern(size_t i)
{
	return PATTERN | i;
}

/* Word 0 of every page: its pattern (a written, non-zero page). */
static void write_pages(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(p + i * ps) = pattern(i);
}

/* Read word 0 of every page in order; returns ns, counts wrong pages. */
static uint64_t read_pages_timed(const char *p, size_t n, size_t *bad)
{
	uint64_t t0, t1;
	size_t i;

	*bad = 0;
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if (bench_read(p, i * ps) != pattern(i))
			(*bad)++;
	t1 = bench_now_ns();
	return t1 - t0;
}

static void vmo_check(int ret, const char *what)
{
	if (ret < 0)
		bench_die(0, "%s: %s", what, vmo_strerror(ret));
}

static long long stat_num(const char *name)
{
	return bench_proc_num(VMO_STATS, name);
}

/* VMO_IOC_SCAVENGE for @pages: its time in ns, the answer in @req. */
static uint64_t scavenge(uint64_t pages, struct vmo_scavenge *req)
{
	uint64_t t0, t1;

	memset(req, 0, sizeof(*req));
	req->pages = pages;
	t0 = bench_now_ns();
	if (ioctl(vmo_session_fd(vmo), VMO_IOC_SCAVENGE, req) < 0)
		bench_die(errno, "ioctl(VMO_IOC_SCAVENGE, %llu pages)",
			  (unsigned long long)pages);
	t1 = bench_now_ns();
	return t1 - t0;
}

/* ---------------------------------------------------------------- */
/* vmo, clean: file objects filled by the pager, then scavenged      */
/* ---------------------------------------------------------------- */

struct clean_set {
	int src;		/* the tmpfs source file */
	size_t nobj;
	int *fd;		/* object fds */
	char **map;		/* their mappings, or NULL */
	size_t *pages;		/* their sizes */
	size_t total;
};

/* A tmpfs file of @n pages, word 0 of page i holding pattern(i). */
static int make_source(size_t n)
{
	return bench_pattern_file(n, ps, 0, pattern);
}

/*
 * @total pages of clean copies need objects over the one source file:
 * it holds at most SRC_MAX_MIB, so a large total takes several objects,
 * each a private file object over [0, its size) of the file.
 */
static void clean_set_init(struct clean_set *c, size_t total)
{
	size_t src_pages = SRC_MAX_MIB * MIB / ps, left = total, i;
	int fd;

	if (src_pages > total)
		src_pages = total;
	memset(c, 0, sizeof(*c));
	c->total = total;
	c->nobj = (total + src_pages - 1) / src_pages;
	c->fd = bench_xmalloc(c->nobj * sizeof(*c->fd));
	c->map = bench_xmalloc(c->nobj * sizeof(*c->map));
	c->pages = bench_xmalloc(c->nobj * sizeof(*c->pages));
	c->src = make_source(src_pages);
	for (i = 0; i < c->nobj; i++) {
		c->pages[i] = left < src_pages ? left : src_pages;
		left -= c->pages[i];
		fd = vmo_create_file(vmo, c->src, 0, c->pages[i] * ps,
				     VMO_CREATE_CLOEXEC, NULL);
		vmo_check(fd, "vmo_create_file (private, over the tmpfs source)");
		c->fd[i] = fd;
	}
}

static void clean_set_destroy(struct clean_set *c)
{
	size_t i;

	for (i = 0; i < c->nobj; i++)
		bench_xclose(c->fd[i], "file object fd");
	bench_xclose(c->src, "source file");
	free(c->fd);
	free(c->map);
	free(c->pages);
}

/* Map every object and read every page: the pager fills clean copies. */
static size_t clean_set_fill(struct clean_set *c)
{
	size_t i, bad, nbad = 0;
	void *p;

	for (i = 0; i < c->nobj; i++) {
		vmo_check(vmo_map(vmo, c->fd[i], 0, c->pages[i] * ps,
				  PROT_READ, MAP_SHARED, &p),
			  "vmo_map of a file object");
		c->map[i] = p;
		read_pages_timed(c->map[i], c->pages[i], &bad);
		nbad += bad;
	}
	return nbad;
}

static void clean_set_unmap(struct clean_set *c)
{
	size_t i;

	for (i = 0; i < c->nobj; i++) {
		if (!c->map[i])
			continue;
		vmo_check(vmo_unmap(vmo, c->map[i], c->pages[i] * ps),
			  "vmo_unmap of a file object");
		c->map[i] = NULL;
	}
}

/* Resident and clean store pages over all objects (VMO_OBJ_INFO). */
static void clean_set_count(const struct clean_set *c,
			    unsigned long long *resident,
			    unsigned long long *clean)
{
	struct vmo_info info;
	size_t i;

	*resident = 0;
	*clean = 0;
	for (i = 0; i < c->nobj; i++) {
		vmo_check(vmo_info(c->fd[i], &info), "vmo_info");
		*resident += info.resident_pages;
		*clean += info.clean_pages;
	}
}

/* One clean give-back: fill, (unmap,) scavenge, count what went. */
static void vmo_clean_run(struct clean_set *c, enum srow row)
{
	unsigned long long res0, clean0, res1, clean1;
	struct vmo_scavenge req;
	char note[NOTE_LEN] = "";
	size_t bad, gone;
	uint64_t ns;

	bad = clean_set_fill(c);
	if (row == R_CLEAN_UNMAPPED)
		clean_set_unmap(c);
	clean_set_count(c, &res0, &clean0);
	ns = scavenge(c->total, &req);
	clean_set_count(c, &res1, &clean1);
	clean_set_unmap(c);
	gone = res0 > res1 ? (size_t)(res0 - res1) : 0;
	bench_info("   vmo %s: %zu objects, %llu pages resident (%llu clean); VMO_IOC_SCAVENGE(%zu): dropped %llu, asked %llu of the pager, %.3f s; %llu resident after",
		   row == R_CLEAN_MAPPED ? "mapped" : "unmapped", c->nobj,
		   res0, clean0, c->total, (unsigned long long)req.dropped,
		   (unsigned long long)req.asked, ns / 1e9, res1);
	if (bad)
		snprintf(note, sizeof(note), "%zu pages read WRONG DATA", bad);
	else if (clean0 < c->total)
		snprintf(note, sizeof(note), "only %llu of %zu pages clean",
			 clean0, c->total);
	else if (gone < c->total)
		snprintf(note, sizeof(note), "gave back %zu of %zu pages", gone,
			 c->total);
	publish(row, S_VMO, mib_per_s(gone, ns), note);
}

/* One child per row: filling a GiB through the pager takes a while. */
static void vmo_clean(const struct scav_opts *o, enum srow row)
{
	struct clean_set c;

	clean_set_init(&c, o->clean_mib * MIB / ps);
	vmo_clean_run(&c, row);
	clean_set_destroy(&c);
}

static void child_vmo_clean_mapped(void *arg)
{
	vmo_clean(arg, R_CLEAN_MAPPED);
}

static void child_vmo_clean_unmapped(void *arg)
{
	vmo_clean(arg, R_CLEAN_UNMAPPED);
}

/* ---------------------------------------------------------------- */
/* native, clean: page cache of the scratch disk                     */
/* ---------------------------------------------------------------- */

/* Pages of [p, p + n pages) in the page cache (mincore). */
static size_t incore(void *p, size_t n)
{
	unsigned char *vec = bench_xmalloc(n);
	size_t i, nr = 0;

	if (mincore(p, n * ps, vec) < 0)
		bench_die(errno, "mincore(%p, %zu pages)", p, n);
	for (i = 0; i < n; i++)
		nr += vec[i] & 1;
	free(vec);
	return nr;
}

/* The same, of the first @n pages of @fd, through a mapping untouched. */
static size_t fd_incore(int fd, size_t n)
{
	void *p = bench_xmmap(n * ps, PROT_READ, MAP_SHARED, fd,
			      "scratch disk, for mincore");
	size_t nr = incore(p, n);

	bench_xmunmap(p, n * ps, "scratch disk, for mincore");
	return nr;
}

static void fadvise_dontneed(int fd, size_t len)
{
	int err = posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED);

	if (err)
		bench_die(err, "posix_fadvise(POSIX_FADV_DONTNEED, %zu bytes)",
			  len);
}

/* Read [0, len) of @fd with read(2): page cache, nothing mapped. */
static void read_fd(int fd, size_t len)
{
	size_t chunk = MIB, off;
	char *buf = bench_xmalloc(chunk);
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		n = pread(fd, buf, len - off < chunk ? len - off : chunk,
			  (off_t)off);
		if (n < 0)
			bench_die(errno, "pread of the scratch disk at %zu", off);
		if (!n)
			bench_die(0, "pread of the scratch disk: end at %zu", off);
	}
	free(buf);
}

static void native_clean_note(char *note, size_t len, size_t before,
			      size_t gone, size_t want)
{
	note[0] = '\0';
	if (before < want)
		snprintf(note, len, "only %zu of %zu pages cached", before,
			 want);
	else if (gone < want)
		snprintf(note, len, "gave back %zu of %zu pages", gone, want);
}

/* Mapped clean page cache, given back with MADV_PAGEOUT. */
static void native_clean_mapped(int fd, size_t n)
{
	size_t before, after, bad;
	char note[NOTE_LEN];
	uint64_t t0, t1;
	char *p;

	fadvise_dontneed(fd, n * ps);
	p = bench_xmmap(n * ps, PROT_READ, MAP_SHARED, fd, "scratch disk");
	read_pages_timed(p, n, &bad);	/* fills the page cache */
	before = incore(p, n);
	t0 = bench_now_ns();
	bench_xmadvise(p, n * ps, MADV_PAGEOUT, "scratch disk mapping");
	t1 = bench_now_ns();
	after = incore(p, n);
	bench_xmunmap(p, n * ps, "scratch disk");
	bench_info("   native mapped: %zu pages cached; MADV_PAGEOUT %.3f s; %zu cached after",
		   before, (t1 - t0) / 1e9, after);
	native_clean_note(note, sizeof(note), before, before - after, n);
	publish(R_CLEAN_MAPPED, S_NATIVE,
		mib_per_s(before - after, t1 - t0), note);
}

/* Unmapped clean page cache, given back with fadvise(DONTNEED). */
static void native_clean_unmapped(int fd, size_t n)
{
	size_t before, after;
	char note[NOTE_LEN];
	uint64_t t0, t1;

	fadvise_dontneed(fd, n * ps);
	read_fd(fd, n * ps);
	before = fd_incore(fd, n);
	t0 = bench_now_ns();
	fadvise_dontneed(fd, n * ps);
	t1 = bench_now_ns();
	after = fd_incore(fd, n);
	bench_info("   native unmapped: %zu pages cached; POSIX_FADV_DONTNEED %.3f s; %zu cached after",
		   before, (t1 - t0) / 1e9, after);
	native_clean_note(note, sizeof(note), before, before - after, n);
	publish(R_CLEAN_UNMAPPED, S_NATIVE,
		mib_per_s(before - after, t1 - t0), note);
}

/* Opens @dev, checking it holds @len bytes; -1 (published why) if not. */
static int open_scratch(const char *dev, int flags, size_t len,
			enum srow r0, enum srow r1)
{
	char why[NOTE_LEN];
	off_t size;
	int fd;

	fd = open(dev, flags | O_CLOEXEC);
	if (fd < 0)
		bench_die(errno, "open(%s)", dev);
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		bench_die(errno, "lseek(%s, 0, SEEK_END)", dev);
	if ((size_t)size >= len)
		return fd;
	snprintf(why, sizeof(why), "scratch disk has %lld MiB only",
		 (long long)size / (long long)MIB);
	publish_none(r0, S_NATIVE, why);
	publish_none(r1, S_NATIVE, why);
	bench_xclose(fd, dev);
	return -1;
}

static void child_native_clean(void *arg)
{
	const struct scav_opts *o = arg;
	size_t n = o->clean_mib * MIB / ps;
	int fd;

	fd = open_scratch(o->scratch, O_RDONLY, n * ps, R_CLEAN_MAPPED,
			  R_CLEAN_UNMAPPED);
	if (fd < 0)
		return;
	native_clean_mapped(fd, n);
	native_clean_unmapped(fd, n);
	fadvise_dontneed(fd, n * ps);
	bench_xclose(fd, o->scratch);
}

/* ---------------------------------------------------------------- */
/* vmo, dirty: an anonymous object paged out and back in             */
/* ---------------------------------------------------------------- */

static unsigned long long obj_resident(int fd)
{
	struct vmo_info info;

	vmo_check(vmo_info(fd, &info), "vmo_info");
	return info.resident_pages;
}

/*
 * Poll the object's resident pages (the module's count: a page is gone
 * once the pager wrote it and evicted it) until none is left or nothing
 * moved for STALL_NS.  Returns the time of the last change since @t0.
 */
static uint64_t wait_paged_out(int fd, uint64_t t0,
			       unsigned long long *resident)
{
	unsigned long long last = obj_resident(fd), cur;
	uint64_t changed = bench_now_ns(), now;

	while (last) {
		bench_sleep_us(POLL_US);
		cur = obj_resident(fd);
		now = bench_now_ns();
		if (cur != last) {
			last = cur;
			changed = now;
		} else if (now - changed > STALL_NS) {
			break;
		}
	}
	*resident = last;
	return changed - t0;
}

struct pager_ctr {
	long long out, in, returned, last_us, faults;
};

static void pager_ctr(struct pager_ctr *c)
{
	c->out = stat_num("pager_pages_out");
	c->in = stat_num("pager_pages_in");
	c->returned = stat_num("pager_scavenge_returned");
	c->last_us = stat_num("pager_scavenge_last_us");
	c->faults = stat_num("pager_faults_missing");
}

static void vmo_page_out(int fd, size_t n)
{
	unsigned long long res0, res1;
	struct pager_ctr a, b;
	struct vmo_scavenge req;
	char note[NOTE_LEN] = "";
	uint64_t t0, ns;
	size_t gone;

	res0 = obj_resident(fd);
	pager_ctr(&a);
	t0 = bench_now_ns();
	scavenge(n, &req);
	ns = wait_paged_out(fd, t0, &res1);
	bench_sleep_us(PUBLISH_US);
	pager_ctr(&b);
	gone = res0 > res1 ? (size_t)(res0 - res1) : 0;
	bench_info("   vmo page-out: %llu pages resident; VMO_IOC_SCAVENGE(%zu): dropped %llu, asked %llu; %llu resident after %.3f s; pager pages_out +%lld, scavenge_returned +%lld, scavenge_last_us %lld",
		   res0, n, (unsigned long long)req.dropped,
		   (unsigned long long)req.asked, res1, ns / 1e9,
		   b.out - a.out, b.returned - a.returned, b.last_us);
	if (res0 < n)
		snprintf(note, sizeof(note), "only %llu of %zu pages resident",
			 res0, n);
	else if (gone < n)
		snprintf(note, sizeof(note), "gave back %zu of %zu pages", gone,
			 n);
	publish(R_PAGE_OUT, S_VMO, mib_per_s(gone, ns), note);
}

static void vmo_page_in(const char *p, size_t n)
{
	struct pager_ctr a, b;
	char note[NOTE_LEN] = "";
	size_t bad;
	uint64_t ns;

	pager_ctr(&a);
	ns = read_pages_timed(p, n, &bad);
	bench_sleep_us(PUBLISH_US);
	pager_ctr(&b);
	bench_info("   vmo page-in: %zu pages read in %.3f s, %zu wrong; pager pages_in +%lld, faults_missing +%lld (%.1f pages per fault)",
		   n, ns / 1e9, bad, b.in - a.in, b.faults - a.faults,
		   b.faults > a.faults ?
		   (double)(b.in - a.in) / (b.faults - a.faults) : NAN);
	if (bad)
		snprintf(note, sizeof(note), "%zu pages read WRONG DATA", bad);
	publish(R_PAGE_IN, S_VMO, mib_per_s(n, ns), note);
}

static void child_vmo_dirty(void *arg)
{
	const struct scav_opts *o = arg;
	size_t n = o->dirty_mib * MIB / ps;
	void *p;
	int fd;

	if (stat_num("pager_backing_slots_free") < (long long)n) {
		publish_none(R_PAGE_OUT, S_VMO, "pager has no backing store room");
		publish_none(R_PAGE_IN, S_VMO, "pager has no backing store room");
		return;
	}
	fd = vmo_create_anon(vmo, n * ps, VMO_CREATE_CLOEXEC, NULL);
	vmo_check(fd, "vmo_create_anon");
	vmo_check(vmo_map(vmo, fd, 0, n * ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, &p), "vmo_map of an anonymous object");
	write_pages(p, n);
	vmo_page_out(fd, n);
	vmo_page_in(p, n);
	vmo_check(vmo_unmap(vmo, p, n * ps), "vmo_unmap");
	bench_xclose(fd, "anonymous object fd");
}

/* ---------------------------------------------------------------- */
/* native, dirty: swap on the scratch disk                           */
/* ---------------------------------------------------------------- */

static long long meminfo_kb(const char *key)
{
	return bench_proc_num(MEMINFO, key);
}

static long long vmswap_kb(void)
{
	return bench_proc_num("/proc/self/status", "VmSwap");
}

/* mkswap @dev (busybox's, from PATH); 0 or -1 with a warning. */
static int mkswap(const char *dev)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bench_die(errno, "fork (mkswap)");
	if (!pid) {
		execlp("mkswap", "mkswap", dev, (char *)NULL);
		fprintf(stderr, "vmo-bench: exec mkswap: %s\n", strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		bench_die(errno, "waitpid (mkswap)");
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	bench_warn("mkswap %s failed (status %#x)", dev, st);
	return -1;
}

/*
 * MADV_PAGEOUT starts the writes and unmaps the pages (VmSwap counts
 * them at once); the data is on the disk once writeback is over.  Poll
 * Writeback in /proc/meminfo until it is 0 or stalls.
 */
static uint64_t wait_writeback(uint64_t t0)
{
	long long last = meminfo_kb("Writeback"), cur;
	uint64_t changed = bench_now_ns(), now;

	while (last > 0) {
		bench_sleep_us(POLL_US);
		cur = meminfo_kb("Writeback");
		now = bench_now_ns();
		if (cur != last) {
			last = cur;
			changed = now;
		} else if (now - changed > STALL_NS) {
			bench_warn("Writeback stuck at %lld kB", last);
			break;
		}
	}
	return bench_now_ns() - t0;
}

/*
 * The swapped-out pages stay in the swap cache until reclaim comes by:
 * touching them then would not read the disk.  Ask the cgroup this
 * process is in to reclaim them (memory.reclaim), untimed.  Returns
 * the swap cache left, in kB.
 */
static long long drop_swap_cache(size_t len, bool in_cgroup)
{
	long long before = meminfo_kb("SwapCached"), after;
	char buf[32];
	int ret = -ENOENT;

	if (in_cgroup) {
		snprintf(buf, sizeof(buf), "%zu", len);
		ret = bench_write_file(CG_DIR "/memory.reclaim", buf);
		/* EAGAIN: less than asked was reclaimable. */
		if (ret && ret != -EAGAIN)
			bench_warn("writing %s to %s: %s", buf,
				   CG_DIR "/memory.reclaim", strerror(-ret));
	}
	after = meminfo_kb("SwapCached");
	bench_info("   native: swap cache %lld kB, after memory.reclaim %lld kB (%s)",
		   before, after, in_cgroup ? ret ? strerror(-ret) : "ok" :
		   "no cgroup");
	return after;
}

static void native_page_out(char *p, size_t n)
{
	long long sw0, sw1, wb;
	uint64_t t0, tm, ns;
	char note[NOTE_LEN] = "";
	size_t gone;

	sw0 = vmswap_kb();
	t0 = bench_now_ns();
	bench_xmadvise(p, n * ps, MADV_PAGEOUT, "private anonymous memory");
	tm = bench_now_ns() - t0;
	wb = meminfo_kb("Writeback");
	ns = wait_writeback(t0);
	sw1 = vmswap_kb();
	gone = sw1 > sw0 ? (size_t)((sw1 - sw0) * 1024 / ps) : 0;
	bench_info("   native page-out: MADV_PAGEOUT %.3f s (Writeback then %lld kB), written after %.3f s; VmSwap %lld -> %lld kB",
		   tm / 1e9, wb, ns / 1e9, sw0, sw1);
	if (gone < n)
		snprintf(note, sizeof(note), "gave back %zu of %zu pages", gone,
			 n);
	publish(R_PAGE_OUT, S_NATIVE, mib_per_s(gone, ns), note);
}

static void native_page_in(const char *p, size_t n, long long cached_kb)
{
	char note[NOTE_LEN] = "";
	size_t bad;
	uint64_t ns;

	ns = read_pages_timed(p, n, &bad);
	bench_info("   native page-in: %zu pages read in %.3f s, %zu wrong; VmSwap now %lld kB",
		   n, ns / 1e9, bad, vmswap_kb());
	if (bad)
		snprintf(note, sizeof(note), "%zu pages read WRONG DATA", bad);
	else if (cached_kb * 1024 > (long long)(n * ps / 20))
		snprintf(note, sizeof(note), "%lld MiB came from swap cache",
			 cached_kb / 1024);
	publish(R_PAGE_IN, S_NATIVE, mib_per_s(n, ns), note);
}

/* Join the benchmark's memory cgroup (see cgroup_setup()). */
static bool join_cgroup(void)
{
	char buf[32];
	int ret;

	if (access(CG_DIR, F_OK))
		return false;
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	ret = bench_write_file(CG_DIR "/cgroup.procs", buf);
	if (ret)
		bench_warn("joining %s: %s", CG_DIR, strerror(-ret));
	return !ret;
}

static void child_native_dirty(void *arg)
{
	const struct scav_opts *o = arg;
	size_t n = o->dirty_mib * MIB / ps;
	bool in_cgroup = join_cgroup();
	long long cached;
	char why[NOTE_LEN];
	int fd;
	char *p;

	/* Only its size matters here; mkswap and swapon open it again. */
	fd = open_scratch(o->scratch, O_RDONLY, n * ps + MIB, R_PAGE_OUT,
			  R_PAGE_IN);
	if (fd < 0)
		return;
	bench_xclose(fd, o->scratch);
	if (mkswap(o->scratch) < 0) {
		publish_none(R_PAGE_OUT, S_NATIVE, "mkswap failed");
		publish_none(R_PAGE_IN, S_NATIVE, "mkswap failed");
		return;
	}
	if (swapon(o->scratch, 0) < 0) {
		snprintf(why, sizeof(why), "swapon: %s", strerror(errno));
		bench_warn("swapon(%s): %s", o->scratch, strerror(errno));
		publish_none(R_PAGE_OUT, S_NATIVE, why);
		publish_none(R_PAGE_IN, S_NATIVE, why);
		return;
	}
	p = bench_xmmap(n * ps, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, "private anonymous");
	bench_xmadvise(p, n * ps, MADV_NOHUGEPAGE, "private anonymous");
	write_pages(p, n);
	native_page_out(p, n);
	cached = drop_swap_cache(n * ps, in_cgroup);
	native_page_in(p, n, cached);
	bench_xmunmap(p, n * ps, "private anonymous");
	if (swapoff(o->scratch) < 0)
		bench_die(errno, "swapoff(%s)", o->scratch);
}

/* ---------------------------------------------------------------- */
/* The parent: set-up, the four runs, the rows                       */
/* ---------------------------------------------------------------- */

static char zswap_saved[8];
static bool cg_mounted;

/* zswap would compress "swapped" pages into memory: off for the run. */
static void zswap_off(void)
{
	char cur[8];
	int ret;

	bench_sysfs_choice(ZSWAP_ENABLED, cur, sizeof(cur));
	if (strcmp(cur, "Y"))
		return;
	ret = bench_write_file(ZSWAP_ENABLED, "N");
	if (ret) {
		bench_warn("writing N to %s: %s (swap numbers include zswap)",
			   ZSWAP_ENABLED, strerror(-ret));
		return;
	}
	snprintf(zswap_saved, sizeof(zswap_saved), "%s", cur);
}

static void zswap_restore(void)
{
	int ret;

	if (!zswap_saved[0])
		return;
	ret = bench_write_file(ZSWAP_ENABLED, zswap_saved);
	if (ret)
		bench_warn("restoring %s: %s", ZSWAP_ENABLED, strerror(-ret));
	zswap_saved[0] = '\0';
}

/*
 * A cgroup v2 memory group for the native swap run, whose memory.reclaim
 * empties the swap cache.  Best effort: without it the note says how
 * much of the page-in came from the swap cache.
 */
static void cgroup_setup(void)
{
	int ret;

	if (access(CG_ROOT "/cgroup.controllers", F_OK)) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) < 0) {
			bench_warn("mount cgroup2 on %s: %s", CG_ROOT,
				   strerror(errno));
			return;
		}
		cg_mounted = true;
	}
	ret = bench_write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (ret) {
		bench_warn("enabling the memory controller: %s",
			   strerror(-ret));
		return;
	}
	if (mkdir(CG_DIR, 0755) < 0 && errno != EEXIST)
		bench_warn("mkdir %s: %s", CG_DIR, strerror(errno));
}

static void cgroup_teardown(void)
{
	if (rmdir(CG_DIR) < 0 && errno != ENOENT)
		bench_warn("rmdir %s: %s", CG_DIR, strerror(errno));
	if (cg_mounted && umount(CG_ROOT) < 0)
		bench_warn("umount %s: %s", CG_ROOT, strerror(errno));
	cg_mounted = false;
}

/* A child killed while swap was on leaves it on: not for the next runs. */
static void swap_cleanup(const char *dev)
{
	if (swapoff(dev) < 0 && errno != EINVAL)
		bench_warn("swapoff(%s): %s", dev, strerror(errno));
}

/* Run one side in a child; rows it did not publish get why. */
static void run_side(void (*fn)(void *), const struct scav_opts *o,
		     enum side side, enum srow r0, enum srow r1,
		     const char *what)
{
	char why[NOTE_LEN];
	int r;

	if (!bench_run_child(fn, (void *)o, o->timeout, what, why,
			     sizeof(why)))
		snprintf(why, sizeof(why), "not measured");
	for (r = r0; r <= (int)r1; r++)
		if (!__atomic_load_n(&sout->r[r][side].done, __ATOMIC_ACQUIRE))
			publish_none(r, side, why);
}

static void native_none(enum srow r0, enum srow r1, const char *why)
{
	publish_none(r0, S_NATIVE, why);
	publish_none(r1, S_NATIVE, why);
}

static void add_rows(struct bench_report *rep)
{
	char note[sizeof(((struct bench_result *)0)->note)];
	int r, s;

	for (r = 0; r < NR_SROWS; r++) {
		const struct sres *v = &sout->r[r][S_VMO];
		const struct sres *nt = &sout->r[r][S_NATIVE];

		note[0] = '\0';
		for (s = 0; s < NR_SIDES; s++) {
			const char *n = sout->r[r][s].note;

			if (!n[0])
				continue;
			snprintf(note + strlen(note), sizeof(note) - strlen(note),
				 "%s%s: %s", note[0] ? "; " : "", side_name[s],
				 n);
		}
		bench_add(rep, srows[r].name, srows[r].unit, v->val, nt->val,
			  note[0] ? note : NULL);
	}
}

void vmo_bench_scavenge(struct vmo_lib *lib, size_t page_size,
			const struct scav_opts *o, struct bench_report *rep)
{
	vmo = lib;
	ps = page_size;
	bench_info("f: giving memory back: %zu MiB clean, %zu MiB dirty; native side on %s; %u s limit each",
		   o->clean_mib, o->dirty_mib, o->scratch ? o->scratch :
		   "(no --scratch disk)", o->timeout);
	if (!(vmo_features(vmo) & VMO_FEATURE_SCAVENGE))
		bench_info("   the module does not announce VMO_FEATURE_SCAVENGE");
	sout = bench_xmmap(sizeof(*sout), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, "scavenge results");

	run_side(child_vmo_clean_mapped, o, S_VMO, R_CLEAN_MAPPED,
		 R_CLEAN_MAPPED, "vmo clean give-back, mapped");
	run_side(child_vmo_clean_unmapped, o, S_VMO, R_CLEAN_UNMAPPED,
		 R_CLEAN_UNMAPPED, "vmo clean give-back, unmapped");
	if (o->scratch)
		run_side(child_native_clean, o, S_NATIVE, R_CLEAN_MAPPED,
			 R_CLEAN_UNMAPPED, "native clean give-back");
	else
		native_none(R_CLEAN_MAPPED, R_CLEAN_UNMAPPED, "no --scratch disk");

	run_side(child_vmo_dirty, o, S_VMO, R_PAGE_OUT, R_PAGE_IN,
		 "vmo page-out and page-in");
	if (o->scratch) {
		zswap_off();
		cgroup_setup();
		run_side(child_native_dirty, o, S_NATIVE, R_PAGE_OUT,
			 R_PAGE_IN, "native swap-out and swap-in");
		swap_cleanup(o->scratch);
		cgroup_teardown();
		zswap_restore();
	} else {
		native_none(R_PAGE_OUT, R_PAGE_IN, "no --scratch disk");
	}

	add_rows(rep);
	bench_xmunmap(sout, sizeof(*sout), "scavenge results");
}
