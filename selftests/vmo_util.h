/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vmo selftests (header-only: each test is one
 * static binary).
 */
#ifndef VMO_UTIL_H
#define VMO_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "libvmo.h"

#define PAGE 4096UL

/* A session that did the handshake, or -errno. */
static inline int vmo_util_session(void)
{
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMO_IOC_HANDSHAKE, &hs) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* ioctl() returning the result or -errno. */
static inline long vmo_util_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline long vmo_util_create(int fd, uint64_t size)
{
	struct vmo_create c = { .kind = VMO_KIND_ANON, .size = size,
				.flags = VMO_CREATE_CLOEXEC };

	return vmo_util_ioctl(fd, VMO_IOC_CREATE, &c);
}

/* Value of "name value" in /proc/vmo/stats, or -1. */
static inline long long vmo_util_stat(const char *name)
{
	char line[256], key[128];
	long long val, ret = -1;
	FILE *f = fopen("/proc/vmo/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", key, &val) == 2 &&
		    !strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The /proc/vmo/objects row of object @id, or false if none. */
static inline bool vmo_util_object_row(uint64_t id, unsigned long long *size,
				       unsigned long long *resident,
				       long long *refs,
				       unsigned long long *mappings)
{
	char line[256], kind[32];
	unsigned long long rid, sz, res, maps;
	long long r;
	bool found = false;
	FILE *f = fopen("/proc/vmo/objects", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %31s %llu %llu %lld %llu", &rid, kind,
			   &sz, &res, &r, &maps) == 6 && rid == id) {
			if (size)
				*size = sz;
			if (resident)
				*resident = res;
			if (refs)
				*refs = r;
			if (mappings)
				*mappings = maps;
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static inline void vmo_util_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Polls until stat @name reaches at least @min.  The pager publishes
 * its counters after it served the fault, so they may trail the data by
 * a moment; this is eventual consistency, not a timing assertion.
 */
static inline long long vmo_util_wait_stat(const char *name, long long min)
{
	long long v = -1;
	int i;

	for (i = 0; i < 1000; i++) {
		v = vmo_util_stat(name);
		if (v >= min)
			break;
		vmo_util_sleep_ms(10);
	}
	return v;
}

/* Polls until stat @name equals @want; returns the last value read. */
static inline long long vmo_util_wait_stat_eq(const char *name, long long want)
{
	long long v = -1;
	int i;

	for (i = 0; i < 1000; i++) {
		v = vmo_util_stat(name);
		if (v == want)
			break;
		vmo_util_sleep_ms(10);
	}
	return v;
}

/* Drops every capability of the calling process (for EPERM tests). */
static inline int vmo_util_drop_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Writes @text to the proc file @path; 0 or -errno. */
static inline int vmo_util_write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -errno;
}

/* The number a file (sysfs, procfs) starts with, or -1. */
static inline long long vmo_util_read_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline int vmo_util_write_num(const char *path, long long v)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld\n", v);
	return vmo_util_write_proc(path, text);
}

static inline const char *vmo_util_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* Polls /proc/vmo/stats until pager_attached is @want. */
static inline bool vmo_util_wait_pager(int want)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (vmo_util_stat("pager_attached") == want)
			return true;
		vmo_util_sleep_ms(10);
	}
	return false;
}

/* Sends the system's pager @sig and waits for it to detach. */
static inline bool vmo_util_signal_pager(int sig)
{
	long long pid = vmo_util_stat("pager_pid");

	if (pid <= 0)
		return true;
	if (kill(pid, sig))
		return false;
	return vmo_util_wait_pager(0);
}

static inline bool vmo_util_stop_pager(void)
{
	return vmo_util_signal_pager(SIGTERM);
}

/*
 * Starts a pager ($VMO_PAGER) with arguments @args (space separated),
 * detached, logging where the VM init collects the log, and waits for
 * it to attach.
 */
static inline bool vmo_util_start_pager_args(const char *pargs)
{
	char *args, *tok, *save = NULL, *argv[64] = { "vmo-pager" };
	int argc = 1, fd;
	pid_t pid;

	if (vmo_util_stat("pager_attached") == 1)
		return true;
	pid = fork();
	if (pid < 0)
		return false;
	if (!pid) {
		setsid();
		fd = open("/tmp/pager.log", O_WRONLY | O_APPEND | O_CREAT,
			  0644);
		if (fd >= 0)
			dup2(fd, 2);
		args = strdup(pargs);
		for (tok = strtok_r(args, " ", &save); tok && argc < 63;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		execv(vmo_util_env("VMO_PAGER", "/bin/vmo-pager"), argv);
		_exit(127);
	}
	return vmo_util_wait_pager(1);
}

/* A pager with the arguments the VM started the first one with. */
static inline bool vmo_util_start_pager(void)
{
	return vmo_util_start_pager_args(vmo_util_env("VMO_PAGER_ARGS", ""));
}

/* Waits for a child and returns its exit code, or -1 if it did not exit. */
static inline int vmo_util_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Byte @i of a pattern file: differs page to page and is never 0, so a
 * page the kernel zero-filled behind the pager's back (an unregistered
 * mapping, a lost registration) can never pass for one the pager read.
 */
static inline unsigned char vmo_util_pattern(size_t i)
{
	return (unsigned char)((i * 13 + i / PAGE + 1) | 1);
}

/* An unlinked temporary file of @len pattern bytes (O_RDWR), or -1. */
static inline int vmo_util_pattern_file(size_t len)
{
	char path[] = "/tmp/vmo-pattern-XXXXXX";
	unsigned char *buf = malloc(len);
	int fd = buf ? mkstemp(path) : -1;
	size_t i;

	if (fd < 0) {
		free(buf);
		return -1;
	}
	unlink(path);
	for (i = 0; i < len; i++)
		buf[i] = vmo_util_pattern(i);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

/* A file object over a pattern file, mapped (vmo_util_pattern_map()). */
struct vmo_util_pmap {
	int ffd;		/* the pattern file */
	int obj;		/* the object */
	unsigned char *p;	/* its mapping, from offset 0 */
	size_t len;
};

/*
 * A private file object over a new pattern file of @pages pages, mapped
 * MAP_SHARED with @prot through @v: the pages it shows can only come
 * from the pager.  Returns 0 or -errno (nothing left open).
 */
static inline int vmo_util_pattern_map(struct vmo_lib *v, size_t pages,
				       int prot, struct vmo_util_pmap *m)
{
	int err;

	m->len = pages * PAGE;
	m->ffd = vmo_util_pattern_file(m->len);
	if (m->ffd < 0)
		return -EIO;
	m->obj = vmo_create_file(v, m->ffd, 0, m->len, 0, NULL);
	if (m->obj < 0) {
		err = m->obj;
		close(m->ffd);
		return err;
	}
	err = vmo_map(v, m->obj, 0, m->len, prot, MAP_SHARED, (void **)&m->p);
	if (err) {
		close(m->obj);
		close(m->ffd);
	}
	return err;
}

static inline void vmo_util_pattern_unmap(struct vmo_lib *v,
					  struct vmo_util_pmap *m)
{
	vmo_unmap(v, m->p, m->len);
	close(m->obj);
	close(m->ffd);
}

/* Does page @pg of @p, a mapping from offset 0, hold the pattern's? */
static inline bool vmo_util_page_is_pattern(const unsigned char *p, size_t pg)
{
	size_t i;

	for (i = pg * PAGE; i < (pg + 1) * PAGE; i++)
		if (p[i] != vmo_util_pattern(i))
			return false;
	return true;
}

/* The state letter of thread @tid of this process, or 0. */
static inline char vmo_util_thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Polls until thread @tid sleeps (S or D); false if it never did. */
static inline bool vmo_util_wait_asleep(pid_t tid)
{
	char st;
	int i;

	for (i = 0; i < 2000; i++) {
		st = vmo_util_thread_state(tid);
		if (st == 'S' || st == 'D')
			return true;
		vmo_util_sleep_ms(5);
	}
	return false;
}

#endif /* VMO_UTIL_H */
