// SPDX-License-Identifier: GPL-2.0
/*
 * vmo selftests: the /dev/vmo API, anonymous objects served by the
 * pager, sharing, lifetime, and every rejected input.  Run in the test
 * VM with vmo.ko loaded and vmo-pager attached.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

#define OBJ_PAGES 64
#define OBJ_SIZE (OBJ_PAGES * PAGE)

/* ---- sessions and handshake ---- */

TEST(open_close)
{
	int i, fd;

	for (i = 0; i < 100; i++) {
		fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, close(fd));
	}
}

TEST(request_before_handshake_refused)
{
	struct vmo_create c = { .kind = VMO_KIND_ANON, .size = PAGE };
	struct vmo_pager_attach pa = {};
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(fd, VMO_IOC_CREATE, &c));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(fd, VMO_IOC_PAGER_ATTACH, &pa));
	close(fd);
}

TEST(handshake_reports_version_and_features)
{
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(VMO_API_VERSION, hs.api_version);
	EXPECT_EQ(VMO_FEATURE_ANON, hs.features & VMO_FEATURE_ANON);
	EXPECT_EQ(VMO_FEATURE_PAGER, hs.features & VMO_FEATURE_PAGER);
	/* Repeating it is allowed and changes nothing. */
	ASSERT_EQ(0, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	EXPECT_GE(vmo_util_create(fd, PAGE), 0);
	close(fd);
}

TEST(handshake_version_zero_refused)
{
	struct vmo_handshake hs = { .api_version = 0 };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EPROTONOSUPPORT, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(-EBADFD, vmo_util_create(fd, PAGE));
	close(fd);
}

TEST(handshake_future_version_refused)
{
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION + 1 };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EPROTONOSUPPORT, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	/* The module says which version it does speak. */
	EXPECT_EQ(VMO_API_VERSION, hs.api_version);
	close(fd);
}

TEST(handshake_flags_refused)
{
	struct vmo_handshake hs = { .api_version = VMO_API_VERSION,
				    .flags = 1 };
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(-EBADFD, vmo_util_create(fd, PAGE));
	close(fd);
}

TEST(handshake_reserved_refused)
{
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < 2; i++) {
		struct vmo_handshake hs = { .api_version = VMO_API_VERSION };

		hs.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, vmo_util_ioctl(fd, VMO_IOC_HANDSHAKE, &hs));
	}
	close(fd);
}

TEST(unknown_ioctl_on_session_refused)
{
	int fd = open(VMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	char buf[64] = {};

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTTY, vmo_util_ioctl(fd, _IOR(VMO_IOC_MAGIC, 0x3f, buf),
					  buf));
	EXPECT_EQ(-ENOTTY, vmo_util_ioctl(fd, VMO_OBJ_INFO, buf));
	close(fd);
}

TEST(unknown_ioctl_on_object_refused)
{
	int fd = vmo_util_session();
	char buf[64] = {};
	int obj;

	ASSERT_GE(fd, 0);
	obj = vmo_util_create(fd, PAGE);
	ASSERT_GE(obj, 0);
	EXPECT_EQ(-ENOTTY, vmo_util_ioctl(obj, VMO_IOC_CREATE, buf));
	EXPECT_EQ(-ENOTTY, vmo_util_ioctl(obj, _IO(VMO_IOC_MAGIC, 0x41), buf));
	close(obj);
	close(fd);
}

/* ---- object creation: every rejected input ---- */

FIXTURE(session)
{
	int fd;
	struct vmo_create c;
};

FIXTURE_SETUP(session)
{
	self->fd = vmo_util_session();
	ASSERT_GE(self->fd, 0);
	memset(&self->c, 0, sizeof(self->c));
	self->c.kind = VMO_KIND_ANON;
	self->c.size = 16 * PAGE;
}

FIXTURE_TEARDOWN(session)
{
	close(self->fd);
}

TEST_F(session, create_returns_fd_and_id)
{
	long fd = vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c);
	long fd2;

	ASSERT_GE(fd, 0);
	EXPECT_EQ((uint32_t)fd, self->c.fd);
	EXPECT_NE(0, self->c.id);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	self->c.flags = VMO_CREATE_CLOEXEC;
	fd2 = vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(vmo_util_object_row(self->c.id, NULL, NULL, NULL, NULL));
	close(fd);
	close(fd2);
}

TEST_F(session, create_zero_size_refused)
{
	self->c.size = 0;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_unaligned_size_refused)
{
	self->c.size = PAGE + 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
	self->c.size = 100;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_oversized_refused)
{
	self->c.size = VMO_MAX_SIZE + PAGE;
	EXPECT_EQ(-EFBIG, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
	self->c.size = ~0ULL & ~(PAGE - 1);
	EXPECT_EQ(-EFBIG, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_largest_size_accepted)
{
	/* Sparse: nothing is committed until faulted. */
	self->c.size = VMO_MAX_SIZE;
	long fd = vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c);

	ASSERT_GE(fd, 0);
	close(fd);
}

TEST_F(session, create_unknown_kind_refused)
{
	self->c.kind = 0;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
	self->c.kind = 99;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_unknown_flag_refused)
{
	self->c.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
	self->c.flags = VMO_CREATE_FLAGS << 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_reserved_field_refused)
{
	int i;

	for (i = 0; i < 4; i++) {
		memset(self->c.reserved, 0, sizeof(self->c.reserved));
		self->c.reserved[i] = 0xdead;
		EXPECT_EQ(-EINVAL,
			  vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
	}
}

TEST_F(session, create_pad_refused)
{
	self->c.pad = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_anon_with_offset_refused)
{
	self->c.offset = PAGE;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_anon_with_src_fd_refused)
{
	self->c.src_fd = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_anon_shared_flag_refused)
{
	/* VMO_CREATE_SHARED means "writes reach the file": files only. */
	self->c.flags = VMO_CREATE_SHARED;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CREATE, &self->c));
}

TEST_F(session, create_bad_pointer_refused)
{
	EXPECT_EQ(-EFAULT, vmo_util_ioctl(self->fd, VMO_IOC_CREATE,
					  (void *)16));
}

/* ---- client attachment and map notices: rejected inputs ---- */

/* The events a client's uffd must report (VMO_IOC_CLIENT_ATTACH). */
#define EVENTS	(UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMAP | \
		 UFFD_FEATURE_EVENT_REMOVE)

/* A uffd with @features (UFFDIO_API not done if @features is ~0). */
static int uffd_with(uint64_t features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (features != ~0ULL && ioctl(fd, UFFDIO_API, &api) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int new_uffd(void)
{
	return uffd_with(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MINOR_SHMEM |
			 EVENTS);
}

TEST_F(session, client_attach_bad_fd_refused)
{
	struct vmo_client_attach ca = { .uffd = 9999 };

	EXPECT_EQ(-EBADF, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
}

TEST_F(session, client_attach_not_a_uffd_refused)
{
	struct vmo_client_attach ca = {};
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ca.uffd = p[0];
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	ca.uffd = eventfd(0, EFD_CLOEXEC);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	close(p[0]);
	close(p[1]);
}

TEST_F(session, client_attach_flags_refused)
{
	struct vmo_client_attach ca = { .flags = 1 };

	ca.uffd = new_uffd();
	ASSERT_GE((int)ca.uffd, 0);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	ca.flags = 0;
	ca.reserved[1] = 7;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	close(ca.uffd);
}

/*
 * Without UNMAP, REMAP and REMOVE events the pager's map table could
 * name an object that is no longer mapped, and fill another one.
 */
TEST_F(session, client_attach_without_unmap_events_refused)
{
	static const uint64_t lacking[] = {
		EVENTS & ~UFFD_FEATURE_EVENT_UNMAP,
		EVENTS & ~UFFD_FEATURE_EVENT_REMAP,
		EVENTS & ~UFFD_FEATURE_EVENT_REMOVE,
		0,
	};
	struct vmo_client_attach ca = {};
	long long before = vmo_util_stat("clients");
	size_t i;

	for (i = 0; i < sizeof(lacking) / sizeof(lacking[0]); i++) {
		ca.uffd = uffd_with(UFFD_FEATURE_MISSING_SHMEM | lacking[i]);
		ASSERT_GE((int)ca.uffd, 0);
		EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd,
						  VMO_IOC_CLIENT_ATTACH, &ca))
			TH_LOG("features %#llx", (unsigned long long)lacking[i]);
		close(ca.uffd);
	}
	EXPECT_EQ(before, vmo_util_stat("clients"));
}

TEST_F(session, client_attach_before_uffdio_api_refused)
{
	struct vmo_client_attach ca = {};

	ca.uffd = uffd_with(~0ULL);
	ASSERT_GE((int)ca.uffd, 0);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	close(ca.uffd);
}

TEST_F(session, client_attach_twice_refused)
{
	struct vmo_client_attach ca = {};
	long long before = vmo_util_stat("clients");

	ca.uffd = new_uffd();
	ASSERT_GE((int)ca.uffd, 0);
	ASSERT_EQ(0, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	EXPECT_NE(0, ca.client_id);
	EXPECT_EQ(before + 1, vmo_util_stat("clients"));
	EXPECT_EQ(-EBUSY, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	close(ca.uffd);
}

TEST_F(session, map_notify_without_client_refused)
{
	struct vmo_map_notify mn = { .addr = 0x100000, .len = PAGE };

	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY, &mn));
}

/* A client session with one object mapped but not yet registered. */
FIXTURE(client)
{
	int fd, uffd, obj;
	char *p;
	struct vmo_map_notify mn;
};

FIXTURE_SETUP(client)
{
	struct vmo_client_attach ca = {};

	self->fd = vmo_util_session();
	ASSERT_GE(self->fd, 0);
	self->uffd = new_uffd();
	ASSERT_GE(self->uffd, 0);
	ca.uffd = self->uffd;
	ASSERT_EQ(0, vmo_util_ioctl(self->fd, VMO_IOC_CLIENT_ATTACH, &ca));
	self->obj = vmo_util_create(self->fd, 4 * PAGE);
	ASSERT_GE(self->obj, 0);
	self->p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->obj, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	memset(&self->mn, 0, sizeof(self->mn));
	self->mn.obj_fd = self->obj;
	self->mn.addr = (uintptr_t)self->p;
	self->mn.len = 4 * PAGE;
}

FIXTURE_TEARDOWN(client)
{
	munmap(self->p, 4 * PAGE);
	close(self->obj);
	close(self->uffd);
	close(self->fd);
}

static int register_range(int uffd, void *p, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING |
			UFFDIO_REGISTER_MODE_MINOR,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) < 0 ? -errno : 0;
}

TEST_F(client, map_notify_unregistered_range_refused)
{
	/* Mapping before serving: the pager could never see these faults. */
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
}

TEST_F(client, map_notify_registered_range_accepted)
{
	ASSERT_EQ(0, register_range(self->uffd, self->p, 4 * PAGE));
	EXPECT_EQ(0, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY, &self->mn));
	/* A part of the mapping is fine too. */
	self->mn.addr += PAGE;
	self->mn.len = 2 * PAGE;
	EXPECT_EQ(0, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY, &self->mn));
}

TEST_F(client, map_notify_not_an_object_refused)
{
	int p[2];

	ASSERT_EQ(0, register_range(self->uffd, self->p, 4 * PAGE));
	ASSERT_EQ(0, pipe(p));
	self->mn.obj_fd = p[0];
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	self->mn.obj_fd = 9999;
	EXPECT_EQ(-EBADF, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					 &self->mn));
	close(p[0]);
	close(p[1]);
}

TEST_F(client, map_notify_wrong_object_refused)
{
	int other = vmo_util_create(self->fd, 4 * PAGE);

	ASSERT_GE(other, 0);
	ASSERT_EQ(0, register_range(self->uffd, self->p, 4 * PAGE));
	self->mn.obj_fd = other;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	close(other);
}

TEST_F(client, map_notify_bad_range_refused)
{
	ASSERT_EQ(0, register_range(self->uffd, self->p, 4 * PAGE));
	self->mn.addr += 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	self->mn.addr -= 1;
	self->mn.len = 5 * PAGE;	/* past the mapping */
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	self->mn.len = 0;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	self->mn.len = PAGE;
	self->mn.flags = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
	self->mn.flags = 0;
	self->mn.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_MAP_NOTIFY,
					  &self->mn));
}

/* ---- pager role ---- */

TEST_F(session, second_pager_refused)
{
	struct vmo_pager_attach pa = {};

	ASSERT_EQ(1, vmo_util_stat("pager_attached"));
	EXPECT_EQ(-EBUSY, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
}

TEST_F(session, pager_attach_reserved_refused)
{
	struct vmo_pager_attach pa = { .flags = 1U << 5 };

	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	pa.flags = 0;
	pa.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	/* An eventfd number without the flag that says it is one. */
	pa.reserved[1] = 0;
	pa.eventfd = 3;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	/* A backing size without the flag that says it is one. */
	pa.eventfd = 0;
	pa.backing_pages = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
}

TEST_F(session, pager_attach_backing_fields_refused)
{
	struct vmo_pager_attach pa = {};

	/* A backing fd without the flag that says it is one. */
	pa.backing_fd = 3;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	/* A backing store of no pages. */
	pa.flags = VMO_PAGER_BACKING;
	pa.backing_fd = 0;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	/* Output fields given as input. */
	pa.flags = 0;
	pa.kept_fd = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	pa.kept_fd = 0;
	pa.kept_pages = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
}

TEST_F(session, pager_attach_bad_eventfd_refused)
{
	struct vmo_pager_attach pa = { .flags = VMO_PAGER_EVENTFD };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	pa.eventfd = p[0];
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	pa.eventfd = 9999;
	EXPECT_EQ(-EBADF, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa));
	close(p[0]);
	close(p[1]);
}

TEST_F(session, pager_attach_needs_cap_sys_admin)
{
	struct vmo_pager_attach pa = {};
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		/* Drop every capability in this child only. */
		if (vmo_util_drop_caps())
			_exit(10);
		_exit(vmo_util_ioctl(self->fd, VMO_IOC_PAGER_ATTACH, &pa) ==
		      -EPERM ? 0 : 1);
	}
	EXPECT_EQ(0, vmo_util_wait_child(pid));
}

TEST_F(session, pager_requests_need_pager_role)
{
	struct vmo_event ev;
	struct vmo_lookup lk = {};
	struct vmo_pager_stats st = {};

	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_EVENT, &ev));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_LOOKUP, &lk));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_STATS, &st));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_OBJECT, &st));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_CLEAN, &st));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_DONE, &st));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_EVICT, &st));
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(self->fd, VMO_IOC_PAGER_RECORD, &st));
}

/* ---- mapping and serving ---- */

FIXTURE(mapped)
{
	struct vmo_lib *v;
	int obj;
	uint64_t id;
	unsigned char *p;
};

FIXTURE_SETUP(mapped)
{
	ASSERT_EQ(0, vmo_open(&self->v));
	self->obj = vmo_create_anon(self->v, OBJ_SIZE, VMO_CREATE_CLOEXEC,
				    &self->id);
	ASSERT_GE(self->obj, 0);
	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, OBJ_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED,
			     (void **)&self->p));
}

FIXTURE_TEARDOWN(mapped)
{
	if (self->p)
		vmo_unmap(self->v, self->p, OBJ_SIZE);
	if (self->obj >= 0)
		close(self->obj);
	vmo_close(self->v);
}

TEST_F(mapped, reads_zero_then_reads_back_writes)
{
	size_t i;

	for (i = 0; i < OBJ_SIZE; i++)
		ASSERT_EQ(0, self->p[i]);
	for (i = 0; i < OBJ_SIZE; i += 8)
		*(uint64_t *)(self->p + i) = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < OBJ_SIZE; i += 8)
		ASSERT_EQ(i * 0x9e3779b97f4a7c15ULL, *(uint64_t *)(self->p + i));
}

TEST_F(mapped, write_first_touch)
{
	size_t i;

	/* A write as the first touch of each page. */
	for (i = 0; i < OBJ_PAGES; i++)
		self->p[i * PAGE + 7] = (unsigned char)(i + 1);
	for (i = 0; i < OBJ_PAGES; i++) {
		ASSERT_EQ((unsigned char)(i + 1), self->p[i * PAGE + 7]);
		ASSERT_EQ(0, self->p[i * PAGE]);
	}
}

TEST_F(mapped, info_reports_object)
{
	struct vmo_info info;
	size_t i;

	for (i = 0; i < 8; i++)
		self->p[i * PAGE] = 1;
	ASSERT_EQ(0, vmo_info(self->obj, &info));
	EXPECT_EQ(self->id, info.id);
	EXPECT_EQ(VMO_KIND_ANON, info.kind);
	EXPECT_EQ(OBJ_SIZE, info.size);
	EXPECT_EQ(0, info.parent_id);
	EXPECT_GE(info.resident_pages, 8);
	EXPECT_LE(info.resident_pages, OBJ_PAGES);
	EXPECT_EQ(1, info.mappings);
	/* The object fd and the VMA. */
	EXPECT_EQ(2, info.refs);
}

TEST_F(mapped, proc_objects_row)
{
	unsigned long long size, resident, mappings;
	long long refs;

	self->p[0] = 1;
	self->p[5 * PAGE] = 1;
	ASSERT_TRUE(vmo_util_object_row(self->id, &size, &resident, &refs,
					&mappings));
	EXPECT_EQ(OBJ_SIZE, size);
	EXPECT_GE(resident, 2);
	EXPECT_EQ(2, refs);
	EXPECT_EQ(1, mappings);
}

TEST_F(mapped, map_beyond_size_refused)
{
	void *q;

	q = mmap(NULL, OBJ_SIZE + PAGE, PROT_READ, MAP_SHARED, self->obj, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EINVAL, errno);
	q = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->obj, OBJ_SIZE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EINVAL, errno);
	q = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->obj,
		 OBJ_SIZE - PAGE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, vmo_map(self->v, self->obj, 0, OBJ_SIZE + PAGE,
				   PROT_READ, MAP_SHARED, &q));
}

TEST_F(mapped, map_at_offset_sees_same_pages)
{
	unsigned char *q;

	ASSERT_EQ(0, vmo_map(self->v, self->obj, 16 * PAGE, 8 * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, (void **)&q));
	q[0] = 0xab;
	q[7 * PAGE + 1] = 0xcd;
	EXPECT_EQ(0xab, self->p[16 * PAGE]);
	EXPECT_EQ(0xcd, self->p[23 * PAGE + 1]);
	self->p[20 * PAGE] = 0xef;
	EXPECT_EQ(0xef, q[4 * PAGE]);
	EXPECT_EQ(0, vmo_unmap(self->v, q, 8 * PAGE));
}

TEST_F(mapped, two_mappings_in_one_process_share)
{
	unsigned char *q;
	size_t i;

	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, OBJ_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, (void **)&q));
	for (i = 0; i < OBJ_PAGES; i++)
		self->p[i * PAGE] = (unsigned char)(3 * i + 1);
	for (i = 0; i < OBJ_PAGES; i++)
		ASSERT_EQ((unsigned char)(3 * i + 1), q[i * PAGE]);
	/*
	 * The second view's first touches were mapped by the kernel from
	 * the store: the library registers MISSING only, so no MINOR fault
	 * ever reaches the pager.
	 */
	EXPECT_EQ(0, vmo_util_stat("pager_faults_minor"));
	EXPECT_EQ(0, vmo_unmap(self->v, q, OBJ_SIZE));
}

/*
 * Over a file object, so that a page the kernel zero-filled (a child's
 * mapping gone unregistered) cannot pass for one the pager served.
 */
TEST(two_processes_share)
{
	const size_t pages = 16;
	struct vmo_util_pmap m;
	struct vmo_lib *v;
	unsigned char *p;
	pid_t pid;
	size_t i;

	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, pages, PROT_READ | PROT_WRITE,
					  &m));
	p = m.p;
	for (i = 0; i < pages / 2; i++)
		p[i * PAGE] = 0;	/* the pattern is never 0 */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* The parent's pages, then the file's, which it writes. */
		for (i = 0; i < pages / 2; i++)
			if (p[i * PAGE] != 0)
				_exit(1);
		for (i = pages / 2; i < pages; i++) {
			if (!vmo_util_page_is_pattern(p, i))
				_exit(2);
			p[i * PAGE] = 0;
		}
		_exit(0);
	}
	ASSERT_EQ(0, vmo_util_wait_child(pid));
	for (i = 0; i < pages; i++)
		ASSERT_EQ(0, p[i * PAGE]);
	EXPECT_EQ(vmo_util_pattern(5 * PAGE + 1), p[5 * PAGE + 1]);
	vmo_util_pattern_unmap(v, &m);
	vmo_close(v);
}

TEST_F(mapped, child_maps_inherited_object)
{
	pid_t pid;
	size_t i;

	self->p[3 * PAGE] = 0x33;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct vmo_lib *v;
		unsigned char *q;

		/* A fresh session and mapping in the child. */
		if (vmo_open(&v) || vmo_map(v, self->obj, 0, OBJ_SIZE,
					    PROT_READ | PROT_WRITE, MAP_SHARED,
					    (void **)&q))
			_exit(1);
		if (q[3 * PAGE] != 0x33)
			_exit(2);
		for (i = 0; i < OBJ_PAGES; i++)
			q[i * PAGE + 1] = 0x77;
		_exit(0);
	}
	ASSERT_EQ(0, vmo_util_wait_child(pid));
	for (i = 0; i < OBJ_PAGES; i++)
		ASSERT_EQ(0x77, self->p[i * PAGE + 1]);
}

TEST_F(mapped, private_mapping_is_isolated)
{
	unsigned char *q;

	self->p[0] = 0x11;
	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, OBJ_SIZE,
			     PROT_READ | PROT_WRITE, MAP_PRIVATE, (void **)&q));
	EXPECT_EQ(0x11, q[0]);
	EXPECT_EQ(0, q[PAGE]);
	q[0] = 0x22;
	q[2 * PAGE] = 0x22;
	EXPECT_EQ(0x11, self->p[0]);
	EXPECT_EQ(0, self->p[2 * PAGE]);
	EXPECT_EQ(0, vmo_unmap(self->v, q, OBJ_SIZE));
}

TEST_F(mapped, pages_survive_madv_dontneed)
{
	self->p[0] = 0x5a;
	self->p[PAGE] = 0xa5;
	ASSERT_EQ(0, madvise(self->p, 2 * PAGE, MADV_DONTNEED));
	/* The pages stay in the store; the kernel maps them again. */
	EXPECT_EQ(0x5a, self->p[0]);
	EXPECT_EQ(0xa5, self->p[PAGE]);
	EXPECT_GE(vmo_util_wait_stat("pager_events_remove", 1), 1);
}

TEST_F(mapped, mremap_keeps_serving)
{
	long long missing;
	unsigned char *q;
	void *hole;

	self->p[0] = 0x42;
	/* Reserve a destination, then move the mapping there. */
	hole = mmap(NULL, OBJ_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	q = mremap(self->p, OBJ_SIZE, OBJ_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   hole);
	ASSERT_NE(MAP_FAILED, q);
	self->p = NULL;
	EXPECT_EQ(0x42, q[0]);
	/* An untouched page, served by the pager, not the kernel. */
	missing = vmo_util_stat("pager_faults_missing");
	ASSERT_GE(missing, 0);
	EXPECT_EQ(0, q[10 * PAGE]);
	EXPECT_GT(vmo_util_wait_stat("pager_faults_missing", missing + 1),
		  missing);
	q[11 * PAGE] = 0x43;
	EXPECT_EQ(0x43, q[11 * PAGE]);
	EXPECT_GE(vmo_util_wait_stat("pager_events_remap", 1), 1);
	munmap(q, OBJ_SIZE);
}

/* Over a file object: its untouched pages can only come from the pager. */
TEST(session_close_keeps_mapping_served)
{
	const size_t pages = 16;
	struct vmo_util_pmap m;
	struct vmo_lib *v;
	size_t i;

	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, pages, PROT_READ | PROT_WRITE,
					  &m));
	m.p[0] = 0;
	/* Close the object fd and the session: the mapping still works. */
	close(m.obj);
	vmo_close(v);
	ASSERT_EQ(0, vmo_open(&v));
	for (i = 1; i < pages; i++)
		ASSERT_TRUE(vmo_util_page_is_pattern(m.p, i));
	EXPECT_EQ(0, m.p[0]);
	munmap(m.p, m.len);
	vmo_close(v);
	close(m.ffd);
}

TEST_F(mapped, pager_counts_faults)
{
	long long before = vmo_util_stat("pager_faults_missing");
	long long zeroed = vmo_util_stat("pager_pages_zeroed");
	size_t i;

	ASSERT_GE(before, 0);
	for (i = 0; i < OBJ_PAGES; i++)
		self->p[i * PAGE] = 1;
	EXPECT_GE(vmo_util_wait_stat("pager_pages_zeroed",
				     zeroed + OBJ_PAGES), zeroed + OBJ_PAGES);
	EXPECT_GT(vmo_util_wait_stat("pager_faults_missing", before + 1),
		  before);
}

TEST_F(mapped, unmap_is_seen_by_pager)
{
	long long before = vmo_util_stat("pager_events_unmap");

	self->p[0] = 1;
	ASSERT_EQ(0, vmo_unmap(self->v, self->p, OBJ_SIZE));
	self->p = NULL;
	EXPECT_GT(vmo_util_wait_stat("pager_events_unmap", before + 1), before);
}

/* ---- lifetime ---- */

TEST(object_freed_after_last_fd_and_mapping)
{
	struct vmo_lib *v;
	unsigned char *p;
	uint64_t id;
	int obj;

	ASSERT_EQ(0, vmo_open(&v));
	obj = vmo_create_anon(v, 4 * PAGE, 0, &id);
	ASSERT_GE(obj, 0);
	ASSERT_EQ(0, vmo_map(v, obj, 0, 4 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&p));
	p[0] = 1;
	close(obj);
	/* The library's own dup of the fd is closed by vmo_unmap. */
	ASSERT_TRUE(vmo_util_object_row(id, NULL, NULL, NULL, NULL));
	EXPECT_EQ(1, p[0]);
	ASSERT_EQ(0, vmo_unmap(v, p, 4 * PAGE));
	/* The store's release runs at return to user space: it is gone. */
	EXPECT_FALSE(vmo_util_object_row(id, NULL, NULL, NULL, NULL));
	vmo_close(v);
}

TEST(object_freed_with_fd_never_mapped)
{
	long long freed = vmo_util_stat("objects_freed");
	int fd = vmo_util_session();
	struct vmo_create c = { .kind = VMO_KIND_ANON, .size = PAGE };
	int obj;

	ASSERT_GE(fd, 0);
	obj = vmo_util_ioctl(fd, VMO_IOC_CREATE, &c);
	ASSERT_GE(obj, 0);
	ASSERT_TRUE(vmo_util_object_row(c.id, NULL, NULL, NULL, NULL));
	close(obj);
	EXPECT_FALSE(vmo_util_object_row(c.id, NULL, NULL, NULL, NULL));
	EXPECT_GE(vmo_util_stat("objects_freed"), freed + 1);
	close(fd);
}

TEST(object_outlives_session)
{
	int fd = vmo_util_session();
	int obj;
	struct vmo_create c = { .kind = VMO_KIND_ANON, .size = PAGE };
	struct vmo_info info;

	ASSERT_GE(fd, 0);
	obj = vmo_util_ioctl(fd, VMO_IOC_CREATE, &c);
	ASSERT_GE(obj, 0);
	close(fd);
	ASSERT_EQ(0, vmo_info(obj, &info));
	EXPECT_EQ(c.id, info.id);
	close(obj);
}

TEST(client_ends_when_process_exits)
{
	long long clients = vmo_util_stat("clients");
	long long total = vmo_util_stat("pager_clients_total");
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct vmo_lib *v;
		unsigned char *p;
		int obj;

		if (vmo_open(&v))
			_exit(1);
		obj = vmo_create_anon(v, PAGE, 0, NULL);
		if (obj < 0 || vmo_map(v, obj, 0, PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, (void **)&p))
			_exit(2);
		p[0] = 1;
		_exit(0);	/* no cleanup: exit must do it */
	}
	ASSERT_EQ(0, vmo_util_wait_child(pid));
	EXPECT_EQ(clients, vmo_util_stat("clients"));
	/* The pager was told, and let go of the client's uffd. */
	EXPECT_GE(vmo_util_wait_stat("pager_clients_total", total + 1),
		  total + 1);
	/* The pager serves exactly the clients the module has. */
	EXPECT_EQ(clients, vmo_util_wait_stat_eq("pager_clients", clients));
}

TEST_HARNESS_MAIN
