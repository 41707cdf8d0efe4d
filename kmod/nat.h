/* SPDX-License-Identifier: GPL-2.0 */
/* Rewriting IPv4 TCP/UDP headers for NAT, and answering with resets. */
#ifndef _NFLB_NAT_H
#define _NFLB_NAT_H

#include <linux/skbuff.h>

int nflb_nat_mangle(struct sk_buff *skb, unsigned int thoff, u8 proto,
		    bool src, __be32 addr, __be16 port);
void nflb_nat_send_reset(struct net *net, struct sk_buff *skb);

#endif /* _NFLB_NAT_H */
