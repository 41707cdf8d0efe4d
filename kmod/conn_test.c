// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the connection table's TCP state machine and timeouts
 * (conn.c), suite "nflb_conn_state".
 *
 * nflb_tcp_next_state() is driven with one table row per (state, direction,
 * flags) case worth pinning down, then through whole connections (a
 * handshake and both closes, a reset) the way the packet path feeds it;
 * nflb_conn_timeout() is checked against a namespace whose timeouts the
 * test sets.  No table, no packets: those entry points are pure.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "conn.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Packet flags, as the table rows spell them. */
#define SYN	BIT(0)
#define ACK	BIT(1)
#define FIN	BIT(2)
#define RST	BIT(3)

struct nflb_tcp_case {
	const char *desc;
	unsigned int old;
	bool reply;		/* backend to client */
	unsigned int flags;
	unsigned int want;
};

static const struct nflb_tcp_case nflb_tcp_cases[] = {
	/* The handshake. */
	{ "SYN-ACK reply in SYN_SENT", NFLB_CONN_SYN_SENT, true, SYN | ACK,
	  NFLB_CONN_SYN_RECV },
	{ "ACK request in SYN_RECV", NFLB_CONN_SYN_RECV, false, ACK,
	  NFLB_CONN_ESTABLISHED },
	{ "retransmitted SYN in SYN_SENT", NFLB_CONN_SYN_SENT, false, SYN,
	  NFLB_CONN_SYN_SENT },
	{ "SYN-ACK request (not a reply) in SYN_SENT", NFLB_CONN_SYN_SENT,
	  false, SYN | ACK, NFLB_CONN_SYN_SENT },
	{ "SYN reply without ACK in SYN_SENT", NFLB_CONN_SYN_SENT, true, SYN,
	  NFLB_CONN_SYN_SENT },
	{ "SYN-ACK reply in ESTABLISHED", NFLB_CONN_ESTABLISHED, true,
	  SYN | ACK, NFLB_CONN_ESTABLISHED },
	{ "ACK reply in SYN_RECV", NFLB_CONN_SYN_RECV, true, ACK,
	  NFLB_CONN_SYN_RECV },
	{ "ACK request in ESTABLISHED", NFLB_CONN_ESTABLISHED, false, ACK,
	  NFLB_CONN_ESTABLISHED },
	{ "bare segment in ESTABLISHED", NFLB_CONN_ESTABLISHED, false, 0,
	  NFLB_CONN_ESTABLISHED },

	/* The client closes first. */
	{ "FIN request in ESTABLISHED", NFLB_CONN_ESTABLISHED, false,
	  FIN | ACK, NFLB_CONN_FIN_WAIT },
	{ "FIN request again in FIN_WAIT", NFLB_CONN_FIN_WAIT, false,
	  FIN | ACK, NFLB_CONN_FIN_WAIT },
	{ "FIN reply in FIN_WAIT", NFLB_CONN_FIN_WAIT, true, FIN | ACK,
	  NFLB_CONN_LAST_ACK },
	{ "ACK request in LAST_ACK", NFLB_CONN_LAST_ACK, false, ACK,
	  NFLB_CONN_TIME_WAIT },

	/* The backend closes first. */
	{ "FIN reply in ESTABLISHED", NFLB_CONN_ESTABLISHED, true, FIN | ACK,
	  NFLB_CONN_CLOSE_WAIT },
	{ "FIN reply again in CLOSE_WAIT", NFLB_CONN_CLOSE_WAIT, true,
	  FIN | ACK, NFLB_CONN_CLOSE_WAIT },
	{ "FIN request in CLOSE_WAIT", NFLB_CONN_CLOSE_WAIT, false, FIN | ACK,
	  NFLB_CONN_LAST_ACK },
	{ "ACK reply in LAST_ACK", NFLB_CONN_LAST_ACK, true, ACK,
	  NFLB_CONN_TIME_WAIT },

	/* A FIN before the handshake completed. */
	{ "FIN request in SYN_SENT", NFLB_CONN_SYN_SENT, false, FIN,
	  NFLB_CONN_FIN_WAIT },
	{ "FIN reply in SYN_RECV", NFLB_CONN_SYN_RECV, true, FIN | ACK,
	  NFLB_CONN_CLOSE_WAIT },

	/* Late and stray segments leave the final states alone. */
	{ "FIN in TIME_WAIT", NFLB_CONN_TIME_WAIT, false, FIN | ACK,
	  NFLB_CONN_TIME_WAIT },
	{ "FIN in LAST_ACK", NFLB_CONN_LAST_ACK, true, FIN | ACK,
	  NFLB_CONN_LAST_ACK },
	{ "ACK in TIME_WAIT", NFLB_CONN_TIME_WAIT, true, ACK,
	  NFLB_CONN_TIME_WAIT },
	{ "ACK in CLOSE", NFLB_CONN_CLOSE, false, ACK, NFLB_CONN_CLOSE },
	{ "SYN in TIME_WAIT (the packet path replaces the entry)",
	  NFLB_CONN_TIME_WAIT, false, SYN, NFLB_CONN_TIME_WAIT },

	/* A reset closes from anywhere, whatever else it carries. */
	{ "RST request in SYN_SENT", NFLB_CONN_SYN_SENT, false, RST,
	  NFLB_CONN_CLOSE },
	{ "RST reply in SYN_SENT", NFLB_CONN_SYN_SENT, true, RST | ACK,
	  NFLB_CONN_CLOSE },
	{ "RST reply in ESTABLISHED", NFLB_CONN_ESTABLISHED, true, RST,
	  NFLB_CONN_CLOSE },
	{ "RST with SYN and FIN in ESTABLISHED", NFLB_CONN_ESTABLISHED, false,
	  RST | SYN | FIN | ACK, NFLB_CONN_CLOSE },
	{ "RST in TIME_WAIT", NFLB_CONN_TIME_WAIT, false, RST,
	  NFLB_CONN_CLOSE },
};

static void nflb_tcp_case_desc(const struct nflb_tcp_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nflb_tcp, nflb_tcp_cases, nflb_tcp_case_desc);

static unsigned int nflb_tcp_step(unsigned int old, bool reply,
				  unsigned int flags)
{
	return nflb_tcp_next_state(old, reply, flags & SYN, flags & ACK,
				   flags & FIN, flags & RST);
}

static void nflb_tcp_transition_test(struct kunit *test)
{
	const struct nflb_tcp_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, nflb_tcp_step(c->old, c->reply, c->flags),
			c->want);
}

/* Whole connections, one segment at a time, both directions. */
struct nflb_tcp_seg {
	bool reply;
	unsigned int flags;
	unsigned int want;
};

static void nflb_tcp_walk(struct kunit *test, const struct nflb_tcp_seg *seg,
			  unsigned int n)
{
	unsigned int state = NFLB_CONN_SYN_SENT, i;

	for (i = 0; i < n; i++) {
		state = nflb_tcp_step(state, seg[i].reply, seg[i].flags);
		KUNIT_EXPECT_EQ_MSG(test, state, seg[i].want, "segment %u", i);
	}
}

static void nflb_tcp_client_close_test(struct kunit *test)
{
	static const struct nflb_tcp_seg seg[] = {
		{ true, SYN | ACK, NFLB_CONN_SYN_RECV },
		{ false, ACK, NFLB_CONN_ESTABLISHED },
		{ false, ACK, NFLB_CONN_ESTABLISHED },	/* data */
		{ true, ACK, NFLB_CONN_ESTABLISHED },	/* data */
		{ false, FIN | ACK, NFLB_CONN_FIN_WAIT },
		{ true, ACK, NFLB_CONN_FIN_WAIT },
		{ true, FIN | ACK, NFLB_CONN_LAST_ACK },
		{ false, ACK, NFLB_CONN_TIME_WAIT },
	};

	nflb_tcp_walk(test, seg, ARRAY_SIZE(seg));
}

static void nflb_tcp_backend_close_test(struct kunit *test)
{
	static const struct nflb_tcp_seg seg[] = {
		{ true, SYN | ACK, NFLB_CONN_SYN_RECV },
		{ false, ACK, NFLB_CONN_ESTABLISHED },
		{ true, FIN | ACK, NFLB_CONN_CLOSE_WAIT },
		{ false, ACK, NFLB_CONN_CLOSE_WAIT },
		{ false, FIN | ACK, NFLB_CONN_LAST_ACK },
		{ true, ACK, NFLB_CONN_TIME_WAIT },
	};

	nflb_tcp_walk(test, seg, ARRAY_SIZE(seg));
}

static void nflb_tcp_refused_test(struct kunit *test)
{
	static const struct nflb_tcp_seg seg[] = {
		{ false, SYN, NFLB_CONN_SYN_SENT },	/* retransmission */
		{ true, RST | ACK, NFLB_CONN_CLOSE },
	};

	nflb_tcp_walk(test, seg, ARRAY_SIZE(seg));
}

/* Timeouts follow the namespace's settings, or fixed short ones. */
static void nflb_conn_timeout_test(struct kunit *test)
{
	struct nflb_net *nn;
	unsigned int s;

	nn = kunit_kzalloc(test, sizeof(*nn), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, nn);
	nn->timeout[NFLB_TIMEOUT_A_TCP] = 900;
	nn->timeout[NFLB_TIMEOUT_A_TCP_FIN] = 120;
	nn->timeout[NFLB_TIMEOUT_A_UDP] = 300;

	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_ESTABLISHED,
						IPPROTO_TCP), 900UL * HZ);
	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_FIN_WAIT,
						IPPROTO_TCP), 120UL * HZ);
	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_CLOSE_WAIT,
						IPPROTO_TCP), 120UL * HZ);
	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_LAST_ACK,
						IPPROTO_TCP), 120UL * HZ);
	/* UDP has one timeout, whatever the state field says. */
	for (s = NFLB_CONN_NONE; s <= NFLB_CONN_STATE_MAX; s++)
		KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, s, IPPROTO_UDP),
				300UL * HZ);

	/* Half-open and closed entries go quickly, and never outlive an
	 * established one.
	 */
	KUNIT_EXPECT_GT(test, nflb_conn_timeout(nn, NFLB_CONN_SYN_SENT,
						IPPROTO_TCP), 0UL);
	KUNIT_EXPECT_LE(test, nflb_conn_timeout(nn, NFLB_CONN_SYN_RECV,
						IPPROTO_TCP), 900UL * HZ);
	KUNIT_EXPECT_LE(test, nflb_conn_timeout(nn, NFLB_CONN_TIME_WAIT,
						IPPROTO_TCP),
			nflb_conn_timeout(nn, NFLB_CONN_SYN_SENT, IPPROTO_TCP));
	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_CLOSE,
						IPPROTO_TCP),
			nflb_conn_timeout(nn, NFLB_CONN_TIME_WAIT, IPPROTO_TCP));

	/* A change applies to the next lookup. */
	nn->timeout[NFLB_TIMEOUT_A_TCP] = 5;
	KUNIT_EXPECT_EQ(test, nflb_conn_timeout(nn, NFLB_CONN_ESTABLISHED,
						IPPROTO_TCP), 5UL * HZ);
}

static struct kunit_case nflb_conn_state_test_cases[] = {
	KUNIT_CASE_PARAM(nflb_tcp_transition_test, nflb_tcp_gen_params),
	KUNIT_CASE(nflb_tcp_client_close_test),
	KUNIT_CASE(nflb_tcp_backend_close_test),
	KUNIT_CASE(nflb_tcp_refused_test),
	KUNIT_CASE(nflb_conn_timeout_test),
	{}
};

static struct kunit_suite nflb_conn_state_test_suite = {
	.name = "nflb_conn_state",
	.test_cases = nflb_conn_state_test_cases,
};

kunit_test_suite(nflb_conn_state_test_suite);
