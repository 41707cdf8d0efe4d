// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for modes dr and tun, suite "nflb_encap":
 *
 *   overhead   what each mode adds in front of a packet, the MTU left for
 *              the client's packet, and the MSS "mss-clamp auto" gives
 *   too_big    the "fragmentation needed" decision (xmit.c): plain
 *              packets, GSO aggregates judged by their segments, datagrams
 *              reassembled here, ignore_df
 *   push       the outer headers of ipip and gue (nflb_encap_push()) on
 *              crafted packets in each checksum and GSO state: every
 *              field, the IPv4 checksum, ECN, the inner packet untouched,
 *              the offsets and flags GSO and drivers read; a cloned packet
 *              is copied, not written through
 *   icmp       reading the packet an ICMP error quotes (icmp.c): types,
 *              IP options, non-first fragments, truncated quotes, a quote
 *              in a page fragment
 *   oneway     the TCP state of a connection seen from the client's side
 *              only (conn.c)
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/gue.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "conn.h"
#include "icmp.h"
#include "mss.h"
#include "xmit.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static const __be32 enc_client = htonl(0xc6336401);	/* 198.51.100.1 */
static const __be32 enc_vip = htonl(0xcb007101);	/* 203.0.113.1 */
static const __be32 enc_director = htonl(0x0a000001);	/* 10.0.0.1 */
static const __be32 enc_backend = htonl(0x0a010002);	/* 10.1.0.2 */
static const __be32 enc_router = htonl(0xc0000201);	/* 192.0.2.1 */

#define ENC_PAYLOAD	1000
#define ENC_HEADROOM	(LL_MAX_HEADER + 64)

/* Packets of a test, freed by the exit hook even when an assertion ends
 * the test early.
 */
struct enc_test {
	struct sk_buff *skb[2];
};

static int enc_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct enc_test), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void enc_test_exit(struct kunit *test)
{
	struct enc_test *t = test->priv;

	if (!t)
		return;
	kfree_skb(t->skb[0]);
	kfree_skb(t->skb[1]);
}

/* --- overhead ------------------------------------------------------------ */

struct enc_overhead_case {
	const char *desc;
	u8 mode;
	u8 tunnel;
	unsigned int route_mtu;
	unsigned int overhead;	/* expected */
	u16 mss;		/* expected of nflb_mss_for_mtu() */
};

static const struct enc_overhead_case enc_overhead_cases[] = {
	{ "nat 1500", NFLB_FWD_NAT, NFLB_TUNNEL_IPIP, 1500, 0, 1460 },
	{ "nat ignores the tunnel type", NFLB_FWD_NAT, NFLB_TUNNEL_GUE, 1500,
	  0, 1460 },
	{ "dr 1500", NFLB_FWD_DR, NFLB_TUNNEL_IPIP, 1500, 0, 1460 },
	{ "tun ipip 1500", NFLB_FWD_TUN, NFLB_TUNNEL_IPIP, 1500, 20, 1440 },
	{ "tun gue 1500", NFLB_FWD_TUN, NFLB_TUNNEL_GUE, 1500, 32, 1428 },
	{ "tun ipip 9000", NFLB_FWD_TUN, NFLB_TUNNEL_IPIP, 9000, 20, 8940 },
	{ "tun gue 576", NFLB_FWD_TUN, NFLB_TUNNEL_GUE, 576, 32, 504 },
	{ "tun gue 160: TCP's minimum", NFLB_FWD_TUN, NFLB_TUNNEL_GUE, 160,
	  32, 88 },
};

static void enc_overhead_desc(const struct enc_overhead_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(enc_overhead, enc_overhead_cases, enc_overhead_desc);

static void nflb_encap_overhead_test(struct kunit *test)
{
	const struct enc_overhead_case *c = test->param_value;
	unsigned int overhead = nflb_encap_overhead(c->mode, c->tunnel);

	KUNIT_EXPECT_EQ(test, overhead, c->overhead);
	KUNIT_EXPECT_EQ(test, nflb_mss_for_mtu(c->route_mtu, overhead), c->mss);
	/* The MSS plus the IPv4 and TCP headers plus the tunnel's fill the
	 * route MTU exactly (unless TCP's minimum is in the way).
	 */
	if (c->mss > 88)
		KUNIT_EXPECT_EQ(test, c->mss + 40 + overhead, c->route_mtu);
}

static void nflb_encap_sizes_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, NFLB_IPIP_OVERHEAD, 20);
	KUNIT_EXPECT_EQ(test, NFLB_GUE_OVERHEAD, 32);
}

/* --- building packets ---------------------------------------------------- */

/*
 * A client -> VIP TCP packet with @payload bytes (in a page fragment when
 * @paged), headers in the linear area, skb->data at the IP header as the
 * hook sees it.  The TCP checksum is not filled in: nothing here reads it.
 */
static struct sk_buff *enc_build_tcp(struct kunit *test, unsigned int payload,
				     bool df, u8 tos, bool paged)
{
	unsigned int hlen = sizeof(struct iphdr) + sizeof(struct tcphdr);
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	unsigned int i;
	u8 *data;

	skb = alloc_skb(ENC_HEADROOM + hlen + (paged ? 0 : payload),
			GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, ENC_HEADROOM);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = tos;
	iph->tot_len = htons(hlen + payload);
	iph->id = htons(0x1234);
	iph->frag_off = df ? htons(IP_DF) : 0;
	iph->ttl = 61;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = enc_client;
	iph->daddr = enc_vip;
	iph->check = ip_fast_csum(iph, iph->ihl);
	skb_set_transport_header(skb, sizeof(*iph));
	th = skb_put_zero(skb, sizeof(*th));
	th->source = htons(40000);
	th->dest = htons(80);
	th->doff = sizeof(*th) / 4;
	th->ack = 1;
	if (paged) {
		unsigned int order = get_order(payload);
		struct page *page;

		page = alloc_pages(GFP_KERNEL | __GFP_COMP, order);
		if (!page)
			kfree_skb(skb);
		KUNIT_ASSERT_NOT_NULL(test, page);
		data = page_address(page);
		skb_add_rx_frag(skb, 0, page, 0, payload, PAGE_SIZE << order);
	} else {
		data = skb_put(skb, payload);
	}
	for (i = 0; i < payload; i++)
		data[i] = i * 13 + 5;
	skb->protocol = htons(ETH_P_IP);
	return skb;
}

/* Makes @skb a GSO aggregate of @segs TCP segments of @gso_size bytes. */
static void enc_make_gso(struct sk_buff *skb, unsigned int gso_size,
			 unsigned int segs)
{
	struct tcphdr *th = tcp_hdr(skb);

	skb_shinfo(skb)->gso_size = gso_size;
	skb_shinfo(skb)->gso_segs = segs;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	th->check = 0;
}

/* --- too_big ------------------------------------------------------------- */

struct enc_big_case {
	const char *desc;
	unsigned int payload;	/* TCP payload; the packet is 40 bytes more */
	unsigned int gso_size;	/* 0: not GSO */
	unsigned int mtu;
	u16 frag_max_size;	/* reassembled from fragments this large */
	bool ignore_df;
	bool too_big;		/* expected */
};

static const struct enc_big_case enc_big_cases[] = {
	{ "1500 bytes, mtu 1500", 1460, 0, 1500, 0, false, false },
	{ "1500 bytes, mtu 1499", 1460, 0, 1499, 0, false, true },
	{ "1500 bytes, mtu 1480 (ipip)", 1460, 0, 1480, 0, false, true },
	{ "1440+40 bytes, mtu 1480 (ipip)", 1440, 0, 1480, 0, false, false },
	{ "gso 4x1448: segments 1488, mtu 1500", 4 * 1448, 1448, 1500, 0,
	  false, false },
	{ "gso 4x1448: segments 1488, mtu 1480", 4 * 1448, 1448, 1480, 0,
	  false, true },
	{ "gso 10x1428: segments 1468, mtu 1468 (gue)", 10 * 1428, 1428,
	  1468, 0, false, false },
	{ "gso 10x1428: segments 1468, mtu 1467", 10 * 1428, 1428, 1467, 0,
	  false, true },
	{ "reassembled from 1400-byte fragments, mtu 1480", 1000, 0, 1480,
	  1400, false, false },
	{ "reassembled from 1500-byte fragments, mtu 1480", 1000, 0, 1480,
	  1500, false, true },
	{ "ignore_df", 1460, 0, 1000, 0, true, false },
};

static void enc_big_desc(const struct enc_big_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(enc_big, enc_big_cases, enc_big_desc);

static void nflb_encap_too_big_test(struct kunit *test)
{
	const struct enc_big_case *c = test->param_value;
	struct enc_test *t = test->priv;
	struct sk_buff *skb;

	skb = enc_build_tcp(test, c->payload, true, 0, c->payload > 2000);
	t->skb[0] = skb;
	if (c->gso_size)
		enc_make_gso(skb, c->gso_size,
			     DIV_ROUND_UP(c->payload, c->gso_size));
	IPCB(skb)->frag_max_size = c->frag_max_size;
	skb->ignore_df = c->ignore_df;
	KUNIT_EXPECT_EQ(test, nflb_xmit_too_big(skb, c->mtu), c->too_big);
}

/* --- push ---------------------------------------------------------------- */

struct enc_push_case {
	const char *desc;
	u8 tunnel;
	bool df;
	u8 tos;			/* inner */
	u8 outer_tos;		/* expected */
	u8 ip_summed;
	bool gso;
	bool paged;
};

static const struct enc_push_case enc_push_cases[] = {
	{ "ipip df csum none", NFLB_TUNNEL_IPIP, true, 0, 0, CHECKSUM_NONE,
	  false, false },
	{ "ipip no-df csum complete", NFLB_TUNNEL_IPIP, false, 0, 0,
	  CHECKSUM_COMPLETE, false, false },
	{ "ipip df csum partial", NFLB_TUNNEL_IPIP, true, 0, 0,
	  CHECKSUM_PARTIAL, false, false },
	{ "ipip gso paged", NFLB_TUNNEL_IPIP, true, 0, 0, CHECKSUM_PARTIAL,
	  true, true },
	{ "ipip dscp ef, ecn ce -> ect(0)", NFLB_TUNNEL_IPIP, true,
	  0xb8 | INET_ECN_CE, 0xb8 | INET_ECN_ECT_0, CHECKSUM_NONE, false,
	  false },
	{ "ipip ecn ect(1) kept", NFLB_TUNNEL_IPIP, true,
	  0x20 | INET_ECN_ECT_1, 0x20 | INET_ECN_ECT_1, CHECKSUM_NONE, false,
	  false },
	{ "gue df csum none", NFLB_TUNNEL_GUE, true, 0, 0, CHECKSUM_NONE,
	  false, false },
	{ "gue no-df csum complete", NFLB_TUNNEL_GUE, false, 0, 0,
	  CHECKSUM_COMPLETE, false, false },
	{ "gue df csum partial paged", NFLB_TUNNEL_GUE, true, 0, 0,
	  CHECKSUM_PARTIAL, false, true },
	{ "gue gso paged", NFLB_TUNNEL_GUE, true, 0, 0, CHECKSUM_PARTIAL,
	  true, true },
	{ "gue ecn ce", NFLB_TUNNEL_GUE, false, INET_ECN_CE, INET_ECN_ECT_0,
	  CHECKSUM_NONE, false, false },
};

static void enc_push_desc(const struct enc_push_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(enc_push, enc_push_cases, enc_push_desc);

static const struct nflb_encap enc_ipip = {
	.saddr = enc_director, .daddr = enc_backend,
	.tunnel = NFLB_TUNNEL_IPIP,
};

static const struct nflb_encap enc_gue = {
	.saddr = enc_director, .daddr = enc_backend,
	.sport = htons(51234), .dport = htons(6080),
	.tunnel = NFLB_TUNNEL_GUE,
};

static void nflb_encap_push_test(struct kunit *test)
{
	const struct enc_push_case *c = test->param_value;
	bool gue = c->tunnel == NFLB_TUNNEL_GUE;
	unsigned int hlen = gue ? 32 : 20;
	struct enc_test *t = test->priv;
	unsigned int len, payload;
	const struct iphdr *iph;
	struct sk_buff *skb;
	u8 *before, *after;

	payload = c->gso ? 8 * 1448 : ENC_PAYLOAD;
	skb = enc_build_tcp(test, payload, c->df, c->tos, c->paged);
	t->skb[0] = skb;
	ip_send_check(ip_hdr(skb));
	if (c->gso) {
		enc_make_gso(skb, 1448, 8);
	} else if (c->ip_summed == CHECKSUM_PARTIAL) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct tcphdr, check);
	} else {
		skb->ip_summed = c->ip_summed;
		skb->csum = skb_checksum(skb, 0, skb->len, 0);
	}
	len = skb->len;
	before = kunit_kmalloc(test, len, GFP_KERNEL);
	after = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, before, len), 0);

	KUNIT_ASSERT_EQ(test, nflb_encap_push(&init_net, skb,
					      gue ? &enc_gue : &enc_ipip, 32),
			0);

	/* The inner packet, byte for byte, behind the new headers. */
	KUNIT_ASSERT_EQ(test, skb->len, len + hlen);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, hlen, after, len), 0);
	KUNIT_EXPECT_EQ(test, memcmp(before, after, len), 0);
	KUNIT_EXPECT_GE(test, skb_headroom(skb), 32);

	iph = ip_hdr(skb);
	KUNIT_EXPECT_PTR_EQ(test, (void *)iph, (void *)skb->data);
	KUNIT_EXPECT_EQ(test, (int)iph->version, 4);
	KUNIT_EXPECT_EQ(test, (int)iph->ihl, 5);
	KUNIT_EXPECT_EQ(test, ntohs(iph->tot_len), skb->len);
	KUNIT_EXPECT_EQ(test, ntohs(iph->frag_off), c->df ? IP_DF : 0);
	KUNIT_EXPECT_EQ(test, iph->ttl, 61);
	KUNIT_EXPECT_EQ(test, iph->tos, c->outer_tos);
	KUNIT_EXPECT_EQ(test, iph->protocol, gue ? IPPROTO_UDP : IPPROTO_IPIP);
	KUNIT_EXPECT_EQ(test, iph->saddr, enc_director);
	KUNIT_EXPECT_EQ(test, iph->daddr, enc_backend);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, iph->ihl), 0);
	KUNIT_EXPECT_EQ(test, skb->protocol, htons(ETH_P_IP));
	if (gue) {
		const struct udphdr *uh = (const void *)(iph + 1);
		const struct guehdr *gh = (const void *)(uh + 1);

		KUNIT_EXPECT_EQ(test, uh->source, htons(51234));
		KUNIT_EXPECT_EQ(test, uh->dest, htons(6080));
		KUNIT_EXPECT_EQ(test, ntohs(uh->len), skb->len - 20);
		KUNIT_EXPECT_EQ(test, (__force u16)uh->check, 0);
		KUNIT_EXPECT_EQ(test, (int)gh->version, 0);
		KUNIT_EXPECT_EQ(test, (int)gh->control, 0);
		KUNIT_EXPECT_EQ(test, (int)gh->hlen, 0);
		KUNIT_EXPECT_EQ(test, (__force u16)gh->flags, 0);
		KUNIT_EXPECT_EQ(test, gh->proto_ctype, IPPROTO_IPIP);
		KUNIT_EXPECT_PTR_EQ(test, (void *)udp_hdr(skb), (void *)uh);
	} else {
		/* The outer packet's payload, the inner IP header. */
		KUNIT_EXPECT_EQ(test, skb_transport_offset(skb), 20);
	}

	/* What GSO and drivers read to find the inner packet. */
	KUNIT_EXPECT_EQ(test, skb_inner_network_offset(skb), hlen);
	KUNIT_EXPECT_EQ(test, skb_inner_transport_offset(skb), hlen + 20);
	KUNIT_EXPECT_EQ(test, (int)skb->inner_protocol_type, ENCAP_TYPE_IPPROTO);
	KUNIT_EXPECT_EQ(test, skb->inner_ipproto, IPPROTO_IPIP);
	if (c->gso) {
		unsigned int want = SKB_GSO_TCPV4 | SKB_GSO_IPXIP4;

		if (gue)
			want |= SKB_GSO_UDP_TUNNEL;
		KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_type, want);
		KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_size, 1448);
		KUNIT_EXPECT_TRUE(test, skb->encapsulation);
		KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	} else if (c->ip_summed == CHECKSUM_PARTIAL) {
		/* The device finishes the inner checksum. */
		KUNIT_EXPECT_TRUE(test, skb->encapsulation);
		KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
		KUNIT_EXPECT_EQ(test, skb_checksum_start_offset(skb), hlen + 20);
	} else {
		/* A receive checksum state means nothing on output. */
		KUNIT_EXPECT_FALSE(test, skb->encapsulation);
		KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_NONE);
	}
}

/* A cloned packet (a tap holds the other copy) gets headers of its own. */
static void nflb_encap_clone_test(struct kunit *test)
{
	struct enc_test *t = test->priv;
	unsigned int len = ENC_PAYLOAD + 40;
	struct sk_buff *skb, *clone;
	u8 *before;

	skb = enc_build_tcp(test, ENC_PAYLOAD, true, 0, false);
	t->skb[0] = skb;
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	t->skb[1] = clone;
	before = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	memcpy(before, skb->data, len);

	KUNIT_ASSERT_EQ(test, nflb_encap_push(&init_net, clone, &enc_gue, 32),
			0);
	KUNIT_EXPECT_EQ(test, clone->len, len + 32);
	KUNIT_EXPECT_EQ(test, skb->len, len);
	KUNIT_EXPECT_EQ(test, memcmp(before, skb->data, len), 0);
	KUNIT_EXPECT_EQ(test, memcmp(before, clone->data + 32, len), 0);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, enc_vip);
	KUNIT_EXPECT_EQ(test, ip_hdr(clone)->daddr, enc_backend);
}

/* --- icmp ---------------------------------------------------------------- */

struct enc_icmp_case {
	const char *desc;
	u8 type;
	u8 code;
	u8 proto;		/* quoted */
	u8 quoted_ihl;
	__be16 quoted_frag;
	u8 quoted_version;
	unsigned int quoted_l4;	/* bytes of L4 header quoted */
	unsigned int cut;	/* bytes fewer: a quote cut short */
	bool paged;		/* the quote in a page fragment */
	bool ok;		/* expected */
};

static const struct enc_icmp_case enc_icmp_cases[] = {
	{ "frag needed, tcp", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_TCP, 5, 0, 4, 8, 0, false, true },
	{ "port unreachable, udp", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
	  IPPROTO_UDP, 5, 0, 4, 8, 0, false, true },
	{ "time exceeded, udp, df", ICMP_TIME_EXCEEDED, ICMP_EXC_TTL,
	  IPPROTO_UDP, 5, htons(IP_DF), 4, 8, 0, false, true },
	{ "parameter problem, tcp", ICMP_PARAMETERPROB, 0, IPPROTO_TCP, 5, 0,
	  4, 8, 0, false, true },
	{ "frag needed, quote with ip options", ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, IPPROTO_TCP, 7, 0, 4, 8, 0, false, true },
	{ "frag needed, quote in a page fragment", ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, IPPROTO_TCP, 5, 0, 4, 8, 0, true, true },
	{ "frag needed, ports only quoted", ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, IPPROTO_TCP, 5, 0, 4, 4, 0, false, true },
	{ "frag needed, ipip (a tunnel packet)", ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, IPPROTO_IPIP, 5, 0, 4, 0, 0, false, true },
	{ "echo request", ICMP_ECHO, 0, IPPROTO_TCP, 5, 0, 4, 8, 0, false,
	  false },
	{ "source quench", ICMP_SOURCE_QUENCH, 0, IPPROTO_TCP, 5, 0, 4, 8, 0,
	  false, false },
	{ "quote of a second fragment", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_UDP, 5, htons(185), 4, 8, 0, false, false },
	{ "quote cut in the ports", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_TCP, 5, 0, 4, 8, 5, false, false },
	{ "quote cut in the ip options", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_IPIP, 8, 0, 4, 0, 4, false, false },
	{ "quote cut in the ip header", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_TCP, 5, 0, 4, 0, 8, false, false },
	{ "quoted ihl 4", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPPROTO_TCP, 4,
	  0, 4, 8, 0, false, false },
	{ "quoted version 6", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
	  IPPROTO_TCP, 5, 0, 6, 8, 0, false, false },
};

static void enc_icmp_desc(const struct enc_icmp_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(enc_icmp, enc_icmp_cases, enc_icmp_desc);

/*
 * A router's error about a reply VIP:80 -> client:40000, sent to the VIP:
 * the quoted IP header (@quoted_ihl words), @quoted_l4 bytes of its L4
 * header, the last @cut bytes of all that left out.
 */
static struct sk_buff *enc_build_icmp(struct kunit *test,
				      const struct enc_icmp_case *c)
{
	unsigned int full = c->quoted_ihl * 4 + c->quoted_l4;
	unsigned int len = sizeof(struct iphdr) + sizeof(struct icmphdr);
	unsigned int qlen = full - c->cut;
	struct sk_buff *skb;
	struct icmphdr *ih;
	struct iphdr *iph, *q;
	u8 *quote;

	quote = kunit_kzalloc(test, max_t(unsigned int, full, sizeof(*q)),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, quote);
	q = (struct iphdr *)quote;
	q->version = c->quoted_version;
	q->ihl = c->quoted_ihl;
	q->tot_len = htons(1500);
	q->frag_off = c->quoted_frag;
	q->ttl = 60;
	q->protocol = c->proto;
	q->saddr = enc_vip;
	q->daddr = enc_client;
	if (c->quoted_l4 >= 4) {
		__be16 *ports = (__be16 *)(quote + c->quoted_ihl * 4);

		ports[0] = htons(80);
		ports[1] = htons(40000);
	}

	skb = alloc_skb(ENC_HEADROOM + len + qlen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, ENC_HEADROOM);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(len + qlen);
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = enc_router;
	iph->daddr = enc_vip;
	iph->check = ip_fast_csum(iph, iph->ihl);
	ih = skb_put_zero(skb, sizeof(*ih));
	ih->type = c->type;
	ih->code = c->code;
	ih->un.frag.mtu = htons(1400);

	if (c->paged) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			kfree_skb(skb);
		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), quote, qlen);
		skb_add_rx_frag(skb, 0, page, 0, qlen, PAGE_SIZE);
	} else {
		skb_put_data(skb, quote, qlen);
	}
	return skb;
}

static void nflb_encap_icmp_test(struct kunit *test)
{
	const struct enc_icmp_case *c = test->param_value;
	struct enc_test *t = test->priv;
	struct nflb_icmp_quote q;
	bool ports = c->proto == IPPROTO_TCP || c->proto == IPPROTO_UDP;
	struct sk_buff *skb;

	skb = enc_build_icmp(test, c);
	t->skb[0] = skb;
	memset(&q, 0xa5, sizeof(q));
	KUNIT_ASSERT_EQ(test, nflb_icmp_parse(skb, &q), c->ok);
	if (!c->ok)
		return;
	KUNIT_EXPECT_EQ(test, q.type, c->type);
	KUNIT_EXPECT_EQ(test, q.code, c->code);
	KUNIT_EXPECT_EQ(test, q.thoff, 20);
	KUNIT_EXPECT_EQ(test, q.ioff, 28);
	KUNIT_EXPECT_EQ(test, q.poff, 28 + c->quoted_ihl * 4);
	KUNIT_EXPECT_EQ(test, q.proto, c->proto);
	KUNIT_EXPECT_EQ(test, q.saddr, enc_vip);
	KUNIT_EXPECT_EQ(test, q.daddr, enc_client);
	KUNIT_EXPECT_EQ(test, ntohs(q.sport), ports ? 80 : 0);
	KUNIT_EXPECT_EQ(test, ntohs(q.dport), ports ? 40000 : 0);
	if (c->code == ICMP_FRAG_NEEDED)
		KUNIT_EXPECT_EQ(test, ntohs(q.mtu), 1400);
	/* What the handlers then touch is in the linear area. */
	KUNIT_EXPECT_GE(test, skb_headlen(skb),
			q.poff + (ports ? 4 : 0));
}

/* --- oneway -------------------------------------------------------------- */

#define F_SYN	BIT(0)
#define F_ACK	BIT(1)
#define F_FIN	BIT(2)
#define F_RST	BIT(3)

struct enc_state_case {
	const char *desc;
	unsigned int old;
	unsigned int flags;
	unsigned int new;
};

static const struct enc_state_case enc_state_cases[] = {
	{ "syn_sent + syn (retransmit)", NFLB_CONN_SYN_SENT, F_SYN,
	  NFLB_CONN_SYN_SENT },
	{ "syn_sent + ack: established", NFLB_CONN_SYN_SENT, F_ACK,
	  NFLB_CONN_ESTABLISHED },
	{ "syn_recv + ack: established", NFLB_CONN_SYN_RECV, F_ACK,
	  NFLB_CONN_ESTABLISHED },
	{ "syn_sent + syn ack (odd) stays", NFLB_CONN_SYN_SENT, F_SYN | F_ACK,
	  NFLB_CONN_SYN_SENT },
	{ "established + ack", NFLB_CONN_ESTABLISHED, F_ACK,
	  NFLB_CONN_ESTABLISHED },
	{ "established + fin ack: fin_wait", NFLB_CONN_ESTABLISHED,
	  F_FIN | F_ACK, NFLB_CONN_FIN_WAIT },
	{ "syn_sent + fin ack: fin_wait", NFLB_CONN_SYN_SENT, F_FIN | F_ACK,
	  NFLB_CONN_FIN_WAIT },
	{ "fin_wait + ack stays (half-closed, still reading)",
	  NFLB_CONN_FIN_WAIT, F_ACK, NFLB_CONN_FIN_WAIT },
	{ "fin_wait + fin (retransmit)", NFLB_CONN_FIN_WAIT, F_FIN | F_ACK,
	  NFLB_CONN_FIN_WAIT },
	{ "established + rst: close", NFLB_CONN_ESTABLISHED, F_RST | F_ACK,
	  NFLB_CONN_CLOSE },
	{ "syn_sent + rst: close", NFLB_CONN_SYN_SENT, F_RST,
	  NFLB_CONN_CLOSE },
	{ "fin_wait + rst: close", NFLB_CONN_FIN_WAIT, F_RST,
	  NFLB_CONN_CLOSE },
};

static void enc_state_desc(const struct enc_state_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(enc_state, enc_state_cases, enc_state_desc);

static void nflb_encap_oneway_test(struct kunit *test)
{
	const struct enc_state_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test,
			nflb_tcp_next_state_oneway(c->old, c->flags & F_SYN,
						   c->flags & F_ACK,
						   c->flags & F_FIN,
						   c->flags & F_RST),
			c->new);
}

static struct kunit_case nflb_encap_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_encap_overhead_test, enc_overhead_gen_params),
	KUNIT_CASE(nflb_encap_sizes_test),
	KUNIT_CASE_PARAM(nflb_encap_too_big_test, enc_big_gen_params),
	KUNIT_CASE_PARAM(nflb_encap_push_test, enc_push_gen_params),
	KUNIT_CASE(nflb_encap_clone_test),
	KUNIT_CASE_PARAM(nflb_encap_icmp_test, enc_icmp_gen_params),
	KUNIT_CASE_PARAM(nflb_encap_oneway_test, enc_state_gen_params),
	{}
};

static struct kunit_suite nflb_encap_test_suite = {
	.name = "nflb_encap",
	.init = enc_test_init,
	.exit = enc_test_exit,
	.test_cases = nflb_encap_test_cases,
};

kunit_test_suite(nflb_encap_test_suite);
