// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by vmo-bench and host-bench: see bench.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>

#include "bench.h"

const char *bench_prog = "bench";

static void vmsg(const char *level, int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", bench_prog, level);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	fflush(stderr);
}

void bench_die(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", err, fmt, ap);
	va_end(ap);
	exit(1);
}

void bench_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", 0, fmt, ap);
	va_end(ap);
}

void bench_info(const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	va_start(ap, fmt);
	printf("%s: ", bench_prog);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void *bench_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		bench_die(ENOMEM, "malloc(%zu)", size);
	/* Fault it in now, never inside a timed loop. */
	memset(p, 0, size);
	return p;
}

void *bench_xmmap(size_t len, int prot, int flags, int fd, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		bench_die(errno, "mmap of %zu bytes (%s)", len, what);
	return p;
}

void bench_xmunmap(void *p, size_t len, const char *what)
{
	if (munmap(p, len) < 0)
		bench_die(errno, "munmap of %zu bytes at %p (%s)", len, p, what);
}

void bench_xclose(int fd, const char *what)
{
	if (close(fd) < 0)
		bench_die(errno, "close(%d) (%s)", fd, what);
}

void bench_xmadvise(void *p, size_t len, int advice, const char *what)
{
	if (madvise(p, len, advice) < 0)
		bench_die(errno, "madvise(%p, %zu, %d) (%s)", p, len, advice,
			  what);
}

void bench_order_seq(uint32_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
}

/* xorshift64*: small, fast, deterministic. */
uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void bench_order_shuffle(uint32_t *idx, size_t n, uint64_t seed)
{
	uint64_t st = seed ? seed : 0x9E3779B97F4A7C15ULL;
	size_t i, j;
	uint32_t t;

	bench_order_seq(idx, n);
	for (i = n; i > 1; i--) {
		j = (size_t)(bench_rand(&st) % i);
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_lat_stats(uint64_t *ns, size_t n, struct bench_lat *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (!n) {
		out->p50 = out->p99 = out->max = NAN;
		return;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	out->p50 = ns[(n - 1) * 50 / 100] / 1000.0;
	out->p99 = ns[(n - 1) * 99 / 100] / 1000.0;
	out->max = ns[n - 1] / 1000.0;
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

void bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu >= bench_ncpus())
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: a cpuset may forbid it; the numbers stay valid. */
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		bench_warn("sched_setaffinity(cpu %d): %s (not pinned)", cpu,
			   strerror(errno));
}

/* "key" followed by ':' or blanks, then a number. */
long long bench_proc_num(const char *path, const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long long val = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + klen, *end;

		if (strncmp(line, key, klen))
			continue;
		if (*p != ':' && *p != ' ' && *p != '\t')
			continue;
		if (*p == ':')
			p++;
		errno = 0;
		val = strtoll(p, &end, 10);
		if (errno || end == p)
			val = -1;
		break;
	}
	fclose(f);
	return val;
}

void bench_sysfs_choice(const char *path, char *buf, size_t len)
{
	char line[256], *a, *b;
	FILE *f;

	if (len)
		buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		a = strchr(line, '[');
		b = a ? strchr(a, ']') : NULL;
		if (a && b) {
			*b = '\0';
			snprintf(buf, len, "%s", a + 1);
		} else {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line);
		}
	}
	fclose(f);
}

void bench_report_init(struct bench_report *rep, const char *where)
{
	struct utsname u;

	memset(rep, 0, sizeof(*rep));
	rep->where = where;
	if (uname(&u) < 0)
		bench_die(errno, "uname");
	snprintf(rep->kernel, sizeof(rep->kernel), "%s", u.release);
}

void bench_add(struct bench_report *rep, const char *name, const char *unit,
	       double vmo, double native, const char *note)
{
	struct bench_result *r;

	if (rep->nr >= BENCH_MAX_RESULTS)
		bench_die(0, "more than %d results: raise BENCH_MAX_RESULTS",
			  BENCH_MAX_RESULTS);
	r = &rep->r[rep->nr++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->vmo = vmo;
	r->native = native;
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
}

static double ratio(const struct bench_result *r)
{
	if (isnan(r->vmo) || isnan(r->native) || r->native == 0)
		return NAN;
	return r->vmo / r->native;
}

static const char *fmt_num(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static const char *fmt_ratio(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 0.1)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

void bench_print_table(const struct bench_report *rep, FILE *f)
{
	char a[32], b[32], c[32];
	int i;

	fprintf(f, "%-58s %-9s %12s %12s %8s\n", "benchmark", "unit", "vmo",
		"native", "ratio");
	for (i = 0; i < 58 + 1 + 9 + 3 + 12 + 12 + 8; i++)
		fputc('-', f);
	fputc('\n', f);
	for (i = 0; i < rep->nr; i++) {
		const struct bench_result *r = &rep->r[i];

		if (r->note[0] && isnan(r->vmo) && isnan(r->native)) {
			fprintf(f, "%-58s %-9s %s\n", r->name, r->unit,
				r->note);
			continue;
		}
		fprintf(f, "%-58s %-9s %12s %12s %8s%s%s\n", r->name, r->unit,
			fmt_num(r->vmo, a, sizeof(a)),
			fmt_num(r->native, b, sizeof(b)),
			fmt_ratio(ratio(r), c, sizeof(c)),
			r->note[0] ? "  " : "", r->note);
	}
	fprintf(f, "ratio = vmo / native: below 1 is slower for rates (pages/s, objects/s, MiB/s), above 1 is slower for us and bytes.\n");
	fflush(f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

void bench_print_json(const struct bench_report *rep, FILE *f)
{
	int i;

	fputs("[\n", f);
	for (i = 0; i < rep->nr; i++) {
		const struct bench_result *r = &rep->r[i];

		fputs("  {\"name\": ", f);
		json_str(f, r->name);
		fputs(", \"unit\": ", f);
		json_str(f, r->unit);
		fputs(", \"vmo\": ", f);
		json_num(f, r->vmo);
		fputs(", \"native\": ", f);
		json_num(f, r->native);
		fputs(", \"ratio\": ", f);
		json_num(f, ratio(r));
		fputs(", \"where\": ", f);
		json_str(f, rep->where);
		fputs(", \"kernel\": ", f);
		json_str(f, rep->kernel);
		if (r->note[0]) {
			fputs(", \"note\": ", f);
			json_str(f, r->note);
		}
		fprintf(f, "}%s\n", i + 1 < rep->nr ? "," : "");
	}
	fputs("]\n", f);
	fflush(f);
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v) && !isinf(v))
		fprintf(f, "%.6g", v);
}

void bench_print_csv(const struct bench_report *rep, FILE *f)
{
	int i;

	fputs("name,unit,vmo,native,ratio,where,kernel,note\n", f);
	for (i = 0; i < rep->nr; i++) {
		const struct bench_result *r = &rep->r[i];

		csv_str(f, r->name);
		fputc(',', f);
		csv_str(f, r->unit);
		fputc(',', f);
		csv_num(f, r->vmo);
		fputc(',', f);
		csv_num(f, r->native);
		fputc(',', f);
		csv_num(f, ratio(r));
		fputc(',', f);
		csv_str(f, rep->where);
		fputc(',', f);
		csv_str(f, rep->kernel);
		fputc(',', f);
		csv_str(f, r->note);
		fputc('\n', f);
	}
	fflush(f);
}

static void write_file(const struct bench_report *rep, const char *path,
		       void (*print)(const struct bench_report *, FILE *))
{
	FILE *f = fopen(path, "we");

	if (!f)
		bench_die(errno, "open %s for writing", path);
	print(rep, f);
	if (ferror(f))
		bench_die(EIO, "writing %s", path);
	if (fclose(f) == EOF)
		bench_die(errno, "closing %s", path);
}

void bench_write_json(const struct bench_report *rep, const char *path)
{
	if (strcmp(path, "-")) {
		write_file(rep, path, bench_print_json);
		return;
	}
	fflush(stderr);
	printf("%s\n", BENCH_JSON_BEGIN);
	bench_print_json(rep, stdout);
	printf("%s\n", BENCH_JSON_END);
	fflush(stdout);
}

void bench_write_csv(const struct bench_report *rep, const char *path)
{
	if (strcmp(path, "-")) {
		write_file(rep, path, bench_print_csv);
		return;
	}
	bench_print_csv(rep, stdout);
}

double bench_touch_pages(char *base, const uint32_t *order, size_t n,
			 size_t page_size)
{
	uint64_t t0, t1;
	size_t i;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		bench_touch(base, (size_t)order[i] * page_size);
	t1 = bench_now_ns();
	return n / ((t1 - t0) / 1e9);
}

struct lat_thread {
	pthread_t tid;
	int cpu;
	char *base;
	size_t page_size;
	const uint32_t *pages;	/* page indices to touch */
	size_t n;
	uint64_t *ns;		/* out: one per page */
	pthread_barrier_t *start;
};

static void *lat_main(void *arg)
{
	struct lat_thread *t = arg;
	uint64_t t0, t1;
	size_t i;

	bench_pin_cpu(t->cpu);
	pthread_barrier_wait(t->start);
	for (i = 0; i < t->n; i++) {
		size_t off = (size_t)t->pages[i] * t->page_size;

		t0 = bench_now_ns();
		bench_touch(t->base, off);
		t1 = bench_now_ns();
		t->ns[i] = t1 - t0;
	}
	return NULL;
}

void bench_fault_latency(char *base, size_t page_size, size_t nsamples,
			 int nthreads, struct bench_lat *out)
{
	struct lat_thread th[BENCH_MAX_THREADS];
	uint32_t *order = bench_xmalloc(nsamples * sizeof(*order));
	uint64_t *ns = bench_xmalloc(nsamples * sizeof(*ns));
	uint32_t *pages[BENCH_MAX_THREADS];
	size_t i, per = nsamples / nthreads;
	pthread_barrier_t start;
	int t, err;

	if (nthreads < 1 || nthreads > BENCH_MAX_THREADS)
		bench_die(0, "bench_fault_latency: %d threads", nthreads);
	bench_order_shuffle(order, nsamples, 7);
	err = pthread_barrier_init(&start, NULL, nthreads);
	if (err)
		bench_die(err, "pthread_barrier_init");
	for (t = 0; t < nthreads; t++) {
		pages[t] = bench_xmalloc(per * sizeof(uint32_t));
		for (i = 0; i < per; i++)
			pages[t][i] = order[i * nthreads + t] * BENCH_LAT_STRIDE;
		th[t].cpu = t;
		th[t].base = base;
		th[t].page_size = page_size;
		th[t].pages = pages[t];
		th[t].n = per;
		th[t].ns = ns + t * per;
		th[t].start = &start;
		err = pthread_create(&th[t].tid, NULL, lat_main, &th[t]);
		if (err)
			bench_die(err, "pthread_create (latency thread)");
	}
	for (t = 0; t < nthreads; t++) {
		err = pthread_join(th[t].tid, NULL);
		if (err)
			bench_die(err, "pthread_join (latency thread)");
		free(pages[t]);
	}
	pthread_barrier_destroy(&start);
	bench_lat_stats(ns, per * nthreads, out);
	free(order);
	free(ns);
}

double bench_clock_overhead_ns(void)
{
	uint64_t ns[1001];
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint64_t t0 = bench_now_ns();

		ns[i] = bench_now_ns() - t0;
	}
	qsort(ns, sizeof(ns) / sizeof(ns[0]), sizeof(ns[0]), cmp_u64);
	return (double)ns[500];
}

int bench_run_child(void (*fn)(void *), void *arg, unsigned int timeout,
		    const char *what, char *why, size_t len)
{
	uint64_t deadline;
	pid_t pid, w;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bench_die(errno, "fork (%s)", what);
	if (!pid) {
		fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	deadline = bench_now_ns() + (uint64_t)timeout * 1000000000ULL;
	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w < 0)
			bench_die(errno, "waitpid(%d) (%s)", pid, what);
		if (w == pid)
			break;
		if (bench_now_ns() > deadline) {
			bench_warn("%s: still running after %u s: killing it",
				   what, timeout);
			if (kill(pid, SIGKILL) < 0)
				bench_die(errno, "kill(%d) (%s)", pid, what);
			if (waitpid(pid, &st, 0) < 0)
				bench_die(errno, "waitpid(%d) (%s)", pid, what);
			snprintf(why, len, "timed out after %u s", timeout);
			return -1;
		}
		bench_sleep_us(100000);
	}
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	snprintf(why, len, "child failed (status %#x)", st);
	return -1;
}

void bench_sleep_us(unsigned int us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	/* EINTR: the caller's loop looks again anyway. */
	nanosleep(&ts, NULL);
}

int bench_pattern_file(size_t pages, size_t page_size, unsigned int word,
		       uint64_t (*pattern)(size_t i))
{
	char path[] = "/tmp/vmo-bench.XXXXXX";
	uint64_t *buf = bench_xmalloc(page_size);
	size_t i;
	int fd;

	memset(buf, 0, page_size);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		bench_die(errno, "mkostemp(%s)", path);
	if (unlink(path) < 0)
		bench_die(errno, "unlink(%s)", path);
	for (i = 0; i < pages; i++) {
		buf[word] = pattern(i);
		if (pwrite(fd, buf, page_size, (off_t)(i * page_size)) !=
		    (ssize_t)page_size)
			bench_die(errno, "pwrite of page %zu of %s", i, path);
	}
	free(buf);
	return fd;
}

int bench_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* ---------------------------------------------------------------- */
/* Bounds: what no pager can beat, measured in the same run          */
/* ---------------------------------------------------------------- */

double bench_memcpy_pages(const char *src, size_t n, size_t page_size)
{
	char *dst = bench_xmalloc(page_size);
	uint64_t t0, t1;
	size_t i;

	memset(dst, 0, page_size);	/* fault it in before timing */
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		memcpy(dst, src + i * page_size, page_size);
		/* Keep the copy: the compiler may not drop it. */
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	t1 = bench_now_ns();
	free(dst);
	return n / ((t1 - t0) / 1e9);
}

struct pong {
	int ping, pong;		/* eventfds */
	int cpu;
	size_t rounds;
	int err;		/* positive errno the thread stopped on */
};

static int efd_wait(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) != sizeof(v))
		if (errno != EINTR)
			return errno;
	return 0;
}

static int efd_post(int fd)
{
	uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) != sizeof(one))
		if (errno != EINTR)
			return errno;
	return 0;
}

static void *pong_main(void *arg)
{
	struct pong *p = arg;
	size_t i;

	bench_pin_cpu(p->cpu);
	for (i = 0; i < p->rounds && !p->err; i++) {
		p->err = efd_wait(p->ping);
		if (!p->err)
			p->err = efd_post(p->pong);
	}
	return NULL;
}

/* The other side as a process of its own: exits 0 or with an errno. */
static pid_t pong_fork(struct pong *p)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		bench_die(errno, "fork (ping-pong)");
	if (!pid) {
		pong_main(p);
		_exit(p->err);
	}
	return pid;
}

static void pong_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		bench_die(errno, "waitpid (ping-pong)");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		bench_die(0, "ping-pong process failed (status %#x)", st);
}

double bench_pingpong_us(int cpu_a, int cpu_b, size_t rounds, bool process)
{
	uint64_t *ns = bench_xmalloc(rounds * sizeof(*ns)), t0;
	struct pong p = { .cpu = cpu_b, .rounds = rounds };
	struct bench_lat lat;
	pthread_t tid;
	pid_t pid = -1;
	size_t i;
	int err;

	p.ping = eventfd(0, EFD_CLOEXEC);
	p.pong = eventfd(0, EFD_CLOEXEC);
	if (p.ping < 0 || p.pong < 0)
		bench_die(errno, "eventfd");
	bench_pin_cpu(cpu_a);
	if (process) {
		pid = pong_fork(&p);
	} else {
		err = pthread_create(&tid, NULL, pong_main, &p);
		if (err)
			bench_die(err, "pthread_create (ping-pong)");
	}
	for (i = 0; i < rounds; i++) {
		t0 = bench_now_ns();
		err = efd_post(p.ping);
		if (!err)
			err = efd_wait(p.pong);
		if (err)
			bench_die(err, "eventfd ping-pong");
		ns[i] = bench_now_ns() - t0;
	}
	if (process) {
		pong_reap(pid);
	} else {
		err = pthread_join(tid, NULL);
		if (err)
			bench_die(err, "pthread_join (ping-pong)");
	}
	if (p.err)
		bench_die(p.err, "eventfd ping-pong thread");
	bench_xclose(p.ping, "eventfd");
	bench_xclose(p.pong, "eventfd");
	bench_lat_stats(ns, rounds, &lat);
	free(ns);
	return lat.p50;
}

void bench_add_wakeup_bounds(struct bench_report *rep, double same,
			     double other, double native)
{
	bench_add(rep, "bound: wake-up round trip, same CPU (vs native fault p50)",
		  "us", same, native, NULL);
	bench_add(rep, "bound: wake-up round trip, other CPU (vs native fault p50)",
		  "us", other, native, NULL);
}

double bench_zeropage_pages(size_t n, size_t page_size, size_t chunk)
{
	struct uffdio_api api = {
		.api = UFFD_API, .features = UFFD_FEATURE_MISSING_SHMEM,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp;
	size_t len = n * page_size, off, step;
	uint64_t t0, t1;
	int fd, uffd;
	char *p;

	uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		bench_die(errno, "userfaultfd(2)");
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		bench_die(errno, "UFFDIO_API with MISSING_SHMEM");
	fd = memfd_create("bench-bound", MFD_CLOEXEC);
	if (fd < 0)
		bench_die(errno, "memfd_create");
	if (ftruncate(fd, (off_t)len) < 0)
		bench_die(errno, "ftruncate(memfd, %zu)", len);
	p = bench_xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			"memfd, MAP_SHARED");
	reg.range.start = (uintptr_t)p;
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		bench_die(errno, "UFFDIO_REGISTER MISSING of a memfd mapping");
	t0 = bench_now_ns();
	for (off = 0; off < len; off += step) {
		step = len - off < chunk * page_size ? len - off :
		       chunk * page_size;
		memset(&zp, 0, sizeof(zp));
		zp.range.start = (uintptr_t)p + off;
		zp.range.len = step;
		zp.mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE;
		if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp) < 0)
			bench_die(errno, "UFFDIO_ZEROPAGE");
		if (zp.zeropage != (int64_t)step)
			bench_die(0, "UFFDIO_ZEROPAGE filled %lld of %zu bytes",
				  (long long)zp.zeropage, step);
	}
	t1 = bench_now_ns();
	bench_xclose(uffd, "userfaultfd");
	bench_xmunmap(p, len, "memfd mapping");
	bench_xclose(fd, "memfd");
	return n / ((t1 - t0) / 1e9);
}
