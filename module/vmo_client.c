// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: clients.
 *
 * A client is a process that handed its userfaultfd to the module.  The
 * module keeps a reference on that uffd and gives the pager its own fd
 * for it, so a pager that dies or restarts leaves the client's faults
 * waiting for the next pager rather than falling back to the kernel's
 * zero pages (which is what happens once the last uffd reference goes).
 *
 * A client ends when its session is closed and none of its address
 * space is still registered with its uffd, or when its address space
 * exits (an mmu notifier tells us), whichever comes first.  A process
 * that closes its session while still using its mappings keeps being
 * served.
 */

#include <linux/file.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/userfaultfd_k.h>

#include "vmo_internal.h"

static u64 vmo_next_client_id = 1;

/*
 * Final teardown.  Callers hold a module reference of their own (a
 * session's or the work queue's, flushed at module exit), so the
 * module_put() here cannot pull the code from under them.
 */
static void vmo_client_free(struct vmo_client *c)
{
	/* Waits for a ->release that may be running right now. */
	mmu_notifier_unregister(&c->mn, c->mm);
	mmdrop(c->mm);
	put_pid_ns(c->pid_ns);
	fput(c->uffd);
	kfree(c->gone_ev);
	kfree(c);
	module_put(THIS_MODULE);
}

static void vmo_client_free_work(struct work_struct *work)
{
	vmo_client_free(container_of(work, struct vmo_client, free_work));
}

static void vmo_client_release_ref(struct kref *ref)
{
	vmo_client_free(container_of(ref, struct vmo_client, ref));
}

/*
 * The last put from the mmu notifier's ->release runs inside an SRCU
 * read section, where unregistering would deadlock: defer it.
 */
static void vmo_client_release_ref_deferred(struct kref *ref)
{
	struct vmo_client *c = container_of(ref, struct vmo_client, ref);

	queue_work(vmo_wq, &c->free_work);
}

void vmo_client_put(struct vmo_client *c)
{
	might_sleep();
	kref_put(&c->ref, vmo_client_release_ref);
}

/* Returns a registered client with a reference, or NULL. */
struct vmo_client *vmo_client_get_by_id(u64 id)
{
	struct vmo_client *c;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(c, &vmo_clients, node) {
		if (c->id == id) {
			kref_get(&c->ref);
			return c;
		}
	}
	return NULL;
}

/* vmo_client_get_by_id() for a caller without vmo_lock. */
struct vmo_client *vmo_client_get(u64 id)
{
	struct vmo_client *c;

	mutex_lock(&vmo_lock);
	c = vmo_client_get_by_id(id);
	mutex_unlock(&vmo_lock);
	return c;
}

/*
 * Takes @c out of the registry and tells the pager to let go of its
 * uffd.  Returns true the first time, when the caller must drop the
 * registry's reference.
 */
static bool vmo_client_end(struct vmo_client *c)
{
	mutex_lock(&vmo_lock);
	if (c->ended) {
		mutex_unlock(&vmo_lock);
		return false;
	}
	c->ended = true;
	list_del_init(&c->node);
	vmo_stats.clients--;
	vmo_user_del_client(c->user);
	vmo_user_put(c->user);
	c->user = NULL;
	if (vmo_pager_attached()) {
		vmo_pager_queue(c->gone_ev);
		c->gone_ev = NULL;
	}
	mutex_unlock(&vmo_lock);
	return true;
}

/* The client's address space is being torn down. */
static void vmo_client_mm_release(struct mmu_notifier *mn,
				  struct mm_struct *mm)
{
	struct vmo_client *c = container_of(mn, struct vmo_client, mn);

	if (vmo_client_end(c))
		kref_put(&c->ref, vmo_client_release_ref_deferred);
}

static const struct mmu_notifier_ops vmo_client_mn_ops = {
	.release = vmo_client_mm_release,
};

/* Is any VMA of the client's address space registered with its uffd? */
static bool vmo_client_has_ranges(struct vmo_client *c)
{
	struct vm_area_struct *vma;
	bool found = false;

	if (!mmget_not_zero(c->mm))
		return false;
	mmap_read_lock(c->mm);
	{
		VMA_ITERATOR(vmi, c->mm, 0);

		for_each_vma(vmi, vma) {
			if ((void *)vma->vm_userfaultfd_ctx.ctx ==
			    c->uffd->private_data) {
				found = true;
				break;
			}
		}
	}
	mmap_read_unlock(c->mm);
	mmput(c->mm);
	return found;
}

void vmo_session_client_release(struct vmo_session *s)
{
	struct vmo_client *c = s->client;

	/* Still-registered ranges keep the client until its mm exits. */
	if (!vmo_client_has_ranges(c) && vmo_client_end(c))
		vmo_client_put(c);
	s->client = NULL;
	vmo_client_put(c);
}

/* A userfaultfd is an anonymous inode file named "[userfaultfd]". */
static bool vmo_is_userfaultfd(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[userfaultfd]");
}

/*
 * The features the client's uffd was set up with (UFFDIO_API), 0 if
 * none yet.  6.1 exports no accessor for them, so they are read as
 * /proc/<pid>/fdinfo shows them: "API:\t<api>:<features>:<ioctls>".
 */
static int vmo_uffd_features(struct file *uffd, u64 *features)
{
	struct seq_file m = { .size = 256 };
	unsigned long long api, ioctls;
	unsigned int f;
	const char *line;
	int ret = -EPROTO;

	if (!uffd->f_op->show_fdinfo)
		return -EOPNOTSUPP;
	m.buf = kmalloc(m.size, GFP_KERNEL);
	if (!m.buf)
		return -ENOMEM;
	uffd->f_op->show_fdinfo(&m, uffd);
	if (seq_has_overflowed(&m) || m.count >= m.size)
		goto out;
	m.buf[m.count] = '\0';
	line = strstr(m.buf, "API:\t");
	if (line && sscanf(line + 5, "%llx:%x:%llx", &api, &f, &ioctls) == 3) {
		*features = f;
		ret = 0;
	}
out:
	kfree(m.buf);
	return ret;
}

/*
 * The events the pager's map table relies on.  While a munmap(),
 * mremap() or MADV_REMOVE of a registered range has an event the pager
 * has not read, the kernel refuses every resolve on that uffd (6.1:
 * mmap_changing, raised under the mmap lock before the range changes),
 * so no fill can land at an address whose mapping changed since the
 * pager looked it up.  Without them nothing tells the pager a mapping
 * went, its UFFDIO_ZEROPAGE can put a zero page into whatever object
 * is mapped there next, and a range moved by mremap() loses its
 * registration: the kernel would fill that object's store itself.
 */
#define VMO_UFFD_EVENTS_NEEDED	(UFFD_FEATURE_EVENT_UNMAP |		\
				 UFFD_FEATURE_EVENT_REMAP |		\
				 UFFD_FEATURE_EVENT_REMOVE)

static int vmo_uffd_check(struct file *uffd)
{
	u64 features = 0;
	int ret;

	if (!vmo_is_userfaultfd(uffd))
		return -EINVAL;
	ret = vmo_uffd_features(uffd, &features);
	if (ret) {
		pr_warn_ratelimited("vmo: cannot read the features of a client's userfaultfd: %d\n",
				    ret);
		return -EINVAL;
	}
	if ((features & VMO_UFFD_EVENTS_NEEDED) != VMO_UFFD_EVENTS_NEEDED)
		return -EINVAL;
	return 0;
}

static int vmo_client_attach_check(const struct vmo_client_attach *req)
{
	if (req->flags)
		return -EINVAL;
	if (vmo_nonzero(req->reserved))
		return -EINVAL;
	return 0;
}

/*
 * Under vmo_lock: may session @s become client @c?  Charges the
 * calling user's client count (vmo_user.c).
 */
static int vmo_client_charge(struct vmo_session *s, struct vmo_client *c,
			     struct vmo_user **spare)
{
	int ret;

	lockdep_assert_held(&vmo_lock);
	if (s->role != VMO_ROLE_NONE)
		return -EBUSY;
	c->user = vmo_user_get(spare);
	if (!c->user)
		return -ENOMEM;
	ret = vmo_user_add_client(c->user);
	if (ret) {
		vmo_user_put(c->user);
		c->user = NULL;
	}
	return ret;
}

static struct vmo_client *vmo_client_alloc(struct file *uffd)
{
	struct vmo_client *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->gone_ev = kzalloc(sizeof(*c->gone_ev), GFP_KERNEL);
	if (!c->gone_ev) {
		kfree(c);
		return NULL;
	}
	kref_init(&c->ref);	/* the registry's reference */
	INIT_LIST_HEAD(&c->node);
	INIT_WORK(&c->free_work, vmo_client_free_work);
	c->mn.ops = &vmo_client_mn_ops;
	c->uffd = uffd;
	c->tgid = task_tgid_nr(current);
	c->mm = current->mm;
	c->pid_ns = get_pid_ns(task_active_pid_ns(current));
	return c;
}

long vmo_ioctl_client_attach(struct vmo_session *s, void __user *argp)
{
	struct vmo_client_attach req;
	struct vmo_event ev = { .type = VMO_EV_CLIENT_NEW };
	struct vmo_user *spare;
	struct vmo_client *c;
	struct file *uffd;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = vmo_client_attach_check(&req);
	if (ret)
		return ret;
	if (!current->mm)
		return -EINVAL;

	uffd = fget(req.uffd);
	if (!uffd)
		return -EBADF;
	ret = vmo_uffd_check(uffd);
	if (ret)
		goto put_uffd;

	c = vmo_client_alloc(uffd);
	if (!c) {
		ret = -ENOMEM;
		goto put_uffd;
	}
	mmgrab(c->mm);
	ret = mmu_notifier_register(&c->mn, c->mm);
	if (ret)
		goto drop_mm;

	spare = vmo_user_alloc();
	mutex_lock(&vmo_lock);
	ret = vmo_client_charge(s, c, &spare);
	if (ret) {
		mutex_unlock(&vmo_lock);
		kfree(spare);
		goto unregister;
	}
	c->id = vmo_next_client_id++;
	c->gone_ev->ev.type = VMO_EV_CLIENT_GONE;
	c->gone_ev->ev.client_id = c->id;
	ev.client_id = c->id;
	ev.pid = c->tgid;
	if (vmo_pager_attached() && !vmo_pager_queue_new(&ev)) {
		vmo_user_del_client(c->user);
		vmo_user_put(c->user);
		mutex_unlock(&vmo_lock);
		kfree(spare);
		ret = -ENOMEM;
		goto unregister;
	}
	__module_get(THIS_MODULE);	/* dropped by vmo_client_free_work */
	list_add_tail(&c->node, &vmo_clients);
	vmo_stats.clients++;
	vmo_stats.clients_total++;
	kref_get(&c->ref);		/* the session's reference */
	s->client = c;
	vmo_session_set_role(s, VMO_ROLE_CLIENT);
	mutex_unlock(&vmo_lock);
	kfree(spare);

	req.client_id = c->id;
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;	/* attached all the same; close to undo */
	return 0;

unregister:
	/* Never registered: the ->release that unregister runs must no-op. */
	c->ended = true;
	mmu_notifier_unregister(&c->mn, c->mm);
drop_mm:
	mmdrop(c->mm);
	put_pid_ns(c->pid_ns);
	kfree(c->gone_ev);
	kfree(c);
put_uffd:
	fput(uffd);
	return ret;
}

static int vmo_map_notify_check(const struct vmo_map_notify *req)
{
	if (req->flags & ~VMO_NOTIFY_ANY_OBJECT)
		return -EINVAL;
	if ((req->flags & VMO_NOTIFY_ANY_OBJECT) && req->obj_fd)
		return -EINVAL;
	if (vmo_nonzero(req->reserved))
		return -EINVAL;
	if (!req->len || !PAGE_ALIGNED(req->addr) || !PAGE_ALIGNED(req->len))
		return -EINVAL;
	if (req->addr + req->len < req->addr)
		return -EINVAL;
	return 0;
}

/*
 * Fills @ev from the VMA holding [addr, addr + len): it must map @obj
 * (any object if NULL) and be registered with the client's uffd, or the
 * pager could never see its faults.
 */
static int vmo_map_describe(struct vmo_client *c, struct vmo_object *obj,
			    u64 addr, u64 len, struct vmo_event *ev)
{
	struct vm_area_struct *vma;
	struct vmo_object *mapped;
	int ret = -EINVAL;

	mmap_read_lock(c->mm);
	vma = vma_lookup(c->mm, addr);
	if (!vma || addr + len > vma->vm_end)
		goto unlock;
	mapped = vmo_object_from_store(vma->vm_file);
	if (!mapped || (obj && mapped != obj))
		goto unlock;
	obj = mapped;
	if ((void *)vma->vm_userfaultfd_ctx.ctx != c->uffd->private_data)
		goto unlock;

	ev->type = VMO_EV_MAP;
	ev->client_id = c->id;
	ev->obj_id = obj->id;
	ev->kind = obj->kind;
	ev->addr = addr;
	ev->len = len;
	ev->pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	ev->obj_size = obj->size;
	ev->flags = (vma->vm_flags & VM_SHARED ? VMO_MAP_SHARED : 0) |
		    (vma->vm_flags & VM_WRITE ? VMO_MAP_WRITE : 0);
	ret = 0;
unlock:
	mmap_read_unlock(c->mm);
	return ret;
}

long vmo_ioctl_map_notify(struct vmo_session *s, void __user *argp)
{
	struct vmo_map_notify req;
	struct vmo_event ev = {};
	struct vmo_object *obj;
	struct file *file;
	int ret;

	/* The dispatcher checked the role: a client session. */
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = vmo_map_notify_check(&req);
	if (ret)
		return ret;
	/* A forked child shares the session but not the address space. */
	if (current->mm != s->client->mm)
		return -EINVAL;

	if (req.flags & VMO_NOTIFY_ANY_OBJECT) {
		ret = vmo_map_describe(s->client, NULL, req.addr, req.len, &ev);
	} else {
		obj = vmo_object_fdget(req.obj_fd, &file);
		if (IS_ERR(obj))
			return PTR_ERR(obj);
		ret = vmo_map_describe(s->client, obj, req.addr, req.len, &ev);
		fput(file);
	}
	if (ret)
		return ret;

	mutex_lock(&vmo_lock);
	vmo_pager_queue_new(&ev);	/* a hint: dropping it is harmless */
	mutex_unlock(&vmo_lock);
	return 0;
}

/* Up to @max object mappings of @mm from address *@cursor on. */
static u32 vmo_mappings_collect(struct mm_struct *mm, u64 *cursor,
				struct vmo_mapping *out, u32 max)
{
	VMA_ITERATOR(vmi, mm, *cursor);
	struct vm_area_struct *vma;
	struct vmo_object *obj;
	u32 n = 0;

	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		obj = vmo_object_from_store(vma->vm_file);
		if (!obj)
			continue;
		if (n == max) {
			*cursor = vma->vm_start;
			goto unlock;
		}
		out[n++] = (struct vmo_mapping){
			.start = vma->vm_start,
			.end = vma->vm_end,
			.obj_id = obj->id,
			.pgoff = vma->vm_pgoff,
			.flags = (vma->vm_flags & VM_SHARED ? VMO_MAP_SHARED : 0) |
				 (vma->vm_flags & VM_WRITE ? VMO_MAP_WRITE : 0),
		};
	}
	*cursor = 0;	/* all listed */
unlock:
	mmap_read_unlock(mm);
	return n;
}

/*
 * VMO_IOC_MAPPINGS: the caller's object mappings, as its address space
 * has them.  Collected under the mmap lock, copied out after it (the
 * copy may fault).
 */
long vmo_ioctl_mappings(struct vmo_session *s, void __user *argp)
{
	struct vmo_mapping *buf;
	struct vmo_mappings req;
	int ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || vmo_nonzero(req.reserved) || !req.count ||
	    req.count > VMO_MAPPINGS_MAX)
		return -EINVAL;
	if (!current->mm)
		return -ESRCH;
	buf = kcalloc(req.count, sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	req.count = vmo_mappings_collect(current->mm, &req.cursor, buf,
					 req.count);
	if (copy_to_user(u64_to_user_ptr(req.buf), buf,
			 req.count * sizeof(*buf)) ||
	    copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

/* Thread @tid of client @c (numbered in its pid namespace), counted. */
static struct task_struct *vmo_client_thread(struct vmo_client *c, pid_t tid)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(find_pid_ns(tid, c->pid_ns), PIDTYPE_PID);
	/* Only a thread of the client's address space: never anyone else. */
	if (t && READ_ONCE(t->mm) == c->mm)
		get_task_struct(t);
	else
		t = NULL;
	rcu_read_unlock();
	return t;
}

/*
 * VMO_IOC_PAGER_SIGBUS: a page can never be served (its file or its
 * backing store slot cannot be read): the faulting thread gets SIGBUS
 * at the address, as from the kernel's own fault path.  The pager wakes
 * it after; it then takes the signal before it could fault again.
 */
long vmo_ioctl_pager_sigbus(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_sigbus req;
	struct kernel_siginfo info;
	struct task_struct *t;
	struct vmo_client *c;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || vmo_nonzero(req.reserved) || !req.tid ||
	    req.tid > PID_MAX_LIMIT)
		return -EINVAL;
	c = vmo_client_get(req.client_id);
	if (!c)
		return -ESRCH;
	t = vmo_client_thread(c, (pid_t)req.tid);
	vmo_client_put(c);
	if (!t)
		return -ESRCH;
	clear_siginfo(&info);
	info.si_signo = SIGBUS;
	info.si_code = BUS_ADRERR;
	info.si_addr = u64_to_user_ptr(req.addr);
	ret = send_sig_info(SIGBUS, &info, t);
	put_task_struct(t);
	return ret;
}
