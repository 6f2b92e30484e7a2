// SPDX-License-Identifier: GPL-2.0
/*
 * vmo pressure selftests: a workload bigger than RAM.  Run in a test VM
 * with little memory (256 MiB) and no swap: the pager must page dirty
 * pages out to its backing store and back in, and nothing may be lost
 * or OOM-killed (the VM runner fails the run on an OOM report).
 */
#include "vmo_util.h"
#include "kselftest_harness.h"

#define OBJ_MB 32

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
	for (o = 0; o < nobj; o++)
		for (pg = 0; pg < pages; pg++)
			ASSERT_TRUE(check_page((uint64_t *)(map[o] + pg * PAGE),
					       o, pg))
				TH_LOG("object %d page %zu", o, pg);
	EXPECT_GT(vmo_util_stat("pager_pages_out"), out);
	EXPECT_GT(vmo_util_stat("pager_pages_in"), in);
	for (o = 0; o < nobj; o++) {
		vmo_unmap(self->v, map[o], obj_size);
		close(fd[o]);
	}
	free(map);
	free(fd);
}

TEST_HARNESS_MAIN
