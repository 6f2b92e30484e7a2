// SPDX-License-Identifier: GPL-2.0
/*
 * vmo integrity selftests: no host huge-page setting, no MADV_COLLAPSE
 * and no pinned page makes an object show or keep the wrong data.
 *
 * The huge-page tests set /sys/kernel/mm/transparent_hugepage/
 * shmem_enabled themselves (each variant) and put the old value back.
 * A file object's pages are the file's, so a page zero-filled behind the
 * pager's back shows as a mismatch, which an anonymous object could not
 * tell from the pager's own zero fill.
 */
#include <liburing.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HPAGE (2UL << 20)
/* Two huge pages' worth: every fill lands in a 2 MiB-aligned range. */
#define OBJ_PAGES (2 * HPAGE / PAGE)

/* The selected word of shmem_enabled ("always [never] ..."), or "". */
static void shmem_enabled_get(char *buf, size_t len)
{
	char line[256], *l, *r;
	FILE *f = fopen(SHMEM_ENABLED, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		l = strchr(line, '[');
		r = l ? strchr(l, ']') : NULL;
		if (l && r && (size_t)(r - l) < len) {
			memcpy(buf, l + 1, (size_t)(r - l - 1));
			buf[r - l - 1] = '\0';
		}
	}
	fclose(f);
}

/* ShmemHugePages of /proc/meminfo, in kB, or -1. */
static long long shmem_huge_kb(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ShmemHugePages: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

FIXTURE(huge)
{
	char saved[32];
	struct vmo_lib *v;
	int ffd, obj;
	unsigned char *p;
	void *reserve;
};

FIXTURE_VARIANT(huge)
{
	const char *setting;
};

FIXTURE_VARIANT_ADD(huge, always) { .setting = "always" };
FIXTURE_VARIANT_ADD(huge, within_size) { .setting = "within_size" };
FIXTURE_VARIANT_ADD(huge, force) { .setting = "force" };

/*
 * A file object of two huge pages mapped at a 2 MiB-aligned address, as
 * the kernel would need to map it huge, with the variant's setting.
 */
FIXTURE_SETUP(huge)
{
	char *aligned;

	self->ffd = -1;
	self->obj = -1;
	self->reserve = MAP_FAILED;
	shmem_enabled_get(self->saved, sizeof(self->saved));
	if (!self->saved[0])
		SKIP(return, "no %s (kernel without THP)", SHMEM_ENABLED);
	ASSERT_EQ(0, vmo_util_write_proc(SHMEM_ENABLED, variant->setting));
	self->ffd = vmo_util_pattern_file(OBJ_PAGES * PAGE);
	ASSERT_GE(self->ffd, 0);
	ASSERT_EQ(0, vmo_open(&self->v));
	self->obj = vmo_create_file(self->v, self->ffd, 0, OBJ_PAGES * PAGE,
				    0, NULL);
	ASSERT_GE(self->obj, 0);
	self->reserve = mmap(NULL, OBJ_PAGES * PAGE + HPAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->reserve);
	aligned = (char *)(((uintptr_t)self->reserve + HPAGE - 1) &
			   ~(HPAGE - 1));
	self->p = (unsigned char *)aligned;
	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, OBJ_PAGES * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			     (void **)&self->p));
	ASSERT_EQ((unsigned char *)aligned, self->p);
}

FIXTURE_TEARDOWN(huge)
{
	if (self->reserve != MAP_FAILED)
		munmap(self->reserve, OBJ_PAGES * PAGE + HPAGE);
	if (self->obj >= 0)
		close(self->obj);
	if (self->v)
		vmo_close(self->v);
	if (self->ffd >= 0)
		close(self->ffd);
	if (self->saved[0])
		vmo_util_write_proc(SHMEM_ENABLED, self->saved);
}

/*
 * One fault fills a few pages; before stores were kept order-0, the
 * fill's write allocated a 2 MiB folio and the pages around it read as
 * zeroes instead of the file (no MISSING fault came for them).
 */
TEST_F(huge, pages_around_a_fill_come_from_the_file)
{
	size_t probes[] = { 1, 17, 100, 511, 512, 700, OBJ_PAGES - 1 };
	size_t i, pg;

	ASSERT_TRUE(vmo_util_page_is_pattern(self->p, 0));
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		pg = probes[i];
		EXPECT_TRUE(vmo_util_page_is_pattern(self->p, pg))
			TH_LOG("page %zu of the object is not the file's", pg);
	}
}

/* Stores hold order-0 folios only: ShmemHugePages does not grow. */
TEST_F(huge, store_gets_no_huge_page)
{
	long long before = shmem_huge_kb();
	size_t pg;

	ASSERT_GE(before, 0);
	for (pg = 0; pg < OBJ_PAGES; pg += 64)
		ASSERT_TRUE(vmo_util_page_is_pattern(self->p, pg));
	EXPECT_EQ(before, shmem_huge_kb());
}

/*
 * MADV_COLLAPSE would build a huge page from the touched pages and
 * zero-fill the holes (6.1 ignores uffd there): it is refused, even
 * after MADV_HUGEPAGE, and every page still comes from the file.
 */
TEST_F(huge, madv_collapse_is_refused)
{
	size_t pg;

	ASSERT_TRUE(vmo_util_page_is_pattern(self->p, 0));
	ASSERT_TRUE(vmo_util_page_is_pattern(self->p, 300));
	ASSERT_EQ(0, madvise(self->p, OBJ_PAGES * PAGE, MADV_HUGEPAGE));
	EXPECT_EQ(-1, madvise(self->p, OBJ_PAGES * PAGE, MADV_COLLAPSE));
	EXPECT_EQ(EINVAL, errno);
	for (pg = 0; pg < OBJ_PAGES; pg += 37)
		EXPECT_TRUE(vmo_util_page_is_pattern(self->p, pg))
			TH_LOG("page %zu of the object is not the file's", pg);
}

FIXTURE(pin)
{
	struct vmo_lib *v;
	int ffd, src, obj;
	unsigned char *p;
	struct io_uring ring;
	bool ring_ok;
};

#define PIN_PAGES 8

FIXTURE_SETUP(pin)
{
	self->ffd = vmo_util_pattern_file(PIN_PAGES * PAGE);
	ASSERT_GE(self->ffd, 0);
	/* What the pinned page receives: the pattern's page 0, not 3's. */
	self->src = vmo_util_pattern_file(PAGE);
	ASSERT_GE(self->src, 0);
	ASSERT_EQ(0, vmo_open(&self->v));
	self->obj = vmo_create_file(self->v, self->ffd, 0, PIN_PAGES * PAGE,
				    0, NULL);
	ASSERT_GE(self->obj, 0);
	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, PIN_PAGES * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED,
			     (void **)&self->p));
	ASSERT_EQ(0, io_uring_queue_init(4, &self->ring, 0));
	self->ring_ok = true;
}

FIXTURE_TEARDOWN(pin)
{
	if (self->ring_ok)
		io_uring_queue_exit(&self->ring);
	close(self->obj);
	vmo_close(self->v);
	close(self->src);
	close(self->ffd);
}

/* Resident pages of object fd @obj, or -1. */
static long long resident(int obj)
{
	struct vmo_info info;

	return vmo_info(obj, &info) ? -1 : (long long)info.resident_pages;
}

/*
 * An io_uring fixed buffer pins an object's page (FOLL_PIN, as VFIO and
 * RDMA do).  Asked for every page back, the module and the pager give
 * back everything but that page; I/O into the buffer afterwards shows
 * in the mapping.  Before pinned pages were skipped, the pinned page
 * was dropped: the read landed in the orphaned page and the mapping
 * showed the old content paged back in.
 */
TEST_F(pin, pinned_page_is_not_given_back)
{
	struct iovec iov = { .iov_base = NULL, .iov_len = PAGE };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	long long busy, res;
	size_t i;
	int k;

	for (i = 0; i < PIN_PAGES; i++)
		ASSERT_TRUE(vmo_util_page_is_pattern(self->p, i));
	iov.iov_base = self->p + 3 * PAGE;
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	busy = vmo_util_stat("pages_busy");

	/* Every page back: dropped at once, or paged out by the pager. */
	for (k = 0; k < 250; k++) {
		ASSERT_EQ(0, vmo_util_write_proc("/proc/vmo/scavenge",
						 "100000"));
		res = resident(self->obj);
		if (res <= 1 && vmo_util_stat("pages_busy") > busy)
			break;
		if (res == 0)
			break;	/* the pinned page went too: the bug */
		vmo_util_sleep_ms(20);
	}
	EXPECT_EQ(1, resident(self->obj));
	EXPECT_GT(vmo_util_stat("pages_busy"), busy);

	/* A read into the fixed buffer lands in the object's page. */
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_read_fixed(sqe, self->src, iov.iov_base, PAGE, 0, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	ASSERT_EQ((int)PAGE, cqe->res);
	io_uring_cqe_seen(&self->ring, cqe);
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));

	/* The source file holds the pattern's page 0. */
	for (i = 0; i < PAGE; i++)
		if (self->p[3 * PAGE + i] != vmo_util_pattern(i))
			break;
	EXPECT_EQ(PAGE, i)
		TH_LOG("byte %zu of the pinned page is not what was read into it",
		       i);
}

struct unmap_race {
	unsigned char *p;
	size_t len;
	volatile pid_t tid;
};

static void *touch_page(void *arg)
{
	struct unmap_race *r = arg;

	r->tid = gettid();
	return (void *)(uintptr_t)*(volatile unsigned char *)r->p;
}

static void *unmap_range(void *arg)
{
	struct unmap_race *r = arg;

	r->tid = gettid();
	munmap(r->p, r->len);
	return NULL;
}

/* Starts @fn on @r in a new thread and waits for it to block. */
static bool start_blocked(void *(*fn)(void *), struct unmap_race *r)
{
	pthread_t t;

	r->tid = 0;
	if (pthread_create(&t, NULL, fn, r))
		return false;
	while (!r->tid)
		vmo_util_sleep_ms(1);
	return vmo_util_wait_asleep(r->tid);
}

/*
 * The child: a thread faults on an anonymous object's page while the
 * pager is stopped; another thread unmaps the range (munmap waits for
 * the pager to read the UNMAP); the pager resumes and reads both.  The
 * faulting thread must then get SIGSEGV, as it would natively.  Exits 0
 * only if the fault returned without one, 2-5 on a set-up failure.
 */
static void unmap_race_child(pid_t pager)
{
	struct unmap_race fault = { .len = 4 * PAGE }, unmap;
	struct vmo_lib *v;
	int obj;

	if (vmo_open(&v))
		_exit(2);
	obj = vmo_create_anon(v, fault.len, 0, NULL);
	if (obj < 0 || vmo_map(v, obj, 0, fault.len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, (void **)&fault.p))
		_exit(3);
	unmap = fault;
	if (kill(pager, SIGSTOP))
		_exit(4);
	if (!start_blocked(touch_page, &fault) ||
	    !start_blocked(unmap_range, &unmap)) {
		kill(pager, SIGCONT);
		_exit(5);
	}
	kill(pager, SIGCONT);
	/* SIGSEGV ends the process; a hang is the parent's to see. */
	for (;;)
		pause();
}

/*
 * One batch the pager reads holds the fault and the UNMAP (faults come
 * first in it).  Before events were applied first and a fault on a gone
 * range woke its thread, the pager zero-filled through the stale range,
 * got ENOENT and left the thread asleep for ever.
 */
TEST(fault_on_a_range_unmapped_meanwhile_gets_sigsegv)
{
	long long pager = vmo_util_stat("pager_pid");
	int status = 0, i;
	pid_t pid, w = 0;

	ASSERT_GT(pager, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		unmap_race_child((pid_t)pager);
	for (i = 0; i < 3000 && !w; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (!w)
			vmo_util_sleep_ms(10);
	}
	kill((pid_t)pager, SIGCONT);	/* whatever the child did */
	if (!w) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_NE(0, w) TH_LOG("the faulting thread still waits after 30 s");
	ASSERT_TRUE(WIFSIGNALED(status))
		TH_LOG("child exited with %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
}

#define RACE_CREATES 300

struct create_race {
	int fds[RACE_CREATES];
	int made;
};

static void *create_many(void *arg)
{
	struct create_race *r = arg;
	int s = vmo_util_session(), i;
	long fd;

	if (s < 0)
		return NULL;
	for (i = 0; i < RACE_CREATES; i++) {
		fd = vmo_util_create(s, PAGE);
		if (fd < 0)
			break;
		r->fds[r->made++] = (int)fd;
	}
	close(s);
	return NULL;
}

/*
 * Two threads create objects at once: ids are taken before each store
 * is made, so their creates can finish in either order.  The module's
 * list (which /proc/vmo/objects shows) must still be in id order:
 * VMO_RECORD_LIST's cursor relies on it, and an object listed after a
 * higher id was skipped, its paged-out pages' slots handed to a new
 * pager as free.  Before, the list was in order of completion.  (A
 * run may or may not interleave the creates; many runs did.)
 */
TEST(objects_stay_in_id_order_under_concurrent_creates)
{
	struct create_race a = { .made = 0 }, b = { .made = 0 };
	unsigned long long id, last = 0;
	char line[256];
	pthread_t ta, tb;
	int i, rows = 0, out_of_order = 0;
	FILE *f;

	ASSERT_EQ(0, pthread_create(&ta, NULL, create_many, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, create_many, &b));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(RACE_CREATES, a.made);
	EXPECT_EQ(RACE_CREATES, b.made);

	f = fopen("/proc/vmo/objects", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu", &id) != 1)
			continue;	/* the header */
		rows++;
		if (id <= last)
			out_of_order++;
		last = id;
	}
	fclose(f);
	for (i = 0; i < a.made; i++)
		close(a.fds[i]);
	for (i = 0; i < b.made; i++)
		close(b.fds[i]);
	EXPECT_GE(rows, a.made + b.made);
	EXPECT_EQ(0, out_of_order);
}

/* ---- fork after the address space changed ---- */

#define FORK_PAGES 16

enum change { UNMAP_ALL, UNMAP_PART, MREMAP, MAP_FIXED_OVER };

FIXTURE(forked)
{
	struct vmo_lib *v;
	int ffd, anon, file, parent, shadow;
	uint64_t anon_id;
	unsigned char *a, *f, *sh;
	void *hole;
};

FIXTURE_VARIANT(forked)
{
	enum change change;
};

FIXTURE_VARIANT_ADD(forked, munmap) { .change = UNMAP_ALL };
FIXTURE_VARIANT_ADD(forked, partial_munmap) { .change = UNMAP_PART };
FIXTURE_VARIANT_ADD(forked, mremap) { .change = MREMAP };
FIXTURE_VARIANT_ADD(forked, map_fixed_over) { .change = MAP_FIXED_OVER };

static unsigned char *map_rw(struct vmo_lib *v, int obj)
{
	void *p;

	if (vmo_map(v, obj, 0, FORK_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, &p))
		return NULL;
	return p;
}

/*
 * An anonymous object mapped and written, its mapping changed by the
 * variant (behind the library's back: plain munmap/mremap/mmap), then a
 * shared file object and a shadow over a file object mapped after it.
 */
FIXTURE_SETUP(forked)
{
	size_t len = FORK_PAGES * PAGE;
	void *q;

	self->hole = MAP_FAILED;
	self->ffd = vmo_util_pattern_file(len);
	ASSERT_GE(self->ffd, 0);
	ASSERT_EQ(0, vmo_open(&self->v));
	self->anon = vmo_create_anon(self->v, len, 0, &self->anon_id);
	ASSERT_GE(self->anon, 0);
	self->a = map_rw(self->v, self->anon);
	ASSERT_NE(NULL, self->a);
	memset(self->a, 0x11, 4 * PAGE);

	switch (variant->change) {
	case UNMAP_ALL:
		ASSERT_EQ(0, munmap(self->a, len));
		self->a = NULL;
		break;
	case UNMAP_PART:
		ASSERT_EQ(0, munmap(self->a + 8 * PAGE, 4 * PAGE));
		break;
	case MREMAP:
		self->hole = mmap(NULL, len, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->hole);
		q = mremap(self->a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   self->hole);
		ASSERT_NE(MAP_FAILED, q);
		self->a = q;
		self->hole = MAP_FAILED;
		break;
	case MAP_FIXED_OVER:
		q = mmap(self->a + 8 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ASSERT_NE(MAP_FAILED, q);
		break;
	}

	self->file = vmo_create_file(self->v, self->ffd, 0, len,
				     VMO_CREATE_SHARED, NULL);
	ASSERT_GE(self->file, 0);
	self->f = map_rw(self->v, self->file);
	ASSERT_NE(NULL, self->f);
	self->parent = vmo_create_file(self->v, self->ffd, 0, len, 0, NULL);
	ASSERT_GE(self->parent, 0);
	self->shadow = vmo_create_shadow(self->v, self->parent, 0, len, 0,
					 NULL);
	ASSERT_GE(self->shadow, 0);
	self->sh = map_rw(self->v, self->shadow);
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(forked)
{
	size_t len = FORK_PAGES * PAGE;

	if (self->a)
		munmap(self->a, len);
	if (self->f)
		munmap(self->f, len);
	if (self->sh)
		munmap(self->sh, len);
	close(self->shadow);
	close(self->parent);
	close(self->file);
	close(self->anon);
	vmo_close(self->v);
	close(self->ffd);
}

/* The child's checks; its exit code names the first that failed. */
static int forked_child(FIXTURE_DATA(forked) *self, enum change change)
{
	unsigned char *n;
	int obj;

	/* Pages nobody touched yet: the file's, from the pager. */
	if (!vmo_util_page_is_pattern(self->f, 5))
		return 10;
	if (!vmo_util_page_is_pattern(self->sh, 6))
		return 11;
	/* What is left of the anonymous mapping is still the object's. */
	if (change != UNMAP_ALL && self->a[2 * PAGE] != 0x11)
		return 12;
	if (change != UNMAP_ALL && self->a[14 * PAGE] != 0)
		return 13;
	/* Writes go where they belong. */
	self->f[3 * PAGE] = 0x33;
	self->sh[4 * PAGE] = 0x44;
	/* And the library still maps new objects. */
	obj = vmo_create_anon(self->v, FORK_PAGES * PAGE, 0, NULL);
	if (obj < 0)
		return 14;
	n = map_rw(self->v, obj);
	if (!n)
		return 15;
	n[PAGE] = 1;
	return n[PAGE] == 1 && n[0] == 0 ? 0 : 16;
}

/*
 * Before the child re-registered what its address space really holds,
 * it registered the ranges the library had recorded, failed on the
 * changed one (EINVAL), printed a message and stopped: the file object
 * and the shadow stayed unregistered, the kernel zero-filled the page
 * the child read into the shared store, the parent read zeroes there,
 * and a sync wrote them over the file's page.
 */
TEST_F(forked, child_serves_every_mapping_made_after_the_change)
{
	unsigned char b;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(forked_child(self, variant->change));
	ASSERT_EQ(0, vmo_util_wait_child(pid));
	/* The child's fills are the parent's pages too: the file's. */
	EXPECT_TRUE(vmo_util_page_is_pattern(self->f, 5));
	EXPECT_EQ(0x33, self->f[3 * PAGE]);
	/* The shadow is shared: the child's write is the object's. */
	EXPECT_EQ(0x44, self->sh[4 * PAGE]);
	EXPECT_TRUE(vmo_util_page_is_pattern(self->sh, 6));
	/* And the file on disk is intact where nobody wrote. */
	ASSERT_EQ(0, vmo_sync(self->file, NULL));
	ASSERT_EQ(1, pread(self->ffd, &b, 1, 5 * PAGE + 9));
	EXPECT_EQ(vmo_util_pattern(5 * PAGE + 9), b);
}

/*
 * A plain munmap() and close() free the object: the library keeps no
 * reference of its own (before, a dup of the fd kept it until
 * vmo_close()).
 */
TEST_F(forked, unmapped_and_closed_object_is_freed)
{
	if (variant->change != UNMAP_ALL)
		SKIP(return, "only after a munmap of the whole mapping");
	close(self->anon);
	self->anon = -1;
	EXPECT_FALSE(vmo_util_object_row(self->anon_id, NULL, NULL, NULL,
					 NULL));
}

/*
 * A child that cannot re-register (no fd left for a session or a uffd)
 * makes its object mappings inaccessible: a touch is SIGSEGV, never a
 * zero page the kernel put into a store the parent reads.
 */
TEST_F(forked, unregistrable_mapping_faults_instead_of_reading_zeroes)
{
	struct rlimit old, none;
	int status = 0, lowest;
	pid_t pid;

	if (variant->change != UNMAP_PART)
		SKIP(return, "once is enough");
	lowest = fcntl(0, F_DUPFD, 0);
	ASSERT_GE(lowest, 0);
	close(lowest);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	none = old;
	none.rlim_cur = (rlim_t)lowest;	/* no new fd below it */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &none));
	pid = fork();
	if (!pid)
		_exit(vmo_util_page_is_pattern(self->f, 5) ? 20 : 21);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_GE(pid, 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status))
		TH_LOG("child exited with %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	EXPECT_TRUE(vmo_util_page_is_pattern(self->f, 5));
}

/* ---- shared file objects whose end goes wrong ---- */

/*
 * Creates that fail after the object existed (here: the answer cannot
 * be copied out) leave nothing: no zombie waiting for a write-back of
 * pages nobody could have written, no object, no pin on the module.
 */
TEST(failed_shared_creates_leave_no_zombie)
{
	long long zombies = vmo_util_stat("zombies");
	long long objects = vmo_util_stat("objects");
	struct vmo_create *c;
	int s, ffd, i;

	ASSERT_GE(zombies, 0);
	ffd = vmo_util_pattern_file(4 * PAGE);
	ASSERT_GE(ffd, 0);
	s = vmo_util_session();
	ASSERT_GE(s, 0);
	c = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	c->kind = VMO_KIND_FILE;
	c->flags = VMO_CREATE_SHARED | VMO_CREATE_CLOEXEC;
	c->size = 4 * PAGE;
	c->src_fd = (uint32_t)ffd;
	/* Readable, not writable: the answer's copy-out fails. */
	ASSERT_EQ(0, mprotect(c, PAGE, PROT_READ));
	for (i = 0; i < 20; i++)
		EXPECT_EQ(-EFAULT, vmo_util_ioctl(s, VMO_IOC_CREATE, c));
	EXPECT_EQ(zombies, vmo_util_stat("zombies"));
	EXPECT_EQ(objects, vmo_util_stat("objects"));
	munmap(c, PAGE);
	close(s);
	close(ffd);
}

#define FULL_DIR "/tmp/vmo-full"
#define RETRY_PARAM "/sys/module/vmo/parameters/zombie_retry_secs"

/* The state column of object @id in /proc/vmo/objects, or "". */
static void object_state(uint64_t id, char *state, size_t len)
{
	char line[256], st[64];
	unsigned long long rid;
	FILE *f = fopen("/proc/vmo/objects", "r");

	state[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %63s",
			   &rid, st) == 2 && rid == id) {
			snprintf(state, len, "%s", st);
			break;
		}
	}
	fclose(f);
}

/* Polls until object @id's state is @want (or "" for gone). */
static bool wait_state(uint64_t id, const char *want)
{
	char st[64];
	int i;

	for (i = 0; i < 3000; i++) {
		object_state(id, st, sizeof(st));
		if (!strcmp(st, want))
			return true;
		vmo_util_sleep_ms(10);
	}
	return false;
}

/*
 * The final write-back of a shared file object fails (its file system
 * is full): the object stays, with its pages, shows the error in
 * /proc/vmo/objects, and is written once there is room again.  Before,
 * it was freed with a line in the kernel log, and the data was lost.
 */
TEST(failed_final_write_back_keeps_the_data)
{
	const size_t pages = 8;
	char path[64], buf[PAGE], want[32];
	struct vmo_lib *v;
	unsigned char *p, b;
	int ffd, fill, obj;
	uint64_t id;

	mkdir(FULL_DIR, 0700);
	ASSERT_EQ(0, mount("tmpfs", FULL_DIR, "tmpfs", 0, "size=256k"));
	ASSERT_EQ(0, vmo_util_write_proc(RETRY_PARAM, "1"));
	snprintf(path, sizeof(path), "%s/file", FULL_DIR);
	ffd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(0, ftruncate(ffd, pages * PAGE));	/* sparse */
	snprintf(path, sizeof(path), "%s/filler", FULL_DIR);
	fill = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_GE(fill, 0);
	memset(buf, 0x77, sizeof(buf));
	while (write(fill, buf, sizeof(buf)) == sizeof(buf))
		;
	close(fill);

	ASSERT_EQ(0, vmo_open(&v));
	obj = vmo_create_file(v, ffd, 0, pages * PAGE, VMO_CREATE_SHARED, &id);
	ASSERT_GE(obj, 0);
	ASSERT_EQ(0, vmo_map(v, obj, 0, pages * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&p));
	p[2 * PAGE + 5] = 0x5e;
	vmo_unmap(v, p, pages * PAGE);
	close(obj);

	snprintf(want, sizeof(want), "zombie:error=%d", -ENOSPC);
	EXPECT_TRUE(wait_state(id, want));
	ASSERT_EQ(1, pread(ffd, &b, 1, 2 * PAGE + 5));
	EXPECT_EQ(0, b);		/* not written: no room */

	/* Room again: the retry writes it and the zombie goes. */
	ASSERT_EQ(0, unlink(path));
	EXPECT_TRUE(wait_state(id, ""));
	ASSERT_EQ(1, pread(ffd, &b, 1, 2 * PAGE + 5));
	EXPECT_EQ(0x5e, b);

	vmo_util_write_proc(RETRY_PARAM, "30");
	vmo_close(v);
	close(ffd);
	umount(FULL_DIR);
}

#define SYNCERS 4

struct syncer {
	int obj;
	volatile pid_t tid;
	int ret;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *sync_main(void *arg)
{
	struct syncer *sy = arg;

	sy->tid = gettid();
	sy->ret = vmo_sync(sy->obj, NULL);
	return NULL;
}

/*
 * Syncs of one object while the pager does not read: one SYNC event is
 * queued for all of them; interrupted by a signal (no SA_RESTART), they
 * fail with EINTR and their event goes with them.  Before, each sync
 * queued an event of its own (exempt from the queue's cap) and left it
 * there when interrupted: the pager made a whole pass for nobody.
 */
TEST(interrupted_syncs_leave_no_event)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	long long pager = vmo_util_stat("pager_pid"), pending;
	struct syncer sy[SYNCERS];
	pthread_t t[SYNCERS];
	struct vmo_lib *v;
	unsigned char *p, b;
	int ffd, obj, i;

	ASSERT_GT(pager, 0);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ffd = vmo_util_pattern_file(4 * PAGE);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(0, vmo_open(&v));
	obj = vmo_create_file(v, ffd, 0, 4 * PAGE, VMO_CREATE_SHARED, NULL);
	ASSERT_GE(obj, 0);
	ASSERT_EQ(0, vmo_map(v, obj, 0, 4 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&p));
	p[PAGE] = 0;
	/* Let the pager read what is queued, then stop it. */
	ASSERT_EQ(0, vmo_util_wait_stat_eq("pager_events_pending", 0));
	ASSERT_EQ(0, kill((pid_t)pager, SIGSTOP));
	pending = vmo_util_stat("pager_events_pending");

	for (i = 0; i < SYNCERS; i++) {
		sy[i] = (struct syncer){ .obj = obj };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sync_main, &sy[i]));
		while (!sy[i].tid)
			vmo_util_sleep_ms(1);
		EXPECT_TRUE(vmo_util_wait_asleep(sy[i].tid));
	}
	EXPECT_EQ(pending + 1, vmo_util_stat("pager_events_pending"));
	for (i = 0; i < SYNCERS; i++) {
		pthread_kill(t[i], SIGUSR1);
		pthread_join(t[i], NULL);
		EXPECT_EQ(-EINTR, sy[i].ret);
	}
	EXPECT_EQ(pending, vmo_util_stat("pager_events_pending"));

	kill((pid_t)pager, SIGCONT);
	EXPECT_EQ(0, vmo_sync(obj, NULL));
	ASSERT_EQ(1, pread(ffd, &b, 1, PAGE));
	EXPECT_EQ(0, b);
	vmo_unmap(v, p, 4 * PAGE);
	close(obj);
	vmo_close(v);
	close(ffd);
}

TEST_HARNESS_MAIN
