// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: a PRE_ROUTING and a LOCAL_OUT hook, before conntrack,
 * in each namespace that has had a service (nflb_net_activate()), and the
 * fast path's at each device's ingress; the others have no hook of ours
 * at all.  Fragments of TCP, UDP and ICMP are reassembled
 * here (so a UDP datagram larger than the MTU is whole, and leaves in
 * fragments again) while nflb has something configured in the namespace,
 * without a defragmentation hook of its own.  With conntrack in use its
 * own defragmentation comes first, and we see whole packets only.
 *
 * Requests (client -> VIP:port) are sent to their backend from here, in
 * every mode (xmit.c): routed from a per-backend route cache, in NAT with
 * the backend's address and port as destination, and stolen from the hook.
 * Replies (backend -> client, NAT only) are routed by the stack, with the
 * addresses they arrived with, and only then get the VIP as source:
 * routing a packet whose source is an address of this host would refuse
 * it as a martian when the VIP is configured locally.  The stack then
 * forwards them like any packet.  A NAT backend that is this host answers
 * through LOCAL_OUT, where its replies get the VIP the same way.
 *
 * Packets we rewrite are marked untracked: conntrack, if it is loaded,
 * leaves them alone, and nflb needs nothing from it.
 *
 * Modes dr and tun see only the client's side of a connection (replies go
 * from the backend straight to the client): the connection's TCP state
 * follows the client's flags alone (nflb_tcp_next_state_oneway()).
 * ICMP errors are handled in icmp.c.
 */
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/dst_metadata.h>
#include <net/ip.h>
#include <net/ip_fib.h>
#include <net/route.h>

#include "conn.h"
#include "icmp.h"
#include "mss.h"
#include "nat.h"
#include "xmit.h"

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

/* false if the headers are truncated or inconsistent. */
static __always_inline bool nflb_parse(struct sk_buff *skb, struct nflb_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);

	p->thoff = iph->ihl * 4;
	p->proto = iph->protocol;
	if (p->proto == IPPROTO_TCP) {
		const struct tcphdr *th;

		if (!nflb_may_pull(skb, p->thoff + sizeof(*th)))
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

		if (!nflb_may_pull(skb, p->thoff + sizeof(*uh)))
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
 * any rewrite or encapsulation.
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

static bool nflb_tcp_starts(const struct nflb_pkt *p)
{
	return p->syn && !p->ack && !p->rst && !p->fin;
}

/*
 * "mss-clamp": the MSS option of a client's SYN lowered to the service's
 * ceiling, or with "auto" to what fits the route toward the backend once
 * the tunnel's headers are added.  Only ever lowered; a SYN without the
 * option goes as it is (in a malformed list, only an MSS option before the
 * fault is read, and lowered).  false if the header could not be made
 * writable (the caller drops the packet).
 */
static bool nflb_clamp_syn(struct nflb_net *nn, struct sk_buff *skb,
			   const struct nflb_pkt *p, struct nflb_backend *be)
{
	struct nflb_service *svc = be->svc;
	u8 mss_mode = READ_ONCE(svc->mss_mode);
	unsigned int mtu;
	u16 ceiling;

	if (likely(mss_mode == NFLB_MSS_OFF))
		return true;
	if (mss_mode == NFLB_MSS_FIXED) {
		ceiling = READ_ONCE(svc->mss);
	} else {
		mtu = nflb_xmit_route_mtu(nn->net, be);
		if (!mtu)
			return true;	/* no route: the send fails anyway */
		ceiling = nflb_mss_for_mtu(mtu,
					   nflb_encap_overhead(READ_ONCE(svc->mode),
							       READ_ONCE(svc->tunnel)));
	}
	return nflb_mss_clamp(skb, p->thoff, AF_INET, ceiling, false) !=
	       NFLB_MSS_NOMEM;
}

/* Client to backend: sent to it (xmit.c), in NAT with the backend as its
 * destination.
 */
static __always_inline unsigned int
nflb_forward(struct nflb_net *nn, struct sk_buff *skb,
	     const struct nflb_pkt *p, struct nflb_conn *c, bool new_conn,
	     bool fast)
{
	unsigned int len = skb->len;

	if (p->proto == IPPROTO_TCP && unlikely(p->syn && !p->ack) &&
	    unlikely(!nflb_clamp_syn(nn, skb, p, c->be)))
		return nflb_drop(nn, skb, p, NFLB_DROP_XMIT, false);
	/* Counted before it goes: the skb is not ours after. */
	nflb_count(c, skb, p, true, len, new_conn);
	if (READ_ONCE(c->be->svc->mode) == NFLB_FWD_NAT) {
		struct nflb_dnat nat = {
			.thoff = p->thoff,
			.addr = c->baddr,
			.port = c->bport,
			.proto = p->proto,
		};

		return nflb_xmit(nn, skb, c->be, &nat, fast);
	}
	return nflb_xmit(nn, skb, c->be, NULL, fast);
}

/*
 * Whether input routing would take the first packet of a connection from
 * its source.  We send requests from PRE_ROUTING, so the stack's checks of
 * the source never run on them; IPVS's requests passed them on their way
 * to LOCAL_IN.  Refused: a martian source (loopback unless route_localnet,
 * multicast, broadcast, 0/8, an address of this host unless accept_local)
 * and, with rp_filter on the receiving device, one not routed back that
 * way.  Once per connection, not per packet.
 */
static int nflb_source_check(struct nflb_net *nn, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct net_device *dev = skb->dev;
	struct net *net = dev_net(dev);
	struct in_device *in_dev;
	__be32 saddr = iph->saddr;
	__be32 local;
	int err;

	/* Looped back from this host: routed already. */
	if (skb_valid_dst(skb))
		return 0;
	in_dev = __in_dev_get_rcu(dev);
	if (!in_dev)
		return -EINVAL;
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) ||
	    ipv4_is_zeronet(saddr) ||
	    (ipv4_is_loopback(saddr) && !IN_DEV_NET_ROUTE_LOCALNET(in_dev, net)))
		return -EINVAL;
	/* Where fib_validate_source() takes its short way, so do we: the
	 * source only must not be ours.
	 */
	if (!IN_DEV_RPFILTER(in_dev) && !IN_DEV_ACCEPT_LOCAL(in_dev) &&
	    !fib_num_tclassid_users(net) &&
	    !net->ipv4.fib_has_custom_local_routes &&
	    !fib4_has_custom_rules(net))
		return nflb_local_has(nn, saddr) ? -EINVAL : 0;
	/* Otherwise the whole of it: the packet routed as if addressed to
	 * this host (the receiving device's address; the VIP's own route,
	 * which we do not use, does not matter).  Only the verdict is
	 * wanted: the packet goes on without a route, as it came.
	 */
	local = inet_select_addr(dev, 0, RT_SCOPE_LINK);
	err = ip_route_input_noref(skb, local ?: iph->daddr, saddr, iph->tos,
				   dev);
	skb_dst_drop(skb);
	return err;
}

/* The service a packet is addressed to, if any; RCU read side. */
static struct nflb_service *nflb_pkt_svc(struct nflb_net *nn,
					 const struct nflb_pkt *p)
{
	union nf_inet_addr vip = { .ip = p->daddr };

	return nflb_svc_lookup(nn, AF_INET, p->proto, &vip, p->dport);
}

/*
 * What nflb_new() does with a packet it turns down.  From the ingress
 * (@fast) nothing: it goes on to PRE_ROUTING, which turns it down again
 * and counts, answers and drops it there, once.
 */
static unsigned int nflb_refuse(struct nflb_net *nn, struct sk_buff *skb,
				const struct nflb_pkt *p,
				enum nflb_drop_reason why, bool reset, bool fast)
{
	return fast ? NF_ACCEPT : nflb_drop(nn, skb, p, why, reset);
}

/*
 * A packet to @svc that may start a connection and matches no live entry
 * (or matches @old, which it replaces).  Returns the verdict.
 */
static unsigned int nflb_new(struct nflb_net *nn, struct sk_buff *skb,
			     const struct nflb_pkt *p,
			     struct nflb_service *svc, struct nflb_conn *old,
			     bool fast)
{
	struct nflb_conn_table *t = nn->conns;
	struct nflb_conn *c, *tmpl = NULL;
	struct nflb_backend *be = NULL;
	unsigned long persist;
	unsigned int state;
	bool created;
	int err;

	/* Before any answer (a reset below): never to a martian. */
	err = nflb_source_check(nn, skb);
	if (unlikely(err))
		return nflb_refuse(nn, skb, p, err == -ENOBUFS ?
				   NFLB_DROP_NO_MEM : NFLB_DROP_SOURCE, false,
				   fast);
	/* A mid-stream TCP packet we know nothing of: reset it, so that the
	 * client fails fast instead of retransmitting into a black hole.
	 */
	if (p->proto == IPPROTO_TCP && !nflb_tcp_starts(p))
		return nflb_refuse(nn, skb, p, NFLB_DROP_NO_CONN, true, fast);

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
			return nflb_refuse(nn, skb, p, NFLB_DROP_NO_BACKEND,
					   true, fast);
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
		return nflb_refuse(nn, skb, p, PTR_ERR(c) == -ENOSPC ?
				   NFLB_DROP_CONN_LIMIT : NFLB_DROP_NO_MEM,
				   false, fast);
	return nflb_forward(nn, skb, p, c, created, fast);
}

/* Client to backend, for a known connection; @fast: from the ingress. */
static __always_inline unsigned int
nflb_request(struct nflb_net *nn, struct sk_buff *skb,
	     const struct nflb_pkt *p, struct nflb_conn *c, bool fast)
{
	bool gone = nflb_conn_be_gone(c);
	unsigned int st;
	bool oneway;

	if (p->proto == IPPROTO_TCP) {
		st = nflb_conn_state(c);
		/* Without replies to follow (dr, tun), FIN_WAIT is the
		 * client's side closed: a SYN after it is a new connection.
		 */
		oneway = READ_ONCE(c->be->svc->mode) != NFLB_FWD_NAT;
		/* A new SYN where the old connection is over (or its backend
		 * is gone) starts a new connection now; no stall.
		 */
		if (nflb_tcp_starts(p) &&
		    (gone || st == NFLB_CONN_TIME_WAIT ||
		     st == NFLB_CONN_CLOSE || st == NFLB_CONN_LAST_ACK ||
		     (oneway && st == NFLB_CONN_FIN_WAIT))) {
			struct nflb_service *svc = nflb_pkt_svc(nn, p);

			/* (The service may be gone: the SYN goes on.) */
			return svc ? nflb_new(nn, skb, p, svc, c, fast) :
				     NF_ACCEPT;
		}
		/* The backend is deleted: reset the client so that it does
		 * not wait for a timeout, and drop.
		 */
		if (unlikely(gone))
			return nflb_drop(nn, skb, p, NFLB_DROP_BACKEND_GONE,
					 true);
		if (oneway)
			st = nflb_tcp_next_state_oneway(st, p->syn, p->ack,
							p->fin, p->rst);
		else
			st = nflb_tcp_next_state(st, false, p->syn, p->ack,
						 p->fin, p->rst);
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
	return nflb_forward(nn, skb, p, c, false, fast);
}

/* Backend to client: routed as it came, then the source becomes the VIP. */
static unsigned int nflb_reply(struct nflb_net *nn, struct sk_buff *skb,
			       const struct nflb_pkt *p, struct nflb_conn *c)
{
	unsigned int len = skb->len;
	unsigned int st;

	if (unlikely(nflb_conn_be_gone(c)))
		return nflb_drop(nn, skb, p, NFLB_DROP_BACKEND_GONE, false);
	/* dr and tun backends answer from the VIP, and not through us: a
	 * packet from a backend's own address is not theirs to rewrite.
	 */
	if (unlikely(READ_ONCE(c->be->svc->mode) != NFLB_FWD_NAT))
		return NF_ACCEPT;
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

static unsigned int nflb_hook_pre(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct nflb_net *nn = nflb_pernet(state->net);
	struct nflb_conn_table *t = nn->conns;
	const struct iphdr *iph = ip_hdr(skb);
	struct nflb_service *svc;
	struct nflb_conn *c;
	struct nflb_pkt p;

	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP &&
	    iph->protocol != IPPROTO_ICMP)
		return NF_ACCEPT;
	/* Nothing configured here (any longer): two loads. */
	if (!READ_ONCE(nn->num_services) && !atomic_read(&t->count))
		return NF_ACCEPT;
	/* Other hosts' and broadcast frames are not ours. */
	if (skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (unlikely(ip_is_fragment(iph))) {
		/* Queued until the datagram is whole (or dropped).  The
		 * queue is the one conntrack's defragmentation would use at
		 * PRE_ROUTING: the same packets, reassembled once.
		 */
		if (ip_defrag(state->net, skb, IP_DEFRAG_CONNTRACK_IN))
			return NF_STOLEN;
		/* As after conntrack's: the fragments' sizes, not DF, tell
		 * what may leave (IPCB()->frag_max_size).
		 */
		skb->ignore_df = 1;
		iph = ip_hdr(skb);
	}
	if (iph->protocol == IPPROTO_ICMP)
		return nflb_icmp(nn, skb);
	if (unlikely(!nflb_parse(skb, &p))) {
		nflb_drop_count(nn, NFLB_DROP_MALFORMED);
		return NF_DROP;
	}

	c = nflb_conn_in_find(t, p.proto, p.saddr, p.sport, p.daddr, p.dport);
	if (c)
		return nflb_request(nn, skb, &p, c, false);
	/* A packet to a service is a request: a reply goes to a client,
	 * never to a VIP and service port.  So a new connection costs one
	 * lookup of the table, not two (a UDP datagram could otherwise be
	 * either); a reply costs one of the services more, as in IPVS.
	 */
	svc = nflb_pkt_svc(nn, &p);
	if (svc)
		return nflb_new(nn, skb, &p, svc, NULL, false);
	/* A backend never sends a bare SYN on a connection (it answers
	 * with SYN-ACK): a bare SYN is no reply.
	 */
	if (p.proto == IPPROTO_TCP && nflb_tcp_starts(&p))
		return NF_ACCEPT;
	c = nflb_conn_out_find(t, p.proto, p.saddr, p.sport, p.daddr, p.dport);
	return c ? nflb_reply(nn, skb, &p, c) : NF_ACCEPT;
}

/*
 * What this host sends.  A NAT backend that is this host answers from its
 * own address: the reply gets the VIP as its source here, as a reply
 * forwarded from any other backend does at PRE_ROUTING, and is routed
 * again if its new source could route it elsewhere (rules by source).
 * ICMP errors about balanced flows leave untracked (icmp.c).  For
 * anything else, with entries, a parse and a lookup.
 */
static unsigned int nflb_hook_local_out(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int verdict;
	struct nflb_net *nn;
	struct nflb_conn *c;
	struct nflb_pkt p;

	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP &&
	    iph->protocol != IPPROTO_ICMP)
		return NF_ACCEPT;
	nn = nflb_pernet(state->net);
	if (!atomic_read(&nn->conns->count))
		return NF_ACCEPT;
	if (iph->protocol == IPPROTO_ICMP)
		return nflb_icmp_local_out(nn, skb);
	if (ip_is_fragment(iph) || !nflb_parse(skb, &p))
		return NF_ACCEPT;
	c = nflb_conn_out_find(nn->conns, p.proto, p.saddr, p.sport, p.daddr,
			       p.dport);
	if (!c)
		return NF_ACCEPT;
	verdict = nflb_reply(nn, skb, &p, c);
	if (verdict == NF_ACCEPT && fib4_has_custom_rules(state->net) &&
	    ip_route_me_harder(state->net, state->sk, skb, RTN_UNSPEC))
		return nflb_drop(nn, skb, &p, NFLB_DROP_XMIT, false);
	return verdict;
}

/*
 * Whether nothing but @ours (NULL: nothing at all) is hooked at @hook in
 * @net: then a packet that skips the hook misses nothing.  (A hook being
 * removed leaves a placeholder meanwhile: it counts as one.)
 */
static bool nflb_hook_quiet(const struct net *net, unsigned int hook,
			    nf_hookfn *ours)
{
	const struct nf_hook_entries *e;

	e = rcu_dereference(net->nf.hooks_ipv4[hook]);
	return !e || (e->num_hook_entries == 1 && e->hooks[0].hook == ours);
}

/* The fast path's work on a packet that is ours to change. */
static __always_inline unsigned int nflb_ingress_take(struct nflb_net *nn,
						      struct sk_buff *skb,
						      struct net *net)
{
	struct nflb_service *svc;
	const struct iphdr *iph;
	struct nflb_conn *c;
	struct nflb_pkt p;

	if (!nflb_may_pull(skb, sizeof(*iph)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	/* Anything the receive path would refuse, trim or reassemble is
	 * left to it (and a bad packet to be dropped there).
	 */
	if (iph->version != 4 || iph->ihl != 5 || ip_is_fragment(iph) ||
	    (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP) ||
	    ntohs(iph->tot_len) != skb->len ||
	    unlikely(ip_fast_csum((const u8 *)iph, iph->ihl)))
		return NF_ACCEPT;
	if (!nflb_parse(skb, &p))
		return NF_ACCEPT;
	c = nflb_conn_in_find(nn->conns, p.proto, p.saddr, p.sport, p.daddr,
			      p.dport);
	if (c) {
		/* A SYN on an entry may start a connection over it. */
		if ((p.proto == IPPROTO_TCP && p.syn) || nflb_conn_be_gone(c))
			return NF_ACCEPT;
		svc = c->be->svc;
	} else {
		/* A new connection: a bare SYN or a datagram to a service. */
		if (p.proto == IPPROTO_TCP && !nflb_tcp_starts(&p))
			return NF_ACCEPT;
		svc = nflb_pkt_svc(nn, &p);
		if (!svc)
			return NF_ACCEPT;
	}

	if (READ_ONCE(svc->mode) == NFLB_FWD_TUN ?
	    !nflb_hook_quiet(net, NF_INET_LOCAL_OUT, nflb_hook_local_out) :
	    !nflb_hook_quiet(net, NF_INET_FORWARD, NULL))
		return NF_ACCEPT;

	/* As ip_rcv_core() leaves a packet. */
	skb->transport_header = skb->network_header + p.thoff;
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	IPCB(skb)->iif = skb->skb_iif;
	if (c)
		return nflb_request(nn, skb, &p, c, true);
	return nflb_new(nn, skb, &p, svc, NULL, true);
}

/*
 * Whether NAT rewrote @nskb, a clone of @skb: its destination address or
 * port differs.  Both read through skb_header_pointer(): the original is
 * not ours to pull.
 */
static bool nflb_dest_differs(const struct sk_buff *skb,
			      const struct sk_buff *nskb)
{
	struct {
		struct iphdr ip;
		__be16 ports[2];
	} _a, _b;
	const typeof(_a) *a, *b;

	a = skb_header_pointer(skb, 0, sizeof(_a), &_a);
	b = skb_header_pointer(nskb, 0, sizeof(_b), &_b);
	return a && b && a->ip.ihl == 5 && b->ip.ihl == 5 &&
	       (a->ip.daddr != b->ip.daddr || a->ports[1] != b->ports[1]);
}

/*
 * A packet that someone else holds too (a tap such as tcpdump's, a
 * generator such as pktgen, which keeps its last packet until it makes the
 * next): not ours to change, so, as ip_rcv() does, a clone of it is taken
 * in its place.  Our reference to the original follows the clone's fate:
 * let go if the clone was sent (or goes up the stack for a NAT backend on
 * this host, queued as a tunnel's inner packet is), dropped with it, or
 * left to the receive path, untouched, if the clone went nowhere.
 */
static noinline unsigned int nflb_ingress_shared(struct nflb_net *nn,
						 struct sk_buff *skb,
						 struct net *net)
{
	struct sk_buff *nskb;
	unsigned int verdict;

	nskb = skb_clone(skb, GFP_ATOMIC);
	if (!nskb)
		return NF_ACCEPT;
	verdict = nflb_ingress_take(nn, nskb, net);
	switch (verdict & NF_VERDICT_MASK) {
	case NF_ACCEPT:
		/* Rewritten for local delivery (nflb_xmit_local()), or not
		 * taken at all: the destinations tell.
		 */
		if (nflb_dest_differs(skb, nskb)) {
			netif_rx(nskb);
			break;
		}
		consume_skb(nskb);
		return NF_ACCEPT;
	case NF_STOLEN:
		break;
	default:
		kfree_skb(nskb);
		return verdict;
	}
	consume_skb(skb);
	return NF_STOLEN;
}

/*
 * The fast path, at each device's ingress (ingress.c): a client's request
 * is sent from here, before IP's receive path, as the flowtable sends its
 * flows.  Taken only where that changes nothing but the work done: no hook
 * but ours at PRE_ROUTING, none at FORWARD (nat, dr) or none but ours at
 * LOCAL_OUT (tun); POST_ROUTING's hooks still run (nflb_xmit_out()).  A
 * plain IPv4 packet addressed to this host (no options, no fragment, its
 * header checksum right, no VLAN tag, no IPsec state) on a device that is
 * no port of another (a bridge's, bond's or VRF's packets are taken at
 * their master).  A packet of a connection as it goes on (no SYN, which
 * may start a new one over it; a backend still there), or the first of a
 * new one (a bare SYN or a datagram to a service): what is refused (a
 * martian source, no backend, the table full) goes on to be refused at
 * PRE_ROUTING, once.  The rest is what PRE_ROUTING does (nflb_request(),
 * nflb_new(), nflb_xmit()), and a packet that fits its route goes from
 * POST_ROUTING straight to the neighbour.  What does not qualify goes on
 * and is balanced at PRE_ROUTING.
 *
 * What differs is only bookkeeping: such packets are not in the IP MIB
 * counters (/proc/net/snmp), as the flowtable's are not.  The module
 * parameter "fastpath" turns it off.
 */
unsigned int nflb_hook_ingress(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct net_device *dev = skb->dev;
	struct nflb_net *nn = priv;

	if (skb->protocol != htons(ETH_P_IP) ||
	    skb->pkt_type != PACKET_HOST || !READ_ONCE(nflb_fastpath))
		return NF_ACCEPT;
	if (!READ_ONCE(nn->num_services) && !atomic_read(&nn->conns->count))
		return NF_ACCEPT;
	if (skb_vlan_tag_present(skb) || rcu_access_pointer(dev->rx_handler) ||
	    netif_is_l3_slave(dev) || skb_sec_path(skb))
		return NF_ACCEPT;
	/* A load and a compare: before the parse and the lookup, which a
	 * namespace with another PRE_ROUTING hook (conntrack, a raw rule)
	 * would otherwise pay twice for every packet.
	 */
	if (!nflb_hook_quiet(state->net, NF_INET_PRE_ROUTING, nflb_hook_pre))
		return NF_ACCEPT;
	if (unlikely(skb_shared(skb)))
		return nflb_ingress_shared(nn, skb, state->net);
	return nflb_ingress_take(nn, skb, state->net);
}

static const struct nf_hook_ops nflb_nf_ops[] = {
	{
		.hook		= nflb_hook_pre,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		/* After the raw table, before conntrack. */
		.priority	= NF_IP_PRI_RAW + 1,
	},
	{
		.hook		= nflb_hook_local_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		/* Before conntrack. */
		.priority	= NF_IP_PRI_RAW + 1,
	},
};

/* By nflb_net_activate(), under the config lock: once per namespace. */
int nflb_hooks_register(struct nflb_net *nn)
{
	return nf_register_net_hooks(nn->net, nflb_nf_ops,
				     ARRAY_SIZE(nflb_nf_ops));
}

void nflb_hooks_unregister(struct nflb_net *nn)
{
	nf_unregister_net_hooks(nn->net, nflb_nf_ops, ARRAY_SIZE(nflb_nf_ops));
}
