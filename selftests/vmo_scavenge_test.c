// SPDX-License-Identifier: GPL-2.0
/*
 * vmo scavenge selftests (module side): clean pages are dropped by the
 * module itself on request, dirty ones never are, dropped pages come
 * back with the same content; the request's rejected inputs.
 */
#include "vmo_util.h"
#include "kselftest_harness.h"

#define NPAGES 32

FIXTURE(clean)
{
	struct vmo_lib *v;
	unsigned char content[NPAGES * PAGE];
	int ffd, obj;
	unsigned char *p;
};

FIXTURE_SETUP(clean)
{
	char path[] = "/tmp/vmo-scav-XXXXXX";
	size_t i;

	for (i = 0; i < sizeof(self->content); i++)
		self->content[i] = (unsigned char)(i * 7 + i / PAGE);
	self->ffd = mkstemp(path);
	ASSERT_GE(self->ffd, 0);
	unlink(path);
	ASSERT_EQ(sizeof(self->content),
		  (size_t)write(self->ffd, self->content,
				sizeof(self->content)));
	ASSERT_EQ(0, vmo_open(&self->v));
	self->obj = vmo_create_file(self->v, self->ffd, 0, NPAGES * PAGE, 0,
				    NULL);
	ASSERT_GE(self->obj, 0);
	ASSERT_EQ(0, vmo_map(self->v, self->obj, 0, NPAGES * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED,
			     (void **)&self->p));
}

FIXTURE_TEARDOWN(clean)
{
	close(self->obj);
	vmo_close(self->v);
	close(self->ffd);
}

TEST_F(clean, proc_scavenge_drops_clean_pages_only)
{
	struct vmo_info before, after;
	long long dropped = vmo_util_stat("scavenge_pages_dropped");
	size_t i;

	/* All pages read (clean), two written (the object's own). */
	ASSERT_EQ(0, memcmp(self->p, self->content, NPAGES * PAGE));
	self->p[3 * PAGE] ^= 0xff;
	self->p[17 * PAGE + 9] ^= 0xff;
	self->content[3 * PAGE] ^= 0xff;
	self->content[17 * PAGE + 9] ^= 0xff;
	ASSERT_EQ(0, vmo_info(self->obj, &before));
	ASSERT_EQ(NPAGES, before.resident_pages);
	ASSERT_EQ(NPAGES - 2, before.clean_pages);

	/*
	 * Ask for more than there is: the module drops every clean page at
	 * once; the two written ones are the pager's to page out (if it has
	 * a backing store), never the module's to drop.
	 */
	ASSERT_EQ(0, vmo_util_write_proc("/proc/vmo/scavenge", "100000\n"));
	ASSERT_EQ(0, vmo_info(self->obj, &after));
	EXPECT_LE(after.resident_pages, 2);
	EXPECT_EQ(0, after.clean_pages);
	EXPECT_GE(vmo_util_stat("scavenge_pages_dropped"),
		  dropped + NPAGES - 2);

	/* Everything reads back the same: from the file, or kept. */
	for (i = 0; i < NPAGES; i++)
		ASSERT_EQ(0, memcmp(self->p + i * PAGE,
				    self->content + i * PAGE, PAGE));
}

TEST_F(clean, scavenge_ioctl_reports_dropped)
{
	struct vmo_scavenge req = { .pages = 5 };
	struct vmo_info info;
	int fd = vmo_util_session();

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, memcmp(self->p, self->content, NPAGES * PAGE));
	ASSERT_EQ(0, vmo_util_ioctl(fd, VMO_IOC_SCAVENGE, &req));
	/* Other objects may have given some of the five. */
	EXPECT_EQ(5, req.dropped + req.asked);
	EXPECT_LE(req.dropped, 5);
	ASSERT_EQ(0, vmo_info(self->obj, &info));
	EXPECT_GE(info.resident_pages, NPAGES - 5);
	EXPECT_EQ(0, memcmp(self->p, self->content, NPAGES * PAGE));
	close(fd);
}

TEST_F(clean, anon_pages_survive_scavenge)
{
	struct vmo_info info;
	unsigned char *a;
	int obj = vmo_create_anon(self->v, 8 * PAGE, 0, NULL);
	size_t i;

	ASSERT_GE(obj, 0);
	ASSERT_EQ(0, vmo_map(self->v, obj, 0, 8 * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, (void **)&a));
	for (i = 0; i < 8; i++)
		a[i * PAGE] = (unsigned char)(i + 1);
	/* Written demand-zero pages are the object's own: none look clean. */
	ASSERT_EQ(0, vmo_info(obj, &info));
	EXPECT_EQ(8, info.resident_pages);
	EXPECT_EQ(0, info.clean_pages);
	/* The pager may page them out; they come back the same. */
	ASSERT_EQ(0, vmo_util_write_proc("/proc/vmo/scavenge", "100000"));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(i + 1, a[i * PAGE]);
	close(obj);
}

TEST(scavenge_needs_cap_sys_admin)
{
	struct vmo_scavenge req = { .pages = 1 };
	int fd = vmo_util_session();
	pid_t pid;

	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (vmo_util_drop_caps())
			_exit(10);
		_exit(vmo_util_ioctl(fd, VMO_IOC_SCAVENGE, &req) == -EPERM ?
		      0 : 1);
	}
	EXPECT_EQ(0, vmo_util_wait_child(pid));
	close(fd);
}

TEST(scavenge_reserved_refused)
{
	struct vmo_scavenge req = { .pages = 1, .flags = 1 };
	int fd = vmo_util_session();

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(fd, VMO_IOC_SCAVENGE, &req));
	req.flags = 0;
	req.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(fd, VMO_IOC_SCAVENGE, &req));
	req.reserved[0] = 0;
	req.pad = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(fd, VMO_IOC_SCAVENGE, &req));
	close(fd);
}

TEST(proc_scavenge_garbage_refused)
{
	EXPECT_EQ(-EINVAL, vmo_util_write_proc("/proc/vmo/scavenge", "lots"));
	EXPECT_EQ(-EINVAL, vmo_util_write_proc("/proc/vmo/scavenge", "-5"));
}

TEST(reserve_beyond_memory_refused)
{
	struct vmo_lib *v;
	int fd;

	ASSERT_EQ(0, vmo_open(&v));
	/* 1 TiB cannot be committed in the test VM. */
	EXPECT_EQ(-ENOMEM, vmo_create_anon(v, VMO_MAX_SIZE,
					   VMO_CREATE_RESERVE, NULL));
	/* Without the reservation the same object is fine (sparse). */
	fd = vmo_create_anon(v, VMO_MAX_SIZE, 0, NULL);
	EXPECT_GE(fd, 0);
	close(fd);
	vmo_close(v);
}

TEST(reserve_counts_committed_pages)
{
	long long before = vmo_util_stat("reserved_pages");
	struct vmo_lib *v;
	unsigned char *p;
	int fd;

	ASSERT_GE(before, 0);
	ASSERT_EQ(0, vmo_open(&v));
	fd = vmo_create_anon(v, 256 * PAGE, VMO_CREATE_RESERVE, NULL);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(before + 256, vmo_util_stat("reserved_pages"));
	ASSERT_EQ(0, vmo_map(v, fd, 0, 256 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&p));
	p[255 * PAGE] = 1;
	EXPECT_EQ(1, p[255 * PAGE]);
	vmo_unmap(v, p, 256 * PAGE);
	close(fd);
	EXPECT_EQ(before, vmo_util_stat("reserved_pages"));
	vmo_close(v);
}

TEST_HARNESS_MAIN
