// SPDX-License-Identifier: GPL-2.0
/*
 * vmo fuzzer: several processes (root and an unprivileged user), some
 * with several threads, issue every request with valid, stale and
 * invalid fds and random structures, interleaved with mmap, munmap,
 * mremap, madvise, fork, close and exit on object mappings, while the
 * pager is restarted under them.  It never attaches a second pager.
 *
 * Afterwards: every worker exited (no fault or request hung), the
 * module's object and client counts are back where they were, a fresh
 * object is served, and (in the VM) the kernel log is clean.
 *
 * Reproducible: VMO_FUZZ_SEED picks every random choice of every worker
 * (the interleaving is the scheduler's); VMO_FUZZ_SECS bounds the run
 * (default 20).  `make fuzz` runs it for 10 minutes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sys/resource.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define WORKERS		4	/* processes: 0, 1 root; 2, 3 nobody */
#define THREADS		2	/* per worker */
#define MAX_FDS		16	/* per thread: sessions, objects */
#define MAX_MAPS	8	/* per thread */
#define MAX_TOUCH	32	/* pages touched per action */
#define NOBODY		65534
#define OPS_FD		200	/* a worker's pipe to the test */
#define UNPRIV_UFFD	"/proc/sys/vm/unprivileged_userfaultfd"

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

struct map {
	unsigned char *p;
	size_t len;
};

#define MAX_OBJS	8	/* per thread */

struct fuzzer {
	struct rng r;
	struct vmo_lib *v;	/* the library's handle, for served maps */
	int sess;		/* a session that did the handshake */
	int objs[MAX_OBJS];	/* object fds from creates that worked */
	int fds[MAX_FDS];	/* sessions and object fds, -1: free */
	int files[2];		/* a pattern file and a small one */
	struct map maps[MAX_MAPS];
	unsigned long ops;
};

static __thread sigjmp_buf *fault_jmp;

static void on_fault(int sig)
{
	if (fault_jmp)
		siglongjmp(*fault_jmp, sig);
	_exit(100 + sig);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = on_fault,
				.sa_flags = SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Some fd: one of ours, a file, a stale or a wild one. */
static int any_fd(struct fuzzer *f)
{
	switch (below(&f->r, 8)) {
	case 0:
		return f->files[below(&f->r, 2)];
	case 1:
		return (int)below(&f->r, 64);	/* whatever is there */
	case 2:
		return -1;
	case 3:
	case 4:
		return f->objs[below(&f->r, MAX_OBJS)];
	case 5:
		return f->sess;
	default:
		return f->fds[below(&f->r, MAX_FDS)];
	}
}

/* Mostly an object that exists. */
static int obj_fd(struct fuzzer *f)
{
	return below(&f->r, 4) ? f->objs[below(&f->r, MAX_OBJS)] : any_fd(f);
}

static void keep_fd(struct fuzzer *f, int fd)
{
	int i = (int)below(&f->r, MAX_FDS);

	if (fd < 0)
		return;
	if (f->fds[i] >= 0)
		close(f->fds[i]);
	f->fds[i] = fd;
}

/* A size: mostly small, sometimes odd, sometimes huge. */
static uint64_t any_size(struct fuzzer *f)
{
	switch (below(&f->r, 16)) {
	case 0:
		return rnd(&f->r);
	case 1:
		return below(&f->r, 3 * PAGE);
	case 2:
		return VMO_MAX_SIZE;
	default:
		return (1 + below(&f->r, 256)) * PAGE;
	}
}

static void fill_random(struct fuzzer *f, void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)rnd(&f->r);
}

static void op_session(struct fuzzer *f)
{
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (below(&f->r, 4))
		ioctl(fd, VMO_IOC_HANDSHAKE, &hs);
	keep_fd(f, fd);
}

static void op_create(struct fuzzer *f)
{
	uint32_t kind = (uint32_t)below(&f->r, 5);
	struct vmo_create c = {
		.kind = kind,
		.flags = (uint32_t)(below(&f->r, 8) ?
				    below(&f->r, 8) & (kind == 2 ? 7 : 5) :
				    rnd(&f->r)),
		.size = any_size(f),
		.offset = below(&f->r, 4) ? 0 : below(&f->r, 8) * PAGE,
		.src_fd = (uint32_t)(kind == 2 ? f->files[below(&f->r, 2)] :
				     kind == 3 ? obj_fd(f) : 0),
	};
	int fd, i;

	if (!below(&f->r, 8))
		c.src_fd = (uint32_t)any_fd(f);
	if (!below(&f->r, 8))
		c.reserved[below(&f->r, 4)] = rnd(&f->r);
	fd = ioctl(below(&f->r, 8) ? f->sess : any_fd(f), VMO_IOC_CREATE, &c);
	if (fd < 0)
		return;
	i = (int)below(&f->r, MAX_OBJS);
	if (f->objs[i] >= 0)
		close(f->objs[i]);
	f->objs[i] = fd;
}

/* Any request number, ours or not, with random contents. */
static void op_ioctl(struct fuzzer *f)
{
	static const unsigned long cmds[] = {
		VMO_IOC_HANDSHAKE, VMO_IOC_CREATE, VMO_IOC_CLIENT_ATTACH,
		VMO_IOC_MAP_NOTIFY, VMO_IOC_MAPPINGS, VMO_IOC_PAGER_EVENT,
		VMO_IOC_PAGER_LOOKUP, VMO_IOC_PAGER_STATS,
		VMO_IOC_PAGER_OBJECT, VMO_IOC_PAGER_CLEAN, VMO_IOC_PAGER_DONE,
		VMO_IOC_PAGER_EVICT, VMO_IOC_PAGER_RECORD, VMO_IOC_SCAVENGE,
		VMO_OBJ_INFO, VMO_OBJ_SYNC,
	};
	union {
		unsigned char raw[1024];
		uint64_t words[128];
	} buf;
	unsigned long cmd;
	size_t i;

	fill_random(f, &buf, sizeof(buf));
	/* Small numbers in the first words: fds, counts, ops. */
	for (i = 0; i < 8; i++)
		if (below(&f->r, 2))
			buf.words[i] = below(&f->r, 70);
	if (below(&f->r, 10)) {
		cmd = cmds[below(&f->r, sizeof(cmds) / sizeof(cmds[0]))];
	} else {
		cmd = _IOC(below(&f->r, 4), VMO_IOC_MAGIC, below(&f->r, 0x50),
			   below(&f->r, 512));
	}
	/* A scavenge as root may ask for any number of pages: fine. */
	ioctl(any_fd(f), cmd, below(&f->r, 16) ? (void *)&buf :
	      (void *)(uintptr_t)rnd(&f->r));
}

static void drop_map(struct fuzzer *f, int i)
{
	if (f->maps[i].p)
		munmap(f->maps[i].p, f->maps[i].len);
	f->maps[i].p = NULL;
}

static void op_map(struct fuzzer *f)
{
	int i = (int)below(&f->r, MAX_MAPS), fd = obj_fd(f);
	size_t len = (1 + below(&f->r, 64)) * PAGE;
	int prot = below(&f->r, 4) ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = below(&f->r, 4) ? MAP_SHARED : MAP_PRIVATE;
	void *p = NULL;

	drop_map(f, i);
	/* Mostly through the library (served), sometimes raw. */
	if (below(&f->r, 4)) {
		if (f->v && !vmo_map(f->v, fd, 0, len, prot, flags, &p))
			f->maps[i] = (struct map){ p, len };
		return;
	}
	p = mmap(NULL, len, prot, flags, fd, (off_t)(below(&f->r, 4) * PAGE));
	if (p != MAP_FAILED)
		f->maps[i] = (struct map){ p, len };
}

static void op_touch(struct fuzzer *f)
{
	struct map *m = &f->maps[below(&f->r, MAX_MAPS)];
	sigjmp_buf jb;
	size_t n, pg;
	volatile unsigned char sink;

	if (!m->p)
		return;
	fault_jmp = &jb;
	if (!sigsetjmp(jb, 1)) {
		for (n = below(&f->r, MAX_TOUCH); n; n--) {
			pg = below(&f->r, m->len / PAGE);
			if (below(&f->r, 2))
				m->p[pg * PAGE + below(&f->r, PAGE)] =
					(unsigned char)rnd(&f->r);
			else
				sink = m->p[pg * PAGE];
		}
	}
	fault_jmp = NULL;
	(void)sink;
}

static void op_vm(struct fuzzer *f)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_REMOVE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
		MADV_COLLAPSE, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT,
		MADV_DONTFORK, MADV_DOFORK,
	};
	int i = (int)below(&f->r, MAX_MAPS);
	struct map *m = &f->maps[i];
	size_t off, len;
	void *q;

	if (!m->p)
		return;
	off = below(&f->r, m->len / PAGE) * PAGE;
	len = (1 + below(&f->r, (m->len - off) / PAGE)) * PAGE;
	switch (below(&f->r, 5)) {
	case 0:
		madvise(m->p + off, len,
			advice[below(&f->r, sizeof(advice) / sizeof(advice[0]))]);
		break;
	case 1:
		/* Move it (growing is refused for objects). */
		q = mremap(m->p, m->len, m->len + below(&f->r, 2) * PAGE,
			   MREMAP_MAYMOVE);
		if (q != MAP_FAILED)
			m->p = q;
		break;
	case 2:
		/* A hole in it: the rest stays mapped, and leaks here. */
		munmap(m->p + off, len);
		m->p = NULL;
		break;
	case 3:
		mprotect(m->p + off, len, PROT_READ);
		break;
	default:
		drop_map(f, i);
		break;
	}
}

static void fuzz_some(struct fuzzer *f, unsigned long n);

static void op_fork(struct fuzzer *f)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return;
	if (!pid) {
		catch_faults();
		fuzz_some(f, below(&f->r, 20));
		if (below(&f->r, 2))
			_exit(0);
		exit(0);
	}
	waitpid(pid, &status, 0);
}

static void fuzz_one(struct fuzzer *f)
{
	int i;

	f->ops++;
	switch (below(&f->r, 12)) {
	case 0:
		op_session(f);
		break;
	case 1:
	case 2:
		op_create(f);
		break;
	case 3:
	case 4:
		op_ioctl(f);
		break;
	case 5:
		op_map(f);
		break;
	case 6:
	case 7:
		op_touch(f);
		break;
	case 8:
		op_vm(f);
		break;
	case 9:
		if (!below(&f->r, 8))
			op_fork(f);
		break;
	case 10:
		i = (int)below(&f->r, MAX_FDS);
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		f->fds[i] = -1;
		if (below(&f->r, 2))
			break;
		i = (int)below(&f->r, MAX_OBJS);
		if (f->objs[i] >= 0)
			close(f->objs[i]);
		f->objs[i] = -1;
		break;
	default:
		vmo_sync(obj_fd(f), NULL);
		break;
	}
}

static void fuzz_some(struct fuzzer *f, unsigned long n)
{
	while (n--)
		fuzz_one(f);
}

struct thread_arg {
	struct fuzzer f;
	time_t deadline;
};

static void *fuzz_thread(void *arg)
{
	struct thread_arg *a = arg;

	while (time(NULL) < a->deadline)
		fuzz_one(&a->f);
	return NULL;
}

static void fuzzer_init(struct fuzzer *f, uint64_t seed, const int files[2])
{
	int i;

	memset(f, 0, sizeof(*f));
	f->r.s = seed ? seed : 1;
	for (i = 0; i < MAX_FDS; i++)
		f->fds[i] = -1;
	for (i = 0; i < MAX_OBJS; i++)
		f->objs[i] = -1;
	f->sess = vmo_util_session();
	f->files[0] = files[0];
	f->files[1] = files[1];
}

/* One worker process: @THREADS threads until @deadline; exit code 0. */
static void worker(int idx, uint64_t seed, time_t deadline,
		   const int files[2])
{
	struct thread_arg args[THREADS];
	pthread_t t[THREADS];
	unsigned long ops = 0;
	struct vmo_lib *v = NULL;
	int i;

	if (idx >= WORKERS / 2 &&
	    (setresgid(NOBODY, NOBODY, NOBODY) ||
	     setresuid(NOBODY, NOBODY, NOBODY)))
		_exit(2);
	catch_faults();
	if (vmo_open(&v))
		v = NULL;
	for (i = 0; i < THREADS; i++) {
		fuzzer_init(&args[i].f, seed * 1000003 + idx * 31 + i, files);
		args[i].f.v = v;
		args[i].deadline = deadline;
		if (pthread_create(&t[i], NULL, fuzz_thread, &args[i]))
			_exit(3);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ops += args[i].f.ops;
	}
	/* The ops count goes out through the pipe. */
	if (write(OPS_FD, &ops, sizeof(ops)) != sizeof(ops))
		_exit(4);
	_exit(0);
}

/* Kills the pager now and then (TERM or KILL) and starts a new one. */
static void restart_pager(struct rng *r)
{
	long long pid = vmo_util_stat("pager_pid");

	if (pid > 0)
		kill((pid_t)pid, below(r, 2) ? SIGTERM : SIGKILL);
	vmo_util_wait_pager(0);
	vmo_util_start_pager();
}

static bool counts_back(long long objects, long long clients)
{
	int i;

	for (i = 0; i < 3000; i++) {
		if (vmo_util_stat("objects") <= objects &&
		    vmo_util_stat("clients") <= clients)
			return true;
		vmo_util_sleep_ms(10);
	}
	return false;
}

/* The harness's own timeout: the run's length is VMO_FUZZ_SECS. */
FIXTURE(fuzzer)
{
	int unused;
};

FIXTURE_SETUP(fuzzer)
{
}

FIXTURE_TEARDOWN(fuzzer)
{
}

TEST_F_TIMEOUT(fuzzer, fuzz, 7200)
{
	uint64_t seed = strtoull(vmo_util_env("VMO_FUZZ_SEED", "1"), NULL, 0);
	long secs = strtol(vmo_util_env("VMO_FUZZ_SECS", "20"), NULL, 0);
	long long objects = vmo_util_stat("objects");
	long long clients = vmo_util_stat("clients");
	long long created = vmo_util_stat("objects_created");
	long long faults = vmo_util_stat("pager_faults_missing");
	long long attaches = vmo_util_stat("pager_attaches");
	long long clients_total = vmo_util_stat("clients_total");
	unsigned long total = 0, ops;
	time_t start = time(NULL), deadline = start + secs;
	pid_t pids[WORKERS], w;
	int files[2], pipes[WORKERS][2], status, i, alive;
	struct rng r = { seed ^ 0x9e3779b97f4a7c15ULL };
	struct vmo_util_pmap m;
	struct vmo_lib *v;
	char unpriv[16];
	FILE *f;

	ASSERT_GE(objects, 0);
	files[0] = vmo_util_pattern_file(64 * PAGE);
	files[1] = vmo_util_pattern_file(PAGE + 100);
	ASSERT_GE(files[0], 0);
	ASSERT_GE(files[1], 0);
	/* Workers as nobody may read and write them too, and be clients. */
	fchmod(files[0], 0666);
	fchmod(files[1], 0666);
	f = fopen(UNPRIV_UFFD, "r");
	if (!f || !fgets(unpriv, sizeof(unpriv), f))
		snprintf(unpriv, sizeof(unpriv), "0");
	if (f)
		fclose(f);
	vmo_util_write_proc(UNPRIV_UFFD, "1");
	TH_LOG("seed %llu, %ld s, %d workers x %d threads",
	       (unsigned long long)seed, secs, WORKERS, THREADS);

	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pipe(pipes[i]));
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (!pids[i]) {
			dup2(pipes[i][1], OPS_FD);
			worker(i, seed, deadline, files);
		}
		close(pipes[i][1]);
	}
	/* Restart the pager every few seconds while they run. */
	while (time(NULL) < deadline) {
		vmo_util_sleep_ms(500 + below(&r, 4000));
		if (time(NULL) < deadline)
			restart_pager(&r);
	}
	/* A worker that does not end within a minute hangs. */
	alive = WORKERS;
	for (i = 0; i < 6000 && alive; i++) {
		alive = 0;
		for (int k = 0; k < WORKERS; k++) {
			if (!pids[k])
				continue;
			w = waitpid(pids[k], &status, WNOHANG);
			if (!w) {
				alive++;
				continue;
			}
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("worker %d: status %#x", k, status);
			if (read(pipes[k][0], &ops, sizeof(ops)) == sizeof(ops))
				total += ops;
			pids[k] = 0;
		}
		if (alive)
			vmo_util_sleep_ms(10);
	}
	for (i = 0; i < WORKERS; i++) {
		if (pids[i]) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
		}
	}
	EXPECT_EQ(0, alive) TH_LOG("%d workers hung", alive);
	TH_LOG("%lu operations, %.0f per second", total,
	       (double)total / (double)(time(NULL) - start));
	/* What they reached: a fuzzer refused at every door tests little. */
	TH_LOG("%lld objects created, %lld clients, %lld pager attaches, the last pager served %lld faults",
	       vmo_util_stat("objects_created") - created,
	       vmo_util_stat("clients_total") - clients_total,
	       vmo_util_stat("pager_attaches") - attaches,
	       vmo_util_stat("pager_faults_missing") -
	       (vmo_util_stat("pager_attaches") == attaches ? faults : 0));

	/* Everything they made is gone; the module still serves. */
	ASSERT_TRUE(vmo_util_wait_pager(1));
	EXPECT_TRUE(counts_back(objects, clients))
		TH_LOG("objects %lld (was %lld), clients %lld (was %lld)",
		       vmo_util_stat("objects"), objects,
		       vmo_util_stat("clients"), clients);
	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, 8, PROT_READ, &m));
	EXPECT_TRUE(vmo_util_page_is_pattern(m.p, 5));
	vmo_util_pattern_unmap(v, &m);
	vmo_close(v);
	close(files[0]);
	close(files[1]);
	vmo_util_write_proc(UNPRIV_UFFD, unpriv);	/* as it was */
}

TEST_HARNESS_MAIN
