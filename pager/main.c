// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager: the user-space pager of /dev/vmo.
 *
 * It attaches to the module as the pager, receives each client's
 * userfaultfd through the session's event queue and serves every fault
 * on every object mapping.  One thread, one epoll loop: the session fd
 * (module events), a signalfd (SIGTERM/SIGINT: exit, SIGUSR1: print the
 * counters) and one fd per client.  File and shadow objects are opened
 * (VMO_IOC_PAGER_OBJECT) when a fault or a write-back first needs them
 * and closed when the module reports them gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include <linux/vmo.h>

#include "engine.h"
#include "log.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Top of the user address space on x86-64 with 4-level page tables. */
#define USER_ADDR_END		0x7ffffffff000ULL
/* Wake-all start if /proc/sys/vm/mmap_min_addr cannot be read. */
#define WAKE_START_DEFAULT	65536ULL

#define MAX_EPOLL_EVENTS	64

typedef unsigned long long ull;

/* What an epoll event points at. */
enum source_type { SRC_SESSION, SRC_SIGNAL, SRC_CLIENT };

struct source {
	enum source_type type;
};

struct client {
	struct source src;
	struct engine_client ec;
	struct client *next;
	bool dead;		/* dropped, freed at the end of the iteration */
};

struct pager {
	const char *device;
	int session;
	int sigfd;
	int epfd;
	struct engine_ctx eng;
	struct client *clients;		/* being served */
	struct client *graveyard;	/* dropped in this iteration */
	struct vmo_counters reported;	/* last sent to the module */
	bool stats_failed;		/* a report failed: log once */
	bool attached;			/* we are the module's pager */
	bool quit;
	uint64_t wake_start;
};

static struct source session_src = { .type = SRC_SESSION };
static struct source signal_src = { .type = SRC_SIGNAL };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmo-pager [options]\n"
		"Serve the page faults of /dev/vmo objects.\n"
		"\n"
		"  -d, --device PATH  the vmo device (default /dev/vmo)\n"
		"  -c, --cluster N    most pages per zero or file fill, 1..%u (default %u)\n"
		"  -v, --verbose      more messages (repeat for debug)\n"
		"  -q, --quiet        errors only\n"
		"  -h, --help         this text\n"
		"\n"
		"SIGUSR1 prints the counters on stderr; SIGTERM or SIGINT stop the pager.\n",
		ENGINE_CLUSTER_MAX, ENGINE_CLUSTER_DEFAULT);
}

/* Returns 0, or 2 (usage error) after saying why. */
static int parse_args(int argc, char **argv, struct pager *p,
		      unsigned int *cluster)
{
	static const struct option opts[] = {
		{ "device",  required_argument, NULL, 'd' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long val;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:c:vqh", opts, NULL)) != -1) {
		switch (opt) {
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
	do {
		ret = ioctl(p->session, VMO_IOC_PAGER_LOOKUP, &lk);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		if (ret != -ENOENT && ret != -ESRCH)
			log_err("VMO_IOC_PAGER_LOOKUP(client %llu, %#llx): %s",
				(ull)c->id, (ull)addr, strerror(errno));
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

/* objcache_open_fn: VMO_IOC_PAGER_OBJECT. */
static int pager_object(void *arg, uint64_t id, struct vmo_pager_object *out)
{
	struct pager *p = arg;
	int ret;

	memset(out, 0, sizeof(*out));
	out->obj_id = id;
	do {
		ret = ioctl(p->session, VMO_IOC_PAGER_OBJECT, out);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
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
	do {
		ret = ioctl(p->session, VMO_IOC_PAGER_CLEAN, &cl);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		log_err("VMO_IOC_PAGER_CLEAN(object %llu, pages %llu+%llu): %s",
			(ull)o->id, (ull)first, (ull)npages, strerror(-ret));
		return ret;
	}
	*dirty = cl.dirty;
	return 0;
}

static void report_stats(struct pager *p)
{
	struct vmo_pager_stats st;
	int ret;

	/* Slots from VMO_PSTAT_NR on are reserved and must be 0. */
	memset(&st, 0, sizeof(st));
	memcpy(st.counters, p->eng.ctr.c, VMO_PSTAT_NR * sizeof(st.counters[0]));
	do {
		ret = ioctl(p->session, VMO_IOC_PAGER_STATS, &st);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		/* Once: a module refusing them would refuse every time. */
		if (!p->stats_failed)
			log_warn("VMO_IOC_PAGER_STATS: %s (further failures not logged)",
				 strerror(errno));
		p->stats_failed = true;
	}
	/* Remember even on failure: retrying every loop would not help. */
	p->reported = p->eng.ctr;
}

static void report_stats_if_changed(struct pager *p)
{
	if (memcmp(&p->reported, &p->eng.ctr, sizeof(p->reported)))
		report_stats(p);
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
	engine_client_destroy(&c->ec);
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
		engine_client_destroy(&c->ec);
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
	do {
		ret = ioctl(p->session, VMO_IOC_PAGER_DONE, &done);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 && errno == ENOENT)
		/* The requester gave up (a signal): nothing to tell. */
		log_info("object %llu: request %llu no longer awaited",
			 (ull)ev->obj_id, (ull)ev->seq);
	else if (ret < 0)
		log_err("VMO_IOC_PAGER_DONE(object %llu, request %llu): %s",
			(ull)ev->obj_id, (ull)ev->seq, strerror(errno));
}

/*
 * Write the object back and answer.  The pager does nothing else
 * meanwhile: faults wait until the write-back is done.
 */
static void object_sync(struct pager *p, const struct vmo_event *ev,
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
}

/*
 * A shared file object's last user went: the module keeps its store
 * until it is written back (VMO_EV_ACK).  Then, or at once for any
 * other object, its fds are closed.
 */
static void object_gone(struct pager *p, const struct vmo_event *ev)
{
	log_debug("object %llu gone%s", (ull)ev->obj_id,
		  ev->flags & VMO_EV_ACK ? ", final write-back" : "");
	if (ev->flags & VMO_EV_ACK)
		object_sync(p, ev, "final write-back");
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
	default:
		log_warn("unknown module event type %u", ev->type);
		break;
	}
}

/* Read module events until none is left.  Returns 0, or -1 if fatal. */
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
			/*
			 * The event stays queued, first: retrying would spin.
			 * A new pager (with fds to spare) can take over.
			 */
			log_err("VMO_IOC_PAGER_EVENT: %s%s", strerror(errno),
				errno == EMFILE || errno == ENFILE ?
				" (no fd left for a new client's uffd; raise the fd limit)" : "");
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
 * EPOLLERR on a uffd: either the client (which shares the open file)
 * cleared O_NONBLOCK, which we can undo, or the uffd cannot be used.
 */
static void client_error(struct pager *p, struct client *c)
{
	int flags = fcntl(c->ec.uffd, F_GETFL);

	if (flags >= 0 && !(flags & O_NONBLOCK) &&
	    fcntl(c->ec.uffd, F_SETFL, flags | O_NONBLOCK) == 0) {
		log_warn("client %llu: uffd lost O_NONBLOCK, set again",
			 (ull)c->ec.id);
		return;
	}
	drop_client(p, c, "userfaultfd reports an error, dropped");
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
	ret = engine_drain(&p->eng, &c->ec);
	if (ret < 0)
		drop_client(p, c, "userfaultfd unreadable, dropped");
}

static int run(struct pager *p)
{
	struct epoll_event evs[MAX_EPOLL_EVENTS];
	struct source *src;
	int n, i;

	while (!p->quit) {
		n = epoll_wait(p->epfd, evs, MAX_EPOLL_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		/*
		 * Module events first, whatever woke us: a client maps,
		 * tells the module, then touches, so its MAP hint is
		 * queued before the fault it explains is read.
		 */
		if (drain_session(p) < 0)
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
			}
		}
		free_graveyard(p);
		report_stats_if_changed(p);
	}
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
	log_info("attached to %s (module API version %u)", p->device,
		 hs.api_version);
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
	return 0;
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
 * may.  Running out would stall the module's event queue (a CLIENT_NEW
 * it cannot deliver stays first) and fail file and shadow fills.
 */
static void raise_fd_limit(void)
{
	rlim_t most = max_fds();
	struct rlimit rl;

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

static int setup(struct pager *p)
{
	raise_fd_limit();
	if (setup_signals(p) < 0)
		return -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		log_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	if (open_session(p) < 0)
		return -1;
	if (epoll_add(p, p->session, &session_src, p->device) < 0 ||
	    epoll_add(p, p->sigfd, &signal_src, "signalfd") < 0)
		return -1;
	return 0;
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
}

int main(int argc, char **argv)
{
	struct pager p = {
		.device = "/dev/vmo",
		.session = -1,
		.sigfd = -1,
		.epfd = -1,
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
	engine_set_objects(&p.eng, pager_object, pager_clean, &p);
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
