// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-demo: anonymous objects end to end.  Creates two demand-zero
 * objects, maps them, writes and reads them, shares one with a child
 * process, and shows /proc/vmo before and after.
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
	vmo_close(v);
	printf("unmapped and closed: both objects are gone\n");
	show("/proc/vmo/objects");
	printf("vmo-demo: OK\n");
	return 0;
}
