/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by vmo-bench (in the test VM, through /dev/vmo and
 * vmo-pager) and host-bench (the pager's fault engine on the host):
 * timing, page orders, latency statistics, /proc readers and the
 * result table (text, JSON, CSV).
 *
 * Every result pairs a vmo number with a native one measured in the
 * same run; ratio = vmo / native.  Nothing here judges a number: this
 * is a benchmark, not a test.
 */
#ifndef VMO_BENCH_H
#define VMO_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define BENCH_MAX_RESULTS	64

struct bench_result {
	char name[96];
	char unit[16];
	double vmo;		/* NAN: not measured */
	double native;		/* NAN: no native counterpart */
	char note[160];		/* shown instead of missing numbers */
};

struct bench_report {
	const char *where;	/* "vm" or "host" */
	char kernel[65];	/* uname -r */
	struct bench_result r[BENCH_MAX_RESULTS];
	int nr;
};

/* Print "PROG: error: ...: strerror" (if @err) and exit(1). */
extern const char *bench_prog;
void bench_die(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line, also prefixed with the program name. */
void bench_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checked helpers: die with a message on failure. */
void *bench_xmalloc(size_t size);
void *bench_xmmap(size_t len, int prot, int flags, int fd, const char *what);
void bench_xmunmap(void *p, size_t len, const char *what);
void bench_xclose(int fd, const char *what);
void bench_xmadvise(void *p, size_t len, int advice, const char *what);

/* Page-index orders. */
void bench_order_seq(uint32_t *idx, size_t n);
/* Fisher-Yates with a fixed-seed generator: the same order every run. */
void bench_order_shuffle(uint32_t *idx, size_t n, uint64_t seed);
uint64_t bench_rand(uint64_t *state);

/* Latency statistics over @n samples (sorted in place), in ns. */
struct bench_lat {
	double p50, p99, max;	/* microseconds */
	size_t n;
};

void bench_lat_stats(uint64_t *ns, size_t n, struct bench_lat *out);

/*
 * Isolated faults for latency: @nsamples pages BENCH_LAT_STRIDE apart
 * (never inside one fault-around window of each other), so the region
 * at @base must hold @nsamples * BENCH_LAT_STRIDE pages.  Touched in
 * shuffled order by @nthreads threads pinned to CPUs 0, 1, ... that
 * start together; each touch timed alone.
 */
#define BENCH_LAT_STRIDE	32
#define BENCH_MAX_THREADS	2
void bench_fault_latency(char *base, size_t page_size, size_t nsamples,
			 int nthreads, struct bench_lat *out);

/* Touch pages @order[0..n) of @base, timed: pages per second. */
double bench_touch_pages(char *base, const uint32_t *order, size_t n,
			 size_t page_size);

/*
 * Bounds, each measured in the run it bounds:
 *  - memcpy of @n pages from @src (mapped) into one page: pages/s, the
 *    floor of any fill that copies a page once;
 *  - median round trip of an eventfd ping-pong between a thread on
 *    @cpu_a (the caller, pinned there) and one on @cpu_b (a thread, or
 *    with @process a forked process, as the pager is one), in us: two
 *    blocking wake-ups, the least a fault served by another thread costs;
 *  - UFFDIO_ZEROPAGE over @n pages of a fresh memfd mapping in @chunk
 *    page resolves, no fault and no round trip: pages/s, the per-page
 *    floor of a demand-zero fill through userfaultfd.
 */
double bench_memcpy_pages(const char *src, size_t n, size_t page_size);
double bench_pingpong_us(int cpu_a, int cpu_b, size_t rounds, bool process);
double bench_zeropage_pages(size_t n, size_t page_size, size_t chunk);

/* Median cost of one clock read (two back to back), in ns. */
double bench_clock_overhead_ns(void);

/* Median of @n doubles (sorted in place). */
double bench_median(double *v, size_t n);

/* Pin the calling thread to CPU @cpu if there is one (best effort). */
void bench_pin_cpu(int cpu);
int bench_ncpus(void);

/*
 * The number after "@key:" (/proc/meminfo, /proc/PID/status: kB) or
 * "@key " (/proc/vmo/stats) in @path; -1 if absent or unreadable.
 */
long long bench_proc_num(const char *path, const char *key);

/*
 * The bracketed choice of a sysfs "a [b] c" file, else its first line,
 * into @buf; "" if unreadable.
 */
void bench_sysfs_choice(const char *path, char *buf, size_t len);

/*
 * Run @fn(@arg) in a child process and wait for it; SIGKILL it after
 * @timeout seconds (a fault nobody serves waits for ever, but a thread
 * waiting on a fault is killable).  Returns 0 when it exited with status
 * 0; else -1 with what happened in @why ("timed out after N s", "child
 * failed (status 0x100)").  @what names the run in the warning.
 */
int bench_run_child(void (*fn)(void *), void *arg, unsigned int timeout,
		    const char *what, char *why, size_t len);

/* Sleep @us microseconds: the pause of every polling loop. */
void bench_sleep_us(unsigned int us);

/* Write @s to the sysfs/proc/cgroup file @path; 0 or -errno. */
int bench_write_file(const char *path, const char *s);

/*
 * An unlinked temporary file (under /tmp: tmpfs in the test VM) of
 * @pages pages of @page_size, zero but for 64-bit word @word of page i,
 * which holds @pattern(i).  Dies on failure.
 */
int bench_pattern_file(size_t pages, size_t page_size, unsigned int word,
		       uint64_t (*pattern)(size_t i));

/* Reports. */
void bench_report_init(struct bench_report *rep, const char *where);
void bench_add(struct bench_report *rep, const char *name, const char *unit,
	       double vmo, double native, const char *note);
/* The two "wake-up round trip" bound rows (same and other CPU), in us. */
void bench_add_wakeup_bounds(struct bench_report *rep, double same,
			     double other, double native);
void bench_print_table(const struct bench_report *rep, FILE *f);
void bench_print_json(const struct bench_report *rep, FILE *f);
void bench_print_csv(const struct bench_report *rep, FILE *f);
/* Write JSON (or CSV) to @path; "-" prints JSON between marker lines. */
void bench_write_json(const struct bench_report *rep, const char *path);
void bench_write_csv(const struct bench_report *rep, const char *path);

#define BENCH_JSON_BEGIN	"BENCH-JSON-BEGIN"
#define BENCH_JSON_END		"BENCH-JSON-END"
#define BENCH_TABLE_BEGIN	"BENCH-TABLE-BEGIN"
#define BENCH_TABLE_END		"BENCH-TABLE-END"

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* First write to a page: one word, the page's own offset. */
static inline void bench_touch(char *base, size_t off)
{
	*(volatile uint64_t *)(base + off) = off;
}

static inline uint64_t bench_read(const char *base, size_t off)
{
	return *(const volatile uint64_t *)(base + off);
}

#endif /* VMO_BENCH_H */
