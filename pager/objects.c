// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager object cache and object I/O (see objects.h).
 *
 * An object is opened on the first fault (or write-back) that needs its
 * store or its file, and closed when the module says it is gone.  Ids
 * are never reused while the module is loaded, so an entry can never
 * describe another object than the one the module means.
 *
 * Error accounting: every failure logged here is counted here (ERRORS);
 * the callbacks log their own system call errors.  Object lookups that
 * fail with ENOENT or EOPNOTSUPP are left to the caller, which knows
 * whether they matter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "objects.h"
#include "paging.h"

#define OBJCACHE_BUCKETS	64

typedef unsigned long long ull;

/*
 * How pages get into a store.  A plain pwrite(2) would be the obvious
 * way, but shmem's write path has no VMA to ask, so with the host's
 * shmem_enabled at "force" it allocates a 2 MiB folio and zero-fills
 * the 511 pages around the one written: those are then present, no
 * MISSING fault comes for them, and the client reads zeroes where the
 * file or the parent has data.  UFFDIO_COPY always allocates an order-0
 * folio, so the pager maps each store it fills (read-only, never
 * touched), registers that mapping with a uffd of its own, and copies
 * into it; then it zaps its page table entries, so the folio is mapped
 * nowhere and dirty, as pwrite(2) would leave it, for the CLEAN that
 * follows.  COPY also refuses a page that is already there (EEXIST):
 * a fill can never overwrite what a client wrote.
 *
 * PR_SET_THP_DISABLE keeps khugepaged (and MADV_COLLAPSE) away from
 * the pager's own mappings of stores: collapse_file() would fill their
 * holes with zeroes on 6.1 whatever uffd says.  The pager maps nothing
 * else that wants huge pages.
 */
static int fill_uffd_open(struct objcache *oc)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };
	int fd, ret;

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
		ret = -errno;
		log_err("prctl(PR_SET_THP_DISABLE): %s", strerror(-ret));
		return ret;
	}
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		log_err("userfaultfd (the pager's own, for store fills): %s",
			strerror(-ret));
		return ret;
	}
	/* SIGBUS: a touch of a fill mapping by the pager is a bug, not a wait. */
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		ret = -errno;
		log_err("UFFDIO_API (fill uffd): %s", strerror(-ret));
		close(fd);
		return ret;
	}
	oc->fill_uffd = fd;
	return 0;
}

int objcache_init(struct objcache *oc, uint64_t page_size,
		  unsigned int buf_pages, uint64_t *ctr)
{
	void *buf = NULL;
	int ret;

	memset(oc, 0, sizeof(*oc));
	oc->fill_uffd = -1;
	oc->ctr = ctr;
	oc->page_size = page_size;
	oc->page_shift = __builtin_ctzll(page_size);
	oc->buf_pages = buf_pages;
	oc->nbuckets = OBJCACHE_BUCKETS;
	oc->hash = calloc(oc->nbuckets, sizeof(*oc->hash));
	oc->bitmap = calloc(VMO_CLEAN_MAX / 64, sizeof(*oc->bitmap));
	oc->ops = calloc(buf_pages, sizeof(*oc->ops));
	oc->bits_words = (buf_pages + 63) / 64;
	oc->dirty = calloc(oc->bits_words, sizeof(*oc->dirty));
	oc->done = calloc(oc->bits_words, sizeof(*oc->done));
	oc->dropped = calloc(oc->bits_words, sizeof(*oc->dropped));
	oc->present = calloc(oc->bits_words, sizeof(*oc->present));
	oc->recs = calloc(buf_pages, sizeof(*oc->recs));
	oc->freed = calloc(OBJCACHE_FREED_BATCH, sizeof(*oc->freed));
	/* Page aligned: a file opened with O_DIRECT can be read into it. */
	if (posix_memalign(&buf, page_size, (size_t)buf_pages * page_size))
		buf = NULL;
	/*
	 * Touched now, once: fills use all of it, and its pages are then
	 * neither faulted in on the fill path nor mistaken for per-page
	 * metadata when the pager's RSS grows with its first large fill.
	 */
	if (buf)
		memset(buf, 0, (size_t)buf_pages * page_size);
	oc->buf = buf;
	if (!oc->hash || !oc->bitmap || !oc->ops || !oc->buf || !oc->dirty ||
	    !oc->done || !oc->dropped || !oc->present || !oc->recs ||
	    !oc->freed) {
		objcache_destroy(oc);
		return -ENOMEM;
	}
	ret = fill_uffd_open(oc);
	if (ret) {
		objcache_destroy(oc);
		return ret;
	}
	ret = uring_init(&oc->io, URING_ENTRIES);
	if (!ret)
		ret = uring_init(&oc->fio, URING_ENTRIES);
	if (ret)
		log_warn("io_uring_queue_init(%u): %s; file I/O falls back to pread/pwrite, and a file that does not answer stalls the pager",
			 URING_ENTRIES, strerror(-ret));
	return 0;
}

/* A read of object @tag's file that ran past its deadline has ended. */
static void file_read_ended(void *arg, uint64_t tag)
{
	struct pobj *o = objcache_find(arg, tag);

	if (o)
		o->io_stalled = false;
}

void objcache_reap(struct objcache *oc)
{
	uring_reap_orphans(&oc->fio, file_read_ended, oc);
}

void objcache_set_ops(struct objcache *oc, objcache_open_fn open,
		      objcache_clean_fn clean, objcache_evict_fn evict,
		      void *arg)
{
	oc->open = open;
	oc->clean = clean;
	oc->evict = evict;
	oc->arg = arg;
}

void objcache_set_backing(struct objcache *oc, struct backing *bk)
{
	oc->bk = bk;
}

static inline void count(struct objcache *oc, enum vmo_pstat idx, uint64_t n)
{
	oc->ctr[idx] += n;
}

static void close_fd(uint64_t id, int fd, const char *what)
{
	if (fd >= 0 && close(fd) < 0)
		log_err("object %llu: close(%s fd %d): %s", (ull)id, what, fd,
			strerror(errno));
}

static void pobj_free(struct objcache *oc, struct pobj *o)
{
	paging_forget(oc, o);
	if (o->fill_map && munmap(o->fill_map, o->fill_len) < 0)
		log_err("object %llu: munmap(fill mapping): %s", (ull)o->id,
			strerror(errno));
	close_fd(o->id, o->store_fd, "store");
	close_fd(o->id, o->src_fd, "file");
	free(o);
	oc->nr--;
	oc->ctr[VMO_PSTAT_OBJECTS]--;
}

void objcache_destroy(struct objcache *oc)
{
	struct pobj *o;
	size_t i;

	for (i = 0; oc->hash && i < oc->nbuckets; i++) {
		while ((o = oc->hash[i])) {
			oc->hash[i] = o->next;
			pobj_free(oc, o);
		}
	}
	free(oc->hash);
	oc->hash = NULL;
	free(oc->bitmap);
	oc->bitmap = NULL;
	free(oc->ops);
	oc->ops = NULL;
	free(oc->dirty);
	free(oc->done);
	free(oc->dropped);
	free(oc->present);
	oc->dirty = oc->done = oc->dropped = oc->present = NULL;
	free(oc->recs);
	oc->recs = NULL;
	free(oc->freed);
	oc->freed = NULL;
	free(oc->buf);
	oc->buf = NULL;
	if (oc->fill_uffd >= 0)
		close(oc->fill_uffd);
	oc->fill_uffd = -1;
	uring_exit(&oc->io);
	uring_exit(&oc->fio);
}

/* Ids are handed out in sequence: their low bits spread well. */
static struct pobj **bucket(const struct objcache *oc, uint64_t id)
{
	return &oc->hash[id & (oc->nbuckets - 1)];
}

struct pobj *objcache_find(const struct objcache *oc, uint64_t id)
{
	struct pobj *o;

	for (o = *bucket(oc, id); o; o = o->next)
		if (o->id == id)
			return o;
	return NULL;
}

/* Double the buckets when chains get long; without memory, keep them. */
static void objcache_grow(struct objcache *oc)
{
	struct pobj **old = oc->hash, *o;
	size_t i, n = oc->nbuckets;

	if (oc->nr <= n)
		return;
	oc->hash = calloc(n * 2, sizeof(*oc->hash));
	if (!oc->hash) {
		oc->hash = old;
		return;
	}
	oc->nbuckets = n * 2;
	for (i = 0; i < n; i++) {
		while ((o = old[i])) {
			old[i] = o->next;
			o->next = *bucket(oc, o->id);
			*bucket(oc, o->id) = o;
		}
	}
	free(old);
}

static void close_info_fds(uint64_t id, const struct vmo_pager_object *info)
{
	if (info->store_fd != VMO_NO_FD)
		close_fd(id, (int)info->store_fd, "store");
	if (info->src_fd != VMO_NO_FD)
		close_fd(id, (int)info->src_fd, "file");
}

/* Is the answer about object @id one the pager can work with? */
static const char *info_problem(const struct objcache *oc, uint64_t id,
				const struct vmo_pager_object *info)
{
	uint64_t mask = oc->page_size - 1;

	if (info->kind != VMO_KIND_ANON && info->kind != VMO_KIND_FILE &&
	    info->kind != VMO_KIND_SHADOW)
		return "unknown kind";
	if (info->store_fd == VMO_NO_FD)
		return "no store fd";
	if (!info->size || (info->size & mask) || (info->offset & mask))
		return "size or offset not page aligned";
	if (info->kind == VMO_KIND_FILE &&
	    (info->src_fd == VMO_NO_FD || info->file_size <= info->offset))
		return "file object without a file, or starting past its end";
	if (info->kind == VMO_KIND_SHADOW &&
	    (!info->parent_id || info->parent_id == id))
		return "shadow without a parent";
	return NULL;
}

/*
 * Does writing to a file on file system @magic take memory rather than
 * free it?  A file on tmpfs or ramfs is memory: writing a store's dirty
 * page to it allocates a page before the store's can go.  (The module
 * says which file system: statfs(2) on a FUSE file could block.)
 */
static bool fs_in_memory(uint64_t magic)
{
	return magic == TMPFS_MAGIC || magic == RAMFS_MAGIC;
}

/*
 * Is file system @magic one whose reads the kernel itself completes (a
 * local disk or memory), rather than something a user may run or a
 * remote server (FUSE, NFS, ...)?  Reads of the others never start in
 * the pager's thread (uring_read_bounded()'s @async).
 */
static bool fs_trusted(uint64_t magic)
{
	switch (magic) {
	case TMPFS_MAGIC:
	case RAMFS_MAGIC:
	case EXT4_SUPER_MAGIC:
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case F2FS_SUPER_MAGIC:
	case SQUASHFS_MAGIC:
		return true;
	}
	return false;
}

static int objcache_add(struct objcache *oc, uint64_t id,
			const struct vmo_pager_object *info, struct pobj **out)
{
	struct pobj *o = calloc(1, sizeof(*o));

	if (!o) {
		close_info_fds(id, info);
		log_err("object %llu: out of memory", (ull)id);
		count(oc, VMO_PSTAT_ERRORS, 1);
		return -ENOMEM;
	}
	o->id = id;
	o->kind = info->kind;
	o->flags = info->obj_flags;
	o->size = info->size;
	o->offset = info->offset;
	o->parent_id = info->parent_id;
	o->file_size = info->file_size;
	o->depth = info->depth;
	o->store_fd = (int)info->store_fd;
	o->src_fd = -1;
	if (info->src_fd != VMO_NO_FD) {
		if (o->kind == VMO_KIND_FILE) {
			o->src_fd = (int)info->src_fd;
			o->file_in_memory = fs_in_memory(info->file_magic);
			o->file_trusted = fs_trusted(info->file_magic);
		} else
			close_fd(id, (int)info->src_fd, "unused source");
	}
	paging_link(oc, o);
	o->next = *bucket(oc, id);
	*bucket(oc, id) = o;
	oc->nr++;
	count(oc, VMO_PSTAT_OBJECTS, 1);
	objcache_grow(oc);
	*out = o;
	return 0;
}

int objcache_get(struct objcache *oc, uint64_t id, struct pobj **out)
{
	struct vmo_pager_object info;
	const char *problem;
	int ret;

	*out = objcache_find(oc, id);
	if (*out)
		return 0;
	if (!oc->open)
		return -EOPNOTSUPP;
	memset(&info, 0, sizeof(info));
	info.store_fd = VMO_NO_FD;
	info.src_fd = VMO_NO_FD;
	ret = oc->open(oc->arg, id, &info);
	if (ret) {
		if (ret != -ENOENT)
			count(oc, VMO_PSTAT_ERRORS, 1);
		return ret;
	}
	problem = info_problem(oc, id, &info);
	if (problem) {
		log_err("object %llu: unusable description (%s): kind %u size %#llx offset %#llx file size %#llx parent %llu",
			(ull)id, problem, info.kind, (ull)info.size,
			(ull)info.offset, (ull)info.file_size,
			(ull)info.parent_id);
		close_info_fds(id, &info);
		count(oc, VMO_PSTAT_ERRORS, 1);
		return -EPROTO;
	}
	log_debug("object %llu: opened, kind %u size %#llx offset %#llx parent %llu",
		  (ull)id, info.kind, (ull)info.size, (ull)info.offset,
		  (ull)info.parent_id);
	return objcache_add(oc, id, &info, out);
}

void objcache_forget(struct objcache *oc, uint64_t id)
{
	struct pobj **pp, *o;

	for (pp = bucket(oc, id); (o = *pp); pp = &o->next) {
		if (o->id == id) {
			*pp = o->next;
			log_debug("object %llu: closed", (ull)id);
			pobj_free(oc, o);
			return;
		}
	}
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t objcache_forget_unlisted(struct objcache *oc, const uint64_t *ids,
				size_t n)
{
	struct pobj **pp, *o;
	size_t i, gone = 0;

	for (i = 0; i < oc->nbuckets; i++) {
		pp = &oc->hash[i];
		while ((o = *pp)) {
			if (bsearch(&o->id, ids, n, sizeof(*ids), cmp_id)) {
				pp = &o->next;
				continue;
			}
			*pp = o->next;
			log_debug("object %llu: no longer listed, closed",
				  (ull)o->id);
			pobj_free(oc, o);
			gone++;
		}
	}
	return gone;
}

/* Pages of a file object that hold file data: its store's size. */
static uint64_t file_obj_pages(const struct objcache *oc, const struct pobj *o)
{
	uint64_t in_file = (o->file_size - o->offset + oc->page_size - 1) >>
			   oc->page_shift;
	uint64_t pages = o->size >> oc->page_shift;

	return in_file < pages ? in_file : pages;
}

uint64_t objcache_file_pages(const struct objcache *oc, const struct pobj *o,
			     uint64_t idx, uint64_t pages)
{
	uint64_t in_file = file_obj_pages(oc, o);

	/* Past the end the kernel raises SIGBUS: no fault should come. */
	if (idx >= in_file)
		return 1;
	if (pages > in_file - idx)
		pages = in_file - idx;
	return pages ? pages : 1;
}

/*
 * Read pages [idx, idx + pages) of file object @o into @buf: the bytes
 * before the file's end at creation (the object does not follow later
 * changes of the size), zeroes after it, as mmap shows a file's tail.
 */
static int read_file_pages(struct objcache *oc, struct pobj *o,
			   uint64_t idx, uint64_t pages, char *buf)
{
	uint64_t len = pages << oc->page_shift, done = 0, want;
	uint64_t off = o->offset + (idx << oc->page_shift);
	int ret;

	if (off < o->file_size) {
		/* A read of it is still out: wait for that one first. */
		if (o->io_stalled)
			return -EAGAIN;
		want = o->file_size - off < len ? o->file_size - off : len;
		ret = uring_read_bounded(&oc->fio, o->src_fd, buf, want, off,
					 &done, OBJCACHE_FILE_TIMEOUT_MS,
					 o->id, !o->file_trusted);
		if (ret == -ETIMEDOUT) {
			o->io_stalled = true;
			count(oc, VMO_PSTAT_FILE_TIMEOUTS, 1);
			log_warn("object %llu: its file has not answered a read (offset %#llx, %llu bytes) in %u ms: its faults wait for it, the others are served",
				 (ull)o->id, (ull)off, (ull)want,
				 OBJCACHE_FILE_TIMEOUT_MS);
			return -EAGAIN;
		}
		if (ret == -EAGAIN)
			return ret;	/* too many reads out: later */
		if (ret) {
			log_err("object %llu: read(file, offset %#llx, %llu bytes): %s",
				(ull)o->id, (ull)off, (ull)want,
				strerror(-ret));
			count(oc, VMO_PSTAT_ERRORS, 1);
			return ret;
		}
		count(oc, VMO_PSTAT_BYTES_READ, done);
	}
	memset(buf + done, 0, len - done);
	return 0;
}

int objcache_read_file(struct objcache *oc, struct pobj *o,
		       uint64_t idx, uint64_t pages)
{
	if (pages > oc->buf_pages)
		return -EINVAL;
	return read_file_pages(oc, o, idx, pages, oc->buf);
}

/* Is page @idx in @o's store?  1, 0 or -errno. */
static int store_has_page(struct objcache *oc, const struct pobj *o,
			  uint64_t idx)
{
	int64_t holes = objcache_store_holes(oc, o, idx, 1);

	return holes < 0 ? (int)holes : !holes;
}

int64_t objcache_store_holes(struct objcache *oc, const struct pobj *o,
			     uint64_t idx, uint64_t max)
{
	off_t off = (off_t)(idx << oc->page_shift), at;
	int ret;

	/* shmem answers SEEK_DATA from its page cache (and swap). */
	at = lseek(o->store_fd, off, SEEK_DATA);
	if (at < 0 && errno == ENXIO)
		return (int64_t)max;	/* no data from here on */
	if (at < 0) {
		ret = -errno;
		log_err("object %llu: lseek(store, %#llx, SEEK_DATA): %s",
			(ull)o->id, (ull)off, strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
		return ret;
	}
	/* SEEK_DATA answers a byte offset within the first page of data. */
	at = (off_t)((uint64_t)at >> oc->page_shift);
	if ((uint64_t)at - idx < max)
		return (int64_t)((uint64_t)at - idx);
	return (int64_t)max;
}

/*
 * Maps @o's store for fills (see fill_uffd_open()): the whole store as
 * it is now (stores do not change size), read-only, registered MISSING.
 */
static int store_map(struct objcache *oc, struct pobj *o)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stat st;
	void *map;
	int ret;

	if (fstat(o->store_fd, &st) < 0) {
		ret = -errno;
		log_err("object %llu: fstat(store): %s", (ull)o->id,
			strerror(-ret));
		return ret;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size & (oc->page_size - 1)) {
		log_err("object %llu: store size %lld is not whole pages",
			(ull)o->id, (long long)st.st_size);
		return -EPROTO;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
		   o->store_fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		log_err("object %llu: mmap(store, %lld bytes): %s", (ull)o->id,
			(long long)st.st_size, strerror(-ret));
		return ret;
	}
	reg.range.start = (uintptr_t)map;
	reg.range.len = (uint64_t)st.st_size;
	if (ioctl(oc->fill_uffd, UFFDIO_REGISTER, &reg) < 0) {
		ret = -errno;
		log_err("object %llu: UFFDIO_REGISTER(fill mapping): %s",
			(ull)o->id, strerror(-ret));
		munmap(map, (size_t)st.st_size);
		return ret;
	}
	o->fill_map = map;
	o->fill_len = (uint64_t)st.st_size;
	return 0;
}

/*
 * Copies @len bytes of the bounce buffer to offset @off of @o's fill
 * mapping, stopping before a page already there.  Returns the bytes
 * copied (> 0) or -errno.
 */
static int64_t store_copy(struct objcache *oc, struct pobj *o, uint64_t off,
			  uint64_t len)
{
	struct uffdio_copy cp;
	uint64_t done = 0;

	while (done < len) {
		cp.dst = (uintptr_t)o->fill_map + off + done;
		cp.src = (uintptr_t)oc->buf + done;
		cp.len = len - done;
		cp.mode = UFFDIO_COPY_MODE_DONTWAKE;
		cp.copy = 0;
		if (!ioctl(oc->fill_uffd, UFFDIO_COPY, &cp))
			return (int64_t)len;
		if (cp.copy > 0) {
			done += (uint64_t)cp.copy;	/* partial: go on */
			continue;
		}
		if (errno == EAGAIN)
			continue;
		return done ? (int64_t)done : -errno;
	}
	return (int64_t)done;
}

int64_t objcache_store_write(struct objcache *oc, struct pobj *o,
			     uint64_t idx, uint64_t pages)
{
	uint64_t off = idx << oc->page_shift, len = pages << oc->page_shift;
	int64_t done;
	int ret;

	if (!o->fill_map) {
		ret = store_map(oc, o);
		if (ret)
			return ret;
	}
	if (off >= o->fill_len || len > o->fill_len - off)
		return -EINVAL;
	done = store_copy(oc, o, off, len);
	if (done <= 0)
		return done;
	/* Zap our entries: the pages' dirt moves to the folios (see top). */
	if (madvise((char *)o->fill_map + off, (size_t)done, MADV_DONTNEED) < 0) {
		ret = -errno;
		log_err("object %llu: madvise(fill mapping, DONTNEED): %s",
			(ull)o->id, strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
	}
	return done >> oc->page_shift;
}

static int read_store_page(struct objcache *oc, const struct pobj *o,
			   uint64_t idx)
{
	uint64_t off = idx << oc->page_shift, done = 0;
	int ret;

	ret = uring_one(&oc->io, URING_READ, o->store_fd, oc->buf,
			oc->page_size, off, &done);
	if (ret) {
		log_err("object %llu: read(store, offset %#llx): %s",
			(ull)o->id, (ull)off, strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
		return ret;
	}
	/* Only past the store's end, which a valid chain never reaches. */
	memset(oc->buf + done, 0, oc->page_size - done);
	return 0;
}

/* Times one ancestor's page may vanish under a read before we give up. */
#define VANISH_RETRIES	8

/*
 * What ancestor @p itself has of page @idx, into the bounce buffer:
 * its store's page, else its paged-out page (backing store slot or zero
 * record).  Returns 1 if it had the page, 0 if not, or -errno (logged).
 *
 * The module drops clean pages at any moment, so a page found in the
 * store (SEEK_DATA) may be gone by the time it is read, and a hole
 * reads as zeroes.  Hence the second SEEK_DATA: still there means it
 * was there all along (only the pager puts pages into a store, and it
 * is busy here); gone means it was clean, so it equals its own record
 * or source: look again, from the records on.
 */
static int ancestor_page(struct objcache *oc, struct pobj *p,
			 uint64_t idx)
{
	unsigned int tries;
	int ret;

	for (tries = 0; tries < VANISH_RETRIES; tries++) {
		ret = store_has_page(oc, p, idx);
		if (ret <= 0)
			break;
		ret = read_store_page(oc, p, idx);
		if (ret)
			return ret;
		ret = store_has_page(oc, p, idx);
		if (ret)
			return ret;	/* 1: read while there; or -errno */
		log_debug("object %llu: page %llu dropped while read, looking again",
			  (ull)p->id, (ull)idx);
	}
	if (ret < 0)
		return ret;
	return paging_read_record(oc, p, idx, oc->buf);
}

/*
 * The shadow semantic: a shadow's page is whatever its parent shows at
 * the moment the shadow first touches it (read or write), copied into
 * the shadow's store and frozen there; the parent may change later
 * without the shadow seeing it, and writes to the shadow never reach
 * the parent.  "What the parent shows" is, recursively, its own page if
 * it has one (in its store, or paged out), else its source's.
 *
 * A page is read from an ancestor's store with pread-like I/O, not by
 * mapping it: a store page cannot be mapped into another object's VMA
 * (architecture note, Copy-on-write), so the first access copies.
 */
int objcache_read_shadow(struct objcache *oc, struct pobj *o,
			 uint64_t idx)
{
	struct pobj *p = o;
	struct pobj *parent;
	unsigned int hops = 0;
	int ret;

	while (p->kind == VMO_KIND_SHADOW) {
		if (++hops > VMO_MAX_DEPTH) {
			log_err("object %llu: shadow chain longer than %u",
				(ull)o->id, VMO_MAX_DEPTH);
			count(oc, VMO_PSTAT_ERRORS, 1);
			return -ELOOP;
		}
		idx += p->offset >> oc->page_shift;
		ret = objcache_get(oc, p->parent_id, &parent);
		if (ret) {
			/* Children keep their parents: this cannot be. */
			log_err("object %llu: parent %llu of object %llu: %s",
				(ull)o->id, (ull)p->parent_id, (ull)p->id,
				strerror(-ret));
			if (ret == -ENOENT || ret == -EOPNOTSUPP)
				count(oc, VMO_PSTAT_ERRORS, 1);
			return ret;
		}
		p = parent;
		ret = ancestor_page(oc, p, idx);
		if (ret < 0)
			return ret;
		if (ret)
			return FILL_PARENT;
	}
	/*
	 * The root of the chain lacks it too.  A file root gives its file's
	 * page; a page wholly past the file's end (which the file object
	 * itself could not map: SIGBUS) reads as zeroes through a shadow,
	 * which may be larger than the file.  Anything else is zero.
	 */
	if (p->kind == VMO_KIND_FILE &&
	    p->offset + (idx << oc->page_shift) < p->file_size) {
		ret = read_file_pages(oc, p, idx, 1, oc->buf);
		return ret ? ret : FILL_PARENT;
	}
	memset(oc->buf, 0, oc->page_size);
	return FILL_ZERO;
}

void objcache_clean_filled(struct objcache *oc, const struct pobj *o,
			   uint64_t first, uint64_t npages)
{
	uint64_t dirty = 0;
	int ret;

	if (!oc->clean)
		return;
	ret = oc->clean(oc->arg, o, first, npages, 0, NULL, &dirty);
	if (ret)
		count(oc, VMO_PSTAT_ERRORS, 1);
}

/* First index in [i, n) whose bit is @set, or n. */
static uint64_t next_bit(const uint64_t *bitmap, uint64_t i, uint64_t n,
			 bool set)
{
	uint64_t word;

	while (i < n) {
		word = bitmap[i / 64];
		if (!set)
			word = ~word;
		word &= ~0ULL << (i % 64);
		if (word) {
			i = (i & ~63ULL) + __builtin_ctzll(word);
			return i < n ? i : n;
		}
		i = (i & ~63ULL) + 64;
	}
	return n;
}

/*
 * The pages of a write that reached the file are clean now, unless a
 * mapping wrote them again meanwhile (then they stay dirty for the next
 * pass).  Until here they stayed dirty, so nothing could drop them
 * before they were in the file.
 */
static int wb_mark_clean(struct objcache *oc, const struct pobj *o,
			 const struct uring_op *op)
{
	uint64_t first = (op->off - o->offset) >> oc->page_shift;
	uint64_t n = (op->len + oc->page_size - 1) >> oc->page_shift;
	uint64_t cleaned;
	int ret;

	ret = oc->clean(oc->arg, o, first, n, VMO_CLEAN_IF_UNCHANGED, NULL,
			&cleaned);
	if (ret)
		count(oc, VMO_PSTAT_ERRORS, 1);
	return ret;
}

/*
 * Where write-back must stop in @o's file: its end now, or at creation
 * if that is less.  A write past the end would grow a file that was
 * truncated since the object was made (a shared mapping of a truncated
 * file cannot grow it either: its pages past the end are gone).
 * Returns the offset, or -errno (logged).
 */
static int64_t wb_file_end(struct objcache *oc, const struct pobj *o)
{
	struct stat st;
	int ret;

	if (fstat(o->src_fd, &st) < 0) {
		ret = -errno;
		log_err("object %llu: fstat(file): %s", (ull)o->id,
			strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
		return ret;
	}
	if ((uint64_t)st.st_size < o->file_size)
		return st.st_size;
	return (int64_t)o->file_size;
}

/*
 * The first @nops requests are reads of dirty runs from the store into
 * the bounce buffer: run them, then write what was read to the file, up
 * to its end (wb_file_end()).  Dirty pages wholly past it are not
 * written and stay dirty: their data stays in the object.
 */
static int wb_flush(struct objcache *oc, const struct pobj *o,
		    unsigned int nops, uint64_t *pages)
{
	int64_t eof = wb_file_end(oc, o);
	struct uring_op *op;
	uint64_t foff, flen;
	unsigned int i, m = 0;
	char *buf;
	int ret, err = 0;

	if (eof < 0)
		return (int)eof;
	uring_run(&oc->io, oc->ops, nops);
	for (i = 0; i < nops; i++) {
		op = &oc->ops[i];
		if (op->error) {
			log_err("object %llu: read(store, offset %#llx, %llu bytes): %s",
				(ull)o->id, (ull)op->off, (ull)op->len,
				strerror(-op->error));
			count(oc, VMO_PSTAT_ERRORS, 1);
			err = err ? err : op->error;
			continue;
		}
		buf = op->buf;
		memset(buf + op->done, 0, op->len - op->done);
		foff = o->offset + op->off;
		flen = op->len;
		if (foff >= (uint64_t)eof)
			continue;
		/* The tail page: up to the end, the file must not grow. */
		if (flen > (uint64_t)eof - foff)
			flen = (uint64_t)eof - foff;
		oc->ops[m++] = (struct uring_op){
			.opcode = URING_WRITE,
			.fd = o->src_fd,
			.buf = buf,
			.len = flen,
			.off = foff,
		};
	}
	uring_run(&oc->io, oc->ops, m);
	for (i = 0; i < m; i++) {
		op = &oc->ops[i];
		if (op->error) {
			log_err("object %llu: write(file, offset %#llx, %llu bytes): %s",
				(ull)o->id, (ull)op->off, (ull)op->len,
				strerror(-op->error));
			count(oc, VMO_PSTAT_ERRORS, 1);
			err = err ? err : op->error;
			continue;
		}
		*pages += (op->len + oc->page_size - 1) >> oc->page_shift;
		count(oc, VMO_PSTAT_PAGES_WRITTEN,
		      (op->len + oc->page_size - 1) >> oc->page_shift);
		count(oc, VMO_PSTAT_BYTES_WRITTEN, op->done);
		ret = wb_mark_clean(oc, o, op);
		err = err ? err : ret;
	}
	return err;
}

/*
 * Write the pages of [first, first + n) set in the bitmap: runs of
 * dirty pages become one read and one write each, batched a bounce
 * buffer at a time.
 */
static int wb_range(struct objcache *oc, const struct pobj *o, uint64_t first,
		    uint64_t n, uint64_t *pages)
{
	unsigned int nops = 0, used = 0;
	uint64_t i = 0, start, end;
	int ret, err = 0;

	for (;;) {
		start = next_bit(oc->bitmap, i, n, true);
		if (start >= n)
			break;
		end = next_bit(oc->bitmap, start, n, false);
		if (end - start > oc->buf_pages - used)
			end = start + (oc->buf_pages - used);
		oc->ops[nops++] = (struct uring_op){
			.opcode = URING_READ,
			.fd = o->store_fd,
			.buf = oc->buf + ((uint64_t)used << oc->page_shift),
			.len = (end - start) << oc->page_shift,
			.off = (first + start) << oc->page_shift,
		};
		used += end - start;
		i = end;
		if (used == oc->buf_pages) {
			ret = wb_flush(oc, o, nops, pages);
			err = err ? err : ret;
			nops = 0;
			used = 0;
		}
	}
	if (nops) {
		ret = wb_flush(oc, o, nops, pages);
		err = err ? err : ret;
	}
	return err;
}

int objcache_write_dirty(struct objcache *oc, const struct pobj *o,
			 uint64_t first, uint64_t n, uint64_t *pages)
{
	if (n > VMO_CLEAN_MAX || !oc->clean)
		return -EINVAL;
	return wb_range(oc, o, first, n, pages);
}

/*
 * Two-phase, so that nothing is lost and nothing can drop a page before
 * it is in the file: CLEAN with VMO_CLEAN_KEEP_DIRTY write-protects the
 * pages and reports the dirty ones, which stay dirty; they are read and
 * written to the file; then CLEAN with VMO_CLEAN_IF_UNCHANGED marks each
 * written page clean unless a mapping wrote it again meanwhile (that
 * write goes out with the next pass).  A page whose write fails stays
 * dirty and is tried again by the next pass; the error is what the
 * syncer gets.
 */
int objcache_writeback(struct objcache *oc, const struct pobj *o,
		       uint64_t *pages)
{
	uint64_t npages, first, n, dirty;
	int ret, err = 0;

	*pages = 0;
	if (o->kind != VMO_KIND_FILE || !(o->flags & VMO_CREATE_SHARED))
		return 0;
	if (!oc->clean)
		return -EOPNOTSUPP;
	npages = file_obj_pages(oc, o);
	for (first = 0; first < npages; first += n) {
		n = npages - first < VMO_CLEAN_MAX ? npages - first :
		    VMO_CLEAN_MAX;
		memset(oc->bitmap, 0, (n + 63) / 64 * sizeof(*oc->bitmap));
		dirty = 0;
		ret = oc->clean(oc->arg, o, first, n, VMO_CLEAN_KEEP_DIRTY,
				oc->bitmap, &dirty);
		if (ret) {
			/* Which pages are dirty is unknown: stop here. */
			count(oc, VMO_PSTAT_ERRORS, 1);
			err = ret;
			break;
		}
		if (!dirty)
			continue;
		ret = wb_range(oc, o, first, n, pages);
		err = err ? err : ret;
	}
	ret = uring_one(&oc->io, URING_FDATASYNC, o->src_fd, NULL, 0, 0, NULL);
	if (ret) {
		log_err("object %llu: fdatasync(file): %s", (ull)o->id,
			strerror(-ret));
		count(oc, VMO_PSTAT_ERRORS, 1);
		err = err ? err : ret;
	}
	log_debug("object %llu: wrote back %llu pages%s%s", (ull)o->id,
		  (ull)*pages, err ? ": " : "", err ? strerror(-err) : "");
	return err;
}
