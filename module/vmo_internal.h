/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo: internal definitions shared by the module's files.
 *
 * Locking: one mutex, vmo_lock, protects the registries (objects,
 * clients), the pager pointer, the pager's event queue and the pager's
 * published counters.  Nothing on the page-fault path takes it: once an
 * object is mapped, faults go from the VMA (a plain shmem VMA) straight
 * to userfaultfd and the pager.
 *
 * Lock order: vmo_lock -> i_mmap_rwsem (statistics walk the stores).
 * mmap_lock is never taken with vmo_lock held, and vmo_lock is never
 * taken with mmap_lock held (the object mmap handler does not need it).
 */
#ifndef _VMO_INTERNAL_H
#define _VMO_INTERNAL_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/string.h>
#include <linux/proc_fs.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/vmo.h>

#define VMO_NAME "vmo"

/* Events other than a client's arrival and departure may be dropped. */
#define VMO_MAX_QUEUED_EVENTS	4096

extern struct mutex vmo_lock;

/**
 * struct vmo_object - a VM object
 * @id: unique id, never reused while the module is loaded.
 * @kind: VMO_KIND_*.
 * @flags: creation flags.
 * @size: size in bytes, page aligned.
 * @offset: byte offset into @file or into @parent.
 * @store: the shmem file holding the object's resident pages.  The
 *	object lives exactly as long as its store: object fds, VMAs and
 *	shadows hold references on the store, and the store's release
 *	frees the object.  The object holds no reference of its own on the
 *	store.  NULL once the store is released (a zombie).
 * @store_path: the store's dentry and mount (counted): keeps the store's
 *	pages reachable after @store is released, for the pager's
 *	write-back and for VMO_IOC_PAGER_OBJECT.
 * @mapping: the store's page cache (valid while @store_path is held).
 * @file: FILE: the backing file (counted reference).
 * @file_size: FILE: the file's size at creation.
 * @parent: SHADOW: the parent, kept alive by a reference on its store
 *	(@parent->store is counted here).
 * @depth: 0, or @parent->depth + 1.
 * @zombie: a shared file object whose store was released: waits for the
 *	pager to write it back (VMO_IOC_PAGER_DONE with @gone_seq).
 * @gone_seq: the zombie's request sequence number.
 * @wb_error: the zombie's last final write-back failed with this -errno:
 *	it stays, with its pages, and is asked for again (vmo_pager.c).
 * @handed_out: its fd was installed: only then can anything have been
 *	written to it (a failed create leaves no zombie).
 * @committed: counted in vmo_stats.reserved_pages and its user's
 *	reservation (VMO_CREATE_RESERVE).
 * @user: the creator's limits (vmo_user.c), one holder; NULL only if
 *	it could not be allocated (then the create failed).
 * @records: page index -> record (xa_mk_value(VMO_REC_*)) of pages the
 *	pager wrote out, under vmo_lock (vmo_records.c).
 * @rec_slots: records in @records that name a slot.
 * @rec_punched: slot records punched out, not yet taken by the pager.
 * @filling: page-ins under way (VMO_RECORD_FILL), under vmo_lock.
 * @punching: hole punches under way, under vmo_lock.
 * @node: entry in vmo_objects (kept in @id order), under vmo_lock.
 */
struct vmo_object {
	u64 id;
	u32 kind;
	u32 flags;
	u64 size;
	u64 offset;
	struct file *store;
	struct path store_path;
	struct address_space *mapping;
	struct file *file;
	u64 file_size;
	struct vmo_object *parent;
	u32 depth;
	bool zombie;
	u64 gone_seq;
	int wb_error;
	bool handed_out;
	bool committed;
	struct vmo_user *user;
	struct xarray records;
	unsigned long rec_slots;
	unsigned long rec_punched;
	unsigned int filling;
	unsigned int punching;
	struct list_head node;
};

static inline bool vmo_object_shared_file(const struct vmo_object *obj)
{
	return obj->kind == VMO_KIND_FILE && (obj->flags & VMO_CREATE_SHARED);
}

/**
 * struct vmo_request - a client waiting for the pager (VMO_OBJ_SYNC)
 * @seq: matches the event's seq and VMO_IOC_PAGER_DONE's.
 * @done: completed by VMO_IOC_PAGER_DONE or the pager's departure.
 * @error: 0 or -errno, valid once @done.
 * @pages: pages written, valid once @done.
 * @node: entry in the pending requests, under vmo_lock.
 */
struct vmo_request {
	u64 seq;
	struct completion done;
	int error;
	u64 pages;
	struct list_head node;
};

/**
 * struct vmo_client - a process whose mappings the pager serves
 * @id: unique id.
 * @tgid: the process that attached.
 * @ref: references: one while registered (dropped when the client ends),
 *	one from the session, and temporary ones from pager requests.
 * @uffd: the client's userfaultfd (counted reference).
 * @mm: the client's address space (mmgrab'ed).
 * @pid_ns: its pid namespace (counted): thread ids in its uffd messages
 *	are numbered there.
 * @mn: notifier telling us when @mm exits.
 * @node: entry in vmo_clients while registered, under vmo_lock.
 * @ended: the client has left the registry (under vmo_lock).
 * @gone_ev: preallocated CLIENT_GONE event, so a departing client can
 *	always tell the pager to close its uffd.
 * @user: the attaching user's limits (vmo_user.c), one holder while
 *	registered.
 * @free_work: final teardown, outside any SRCU read section.
 */
struct vmo_client {
	u64 id;
	pid_t tgid;
	struct kref ref;
	struct file *uffd;
	struct mm_struct *mm;
	struct pid_namespace *pid_ns;
	struct mmu_notifier mn;
	struct list_head node;
	bool ended;
	struct vmo_event_node *gone_ev;
	struct vmo_user *user;
	struct work_struct free_work;
};

enum vmo_role {
	VMO_ROLE_NONE,
	VMO_ROLE_CLIENT,
	VMO_ROLE_PAGER,
};

/**
 * struct vmo_session - state of one open /dev/vmo file
 * @handshaken: VMO_IOC_HANDSHAKE succeeded.
 * @role: what the session became; changes once, under vmo_lock.
 * @client: the client, when @role is VMO_ROLE_CLIENT (one reference).
 * @wq: poll wait queue, when @role is VMO_ROLE_PAGER.
 */
struct vmo_session {
	bool handshaken;
	enum vmo_role role;
	struct vmo_client *client;
	wait_queue_head_t wq;
};

/* Is any byte of a reserved field (an array) non-zero? */
#define vmo_nonzero(field)	(!!memchr_inv((field), 0, sizeof(field)))

/*
 * A session's role is set once, under vmo_lock, after the state it
 * guards (s->client); ioctls read it without the lock.
 */
static inline enum vmo_role vmo_session_role(struct vmo_session *s)
{
	/* Pairs with the release in vmo_session_set_role(). */
	return smp_load_acquire(&s->role);
}

static inline void vmo_session_set_role(struct vmo_session *s,
					enum vmo_role role)
{
	lockdep_assert_held(&vmo_lock);
	/* Publishes s->client before the role: see vmo_session_role(). */
	smp_store_release(&s->role, role);
}

/* A queued pager event. */
struct vmo_event_node {
	struct list_head node;
	struct vmo_event ev;
};

/* Global counters shown in /proc/vmo/stats, under vmo_lock. */
struct vmo_stats {
	u64 objects_created;
	u64 objects_freed;
	u64 clients_total;
	u64 clients;
	u64 events_queued;
	u64 events_dropped;
	u64 pager_attaches;
	u64 zombies;
	u64 syncs;
	u64 scavenge_requests;
	u64 scavenge_dropped;
	u64 scavenge_asked;
	u64 shrinker_scans;
	u64 reclaim_waits;
	u64 pages_evicted;
	u64 reserved_pages;
	u64 records;
	u64 record_slots;
	u64 record_slots_unreserved;
	u64 records_punched;
};

extern struct list_head vmo_objects;
extern struct list_head vmo_clients;
extern struct vmo_stats vmo_stats;
extern struct workqueue_struct *vmo_wq;

/* vmo_object.c */
int vmo_object_init(void);
void vmo_object_exit(void);
long vmo_ioctl_create(struct vmo_session *s, void __user *argp);
struct vmo_object *vmo_object_from_store(struct file *file);
struct vmo_object *vmo_object_fdget(unsigned int fd, struct file **filep);
struct vmo_object *vmo_object_find(u64 id);
unsigned long vmo_object_mappings(struct vmo_object *obj);
unsigned long vmo_object_resident(struct vmo_object *obj);
unsigned long vmo_object_clean(struct vmo_object *obj);
bool vmo_folio_looks_clean(struct vmo_object *obj, struct folio *folio);
void vmo_object_free(struct vmo_object *obj);
void vmo_object_uncharge(struct vmo_object *obj);
struct file *vmo_store_range_fdget(u32 fd, u64 first, u64 npages);
const char *vmo_kind_name(u32 kind);

/* vmo_client.c */
long vmo_ioctl_client_attach(struct vmo_session *s, void __user *argp);
long vmo_ioctl_map_notify(struct vmo_session *s, void __user *argp);
long vmo_ioctl_mappings(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_sigbus(struct vmo_session *s, void __user *argp);
void vmo_session_client_release(struct vmo_session *s);
struct vmo_client *vmo_client_get_by_id(u64 id);
struct vmo_client *vmo_client_get(u64 id);
void vmo_client_put(struct vmo_client *c);

/* vmo_pager.c */
long vmo_ioctl_pager_attach(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_event(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_lookup(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_stats(struct vmo_session *s, void __user *argp);
__poll_t vmo_pager_poll(struct vmo_session *s, struct file *file,
			struct poll_table_struct *pt);
void vmo_session_pager_release(struct vmo_session *s);
bool vmo_pager_attached(void);
bool vmo_pager_is_current(void);
void vmo_pager_queue(struct vmo_event_node *en);
bool vmo_pager_queue_new(const struct vmo_event *ev);
void vmo_pager_show(struct seq_file *m);
long vmo_ioctl_pager_object(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_clean(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_done(struct vmo_session *s, void __user *argp);
int vmo_request_wait(struct vmo_object *obj, struct vmo_request *req);
void vmo_object_zombie(struct vmo_object *obj);
void vmo_zombie_retry_cancel(void);
bool vmo_pager_ask(u64 pages);
void vmo_pager_records_freed(void);

/* vmo_scavenge.c */
extern atomic64_t vmo_pages_busy;
void vmo_pages_freed(void);
int vmo_scavenge_init(struct proc_dir_entry *dir);
void vmo_scavenge_exit(void);
long vmo_ioctl_scavenge(struct vmo_session *s, void __user *argp);
long vmo_ioctl_pager_evict(struct vmo_session *s, void __user *argp);

/* vmo_records.c */
void vmo_records_init(struct vmo_object *obj);
void vmo_records_unlist(struct vmo_object *obj);
void vmo_records_destroy(struct vmo_object *obj);
void vmo_records_fallocated(struct vmo_object *obj, int mode, loff_t offset,
			    loff_t len);
int vmo_records_punch_begin(struct vmo_object *obj);
void vmo_records_punch_end(struct vmo_object *obj);
void vmo_records_pager_gone(void);
struct file *vmo_backing_fget(u32 fd);
struct file *vmo_backing_adopt(struct file *file, u64 pages, u64 *kept_pages);
void vmo_backing_put_unused(void);
void vmo_backing_exit(void);
u64 vmo_backing_pages(void);
int vmo_backing_reserve(u64 pages);
long vmo_ioctl_pager_record(struct vmo_session *s, void __user *argp);

/* vmo_user.c */
struct vmo_user;
struct vmo_user *vmo_user_alloc(void);
struct vmo_user *vmo_user_get(struct vmo_user **spare);
void vmo_user_put(struct vmo_user *u);
int vmo_user_add_client(struct vmo_user *u);
void vmo_user_del_client(struct vmo_user *u);
int vmo_user_may_add_zombie(struct vmo_user *u);
void vmo_user_zombie(struct vmo_user *u, bool add);
int vmo_user_reserve(struct vmo_user *u, u64 pages);
void vmo_user_unreserve(struct vmo_user *u, u64 pages);

/* vmo_proc.c */
int vmo_proc_init(void);
void vmo_proc_exit(void);

#endif /* _VMO_INTERNAL_H */
