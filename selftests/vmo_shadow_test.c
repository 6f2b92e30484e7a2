// SPDX-License-Identifier: GPL-2.0
/*
 * vmo shadow-object selftests: copy-on-write chains over anonymous and
 * file objects, what a shadow sees when its parent changes, lifetime of
 * parents, rejected inputs, and a seeded randomized model test.
 *
 * The semantics tested (docs/design.md): a page of a shadow that the
 * shadow has never accessed shows its parent's current content; the
 * shadow's first access (read or write) freezes the page in the shadow;
 * a write through a shadow never reaches its parent.
 */
#include "vmo_util.h"
#include "kselftest_harness.h"

#define NPAGES 16

static unsigned char *map_obj(struct vmo_lib *v, int obj, size_t len)
{
	void *p;

	if (vmo_map(v, obj, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, &p))
		return NULL;
	return p;
}

FIXTURE(chain)
{
	struct vmo_lib *v;
	int root;
	unsigned char *r;
};

FIXTURE_SETUP(chain)
{
	size_t i;

	ASSERT_EQ(0, vmo_open(&self->v));
	self->root = vmo_create_anon(self->v, NPAGES * PAGE, 0, NULL);
	ASSERT_GE(self->root, 0);
	self->r = map_obj(self->v, self->root, NPAGES * PAGE);
	ASSERT_NE(NULL, self->r);
	for (i = 0; i < NPAGES; i++)
		memset(self->r + i * PAGE, 0x10 + i, PAGE);
}

FIXTURE_TEARDOWN(chain)
{
	close(self->root);
	vmo_close(self->v);
}

TEST_F(chain, shadow_reads_parent)
{
	int s = vmo_create_shadow(self->v, self->root, 0, NPAGES * PAGE, 0,
				  NULL);
	unsigned char *p;
	size_t i;

	ASSERT_GE(s, 0);
	p = map_obj(self->v, s, NPAGES * PAGE);
	ASSERT_NE(NULL, p);
	for (i = 0; i < NPAGES; i++) {
		ASSERT_EQ(0x10 + i, p[i * PAGE]);
		ASSERT_EQ(0x10 + i, p[i * PAGE + PAGE - 1]);
	}
	EXPECT_GE(vmo_util_wait_stat("pager_pages_parent", NPAGES), NPAGES);
	close(s);
}

TEST_F(chain, shadow_writes_stay_in_shadow)
{
	int s = vmo_create_shadow(self->v, self->root, 0, NPAGES * PAGE, 0,
				  NULL);
	struct vmo_info info;
	unsigned char *p;

	ASSERT_GE(s, 0);
	p = map_obj(self->v, s, NPAGES * PAGE);
	ASSERT_NE(NULL, p);
	p[3 * PAGE] = 0xaa;		/* write first */
	EXPECT_EQ(0x13, p[3 * PAGE + 1]);	/* rest of the page copied */
	EXPECT_EQ(0x14, p[4 * PAGE]);	/* read */
	p[4 * PAGE] = 0xbb;		/* then write */
	EXPECT_EQ(0x13, self->r[3 * PAGE]);
	EXPECT_EQ(0x14, self->r[4 * PAGE]);
	EXPECT_EQ(0xaa, p[3 * PAGE]);
	EXPECT_EQ(0xbb, p[4 * PAGE]);
	ASSERT_EQ(0, vmo_info(s, &info));
	EXPECT_EQ(VMO_KIND_SHADOW, info.kind);
	EXPECT_EQ(1, info.depth);
	EXPECT_EQ(2, info.resident_pages - info.clean_pages);
	close(s);
}

TEST_F(chain, shadow_at_offset)
{
	int s = vmo_create_shadow(self->v, self->root, 5 * PAGE, 4 * PAGE, 0,
				  NULL);
	unsigned char *p;
	size_t i;

	ASSERT_GE(s, 0);
	p = map_obj(self->v, s, 4 * PAGE);
	ASSERT_NE(NULL, p);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0x15 + i, p[i * PAGE]);
	close(s);
}

TEST_F(chain, untouched_page_follows_parent_touched_page_is_frozen)
{
	int s = vmo_create_shadow(self->v, self->root, 0, NPAGES * PAGE, 0,
				  NULL);
	unsigned char *p;

	ASSERT_GE(s, 0);
	p = map_obj(self->v, s, NPAGES * PAGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0x11, p[PAGE]);	/* page 1 accessed: frozen */
	self->r[PAGE] = 0x71;
	self->r[2 * PAGE] = 0x72;	/* page 2 not accessed yet */
	EXPECT_EQ(0x11, p[PAGE]);
	EXPECT_EQ(0x72, p[2 * PAGE]);
	close(s);
}

TEST_F(chain, depth_8_chain)
{
	unsigned char *m[9];
	int fd[9], d;
	size_t i;

	fd[0] = self->root;
	m[0] = self->r;
	for (d = 1; d <= 8; d++) {
		fd[d] = vmo_create_shadow(self->v, fd[d - 1], 0, NPAGES * PAGE,
					  0, NULL);
		ASSERT_GE(fd[d], 0);
		m[d] = map_obj(self->v, fd[d], NPAGES * PAGE);
		ASSERT_NE(NULL, m[d]);
		/* Each level writes its own page d. */
		m[d][d * PAGE] = 0xd0 + d;
	}
	for (d = 0; d <= 8; d++) {
		for (i = 0; i < NPAGES; i++) {
			/* Written at a level <= d: that level's value. */
			unsigned char want = (i >= 1 && i <= (size_t)d) ?
					     0xd0 + i : 0x10 + i;
			ASSERT_EQ(want, m[d][i * PAGE]);
		}
	}
	for (d = 1; d <= 8; d++)
		close(fd[d]);
}

TEST_F(chain, parent_stays_while_shadow_depends)
{
	int s = vmo_create_shadow(self->v, self->root, 0, NPAGES * PAGE, 0,
				  NULL);
	struct vmo_info info;
	unsigned char *p;

	ASSERT_GE(s, 0);
	ASSERT_EQ(0, vmo_info(self->root, &info));
	ASSERT_EQ(0, vmo_unmap(self->v, self->r, NPAGES * PAGE));
	close(self->root);
	self->root = -1;
	/* Unreachable for users, alive for the shadow. */
	EXPECT_TRUE(vmo_util_object_row(info.id, NULL, NULL, NULL, NULL));
	p = map_obj(self->v, s, NPAGES * PAGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0x17, p[7 * PAGE]);
	vmo_unmap(self->v, p, NPAGES * PAGE);
	close(s);
	EXPECT_FALSE(vmo_util_object_row(info.id, NULL, NULL, NULL, NULL));
}

/* A shadow over a private file object: the file is never written. */
TEST_F(chain, shadow_over_file)
{
	char path[] = "/tmp/vmo-shadow-XXXXXX";
	unsigned char buf[3 * PAGE], *fp, *p;
	int ffd = mkstemp(path), fobj, s;

	ASSERT_GE(ffd, 0);
	unlink(path);
	memset(buf, 0x5c, sizeof(buf));
	ASSERT_EQ(sizeof(buf) - 100,
		  (size_t)write(ffd, buf, sizeof(buf) - 100));
	fobj = vmo_create_file(self->v, ffd, 0, 3 * PAGE, 0, NULL);
	ASSERT_GE(fobj, 0);
	s = vmo_create_shadow(self->v, fobj, 0, 3 * PAGE, 0, NULL);
	ASSERT_GE(s, 0);
	p = map_obj(self->v, s, 3 * PAGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0x5c, p[0]);
	EXPECT_EQ(0x5c, p[3 * PAGE - 101]);
	EXPECT_EQ(0, p[3 * PAGE - 100]);	/* past EOF: zero */
	p[PAGE] = 0x01;
	fp = map_obj(self->v, fobj, 3 * PAGE);
	ASSERT_NE(NULL, fp);
	EXPECT_EQ(0x5c, fp[PAGE]);
	ASSERT_EQ(1, pread(ffd, buf, 1, PAGE));
	EXPECT_EQ(0x5c, buf[0]);
	close(s);
	close(fobj);
	close(ffd);
}

/* ---- rejected inputs ---- */

TEST_F(chain, parent_not_an_object_refused)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, p[0], 0, PAGE, 0, NULL));
	EXPECT_EQ(-EBADF, vmo_create_shadow(self->v, 9999, 0, PAGE, 0, NULL));
	close(p[0]);
	close(p[1]);
}

TEST_F(chain, shadow_past_parent_refused)
{
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, self->root, 0,
					     (NPAGES + 1) * PAGE, 0, NULL));
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, self->root, 8 * PAGE,
					     9 * PAGE, 0, NULL));
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, self->root,
					     (NPAGES + 1) * PAGE, PAGE, 0,
					     NULL));
}

TEST_F(chain, shadow_unaligned_offset_refused)
{
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, self->root, 10, PAGE, 0,
					     NULL));
}

TEST_F(chain, shadow_shared_flag_refused)
{
	EXPECT_EQ(-EINVAL, vmo_create_shadow(self->v, self->root, 0, PAGE,
					     VMO_CREATE_SHARED, NULL));
}

TEST_F(chain, chain_deeper_than_max_refused)
{
	int fd[VMO_MAX_DEPTH + 1], d;

	fd[0] = self->root;
	for (d = 1; d <= VMO_MAX_DEPTH; d++) {
		fd[d] = vmo_create_shadow(self->v, fd[d - 1], 0, PAGE, 0, NULL);
		ASSERT_GE(fd[d], 0);
	}
	EXPECT_EQ(-ELOOP, vmo_create_shadow(self->v, fd[VMO_MAX_DEPTH], 0,
					    PAGE, 0, NULL));
	for (d = VMO_MAX_DEPTH; d >= 1; d--)
		close(fd[d]);
}

/* ---- randomized model test ---- */

#define MODEL_OBJS 24
#define MODEL_DEPTH 8
#define MODEL_OPS 3000

struct mobj {
	int fd;
	int parent;		/* index, -1 for the root */
	size_t off;		/* pages into the parent */
	size_t npages;
	int depth;
	unsigned char *map;
	unsigned char *page;	/* model content, npages * PAGE */
	unsigned char *present;	/* the object has its own copy */
};

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* The model's view of page @pg of object @o (a pointer to PAGE bytes). */
static const unsigned char *model_page(struct mobj *m, int o, size_t pg)
{
	static const unsigned char zero[PAGE];

	while (o >= 0 && !m[o].present[pg]) {
		pg += m[o].off;
		o = m[o].parent;
	}
	return o >= 0 ? m[o].page + pg * PAGE : zero;
}

/* First access freezes the page in the object (copy on first touch). */
static void model_touch(struct mobj *m, int o, size_t pg)
{
	if (m[o].present[pg])
		return;
	if (m[o].parent >= 0)
		memcpy(m[o].page + pg * PAGE,
		       model_page(m, m[o].parent, pg + m[o].off), PAGE);
	else
		memset(m[o].page + pg * PAGE, 0, PAGE);
	m[o].present[pg] = 1;
}

TEST(randomized_model)
{
	const char *env = getenv("VMO_SEED");
	struct mobj m[MODEL_OBJS];
	struct vmo_lib *v;
	unsigned long seed;
	int n = 0, op, o, i;
	size_t pg, at;

	seed = env ? strtoul(env, NULL, 0) : (unsigned long)time(NULL);
	TH_LOG("seed %lu (rerun with VMO_SEED=%lu)", seed, seed);
	rng_state = seed * 2654435761UL + 1;

	ASSERT_EQ(0, vmo_open(&v));
	m[0] = (struct mobj){ .parent = -1, .npages = NPAGES };
	m[0].fd = vmo_create_anon(v, NPAGES * PAGE, 0, NULL);
	ASSERT_GE(m[0].fd, 0);
	n = 1;
	for (i = 0; i < MODEL_OBJS; i++) {
		m[i].page = calloc(NPAGES, PAGE);
		m[i].present = calloc(NPAGES, 1);
		ASSERT_NE(NULL, m[i].page);
		ASSERT_NE(NULL, m[i].present);
	}
	m[0].map = map_obj(v, m[0].fd, NPAGES * PAGE);
	ASSERT_NE(NULL, m[0].map);

	for (op = 0; op < MODEL_OPS; op++) {
		int kind = rnd(10);

		o = rnd(n);
		if (kind == 0 && n < MODEL_OBJS && m[o].depth < MODEL_DEPTH &&
		    m[o].npages > 4) {
			/* A shadow over a random object, maybe at an offset. */
			size_t off = rnd(3);
			struct mobj *c = &m[n];

			c->parent = o;
			c->off = off;
			c->npages = m[o].npages - off;
			c->depth = m[o].depth + 1;
			c->fd = vmo_create_shadow(v, m[o].fd, off * PAGE,
						  c->npages * PAGE, 0, NULL);
			ASSERT_GE(c->fd, 0) TH_LOG("op %d: shadow of %d", op, o);
			c->map = map_obj(v, c->fd, c->npages * PAGE);
			ASSERT_NE(NULL, c->map);
			n++;
			continue;
		}
		pg = rnd(m[o].npages);
		at = pg * PAGE + rnd(PAGE);
		if (kind < 5) {
			/* A write of one byte: the page becomes the object's. */
			unsigned char val = (unsigned char)rnd(256);

			model_touch(m, o, pg);
			m[o].page[at] = val;
			m[o].map[at] = val;
		} else {
			/* A read of the whole page, compared with the model. */
			model_touch(m, o, pg);
			ASSERT_EQ(0, memcmp(m[o].map + pg * PAGE,
					    m[o].page + pg * PAGE, PAGE))
				TH_LOG("op %d: object %d (depth %d) page %zu",
				       op, o, m[o].depth, pg);
		}
	}
	/* Finally every page of every object. */
	for (o = 0; o < n; o++) {
		for (pg = 0; pg < m[o].npages; pg++) {
			model_touch(m, o, pg);
			ASSERT_EQ(0, memcmp(m[o].map + pg * PAGE,
					    m[o].page + pg * PAGE, PAGE))
				TH_LOG("final: object %d page %zu", o, pg);
		}
	}
	TH_LOG("%d objects, %d operations", n, MODEL_OPS);
	for (o = n - 1; o >= 0; o--)
		close(m[o].fd);
	vmo_close(v);
}

TEST_HARNESS_MAIN
