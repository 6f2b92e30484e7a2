// SPDX-License-Identifier: LGPL-2.1
/*
 * libvmo: open a session, create objects, map them with the fault path
 * wired to the pager before the first access.
 *
 * Fork: the library does not enable UFFD_FEATURE_EVENT_FORK (the child's
 * uffd would then be held by the pager alone, and its faults would fall
 * back to the kernel if the pager died).  Instead a child re-attaches
 * itself from a pthread_atfork() handler: new sessions, a new uffd, and
 * every object mapping the child's address space has (the module lists
 * them: VMO_IOC_MAPPINGS, whatever munmap, mremap or MAP_FIXED did since)
 * registered and announced, before fork() returns in the child.  A
 * mapping that cannot be registered is made inaccessible (PROT_NONE): a
 * fault the kernel served itself would put a zero page into the object's
 * store, which every other mapping of the object would then read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "libvmo.h"

/* THREAD_ID: the pager can end a fault it cannot serve with SIGBUS. */
#define VMO_UFFD_FEATURES (UFFD_FEATURE_MISSING_SHMEM | \
			   UFFD_FEATURE_EVENT_REMAP | \
			   UFFD_FEATURE_EVENT_REMOVE | \
			   UFFD_FEATURE_EVENT_UNMAP | \
			   UFFD_FEATURE_THREAD_ID)

/*
 * A handle may be used from many threads: @lock guards the lazy client
 * attach.  The library keeps no list of mappings: the address space is
 * the list (VMO_IOC_MAPPINGS), and a munmap() leaves no reference of
 * ours on the object.
 */
struct vmo_lib {
	pthread_mutex_t lock;
	int fd;
	int uffd;
	uint32_t api_version;
	uint64_t features;
	uint64_t client_id;
	int fork_error;		/* a child's re-attach failed: -errno */
	struct vmo_lib *next;	/* vmo_libs */
};

static pthread_mutex_t vmo_libs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmo_lib *vmo_libs;
static pthread_once_t vmo_atfork_once = PTHREAD_ONCE_INIT;

/* The library's message for @err, or NULL: async-signal-safe. */
static const char *vmo_message(int err)
{
	switch (-err) {
	case 0:
		return "success";
	case ENOENT:
		return "/dev/vmo not found: is vmo.ko loaded?";
	case EBADFD:
		return "session not ready: handshake first, or wrong role";
	case EPROTONOSUPPORT:
		return "the module does not speak this API version";
	case EINVAL:
		return "invalid argument: unknown flag, non-zero reserved field, unaligned or out-of-range value";
	case EFBIG:
		return "object size exceeds VMO_MAX_SIZE";
	case EOPNOTSUPP:
		return "object kind not supported by this module";
	case EBUSY:
		return "already attached (one client per session, one pager per system)";
	case EPERM:
		return "operation not permitted (the pager needs CAP_SYS_ADMIN)";
	case ENOTTY:
		return "not a vmo request for this fd";
	case ESRCH:
		return "client or its address space is gone";
	case EACCES:
		return "file not open for reading (or, for a shared object, for writing without O_APPEND)";
	case ENXIO:
		return "offset at or past the end of the file";
	case ELOOP:
		return "shadow chain deeper than VMO_MAX_DEPTH";
	case EOVERFLOW:
		return "offset + size overflows";
	case ENOTCONN:
		return "no pager attached to serve the request";
	case EMFILE:
		return "too many open files in this process";
	case ENFILE:
		return "too many open files in the system";
	case ENOMEM:
		return "out of memory";
	}
	return NULL;
}

const char *vmo_strerror(int err)
{
	const char *msg = vmo_message(err);

	return msg ? msg : strerror(-err);
}

static int vmo_errno(void)
{
	return errno ? -errno : -EIO;
}

int vmo_session_fd(const struct vmo_lib *v)
{
	return v->fd;
}

uint32_t vmo_api_version(const struct vmo_lib *v)
{
	return v->api_version;
}

uint64_t vmo_features(const struct vmo_lib *v)
{
	return v->features;
}

uint64_t vmo_client_id(const struct vmo_lib *v)
{
	return v->client_id;
}

static int vmo_session_open(struct vmo_lib *v)
{
	const char *path = getenv("VMO_DEVICE");
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION };
	int fd;

	fd = open(path ? path : VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmo_errno();
	if (ioctl(fd, VMO_IOC_HANDSHAKE, &hs) < 0) {
		int err = vmo_errno();

		close(fd);
		return err;
	}
	v->fd = fd;
	v->api_version = hs.api_version;
	v->features = hs.features;
	return 0;
}

static void vmo_atfork_child(void);

/* Fork only between library calls: no list or handle is half-updated. */
static void vmo_atfork_prepare(void)
{
	struct vmo_lib *v;

	pthread_mutex_lock(&vmo_libs_lock);
	for (v = vmo_libs; v; v = v->next)
		pthread_mutex_lock(&v->lock);
}

static void vmo_atfork_parent(void)
{
	struct vmo_lib *v;

	for (v = vmo_libs; v; v = v->next)
		pthread_mutex_unlock(&v->lock);
	pthread_mutex_unlock(&vmo_libs_lock);
}

static void vmo_atfork_setup(void)
{
	pthread_atfork(vmo_atfork_prepare, vmo_atfork_parent,
		       vmo_atfork_child);
}

int vmo_open(struct vmo_lib **out)
{
	struct vmo_lib *v;
	int err;

	pthread_once(&vmo_atfork_once, vmo_atfork_setup);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->uffd = -1;
	pthread_mutex_init(&v->lock, NULL);
	err = vmo_session_open(v);
	if (err) {
		pthread_mutex_destroy(&v->lock);
		free(v);
		return err;
	}
	pthread_mutex_lock(&vmo_libs_lock);
	v->next = vmo_libs;
	vmo_libs = v;
	pthread_mutex_unlock(&vmo_libs_lock);
	*out = v;
	return 0;
}

void vmo_close(struct vmo_lib *v)
{
	struct vmo_lib **pp;

	if (!v)
		return;
	pthread_mutex_lock(&vmo_libs_lock);
	for (pp = &vmo_libs; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	pthread_mutex_unlock(&vmo_libs_lock);
	if (v->uffd >= 0)
		close(v->uffd);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

int vmo_create(struct vmo_lib *v, struct vmo_create *req)
{
	int fd = ioctl(v->fd, VMO_IOC_CREATE, req);

	return fd < 0 ? vmo_errno() : fd;
}

int vmo_create_anon(struct vmo_lib *v, uint64_t size, uint32_t flags,
		    uint64_t *id)
{
	struct vmo_create req = {
		.kind = VMO_KIND_ANON,
		.flags = flags,
		.size = size,
	};
	int fd = vmo_create(v, &req);

	if (fd >= 0 && id)
		*id = req.id;
	return fd;
}

static int vmo_create_from(struct vmo_lib *v, uint32_t kind, int src_fd,
			   uint64_t offset, uint64_t size, uint32_t flags,
			   uint64_t *id)
{
	struct vmo_create req = {
		.kind = kind,
		.flags = flags,
		.size = size,
		.offset = offset,
		.src_fd = (uint32_t)src_fd,
	};
	int fd;

	if (src_fd < 0)
		return -EBADF;
	fd = vmo_create(v, &req);
	if (fd >= 0 && id)
		*id = req.id;
	return fd;
}

int vmo_create_file(struct vmo_lib *v, int file_fd, uint64_t offset,
		    uint64_t size, uint32_t flags, uint64_t *id)
{
	return vmo_create_from(v, VMO_KIND_FILE, file_fd, offset, size, flags,
			       id);
}

int vmo_create_shadow(struct vmo_lib *v, int parent_fd, uint64_t offset,
		      uint64_t size, uint32_t flags, uint64_t *id)
{
	return vmo_create_from(v, VMO_KIND_SHADOW, parent_fd, offset, size,
			       flags, id);
}

int vmo_sync(int obj_fd, uint64_t *pages)
{
	struct vmo_sync req = {};

	if (ioctl(obj_fd, VMO_OBJ_SYNC, &req) < 0)
		return vmo_errno();
	if (pages)
		*pages = req.pages;
	return 0;
}

int vmo_info(int obj_fd, struct vmo_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(obj_fd, VMO_OBJ_INFO, info) < 0 ? vmo_errno() : 0;
}

/* A userfaultfd through the syscall, else through /dev/userfaultfd. */
static int vmo_uffd_new(void)
{
	int fd, dev;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	if (errno != EPERM)
		return vmo_errno();
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -EPERM;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	close(dev);
	return fd < 0 ? vmo_errno() : fd;
}

/* Makes the session a client: a new uffd, UFFDIO_API, CLIENT_ATTACH. */
static int vmo_client_attach(struct vmo_lib *v)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = VMO_UFFD_FEATURES,
	};
	struct vmo_client_attach ca = {};
	int uffd, err;

	uffd = vmo_uffd_new();
	if (uffd < 0)
		return uffd;
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		goto fail;
	ca.uffd = uffd;
	if (ioctl(v->fd, VMO_IOC_CLIENT_ATTACH, &ca) < 0)
		goto fail;
	v->uffd = uffd;
	v->client_id = ca.client_id;
	return 0;
fail:
	err = vmo_errno();
	close(uffd);
	return err;
}

/*
 * MISSING faults only go to the pager: a page it put into the store is
 * mapped by the kernel, with its own fault-around and no round trip, in
 * every mapping of the object.  WP mode is registered too, though no
 * page is ever write-protected through the uffd: it makes a shared
 * mapping "want write notification" (vma_wants_writenotify()), so the
 * kernel maps a page read-only on a read fault and the first write
 * marks it dirty, as it does for a file on a real disk.  Without it a
 * read fault would map a shared page writable and the pager could not
 * tell a page written from a page only read (VMO_IOC_PAGER_CLEAN sees
 * a writable entry as written).  A kernel that cannot register WP on
 * shmem (no CONFIG_PTE_MARKER_UFFD_WP) gets MISSING alone: correct,
 * only read pages may then be written back needlessly.
 */
static int vmo_uffd_register(int uffd, void *addr, size_t len,
			     struct uffdio_range *range)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	};

	*range = reg.range;
	if (!ioctl(uffd, UFFDIO_REGISTER, &reg))
		return 0;
	if (errno != EINVAL)
		return vmo_errno();
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	return ioctl(uffd, UFFDIO_REGISTER, &reg) < 0 ? vmo_errno() : 0;
}

/* Register and announce a mapping: of @obj_fd, or (-1) of any object. */
static int vmo_register(struct vmo_lib *v, int obj_fd, void *addr,
			size_t len)
{
	struct vmo_map_notify mn = {
		.obj_fd = obj_fd < 0 ? 0 : (uint32_t)obj_fd,
		.flags = obj_fd < 0 ? VMO_NOTIFY_ANY_OBJECT : 0,
		.addr = (uintptr_t)addr,
		.len = len,
	};
	struct uffdio_range range;
	int err;

	err = vmo_uffd_register(v->uffd, addr, len, &range);
	if (err)
		return err;
	if (ioctl(v->fd, VMO_IOC_MAP_NOTIFY, &mn) < 0) {
		err = vmo_errno();
		ioctl(v->uffd, UFFDIO_UNREGISTER, &range);
		return err;
	}
	return 0;
}

static int vmo_map_locked(struct vmo_lib *v, int obj_fd, uint64_t offset,
			  size_t len, int prot, int flags, void **addr)
{
	void *hint = (flags & MAP_FIXED) ? *addr : NULL;
	void *p;
	int err;

	if (v->fork_error)
		return v->fork_error;
	if (v->uffd < 0) {
		err = vmo_client_attach(v);
		if (err)
			return err;
	}
	p = mmap(hint, len, prot, flags, obj_fd, offset);
	if (p == MAP_FAILED)
		return vmo_errno();
	err = vmo_register(v, obj_fd, p, len);
	if (err) {
		munmap(p, len);
		return err;
	}
	*addr = p;
	return 0;
}

int vmo_map(struct vmo_lib *v, int obj_fd, uint64_t offset, size_t len,
	    int prot, int flags, void **addr)
{
	int err;

	pthread_mutex_lock(&v->lock);
	err = vmo_map_locked(v, obj_fd, offset, len, prot, flags, addr);
	pthread_mutex_unlock(&v->lock);
	return err;
}

int vmo_unmap(struct vmo_lib *v, void *addr, size_t len)
{
	(void)v;
	return munmap(addr, len) < 0 ? vmo_errno() : 0;
}

/*
 * What a fork child reports goes out with write(2) alone: a child of a
 * multi-threaded process may only make async-signal-safe calls (stdio
 * and strerror may hold locks of threads the child does not have).
 */
static void vmo_child_report(const char *what, int err)
{
	const char *msg = vmo_message(err);
	char buf[256], num[12];
	size_t n = 0, i;
	unsigned int e = (unsigned int)-err;
	const char *parts[4] = { "libvmo: after fork: ", what, ": ", msg };

	for (i = 0; i < 4 && parts[i]; i++) {
		size_t l = strlen(parts[i]);

		if (l > sizeof(buf) - 1 - n)
			l = sizeof(buf) - 1 - n;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	if (!msg) {
		i = sizeof(num);
		do {
			num[--i] = (char)('0' + e % 10);
			e /= 10;
		} while (e && i);
		if (n + 6 + sizeof(num) - i < sizeof(buf)) {
			memcpy(buf + n, "errno ", 6);
			n += 6;
			memcpy(buf + n, num + i, sizeof(num) - i);
			n += sizeof(num) - i;
		}
	}
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;	/* nowhere left to say it */
}

/* A new session for @v in the child; the inherited one is the parent's. */
static int vmo_reopen(struct vmo_lib *v, int *old_fd)
{
	*old_fd = v->fd;
	if (v->uffd >= 0)
		close(v->uffd);
	v->fd = -1;
	v->uffd = -1;
	v->client_id = 0;
	return vmo_session_open(v);
}

/*
 * Register one inherited mapping with @v's uffd (attached on first use),
 * or, if that cannot be done, make it inaccessible.  Only a handle that
 * cannot attach is given up; one mapping that fails to register does
 * not stop the others.
 */
static void vmo_adopt(struct vmo_lib *v, const struct vmo_mapping *m)
{
	void *addr = (void *)(uintptr_t)m->start;
	size_t len = m->end - m->start;
	int err = v ? v->fork_error : -ENOTCONN;

	if (!err && v->uffd < 0) {
		err = vmo_client_attach(v);
		if (err)
			v->fork_error = err;
	}
	if (!err)
		err = vmo_register(v, -1, addr, len);
	if (!err)
		return;
	vmo_child_report("an inherited object mapping could not be registered and is now inaccessible", err);
	if (mprotect(addr, len, PROT_NONE) < 0)
		vmo_child_report("mprotect(PROT_NONE) of it failed: it is served by the kernel", vmo_errno());
}

/*
 * Every object mapping of the child, listed through @list_fd (a
 * handshaken session; the inherited one will do: the listing is of the
 * caller's address space), adopted by @v (NULL: none can be).
 */
static void vmo_adopt_all(struct vmo_lib *v, int list_fd)
{
	static struct vmo_mapping maps[VMO_MAPPINGS_MAX];
	struct vmo_mappings req = { .cursor = 0 };
	uint32_t i;

	do {
		req.buf = (uintptr_t)maps;
		req.count = VMO_MAPPINGS_MAX;
		if (ioctl(list_fd, VMO_IOC_MAPPINGS, &req) < 0) {
			vmo_child_report("listing the object mappings", vmo_errno());
			return;
		}
		for (i = 0; i < req.count; i++)
			vmo_adopt(v, &maps[i]);
	} while (req.cursor);
}

static void vmo_atfork_child(void)
{
	struct vmo_lib *v, *adopter = NULL;
	int list_fd = -1, old_fd, err;

	for (v = vmo_libs; v; v = v->next) {
		err = vmo_reopen(v, &old_fd);
		if (list_fd < 0)
			list_fd = old_fd;
		else
			close(old_fd);
		if (err) {
			v->fork_error = err;
			vmo_child_report("opening a session", err);
		} else if (!adopter) {
			adopter = v;
		}
	}
	if (list_fd >= 0) {
		vmo_adopt_all(adopter, list_fd);
		close(list_fd);
	}
	/* Taken by vmo_atfork_prepare() in the parent before fork. */
	vmo_atfork_parent();
}
