// SPDX-License-Identifier: GPL-2.0
/*
 * vmo stress selftests: many objects, many threads and processes
 * faulting at once, create/destroy churn.  The VM runner fails the run
 * if the kernel log shows a warning afterwards.
 */
#include <pthread.h>

#include "vmo_util.h"
#include "kselftest_harness.h"

#define THREADS 8
#define OBJS_PER_THREAD 16
#define OBJ_PAGES 32

struct worker {
	struct vmo_lib *v;
	int id;
	int shared_fd;
	unsigned char *shared;
	size_t shared_pages;
	int err;
};

/* Creates, maps, fills and checks its own objects; then its stripe. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned char *p[OBJS_PER_THREAD];
	int fd[OBJS_PER_THREAD];
	size_t i, j;

	for (i = 0; i < OBJS_PER_THREAD; i++) {
		fd[i] = vmo_create_anon(w->v, OBJ_PAGES * PAGE,
					VMO_CREATE_CLOEXEC, NULL);
		if (fd[i] < 0 ||
		    vmo_map(w->v, fd[i], 0, OBJ_PAGES * PAGE,
			    PROT_READ | PROT_WRITE, MAP_SHARED,
			    (void **)&p[i])) {
			w->err = 1;
			return NULL;
		}
	}
	for (i = 0; i < OBJS_PER_THREAD; i++)
		for (j = 0; j < OBJ_PAGES; j++)
			p[i][j * PAGE + (j % 64)] = (unsigned char)(w->id + i + j);
	for (i = 0; i < OBJS_PER_THREAD; i++) {
		for (j = 0; j < OBJ_PAGES; j++) {
			if (p[i][j * PAGE + (j % 64)] !=
			    (unsigned char)(w->id + i + j) ||
			    p[i][j * PAGE + 100] != 0)
				w->err = 2;
		}
	}
	/* Every thread touches every page of the shared object at once. */
	for (j = 0; j < w->shared_pages; j++)
		w->shared[j * PAGE + w->id] = (unsigned char)(w->id + 1);
	for (i = 0; i < OBJS_PER_THREAD; i++) {
		if (vmo_unmap(w->v, p[i], OBJ_PAGES * PAGE))
			w->err = 3;
		close(fd[i]);
	}
	return NULL;
}

TEST(many_objects_many_threads)
{
	const size_t shared_pages = 256;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	long long objects = vmo_util_stat("objects");
	struct vmo_lib *v;
	unsigned char *shared;
	int sfd, i;
	size_t j;

	ASSERT_GE(objects, 0);
	ASSERT_EQ(0, vmo_open(&v));
	sfd = vmo_create_anon(v, shared_pages * PAGE, VMO_CREATE_CLOEXEC, NULL);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(0, vmo_map(v, sfd, 0, shared_pages * PAGE,
			     PROT_READ | PROT_WRITE, MAP_SHARED,
			     (void **)&shared));
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .v = v, .id = i, .shared_fd = sfd,
					.shared = shared,
					.shared_pages = shared_pages };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_main, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].err);
	}
	for (j = 0; j < shared_pages; j++)
		for (i = 0; i < THREADS; i++)
			ASSERT_EQ(i + 1, shared[j * PAGE + i]);
	ASSERT_EQ(0, vmo_unmap(v, shared, shared_pages * PAGE));
	close(sfd);
	vmo_close(v);
	EXPECT_EQ(objects, vmo_util_stat("objects"));
}

/*
 * Over a file object: each child first reads its pages (the file's, from
 * the pager: a kernel zero fill would not match), then writes them.
 */
TEST(many_processes_one_object)
{
	const int procs = 6;
	const size_t pages = 512;
	struct vmo_util_pmap m;
	struct vmo_lib *v;
	unsigned char *p;
	pid_t pid[6];
	int i;
	size_t j;

	ASSERT_EQ(0, vmo_open(&v));
	ASSERT_EQ(0, vmo_util_pattern_map(v, pages, PROT_READ | PROT_WRITE,
					  &m));
	p = m.p;
	for (i = 0; i < procs; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (!pid[i]) {
			/* Interleaved stripes: neighbours fault together. */
			for (j = i; j < pages; j += procs) {
				if (!vmo_util_page_is_pattern(p, j))
					_exit(1);
				memset(p + j * PAGE, 0, PAGE);
				p[j * PAGE] = (unsigned char)(i + 1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++)
		ASSERT_EQ(0, vmo_util_wait_child(pid[i]));
	for (j = 0; j < pages; j++) {
		ASSERT_EQ(j % procs + 1, p[j * PAGE]);
		ASSERT_EQ(0, p[j * PAGE + PAGE - 1]);
	}
	vmo_util_pattern_unmap(v, &m);
	vmo_close(v);
}

TEST(create_map_destroy_churn)
{
	long long objects = vmo_util_stat("objects");
	long long clients = vmo_util_stat("clients");
	struct vmo_lib *v;
	unsigned char *p;
	int i, fd;

	ASSERT_GE(objects, 0);
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, vmo_open(&v));
		fd = vmo_create_anon(v, 2 * PAGE, VMO_CREATE_CLOEXEC, NULL);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, vmo_map(v, fd, 0, 2 * PAGE,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     (void **)&p));
		p[PAGE] = (unsigned char)i;
		ASSERT_EQ((unsigned char)i, p[PAGE]);
		ASSERT_EQ(0, p[0]);
		ASSERT_EQ(0, vmo_unmap(v, p, 2 * PAGE));
		close(fd);
		vmo_close(v);
	}
	EXPECT_EQ(objects, vmo_util_stat("objects"));
	EXPECT_EQ(clients, vmo_util_stat("clients"));
}

TEST_HARNESS_MAIN
