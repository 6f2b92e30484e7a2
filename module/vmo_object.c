// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: objects and their stores.
 *
 * An object's pages live in its store, a shmem file private to the
 * module.  Mapping an object fd turns the VMA into a plain shmem VMA on
 * the store, which userfaultfd accepts in MISSING and MINOR modes; the
 * module is then off the fault path.
 *
 * The store's file_operations are shmem's own plus a release hook (and
 * our module as owner), so the object is freed exactly when the last
 * object fd and the last mapping are gone.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/xarray.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmo_internal.h"

/*
 * The module's own tmpfs instance, mounted "huge=never": a store must
 * hold order-0 folios only.  A large folio would zero-fill the pages
 * around the one written, and those would then be present: no MISSING
 * fault, the pager never fills them (the object shows zeros instead of
 * its file's or parent's data), and dirty state and eviction would be
 * per 2 MiB, not per page.  The mount option covers the host's
 * "always", "within_size" and "advise"; the sysfs "force" overrides
 * every mount, so no allocation of ours may depend on it: object
 * mappings refuse huge pages themselves (vmo_obj_mmap()), and the pager
 * fills stores with UFFDIO_COPY, which allocates order-0 folios.
 */
static struct vfsmount *vmo_store_mnt __ro_after_init;

/* shmem's own file_operations, captured at init from a probe store. */
static const struct file_operations *vmo_shmem_fops __ro_after_init;
static const struct address_space_operations *vmo_shmem_aops __ro_after_init;
static const struct file_operations vmo_store_fops;
static const struct file_operations vmo_obj_fops;
static u64 vmo_next_obj_id = 1;

const char *vmo_kind_name(u32 kind)
{
	switch (kind) {
	case VMO_KIND_ANON:
		return "anon";
	case VMO_KIND_FILE:
		return "file";
	case VMO_KIND_SHADOW:
		return "shadow";
	}
	return "unknown";
}

/* Returns the object whose store @file is, or NULL. */
struct vmo_object *vmo_object_from_store(struct file *file)
{
	if (!file || file->f_op != &vmo_store_fops)
		return NULL;
	return file->private_data;
}

/*
 * Returns the object of object fd @fd with a reference on its fd's file
 * in *@filep (fput() it), or an ERR_PTR: EBADF for a bad fd, EINVAL for
 * an fd that is not a vmo object.
 */
struct vmo_object *vmo_object_fdget(unsigned int fd, struct file **filep)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &vmo_obj_fops) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	*filep = file;
	return file->private_data;
}

/* The listed object (live or zombie) with id @id, or NULL. */
struct vmo_object *vmo_object_find(u64 id)
{
	struct vmo_object *obj;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node)
		if (obj->id == id)
			return obj;
	return NULL;
}

/*
 * The pager's store fd @fd, for a request on pages [first, first +
 * npages): a counted file (fput() it) or an ERR_PTR: EINVAL for a range
 * out of bounds or an fd that is not a shmem file, as stores are; EBADF
 * for a bad fd.
 */
struct file *vmo_store_range_fdget(u32 fd, u64 first, u64 npages)
{
	struct file *store;

	if (!npages || npages > VMO_CLEAN_MAX ||
	    first > (MAX_LFS_FILESIZE >> PAGE_SHIFT) - npages)
		return ERR_PTR(-EINVAL);
	store = fget(fd);
	if (!store)
		return ERR_PTR(-EBADF);
	if (store->f_mapping->a_ops != vmo_shmem_aops) {
		fput(store);
		return ERR_PTR(-EINVAL);
	}
	return store;
}

/*
 * Number of VMAs, in all processes, mapping the object: those made
 * through an object fd.  The pager's own mapping of the store (a plain
 * shmem file from VMO_IOC_PAGER_OBJECT) is not one of them.
 */
unsigned long vmo_object_mappings(struct vmo_object *obj)
{
	struct address_space *mapping = obj->mapping;
	struct vm_area_struct *vma;
	unsigned long nr = 0;
	struct rb_node *n;

	/* (The interval tree's iterators are not exported.) */
	i_mmap_lock_read(mapping);
	for (n = rb_first_cached(&mapping->i_mmap); n; n = rb_next(n)) {
		vma = rb_entry(n, struct vm_area_struct, shared.rb);
		nr += !!vmo_object_from_store(vma->vm_file);
	}
	i_mmap_unlock_read(mapping);
	return nr;
}

unsigned long vmo_object_resident(struct vmo_object *obj)
{
	return READ_ONCE(obj->mapping->nrpages);
}

/*
 * Does @folio of @obj look clean, re-creatable from its source?  A page
 * the pager filled was in no page table when cleaned, and a shared
 * mapping made through the library maps it read-only on a read (it is
 * registered for uffd WP, so it wants write notification): a write
 * through any mapping dirties the folio at once and the flag is exact
 * (a mapping made otherwise may keep writes in its page table until the
 * next CLEAN, which finds them; reclaim and EVICT see them too).  But a
 * demand-zero page is mapped writable by UFFDIO_ZEROPAGE with its dirty
 * bit in the page table only: while an anonymous object's page is
 * mapped, take it as written.
 */
bool vmo_folio_looks_clean(struct vmo_object *obj, struct folio *folio)
{
	if (folio_test_dirty(folio))
		return false;
	return obj->kind != VMO_KIND_ANON || !folio_mapped(folio);
}

/* Resident pages that look clean: a racy snapshot, for statistics. */
unsigned long vmo_object_clean(struct vmo_object *obj)
{
	XA_STATE(xas, &obj->mapping->i_pages, 0);
	unsigned long clean = 0;
	struct folio *folio;

	rcu_read_lock();
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;
		if (vmo_folio_looks_clean(obj, folio))
			clean += folio_nr_pages(folio);
	}
	rcu_read_unlock();
	return clean;
}

/*
 * Charges a new object to its creator (vmo_user.c): a reserved one's
 * pages against the user's share and the backing store (then counted
 * as committed), a shared file one against the user's zombies.
 */
static int vmo_object_charge(struct vmo_object *obj, struct vmo_user **spare)
{
	u64 pages = obj->size >> PAGE_SHIFT;
	int ret;

	lockdep_assert_held(&vmo_lock);
	obj->user = vmo_user_get(spare);
	if (!obj->user)
		return -ENOMEM;
	if (vmo_object_shared_file(obj)) {
		ret = vmo_user_may_add_zombie(obj->user);
		if (ret)
			return ret;
	}
	if (!(obj->flags & VMO_CREATE_RESERVE))
		return 0;
	ret = vmo_user_reserve(obj->user, pages);
	if (ret)
		return ret;
	ret = vmo_backing_reserve(pages);
	if (ret) {
		vmo_user_unreserve(obj->user, pages);
		return ret;
	}
	vmo_stats.reserved_pages += pages;
	obj->committed = true;
	return 0;
}

/* Undoes vmo_object_charge() when the object is unlisted. */
void vmo_object_uncharge(struct vmo_object *obj)
{
	u64 pages = obj->size >> PAGE_SHIFT;

	lockdep_assert_held(&vmo_lock);
	if (obj->committed) {
		vmo_stats.reserved_pages -= pages;
		vmo_user_unreserve(obj->user, pages);
		obj->committed = false;
	}
	if (obj->user)
		vmo_user_put(obj->user);
	obj->user = NULL;
}

/* Drops everything the object holds; it must be unlisted. */
void vmo_object_free(struct vmo_object *obj)
{
	/*
	 * Nothing can reach the pages any more, but the pager's fds on the
	 * store keep its inode, and with it the pages, until the pager has
	 * read the object's OBJ_GONE and closed them: under memory pressure
	 * that may be never (the pager may be waiting for this very memory).
	 * Free them now.
	 */
	shmem_truncate_range(d_inode(obj->store_path.dentry), 0, (loff_t)-1);
	vmo_pages_freed();
	if (obj->parent)
		fput(obj->parent->store);
	if (obj->file)
		fput(obj->file);
	path_put(&obj->store_path);
	vmo_records_destroy(obj);
	kfree(obj);
}

/*
 * Last reference on the store is gone: no object fd, no mapping and no
 * shadow is left, so the object goes too, unless it is a shared file
 * object: then it stays, as a zombie, until the pager wrote it back.
 * The VFS drops our module reference (vmo_store_fops.owner) after this
 * returns.
 */
static int vmo_store_release(struct inode *inode, struct file *file)
{
	struct vmo_object *obj = file->private_data;
	struct vmo_event ev = {
		.type = VMO_EV_OBJ_GONE,
		.obj_id = obj->id,
		.kind = obj->kind,
	};

	/* Nothing was written to an object whose create failed. */
	if (vmo_object_shared_file(obj) && READ_ONCE(obj->handed_out)) {
		vmo_object_zombie(obj);
		return 0;
	}

	mutex_lock(&vmo_lock);
	list_del(&obj->node);
	obj->store = NULL;
	vmo_stats.objects_freed++;
	vmo_object_uncharge(obj);
	vmo_records_unlist(obj);
	vmo_pager_queue_new(&ev);
	mutex_unlock(&vmo_lock);

	vmo_object_free(obj);
	return 0;
}

/*
 * A store keeps every shmem behaviour: its operations forward to shmem's
 * (the VMA's vm_ops stay shmem's own, which userfaultfd requires); only
 * the release is ours.
 */
static int vmo_store_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vmo_shmem_fops->mmap(file, vma);
}

static unsigned long vmo_store_get_unmapped_area(struct file *file,
						 unsigned long addr,
						 unsigned long len,
						 unsigned long pgoff,
						 unsigned long flags)
{
	return vmo_shmem_fops->get_unmapped_area(file, addr, len, pgoff,
						 flags);
}

static loff_t vmo_store_llseek(struct file *file, loff_t offset, int whence)
{
	return vmo_shmem_fops->llseek(file, offset, whence);
}

static ssize_t vmo_store_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return vmo_shmem_fops->read_iter(iocb, to);
}

static ssize_t vmo_store_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return vmo_shmem_fops->write_iter(iocb, from);
}

/*
 * A hole punched by a client (MADV_REMOVE) takes the pages' records,
 * and excludes page-ins of the object meanwhile (vmo_records.c).
 */
static long vmo_store_fallocate(struct file *file, int mode, loff_t offset,
				loff_t len)
{
	struct vmo_object *obj = file->private_data;
	bool punch = mode & FALLOC_FL_PUNCH_HOLE;
	long ret;

	if (punch) {
		ret = vmo_records_punch_begin(obj);
		if (ret)
			return ret;
	}
	ret = vmo_shmem_fops->fallocate(file, mode, offset, len);
	if (!ret)
		vmo_records_fallocated(obj, mode, offset, len);
	if (punch)
		vmo_records_punch_end(obj);
	return ret;
}

/*
 * fsync of a shared file object, whichever way it comes: msync(MS_SYNC)
 * on a mapping (the VMA's file is the store), fsync(2) of the object fd;
 * both files' private_data is the object.  It writes the object back as
 * VMO_OBJ_SYNC does; other objects have nothing to write.  The range is
 * not narrowed: the pager writes every dirty page of the object.
 */
static int vmo_object_fsync(struct file *file, loff_t start, loff_t end,
			    int datasync)
{
	struct vmo_object *obj = file->private_data;
	struct vmo_request req = {};

	if (!vmo_object_shared_file(obj))
		return 0;
	return vmo_request_wait(obj, &req);
}

static const struct file_operations vmo_store_fops = {
	.owner			= THIS_MODULE,
	.release		= vmo_store_release,
	.mmap			= vmo_store_mmap,
	.get_unmapped_area	= vmo_store_get_unmapped_area,
	.llseek			= vmo_store_llseek,
	.read_iter		= vmo_store_read_iter,
	.write_iter		= vmo_store_write_iter,
	.fsync			= vmo_object_fsync,
	.fallocate		= vmo_store_fallocate,
};

static int vmo_obj_release(struct inode *inode, struct file *file)
{
	struct vmo_object *obj = file->private_data;

	/* The object fd's reference on the store; may free @obj. */
	fput(obj->store);
	return 0;
}

static int vmo_obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmo_object *obj = file->private_data;
	unsigned long obj_pages = obj->size >> PAGE_SHIFT;

	/* Unlike a file, an object does not grow: refuse what lies past it. */
	if (vma->vm_pgoff >= obj_pages ||
	    vma_pages(vma) > obj_pages - vma->vm_pgoff)
		return -EINVAL;

	/*
	 * No huge page may enter the store through this mapping (see
	 * vmo_store_mnt): VM_NOHUGEPAGE keeps the kernel's own faults
	 * order-0, and VM_DONTEXPAND, which madvise(MADV_HUGEPAGE) cannot
	 * clear, makes hugepage_vma_check() refuse MADV_COLLAPSE (EINVAL)
	 * and khugepaged, whose collapse_file() would fill the holes with
	 * zeroes behind userfaultfd's back on 6.1.  It also makes mremap()
	 * refuse to grow the mapping, which an object does not do anyway.
	 */
	vma->vm_flags |= VM_NOHUGEPAGE | VM_DONTEXPAND;

	/* The VMA becomes a shmem VMA on the store (it holds its own ref). */
	vma_set_file(vma, obj->store);
	return call_mmap(obj->store, vma);
}

static void vmo_object_fill_info(struct vmo_object *obj, struct vmo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = obj->id;
	info->kind = obj->kind;
	info->flags = obj->flags;
	info->size = obj->size;
	info->offset = obj->offset;
	info->parent_id = obj->parent ? obj->parent->id : 0;
	info->depth = obj->depth;
	info->file_size = obj->file_size;
	info->resident_pages = vmo_object_resident(obj);
	info->clean_pages = vmo_object_clean(obj);
	info->refs = file_count(obj->store);
	info->mappings = vmo_object_mappings(obj);
}

static long vmo_obj_sync(struct vmo_object *obj, void __user *argp)
{
	struct vmo_request req = {};
	struct vmo_sync sync;
	int ret;

	if (copy_from_user(&sync, argp, sizeof(sync)))
		return -EFAULT;
	if (sync.flags || sync.pad || vmo_nonzero(sync.reserved))
		return -EINVAL;
	sync.pages = 0;
	/* Only a shared file object has anything to write back. */
	if (vmo_object_shared_file(obj)) {
		ret = vmo_request_wait(obj, &req);
		if (ret)
			return ret;
		sync.pages = req.pages;
	}
	if (copy_to_user(argp, &sync, sizeof(sync)))
		return -EFAULT;
	return 0;
}

static long vmo_obj_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct vmo_object *obj = file->private_data;
	struct vmo_info info;

	switch (cmd) {
	case VMO_OBJ_INFO:
		vmo_object_fill_info(obj, &info);
		if (copy_to_user((void __user *)arg, &info, sizeof(info)))
			return -EFAULT;
		return 0;
	case VMO_OBJ_SYNC:
		return vmo_obj_sync(obj, (void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations vmo_obj_fops = {
	.owner		= THIS_MODULE,
	.release	= vmo_obj_release,
	.fsync		= vmo_object_fsync,
	.mmap		= vmo_obj_mmap,
	.unlocked_ioctl	= vmo_obj_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static int vmo_create_check(const struct vmo_create *req)
{
	if (req->flags & ~VMO_CREATE_FLAGS)
		return -EINVAL;
	if (req->pad)
		return -EINVAL;
	if (vmo_nonzero(req->reserved))
		return -EINVAL;
	switch (req->kind) {
	case VMO_KIND_ANON:
		if (req->offset || req->src_fd)
			return -EINVAL;
		break;
	case VMO_KIND_FILE:
	case VMO_KIND_SHADOW:
		if (!PAGE_ALIGNED(req->offset))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((req->flags & VMO_CREATE_SHARED) && req->kind != VMO_KIND_FILE)
		return -EINVAL;
	if (!req->size || !PAGE_ALIGNED(req->size))
		return -EINVAL;
	if (req->size > VMO_MAX_SIZE)
		return -EFBIG;
	if (req->offset > MAX_LFS_FILESIZE - req->size)
		return -EOVERFLOW;
	return 0;
}

/*
 * A file object reads @src_fd's file; a shared one also writes it.
 * Errors follow mmap(2): EACCES for a file not open as needed.
 */
static int vmo_create_file(struct vmo_object *obj, const struct vmo_create *req)
{
	struct file *file = fget(req->src_fd);
	int ret = -EINVAL;

	if (!file)
		return -EBADF;
	if (!S_ISREG(file_inode(file)->i_mode))
		goto put;
	ret = -EACCES;
	if (!(file->f_mode & FMODE_READ))
		goto put;
	if ((req->flags & VMO_CREATE_SHARED) &&
	    (!(file->f_mode & FMODE_WRITE) || (file->f_flags & O_APPEND)))
		goto put;
	obj->file_size = i_size_read(file_inode(file));
	/* Wholly past the end of the file, every access would SIGBUS. */
	ret = -ENXIO;
	if (req->offset >= obj->file_size)
		goto put;
	obj->file = file;
	return 0;
put:
	fput(file);
	return ret;
}

/* A shadow keeps its parent alive through a reference on its store. */
static int vmo_create_shadow(struct vmo_object *obj,
			     const struct vmo_create *req)
{
	struct vmo_object *parent;
	struct file *pfile;
	int ret = -EINVAL;

	parent = vmo_object_fdget(req->src_fd, &pfile);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	if (req->offset > parent->size || req->size > parent->size - req->offset)
		goto put;
	ret = -ELOOP;
	if (parent->depth >= VMO_MAX_DEPTH)
		goto put;
	/* The parent's fd pins its store, so the store is live here. */
	get_file(parent->store);
	obj->parent = parent;
	obj->depth = parent->depth + 1;
	ret = 0;
put:
	fput(pfile);
	return ret;
}

/*
 * Size of the store: the object's, except that a file object's store
 * ends with the page holding the file's last byte, so that the kernel
 * itself raises SIGBUS past the end of the file, as mmap does.
 */
static u64 vmo_store_size(const struct vmo_object *obj)
{
	u64 in_file;

	if (obj->kind != VMO_KIND_FILE)
		return obj->size;
	in_file = round_up(obj->file_size - obj->offset, PAGE_SIZE);
	return min(obj->size, in_file);
}

/* Makes the store of a new object; the returned file holds one ref. */
static struct file *vmo_store_create(struct vmo_object *obj)
{
	char name[32];
	struct file *store;

	snprintf(name, sizeof(name), "vmo-%llu", obj->id);
	/*
	 * VM_NORESERVE: pages are committed as they are faulted in.  A
	 * reserved object commits its whole size now (shmem's accounting
	 * fails with ENOMEM if the overcommit policy says no).
	 */
	store = shmem_file_setup_with_mnt(vmo_store_mnt, name,
					  vmo_store_size(obj),
					  obj->flags & VMO_CREATE_RESERVE ? 0 :
					  VM_NORESERVE);
	if (IS_ERR(store))
		return store;

	/*
	 * Not yet visible to anyone: the f_op swap cannot race.  __fput()
	 * drops the module reference taken here after vmo_store_release().
	 */
	__module_get(THIS_MODULE);
	fops_put(store->f_op);
	store->f_op = &vmo_store_fops;
	store->private_data = obj;
	obj->store_path = store->f_path;
	path_get(&obj->store_path);
	obj->mapping = store->f_mapping;
	return store;
}

static struct vmo_object *vmo_object_alloc(const struct vmo_create *req)
{
	struct vmo_object *obj;
	int ret = 0;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->kind = req->kind;
	obj->flags = req->flags;
	obj->size = req->size;
	obj->offset = req->offset;
	vmo_records_init(obj);
	INIT_LIST_HEAD(&obj->node);

	if (req->kind == VMO_KIND_FILE)
		ret = vmo_create_file(obj, req);
	else if (req->kind == VMO_KIND_SHADOW)
		ret = vmo_create_shadow(obj, req);
	if (ret) {
		kfree(obj);
		return ERR_PTR(ret);
	}
	return obj;
}

/*
 * Lists @obj in id order.  Ids are taken before the store is made, so
 * two creates can reach here in either order; VMO_RECORD_LIST's cursor
 * and the proc listing rely on the order (an object listed after a
 * higher id would be skipped by the cursor, and its records given to
 * the next pager as free slots).  New objects nearly always go last.
 */
static void vmo_object_list_add(struct vmo_object *obj)
{
	struct vmo_object *prev;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry_reverse(prev, &vmo_objects, node) {
		if (prev->id < obj->id) {
			list_add(&obj->node, &prev->node);
			return;
		}
	}
	list_add(&obj->node, &vmo_objects);
}

/* Undoes vmo_object_alloc() for an object that never got a store. */
static void vmo_object_discard(struct vmo_object *obj)
{
	if (obj->parent)
		fput(obj->parent->store);
	if (obj->file)
		fput(obj->file);
	kfree(obj);
}

long vmo_ioctl_create(struct vmo_session *s, void __user *argp)
{
	struct vmo_create req;
	struct vmo_user *spare;
	struct vmo_object *obj;
	struct file *file, *store;
	int fd, ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = vmo_create_check(&req);
	if (ret)
		return ret;

	obj = vmo_object_alloc(&req);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	mutex_lock(&vmo_lock);
	obj->id = vmo_next_obj_id++;
	mutex_unlock(&vmo_lock);

	store = vmo_store_create(obj);
	if (IS_ERR(store)) {
		vmo_object_discard(obj);
		return PTR_ERR(store);
	}
	obj->store = store;

	/* From here on the store's release unlists and frees the object. */
	spare = vmo_user_alloc();
	mutex_lock(&vmo_lock);
	ret = vmo_object_charge(obj, &spare);
	vmo_object_list_add(obj);
	vmo_stats.objects_created++;
	mutex_unlock(&vmo_lock);
	kfree(spare);
	if (ret)
		goto put_store;

	fd = get_unused_fd_flags(O_RDWR |
				 (req.flags & VMO_CREATE_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		ret = fd;
		goto put_store;
	}

	/* The object fd takes over the store reference. */
	file = anon_inode_getfile("[vmo]", &vmo_obj_fops, obj, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto put_fd;
	}

	req.id = obj->id;
	req.fd = fd;
	req.pad2 = 0;
	if (copy_to_user(argp, &req, sizeof(req))) {
		ret = -EFAULT;
		goto put_file;
	}
	WRITE_ONCE(obj->handed_out, true);
	fd_install(fd, file);
	return fd;

put_file:
	/* Its release drops the store reference, freeing the object. */
	fput(file);
	put_unused_fd(fd);
	return ret;
put_fd:
	put_unused_fd(fd);
put_store:
	fput(store);
	return ret;
}

/* Mounts the stores' tmpfs instance (vmo_store_mnt). */
static int vmo_store_mount(void)
{
	struct file_system_type *type = get_fs_type("tmpfs");
	char opts[] = "huge=never";
	struct vfsmount *mnt;

	if (!type) {
		pr_err("vmo: no tmpfs file system (CONFIG_TMPFS off?)\n");
		return -EOPNOTSUPP;
	}
	/* tmpfs is built in: get_fs_type() took no module reference. */
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, "vmo", opts);
	if (IS_ERR(mnt)) {
		pr_err("vmo: cannot mount tmpfs with huge=never: %ld\n",
		       PTR_ERR(mnt));
		return PTR_ERR(mnt);
	}
	vmo_store_mnt = mnt;
	return 0;
}

/*
 * Mounts the stores' tmpfs and captures shmem's file_operations from a
 * throwaway store, for the stores' forwarders.
 */
int vmo_object_init(void)
{
	const struct file_operations *fops;
	struct file *probe;
	int ret;

	ret = vmo_store_mount();
	if (ret)
		return ret;
	probe = shmem_file_setup_with_mnt(vmo_store_mnt, "vmo-probe",
					  PAGE_SIZE, VM_NORESERVE);
	if (IS_ERR(probe)) {
		ret = PTR_ERR(probe);
		goto unmount;
	}
	fops = probe->f_op;
	vmo_shmem_aops = probe->f_mapping->a_ops;
	fput(probe);

	ret = -EOPNOTSUPP;
	/* Without these a store would not be a working shmem file. */
	if (!fops->mmap || !fops->get_unmapped_area || !fops->llseek ||
	    !fops->read_iter || !fops->write_iter || !fops->fallocate) {
		pr_err("vmo: shmem lacks file operations (CONFIG_TMPFS off?)\n");
		goto unmount;
	}
	/* A shmem release of its own would be skipped by ours. */
	if (WARN_ON_ONCE(fops->release))
		goto unmount;
	vmo_shmem_fops = fops;
	return 0;

unmount:
	kern_unmount(vmo_store_mnt);
	return ret;
}

/* Every store is gone (each pins the module): the mount can go. */
void vmo_object_exit(void)
{
	kern_unmount(vmo_store_mnt);
}
