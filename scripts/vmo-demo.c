// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-demo: anonymous objects end to end.  Creates two demand-zero
 * objects, maps them, writes and reads them, shares one with a child
 * process, and shows /proc/vmo before and after.  Then a workload twice
 * as big as RAM (the demo VM has 256 MiB and no swap): anonymous
 * objects written with a pattern and read back, with the pager paging
 * pages out to its backing store and in again, its counters shown as
 * they move.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libvmo.h"

#define PAGE 4096UL
#define BIG_OBJ_MB 32UL

static void show(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	printf("--- %s\n", path);
	if (!f) {
		printf("(cannot open: %s)\n", strerror(errno));
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	fflush(stdout);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "vmo-demo: %s: %s\n", what, vmo_strerror(err));
	exit(1);
}

static void show_info(int fd)
{
	struct vmo_info info;
	int err = vmo_info(fd, &info);

	if (err)
		die("VMO_OBJ_INFO", err);
	printf("object %llu: %llu bytes, %llu resident pages, %llu mappings\n",
	       (unsigned long long)info.id, (unsigned long long)info.size,
	       (unsigned long long)info.resident_pages,
	       (unsigned long long)info.mappings);
}

/* The value of @key in /proc/vmo/stats, or -1. */
static long long stat_of(const char *key)
{
	char line[256], name[128];
	long long val, ret = -1;
	FILE *f = fopen("/proc/vmo/stats", "r");

	if (!f)
		return -1;
	while (ret < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld", name, &val) == 2 &&
		    !strcmp(name, key))
			ret = val;
	fclose(f);
	return ret;
}

static unsigned long long mem_total_mb(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

static void show_paging(const char *when)
{
	printf("%-24s store pages %6lld | paged out %7lld, in %7lld | backing used %7lld free %7lld | scavenge requests %lld\n",
	       when, stat_of("store_pages"), stat_of("pager_pages_out"),
	       stat_of("pager_pages_in"), stat_of("pager_backing_slots_used"),
	       stat_of("pager_backing_slots_free"),
	       stat_of("pager_scavenge_requests"));
	fflush(stdout);
}

static uint64_t big_pattern(size_t obj, size_t pg)
{
	return (obj << 40) ^ (pg * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a;
}

/* Twice RAM in anonymous objects: written, then read back and checked. */
static void bigger_than_ram(struct vmo_lib *v)
{
	unsigned long long ram = mem_total_mb();
	size_t nobj = ram * 2 / BIG_OBJ_MB + 1, size = BIG_OBJ_MB << 20;
	size_t pages = size / PAGE, o, pg;
	unsigned char **map = calloc(nobj, sizeof(*map));
	int *fd = calloc(nobj, sizeof(*fd)), err;
	char when[64];

	if (!map || !fd || !ram)
		die("bigger than RAM: setup", -ENOMEM);
	printf("\n== bigger than RAM: %zu objects of %lu MiB (%zu MiB) in %llu MiB of RAM, no swap\n",
	       nobj, BIG_OBJ_MB, nobj * BIG_OBJ_MB, ram);
	if (stat_of("pager_backing_pages") <= 0) {
		printf("the pager has no backing store: skipped\n");
		return;
	}
	show_paging("before");
	for (o = 0; o < nobj; o++) {
		fd[o] = vmo_create_anon(v, size, VMO_CREATE_CLOEXEC, NULL);
		if (fd[o] < 0)
			die("create", fd[o]);
		err = vmo_map(v, fd[o], 0, size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, (void **)&map[o]);
		if (err)
			die("map", err);
		for (pg = 0; pg < pages; pg++)
			*(uint64_t *)(map[o] + pg * PAGE) = big_pattern(o, pg);
		if (o % 4 == 3 || o + 1 == nobj) {
			snprintf(when, sizeof(when), "written %zu MiB",
				 (o + 1) * BIG_OBJ_MB);
			show_paging(when);
		}
	}
	for (o = 0; o < nobj; o++) {
		for (pg = 0; pg < pages; pg++)
			if (*(uint64_t *)(map[o] + pg * PAGE) !=
			    big_pattern(o, pg))
				die("bigger than RAM: a page came back wrong",
				    -EIO);
		if (o % 4 == 3 || o + 1 == nobj) {
			snprintf(when, sizeof(when), "read back %zu MiB",
				 (o + 1) * BIG_OBJ_MB);
			show_paging(when);
		}
	}
	printf("every page of %zu MiB read back as written\n",
	       nobj * BIG_OBJ_MB);
	for (o = 0; o < nobj; o++) {
		vmo_unmap(v, map[o], size);
		close(fd[o]);
	}
	show_paging("all freed");
	free(map);
	free(fd);
}

int main(void)
{
	const size_t pages = 256, size = pages * PAGE;
	struct vmo_lib *v;
	unsigned char *a, *b;
	int fa, fb, err, status;
	uint64_t ida, idb;
	size_t i;
	pid_t pid;

	err = vmo_open(&v);
	if (err)
		die("open /dev/vmo", err);
	printf("vmo-demo: api %u, features 0x%llx\n", vmo_api_version(v),
	       (unsigned long long)vmo_features(v));
	show("/proc/vmo/stats");
	show("/proc/vmo/objects");

	fa = vmo_create_anon(v, size, VMO_CREATE_CLOEXEC, &ida);
	if (fa < 0)
		die("create object A", fa);
	fb = vmo_create_anon(v, size, VMO_CREATE_CLOEXEC, &idb);
	if (fb < 0)
		die("create object B", fb);
	err = vmo_map(v, fa, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      (void **)&a);
	if (err)
		die("map A", err);
	err = vmo_map(v, fb, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      (void **)&b);
	if (err)
		die("map B", err);

	for (i = 0; i < size; i++)
		if (a[i] || b[i])
			die("demand-zero page is not zero", -EIO);
	printf("read %zu zero pages from each object\n", pages);

	for (i = 0; i < pages; i++)
		memset(a + i * PAGE, (int)(i & 0xff), PAGE);
	printf("wrote a pattern into object %llu\n", (unsigned long long)ida);

	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (!pid) {
		/* The child shares A and writes into B for the parent. */
		for (i = 0; i < pages; i++)
			if (a[i * PAGE] != (unsigned char)i)
				_exit(2);
		for (i = 0; i < pages; i += 2)
			b[i * PAGE] = 0xc5;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child did not see the parent's pages", -EIO);
	for (i = 0; i < pages; i++)
		if (b[i * PAGE] != (i % 2 ? 0 : 0xc5))
			die("parent did not see the child's pages", -EIO);
	printf("a child process read A and wrote B; the parent sees it\n");

	show_info(fa);
	show_info(fb);
	show("/proc/vmo/stats");
	show("/proc/vmo/objects");

	vmo_unmap(v, a, size);
	vmo_unmap(v, b, size);
	close(fa);
	close(fb);
	printf("unmapped and closed: both objects are gone\n");
	show("/proc/vmo/objects");
	bigger_than_ram(v);
	vmo_close(v);
	printf("vmo-demo: OK\n");
	return 0;
}
