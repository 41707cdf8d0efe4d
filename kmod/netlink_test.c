// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for netlink attribute parsing (netlink.c), suite
 * "nflb_netlink".
 *
 * nflb_nl_parse_svc_key() turns the NFLB_A_SERVICE nest of a request into
 * the key that names a service: the policy (exact lengths, ranges, reply-only
 * attributes rejected, strict about unknown types), then the checks the
 * policy cannot express (families, protocols, IPv4 padding, the
 * unspecified address).  Each case builds a nest in an skb the way lbctl
 * sends it, with one thing changed, and checks the error, the extack
 * message and, for a missing attribute, which one extack names.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/socket.h>
#include <net/netlink.h>

#include "nflb.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* What a case leaves out of, or adds to, a well-formed nest. */
#define NL_NO_FAMILY	BIT(0)
#define NL_NO_PROTO	BIT(1)
#define NL_NO_ADDR	BIT(2)
#define NL_NO_PORT	BIT(3)
#define NL_SHORT_ADDR	BIT(4)	/* a 4-byte address attribute */
#define NL_WIDE_FAMILY	BIT(5)	/* the family as a u32 */
#define NL_STATS	BIT(6)	/* a reply-only attribute */
#define NL_UNKNOWN	BIT(7)	/* an attribute type above NFLB_SVC_A_MAX */
#define NL_EXTRA	BIT(8)	/* settings a key parse ignores */

struct nflb_nl_case {
	const char *desc;
	u16 family;
	u8 proto;
	u8 addr[NFLB_ADDR_LEN];
	u16 port;
	unsigned int flags;
	int err;
	int missing;		/* the NFLB_SVC_A_* extack names, or 0 */
};

#define V4(a, b, c, d)	{ a, b, c, d }
#define V6_DOC		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 }	/* 2001:db8::1 */

static const struct nflb_nl_case nflb_nl_cases[] = {
	{ "IPv4 TCP", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80, 0, 0 },
	{ "IPv6 UDP", AF_INET6, IPPROTO_UDP, V6_DOC, 53, 0, 0 },
	{ "other settings ignored", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1),
	  443, NL_EXTRA, 0 },
	{ "highest port", AF_INET6, IPPROTO_TCP, V6_DOC, 65535, 0, 0 },

	{ "family missing", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_NO_FAMILY, -EINVAL, NFLB_SVC_A_FAMILY },
	{ "protocol missing", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_NO_PROTO, -EINVAL, NFLB_SVC_A_PROTO },
	{ "address missing", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_NO_ADDR, -EINVAL, NFLB_SVC_A_ADDR },
	{ "port missing", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_NO_PORT, -EINVAL, NFLB_SVC_A_PORT },

	{ "AF_PACKET", AF_PACKET, IPPROTO_TCP, V4(203, 0, 113, 1), 80, 0,
	  -EAFNOSUPPORT },
	{ "AF_UNSPEC", AF_UNSPEC, IPPROTO_TCP, V4(203, 0, 113, 1), 80, 0,
	  -EAFNOSUPPORT },
	{ "ICMP", AF_INET, IPPROTO_ICMP, V4(203, 0, 113, 1), 80, 0,
	  -EPROTONOSUPPORT },
	{ "SCTP", AF_INET6, IPPROTO_SCTP, V6_DOC, 80, 0, -EPROTONOSUPPORT },
	{ "IPv4 with bytes after the address", AF_INET, IPPROTO_TCP,
	  { 203, 0, 113, 1, [15] = 1 }, 80, 0, -EINVAL },
	{ "IPv4 0.0.0.0", AF_INET, IPPROTO_TCP, V4(0, 0, 0, 0), 80, 0,
	  -EINVAL },
	{ "IPv6 ::", AF_INET6, IPPROTO_TCP, { 0 }, 80, 0, -EINVAL },
	/* An IPv6 address whose last 12 bytes are zero is fine. */
	{ "IPv6 2001:db8::", AF_INET6, IPPROTO_TCP, { 0x20, 0x01, 0x0d, 0xb8 },
	  80, 0, 0 },

	/* The policy's own refusals. */
	{ "port 0", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 0, 0, -ERANGE },
	{ "4-byte address", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_SHORT_ADDR, -ERANGE },
	{ "family as u32", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_WIDE_FAMILY, -EINVAL },
	{ "reply-only attribute", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_STATS, -EINVAL },
	{ "unknown attribute", AF_INET, IPPROTO_TCP, V4(203, 0, 113, 1), 80,
	  NL_UNKNOWN, -EINVAL },
};

static void nflb_nl_case_desc(const struct nflb_nl_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nflb_nl, nflb_nl_cases, nflb_nl_case_desc);

static int nflb_nl_test_init(struct kunit *test)
{
	test->priv = alloc_skb(NLMSG_GOODSIZE, GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void nflb_nl_test_exit(struct kunit *test)
{
	kfree_skb(test->priv);
}

/* The NFLB_A_SERVICE nest of a request, as the case wants it. */
static struct nlattr *nflb_nl_build(struct kunit *test, struct sk_buff *skb,
				    const struct nflb_nl_case *c)
{
	unsigned int f = c->flags;
	struct nlattr *nest;
	int err = 0;

	nest = nla_nest_start(skb, NFLB_A_SERVICE);
	KUNIT_ASSERT_NOT_NULL(test, nest);
	if (f & NL_WIDE_FAMILY)
		err |= nla_put_u32(skb, NFLB_SVC_A_FAMILY, c->family);
	else if (!(f & NL_NO_FAMILY))
		err |= nla_put_u16(skb, NFLB_SVC_A_FAMILY, c->family);
	if (!(f & NL_NO_PROTO))
		err |= nla_put_u8(skb, NFLB_SVC_A_PROTO, c->proto);
	if (!(f & NL_NO_ADDR))
		err |= nla_put(skb, NFLB_SVC_A_ADDR,
			       f & NL_SHORT_ADDR ? 4 : NFLB_ADDR_LEN, c->addr);
	if (!(f & NL_NO_PORT))
		err |= nla_put_u16(skb, NFLB_SVC_A_PORT, c->port);
	if (f & NL_EXTRA) {
		err |= nla_put_string(skb, NFLB_SVC_A_SCHED, "wrr");
		err |= nla_put_u32(skb, NFLB_SVC_A_PERSIST, 300);
	}
	if (f & NL_STATS)
		err |= nla_put_u32(skb, NFLB_SVC_A_NUM_BACKENDS, 1);
	if (f & NL_UNKNOWN)
		err |= nla_put_u32(skb, NFLB_SVC_A_MAX + 1, 0);
	KUNIT_ASSERT_EQ(test, err, 0);
	nla_nest_end(skb, nest);
	return nest;
}

static void nflb_nl_svc_key_test(struct kunit *test)
{
	const struct nflb_nl_case *c = test->param_value;
	struct netlink_ext_ack extack = {};
	struct nflb_svc_key key;
	struct nlattr *nest;
	int err;

	nest = nflb_nl_build(test, test->priv, c);
	memset(&key, 0xa5, sizeof(key));
	err = nflb_nl_parse_svc_key(nest, &key, &extack);
	KUNIT_ASSERT_EQ(test, err, c->err);

	if (err) {
		/* Every refusal says why. */
		KUNIT_EXPECT_NOT_NULL(test, extack._msg);
		if (c->missing) {
			KUNIT_EXPECT_PTR_EQ(test, extack.miss_nest, nest);
			KUNIT_EXPECT_EQ(test, extack.miss_type, c->missing);
		}
		return;
	}
	KUNIT_EXPECT_EQ(test, key.family, c->family);
	KUNIT_EXPECT_EQ(test, key.proto, c->proto);
	KUNIT_EXPECT_EQ(test, ntohs(key.port), c->port);
	/* (6.1 has no KUNIT_EXPECT_MEMEQ.) */
	KUNIT_EXPECT_EQ(test, memcmp(&key.addr, c->addr, NFLB_ADDR_LEN), 0);
}

static struct kunit_case nflb_netlink_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_nl_svc_key_test, nflb_nl_gen_params),
	{}
};

static struct kunit_suite nflb_netlink_test_suite = {
	.name = "nflb_netlink",
	.init = nflb_nl_test_init,
	.exit = nflb_nl_test_exit,
	.test_cases = nflb_netlink_test_cases,
};

kunit_test_suite(nflb_netlink_test_suite);
