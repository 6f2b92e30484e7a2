// SPDX-License-Identifier: GPL-2.0
/*
 * vmo: /proc/vmo/stats and /proc/vmo/objects.
 */

#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "vmo_internal.h"

static struct proc_dir_entry *vmo_proc_dir;

static int vmo_stats_show(struct seq_file *m, void *v)
{
	struct vmo_object *obj;
	unsigned long nr = 0, mappings = 0, pages = 0;

	mutex_lock(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		nr++;
		mappings += vmo_object_mappings(obj);
		pages += vmo_object_resident(obj);
	}
	seq_printf(m, "objects %lu\n", nr);
	seq_printf(m, "objects_created %llu\n", vmo_stats.objects_created);
	seq_printf(m, "objects_freed %llu\n", vmo_stats.objects_freed);
	seq_printf(m, "mappings %lu\n", mappings);
	seq_printf(m, "store_pages %lu\n", pages);
	seq_printf(m, "clients %llu\n", vmo_stats.clients);
	seq_printf(m, "clients_total %llu\n", vmo_stats.clients_total);
	seq_printf(m, "events_queued %llu\n", vmo_stats.events_queued);
	seq_printf(m, "events_dropped %llu\n", vmo_stats.events_dropped);
	seq_printf(m, "pager_attaches %llu\n", vmo_stats.pager_attaches);
	seq_printf(m, "zombies %llu\n", vmo_stats.zombies);
	seq_printf(m, "syncs %llu\n", vmo_stats.syncs);
	seq_printf(m, "scavenge_requests %llu\n", vmo_stats.scavenge_requests);
	seq_printf(m, "scavenge_pages_dropped %llu\n",
		   vmo_stats.scavenge_dropped);
	seq_printf(m, "scavenge_pages_asked %llu\n", vmo_stats.scavenge_asked);
	seq_printf(m, "shrinker_scans %llu\n", vmo_stats.shrinker_scans);
	seq_printf(m, "reclaim_waits %llu\n", vmo_stats.reclaim_waits);
	seq_printf(m, "pages_evicted %llu\n", vmo_stats.pages_evicted);
	seq_printf(m, "pages_busy %lld\n", atomic64_read(&vmo_pages_busy));
	seq_printf(m, "reserved_pages %llu\n", vmo_stats.reserved_pages);
	seq_printf(m, "records %llu\n", vmo_stats.records);
	seq_printf(m, "record_slots %llu\n", vmo_stats.record_slots);
	seq_printf(m, "record_slots_unreserved %llu\n",
		   vmo_stats.record_slots_unreserved);
	seq_printf(m, "records_punched %llu\n", vmo_stats.records_punched);
	vmo_pager_show(m);
	mutex_unlock(&vmo_lock);
	return 0;
}

static int vmo_objects_show(struct seq_file *m, void *v)
{
	unsigned long resident, clean;
	struct vmo_object *obj;

	seq_puts(m, "id kind size resident refs mappings parent offset depth own clean state\n");
	mutex_lock(&vmo_lock);
	list_for_each_entry(obj, &vmo_objects, node) {
		resident = vmo_object_resident(obj);
		clean = min(vmo_object_clean(obj), resident);
		seq_printf(m, "%llu %s %llu %lu %ld %lu %llu %llu %u %lu %lu ",
			   obj->id, vmo_kind_name(obj->kind), obj->size,
			   resident, obj->store ? file_count(obj->store) : 0L,
			   vmo_object_mappings(obj),
			   obj->parent ? obj->parent->id : 0, obj->offset,
			   obj->depth, resident - clean, clean);
		/* A failed final write-back shows until it succeeds. */
		if (obj->zombie && obj->wb_error)
			seq_printf(m, "zombie:error=%d\n", obj->wb_error);
		else
			seq_printf(m, "%s\n", obj->zombie ? "zombie" :
				   vmo_object_shared_file(obj) ? "shared" :
				   "live");
	}
	mutex_unlock(&vmo_lock);
	return 0;
}

int vmo_proc_init(void)
{
	int ret = -ENOMEM;

	vmo_proc_dir = proc_mkdir("vmo", NULL);
	if (!vmo_proc_dir)
		return -ENOMEM;
	if (!proc_create_single("stats", 0444, vmo_proc_dir, vmo_stats_show) ||
	    !proc_create_single("objects", 0444, vmo_proc_dir,
				vmo_objects_show))
		goto remove;
	ret = vmo_scavenge_init(vmo_proc_dir);
	if (ret)
		goto remove;
	return 0;
remove:
	proc_remove(vmo_proc_dir);
	return ret;
}

void vmo_proc_exit(void)
{
	vmo_scavenge_exit();
	proc_remove(vmo_proc_dir);
}
