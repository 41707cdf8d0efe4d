// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for MSS clamping (mss.c), suite "nflb_mss".
 *
 * Each table row is a TCP segment (IPv4 or IPv6, its options as bytes,
 * its flags, payload, IP options or extension headers), a ceiling, whether
 * to insert a missing option, and what nflb_mss_clamp() must do: the
 * verdict and, when it changes the segment, the options it must leave.
 * Every row runs six times: its bytes all in the linear area (with no
 * tailroom, so an insertion must grow the head) or with everything after
 * the fixed TCP header in a page fragment, in each of the checksum states
 * a netfilter hook sees:
 *
 *   CHECKSUM_NONE      the TCP checksum field holds the full checksum
 *   CHECKSUM_COMPLETE  and skb->csum is the sum of the packet from its
 *                      network header, as a receiving device left it
 *   CHECKSUM_PARTIAL   the field holds the pseudo-header sum; the device
 *                      (here skb_checksum_help()) finishes it
 *
 * A segment left alone must be byte for byte what it was.  A changed one
 * is compared with the same row built from scratch with the expected
 * options, except for its checksum fields, which are checked by computing
 * them again.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "mss.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* TCP flag bytes (offset 13 of the header). */
#define T_SYN		0x02
#define T_SYNACK	0x12
#define T_ACK		0x10

/* What comes between the fixed IP header and TCP. */
enum mss_ext {
	MSS_EXT_NONE,
	MSS_EXT_IPOPT,		/* IPv4: 4 bytes of IP options */
	MSS_EXT_IPMF,		/* IPv4: none, but More Fragments set */
	MSS_EXT_HBH,		/* IPv6: an 8-byte hop-by-hop header */
	MSS_EXT_FRAG,		/* IPv6: a fragment header, offset 0, M set */
};

struct mss_case {
	const char *name;
	u8 family;		/* 4 or 6 */
	u8 ext;			/* enum mss_ext */
	u8 flags;		/* T_* */
	u8 doff;		/* data offset in words; 0: from the options */
	const char *opts;	/* the options, a multiple of 4 bytes */
	u8 optlen;
	u16 payload;		/* bytes after the header */
	u16 ceiling;
	bool insert;
	enum nflb_mss_verdict want;
	const char *want_opts;	/* LOWERED or ADDED: the options after */
	u8 want_optlen;
};

/* One row in one layout and checksum state. */
struct mss_param {
	const struct mss_case *c;
	u8 ip_summed;
	bool paged;
};

#define OPTS(s)		.opts = (s), .optlen = sizeof(s) - 1
#define WANT(s)		.want_opts = (s), .want_optlen = sizeof(s) - 1

/* MSS values as option bytes: 1460 05b4, 1200 04b0, 1000 03e8,
 * 9000 2328, 536 0218, 1220 04c4, 500 01f4.  Timestamps: 080a + 8 bytes.
 */
#define MSS1460		"\x02\x04\x05\xb4"
#define MSS1200		"\x02\x04\x04\xb0"
#define MSS1000		"\x02\x04\x03\xe8"
#define MSS9000		"\x02\x04\x23\x28"
#define MSS536		"\x02\x04\x02\x18"
#define TS		"\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00"
#define NOP		"\x01"
#define SACKOK		"\x04\x02"
#define WS7		"\x03\x03\x07"

static const struct mss_case mss_cases[] = {
	/* The MSS against the ceiling (1200 throughout unless said). */
	{ .name = "above", .family = 4, .flags = T_SYN, OPTS(MSS1460),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_LOWERED,
	    WANT(MSS1200) },
	{ .name = "at ceiling", .family = 4, .flags = T_SYN, OPTS(MSS1200),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_KEPT },
	{ .name = "below", .family = 4, .flags = T_SYN, OPTS(MSS1000),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_KEPT },
	/* Options in the orders real stacks send them. */
	{ .name = "linux order", .family = 4, .flags = T_SYN,
	    OPTS(MSS1460 SACKOK TS NOP WS7), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200 SACKOK TS NOP WS7) },
	{ .name = "mss last, EOL padding", .family = 4, .flags = T_SYN,
	    OPTS(NOP NOP TS SACKOK NOP WS7 MSS9000 "\x00\x00"),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_LOWERED,
	    WANT(NOP NOP TS SACKOK NOP WS7 MSS1200 "\x00\x00") },
	/* An MSS at an odd offset: its checksum update is byte-swapped. */
	{ .name = "odd offset", .family = 4, .flags = T_SYN,
	    OPTS(NOP MSS1460 NOP NOP NOP), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(NOP MSS1200 NOP NOP NOP) },
	{ .name = "odd offset after odd-length option", .family = 4,
	    .flags = T_SYN, OPTS("\xfe\x03\xaa" MSS1460 "\x00"),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_LOWERED,
	    WANT("\xfe\x03\xaa" MSS1200 "\x00") },
	{ .name = "odd offset, 3 NOPs, EOL", .family = 4, .flags = T_SYN,
	    OPTS(NOP NOP NOP MSS9000 "\x00"), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_LOWERED,
	    WANT(NOP NOP NOP MSS1200 "\x00") },
	/* Missing: inserted in front, never above what the receiver would
	 * assume (536 for IPv4).
	 */
	{ .name = "missing", .family = 4, .flags = T_SYN, .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_ADDED, WANT(MSS536) },
	{ .name = "missing, low ceiling", .family = 4, .flags = T_SYN,
	    .ceiling = 500, .insert = true, .want = NFLB_MSS_ADDED,
	    WANT("\x02\x04\x01\xf4") },
	{ .name = "missing among others", .family = 4, .flags = T_SYN,
	    OPTS(SACKOK TS), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_ADDED, WANT(MSS536 SACKOK TS) },
	{ .name = "missing, insert off", .family = 4, .flags = T_SYN,
	    OPTS(SACKOK TS), .ceiling = 1200, .insert = false,
	    .want = NFLB_MSS_KEPT },
	{ .name = "missing, payload", .family = 4, .flags = T_SYN,
	    OPTS(SACKOK TS), .payload = 101, .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_KEPT },
	{ .name = "missing, header full", .family = 4, .flags = T_SYN,
	    OPTS(TS TS TS TS), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_KEPT },
	/* Kind 2 with another length is no MSS option, to receivers too. */
	{ .name = "mss of length 3", .family = 4, .flags = T_SYN,
	    OPTS("\x02\x03\x05" NOP), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_ADDED, WANT(MSS536 "\x02\x03\x05" NOP) },
	{ .name = "duplicated", .family = 4, .flags = T_SYN,
	    OPTS(MSS1460 MSS9000), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200 MSS1200) },
	{ .name = "duplicated, first below", .family = 4, .flags = T_SYN,
	    OPTS(MSS1000 MSS1460), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1000 MSS1200) },
	{ .name = "duplicated, both below", .family = 4, .flags = T_SYN,
	    OPTS(MSS1000 MSS1000), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_KEPT },
	/* The list ends at EOL: what follows is padding, never read. */
	{ .name = "mss after EOL", .family = 4, .flags = T_SYN,
	    OPTS("\x00\x00\x00\x00" MSS1460), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_ADDED,
	    WANT(MSS536 "\x00\x00\x00\x00" MSS1460) },
	/* Malformed lists: read up to the fault as a receiver reads them
	 * and treated as the list before it; nothing from the fault on
	 * changes.
	 */
	{ .name = "zero-length option", .family = 4, .flags = T_SYN,
	    OPTS(NOP NOP "\x1e\x00" MSS1460), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_ADDED,
	    WANT(MSS536 NOP NOP "\x1e\x00" MSS1460) },
	{ .name = "zero-length option, no insert", .family = 4,
	    .flags = T_SYN, OPTS(NOP NOP "\x1e\x00" MSS1460),
	    .ceiling = 1200, .want = NFLB_MSS_BAD },
	{ .name = "zero-length option, payload", .family = 4,
	    .flags = T_SYN, OPTS(NOP NOP "\x1e\x00" MSS1460), .payload = 10,
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_BAD },
	{ .name = "length-1 option", .family = 4, .flags = T_SYN,
	    OPTS("\x1e\x01" MSS1460 NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_ADDED,
	    WANT(MSS536 "\x1e\x01" MSS1460 NOP NOP) },
	{ .name = "mss before a zero-length option", .family = 4,
	    .flags = T_SYN, OPTS(MSS1460 "\x1e\x00" NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_LOWERED,
	    WANT(MSS1200 "\x1e\x00" NOP NOP) },
	{ .name = "low mss before a zero-length option", .family = 4,
	    .flags = T_SYN, OPTS(MSS1000 "\x1e\x00" NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD },
	{ .name = "mss before, mss after a zero-length option", .family = 4,
	    .flags = T_SYN, OPTS(MSS1460 NOP NOP "\x1e\x00" MSS1460),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_BAD_LOWERED,
	    WANT(MSS1200 NOP NOP "\x1e\x00" MSS1460) },
	{ .name = "option past the header", .family = 4, .flags = T_SYN,
	    OPTS(NOP NOP "\x08\x0a\x00\x00\x00\x01"), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_ADDED,
	    WANT(MSS536 NOP NOP "\x08\x0a\x00\x00\x00\x01") },
	{ .name = "no room for the length", .family = 4, .flags = T_SYN,
	    OPTS(MSS1460 NOP NOP NOP "\x1e"), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_LOWERED,
	    WANT(MSS1200 NOP NOP NOP "\x1e") },
	{ .name = "mss cut short", .family = 4, .flags = T_SYN,
	    OPTS(NOP NOP "\x02\x04"), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_BAD_ADDED, WANT(MSS536 NOP NOP "\x02\x04") },
	{ .name = "header past the packet", .family = 4, .flags = T_SYN,
	    .doff = 8, OPTS(MSS1460), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_BAD },
	{ .name = "data offset 4", .family = 4, .flags = T_SYN, .doff = 4,
	    OPTS(MSS1460), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_BAD },
	/* Which segments. */
	{ .name = "not a SYN", .family = 4, .flags = T_ACK, OPTS(MSS1460),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_KEPT },
	{ .name = "not a SYN, malformed", .family = 4, .flags = T_ACK,
	    OPTS("\x1e\x00" NOP NOP), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_KEPT },
	{ .name = "SYN-ACK", .family = 4, .flags = T_SYNACK,
	    OPTS(MSS1460 SACKOK NOP NOP), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200 SACKOK NOP NOP) },
	{ .name = "SYN-ACK missing", .family = 4, .flags = T_SYNACK,
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_ADDED,
	    WANT(MSS536) },
	{ .name = "payload", .family = 4, .flags = T_SYN, OPTS(MSS1460),
	    .payload = 333, .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200) },
	{ .name = "ip options, missing", .family = 4, .ext = MSS_EXT_IPOPT,
	    .flags = T_SYN, OPTS(SACKOK NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_ADDED,
	    WANT(MSS536 SACKOK NOP NOP) },
	{ .name = "first fragment, missing", .family = 4,
	    .ext = MSS_EXT_IPMF, .flags = T_SYN, .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_KEPT },
	{ .name = "first fragment, above", .family = 4, .ext = MSS_EXT_IPMF,
	    .flags = T_SYN, OPTS(MSS1460), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200) },
	/* IPv6. */
	{ .name = "above", .family = 6, .flags = T_SYN,
	    OPTS(MSS1460 SACKOK TS NOP WS7), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200 SACKOK TS NOP WS7) },
	{ .name = "below", .family = 6, .flags = T_SYN, OPTS(MSS1000),
	    .ceiling = 1200, .insert = true, .want = NFLB_MSS_KEPT },
	{ .name = "missing (1220 at most)", .family = 6, .flags = T_SYN,
	    OPTS(SACKOK TS), .ceiling = 1400, .insert = true,
	    .want = NFLB_MSS_ADDED, WANT("\x02\x04\x04\xc4" SACKOK TS) },
	{ .name = "missing", .family = 6, .flags = T_SYN, .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_ADDED, WANT(MSS1200) },
	{ .name = "hop-by-hop, missing", .family = 6, .ext = MSS_EXT_HBH,
	    .flags = T_SYN, .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_ADDED, WANT(MSS1200) },
	{ .name = "hop-by-hop, above", .family = 6, .ext = MSS_EXT_HBH,
	    .flags = T_SYN, OPTS(MSS9000), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200) },
	{ .name = "fragment header, missing", .family = 6,
	    .ext = MSS_EXT_FRAG, .flags = T_SYN, .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_KEPT },
	{ .name = "odd offset", .family = 6, .flags = T_SYN,
	    OPTS(NOP MSS1460 NOP NOP NOP), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(NOP MSS1200 NOP NOP NOP) },
	{ .name = "duplicated", .family = 6, .flags = T_SYN,
	    OPTS(MSS9000 MSS1460), .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200 MSS1200) },
	{ .name = "zero-length option", .family = 6, .flags = T_SYN,
	    OPTS(MSS1460 "\x1e\x00" NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_LOWERED,
	    WANT(MSS1200 "\x1e\x00" NOP NOP) },
	{ .name = "zero-length option first", .family = 6, .flags = T_SYN,
	    OPTS("\x1e\x00" MSS1460 NOP NOP), .ceiling = 1200,
	    .insert = true, .want = NFLB_MSS_BAD_ADDED,
	    WANT(MSS1200 "\x1e\x00" MSS1460 NOP NOP) },
	{ .name = "SYN-ACK, payload", .family = 6, .flags = T_SYNACK,
	    OPTS(MSS9000), .payload = 77, .ceiling = 1200, .insert = true,
	    .want = NFLB_MSS_LOWERED, WANT(MSS1200) },
};

static const char * const mss_summed_name[] = {
	[CHECKSUM_NONE] = "none",
	[CHECKSUM_UNNECESSARY] = "unnecessary",
	[CHECKSUM_COMPLETE] = "complete",
	[CHECKSUM_PARTIAL] = "partial",
};

/* Every row in each layout and checksum state: filled by the suite's
 * init, so that the rows above are written once.
 */
static const struct {
	u8 ip_summed;
	bool paged;
} mss_variants[] = {
	{ CHECKSUM_NONE, false },
	{ CHECKSUM_COMPLETE, false },
	{ CHECKSUM_PARTIAL, false },
	{ CHECKSUM_NONE, true },
	{ CHECKSUM_COMPLETE, true },
	{ CHECKSUM_PARTIAL, true },
};

static struct mss_param mss_params[ARRAY_SIZE(mss_cases) *
				   ARRAY_SIZE(mss_variants)];

static int mss_suite_init(struct kunit_suite *suite)
{
	unsigned int i, v, n = 0;

	for (i = 0; i < ARRAY_SIZE(mss_cases); i++) {
		for (v = 0; v < ARRAY_SIZE(mss_variants); v++) {
			mss_params[n].c = &mss_cases[i];
			mss_params[n].ip_summed = mss_variants[v].ip_summed;
			mss_params[n].paged = mss_variants[v].paged;
			n++;
		}
	}
	return 0;
}

static void mss_param_desc(struct mss_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "ipv%u %s, %s, csum %s",
		 p->c->family, p->c->name, p->paged ? "paged" : "linear",
		 mss_summed_name[p->ip_summed]);
}

KUNIT_ARRAY_PARAM(nflb_mss, mss_params, mss_param_desc);

static const __be32 mss_saddr4 = htonl(0xc6336401);	/* 198.51.100.1 */
static const __be32 mss_daddr4 = htonl(0xcb007101);	/* 203.0.113.1 */

static const struct in6_addr mss_saddr6 = {	/* 2001:db8::1 */
	.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }
};

/* 2001:db8:1::1234 */
static const struct in6_addr mss_daddr6 = {
	.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34 }
};

/* Up to two packets per test, freed by the exit hook even when an
 * assertion ends the test early.
 */
struct mss_test {
	struct sk_buff *skb[2];
};

static int mss_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct mss_test), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void mss_test_exit(struct kunit *test)
{
	struct mss_test *t = test->priv;
	unsigned int i;

	if (!t)		/* init failed; KUnit calls exit anyway */
		return;
	for (i = 0; i < ARRAY_SIZE(t->skb); i++)
		kfree_skb(t->skb[i]);
}

static unsigned int mss_l3len(const struct mss_case *c)
{
	if (c->family == 4)
		return sizeof(struct iphdr) + (c->ext == MSS_EXT_IPOPT ? 4 : 0);
	return sizeof(struct ipv6hdr) + (c->ext != MSS_EXT_NONE ? 8 : 0);
}

/* The full TCP checksum of the segment at @tcpoff as the packet now holds
 * it, the field included: 0 when the field is right.
 */
static __sum16 mss_tcp_csum(struct sk_buff *skb, u8 family,
			    unsigned int tcpoff)
{
	unsigned int len = skb->len - tcpoff;
	__wsum sum = skb_checksum(skb, tcpoff, len, 0);

	if (family == 4)
		return csum_tcpudp_magic(ip_hdr(skb)->saddr,
					 ip_hdr(skb)->daddr, len, IPPROTO_TCP,
					 sum);
	return csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
			       len, IPPROTO_TCP, sum);
}

/* The same as a number, for KUNIT_EXPECT_EQ(..., 0). */
static u16 mss_tcp_verify(struct sk_buff *skb, u8 family, unsigned int tcpoff)
{
	return (__force u16)mss_tcp_csum(skb, family, tcpoff);
}

/* The pseudo-header sum a CHECKSUM_PARTIAL field holds. */
static __sum16 mss_tcp_pseudo(struct sk_buff *skb, u8 family,
			      unsigned int tcpoff)
{
	unsigned int len = skb->len - tcpoff;

	if (family == 4)
		return ~csum_tcpudp_magic(ip_hdr(skb)->saddr,
					  ip_hdr(skb)->daddr, len,
					  IPPROTO_TCP, 0);
	return ~csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
				len, IPPROTO_TCP, 0);
}

/* The row's packet with @opts as its options, laid out and summed as
 * @ip_summed and @paged say.
 */
static struct sk_buff *mss_build(struct kunit *test, const struct mss_case *c,
				 const char *opts, unsigned int optlen,
				 u8 ip_summed, bool paged)
{
	unsigned int l3len = mss_l3len(c);
	unsigned int tcplen = sizeof(struct tcphdr) + optlen + c->payload;
	unsigned int len = l3len + tcplen, linlen, i;
	struct sk_buff *skb;
	struct tcphdr *th;
	u8 *pkt;

	KUNIT_ASSERT_EQ(test, optlen % 4, 0);
	pkt = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);

	if (c->family == 4) {
		struct iphdr *iph = (struct iphdr *)pkt;

		iph->version = 4;
		iph->ihl = l3len / 4;
		iph->tot_len = htons(len);
		iph->id = htons(0x1234);
		iph->frag_off = htons(c->ext == MSS_EXT_IPMF ? IP_MF : IP_DF);
		iph->ttl = 64;
		iph->protocol = IPPROTO_TCP;
		iph->saddr = mss_saddr4;
		iph->daddr = mss_daddr4;
		if (c->ext == MSS_EXT_IPOPT)	/* three NOPs and an EOL */
			memcpy(iph + 1, "\x01\x01\x01\x00", 4);
		iph->check = ip_fast_csum(iph, iph->ihl);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)pkt;
		u8 *ext = (u8 *)(ip6h + 1);

		ip6h->version = 6;
		ip6h->payload_len = htons(len - sizeof(*ip6h));
		ip6h->hop_limit = 64;
		ip6h->saddr = mss_saddr6;
		ip6h->daddr = mss_daddr6;
		ip6h->nexthdr = IPPROTO_TCP;
		if (c->ext == MSS_EXT_HBH) {
			ip6h->nexthdr = NEXTHDR_HOP;
			/* next TCP, length 0 (8 bytes), PadN of 4 */
			memcpy(ext, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
		} else if (c->ext == MSS_EXT_FRAG) {
			ip6h->nexthdr = NEXTHDR_FRAGMENT;
			/* next TCP, offset 0 with M set, an identification */
			memcpy(ext, "\x06\x00\x00\x01\x00\x00\xab\xcd", 8);
		}
	}

	th = (struct tcphdr *)(pkt + l3len);
	th->source = htons(40000);
	th->dest = htons(80);
	th->seq = htonl(0x12345678);
	if (c->flags & T_ACK)
		th->ack_seq = htonl(0x9abcdef0);
	((u8 *)th)[13] = c->flags;
	th->doff = c->doff ?: (sizeof(*th) + optlen) / 4;
	th->window = htons(64240);
	memcpy(th + 1, opts, optlen);
	for (i = 0; i < c->payload; i++)
		((u8 *)(th + 1))[optlen + i] = i * 7 + 3;

	/* Laid out: all linear with not a byte of tailroom, or the options
	 * and payload in a page fragment.
	 */
	linlen = paged ? l3len + sizeof(*th) : len;
	skb = alloc_skb(LL_MAX_HEADER + len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, LL_MAX_HEADER);
	if (!paged)
		skb_reserve(skb, skb_tailroom(skb) - len);
	skb_put_data(skb, pkt, linlen);
	if (len > linlen) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			kfree_skb(skb);
		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), pkt + linlen, len - linlen);
		skb_add_rx_frag(skb, 0, page, 0, len - linlen, PAGE_SIZE);
	}
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, l3len);
	skb->protocol = htons(c->family == 4 ? ETH_P_IP : ETH_P_IPV6);

	th = tcp_hdr(skb);
	skb->ip_summed = ip_summed;
	if (ip_summed == CHECKSUM_PARTIAL) {
		th->check = mss_tcp_pseudo(skb, c->family, l3len);
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct tcphdr, check);
	} else {
		th->check = mss_tcp_csum(skb, c->family, l3len);
		if (ip_summed == CHECKSUM_COMPLETE)
			skb->csum = skb_checksum(skb, 0, skb->len, 0);
	}
	return skb;
}

/* The checksums of @skb, whatever its state, and its IP length. */
static void mss_check_sums(struct kunit *test, struct sk_buff *skb,
			   u8 family, unsigned int tcpoff)
{
	if (family == 4) {
		const struct iphdr *iph = ip_hdr(skb);

		KUNIT_EXPECT_EQ(test, (__force u16)ip_fast_csum(iph, iph->ihl),
				0);
		KUNIT_EXPECT_EQ(test, ntohs(ip_hdr(skb)->tot_len), skb->len);
	} else {
		KUNIT_EXPECT_EQ(test, ntohs(ipv6_hdr(skb)->payload_len) +
				sizeof(struct ipv6hdr), skb->len);
	}

	switch (skb->ip_summed) {
	case CHECKSUM_COMPLETE:
		/* skb->csum still sums the packet. */
		KUNIT_EXPECT_EQ(test, (__force u16)csum_fold(skb->csum),
				(__force u16)csum_fold(skb_checksum(skb, 0,
								    skb->len,
								    0)));
		fallthrough;
	case CHECKSUM_NONE:
		KUNIT_EXPECT_EQ(test, mss_tcp_verify(skb, family, tcpoff), 0);
		break;
	case CHECKSUM_PARTIAL: {
		__sum16 check;

		/* The field holds the pseudo-header sum of the new length;
		 * finishing the checksum as a device would gives a valid
		 * segment.
		 */
		KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, tcpoff + 16, &check,
						    sizeof(check)), 0);
		KUNIT_EXPECT_EQ(test, (__force u16)check,
				(__force u16)mss_tcp_pseudo(skb, family, tcpoff));
		KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
		KUNIT_EXPECT_EQ(test, mss_tcp_verify(skb, family, tcpoff), 0);
		break;
	}
	default:
		KUNIT_FAIL(test, "ip_summed became %u", skb->ip_summed);
	}
}

/* Fails the test at the first byte where @got and @want differ, except
 * @skip1 and @skip2 (16-bit fields to ignore; an offset past the end for
 * none).
 */
static void mss_expect_bytes(struct kunit *test, const u8 *got,
			     const u8 *want, unsigned int len,
			     unsigned int skip1, unsigned int skip2)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (i / 2 == skip1 / 2 || i / 2 == skip2 / 2)
			continue;
		if (got[i] != want[i]) {
			KUNIT_FAIL(test, "byte %u is %#04x, want %#04x", i,
				   got[i], want[i]);
			return;
		}
	}
}

static u8 *mss_bytes(struct kunit *test, const struct sk_buff *skb)
{
	u8 *buf = kunit_kzalloc(test, skb->len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, buf, skb->len), 0);
	return buf;
}

static void nflb_mss_clamp_test(struct kunit *test)
{
	const struct mss_param *p = test->param_value;
	const struct mss_case *c = p->c;
	unsigned int tcpoff = mss_l3len(c), len;
	struct mss_test *t = test->priv;
	enum nflb_mss_verdict got;
	u8 *before, *after, *want;
	struct sk_buff *skb, *exp;
	__wsum csum;

	skb = mss_build(test, c, c->opts, c->optlen, p->ip_summed, p->paged);
	t->skb[0] = skb;
	/* The packet as built is right, or the test proves nothing. */
	if (p->ip_summed != CHECKSUM_PARTIAL)
		KUNIT_ASSERT_EQ(test, mss_tcp_verify(skb, c->family, tcpoff), 0);
	before = mss_bytes(test, skb);
	len = skb->len;
	csum = skb->csum;

	got = nflb_mss_clamp(skb, tcpoff, c->family == 4 ? AF_INET : AF_INET6,
			     c->ceiling, c->insert);
	KUNIT_ASSERT_EQ(test, got, c->want);
	KUNIT_EXPECT_EQ(test, (u8)skb->ip_summed, p->ip_summed);

	if (got == NFLB_MSS_KEPT || got == NFLB_MSS_BAD) {
		KUNIT_ASSERT_EQ(test, skb->len, len);
		mss_expect_bytes(test, mss_bytes(test, skb), before, len, ~0U,
				 ~0U);
		if (p->ip_summed == CHECKSUM_COMPLETE)
			KUNIT_EXPECT_EQ(test, (__force u32)skb->csum,
					(__force u32)csum);
		return;
	}

	/* Changed: everything but the checksum fields is what the row
	 * built from scratch with the expected options holds.
	 */
	exp = mss_build(test, c, c->want_opts, c->want_optlen, CHECKSUM_NONE,
			false);
	t->skb[1] = exp;
	KUNIT_ASSERT_EQ(test, skb->len, exp->len);
	after = mss_bytes(test, skb);
	want = mss_bytes(test, exp);
	mss_expect_bytes(test, after, want, skb->len, tcpoff + 16,
			 c->family == 4 ? 10 : ~0U);
	mss_check_sums(test, skb, c->family, tcpoff);
}

/* A clone shares its data: clamping one copy leaves the other intact. */
static void nflb_mss_clone_test(struct kunit *test)
{
	static const struct mss_case c = {
		.name = "clone", .family = 4, .flags = T_SYN, OPTS(MSS1460),
	};
	struct mss_test *t = test->priv;
	struct sk_buff *skb, *clone;
	unsigned int tcpoff = mss_l3len(&c);
	u8 *before;

	skb = mss_build(test, &c, c.opts, c.optlen, CHECKSUM_NONE, true);
	t->skb[0] = skb;
	before = mss_bytes(test, skb);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	t->skb[1] = clone;

	KUNIT_ASSERT_EQ(test, nflb_mss_clamp(clone, tcpoff, AF_INET, 1200,
					     true), NFLB_MSS_LOWERED);
	mss_expect_bytes(test, mss_bytes(test, skb), before, skb->len, ~0U,
			 ~0U);
	mss_check_sums(test, clone, 4, tcpoff);
	mss_check_sums(test, skb, 4, tcpoff);
}

/* An insertion into a clone must not write into the shared data either. */
static void nflb_mss_clone_insert_test(struct kunit *test)
{
	static const struct mss_case c = {
		.name = "clone", .family = 6, .flags = T_SYN, OPTS(SACKOK TS),
	};
	struct mss_test *t = test->priv;
	struct sk_buff *skb, *clone;
	unsigned int tcpoff = mss_l3len(&c);
	u8 *before;

	skb = mss_build(test, &c, c.opts, c.optlen, CHECKSUM_COMPLETE, false);
	t->skb[0] = skb;
	before = mss_bytes(test, skb);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	t->skb[1] = clone;

	KUNIT_ASSERT_EQ(test, nflb_mss_clamp(clone, tcpoff, AF_INET6, 1000,
					     true), NFLB_MSS_ADDED);
	KUNIT_EXPECT_EQ(test, clone->len, skb->len + 4);
	mss_expect_bytes(test, mss_bytes(test, skb), before, skb->len, ~0U,
			 ~0U);
	mss_check_sums(test, clone, 6, tcpoff);
	mss_check_sums(test, skb, 6, tcpoff);
}

static struct kunit_case nflb_mss_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_mss_clamp_test, nflb_mss_gen_params),
	KUNIT_CASE(nflb_mss_clone_test),
	KUNIT_CASE(nflb_mss_clone_insert_test),
	{}
};

static struct kunit_suite nflb_mss_test_suite = {
	.name = "nflb_mss",
	.suite_init = mss_suite_init,
	.init = mss_test_init,
	.exit = mss_test_exit,
	.test_cases = nflb_mss_test_cases,
};

kunit_test_suite(nflb_mss_test_suite);
