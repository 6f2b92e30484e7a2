// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: what each user holds, and the limits on it.
 *
 * /dev/vmo is open to every local user, so everything one user can make
 * the module (and the one pager every user shares) hold is bounded per
 * user, the way the kernel bounds inotify instances or keys:
 *  - clients: each one costs the pager an fd and a place in its loop;
 *  - zombies: a released shared file object waiting for its final
 *    write-back pins the file, its file system and the module;
 *  - reserved pages (VMO_CREATE_RESERVE): a promise of backing store
 *    (or, with none, of memory) that nobody else can then use.
 * Past a limit the request fails with EDQUOT (as key quotas do), unless
 * the caller has CAP_SYS_RESOURCE.  The module parameters can be changed
 * at run time; what is held already stays.  All clients together are
 * bounded too (max_clients, ENFILE), below the pager's fd limit.
 *
 * A struct vmo_user lives while any client or object of its user does;
 * everything here is under vmo_lock.  Allocation happens outside it
 * (the shrinker takes vmo_lock): callers pass a spare, see
 * vmo_user_get().
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "vmo_internal.h"

static unsigned int max_clients = 16384;
module_param(max_clients, uint, 0644);
MODULE_PARM_DESC(max_clients,
		 "Clients of all users together (ENFILE past it); keep it below the pager's fd limit");

static unsigned int max_clients_per_user = 256;
module_param(max_clients_per_user, uint, 0644);
MODULE_PARM_DESC(max_clients_per_user,
		 "Clients one user may have at once (EDQUOT past it)");

static unsigned int max_zombies_per_user = 64;
module_param(max_zombies_per_user, uint, 0644);
MODULE_PARM_DESC(max_zombies_per_user,
		 "Released shared file objects of one user still waiting for their write-back before that user's new shared file objects are refused (EDQUOT)");

static unsigned int max_reserve_percent_per_user = 50;
module_param(max_reserve_percent_per_user, uint, 0644);
MODULE_PARM_DESC(max_reserve_percent_per_user,
		 "Percent of the backing store (of RAM without one) one user may reserve (EDQUOT past it)");

/**
 * struct vmo_user - what one user holds
 * @uid: the user (as seen from the initial user namespace).
 * @holders: clients and objects that point here.
 * @clients: live clients.
 * @zombies: objects waiting for their final write-back.
 * @reserved_pages: pages of the user's VMO_CREATE_RESERVE objects.
 * @node: entry in vmo_users.
 */
struct vmo_user {
	kuid_t uid;
	unsigned int holders;
	unsigned int clients;
	unsigned int zombies;
	u64 reserved_pages;
	struct hlist_node node;
};

static DEFINE_HASHTABLE(vmo_users, 6);
static unsigned int vmo_clients_live;

struct vmo_user *vmo_user_alloc(void)
{
	return kzalloc(sizeof(struct vmo_user), GFP_KERNEL_ACCOUNT);
}

/*
 * The calling task's user, with one more holder.  Takes *@spare (from
 * vmo_user_alloc(), outside vmo_lock) when the user is new, and sets it
 * to NULL then; the caller frees what is left.  NULL if there is no
 * spare and the user is new.
 */
struct vmo_user *vmo_user_get(struct vmo_user **spare)
{
	kuid_t uid = current_uid();
	struct vmo_user *u;

	lockdep_assert_held(&vmo_lock);
	hash_for_each_possible(vmo_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			goto found;
	u = *spare;
	if (!u)
		return NULL;
	*spare = NULL;
	u->uid = uid;
	hash_add(vmo_users, &u->node, __kuid_val(uid));
found:
	u->holders++;
	return u;
}

void vmo_user_put(struct vmo_user *u)
{
	lockdep_assert_held(&vmo_lock);
	if (WARN_ON_ONCE(!u->holders))
		return;
	if (--u->holders)
		return;
	WARN_ON_ONCE(u->clients || u->zombies || u->reserved_pages);
	hash_del(&u->node);
	kfree(u);
}

static bool vmo_user_unbounded(void)
{
	return capable(CAP_SYS_RESOURCE);
}

/* A new client of @u: 0, -ENFILE (all users) or -EDQUOT (this one). */
int vmo_user_add_client(struct vmo_user *u)
{
	lockdep_assert_held(&vmo_lock);
	if (vmo_clients_live >= READ_ONCE(max_clients))
		return -ENFILE;
	if (u->clients >= READ_ONCE(max_clients_per_user) &&
	    !vmo_user_unbounded())
		return -EDQUOT;
	u->clients++;
	vmo_clients_live++;
	return 0;
}

void vmo_user_del_client(struct vmo_user *u)
{
	lockdep_assert_held(&vmo_lock);
	if (WARN_ON_ONCE(!u->clients || !vmo_clients_live))
		return;
	u->clients--;
	vmo_clients_live--;
}

/*
 * May @u make a new shared file object?  -EDQUOT while too many of its
 * released ones still wait for their final write-back (a pager that
 * cannot write them, or none): each pins its file system.
 */
int vmo_user_may_add_zombie(struct vmo_user *u)
{
	lockdep_assert_held(&vmo_lock);
	if (u->zombies >= READ_ONCE(max_zombies_per_user) &&
	    !vmo_user_unbounded())
		return -EDQUOT;
	return 0;
}

void vmo_user_zombie(struct vmo_user *u, bool add)
{
	lockdep_assert_held(&vmo_lock);
	if (add) {
		u->zombies++;
		return;
	}
	if (!WARN_ON_ONCE(!u->zombies))
		u->zombies--;
}

/*
 * Commits @pages to a new reserved object of @u: -EDQUOT past its share
 * of the backing store (of RAM when there is none: then the reservation
 * promises memory).
 */
int vmo_user_reserve(struct vmo_user *u, u64 pages)
{
	u64 base = vmo_backing_pages() ?: totalram_pages();
	u64 limit = div_u64(base * READ_ONCE(max_reserve_percent_per_user),
			    100);

	lockdep_assert_held(&vmo_lock);
	if (u->reserved_pages + pages > limit && !vmo_user_unbounded())
		return -EDQUOT;
	u->reserved_pages += pages;
	return 0;
}

void vmo_user_unreserve(struct vmo_user *u, u64 pages)
{
	lockdep_assert_held(&vmo_lock);
	if (!WARN_ON_ONCE(u->reserved_pages < pages))
		u->reserved_pages -= pages;
}
