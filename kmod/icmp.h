/* SPDX-License-Identifier: GPL-2.0 */
/* ICMP errors about balanced flows (icmp.c), called from hooks.c. */
#ifndef _NFLB_ICMP_H
#define _NFLB_ICMP_H

#include <linux/skbuff.h>

#include "nflb.h"

/* An ICMP error and the packet it quotes; offsets from the IP header. */
struct nflb_icmp_quote {
	unsigned int thoff;	/* the ICMP header */
	unsigned int ioff;	/* the quoted IPv4 header */
	unsigned int poff;	/* the quoted L4 header */
	__be32 saddr;		/* the quoted packet's addresses */
	__be32 daddr;
	__be16 sport;		/* and ports: TCP and UDP only, else 0 */
	__be16 dport;
	__be16 mtu;		/* "fragmentation needed": the next hop's MTU */
	u8 type;
	u8 code;
	u8 proto;		/* the quoted packet's protocol */
};

/*
 * Verdict for an ICMP packet at PRE_ROUTING, in a namespace with services:
 * an error about a connection reaches whoever owns it.
 */
unsigned int nflb_icmp(struct nflb_net *nn, struct sk_buff *skb);
/* Verdict for an ICMP packet this host sends, at LOCAL_OUT. */
unsigned int nflb_icmp_local_out(struct nflb_net *nn, struct sk_buff *skb);

#if IS_ENABLED(CONFIG_KUNIT)
bool nflb_icmp_parse(struct sk_buff *skb, struct nflb_icmp_quote *q);
#endif

#endif /* _NFLB_ICMP_H */
