/* SPDX-License-Identifier: GPL-2.0 */
/* vmo-pager: CLOCK_MONOTONIC time, for deadlines and timeouts. */
#ifndef VMO_PAGER_CLOCK_H
#define VMO_PAGER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Ms until @deadline (clock_now_ns() time), rounded up; 0 once passed. */
static inline int clock_ms_until(uint64_t deadline)
{
	uint64_t now = clock_now_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999ULL) / 1000000ULL);
}

#endif /* VMO_PAGER_CLOCK_H */
