// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about balanced flows.  An error (destination unreachable,
 * fragmentation needed among them; time exceeded; parameter problem)
 * quotes the start of the packet it is about, and only the host that sent
 * that packet can use it: its socket matches the quoted header.
 *
 * NAT: the quoted packet is translated like the packets of its connection,
 * or its receiver cannot match it to a socket: "port unreachable" from a
 * backend must reach the client as from the VIP, "fragmentation needed"
 * about a reply must reach the backend quoting the backend's own address
 * and port.  The checksums of the quoted L4 header are left alone: they
 * cover data that is not quoted, and no receiver checks them.
 *
 * dr and tun: replies go from the backends straight to the clients, so an
 * error about one (from a router on the way back, "fragmentation needed"
 * when the client's side has a smaller MTU) is addressed to the VIP and
 * arrives here.  It goes to the backend that owns the flow as the flow's
 * own packets go, unchanged: the backend holds the VIP and matches it.
 * The owner is the flow's connection entry; without one (a flow that only
 * ever sent replies, or an entry gone) a persistence template or a
 * scheduler that depends on nothing but the flow (sh) still names it.
 *
 * tun also sends packets of its own, the outer ones: "fragmentation
 * needed" about one of those lowers the path MTU toward the backend (see
 * nflb_icmp_tunnel_pmtu()).
 *
 * Offsets here are from skb->data, which at PRE_ROUTING is the IP header.
 */
#include <kunit/visibility.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/dst_metadata.h>
#include <net/ip.h>
#include <net/route.h>

#include "conn.h"
#include "icmp.h"
#include "xmit.h"

/*
 * Reads an ICMP error and the packet it quotes, pulling into the linear
 * area what later steps look at: for TCP and UDP the ports, else the
 * quoted IP header.  false for anything else: other ICMP types, a quote of
 * a non-first fragment (no L4 header), a truncated one.
 */
VISIBLE_IF_KUNIT bool nflb_icmp_parse(struct sk_buff *skb,
				      struct nflb_icmp_quote *q)
{
	const struct iphdr *inner;
	const struct icmphdr *ih;
	unsigned int need;

	q->thoff = ip_hdrlen(skb);
	if (!pskb_may_pull(skb, q->thoff + sizeof(*ih)))
		return false;
	ih = (const void *)(skb->data + q->thoff);
	if (ih->type != ICMP_DEST_UNREACH && ih->type != ICMP_TIME_EXCEEDED &&
	    ih->type != ICMP_PARAMETERPROB)
		return false;
	q->type = ih->type;
	q->code = ih->code;
	q->mtu = ih->un.frag.mtu;
	q->ioff = q->thoff + sizeof(*ih);
	if (!pskb_may_pull(skb, q->ioff + sizeof(*inner)))
		return false;
	inner = (const void *)(skb->data + q->ioff);
	if (inner->version != 4 || inner->ihl < 5 ||
	    (inner->frag_off & htons(IP_OFFSET)))
		return false;
	q->poff = q->ioff + inner->ihl * 4;
	q->proto = inner->protocol;
	need = q->poff;
	if (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP)
		need += 2 * sizeof(__be16);
	if (!pskb_may_pull(skb, need))
		return false;
	inner = (const void *)(skb->data + q->ioff);	/* the pull may move it */
	q->saddr = inner->saddr;
	q->daddr = inner->daddr;
	q->sport = 0;
	q->dport = 0;
	if (need > q->poff) {
		const __be16 *ports = (const void *)(skb->data + q->poff);

		q->sport = ports[0];
		q->dport = ports[1];
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_icmp_parse);

/* NAT: translate the error like its connection's packets (see the top). */
static unsigned int nflb_icmp_nat(struct nflb_net *nn, struct sk_buff *skb,
				  const struct nflb_icmp_quote *q,
				  struct nflb_conn *c, bool toward_client)
{
	struct iphdr *iph, *inner;
	struct icmphdr *ih;
	__be16 *ports;

	if (toward_client && !skb_valid_dst(skb)) {
		iph = ip_hdr(skb);
		/* Routed as it came, as replies are (hooks.c). */
		if (ip_route_input_noref(skb, iph->daddr, iph->saddr,
					 iph->tos, skb->dev)) {
			nflb_drop_count(nn, NFLB_DROP_XMIT);
			return NF_DROP;
		}
	}
	if (skb_ensure_writable(skb, q->poff + 2 * sizeof(__be16))) {
		nflb_drop_count(nn, NFLB_DROP_XMIT);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	ih = (void *)(skb->data + q->thoff);
	inner = (void *)(skb->data + q->ioff);
	ports = (void *)(skb->data + q->poff);
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
	ih->checksum = csum_fold(skb_checksum(skb, q->thoff,
					      skb->len - q->thoff, 0));
	skb->ip_summed = CHECKSUM_NONE;
	nflb_untrack(skb);
	return NF_ACCEPT;
}

/*
 * dr/tun, no connection entry: the backend the flow went to, if that can
 * still be told.  The quoted packet is a reply, VIP -> client; the flow
 * the scheduler saw is the reverse.
 */
static struct nflb_backend *nflb_icmp_owner(struct nflb_net *nn,
					    struct nflb_service *svc,
					    const struct nflb_icmp_quote *q)
{
	struct nflb_sched_state *st;
	struct nflb_backend *be;
	struct nflb_conn *tmpl;

	if (READ_ONCE(svc->persist)) {
		tmpl = nflb_conn_tmpl_find(nn->conns, q->proto, q->daddr,
					   q->saddr, q->sport);
		if (tmpl && !nflb_conn_be_gone(tmpl))
			return tmpl->be;
	}
	/* Only a by_flow scheduler can be asked again: any other's pick
	 * depends on its state (and moves it).
	 */
	st = rcu_dereference(svc->sched_state);
	if (st && st->ops->by_flow) {
		struct nflb_flow flow = {
			.saddr.ip = q->daddr,
			.daddr.ip = q->saddr,
			.sport = q->dport,
			.dport = q->sport,
			.family = AF_INET,
			.proto = q->proto,
		};

		be = nflb_sched_pick(svc, &flow);
		if (be && !READ_ONCE(be->dead))
			return be;
	}
	return NULL;
}

/*
 * "Fragmentation needed" about an outer packet of ours: a router between
 * this host and a tun backend has a smaller MTU.  Neither the kernel's
 * ipip error handler (it knows only its own tunnel devices) nor UDP's (no
 * socket sent it) will act on it, so the path MTU toward the backend is
 * lowered here, as they would for their own packets: the next client
 * packet too big for it then gets "fragmentation needed" from us with the
 * MTU left after encapsulation (a route exception kills the cached route,
 * see nflb_be_route()).  Only packets that this host sent qualify; the
 * kernel bounds the MTU below by min_pmtu.
 */
static void nflb_icmp_tunnel_pmtu(struct nflb_net *nn, struct sk_buff *skb,
				  const struct nflb_icmp_quote *q)
{
	if (q->type != ICMP_DEST_UNREACH || q->code != ICMP_FRAG_NEEDED ||
	    (q->proto != IPPROTO_IPIP && q->proto != IPPROTO_UDP) || !q->mtu)
		return;
	if (inet_addr_type(nn->net, q->saddr) != RTN_LOCAL)
		return;
	/* ipv4_update_pmtu() reads the quoted header at skb->data, as an
	 * error handler is called.
	 */
	__skb_pull(skb, q->ioff);
	ipv4_update_pmtu(skb, nn->net, ntohs(q->mtu), 0, q->proto);
	__skb_push(skb, q->ioff);
}

/*
 * LOCAL_OUT: an ICMP error this host sends about a packet of a balanced
 * flow ("fragmentation needed" or "time exceeded" from xmit.c, or from
 * the forwarding of a NAT packet).  That packet passed untracked, so
 * conntrack cannot relate the error to any connection and calls it
 * INVALID, which firewalls drop in OUTPUT: a path MTU black hole.  The
 * error is marked untracked like the packet it is about.
 */
unsigned int nflb_icmp_local_out(struct nflb_net *nn, struct sk_buff *skb)
{
	struct nflb_conn_table *t = nn->conns;
	struct nflb_icmp_quote q;

	if (!nflb_icmp_parse(skb, &q) ||
	    (q.proto != IPPROTO_TCP && q.proto != IPPROTO_UDP))
		return NF_ACCEPT;
	/* dr and tun: client -> VIP; NAT: client -> backend. */
	if (nflb_conn_in_find(t, q.proto, q.saddr, q.sport, q.daddr, q.dport) ||
	    nflb_conn_out_find(t, q.proto, q.daddr, q.dport, q.saddr, q.sport))
		nflb_untrack(skb);
	return NF_ACCEPT;
}

unsigned int nflb_icmp(struct nflb_net *nn, struct sk_buff *skb)
{
	struct nflb_conn_table *t = nn->conns;
	union nf_inet_addr vip = {};
	struct nflb_icmp_quote q;
	struct nflb_service *svc;
	struct nflb_backend *be;
	struct nflb_conn *c;

	if (!nflb_icmp_parse(skb, &q))
		return NF_ACCEPT;
	nflb_icmp_tunnel_pmtu(nn, skb, &q);
	if (q.proto != IPPROTO_TCP && q.proto != IPPROTO_UDP)
		return NF_ACCEPT;

	/* About a request, client -> backend (NAT): goes to the client. */
	c = nflb_conn_out_find(t, q.proto, q.daddr, q.dport, q.saddr, q.sport);
	if (c && !nflb_conn_be_gone(c) &&
	    READ_ONCE(c->be->svc->mode) == NFLB_FWD_NAT)
		return nflb_icmp_nat(nn, skb, &q, c, true);

	/* About a reply, VIP -> client: goes to the backend. */
	c = nflb_conn_in_find(t, q.proto, q.daddr, q.dport, q.saddr, q.sport);
	if (c) {
		if (nflb_conn_be_gone(c))
			return NF_ACCEPT;
		if (READ_ONCE(c->be->svc->mode) == NFLB_FWD_NAT)
			return nflb_icmp_nat(nn, skb, &q, c, false);
		return nflb_xmit(nn, skb, c->be, NULL, false);
	}

	vip.ip = q.saddr;
	svc = nflb_svc_lookup(nn, AF_INET, q.proto, &vip, q.sport);
	if (!svc || READ_ONCE(svc->mode) == NFLB_FWD_NAT)
		return NF_ACCEPT;
	be = nflb_icmp_owner(nn, svc, &q);
	return be ? nflb_xmit(nn, skb, be, NULL, false) : NF_ACCEPT;
}
