// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager headroom (see headroom.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "headroom.h"
#include "log.h"

typedef unsigned long long ull;

/* The value of "@key NNN kB" in @text. */
static int meminfo_field(const char *text, const char *key, uint64_t *kb)
{
	size_t len = strlen(key);
	const char *p = text;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, len)) {
			errno = 0;
			*kb = strtoull(p + len, &end, 10);
			return errno || end == p + len ? -ENOENT : 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int meminfo_parse(const char *text, uint64_t *total_kb, uint64_t *avail_kb)
{
	uint64_t total, avail;

	if (meminfo_field(text, "MemTotal:", &total) ||
	    meminfo_field(text, "MemAvailable:", &avail))
		return -ENOENT;
	*total_kb = total;
	*avail_kb = avail;
	return 0;
}

static uint64_t mib_pages(uint64_t mib, uint64_t page_size)
{
	return (mib << 20) / page_size;
}

/* @pct percent of @total, at least @floor, at most @total / @cap_div. */
static uint64_t pct_floor(uint64_t total, unsigned int pct, uint64_t floor,
			  unsigned int cap_div)
{
	uint64_t v = total * pct / 100;

	if (v < floor)
		v = floor;
	if (v > total / cap_div)
		v = total / cap_div;
	return v;
}

int headroom_set(struct headroom *h, uint64_t total_kb, uint64_t low_mib,
		 uint64_t high_mib, uint64_t page_size)
{
	uint64_t total = total_kb * 1024 / page_size;

	h->page_size = page_size;
	h->low = low_mib == HEADROOM_DEFAULT ?
		 pct_floor(total, HEADROOM_LOW_PCT,
			   mib_pages(HEADROOM_LOW_MIN_MIB, page_size), 4) :
		 mib_pages(low_mib, page_size);
	if (high_mib != HEADROOM_DEFAULT)
		h->high = mib_pages(high_mib, page_size);
	else if (low_mib == HEADROOM_DEFAULT)
		h->high = pct_floor(total, HEADROOM_HIGH_PCT,
				    mib_pages(HEADROOM_HIGH_MIN_MIB, page_size),
				    2);
	else	/* only --low-watermark given: keep the default ratio */
		h->high = h->low * HEADROOM_HIGH_PCT / HEADROOM_LOW_PCT;
	if (h->high < h->low && high_mib == HEADROOM_DEFAULT)
		h->high = h->low;
	if (!h->low || !h->high) {
		h->low = 0;	/* disabled */
		return 0;
	}
	if (h->high < h->low) {
		log_err("--high-watermark (%llu MiB) is below --low-watermark (%llu MiB)",
			(ull)(h->high * page_size >> 20),
			(ull)(h->low * page_size >> 20));
		return -EINVAL;
	}
	return 0;
}

/* Read /proc/meminfo into @buf.  Returns 0 or -errno. */
static int meminfo_read(int fd, char *buf, size_t size)
{
	ssize_t n;

	do {
		n = pread(fd, buf, size - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int headroom_init(struct headroom *h, uint64_t low_mib, uint64_t high_mib,
		  uint64_t page_size)
{
	uint64_t total, avail;
	char buf[8192];
	int ret;

	memset(h, 0, sizeof(*h));
	h->fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (h->fd < 0) {
		ret = -errno;
		log_err("open(/proc/meminfo): %s", strerror(-ret));
		return ret;
	}
	ret = meminfo_read(h->fd, buf, sizeof(buf));
	if (!ret)
		ret = meminfo_parse(buf, &total, &avail);
	if (ret) {
		log_err("/proc/meminfo: no MemTotal/MemAvailable: %s",
			strerror(-ret));
		headroom_exit(h);
		return ret;
	}
	ret = headroom_set(h, total, low_mib, high_mib, page_size);
	if (ret)
		headroom_exit(h);
	return ret;
}

void headroom_exit(struct headroom *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->low = 0;
}

int64_t headroom_available(struct headroom *h)
{
	uint64_t total, avail;
	char buf[8192];
	int ret;

	ret = meminfo_read(h->fd, buf, sizeof(buf));
	if (!ret)
		ret = meminfo_parse(buf, &total, &avail);
	if (ret) {
		/* Would fail every time: say so once and stop looking. */
		log_err("/proc/meminfo: %s; headroom disabled", strerror(-ret));
		headroom_exit(h);
		return ret;
	}
	return (int64_t)(avail * 1024 / h->page_size);
}

uint64_t headroom_credit(const struct headroom *h, uint64_t avail)
{
	return avail > h->low ? avail - h->low : 0;
}

uint64_t headroom_want(const struct headroom *h, uint64_t avail)
{
	uint64_t want;

	if (!h->low || avail >= h->low)
		return 0;
	want = h->high - avail;
	return want < HEADROOM_BATCH ? want : HEADROOM_BATCH;
}
