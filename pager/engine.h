/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager fault engine: serves the userfaultfd messages of one client
 * at a time.  It knows nothing of /dev/vmo: the daemon plugs the module's
 * VMO_IOC_PAGER_LOOKUP in as the lookup callback and VMO_IOC_PAGER_OBJECT
 * and VMO_IOC_PAGER_CLEAN as the object callbacks (objects.h), the host
 * tests plug stubs, and both drive the same code.
 */
#ifndef VMO_PAGER_ENGINE_H
#define VMO_PAGER_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/userfaultfd.h>
#include <linux/vmo.h>

#include "maptable.h"
#include "objects.h"

/* Largest --cluster: pages filled by one UFFDIO_ZEROPAGE or UFFDIO_COPY. */
#define ENGINE_CLUSTER_MAX	512
#define ENGINE_CLUSTER_DEFAULT	256

/*
 * Pages of the aligned block a file fill covers at least: what the
 * kernel's fault-around maps of a file's page cache (fault_around_bytes,
 * 64 KiB by default).
 */
#define ENGINE_FILE_BLOCK	16

/* Messages read from a uffd per read(2). */
#define ENGINE_BATCH		64

/* The counters published with VMO_IOC_PAGER_STATS, same layout. */
struct vmo_counters {
	uint64_t c[VMO_PSTAT_SLOTS];
};

struct engine_client {
	int uffd;		/* the client's userfaultfd, O_NONBLOCK */
	uint64_t id;		/* the module's client id */
	uint32_t pid;		/* the client's tgid, for messages */
	struct maptable mt;
	bool warned_unmapped;	/* "fault outside any object" was logged */
	bool warned_kind;	/* "object kind not served" was logged */
};

struct engine_ctx;

/*
 * Called before a fill that may allocate up to @pages pages in a store
 * (MISSING fault).  The daemon gives pages back here when memory is
 * short: the fill's own allocation must never need reclaim, which would
 * wait for this very thread.  May run engine_scavenge().
 */
typedef void (*engine_fill_gate_fn)(struct engine_ctx *ctx, uint64_t pages);

/*
 * Where the engine asks what is mapped at @addr of client @c when its
 * table has nothing.  Fills @out and returns 0, or returns -ENOENT (no
 * object mapped there), -ESRCH (client or address space gone) or
 * another -errno.
 */
typedef int (*engine_lookup_fn)(struct engine_ctx *ctx,
				struct engine_client *c, uint64_t addr,
				struct vmo_range *out);

/*
 * Ends thread @tid's fault at @addr of client @c with SIGBUS (the
 * daemon: VMO_IOC_PAGER_SIGBUS); the engine wakes it after.  Returns 0
 * or -errno.
 */
typedef int (*engine_sigbus_fn)(struct engine_ctx *ctx,
				struct engine_client *c, uint64_t addr,
				uint32_t tid);

/*
 * Faults whose fill failed for a reason that may pass (no memory, no
 * free fd): woken ENGINE_RETRY_MS later, all of them together, so the
 * thread and the pager do not retry in a busy loop while it lasts.
 */
#define ENGINE_RETRY_MS		20
#define ENGINE_DEFERRED_MAX	256

struct engine_deferred {
	struct engine_client *c;
	uint64_t addr;
};

struct engine_ctx {
	struct vmo_counters ctr;
	struct engine_deferred deferred[ENGINE_DEFERRED_MAX];
	unsigned int ndeferred;
	uint64_t deferred_due;	/* CLOCK_MONOTONIC ns, when ndeferred */
	unsigned int cluster;	/* most pages per demand-zero fill */
	uint64_t page_size;
	engine_lookup_fn lookup;	/* NULL: the table is all there is */
	void *lookup_arg;		/* for the callback */
	struct objcache objs;	/* objects opened for file and shadow fills */
	engine_fill_gate_fn fill_gate;	/* NULL: fills are not gated */
	void *gate_arg;		/* for the callback */
	engine_sigbus_fn sigbus;	/* NULL: unservable faults wait */
	uint32_t fault_tid;	/* the fault being served: its thread, or 0 */
};

/* Returns 0 or -ENOMEM. */
int engine_init(struct engine_ctx *ctx, unsigned int cluster,
		engine_lookup_fn lookup, void *lookup_arg);

/*
 * Where file and shadow objects come from.  Without these (the default)
 * only anonymous objects are served.  Without @evict nothing is ever
 * given back (no pages are tracked).
 */
void engine_set_objects(struct engine_ctx *ctx, objcache_open_fn open,
			objcache_clean_fn clean, objcache_evict_fn evict,
			void *arg);

/*
 * Page dirty pages out to @bk, which must outlive the engine (NULL, the
 * default: none; then only clean pages are given back, and shared file
 * objects' dirty ones after writing them to their files).  Set it
 * before serving: anonymous objects are tracked only with a store.
 */
void engine_set_backing(struct engine_ctx *ctx, struct backing *bk);

/*
 * Give back up to @want pages (a scavenge request, or headroom):
 * victims by CLOCK, dirty ones written first (paging.h; @short_of_memory
 * puts last what needs memory to go).  Returns the pages dropped from
 * the stores.
 */
uint64_t engine_scavenge(struct engine_ctx *ctx, uint64_t want,
			 bool short_of_memory);

/* End faults that can never be served through @fn (NULL: they wait). */
void engine_set_sigbus(struct engine_ctx *ctx, engine_sigbus_fn fn);

/* Gate every fill through @gate (NULL: none). */
void engine_set_fill_gate(struct engine_ctx *ctx, engine_fill_gate_fn gate,
			  void *arg);

/* Refresh the gauges: BACKING_SLOTS_USED/FREE, META_BYTES. */
void engine_update_gauges(struct engine_ctx *ctx);

/*
 * Keep the module's copy of the page records with @record (the daemon;
 * NULL on the host): paging.h.  Set it with the object callbacks.
 */
void engine_set_records(struct engine_ctx *ctx, objcache_record_fn record);

/*
 * Take over the records an earlier pager left with the module, after
 * attaching and adopting its backing store.  *@adopted: records taken.
 * Returns 0 or -errno (logged).
 */
int engine_adopt_records(struct engine_ctx *ctx, uint64_t *adopted);

/* The module has punched records for us (VMO_EV_RECORDS_FREED). */
void engine_records_freed(struct engine_ctx *ctx);

/* Close every object the engine opened and free its buffers. */
void engine_destroy(struct engine_ctx *ctx);

/*
 * Write object @obj_id back (VMO_EV_SYNC, or the final write-back of a
 * VMO_EV_OBJ_GONE with VMO_EV_ACK): its dirty pages to its file, then
 * fdatasync.  Objects that are not shared file objects have nothing to
 * write.  *@pages: pages written.  Returns 0 or -errno (logged).
 */
int engine_sync(struct engine_ctx *ctx, uint64_t obj_id, uint64_t *pages);

/* Object @obj_id was freed (VMO_EV_OBJ_GONE): close its fds, if open. */
void engine_object_gone(struct engine_ctx *ctx, uint64_t obj_id);

/*
 * Only the objects @ids (@n, ascending) exist: forget the others (their
 * VMO_EV_OBJ_GONE was lost), freeing their slots.  Returns how many.
 */
size_t engine_objects_exist(struct engine_ctx *ctx, const uint64_t *ids,
			    size_t n);

/* Take over @uffd (already O_NONBLOCK) for client @id. */
void engine_client_init(struct engine_client *c, const struct engine_ctx *ctx,
			int uffd, uint64_t id, uint32_t pid);

/* Close the client's uffd, free its table, forget its deferred wakes. */
void engine_client_destroy(struct engine_ctx *ctx, struct engine_client *c);

/*
 * Milliseconds until deferred wakes are due (0: now), -1 if there are
 * none: the longest the caller may wait before engine_wake_deferred().
 */
int engine_deferred_timeout(const struct engine_ctx *ctx);

/* Wake the deferred faults if they are due. */
void engine_wake_deferred(struct engine_ctx *ctx);

/*
 * Handle one message read from @c's uffd.  Failed resolves are counted
 * and logged, not returned: the return value is 0, or -ENOMEM when the
 * table could not be updated (served anyway, through lookups).
 */
int engine_handle_msg(struct engine_ctx *ctx, struct engine_client *c,
		      const struct uffd_msg *msg);

/*
 * Read and handle the messages pending on @c's uffd.  Returns how many
 * were handled, -EINTR when a read was interrupted by a signal (the
 * daemon's read guard: the read blocked, see pager/main.c), or another
 * -errno when the uffd cannot be read any more and the client should be
 * dropped.
 */
int engine_drain(struct engine_ctx *ctx, struct engine_client *c);

/*
 * UFFDIO_WAKE over [start, start + len).  Counts WAKES when sent.
 * Returns 0 or -errno (not logged: the caller knows which are expected).
 */
int engine_wake(struct engine_ctx *ctx, struct engine_client *c,
		uint64_t start, uint64_t len);

/*
 * "faults_missing", ...: the names /proc/vmo/stats shows (there with a
 * "pager_" prefix), or NULL.
 */
const char *engine_counter_name(unsigned int idx);

/* One "name value" line per counter. */
void engine_print_counters(const struct vmo_counters *ctr, FILE *f);

#endif /* VMO_PAGER_ENGINE_H */
