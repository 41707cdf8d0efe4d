/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sending a request to its backend ourselves, in every mode (xmit.c): the
 * route to each backend, cached per CPU; the TTL, path MTU and
 * "fragmentation needed" checks a router makes; NAT's rewrite; the outer
 * headers of tun.
 */
#ifndef _NFLB_XMIT_H
#define _NFLB_XMIT_H

#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/gue.h>
#include <net/netfilter/nf_conntrack.h>

#include "nflb.h"

/* What encapsulation puts in front of the client's IPv4 header. */
#define NFLB_IPIP_OVERHEAD	sizeof(struct iphdr)
#define NFLB_GUE_OVERHEAD	(sizeof(struct iphdr) + sizeof(struct udphdr) + \
				 sizeof(struct guehdr))

/* Bytes a packet of a service in @mode (and @tunnel) grows by on its way. */
static inline unsigned int nflb_encap_overhead(u8 mode, u8 tunnel)
{
	if (mode != NFLB_FWD_TUN)
		return 0;
	return tunnel == NFLB_TUNNEL_GUE ? NFLB_GUE_OVERHEAD :
					   NFLB_IPIP_OVERHEAD;
}

/*
 * Packets nflb rewrote or sends itself are none of conntrack's business:
 * marked untracked, conntrack (if loaded) lets them pass.
 */
static __always_inline void nflb_untrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
}

/* The outer headers of one tunnelled packet. */
struct nflb_encap {
	__be32 saddr;		/* this host's address toward the backend */
	__be32 daddr;		/* the backend */
	__be16 sport;		/* GUE: UDP source port, a hash of the flow */
	__be16 dport;		/* GUE: the service's gue-port */
	u8 tunnel;		/* enum nflb_tunnel */
};

/* What NAT rewrites in a request: the destination, to the backend. */
struct nflb_dnat {
	unsigned int thoff;	/* the TCP or UDP header's offset */
	__be32 addr;
	__be16 port;
	u8 proto;
};

/*
 * The MTU of the route toward @be as a packet of its service leaves
 * (encapsulation not subtracted), or 0 without a route.  RCU read side,
 * BH disabled (the packet path).
 */
unsigned int nflb_xmit_route_mtu(struct net *net, struct nflb_backend *be);

/*
 * Sends @skb (an IPv4 packet at PRE_ROUTING, the headers of the client's
 * packet or of an ICMP error about one) to @be: rewritten by @nat (mode
 * nat), else the way its service's mode says (dr or tun).  Returns
 * NF_STOLEN when sent, NF_ACCEPT when a NAT packet goes to this host's
 * own stack, NF_DROP (the reason counted) when not sent.  @fast: from the
 * ingress, where no netfilter hook is left for it to pass (hooks.c): a
 * packet that fits its route goes straight to the neighbour.
 */
unsigned int nflb_xmit(struct nflb_net *nn, struct sk_buff *skb,
		       struct nflb_backend *be, const struct nflb_dnat *nat,
		       bool fast);

/*
 * Whether @addr can be a backend of mode dr: reached without a gateway,
 * not an address of this host.  0, or an errno with extack set.
 */
int nflb_xmit_check_dr(struct net *net, __be32 addr,
		       struct netlink_ext_ack *extack);

#if IS_ENABLED(CONFIG_KUNIT)
bool nflb_xmit_too_big(const struct sk_buff *skb, unsigned int mtu);
int nflb_encap_push(struct net *net, struct sk_buff *skb,
		    const struct nflb_encap *e, unsigned int headroom);
#endif

#endif /* _NFLB_XMIT_H */
