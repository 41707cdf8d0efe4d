// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: one PRE_ROUTING hook per namespace, after IPv4
 * defragmentation (so a UDP datagram larger than the MTU is whole here, and
 * forwarding fragments it again) and before conntrack.
 *
 * Requests (client -> VIP:port) get the backend's address and port as
 * destination before the routing decision, so the stack forwards them like
 * any packet.  Replies (backend -> client) are routed first, with the
 * addresses they arrived with, and only then get the VIP as source: routing
 * a packet whose source is an address of this host would refuse it as a
 * martian when the VIP is configured locally.  Either way the route lookup
 * is the one the stack would do anyway; nothing is looked up twice.
 *
 * Packets we rewrite are marked untracked: conntrack, if it is loaded,
 * leaves them alone, and nflb needs nothing from it.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/dst_metadata.h>
#include <net/ip.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>

#include "conn.h"
#include "nat.h"

/* What the packet path needs from the headers, read once. */
struct nflb_pkt {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	unsigned int thoff;
	unsigned int hlen;	/* IP and L4 headers */
	u8 proto;
	bool syn, ack, fin, rst;
};

static __always_inline void nflb_untrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
}

/* false if the headers are truncated or inconsistent. */
static __always_inline bool nflb_parse(struct sk_buff *skb, struct nflb_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);

	p->thoff = iph->ihl * 4;
	p->proto = iph->protocol;
	if (p->proto == IPPROTO_TCP) {
		const struct tcphdr *th;

		if (!pskb_may_pull(skb, p->thoff + sizeof(*th)))
			return false;
		th = (const void *)(skb_network_header(skb) + p->thoff);
		if (th->doff < sizeof(*th) / 4 ||
		    p->thoff + th->doff * 4 > skb->len)
			return false;
		p->hlen = p->thoff + th->doff * 4;
		p->sport = th->source;
		p->dport = th->dest;
		p->syn = th->syn;
		p->ack = th->ack;
		p->fin = th->fin;
		p->rst = th->rst;
	} else {
		const struct udphdr *uh;

		if (!pskb_may_pull(skb, p->thoff + sizeof(*uh)))
			return false;
		uh = (const void *)(skb_network_header(skb) + p->thoff);
		p->hlen = p->thoff + sizeof(*uh);
		p->sport = uh->source;
		p->dport = uh->dest;
	}
	iph = ip_hdr(skb);	/* the pull may have moved the head */
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	return true;
}

/*
 * A GRO aggregate stands for gso_segs packets on the wire, each with its
 * own headers: count them as such, so that counters do not depend on
 * whether the receiving device aggregates.  @len is the IP length before
 * any rewrite (a rewrite does not change it).
 */
static __always_inline void nflb_count(struct nflb_conn *c,
				       const struct sk_buff *skb,
				       const struct nflb_pkt *p, bool in,
				       unsigned int len, bool new_conn)
{
	struct nflb_backend *be = c->be;
	unsigned int pkts = 1;

	if (skb_is_gso(skb)) {
		pkts = max_t(unsigned int, skb_shinfo(skb)->gso_segs, 1);
		len += (pkts - 1) * p->hlen;
	}
	nflb_stats_add(be->svc->stats, in, pkts, len, new_conn);
	nflb_stats_add(be->stats, in, pkts, len, new_conn);
}

static unsigned int nflb_drop(struct nflb_net *nn, struct sk_buff *skb,
			      const struct nflb_pkt *p,
			      enum nflb_drop_reason why, bool reset)
{
	nflb_drop_count(nn, why);
	if (reset && p->proto == IPPROTO_TCP)
		nflb_nat_send_reset(nn->net, skb);
	return NF_DROP;
}

/* Client to backend: the destination becomes the backend. */
static __always_inline unsigned int
nflb_forward(struct nflb_net *nn, struct sk_buff *skb,
	     const struct nflb_pkt *p, struct nflb_conn *c, bool new_conn)
{
	unsigned int len = skb->len;

	if (unlikely(nflb_nat_mangle(skb, p->thoff, p->proto, false,
				     c->baddr, c->bport)))
		return nflb_drop(nn, skb, p, NFLB_DROP_XMIT, false);
	/* Whatever route came with it was for the VIP. */
	if (unlikely(skb_dst(skb)))
		skb_dst_drop(skb);
	nflb_untrack(skb);
	nflb_count(c, skb, p, true, len, new_conn);
	return NF_ACCEPT;
}

static bool nflb_tcp_starts(const struct nflb_pkt *p)
{
	return p->syn && !p->ack && !p->rst && !p->fin;
}

/*
 * A packet that may start a connection and matches no live entry (or
 * matches @old, which it replaces).  Returns the verdict.
 */
static unsigned int nflb_new(struct nflb_net *nn, struct sk_buff *skb,
			     const struct nflb_pkt *p, struct nflb_conn *old)
{
	struct nflb_conn_table *t = nn->conns;
	struct nflb_conn *c, *tmpl = NULL;
	struct nflb_backend *be = NULL;
	union nf_inet_addr vip = { .ip = p->daddr };
	struct nflb_service *svc;
	unsigned long persist;
	unsigned int state;
	bool created;

	svc = nflb_svc_lookup(nn, AF_INET, p->proto, &vip, p->dport);
	if (!svc || svc->mode != NFLB_FWD_NAT)
		return NF_ACCEPT;
	/* A mid-stream TCP packet we know nothing of: reset it, so that the
	 * client fails fast instead of retransmitting into a black hole.
	 */
	if (p->proto == IPPROTO_TCP && !nflb_tcp_starts(p))
		return nflb_drop(nn, skb, p, NFLB_DROP_NO_CONN, true);

	persist = READ_ONCE(svc->persist) * HZ;
	if (persist) {
		tmpl = nflb_conn_tmpl_find(t, p->proto, p->saddr, p->daddr,
					   p->dport);
		/* A draining or deleted backend takes no new connection,
		 * not even from a client it used to have.
		 */
		if (tmpl && !nflb_conn_be_gone(tmpl) &&
		    READ_ONCE(tmpl->be->weight)) {
			be = tmpl->be;
			nflb_conn_touch(tmpl, persist);
		}
	}
	if (!be) {
		struct nflb_flow flow = {
			.saddr.ip = p->saddr,
			.daddr.ip = p->daddr,
			.sport = p->sport,
			.dport = p->dport,
			.family = AF_INET,
			.proto = p->proto,
		};

		be = nflb_sched_pick(svc, &flow);
		/* No backend: reset TCP clients rather than let them
		 * retransmit SYNs for a minute.
		 */
		if (!be || READ_ONCE(be->dead))
			return nflb_drop(nn, skb, p, NFLB_DROP_NO_BACKEND,
					 true);
		if (persist)
			/* Failure only costs persistence for this client. */
			nflb_conn_new(t, p->proto, p->saddr, 0, p->daddr,
				      p->dport, be, NFLB_CONN_F_TEMPLATE,
				      NFLB_CONN_NONE, persist, tmpl, &created);
	}

	state = p->proto == IPPROTO_TCP ? NFLB_CONN_SYN_SENT : NFLB_CONN_NONE;
	c = nflb_conn_new(t, p->proto, p->saddr, p->sport, p->daddr, p->dport,
			  be, 0, state, nflb_conn_timeout(nn, state, p->proto),
			  old, &created);
	if (IS_ERR(c))
		return nflb_drop(nn, skb, p, PTR_ERR(c) == -ENOSPC ?
				 NFLB_DROP_CONN_LIMIT : NFLB_DROP_NO_MEM,
				 false);
	return nflb_forward(nn, skb, p, c, created);
}

/* Client to backend, for a known connection. */
static unsigned int nflb_request(struct nflb_net *nn, struct sk_buff *skb,
				 const struct nflb_pkt *p, struct nflb_conn *c)
{
	bool gone = nflb_conn_be_gone(c);
	unsigned int st;

	if (p->proto == IPPROTO_TCP) {
		st = nflb_conn_state(c);
		/* A new SYN where the old connection is over (or its backend
		 * is gone) starts a new connection now; no stall.
		 */
		if (nflb_tcp_starts(p) &&
		    (gone || st == NFLB_CONN_TIME_WAIT ||
		     st == NFLB_CONN_CLOSE || st == NFLB_CONN_LAST_ACK))
			return nflb_new(nn, skb, p, c);
		/* The backend is deleted: reset the client so that it does
		 * not wait for a timeout, and drop.
		 */
		if (unlikely(gone))
			return nflb_drop(nn, skb, p, NFLB_DROP_BACKEND_GONE,
					 true);
		st = nflb_tcp_next_state(st, false, p->syn, p->ack, p->fin,
					 p->rst);
		nflb_conn_set_state(c, st);
	} else {
		/* UDP of a deleted backend: dropped until the collector
		 * unlinks the entry (at once, kicked by the deletion); the
		 * next datagram then is scheduled anew.
		 */
		if (unlikely(gone))
			return nflb_drop(nn, skb, p, NFLB_DROP_BACKEND_GONE,
					 false);
		st = NFLB_CONN_NONE;
	}
	nflb_conn_touch(c, nflb_conn_timeout(nn, st, p->proto));
	return nflb_forward(nn, skb, p, c, false);
}

/* Backend to client: routed as it came, then the source becomes the VIP. */
static unsigned int nflb_reply(struct nflb_net *nn, struct sk_buff *skb,
			       const struct nflb_pkt *p, struct nflb_conn *c)
{
	unsigned int len = skb->len;
	unsigned int st;

	if (unlikely(nflb_conn_be_gone(c)))
		return nflb_drop(nn, skb, p, NFLB_DROP_BACKEND_GONE, false);
	if (p->proto == IPPROTO_TCP) {
		st = nflb_tcp_next_state(nflb_conn_state(c), true, p->syn,
					 p->ack, p->fin, p->rst);
		nflb_conn_set_state(c, st);
	} else {
		st = NFLB_CONN_NONE;
	}
	nflb_conn_touch(c, nflb_conn_timeout(nn, st, p->proto));

	if (!skb_valid_dst(skb)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (ip_route_input_noref(skb, iph->daddr, iph->saddr,
					 iph->tos, skb->dev))
			return nflb_drop(nn, skb, p, NFLB_DROP_XMIT, false);
	}
	if (unlikely(nflb_nat_mangle(skb, p->thoff, p->proto, true,
				     c->vaddr, c->vport)))
		return nflb_drop(nn, skb, p, NFLB_DROP_XMIT, false);
	nflb_untrack(skb);
	nflb_count(c, skb, p, false, len, false);
	return NF_ACCEPT;
}

/*
 * An ICMP error quoting a packet of a connection is translated like that
 * packet, or its receiver cannot match it to a socket: "port unreachable"
 * from a backend must reach the client as from the VIP, "fragmentation
 * needed" about a reply must reach the backend.  The checksums of the
 * quoted L4 header are left alone: they cover data that is not quoted, and
 * no receiver checks them.
 */
static unsigned int nflb_icmp(struct nflb_net *nn, struct sk_buff *skb)
{
	unsigned int thoff = ip_hdrlen(skb), ioff, poff;
	struct nflb_conn_table *t = nn->conns;
	struct iphdr *iph, *inner;
	struct icmphdr *ih;
	struct nflb_conn *c;
	__be16 *ports;		/* the quoted source and destination port */
	bool toward_client;

	if (!pskb_may_pull(skb, thoff + sizeof(*ih)))
		return NF_ACCEPT;
	ih = (void *)(skb_network_header(skb) + thoff);
	if (ih->type != ICMP_DEST_UNREACH && ih->type != ICMP_TIME_EXCEEDED &&
	    ih->type != ICMP_PARAMETERPROB)
		return NF_ACCEPT;
	ioff = thoff + sizeof(*ih);
	if (!pskb_may_pull(skb, ioff + sizeof(*inner)))
		return NF_ACCEPT;
	inner = (void *)(skb_network_header(skb) + ioff);
	if (inner->ihl < 5 || (inner->frag_off & htons(IP_OFFSET)) ||
	    (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP))
		return NF_ACCEPT;
	poff = ioff + inner->ihl * 4;
	if (!pskb_may_pull(skb, poff + 2 * sizeof(__be16)))
		return NF_ACCEPT;
	inner = (void *)(skb_network_header(skb) + ioff);
	ports = (void *)(skb_network_header(skb) + poff);

	/* About a request, client -> backend: the error goes to the client. */
	c = nflb_conn_out_find(t, inner->protocol, inner->daddr, ports[1],
			       inner->saddr, ports[0]);
	toward_client = !!c;
	/* About a reply, VIP -> client: the error goes to the backend. */
	if (!c)
		c = nflb_conn_in_find(t, inner->protocol, inner->daddr,
				      ports[1], inner->saddr, ports[0]);
	if (!c || nflb_conn_be_gone(c))
		return NF_ACCEPT;

	if (toward_client && !skb_valid_dst(skb)) {
		iph = ip_hdr(skb);
		/* Routed as it came, as replies are (see the top). */
		if (ip_route_input_noref(skb, iph->daddr, iph->saddr,
					 iph->tos, skb->dev)) {
			nflb_drop_count(nn, NFLB_DROP_XMIT);
			return NF_DROP;
		}
	}
	if (skb_ensure_writable(skb, poff + 2 * sizeof(__be16))) {
		nflb_drop_count(nn, NFLB_DROP_XMIT);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	inner = (void *)(skb_network_header(skb) + ioff);
	ports = (void *)(skb_network_header(skb) + poff);
	ih = (void *)(skb_network_header(skb) + thoff);
	if (toward_client) {
		csum_replace4(&inner->check, inner->daddr, c->vaddr);
		inner->daddr = c->vaddr;
		ports[1] = c->vport;
		/* Sent by the backend itself: it must come from the VIP. */
		if (iph->saddr == c->baddr) {
			csum_replace4(&iph->check, iph->saddr, c->vaddr);
			iph->saddr = c->vaddr;
		}
	} else {
		csum_replace4(&inner->check, inner->saddr, c->baddr);
		inner->saddr = c->baddr;
		ports[0] = c->bport;
		if (iph->daddr == c->vaddr) {
			csum_replace4(&iph->check, iph->daddr, c->baddr);
			iph->daddr = c->baddr;
			if (skb_dst(skb))
				skb_dst_drop(skb);
		}
	}
	/* Errors are small and rare: sum the message again. */
	ih->checksum = 0;
	ih->checksum = csum_fold(skb_checksum(skb, thoff, skb->len - thoff, 0));
	skb->ip_summed = CHECKSUM_NONE;
	nflb_untrack(skb);
	return NF_ACCEPT;
}

static unsigned int nflb_hook_pre(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct nflb_net *nn = nflb_pernet(state->net);
	struct nflb_conn_table *t = nn->conns;
	const struct iphdr *iph = ip_hdr(skb);
	struct nflb_conn *c;
	struct nflb_pkt p;

	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP &&
	    iph->protocol != IPPROTO_ICMP)
		return NF_ACCEPT;
	/* A namespace with nothing configured pays two loads. */
	if (!READ_ONCE(nn->num_services) && !atomic_read(&t->count))
		return NF_ACCEPT;
	/* Fragments are reassembled before us; one that is not has no
	 * ports to look at.  Other hosts' and broadcast frames are not ours.
	 */
	if (ip_is_fragment(iph) || skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (iph->protocol == IPPROTO_ICMP)
		return atomic_read(&t->count) ? nflb_icmp(nn, skb) : NF_ACCEPT;
	if (unlikely(!nflb_parse(skb, &p))) {
		nflb_drop_count(nn, NFLB_DROP_MALFORMED);
		return NF_DROP;
	}

	c = nflb_conn_in_find(t, p.proto, p.saddr, p.sport, p.daddr, p.dport);
	if (c)
		return nflb_request(nn, skb, &p, c);
	c = nflb_conn_out_find(t, p.proto, p.saddr, p.sport, p.daddr, p.dport);
	if (c)
		return nflb_reply(nn, skb, &p, c);
	return nflb_new(nn, skb, &p, NULL);
}

static const struct nf_hook_ops nflb_nf_ops[] = {
	{
		.hook		= nflb_hook_pre,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		/* After defrag and the raw table, before conntrack. */
		.priority	= NF_IP_PRI_RAW + 1,
	},
};

int nflb_hooks_net_init(struct nflb_net *nn)
{
	int err;

	err = nf_defrag_ipv4_enable(nn->net);
	if (err)
		return err;
	err = nf_register_net_hooks(nn->net, nflb_nf_ops,
				    ARRAY_SIZE(nflb_nf_ops));
	if (err)
		nf_defrag_ipv4_disable(nn->net);
	return err;
}

void nflb_hooks_net_exit(struct nflb_net *nn)
{
	nf_unregister_net_hooks(nn->net, nflb_nf_ops, ARRAY_SIZE(nflb_nf_ops));
	nf_defrag_ipv4_disable(nn->net);
}
