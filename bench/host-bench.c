// SPDX-License-Identifier: GPL-2.0
/*
 * host-bench: the pager's fault engine on the host kernel, against the
 * kernel's native fault paths, side by side in one run.
 *
 * After mmap, vmo.ko is not on the fault path: a fault on an object
 * mapping goes shmem -> userfaultfd -> vmo-pager's engine -> UFFDIO_*.
 * So this drives the real engine (pager/engine.c and friends) the way
 * selftests/pager_host_test.c does: a memfd (shmem, like an object's
 * store) mapped MAP_SHARED, registered with a userfaultfd for MISSING
 * and MINOR faults, the map table filled by hand, and a server thread
 * polling the uffd and calling engine_drain().  Native: the same memfd
 * mapping without userfaultfd ("shared anon") and MAP_PRIVATE anonymous
 * memory with MADV_NOHUGEPAGE ("private anon").
 *
 *  - demand-zero first touch of every page, sequential and shuffled;
 *  - latency of single isolated faults, one thread and two at once.
 *
 * The faulting thread runs on CPU 0 and the engine's thread is pinned to
 * the same CPU or to the other one (enum place): the two cost very
 * differently and the scheduler may pick either.  The row names match
 * vmo-bench's, so bench/report.sh can put VM and host side by side.
 *
 * A "touch" is the first write to a page: one 8-byte store.  Needs
 * userfaultfd (root, or vm.unprivileged_userfaultfd=1).  Timings are
 * reported, never judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <linux/userfaultfd.h>

#include "bench.h"
#include "engine.h"
#include "log.h"
#include "maptable.h"

#define MIB			(1024UL * 1024UL)
#define WARM_PAGES		256	/* untimed faults before each run */
#define MAX_REPS		16
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_SHMEM		"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define CLOCKSOURCE		"/sys/devices/system/clocksource/clocksource0/current_clocksource"

/* What libvmo asks for, so the engine sees the same events. */
#define UFFD_FEATURES	(UFFD_FEATURE_MISSING_SHMEM |			\
			 UFFD_FEATURE_MINOR_SHMEM |			\
			 UFFD_FEATURE_EVENT_UNMAP |			\
			 UFFD_FEATURE_EVENT_REMAP |			\
			 UFFD_FEATURE_EVENT_REMOVE)

struct opts {
	size_t size_mib;
	unsigned int reps;
	size_t lat_samples;
	unsigned int cluster;
	const char *json;
	const char *csv;
	bool quick;
};

enum kind {
	K_ENGINE,	/* memfd + userfaultfd, served by the pager's engine */
	K_SHARED,	/* the same memfd mapping, no userfaultfd */
	K_PRIVATE,	/* MAP_PRIVATE | MAP_ANONYMOUS, MADV_NOHUGEPAGE */
	K_NR,
};

static const char *const kind_name[K_NR] = {
	[K_ENGINE] = "engine",
	[K_SHARED] = "shared anon",
	[K_PRIVATE] = "private anon",
};

/*
 * Where the engine's thread runs while the faulting thread is on CPU 0:
 * same CPU (the round trip is two context switches) or the other one
 * (also a cross-CPU wake-up each way).  The scheduler may pick either,
 * so both are measured, pinned; the names match vmo-bench's rows.
 */
enum place {
	P_SAME,
	P_OTHER,
	P_ANY,
};

static const int place_cpu[] = { [P_SAME] = 0, [P_OTHER] = 1, [P_ANY] = -1 };

static size_t ps;
static unsigned int cluster = ENGINE_CLUSTER_DEFAULT;
static int server_cpu = -1;	/* for the next engine region */
static struct bench_report report;

/* ---------------------------------------------------------------- */
/* The engine, served from a thread                                  */
/* ---------------------------------------------------------------- */

struct server {
	struct engine_ctx ctx;
	struct engine_client client;
	pthread_t tid;
	int cpu;		/* pinned there; -1: any */
	int uffd;
	int stopfd;
	int err;		/* positive errno the thread stopped on */
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd pfd[2] = {
		{ .fd = s->uffd, .events = POLLIN },
		{ .fd = s->stopfd, .events = POLLIN },
	};
	int ret;

	if (s->cpu >= 0)
		bench_pin_cpu(s->cpu);
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			s->err = errno;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			s->err = EIO;
			break;
		}
		ret = engine_drain(&s->ctx, &s->client);
		if (ret < 0) {
			s->err = -ret;
			break;
		}
	}
	return NULL;
}

/* Register [p, p + len) of a memfd mapping and serve it with the engine. */
static void server_start(struct server *s, char *p, size_t len, int cpu)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURES };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING |
			UFFDIO_REGISTER_MODE_MINOR,
	};
	const uint64_t need = (1ULL << _UFFDIO_ZEROPAGE) |
			      (1ULL << _UFFDIO_CONTINUE) |
			      (1ULL << _UFFDIO_WAKE);
	struct vmo_range r;
	int err;

	memset(s, 0, sizeof(*s));
	s->cpu = cpu;
	s->uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0)
		bench_die(errno, "userfaultfd(2) (needs root or vm.unprivileged_userfaultfd=1)");
	if (ioctl(s->uffd, UFFDIO_API, &api) < 0)
		bench_die(errno, "UFFDIO_API with shmem MISSING/MINOR and UNMAP/REMAP/REMOVE events");
	if (ioctl(s->uffd, UFFDIO_REGISTER, &reg) < 0)
		bench_die(errno, "UFFDIO_REGISTER MISSING|MINOR of a memfd mapping");
	if ((reg.ioctls & need) != need)
		bench_die(0, "UFFDIO_REGISTER offers ioctls %#llx, without ZEROPAGE, CONTINUE or WAKE",
			  (unsigned long long)reg.ioctls);
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0)
		bench_die(errno, "eventfd");

	err = engine_init(&s->ctx, cluster, NULL, NULL);
	if (err)
		bench_die(-err, "engine_init");
	engine_client_init(&s->client, &s->ctx, s->uffd, 1, (uint32_t)getpid());
	memset(&r, 0, sizeof(r));
	r.start = (uintptr_t)p;
	r.end = r.start + len;
	r.pgoff = 0;
	r.obj_id = 1;
	r.obj_size = len;
	r.kind = VMO_KIND_ANON;
	r.flags = VMO_MAP_SHARED | VMO_MAP_WRITE;
	err = maptable_insert(&s->client.mt, &r);
	if (err)
		bench_die(-err, "maptable_insert");
	err = pthread_create(&s->tid, NULL, server_main, s);
	if (err)
		bench_die(err, "pthread_create (engine server)");
}

/* Stop the thread, close the uffd (before any munmap: see UNMAP events). */
static void server_stop(struct server *s)
{
	uint64_t one = 1;
	int err;

	if (write(s->stopfd, &one, sizeof(one)) != sizeof(one))
		bench_die(errno, "write(stop eventfd)");
	err = pthread_join(s->tid, NULL);
	if (err)
		bench_die(err, "pthread_join (engine server)");
	if (s->err)
		bench_die(s->err, "engine server thread stopped");
	if (s->ctx.ctr.c[VMO_PSTAT_ERRORS])
		bench_warn("engine counted %llu errors",
			   (unsigned long long)s->ctx.ctr.c[VMO_PSTAT_ERRORS]);
	engine_client_destroy(&s->ctx, &s->client);	/* closes the uffd */
	engine_destroy(&s->ctx);
	bench_xclose(s->stopfd, "stop eventfd");
}

/* ---------------------------------------------------------------- */
/* Regions                                                           */
/* ---------------------------------------------------------------- */

struct region {
	enum kind kind;
	char *p;
	size_t len;
	int fd;			/* memfd */
	struct server *srv;	/* K_ENGINE */
};

static void region_map(struct region *r, enum kind kind, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->len = len;
	r->fd = -1;
	if (kind == K_PRIVATE) {
		r->p = bench_xmmap(len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1,
				   "MAP_PRIVATE|MAP_ANONYMOUS");
		bench_xmadvise(r->p, len, MADV_NOHUGEPAGE, "private anon");
		return;
	}
	r->fd = memfd_create("host-bench", MFD_CLOEXEC);
	if (r->fd < 0)
		bench_die(errno, "memfd_create");
	if (ftruncate(r->fd, (off_t)len) < 0)
		bench_die(errno, "ftruncate(memfd, %zu)", len);
	r->p = bench_xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
			   "memfd, MAP_SHARED");
	if (kind == K_ENGINE) {
		r->srv = bench_xmalloc(sizeof(*r->srv));
		server_start(r->srv, r->p, len, server_cpu);
	}
}

/* Unmap; *@ctr gets the engine's counters if it served the region. */
static void region_unmap(struct region *r, struct vmo_counters *ctr)
{
	if (r->srv) {
		server_stop(r->srv);
		if (ctr)
			*ctr = r->srv->ctx.ctr;
		free(r->srv);
		r->srv = NULL;
	}
	bench_xmunmap(r->p, r->len, kind_name[r->kind]);
	if (r->fd >= 0)
		bench_xclose(r->fd, "memfd");
}

static void warm_up(enum kind kind, size_t n)
{
	struct region r;
	size_t i;

	if (n > WARM_PAGES)
		n = WARM_PAGES;
	region_map(&r, kind, n * ps);
	for (i = 0; i < n; i++)
		bench_touch(r.p, ((i * 7) % n) * ps);
	region_unmap(&r, NULL);
}

/* ---------------------------------------------------------------- */
/* Demand-zero first touch                                           */
/* ---------------------------------------------------------------- */

static double zero_fill(enum kind kind, const uint32_t *order, size_t n,
			struct vmo_counters *ctr)
{
	struct region r;
	double pps;

	warm_up(kind, n);
	region_map(&r, kind, n * ps);
	pps = bench_touch_pages(r.p, order, n, ps);
	region_unmap(&r, ctr);
	return pps;
}

/* The variants of a zero-fill run: the engine twice (placements), native. */
struct variant {
	enum kind kind;
	enum place place;
	const char *name;
};

static const struct variant variants[] = {
	{ K_ENGINE, P_SAME, "engine, same CPU" },
	{ K_ENGINE, P_OTHER, "engine, other CPU" },
	{ K_SHARED, P_ANY, "shared anon (memfd)" },
	{ K_PRIVATE, P_ANY, "private anon" },
};

#define NVARIANTS	(sizeof(variants) / sizeof(variants[0]))

static void bench_zero_fill(const struct opts *o)
{
	size_t n = o->size_mib * MIB / ps;
	uint32_t *seq = bench_xmalloc(n * sizeof(*seq));
	uint32_t *rnd = bench_xmalloc(n * sizeof(*rnd));
	double res[2][NVARIANTS][MAX_REPS], med[2][NVARIANTS];
	const char *oname[2] = { "seq", "random" };
	struct vmo_counters ctr[2][NVARIANTS];
	const struct variant *va;
	char name[96];
	unsigned int rep;
	size_t v;
	int w;

	bench_order_seq(seq, n);
	bench_order_shuffle(rnd, n, 42);
	memset(ctr, 0, sizeof(ctr));
	bench_info("demand-zero first touch of %zu pages (%zu MiB), %u run(s) each, median kept",
		   n, o->size_mib, o->reps);
	/* Interleave the variants so drift hits all of them alike. */
	for (rep = 0; rep < o->reps; rep++) {
		for (w = 0; w < 2; w++) {
			for (v = 0; v < NVARIANTS; v++) {
				va = &variants[v];
				server_cpu = place_cpu[va->place];
				res[w][v][rep] = zero_fill(va->kind,
							   w ? rnd : seq, n,
							   &ctr[w][v]);
				bench_info("   %-6s %-20s run %u: %.0f pages/s",
					   oname[w], va->name, rep + 1,
					   res[w][v][rep]);
			}
		}
	}
	server_cpu = -1;
	for (w = 0; w < 2; w++) {
		for (v = 0; v < NVARIANTS; v++) {
			uint64_t f = ctr[w][v].c[VMO_PSTAT_FAULTS_MISSING];
			uint64_t z = ctr[w][v].c[VMO_PSTAT_PAGES_ZEROED];

			med[w][v] = bench_median(res[w][v], o->reps);
			if (variants[v].kind != K_ENGINE)
				continue;
			bench_info("   %s %s (last run): faults_missing %llu, pages_zeroed %llu (%.1f pages per fault)",
				   oname[w], variants[v].name,
				   (unsigned long long)f,
				   (unsigned long long)z,
				   f ? (double)z / f : NAN);
		}
	}
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
	free(seq);
	free(rnd);
}

/* ---------------------------------------------------------------- */
/* Isolated fault latency                                            */
/* ---------------------------------------------------------------- */

static void fault_latency(enum kind kind, size_t nsamples, int nthreads,
			  struct bench_lat *out)
{
	struct region r;

	warm_up(kind, nsamples);
	region_map(&r, kind, nsamples * BENCH_LAT_STRIDE * ps);
	bench_fault_latency(r.p, ps, nsamples, nthreads, out);
	region_unmap(&r, NULL);
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
	bench_info("   %-31s p50 %8.1f  p99 %8.1f  max %8.1f us", what, l->p50,
		   l->p99, l->max);
}

static void bench_latency(const struct opts *o)
{
	struct bench_lat same, other, two, n1, n2, priv;

	bench_info("latency of %zu isolated faults (pages %d apart, shuffled)",
		   o->lat_samples, BENCH_LAT_STRIDE);
	server_cpu = place_cpu[P_SAME];
	fault_latency(K_ENGINE, o->lat_samples, 1, &same);
	server_cpu = place_cpu[P_OTHER];
	fault_latency(K_ENGINE, o->lat_samples, 1, &other);
	server_cpu = place_cpu[P_ANY];
	fault_latency(K_ENGINE, o->lat_samples, 2, &two);
	fault_latency(K_SHARED, o->lat_samples, 1, &n1);
	fault_latency(K_SHARED, o->lat_samples, 2, &n2);
	fault_latency(K_PRIVATE, o->lat_samples, 1, &priv);
	print_lat("engine 1 thread, same CPU", &same);
	print_lat("engine 1 thread, other CPU", &other);
	print_lat("engine 2 threads", &two);
	print_lat("shared anon (memfd) 1 thread", &n1);
	print_lat("shared anon (memfd) 2 threads", &n2);
	print_lat("private anon 1 thread", &priv);
	add_lat("1 thread, pager same CPU", &same, &n1);
	add_lat("1 thread, pager other CPU", &other, &n1);
	add_lat("2 threads, pager any CPU", &two, &n2);
	bench_add(&report, "fault latency p50, 1 thread, same CPU (vs private anon)",
		  "us", same.p50, priv.p50, NULL);
}

/* ---------------------------------------------------------------- */
/* Bounds (bench/README.md, "Targets and bounds")                    */
/* ---------------------------------------------------------------- */

#define PINGPONG_ROUNDS		2000

/*
 * What the engine cannot beat, in this run: the per-page cost of
 * UFFDIO_ZEROPAGE itself (the ceiling of sequential zero-fill, however
 * large the window), and a plain two-thread wake-up round trip on one
 * CPU and across CPUs (the floor of a fault's latency, however little
 * the engine does).
 */
static void bench_bounds(const struct opts *o)
{
	size_t n = o->size_mib * MIB / ps, rounds = PINGPONG_ROUNDS;
	double zp, shared, same, other, native;
	struct bench_lat lat;
	uint32_t *seq = bench_xmalloc(n * sizeof(*seq));

	if (o->quick)
		rounds = 200;
	bench_order_seq(seq, n);
	zp = bench_zeropage_pages(n, ps, cluster);
	shared = zero_fill(K_SHARED, seq, n, NULL);
	same = bench_pingpong_us(0, 0, rounds, false);
	other = bench_pingpong_us(0, 1, rounds, false);
	bench_pin_cpu(0);
	fault_latency(K_SHARED, o->lat_samples, 1, &lat);
	native = lat.p50;
	bench_info("bounds: UFFDIO_ZEROPAGE alone %.0f pages/s (%u-page resolves), shared anon %.0f pages/s; eventfd ping-pong p50 same CPU %.1f us, other CPU %.1f us; native fault p50 %.1f us",
		   zp, cluster, shared, same, other, native);
	bench_add(&report, "bound: UFFDIO_ZEROPAGE alone, no fault (vs shared anon)",
		  "pages/s", zp, shared, NULL);
	bench_add_wakeup_bounds(&report, same, other, native);
	free(seq);
}

/* ---------------------------------------------------------------- */
/* Set-up                                                            */
/* ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: host-bench [options]\n"
		"  --size MIB       demand-zero region (default 256)\n"
		"  --reps N         runs per zero-fill variant, median kept (default 3)\n"
		"  --samples N      isolated faults per latency run (default 5000)\n"
		"  --cluster N      engine fault-around window, pages (default %u)\n"
		"  --quick          tiny sizes: a smoke run\n"
		"  --json FILE      results as JSON ('-': stdout between %s/%s)\n"
		"  --csv FILE       results as CSV ('-': stdout)\n"
		"Needs userfaultfd: root, or vm.unprivileged_userfaultfd=1.\n",
		ENGINE_CLUSTER_DEFAULT, BENCH_JSON_BEGIN, BENCH_JSON_END);
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
		{ "reps", required_argument, NULL, 'r' },
		{ "samples", required_argument, NULL, 'n' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool size_set = false, reps_set = false, samples_set = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->size_mib = 256;
	o->reps = 3;
	o->lat_samples = 5000;
	o->cluster = ENGINE_CLUSTER_DEFAULT;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->size_mib = num_arg("--size", optarg, 1, 1 << 20);
			size_set = true;
			break;
		case 'r':
			o->reps = num_arg("--reps", optarg, 1, MAX_REPS);
			reps_set = true;
			break;
		case 'n':
			o->lat_samples = num_arg("--samples", optarg, 2, 1 << 20);
			samples_set = true;
			break;
		case 'c':
			o->cluster = num_arg("--cluster", optarg, 1,
					     ENGINE_CLUSTER_MAX);
			break;
		case 'q':
			o->quick = true;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'v':
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
			o->size_mib = 8;
		if (!reps_set)
			o->reps = 1;
		if (!samples_set)
			o->lat_samples = 200;
	}
}

int main(int argc, char **argv)
{
	char thp[32], shmem_thp[32], clk[32];
	struct opts o;
	long pagesz;

	bench_prog = "host-bench";
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv, &o);
	pagesz = sysconf(_SC_PAGESIZE);
	if (pagesz <= 0)
		bench_die(errno, "sysconf(_SC_PAGESIZE)");
	ps = (size_t)pagesz;
	cluster = o.cluster;
	vlog_level = VLOG_ERROR;
	/* The faulting thread runs on CPU 0; see enum place. */
	bench_pin_cpu(0);

	bench_report_init(&report, "host");
	bench_sysfs_choice(THP_ENABLED, thp, sizeof(thp));
	bench_sysfs_choice(THP_SHMEM, shmem_thp, sizeof(shmem_thp));
	bench_info("kernel %s, %d CPUs, page %zu, THP enabled=%s shmem=%s (private anon: MADV_NOHUGEPAGE), engine cluster %u",
		   report.kernel, bench_ncpus(), ps, thp[0] ? thp : "?",
		   shmem_thp[0] ? shmem_thp : "?", cluster);
	bench_sysfs_choice(CLOCKSOURCE, clk, sizeof(clk));
	bench_info("clocksource %s: clock_gettime pair %.0f ns (inside every latency sample)",
		   clk[0] ? clk : "?", bench_clock_overhead_ns());
	bench_info("size %zu MiB, %u rep(s), %zu latency samples%s",
		   o.size_mib, o.reps, o.lat_samples,
		   o.quick ? " (quick)" : "");

	bench_zero_fill(&o);
	bench_latency(&o);
	bench_bounds(&o);

	printf("%s\n", BENCH_TABLE_BEGIN);
	printf("host-bench (where: host, kernel %s, size %zu MiB, vmo = pager engine over userfaultfd%s)\n",
	       report.kernel, o.size_mib, o.quick ? ", quick" : "");
	bench_print_table(&report, stdout);
	printf("%s\n", BENCH_TABLE_END);
	if (o.json)
		bench_write_json(&report, o.json);
	if (o.csv)
		bench_write_csv(&report, o.csv);
	return 0;
}
