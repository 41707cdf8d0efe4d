// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU routes to the backends (see route.h for why not struct dst_cache).
 *
 * Each CPU's entry holds a reference on its route and is only ever read
 * and replaced by that CPU, with BH disabled.  An entry is current while
 * the route passes dst_check() (the routing did not change: no new route,
 * no path MTU exception, device still up) and was looked up the same way
 * (a dr service's lookup differs: a change of mode changes the kind).  The
 * route handed out needs no reference of its own: a route whose last
 * reference goes is freed after an RCU grace period, and the packet path is
 * an RCU reader; a packet that has to wait (a qdisc, an unresolved
 * neighbour) takes its own reference with skb_dst_force(), as with the
 * stack's input routes.
 */
#include <linux/slab.h>
#include <net/dst.h>
#include <net/route.h>

#include "route.h"

/*
 * First packet to need it: allocated from the packet path, so without
 * sleeping.  Two CPUs may race; one allocation wins, the other is freed.
 */
static struct nflb_route_pcpu __percpu *
nflb_route_alloc(struct nflb_route_cache *rc)
{
	struct nflb_route_pcpu __percpu *pcpu;

	pcpu = alloc_percpu_gfp(struct nflb_route_pcpu, GFP_ATOMIC);
	if (!pcpu)
		return NULL;
	/* Pairs with smp_load_acquire() in nflb_route_get(). */
	if (cmpxchg_release(&rc->pcpu, NULL, pcpu)) {
		free_percpu(pcpu);
		/* The winner's, published with its cmpxchg_release(). */
		return smp_load_acquire(&rc->pcpu);
	}
	return pcpu;
}

/* nflb_route_get() without a current route: look one up, and cache it. */
struct rtable *nflb_route_lookup(struct nflb_route_cache *rc, struct net *net,
				 __be32 daddr, bool known_nh, __be32 *saddr,
				 bool *held)
{
	struct nflb_route_pcpu __percpu *pcpu;
	struct nflb_route_pcpu *e = NULL;
	struct flowi4 fl4;
	struct rtable *rt;

	/* Pairs with cmpxchg_release() in nflb_route_alloc(). */
	pcpu = smp_load_acquire(&rc->pcpu);
	if (unlikely(!pcpu))
		pcpu = nflb_route_alloc(rc);
	if (likely(pcpu))
		e = this_cpu_ptr(pcpu);

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = daddr;
	if (known_nh)
		fl4.flowi4_flags = FLOWI_FLAG_KNOWN_NH;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return rt;
	*saddr = fl4.saddr;
	if (unlikely(!e)) {
		/* No memory for the cache: this packet keeps the reference
		 * the lookup took; the next one tries to allocate again.
		 */
		*held = true;
		return rt;
	}
	if (e->rt)
		ip_rt_put(e->rt);
	e->rt = rt;
	e->saddr = fl4.saddr;
	e->known_nh = known_nh;
	*held = false;
	return rt;
}

void nflb_route_destroy(struct nflb_route_cache *rc)
{
	struct nflb_route_pcpu __percpu *pcpu = rc->pcpu;
	int cpu;

	if (!pcpu)
		return;
	for_each_possible_cpu(cpu) {
		struct nflb_route_pcpu *e = per_cpu_ptr(pcpu, cpu);

		if (e->rt)
			ip_rt_put(e->rt);
	}
	free_percpu(pcpu);
	rc->pcpu = NULL;
}
