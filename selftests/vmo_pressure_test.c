// SPDX-License-Identifier: GPL-2.0
/*
 * vmo pressure selftests: a workload bigger than RAM.  Run in a test VM
 * with little memory (256 MiB) and no swap: the pager must page dirty
 * pages out to its backing store and back in, and nothing may be lost
 * or OOM-killed (the VM runner fails the run on an OOM report).
 *
 * Also: an explicit request (echo N > /proc/vmo/scavenge) pages dirty
 * anonymous pages out; a shadow over a file under pressure loses its
 * clean copies (re-derived later) and pages its own pages out; a
 * reserved object cannot commit more than the backing store holds and
 * keeps its content under pressure, and slots held by unreserved
 * objects count against new reservations; a pager that is stopped or
 * killed leaves its records and backing store with the module, so the
 * next one loses nothing; MADV_REMOVE of paged-out pages forgets them;
 * a full backing store keeps the rest resident and loses nothing.
 */
#include "vmo_util.h"
#include "kselftest_harness.h"

#define OBJ_MB 32
#define SMALL_PAGES 4096	/* 16 MiB objects */

static unsigned long long mem_total_kb(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The pattern of page @pg of object @o: checkable from any word. */
static uint64_t pattern(int o, size_t pg, size_t word)
{
	uint64_t x = ((uint64_t)o << 40) ^ ((uint64_t)pg << 12) ^ word;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void fill_page(uint64_t *p, int o, size_t pg)
{
	size_t w;

	/* A few words per page: enough to catch a wrong or zero page. */
	for (w = 0; w < PAGE / 8; w += 61)
		p[w] = pattern(o, pg, w);
}

static bool check_page(const uint64_t *p, int o, size_t pg)
{
	size_t w;

	for (w = 0; w < PAGE / 8; w += 61)
		if (p[w] != pattern(o, pg, w))
			return false;
	return true;
}

/* An anonymous object of @pages pages, mapped shared: fd, or -errno. */
static int map_anon(struct vmo_lib *v, size_t pages, uint32_t flags,
		    unsigned char **map)
{
	int fd = vmo_create_anon(v, pages * PAGE, flags | VMO_CREATE_CLOEXEC,
				 NULL);
	int ret;

	if (fd < 0)
		return fd;
	ret = vmo_map(v, fd, 0, pages * PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, (void **)map);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static void fill_range(unsigned char *m, int o, size_t pages)
{
	size_t pg;

	for (pg = 0; pg < pages; pg++)
		fill_page((uint64_t *)(m + pg * PAGE), o, pg);
}

/* The first page of @m that does not hold pattern @o, or @pages. */
static size_t first_bad(const unsigned char *m, int o, size_t pages)
{
	size_t pg;

	for (pg = 0; pg < pages; pg++)
		if (!check_page((const uint64_t *)(m + pg * PAGE), o, pg))
			return pg;
	return pages;
}

/*
 * Pressure: anonymous objects of @mb MiB in all, written and read back
 * (patterns 100 + i), then freed.  Returns the first object whose data
 * came back wrong, -errno if one could not be made, or the number made.
 */
static int balloon(struct vmo_lib *v, size_t mb)
{
	int nobj = (int)((mb + OBJ_MB - 1) / OBJ_MB), o, ret = 0;
	size_t pages = (OBJ_MB << 20) / PAGE;
	unsigned char *map[64];
	int fd[64];

	if (nobj > 64)
		nobj = 64;
	for (o = 0; o < nobj; o++) {
		fd[o] = map_anon(v, pages, 0, &map[o]);
		if (fd[o] < 0) {
			ret = fd[o];
			nobj = o;
			goto out;
		}
		fill_range(map[o], 100 + o, pages);
	}
	for (o = 0; o < nobj; o++)
		if (first_bad(map[o], 100 + o, pages) != pages)
			break;
	ret = o == nobj ? nobj : -1000 - o;
out:
	for (o = 0; o < nobj; o++) {
		vmo_unmap(v, map[o], pages * PAGE);
		close(fd[o]);
	}
	return ret;
}

/* A balloon of one and a half times RAM: everything else gets squeezed. */
static int squeeze(struct vmo_lib *v)
{
	return balloon(v, mem_total_kb() * 3 / 2 / 1024);
}

/* Polls until object @fd has at most @max resident pages; returns them. */
static unsigned long long wait_resident_at_most(int fd, unsigned long long max)
{
	struct vmo_info info = { 0 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (vmo_info(fd, &info))
			return ~0ULL;
		if (info.resident_pages <= max)
			break;
		vmo_util_sleep_ms(10);
	}
	return info.resident_pages;
}

/* Metadata per tracked page: what the pager publishes, for the record. */
static void log_meta(struct __test_metadata *_metadata, const char *when)
{
	long long meta = vmo_util_stat("pager_meta_bytes");
	long long used = vmo_util_stat("pager_backing_slots_used");
	long long free_slots = vmo_util_stat("pager_backing_slots_free");
	long long resident = vmo_util_stat("store_pages");
	long long bitmap = (used + free_slots + 63) / 64 * 8;

	TH_LOG("%s: pager metadata %lld bytes (slot bitmap %lld), %lld pages paged out, %lld resident: %.2f bytes per page besides the bitmap",
	       when, meta, bitmap, used, resident,
	       used + resident > 0 ?
	       (double)(meta - bitmap) / (double)(used + resident) : 0.0);
}

FIXTURE(pressure)
{
	struct vmo_lib *v;
};

/* Without a backing store there is nowhere to page dirty pages out to. */
static bool pager_has_backing(void)
{
	return vmo_util_stat("pager_backing_slots_free") > 0 ||
	       vmo_util_stat("pager_backing_slots_used") > 0;
}

FIXTURE_SETUP(pressure)
{
	ASSERT_EQ(0, vmo_open(&self->v));
}

FIXTURE_TEARDOWN(pressure)
{
	vmo_close(self->v);
}

TEST_F_TIMEOUT(pressure, anon_twice_ram, 1200)
{
	unsigned long long total = mem_total_kb() * 1024 * 2;
	size_t obj_size = OBJ_MB << 20, pages = obj_size / PAGE;
	long long out = vmo_util_stat("pager_pages_out");
	long long in = vmo_util_stat("pager_pages_in");
	int nobj = (int)(total / obj_size) + 1, o;
	unsigned char **map;
	int *fd;
	size_t pg;

	/* In the body: a SKIP in 6.1's FIXTURE_SETUP does not stop the test. */
	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	ASSERT_GT(total, 0);
	TH_LOG("%d objects of %d MiB: %llu MiB, twice RAM", nobj, OBJ_MB,
	       (unsigned long long)nobj * OBJ_MB);
	map = calloc(nobj, sizeof(*map));
	fd = calloc(nobj, sizeof(*fd));
	ASSERT_NE(NULL, map);
	ASSERT_NE(NULL, fd);
	for (o = 0; o < nobj; o++) {
		fd[o] = vmo_create_anon(self->v, obj_size, VMO_CREATE_CLOEXEC,
					NULL);
		ASSERT_GE(fd[o], 0);
		ASSERT_EQ(0, vmo_map(self->v, fd[o], 0, obj_size,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     (void **)&map[o]));
		for (pg = 0; pg < pages; pg++)
			fill_page((uint64_t *)(map[o] + pg * PAGE), o, pg);
	}
	log_meta(_metadata, "all written");
	for (o = 0; o < nobj; o++)
		for (pg = 0; pg < pages; pg++)
			ASSERT_TRUE(check_page((uint64_t *)(map[o] + pg * PAGE),
					       o, pg))
				TH_LOG("object %d page %zu", o, pg);
	log_meta(_metadata, "all read back");
	EXPECT_GT(vmo_util_stat("pager_pages_out"), out);
	EXPECT_GT(vmo_util_stat("pager_pages_in"), in);
	for (o = 0; o < nobj; o++) {
		vmo_unmap(self->v, map[o], obj_size);
		close(fd[o]);
	}
	free(map);
	free(fd);
}

/*
 * echo N > /proc/vmo/scavenge: the module has no clean page to drop, so
 * it asks the pager, which pages N dirty anonymous pages out.
 */
TEST_F_TIMEOUT(pressure, proc_scavenge_pages_out_anon, 600)
{
	const size_t pages = SMALL_PAGES, n = pages / 2;
	long long out = vmo_util_stat("pager_pages_out");
	long long in = vmo_util_stat("pager_pages_in");
	long long returned = vmo_util_stat("pager_scavenge_returned");
	unsigned long long res;
	struct vmo_info info;
	unsigned char *m;
	char text[32];
	int fd;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");

	fd = map_anon(self->v, pages, 0, &m);
	ASSERT_GE(fd, 0);
	fill_range(m, 1, pages);
	ASSERT_EQ(0, vmo_info(fd, &info));
	ASSERT_EQ(pages, info.resident_pages);

	snprintf(text, sizeof(text), "%zu\n", n);
	ASSERT_EQ(0, vmo_util_write_proc("/proc/vmo/scavenge", text));
	res = wait_resident_at_most(fd, pages - n);
	/* About N: the pager gives back what it was asked for. */
	EXPECT_LE(res, pages - n);
	EXPECT_GE(res + 64, pages - n);
	EXPECT_GE(vmo_util_stat("pager_pages_out"), out + (long long)n - 64);
	EXPECT_GE(vmo_util_wait_stat("pager_scavenge_returned",
				     returned + (long long)n - 64),
		  returned + (long long)n - 64);
	/* The same data comes back in. */
	ASSERT_EQ(pages, first_bad(m, 1, pages));
	EXPECT_GE(vmo_util_wait_stat("pager_pages_in", in + (long long)n - 64),
		  in + (long long)n - 64);
	vmo_unmap(self->v, m, pages * PAGE);
	close(fd);
}

/*
 * A shadow over a private file object: read pages are clean copies of
 * the file, written ones the shadow's own.  Under pressure the copies
 * are dropped (and later read from the file again) and the own pages
 * are paged out; everything reads back as it was.
 */
TEST_F_TIMEOUT(pressure, shadow_over_file, 1200)
{
	const size_t pages = SMALL_PAGES, size = pages * PAGE;
	char path[] = "/tmp/vmo-pressure-XXXXXX";
	long long out, parent, in;
	unsigned char *buf, *m;
	struct vmo_info info;
	int ffd, fobj, sobj;
	size_t pg;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");

	/* The file: pattern 7 (in RAM here, like everything in the VM). */
	ffd = mkstemp(path);
	ASSERT_GE(ffd, 0);
	unlink(path);
	buf = calloc(1, PAGE);
	ASSERT_NE(NULL, buf);
	for (pg = 0; pg < pages; pg++) {
		fill_page((uint64_t *)buf, 7, pg);
		ASSERT_EQ(PAGE, (size_t)pwrite(ffd, buf, PAGE, pg * PAGE));
	}
	free(buf);
	fobj = vmo_create_file(self->v, ffd, 0, size, VMO_CREATE_CLOEXEC, NULL);
	ASSERT_GE(fobj, 0);
	sobj = vmo_create_shadow(self->v, fobj, 0, size, VMO_CREATE_CLOEXEC,
				 NULL);
	ASSERT_GE(sobj, 0);
	ASSERT_EQ(0, vmo_map(self->v, sobj, 0, size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&m));

	/* Every page read (a clean copy), every fourth written (own). */
	ASSERT_EQ(pages, first_bad(m, 7, pages));
	for (pg = 0; pg < pages; pg += 4)
		fill_page((uint64_t *)(m + pg * PAGE), 8, pg);
	ASSERT_EQ(0, vmo_info(sobj, &info));
	EXPECT_EQ(pages, info.resident_pages);
	EXPECT_EQ(pages - pages / 4, info.clean_pages);

	out = vmo_util_stat("pager_pages_out");
	parent = vmo_util_stat("pager_pages_parent");
	in = vmo_util_stat("pager_pages_in");
	ASSERT_GT(squeeze(self->v), 0);
	ASSERT_EQ(0, vmo_info(sobj, &info));
	TH_LOG("after the squeeze the shadow has %llu of %zu pages resident (%llu clean)",
	       (unsigned long long)info.resident_pages, pages,
	       (unsigned long long)info.clean_pages);
	EXPECT_LT(info.resident_pages, pages);

	for (pg = 0; pg < pages; pg++)
		ASSERT_TRUE(check_page((uint64_t *)(m + pg * PAGE),
				       pg % 4 ? 7 : 8, pg))
			TH_LOG("page %zu", pg);
	EXPECT_GT(vmo_util_stat("pager_pages_out"), out);
	/* Dropped clean copies come from the file again ... */
	EXPECT_GT(vmo_util_stat("pager_pages_parent"), parent);
	/* ... own pages from the backing store. */
	EXPECT_GT(vmo_util_stat("pager_pages_in"), in);
	vmo_unmap(self->v, m, size);
	close(sobj);
	close(fobj);
	close(ffd);
}

/*
 * VMO_CREATE_RESERVE commits backing store: more than it has left is
 * refused (with the kernel's overcommit check out of the way), and a
 * reserved object keeps its content through pressure.
 */
/*
 * A shared file object under pressure: its written pages go back to the
 * file (write-back, not the backing store) and are evicted; they read
 * back the same, and the file has them.
 */
TEST_F_TIMEOUT(pressure, shared_file_written_back_under_pressure, 1200)
{
	const size_t pages = SMALL_PAGES, size = pages * PAGE;
	char path[] = "/tmp/vmo-pressure-XXXXXX";
	long long written;
	unsigned char *buf, *m;
	struct vmo_info info;
	int ffd, fobj;
	size_t pg;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");

	ffd = mkstemp(path);
	ASSERT_GE(ffd, 0);
	unlink(path);
	ASSERT_EQ(0, ftruncate(ffd, size));
	fobj = vmo_create_file(self->v, ffd, 0, size,
			       VMO_CREATE_CLOEXEC | VMO_CREATE_SHARED, NULL);
	ASSERT_GE(fobj, 0);
	ASSERT_EQ(0, vmo_map(self->v, fobj, 0, size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&m));
	fill_range(m, 9, pages);
	ASSERT_EQ(0, vmo_info(fobj, &info));
	EXPECT_EQ(pages, info.resident_pages - info.clean_pages);

	written = vmo_util_stat("pager_pages_written");
	ASSERT_GT(squeeze(self->v), 0);
	ASSERT_EQ(0, vmo_info(fobj, &info));
	TH_LOG("after the squeeze the object has %llu of %zu pages resident",
	       (unsigned long long)info.resident_pages, pages);
	EXPECT_LT(info.resident_pages, pages);
	EXPECT_GT(vmo_util_stat("pager_pages_written"), written);

	/*
	 * A page is evicted only after it reached the file: with none left
	 * resident, the file has them all before any sync.
	 */
	buf = malloc(PAGE);
	ASSERT_NE(NULL, buf);
	for (pg = 0; !info.resident_pages && pg < pages; pg++) {
		ASSERT_EQ(PAGE, (size_t)pread(ffd, buf, PAGE, pg * PAGE));
		ASSERT_TRUE(check_page((uint64_t *)buf, 9, pg))
			TH_LOG("file page %zu before the sync", pg);
	}
	/* The pages still resident, if any, go out with the sync. */
	ASSERT_EQ(0, vmo_sync(fobj, NULL));
	for (pg = 0; pg < pages; pg++) {
		ASSERT_EQ(PAGE, (size_t)pread(ffd, buf, PAGE, pg * PAGE));
		ASSERT_TRUE(check_page((uint64_t *)buf, 9, pg))
			TH_LOG("file page %zu", pg);
	}
	free(buf);
	/* And the mapping reads the same, paged back in from the file. */
	ASSERT_EQ(pages, first_bad(m, 9, pages));
	vmo_unmap(self->v, m, size);
	close(fobj);
	close(ffd);
}

TEST_F_TIMEOUT(pressure, reserve_within_backing_store, 1200)
{
	const size_t pages = SMALL_PAGES;
	long long backing = vmo_util_stat("pager_backing_pages");
	long long reserved = vmo_util_stat("reserved_pages");
	long long overcommit = vmo_util_read_num("/proc/sys/vm/overcommit_memory");
	unsigned char *m;
	char old[24];
	int fd, ret;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");

	ASSERT_GT(backing, 0);
	ASSERT_GE(reserved, 0);
	ASSERT_GE(overcommit, 0);
	/* Memory accounting would refuse first: RAM is far smaller. */
	ASSERT_EQ(0, vmo_util_write_proc("/proc/sys/vm/overcommit_memory", "1"));
	ret = vmo_create_anon(self->v, (backing - reserved + 1) * PAGE,
			      VMO_CREATE_RESERVE | VMO_CREATE_CLOEXEC, NULL);
	snprintf(old, sizeof(old), "%lld", overcommit);
	ASSERT_EQ(0, vmo_util_write_proc("/proc/sys/vm/overcommit_memory", old));
	EXPECT_EQ(-ENOMEM, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(reserved, vmo_util_stat("reserved_pages"));

	fd = map_anon(self->v, pages, VMO_CREATE_RESERVE, &m);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(reserved + (long long)pages,
		  vmo_util_stat("reserved_pages"));
	fill_range(m, 9, pages);
	ASSERT_GT(squeeze(self->v), 0);
	ASSERT_EQ(pages, first_bad(m, 9, pages));
	vmo_unmap(self->v, m, pages * PAGE);
	close(fd);
	EXPECT_EQ(reserved, vmo_util_stat("reserved_pages"));
}

/*
 * A new anonymous object of @pages pages with pattern @o, paged out but
 * for at most 64 pages.  Returns its fd (mapping in *@m) or -1.
 */
static int paged_out_object(struct __test_metadata *_metadata,
			    struct vmo_lib *v, size_t pages, int o,
			    unsigned char **m)
{
	char text[32];
	int fd;

	fd = map_anon(v, pages, 0, m);
	if (fd < 0)
		return -1;
	fill_range(*m, o, pages);
	snprintf(text, sizeof(text), "%zu\n", pages);
	if (vmo_util_write_proc("/proc/vmo/scavenge", text) ||
	    wait_resident_at_most(fd, 64) > 64) {
		TH_LOG("object of %zu pages not paged out", pages);
		vmo_unmap(v, *m, pages * PAGE);
		close(fd);
		return -1;
	}
	return fd;
}

/* Polls until stat @name is at most @max; returns the last value read. */
static long long wait_stat_at_most(const char *name, long long max)
{
	long long val = -1;
	int i;

	for (i = 0; i < 500; i++) {
		val = vmo_util_stat(name);
		if (val >= 0 && val <= max)
			break;
		vmo_util_sleep_ms(10);
	}
	return val;
}

/*
 * However a pager goes (@sig), its records and its backing store stay
 * with the module: the next pager pages the pages in, nothing is lost,
 * and nothing had to be put back into memory first.
 */
static void pager_goes(struct __test_metadata *_metadata, struct vmo_lib *v,
		       int sig, int o)
{
	const size_t pages = SMALL_PAGES;
	long long base = vmo_util_stat("record_slots"), slots;
	struct vmo_info info = { 0 };
	bool stopped, started;
	unsigned char *m;
	int fd;

	ASSERT_GE(base, 0);
	fd = paged_out_object(_metadata, v, pages, o, &m);
	ASSERT_GE(fd, 0);
	ASSERT_LE(base + (long long)pages - 64, vmo_util_stat("record_slots"));

	/* No assertion until a pager is back: the suite needs one. */
	stopped = vmo_util_signal_pager(sig);
	EXPECT_EQ(0, vmo_info(fd, &info));
	slots = vmo_util_stat("record_slots");
	started = vmo_util_start_pager();
	ASSERT_TRUE(stopped);
	ASSERT_TRUE(started);
	EXPECT_GE(64, info.resident_pages);
	EXPECT_LE(base + (long long)pages - 64, slots);
	ASSERT_EQ(pages, first_bad(m, o, pages));
	EXPECT_LE((long long)pages - 64,
		  vmo_util_wait_stat("pager_pages_in", (long long)pages - 64));
	vmo_unmap(v, m, pages * PAGE);
	close(fd);
	/* The object's records went with it. */
	EXPECT_EQ(base, vmo_util_stat("record_slots"));
}

TEST_F_TIMEOUT(pressure, pager_stopped_leaves_pages_with_module, 600)
{
	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	pager_goes(_metadata, self->v, SIGTERM, 12);
}

TEST_F_TIMEOUT(pressure, pager_killed_loses_nothing, 600)
{
	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	pager_goes(_metadata, self->v, SIGKILL, 15);
}

/*
 * MADV_REMOVE of paged-out pages: their content is gone, so they read
 * as zero afterwards (not as they were), their slots are freed, and the
 * pages around them still read back as they were.
 */
TEST_F_TIMEOUT(pressure, madv_remove_forgets_paged_out_pages, 600)
{
	const size_t pages = SMALL_PAGES, first = 16, n = 32;
	long long slots;
	unsigned char *m;
	size_t pg, i;
	int fd;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	fd = paged_out_object(_metadata, self->v, pages, 13, &m);
	ASSERT_GE(fd, 0);
	slots = vmo_util_stat("record_slots");
	ASSERT_LE((long long)pages - 64, slots);

	ASSERT_EQ(0, madvise(m + first * PAGE, n * PAGE, MADV_REMOVE));
	for (pg = first; pg < first + n; pg++)
		for (i = 0; i < PAGE; i++)
			ASSERT_EQ(0, m[pg * PAGE + i])
				TH_LOG("page %zu byte %zu", pg, i);
	ASSERT_EQ(first, first_bad(m, 13, first));
	for (pg = first + n; pg < pages; pg++)
		ASSERT_TRUE(check_page((uint64_t *)(m + pg * PAGE), 13, pg))
			TH_LOG("page %zu", pg);
	/* The pager took the punched records and freed their slots. */
	EXPECT_EQ(0, wait_stat_at_most("records_punched", 0));
	EXPECT_GE(slots - (long long)n,
		  wait_stat_at_most("record_slots", slots - (long long)n));
	vmo_unmap(self->v, m, pages * PAGE);
	close(fd);
}

/*
 * Slots that unreserved objects hold count against reservations: a
 * reservation that fits the backing store only if those slots were
 * free is refused; one that fits what is left is taken.
 */
TEST_F_TIMEOUT(pressure, reserve_counts_slots_in_use, 600)
{
	const size_t pages = SMALL_PAGES;
	long long overcommit = vmo_util_read_num("/proc/sys/vm/overcommit_memory");
	long long backing, reserved, used, room;
	unsigned char *m;
	int fd, big, fits;
	char old[24];

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	ASSERT_GE(overcommit, 0);
	fd = paged_out_object(_metadata, self->v, pages, 16, &m);
	ASSERT_GE(fd, 0);
	backing = vmo_util_stat("pager_backing_pages");
	reserved = vmo_util_stat("reserved_pages");
	used = vmo_util_stat("record_slots_unreserved");
	ASSERT_LE((long long)pages - 64, used);
	room = backing - reserved - used;
	ASSERT_GT(room, 64);

	/* Memory accounting would refuse first: RAM is far smaller. */
	ASSERT_EQ(0, vmo_util_write_proc("/proc/sys/vm/overcommit_memory", "1"));
	big = vmo_create_anon(self->v, (room + 1) * PAGE,
			      VMO_CREATE_RESERVE | VMO_CREATE_CLOEXEC, NULL);
	fits = vmo_create_anon(self->v, (room - 64) * PAGE,
			       VMO_CREATE_RESERVE | VMO_CREATE_CLOEXEC, NULL);
	snprintf(old, sizeof(old), "%lld", overcommit);
	ASSERT_EQ(0, vmo_util_write_proc("/proc/sys/vm/overcommit_memory", old));
	EXPECT_EQ(-ENOMEM, big);
	EXPECT_LE(0, fits);
	if (big >= 0)
		close(big);
	if (fits >= 0)
		close(fits);
	EXPECT_EQ(reserved, vmo_util_stat("reserved_pages"));
	ASSERT_EQ(pages, first_bad(m, 16, pages));
	vmo_unmap(self->v, m, pages * PAGE);
	close(fd);
}

/* Does file @path contain @text? */
static bool file_has(const char *path, const char *text)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text);
	fclose(f);
	return found;
}

#define SMALL_BACKING	"/tmp/vmo-small-backing"
#define SMALL_SLOTS	512

/*
 * A backing store too small for what is asked: the pager fills it, says
 * so in its log and counters, keeps the rest resident (dirty), and
 * every page still reads back as it was written.
 */
TEST_F_TIMEOUT(pressure, backing_store_full, 600)
{
	const size_t pages = 4 * SMALL_SLOTS;
	struct vmo_info info = { 0 };
	bool stopped, started;
	unsigned char *m;
	char text[128];
	int fd;

	if (!pager_has_backing())
		SKIP(return, "the pager has no backing store");
	ASSERT_EQ(0, vmo_util_stat("record_slots"))
		TH_LOG("pages of other tests are still out");
	stopped = vmo_util_stop_pager();
	snprintf(text, sizeof(text), "--backing %s --backing-size %zu",
		 SMALL_BACKING, (size_t)SMALL_SLOTS * PAGE);
	started = stopped && vmo_util_start_pager_args(text);
	if (!started) {
		vmo_util_start_pager();
		ASSERT_TRUE(stopped);
		ASSERT_TRUE(started);
	}
	EXPECT_EQ(SMALL_SLOTS, vmo_util_stat("pager_backing_pages"));

	fd = map_anon(self->v, pages, 0, &m);
	EXPECT_GE(fd, 0);
	if (fd >= 0) {
		fill_range(m, 17, pages);
		snprintf(text, sizeof(text), "%zu\n", pages);
		EXPECT_EQ(0, vmo_util_write_proc("/proc/vmo/scavenge", text));
		EXPECT_LE(1, vmo_util_wait_stat("pager_backing_full", 1));
		EXPECT_EQ(SMALL_SLOTS, vmo_util_wait_stat(
			  "pager_backing_slots_used", SMALL_SLOTS));
		EXPECT_EQ(0, vmo_util_stat("pager_backing_slots_free"));
		EXPECT_EQ(0, vmo_info(fd, &info));
		/* What did not fit stays resident. */
		EXPECT_LE(pages - SMALL_SLOTS, info.resident_pages);
		EXPECT_TRUE(file_has("/tmp/pager.log", "full"));
		EXPECT_EQ(pages, first_bad(m, 17, pages));
		vmo_unmap(self->v, m, pages * PAGE);
		close(fd);
	}
	/* Back to the VM's own pager, whatever happened above. */
	stopped = vmo_util_stop_pager();
	unlink(SMALL_BACKING);
	started = vmo_util_start_pager();
	ASSERT_TRUE(stopped);
	ASSERT_TRUE(started);
}

TEST_HARNESS_MAIN
