// SPDX-License-Identifier: GPL-2.0
/*
 * vmo lifecycle selftests: the pager going away and coming back, and
 * module unload.  These stop and restart the system's pager and reload
 * vmo.ko, so they run in the test VM only, as root, with $VMO_KO and
 * $VMO_PAGER naming the module and the pager.  Every test leaves the
 * module loaded and a pager attached, whatever happens.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

static bool module_loaded(void)
{
	return access("/proc/vmo/stats", F_OK) == 0;
}

static int load_module(void)
{
	int fd = open(vmo_util_env("VMO_KO", "/vmo.ko"), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret ? -errno : 0;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "vmo", O_NONBLOCK) ? -errno : 0;
}

/*
 * Unload, allowing a moment for teardown that finishes after the last
 * user went (a client that ended with its process is freed from a work
 * queue).  A real leak still fails: the reference never drops.
 */
static int unload_module_eventually(void)
{
	int i, ret = -EWOULDBLOCK;

	for (i = 0; i < 200 && ret == -EWOULDBLOCK; i++) {
		ret = unload_module();
		if (ret == -EWOULDBLOCK)
			vmo_util_sleep_ms(10);
	}
	return ret;
}

/* Whatever a test did, leave the module loaded and a pager attached. */
static void restore(void)
{
	if (!module_loaded())
		load_module();
	vmo_util_start_pager();
}

/* Every test leaves the module loaded and a pager attached, even failing. */
FIXTURE(lifecycle)
{
	int unused;
};

FIXTURE_SETUP(lifecycle)
{
	ASSERT_TRUE(module_loaded());
	ASSERT_TRUE(vmo_util_start_pager());
}

FIXTURE_TEARDOWN(lifecycle)
{
	restore();
}

struct toucher {
	volatile unsigned char *p;
	unsigned char seen;
	volatile int done;
};

static void *touch_main(void *arg)
{
	struct toucher *t = arg;

	t->seen = t->p[0];
	t->done = 1;
	return NULL;
}

/*
 * Over a file object: what the waiting thread reads can only come from
 * the new pager (a kernel zero fill would read 0).
 */
TEST_F(lifecycle, pager_restart_serves_waiting_fault)
{
	struct toucher t = {};
	struct vmo_util_pmap m;
	struct vmo_lib *v;
	unsigned char *p;
	pthread_t th;

	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, 4, PROT_READ | PROT_WRITE, &m));
	p = m.p;
	p[PAGE] = 0x61;
	/* The fill covered the block: make page 2 a hole again. */
	ASSERT_EQ(0, madvise(p + 2 * PAGE, PAGE, MADV_REMOVE));

	ASSERT_TRUE(vmo_util_stop_pager());
	/* With no pager the fault waits: never a silent kernel zero page. */
	t.p = p + 2 * PAGE;
	ASSERT_EQ(0, pthread_create(&th, NULL, touch_main, &t));
	vmo_util_sleep_ms(300);
	EXPECT_EQ(0, t.done);

	ASSERT_TRUE(vmo_util_start_pager());
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(1, t.done);
	EXPECT_EQ(vmo_util_pattern(2 * PAGE), t.seen);
	EXPECT_EQ(0x61, p[PAGE]);
	p[3 * PAGE] = 0x62;
	EXPECT_EQ(0x62, p[3 * PAGE]);
	vmo_util_pattern_unmap(v, &m);
	vmo_close(v);
}

TEST_F(lifecycle, rmmod_refused_while_in_use)
{
	struct vmo_lib *v;
	unsigned char *p;
	int fd;

	ASSERT_TRUE(vmo_util_stop_pager());
	/* With the pager gone nothing holds it: unload and reload. */
	ASSERT_EQ(0, unload_module_eventually());
	ASSERT_EQ(0, load_module());

	/* An open session pins the module. */
	ASSERT_EQ(0, vmo_open(&v));
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	fd = vmo_create_anon(v, PAGE, 0, NULL);
	ASSERT_GE(fd, 0);
	vmo_close(v);
	/* So does an object fd... */
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	/* ...and a mapping whose fd is closed. */
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	munmap(p, PAGE);
	/* munmap's fput completes on return to user space. */
	EXPECT_EQ(0, unload_module_eventually());
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module());
	EXPECT_TRUE(module_loaded());
}

TEST_F(lifecycle, rmmod_clean_after_use)
{
	struct vmo_lib *v;
	unsigned char *p;
	int fd, i;

	/* Exercise objects, a client and the pager, then unload. */
	ASSERT_EQ(0, vmo_open(&v));
	fd = vmo_create_anon(v, 16 * PAGE, 0, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vmo_map(v, fd, 0, 16 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&p));
	for (i = 0; i < 16; i++)
		p[i * PAGE] = 1;
	vmo_unmap(v, p, 16 * PAGE);
	close(fd);
	vmo_close(v);
	ASSERT_TRUE(vmo_util_stop_pager());
	EXPECT_EQ(0, vmo_util_stat("objects"));
	EXPECT_EQ(0, vmo_util_stat("clients"));
	EXPECT_EQ(0, unload_module_eventually());
	ASSERT_EQ(0, load_module());
}

TEST_HARNESS_MAIN
