// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the connection table (conn.c).
 *
 * Suite "nflb_conn_state": nflb_tcp_next_state() with one table row per
 * (state, direction, flags) case worth pinning down, then through whole
 * connections (a handshake and both closes, a reset) the way the packet
 * path feeds it; nflb_conn_timeout() against a namespace whose timeouts
 * the test sets.
 *
 * Suite "nflb_conn_table": a real table (nflb_conn_net_init()) holding
 * entries for a backend of the test's own: insert, lookup both ways,
 * duplicates, replacement, expiry, templates, the per-backend counts as
 * states change, the cap, and the buckets growing under lookups.  The
 * test keeps its own reference on the backend, so it only ever checks the
 * count the table's entries hold.
 *
 * Suite "nflb_conn_wheel": the collector's expiry wheel, in real time
 * (timeouts of a few seconds): entries go on time, extended ones live on
 * and go later, shortened ones go early, deleted ones leave the wheel, and
 * thousands of entries mixing all of it end in an empty table.  Timing
 * checks allow for a slow machine: an entry may go late, never early.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

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

/* --- The table ------------------------------------------------------------ */

struct nflb_ct_test {
	struct nflb_net nn;
	struct nflb_service svc;
	struct nflb_backend be;
};

static const __be32 ct_client = htonl(0xc6336401);	/* 198.51.100.1 */
static const __be32 ct_vip = htonl(0xcb007101);		/* 203.0.113.1 */

static int nflb_ct_test_init(struct kunit *test)
{
	struct nflb_ct_test *t;
	int err;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->nn.timeout[NFLB_TIMEOUT_A_TCP] = 900;
	t->nn.timeout[NFLB_TIMEOUT_A_TCP_FIN] = 120;
	t->nn.timeout[NFLB_TIMEOUT_A_UDP] = 300;
	err = nflb_conn_net_init(&t->nn, 16);
	if (err)
		return err;
	t->svc.family = AF_INET;
	t->svc.proto = IPPROTO_TCP;
	t->svc.addr.ip = ct_vip;
	t->svc.port = htons(80);
	t->svc.nn = &t->nn;
	t->be.svc = &t->svc;
	t->be.family = AF_INET;
	t->be.addr.ip = htonl(0x0a000002);		/* 10.0.0.2 */
	t->be.port = htons(8080);
	t->be.weight = 1;
	refcount_set(&t->be.refcnt, 1);			/* the test's own */
	test->priv = t;
	return 0;
}

static void nflb_ct_test_exit(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;

	if (!t)		/* init failed; KUnit calls exit anyway */
		return;
	nflb_conn_net_exit(&t->nn);
	/* Entries and the table go in RCU callbacks; the backend is ours
	 * and must not be touched after this test's memory is freed.
	 */
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);
}

/* A new TCP entry from the client's port @cport, or the test ends. */
static struct nflb_conn *ct_new(struct kunit *test, u16 cport,
				unsigned int state, unsigned long timeout,
				struct nflb_conn *old, bool want_created)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;
	bool created;

	c = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, htons(cport),
			  ct_vip, htons(80), &t->be, 0, state, timeout, old,
			  &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(c));
	KUNIT_EXPECT_EQ(test, created, want_created);
	return c;
}

static struct nflb_conn *ct_find_in(struct kunit *test, u16 cport)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;

	/* The test holds no lock: entries it looks up stay linked until it
	 * kills them, so the pointer outlives the read-side section.
	 */
	rcu_read_lock();
	c = nflb_conn_in_find(t->nn.conns, IPPROTO_TCP, ct_client,
			      htons(cport), ct_vip, htons(80));
	rcu_read_unlock();
	return c;
}

static struct nflb_conn *ct_find_out(struct kunit *test, u16 cport)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;

	rcu_read_lock();
	c = nflb_conn_out_find(t->nn.conns, IPPROTO_TCP, t->be.addr.ip,
			       t->be.port, ct_client, htons(cport));
	rcu_read_unlock();
	return c;
}

static void nflb_ct_insert_lookup_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;

	c = ct_new(test, 40000, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	KUNIT_EXPECT_EQ(test, c->baddr, t->be.addr.ip);
	KUNIT_EXPECT_EQ(test, c->bport, t->be.port);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 1);

	/* Requests find it by the "in" tuple, replies by the "out" one. */
	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40000), c);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_out(test, 40000), c);
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40001));
	KUNIT_EXPECT_NULL(test, ct_find_out(test, 40001));

	/* The same tuple again: the live entry, not a second one. */
	KUNIT_EXPECT_PTR_EQ(test, ct_new(test, 40000, NFLB_CONN_SYN_SENT,
					 60 * HZ, NULL, false), c);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);

	/* A killed entry is freed after a grace period: hold one open to
	 * kill it a second time, which must be harmless.
	 */
	rcu_read_lock();
	nflb_conn_kill(t->nn.conns, c);
	nflb_conn_kill(t->nn.conns, c);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40000));
	KUNIT_EXPECT_NULL(test, ct_find_out(test, 40000));
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 1);
}

/*
 * One chain holds every entry of a client's address and port: requests and
 * replies of each are told apart by the rest of their tuple, and a reply
 * never finds the client's persistence template.
 */
static void nflb_ct_shared_chain_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c1, *c2, *tmpl, *c;
	struct nflb_backend *be2;
	bool created;

	be2 = kunit_kzalloc(test, sizeof(*be2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, be2);
	be2->svc = &t->svc;
	be2->family = AF_INET;
	be2->addr.ip = htonl(0x0a000003);		/* 10.0.0.3 */
	be2->port = htons(8443);
	be2->weight = 1;
	refcount_set(&be2->refcnt, 1);

	c1 = ct_new(test, 40000, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	c2 = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, htons(40000),
			   ct_vip, htons(443), be2, 0, NFLB_CONN_SYN_SENT,
			   60 * HZ, NULL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(c2));
	KUNIT_EXPECT_TRUE(test, created);
	tmpl = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, 0, ct_vip,
			     htons(443), be2, NFLB_CONN_F_TEMPLATE,
			     NFLB_CONN_NONE, 300 * HZ, NULL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(tmpl));
	KUNIT_EXPECT_PTR_NE(test, c1, c2);

	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40000), c1);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_out(test, 40000), c1);
	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test,
			    nflb_conn_in_find(t->nn.conns, IPPROTO_TCP,
					      ct_client, htons(40000), ct_vip,
					      htons(443)), c2);
	KUNIT_EXPECT_PTR_EQ(test,
			    nflb_conn_out_find(t->nn.conns, IPPROTO_TCP,
					       be2->addr.ip, be2->port,
					       ct_client, htons(40000)), c2);
	/* The other backend's port, the other protocol: nothing. */
	KUNIT_EXPECT_NULL(test,
			  nflb_conn_out_find(t->nn.conns, IPPROTO_TCP,
					     be2->addr.ip, t->be.port,
					     ct_client, htons(40000)));
	KUNIT_EXPECT_NULL(test,
			  nflb_conn_in_find(t->nn.conns, IPPROTO_UDP,
					    ct_client, htons(40000), ct_vip,
					    htons(80)));
	/* A reply to the client's port 0 is no template's. */
	KUNIT_EXPECT_NULL(test,
			  nflb_conn_out_find(t->nn.conns, IPPROTO_TCP,
					     be2->addr.ip, be2->port,
					     ct_client, 0));
	rcu_read_unlock();

	/* Either one goes alone. */
	rcu_read_lock();
	nflb_conn_kill(t->nn.conns, c1);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40000));
	KUNIT_EXPECT_NULL(test, ct_find_out(test, 40000));
	rcu_read_lock();
	c = nflb_conn_out_find(t->nn.conns, IPPROTO_TCP, be2->addr.ip,
			       be2->port, ct_client, htons(40000));
	KUNIT_EXPECT_PTR_EQ(test, c, c2);
	KUNIT_EXPECT_PTR_EQ(test,
			    nflb_conn_tmpl_find(t->nn.conns, IPPROTO_TCP,
						ct_client, ct_vip, htons(443)),
			    tmpl);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 2U);
	/* be2's references go with the table, in the suite's exit. */
	nflb_conn_net_exit(&t->nn);
	rcu_barrier();
	t->nn.conns = NULL;
	KUNIT_EXPECT_EQ(test, refcount_read(&be2->refcnt), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&be2->inactive_conns), 0);
}

/* The backend's active/inactive counts follow the entry's state. */
static void nflb_ct_states_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;

	c = ct_new(test, 40000, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	nflb_conn_set_state(c, NFLB_CONN_SYN_RECV);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 1);
	nflb_conn_set_state(c, NFLB_CONN_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);
	nflb_conn_set_state(c, NFLB_CONN_ESTABLISHED);	/* no change */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 1);
	nflb_conn_set_state(c, NFLB_CONN_FIN_WAIT);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 1);
	KUNIT_EXPECT_EQ(test, nflb_conn_state(c), NFLB_CONN_FIN_WAIT);

	/* An established entry that dies gives its count back once, and
	 * changes state no more (the read side keeps it from being freed).
	 */
	nflb_conn_set_state(c, NFLB_CONN_ESTABLISHED);
	rcu_read_lock();
	nflb_conn_kill(t->nn.conns, c);
	nflb_conn_set_state(c, NFLB_CONN_SYN_SENT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);
}

/* An expired entry is invisible, and a new one takes its tuple. */
static void nflb_ct_expiry_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c, *c2;

	c = ct_new(test, 40000, NFLB_CONN_ESTABLISHED, 0, NULL, true);
	KUNIT_EXPECT_TRUE(test, nflb_conn_expired(c));
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40000));
	KUNIT_EXPECT_NULL(test, ct_find_out(test, 40000));

	/* (The collector may have reaped it already: either way one.) */
	c2 = ct_new(test, 40000, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	KUNIT_EXPECT_PTR_NE(test, c2, c);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40000), c2);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 1);
}

/* A SYN on a closing entry: the caller names it as @old to replace it. */
static void nflb_ct_replace_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c, *c2;
	unsigned int old_state;
	bool created;

	c = ct_new(test, 40000, NFLB_CONN_TIME_WAIT, 10 * HZ, NULL, true);
	/* @c is unlinked and freed after a grace period: look at it inside
	 * one.
	 */
	rcu_read_lock();
	c2 = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, htons(40000),
			   ct_vip, htons(80), &t->be, 0, NFLB_CONN_SYN_SENT,
			   60 * HZ, c, &created);
	old_state = atomic_read(&c->state);
	rcu_read_unlock();
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(c2));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_NE(test, c2, c);
	KUNIT_EXPECT_TRUE(test, old_state & NFLB_CONN_DEAD);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40000), c2);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_out(test, 40000), c2);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
}

/* Persistence templates: found by client and service, not as flows. */
static void nflb_ct_template_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *tmpl, *c;
	bool created;

	tmpl = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, 0, ct_vip,
			     htons(80), &t->be, NFLB_CONN_F_TEMPLATE,
			     NFLB_CONN_NONE, 300 * HZ, NULL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(tmpl));
	KUNIT_EXPECT_TRUE(test, created);

	rcu_read_lock();
	c = nflb_conn_tmpl_find(t->nn.conns, IPPROTO_TCP, ct_client, ct_vip,
				htons(80));
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, c, tmpl);
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 0));
	/* Templates hold the backend but count as no connection. */
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);

	/* A flow on port 0 is not the template. */
	c = ct_new(test, 0, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	KUNIT_EXPECT_PTR_NE(test, c, tmpl);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 2U);

	rcu_read_lock();
	c = nflb_conn_tmpl_find(t->nn.conns, IPPROTO_UDP, ct_client, ct_vip,
				htons(80));
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, c);
}

/*
 * At nflb_conn_max entries a new one is refused and nothing leaks.  The
 * cap (a module parameter, 2^20 by default) is far above what a test may
 * allocate, so the count is raised to just below it instead.
 */
static void nflb_ct_cap_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn_table *ct = t->nn.conns;
	struct nflb_conn *c;
	bool created;
	int fake = 1 << 30;	/* above any sane nflb_conn_max */

	c = ct_new(test, 40000, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	atomic_add(fake, &ct->count);
	c = nflb_conn_new(ct, IPPROTO_TCP, ct_client, htons(40001), ct_vip,
			  htons(80), &t->be, 0, NFLB_CONN_SYN_SENT, 60 * HZ,
			  NULL, &created);
	atomic_sub(fake, &ct->count);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(c), -ENOSPC);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 2);
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40001));

	/* Below the cap again, the same tuple gets in. */
	ct_new(test, 40001, NFLB_CONN_SYN_SENT, 60 * HZ, NULL, true);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 2U);
}

/* Touching moves the expiry later only by a second or more, earlier always. */
static void nflb_ct_touch_test(struct kunit *test)
{
	struct nflb_conn *c;
	unsigned long exp;

	c = ct_new(test, 40000, NFLB_CONN_ESTABLISHED, 100 * HZ, NULL, true);
	exp = READ_ONCE(c->expires);
	/* Normally less than a second later: no store.  (Under emulation a
	 * second may have passed, and then the store is right.)
	 */
	nflb_conn_touch(c, 100 * HZ);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(c->expires) == exp ||
			  time_after_eq(jiffies, exp - 99 * HZ));
	nflb_conn_touch(c, 200 * HZ);
	KUNIT_EXPECT_TRUE(test, time_after_eq(READ_ONCE(c->expires),
					      exp + 99 * HZ));
	nflb_conn_touch(c, 5 * HZ);		/* shorter: always stored */
	KUNIT_EXPECT_TRUE(test, time_before_eq(READ_ONCE(c->expires),
					       jiffies + 5 * HZ));
}

/* Runs the collector now, as its timer would, and waits for it. */
static void ct_collect(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;

	mod_delayed_work(NFLB_GC_WQ, &t->nn.conns->gc, 0);
	flush_delayed_work(&t->nn.conns->gc);
}

/*
 * The buckets grow with the entries: a table of 2^8 buckets given 5,000
 * entries and a template.  While the collector moves them, every one is
 * looked up both ways again and again: a lookup must never miss one (a
 * reader led from an old chain to a new one looks again).
 */
#define CT_GROW_N	5000

static void nflb_ct_grow_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	unsigned int i, buckets, misses = 0, rounds = 0, busy_rounds = 0;
	struct nflb_conn **c, *tmpl;
	bool created, busy;
	int err;

	c = kunit_kcalloc(test, CT_GROW_N, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	nflb_conn_net_exit(&t->nn);
	err = nflb_conn_net_init(&t->nn, 8);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, nflb_conn_buckets(&t->nn), 256U);

	tmpl = nflb_conn_new(t->nn.conns, IPPROTO_TCP, ct_client, 0, ct_vip,
			     htons(80), &t->be, NFLB_CONN_F_TEMPLATE,
			     NFLB_CONN_ESTABLISHED, 600 * HZ, NULL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(tmpl));
	for (i = 0; i < CT_GROW_N; i++)
		c[i] = ct_new(test, 10000 + i, NFLB_CONN_ESTABLISHED,
			      600 * HZ, NULL, true);
	do {
		busy = test_bit(NFLB_CT_GROW, &t->nn.conns->flags);
		for (i = 0; i < CT_GROW_N; i++) {
			misses += ct_find_in(test, 10000 + i) != c[i];
			misses += ct_find_out(test, 10000 + i) != c[i];
		}
		rcu_read_lock();
		misses += nflb_conn_tmpl_find(t->nn.conns, IPPROTO_TCP,
					      ct_client, ct_vip,
					      htons(80)) != tmpl;
		rcu_read_unlock();
		busy_rounds += busy;
		cond_resched();
	} while (busy && ++rounds < 1000);
	ct_collect(test);
	kunit_info(test, "%u rounds of lookups while the buckets grew",
		   busy_rounds);
	KUNIT_EXPECT_EQ(test, misses, 0U);

	/* Grown to at least half as many buckets as entries, at most as
	 * many as the next power of two above them; nothing lost.
	 */
	buckets = nflb_conn_buckets(&t->nn);
	KUNIT_EXPECT_GE(test, buckets * 2, CT_GROW_N + 1U);
	KUNIT_EXPECT_LE(test, buckets, 8192U);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), CT_GROW_N + 1U);
	misses = 0;
	for (i = 0; i < CT_GROW_N; i++) {
		misses += ct_find_in(test, 10000 + i) != c[i];
		misses += ct_find_out(test, 10000 + i) != c[i];
	}
	KUNIT_EXPECT_EQ(test, misses, 0U);

	/* The same tuple is still the same entry, and entries still go. */
	KUNIT_EXPECT_PTR_EQ(test, ct_new(test, 10000, NFLB_CONN_ESTABLISHED,
					 600 * HZ, NULL, false), c[0]);
	for (i = 0; i < CT_GROW_N; i += 2)
		nflb_conn_kill(t->nn.conns, c[i]);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), CT_GROW_N / 2 + 1U);
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 10000));
	KUNIT_EXPECT_PTR_EQ(test, ct_find_out(test, 10001), c[1]);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns),
			CT_GROW_N / 2);
}

static struct kunit_case nflb_conn_table_test_cases[] = {
	KUNIT_CASE(nflb_ct_insert_lookup_test),
	KUNIT_CASE(nflb_ct_shared_chain_test),
	KUNIT_CASE(nflb_ct_states_test),
	KUNIT_CASE(nflb_ct_expiry_test),
	KUNIT_CASE(nflb_ct_replace_test),
	KUNIT_CASE(nflb_ct_template_test),
	KUNIT_CASE(nflb_ct_cap_test),
	KUNIT_CASE(nflb_ct_touch_test),
	KUNIT_CASE(nflb_ct_grow_test),
	{}
};

static struct kunit_suite nflb_conn_table_test_suite = {
	.name = "nflb_conn_table",
	.init = nflb_ct_test_init,
	.exit = nflb_ct_test_exit,
	.test_cases = nflb_conn_table_test_cases,
};

/* --- The expiry wheel --------------------------------------------------- */

/* Polls until the table holds @want entries; false after @timeout. */
static bool ct_wait_count(struct kunit *test, unsigned int want,
			  unsigned long timeout)
{
	struct nflb_ct_test *t = test->priv;
	unsigned long end = jiffies + timeout;

	for (;;) {
		ct_collect(test);
		if (nflb_conn_count(&t->nn) == want)
			return true;
		if (time_after(jiffies, end))
			return false;
		msleep(100);
	}
}

/* How late the collector may be: its slot, its period, and a slow guest. */
#define CT_LATE	(2 * NFLB_WHEEL_RES + 5 * HZ)

/* Entries go once expired, not before, and not a ring's turn later. */
static void nflb_wheel_expire_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *a, *b, *c;
	unsigned long exp_a, exp_b;

	a = ct_new(test, 40000, NFLB_CONN_ESTABLISHED, HZ, NULL, true);
	b = ct_new(test, 40001, NFLB_CONN_ESTABLISHED, 2 * HZ, NULL, true);
	c = ct_new(test, 40002, NFLB_CONN_ESTABLISHED, 600 * HZ, NULL, true);
	exp_a = READ_ONCE(a->expires);
	exp_b = READ_ONCE(b->expires);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 3);

	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 2, HZ + CT_LATE));
	KUNIT_EXPECT_TRUE(test, time_after_eq(jiffies, exp_a));
	KUNIT_EXPECT_NULL(test, ct_find_in(test, 40000));
	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 1, 2 * HZ + CT_LATE));
	KUNIT_EXPECT_TRUE(test, time_after_eq(jiffies, exp_b));
	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40002), c);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_out(test, 40002), c);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 1);
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 2);
}

/*
 * Traffic only stores a later expiry; the collector, finding the entry in
 * the slot of its first expiry, queues it again.  An entry kept busy lives
 * well past its first expiry; left idle, it goes.
 */
static void nflb_wheel_extend_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	unsigned long start = jiffies, exp;
	struct nflb_conn *c, *d;

	c = ct_new(test, 40000, NFLB_CONN_ESTABLISHED, 2 * HZ, NULL, true);
	d = ct_new(test, 40001, NFLB_CONN_ESTABLISHED, HZ, NULL, true);
	nflb_conn_touch(d, 4 * HZ);		/* extended once */
	exp = READ_ONCE(d->expires);
	KUNIT_EXPECT_TRUE(test, time_after_eq(exp, start + 4 * HZ));

	/* c: a packet every quarter second for six seconds. */
	while (time_before(jiffies, start + 6 * HZ)) {
		KUNIT_ASSERT_PTR_EQ(test, ct_find_in(test, 40000), c);
		nflb_conn_touch(c, 2 * HZ);
		ct_collect(test);
		/* d lives until its extended expiry, at least. */
		KUNIT_EXPECT_TRUE(test, ct_find_in(test, 40001) == d ||
				  time_after_eq(jiffies, exp));
		msleep(250);
	}
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 1);

	/* Now idle: c goes too. */
	exp = READ_ONCE(c->expires);
	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 0, 2 * HZ + CT_LATE));
	KUNIT_EXPECT_TRUE(test, time_after_eq(jiffies, exp));
}

/*
 * A shorter timeout (an established connection closing, or one lowered
 * with set-timeouts and applied at the next packet) moves the entry to an
 * earlier slot: it goes on its new time, not its old one.
 */
static void nflb_wheel_shorten_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c;
	unsigned long exp;

	c = ct_new(test, 40000, NFLB_CONN_ESTABLISHED, 600 * HZ, NULL, true);
	nflb_conn_set_state(c, NFLB_CONN_TIME_WAIT);
	nflb_conn_touch(c, HZ);
	exp = READ_ONCE(c->expires);
	KUNIT_EXPECT_TRUE(test, time_before_eq(exp, jiffies + HZ));
	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 0, HZ + CT_LATE));
	KUNIT_EXPECT_TRUE(test, time_after_eq(jiffies, exp));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 0);
}

/*
 * Entries unlinked by other paths (a kill, as for a replaced or flushed
 * entry) leave the wheel with their hash chains: the collector must not
 * meet them again when their slot comes (KASAN would see it).
 */
static void nflb_wheel_delete_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_conn *c[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		c[i] = ct_new(test, 41000 + i, NFLB_CONN_SYN_SENT,
			      i & 1 ? 600 * HZ : HZ, NULL, true);
	/* One extended: it waits in its first slot, for a later one. */
	nflb_conn_touch(c[2], 3 * HZ);
	for (i = 0; i < ARRAY_SIZE(c); i += 4) {
		nflb_conn_kill(t->nn.conns, c[i]);	/* 1 s ones */
		nflb_conn_kill(t->nn.conns, c[i + 1]);	/* 600 s ones */
	}
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 16U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.inactive_conns), 16);
	/* The 1 s ones left go (c[2] later), the 600 s ones stay. */
	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 8, 3 * HZ + CT_LATE));
	for (i = 0; i < ARRAY_SIZE(c); i++)
		KUNIT_EXPECT_EQ_MSG(test, !!ct_find_in(test, 41000 + i),
				    (i & 3) == 3, "entry %u", i);
	/* A requeued entry killed: c[3] went through no slot yet, c[7] is
	 * extended first.
	 */
	nflb_conn_touch(c[7], 900 * HZ);
	nflb_conn_kill(t->nn.conns, c[3]);
	nflb_conn_kill(t->nn.conns, c[7]);
	ct_collect(test);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 6U);
	/* The rest goes with the namespace (the suite's exit). */
}

/* An expiry beyond the ring waits in its last slot and is kept. */
static void nflb_wheel_far_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	struct nflb_wheel_lane *l;
	struct nflb_conn *c;
	unsigned int ahead;

	c = ct_new(test, 40000, NFLB_CONN_ESTABLISHED,
		   2UL * NFLB_WHEEL_SLOTS * NFLB_WHEEL_RES, NULL, true);
	l = &t->nn.conns->lanes[c->lane];
	spin_lock_bh(&l->lock);
	ahead = (c->slot - l->pos) & (NFLB_WHEEL_SLOTS - 1);
	spin_unlock_bh(&l->lock);
	KUNIT_EXPECT_EQ(test, ahead, NFLB_WHEEL_SLOTS - 1U);
	msleep(jiffies_to_msecs(2 * NFLB_WHEEL_RES));
	ct_collect(test);
	KUNIT_EXPECT_PTR_EQ(test, ct_find_in(test, 40000), c);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), 1U);
}

/*
 * Thousands of entries: some killed while queued, the others shortened
 * (moved to an earlier slot) to expire over a few seconds, and some of
 * those extended again (left in their slot, for the collector to move).
 * All end unlinked, each once, and the backend's counts and reference come
 * back to the test's own.
 */
static void nflb_wheel_many_test(struct kunit *test)
{
	struct nflb_ct_test *t = test->priv;
	const unsigned int n = 20000;
	struct nflb_conn **c;
	unsigned int i;

	c = kunit_kcalloc(test, n, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	/* Long enough that none goes while the test holds pointers. */
	for (i = 0; i < n; i++) {
		c[i] = ct_new(test, 1 + i, NFLB_CONN_ESTABLISHED, 900 * HZ,
			      NULL, true);
		if (!(i & 255))
			cond_resched();
	}
	for (i = 0; i < n; i += 7)
		nflb_conn_kill(t->nn.conns, c[i]);
	KUNIT_EXPECT_EQ(test, nflb_conn_count(&t->nn), n - (n + 6) / 7);
	for (i = 0; i < n; i++) {
		if (!(i % 7))
			continue;
		/* From the first touch on, the entry may expire and go:
		 * the read side keeps it for the second.
		 */
		rcu_read_lock();
		nflb_conn_touch(c[i], (1 + i % 3) * HZ);
		if (i % 10 == 1)
			nflb_conn_touch(c[i], 5 * HZ);
		rcu_read_unlock();
		if (!(i & 255))
			cond_resched();
	}
	KUNIT_ASSERT_TRUE(test, ct_wait_count(test, 0, 5 * HZ + 2 * CT_LATE));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->be.active_conns), 0);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, refcount_read(&t->be.refcnt), 1);
}

static struct kunit_case nflb_conn_wheel_test_cases[] = {
	KUNIT_CASE(nflb_wheel_expire_test),
	KUNIT_CASE(nflb_wheel_extend_test),
	KUNIT_CASE(nflb_wheel_shorten_test),
	KUNIT_CASE(nflb_wheel_delete_test),
	KUNIT_CASE(nflb_wheel_far_test),
	KUNIT_CASE(nflb_wheel_many_test),
	{}
};

static struct kunit_suite nflb_conn_wheel_test_suite = {
	.name = "nflb_conn_wheel",
	.init = nflb_ct_test_init,
	.exit = nflb_ct_test_exit,
	.test_cases = nflb_conn_wheel_test_cases,
};

kunit_test_suites(&nflb_conn_state_test_suite, &nflb_conn_table_test_suite,
		  &nflb_conn_wheel_test_suite);
