// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting for NAT mode.  Only headers change, so GSO and
 * GRO aggregates are rewritten whole and segmented later with the right
 * addresses; the checksum helpers keep CHECKSUM_PARTIAL (the field holds
 * the pseudo-header sum), CHECKSUM_COMPLETE (skb->csum follows the change)
 * and CHECKSUM_NONE (the full sum is patched) right.
 */
#include <kunit/visibility.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/netfilter/ipv4/nf_reject.h>

#include "nat.h"
#include "nflb.h"

/*
 * Rewrites the source (@src) or destination address and port of an IPv4
 * TCP or UDP packet whose headers are in the linear area.  0, or -ENOMEM if
 * a shared header could not be copied (the caller drops the packet).
 */
int nflb_nat_mangle(struct sk_buff *skb, unsigned int thoff, u8 proto,
		    bool src, __be32 addr, __be16 port)
{
	unsigned int hlen = proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
						   sizeof(struct udphdr);
	__be32 *addrp;
	__be16 *portp;
	__sum16 *check;
	struct iphdr *iph;
	void *l4;

	if (nflb_ensure_writable(skb, thoff + hlen))
		return -ENOMEM;
	iph = ip_hdr(skb);
	l4 = skb_network_header(skb) + thoff;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		check = &th->check;
		portp = src ? &th->source : &th->dest;
	} else {
		struct udphdr *uh = l4;

		check = &uh->check;
		portp = src ? &uh->source : &uh->dest;
	}
	addrp = src ? &iph->saddr : &iph->daddr;

	/* A UDP checksum of 0 means "none" and stays so. */
	if (proto == IPPROTO_TCP || *check ||
	    skb->ip_summed == CHECKSUM_PARTIAL) {
		inet_proto_csum_replace4(check, skb, *addrp, addr, true);
		inet_proto_csum_replace2(check, skb, *portp, port, false);
		if (proto == IPPROTO_UDP && !*check &&
		    skb->ip_summed != CHECKSUM_PARTIAL)
			*check = CSUM_MANGLED_0;
	}
	csum_replace4(&iph->check, *addrp, addr);
	*addrp = addr;
	*portp = port;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_nat_mangle);

/* Tells a TCP client at once that its connection is gone (never in answer
 * to a reset: nf_send_reset() checks that).
 */
void nflb_nat_send_reset(struct net *net, struct sk_buff *skb)
{
	nf_send_reset(net, NULL, skb, NF_INET_PRE_ROUTING);
}
