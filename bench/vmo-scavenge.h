/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-bench part f: giving memory back (bench/vmo-scavenge.c).
 */
#ifndef VMO_BENCH_SCAVENGE_H
#define VMO_BENCH_SCAVENGE_H

#include <stddef.h>

#include "bench.h"
#include "libvmo.h"

struct scav_opts {
	size_t clean_mib;	/* clean pages given back */
	size_t dirty_mib;	/* dirty pages paged out and in */
	unsigned int timeout;	/* seconds per child run */
	const char *scratch;	/* block device for the native side, or NULL */
};

/*
 * Measure vmo's scavenge (clean drop, dirty page-out, page-in) against
 * the kernel's own paths on @o->scratch, adding four rows to @rep.
 * @vmo is the caller's open library handle, @page_size the page size.
 */
void vmo_bench_scavenge(struct vmo_lib *vmo, size_t page_size,
			const struct scav_opts *o, struct bench_report *rep);

#endif /* VMO_BENCH_SCAVENGE_H */
