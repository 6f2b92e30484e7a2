// SPDX-License-Identifier: GPL-2.0
/*
 * vmo selftests of the pager's own requests (CLEAN, EVICT, RECORD): the
 * test stops the system's pager and attaches as the pager itself, so it
 * runs in the test VM only, as root, with $VMO_PAGER naming the pager.
 * While it is the pager nothing may fault on an object mapping (no one
 * would serve it): the test reaches stores through their fds and its own
 * plain mappings of them.  Every test ends with the system's pager back.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/mman.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

#define OBJ_PAGES	8
#define BACKING_PAGES	64

FIXTURE(role)
{
	int client;	/* a session that creates the object */
	int pager;	/* this test, attached as the pager */
	int obj;	/* the object's fd */
	int store;	/* its store, from VMO_IOC_PAGER_OBJECT */
	uint64_t id;
};

/* The pager attaches with a backing store of its own, or with none. */
FIXTURE_VARIANT(role)
{
	bool backing;
};

FIXTURE_VARIANT_ADD(role, plain)
{
	.backing = false,
};

FIXTURE_VARIANT_ADD(role, backed)
{
	.backing = true,
};

/* Become the pager, with one object and its store; 0 or -errno. */
/* A temporary file of BACKING_PAGES pages, open O_RDWR; or -errno. */
static int temp_backing(void)
{
	char path[] = "/tmp/vmo-role-backing.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, BACKING_PAGES * PAGE) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int become_pager(FIXTURE_DATA(role) *self, bool backing)
{
	struct vmo_create c = { .kind = VMO_KIND_ANON,
				.size = OBJ_PAGES * PAGE,
				.flags = VMO_CREATE_CLOEXEC };
	struct vmo_pager_attach pa = {};
	struct vmo_pager_object po = {};
	long ret;

	self->client = vmo_util_session();
	if (self->client < 0)
		return self->client;
	ret = vmo_util_ioctl(self->client, VMO_IOC_CREATE, &c);
	if (ret < 0)
		return (int)ret;
	self->obj = (int)c.fd;
	self->id = c.id;
	self->pager = vmo_util_session();
	if (self->pager < 0)
		return self->pager;
	if (backing) {
		ret = temp_backing();
		if (ret < 0)
			return (int)ret;
		pa.flags = VMO_PAGER_BACKING;
		pa.backing_fd = (__u32)ret;
		pa.backing_pages = BACKING_PAGES;
	}
	ret = vmo_util_ioctl(self->pager, VMO_IOC_PAGER_ATTACH, &pa);
	if (backing)
		close((int)pa.backing_fd);	/* the module holds its own */
	if (ret < 0)
		return (int)ret;
	/* An earlier pager's backing store: not needed here. */
	if (pa.kept_fd != VMO_NO_FD)
		close((int)pa.kept_fd);
	po.obj_id = self->id;
	ret = vmo_util_ioctl(self->pager, VMO_IOC_PAGER_OBJECT, &po);
	if (ret < 0)
		return (int)ret;
	self->store = (int)po.store_fd;
	if (po.src_fd != VMO_NO_FD)
		close((int)po.src_fd);
	return 0;
}

static void let_go(FIXTURE_DATA(role) *self)
{
	if (self->store >= 0)
		close(self->store);
	if (self->pager >= 0)
		close(self->pager);	/* detaches */
	if (self->obj >= 0)
		close(self->obj);
	if (self->client >= 0)
		close(self->client);
	self->client = self->pager = self->obj = self->store = -1;
	vmo_util_start_pager();
}

/*
 * A failed setup has no teardown: whatever fails here puts the system's
 * pager back before failing the test.
 */
FIXTURE_SETUP(role)
{
	int ret;

	self->client = self->pager = self->obj = self->store = -1;
	ASSERT_TRUE(vmo_util_stop_pager()) {
		vmo_util_start_pager();
	}
	ret = become_pager(self, variant->backing);
	if (ret)
		let_go(self);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(role)
{
	let_go(self);
}

static long do_clean(FIXTURE_DATA(role) *self, struct vmo_pager_clean *c)
{
	return vmo_util_ioctl(self->pager, VMO_IOC_PAGER_CLEAN, c);
}

static long do_evict(FIXTURE_DATA(role) *self, struct vmo_pager_evict *e)
{
	return vmo_util_ioctl(self->pager, VMO_IOC_PAGER_EVICT, e);
}

static long do_record(FIXTURE_DATA(role) *self, struct vmo_pager_record *r)
{
	return vmo_util_ioctl(self->pager, VMO_IOC_PAGER_RECORD, r);
}

/* Write page @idx of the store as a fill does: pwrite, no mapping. */
static int fill_page(int store, uint64_t idx, unsigned char byte)
{
	unsigned char buf[PAGE];

	memset(buf, byte, sizeof(buf));
	return pwrite(store, buf, PAGE, (off_t)(idx * PAGE)) == PAGE ? 0 :
	       -1;
}

/* ---- CLEAN: rejected inputs ---- */

TEST_F(role, clean_unknown_flag_refused)
{
	struct vmo_pager_clean c = { .store_fd = self->store, .npages = 1,
				     .flags = 1U << 7 };

	EXPECT_EQ(-EINVAL, do_clean(self, &c));
}

TEST_F(role, clean_both_modes_refused)
{
	struct vmo_pager_clean c = {
		.store_fd = self->store, .npages = 1,
		.flags = VMO_CLEAN_KEEP_DIRTY | VMO_CLEAN_IF_UNCHANGED,
	};

	EXPECT_EQ(-EINVAL, do_clean(self, &c));
}

TEST_F(role, clean_reserved_refused)
{
	struct vmo_pager_clean c = { .store_fd = self->store, .npages = 1,
				     .reserved = { 0, 1 } };

	EXPECT_EQ(-EINVAL, do_clean(self, &c));
}

TEST_F(role, clean_no_pages_refused)
{
	struct vmo_pager_clean c = { .store_fd = self->store, .npages = 0 };

	EXPECT_EQ(-EINVAL, do_clean(self, &c));
}

TEST_F(role, clean_too_many_pages_refused)
{
	struct vmo_pager_clean c = { .store_fd = self->store,
				     .npages = VMO_CLEAN_MAX + 1 };

	EXPECT_EQ(-EINVAL, do_clean(self, &c));
}

TEST_F(role, clean_bad_fd_refused)
{
	struct vmo_pager_clean c = { .store_fd = 9999, .npages = 1 };

	EXPECT_EQ(-EBADF, do_clean(self, &c));
}

TEST_F(role, clean_not_a_store_refused)
{
	struct vmo_pager_clean c = { .npages = 1 };
	int fd = open("/proc/vmo/stats", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	c.store_fd = (__u32)fd;
	EXPECT_EQ(-EINVAL, do_clean(self, &c));
	close(fd);
}

/* ---- CLEAN: what a fill's CLEAN (flags 0) does ---- */

TEST_F(role, clean_of_a_fill_makes_it_clean)
{
	struct vmo_pager_clean c = { .store_fd = self->store, .first = 2,
				     .npages = 1 };
	struct vmo_pager_evict e = { .store_fd = self->store, .first = 2,
				     .npages = 1 };

	ASSERT_EQ(0, fill_page(self->store, 2, 0x5a));
	/* Written by pwrite: dirty until the fill's CLEAN. */
	c.flags = VMO_CLEAN_KEEP_DIRTY;
	ASSERT_EQ(0, do_clean(self, &c));
	EXPECT_EQ(1, c.dirty);
	c.flags = 0;
	ASSERT_EQ(0, do_clean(self, &c));
	EXPECT_EQ(0, c.dirty);
	c.flags = VMO_CLEAN_KEEP_DIRTY;
	ASSERT_EQ(0, do_clean(self, &c));
	EXPECT_EQ(0, c.dirty);
	/* Clean, so EVICT may drop it. */
	ASSERT_EQ(0, do_evict(self, &e));
	EXPECT_EQ(1, e.dropped);
}

TEST_F(role, clean_of_a_fill_keeps_a_page_written_meanwhile)
{
	uint64_t bitmap = 0;
	struct vmo_pager_clean c = { .store_fd = self->store, .first = 0,
				     .npages = 2,
				     .bitmap = (uintptr_t)&bitmap };
	struct vmo_pager_evict e = { .store_fd = self->store, .first = 0,
				     .npages = 2 };
	unsigned char *m;

	ASSERT_EQ(0, fill_page(self->store, 0, 0x11));
	ASSERT_EQ(0, fill_page(self->store, 1, 0x22));
	/* A mapping writes page 1 between the fill and its CLEAN. */
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->store, 0);
	ASSERT_NE(MAP_FAILED, m);
	m[PAGE + 5] = 0x77;
	ASSERT_EQ(0, do_clean(self, &c));
	EXPECT_EQ(1, c.dirty);
	EXPECT_EQ(2, bitmap);	/* page 1: written, stays dirty */
	bitmap = 0;
	c.flags = VMO_CLEAN_KEEP_DIRTY;
	ASSERT_EQ(0, do_clean(self, &c));
	EXPECT_EQ(1, c.dirty);
	EXPECT_EQ(2, bitmap);
	/* Nothing written is dropped. */
	ASSERT_EQ(0, do_evict(self, &e));
	EXPECT_EQ(1, e.dropped);
	EXPECT_EQ(0x77, m[PAGE + 5]);
	EXPECT_EQ(0x22, m[PAGE]);
	munmap(m, 2 * PAGE);
}

/* ---- EVICT: rejected inputs ---- */

TEST_F(role, evict_unknown_flag_refused)
{
	struct vmo_pager_evict e = { .store_fd = self->store, .npages = 1,
				     .flags = 1 };

	EXPECT_EQ(-EINVAL, do_evict(self, &e));
}

TEST_F(role, evict_reserved_refused)
{
	struct vmo_pager_evict e = { .store_fd = self->store, .npages = 1,
				     .reserved = { 1, 0 } };

	EXPECT_EQ(-EINVAL, do_evict(self, &e));
}

TEST_F(role, evict_no_pages_refused)
{
	struct vmo_pager_evict e = { .store_fd = self->store, .npages = 0 };

	EXPECT_EQ(-EINVAL, do_evict(self, &e));
}

/* ---- RECORD: rejected inputs ---- */

static struct vmo_pager_record record_req(FIXTURE_DATA(role) *self,
					  uint32_t op, uint64_t *recs,
					  uint64_t npages)
{
	struct vmo_pager_record r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.obj_id = self->id;
	r.npages = npages;
	r.recs = (uintptr_t)recs;
	return r;
}

TEST_F(role, record_unknown_op_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, 99, recs, 1);

	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_no_pages_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 0);

	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_too_many_pages_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs,
					       VMO_RECORD_MAX + 1);

	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_unknown_flag_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 1);

	r.flags = 2;
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_fill_flag_on_set_refused)
{
	uint64_t recs[1] = { VMO_REC_KEEP };
	struct vmo_pager_record r = record_req(self, VMO_RECORD_SET, recs, 1);

	r.flags = VMO_RECORD_FILL;
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_filled_without_fill_refused)
{
	struct vmo_pager_record r = record_req(self, VMO_RECORD_FILLED,
					       NULL, 0);

	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_filled_with_pages_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 1);

	r.flags = VMO_RECORD_FILL;
	ASSERT_EQ(0, do_record(self, &r));
	r = record_req(self, VMO_RECORD_FILLED, recs, 1);
	EXPECT_EQ(-EINVAL, do_record(self, &r));
	r = record_req(self, VMO_RECORD_FILLED, NULL, 0);
	EXPECT_EQ(0, do_record(self, &r));
}

TEST_F(role, record_filled_of_unknown_object_refused)
{
	struct vmo_pager_record r = record_req(self, VMO_RECORD_FILLED,
					       NULL, 0);

	r.obj_id = ~0ULL;
	EXPECT_EQ(-ENOENT, do_record(self, &r));
}

struct punch {
	unsigned char *p;
	volatile pid_t tid;
	volatile int done;
	int ret;
};

static void *punch_main(void *arg)
{
	struct punch *pu = arg;

	pu->tid = gettid();
	pu->ret = madvise(pu->p, PAGE, MADV_REMOVE) ? -errno : 0;
	pu->done = 1;
	return NULL;
}

/*
 * A page-in (GET with FILL ... FILLED) and a client's hole punch of the
 * same object exclude each other: the punch waits for FILLED, and a
 * page-in asked for during the punch is refused.  Before, a punch
 * between the pager's GET and its fill brought the punched page's old
 * content back from its slot.
 */
TEST_F(role, record_fill_holds_off_a_punch)
{
	struct vmo_pager_record r;
	struct punch pu = {};
	uint64_t recs[2];
	pthread_t t;
	int i;

	pu.p = mmap(NULL, OBJ_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, self->obj, 0);
	ASSERT_NE(MAP_FAILED, pu.p);
	ASSERT_EQ(0, fill_page(self->store, 0, 0x5a));
	r = record_req(self, VMO_RECORD_GET, recs, 2);
	r.flags = VMO_RECORD_FILL;
	ASSERT_EQ(0, do_record(self, &r));

	ASSERT_EQ(0, pthread_create(&t, NULL, punch_main, &pu));
	while (!pu.tid)
		vmo_util_sleep_ms(1);
	for (i = 0; i < 2000 && vmo_util_thread_state(pu.tid) != 'D' && !pu.done; i++)
		vmo_util_sleep_ms(5);
	EXPECT_EQ(0, pu.done);		/* waits for the page-in */
	EXPECT_EQ('D', vmo_util_thread_state(pu.tid));

	/* No page-in may start while the punch is under way. */
	r = record_req(self, VMO_RECORD_GET, recs, 2);
	r.flags = VMO_RECORD_FILL;
	EXPECT_EQ(-EAGAIN, do_record(self, &r));
	/* A plain GET still answers. */
	r.flags = 0;
	EXPECT_EQ(0, do_record(self, &r));

	r = record_req(self, VMO_RECORD_FILLED, NULL, 0);
	EXPECT_EQ(0, do_record(self, &r));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(1, pu.done);
	EXPECT_EQ(0, pu.ret);
	EXPECT_EQ(0, pu.p[0]);		/* punched: the kernel's zero now */
	munmap(pu.p, OBJ_PAGES * PAGE);
}

TEST_F(role, record_reserved_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 1);

	r.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_output_field_as_input_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 1);

	r.count = 1;
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_freed_with_cursor_refused)
{
	struct vmo_page_record out[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_FREED,
					       (uint64_t *)out, 1);

	/* FREED takes whatever is there: no object, no cursor. */
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_unknown_object_refused)
{
	uint64_t recs[1];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 1);

	r.obj_id = self->id + 1000000;
	EXPECT_EQ(-ENOENT, do_record(self, &r));
}

TEST_F(role, record_past_object_refused)
{
	uint64_t recs[2];
	struct vmo_pager_record r = record_req(self, VMO_RECORD_GET, recs, 2);

	r.first = OBJ_PAGES - 1;
	EXPECT_EQ(-ENXIO, do_record(self, &r));
}

TEST_F(role, record_slot_past_store_refused)
{
	uint64_t recs[1] = { VMO_REC_SLOT(1ULL << 40) };
	struct vmo_pager_record r = record_req(self, VMO_RECORD_SET, recs, 1);

	if (!variant->backing)
		SKIP(return, "no backing store: a slot record gets ENODEV");
	ASSERT_EQ(0, fill_page(self->store, 0, 1));
	EXPECT_EQ(-EINVAL, do_record(self, &r));
}

TEST_F(role, record_slot_without_store_refused)
{
	uint64_t recs[1] = { VMO_REC_SLOT(0) };
	struct vmo_pager_record r = record_req(self, VMO_RECORD_SET, recs, 1);

	if (variant->backing)
		SKIP(return, "a backing store: slot 0 exists");
	ASSERT_EQ(0, fill_page(self->store, 0, 1));
	EXPECT_EQ(-ENODEV, do_record(self, &r));
}

/* ---- RECORD: a record set is read back ---- */

TEST_F(role, record_set_then_get)
{
	uint64_t recs[2] = { VMO_REC_KEEP, VMO_REC_ZERO };
	struct vmo_pager_record r = record_req(self, VMO_RECORD_SET, recs, 2);

	/* A record is set while the page is still in the store. */
	ASSERT_EQ(0, fill_page(self->store, 4, 0));
	r.first = 3;
	ASSERT_EQ(0, do_record(self, &r));
	EXPECT_EQ(0, r.refused);
	EXPECT_EQ(1, r.count);
	recs[0] = recs[1] = 77;
	r = record_req(self, VMO_RECORD_GET, recs, 2);
	r.first = 3;
	ASSERT_EQ(0, do_record(self, &r));
	EXPECT_EQ(VMO_REC_NONE, recs[0]);
	EXPECT_EQ(VMO_REC_ZERO, recs[1]);
	EXPECT_EQ(1, r.count);
}

TEST_F(role, record_of_absent_page_refused)
{
	uint64_t recs[1] = { VMO_REC_ZERO };
	struct vmo_pager_record r = record_req(self, VMO_RECORD_SET, recs, 1);

	/* Page 5 is not in the store: nothing was written out from it. */
	r.first = 5;
	ASSERT_EQ(0, do_record(self, &r));
	EXPECT_EQ(1, r.refused);
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(VMO_REC_NONE, recs[0]);
}

/* Punched records are forgotten only once the pager has them. */
TEST_F(role, record_freed_kept_when_copy_out_faults)
{
	uint64_t recs[1] = { VMO_REC_SLOT(5) };
	struct vmo_page_record out[4];
	struct vmo_pager_record r;
	char *m;

	if (!variant->backing)
		SKIP(return, "no backing store: no slot records");
	ASSERT_EQ(0, fill_page(self->store, 2, 0x42));
	r = record_req(self, VMO_RECORD_SET, recs, 1);
	r.first = 2;
	ASSERT_EQ(0, do_record(self, &r));
	ASSERT_EQ(1, r.count);
	/* A client punches the page out, through a mapping it never touches. */
	m = mmap(NULL, OBJ_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->obj, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, madvise(m + 2 * PAGE, PAGE, MADV_REMOVE));
	munmap(m, OBJ_PAGES * PAGE);

	r = record_req(self, VMO_RECORD_FREED, (uint64_t *)8, 4);
	r.obj_id = 0;
	EXPECT_EQ(-EFAULT, do_record(self, &r));
	r = record_req(self, VMO_RECORD_FREED, (uint64_t *)out, 4);
	r.obj_id = 0;
	ASSERT_EQ(0, do_record(self, &r));
	ASSERT_EQ(1, r.count);
	EXPECT_EQ(self->id, out[0].obj_id);
	EXPECT_EQ(2, out[0].index);
	EXPECT_EQ(VMO_REC_SLOT(5), out[0].rec);
	/* Handed over: forgotten. */
	r = record_req(self, VMO_RECORD_FREED, (uint64_t *)out, 4);
	r.obj_id = 0;
	ASSERT_EQ(0, do_record(self, &r));
	EXPECT_EQ(0, r.count);
}

/* ---- SIGBUS: ending a fault that can never be served ---- */

static void *sigbus_expected;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	_exit(si->si_addr == sigbus_expected && si->si_code == BUS_ADRERR ?
	      42 : 43);
}

/* A client that faults on its object's first page and waits there. */
static int sigbus_client(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	struct vmo_lib *v;
	unsigned char *p;
	int obj;

	if (vmo_open(&v))
		return 2;
	obj = vmo_create_anon(v, 4 * PAGE, 0, NULL);
	if (obj < 0 || vmo_map(v, obj, 0, 4 * PAGE, PROT_READ, MAP_SHARED,
			       (void **)&p))
		return 3;
	sigbus_expected = p + PAGE;
	sigaction(SIGBUS, &sa, NULL);
	return *(volatile unsigned char *)(p + PAGE);	/* waits: no pager */
}

/* The next CLIENT_NEW event: its uffd (in this process) and client id. */
static int next_client(FIXTURE_DATA(role) *self, uint64_t *id)
{
	struct vmo_event ev;
	int i;

	for (i = 0; i < 2000; i++) {
		memset(&ev, 0, sizeof(ev));
		if (ioctl(self->pager, VMO_IOC_PAGER_EVENT, &ev) < 0) {
			vmo_util_sleep_ms(5);
			continue;
		}
		if (ev.type == VMO_EV_CLIENT_NEW) {
			*id = ev.client_id;
			return (int)ev.uffd;
		}
	}
	return -1;
}

/* The next fault message on @uffd. */
static bool next_fault(int uffd, struct uffd_msg *m)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (read(uffd, m, sizeof(*m)) == sizeof(*m) &&
		    m->event == UFFD_EVENT_PAGEFAULT)
			return true;
		vmo_util_sleep_ms(5);
	}
	return false;
}

/*
 * The pager ends a fault with SIGBUS: the faulting thread (named by its
 * uffd message) gets it, BUS_ADRERR at the address, once woken.
 */
TEST_F(role, sigbus_reaches_the_faulting_thread)
{
	struct vmo_pager_sigbus req = {};
	struct uffdio_range wake;
	struct uffd_msg m;
	uint64_t id = 0;
	int status, uffd;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(sigbus_client());
	uffd = next_client(self, &id);
	ASSERT_GE(uffd, 0);
	ASSERT_TRUE(next_fault(uffd, &m));
	ASSERT_NE(0, m.arg.pagefault.feat.ptid);	/* UFFD_FEATURE_THREAD_ID */

	req.client_id = id;
	req.addr = m.arg.pagefault.address & ~(PAGE - 1);
	req.tid = m.arg.pagefault.feat.ptid;
	/* Not a thread of that client: refused. */
	req.tid = (uint32_t)getpid();
	EXPECT_EQ(-ESRCH, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS,
					 &req));
	req.tid = 0;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS,
					  &req));
	req.tid = m.arg.pagefault.feat.ptid;
	req.flags = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS,
					  &req));
	req.flags = 0;
	req.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS,
					  &req));
	req.reserved[1] = 0;
	req.client_id = ~0ULL;
	EXPECT_EQ(-ESRCH, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS,
					 &req));
	req.client_id = id;
	EXPECT_EQ(0, vmo_util_ioctl(self->pager, VMO_IOC_PAGER_SIGBUS, &req));
	wake.start = req.addr;
	wake.len = PAGE;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_WAKE, &wake));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(42, WEXITSTATUS(status));
	close(uffd);
}

TEST_F(role, sigbus_needs_the_pager_role)
{
	struct vmo_pager_sigbus req = { .client_id = 1, .tid = 1 };
	int s = vmo_util_session();

	ASSERT_GE(s, 0);
	EXPECT_EQ(-EBADFD, vmo_util_ioctl(s, VMO_IOC_PAGER_SIGBUS, &req));
	close(s);
}

TEST_HARNESS_MAIN
