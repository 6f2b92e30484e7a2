/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager paging: giving pages back (scavenge) and taking them in
 * again from the backing store.
 *
 * Which pages the pager knows of: every page it filled into an object's
 * store through a shared mapping (zero, file, parent or backing store
 * fill) and every page it saw there (MINOR fault) gets SM_RES|SM_REF in
 * its object's slot map (slotmap.h).  Anonymous objects are tracked
 * only with a backing store (their pages are dirty from the zero fill:
 * without one there is nowhere to put them).
 *
 * Victims: a CLOCK (second chance) over all tracked resident pages.  The
 * hand goes round the ring of open objects and, in each, up its pages;
 * a page with SM_REF loses the bit and is passed over once, one without
 * it is taken.  So a page filled or touched since the hand last came by
 * is never taken before the others: the most recently filled pages are
 * skipped.  The reference bit lives in the slot map entry: no per-page
 * memory beyond the 4 bytes of the entry.
 *
 * A run of victims of one object is given back in five steps, each of
 * which leaves every page either dirty (the store has the only copy,
 * nothing drops it) or clean and equal to its record:
 *   1. SEEK_DATA/SEEK_HOLE: pages the module already dropped are
 *      forgotten (their records stay: they are still the content);
 *   2. CLEAN(KEEP_DIRTY): write-protect, learn which are dirty, leave
 *      them dirty;
 *   3. dirty pages: a shared FILE object writes them to its file; any
 *      other object reads them from the store and writes each to a
 *      backing store slot (its old one, or a new one; all-zero pages of
 *      anonymous objects need none and give theirs up, those of other
 *      objects get the SM_REC_ZERO record), records the slot, then
 *      CLEAN(IF_UNCHANGED) over the pages written: clean unless written
 *      again meanwhile;
 *   4. EVICT: the clean pages go (unmapped first);
 *   5. dropped pages lose SM_RES; pages written again stay resident and
 *      keep their slot for the next time.
 * A page that gets no slot (store full, or what is free is promised to
 * reserved objects) is simply not written: it stays dirty and resident.
 *
 * Page-in: a missing page whose entry has a record is read from there
 * (slot, or zeroes), copied in and marked clean: it equals its slot, so
 * it can go again without a write.  The slot stays with the page until
 * the object is gone.
 *
 * The module keeps a copy of the records (VMO_IOC_PAGER_RECORD), and
 * that copy is the authority: step 3 sets it before the pages become
 * clean (a refused record leaves the page dirty), page-in reads it
 * first, a client's punch (MADV_REMOVE) marks records there that the
 * pager takes with VMO_RECORD_FREED, and a pager that starts takes over
 * every record an earlier one left (VMO_RECORD_LIST), so nothing paged
 * out is lost when a pager dies, however it dies.
 */
#ifndef VMO_PAGER_PAGING_H
#define VMO_PAGER_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "objects.h"

/* Start tracking a newly opened object: empty map, join the ring. */
void paging_link(struct objcache *oc, struct pobj *o);

/* The object is gone: free its slots and its map, leave the ring. */
void paging_forget(struct objcache *oc, struct pobj *o);

/* Are the resident pages of objects of @kind tracked? */
bool paging_tracks(const struct objcache *oc, uint32_t kind);

/*
 * Pages [idx, idx + n) of @o were just filled into its store: resident
 * and recently used.  A page that cannot be tracked (no memory) is
 * logged once and never paged out.
 */
void paging_filled(struct objcache *oc, struct pobj *o, uint64_t idx,
		   uint64_t n);

/* Page @idx of @o is in its store and was just used (MINOR fault). */
void paging_touched(struct objcache *oc, struct pobj *o, uint64_t idx);

/*
 * Pages from @idx on, at most @max, that all have a record
 * (@with_record) or all have none.
 */
uint64_t paging_record_run(const struct pobj *o, uint64_t idx, uint64_t max,
			   bool with_record);

/*
 * Read pages [idx, idx + n) of @o, which all have records, into the
 * bounce buffer: slots from the backing store, zero records as zeroes.
 * Returns 0 or -errno (logged).
 */
int paging_read_in(struct objcache *oc, const struct pobj *o, uint64_t idx,
		   uint64_t n);

/*
 * Check our records of [idx, idx + n) against the module's and make
 * ours agree (taking punched records first).  Call before paging in,
 * with @fill: that begins a page-in of @o (VMO_RECORD_FILL), which
 * paging_fill_done() must end once the store is filled, whatever
 * happened; until then a client's punch of the object waits.  Returns 0
 * (page-in begun), -EAGAIN (a punch is under way: nothing begun; let
 * the thread fault again) or another -errno (logged; nothing begun).
 */
int paging_confirm(struct objcache *oc, struct pobj *o, uint64_t idx,
		   uint64_t n, bool fill);

/* Ends the page-in paging_confirm(@fill) began (VMO_RECORD_FILLED). */
void paging_fill_done(struct objcache *oc, const struct pobj *o);

/*
 * Take the records that clients punched out (VMO_RECORD_FREED): free
 * their slots.  Returns 0 or -errno (logged; tried again later).
 */
int paging_take_freed(struct objcache *oc);

/*
 * Take over every record an earlier pager left with the module
 * (VMO_RECORD_LIST): open their objects, claim their slots.  Needs the
 * backing store they point into (the one the module kept).  *@adopted:
 * records taken.  Returns 0 or -errno (logged).
 */
int paging_adopt(struct objcache *oc, uint64_t *adopted);

/*
 * Page @idx of @o as its record says, into @buf (one page): 1 if it has
 * one, 0 if not (@buf untouched), -errno (logged) on a read error.
 */
int paging_read_record(struct objcache *oc, struct pobj *o, uint64_t idx,
		       char *buf);

/*
 * Give back up to @want pages (see the top).  Returns the pages dropped
 * from the stores.  Stops early when a bounded walk (twice round every
 * tracked resident page) found nothing more to give.  @short_of_memory:
 * what takes memory to give back (writing to a file in memory) comes
 * last.
 */
uint64_t paging_scavenge(struct objcache *oc, uint64_t want,
			 bool short_of_memory);

#endif /* VMO_PAGER_PAGING_H */
