// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the attributes of GET_SERVICE replies (netlink_fill.c),
 * suite "nflb_netlink_fill".
 *
 * netlink_fill.c checks the room for a service's or a backend's attributes
 * once and then writes them in place.  What it writes must be what the
 * nla_put() family would have written, byte for byte, for any values and
 * wherever in the message they land (a 64-bit value gets a pad attribute
 * first on architectures that need it, depending on its address); and
 * with less room than the attributes take it must write nothing.  Each
 * case builds a service and a backend, puts them both ways after 0 or 4
 * bytes of other data, compares, then offers 4 bytes less room than they
 * took.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/socket.h>
#include <net/netlink.h>

#include "nflb.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct nflb_fill_case {
	const char *desc;
	const char *sched;		/* up to NFLB_SCHED_NAME_MAX - 1 chars */
	u16 family;
	u8 mode, tunnel, mss_mode;
	u64 counter;			/* CPU n's counters start at this + n */
	unsigned int offset;		/* bytes in the message before */
};

static const struct nflb_fill_case nflb_fill_cases[] = {
	{ "IPv4 NAT", "rr", AF_INET, NFLB_FWD_NAT, 0, NFLB_MSS_OFF, 0, 0 },
	{ "IPv4 NAT, 4 bytes on", "rr", AF_INET, NFLB_FWD_NAT, 0,
	  NFLB_MSS_OFF, 7, 4 },
	{ "IPv6 TUN GUE fixed MSS, longest scheduler name", "fifteen-chars-x",
	  AF_INET6, NFLB_FWD_TUN, NFLB_TUNNEL_GUE, NFLB_MSS_FIXED,
	  U64_MAX / 4, 0 },
	{ "IPv6 TUN GUE fixed MSS, 4 bytes on", "fifteen-chars-x", AF_INET6,
	  NFLB_FWD_TUN, NFLB_TUNNEL_GUE, NFLB_MSS_FIXED, U64_MAX / 4, 4 },
	{ "IPv4 TUN IPIP auto MSS", "wlc", AF_INET, NFLB_FWD_TUN,
	  NFLB_TUNNEL_IPIP, NFLB_MSS_AUTO, 1ULL << 40, 4 },
	{ "IPv6 DR", "sh", AF_INET6, NFLB_FWD_DR, 0, NFLB_MSS_OFF, 12345, 0 },
};

static void nflb_fill_case_desc(const struct nflb_fill_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nflb_fill, nflb_fill_cases, nflb_fill_case_desc);

/* What the in-place writer replaced: the nla_put() calls, as they were. */
static int nflb_ref_put_stats(struct sk_buff *skb, int type,
			      struct nflb_stats_pcpu __percpu *pcpu)
{
	struct nflb_stats s;
	struct nlattr *nest;

	nflb_stats_read(pcpu, &s);
	nest = nla_nest_start(skb, type);
	if (!nest ||
	    nla_put_u64_64bit(skb, NFLB_STATS_A_CONNS, s.conns,
			      NFLB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_STATS_A_PKTS_IN, s.pkts_in,
			      NFLB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_STATS_A_PKTS_OUT, s.pkts_out,
			      NFLB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_STATS_A_BYTES_IN, s.bytes_in,
			      NFLB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_STATS_A_BYTES_OUT, s.bytes_out,
			      NFLB_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_ref_put_backend(struct sk_buff *skb, struct nflb_backend *be)
{
	struct nlattr *nest = nla_nest_start(skb, NFLB_A_BACKEND);

	if (!nest ||
	    nla_put_u16(skb, NFLB_BE_A_FAMILY, be->family) ||
	    nla_put(skb, NFLB_BE_A_ADDR, NFLB_ADDR_LEN, &be->addr) ||
	    nla_put_u16(skb, NFLB_BE_A_PORT, ntohs(be->port)) ||
	    nla_put_u32(skb, NFLB_BE_A_WEIGHT, be->weight) ||
	    nla_put_u32(skb, NFLB_BE_A_ACTIVE_CONNS,
			atomic_read(&be->active_conns)) ||
	    nla_put_u32(skb, NFLB_BE_A_INACTIVE_CONNS,
			atomic_read(&be->inactive_conns)) ||
	    nflb_ref_put_stats(skb, NFLB_BE_A_STATS, be->stats))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_ref_put_svc_head(struct sk_buff *skb, struct nflb_service *svc)
{
	if (nla_put_u16(skb, NFLB_SVC_A_FAMILY, svc->family) ||
	    nla_put_u8(skb, NFLB_SVC_A_PROTO, svc->proto) ||
	    nla_put(skb, NFLB_SVC_A_ADDR, NFLB_ADDR_LEN, &svc->addr) ||
	    nla_put_u16(skb, NFLB_SVC_A_PORT, ntohs(svc->port)) ||
	    nla_put_string(skb, NFLB_SVC_A_SCHED, svc->sched->name) ||
	    nla_put_u8(skb, NFLB_SVC_A_MODE, svc->mode) ||
	    nla_put_u32(skb, NFLB_SVC_A_PERSIST, svc->persist) ||
	    nla_put_u8(skb, NFLB_SVC_A_MSS_MODE, svc->mss_mode) ||
	    nla_put_u32(skb, NFLB_SVC_A_FLAGS, svc->flags) ||
	    nla_put_u32(skb, NFLB_SVC_A_NUM_BACKENDS, svc->num_backends) ||
	    nflb_ref_put_stats(skb, NFLB_SVC_A_STATS, svc->stats))
		return -EMSGSIZE;
	if (svc->mode == NFLB_FWD_TUN &&
	    (nla_put_u8(skb, NFLB_SVC_A_TUNNEL, svc->tunnel) ||
	     (svc->tunnel == NFLB_TUNNEL_GUE &&
	      nla_put_u16(skb, NFLB_SVC_A_GUE_PORT, svc->gue_port))))
		return -EMSGSIZE;
	if (svc->mss_mode == NFLB_MSS_FIXED &&
	    nla_put_u16(skb, NFLB_SVC_A_MSS, svc->mss))
		return -EMSGSIZE;
	return 0;
}

struct nflb_fill_ctx {
	struct nflb_sched_ops ops;
	struct nflb_service svc;
	struct nflb_backend be;
	struct nflb_stats_chunk *svc_chunk, *be_chunk;
};

static void nflb_fill_counters(struct nflb_stats_pcpu __percpu *pcpu, u64 v)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct nflb_stats_pcpu *s = per_cpu_ptr(pcpu, cpu);

		s->s.conns = v + cpu;
		s->s.pkts_in = v * 2 + cpu;
		s->s.pkts_out = v * 3 + cpu;
		s->s.bytes_in = v * 3 + 1;
		s->s.bytes_out = v + 5;
	}
}

static int nflb_fill_init(struct kunit *test)
{
	const struct nflb_fill_case *c = test->param_value;
	struct nflb_fill_ctx *x;
	struct nflb_service *svc;
	struct nflb_backend *be;

	x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	svc = &x->svc;
	be = &x->be;
	x->ops.name = c->sched;
	svc->sched = &x->ops;
	svc->family = c->family;
	svc->proto = IPPROTO_UDP;
	svc->port = htons(53);
	svc->mode = c->mode;
	svc->tunnel = c->tunnel;
	svc->gue_port = 6080;
	svc->mss_mode = c->mss_mode;
	svc->mss = 1360;
	svc->persist = 300;
	svc->flags = 0x5;
	svc->num_backends = 1;
	memset(&svc->addr, 0xc6, c->family == AF_INET6 ? 16 : 4);
	be->family = c->family;
	be->port = htons(5353);
	be->weight = 70000;
	atomic_set(&be->active_conns, 3);
	atomic_set(&be->inactive_conns, 1 << 20);
	memset(&be->addr, 0x0a, c->family == AF_INET6 ? 16 : 4);
	svc->stats = nflb_stats_get(1, &x->svc_chunk);
	if (!svc->stats)
		return -ENOMEM;
	be->stats = nflb_stats_get(1, &x->be_chunk);
	if (!be->stats) {
		nflb_stats_put(x->svc_chunk, svc->stats, 1);
		return -ENOMEM;
	}
	nflb_fill_counters(svc->stats, c->counter);
	nflb_fill_counters(be->stats, c->counter * 5 + 11);
	test->priv = x;
	return 0;
}

static void nflb_fill_exit(struct kunit *test)
{
	struct nflb_fill_ctx *x = test->priv;

	nflb_stats_put(x->svc_chunk, x->svc.stats, 1);
	nflb_stats_put(x->be_chunk, x->be.stats, 1);
}

/*
 * Puts what put() writes into a fresh message after @offset bytes, with
 * @room bytes left for it (0: plenty); returns the message.
 */
static struct sk_buff *nflb_fill_run(struct kunit *test, unsigned int offset,
				     unsigned int room, int expect,
				     int (*put)(struct sk_buff *skb, void *obj),
				     void *obj)
{
	struct sk_buff *skb = alloc_skb(offset + room + 256, GFP_KERNEL);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_zero(skb, offset);
	/* Exactly @room bytes left, whatever ksize() added. */
	if (room) {
		KUNIT_ASSERT_GE(test, skb_tailroom(skb), (int)room);
		skb_put_zero(skb, skb_tailroom(skb) - room);
	}
	err = put(skb, obj);
	KUNIT_EXPECT_EQ(test, err, expect);
	KUNIT_EXPECT_LE(test, skb->tail, skb->end);
	return skb;
}

static int nflb_fill_svc(struct sk_buff *skb, void *svc)
{
	return nflb_nl_put_svc_head(skb, svc);
}

static int nflb_fill_ref_svc(struct sk_buff *skb, void *svc)
{
	return nflb_ref_put_svc_head(skb, svc);
}

static int nflb_fill_be(struct sk_buff *skb, void *be)
{
	return nflb_nl_put_backend(skb, be);
}

static int nflb_fill_ref_be(struct sk_buff *skb, void *be)
{
	return nflb_ref_put_backend(skb, be);
}

static void nflb_fill_compare(struct kunit *test,
			      int (*put)(struct sk_buff *skb, void *obj),
			      int (*ref)(struct sk_buff *skb, void *obj),
			      void *obj)
{
	const struct nflb_fill_case *c = test->param_value;
	struct sk_buff *a, *b;
	unsigned int len;

	b = nflb_fill_run(test, c->offset, 0, 0, ref, obj);
	a = nflb_fill_run(test, c->offset, 0, 0, put, obj);
	len = b->len - c->offset;
	KUNIT_EXPECT_GT(test, len, 0U);
	KUNIT_EXPECT_EQ(test, a->len, b->len);
	if (a->len == b->len)
		KUNIT_EXPECT_EQ(test, memcmp(a->data, b->data, a->len), 0);
	kfree_skb(a);
	kfree_skb(b);

	/* Less room than it takes: nothing written, no overflow. */
	a = nflb_fill_run(test, c->offset, len - 4, -EMSGSIZE, put, obj);
	KUNIT_EXPECT_EQ(test, skb_tailroom(a), (int)len - 4);
	kfree_skb(a);
}

static void nflb_fill_svc_test(struct kunit *test)
{
	struct nflb_fill_ctx *x = test->priv;

	nflb_fill_compare(test, nflb_fill_svc, nflb_fill_ref_svc, &x->svc);
}

static void nflb_fill_be_test(struct kunit *test)
{
	struct nflb_fill_ctx *x = test->priv;

	nflb_fill_compare(test, nflb_fill_be, nflb_fill_ref_be, &x->be);
}

static struct kunit_case nflb_netlink_fill_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_fill_svc_test, nflb_fill_gen_params),
	KUNIT_CASE_PARAM(nflb_fill_be_test, nflb_fill_gen_params),
	{}
};

static struct kunit_suite nflb_netlink_fill_test_suite = {
	.name = "nflb_netlink_fill",
	.init = nflb_fill_init,
	.exit = nflb_fill_exit,
	.test_cases = nflb_netlink_fill_test_cases,
};

kunit_test_suite(nflb_netlink_fill_test_suite);
