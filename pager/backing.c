// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager backing store (see backing.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include "backing.h"
#include "log.h"
#include "slotmap.h"

typedef unsigned long long ull;

int backing_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * O_DIRECT if the file system takes it: some refuse it at open
 * (EINVAL), others only at the first transfer, so try one read.
 * Returns an fd, or -errno (logged).
 */
static int open_store(struct backing *bk, int extra_flags)
{
	int flags = O_RDWR | O_CLOEXEC | extra_flags;
	void *probe = NULL;
	ssize_t n;
	int fd;

	fd = open(bk->path, flags | O_DIRECT);
	if (fd >= 0) {
		if (posix_memalign(&probe, bk->page_size, bk->page_size)) {
			close(fd);
			log_err("backing store %s: out of memory", bk->path);
			return -ENOMEM;
		}
		n = pread(fd, probe, bk->page_size, 0);
		free(probe);
		if (n >= 0) {
			bk->direct = true;
			return fd;
		}
		close(fd);
		if (errno != EINVAL) {
			log_err("backing store %s: read: %s", bk->path,
				strerror(errno));
			return -errno;
		}
	} else if (errno != EINVAL) {
		log_err("backing store %s: open: %s%s", bk->path,
			strerror(errno), errno == EBUSY ?
			" (in use: mounted or opened exclusively?)" : "");
		return -errno;
	}
	fd = open(bk->path, flags);
	if (fd < 0) {
		log_err("backing store %s: open: %s", bk->path, strerror(errno));
		return -errno;
	}
	log_info("backing store %s: O_DIRECT refused, using buffered I/O",
		 bk->path);
	return fd;
}

/* A regular file: create it or grow it to @size if asked.  *@bytes: usable. */
static int prepare_file(struct backing *bk, uint64_t size, uint64_t *bytes)
{
	struct stat st;
	int fd;

	if (stat(bk->path, &st) < 0) {
		if (errno != ENOENT) {
			log_err("backing store %s: %s", bk->path,
				strerror(errno));
			return -errno;
		}
		fd = open(bk->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			log_err("backing store %s: create: %s", bk->path,
				strerror(errno));
			return -errno;
		}
		close(fd);
		st.st_size = 0;
		st.st_mode = S_IFREG;
		if (!size)
			size = BACKING_DEFAULT_SIZE;
		log_info("backing store %s: created, %llu bytes", bk->path,
			 (ull)size);
	}
	if (S_ISBLK(st.st_mode)) {
		bk->blockdev = true;
		*bytes = size;	/* checked against the device later */
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("backing store %s: not a regular file or block device",
			bk->path);
		return -EINVAL;
	}
	if (size > (uint64_t)st.st_size &&
	    truncate(bk->path, (off_t)size) < 0) {
		log_err("backing store %s: truncate to %llu bytes: %s",
			bk->path, (ull)size, strerror(errno));
		return -errno;
	}
	*bytes = size ? size : (uint64_t)st.st_size;
	return 0;
}

/* A block device's size; @want may not exceed it. */
static int device_bytes(struct backing *bk, uint64_t *bytes)
{
	uint64_t dev = 0;

	if (ioctl(bk->fd, BLKGETSIZE64, &dev) < 0) {
		log_err("backing store %s: BLKGETSIZE64: %s", bk->path,
			strerror(errno));
		return -errno;
	}
	if (*bytes > dev) {
		log_err("backing store %s: --backing-size %llu is larger than the device (%llu bytes)",
			bk->path, (ull)*bytes, (ull)dev);
		return -EINVAL;
	}
	if (!*bytes)
		*bytes = dev;
	return 0;
}

static int setup_slots(struct backing *bk, uint64_t bytes)
{
	uint64_t n = bytes >> bk->page_shift;

	if (!n) {
		log_err("backing store %s: smaller than a page", bk->path);
		return -EINVAL;
	}
	if (n > SM_MAX_SLOTS) {
		log_warn("backing store %s: using the first %llu pages only",
			 bk->path, (ull)SM_MAX_SLOTS);
		n = SM_MAX_SLOTS;
	}
	bk->nslots = n;
	bk->bits = calloc((n + 63) / 64, sizeof(*bk->bits));
	if (!bk->bits) {
		log_err("backing store %s: out of memory for %llu slots",
			bk->path, (ull)n);
		return -ENOMEM;
	}
	return 0;
}

int backing_open(struct backing *bk, const char *path, uint64_t size,
		 uint64_t page_size)
{
	uint64_t bytes = 0;
	int ret;

	memset(bk, 0, sizeof(*bk));
	bk->fd = -1;
	bk->page_size = page_size;
	bk->page_shift = __builtin_ctzll(page_size);
	bk->path = strdup(path);
	if (!bk->path)
		return -ENOMEM;
	ret = prepare_file(bk, size, &bytes);
	if (ret)
		goto fail;
	/* Exclusive: a block device that is mounted is refused (EBUSY). */
	ret = open_store(bk, bk->blockdev ? O_EXCL : 0);
	if (ret < 0)
		goto fail;
	bk->fd = ret;
	if (bk->blockdev) {
		ret = device_bytes(bk, &bytes);
		if (ret)
			goto fail;
	}
	ret = setup_slots(bk, bytes);
	if (ret)
		goto fail;
	log_info("backing store %s: %llu pages (%llu MiB)%s", bk->path,
		 (ull)bk->nslots, (ull)((bk->nslots << bk->page_shift) >> 20),
		 bk->direct ? ", O_DIRECT" : "");
	return 0;
fail:
	backing_close(bk);
	return ret;
}

int backing_adopt(struct backing *bk, int fd, uint64_t pages,
		  uint64_t page_size)
{
	struct stat st;
	int flags, ret;

	backing_close(bk);
	memset(bk, 0, sizeof(*bk));
	bk->fd = fd;
	bk->page_size = page_size;
	bk->page_shift = __builtin_ctzll(page_size);
	bk->path = strdup("(the module's, kept from an earlier pager)");
	if (!bk->path) {
		ret = -ENOMEM;
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		log_err("kept backing store: %s: %s",
			flags < 0 ? "fcntl(F_GETFL)" : "fstat", strerror(errno));
		goto fail;
	}
	bk->direct = flags & O_DIRECT;
	bk->blockdev = S_ISBLK(st.st_mode);
	ret = setup_slots(bk, pages << bk->page_shift);
	if (ret)
		goto fail;
	if (bk->nslots != pages) {
		log_err("kept backing store: %llu pages, more than a record can name",
			(ull)pages);
		ret = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	backing_close(bk);
	return ret;
}

int backing_claim(struct backing *bk, uint64_t slot, bool reserved)
{
	uint64_t bit = 1ULL << (slot % 64);

	if (slot >= bk->nslots || (bk->bits[slot / 64] & bit))
		return -EINVAL;
	bk->bits[slot / 64] |= bit;
	bk->used++;
	if (reserved)
		bk->held_reserved++;
	return 0;
}

void backing_close(struct backing *bk)
{
	if (bk->fd >= 0 && close(bk->fd) < 0)
		log_err("backing store %s: close: %s", bk->path,
			strerror(errno));
	bk->fd = -1;
	free(bk->bits);
	bk->bits = NULL;
	free(bk->path);
	bk->path = NULL;
	bk->nslots = 0;
	bk->used = 0;
}

uint64_t backing_free_slots(const struct backing *bk)
{
	return bk->nslots - bk->used;
}

uint64_t backing_keep_free(const struct backing *bk)
{
	return bk->reserved_pages > bk->held_reserved ?
	       bk->reserved_pages - bk->held_reserved : 0;
}

void backing_set_reserved(struct backing *bk, uint64_t reserved_pages)
{
	bk->reserved_pages = reserved_pages;
}

uint64_t backing_meta_bytes(const struct backing *bk)
{
	return (bk->nslots + 63) / 64 * sizeof(*bk->bits);
}

/* Free slots beyond the promised ones that end a "full" episode. */
static uint64_t backing_hysteresis(const struct backing *bk)
{
	uint64_t h = bk->nslots / 64 + 1;

	return h < 1024 ? h : 1024;
}

/* Say once per episode that page-outs are refused. */
static void backing_refuse(struct backing *bk, bool reserved)
{
	bk->refused++;
	if (bk->full)
		return;
	bk->full = true;
	if (backing_free_slots(bk))
		log_warn("backing store %s: the %llu free pages are promised to reserved objects; dirty pages of other objects stay resident",
			 bk->path, (ull)backing_free_slots(bk));
	else
		log_warn("backing store %s: full (%llu pages); dirty pages stay resident%s",
			 bk->path, (ull)bk->nslots,
			 reserved ? " (even a reserved object's: more was reserved than the store holds?)" : "");
}

/* First clear bit of word @w at or after the rotor, scanning all words. */
static int64_t find_free(struct backing *bk)
{
	uint64_t words = (bk->nslots + 63) / 64, i, w, slot;

	for (i = 0; i < words; i++) {
		w = (bk->rotor + i) % words;
		if (bk->bits[w] == ~0ULL)
			continue;
		slot = w * 64 + __builtin_ctzll(~bk->bits[w]);
		if (slot >= bk->nslots)
			continue;	/* the tail bits of the last word */
		bk->rotor = w;
		return (int64_t)slot;
	}
	return -ENOSPC;
}

int64_t backing_alloc(struct backing *bk, bool reserved)
{
	uint64_t avail = backing_free_slots(bk);
	int64_t slot;

	if (!avail || (!reserved && avail <= backing_keep_free(bk))) {
		backing_refuse(bk, reserved);
		return -ENOSPC;
	}
	slot = find_free(bk);
	if (slot < 0) {
		/* The count says there is one: cannot happen. */
		log_err("backing store %s: %llu slots free but none found",
			bk->path, (ull)avail);
		return slot;
	}
	bk->bits[slot / 64] |= 1ULL << (slot % 64);
	bk->used++;
	if (reserved)
		bk->held_reserved++;
	return slot;
}

void backing_free(struct backing *bk, uint64_t slot, bool reserved)
{
	uint64_t bit = 1ULL << (slot % 64);

	if (slot >= bk->nslots || !(bk->bits[slot / 64] & bit)) {
		log_err("backing store %s: freeing slot %llu, which is not allocated",
			bk->path, (ull)slot);
		return;
	}
	bk->bits[slot / 64] &= ~bit;
	bk->used--;
	if (reserved && bk->held_reserved)
		bk->held_reserved--;
	/*
	 * The episode ends with some room, not with the first slot: at
	 * the edge every scavenge would free one and log twice.
	 */
	if (bk->full && backing_free_slots(bk) >
	    backing_keep_free(bk) + backing_hysteresis(bk)) {
		bk->full = false;
		log_info("backing store %s: room again (%llu pages free)",
			 bk->path, (ull)backing_free_slots(bk));
	}
}
