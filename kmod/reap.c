// SPDX-License-Identifier: GPL-2.0
/*
 * Freeing what was unlinked together after one grace period, not one
 * call_rcu() each.  Deleting a service frees its scheduler state and each
 * of its backends after a grace period: a flush of 10,000 services x 4
 * backends queued 50,000 callbacks, which was most of its time in the
 * kernel, and went past RCU's callback high-water mark (qhimark), where
 * RCU forces quiescent states and runs callbacks without its usual limit.
 *
 * A reaper collects the objects (their rcu_head and the function that
 * frees them, as call_rcu() would take them) into batches of
 * NFLB_REAP_BATCH; a full batch, and the last one at nflb_reaper_flush(),
 * waits out one grace period and frees its objects from one callback:
 * few enough that the callback does not run long.  Where a batch cannot be
 * allocated, objects get their call_rcu() each, as before.
 */
#include <kunit/visibility.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "nflb.h"

#define NFLB_REAP_BATCH	256

struct nflb_reap_batch {
	struct rcu_head rcu;
	/* Chained through their ->next; each freed by its ->func. */
	struct rcu_head *first;
	unsigned int n;
};

static void nflb_reap_batch_free_rcu(struct rcu_head *rcu)
{
	struct nflb_reap_batch *b = container_of(rcu, struct nflb_reap_batch,
						  rcu);
	struct rcu_head *head, *next;

	for (head = b->first; head; head = next) {
		next = head->next;
		head->func(head);
	}
	kfree(b);
}

/*
 * Frees @head with @func after a grace period: with the rest of @r's batch,
 * or (no @r, or no memory) with call_rcu() at once.
 *
 * The batch is small and allocated without sleeping or reclaim, under the
 * config lock: if it cannot be had, objects go one by one.
 */
void nflb_reap(struct nflb_reaper *r, struct rcu_head *head,
	       rcu_callback_t func)
{
	struct nflb_reap_batch *b = NULL;

	if (r) {
		if (!r->batch)
			r->batch = kzalloc(sizeof(*r->batch),
					   GFP_NOWAIT | __GFP_NOWARN);
		b = r->batch;
	}
	if (!b) {
		call_rcu(head, func);
		return;
	}
	head->func = func;
	head->next = b->first;
	b->first = head;
	if (++b->n == NFLB_REAP_BATCH)
		nflb_reaper_flush(r);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_reap);

/* Sends what @r collected on its way; @r can collect again. */
void nflb_reaper_flush(struct nflb_reaper *r)
{
	if (!r->batch)
		return;
	call_rcu(&r->batch->rcu, nflb_reap_batch_free_rcu);
	r->batch = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_reaper_flush);
