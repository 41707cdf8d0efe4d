/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the schedulers (sched_*.c) share with their registry (sched.c).  The
 * contract with the rest of the module is in nflb.h; this file is private
 * to the schedulers.
 */
#ifndef _NFLB_SCHED_H
#define _NFLB_SCHED_H

#include <linux/compiler.h>
#include <linux/indirect_call_wrapper.h>

#include "nflb.h"

/*
 * be[] is a snapshot taken at the last rebuild.  Between a change and the
 * rebuild that follows it, a backend in it may already be deleted or
 * drained; both fields sit in the cache line the datapath touches next
 * anyway (the connection counters), so checking them costs little.
 */
static inline bool nflb_sched_usable(const struct nflb_backend *be)
{
	return !READ_ONCE(be->dead) && READ_ONCE(be->weight);
}

struct nflb_backend *nflb_sched_next_usable(struct nflb_sched_state *st,
					    unsigned int i);

/* be[i] if it is still usable, else the next one that is (wrapping). */
static inline struct nflb_backend *
nflb_sched_usable_from(struct nflb_sched_state *st, unsigned int i)
{
	struct nflb_backend *be = st->be[i];

	if (likely(nflb_sched_usable(be)))
		return be;
	return nflb_sched_next_usable(st, i + 1);
}

/*
 * The pick functions are called through INDIRECT_CALL_*() from
 * nflb_sched_pick(), which turns the indirect call (a retpoline on most
 * x86 kernels) into a compare and a direct call.
 */
INDIRECT_CALLABLE_DECLARE(struct nflb_backend *
	nflb_rr_pick(struct nflb_service *svc, struct nflb_sched_state *st,
		     const struct nflb_flow *flow));
INDIRECT_CALLABLE_DECLARE(struct nflb_backend *
	nflb_wrr_pick(struct nflb_service *svc, struct nflb_sched_state *st,
		      const struct nflb_flow *flow));
INDIRECT_CALLABLE_DECLARE(struct nflb_backend *
	nflb_wlc_pick(struct nflb_service *svc, struct nflb_sched_state *st,
		      const struct nflb_flow *flow));
INDIRECT_CALLABLE_DECLARE(struct nflb_backend *
	nflb_sh_pick(struct nflb_service *svc, struct nflb_sched_state *st,
		     const struct nflb_flow *flow));

#endif /* _NFLB_SCHED_H */
