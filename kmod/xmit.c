// SPDX-License-Identifier: GPL-2.0
/*
 * Sending requests to their backends, in every mode.
 *
 * The hook runs at PRE_ROUTING: a packet for the VIP has no route yet, and
 * the one the stack would give it (local delivery, or a forward toward the
 * VIP) is of no use.  We route it to the backend ourselves, from a route
 * cached per backend and per CPU (route.c: a lookup only when the routing
 * changed, where forwarding looks one up for every packet), and steal it
 * from the hook.  On the way we do what a router does: decrement the TTL
 * (time exceeded to the client when it runs out), and refuse a DF packet
 * that the path cannot carry with "fragmentation needed" carrying the MTU
 * left for the client's packet once a tunnel's headers are added.  Both
 * errors quote the packet as the client sent it.
 *
 * nat: the destination becomes the backend's address and port, after the
 * checks.  A backend that is an address of this host gets the packet
 * through the stack's local delivery instead.  Replies are not sent here:
 * the stack forwards them (hooks.c).
 *
 * dr: the packet is unchanged (destination the VIP); the route to the
 * backend is looked up with FLOWI_FLAG_KNOWN_NH, which makes the neighbour
 * the backend's address rather than the packet's destination: only the
 * MAC address changes.  That works for a backend on a directly connected
 * network only, which the control plane checks at add-backend and the
 * packet path checks again on every new route.
 *
 * nat and dr packets are forwarded ones and pass FORWARD and POSTROUTING,
 * as a routed packet does; with no rule there, that costs nothing.
 *
 * tun: an IPv4 header (ipip), or IPv4, UDP and a GUE header (gue, RFC
 * draft-ietf-intarea-gue, version 0, no options) go in front, from this
 * host's address toward the backend, and the packet leaves through
 * LOCAL_OUT and POSTROUTING as this host's own.  The packet keeps its GSO
 * state: iptunnel_handle_offloads() adds SKB_GSO_IPXIP4 (and
 * SKB_GSO_UDP_TUNNEL for GUE), so a GRO aggregate is segmented, inner and
 * outer headers alike, only where it has to be.  The outer header copies
 * the client's DF bit: a packet without it may be fragmented outside,
 * past this host.
 */
#include <kunit/visibility.h>
#include <linux/icmp.h>
#include <linux/netfilter_ipv4.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip_tunnels.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/udp.h>

#include "nat.h"
#include "xmit.h"

/*
 * A dr route was looked up with FLOWI_FLAG_KNOWN_NH: its next hop is set,
 * to the backend itself when on-link.  One without is bound to a nexthop
 * exception for the backend and would resolve the VIP's neighbour instead.
 */
static bool nflb_rt_has_nh(const struct rtable *rt)
{
	return rt->rt_gw_family == AF_INET;
}

/* The route to @be (see nflb_route_get() for *@held), and this host's
 * address toward it.
 */
static __always_inline struct rtable *
nflb_be_route(struct net *net, struct nflb_backend *be, u8 mode, __be32 *saddr,
	      bool *held)
{
	return nflb_route_get(&be->route, net, be->addr.ip,
			      mode == NFLB_FWD_DR, saddr, held);
}

/*
 * dst_mtu() of a route from nflb_route_get(), without its call: an IPv4
 * route always (an output lookup without a protocol gets no IPsec
 * bundle), whose mtu() is ipv4_mtu(), which is this.
 */
static __always_inline unsigned int nflb_rt_mtu(const struct rtable *rt)
{
	return ip_dst_mtu_maybe_forward(&rt->dst, false);
}

unsigned int nflb_xmit_route_mtu(struct net *net, struct nflb_backend *be)
{
	struct rtable *rt;
	unsigned int mtu;
	__be32 saddr;
	bool held;

	rt = nflb_be_route(net, be, READ_ONCE(be->svc->mode), &saddr, &held);
	if (IS_ERR(rt))
		return 0;
	mtu = nflb_rt_mtu(rt);
	if (held)
		ip_rt_put(rt);
	return mtu;
}

/* Whether @skb goes over @mtu in one piece, or in GSO segments that each do. */
static bool nflb_xmit_fits(const struct sk_buff *skb, unsigned int mtu)
{
	return skb->len <= mtu ||
	       (skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

/*
 * Whether a DF packet of @skb's size cannot be sent in one piece over
 * @mtu, as the forwarding path decides it (ip_exceeds_mtu()): a datagram
 * we reassembled leaves in the fragments it came in, a GSO packet in
 * segments that each must fit.
 */
VISIBLE_IF_KUNIT bool nflb_xmit_too_big(const struct sk_buff *skb,
					unsigned int mtu)
{
	if (unlikely(IPCB(skb)->frag_max_size > mtu))
		return true;
	return !skb->ignore_df && !nflb_xmit_fits(skb, mtu);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_xmit_too_big);

/*
 * Puts the outer headers of @e in front of the IPv4 packet at skb->data
 * (network and transport headers set), with @headroom to spare in front of
 * them for the link layer.  The inner packet is left as it is.  0, or
 * -ENOMEM when the header could not be made writable.
 */
VISIBLE_IF_KUNIT int nflb_encap_push(struct net *net, struct sk_buff *skb,
				     const struct nflb_encap *e,
				     unsigned int headroom)
{
	bool gue = e->tunnel == NFLB_TUNNEL_GUE;
	int gso_type = SKB_GSO_IPXIP4;
	const struct iphdr *inner;
	u8 tos, ttl, proto;
	struct iphdr *iph;
	__be16 df;

	if (skb_cow_head(skb, headroom + (gue ? NFLB_GUE_OVERHEAD :
					  NFLB_IPIP_OVERHEAD)))
		return -ENOMEM;
	inner = ip_hdr(skb);
	tos = INET_ECN_encapsulate(inner->tos, inner->tos);
	ttl = inner->ttl;
	df = inner->frag_off & htons(IP_DF);

	if (gue)
		gso_type |= SKB_GSO_UDP_TUNNEL;
	if (iptunnel_handle_offloads(skb, gso_type))
		return -ENOMEM;
	/* What GSO and the drivers look at to find the inner packet. */
	skb_set_inner_ipproto(skb, IPPROTO_IPIP);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));
	skb->transport_header = skb->network_header;

	proto = IPPROTO_IPIP;
	if (gue) {
		struct guehdr *gh;
		struct udphdr *uh;

		/* Version 0, no options, no flags: a data message. */
		gh = skb_push(skb, sizeof(*gh));
		gh->word = 0;
		gh->proto_ctype = IPPROTO_IPIP;
		uh = skb_push(skb, sizeof(*uh));
		skb_reset_transport_header(skb);
		uh->source = e->sport;
		uh->dest = e->dport;
		uh->len = htons(skb->len);
		/* No checksum (RFC 768 allows it over IPv4): the inner
		 * packet has its own, and it saves GSO a pass.
		 */
		uh->check = 0;
		proto = IPPROTO_UDP;
	}

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = tos;
	/* A GRO aggregate may exceed 64 KiB once encapsulated: GSO sets each
	 * segment's length, as for BIG TCP.
	 */
	iph->tot_len = skb->len <= IP_MAX_MTU ? htons(skb->len) : 0;
	iph->frag_off = df;
	iph->ttl = ttl;
	iph->protocol = proto;
	iph->saddr = e->saddr;
	iph->daddr = e->daddr;
	ip_select_ident(net, skb, NULL);
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_encap_push);

static unsigned int nflb_xmit_drop(struct nflb_net *nn,
				   enum nflb_drop_reason why)
{
	nflb_drop_count(nn, why);
	return NF_DROP;
}

/* NAT's rewrite of a request: the backend becomes its destination. */
static int nflb_xmit_dnat(struct sk_buff *skb, const struct nflb_dnat *nat)
{
	return nflb_nat_mangle(skb, nat->thoff, nat->proto, false, nat->addr,
			       nat->port);
}

/*
 * A NAT request to a backend that is this host: the stack delivers it
 * locally once the destination is rewritten, as it always did.
 */
static unsigned int nflb_xmit_local(struct nflb_net *nn, struct sk_buff *skb,
				    const struct nflb_dnat *nat)
{
	skb_dst_drop(skb);
	if (nflb_xmit_dnat(skb, nat))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	nflb_untrack(skb);
	return NF_ACCEPT;
}

/* Whether the output path would send a packet on @rt as it is: a plain
 * route (no lightweight tunnel, no IPsec, no IPv6 gateway) and room for
 * the link layer's header.
 */
static __always_inline bool nflb_xmit_plain(const struct rtable *rt,
					    const struct sk_buff *skb)
{
	const struct net_device *dev = rt->dst.dev;

	return rt->dst.output == ip_output && !dst_xfrm(&rt->dst) &&
	       !rt->dst.lwtstate && rt->rt_gw_family != AF_INET6 &&
	       (skb_headroom(skb) >= LL_RESERVED_SPACE(dev) ||
		!dev->header_ops);
}

/* What ip_finish_output2() does with a plain route, less its counters. */
static __always_inline int nflb_xmit_neigh(struct sk_buff *skb,
					   struct rtable *rt)
{
	struct neighbour *neigh;

	neigh = ip_neigh_gw4(rt->dst.dev, rt_nexthop(rt, ip_hdr(skb)->daddr));
	if (IS_ERR(neigh)) {
		kfree_skb(skb);
		return PTR_ERR(neigh);
	}
	return neigh_output(neigh, skb, false);
}

/*
 * After POST_ROUTING's hooks, which may have rerouted the packet or grown
 * it: the neighbour if it still can, else the output path from where the
 * hooks are behind it (IPSKB_REROUTED: not again).
 */
static int nflb_xmit_finish(struct net *net, struct sock *sk,
			    struct sk_buff *skb)
{
	struct rtable *rt = skb_rtable(skb);

	if (unlikely(!nflb_xmit_plain(rt, skb) ||
		     !nflb_xmit_fits(skb, dst_mtu(&rt->dst)))) {
		IPCB(skb)->flags |= IPSKB_REROUTED;
		return dst_output(net, sk, skb);
	}
	return nflb_xmit_neigh(skb, rt);
}

/*
 * The fast path's end (from the ingress, FORWARD or LOCAL_OUT known to be
 * empty, the packet known to fit its route): what ip_output() does, less
 * its counters: POST_ROUTING (where Debian's AppArmor, for one, has a hook
 * in every namespace), then straight to the neighbour.  A route that is
 * not plain takes the output path as it is.
 */
static void nflb_xmit_out(struct net *net, struct sk_buff *skb,
			  struct rtable *rt)
{
	struct net_device *indev = skb->dev;
	const struct nf_hook_entries *e;
	struct nf_hook_state state;
	unsigned int len = skb->len;

	skb->dev = rt->dst.dev;
	skb->protocol = htons(ETH_P_IP);
	if (unlikely(!nflb_xmit_plain(rt, skb))) {
		skb->dev = indev;
		dst_output(net, NULL, skb);
		return;
	}
	/* What nf_hook() does, less its RCU read lock: the ingress hook we
	 * run in holds one (and under PREEMPT_RCU each is a call).
	 */
	e = rcu_dereference(net->nf.hooks_ipv4[NF_INET_POST_ROUTING]);
	if (!e) {
		nflb_xmit_neigh(skb, rt);
		return;
	}
	nf_hook_state_init(&state, NF_INET_POST_ROUTING, NFPROTO_IPV4, indev,
			   skb->dev, NULL, net, nflb_xmit_finish);
	if (nf_hook_slow(skb, &state, e, 0) != 1)
		return;
	/* Let through at once, on its route still and no longer: it fits,
	 * as checked before (asking the route's MTU again costs a call per
	 * packet).  Otherwise nflb_xmit_finish() looks again, as it does for
	 * a packet a queue lets through later.
	 */
	if (likely(skb_dst(skb) == &rt->dst && skb->len == len &&
		   nflb_xmit_plain(rt, skb)))
		nflb_xmit_neigh(skb, rt);
	else
		nflb_xmit_finish(net, NULL, skb);
}

unsigned int nflb_xmit(struct nflb_net *nn, struct sk_buff *skb,
		       struct nflb_backend *be, const struct nflb_dnat *nat,
		       bool fast)
{
	struct nflb_service *svc = be->svc;
	u8 mode = nat ? NFLB_FWD_NAT : READ_ONCE(svc->mode);
	u8 tunnel = READ_ONCE(svc->tunnel);
	struct net *net = nn->net;
	unsigned int overhead, mtu;
	struct nflb_encap e;
	struct rtable *rt;
	struct iphdr *iph;
	__be32 saddr;
	bool held, big;

	/* Without the rewrite a NAT packet cannot go (the mode changed
	 * under an ICMP error on its way): the next one is a NAT one.
	 */
	if (unlikely(mode == NFLB_FWD_NAT && !nat))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	rt = nflb_be_route(net, be, mode, &saddr, &held);
	if (IS_ERR(rt))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	/* Whatever route came with the packet was for the VIP.  Ours goes
	 * on it now: icmp_send() needs one, and the output path uses it.
	 */
	skb_dst_drop(skb);
	if (unlikely(held))
		skb_dst_set(skb, &rt->dst);
	else
		skb_dst_set_noref(skb, &rt->dst);
	if (unlikely(rt->rt_flags & RTCF_LOCAL) && nat)
		return nflb_xmit_local(nn, skb, nat);
	/* Not to this host, and in dr to the backend's own MAC address: the
	 * routing may have changed since add-backend checked.
	 */
	if (unlikely(rt->rt_flags & (RTCF_LOCAL | RTCF_BROADCAST |
				     RTCF_MULTICAST) ||
		     (mode == NFLB_FWD_DR &&
		      (rt->rt_uses_gateway || !nflb_rt_has_nh(rt)))))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);

	/* Errors go to the client quoting its packet as it sent it: before
	 * NAT rewrites it.
	 */
	iph = ip_hdr(skb);
	if (unlikely(iph->ttl <= 1)) {
		icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
		return nflb_xmit_drop(nn, NFLB_DROP_TTL);
	}
	overhead = nflb_encap_overhead(mode, tunnel);
	mtu = nflb_rt_mtu(rt);
	if (unlikely(mtu < overhead + IPV4_MIN_MTU))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	mtu -= overhead;
	/* (From the ingress nothing was reassembled, ignore_df is clear:
	 * !big is "fits".)
	 */
	big = nflb_xmit_too_big(skb, mtu);
	if (unlikely(big && (iph->frag_off & htons(IP_DF)))) {
		/* No reply to an ICMP error: icmp_send() checks that. */
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
		return nflb_xmit_drop(nn, NFLB_DROP_TOO_BIG);
	}

	if (nat) {
		if (unlikely(nflb_xmit_dnat(skb, nat)))
			return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	} else if (unlikely(nflb_ensure_writable(skb, sizeof(*iph)))) {
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	}
	ip_decrease_ttl(ip_hdr(skb));
	/* A forwarded packet, as ip_forward() leaves it: no socket, no
	 * receive checksum or timestamp that the output path could misread.
	 */
	skb_orphan(skb);
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	nflb_untrack(skb);

	if (mode != NFLB_FWD_TUN) {
		/* Checked above: what is left to fragment has no DF. */
		skb->ignore_df = 1;
		/* Forwarded, the client's packet still: through FORWARD and
		 * POSTROUTING as any routed packet, so that firewall rules
		 * for forwarded traffic apply to it as they would without
		 * the balancer.
		 */
		IPCB(skb)->flags |= IPSKB_FORWARDED;
		if (fast && !big) {
			nflb_xmit_out(net, skb, rt);
			return NF_STOLEN;
		}
		NF_HOOK(NFPROTO_IPV4, NF_INET_FORWARD, net, NULL, skb,
			skb->dev, rt->dst.dev, dst_output);
		return NF_STOLEN;
	}

	e.saddr = saddr;
	e.daddr = be->addr.ip;
	e.tunnel = tunnel;
	e.sport = 0;
	e.dport = 0;
	if (tunnel == NFLB_TUNNEL_GUE) {
		/* Entropy for ECMP and RSS on the way: a hash of the inner
		 * flow, as every UDP tunnel does.
		 */
		e.sport = udp_flow_src_port(net, skb, 0, 0, false);
		e.dport = htons(READ_ONCE(svc->gue_port));
	}
	if (nflb_encap_push(net, skb, &e,
			    LL_RESERVED_SPACE(rt->dst.dev) + rt->dst.header_len))
		return nflb_xmit_drop(nn, NFLB_DROP_XMIT);
	/* After the outer header got its ID (none with DF, as a tunnel
	 * device's): checked above, the outer DF only serves the path past
	 * this host.
	 */
	skb->ignore_df = 1;
	if (fast && !big) {
		nflb_xmit_out(net, skb, rt);
		return NF_STOLEN;
	}
	/* The outer packet is this host's own: LOCAL_OUT, as a tunnel
	 * device's would.
	 */
	NF_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_OUT, net, NULL, skb, NULL,
		rt->dst.dev, dst_output);
	return NF_STOLEN;
}

int nflb_xmit_check_dr(struct net *net, __be32 addr,
		       struct netlink_ext_ack *extack)
{
	struct flowi4 fl4;
	struct rtable *rt;
	int err = 0;

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = addr;
	fl4.flowi4_flags = FLOWI_FLAG_KNOWN_NH;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		NL_SET_ERR_MSG(extack,
			       "no route to the backend: mode dr needs it on a directly connected network");
		return -EHOSTUNREACH;
	}
	if (rt->rt_flags & RTCF_LOCAL) {
		NL_SET_ERR_MSG(extack,
			       "the backend is an address of this host: mode dr cannot send to it");
		err = -EINVAL;
	} else if (rt->rt_type != RTN_UNICAST) {
		NL_SET_ERR_MSG(extack, "the backend address is not unicast");
		err = -EINVAL;
	} else if (rt->rt_uses_gateway) {
		NL_SET_ERR_MSG(extack,
			       "backend not on-link (routed through a gateway): mode dr needs it on a directly connected network");
		err = -EHOSTUNREACH;
	}
	ip_rt_put(rt);
	return err;
}
