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

struct nflb_route_pcpu;

struct nflb_route_cache {
	/* NULL until a packet needs it; then set until the backend is
	 * freed.
	 */
	struct nflb_route_pcpu __percpu *pcpu;
};

struct net;
struct rtable;

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
struct rtable *nflb_route_get(struct nflb_route_cache *rc, struct net *net,
			      __be32 daddr, bool known_nh, __be32 *saddr,
			      bool *held);

/* Drop the cached routes and the cache.  No reader may be left. */
void nflb_route_destroy(struct nflb_route_cache *rc);

#endif /* _NFLB_ROUTE_H */
