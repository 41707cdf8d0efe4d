// SPDX-License-Identifier: GPL-2.0
/*
 * Weighted round robin, lock-free and interleaved.
 *
 * Lay the weights end to end on a "cycle" of W positions: be[i] owns
 * [end[i - 1], end[i]).  Pick number c lands on position (c * P) mod W for
 * a stride P coprime with W, so W consecutive picks visit every position
 * exactly once and each backend gets exactly its weight's share per cycle.
 * P is the integer coprime with W nearest to W / phi (the golden ratio):
 * the positions then form a low-discrepancy (Weyl) sequence, so any short
 * run of picks is spread over the backends by weight too, instead of
 * coming in bursts the way a plain walk through the positions would
 * (AAABBC for weights 3:2:1).
 *
 * Small cycles have too few strides to choose from (for W = 6 only 1 and
 * 5 are coprime, both bursty), so the weights are scaled up until W is at
 * least NFLB_WRR_MIN_CYCLE; scaling every weight by the same factor keeps
 * the shares exact.
 *
 * A pick costs one atomic increment (shared by all CPUs, as for rr), a
 * 64-bit multiply and remainder, and a binary search of end[]: O(log n).
 * A build is O(n).
 */
#include <linux/atomic.h>
#include <linux/gcd.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "sched.h"

#define NFLB_WRR_MIN_CYCLE	65536U
#define NFLB_GOLDEN_32		0x9e3779b9U	/* 2^32 / phi */

struct nflb_wrr {
	/*
	 * Moved by every pick.  The read-only fields share its cache line
	 * on purpose: every pick has just pulled that line in to increment
	 * the counter, so reading them next to it costs nothing more.
	 */
	atomic_t next;
	u32 cycle;
	u32 stride;
	u32 end[];
};

/*
 * sched.c only keeps backends whose weight is > 0, read under the config
 * lock that also serialises weight changes; max() keeps a share from
 * being empty even so, which the binary search relies on.
 */
static u32 nflb_wrr_weight(const struct nflb_backend *be, unsigned int shift)
{
	return max_t(u32, READ_ONCE(be->weight) >> shift, 1);
}

/* The integer nearest to cycle / phi that is coprime with cycle. */
static u32 nflb_wrr_stride(u32 cycle)
{
	u32 s = ((u64)cycle * NFLB_GOLDEN_32) >> 32;
	u32 d;

	/* Terminates: s - d reaches 1, coprime with anything. */
	for (d = 0; ; d++) {
		if (s + d < cycle && gcd(s + d, cycle) == 1)
			return s + d;
		if (d < s && gcd(s - d, cycle) == 1)
			return s - d;
	}
}

static int nflb_wrr_build(struct nflb_service *svc,
			  struct nflb_sched_state *st)
{
	unsigned int i, shift = 0;
	struct nflb_wrr *w;
	u64 total = 0;
	u32 scale, sum;

	for (i = 0; i < st->n; i++)
		total += nflb_wrr_weight(st->be[i], 0);
	/*
	 * Only more than 65537 backends of high weight overflow 32 bits;
	 * shares then are exact to 1 / 2^31 rather than exactly exact.
	 */
	if (total > U32_MAX) {
		shift = fls64(total) - 31;
		total = 0;
		for (i = 0; i < st->n; i++)
			total += nflb_wrr_weight(st->be[i], shift);
		if (WARN_ON_ONCE(total > U32_MAX))
			return -ERANGE;
	}
	scale = total < NFLB_WRR_MIN_CYCLE ?
		DIV_ROUND_UP(NFLB_WRR_MIN_CYCLE, (u32)total) : 1;

	w = kvmalloc(struct_size(w, end, st->n), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	sum = 0;
	for (i = 0; i < st->n; i++) {
		sum += nflb_wrr_weight(st->be[i], shift) * scale;
		w->end[i] = sum;
	}
	w->cycle = sum;
	w->stride = nflb_wrr_stride(sum);
	/* As for rr: a new state must not restart the sequence each time. */
	atomic_set(&w->next, get_random_u32());
	st->priv = w;
	return 0;
}

static void nflb_wrr_free(struct nflb_sched_state *st)
{
	kvfree(st->priv);
}

INDIRECT_CALLABLE_SCOPE struct nflb_backend *
nflb_wrr_pick(struct nflb_service *svc, struct nflb_sched_state *st,
	      const struct nflb_flow *flow)
{
	struct nflb_wrr *w = st->priv;
	u32 c = atomic_inc_return_relaxed(&w->next);
	unsigned int lo = 0, hi = st->n - 1;
	u32 pos;

	div_u64_rem((u64)c * w->stride, w->cycle, &pos);
	/* The first backend whose share ends after pos. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (pos < w->end[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return nflb_sched_usable_from(st, lo);
}

const struct nflb_sched_ops nflb_sched_wrr = {
	.name	= "wrr",
	.build	= nflb_wrr_build,
	.free	= nflb_wrr_free,
	.pick	= nflb_wrr_pick,
};
