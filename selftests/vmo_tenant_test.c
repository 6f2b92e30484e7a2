// SPDX-License-Identifier: GPL-2.0
/*
 * vmo multi-tenant selftests: what one client does to its own fds and
 * mappings must not stall the pager for everybody else.
 */
#include <dirent.h>
#include <pthread.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

/* The pager reads this many messages at once (ENGINE_BATCH). */
#define BATCH 64

/* This process's userfaultfd, found through /proc/self/fd, or -1. */
static int own_uffd(void)
{
	char path[300], link[64];
	struct dirent *d;
	int fd = -1;
	ssize_t n;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "userfaultfd")) {
			fd = atoi(d->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

struct toucher {
	unsigned char *p;
	volatile pid_t tid;
};

static volatile int served;

static void *touch_main(void *arg)
{
	struct toucher *t = arg;
	unsigned char b;

	t->tid = gettid();
	b = *(volatile unsigned char *)t->p;
	__atomic_add_fetch(&served, 1, __ATOMIC_SEQ_CST);
	return (void *)(uintptr_t)b;
}

/*
 * The client: BATCH threads fault on BATCH pages while the pager is
 * stopped; the pager goes on and reads them all in one batch, and as
 * soon as the first is served, while the pager is still serving the
 * others, the client clears O_NONBLOCK on its uffd (the pager's fd for
 * it is the same open file).  A full batch, so the pager reads again:
 * that read would block for ever (poll() would have said EPOLLERR, but
 * the pager does not poll between the reads of one drain).  Exits 0
 * once every thread was served, 2.. on a set-up failure.
 */
static int freezer(pid_t pager)
{
	struct toucher t[BATCH];
	pthread_t th[BATCH];
	struct vmo_lib *v;
	unsigned char *p;
	int obj, uffd, i;

	if (vmo_open(&v))
		return 2;
	obj = vmo_create_anon(v, BATCH * PAGE, 0, NULL);
	if (obj < 0 || vmo_map(v, obj, 0, BATCH * PAGE, PROT_READ,
			       MAP_SHARED, (void **)&p))
		return 3;
	uffd = own_uffd();
	if (uffd < 0)
		return 4;
	if (kill(pager, SIGSTOP))
		return 5;
	for (i = 0; i < BATCH; i++) {
		t[i] = (struct toucher){ .p = p + i * PAGE };
		if (pthread_create(&th[i], NULL, touch_main, &t[i]))
			return 6;
		while (!t[i].tid)
			vmo_util_sleep_ms(1);
		if (!vmo_util_wait_asleep(t[i].tid))
			return 7;
	}
	kill(pager, SIGCONT);
	while (!__atomic_load_n(&served, __ATOMIC_SEQ_CST))
		;	/* spin: the pager is in the middle of the batch */
	fcntl(uffd, F_SETFL, fcntl(uffd, F_GETFL) & ~O_NONBLOCK);
	for (i = 0; i < BATCH; i++)
		pthread_join(th[i], NULL);
	return 0;
}

/* Another client: reads a file object's page (the pager's work). */
static int reader(void)
{
	struct vmo_util_pmap m;
	struct vmo_lib *v;

	if (vmo_open(&v) || vmo_util_pattern_map(v, 4, PROT_READ, &m))
		return 2;
	return vmo_util_page_is_pattern(m.p, 2) ? 0 : 4;
}

/*
 * Runs @fn in a child; its exit status, or -1 if it hung for 20 s (the
 * harness gives a test 30).
 */
static int run_child(int (*fn)(pid_t), pid_t arg)
{
	int status = 0, i;
	pid_t pid, w = 0;

	pid = fork();
	if (pid < 0)
		return -2;
	if (!pid)
		_exit(fn(arg));
	for (i = 0; i < 2000 && !w; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (!w)
			vmo_util_sleep_ms(10);
	}
	if (!w) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int reader_fn(pid_t unused)
{
	(void)unused;
	return reader();
}

/*
 * Before the pager guarded its reads, its second read of the freezer's
 * uffd blocked for ever: no fault of any client was served again.  Now
 * the read is ended, the flag set again, and everybody is served.
 */
TEST(client_clearing_o_nonblock_cannot_freeze_the_pager)
{
	long long pager = vmo_util_stat("pager_pid");
	int ret;

	ASSERT_GT(pager, 0);
	ret = run_child(freezer, (pid_t)pager);
	kill((pid_t)pager, SIGCONT);	/* whatever the child did */
	EXPECT_EQ(0, ret) TH_LOG("freezer: %d (-1: hung)", ret);
	ret = run_child(reader_fn, 0);
	EXPECT_EQ(0, ret) TH_LOG("another client: %d (-1: not served)", ret);
}

TEST_HARNESS_MAIN
