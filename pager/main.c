// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager: the user-space pager of /dev/vmo.
 *
 * It attaches to the module as the pager, receives each client's
 * userfaultfd through the session's event queue and serves every fault
 * on every object mapping.  One thread, one epoll loop: the session fd
 * (module events), a signalfd (SIGTERM/SIGINT: exit, SIGUSR1: print the
 * counters), one fd per client, the eventfd on which the module asks
 * for pages back (scavenge requests) and a timerfd for the headroom
 * check (headroom.h).  Objects are opened (VMO_IOC_PAGER_OBJECT) when a
 * fault or a write-back first needs them and closed when the module
 * reports them gone.
 *
 * Giving pages back (engine_scavenge(), paging.h) runs between fault
 * batches, at most SCAVENGE_CHUNK pages at a time: a big request is
 * spread over several loop iterations so that faults keep being served
 * meanwhile.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <linux/vmo.h>

#include "backing.h"
#include "clock.h"
#include "engine.h"
#include "headroom.h"
#include "log.h"

/* Counters reach /proc/vmo/stats at most this often (and then soon). */
#define STATS_INTERVAL_MS	20

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Top of the user address space on x86-64 with 4-level page tables. */
#define USER_ADDR_END		0x7ffffffff000ULL
/* Wake-all start if /proc/sys/vm/mmap_min_addr cannot be read. */
#define WAKE_START_DEFAULT	65536ULL

#define MAX_EPOLL_EVENTS	64

/* Most pages given back for scavenge requests per loop iteration. */
#define SCAVENGE_CHUNK		1024

#define VMO_STATS_PATH		"/proc/vmo/stats"
#define VMO_OBJECTS_PATH	"/proc/vmo/objects"

typedef unsigned long long ull;

/* What an epoll event points at. */
enum source_type { SRC_SESSION, SRC_SIGNAL, SRC_CLIENT, SRC_SCAVENGE,
		   SRC_TIMER };

struct source {
	enum source_type type;
};

struct client {
	struct source src;
	struct engine_client ec;
	struct client *next;
	bool dead;		/* dropped, freed at the end of the iteration */
	unsigned int blocked;	/* reads the read guard had to end */
};

/*
 * The read guard: a client's uffd is the client's own open file, so it
 * shares O_NONBLOCK with the pager and can clear it; a read() of it may
 * then block (a client that reads its own uffd can take the message the
 * pager was woken for).  So every drain runs under a one-shot timer
 * signal aimed at this thread: a read blocked for READ_GUARD_SECS is
 * interrupted (EINTR), O_NONBLOCK is set again, and a client that does
 * it READ_GUARD_STRIKES times is dropped.
 */
/* The fewest fds --max-fds allows: stdio, epoll, signalfd, ... */
#define PAGER_MIN_FDS		16

/* How long the session is not read when no fd is left (mute_session()). */
#define SESSION_MUTE_MS		1000

#define READ_GUARD_SECS		1
#define READ_GUARD_STRIKES	3

struct pager {
	const char *device;
	int session;
	int sigfd;
	int epfd;
	struct engine_ctx eng;
	struct client *clients;		/* being served */
	struct client *graveyard;	/* dropped in this iteration */
	struct vmo_counters reported;	/* last sent to the module */
	uint64_t reported_ns;		/* when (CLOCK_MONOTONIC) */
	bool stats_failed;		/* a report failed: log once */
	bool attached;
	bool backing_busy;	/* --backing was busy: the module's? */			/* we are the module's pager */
	bool quit;
	uint64_t wake_start;
	/* Paging */
	int efd;			/* scavenge requests (eventfd) */
	int tfd;			/* headroom timer, -1: none */
	const char *backing_path;	/* --backing, or NULL */
	uint64_t backing_size;		/* --backing-size, 0: all */
	struct backing bk;		/* fd -1: no backing store */
	bool background;		/* headroom on */
	uint64_t low_mib, high_mib;	/* --low/--high-watermark */
	struct headroom hr;
	uint64_t scav_pending;		/* pages asked, not given back */
	struct timespec scav_start;	/* when the oldest was asked */
	bool stats_read_failed;		/* module stats unreadable: logged */
	long long events_dropped;	/* module's at last look, or -1 */
	timer_t guard;			/* the read guard (see struct client) */
	uint64_t session_muted_until;	/* ns: no fd for a client, wait */
	rlim_t max_fds;			/* --max-fds, 0: all we may */
};

static struct source session_src = { .type = SRC_SESSION };
static struct source signal_src = { .type = SRC_SIGNAL };
static struct source scavenge_src = { .type = SRC_SCAVENGE };
static struct source timer_src = { .type = SRC_TIMER };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmo-pager [options]\n"
		"Serve the page faults of /dev/vmo objects.\n"
		"\n"
		"  -d, --device PATH  the vmo device (default /dev/vmo)\n"
		"  -c, --cluster N    most pages per zero or file fill, 1..%u (default %u)\n"
		"  -b, --backing PATH backing store for paging out dirty pages: a file\n"
		"                     (created if missing) or a block device (default:\n"
		"                     none; then only clean pages are given back, and\n"
		"                     shared file objects' dirty pages after writing them\n"
		"                     to their files)\n"
		"      --backing-size BYTES  use this much of it (suffix K, M, G, T;\n"
		"                     default: the file's or device's size; a new file\n"
		"                     gets %llu MiB)\n"
		"      --low-watermark MiB   page out when MemAvailable drops below this\n"
		"                     (default %u%% of MemTotal, at least %u MiB; 0: never)\n"
		"      --high-watermark MiB  ... until it is back above this (default %u%%,\n"
		"                     at least %u MiB)\n"
		"      --no-background  no headroom: give pages back only when asked\n"
		"      --max-fds N    open at most N fds (default: as many as the system\n"
		"                     allows; one per client, up to two per open object)\n"
		"  -v, --verbose      more messages (repeat for debug)\n"
		"  -q, --quiet        errors only\n"
		"  -h, --help         this text\n"
		"\n"
		"SIGUSR1 prints the counters on stderr; SIGTERM or SIGINT stop the pager\n"
		"(after putting paged-out pages back into their objects).\n",
		ENGINE_CLUSTER_MAX, ENGINE_CLUSTER_DEFAULT,
		BACKING_DEFAULT_SIZE >> 20, HEADROOM_LOW_PCT,
		HEADROOM_LOW_MIN_MIB, HEADROOM_HIGH_PCT, HEADROOM_HIGH_MIN_MIB);
}

/* Long options without a short one. */
enum {
	OPT_BACKING_SIZE = 256,
	OPT_LOW_WATERMARK,
	OPT_HIGH_WATERMARK,
	OPT_NO_BACKGROUND,
	OPT_MAX_FDS,
};

/* A watermark in MiB.  Returns 0, or 2 after saying why. */
static int parse_mib(const char *opt, const char *arg, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *arg == '-' || v > (1ULL << 40)) {
		log_err("--%s: '%s' is not a number of MiB", opt, arg);
		return 2;
	}
	*out = v;
	return 0;
}

/* Options of the paging side.  Returns 0, or 2 after saying why. */
static int parse_paging_opt(int opt, struct pager *p)
{
	switch (opt) {
	case 'b':
		if (!*optarg) {
			log_err("--backing: empty path");
			return 2;
		}
		p->backing_path = optarg;
		return 0;
	case OPT_BACKING_SIZE:
		if (backing_parse_size(optarg, &p->backing_size) ||
		    !p->backing_size) {
			log_err("--backing-size: '%s' is not a size in bytes (suffix K, M, G, T allowed)",
				optarg);
			return 2;
		}
		return 0;
	case OPT_LOW_WATERMARK:
		return parse_mib("low-watermark", optarg, &p->low_mib);
	case OPT_HIGH_WATERMARK:
		return parse_mib("high-watermark", optarg, &p->high_mib);
	case OPT_NO_BACKGROUND:
		p->background = false;
		return 0;
	}
	return 2;
}

/* Returns 0, or 2 (usage error) after saying why. */
static int parse_args(int argc, char **argv, struct pager *p,
		      unsigned int *cluster)
{
	static const struct option opts[] = {
		{ "device",  required_argument, NULL, 'd' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "backing", required_argument, NULL, 'b' },
		{ "backing-size", required_argument, NULL, OPT_BACKING_SIZE },
		{ "low-watermark", required_argument, NULL, OPT_LOW_WATERMARK },
		{ "high-watermark", required_argument, NULL, OPT_HIGH_WATERMARK },
		{ "no-background", no_argument, NULL, OPT_NO_BACKGROUND },
		{ "max-fds", required_argument, NULL, OPT_MAX_FDS },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long val;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:c:b:vqh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
		case OPT_BACKING_SIZE:
		case OPT_LOW_WATERMARK:
		case OPT_HIGH_WATERMARK:
		case OPT_NO_BACKGROUND:
			if (parse_paging_opt(opt, p))
				return 2;
			break;
		case 'd':
			if (!*optarg) {
				log_err("--device: empty path");
				return 2;
			}
			p->device = optarg;
			break;
		case 'c':
			errno = 0;
			val = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    val < 1 || val > ENGINE_CLUSTER_MAX) {
				log_err("--cluster: '%s' is not a number of pages in 1..%u",
					optarg, ENGINE_CLUSTER_MAX);
				return 2;
			}
			*cluster = val;
			break;
		case OPT_MAX_FDS:
			errno = 0;
			val = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    val < PAGER_MIN_FDS || val > INT_MAX) {
				log_err("--max-fds: '%s' is not a number of fds in %d..%d",
					optarg, PAGER_MIN_FDS, INT_MAX);
				return 2;
			}
			p->max_fds = val;
			break;
		case 'v':
			if (vlog_level < VLOG_DEBUG)
				vlog_level++;
			break;
		case 'q':
			vlog_level = VLOG_ERROR;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			/* getopt_long already said what was wrong. */
			return 2;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (p->backing_size && !p->backing_path) {
		log_err("--backing-size without --backing");
		return 2;
	}
	if (p->low_mib != HEADROOM_DEFAULT && p->high_mib != HEADROOM_DEFAULT &&
	    p->low_mib && p->high_mib < p->low_mib) {
		log_err("--high-watermark (%llu MiB) is below --low-watermark (%llu MiB)",
			(ull)p->high_mib, (ull)p->low_mib);
		return 2;
	}
	return 0;
}

/*
 * Start of the range woken for a new client: the lowest address a
 * process can map.  Newer kernels refuse ranges below mmap_min_addr.
 */
static uint64_t wake_start(void)
{
	unsigned long long v;
	uint64_t ps = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");
	int n = 0;

	if (f) {
		n = fscanf(f, "%llu", &v);
		fclose(f);
	}
	if (n != 1 || v >= USER_ADDR_END / 2) {
		log_debug("/proc/sys/vm/mmap_min_addr unreadable, waking from %#llx",
			  WAKE_START_DEFAULT);
		return WAKE_START_DEFAULT;
	}
	return (v + ps - 1) & ~(ps - 1);
}

/* A request on the pager's session, retried on EINTR: 0 or -errno. */
static int session_ioctl(struct pager *p, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(p->session, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* engine_lookup_fn: ask the module what client @c maps at @addr. */
static int pager_lookup(struct engine_ctx *ctx, struct engine_client *c,
			uint64_t addr, struct vmo_range *out)
{
	struct pager *p = ctx->lookup_arg;
	struct vmo_lookup lk;
	int ret;

	memset(&lk, 0, sizeof(lk));
	lk.client_id = c->id;
	lk.addr = addr;
	ret = session_ioctl(p, VMO_IOC_PAGER_LOOKUP, &lk);
	if (ret) {
		if (ret != -ENOENT && ret != -ESRCH && ret != -ENXIO)
			log_err("VMO_IOC_PAGER_LOOKUP(client %llu, %#llx): %s",
				(ull)c->id, (ull)addr, strerror(-ret));
		return ret;
	}
	out->start = lk.start;
	out->end = lk.end;
	out->pgoff = lk.pgoff;
	out->obj_id = lk.obj_id;
	out->obj_size = lk.obj_size;
	out->kind = lk.kind;
	out->flags = lk.flags;
	return 0;
}

/* engine_sigbus_fn: VMO_IOC_PAGER_SIGBUS. */
static int pager_sigbus(struct engine_ctx *ctx, struct engine_client *c,
			uint64_t addr, uint32_t tid)
{
	struct pager *p = ctx->lookup_arg;
	struct vmo_pager_sigbus req = {
		.client_id = c->id,
		.addr = addr,
		.tid = tid,
	};
	int ret = session_ioctl(p, VMO_IOC_PAGER_SIGBUS, &req);

	if (ret)
		log_err("VMO_IOC_PAGER_SIGBUS(client %llu, thread %u, %#llx): %s",
			(ull)c->id, tid, (ull)addr, strerror(-ret));
	return ret;
}

/* objcache_open_fn: VMO_IOC_PAGER_OBJECT. */
static int pager_object(void *arg, uint64_t id, struct vmo_pager_object *out)
{
	struct pager *p = arg;
	int ret;

	memset(out, 0, sizeof(*out));
	out->obj_id = id;
	ret = session_ioctl(p, VMO_IOC_PAGER_OBJECT, out);
	if (ret) {
		if (ret != -ENOENT)
			log_err("VMO_IOC_PAGER_OBJECT(object %llu): %s%s",
				(ull)id, strerror(-ret),
				ret == -EMFILE || ret == -ENFILE ?
				" (out of fds; raise the fd limit)" : "");
		out->store_fd = VMO_NO_FD;
		out->src_fd = VMO_NO_FD;
		return ret;
	}
	return 0;
}

/* objcache_clean_fn: VMO_IOC_PAGER_CLEAN. */
static int pager_clean(void *arg, const struct pobj *o, uint64_t first,
		       uint64_t npages, uint32_t flags, uint64_t *bitmap,
		       uint64_t *dirty)
{
	struct pager *p = arg;
	struct vmo_pager_clean cl;
	int ret;

	memset(&cl, 0, sizeof(cl));
	cl.store_fd = (uint32_t)o->store_fd;
	cl.flags = flags;
	cl.first = first;
	cl.npages = npages;
	cl.bitmap = (uint64_t)(uintptr_t)bitmap;
	ret = session_ioctl(p, VMO_IOC_PAGER_CLEAN, &cl);
	if (ret) {
		log_err("VMO_IOC_PAGER_CLEAN(object %llu, pages %llu+%llu): %s",
			(ull)o->id, (ull)first, (ull)npages, strerror(-ret));
		return ret;
	}
	*dirty = cl.dirty;
	return 0;
}

/* objcache_evict_fn: VMO_IOC_PAGER_EVICT. */
static int pager_evict(void *arg, const struct pobj *o, uint64_t first,
		       uint64_t npages, uint64_t *bitmap, uint64_t *dropped)
{
	struct pager *p = arg;
	struct vmo_pager_evict ev;
	int ret;

	memset(&ev, 0, sizeof(ev));
	ev.store_fd = (uint32_t)o->store_fd;
	ev.first = first;
	ev.npages = npages;
	ev.bitmap = (uint64_t)(uintptr_t)bitmap;
	ret = session_ioctl(p, VMO_IOC_PAGER_EVICT, &ev);
	if (ret) {
		log_err("VMO_IOC_PAGER_EVICT(object %llu, pages %llu+%llu): %s",
			(ull)o->id, (ull)first, (ull)npages, strerror(-ret));
		return ret;
	}
	*dropped = ev.dropped;
	return 0;
}

/* objcache_record_fn: VMO_IOC_PAGER_RECORD. */
static int pager_record(void *arg, struct vmo_pager_record *req)
{
	static const char * const ops[] = {
		[VMO_RECORD_GET] = "GET", [VMO_RECORD_SET] = "SET",
		[VMO_RECORD_LIST] = "LIST", [VMO_RECORD_FREED] = "FREED",
		[VMO_RECORD_FILLED] = "FILLED",
	};
	struct pager *p = arg;
	int ret;

	ret = session_ioctl(p, VMO_IOC_PAGER_RECORD, req);
	if (ret) {
		/* A page-in refused during a punch: the caller's to handle. */
		if (ret == -EAGAIN && (req->flags & VMO_RECORD_FILL))
			return ret;
		log_err("VMO_IOC_PAGER_RECORD(%s, object %llu, pages %llu+%llu): %s",
			req->op < sizeof(ops) / sizeof(ops[0]) && ops[req->op] ?
			ops[req->op] : "?", (ull)req->obj_id, (ull)req->first,
			(ull)req->npages, strerror(-ret));
		return ret;
	}
	return 0;
}

static void report_stats(struct pager *p)
{
	struct vmo_pager_stats st;
	int ret;

	/* Slots from VMO_PSTAT_NR on are reserved and must be 0. */
	memset(&st, 0, sizeof(st));
	memcpy(st.counters, p->eng.ctr.c, VMO_PSTAT_NR * sizeof(st.counters[0]));
	ret = session_ioctl(p, VMO_IOC_PAGER_STATS, &st);
	if (ret) {
		/* Once: a module refusing them would refuse every time. */
		if (!p->stats_failed)
			log_warn("VMO_IOC_PAGER_STATS: %s (further failures not logged)",
				 strerror(-ret));
		p->stats_failed = true;
	}
	/* Remember even on failure: retrying every loop would not help. */
	p->reported = p->eng.ctr;
}

/*
 * Publishes changed counters at most every STATS_INTERVAL_MS: an ioctl
 * per fault batch would cost as much as the batch itself.  Returns the
 * epoll timeout the loop should use: when something changed but was not
 * published yet, wake up once to publish it.
 */
static int report_stats_if_changed(struct pager *p)
{
	uint64_t now, due;

	if (!memcmp(&p->reported, &p->eng.ctr, sizeof(p->reported)))
		return -1;
	now = clock_now_ns();
	due = p->reported_ns + STATS_INTERVAL_MS * 1000000ULL;
	if (now < due)
		return (int)((due - now) / 1000000ULL) + 1;
	report_stats(p);
	p->reported_ns = now;
	return -1;
}

static struct client *find_client(struct pager *p, uint64_t id)
{
	struct client *c;

	for (c = p->clients; c; c = c->next)
		if (c->ec.id == id)
			return c;
	return NULL;
}

/*
 * Stop serving @c: its uffd is closed at once (so the module's is the
 * only reference left), its memory freed at the end of the iteration
 * (the epoll events of this iteration may still point at it).
 */
static void drop_client(struct pager *p, struct client *c, const char *why)
{
	struct client **pp;

	for (pp = &p->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	log_info("client %llu (pid %u): %s", (ull)c->ec.id, c->ec.pid, why);
	if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->ec.uffd, NULL) < 0)
		log_err("epoll_ctl(DEL, client %llu): %s", (ull)c->ec.id,
			strerror(errno));
	engine_client_destroy(&p->eng, &c->ec);
	c->dead = true;
	c->next = p->graveyard;
	p->graveyard = c;
	p->eng.ctr.c[VMO_PSTAT_CLIENTS]--;
}

static void free_graveyard(struct pager *p)
{
	while (p->graveyard) {
		struct client *c = p->graveyard;

		p->graveyard = c->next;
		free(c);
	}
}

/*
 * A previous pager may have read fault messages and died before serving
 * them, leaving threads asleep that no message will ever name again:
 * wake every thread of the client so they fault anew.
 */
static void wake_all(struct pager *p, struct client *c)
{
	uint64_t start = p->wake_start;
	int ret = engine_wake(&p->eng, &c->ec, start, USER_ADDR_END - start);

	if (ret == -EINVAL && start < WAKE_START_DEFAULT) {
		/* The kernel's floor (LSM mmap_min_addr) is above the sysctl. */
		start = WAKE_START_DEFAULT;
		ret = engine_wake(&p->eng, &c->ec, start,
				  USER_ADDR_END - start);
	}
	if (ret && ret != -ENOENT && ret != -ESRCH)
		log_err("client %llu: UFFDIO_WAKE [%#llx, %#llx): %s",
			(ull)c->ec.id, (ull)start, USER_ADDR_END,
			strerror(-ret));
}

static void client_new(struct pager *p, const struct vmo_event *ev)
{
	int uffd = (int)ev->uffd, flags;
	struct epoll_event eev;
	struct client *c, *old;

	old = find_client(p, ev->client_id);
	if (old)
		drop_client(p, old, "replaced by a new uffd for the same id");

	/* Without O_NONBLOCK a uffd polls as EPOLLERR and reads block. */
	flags = fcntl(uffd, F_GETFL);
	if (flags < 0 || fcntl(uffd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_err("client %llu: fcntl(uffd %d, O_NONBLOCK): %s",
			(ull)ev->client_id, uffd, strerror(errno));
		close(uffd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_err("client %llu: out of memory", (ull)ev->client_id);
		close(uffd);
		return;
	}
	c->src.type = SRC_CLIENT;
	engine_client_init(&c->ec, &p->eng, uffd, ev->client_id, ev->pid);

	memset(&eev, 0, sizeof(eev));
	eev.events = EPOLLIN;
	eev.data.ptr = &c->src;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, uffd, &eev) < 0) {
		log_err("client %llu: epoll_ctl(ADD, uffd %d): %s",
			(ull)ev->client_id, uffd, strerror(errno));
		engine_client_destroy(&p->eng, &c->ec);
		free(c);
		return;
	}
	c->next = p->clients;
	p->clients = c;
	p->eng.ctr.c[VMO_PSTAT_CLIENTS]++;
	p->eng.ctr.c[VMO_PSTAT_CLIENTS_TOTAL]++;
	log_info("client %llu (pid %u): serving, uffd %d", (ull)ev->client_id,
		 ev->pid, uffd);
	wake_all(p, c);
}

static void client_map(struct pager *p, const struct vmo_event *ev)
{
	struct client *c = find_client(p, ev->client_id);
	struct vmo_range r;
	int ret;

	if (!c) {
		log_debug("map event for unknown client %llu", (ull)ev->client_id);
		return;
	}
	if (ev->addr + ev->len <= ev->addr) {
		log_warn("client %llu: map event with bad range %#llx+%#llx",
			 (ull)ev->client_id, (ull)ev->addr, (ull)ev->len);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.start = ev->addr;
	r.end = ev->addr + ev->len;
	r.pgoff = ev->pgoff;
	r.obj_id = ev->obj_id;
	r.obj_size = ev->obj_size;
	r.kind = ev->kind;
	r.flags = ev->flags;
	ret = maptable_insert(&c->ec.mt, &r);
	if (ret)
		log_warn("client %llu: map [%#llx, %#llx) of object %llu not cached: %s",
			 (ull)ev->client_id, (ull)r.start, (ull)r.end,
			 (ull)r.obj_id, strerror(-ret));
	else
		log_debug("client %llu: map [%#llx, %#llx) object %llu kind %u pgoff %llu",
			  (ull)ev->client_id, (ull)r.start, (ull)r.end,
			  (ull)r.obj_id, r.kind, (ull)r.pgoff);
}

/* Complete request @ev->seq: @err is 0 or -errno. */
static void send_done(struct pager *p, const struct vmo_event *ev, int err,
		      uint64_t pages)
{
	struct vmo_pager_done done;
	int ret;

	memset(&done, 0, sizeof(done));
	done.seq = ev->seq;
	done.error = (uint32_t)-err;
	done.pages = pages;
	ret = session_ioctl(p, VMO_IOC_PAGER_DONE, &done);
	if (ret == -ENOENT)
		/* The requester gave up (a signal): nothing to tell. */
		log_info("object %llu: request %llu no longer awaited",
			 (ull)ev->obj_id, (ull)ev->seq);
	else if (ret)
		log_err("VMO_IOC_PAGER_DONE(object %llu, request %llu): %s",
			(ull)ev->obj_id, (ull)ev->seq, strerror(-ret));
}

/*
 * Write the object back and answer.  The pager does nothing else
 * meanwhile: faults wait until the write-back is done.
 */
static int object_sync(struct pager *p, const struct vmo_event *ev,
		       const char *what)
{
	uint64_t pages = 0;
	int ret = engine_sync(&p->eng, ev->obj_id, &pages);

	if (ret)
		log_warn("object %llu: %s failed after %llu pages: %s",
			 (ull)ev->obj_id, what, (ull)pages, strerror(-ret));
	else
		log_debug("object %llu: %s: %llu pages", (ull)ev->obj_id, what,
			  (ull)pages);
	send_done(p, ev, ret, pages);
	return ret;
}

/*
 * A shared file object's last user went: the module keeps its store
 * until it is written back (VMO_EV_ACK).  Then, or at once for any
 * other object, its fds are closed.  A failed final write-back leaves
 * the object with the module, which asks again later: it stays open
 * here too, with whatever it holds.
 */
static void object_gone(struct pager *p, const struct vmo_event *ev)
{
	log_debug("object %llu gone%s", (ull)ev->obj_id,
		  ev->flags & VMO_EV_ACK ? ", final write-back" : "");
	if ((ev->flags & VMO_EV_ACK) &&
	    object_sync(p, ev, "final write-back"))
		return;
	engine_object_gone(&p->eng, ev->obj_id);
}

static void handle_event(struct pager *p, const struct vmo_event *ev)
{
	struct client *c;

	switch (ev->type) {
	case VMO_EV_CLIENT_NEW:
		client_new(p, ev);
		break;
	case VMO_EV_CLIENT_GONE:
		c = find_client(p, ev->client_id);
		if (c)
			drop_client(p, c, "gone");
		else
			log_debug("gone event for unknown client %llu",
				  (ull)ev->client_id);
		break;
	case VMO_EV_MAP:
		client_map(p, ev);
		break;
	case VMO_EV_OBJ_GONE:
		object_gone(p, ev);
		break;
	case VMO_EV_SYNC:
		object_sync(p, ev, "sync");
		break;
	case VMO_EV_RECORDS_FREED:
		engine_records_freed(&p->eng);
		break;
	default:
		log_warn("unknown module event type %u", ev->type);
		break;
	}
}

/* Read module events until none is left.  Returns 0, or -1 if fatal. */
/* Listen to the session (again), or not. */
static int session_listen(struct pager *p, bool on)
{
	struct epoll_event eev = { .events = on ? EPOLLIN : 0,
				   .data.ptr = &session_src };

	if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->session, &eev) < 0) {
		log_err("epoll_ctl(MOD, %s): %s", p->device, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * No fd left for a new client's uffd, and nothing else queued (the
 * module delivers every other event past such a CLIENT_NEW): reading
 * again at once would spin.  Stop listening to the session for
 * SESSION_MUTE_MS (fds come free as clients and objects go), then try
 * again.  Not fatal: a pager that exits here is re-sent every client
 * and dies the same way.
 */
static int mute_session(struct pager *p)
{
	log_warn("VMO_IOC_PAGER_EVENT: %s: no fd for a new client's userfaultfd; module events wait %d ms (raise the pager's fd limit, or lower the module's max_clients)",
		 strerror(errno), SESSION_MUTE_MS);
	p->eng.ctr.c[VMO_PSTAT_ERRORS]++;
	p->session_muted_until = clock_now_ns() + SESSION_MUTE_MS * 1000000ULL;
	return session_listen(p, false);
}

/* Ms until a muted session is heard again (0: now), -1 if not muted. */
static int session_mute_timeout(struct pager *p)
{
	int ms;

	if (!p->session_muted_until)
		return -1;
	ms = clock_ms_until(p->session_muted_until);
	if (ms)
		return ms;
	p->session_muted_until = 0;
	return session_listen(p, true) < 0 ? -2 : 0;
}

static int drain_session(struct pager *p)
{
	struct vmo_event ev;

	for (;;) {
		memset(&ev, 0, sizeof(ev));
		if (ioctl(p->session, VMO_IOC_PAGER_EVENT, &ev) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			if (errno == EMFILE || errno == ENFILE)
				return mute_session(p);
			log_err("VMO_IOC_PAGER_EVENT: %s", strerror(errno));
			return -1;
		}
		handle_event(p, &ev);
	}
}

static void handle_signals(struct pager *p)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(p->sigfd, &si, sizeof(si));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_err("read(signalfd): %s", strerror(errno));
			return;
		}
		if (n != sizeof(si))
			return;
		switch (si.ssi_signo) {
		case SIGUSR1:
			engine_print_counters(&p->eng.ctr, stderr);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: exiting", strsignal(si.ssi_signo));
			p->quit = true;
			break;
		}
	}
}

/*
 * Sets O_NONBLOCK on @c's uffd again if the client (which shares the
 * open file) cleared it: 1 if it had, 0 if it was set, -1 on failure.
 */
static int client_renonblock(struct client *c)
{
	int flags = fcntl(c->ec.uffd, F_GETFL);

	if (flags < 0)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(c->ec.uffd, F_SETFL, flags | O_NONBLOCK) ? -1 : 1;
}

/*
 * EPOLLERR on a uffd: either the client cleared O_NONBLOCK, which we
 * can undo, or the uffd cannot be used.
 */
static void client_error(struct pager *p, struct client *c)
{
	if (client_renonblock(c) == 1) {
		log_warn("client %llu: uffd lost O_NONBLOCK, set again",
			 (ull)c->ec.id);
		return;
	}
	drop_client(p, c, "userfaultfd reports an error, dropped");
}

static void guard_set(struct pager *p, time_t secs)
{
	struct itimerspec its = { .it_value = { .tv_sec = secs } };

	if (timer_settime(p->guard, 0, &its, NULL) < 0)
		log_err("timer_settime(read guard): %s", strerror(errno));
}

/* A read of @c's uffd blocked until the guard ended it. */
static void client_blocked(struct pager *p, struct client *c)
{
	if (++c->blocked >= READ_GUARD_STRIKES) {
		drop_client(p, c, "userfaultfd keeps losing O_NONBLOCK, dropped");
		return;
	}
	log_warn("client %llu: a read of its uffd blocked (O_NONBLOCK cleared by the client?); set again",
		 (ull)c->ec.id);
	if (client_renonblock(c) < 0)
		drop_client(p, c, "userfaultfd flags cannot be set, dropped");
}

static void client_ready(struct pager *p, struct client *c, uint32_t events)
{
	int ret;

	if (c->dead)
		return;
	if ((events & EPOLLERR) && !(events & EPOLLIN)) {
		client_error(p, c);
		return;
	}
	guard_set(p, READ_GUARD_SECS);
	ret = engine_drain(&p->eng, &c->ec);
	guard_set(p, 0);
	if (ret == -EINTR)
		client_blocked(p, c);
	else if (ret < 0)
		drop_client(p, c, "userfaultfd unreadable, dropped");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ids listed in /proc/vmo/objects, ascending.  NULL on failure. */
static uint64_t *live_objects(size_t *n)
{
	unsigned long long id;
	uint64_t *ids = NULL, *more;
	size_t cap = 0;
	char line[512];
	FILE *f = fopen(VMO_OBJECTS_PATH, "re");

	*n = 0;
	if (!f) {
		log_err("%s: %s", VMO_OBJECTS_PATH, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu", &id) != 1)
			continue;	/* the header */
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			more = realloc(ids, cap * sizeof(*ids));
			if (!more) {
				log_err("%s: out of memory", VMO_OBJECTS_PATH);
				free(ids);
				fclose(f);
				return NULL;
			}
			ids = more;
		}
		ids[(*n)++] = id;
	}
	fclose(f);
	if (!ids)
		ids = malloc(sizeof(*ids));	/* none listed: empty set */
	if (ids)
		qsort(ids, *n, sizeof(*ids), cmp_u64);
	return ids;
}

/*
 * The module dropped events (its queue was full).  OBJ_GONE is one of
 * those it may drop: forget the objects it no longer lists, or their
 * slots would never come back.  Ids are never reused and an object we
 * opened existed before this look, so one missing from the list is
 * gone for good.
 */
static void sweep_gone(struct pager *p)
{
	uint64_t *ids;
	size_t n, gone;

	ids = live_objects(&n);
	if (!ids)
		return;
	gone = engine_objects_exist(&p->eng, ids, n);
	free(ids);
	if (gone)
		log_info("forgot %zu objects the module no longer has (their gone events were dropped)",
			 gone);
}

/*
 * From /proc/vmo/stats: reserved_pages (the backing store slots
 * promised to reserved objects; on failure the last value stays) and
 * events_dropped (if it grew, object-gone events may have been lost).
 */
static void read_module_stats(struct pager *p)
{
	unsigned long long val, reserved = 0, dropped = 0;
	char line[256], key[128];
	int found = 0;
	FILE *f;

	f = fopen(VMO_STATS_PATH, "re");
	if (f) {
		while (found < 2 && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%127s %llu", key, &val) != 2)
				continue;
			if (!strcmp(key, "reserved_pages")) {
				reserved = val;
				found++;
			} else if (!strcmp(key, "events_dropped")) {
				dropped = val;
				found++;
			}
		}
		fclose(f);
	}
	if (found < 2) {
		if (!p->stats_read_failed)
			log_warn("%s: no reserved_pages or events_dropped (%s); keeping %llu slots for reserved objects (logged once)",
				 VMO_STATS_PATH, f ? "no such line" :
				 strerror(errno), (ull)p->bk.reserved_pages);
		p->stats_read_failed = true;
		return;
	}
	backing_set_reserved(&p->bk, reserved);
	if (p->events_dropped >= 0 && (long long)dropped > p->events_dropped)
		sweep_gone(p);
	p->events_dropped = (long long)dropped;
}

static uint64_t elapsed_us(const struct timespec *since)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 +
	     (now.tv_nsec - since->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

/* The module asks for pages: they add up until done. */
static void scavenge_request(struct pager *p)
{
	uint64_t want;
	ssize_t n;

	n = read(p->efd, &want, sizeof(want));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_err("read(scavenge eventfd): %s", strerror(errno));
		return;
	}
	if (n != sizeof(want))
		return;
	if (!p->scav_pending)
		clock_gettime(CLOCK_MONOTONIC, &p->scav_start);
	p->scav_pending += want;
	p->eng.ctr.c[VMO_PSTAT_SCAVENGE_REQUESTS]++;
	p->eng.ctr.c[VMO_PSTAT_SCAVENGE_WANTED] += want;
	log_debug("scavenge request: %llu pages (%llu pending)", (ull)want,
		  (ull)p->scav_pending);
}

/*
 * Below half the low watermark (MemAvailable @avail pages, or read now
 * if negative) a scavenge spares memory: writing to files in memory
 * comes last (paging_scavenge()).
 */
static bool short_of_memory(struct pager *p, int64_t avail)
{
	if (!p->hr.low)
		return false;
	if (avail < 0)
		avail = headroom_available(&p->hr);
	return avail >= 0 && (uint64_t)avail < p->hr.low / 2;
}

/*
 * One chunk of the pending requests.  A chunk that comes back short
 * means nothing more can go now (all clean pages gone, dirty ones with
 * nowhere to go): the rest of the request is dropped, the module asks
 * again if it still needs memory.
 */
static void scavenge_work(struct pager *p)
{
	uint64_t chunk = p->scav_pending, got;

	if (!chunk)
		return;
	if (chunk > SCAVENGE_CHUNK)
		chunk = SCAVENGE_CHUNK;
	read_module_stats(p);
	got = engine_scavenge(&p->eng, chunk, short_of_memory(p, -1));
	p->eng.ctr.c[VMO_PSTAT_SCAVENGE_RETURNED] += got;
	p->scav_pending = got < chunk ? 0 : p->scav_pending - got;
	if (p->scav_pending)
		return;
	p->eng.ctr.c[VMO_PSTAT_SCAVENGE_LAST_US] = elapsed_us(&p->scav_start);
	log_debug("scavenge done in %llu us",
		  (ull)p->eng.ctr.c[VMO_PSTAT_SCAVENGE_LAST_US]);
}

/*
 * Below the low watermark: give one batch back.  Returns the pages
 * given back, 0 if nothing was needed or nothing could go, -1 if
 * MemAvailable cannot be read (headroom is off then).
 */
static int64_t headroom_batch(struct pager *p, uint64_t *avail)
{
	int64_t a = headroom_available(&p->hr);
	uint64_t want, got;

	if (a < 0)
		return -1;
	*avail = (uint64_t)a;
	want = headroom_want(&p->hr, *avail);
	if (!want)
		return 0;
	read_module_stats(p);
	got = engine_scavenge(&p->eng, want, short_of_memory(p, a));
	p->eng.ctr.c[VMO_PSTAT_BACKGROUND_PAGES] += got;
	log_debug("headroom: %llu pages available, gave back %llu of %llu",
		  (ull)*avail, (ull)got, (ull)want);
	return (int64_t)got;
}

/*
 * engine_fill_gate_fn: a fill of up to @pages pages is about to
 * allocate them.  Within the credit it just goes; else look at memory
 * and, below the low watermark, page out first (headroom.h).
 */
static void headroom_gate(struct engine_ctx *ctx, uint64_t pages)
{
	struct pager *p = ctx->gate_arg;
	uint64_t avail = 0;
	int64_t got = 0;
	unsigned int round;

	if (!p->hr.low)
		return;
	if (p->hr.credit >= pages) {
		p->hr.credit -= pages;
		return;
	}
	for (round = 0; round < HEADROOM_ROUNDS; round++) {
		got = headroom_batch(p, &avail);
		if (got <= 0)
			break;
	}
	if (got < 0)
		return;
	p->hr.credit = headroom_credit(&p->hr, avail);
	if (!got && avail < p->hr.low) {
		/* Nothing could go: do not scan at every fault. */
		log_debug("headroom: %llu pages available and nothing to give back; not gating until the next tick",
			  (ull)avail);
		p->hr.credit = UINT64_MAX;
	}
	p->hr.credit = p->hr.credit > pages ? p->hr.credit - pages : 0;
}

/* Every HEADROOM_TICK_MS: one batch if memory is low; fresh credit. */
static void timer_tick(struct pager *p)
{
	uint64_t ticks, avail = 0;

	if (read(p->tfd, &ticks, sizeof(ticks)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_err("read(timerfd): %s", strerror(errno));
		return;
	}
	if (!p->hr.low || headroom_batch(p, &avail) < 0)
		return;
	/* Measured before the batch: the next fill looks again if low. */
	p->hr.credit = headroom_credit(&p->hr, avail);
}

/* The shorter of two epoll timeouts (-1: none). */
static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static bool session_readable(const struct epoll_event *evs, int n)
{
	const struct source *src;
	int i;

	for (i = 0; i < n; i++) {
		src = evs[i].data.ptr;
		if (src->type == SRC_SESSION && (evs[i].events & EPOLLIN))
			return true;
	}
	return false;
}

static int run(struct pager *p)
{
	struct epoll_event evs[MAX_EPOLL_EVENTS];
	int n, i, stats_timeout = -1, mute_timeout;
	struct source *src;

	while (!p->quit) {
		/* Pending scavenge work: look for faults, do not wait. */
		n = epoll_wait(p->epfd, evs, MAX_EPOLL_EVENTS,
			       p->scav_pending ? 0 : stats_timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		/*
		 * Module events before this batch's faults: a client maps,
		 * tells the module, then touches, so its MAP hint is usually
		 * queued before the fault it explains is read.  Only when
		 * the session says so: an ioctl per fault batch to learn
		 * "nothing" costs as much as the batch, and a fault whose
		 * hint is not read yet is served through a LOOKUP.
		 */
		if (session_readable(evs, n) && drain_session(p) < 0)
			return 1;
		for (i = 0; i < n; i++) {
			src = evs[i].data.ptr;
			switch (src->type) {
			case SRC_SESSION:
				if ((evs[i].events & (EPOLLERR | EPOLLHUP)) &&
				    !(evs[i].events & EPOLLIN)) {
					log_err("%s: session reports %s", p->device,
						evs[i].events & EPOLLHUP ?
						"hang-up" : "an error");
					return 1;
				}
				break;
			case SRC_SIGNAL:
				handle_signals(p);
				break;
			case SRC_CLIENT:
				client_ready(p, container_of(src, struct client, src),
					     evs[i].events);
				break;
			case SRC_SCAVENGE:
				scavenge_request(p);
				break;
			case SRC_TIMER:
				timer_tick(p);
				break;
			}
		}
		engine_wake_deferred(&p->eng);
		free_graveyard(p);
		scavenge_work(p);
		engine_update_gauges(&p->eng);
		mute_timeout = session_mute_timeout(p);
		if (mute_timeout < -1)
			return 1;
		stats_timeout = min_timeout(report_stats_if_changed(p),
					    engine_deferred_timeout(&p->eng));
		stats_timeout = min_timeout(stats_timeout, mute_timeout);
	}
	return 0;
}

/*
 * An earlier pager left pages in its backing store, which the module
 * kept: they live there, so that store is ours now, whatever the
 * command line said.
 */
static int adopt_backing(struct pager *p, const struct vmo_pager_attach *pa)
{
	if (p->bk.fd >= 0)
		log_warn("the module kept the backing store of an earlier pager (%llu pages), which still holds paged-out pages: using it instead of %s",
			 (ull)pa->kept_pages, p->bk.path);
	else
		log_info("the module kept the backing store of an earlier pager (%llu pages), which still holds paged-out pages: using it",
			 (ull)pa->kept_pages);
	if (backing_adopt(&p->bk, (int)pa->kept_fd, pa->kept_pages,
			  p->eng.page_size))
		return -1;
	engine_set_backing(&p->eng, &p->bk);
	return 0;
}

/* Every page an earlier pager paged out is ours to page in now. */
static int take_over_records(struct pager *p)
{
	uint64_t adopted;

	if (engine_adopt_records(&p->eng, &adopted))
		return -1;
	if (adopted)
		log_info("took over %llu page records from an earlier pager",
			 (ull)adopted);
	return 0;
}

static int open_session(struct pager *p)
{
	struct vmo_handshake hs;
	struct vmo_pager_attach pa;

	p->session = open(p->device, O_RDWR | O_CLOEXEC);
	if (p->session < 0) {
		log_err("open(%s): %s%s", p->device, strerror(errno),
			errno == ENOENT ? " (is vmo.ko loaded?)" : "");
		return -1;
	}
	memset(&hs, 0, sizeof(hs));
	hs.api_version = VMO_API_VERSION;
	if (ioctl(p->session, VMO_IOC_HANDSHAKE, &hs) < 0) {
		if (errno == EPROTONOSUPPORT)
			log_err("VMO_IOC_HANDSHAKE: the module speaks API version %u, this pager %u",
				hs.api_version, VMO_API_VERSION);
		else
			log_err("VMO_IOC_HANDSHAKE: %s", strerror(errno));
		return -1;
	}
	if (!(hs.features & VMO_FEATURE_PAGER)) {
		log_err("%s: the module offers no pager interface (features %#llx)",
			p->device, (ull)hs.features);
		return -1;
	}
	memset(&pa, 0, sizeof(pa));
	pa.flags = VMO_PAGER_EVENTFD;
	pa.eventfd = (uint32_t)p->efd;
	if (p->bk.fd >= 0) {
		pa.flags |= VMO_PAGER_BACKING;
		pa.backing_pages = p->bk.nslots;
		pa.backing_fd = (uint32_t)p->bk.fd;
	}
	if (ioctl(p->session, VMO_IOC_PAGER_ATTACH, &pa) < 0) {
		if (errno == EBUSY)
			log_err("VMO_IOC_PAGER_ATTACH: another pager is attached");
		else if (errno == EPERM)
			log_err("VMO_IOC_PAGER_ATTACH: the pager needs CAP_SYS_ADMIN");
		else
			log_err("VMO_IOC_PAGER_ATTACH: %s", strerror(errno));
		return -1;
	}
	p->attached = true;
	log_info("attached to %s (module API version %u)%s", p->device,
		 hs.api_version, p->bk.fd >= 0 ? ", with a backing store" : "");
	if (pa.kept_fd != VMO_NO_FD && adopt_backing(p, &pa) < 0)
		return -1;
	if (pa.kept_fd == VMO_NO_FD && p->backing_busy) {
		log_err("backing store %s: busy (mounted, or open exclusively elsewhere)",
			p->backing_path);
		return -1;
	}
	return take_over_records(p);
}

static void on_guard(int sig)
{
	(void)sig;	/* only to interrupt a read: see struct client */
}

/* The read guard's timer: SIGALRM to this thread, not restarting. */
static int setup_read_guard(struct pager *p)
{
	struct sigaction sa = { .sa_handler = on_guard };
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGALRM,
	};

	sev._sigev_un._tid = gettid();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &p->guard) < 0) {
		log_err("read guard (SIGALRM timer): %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_signals(struct pager *p)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1 };
	struct sigaction sa;
	sigset_t set;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	/* A daemon must not die because whoever read its log went away. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		log_err("sigaction(SIGPIPE): %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/*
		 * An ignored signal is discarded, never queued: a shell
		 * starts background jobs with SIGINT ignored.
		 */
		if (sigaction(sigs[i], &sa, NULL) < 0) {
			log_err("sigaction(%s): %s", strsignal(sigs[i]),
				strerror(errno));
			return -1;
		}
		sigaddset(&set, sigs[i]);
	}
	/* Blocked, so they queue on the signalfd instead of killing us. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	p->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return setup_read_guard(p);
}

static int epoll_add(struct pager *p, int fd, struct source *src,
		     const char *what)
{
	struct epoll_event eev;

	memset(&eev, 0, sizeof(eev));
	eev.events = EPOLLIN;
	eev.data.ptr = src;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &eev) < 0) {
		log_err("epoll_ctl(ADD, %s): %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

/* fs.nr_open, the most fds a process can have, or 0. */
static rlim_t max_fds(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return (rlim_t)v;
}

/*
 * One fd per client and up to two per open object: take all the fds we
 * may (or @cap of them, --max-fds).  Running out stalls the module's
 * event queue for a while (mute_session()) and defers file and shadow
 * fills.
 */
static void raise_fd_limit(rlim_t cap)
{
	rlim_t most = max_fds();
	struct rlimit rl;

	if (cap) {
		rl.rlim_cur = cap;
		rl.rlim_max = cap;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE, %llu): %s",
				 (ull)cap, strerror(errno));
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	/* The pager runs as root: it may raise the hard limit too. */
	if (most > rl.rlim_max) {
		struct rlimit all = { .rlim_cur = most, .rlim_max = most };

		if (setrlimit(RLIMIT_NOFILE, &all) == 0)
			return;
		log_debug("setrlimit(RLIMIT_NOFILE, %llu): %s", (ull)most,
			  strerror(errno));
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("setrlimit(RLIMIT_NOFILE, %llu): %s",
			 (ull)rl.rlim_max, strerror(errno));
}

/*
 * The pager is what frees memory: the OOM killer must pick anyone but
 * us (we are root).  Not fatal: a kernel without the knob still works.
 */
static void protect_from_oom(void)
{
	static const char val[] = "-1000";
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, sizeof(val) - 1) != sizeof(val) - 1)
		log_warn("/proc/self/oom_score_adj: %s: the OOM killer may pick the pager",
			 strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The headroom timer, if headroom is on. */
static int setup_timer(struct pager *p)
{
	struct itimerspec its = {
		.it_interval = { 0, HEADROOM_TICK_MS * 1000000L },
		.it_value = { 0, HEADROOM_TICK_MS * 1000000L },
	};

	if (!p->hr.low)
		return 0;
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->tfd < 0) {
		log_err("timerfd_create: %s", strerror(errno));
		return -1;
	}
	if (timerfd_settime(p->tfd, 0, &its, NULL) < 0) {
		log_err("timerfd_settime: %s", strerror(errno));
		return -1;
	}
	return epoll_add(p, p->tfd, &timer_src, "timerfd");
}

/* Backing store and headroom, before attaching (it announces the store). */
static int setup_paging(struct pager *p)
{
	int ret;

	if (p->backing_path) {
		ret = backing_open(&p->bk, p->backing_path, p->backing_size,
				   p->eng.page_size);
		if (ret == -EBUSY) {
			/*
			 * The module may hold it (opened exclusively by an
			 * earlier pager whose pages are still in it): then
			 * attaching hands it to us.
			 */
			log_info("backing store %s is busy: attaching without it, in case the module kept it",
				 p->backing_path);
			p->backing_busy = true;
		} else if (ret) {
			return -1;
		} else {
			engine_set_backing(&p->eng, &p->bk);
		}
	}
	if (p->background) {
		ret = headroom_init(&p->hr, p->low_mib, p->high_mib,
				    p->eng.page_size);
		if (ret == -EINVAL)
			return -1;	/* the watermarks given make no sense */
		if (ret)
			log_warn("no headroom: pages go back only when the module asks");
		if (p->hr.low)
			log_info("headroom: page out below %llu MiB available, up to %llu MiB",
				 (ull)(p->hr.low * p->eng.page_size >> 20),
				 (ull)(p->hr.high * p->eng.page_size >> 20));
	}
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup(struct pager *p)
{
	raise_fd_limit(p->max_fds);
	protect_from_oom();
	if (setup_signals(p) < 0)
		return -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		log_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	if (setup_paging(p) < 0)
		return -1;
	if (open_session(p) < 0)
		return -1;
	if (epoll_add(p, p->session, &session_src, p->device) < 0 ||
	    epoll_add(p, p->sigfd, &signal_src, "signalfd") < 0 ||
	    epoll_add(p, p->efd, &scavenge_src, "scavenge eventfd") < 0)
		return -1;
	return setup_timer(p);
}

static void shutdown_pager(struct pager *p)
{
	while (p->clients)
		drop_client(p, p->clients, "pager exiting");
	free_graveyard(p);
	p->eng.ctr.c[VMO_PSTAT_CLIENTS] = 0;
	engine_destroy(&p->eng);
	if (p->attached) {
		report_stats(p);
		engine_print_counters(&p->eng.ctr, stderr);
	}
	/* Closing the session detaches the pager. */
	if (p->session >= 0 && close(p->session) < 0)
		log_err("close(%s): %s", p->device, strerror(errno));
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->sigfd >= 0)
		close(p->sigfd);
	if (p->efd >= 0)
		close(p->efd);
	if (p->tfd >= 0)
		close(p->tfd);
	/* After engine_destroy(): the objects gave their slots back. */
	backing_close(&p->bk);
	headroom_exit(&p->hr);
}

int main(int argc, char **argv)
{
	struct pager p = {
		.device = "/dev/vmo",
		.session = -1,
		.sigfd = -1,
		.epfd = -1,
		.efd = -1,
		.tfd = -1,
		.bk = { .fd = -1 },
		.background = true,
		.low_mib = HEADROOM_DEFAULT,
		.high_mib = HEADROOM_DEFAULT,
		.hr = { .fd = -1 },
		.events_dropped = -1,
	};
	unsigned int cluster = ENGINE_CLUSTER_DEFAULT;
	int ret;

	ret = parse_args(argc, argv, &p, &cluster);
	if (ret) {
		usage(stderr);
		return ret;
	}
	if (engine_init(&p.eng, cluster, pager_lookup, &p)) {
		log_err("out of memory");
		return 1;
	}
	engine_set_objects(&p.eng, pager_object, pager_clean, pager_evict, &p);
	engine_set_records(&p.eng, pager_record);
	engine_set_fill_gate(&p.eng, headroom_gate, &p);
	engine_set_sigbus(&p.eng, pager_sigbus);
	p.wake_start = wake_start();

	if (setup(&p) < 0) {
		shutdown_pager(&p);
		return 1;
	}
	report_stats(&p);
	ret = run(&p);
	shutdown_pager(&p);
	return ret;
}
