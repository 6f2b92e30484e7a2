/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A FUSE file system for tests, served by a thread over /dev/fuse: one
 * regular file, "f", of a given size whose byte i is slow_fuse_byte(i).
 * While "holding", it answers everything but reads, which it keeps
 * (a file system that never answers, as any local user may mount);
 * slow_fuse_release() answers them and every later read.
 *
 * Needs /dev/fuse and the right to mount (root): slow_fuse_start()
 * returns -errno otherwise, for the test to skip.
 */
#ifndef VMO_SLOW_FUSE_H
#define VMO_SLOW_FUSE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SLOW_FUSE_HELD_MAX	64
#define SLOW_FUSE_BUF		(132 * 1024)

struct slow_fuse {
	int dev;			/* /dev/fuse */
	char dir[64];			/* the mount point */
	char path[80];			/* dir/f */
	uint64_t size;			/* of f */
	pthread_t thread;
	pthread_mutex_t lock;
	bool holding;			/* keep reads unanswered */
	struct { uint64_t unique, off; uint32_t size; } held[SLOW_FUSE_HELD_MAX];
	unsigned int nheld;
	unsigned int reads;		/* READ requests seen */
	bool stop;
};

static inline unsigned char slow_fuse_byte(uint64_t i)
{
	return (unsigned char)((i * 7 + i / 4096 + 3) | 1);
}

static inline void slow_fuse_reply(struct slow_fuse *fs, uint64_t unique,
				   int error, const void *arg, size_t len)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(sizeof(oh) + len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = (void *)arg, .iov_len = len },
	};

	if (writev(fs->dev, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		fprintf(stderr, "slow_fuse: reply %llu: %s\n",
			(unsigned long long)unique, strerror(errno));
}

static inline void slow_fuse_attr(const struct slow_fuse *fs, uint64_t node,
				  struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->nlink = node == FUSE_ROOT_ID ? 2 : 1;
	a->mode = node == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0666;
	a->size = node == FUSE_ROOT_ID ? 0 : fs->size;
	a->blocks = (a->size + 511) / 512;
	a->blksize = 4096;
}

static inline void slow_fuse_read_reply(struct slow_fuse *fs, uint64_t unique,
					uint64_t off, uint32_t size)
{
	uint64_t n = off >= fs->size ? 0 :
		     fs->size - off < size ? fs->size - off : size;
	unsigned char *buf = malloc(n ? n : 1);
	uint64_t i;

	if (!buf) {
		slow_fuse_reply(fs, unique, -ENOMEM, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++)
		buf[i] = slow_fuse_byte(off + i);
	slow_fuse_reply(fs, unique, 0, buf, n);
	free(buf);
}

static inline void slow_fuse_request(struct slow_fuse *fs, char *req)
{
	struct fuse_in_header *ih = (struct fuse_in_header *)req;
	void *in = req + sizeof(*ih);

	switch (ih->opcode) {
	case FUSE_INIT: {
		struct fuse_init_in *ii = in;
		struct fuse_init_out io = {
			.major = FUSE_KERNEL_VERSION,
			.minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = ii->max_readahead,
			.max_background = 16,
			.congestion_threshold = 12,
			.max_write = 65536,
			.time_gran = 1,
		};

		slow_fuse_reply(fs, ih->unique, 0, &io, sizeof(io));
		return;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out eo = {
			.nodeid = 2, .generation = 1,
			.entry_valid = 3600, .attr_valid = 3600,
		};

		if (ih->nodeid != FUSE_ROOT_ID || strcmp(in, "f")) {
			slow_fuse_reply(fs, ih->unique, -ENOENT, NULL, 0);
			return;
		}
		slow_fuse_attr(fs, 2, &eo.attr);
		slow_fuse_reply(fs, ih->unique, 0, &eo, sizeof(eo));
		return;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out ao = { .attr_valid = 3600 };

		slow_fuse_attr(fs, ih->nodeid, &ao.attr);
		slow_fuse_reply(fs, ih->unique, 0, &ao, sizeof(ao));
		return;
	}
	case FUSE_OPEN: {
		struct fuse_open_out oo = { .fh = 1 };

		slow_fuse_reply(fs, ih->unique, 0, &oo, sizeof(oo));
		return;
	}
	case FUSE_READ: {
		struct fuse_read_in *ri = in;

		pthread_mutex_lock(&fs->lock);
		fs->reads++;
		if (fs->holding && fs->nheld < SLOW_FUSE_HELD_MAX) {
			fs->held[fs->nheld].unique = ih->unique;
			fs->held[fs->nheld].off = ri->offset;
			fs->held[fs->nheld].size = ri->size;
			fs->nheld++;
			pthread_mutex_unlock(&fs->lock);
			return;
		}
		pthread_mutex_unlock(&fs->lock);
		slow_fuse_read_reply(fs, ih->unique, ri->offset, ri->size);
		return;
	}
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_FSYNC:
		slow_fuse_reply(fs, ih->unique, 0, NULL, 0);
		return;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return;		/* no answer expected */
	default:
		slow_fuse_reply(fs, ih->unique, -ENOSYS, NULL, 0);
	}
}

static inline void *slow_fuse_main(void *arg)
{
	struct slow_fuse *fs = arg;
	struct pollfd pfd = { .fd = fs->dev, .events = POLLIN };
	char *req = malloc(SLOW_FUSE_BUF);
	ssize_t n;

	while (req && !__atomic_load_n(&fs->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fs->dev, req, SLOW_FUSE_BUF);
		if (n < 0 && (errno == EINTR || errno == EAGAIN ||
			      errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;		/* unmounted (ENODEV) */
		slow_fuse_request(fs, req);
	}
	free(req);
	return NULL;
}

/* Mount it (holding reads) with "f" of @size bytes: 0 or -errno. */
static inline int slow_fuse_start(struct slow_fuse *fs, uint64_t size)
{
	char opts[128];
	int ret;

	memset(fs, 0, sizeof(*fs));
	fs->size = size;
	fs->holding = true;
	pthread_mutex_init(&fs->lock, NULL);
	snprintf(fs->dir, sizeof(fs->dir), "/tmp/vmo-fuse-XXXXXX");
	if (!mkdtemp(fs->dir))
		return -errno;
	snprintf(fs->path, sizeof(fs->path), "%s/f", fs->dir);
	fs->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->dev < 0) {
		ret = -errno;
		rmdir(fs->dir);
		return ret;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other",
		 fs->dev);
	if (mount("vmo-slow", fs->dir, "fuse", MS_NOSUID | MS_NODEV, opts)) {
		ret = -errno;
		close(fs->dev);
		rmdir(fs->dir);
		return ret;
	}
	if (pthread_create(&fs->thread, NULL, slow_fuse_main, fs)) {
		umount2(fs->dir, MNT_DETACH);
		close(fs->dev);
		rmdir(fs->dir);
		return -EAGAIN;
	}
	return 0;
}

/* Answer the reads held so far, and every later one. */
static inline void slow_fuse_release(struct slow_fuse *fs)
{
	unsigned int i, n;

	pthread_mutex_lock(&fs->lock);
	fs->holding = false;
	n = fs->nheld;
	fs->nheld = 0;
	pthread_mutex_unlock(&fs->lock);
	for (i = 0; i < n; i++)
		slow_fuse_read_reply(fs, fs->held[i].unique, fs->held[i].off,
				     fs->held[i].size);
}

static inline unsigned int slow_fuse_reads(struct slow_fuse *fs)
{
	unsigned int n;

	pthread_mutex_lock(&fs->lock);
	n = fs->reads;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static inline void slow_fuse_stop(struct slow_fuse *fs)
{
	slow_fuse_release(fs);
	umount2(fs->dir, MNT_DETACH);
	__atomic_store_n(&fs->stop, true, __ATOMIC_RELEASE);
	pthread_join(fs->thread, NULL);
	close(fs->dev);
	rmdir(fs->dir);
}

#endif /* VMO_SLOW_FUSE_H */
