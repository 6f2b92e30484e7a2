// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-bench: vmo against the kernel's native paths, side by side in one
 * run, in the test VM (vmo.ko loaded, vmo-pager running).
 *
 *  a. demand-zero first touch, sequential and shuffled page order: a vmo
 *     anonymous object (MAP_SHARED through vmo_map) against native
 *     MAP_SHARED|MAP_ANONYMOUS and MAP_PRIVATE|MAP_ANONYMOUS (no THP);
 *  b. latency of single isolated faults, one thread and two threads at
 *     once: vmo against native shared anonymous memory;
 *  c. many small objects: create + map + touch + unmap + close, and the
 *     memory each live one costs (kernel and pager), against memfd;
 *  d. file-backed reads and copy-on-write writes through a shadow, each
 *     in a child with a time limit ("not supported by this module" when
 *     the module refuses the kind with EOPNOTSUPP);
 *  e. the pager's memory per page it serves (its RSS before and after),
 *     for anonymous and file objects;
 *  f. giving memory back: clean pages dropped by a scavenge request and
 *     dirty ones paged out to the pager's backing store and in again,
 *     against page cache dropped and swap on a scratch disk
 *     (vmo-scavenge.c).
 *
 * The faulting thread runs on CPU 0; the vmo runs of a and b are made
 * twice, with the pager pinned to the same CPU and to the other one
 * (see enum place).  The pager is left free for c and d.
 *
 * A "touch" is the first write to a 4 KiB page: one 8-byte store.  Only
 * ratios within one run mean anything, and under TCG the absolute
 * numbers are emulated.  Timings are reported, never judged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench.h"
#include "libvmo.h"
#include "vmo-scavenge.h"

#ifndef VMO_FEATURE_FILE
#define VMO_FEATURE_FILE	(1ULL << 4)
#endif
#ifndef VMO_FEATURE_SHADOW
#define VMO_FEATURE_SHADOW	(1ULL << 5)
#endif

#define MIB			(1024UL * 1024UL)
#define WARM_PAGES		256	/* untimed faults before each run */
#define MAX_REPS		16
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_SHMEM		"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define CLOCKSOURCE		"/sys/devices/system/clocksource/clocksource0/current_clocksource"
#define VMO_STATS		"/proc/vmo/stats"
#define PATTERN			0x5a5a00000000ULL
#define NOT_SUPPORTED		"not supported by this module"

struct opts {
	size_t size_mib;	/* zero-fill region */
	size_t file_mib;	/* file and shadow region */
	unsigned int reps;	/* runs per zero-fill variant, median kept */
	size_t lat_samples;	/* isolated faults per latency run */
	size_t objects;		/* small objects for the scale runs */
	unsigned int timeout;	/* seconds for the file/shadow child */
	size_t clean_mib;	/* f: clean pages given back */
	size_t dirty_mib;	/* f: dirty pages paged out and in */
	const char *scratch;	/* f: block device for the native side */
	const char *only;	/* parts to run ("abcdf"), NULL: all */
	const char *json;
	const char *csv;
	bool quick;
};

enum kind {
	K_VMO,		/* vmo anonymous object, MAP_SHARED via vmo_map */
	K_SHARED,	/* MAP_SHARED | MAP_ANONYMOUS (shmem) */
	K_PRIVATE,	/* MAP_PRIVATE | MAP_ANONYMOUS, MADV_NOHUGEPAGE */
	K_NR,
};

static const char *const kind_name[K_NR] = {
	[K_VMO] = "vmo",
	[K_SHARED] = "shared anon",
	[K_PRIVATE] = "private anon",
};

/*
 * Where the pager runs while this process faults on CPU 0.  A fault is
 * a round trip to the pager: whether the pager is woken on the faulting
 * CPU or on another one (an IPI, an idle CPU waking up) is a large part
 * of its cost, and the scheduler may pick either, so both are measured
 * with the pager pinned.  P_ANY leaves it to the scheduler.
 */
enum place {
	P_SAME,		/* pager pinned to CPU 0 */
	P_OTHER,	/* pager pinned to CPU 1 */
	P_ANY,		/* all CPUs */
	P_NR,
};

static const char *const place_name[P_NR] = {
	[P_SAME] = "pager same CPU",
	[P_OTHER] = "pager other CPU",
	[P_ANY] = "pager any CPU",
};

static struct vmo_lib *vmo;
static size_t ps;
static struct bench_report report;
static char thp_saved[32];
static pid_t main_pid;		/* the atexit handlers are for it alone */

/* ---------------------------------------------------------------- */
/* Regions                                                           */
/* ---------------------------------------------------------------- */

struct region {
	enum kind kind;
	char *p;
	size_t len;
	int fd;			/* K_VMO: the object fd */
};

static void vmo_check(int ret, const char *what)
{
	if (ret < 0)
		bench_die(0, "%s: %s", what, vmo_strerror(ret));
}

static void region_map(struct region *r, enum kind kind, size_t len)
{
	void *p;
	int ret;

	r->kind = kind;
	r->len = len;
	r->fd = -1;
	switch (kind) {
	case K_VMO:
		r->fd = vmo_create_anon(vmo, len, VMO_CREATE_CLOEXEC, NULL);
		vmo_check(r->fd, "vmo_create_anon");
		ret = vmo_map(vmo, r->fd, 0, len, PROT_READ | PROT_WRITE,
			      MAP_SHARED, &p);
		vmo_check(ret, "vmo_map of an anonymous object");
		r->p = p;
		break;
	case K_SHARED:
		r->p = bench_xmmap(len, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1,
				   "MAP_SHARED|MAP_ANONYMOUS");
		break;
	case K_PRIVATE:
		r->p = bench_xmmap(len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1,
				   "MAP_PRIVATE|MAP_ANONYMOUS");
		bench_xmadvise(r->p, len, MADV_NOHUGEPAGE, "private anon");
		break;
	default:
		bench_die(0, "bad region kind %d", kind);
	}
}

static void region_unmap(struct region *r)
{
	if (r->kind == K_VMO) {
		vmo_check(vmo_unmap(vmo, r->p, r->len), "vmo_unmap");
		bench_xclose(r->fd, "object fd");
	} else {
		bench_xmunmap(r->p, r->len, kind_name[r->kind]);
	}
	r->p = NULL;
}

/* ---------------------------------------------------------------- */
/* The pager, seen from outside                                      */
/* ---------------------------------------------------------------- */

static long long pager_stat(const char *name)
{
	return bench_proc_num(VMO_STATS, name);
}

/* The pager's anonymous RSS in bytes (its own heap: metadata), or -1. */
static long long pager_rss_anon(void)
{
	long long pid = pager_stat("pager_pid"), kb;
	char path[64];

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%lld/status", pid);
	kb = bench_proc_num(path, "RssAnon");
	if (kb < 0)
		kb = bench_proc_num(path, "VmRSS");
	return kb < 0 ? -1 : kb * 1024;
}

/* Pager counters around a vmo run, for the log: how faults were served. */
struct pager_snap {
	long long faults, zeroed, file, parent, wakes;
};

static void pager_snap(struct pager_snap *s)
{
	s->faults = pager_stat("pager_faults_missing");
	s->zeroed = pager_stat("pager_pages_zeroed");
	s->file = pager_stat("pager_pages_file");
	s->parent = pager_stat("pager_pages_parent");
	s->wakes = pager_stat("pager_wakes");
}

static void pager_snap_print(const char *what, const struct pager_snap *a)
{
	struct pager_snap b;
	long long f;

	pager_snap(&b);
	f = b.faults - a->faults;
	bench_info("   %s: pager faults_missing +%lld, pages_zeroed +%lld, pages_file +%lld, pages_parent +%lld, wakes +%lld (%.1f pages per fault)",
		   what, f, b.zeroed - a->zeroed, b.file - a->file,
		   b.parent - a->parent, b.wakes - a->wakes,
		   f > 0 ? (double)(b.zeroed - a->zeroed + b.file - a->file +
				    b.parent - a->parent) / f : NAN);
}

/*
 * Pin every thread of the pager to @cpu, or to all CPUs when @cpu < 0.
 * Returns 0, or -errno (the pager may be gone).
 */
static int pager_pin(int cpu)
{
	long long pid = pager_stat("pager_pid");
	char path[64];
	struct dirent *de;
	cpu_set_t set;
	int i, ret = 0;
	DIR *d;

	if (pid <= 0)
		return -ESRCH;
	CPU_ZERO(&set);
	for (i = 0; i < bench_ncpus(); i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	snprintf(path, sizeof(path), "/proc/%lld/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (sched_setaffinity(tid, sizeof(set), &set) < 0)
			ret = -errno;
	}
	closedir(d);
	return ret;
}

static void pager_place(enum place pl)
{
	int cpu = pl == P_SAME ? 0 : pl == P_OTHER ? 1 : -1;
	int ret;

	if (cpu >= bench_ncpus())
		cpu = -1;
	ret = pager_pin(cpu);
	if (ret)
		bench_die(-ret, "setting the pager's CPU affinity (%s)",
			  place_name[pl]);
}

static void pager_unpin(void)
{
	if (getpid() == main_pid)
		pager_pin(-1);
}

/* ---------------------------------------------------------------- */
/* a, e: demand-zero first touch                                     */
/* ---------------------------------------------------------------- */

struct fill_extra {
	long long rss_before, rss_after;	/* pager RssAnon, bytes */
	long long faults, zeroed;		/* pager counter deltas */
};

/*
 * Run the same kind of faults a little first, untimed: under TCG the
 * first pass through a kernel path also pays for translating it.
 */
static void warm_up(enum kind kind, size_t n)
{
	struct region r;
	size_t i;

	if (n > WARM_PAGES)
		n = WARM_PAGES;
	region_map(&r, kind, n * ps);
	for (i = 0; i < n; i++)
		bench_touch(r.p, ((i * 7) % n) * ps);
	region_unmap(&r);
}

/* Touch @n pages of a new region in @order; pages per second. */
static double zero_fill(enum kind kind, const uint32_t *order, size_t n,
			struct fill_extra *ex)
{
	long long f0 = 0, z0 = 0;
	struct region r;
	double pps;

	warm_up(kind, n);
	region_map(&r, kind, n * ps);
	if (ex) {
		ex->rss_before = pager_rss_anon();
		f0 = pager_stat("pager_faults_missing");
		z0 = pager_stat("pager_pages_zeroed");
	}
	pps = bench_touch_pages(r.p, order, n, ps);
	if (ex) {
		ex->rss_after = pager_rss_anon();
		ex->faults = pager_stat("pager_faults_missing") - f0;
		ex->zeroed = pager_stat("pager_pages_zeroed") - z0;
	}
	region_unmap(&r);
	return pps;
}

/* The variants of a zero-fill run: vmo twice (pager placements), native. */
struct variant {
	enum kind kind;
	enum place place;
	const char *name;
};

static const struct variant variants[] = {
	{ K_VMO, P_SAME, "vmo, pager same CPU" },
	{ K_VMO, P_OTHER, "vmo, pager other CPU" },
	{ K_SHARED, P_ANY, "shared anon" },
	{ K_PRIVATE, P_ANY, "private anon" },
};

#define NVARIANTS	(sizeof(variants) / sizeof(variants[0]))

/* Resolve size of the bound below: the pager's default window. */
#define BOUND_CHUNK		256

/*
 * The ceiling of sequential zero-fill through any pager: the kernel's
 * UFFDIO_ZEROPAGE alone, in large resolves, with no fault and no round
 * trip, against the native shared-memory median @shared of this run.
 */
static void zero_fill_bound(size_t n, double shared)
{
	double zp = bench_zeropage_pages(n, ps, BOUND_CHUNK);

	bench_info("a: bound: UFFDIO_ZEROPAGE alone %.0f pages/s (%d-page resolves)",
		   zp, BOUND_CHUNK);
	bench_add(&report, "bound: UFFDIO_ZEROPAGE alone, no fault (vs shared anon)",
		  "pages/s", zp, shared, NULL);
}

static void bench_zero_fill(const struct opts *o)
{
	size_t n = o->size_mib * MIB / ps;
	uint32_t *seq = bench_xmalloc(n * sizeof(*seq));
	uint32_t *rnd = bench_xmalloc(n * sizeof(*rnd));
	double res[2][NVARIANTS][MAX_REPS], med[2][NVARIANTS];
	const char *oname[2] = { "seq", "random" };
	struct fill_extra ex[2][NVARIANTS];
	const struct variant *va;
	char name[96];
	unsigned int rep;
	size_t v;
	int w;

	bench_order_seq(seq, n);
	bench_order_shuffle(rnd, n, 42);
	memset(ex, 0, sizeof(ex));
	bench_info("a: demand-zero first touch of %zu pages (%zu MiB), %u run(s) each, median kept",
		   n, o->size_mib, o->reps);
	/* Interleave the variants so drift hits all of them alike. */
	for (rep = 0; rep < o->reps; rep++) {
		for (w = 0; w < 2; w++) {
			for (v = 0; v < NVARIANTS; v++) {
				struct fill_extra *e = NULL;

				va = &variants[v];
				if (va->kind == K_VMO && rep == 0)
					e = &ex[w][v];
				pager_place(va->place);
				res[w][v][rep] = zero_fill(va->kind,
							   w ? rnd : seq, n, e);
				bench_info("   %-6s %-22s run %u: %.0f pages/s",
					   oname[w], va->name, rep + 1,
					   res[w][v][rep]);
			}
		}
	}
	pager_place(P_ANY);
	for (w = 0; w < 2; w++) {
		for (v = 0; v < NVARIANTS; v++) {
			med[w][v] = bench_median(res[w][v], o->reps);
			if (variants[v].kind != K_VMO)
				continue;
			bench_info("   %s %s (run 1): pager faults_missing +%lld, pages_zeroed +%lld (%.1f pages per fault)",
				   oname[w], variants[v].name, ex[w][v].faults,
				   ex[w][v].zeroed, ex[w][v].faults > 0 ?
				   (double)ex[w][v].zeroed / ex[w][v].faults :
				   NAN);
		}
	}
	/* vmo (either placement) against each native kind. */
	for (w = 0; w < 2; w++) {
		snprintf(name, sizeof(name),
			 "zero-fill %s, pager same CPU (vs shared anon)",
			 oname[w]);
		bench_add(&report, name, "pages/s", med[w][0], med[w][2], NULL);
		snprintf(name, sizeof(name),
			 "zero-fill %s, pager same CPU (vs private anon)",
			 oname[w]);
		bench_add(&report, name, "pages/s", med[w][0], med[w][3], NULL);
		snprintf(name, sizeof(name),
			 "zero-fill %s, pager other CPU (vs shared anon)",
			 oname[w]);
		bench_add(&report, name, "pages/s", med[w][1], med[w][2], NULL);
	}
	zero_fill_bound(n, med[0][2]);

	/* e: what the pager holds per page it served. */
	if (ex[0][0].rss_before >= 0 && ex[0][0].rss_after >= 0) {
		bench_info("e: pager RssAnon %lld -> %lld bytes over %zu pages",
			   ex[0][0].rss_before, ex[0][0].rss_after, n);
		bench_add(&report, "pager metadata per tracked page", "bytes",
			  (double)(ex[0][0].rss_after - ex[0][0].rss_before) / n,
			  NAN, "pager RssAnon delta / pages");
	} else {
		bench_add(&report, "pager metadata per tracked page", "bytes",
			  NAN, NAN, "pager RSS unreadable");
	}
	free(seq);
	free(rnd);
}

/* ---------------------------------------------------------------- */
/* b: isolated fault latency                                         */
/* ---------------------------------------------------------------- */

static void fault_latency(enum kind kind, size_t nsamples, int nthreads,
			  struct bench_lat *out)
{
	struct region r;

	warm_up(kind, nsamples);
	region_map(&r, kind, nsamples * BENCH_LAT_STRIDE * ps);
	bench_fault_latency(r.p, ps, nsamples, nthreads, out);
	region_unmap(&r);
}

static void add_lat(const char *what, const struct bench_lat *v,
		    const struct bench_lat *n)
{
	char name[96];

	snprintf(name, sizeof(name), "fault latency p50, %s", what);
	bench_add(&report, name, "us", v->p50, n->p50, NULL);
	snprintf(name, sizeof(name), "fault latency p99, %s", what);
	bench_add(&report, name, "us", v->p99, n->p99, NULL);
	snprintf(name, sizeof(name), "fault latency max, %s", what);
	bench_add(&report, name, "us", v->max, n->max, NULL);
}

static void print_lat(const char *what, const struct bench_lat *l)
{
	bench_info("   %-28s p50 %8.1f  p99 %8.1f  max %8.1f us", what, l->p50,
		   l->p99, l->max);
}

/*
 * The floor of a fault served by another thread: two blocking wake-ups
 * (eventfd ping-pong), on one CPU and across CPUs, against the native
 * fault p50 @native of this run.
 */
static void latency_bounds(const struct opts *o, double native)
{
	size_t rounds = o->quick ? 200 : 2000;
	double same = bench_pingpong_us(0, 0, rounds, false);
	double other = bench_pingpong_us(0, 1, rounds, false);
	/* The pager is a process of its own: each wake-up switches mm. */
	double proc = bench_pingpong_us(0, 0, rounds, true);

	bench_pin_cpu(0);
	bench_info("b: bound: eventfd ping-pong p50 same CPU %.1f us, other CPU %.1f us, same CPU between processes %.1f us",
		   same, other, proc);
	bench_add(&report, "bound: wake-up round trip, same CPU, two processes (vs native fault p50)",
		  "us", proc, native, NULL);
	bench_add_wakeup_bounds(&report, same, other, native);
}

/*
 * One thread on CPU 0 with the pager on the same CPU and on the other
 * one; two threads (CPUs 0 and 1) with the pager free to run anywhere.
 * Against native shared anonymous memory (and private, for scale).
 */
static void bench_latency(const struct opts *o)
{
	struct bench_lat same, other, two, n1, n2, priv;

	bench_info("b: latency of %zu isolated faults (pages %d apart, shuffled)",
		   o->lat_samples, BENCH_LAT_STRIDE);
	pager_place(P_SAME);
	fault_latency(K_VMO, o->lat_samples, 1, &same);
	pager_place(P_OTHER);
	fault_latency(K_VMO, o->lat_samples, 1, &other);
	pager_place(P_ANY);
	fault_latency(K_VMO, o->lat_samples, 2, &two);
	fault_latency(K_SHARED, o->lat_samples, 1, &n1);
	fault_latency(K_SHARED, o->lat_samples, 2, &n2);
	fault_latency(K_PRIVATE, o->lat_samples, 1, &priv);
	print_lat("vmo 1 thread, pager same CPU", &same);
	print_lat("vmo 1 thread, pager other CPU", &other);
	print_lat("vmo 2 threads", &two);
	print_lat("shared anon 1 thread", &n1);
	print_lat("shared anon 2 threads", &n2);
	print_lat("private anon 1 thread", &priv);
	add_lat("1 thread, pager same CPU", &same, &n1);
	add_lat("1 thread, pager other CPU", &other, &n1);
	add_lat("2 threads, pager any CPU", &two, &n2);
	bench_add(&report, "fault latency p50, 1 thread, same CPU (vs private anon)",
		  "us", same.p50, priv.p50, NULL);
	latency_bounds(o, n1.p50);
}

/* ---------------------------------------------------------------- */
/* c: many small objects                                             */
/* ---------------------------------------------------------------- */

/* A 1-page object (or memfd) mapped and touched; its fd in *@fd. */
static char *small_new(bool use_vmo, int *fd)
{
	void *p;
	int ret;

	if (use_vmo) {
		*fd = vmo_create_anon(vmo, ps, VMO_CREATE_CLOEXEC, NULL);
		vmo_check(*fd, "vmo_create_anon (1 page)");
		ret = vmo_map(vmo, *fd, 0, ps, PROT_READ | PROT_WRITE,
			      MAP_SHARED, &p);
		vmo_check(ret, "vmo_map (1 page)");
	} else {
		*fd = memfd_create("vmo-bench", MFD_CLOEXEC);
		if (*fd < 0)
			bench_die(errno, "memfd_create");
		if (ftruncate(*fd, (off_t)ps) < 0)
			bench_die(errno, "ftruncate(memfd, %zu)", ps);
		p = bench_xmmap(ps, PROT_READ | PROT_WRITE, MAP_SHARED, *fd,
				"memfd, 1 page");
	}
	bench_touch(p, 0);
	return p;
}

static void small_unmap(bool use_vmo, char *p)
{
	if (use_vmo)
		vmo_check(vmo_unmap(vmo, p, ps), "vmo_unmap (1 page)");
	else
		bench_xmunmap(p, ps, "memfd, 1 page");
}

/* create + map + touch + unmap + close, @n times: objects per second. */
static double churn(bool use_vmo, size_t n)
{
	uint64_t t0, t1;
	size_t i;
	char *p;
	int fd;

	for (i = 0; i < n / 20 + 1; i++) {	/* warm-up, untimed */
		p = small_new(use_vmo, &fd);
		small_unmap(use_vmo, p);
		bench_xclose(fd, use_vmo ? "object fd" : "memfd");
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		p = small_new(use_vmo, &fd);
		small_unmap(use_vmo, p);
		bench_xclose(fd, use_vmo ? "object fd" : "memfd");
	}
	t1 = bench_now_ns();
	return n / ((t1 - t0) / 1e9);
}

struct live_cost {
	double kernel;		/* bytes per object: MemTotal - MemFree */
	double pager;		/* bytes per object: pager RssAnon */
};

/* @n live objects, mapped and touched (fds closed): memory per object. */
static void live(bool use_vmo, size_t n, struct live_cost *out)
{
	char **maps = bench_xmalloc(n * sizeof(*maps));
	long long free0, free1, rss0 = -1, rss1 = -1;
	size_t i;
	int fd;

	free0 = bench_proc_num("/proc/meminfo", "MemFree");
	if (use_vmo)
		rss0 = pager_rss_anon();
	for (i = 0; i < n; i++) {
		maps[i] = small_new(use_vmo, &fd);
		/* The mapping (and libvmo's own dup) keep the object. */
		bench_xclose(fd, use_vmo ? "object fd" : "memfd");
	}
	/* Let the pager catch up with the MAP notices. */
	usleep(200000);
	free1 = bench_proc_num("/proc/meminfo", "MemFree");
	if (use_vmo) {
		rss1 = pager_rss_anon();
		bench_info("   %zu live vmo objects: /proc/vmo/stats objects %lld, store_pages %lld, mappings %lld",
			   n, pager_stat("objects"), pager_stat("store_pages"),
			   pager_stat("mappings"));
	}
	out->kernel = free0 >= 0 && free1 >= 0 ?
		      (double)(free0 - free1) * 1024 / n : NAN;
	out->pager = rss0 >= 0 && rss1 >= 0 ?
		     (double)(rss1 - rss0) / n : NAN;
	for (i = 0; i < n; i++)
		small_unmap(use_vmo, maps[i]);
	free(maps);
}

static void raise_nofile(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		bench_die(errno, "getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		bench_die(errno, "setrlimit(RLIMIT_NOFILE, %zu)", need);
}

static void bench_scale(const struct opts *o)
{
	struct live_cost lv, ln;
	double cv, cn;

	bench_info("c: %zu small (1-page) objects", o->objects);
	/* libvmo keeps a dup of each mapped object's fd. */
	raise_nofile(o->objects + 256);
	cv = churn(true, o->objects);
	cn = churn(false, o->objects);
	bench_info("   churn: vmo %.0f, memfd %.0f objects/s", cv, cn);
	bench_add(&report, "small objects: create+map+touch+unmap+close",
		  "objects/s", cv, cn, NULL);
	live(true, o->objects, &lv);
	live(false, o->objects, &ln);
	bench_info("   live: vmo %.0f kernel + %.0f pager bytes/object, memfd %.0f bytes/object",
		   lv.kernel, lv.pager, ln.kernel);
	bench_add(&report, "small objects: kernel memory per live object",
		  "bytes", lv.kernel, ln.kernel, "MemFree delta / objects");
	bench_add(&report, "small objects: pager RSS per live object",
		  "bytes", lv.pager, NAN, NULL);
	bench_add(&report, "small objects: kernel+pager memory per object",
		  "bytes", lv.kernel + lv.pager, ln.kernel, NULL);
}

/* ---------------------------------------------------------------- */
/* d: file-backed reads and copy-on-write (in a child)               */
/* ---------------------------------------------------------------- */

/*
 * The rows the child measures, in order; it fills them in shared memory
 * one by one, so whatever it finished survives a kill.
 */
enum {
	ROW_FILE_SEQ,
	ROW_FILE_RANDOM,
	ROW_FILE_META,
	ROW_FILE_COPY,
	ROW_FILE_ALLOC,
	ROW_SHADOW,
	NR_ROWS,
};

static const struct {
	const char *name;
	const char *unit;
} child_rows[NR_ROWS] = {
	[ROW_FILE_SEQ] = { "file read seq, page cache (vs mmap)", "pages/s" },
	[ROW_FILE_RANDOM] = { "file read random, page cache (vs mmap)", "pages/s" },
	[ROW_FILE_META] = { "pager metadata per tracked page, file object", "bytes" },
	[ROW_FILE_COPY] = { "bound: memcpy of each page once (vs mmap read seq)", "pages/s" },
	[ROW_FILE_ALLOC] = { "bound: a new shmem page per page, native (vs mmap read seq)", "pages/s" },
	[ROW_SHADOW] = { "shadow COW write, resident parent (vs MAP_PRIVATE)", "pages/s" },
};

struct child_out {
	int done[NR_ROWS];
	struct bench_result r[NR_ROWS];
};

static struct child_out *cout;

static void child_set(int row, double vmo_v, double native_v, const char *note)
{
	struct bench_result *r = &cout->r[row];

	snprintf(r->name, sizeof(r->name), "%s", child_rows[row].name);
	snprintf(r->unit, sizeof(r->unit), "%s", child_rows[row].unit);
	r->vmo = vmo_v;
	r->native = native_v;
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
	/* Publish the row only once it is whole. */
	__atomic_store_n(&cout->done[row], 1, __ATOMIC_RELEASE);
}

static uint64_t page_pattern(size_t idx)
{
	return PATTERN | idx;
}

/* A tmpfs file of @len bytes, word 1 of page i holding page_pattern(i). */
static int make_file(size_t len)
{
	return bench_pattern_file(len / ps, ps, 1, page_pattern);
}

/* Read word 1 of every page in @order: pages per second; checks data. */
static double read_pages(const char *p, const uint32_t *order, size_t n,
			 bool *ok)
{
	uint64_t t0, t1, sum = 0, want = 0;
	size_t i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		sum += bench_read(p, (size_t)order[i] * ps + 8);
	t1 = bench_now_ns();
	for (i = 0; i < n; i++)
		want += page_pattern(i);
	*ok = sum == want;
	return n / ((t1 - t0) / 1e9);
}

/* Write word 0 of every page, then check word 1 came from the source. */
static double cow_pages(char *p, size_t n, bool *ok)
{
	uint64_t t0, t1;
	size_t i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		bench_touch(p, i * ps);
	t1 = bench_now_ns();
	*ok = true;
	for (i = 0; i < n; i++) {
		if (bench_read(p, i * ps + 8) != page_pattern(i) ||
		    bench_read(p, i * ps) != i * ps)
			*ok = false;
	}
	return n / ((t1 - t0) / 1e9);
}

/*
 * The ceiling of any fill that needs a page of its own: a file object's
 * page lives in the object's store, which on 6.1 cannot share the file's
 * page cache page, so each page read is a page allocated.  Natively: the
 * first read of each page of a new shared anonymous mapping (shmem
 * allocates one zeroed page per fault), in pages per second.
 */
static double alloc_pages_native(size_t n)
{
	char *p = bench_xmmap(n * ps, PROT_READ, MAP_SHARED | MAP_ANONYMOUS,
			      -1, "shared anon, alloc bound");
	uint64_t t0, t1, sum = 0;
	size_t i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		sum += bench_read(p, i * ps);
	t1 = bench_now_ns();
	bench_xmunmap(p, n * ps, "shared anon, alloc bound");
	if (sum)
		bench_warn("new shared anonymous pages read non-zero");
	return n / ((t1 - t0) / 1e9);
}

/* A FILE or SHADOW object over @src_fd; -errno if the module refuses. */
static int create_kind(uint32_t kind, int src_fd, size_t len)
{
	struct vmo_create req;

	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.flags = VMO_CREATE_CLOEXEC;
	req.size = len;
	req.offset = 0;
	req.src_fd = (uint32_t)src_fd;
	return vmo_create(vmo, &req);
}

static const char *refusal(int err, char *buf, size_t len)
{
	if (err == -EOPNOTSUPP)
		return NOT_SUPPORTED;
	snprintf(buf, len, "create failed: %s", vmo_strerror(err));
	return buf;
}

static void child_file_read(int file, size_t n, const uint32_t *seq,
			    const uint32_t *rnd)
{
	long long meta0 = -1, meta1 = -1;
	struct pager_snap snap;
	double rv, rn;
	char why[64];
	bool okv, okn;
	size_t len = n * ps;
	void *pv;
	char *pn;
	int w, obj, ret;

	for (w = 0; w < 2; w++) {
		int row = w ? ROW_FILE_RANDOM : ROW_FILE_SEQ;

		if (!w)
			meta0 = pager_stat("pager_meta_bytes");
		obj = create_kind(VMO_KIND_FILE, file, len);
		if (obj < 0) {
			child_set(row, NAN, NAN, refusal(obj, why, sizeof(why)));
			if (!w)
				child_set(ROW_FILE_META, NAN, NAN,
					  refusal(obj, why, sizeof(why)));
			continue;
		}
		ret = vmo_map(vmo, obj, 0, len, PROT_READ, MAP_SHARED, &pv);
		vmo_check(ret, "vmo_map of a file object");
		pager_snap(&snap);
		rv = read_pages(pv, w ? rnd : seq, n, &okv);
		pager_snap_print(w ? "file read random" : "file read seq", &snap);
		if (!w) {
			/* The pager publishes its counters every 20 ms. */
			bench_sleep_us(100000);
			meta1 = pager_stat("pager_meta_bytes");
		}
		vmo_check(vmo_unmap(vmo, pv, len), "vmo_unmap (file object)");
		bench_xclose(obj, "file object fd");

		pn = bench_xmmap(len, PROT_READ, MAP_SHARED, file,
				 "file, MAP_SHARED");
		rn = read_pages(pn, w ? rnd : seq, n, &okn);
		/*
		 * The ceiling of any fill that copies each page once (a
		 * store page cannot be the file's page on 6.1): memcpy from
		 * the mapping, now all mapped, against the read just timed.
		 */
		if (!w) {
			child_set(ROW_FILE_COPY, bench_memcpy_pages(pn, n, ps),
				  rn, NULL);
			child_set(ROW_FILE_ALLOC, alloc_pages_native(n), rn,
				  NULL);
		}
		bench_xmunmap(pn, len, "file mapping");
		child_set(row, rv, rn, okv ? NULL : "vmo read WRONG DATA");
		if (!okn)
			bench_warn("native file mapping read wrong data");
		if (!w)
			child_set(ROW_FILE_META, meta0 >= 0 && meta1 >= 0 ?
				  (double)(meta1 - meta0) / n : NAN, NAN,
				  "pager_meta_bytes delta / pages");
	}
}

static void child_shadow_write(int file, size_t n)
{
	char why[64], *pp, *pn;
	struct pager_snap snap;
	double rv, rn;
	bool okv, okn;
	size_t len = n * ps, i;
	void *p;
	int parent, shadow, ret;

	/* Parent: an anonymous object holding the file's words, resident. */
	parent = vmo_create_anon(vmo, len, VMO_CREATE_CLOEXEC, NULL);
	vmo_check(parent, "vmo_create_anon (shadow parent)");
	ret = vmo_map(vmo, parent, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      &p);
	vmo_check(ret, "vmo_map (shadow parent)");
	pp = p;
	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(pp + i * ps + 8) = page_pattern(i);
	vmo_check(vmo_unmap(vmo, p, len), "vmo_unmap (shadow parent)");

	shadow = create_kind(VMO_KIND_SHADOW, parent, len);
	if (shadow < 0) {
		child_set(ROW_SHADOW, NAN, NAN,
			  refusal(shadow, why, sizeof(why)));
		bench_xclose(parent, "parent object fd");
		return;
	}
	ret = vmo_map(vmo, shadow, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      &p);
	vmo_check(ret, "vmo_map of a shadow object");
	pager_snap(&snap);
	rv = cow_pages(p, n, &okv);
	pager_snap_print("shadow write", &snap);
	vmo_check(vmo_unmap(vmo, p, len), "vmo_unmap (shadow)");
	bench_xclose(shadow, "shadow object fd");
	bench_xclose(parent, "parent object fd");

	pn = bench_xmmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE, file,
			 "file, MAP_PRIVATE");
	rn = cow_pages(pn, n, &okn);
	bench_xmunmap(pn, len, "private file mapping");
	if (!okn)
		bench_warn("native MAP_PRIVATE file mapping: wrong data");
	child_set(ROW_SHADOW, rv, rn, okv ? NULL : "vmo WRONG DATA");
}

/* Part @shadow (else the file reads) in this child process. */
static void child_main(const struct opts *o, bool shadow)
{
	size_t n = o->file_mib * MIB / ps;
	uint32_t *seq = bench_xmalloc(n * sizeof(*seq));
	uint32_t *rnd = bench_xmalloc(n * sizeof(*rnd));
	int file;

	bench_order_seq(seq, n);
	bench_order_shuffle(rnd, n, 43);
	/* Written with pwrite: on tmpfs that is the page cache. */
	file = make_file(n * ps);
	if (shadow)
		child_shadow_write(file, n);
	else
		child_file_read(file, n, seq, rnd);
	bench_xclose(file, "benchmark file");
	free(seq);
	free(rnd);
}

static void child_file_fn(void *arg)
{
	child_main(arg, false);
}

static void child_shadow_fn(void *arg)
{
	child_main(arg, true);
}

/*
 * Run one part in a child.  A pager that cannot serve a fault leaves
 * it waiting for ever: give up after the limit, keeping the rows
 * finished by then.  @note gets what to say about rows the child did
 * not finish.
 */
static void run_child(const struct opts *o, bool shadow, char *note,
		      size_t len)
{
	if (!bench_run_child(shadow ? child_shadow_fn : child_file_fn,
			     (void *)o, o->timeout,
			     shadow ? "shadow" : "file read", note, len))
		snprintf(note, len, "not measured");
}

static void bench_file_shadow(const struct opts *o)
{
	char nfile[64], nshadow[64], *why;
	int i;

	bench_info("d: file objects and shadows over %zu MiB (tmpfs file), %u s limit each",
		   o->file_mib, o->timeout);
	if (!(vmo_features(vmo) & VMO_FEATURE_FILE))
		bench_info("   the module does not announce VMO_FEATURE_FILE");
	if (!(vmo_features(vmo) & VMO_FEATURE_SHADOW))
		bench_info("   the module does not announce VMO_FEATURE_SHADOW");
	cout = bench_xmmap(sizeof(*cout), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, "child results");
	run_child(o, false, nfile, sizeof(nfile));
	run_child(o, true, nshadow, sizeof(nshadow));
	for (i = 0; i < NR_ROWS; i++) {
		const struct bench_result *r = &cout->r[i];

		if (__atomic_load_n(&cout->done[i], __ATOMIC_ACQUIRE)) {
			bench_add(&report, r->name, r->unit, r->vmo,
				  r->native, r->note);
			continue;
		}
		why = i == ROW_SHADOW ? nshadow : nfile;
		bench_add(&report, child_rows[i].name, child_rows[i].unit,
			  NAN, NAN, why);
	}
	bench_xmunmap(cout, sizeof(*cout), "child results");
}

static void bench_scavenge(const struct opts *o)
{
	struct scav_opts so = {
		.clean_mib = o->clean_mib,
		.dirty_mib = o->dirty_mib,
		.timeout = o->timeout,
		.scratch = o->scratch,
	};

	vmo_bench_scavenge(vmo, ps, &so, &report);
}

/*
 * QEMU backs guest memory lazily: the first use of a guest page costs a
 * host page fault too, which would land in whichever run came first.
 * Touch (and free) what the runs will use, once, untimed.
 */
static void warm_guest_memory(const struct opts *o)
{
	long long avail = bench_proc_num("/proc/meminfo", "MemAvailable");
	size_t want = 4 * (o->size_mib > o->file_mib ? o->size_mib : o->file_mib);
	size_t mib, i;
	char *p;

	if (avail < 0)
		return;
	mib = avail / 1024 > 256 ? (size_t)(avail / 1024 - 256) : 0;
	if (mib > want)
		mib = want;
	if (!mib)
		return;
	p = bench_xmmap(mib * MIB, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, "guest memory warm-up");
	for (i = 0; i < mib * MIB; i += ps)
		bench_touch(p, i);
	bench_xmunmap(p, mib * MIB, "guest memory warm-up");
	bench_info("touched %zu MiB of guest memory first (QEMU allocates it on first use)",
		   mib);
}

/* ---------------------------------------------------------------- */
/* Set-up                                                            */
/* ---------------------------------------------------------------- */

static void thp_restore(void)
{
	int fd;

	if (!thp_saved[0] || getpid() != main_pid)
		return;
	fd = open(THP_ENABLED, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, thp_saved, strlen(thp_saved)) < 0)
		bench_warn("restoring %s to %s: %s", THP_ENABLED, thp_saved,
			   strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* THP off for the private anonymous runs, if we may. */
static void thp_off(void)
{
	char cur[32];
	int fd;

	bench_sysfs_choice(THP_ENABLED, cur, sizeof(cur));
	if (!cur[0] || !strcmp(cur, "never"))
		return;
	fd = open(THP_ENABLED, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* not ours to change: MADV_NOHUGEPAGE it is */
	if (write(fd, "never", 5) != 5) {
		bench_warn("writing never to %s: %s", THP_ENABLED,
			   strerror(errno));
	} else {
		snprintf(thp_saved, sizeof(thp_saved), "%s", cur);
		atexit(thp_restore);
	}
	close(fd);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmo-bench [options]\n"
		"  --size MIB         demand-zero region (default 256)\n"
		"  --file-size MIB    file/shadow region (default: --size)\n"
		"  --reps N           runs per zero-fill variant, median kept (default 3)\n"
		"  --samples N        isolated faults per latency run (default 5000)\n"
		"  --objects N        small objects for the scale runs (default 10000)\n"
		"  --clean-size MIB   clean pages given back (default 1024)\n"
		"  --dirty-size MIB   dirty pages paged out and in (default 256)\n"
		"  --scratch DEV      block device the native side of f may overwrite\n"
		"                     (page cache, then swap on it); none: no native f\n"
		"  --timeout SECS     limit for each file/shadow/scavenge run (default 300)\n"
		"  --quick            tiny sizes: a smoke run\n"
		"  --only PARTS       run only these parts: a (zero-fill, with e),\n"
		"                     b (latency), c (small objects), d (file, shadow),\n"
		"                     f (scavenge: give back, page out, page in)\n"
		"  --json FILE        results as JSON ('-': stdout between %s/%s)\n"
		"  --csv FILE         results as CSV ('-': stdout)\n"
		"Needs vmo.ko loaded and vmo-pager running.\n",
		BENCH_JSON_BEGIN, BENCH_JSON_END);
}

static size_t num_arg(const char *opt, const char *s, size_t min, size_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		bench_die(0, "%s: '%s' is not a number in %zu..%zu", opt, s,
			  min, max);
	return (size_t)v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "file-size", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'r' },
		{ "samples", required_argument, NULL, 'n' },
		{ "objects", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "clean-size", required_argument, NULL, 'C' },
		{ "dirty-size", required_argument, NULL, 'D' },
		{ "scratch", required_argument, NULL, 'S' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'O' },
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool size_set = false, file_set = false, reps_set = false;
	bool samples_set = false, objects_set = false;
	bool clean_set = false, dirty_set = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->size_mib = 256;
	o->reps = 3;
	o->lat_samples = 5000;
	o->objects = 10000;
	o->timeout = 300;
	o->clean_mib = 1024;
	o->dirty_mib = 256;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->size_mib = num_arg("--size", optarg, 1, 1 << 20);
			size_set = true;
			break;
		case 'f':
			o->file_mib = num_arg("--file-size", optarg, 1, 1 << 20);
			file_set = true;
			break;
		case 'r':
			o->reps = num_arg("--reps", optarg, 1, MAX_REPS);
			reps_set = true;
			break;
		case 'n':
			o->lat_samples = num_arg("--samples", optarg, 2, 1 << 20);
			samples_set = true;
			break;
		case 'o':
			o->objects = num_arg("--objects", optarg, 1, 1 << 20);
			objects_set = true;
			break;
		case 't':
			o->timeout = num_arg("--timeout", optarg, 1, 86400);
			break;
		case 'C':
			o->clean_mib = num_arg("--clean-size", optarg, 1, 1 << 20);
			clean_set = true;
			break;
		case 'D':
			o->dirty_mib = num_arg("--dirty-size", optarg, 1, 1 << 20);
			dirty_set = true;
			break;
		case 'S':
			o->scratch = optarg;
			break;
		case 'q':
			o->quick = true;
			break;
		case 'O':
			if (strspn(optarg, "abcdf") != strlen(optarg))
				bench_die(0, "--only: '%s' is not a set of a, b, c, d, f",
					  optarg);
			o->only = optarg;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'c':
			o->csv = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		bench_warn("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (o->quick) {
		if (!size_set)
			o->size_mib = 4;
		if (!reps_set)
			o->reps = 1;
		if (!samples_set)
			o->lat_samples = 100;
		if (!objects_set)
			o->objects = 100;
		if (!clean_set)
			o->clean_mib = 8;
		if (!dirty_set)
			o->dirty_mib = 8;
	}
	if (!file_set)
		o->file_mib = o->size_mib;
}

int main(int argc, char **argv)
{
	char thp[32], shmem_thp[32], clk[32];
	struct opts o;
	long pagesz;
	int ret;

	bench_prog = "vmo-bench";
	main_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv, &o);
	pagesz = sysconf(_SC_PAGESIZE);
	if (pagesz <= 0)
		bench_die(errno, "sysconf(_SC_PAGESIZE)");
	ps = (size_t)pagesz;

	ret = vmo_open(&vmo);
	if (ret < 0)
		bench_die(0, "vmo_open: %s", vmo_strerror(ret));
	if (pager_stat("pager_attached") != 1)
		bench_die(0, "no pager attached (%s: pager_attached is not 1): start vmo-pager first",
			  VMO_STATS);
	thp_off();
	/* The faulting thread always runs on CPU 0; see enum place. */
	bench_pin_cpu(0);
	atexit(pager_unpin);
	bench_sysfs_choice(THP_ENABLED, thp, sizeof(thp));
	bench_sysfs_choice(THP_SHMEM, shmem_thp, sizeof(shmem_thp));
	bench_report_init(&report, "vm");
	bench_info("kernel %s, %d CPUs, page %zu, THP enabled=%s shmem=%s, vmo features %#llx, pager pid %lld",
		   report.kernel, bench_ncpus(), ps, thp[0] ? thp : "?",
		   shmem_thp[0] ? shmem_thp : "?",
		   (unsigned long long)vmo_features(vmo),
		   pager_stat("pager_pid"));
	bench_sysfs_choice(CLOCKSOURCE, clk, sizeof(clk));
	bench_info("clocksource %s: clock_gettime pair %.0f ns (inside every latency sample)",
		   clk[0] ? clk : "?", bench_clock_overhead_ns());
	bench_info("size %zu MiB, file %zu MiB, %u rep(s), %zu latency samples, %zu objects, scavenge %zu MiB clean, %zu MiB dirty%s",
		   o.size_mib, o.file_mib, o.reps, o.lat_samples, o.objects,
		   o.clean_mib, o.dirty_mib, o.quick ? " (quick)" : "");

	warm_guest_memory(&o);
	if (!o.only || strchr(o.only, 'a'))
		bench_zero_fill(&o);
	if (!o.only || strchr(o.only, 'b'))
		bench_latency(&o);
	if (!o.only || strchr(o.only, 'c'))
		bench_scale(&o);
	if (!o.only || strchr(o.only, 'd'))
		bench_file_shadow(&o);
	if (!o.only || strchr(o.only, 'f'))
		bench_scavenge(&o);

	printf("%s\n", BENCH_TABLE_BEGIN);
	printf("vmo-bench (where: vm, kernel %s, size %zu MiB%s)\n",
	       report.kernel, o.size_mib, o.quick ? ", quick" : "");
	bench_print_table(&report, stdout);
	printf("%s\n", BENCH_TABLE_END);
	if (o.json)
		bench_write_json(&report, o.json);
	if (o.csv)
		bench_write_csv(&report, o.csv);
	vmo_close(vmo);
	return 0;
}
