// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: the pager's side of the protocol.
 *
 * One session at a time may be the pager.  It reads events (a client
 * arrived, with its uffd installed in the pager; a client left; a client
 * mapped an object; an object went), asks which object is mapped at a
 * client's address, and publishes its counters for /proc/vmo/stats.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vmo_internal.h"
#include "vmo_pstat_names.h"

/**
 * struct vmo_pager - the attached pager, under vmo_lock
 * @session: its session (for the poll wait queue).
 * @tgid: its process.
 * @events: queued struct vmo_event_node.
 * @nr_events: length of @events.
 * @efd: where scavenge requests go, or NULL (counted reference).
 * @freed_queued: a VMO_EV_RECORDS_FREED is queued: one is enough.
 */
struct vmo_pager {
	struct vmo_session *session;
	pid_t tgid;
	struct list_head events;
	unsigned int nr_events;
	struct eventfd_ctx *efd;
	bool freed_queued;
	struct mm_struct *mm;
};

static struct vmo_pager *vmo_pager;
/* Latest counters the pager published; kept after it detaches. */
static struct vmo_pager_stats vmo_pstats;

/* Clients waiting in VMO_OBJ_SYNC, under vmo_lock. */
static LIST_HEAD(vmo_requests);
/* Sequence numbers of requests and zombies, under vmo_lock. */
static u64 vmo_next_seq = 1;

bool vmo_pager_attached(void)
{
	lockdep_assert_held(&vmo_lock);
	return vmo_pager;
}

/* Queues @en for the pager; the pager must be attached. */
void vmo_pager_queue(struct vmo_event_node *en)
{
	lockdep_assert_held(&vmo_lock);
	list_add_tail(&en->node, &vmo_pager->events);
	vmo_pager->nr_events++;
	vmo_stats.events_queued++;
	wake_up_interruptible(&vmo_pager->session->wq);
}

/*
 * Queues a copy of @ev if a pager is attached.  Returns false if it was
 * dropped (no memory or a full queue): the caller decides whether that
 * matters.  With no pager there is nobody to tell, which is not a drop.
 */
bool vmo_pager_queue_new(const struct vmo_event *ev)
{
	struct vmo_event_node *en;

	lockdep_assert_held(&vmo_lock);
	if (!vmo_pager)
		return true;
	/*
	 * Hints may be dropped; what someone waits for may not: client
	 * arrivals, sync requests and zombies are bounded by the clients,
	 * the waiting threads and the objects that exist.
	 */
	if (ev->type != VMO_EV_CLIENT_NEW && ev->type != VMO_EV_SYNC &&
	    ev->type != VMO_EV_RECORDS_FREED && !(ev->flags & VMO_EV_ACK) &&
	    vmo_pager->nr_events >= VMO_MAX_QUEUED_EVENTS)
		goto drop;
	en = kzalloc(sizeof(*en), GFP_KERNEL);
	if (!en)
		goto drop;
	en->ev = *ev;
	vmo_pager_queue(en);
	return true;
drop:
	vmo_stats.events_dropped++;
	return false;
}

static void vmo_pager_free(struct vmo_pager *p)
{
	struct vmo_event_node *en, *tmp;

	list_for_each_entry_safe(en, tmp, &p->events, node)
		kfree(en);
	if (p->efd)
		eventfd_ctx_put(p->efd);
	mmdrop(p->mm);
	kfree(p);
}

/*
 * Is the calling task the pager (or one of its threads, io_uring
 * workers included)?  Reclaim must never make it wait for itself.
 */
bool vmo_pager_is_current(void)
{
	lockdep_assert_held(&vmo_lock);
	return vmo_pager && current->mm == vmo_pager->mm;
}

/*
 * Asks the pager for @pages pages on its eventfd; requests add up until
 * it reads them.  Returns false if there is nobody to ask.
 */
bool vmo_pager_ask(u64 pages)
{
	lockdep_assert_held(&vmo_lock);
	if (!vmo_pager || !vmo_pager->efd)
		return false;
	eventfd_signal(vmo_pager->efd, pages);
	return true;
}

/*
 * Tells the pager that records were punched (VMO_RECORD_FREED has slots
 * for it), unless it was told and has not read that yet.
 */
void vmo_pager_records_freed(void)
{
	struct vmo_event ev = { .type = VMO_EV_RECORDS_FREED };

	lockdep_assert_held(&vmo_lock);
	if (!vmo_pager || vmo_pager->freed_queued)
		return;
	if (vmo_pager_queue_new(&ev))
		vmo_pager->freed_queued = true;
}

static int vmo_pager_announce(struct vmo_pager *p, const struct vmo_event *ev)
{
	struct vmo_event_node *en;

	en = kzalloc(sizeof(*en), GFP_KERNEL);
	if (!en)
		return -ENOMEM;
	en->ev = *ev;
	list_add_tail(&en->node, &p->events);
	p->nr_events++;
	return 0;
}

static void vmo_zombie_event(struct vmo_object *obj, struct vmo_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = VMO_EV_OBJ_GONE;
	ev->obj_id = obj->id;
	ev->kind = obj->kind;
	ev->flags = VMO_EV_ACK;
	ev->seq = obj->gone_seq;
}

/*
 * Tells a pager just attached what it must take over: every live client
 * and every zombie still waiting for its write-back.
 */
static int vmo_pager_announce_all(struct vmo_pager *p)
{
	struct vmo_event ev;
	struct vmo_object *obj;
	struct vmo_client *c;
	int ret;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(c, &vmo_clients, node) {
		memset(&ev, 0, sizeof(ev));
		ev.type = VMO_EV_CLIENT_NEW;
		ev.client_id = c->id;
		ev.pid = c->tgid;
		ret = vmo_pager_announce(p, &ev);
		if (ret)
			return ret;
	}
	list_for_each_entry(obj, &vmo_objects, node) {
		if (!obj->zombie)
			continue;
		vmo_zombie_event(obj, &ev);
		ret = vmo_pager_announce(p, &ev);
		if (ret)
			return ret;
	}
	return 0;
}

static int vmo_pager_attach_check(const struct vmo_pager_attach *req)
{
	if (req->flags & ~(VMO_PAGER_EVENTFD | VMO_PAGER_BACKING))
		return -EINVAL;
	if (!(req->flags & VMO_PAGER_EVENTFD) && req->eventfd)
		return -EINVAL;
	if (req->flags & VMO_PAGER_BACKING) {
		if (!req->backing_pages)
			return -EINVAL;
	} else if (req->backing_pages || req->backing_fd) {
		return -EINVAL;
	}
	if (req->kept_fd || req->kept_pages || vmo_nonzero(req->reserved))
		return -EINVAL;
	return 0;
}

static struct vmo_pager *vmo_pager_new(struct vmo_session *s,
				       const struct vmo_pager_attach *req)
{
	struct vmo_pager *p;
	int ret;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&p->events);
	p->session = s;
	p->tgid = task_tgid_nr(current);
	if (req->flags & VMO_PAGER_EVENTFD) {
		p->efd = eventfd_ctx_fdget(req->eventfd);
		if (IS_ERR(p->efd)) {
			ret = PTR_ERR(p->efd);
			kfree(p);
			return ERR_PTR(ret);
		}
	}
	p->mm = current->mm;
	mmgrab(p->mm);
	return p;
}

/*
 * The attach itself, under vmo_lock.  Takes over @backing (counted, may
 * be NULL); returns the kept backing store of an earlier pager, if any,
 * in *@kept (see struct vmo_pager_attach).
 */
static int vmo_pager_attach_locked(struct vmo_session *s, struct vmo_pager *p,
				   struct vmo_pager_attach *req,
				   struct file *backing, struct file **kept)
{
	int ret;

	lockdep_assert_held(&vmo_lock);
	if (s->role != VMO_ROLE_NONE || vmo_pager)
		return -EBUSY;
	ret = vmo_pager_announce_all(p);
	if (ret)
		return ret;
	/* Nothing fails from here on. */
	*kept = vmo_backing_adopt(backing, req->backing_pages,
				  &req->kept_pages);
	vmo_pager = p;
	vmo_stats.pager_attaches++;
	memset(&vmo_pstats, 0, sizeof(vmo_pstats));
	vmo_session_set_role(s, VMO_ROLE_PAGER);
	return 0;
}

long vmo_ioctl_pager_attach(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_attach req;
	struct file *backing = NULL, *kept = NULL;
	struct vmo_pager *p;
	int kept_fd, ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = vmo_pager_attach_check(&req);
	if (ret)
		return ret;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* The answer must be deliverable once attached: check it now. */
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;

	p = vmo_pager_new(s, &req);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (req.flags & VMO_PAGER_BACKING) {
		backing = vmo_backing_fget(req.backing_fd);
		if (IS_ERR(backing)) {
			ret = PTR_ERR(backing);
			goto free_pager;
		}
	}
	kept_fd = get_unused_fd_flags(O_CLOEXEC);
	if (kept_fd < 0) {
		ret = kept_fd;
		goto put_backing;
	}

	mutex_lock(&vmo_lock);
	ret = vmo_pager_attach_locked(s, p, &req, backing, &kept);
	mutex_unlock(&vmo_lock);
	if (ret)
		goto put_fd;

	req.kept_fd = VMO_NO_FD;
	if (kept) {
		fd_install(kept_fd, kept);
		req.kept_fd = kept_fd;
	} else {
		put_unused_fd(kept_fd);
	}
	return copy_to_user(argp, &req, sizeof(req)) ? -EFAULT : 0;

put_fd:
	put_unused_fd(kept_fd);
put_backing:
	if (backing)
		fput(backing);
free_pager:
	vmo_pager_free(p);
	return ret;
}

/* Requests in flight die with the pager that was to answer them. */
static void vmo_requests_fail(int error)
{
	struct vmo_request *req, *tmp;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry_safe(req, tmp, &vmo_requests, node) {
		list_del_init(&req->node);
		req->error = error;
		complete(&req->done);
	}
}

void vmo_session_pager_release(struct vmo_session *s)
{
	struct vmo_pager *p;

	mutex_lock(&vmo_lock);
	p = vmo_pager;
	if (!WARN_ON_ONCE(!p || p->session != s)) {
		vmo_pager = NULL;
		vmo_requests_fail(-ENOTCONN);
		vmo_records_pager_gone();
		vmo_backing_put_unused();
	} else {
		p = NULL;
	}
	mutex_unlock(&vmo_lock);
	if (p)
		vmo_pager_free(p);
}

__poll_t vmo_pager_poll(struct vmo_session *s, struct file *file,
			struct poll_table_struct *pt)
{
	__poll_t mask = 0;

	poll_wait(file, &s->wq, pt);
	mutex_lock(&vmo_lock);
	if (vmo_pager && vmo_pager->session == s &&
	    !list_empty(&vmo_pager->events))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&vmo_lock);
	return mask;
}

static struct vmo_event_node *vmo_pager_dequeue(void)
{
	struct vmo_event_node *en;

	lockdep_assert_held(&vmo_lock);
	en = list_first_entry_or_null(&vmo_pager->events,
				      struct vmo_event_node, node);
	if (en) {
		list_del(&en->node);
		vmo_pager->nr_events--;
		if (en->ev.type == VMO_EV_RECORDS_FREED)
			vmo_pager->freed_queued = false;
	}
	return en;
}

static void vmo_pager_requeue(struct vmo_event_node *en)
{
	mutex_lock(&vmo_lock);
	if (vmo_pager) {
		list_add(&en->node, &vmo_pager->events);
		vmo_pager->nr_events++;
		en = NULL;
	}
	mutex_unlock(&vmo_lock);
	kfree(en);
}

/*
 * Delivers a CLIENT_NEW: installs a new fd for the client's uffd in the
 * pager.  Returns 0 with nothing to deliver if the client has ended
 * meanwhile (its CLIENT_GONE follows or was never needed).
 */
static int vmo_pager_deliver_client(struct vmo_event_node *en,
				    void __user *argp)
{
	struct vmo_client *c;
	struct file *uffd = NULL;
	int fd;

	mutex_lock(&vmo_lock);
	c = vmo_client_get_by_id(en->ev.client_id);
	if (c)
		uffd = get_file(c->uffd);
	mutex_unlock(&vmo_lock);
	if (!c)
		return -ENOENT;
	vmo_client_put(c);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(uffd);
		return fd;
	}
	en->ev.uffd = fd;
	if (copy_to_user(argp, &en->ev, sizeof(en->ev))) {
		put_unused_fd(fd);
		fput(uffd);
		return -EFAULT;
	}
	fd_install(fd, uffd);
	return 0;
}

/* Puts @list (events taken off the queue, in order) back at its head. */
static void vmo_pager_requeue_list(struct list_head *list)
{
	struct vmo_event_node *en, *tmp;

	mutex_lock(&vmo_lock);
	if (vmo_pager) {
		list_for_each_entry(en, list, node)
			vmo_pager->nr_events++;
		list_splice(list, &vmo_pager->events);
		INIT_LIST_HEAD(list);
	}
	mutex_unlock(&vmo_lock);
	list_for_each_entry_safe(en, tmp, list, node)
		kfree(en);
}

/*
 * Delivers the first event that can be delivered.  A CLIENT_NEW that
 * finds no free fd in the pager (EMFILE, ENFILE) stays queued, first,
 * but does not hold up the events behind it (their clients' departures
 * among them, which free fds): those go first.  Only when nothing else
 * is left does the pager get the error (it waits and reads again).
 */
long vmo_ioctl_pager_event(struct vmo_session *s, void __user *argp)
{
	struct vmo_event_node *en;
	LIST_HEAD(no_fd);
	int ret, fd_err = 0;

	for (;;) {
		mutex_lock(&vmo_lock);
		en = vmo_pager_dequeue();
		mutex_unlock(&vmo_lock);
		if (!en) {
			ret = fd_err ? fd_err : -EAGAIN;
			break;
		}
		if (en->ev.type != VMO_EV_CLIENT_NEW) {
			ret = copy_to_user(argp, &en->ev, sizeof(en->ev)) ?
			      -EFAULT : 0;
			break;
		}
		ret = fd_err ? fd_err : vmo_pager_deliver_client(en, argp);
		if (ret == -ENOENT) {
			kfree(en);	/* client already gone: next event */
			continue;
		}
		if (ret != -EMFILE && ret != -ENFILE)
			break;
		fd_err = ret;
		list_add_tail(&en->node, &no_fd);
	}
	if (ret && en)
		vmo_pager_requeue(en);	/* not delivered: next call */
	vmo_pager_requeue_list(&no_fd);
	if (!ret)
		kfree(en);
	return ret;
}

/*
 * Fills @req from the VMA of @c's address space holding req->addr:
 * -ENOENT if there is none, -ENXIO if it maps no object.
 */
static int vmo_lookup_vma(struct vmo_client *c, struct vmo_lookup *req)
{
	struct vm_area_struct *vma;
	struct vmo_object *obj;
	int ret = -ENOENT;

	if (!mmget_not_zero(c->mm))
		return -ESRCH;
	mmap_read_lock(c->mm);
	vma = vma_lookup(c->mm, req->addr);
	obj = vma ? vmo_object_from_store(vma->vm_file) : NULL;
	if (vma && !obj)
		ret = -ENXIO;	/* the pager tells this from "gone" */
	if (obj) {
		req->obj_id = obj->id;
		req->kind = obj->kind;
		req->flags = (vma->vm_flags & VM_SHARED ? VMO_MAP_SHARED : 0) |
			     (vma->vm_flags & VM_WRITE ? VMO_MAP_WRITE : 0);
		req->start = vma->vm_start;
		req->end = vma->vm_end;
		req->pgoff = vma->vm_pgoff;
		req->obj_size = obj->size;
		ret = 0;
	}
	mmap_read_unlock(c->mm);
	mmput(c->mm);
	return ret;
}

long vmo_ioctl_pager_lookup(struct vmo_session *s, void __user *argp)
{
	struct vmo_lookup req;
	struct vmo_client *c;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (vmo_nonzero(req.reserved))
		return -EINVAL;

	c = vmo_client_get(req.client_id);
	if (!c)
		return -ESRCH;
	ret = vmo_lookup_vma(c, &req);
	vmo_client_put(c);
	if (ret)
		return ret;
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

long vmo_ioctl_pager_stats(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_stats *st;
	int i, ret = 0;

	st = memdup_user(argp, sizeof(*st));
	if (IS_ERR(st))
		return PTR_ERR(st);
	for (i = VMO_PSTAT_NR; i < VMO_PSTAT_SLOTS; i++) {
		if (st->counters[i]) {
			ret = -EINVAL;
			goto free;
		}
	}
	mutex_lock(&vmo_lock);
	vmo_pstats = *st;
	mutex_unlock(&vmo_lock);
free:
	kfree(st);
	return ret;
}

/* The pager's lines of /proc/vmo/stats. */
void vmo_pager_show(struct seq_file *m)
{
	int i;

	lockdep_assert_held(&vmo_lock);
	seq_printf(m, "pager_attached %d\n", vmo_pager ? 1 : 0);
	seq_printf(m, "pager_pid %d\n", vmo_pager ? vmo_pager->tgid : 0);
	seq_printf(m, "pager_events_pending %u\n",
		   vmo_pager ? vmo_pager->nr_events : 0);
	seq_printf(m, "pager_eventfd %d\n", vmo_pager && vmo_pager->efd);
	seq_printf(m, "pager_backing_pages %llu\n",
		   vmo_backing_pages());
	for (i = 0; i < VMO_PSTAT_NR; i++)
		seq_printf(m, "pager_%s %llu\n", vmo_pstat_names[i],
			   vmo_pstats.counters[i]);
}

/*
 * A shared file object's store was released: keep the object (and, via
 * store_path, its pages) until the pager has written it back.  Called
 * from the store's ->release; the module stays pinned meanwhile.
 */
void vmo_object_zombie(struct vmo_object *obj)
{
	struct vmo_event ev;

	__module_get(THIS_MODULE);	/* put when the zombie is freed */
	mutex_lock(&vmo_lock);
	obj->store = NULL;
	obj->zombie = true;
	obj->gone_seq = vmo_next_seq++;
	vmo_stats.zombies++;
	if (obj->user)
		vmo_user_zombie(obj->user, true);
	vmo_zombie_event(obj, &ev);
	/* No pager, or no memory: the next pager's attach announces it. */
	vmo_pager_queue_new(&ev);
	mutex_unlock(&vmo_lock);
}

/* The queued (undelivered) SYNC event of object @id, or NULL. */
static struct vmo_event_node *vmo_queued_sync(u64 obj_id)
{
	struct vmo_event_node *en;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(en, &vmo_pager->events, node)
		if (en->ev.type == VMO_EV_SYNC && en->ev.obj_id == obj_id)
			return en;
	return NULL;
}

/* Is anyone still waiting for request @seq? */
static bool vmo_seq_awaited(u64 seq)
{
	struct vmo_request *r;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(r, &vmo_requests, node)
		if (r->seq == seq)
			return true;
	return false;
}

/*
 * Takes back @obj_id's undelivered SYNC event if it is request @seq's:
 * an object has at most one queued, so no other can be.
 */
static void vmo_unqueue_sync(u64 obj_id, u64 seq)
{
	struct vmo_event_node *en;

	lockdep_assert_held(&vmo_lock);
	en = vmo_pager ? vmo_queued_sync(obj_id) : NULL;
	if (!en || en->ev.seq != seq)
		return;
	list_del(&en->node);
	vmo_pager->nr_events--;
	kfree(en);
}

/*
 * VMO_OBJ_SYNC: asks the pager to write @obj back and waits for its
 * answer.  Returns 0 (req->pages set) or -errno.
 *
 * At most one SYNC event per object waits in the queue: a request made
 * while one is queued and not yet read joins it (the pass that event
 * starts covers every write made before it).  A request interrupted by
 * a signal leaves: its event goes too if nobody else waits for it, and
 * the ioctl is restarted (-ERESTARTSYS) as the signal's disposition
 * says.  So the queue holds no SYNC nobody waits for.
 */
int vmo_request_wait(struct vmo_object *obj, struct vmo_request *req)
{
	struct vmo_event ev = { .type = VMO_EV_SYNC, .obj_id = obj->id,
				.kind = obj->kind };
	struct vmo_event_node *queued;
	int ret;

	init_completion(&req->done);
	mutex_lock(&vmo_lock);
	if (!vmo_pager) {
		mutex_unlock(&vmo_lock);
		return -ENOTCONN;
	}
	queued = vmo_queued_sync(obj->id);
	if (queued) {
		req->seq = queued->ev.seq;
	} else {
		req->seq = vmo_next_seq++;
		ev.seq = req->seq;
		if (!vmo_pager_queue_new(&ev)) {
			mutex_unlock(&vmo_lock);
			return -ENOMEM;
		}
	}
	list_add_tail(&req->node, &vmo_requests);
	vmo_stats.syncs++;
	mutex_unlock(&vmo_lock);

	ret = wait_for_completion_interruptible(&req->done);
	mutex_lock(&vmo_lock);
	if (ret && !list_empty(&req->node)) {
		/* Gave up: a late PAGER_DONE finds nothing and gets ENOENT. */
		list_del_init(&req->node);
		if (!vmo_seq_awaited(req->seq))
			vmo_unqueue_sync(obj->id, req->seq);
		mutex_unlock(&vmo_lock);
		return -ERESTARTSYS;
	}
	mutex_unlock(&vmo_lock);
	return req->error;
}

static int vmo_pager_object_fds(struct vmo_object *obj,
				struct vmo_pager_object *req)
{
	struct file *store, *file = NULL;
	struct path path;
	int sfd, ffd = -1, ret;

	lockdep_assert_held(&vmo_lock);
	path = obj->store_path;
	path_get(&path);
	if (obj->file)
		file = get_file(obj->file);
	mutex_unlock(&vmo_lock);

	/* A plain shmem file on the store: pages, not the object. */
	store = dentry_open(&path, O_RDWR | O_LARGEFILE, current_cred());
	path_put(&path);
	if (IS_ERR(store)) {
		ret = PTR_ERR(store);
		goto put_file;
	}
	sfd = get_unused_fd_flags(O_CLOEXEC);
	if (sfd < 0) {
		ret = sfd;
		goto put_store;
	}
	if (file) {
		ffd = get_unused_fd_flags(O_CLOEXEC);
		if (ffd < 0) {
			ret = ffd;
			goto put_sfd;
		}
	}
	req->store_fd = sfd;
	req->src_fd = file ? ffd : VMO_NO_FD;
	fd_install(sfd, store);
	if (file)
		fd_install(ffd, file);
	return 0;

put_sfd:
	put_unused_fd(sfd);
put_store:
	fput(store);
put_file:
	if (file)
		fput(file);
	return ret;
}

long vmo_ioctl_pager_object(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_object req;
	struct vmo_object *obj;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.file_magic || vmo_nonzero(req.reserved))
		return -EINVAL;

	mutex_lock(&vmo_lock);
	obj = vmo_object_find(req.obj_id);
	if (!obj) {
		mutex_unlock(&vmo_lock);
		return -ENOENT;
	}
	req.kind = obj->kind;
	req.size = obj->size;
	req.offset = obj->offset;
	req.parent_id = obj->parent ? obj->parent->id : 0;
	req.file_size = obj->file_size;
	req.obj_flags = obj->flags;
	req.depth = obj->depth;
	req.file_magic = obj->file ? file_inode(obj->file)->i_sb->s_magic : 0;
	ret = vmo_pager_object_fds(obj, &req);	/* drops vmo_lock */
	if (ret)
		return ret;
	/* The fds are the pager's now, whatever happens to the copy. */
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/*
 * Write-protects the folio in every mapping, then applies @flags (see
 * struct vmo_pager_clean).  Returns whether to report the page.  The
 * folio is locked: a write fault racing with us marks it dirty after
 * taking the lock, so clearing the flag here never loses a write, and
 * no fault can map it meanwhile (faults map a folio under its lock), so
 * an unmapped folio has no page table entry to clean: the rmap walk and
 * its TLB flushes are skipped, which is the common case of a fill.
 *
 * folio_mkclean() moves nothing: it clears the page tables' dirty bits
 * and only says it found some.  A page written through a writable PTE
 * is dirty in that PTE alone, so whatever must stay dirty is marked
 * dirty here, or the next EVICT would drop written data.
 */
static bool vmo_folio_clean(struct folio *folio, u32 flags)
{
	bool written = folio_mapped(folio) && folio_mkclean(folio) > 0;

	if (flags & VMO_CLEAN_KEEP_DIRTY) {
		if (written)
			folio_mark_dirty(folio);
		return folio_test_dirty(folio);
	}
	if (written) {
		/* Written since the last CLEAN (or the fill): stays dirty. */
		folio_mark_dirty(folio);
		return !(flags & VMO_CLEAN_IF_UNCHANGED);
	}
	/* Stores have no writeback accounting: just the flag. */
	if (flags & VMO_CLEAN_IF_UNCHANGED)
		return folio_test_clear_dirty(folio);
	folio_clear_dirty(folio);
	return false;
}

/* Cleans (per @req->flags) page @index; returns whether to report it. */
static bool vmo_clean_page(struct address_space *mapping, pgoff_t index,
			   u32 flags)
{
	struct folio *folio;
	void *entry;
	bool report;

	folio = __filemap_get_folio(mapping, index, FGP_LOCK, 0);
	if (!folio) {
		/* Out in swap: it was dirty when it went (clean ones drop). */
		entry = xa_load(&mapping->i_pages, index);
		return xa_is_value(entry) && (flags & VMO_CLEAN_KEEP_DIRTY);
	}
	report = vmo_folio_clean(folio, flags);
	folio_unlock(folio);
	folio_put(folio);
	return report;
}

static int vmo_clean_range(struct address_space *mapping,
			   struct vmo_pager_clean *req)
{
	u64 __user *ubitmap = u64_to_user_ptr(req->bitmap);
	u64 i, word = 0;

	req->dirty = 0;
	for (i = 0; i < req->npages; i++) {
		if (vmo_clean_page(mapping, req->first + i, req->flags)) {
			word |= 1ULL << (i % 64);
			req->dirty++;
		}
		if (ubitmap && ((i + 1) % 64 == 0 || i + 1 == req->npages)) {
			if (put_user(word, ubitmap + i / 64))
				return -EFAULT;
			word = 0;
		}
		cond_resched();
	}
	return 0;
}

long vmo_ioctl_pager_clean(struct vmo_session *s, void __user *argp)
{
	struct vmo_pager_clean req;
	struct file *store;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (vmo_nonzero(req.reserved))
		return -EINVAL;
	if (req.flags & ~(VMO_CLEAN_KEEP_DIRTY | VMO_CLEAN_IF_UNCHANGED) ||
	    req.flags == (VMO_CLEAN_KEEP_DIRTY | VMO_CLEAN_IF_UNCHANGED))
		return -EINVAL;
	store = vmo_store_range_fdget(req.store_fd, req.first, req.npages);
	if (IS_ERR(store))
		return PTR_ERR(store);
	ret = vmo_clean_range(store->f_mapping, &req);
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	fput(store);
	return ret;
}

/*
 * Seconds until zombies whose final write-back failed are asked for
 * again (0: only when a pager attaches).
 */
static unsigned int zombie_retry_secs = 30;
module_param(zombie_retry_secs, uint, 0644);
MODULE_PARM_DESC(zombie_retry_secs,
		 "seconds between retries of a failed final write-back (0: at pager attach only)");

static void vmo_zombie_retry(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmo_zombie_retry_work, vmo_zombie_retry);

/* Asks the pager again for every zombie whose write-back failed. */
static void vmo_zombie_retry(struct work_struct *work)
{
	struct vmo_object *obj;
	struct vmo_event ev;

	mutex_lock(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		if (!obj->zombie || !obj->wb_error)
			continue;
		vmo_zombie_event(obj, &ev);
		vmo_pager_queue_new(&ev);
	}
	mutex_unlock(&vmo_lock);
}

/* Zombies pin the module: none is left when it goes, but the work may be. */
void vmo_zombie_retry_cancel(void)
{
	cancel_delayed_work_sync(&vmo_zombie_retry_work);
}

/*
 * A zombie's final write-back failed: it keeps its pages (nothing is
 * lost silently), says so in /proc/vmo/objects and the kernel log, and
 * is asked for again later.
 */
static void vmo_zombie_failed(struct vmo_object *obj, int error)
{
	unsigned int secs = READ_ONCE(zombie_retry_secs);

	lockdep_assert_held(&vmo_lock);
	if (obj->wb_error != error)
		pr_warn("vmo: object %llu: final write-back failed (%d); its pages are kept and it is retried\n",
			obj->id, error);
	obj->wb_error = error;
	if (secs)
		mod_delayed_work(system_wq, &vmo_zombie_retry_work, secs * HZ);
}

/* Finds the zombie waiting for @seq, or NULL. */
static struct vmo_object *vmo_zombie_find(u64 seq)
{
	struct vmo_object *obj;

	lockdep_assert_held(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node)
		if (obj->zombie && obj->gone_seq == seq)
			return obj;
	return NULL;
}

/* Unlists a zombie that was written back. */
static void vmo_zombie_unlist(struct vmo_object *obj)
{
	lockdep_assert_held(&vmo_lock);
	list_del(&obj->node);
	vmo_stats.zombies--;
	vmo_stats.objects_freed++;
	if (obj->user)
		vmo_user_zombie(obj->user, false);
	vmo_object_uncharge(obj);
	vmo_records_unlist(obj);
}

long vmo_ioctl_pager_done(struct vmo_session *s, void __user *argp)
{
	struct vmo_request *r, *tmp;
	struct vmo_pager_done req;
	struct vmo_object *obj;
	bool answered = false;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.pad || vmo_nonzero(req.reserved) ||
	    req.error >= MAX_ERRNO)
		return -EINVAL;

	mutex_lock(&vmo_lock);
	/* Every request that joined this one's event is answered. */
	list_for_each_entry_safe(r, tmp, &vmo_requests, node) {
		if (r->seq == req.seq) {
			list_del_init(&r->node);
			r->error = -(int)req.error;
			r->pages = req.pages;
			complete(&r->done);
			answered = true;
		}
	}
	if (answered) {
		mutex_unlock(&vmo_lock);
		return 0;
	}
	obj = vmo_zombie_find(req.seq);
	if (!obj) {
		mutex_unlock(&vmo_lock);
		return -ENOENT;
	}
	if (req.error) {
		vmo_zombie_failed(obj, -(int)req.error);
		mutex_unlock(&vmo_lock);
		return 0;
	}
	vmo_zombie_unlist(obj);
	mutex_unlock(&vmo_lock);
	vmo_object_free(obj);
	/* The zombie's pin; this ioctl's session still holds the module. */
	module_put(THIS_MODULE);
	return 0;
}
