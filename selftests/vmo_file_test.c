// SPDX-License-Identifier: GPL-2.0
/*
 * vmo file-object selftests: content, EOF, shared write-back (sync and
 * final), private isolation, sharing between processes, every rejected
 * input.  Run in the test VM with the pager attached.
 */
#include <sys/stat.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

/* 10 pages and a bit: the last page is partly past the end of file. */
#define FILE_LEN (10 * PAGE + 123)
#define FILE_PAGES 11

static void fill_random(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

/* A temporary file of @len random bytes; returns an O_RDWR fd. */
static int make_file(const unsigned char *content, size_t len)
{
	char path[] = "/tmp/vmo-file-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -errno;
	unlink(path);
	if (write(fd, content, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static int reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

FIXTURE(file)
{
	struct vmo_lib *v;
	unsigned char content[FILE_LEN];
	int fd;		/* O_RDWR */
};

FIXTURE_SETUP(file)
{
	fill_random(self->content, FILE_LEN, 42);
	self->fd = make_file(self->content, FILE_LEN);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, vmo_open(&self->v));
}

FIXTURE_TEARDOWN(file)
{
	vmo_close(self->v);
	close(self->fd);
}

static unsigned char *map_obj(struct vmo_lib *v, int obj, size_t len)
{
	void *p;

	if (vmo_map(v, obj, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, &p))
		return NULL;
	return p;
}

TEST_F(file, private_content_matches)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE, 0,
				  NULL);
	unsigned char *p;
	size_t i;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, memcmp(p, self->content, FILE_LEN));
	/* The tail of the last page, past the end of file, reads zero. */
	for (i = FILE_LEN; i < FILE_PAGES * PAGE; i++)
		ASSERT_EQ(0, p[i]);
	EXPECT_GE(vmo_util_wait_stat("pager_pages_file", FILE_PAGES),
		  FILE_PAGES);
	close(obj);
}

TEST_F(file, offset_into_file)
{
	int obj = vmo_create_file(self->v, self->fd, 3 * PAGE, 4 * PAGE, 0,
				  NULL);
	unsigned char *p;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, 4 * PAGE);
	ASSERT_NE(NULL, p);
	/* Backwards, so read-ahead does not hide a wrong offset. */
	EXPECT_EQ(0, memcmp(p + 3 * PAGE, self->content + 6 * PAGE, PAGE));
	EXPECT_EQ(0, memcmp(p, self->content + 3 * PAGE, 3 * PAGE));
	close(obj);
}

TEST_F(file, random_access_content)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE, 0,
				  NULL);
	static const int order[] = { 7, 2, 10, 0, 5, 9, 1, 8, 3, 6, 4 };
	unsigned char *p;
	size_t i, n;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	for (i = 0; i < FILE_PAGES; i++) {
		n = order[i] == 10 ? FILE_LEN - 10 * PAGE : PAGE;
		ASSERT_EQ(0, memcmp(p + order[i] * PAGE,
				    self->content + order[i] * PAGE, n));
	}
	close(obj);
}

TEST_F(file, access_past_eof_is_sigbus)
{
	/* The object is bigger than the file: pages past EOF are SIGBUS. */
	int obj = vmo_create_file(self->v, self->fd, 0, 16 * PAGE, 0, NULL);
	unsigned char *p;
	int status;
	pid_t pid;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, 16 * PAGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(self->content[10 * PAGE], p[10 * PAGE]);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		signal(SIGBUS, SIG_DFL);
		(void)*(volatile unsigned char *)(p + 12 * PAGE);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	close(obj);
}

TEST_F(file, private_writes_never_reach_file)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE, 0,
				  NULL);
	unsigned char buf[FILE_LEN];
	uint64_t pages = 99;
	unsigned char *p;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	memset(p, 0xee, 3 * PAGE);
	p[10 * PAGE] ^= 0xff;
	EXPECT_EQ(0, vmo_sync(obj, &pages));
	EXPECT_EQ(0, pages);
	vmo_unmap(self->v, p, FILE_PAGES * PAGE);
	close(obj);
	ASSERT_EQ(FILE_LEN, pread(self->fd, buf, FILE_LEN, 0));
	EXPECT_EQ(0, memcmp(buf, self->content, FILE_LEN));
}

TEST_F(file, shared_writes_reach_file_on_sync)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE,
				  VMO_CREATE_SHARED, NULL);
	unsigned char buf[FILE_LEN];
	uint64_t pages = 0;
	unsigned char *p;
	struct stat st;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	/* Read everything, then change three pages, one of them the tail. */
	ASSERT_EQ(0, memcmp(p, self->content, FILE_LEN));
	memset(p + PAGE, 0x11, PAGE);
	memcpy(p + 5 * PAGE + 17, "vmo", 3);
	p[10 * PAGE + 5] = 0x22;
	ASSERT_EQ(0, vmo_sync(obj, &pages));
	/* Only what changed is written. */
	EXPECT_EQ(3, pages);
	memset(self->content + PAGE, 0x11, PAGE);
	memcpy(self->content + 5 * PAGE + 17, "vmo", 3);
	self->content[10 * PAGE + 5] = 0x22;
	ASSERT_EQ(FILE_LEN, pread(self->fd, buf, FILE_LEN, 0));
	EXPECT_EQ(0, memcmp(buf, self->content, FILE_LEN));
	/* The file does not grow to the page boundary. */
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(FILE_LEN, st.st_size);
	/* Nothing changed since: nothing to write. */
	ASSERT_EQ(0, vmo_sync(obj, &pages));
	EXPECT_EQ(0, pages);
	/* Written again after the sync: written again. */
	p[0] = 0x33;
	ASSERT_EQ(0, vmo_sync(obj, &pages));
	EXPECT_EQ(1, pages);
	ASSERT_EQ(1, pread(self->fd, buf, 1, 0));
	EXPECT_EQ(0x33, buf[0]);
	close(obj);
}

/*
 * The file was truncated after the object was made: write-back stops at
 * its end now.  Before, vmo_sync() wrote the pages past it and grew the
 * file back to its size at creation.
 */
TEST_F(file, sync_never_grows_a_truncated_file)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE,
				  VMO_CREATE_SHARED, NULL);
	off_t cut = 3 * PAGE + 100;
	unsigned char buf[PAGE];
	uint64_t pages = 0;
	unsigned char *p;
	struct stat st;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, memcmp(p, self->content, FILE_LEN));
	/* Written: a page before the cut, the cut's page, pages past it. */
	p[PAGE] = 0x44;
	p[3 * PAGE + 7] = 0x55;
	memset(p + 6 * PAGE, 0x66, 2 * PAGE);
	ASSERT_EQ(0, ftruncate(self->fd, cut));
	ASSERT_EQ(0, vmo_sync(obj, &pages));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(cut, st.st_size);
	ASSERT_EQ(1, pread(self->fd, buf, 1, PAGE));
	EXPECT_EQ(0x44, buf[0]);
	ASSERT_EQ(1, pread(self->fd, buf, 1, 3 * PAGE + 7));
	EXPECT_EQ(0x55, buf[0]);
	/* The pages past the end keep what was written, in the object. */
	EXPECT_EQ(0x66, p[7 * PAGE + 1]);
	close(obj);
	/* The final write-back (the zombie's) does not grow it either. */
	ASSERT_EQ(0, vmo_util_wait_stat_eq("zombies", 0));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(cut, st.st_size);
}

/*
 * msync(MS_SYNC) on a mapping of a shared file object writes it back, as
 * on a mapping of the file itself, and so does fsync(2) of the object
 * fd.  Before, the store's fsync was noop_fsync: msync returned 0 and the
 * file kept its old content (and fsync of the object fd was EINVAL).
 */
TEST_F(file, msync_and_fsync_write_shared_object_back)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE,
				  VMO_CREATE_SHARED, NULL);
	unsigned char b, *p;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	p[2 * PAGE + 3] = (unsigned char)~self->content[2 * PAGE + 3];
	ASSERT_EQ(0, msync(p, FILE_PAGES * PAGE, MS_SYNC));
	ASSERT_EQ(1, pread(self->fd, &b, 1, 2 * PAGE + 3));
	EXPECT_EQ((unsigned char)~self->content[2 * PAGE + 3], b);

	p[7 * PAGE] = (unsigned char)~self->content[7 * PAGE];
	ASSERT_EQ(0, fsync(obj));
	ASSERT_EQ(1, pread(self->fd, &b, 1, 7 * PAGE));
	EXPECT_EQ((unsigned char)~self->content[7 * PAGE], b);
	close(obj);
}

TEST_F(file, shared_writes_reach_file_when_object_ends)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE,
				  VMO_CREATE_SHARED, NULL);
	unsigned char buf[FILE_LEN];
	unsigned char *p;
	uint64_t id;
	struct vmo_info info;
	int i;

	ASSERT_GE(obj, 0);
	ASSERT_EQ(0, vmo_info(obj, &info));
	id = info.id;
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	memset(p + 2 * PAGE, 0x44, 2 * PAGE);
	vmo_unmap(self->v, p, FILE_PAGES * PAGE);
	close(obj);
	/* The pager writes the zombie back, then the object goes. */
	for (i = 0; i < 1000 && vmo_util_object_row(id, NULL, NULL, NULL,
						    NULL); i++)
		vmo_util_sleep_ms(10);
	EXPECT_FALSE(vmo_util_object_row(id, NULL, NULL, NULL, NULL));
	memset(self->content + 2 * PAGE, 0x44, 2 * PAGE);
	ASSERT_EQ(FILE_LEN, pread(self->fd, buf, FILE_LEN, 0));
	EXPECT_EQ(0, memcmp(buf, self->content, FILE_LEN));
}

TEST_F(file, two_processes_share_file_object)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE,
				  VMO_CREATE_SHARED, NULL);
	unsigned char buf[PAGE];
	unsigned char *p;
	pid_t pid;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	p[0] = 0x55;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct vmo_lib *v;
		unsigned char *q;

		if (vmo_open(&v))
			_exit(1);
		q = map_obj(v, obj, FILE_PAGES * PAGE);
		if (!q || q[0] != 0x55 ||
		    memcmp(q + PAGE, self->content + PAGE, PAGE))
			_exit(2);
		q[4 * PAGE] = 0x66;
		_exit(0);
	}
	ASSERT_EQ(0, vmo_util_wait_child(pid));
	EXPECT_EQ(0x66, p[4 * PAGE]);
	ASSERT_EQ(0, vmo_sync(obj, NULL));
	ASSERT_EQ(PAGE, pread(self->fd, buf, PAGE, 4 * PAGE));
	EXPECT_EQ(0x66, buf[0]);
	close(obj);
}

TEST_F(file, module_keeps_its_own_file_reference)
{
	int rfd = reopen(self->fd, O_RDONLY);
	int obj = vmo_create_file(self->v, rfd, 0, FILE_PAGES * PAGE, 0,
				  NULL);
	unsigned char *p;

	ASSERT_GE(obj, 0);
	close(rfd);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, memcmp(p, self->content, FILE_LEN));
	close(obj);
}

TEST_F(file, info_counts_clean_and_own_pages)
{
	int obj = vmo_create_file(self->v, self->fd, 0, FILE_PAGES * PAGE, 0,
				  NULL);
	struct vmo_info info;
	unsigned char *p;
	size_t i;

	ASSERT_GE(obj, 0);
	p = map_obj(self->v, obj, FILE_PAGES * PAGE);
	ASSERT_NE(NULL, p);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(self->content[i * PAGE], p[i * PAGE]);
	ASSERT_EQ(0, vmo_info(obj, &info));
	EXPECT_EQ(VMO_KIND_FILE, info.kind);
	EXPECT_EQ(FILE_LEN, info.file_size);
	EXPECT_GE(info.resident_pages, 4);
	/* Read only: every page can be re-read from the file. */
	EXPECT_EQ(info.resident_pages, info.clean_pages);
	p[PAGE] = 1;
	p[2 * PAGE] = 1;
	ASSERT_EQ(0, vmo_info(obj, &info));
	EXPECT_EQ(info.resident_pages - 2, info.clean_pages);
	close(obj);
}

TEST_F(file, sync_on_other_objects_writes_nothing)
{
	int obj = vmo_create_anon(self->v, PAGE, 0, NULL);
	struct vmo_sync req = { .flags = 1 };
	uint64_t pages = 7;

	ASSERT_GE(obj, 0);
	EXPECT_EQ(0, vmo_sync(obj, &pages));
	EXPECT_EQ(0, pages);
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(obj, VMO_OBJ_SYNC, &req));
	req.flags = 0;
	req.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, vmo_util_ioctl(obj, VMO_OBJ_SYNC, &req));
	close(obj);
}

/* ---- rejected inputs ---- */

static long create_file(struct vmo_lib *v, int fd, uint64_t off,
			uint64_t size, uint32_t flags)
{
	return vmo_create_file(v, fd, off, size, flags, NULL);
}

TEST_F(file, not_a_regular_file_refused)
{
	int p[2];
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_GE(dir, 0);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EINVAL, create_file(self->v, dir, 0, PAGE, 0));
	EXPECT_EQ(-EINVAL, create_file(self->v, p[0], 0, PAGE, 0));
	close(dir);
	close(p[0]);
	close(p[1]);
}

TEST_F(file, object_fd_as_file_refused)
{
	int obj = vmo_create_anon(self->v, PAGE, 0, NULL);

	ASSERT_GE(obj, 0);
	EXPECT_EQ(-EINVAL, create_file(self->v, obj, 0, PAGE, 0));
	close(obj);
}

TEST_F(file, bad_fd_refused)
{
	EXPECT_EQ(-EBADF, create_file(self->v, 9999, 0, PAGE, 0));
}

TEST_F(file, unreadable_fd_refused)
{
	int wfd = reopen(self->fd, O_WRONLY);

	ASSERT_GE(wfd, 0);
	EXPECT_EQ(-EACCES, create_file(self->v, wfd, 0, PAGE, 0));
	close(wfd);
}

TEST_F(file, shared_on_read_only_fd_refused)
{
	int rfd = reopen(self->fd, O_RDONLY);

	ASSERT_GE(rfd, 0);
	EXPECT_EQ(-EACCES, create_file(self->v, rfd, 0, PAGE,
				       VMO_CREATE_SHARED));
	/* Private is fine on a read-only fd. */
	rfd = create_file(self->v, rfd, 0, PAGE, 0);
	EXPECT_GE(rfd, 0);
	close(rfd);
}

TEST_F(file, shared_on_append_fd_refused)
{
	int afd = reopen(self->fd, O_RDWR | O_APPEND);

	ASSERT_GE(afd, 0);
	EXPECT_EQ(-EACCES, create_file(self->v, afd, 0, PAGE,
				       VMO_CREATE_SHARED));
	close(afd);
}

TEST_F(file, unaligned_offset_refused)
{
	EXPECT_EQ(-EINVAL, create_file(self->v, self->fd, 100, PAGE, 0));
}

TEST_F(file, zero_size_refused)
{
	EXPECT_EQ(-EINVAL, create_file(self->v, self->fd, 0, 0, 0));
}

TEST_F(file, unaligned_size_refused)
{
	EXPECT_EQ(-EINVAL, create_file(self->v, self->fd, 0, PAGE + 1, 0));
}

TEST_F(file, overflowing_length_refused)
{
	EXPECT_EQ(-EOVERFLOW, create_file(self->v, self->fd,
					  0x7ffffffffffff000ULL, 2 * PAGE, 0));
	EXPECT_EQ(-EFBIG, create_file(self->v, self->fd, 0,
				      VMO_MAX_SIZE + PAGE, 0));
}

TEST_F(file, offset_at_or_past_eof_refused)
{
	EXPECT_EQ(-ENXIO, create_file(self->v, self->fd, FILE_PAGES * PAGE,
				      PAGE, 0));
	EXPECT_EQ(-ENXIO, create_file(self->v, self->fd, 64 * PAGE, PAGE, 0));
}

TEST_F(file, empty_file_refused)
{
	int efd = make_file(NULL, 0);

	ASSERT_GE(efd, 0);
	EXPECT_EQ(-ENXIO, create_file(self->v, efd, 0, PAGE, 0));
	close(efd);
}

TEST_F(file, unknown_flag_refused)
{
	EXPECT_EQ(-EINVAL, create_file(self->v, self->fd, 0, PAGE, 1U << 7));
}

/* Runs last: every object, file reference and store was released. */
TEST(zz_everything_released)
{
	int i;

	for (i = 0; i < 1000 && (vmo_util_stat("objects") ||
				 vmo_util_stat("zombies")); i++)
		vmo_util_sleep_ms(10);
	EXPECT_EQ(0, vmo_util_stat("objects"));
	EXPECT_EQ(0, vmo_util_stat("zombies"));
	EXPECT_EQ(0, vmo_util_stat("store_pages"));
	EXPECT_EQ(0, vmo_util_wait_stat_eq("pager_objects", 0));
}

TEST_HARNESS_MAIN
