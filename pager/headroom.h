/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager headroom: keep MemAvailable above a low watermark by giving
 * pages back before the kernel has to ask.
 *
 * The kernel's own requests (the module's shrinker, through the
 * eventfd) come when reclaim is already under way, and the OOM killer
 * was seen firing 51 ms after the first one when nothing was freed at
 * once.  Worse, the pager's own fills allocate store pages: a fill that
 * enters direct reclaim waits for reclaim, which waits for the pager,
 * and the OOM killer ends it (seen in the 256 MiB test VM when the pager
 * looked at memory only every 512 pages filled).  So:
 *
 *  - Fills are gated.  The pager keeps a credit: the pages it may fill
 *    before it must look at MemAvailable again (MemAvailable minus the
 *    low watermark at the last look).  A fill larger than the credit
 *    looks first and, below the low watermark, pages out towards the
 *    high one (HEADROOM_BATCH pages at a time, up to HEADROOM_ROUNDS
 *    batches) before it allocates.  One pread of /proc/meminfo per look;
 *    with plenty of memory a look happens only every few thousand pages.
 *    A client that allocates quickly is slowed to the speed of the
 *    backing store instead of running the machine out of memory.
 *  - In the background a timer (every HEADROOM_TICK_MS) looks too and,
 *    below the low watermark, gives back one batch per tick: memory
 *    taken by others is noticed while no fault comes.
 *
 * A look that frees nothing (nothing left to give) stops the gating
 * until the next tick: no scan per fault when there is no use.  It all
 * runs on the pager's one thread, between and before fills: no second
 * thread, no locking.
 */
#ifndef VMO_PAGER_HEADROOM_H
#define VMO_PAGER_HEADROOM_H

#include <stdbool.h>
#include <stdint.h>

#define HEADROOM_TICK_MS	250
#define HEADROOM_BATCH		1024	/* pages per batch given back */
#define HEADROOM_ROUNDS		8	/* batches a fill may wait for */

/*
 * Default watermarks: a percentage of MemTotal, but at least the floor
 * (at most a quarter of MemTotal for the low one).  MemAvailable counts
 * half the reclaimable slab as available and knows nothing of the
 * kernel's watermark boosts: in the 208 MiB test VM 4% (8 MiB) left too
 * little real memory (one run in ten ended in the OOM killer), 16 MiB
 * did not.
 */
#define HEADROOM_LOW_PCT	4
#define HEADROOM_HIGH_PCT	8
#define HEADROOM_LOW_MIN_MIB	16
#define HEADROOM_HIGH_MIN_MIB	32

/* A watermark option not given on the command line. */
#define HEADROOM_DEFAULT	UINT64_MAX

struct headroom {
	int fd;			/* /proc/meminfo, -1: not open */
	uint64_t page_size;
	uint64_t low;		/* pages; 0: headroom disabled */
	uint64_t high;		/* pages */
	uint64_t credit;	/* pages that may be filled before a look */
};

/*
 * Find "MemTotal:" and "MemAvailable:" (kB) in the text of
 * /proc/meminfo.  Returns 0, or -ENOENT if either is missing.
 */
int meminfo_parse(const char *text, uint64_t *total_kb, uint64_t *avail_kb);

/*
 * Set the watermarks from the options (MiB, or HEADROOM_DEFAULT: a
 * percentage of @total_kb).  A low watermark of 0 disables headroom.
 * Returns 0 or -EINVAL (high below low; logged).
 */
int headroom_set(struct headroom *h, uint64_t total_kb, uint64_t low_mib,
		 uint64_t high_mib, uint64_t page_size);

/*
 * Open /proc/meminfo and set the watermarks.  Returns 0, or -errno
 * (logged) if it cannot be read.
 */
int headroom_init(struct headroom *h, uint64_t low_mib, uint64_t high_mib,
		  uint64_t page_size);

void headroom_exit(struct headroom *h);

/* MemAvailable in pages, or -errno (logged once). */
int64_t headroom_available(struct headroom *h);

/*
 * Pages to give back now, given MemAvailable @avail pages: 0 above the
 * low watermark, else up to the high one, at most HEADROOM_BATCH.
 */
uint64_t headroom_want(const struct headroom *h, uint64_t avail);

/* Pages that may be filled before the next look, given @avail. */
uint64_t headroom_credit(const struct headroom *h, uint64_t avail);

#endif /* VMO_PAGER_HEADROOM_H */
