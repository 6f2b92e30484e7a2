/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the pager counters (enum vmo_pstat), for the module's
 * /proc/vmo/stats (with "pager_" before each) and the pager's own
 * report: one table, included once by each (module/vmo_pager.c,
 * pager/engine.c).  Not part of the uapi.
 */
#ifndef VMO_PSTAT_NAMES_H
#define VMO_PSTAT_NAMES_H

#include <linux/vmo.h>

static const char * const vmo_pstat_names[VMO_PSTAT_NR] = {
	[VMO_PSTAT_FAULTS_MISSING]	= "faults_missing",
	[VMO_PSTAT_FAULTS_MINOR]	= "faults_minor",
	[VMO_PSTAT_PAGES_ZEROED]	= "pages_zeroed",
	[VMO_PSTAT_PAGES_CONTINUED]	= "pages_continued",
	[VMO_PSTAT_RACES]		= "races",
	[VMO_PSTAT_WAKES]		= "wakes",
	[VMO_PSTAT_ERRORS]		= "errors",
	[VMO_PSTAT_EV_UNMAP]		= "events_unmap",
	[VMO_PSTAT_EV_REMAP]		= "events_remap",
	[VMO_PSTAT_EV_REMOVE]		= "events_remove",
	[VMO_PSTAT_EV_FORK]		= "events_fork",
	[VMO_PSTAT_CLIENTS]		= "clients",
	[VMO_PSTAT_CLIENTS_TOTAL]	= "clients_total",
	[VMO_PSTAT_LOOKUPS]		= "lookups",
	[VMO_PSTAT_PAGES_FILE]		= "pages_file",
	[VMO_PSTAT_PAGES_PARENT]	= "pages_parent",
	[VMO_PSTAT_PAGES_SHADOW_ZERO]	= "pages_shadow_zero",
	[VMO_PSTAT_BYTES_READ]		= "bytes_read",
	[VMO_PSTAT_BYTES_WRITTEN]	= "bytes_written",
	[VMO_PSTAT_PAGES_WRITTEN]	= "pages_written",
	[VMO_PSTAT_SYNCS]		= "syncs",
	[VMO_PSTAT_OBJECTS]		= "objects",
	[VMO_PSTAT_PAGES_OUT]		= "pages_out",
	[VMO_PSTAT_PAGES_IN]		= "pages_in",
	[VMO_PSTAT_PAGES_EVICTED]	= "pages_evicted",
	[VMO_PSTAT_BACKING_BYTES_WRITTEN] = "backing_bytes_written",
	[VMO_PSTAT_BACKING_BYTES_READ]	= "backing_bytes_read",
	[VMO_PSTAT_BACKING_SLOTS_USED]	= "backing_slots_used",
	[VMO_PSTAT_BACKING_SLOTS_FREE]	= "backing_slots_free",
	[VMO_PSTAT_BACKING_FULL]	= "backing_full",
	[VMO_PSTAT_SCAVENGE_REQUESTS]	= "scavenge_requests",
	[VMO_PSTAT_SCAVENGE_WANTED]	= "scavenge_wanted",
	[VMO_PSTAT_SCAVENGE_RETURNED]	= "scavenge_returned",
	[VMO_PSTAT_SCAVENGE_LAST_US]	= "scavenge_last_us",
	[VMO_PSTAT_BACKGROUND_PAGES]	= "background_pages",
	[VMO_PSTAT_META_BYTES]		= "meta_bytes",
	[VMO_PSTAT_FAULTS_WP]		= "faults_wp",
	[VMO_PSTAT_FAULTS_SIGBUS]	= "faults_sigbus",
	[VMO_PSTAT_FAULTS_DEFERRED]	= "faults_deferred",
	[VMO_PSTAT_FILE_TIMEOUTS]	= "file_timeouts",
};

#endif /* VMO_PSTAT_NAMES_H */
