// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: Mach/FreeBSD-style VM objects served by a user-space pager.
 *
 * /dev/vmo sessions: handshake, object creation, client and pager
 * attachment.  See docs/design.md for the object model and protocol.
 */

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mmu_notifier.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmo_internal.h"

/* Protects the registries, the pager and its queue: see vmo_internal.h. */
DEFINE_MUTEX(vmo_lock);
LIST_HEAD(vmo_objects);
LIST_HEAD(vmo_clients);
struct vmo_stats vmo_stats;
struct workqueue_struct *vmo_wq;

#define VMO_FEATURES	(VMO_FEATURE_ANON | VMO_FEATURE_CLIENT | \
			 VMO_FEATURE_PAGER | VMO_FEATURE_PROC | \
			 VMO_FEATURE_FILE | VMO_FEATURE_SHADOW | \
			 VMO_FEATURE_SYNC | VMO_FEATURE_SCAVENGE | \
			 VMO_FEATURE_RECORDS | VMO_FEATURE_MAPPINGS)

static int vmo_open(struct inode *inode, struct file *file)
{
	struct vmo_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->role = VMO_ROLE_NONE;
	init_waitqueue_head(&s->wq);
	file->private_data = s;
	return 0;
}

static int vmo_release(struct inode *inode, struct file *file)
{
	struct vmo_session *s = file->private_data;

	switch (s->role) {
	case VMO_ROLE_CLIENT:
		vmo_session_client_release(s);
		break;
	case VMO_ROLE_PAGER:
		vmo_session_pager_release(s);
		break;
	case VMO_ROLE_NONE:
		break;
	}
	kfree(s);
	return 0;
}

static long vmo_ioctl_handshake(struct vmo_session *s, void __user *argp)
{
	struct vmo_handshake req;
	u32 asked;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || vmo_nonzero(req.reserved))
		return -EINVAL;

	asked = req.api_version;
	req.api_version = VMO_API_VERSION;
	req.features = VMO_FEATURES;
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	if (!asked || asked > VMO_API_VERSION)
		return -EPROTONOSUPPORT;

	WRITE_ONCE(s->handshaken, true);
	return 0;
}

/*
 * Every request, once: its handler and the role a session needs for it
 * (VMO_ROLE_NONE: any session; the handler checks the rest).
 */
struct vmo_ioctl_desc {
	unsigned int cmd;
	enum vmo_role role;
	long (*fn)(struct vmo_session *s, void __user *argp);
};

static const struct vmo_ioctl_desc vmo_ioctls[] = {
	{ VMO_IOC_HANDSHAKE,	 VMO_ROLE_NONE,	  vmo_ioctl_handshake },
	{ VMO_IOC_CREATE,	 VMO_ROLE_NONE,	  vmo_ioctl_create },
	{ VMO_IOC_CLIENT_ATTACH, VMO_ROLE_NONE,	  vmo_ioctl_client_attach },
	{ VMO_IOC_MAP_NOTIFY,	 VMO_ROLE_CLIENT, vmo_ioctl_map_notify },
	{ VMO_IOC_MAPPINGS,	 VMO_ROLE_NONE,	  vmo_ioctl_mappings },
	{ VMO_IOC_PAGER_ATTACH,	 VMO_ROLE_NONE,	  vmo_ioctl_pager_attach },
	{ VMO_IOC_PAGER_EVENT,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_event },
	{ VMO_IOC_PAGER_LOOKUP,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_lookup },
	{ VMO_IOC_PAGER_STATS,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_stats },
	{ VMO_IOC_PAGER_OBJECT,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_object },
	{ VMO_IOC_PAGER_CLEAN,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_clean },
	{ VMO_IOC_PAGER_DONE,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_done },
	{ VMO_IOC_PAGER_EVICT,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_evict },
	{ VMO_IOC_PAGER_RECORD,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_record },
	{ VMO_IOC_PAGER_SIGBUS,	 VMO_ROLE_PAGER,  vmo_ioctl_pager_sigbus },
	{ VMO_IOC_SCAVENGE,	 VMO_ROLE_NONE,	  vmo_ioctl_scavenge },
};

static long vmo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vmo_session *s = file->private_data;
	const struct vmo_ioctl_desc *d;

	for (d = vmo_ioctls; d < vmo_ioctls + ARRAY_SIZE(vmo_ioctls); d++)
		if (d->cmd == cmd)
			break;
	if (d == vmo_ioctls + ARRAY_SIZE(vmo_ioctls))
		return -ENOTTY;
	/* Like UFFDIO_API: nothing else until the versions agree. */
	if (cmd != VMO_IOC_HANDSHAKE && !READ_ONCE(s->handshaken))
		return -EBADFD;
	if (d->role != VMO_ROLE_NONE && vmo_session_role(s) != d->role)
		return -EBADFD;
	return d->fn(s, (void __user *)arg);
}

static __poll_t vmo_poll(struct file *file, struct poll_table_struct *pt)
{
	struct vmo_session *s = file->private_data;

	if (vmo_session_role(s) != VMO_ROLE_PAGER)
		return EPOLLERR;
	return vmo_pager_poll(s, file, pt);
}

static const struct file_operations vmo_fops = {
	.owner		= THIS_MODULE,
	.open		= vmo_open,
	.release	= vmo_release,
	.unlocked_ioctl	= vmo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= vmo_poll,
	.llseek		= noop_llseek,
};

static struct miscdevice vmo_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= VMO_NAME,
	.fops	= &vmo_fops,
	.mode	= 0666,
};

static int __init vmo_init(void)
{
	int ret;

	ret = vmo_object_init();
	if (ret)
		return ret;

	ret = -ENOMEM;
	vmo_wq = alloc_workqueue("vmo", 0, 0);
	if (!vmo_wq)
		goto object_exit;

	ret = vmo_proc_init();
	if (ret)
		goto destroy_wq;

	ret = misc_register(&vmo_misc);
	if (ret)
		goto remove_proc;

	pr_info("vmo: /dev/vmo ready, api %u\n", VMO_API_VERSION);
	return 0;

remove_proc:
	vmo_proc_exit();
destroy_wq:
	destroy_workqueue(vmo_wq);
object_exit:
	vmo_object_exit();
	return ret;
}

static void __exit vmo_exit(void)
{
	misc_deregister(&vmo_misc);
	vmo_proc_exit();
	/*
	 * Every session, object fd, store and client holds a module
	 * reference, so nothing is left; the flush waits for the tail of
	 * the last client's deferred teardown, which dropped the last one.
	 */
	destroy_workqueue(vmo_wq);
	vmo_zombie_retry_cancel();
	mmu_notifier_synchronize();
	/* Zombies pin the module too. */
	WARN_ON_ONCE(!list_empty(&vmo_objects));
	WARN_ON_ONCE(!list_empty(&vmo_clients));
	vmo_backing_exit();
	vmo_object_exit();
}

module_init(vmo_init);
module_exit(vmo_exit);

MODULE_DESCRIPTION("vmo: VM objects served by a user-space pager");
MODULE_AUTHOR("vmo developers");
MODULE_LICENSE("GPL");
