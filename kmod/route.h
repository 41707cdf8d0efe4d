/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The route to each backend, cached per CPU (route.c).
 *
 * The packet path sends requests to their backends itself (xmit.c), so it
 * needs the route toward each one for every packet.  A route lookup per
 * packet is what plain forwarding pays; looking it up once per CPU and
 * checking it is still current is what lets the balancer pay less.
 *
 * Unlike struct dst_cache, the cache is allocated by the first packet that
 * needs it, not when the backend is added: loading 40,000 backends then
 * costs no per-CPU allocation at all, and only backends that see traffic
 * pay for one.  And the route is handed out without taking a reference
 * (valid under the RCU read side the packet path runs in, as the stack's
 * own input routes are): no atomic operation per packet.
 */
#ifndef _NFLB_ROUTE_H
#define _NFLB_ROUTE_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <net/dst.h>
#include <net/route.h>

/* A CPU's cached route; only ever read and replaced by that CPU. */
struct nflb_route_pcpu {
	struct rtable *rt;	/* holds a reference, or NULL */
	__be32 saddr;
	bool known_nh;		/* how it was looked up */
};

struct nflb_route_cache {
	/* NULL until a packet needs it; then set until the backend is
	 * freed.
	 */
	struct nflb_route_pcpu __percpu *pcpu;
};

struct rtable *nflb_route_lookup(struct nflb_route_cache *rc, struct net *net,
				 __be32 daddr, bool known_nh, __be32 *saddr,
				 bool *held);

/*
 * The route toward @daddr (the backend) and this host's source address
 * toward it in @saddr.  @known_nh (mode dr): looked up with
 * FLOWI_FLAG_KNOWN_NH, so that the neighbour is @daddr whatever the
 * packet's destination.  Normally no reference is taken (*@held false):
 * the route is valid until the caller leaves the RCU read side, and
 * skb_dst_set_noref() is what to do with it.  Only when the cache could
 * not be allocated does the caller get a reference (*@held true) to put
 * or to hand to skb_dst_set().  The packet path only (BH disabled).  An
 * ERR_PTR without route.
 */
static __always_inline struct rtable *
nflb_route_get(struct nflb_route_cache *rc, struct net *net, __be32 daddr,
	       bool known_nh, __be32 *saddr, bool *held)
{
	/* Pairs with cmpxchg_release() in nflb_route_alloc(). */
	struct nflb_route_pcpu __percpu *pcpu = smp_load_acquire(&rc->pcpu);
	struct nflb_route_pcpu *e;

	/* Inline, the common case: this CPU's route, still current. */
	if (likely(pcpu)) {
		e = this_cpu_ptr(pcpu);
		if (likely(e->rt && e->known_nh == known_nh &&
			   dst_check(&e->rt->dst, 0))) {
			*saddr = e->saddr;
			*held = false;
			return e->rt;
		}
	}
	return nflb_route_lookup(rc, net, daddr, known_nh, saddr, held);
}

/* Drop the cached routes and the cache.  No reader may be left. */
void nflb_route_destroy(struct nflb_route_cache *rc);

#endif /* _NFLB_ROUTE_H */
