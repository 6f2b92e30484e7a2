// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: giving memory back.
 *
 * A clean store page (equal to what it was filled from: the file, a
 * parent, or the pager's backing store) can be dropped by the module
 * itself, at once, so reclaim makes progress without waiting for user
 * space: with nothing freed synchronously the OOM killer was seen to
 * fire 51 ms after the first shrinker scan.  Dirty pages belong to the
 * pager: it is asked, on its eventfd, to write them to its backing store
 * (or back to their file) and give them back.
 *
 * "Clean" is the kernel's own dirty state, which VMO_IOC_PAGER_CLEAN set
 * up; a page being written back stays dirty until the pager wrote it.
 * The check is made under the page lock after unmapping, so a page
 * written at any moment is never dropped.
 */

#include <linux/capability.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vmo_internal.h"

/* Clean pages looked up per xarray walk before dropping them. */
#define VMO_DROP_BATCH	64

/* Clean pages not dropped because someone held them (vmo_folio_busy()). */
atomic64_t vmo_pages_busy = ATOMIC64_INIT(0);

/*
 * Longest a task in direct reclaim waits for the pager to give pages
 * back (see vmo_shrink_scan()), like reclaim_throttle() waits for
 * writeback.
 */
#define VMO_RECLAIM_WAIT_MS	100

/* Bumped (and waiters woken) whenever store pages were freed. */
static atomic_t vmo_freed_gen = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(vmo_reclaim_wq);

void vmo_pages_freed(void)
{
	atomic_inc(&vmo_freed_gen);
	wake_up_all(&vmo_reclaim_wq);
}

/*
 * Does someone other than the page cache and us hold @folio?  A pin
 * (io_uring fixed buffers, VFIO, RDMA: GUP_PIN_COUNTING_BIAS each) or a
 * plain GUP reference (O_DIRECT in flight takes those on 6.1) means I/O
 * may still land in the page: dropping it would orphan that I/O and
 * bring the old content back.  One reference more is allowed on a folio
 * that a per-CPU LRU batch may hold: one not on the LRU yet (lru_add),
 * or an inactive one (activation: our own unmap marks it accessed).
 * lru_add_drain_all() would make this exact but is not exported; a
 * single plain reference on such a folio is therefore not seen.
 */
static bool vmo_folio_busy(struct folio *folio)
{
	int expected = folio_nr_pages(folio) + 1;	/* page cache + ours */

	if (!folio_test_lru(folio) || !folio_test_active(folio))
		expected++;
	return folio_maybe_dma_pinned(folio) ||
	       folio_ref_count(folio) > expected;
}

/*
 * Drops page @index if it is clean and nobody but the page cache holds
 * it, unmapping it from every mapping first.  All under the folio lock:
 * no fault can map the folio again meanwhile (faults map a page cache
 * folio under its lock), so once unmapped, clean and unreferenced, it
 * stays so until it is gone.  Unmapping moves the page tables' dirty
 * bits to the folio, so a page written at any moment stays.  The
 * removal is the one shmem's own hole punch makes (truncate_inode_folio(),
 * exported as generic_error_remove_page()); the folio is known clean.
 * A large folio is never dropped: it is not one page (and stores hold
 * none, see vmo_object.c).  Returns whether the page went; counts the
 * pages kept because they were busy.
 */
static bool vmo_drop_page(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;
	bool dropped = false;

	folio = __filemap_get_folio(mapping, index, FGP_LOCK, 0);
	if (!folio)
		return false;	/* absent, or out in swap */
	if (folio_test_large(folio) || folio_test_dirty(folio) ||
	    folio_test_writeback(folio))
		goto unlock;
	if (folio_mapped(folio))
		unmap_mapping_pages(mapping, index, 1, false);
	if (folio_test_dirty(folio))
		goto unlock;
	if (vmo_folio_busy(folio)) {
		atomic64_inc(&vmo_pages_busy);
		goto unlock;
	}
	dropped = !generic_error_remove_page(mapping, &folio->page);
unlock:
	folio_unlock(folio);
	folio_put(folio);
	return dropped;
}

/* Collects up to @max indices of pages that look clean, from *@next. */
static unsigned int vmo_find_clean(struct vmo_object *obj, pgoff_t *next,
				   pgoff_t *idx, unsigned int max)
{
	XA_STATE(xas, &obj->mapping->i_pages, *next);
	struct folio *folio;
	unsigned int nr = 0;

	rcu_read_lock();
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;
		if (!vmo_folio_looks_clean(obj, folio) ||
		    folio_test_locked(folio))
			continue;
		idx[nr++] = xas.xa_index;
		if (nr == max)
			break;
	}
	rcu_read_unlock();
	*next = nr ? idx[nr - 1] + 1 : ULONG_MAX;
	return nr;
}

/* Drops up to @want clean pages of @obj; returns how many went. */
static unsigned long vmo_drop_clean(struct vmo_object *obj,
				    unsigned long want)
{
	pgoff_t idx[VMO_DROP_BATCH], next = 0;
	unsigned long dropped = 0;
	unsigned int i, nr;

	while (dropped < want && next != ULONG_MAX) {
		nr = vmo_find_clean(obj, &next, idx,
				    min_t(unsigned long, VMO_DROP_BATCH,
					  want - dropped));
		for (i = 0; i < nr; i++)
			dropped += vmo_drop_page(obj->mapping, idx[i]);
		cond_resched();
	}
	return dropped;
}

/*
 * Gives back up to @want pages: clean ones dropped here, the rest asked
 * of the pager.  Called with vmo_lock held.
 */
static void vmo_scavenge_locked(u64 want, u64 *dropped, u64 *asked)
{
	struct vmo_object *obj;

	lockdep_assert_held(&vmo_lock);
	*dropped = 0;
	list_for_each_entry(obj, &vmo_objects, node) {
		if (*dropped >= want)
			break;
		*dropped += vmo_drop_clean(obj, want - *dropped);
	}
	*asked = want - *dropped;
	if (*asked && !vmo_pager_ask(*asked))
		*asked = 0;
	vmo_stats.scavenge_requests++;
	vmo_stats.scavenge_dropped += *dropped;
	vmo_stats.scavenge_asked += *asked;
}

static unsigned long vmo_store_pages_locked(void)
{
	struct vmo_object *obj;
	unsigned long nr = 0;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node)
		nr += vmo_object_resident(obj);
	return nr;
}

static unsigned long vmo_shrink_count(struct shrinker *shrink,
				      struct shrink_control *sc)
{
	unsigned long nr;

	/* Reclaim may run under our lock (an allocation holding it). */
	if (!mutex_trylock(&vmo_lock))
		return 0;
	nr = vmo_store_pages_locked();
	mutex_unlock(&vmo_lock);
	return nr ? nr : SHRINK_EMPTY;
}

/*
 * Nothing clean was left to drop, and the pager was asked for pages it
 * must write out first.  A task allocating in direct reclaim would fail
 * its reclaim at once, and the OOM killer would run while the pager is
 * still writing (seen on the debug kernel, where the pager is slow): so
 * it waits, up to VMO_RECLAIM_WAIT_MS, for the pager to free pages, as
 * reclaim waits for writeback.  Never the pager itself (it would wait
 * for itself), nor kswapd; a fatal signal ends the wait.
 */
static void vmo_reclaim_wait(void)
{
	int gen = atomic_read(&vmo_freed_gen);

	wait_event_killable_timeout(vmo_reclaim_wq,
				    atomic_read(&vmo_freed_gen) != gen,
				    msecs_to_jiffies(VMO_RECLAIM_WAIT_MS));
}

static unsigned long vmo_shrink_scan(struct shrinker *shrink,
				     struct shrink_control *sc)
{
	u64 dropped, asked;
	bool wait;

	/* Dropping takes i_mmap_rwsem and page locks: like a filesystem. */
	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	if (!mutex_trylock(&vmo_lock))
		return SHRINK_STOP;
	vmo_stats.shrinker_scans++;
	vmo_scavenge_locked(sc->nr_to_scan, &dropped, &asked);
	wait = !dropped && asked && (sc->gfp_mask & __GFP_DIRECT_RECLAIM) &&
	       !current_is_kswapd() && !vmo_pager_is_current();
	if (wait)
		vmo_stats.reclaim_waits++;
	mutex_unlock(&vmo_lock);
	if (wait)
		vmo_reclaim_wait();
	return dropped ? dropped : SHRINK_STOP;
}

static struct shrinker vmo_shrinker = {
	.count_objects	= vmo_shrink_count,
	.scan_objects	= vmo_shrink_scan,
	.seeks		= DEFAULT_SEEKS,
};

long vmo_ioctl_scavenge(struct vmo_session *s, void __user *argp)
{
	struct vmo_scavenge req;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.pad || vmo_nonzero(req.reserved))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&vmo_lock);
	vmo_scavenge_locked(req.pages, &req.dropped, &req.asked);
	mutex_unlock(&vmo_lock);
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/* echo N > /proc/vmo/scavenge: ask for N pages, like VMO_IOC_SCAVENGE. */
static ssize_t vmo_scavenge_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	u64 want, dropped, asked;
	int ret;

	ret = kstrtou64_from_user(buf, count, 0, &want);
	if (ret)
		return ret;
	mutex_lock(&vmo_lock);
	vmo_scavenge_locked(want, &dropped, &asked);
	mutex_unlock(&vmo_lock);
	pr_debug("vmo: scavenge %llu: %llu dropped, %llu asked of the pager\n",
		 want, dropped, asked);
	return count;
}

static int vmo_scavenge_show(struct seq_file *m, void *v)
{
	mutex_lock(&vmo_lock);
	seq_printf(m, "requests %llu\n", vmo_stats.scavenge_requests);
	seq_printf(m, "dropped %llu\n", vmo_stats.scavenge_dropped);
	seq_printf(m, "asked %llu\n", vmo_stats.scavenge_asked);
	mutex_unlock(&vmo_lock);
	return 0;
}

static int vmo_scavenge_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmo_scavenge_show, NULL);
}

static const struct proc_ops vmo_scavenge_proc_ops = {
	.proc_open	= vmo_scavenge_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= vmo_scavenge_write,
};

int vmo_scavenge_init(struct proc_dir_entry *dir)
{
	if (!proc_create("scavenge", 0600, dir, &vmo_scavenge_proc_ops))
		return -ENOMEM;
	return register_shrinker(&vmo_shrinker, "vmo");
}

void vmo_scavenge_exit(void)
{
	unregister_shrinker(&vmo_shrinker);
}

/* VMO_IOC_PAGER_EVICT: drop what is clean in a range of a store. */
long vmo_ioctl_pager_evict(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_evict req;
	u64 __user *ubitmap;
	struct file *store;
	u64 i, word = 0;
	int ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || vmo_nonzero(req.reserved))
		return -EINVAL;
	store = vmo_store_range_fdget(req.store_fd, req.first, req.npages);
	if (IS_ERR(store))
		return PTR_ERR(store);

	ubitmap = u64_to_user_ptr(req.bitmap);
	req.dropped = 0;
	for (i = 0; i < req.npages; i++) {
		if (vmo_drop_page(store->f_mapping, req.first + i)) {
			word |= 1ULL << (i % 64);
			req.dropped++;
		}
		if (ubitmap && ((i + 1) % 64 == 0 || i + 1 == req.npages)) {
			if (put_user(word, ubitmap + i / 64)) {
				ret = -EFAULT;
				goto put;
			}
			word = 0;
		}
		cond_resched();
	}
	mutex_lock(&vmo_lock);
	vmo_stats.pages_evicted += req.dropped;
	mutex_unlock(&vmo_lock);
	if (req.dropped)
		vmo_pages_freed();
	if (copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
put:
	fput(store);
	return ret;
}
