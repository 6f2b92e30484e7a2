// SPDX-License-Identifier: GPL-2.0
/*
 * vmo multi-tenant selftests: what one client does to its own fds and
 * mappings must not stall the pager for everybody else.
 */
#include <dirent.h>
#include <pthread.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>

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

/* ---- per-user limits (module/vmo_user.c) ---- */

#define NOBODY		65534
#define PARAMS		"/sys/module/vmo/parameters/"
#define UNPRIV_UFFD	"/proc/sys/vm/unprivileged_userfaultfd"

/* A client session (fd in *@sfd, its uffd in *@ufd): 0 or -errno. */
static int attach_client(int *sfd, int *ufd)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MISSING_SHMEM |
			    UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMAP |
			    UFFD_FEATURE_EVENT_REMOVE,
	};
	struct vmo_client_attach ca = {};
	int ret;

	*sfd = vmo_util_session();
	if (*sfd < 0)
		return *sfd;
	*ufd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (*ufd < 0 || ioctl(*ufd, UFFDIO_API, &api) < 0) {
		ret = -errno;
		goto fail;
	}
	ca.uffd = *ufd;
	ret = vmo_util_ioctl(*sfd, VMO_IOC_CLIENT_ATTACH, &ca);
	if (!ret)
		return 0;
fail:
	if (*ufd >= 0)
		close(*ufd);
	close(*sfd);
	return ret;
}

/*
 * As nobody: @limit clients attach, one more gets EDQUOT, and once one
 * of them goes another attaches.  Exits 0, or 10 + the step that failed.
 */
static int client_quota_fn(pid_t limit)
{
	int sfd[64], ufd[64], extra_s, extra_u, i;

	if (setgid(NOBODY) || setuid(NOBODY))
		return 2;
	for (i = 0; i < limit; i++)
		if (attach_client(&sfd[i], &ufd[i]))
			return 11;
	if (attach_client(&extra_s, &extra_u) != -EDQUOT)
		return 12;
	close(sfd[0]);			/* nothing registered: it ends */
	close(ufd[0]);
	if (attach_client(&extra_s, &extra_u))
		return 13;
	return 0;
}

/*
 * As nobody, with no pager: @limit shared file objects created and
 * closed stay as zombies; the next create gets EDQUOT; a private file
 * object is still fine.  Exits 0, or 10 + the step that failed.
 */
static int zombie_quota_fn(pid_t limit)
{
	char path[] = "/tmp/vmo-zombie-XXXXXX";
	struct vmo_lib *v;
	int ffd, obj, i;

	if (setgid(NOBODY) || setuid(NOBODY))
		return 2;
	ffd = mkstemp(path);
	if (ffd < 0 || ftruncate(ffd, 4 * PAGE) || vmo_open(&v))
		return 3;
	unlink(path);
	for (i = 0; i < limit; i++) {
		obj = vmo_create_file(v, ffd, 0, 4 * PAGE, VMO_CREATE_SHARED,
				      NULL);
		if (obj < 0)
			return 11;
		close(obj);		/* a zombie: no pager to write it */
	}
	if (vmo_create_file(v, ffd, 0, 4 * PAGE, VMO_CREATE_SHARED,
			    NULL) != -EDQUOT)
		return 12;
	obj = vmo_create_file(v, ffd, 0, 4 * PAGE, 0, NULL);
	if (obj < 0)
		return 13;
	close(obj);
	vmo_close(v);
	return 0;
}

/*
 * As nobody: reserved objects up to the user's share of the backing
 * store (@pages pages) are admitted, one page more is not.
 */
static int reserve_quota_fn(pid_t pages)
{
	struct vmo_lib *v;
	int a, b;

	if (setgid(NOBODY) || setuid(NOBODY))
		return 2;
	if (vmo_open(&v))
		return 3;
	a = vmo_create_anon(v, (uint64_t)(pages / 2) * PAGE,
			    VMO_CREATE_RESERVE, NULL);
	if (a < 0)
		return 11;
	b = vmo_create_anon(v, (uint64_t)(pages - pages / 2) * PAGE,
			    VMO_CREATE_RESERVE, NULL);
	if (b < 0)
		return 12;
	if (vmo_create_anon(v, PAGE, VMO_CREATE_RESERVE, NULL) != -EDQUOT)
		return 13;
	close(a);		/* and what goes comes back */
	a = vmo_create_anon(v, PAGE, VMO_CREATE_RESERVE, NULL);
	if (a < 0)
		return 14;
	close(a);
	close(b);
	vmo_close(v);
	return 0;
}

static const char * const limit_params[] = {
	"max_clients_per_user", "max_clients", "max_zombies_per_user",
	"max_reserve_percent_per_user",
};
#define NPARAMS (sizeof(limit_params) / sizeof(limit_params[0]))

FIXTURE(limits)
{
	long long unpriv, param[NPARAMS];
};

static void param_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, PARAMS "%s", name);
}

FIXTURE_SETUP(limits)
{
	char path[128];
	size_t i;

	self->unpriv = vmo_util_read_num(UNPRIV_UFFD);
	for (i = 0; i < NPARAMS; i++) {
		param_path(path, sizeof(path), limit_params[i]);
		self->param[i] = vmo_util_read_num(path);
		ASSERT_LT(0, self->param[i]) TH_LOG("%s", path);
	}
	if (self->unpriv == 0)
		ASSERT_EQ(0, vmo_util_write_num(UNPRIV_UFFD, 1));
}

FIXTURE_TEARDOWN(limits)
{
	char path[128];
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		param_path(path, sizeof(path), limit_params[i]);
		vmo_util_write_num(path, self->param[i]);
	}
	if (self->unpriv == 0)
		vmo_util_write_num(UNPRIV_UFFD, 0);
	if (vmo_util_stat("pager_attached") != 1)
		vmo_util_start_pager();
}

TEST_F_TIMEOUT(limits, zombies_per_user_bounded, 60)
{
	long long zombies = vmo_util_stat("zombies");
	int ret, i;

	ASSERT_EQ(0, vmo_util_write_num(PARAMS "max_zombies_per_user", 3));
	ASSERT_TRUE(vmo_util_stop_pager());
	ret = run_child(zombie_quota_fn, 3);
	EXPECT_EQ(0, ret) TH_LOG("as nobody: %d", ret);
	EXPECT_EQ(zombies + 3, vmo_util_stat("zombies"));
	/* A pager writes them back, and they go. */
	ASSERT_TRUE(vmo_util_start_pager());
	for (i = 0; i < 500 && vmo_util_stat("zombies") > zombies; i++)
		vmo_util_sleep_ms(10);
	EXPECT_EQ(zombies, vmo_util_stat("zombies"));
}

TEST_F(limits, reserve_per_user_bounded)
{
	long long slots = vmo_util_stat("pager_backing_slots_used") +
			  vmo_util_stat("pager_backing_slots_free");
	long long share;
	int ret;

	if (slots <= 0)
		SKIP(return, "the pager has no backing store");
	ASSERT_EQ(0, vmo_util_write_num(PARAMS "max_reserve_percent_per_user", 10));
	share = slots * 10 / 100;
	ASSERT_LT(2, share);
	ret = run_child(reserve_quota_fn, (pid_t)share);
	EXPECT_EQ(0, ret) TH_LOG("as nobody: %d", ret);
}

TEST_F(limits, clients_per_user_bounded)
{
	int ret;

	ASSERT_EQ(0, vmo_util_write_num(PARAMS "max_clients_per_user", 3));
	ret = run_child(client_quota_fn, 3);
	EXPECT_EQ(0, ret) TH_LOG("as nobody: %d", ret);
}

/* Root (CAP_SYS_RESOURCE) is not held to the per-user bound. */
TEST_F(limits, clients_per_user_bound_spares_cap_sys_resource)
{
	int sfd[4], ufd[4], i;

	ASSERT_EQ(0, vmo_util_write_num(PARAMS "max_clients_per_user", 1));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, attach_client(&sfd[i], &ufd[i])) TH_LOG("client %d", i);
	for (i = 0; i < 4; i++) {
		close(sfd[i]);
		close(ufd[i]);
	}
}

TEST_F(limits, all_clients_bounded)
{
	int sfd[3], ufd[3], i;
	long long now = vmo_util_stat("clients");

	ASSERT_LE(0, now);
	ASSERT_EQ(0, vmo_util_write_num(PARAMS "max_clients", now + 2));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, attach_client(&sfd[i], &ufd[i])) TH_LOG("client %d", i);
	EXPECT_EQ(-ENFILE, attach_client(&sfd[2], &ufd[2]));
	for (i = 0; i < 2; i++) {
		close(sfd[i]);
		close(ufd[i]);
	}
}

static int sync_obj = -1;

static int sync_fn(pid_t unused)
{
	(void)unused;
	return vmo_sync(sync_obj, NULL) ? 2 : 0;
}

/*
 * A pager that runs out of fds (here --max-fds) while the module hands
 * it new clients' uffds does not exit: it goes on serving the clients
 * it has, the module's other events still reach it (a sync is
 * answered while the new clients wait), and once fds come free it
 * takes the rest.  Before, it exited on the first EMFILE, and a new
 * pager was handed every client again and died the same way.
 */
TEST_F_TIMEOUT(limits, pager_out_of_fds_keeps_serving, 120)
{
	enum { N = 48 };
	int sfd[N], ufd[N], i, made = 0;
	struct vmo_util_pmap m;
	unsigned char *w;
	struct vmo_lib *v;
	long long pid;

	ASSERT_TRUE(vmo_util_stop_pager());
	ASSERT_TRUE(vmo_util_start_pager_args("--max-fds 40 --no-background"));
	pid = vmo_util_stat("pager_pid");

	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, 8, PROT_READ, &m));
	EXPECT_TRUE(vmo_util_page_is_pattern(m.p, 0));
	sync_obj = vmo_create_file(v, m.ffd, 0, 8 * PAGE, VMO_CREATE_SHARED,
				   NULL);
	ASSERT_LE(0, sync_obj);
	/* Written, so the pager has it open (it will have no fd to spare). */
	ASSERT_EQ(0, vmo_map(v, sync_obj, 0, 8 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, (void **)&w));
	w[0] ^= 1;

	for (i = 0; i < N; i++, made++)
		if (attach_client(&sfd[i], &ufd[i]))
			break;
	vmo_util_sleep_ms(300);		/* the pager meets EMFILE */
	EXPECT_EQ(pid, vmo_util_stat("pager_pid"));
	/* Still serving the client it has ... */
	EXPECT_TRUE(vmo_util_page_is_pattern(m.p, 5));
	/* ... and answering the module while new clients wait. */
	EXPECT_EQ(0, run_child(sync_fn, 0)) TH_LOG("sync: -1 means it hung");
	vmo_unmap(v, w, 8 * PAGE);
	close(sync_obj);
	for (i = 0; i < made; i++) {
		close(sfd[i]);
		close(ufd[i]);
	}
	/* And the queue moves on: the clients come and go. */
	for (i = 0; i < 500 && vmo_util_stat("pager_clients") > 1; i++)
		vmo_util_sleep_ms(10);
	EXPECT_EQ(1, vmo_util_stat("pager_clients"));
	EXPECT_EQ(pid, vmo_util_stat("pager_pid"));
	EXPECT_TRUE(vmo_util_page_is_pattern(m.p, 7));
	vmo_util_pattern_unmap(v, &m);
	vmo_close(v);

	EXPECT_TRUE(vmo_util_stop_pager());
	EXPECT_TRUE(vmo_util_start_pager());
}

TEST_HARNESS_MAIN
