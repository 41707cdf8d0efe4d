// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for NAT rewriting (nat.c), suite "nflb_nat".
 *
 * Each case crafts an IPv4 TCP or UDP packet, with or without IP options,
 * its payload in the linear area or in a page fragment, in one of the
 * three checksum states a netfilter hook sees:
 *
 *   CHECKSUM_NONE      the L4 checksum field holds the full checksum
 *   CHECKSUM_COMPLETE  and skb->csum is the sum of the packet as received
 *   CHECKSUM_PARTIAL   the field holds the pseudo-header sum; the device
 *                      (here skb_checksum_help()) finishes it
 *
 * then rewrites the source or the destination and checks the result
 * against checksums computed from scratch: the IP header checksum, the L4
 * checksum, and skb->csum for CHECKSUM_COMPLETE.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "nat.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define NAT_PAYLOAD	333	/* odd: the last byte is summed alone */

static const __be32 nat_client = htonl(0xc6336401);	/* 198.51.100.1 */
static const __be32 nat_vip = htonl(0xcb007101);	/* 203.0.113.1 */
static const __be32 nat_backend = htonl(0x0a000002);	/* 10.0.0.2 */
static const __be32 nat_snat = htonl(0x0a0000fe);	/* 10.0.0.254 */

struct nflb_nat_case {
	u8 proto;
	bool src;		/* rewrite the source, else the destination */
	bool paged;		/* payload in a page fragment */
	bool ip_opts;		/* a 24-byte IP header */
	u8 ip_summed;
};

static const char * const nat_summed_name[] = {
	[CHECKSUM_NONE] = "none",
	[CHECKSUM_UNNECESSARY] = "unnecessary",
	[CHECKSUM_COMPLETE] = "complete",
	[CHECKSUM_PARTIAL] = "partial",
};

/* { proto, src, paged, ip_opts, ip_summed }: each shape in each state. */
static const struct nflb_nat_case nflb_nat_cases[] = {
	{ IPPROTO_TCP, false, false, false, CHECKSUM_NONE },
	{ IPPROTO_TCP, false, false, false, CHECKSUM_COMPLETE },
	{ IPPROTO_TCP, false, false, false, CHECKSUM_PARTIAL },
	{ IPPROTO_TCP, true, false, false, CHECKSUM_NONE },
	{ IPPROTO_TCP, true, false, false, CHECKSUM_COMPLETE },
	{ IPPROTO_TCP, true, false, false, CHECKSUM_PARTIAL },
	{ IPPROTO_TCP, false, true, false, CHECKSUM_NONE },
	{ IPPROTO_TCP, false, true, false, CHECKSUM_COMPLETE },
	{ IPPROTO_TCP, false, true, false, CHECKSUM_PARTIAL },
	{ IPPROTO_TCP, true, true, false, CHECKSUM_NONE },
	{ IPPROTO_TCP, true, true, false, CHECKSUM_COMPLETE },
	{ IPPROTO_TCP, true, true, false, CHECKSUM_PARTIAL },
	{ IPPROTO_TCP, false, false, true, CHECKSUM_NONE },
	{ IPPROTO_TCP, false, false, true, CHECKSUM_COMPLETE },
	{ IPPROTO_TCP, false, false, true, CHECKSUM_PARTIAL },
	{ IPPROTO_UDP, false, false, false, CHECKSUM_NONE },
	{ IPPROTO_UDP, false, false, false, CHECKSUM_COMPLETE },
	{ IPPROTO_UDP, false, false, false, CHECKSUM_PARTIAL },
	{ IPPROTO_UDP, true, false, false, CHECKSUM_NONE },
	{ IPPROTO_UDP, true, false, false, CHECKSUM_COMPLETE },
	{ IPPROTO_UDP, true, false, false, CHECKSUM_PARTIAL },
	{ IPPROTO_UDP, false, true, false, CHECKSUM_NONE },
	{ IPPROTO_UDP, false, true, false, CHECKSUM_COMPLETE },
	{ IPPROTO_UDP, false, true, false, CHECKSUM_PARTIAL },
	{ IPPROTO_UDP, true, true, false, CHECKSUM_NONE },
	{ IPPROTO_UDP, true, true, false, CHECKSUM_COMPLETE },
	{ IPPROTO_UDP, true, true, false, CHECKSUM_PARTIAL },
	{ IPPROTO_UDP, true, true, true, CHECKSUM_NONE },
	{ IPPROTO_UDP, true, true, true, CHECKSUM_COMPLETE },
	{ IPPROTO_UDP, true, true, true, CHECKSUM_PARTIAL },
};

static void nflb_nat_case_desc(const struct nflb_nat_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %s %s%s csum %s",
		 c->proto == IPPROTO_TCP ? "tcp" : "udp",
		 c->src ? "snat" : "dnat", c->paged ? "paged" : "linear",
		 c->ip_opts ? " ip-options" : "",
		 nat_summed_name[c->ip_summed]);
}

KUNIT_ARRAY_PARAM(nflb_nat, nflb_nat_cases, nflb_nat_case_desc);

/* Up to two packets per test, freed by the exit hook even when an
 * assertion ends the test early.
 */
struct nflb_nat_test {
	struct sk_buff *skb[2];
};

static int nflb_nat_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct nflb_nat_test),
				   GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void nflb_nat_test_exit(struct kunit *test)
{
	struct nflb_nat_test *t = test->priv;

	if (!t)		/* init failed; KUnit calls exit anyway */
		return;
	kfree_skb(t->skb[0]);
	kfree_skb(t->skb[1]);
}

static unsigned int nat_l4_hlen(u8 proto)
{
	return proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
				      sizeof(struct udphdr);
}

static __sum16 *nat_l4_check(struct sk_buff *skb, u8 proto)
{
	if (proto == IPPROTO_TCP)
		return &tcp_hdr(skb)->check;
	return &udp_hdr(skb)->check;
}

/* The full L4 checksum of what the packet now holds, the field included:
 * 0 when the field is right.
 */
static __sum16 nat_l4_verify(struct sk_buff *skb, u8 proto)
{
	unsigned int thoff = skb_transport_offset(skb);
	unsigned int len = skb->len - thoff;
	const struct iphdr *iph = ip_hdr(skb);

	return csum_tcpudp_magic(iph->saddr, iph->daddr, len, proto,
				 skb_checksum(skb, thoff, len, 0));
}

/* A client -> VIP packet (ports 40000 -> 80), its checksums as the case's
 * state wants them.
 */
static struct sk_buff *nat_build(struct kunit *test,
				 const struct nflb_nat_case *c)
{
	unsigned int ihl = c->ip_opts ? 24 : 20;
	unsigned int l4len = nat_l4_hlen(c->proto) + NAT_PAYLOAD;
	struct sk_buff *skb;
	struct iphdr *iph;
	__sum16 *check;
	u8 *payload;
	unsigned int i;

	skb = alloc_skb(LL_MAX_HEADER + ihl + l4len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, LL_MAX_HEADER);

	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, ihl);
	iph->version = 4;
	iph->ihl = ihl / 4;
	iph->tot_len = htons(ihl + l4len);
	iph->ttl = 64;
	iph->protocol = c->proto;
	iph->saddr = nat_client;
	iph->daddr = nat_vip;
	if (c->ip_opts)		/* three NOPs and an end of options */
		memcpy(iph + 1, "\x01\x01\x01\x00", 4);
	iph->check = ip_fast_csum(iph, iph->ihl);

	skb_set_transport_header(skb, ihl);
	if (c->proto == IPPROTO_TCP) {
		struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

		th->source = htons(40000);
		th->dest = htons(80);
		th->seq = htonl(0x12345678);
		th->doff = sizeof(*th) / 4;
		th->ack = 1;
		th->psh = 1;
		th->window = htons(512);
	} else {
		struct udphdr *uh = skb_put_zero(skb, sizeof(*uh));

		uh->source = htons(40000);
		uh->dest = htons(53);
		uh->len = htons(l4len);
	}

	if (c->paged) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			kfree_skb(skb);
		KUNIT_ASSERT_NOT_NULL(test, page);
		payload = page_address(page);
		skb_add_rx_frag(skb, 0, page, 0, NAT_PAYLOAD, PAGE_SIZE);
	} else {
		payload = skb_put(skb, NAT_PAYLOAD);
	}
	for (i = 0; i < NAT_PAYLOAD; i++)
		payload[i] = i * 7 + 3;

	check = nat_l4_check(skb, c->proto);
	skb->ip_summed = c->ip_summed;
	if (c->ip_summed == CHECKSUM_PARTIAL) {
		*check = ~csum_tcpudp_magic(iph->saddr, iph->daddr, l4len,
					    c->proto, 0);
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = (u8 *)check - skb_transport_header(skb);
	} else {
		*check = nat_l4_verify(skb, c->proto);
		if (c->proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
		if (c->ip_summed == CHECKSUM_COMPLETE)
			skb->csum = skb_checksum(skb, 0, skb->len, 0);
	}
	return skb;
}

/* Everything a rewrite must leave right, whatever the checksum state. */
static void nat_check_sums(struct kunit *test, struct sk_buff *skb, u8 proto)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len = skb->len - skb_transport_offset(skb);
	__sum16 pseudo;

	KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, iph->ihl), 0);
	switch (skb->ip_summed) {
	case CHECKSUM_COMPLETE:
		/* skb->csum still sums the packet. */
		KUNIT_EXPECT_EQ(test, csum_fold(skb->csum),
				csum_fold(skb_checksum(skb, 0, skb->len, 0)));
		fallthrough;
	case CHECKSUM_NONE:
		KUNIT_EXPECT_EQ(test, nat_l4_verify(skb, proto), 0);
		break;
	case CHECKSUM_PARTIAL:
		/* The field holds the new pseudo-header sum; finishing the
		 * checksum as a device would gives a valid packet.
		 */
		pseudo = ~csum_tcpudp_magic(iph->saddr, iph->daddr, len,
					    proto, 0);
		KUNIT_EXPECT_EQ(test, *nat_l4_check(skb, proto), pseudo);
		KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
		KUNIT_EXPECT_EQ(test, nat_l4_verify(skb, proto), 0);
		break;
	}
}

static void nflb_nat_rewrite_test(struct kunit *test)
{
	const struct nflb_nat_case *c = test->param_value;
	struct nflb_nat_test *t = test->priv;
	__be16 *sport, *dport;
	struct sk_buff *skb;
	struct iphdr *iph;
	__be32 addr;
	__be16 port;

	skb = nat_build(test, c);
	t->skb[0] = skb;
	/* The packet as built is right, or the test proves nothing. */
	KUNIT_ASSERT_EQ(test, ip_fast_csum(ip_hdr(skb), ip_hdr(skb)->ihl), 0);
	if (c->ip_summed != CHECKSUM_PARTIAL)
		KUNIT_ASSERT_EQ(test, nat_l4_verify(skb, c->proto), 0);

	addr = c->src ? nat_snat : nat_backend;
	port = c->src ? htons(61000) : htons(8080);
	KUNIT_ASSERT_EQ(test, nflb_nat_mangle(skb, skb_transport_offset(skb),
					      c->proto, c->src, addr, port), 0);

	iph = ip_hdr(skb);
	/* Both L4 headers start with the source port, then the dest port. */
	sport = (__be16 *)skb_transport_header(skb);
	dport = sport + 1;
	if (c->src) {
		KUNIT_EXPECT_EQ(test, iph->saddr, nat_snat);
		KUNIT_EXPECT_EQ(test, iph->daddr, nat_vip);
		KUNIT_EXPECT_EQ(test, ntohs(*sport), 61000);
	} else {
		KUNIT_EXPECT_EQ(test, iph->saddr, nat_client);
		KUNIT_EXPECT_EQ(test, iph->daddr, nat_backend);
		KUNIT_EXPECT_EQ(test, ntohs(*sport), 40000);
		KUNIT_EXPECT_EQ(test, ntohs(*dport), 8080);
	}
	nat_check_sums(test, skb, c->proto);
}

/* A UDP checksum of 0 means "none": it is not computed into existence. */
static void nflb_nat_udp_nocsum_test(struct kunit *test)
{
	static const struct nflb_nat_case c = {
		IPPROTO_UDP, false, false, false, CHECKSUM_NONE
	};
	struct nflb_nat_test *t = test->priv;
	struct sk_buff *skb;

	skb = nat_build(test, &c);
	t->skb[0] = skb;
	udp_hdr(skb)->check = 0;
	KUNIT_ASSERT_EQ(test, nflb_nat_mangle(skb, skb_transport_offset(skb),
					      IPPROTO_UDP, false, nat_backend,
					      htons(5353)), 0);
	KUNIT_EXPECT_EQ(test, udp_hdr(skb)->check, 0);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, nat_backend);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), ip_hdr(skb)->ihl), 0);
}

/* A UDP checksum that comes out as 0 must be sent as 0xffff, or the
 * receiver reads "no checksum".  The port that makes it 0 is the checksum
 * of the rewritten packet with that port field zeroed.
 */
static void nflb_nat_udp_mangled0_test(struct kunit *test)
{
	static const struct nflb_nat_case c = {
		IPPROTO_UDP, false, false, false, CHECKSUM_NONE
	};
	struct nflb_nat_test *t = test->priv;
	unsigned int thoff, len;
	struct sk_buff *skb;
	struct udphdr uh;
	__sum16 port;

	skb = nat_build(test, &c);
	t->skb[0] = skb;
	thoff = skb_transport_offset(skb);
	len = skb->len - thoff;

	uh = *udp_hdr(skb);
	uh.dest = 0;
	uh.check = 0;
	port = csum_tcpudp_magic(nat_client, nat_backend, len, IPPROTO_UDP,
				 csum_partial(&uh, sizeof(uh),
					      skb_checksum(skb, thoff + sizeof(uh),
							   len - sizeof(uh), 0)));
	KUNIT_ASSERT_NE(test, (__force u16)port, 0);

	KUNIT_ASSERT_EQ(test, nflb_nat_mangle(skb, thoff, IPPROTO_UDP, false,
					      nat_backend,
					      (__force __be16)port), 0);
	KUNIT_EXPECT_EQ(test, udp_hdr(skb)->check, CSUM_MANGLED_0);
	KUNIT_EXPECT_EQ(test, nat_l4_verify(skb, IPPROTO_UDP), 0);
}

/* A clone shares its data: rewriting one copy leaves the other intact. */
static void nflb_nat_clone_test(struct kunit *test)
{
	static const struct nflb_nat_case c = {
		IPPROTO_TCP, false, true, false, CHECKSUM_NONE
	};
	struct nflb_nat_test *t = test->priv;
	struct sk_buff *skb, *clone;

	skb = nat_build(test, &c);
	t->skb[0] = skb;
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	t->skb[1] = clone;

	KUNIT_ASSERT_EQ(test, nflb_nat_mangle(clone,
					      skb_transport_offset(clone),
					      IPPROTO_TCP, false, nat_backend,
					      htons(8080)), 0);
	KUNIT_EXPECT_EQ(test, ip_hdr(clone)->daddr, nat_backend);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, nat_vip);
	KUNIT_EXPECT_EQ(test, ntohs(tcp_hdr(skb)->dest), 80);
	nat_check_sums(test, skb, IPPROTO_TCP);
	nat_check_sums(test, clone, IPPROTO_TCP);
}

static struct kunit_case nflb_nat_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_nat_rewrite_test, nflb_nat_gen_params),
	KUNIT_CASE(nflb_nat_udp_nocsum_test),
	KUNIT_CASE(nflb_nat_udp_mangled0_test),
	KUNIT_CASE(nflb_nat_clone_test),
	{}
};

static struct kunit_suite nflb_nat_test_suite = {
	.name = "nflb_nat",
	.init = nflb_nat_test_init,
	.exit = nflb_nat_test_exit,
	.test_cases = nflb_nat_test_cases,
};

kunit_test_suite(nflb_nat_test_suite);
