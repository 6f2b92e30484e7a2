// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: page records and the backing store they point into.
 *
 * When the pager writes a page out, it tells us where it put it (a slot
 * of its backing store, or "all zero").  We keep that record in the
 * object, and we keep a reference on the backing store, so that a
 * paged-out page can always be found again: by this pager after the
 * module dropped the clean copy, and by the next pager after this one
 * died without a word (SIGKILL).  The records are the authority; the
 * pager's own map is a cache it checks before paging a page in.
 *
 * A client may punch pages out of a store (MADV_REMOVE).  Their content
 * is gone, so their records must go too, or the next fault would bring
 * the old content back.  A punched slot record is not erased at once:
 * it is marked (VMO_REC_PUNCHED) until the pager fetched it with
 * VMO_RECORD_FREED and freed the slot, so that the slot is neither lost
 * nor handed out twice.  A punched record reads as none.
 *
 * Reservations: a reserved object was promised a slot for each of its
 * pages.  Slots held by unreserved objects count against the backing
 * store, so a reservation is refused (ENOMEM) when the rest cannot hold
 * it, and an unreserved record is refused when it would eat into what
 * reserved objects were promised.
 *
 * Everything here is under vmo_lock; records are touched only by pager
 * requests and by punches, never on the fault path.
 */

#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vmo_internal.h"

/* Mark of a punched slot record in obj->records. */
#define VMO_REC_PUNCHED	XA_MARK_0

/**
 * struct vmo_backing_store - the backing store the records point into
 * @file: counted reference, or NULL.
 * @pages: its size in pages.
 */
static struct {
	struct file *file;
	u64 pages;
} vmo_backing;

void vmo_records_init(struct vmo_object *obj)
{
	xa_init(&obj->records);
}

static bool vmo_obj_reserved(const struct vmo_object *obj)
{
	return obj->flags & VMO_CREATE_RESERVE;
}

/* Counts record @rec of @obj in (@sign 1) or out of (-1) the totals. */
static void vmo_rec_account(struct vmo_object *obj, u64 rec, int sign)
{
	lockdep_assert_held(&vmo_lock);
	if (rec == VMO_REC_NONE)
		return;
	vmo_stats.records += sign;
	if (!VMO_REC_IS_SLOT(rec))
		return;
	obj->rec_slots += sign;
	vmo_stats.record_slots += sign;
	if (!vmo_obj_reserved(obj))
		vmo_stats.record_slots_unreserved += sign;
}

/* The record of page @index as the pager must see it. */
static u64 vmo_rec_get(struct vmo_object *obj, unsigned long index)
{
	void *entry = xa_load(&obj->records, index);

	if (!entry || xa_get_mark(&obj->records, index, VMO_REC_PUNCHED))
		return VMO_REC_NONE;
	return xa_to_value(entry);
}

/* Forgets punched record @entry of page @index: its slot is free. */
static void vmo_rec_forget_punched(struct vmo_object *obj, unsigned long index,
				   void *entry)
{
	lockdep_assert_held(&vmo_lock);
	xa_erase(&obj->records, index);
	vmo_rec_account(obj, xa_to_value(entry), -1);
	obj->rec_punched--;
	vmo_stats.records_punched--;
}

/* The object is leaving the list: its records stop counting. */
void vmo_records_unlist(struct vmo_object *obj)
{
	unsigned long index;
	void *entry;

	lockdep_assert_held(&vmo_lock);
	xa_for_each(&obj->records, index, entry) {
		if (xa_get_mark(&obj->records, index, VMO_REC_PUNCHED))
			vmo_stats.records_punched--;
		vmo_rec_account(obj, xa_to_value(entry), -1);
	}
	vmo_backing_put_unused();
}

void vmo_records_destroy(struct vmo_object *obj)
{
	xa_destroy(&obj->records);
}

/*
 * Pages [@start, @end) of @obj's store were punched out by a client:
 * their content is gone.  Zero records go at once; slot records are
 * marked until the pager takes them (VMO_RECORD_FREED), and the pager
 * is told.
 */
static void vmo_records_punch(struct vmo_object *obj, pgoff_t start,
			      pgoff_t end)
{
	unsigned long index = start;
	bool punched = false;
	void *entry;
	u64 rec;

	mutex_lock(&vmo_lock);
	xa_for_each_range(&obj->records, index, entry, start, end - 1) {
		rec = xa_to_value(entry);
		if (!VMO_REC_IS_SLOT(rec)) {
			xa_erase(&obj->records, index);
			vmo_rec_account(obj, rec, -1);
			continue;
		}
		if (xa_get_mark(&obj->records, index, VMO_REC_PUNCHED))
			continue;
		xa_set_mark(&obj->records, index, VMO_REC_PUNCHED);
		obj->rec_punched++;
		vmo_stats.records_punched++;
		punched = true;
	}
	if (punched)
		vmo_pager_records_freed();
	mutex_unlock(&vmo_lock);
}

/* The store's fallocate: a hole punched drops the pages' records. */
void vmo_records_fallocated(struct vmo_object *obj, int mode, loff_t offset,
			    loff_t len)
{
	pgoff_t start, end;

	if (!(mode & FALLOC_FL_PUNCH_HOLE) || len <= 0)
		return;
	/* Only whole pages go; partial ones are zeroed, and stay dirty. */
	start = DIV_ROUND_UP(offset, PAGE_SIZE);
	end = (offset + len) >> PAGE_SHIFT;
	if (start < end)
		vmo_records_punch(obj, start, end);
}

/*
 * Page-ins and punches of one object exclude each other (see struct
 * vmo_pager_record): a page-in that read a slot record before a punch
 * would otherwise bring the punched content back.  Page-ins are short
 * (the pager reads its slots and fills the store) and end when the
 * pager detaches, so a punch waits for them; a page-in that would start
 * during a punch is refused instead (EAGAIN), so the pager never waits
 * on a client.
 */
static DECLARE_WAIT_QUEUE_HEAD(vmo_fill_wq);

int vmo_records_punch_begin(struct vmo_object *obj)
{
	int ret;

	mutex_lock(&vmo_lock);
	obj->punching++;
	mutex_unlock(&vmo_lock);
	ret = wait_event_killable(vmo_fill_wq, !READ_ONCE(obj->filling));
	if (ret)
		vmo_records_punch_end(obj);
	return ret;
}

void vmo_records_punch_end(struct vmo_object *obj)
{
	mutex_lock(&vmo_lock);
	obj->punching--;
	mutex_unlock(&vmo_lock);
}

/* GET with VMO_RECORD_FILL: a page-in of @obj starts, unless a punch is on. */
static int vmo_record_fill_begin(struct vmo_object *obj)
{
	lockdep_assert_held(&vmo_lock);
	if (obj->punching)
		return -EAGAIN;
	obj->filling++;
	return 0;
}

static void vmo_record_fill_end(struct vmo_object *obj)
{
	lockdep_assert_held(&vmo_lock);
	if (!--obj->filling)
		wake_up_all(&vmo_fill_wq);
}

/* The pager went: its page-ins are over. */
void vmo_records_pager_gone(void)
{
	struct vmo_object *obj;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node)
		obj->filling = 0;
	wake_up_all(&vmo_fill_wq);
}

/* ---- the backing store ---- */

/*
 * The backing store of an attaching pager: a regular file or a block
 * device open for reading and writing.  Returns a counted file or an
 * ERR_PTR (EBADF, EINVAL).
 */
struct file *vmo_backing_fget(u32 fd)
{
	struct file *file = fget(fd);
	umode_t mode;

	if (!file)
		return ERR_PTR(-EBADF);
	mode = file_inode(file)->i_mode;
	if ((!S_ISREG(mode) && !S_ISBLK(mode)) ||
	    (file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/* Forgets the slots punched under an earlier pager: they are free now. */
static void vmo_records_drop_punched(void)
{
	struct vmo_object *obj;
	unsigned long index;
	void *entry;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		if (!obj->rec_punched)
			continue;
		xa_for_each_marked(&obj->records, index, entry,
				   VMO_REC_PUNCHED)
			vmo_rec_forget_punched(obj, index, entry);
	}
}

/*
 * A pager attaches with backing store @file (counted, consumed; may be
 * NULL) of @pages pages.  While slot records point into the store an
 * earlier pager used, that one stays: a counted reference to it is
 * returned (the new pager must use it) with its size in *@kept_pages.
 * Else @file becomes the store and NULL is returned.
 */
struct file *vmo_backing_adopt(struct file *file, u64 pages, u64 *kept_pages)
{
	lockdep_assert_held(&vmo_lock);
	vmo_records_drop_punched();
	*kept_pages = 0;
	if (vmo_backing.file && vmo_stats.record_slots) {
		if (file)
			fput(file);
		*kept_pages = vmo_backing.pages;
		return get_file(vmo_backing.file);
	}
	if (vmo_backing.file)
		fput(vmo_backing.file);
	vmo_backing.file = file;
	vmo_backing.pages = file ? pages : 0;
	return NULL;
}

/* Lets the backing store go once no pager uses it and nothing is in it. */
void vmo_backing_put_unused(void)
{
	lockdep_assert_held(&vmo_lock);
	if (!vmo_backing.file || vmo_pager_attached() ||
	    vmo_stats.record_slots)
		return;
	fput(vmo_backing.file);
	vmo_backing.file = NULL;
	vmo_backing.pages = 0;
}

void vmo_backing_exit(void)
{
	if (vmo_backing.file)
		fput(vmo_backing.file);
	vmo_backing.file = NULL;
}

u64 vmo_backing_pages(void)
{
	lockdep_assert_held(&vmo_lock);
	return vmo_backing.pages;
}

/*
 * Commits @pages of the backing store to a new reserved object: what
 * reserved objects were promised, plus the slots unreserved ones hold,
 * must fit.  With no backing store there is nothing to commit: memory
 * was committed by the store's accounting.
 */
int vmo_backing_reserve(u64 pages)
{
	lockdep_assert_held(&vmo_lock);
	if (!vmo_backing.pages)
		return 0;
	if (vmo_stats.reserved_pages + vmo_stats.record_slots_unreserved +
	    pages > vmo_backing.pages)
		return -ENOMEM;
	return 0;
}

/* ---- VMO_IOC_PAGER_RECORD ---- */

static int vmo_record_check(const struct vmo_pager_record *req)
{
	u32 flags = req->op == VMO_RECORD_GET ? VMO_RECORD_FILL : 0;

	if ((req->flags & ~flags) || vmo_nonzero(req->reserved) ||
	    req->count || req->refused)
		return -EINVAL;
	if (req->op == VMO_RECORD_FILLED)
		return req->first || req->npages || req->recs ? -EINVAL : 0;
	if (!req->npages || req->npages > VMO_RECORD_MAX)
		return -EINVAL;
	switch (req->op) {
	case VMO_RECORD_GET:
	case VMO_RECORD_SET:
	case VMO_RECORD_LIST:
		return 0;
	case VMO_RECORD_FREED:
		return req->obj_id || req->first ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* The object a GET or SET names, with its range checked. */
static struct vmo_object *vmo_record_object(const struct vmo_pager_record *req)
{
	struct vmo_object *obj = vmo_object_find(req->obj_id);
	u64 npages;

	if (!obj)
		return ERR_PTR(-ENOENT);
	npages = obj->size >> PAGE_SHIFT;
	if (req->first >= npages || req->npages > npages - req->first)
		return ERR_PTR(-ENXIO);
	return obj;
}

static void vmo_record_get(struct vmo_object *obj,
			   struct vmo_pager_record *req, u64 *recs)
{
	u64 i;

	for (i = 0; i < req->npages; i++) {
		recs[i] = vmo_rec_get(obj, req->first + i);
		req->count += recs[i] != VMO_REC_NONE;
	}
}

/* Are the new records sane?  EINVAL for a slot past the store's end. */
static int vmo_record_validate(const struct vmo_pager_record *req,
			       const u64 *recs)
{
	u64 i;

	for (i = 0; i < req->npages; i++) {
		if (!VMO_REC_IS_SLOT(recs[i]))
			continue;
		if (!vmo_backing.pages)
			return -ENODEV;
		if (VMO_REC_SLOT_OF(recs[i]) >= vmo_backing.pages)
			return -EINVAL;
	}
	return 0;
}

/* May @obj's page go from record @old to @rec? */
static bool vmo_record_allowed(struct vmo_object *obj, unsigned long index,
			       u64 old, u64 rec)
{
	if (xa_get_mark(&obj->records, index, VMO_REC_PUNCHED))
		return false;	/* the pager has not freed it yet */
	if (rec == VMO_REC_NONE)
		return true;
	/* Present: a swapped-out shmem page is a value entry, still there. */
	if (!xa_load(&obj->mapping->i_pages, index))
		return false;
	if (!VMO_REC_IS_SLOT(rec) || VMO_REC_IS_SLOT(old) ||
	    vmo_obj_reserved(obj))
		return true;
	return vmo_stats.reserved_pages + vmo_stats.record_slots_unreserved <
	       vmo_backing.pages;
}

static int vmo_record_set_one(struct vmo_object *obj, unsigned long index,
			      u64 rec)
{
	void *old;

	if (rec == VMO_REC_NONE) {
		old = xa_erase(&obj->records, index);
	} else {
		old = xa_store(&obj->records, index, xa_mk_value(rec),
			       GFP_KERNEL);
		if (xa_is_err(old))
			return xa_err(old);
	}
	if (old)
		vmo_rec_account(obj, xa_to_value(old), -1);
	vmo_rec_account(obj, rec, 1);
	return 0;
}

static int vmo_record_set(struct vmo_object *obj,
			  struct vmo_pager_record *req, u64 *recs)
{
	unsigned long index;
	u64 i, old;
	int ret;

	ret = vmo_record_validate(req, recs);
	if (ret)
		return ret;
	for (i = 0; i < req->npages; i++) {
		if (recs[i] == VMO_REC_KEEP)
			continue;
		index = req->first + i;
		old = vmo_rec_get(obj, index);
		if (recs[i] == old)
			continue;
		if (!vmo_record_allowed(obj, index, old, recs[i])) {
			recs[i] = old;
			req->refused++;
			continue;
		}
		ret = vmo_record_set_one(obj, index, recs[i]);
		if (ret)
			return ret;
		req->count++;
	}
	for (i = 0; i < req->npages; i++)
		if (recs[i] == VMO_REC_KEEP)
			recs[i] = vmo_rec_get(obj, req->first + i);
	return 0;
}

/*
 * LIST: every record (slot or zero, not punched) from the cursor
 * (obj_id, first) on, in object id order: vmo_objects is kept sorted by
 * id (vmo_object_list_add()), so an object skipped because its id is
 * below the cursor was listed by an earlier call.
 */
static void vmo_record_list(struct vmo_pager_record *req,
			    struct vmo_page_record *out)
{
	unsigned long index;
	struct vmo_object *obj;
	void *entry;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		if (obj->id < req->obj_id)
			continue;
		index = obj->id == req->obj_id ? req->first : 0;
		xa_for_each_start(&obj->records, index, entry, index) {
			if (xa_get_mark(&obj->records, index,
					VMO_REC_PUNCHED))
				continue;
			if (req->count == req->npages) {
				req->obj_id = obj->id;
				req->first = index;
				return;
			}
			out[req->count++] = (struct vmo_page_record){
				.obj_id = obj->id,
				.index = index,
				.rec = xa_to_value(entry),
			};
		}
	}
	/* Past the last object: the next call returns nothing. */
	req->obj_id = U64_MAX;
	req->first = 0;
}

/*
 * FREED: the punched slot records, to hand over.  They are forgotten
 * only once the pager has them (vmo_record_forget_freed()): a copy-out
 * that faults must not leak their slots.
 */
static void vmo_record_freed(struct vmo_pager_record *req,
			     struct vmo_page_record *out)
{
	struct vmo_object *obj;
	unsigned long index;
	void *entry;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		if (!obj->rec_punched)
			continue;
		xa_for_each_marked(&obj->records, index, entry,
				   VMO_REC_PUNCHED) {
			if (req->count == req->npages)
				return;
			out[req->count++] = (struct vmo_page_record){
				.obj_id = obj->id,
				.index = index,
				.rec = xa_to_value(entry),
			};
		}
	}
}

/*
 * The pager has the @n records of @out: forget those still punched as
 * they were (vmo_lock was dropped for the copy-out; an object may have
 * gone, taking its records, or a new pager may have dropped them).
 */
static void vmo_record_forget_freed(const struct vmo_page_record *out, u64 n)
{
	struct vmo_object *obj = NULL;
	void *entry;
	u64 i;

	lockdep_assert_held(&vmo_lock);
	for (i = 0; i < n; i++) {
		if (!obj || obj->id != out[i].obj_id)
			obj = vmo_object_find(out[i].obj_id);
		if (!obj)
			continue;
		entry = xa_load(&obj->records, out[i].index);
		if (entry != xa_mk_value(out[i].rec) ||
		    !xa_get_mark(&obj->records, out[i].index,
				 VMO_REC_PUNCHED))
			continue;
		vmo_rec_forget_punched(obj, out[i].index, entry);
	}
}

/* FILLED: the page-in that GET with VMO_RECORD_FILL began is over. */
static int vmo_record_filled(const struct vmo_pager_record *req)
{
	struct vmo_object *obj;
	int ret = 0;

	mutex_lock(&vmo_lock);
	obj = vmo_object_find(req->obj_id);
	if (!obj)
		ret = -ENOENT;
	else if (!obj->filling)
		ret = -EINVAL;
	else
		vmo_record_fill_end(obj);
	mutex_unlock(&vmo_lock);
	return ret;
}

static int vmo_record_op(struct vmo_pager_record *req, void *buf)
{
	struct vmo_object *obj;
	int ret;

	lockdep_assert_held(&vmo_lock);
	switch (req->op) {
	case VMO_RECORD_GET:
	case VMO_RECORD_SET:
		obj = vmo_record_object(req);
		if (IS_ERR(obj))
			return PTR_ERR(obj);
		if (req->op == VMO_RECORD_SET)
			return vmo_record_set(obj, req, buf);
		if (req->flags & VMO_RECORD_FILL) {
			ret = vmo_record_fill_begin(obj);
			if (ret)
				return ret;
		}
		vmo_record_get(obj, req, buf);
		return 0;
	case VMO_RECORD_LIST:
		vmo_record_list(req, buf);
		return 0;
	case VMO_RECORD_FREED:
		vmo_record_freed(req, buf);
		return 0;
	}
	return -EINVAL;
}

long vmo_ioctl_pager_record(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_record req;
	void __user *urecs;
	size_t size;
	void *buf;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = vmo_record_check(&req);
	if (ret)
		return ret;
	if (req.op == VMO_RECORD_FILLED)
		return vmo_record_filled(&req);
	size = req.op == VMO_RECORD_GET || req.op == VMO_RECORD_SET ?
	       sizeof(u64) : sizeof(struct vmo_page_record);
	size *= req.npages;
	urecs = u64_to_user_ptr(req.recs);
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* User memory is copied outside vmo_lock: it may fault. */
	if (req.op == VMO_RECORD_SET && copy_from_user(buf, urecs, size)) {
		ret = -EFAULT;
		goto free;
	}
	mutex_lock(&vmo_lock);
	ret = vmo_record_op(&req, buf);
	mutex_unlock(&vmo_lock);
	if (ret)
		goto free;
	if (req.op == VMO_RECORD_GET || req.op == VMO_RECORD_SET)
		size = req.npages * sizeof(u64);
	else
		size = req.count * sizeof(struct vmo_page_record);
	if (copy_to_user(urecs, buf, size) ||
	    copy_to_user(argp, &req, sizeof(req))) {
		ret = -EFAULT;
		/* Undelivered: the page-in it began does not happen. */
		if (req.flags & VMO_RECORD_FILL)
			vmo_record_filled(&req);
		goto free;
	}
	if (req.op == VMO_RECORD_FREED) {
		mutex_lock(&vmo_lock);
		vmo_record_forget_freed(buf, req.count);
		mutex_unlock(&vmo_lock);
	}
free:
	kvfree(buf);
	return ret;
}
