// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counter blocks for services and backends, carved from shared
 * chunks.
 *
 * A per-CPU allocation was what adding a service cost most: profiled in
 * the guest, a restore of 10,000 services x 4 backends spent 15% of its
 * time in __alloc_percpu(), most of it under the per-CPU allocator's
 * interrupt-safe lock, for a block of a few hundred bytes a CPU.  Blocks
 * now come as runs of slots from chunks of NFLB_STATS_CHUNK slots, one
 * __alloc_percpu() a chunk, found with a bitmap under a lock of our own
 * (the configuration path's; the packet path only adds to its counters).
 * A chunk goes when its last run is given back, which may be from an RCU
 * callback: the lock keeps bottom halves off.
 *
 * The cost: up to a chunk (5 KiB a CPU) held for a single service.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "nflb.h"

struct nflb_stats_chunk {
	struct list_head list;
	struct nflb_stats_pcpu __percpu *slots;
	unsigned int used;
	DECLARE_BITMAP(map, NFLB_STATS_CHUNK);
};

/* Chunks with room first: a new chunk goes to the head. */
static LIST_HEAD(nflb_stats_chunks);
static DEFINE_SPINLOCK(nflb_stats_lock);

static struct nflb_stats_chunk *nflb_stats_chunk_new(void)
{
	struct nflb_stats_chunk *ch = kzalloc(sizeof(*ch), GFP_KERNEL);

	if (!ch)
		return NULL;
	ch->slots = __alloc_percpu(NFLB_STATS_CHUNK *
				   sizeof(struct nflb_stats_pcpu),
				   __alignof__(struct nflb_stats_pcpu));
	if (!ch->slots) {
		kfree(ch);
		return NULL;
	}
	return ch;
}

static void nflb_stats_chunk_free(struct nflb_stats_chunk *ch)
{
	free_percpu(ch->slots);
	kfree(ch);
}

/* A run of @n free slots in @ch, taken; NFLB_STATS_CHUNK if none. */
static unsigned long nflb_stats_take(struct nflb_stats_chunk *ch,
				     unsigned int n)
{
	unsigned long i;

	if (NFLB_STATS_CHUNK - ch->used < n)
		return NFLB_STATS_CHUNK;
	i = bitmap_find_next_zero_area(ch->map, NFLB_STATS_CHUNK, 0, n, 0);
	if (i < NFLB_STATS_CHUNK) {
		bitmap_set(ch->map, i, n);
		ch->used += n;
	}
	return i;
}

/*
 * @n zeroed counter blocks, contiguous; *@chunk is what nflb_stats_put()
 * wants back.  Process context.
 */
struct nflb_stats_pcpu __percpu *nflb_stats_get(unsigned int n,
						struct nflb_stats_chunk **chunk)
{
	struct nflb_stats_chunk *ch, *spare = NULL;
	struct nflb_stats_pcpu __percpu *stats;
	unsigned long i;
	unsigned int j;
	int cpu;

	if (!n || n > NFLB_STATS_CHUNK)
		return NULL;
	for (;;) {
		i = NFLB_STATS_CHUNK;
		spin_lock_bh(&nflb_stats_lock);
		list_for_each_entry(ch, &nflb_stats_chunks, list) {
			i = nflb_stats_take(ch, n);
			if (i < NFLB_STATS_CHUNK)
				break;
		}
		if (i == NFLB_STATS_CHUNK && spare) {
			ch = spare;
			spare = NULL;
			list_add(&ch->list, &nflb_stats_chunks);
			i = nflb_stats_take(ch, n);
		}
		spin_unlock_bh(&nflb_stats_lock);
		if (i < NFLB_STATS_CHUNK)
			break;
		/* Full: a new chunk, allocated without the lock. */
		spare = nflb_stats_chunk_new();
		if (!spare)
			return NULL;
	}
	/* Another run came free meanwhile. */
	if (spare)
		nflb_stats_chunk_free(spare);

	stats = ch->slots + i;
	for_each_possible_cpu(cpu) {
		struct nflb_stats_pcpu *s = per_cpu_ptr(stats, cpu);

		memset(s, 0, n * sizeof(*s));
		for (j = 0; j < n; j++)
			u64_stats_init(&s[j].syncp);
	}
	*chunk = ch;
	return stats;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_stats_get);

/* Gives back the @n blocks at @stats; any context. */
void nflb_stats_put(struct nflb_stats_chunk *ch,
		    struct nflb_stats_pcpu __percpu *stats, unsigned int n)
{
	bool empty;

	spin_lock_bh(&nflb_stats_lock);
	bitmap_clear(ch->map, stats - ch->slots, n);
	ch->used -= n;
	empty = !ch->used;
	if (empty)
		list_del(&ch->list);
	spin_unlock_bh(&nflb_stats_lock);
	if (empty)
		nflb_stats_chunk_free(ch);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_stats_put);

/* Chunks held now: none once every service is gone. */
unsigned int nflb_stats_chunks_held(void)
{
	struct nflb_stats_chunk *ch;
	unsigned int n = 0;

	spin_lock_bh(&nflb_stats_lock);
	list_for_each_entry(ch, &nflb_stats_chunks, list)
		n++;
	spin_unlock_bh(&nflb_stats_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_stats_chunks_held);
