// SPDX-License-Identifier: GPL-2.0
/*
 * Round robin: every usable backend in turn, whatever its weight (weight 0
 * still drains it).
 *
 * One atomic counter per state, shared by all CPUs: per-CPU counters would
 * avoid moving its cache line between CPUs, but each CPU would then run its
 * own rotation and the shares would only be even per CPU.  One atomic
 * increment per new connection is cheap next to the connection entry it
 * goes with.
 */
#include <linux/atomic.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "sched.h"

struct nflb_rr {
	atomic_t next;
};

static int nflb_rr_build(struct nflb_service *svc, struct nflb_sched_state *st)
{
	struct nflb_rr *rr;

	rr = kmalloc(sizeof(*rr), GFP_KERNEL);
	if (!rr)
		return -ENOMEM;
	/*
	 * Every change starts a new state: starting each one at be[0] would
	 * give be[0] an extra turn per change.
	 */
	atomic_set(&rr->next, get_random_u32());
	st->priv = rr;
	return 0;
}

static void nflb_rr_free(struct nflb_sched_state *st)
{
	kfree(st->priv);
}

INDIRECT_CALLABLE_SCOPE struct nflb_backend *
nflb_rr_pick(struct nflb_service *svc, struct nflb_sched_state *st,
	     const struct nflb_flow *flow)
{
	struct nflb_rr *rr = st->priv;
	/* Relaxed: the counter orders nothing but itself. */
	u32 c = atomic_inc_return_relaxed(&rr->next);

	return nflb_sched_usable_from(st, c % st->n);
}

const struct nflb_sched_ops nflb_sched_rr = {
	.name	= "rr",
	.build	= nflb_rr_build,
	.free	= nflb_rr_free,
	.pick	= nflb_rr_pick,
};
