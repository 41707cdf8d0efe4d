// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the schedulers (sched*.c), suite "nflb_sched".
 *
 * They drive the public entry points (nflb_sched_find, _rebuild, _pick,
 * _release) on a service and backends of their own, the way the control
 * plane and the datapath do: no namespace, no netlink, no packets.  The
 * connection counters that lc and wlc read are set by hand, or bumped
 * after each pick to play "connections held".
 *
 * Built only against a kernel with CONFIG_KUNIT; nflb.ko then exports the
 * entry points to the EXPORTED_FOR_KUNIT_TESTING namespace.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>

#include "nflb.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define NFLB_TEST_MAX_BE	8

static const char * const nflb_test_scheds[] = { "rr", "wrr", "lc", "wlc", "sh" };

struct nflb_sched_test {
	struct nflb_service svc;
	struct nflb_backend be[NFLB_TEST_MAX_BE];
	unsigned int n;
};

static int nflb_sched_test_init(struct kunit *test)
{
	struct nflb_sched_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	INIT_LIST_HEAD(&t->svc.backends);
	test->priv = t;
	return 0;
}

static void nflb_sched_test_exit(struct kunit *test)
{
	struct nflb_sched_test *t = test->priv;

	nflb_sched_release(&t->svc, NULL);
	/* The states are freed from RCU callbacks: let them run now. */
	rcu_barrier();
}

static void nflb_test_set_sched(struct kunit *test, const char *name)
{
	struct nflb_sched_test *t = test->priv;

	t->svc.sched = nflb_sched_find(name);
	KUNIT_ASSERT_NOT_NULL_MSG(test, t->svc.sched, "scheduler %s", name);
}

static void nflb_test_rebuild(struct kunit *test)
{
	struct nflb_sched_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, nflb_sched_rebuild(&t->svc), 0);
}

/* A backend 10.0.0.(n + 1):80, appended to the service's list. */
static struct nflb_backend *nflb_test_add(struct kunit *test, u32 weight)
{
	struct nflb_sched_test *t = test->priv;
	struct nflb_backend *be;

	KUNIT_ASSERT_LT(test, t->n, NFLB_TEST_MAX_BE);
	be = &t->be[t->n];
	be->svc = &t->svc;
	be->family = AF_INET;
	be->addr.ip = htonl(0x0a000001 + t->n);
	be->port = htons(80);
	be->weight = weight;
	list_add_tail(&be->list, &t->svc.backends);
	t->n++;
	return be;
}

/* What the control plane does on delete: mark, unlink, rebuild. */
static void nflb_test_del(struct kunit *test, struct nflb_backend *be)
{
	WRITE_ONCE(be->dead, true);
	list_del(&be->list);
	nflb_test_rebuild(test);
}

static void nflb_test_flow(struct nflb_flow *flow, u32 client)
{
	memset(flow, 0, sizeof(*flow));
	flow->family = AF_INET;
	flow->proto = IPPROTO_TCP;
	flow->saddr.ip = htonl(0xc0a80000 + client);
	flow->daddr.ip = htonl(0xc6336401);
	flow->sport = htons(32768 + (client & 0x7fff));
	flow->dport = htons(80);
}

/* Returns the index of the backend picked for @client, or -1 for none. */
static int nflb_test_pick(struct kunit *test, u32 client)
{
	struct nflb_sched_test *t = test->priv;
	struct nflb_backend *be;
	struct nflb_flow flow;

	nflb_test_flow(&flow, client);
	rcu_read_lock();
	be = nflb_sched_pick(&t->svc, &flow);
	rcu_read_unlock();
	if (!be)
		return -1;
	KUNIT_ASSERT_TRUE(test, be >= t->be && be < t->be + t->n);
	return be - t->be;
}

/* As if the picked backend now held a long connection. */
static int nflb_test_pick_hold(struct kunit *test, u32 client, bool hold)
{
	struct nflb_sched_test *t = test->priv;
	int i = nflb_test_pick(test, client);

	if (hold && i >= 0)
		atomic_inc(&t->be[i].active_conns);
	return i;
}

static void nflb_sched_find_test(struct kunit *test)
{
	static const char * const bad[] = { "", "RR", "rr ", "wrr2", "dh" };
	const struct nflb_sched_ops *ops;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nflb_test_scheds); i++) {
		ops = nflb_sched_find(nflb_test_scheds[i]);
		KUNIT_ASSERT_NOT_NULL(test, ops);
		KUNIT_EXPECT_STREQ(test, ops->name, nflb_test_scheds[i]);
		KUNIT_EXPECT_NOT_NULL(test, ops->pick);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_NULL(test, nflb_sched_find(bad[i]));
}

/* ---- shares over many picks ---- */

struct nflb_share_case {
	const char *sched;
	unsigned int n;
	u32 weight[NFLB_TEST_MAX_BE];
	unsigned int picks;
	bool by_weight;		/* shares follow weights, else equal */
	bool hold;		/* each pick keeps a connection open */
	bool clients;		/* one pick per distinct client (for sh) */
	unsigned int slack;	/* allowed error per backend, in picks */
};

static const struct nflb_share_case nflb_share_cases[] = {
	/* 300 connections over 3 backends: 100 each, exactly. */
	{ "rr", 3, { 1, 1, 1 }, 300, false, false, false, 1 },
	/* rr ignores weights other than 0. */
	{ "rr", 3, { 1, 2, 3 }, 300, false, false, false, 1 },
	{ "rr", 5, { 7, 1, 1, 1, 1 }, 1000, false, false, false, 1 },
	/* 1:2:3 over 300: the issue allows 5 points; interleaving gives ~1. */
	{ "wrr", 3, { 1, 2, 3 }, 300, true, false, false, 6 },
	{ "wrr", 2, { 5, 1 }, 600, true, false, false, 6 },
	{ "wrr", 2, { 1, 1 }, 100, true, false, false, 3 },
	/* Extreme weights: still in proportion, the light ones not lost. */
	{ "wrr", 4, { 65535, 1, 30000, 7 }, 200000, true, false, false, 30 },
	/* Connections held: least connections evens them out... */
	{ "lc", 3, { 1, 2, 3 }, 300, false, true, false, 1 },
	/* ...weighted, in proportion to weights. */
	{ "wlc", 3, { 1, 2, 3 }, 600, true, true, false, 1 },
	{ "wlc", 4, { 10, 10, 5, 1 }, 2600, true, true, false, 1 },
	/* Many clients spread by weight (hash noise and slot rounding). */
	{ "sh", 3, { 1, 1, 1 }, 6000, false, false, true, 200 },
	{ "sh", 3, { 1, 2, 3 }, 6000, true, false, true, 200 },
};

static void nflb_share_desc(const struct nflb_share_case *c, char *desc)
{
	int len = snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->sched);
	unsigned int i;

	for (i = 0; i < c->n && len < KUNIT_PARAM_DESC_SIZE; i++)
		len += snprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len, "%s%u",
				i ? ":" : " ", c->weight[i]);
	if (len < KUNIT_PARAM_DESC_SIZE)
		snprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len, " x%u%s",
			 c->picks, c->hold ? " held" : "");
}

KUNIT_ARRAY_PARAM(nflb_share, nflb_share_cases, nflb_share_desc);

static void nflb_sched_share_test(struct kunit *test)
{
	const struct nflb_share_case *c = test->param_value;
	unsigned int count[NFLB_TEST_MAX_BE] = {};
	u64 total = 0;
	unsigned int i;

	nflb_test_set_sched(test, c->sched);
	for (i = 0; i < c->n; i++) {
		nflb_test_add(test, c->weight[i]);
		total += c->weight[i];
	}
	nflb_test_rebuild(test);

	for (i = 0; i < c->picks; i++) {
		int b = nflb_test_pick_hold(test, c->clients ? i : 7, c->hold);

		KUNIT_ASSERT_GE(test, b, 0);
		count[b]++;
	}
	for (i = 0; i < c->n; i++) {
		u64 want = c->by_weight ?
			div64_u64((u64)c->picks * c->weight[i], total) :
			c->picks / c->n;

		KUNIT_EXPECT_LE_MSG(test, abs((s64)count[i] - (s64)want),
				    (s64)c->slack,
				    "backend %u (weight %u): %u picks, want %llu",
				    i, c->weight[i], count[i], want);
	}
}

/* ---- what every scheduler must do ---- */

static void nflb_sched_desc(const char * const *name, char *desc)
{
	strscpy(desc, *name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nflb_sched, nflb_test_scheds, nflb_sched_desc);

/* Picks from many clients (sh) with connections held (lc, wlc). */
static void nflb_test_count(struct kunit *test, unsigned int picks,
			    unsigned int *count)
{
	unsigned int i;

	for (i = 0; i < picks; i++) {
		int b = nflb_test_pick_hold(test, 1000 + i * 7919, true);

		KUNIT_ASSERT_GE(test, b, 0);
		count[b]++;
	}
}

static void nflb_sched_weight0_test(struct kunit *test)
{
	const char * const *name = test->param_value;
	unsigned int count[NFLB_TEST_MAX_BE] = {};
	struct nflb_sched_test *t = test->priv;
	unsigned int i;

	nflb_test_set_sched(test, *name);
	nflb_test_add(test, 0);
	nflb_test_add(test, 3);
	nflb_test_add(test, 0);
	nflb_test_add(test, 2);
	nflb_test_rebuild(test);

	nflb_test_count(test, 500, count);
	KUNIT_EXPECT_EQ(test, count[0], 0U);
	KUNIT_EXPECT_EQ(test, count[2], 0U);
	KUNIT_EXPECT_GT(test, count[1], 0U);
	KUNIT_EXPECT_GT(test, count[3], 0U);

	/* Drained, the rebuild not yet done: skipped all the same. */
	WRITE_ONCE(t->be[3].weight, 0);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 200, count);
	KUNIT_EXPECT_EQ(test, count[1], 200U);

	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 200, count);
	KUNIT_EXPECT_EQ(test, count[1], 200U);

	/* Everything drained: nothing to pick, nothing published. */
	WRITE_ONCE(t->be[1].weight, 0);
	nflb_test_rebuild(test);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(t->svc.sched_state));
	for (i = 0; i < 50; i++)
		KUNIT_EXPECT_EQ(test, nflb_test_pick(test, i), -1);
}

static void nflb_sched_one_test(struct kunit *test)
{
	const char * const *name = test->param_value;
	struct nflb_sched_test *t = test->priv;
	unsigned int i;

	nflb_test_set_sched(test, *name);
	nflb_test_add(test, 5);
	nflb_test_rebuild(test);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, nflb_test_pick_hold(test, i, true), 0);

	/* Deleted, the rebuild not yet done: never returned. */
	WRITE_ONCE(t->be[0].dead, true);
	for (i = 0; i < 20; i++)
		KUNIT_EXPECT_EQ(test, nflb_test_pick(test, i), -1);
}

static void nflb_sched_none_test(struct kunit *test)
{
	const char * const *name = test->param_value;
	struct nflb_sched_test *t = test->priv;
	unsigned int i;

	nflb_test_set_sched(test, *name);
	/* Before any rebuild. */
	KUNIT_EXPECT_EQ(test, nflb_test_pick(test, 1), -1);
	/* No backend at all. */
	nflb_test_rebuild(test);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(t->svc.sched_state));
	KUNIT_EXPECT_EQ(test, nflb_test_pick(test, 1), -1);

	/* Backends all deleted before the rebuild that drops them. */
	nflb_test_add(test, 1);
	nflb_test_add(test, 1);
	nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	for (i = 0; i < t->n; i++)
		WRITE_ONCE(t->be[i].dead, true);
	for (i = 0; i < 20; i++)
		KUNIT_EXPECT_EQ(test, nflb_test_pick(test, i), -1);

	/* Released (service teardown). */
	for (i = 0; i < t->n; i++)
		WRITE_ONCE(t->be[i].dead, false);
	nflb_test_rebuild(test);
	KUNIT_EXPECT_GE(test, nflb_test_pick(test, 1), 0);
	nflb_sched_release(&t->svc, NULL);
	KUNIT_EXPECT_EQ(test, nflb_test_pick(test, 1), -1);
}

/*
 * Backends added, deleted, reweighted and the scheduler switched while
 * picks go on: each change shows in the very next pick.
 */
static void nflb_sched_change_test(struct kunit *test)
{
	const char * const *name = test->param_value;
	unsigned int count[NFLB_TEST_MAX_BE] = {};
	struct nflb_sched_test *t = test->priv;
	unsigned int i;

	nflb_test_set_sched(test, *name);
	for (i = 0; i < 3; i++)
		nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	nflb_test_count(test, 300, count);
	KUNIT_EXPECT_EQ(test, count[3], 0U);

	/* Added: it gets its share (lc/wlc: all of it, being empty). */
	nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 400, count);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_GT_MSG(test, count[i], 0U, "backend %u", i);
	KUNIT_EXPECT_GE(test, count[3], 60U);

	/* Deleted: never again. */
	nflb_test_del(test, &t->be[0]);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 300, count);
	KUNIT_EXPECT_EQ(test, count[0], 0U);
	KUNIT_EXPECT_EQ(test, count[1] + count[2] + count[3], 300U);

	/* Drained through a weight change. */
	WRITE_ONCE(t->be[1].weight, 0);
	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 200, count);
	KUNIT_EXPECT_EQ(test, count[1], 0U);
	KUNIT_EXPECT_EQ(test, count[2] + count[3], 200U);

	/* Back from 0, with another scheduler: rr reaches all three. */
	WRITE_ONCE(t->be[1].weight, 1);
	nflb_test_set_sched(test, "rr");
	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 300, count);
	for (i = 1; i < 4; i++)
		KUNIT_EXPECT_EQ(test, count[i], 100U);

	/* And back to the one under test. */
	nflb_test_set_sched(test, *name);
	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 300, count);
	KUNIT_EXPECT_EQ(test, count[0], 0U);
	KUNIT_EXPECT_EQ(test, count[1] + count[2] + count[3], 300U);
}

/* wrr follows a weight change at once, in proportion. */
static void nflb_sched_wrr_reweight_test(struct kunit *test)
{
	unsigned int count[NFLB_TEST_MAX_BE] = {};
	struct nflb_sched_test *t = test->priv;
	unsigned int i;

	nflb_test_set_sched(test, "wrr");
	for (i = 0; i < 3; i++)
		nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	nflb_test_count(test, 300, count);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_LE(test, abs((int)count[i] - 100), 3);

	WRITE_ONCE(t->be[2].weight, 4);
	nflb_test_rebuild(test);
	memset(count, 0, sizeof(count));
	nflb_test_count(test, 600, count);
	KUNIT_EXPECT_LE(test, abs((int)count[0] - 100), 5);
	KUNIT_EXPECT_LE(test, abs((int)count[1] - 100), 5);
	KUNIT_EXPECT_LE(test, abs((int)count[2] - 400), 5);
}

/* ---- lc and wlc: the least loaded, by table ---- */

struct nflb_load_case {
	const char *sched;
	unsigned int n;
	u32 weight[NFLB_TEST_MAX_BE];
	int active[NFLB_TEST_MAX_BE];
	int inactive[NFLB_TEST_MAX_BE];
	int want;
	const char *why;
};

static const struct nflb_load_case nflb_load_cases[] = {
	{ "lc", 3, { 1, 1, 1 }, { 5, 0, 2 }, { 0, 0, 0 }, 1, "fewest active" },
	{ "lc", 3, { 9, 1, 1 }, { 5, 4, 6 }, { 0, 0, 0 }, 1, "lc ignores weight" },
	{ "lc", 2, { 1, 1 }, { 0, 1 }, { 300, 0 }, 1,
	  "an active connection weighs 256 inactive ones" },
	{ "lc", 2, { 1, 1 }, { 0, 1 }, { 255, 0 }, 0, "255 inactive < 1 active" },
	{ "lc", 3, { 0, 1, 1 }, { 0, 4, 6 }, { 0, 0, 0 }, 1, "weight 0 is not a candidate" },
	{ "wlc", 2, { 1, 4 }, { 1, 3 }, { 0, 0 }, 1, "257/1 > 769/4" },
	{ "wlc", 2, { 1, 2 }, { 1, 3 }, { 0, 0 }, 0, "257/1 < 769/2" },
	{ "wlc", 3, { 1, 5, 2 }, { 0, 0, 0 }, { 0, 0, 0 }, 1,
	  "all idle: the heaviest" },
	{ "wlc", 2, { 65535, 65535 }, { 2000000000, 1900000000 }, { 0, 0 }, 1,
	  "large products do not overflow" },
	{ "wlc", 2, { 65535, 1 }, { 200, 0 }, { 0, 0 }, 0, "weight beats load" },
	{ "wlc", 2, { 3, 3 }, { -1, 1 }, { -5, 0 }, 0, "negative counters are 0" },
};

static void nflb_load_desc(const struct nflb_load_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: %s", c->sched, c->why);
}

KUNIT_ARRAY_PARAM(nflb_load, nflb_load_cases, nflb_load_desc);

static void nflb_sched_load_test(struct kunit *test)
{
	const struct nflb_load_case *c = test->param_value;
	unsigned int i;

	nflb_test_set_sched(test, c->sched);
	for (i = 0; i < c->n; i++) {
		struct nflb_backend *be = nflb_test_add(test, c->weight[i]);

		atomic_set(&be->active_conns, c->active[i]);
		atomic_set(&be->inactive_conns, c->inactive[i]);
	}
	nflb_test_rebuild(test);
	/* The scan starts at a random place: the answer must not depend on it. */
	for (i = 0; i < 64; i++)
		KUNIT_EXPECT_EQ(test, nflb_test_pick(test, i), c->want);
}

/* ---- sh: a client keeps its backend ---- */

#define NFLB_SH_CLIENTS	2000

static void nflb_sh_map(struct kunit *test, s8 *map)
{
	unsigned int c;

	for (c = 0; c < NFLB_SH_CLIENTS; c++)
		map[c] = nflb_test_pick(test, c * 7919);
}

static unsigned int nflb_sh_moved(const s8 *before, const s8 *after)
{
	unsigned int c, moved = 0;

	for (c = 0; c < NFLB_SH_CLIENTS; c++)
		moved += before[c] != after[c];
	return moved;
}

static void nflb_sched_sh_stable_test(struct kunit *test)
{
	struct nflb_sched_test *t = test->priv;
	unsigned int c, moved, to_new, of_gone;
	s8 *before, *after;

	before = kunit_kcalloc(test, NFLB_SH_CLIENTS, 1, GFP_KERNEL);
	after = kunit_kcalloc(test, NFLB_SH_CLIENTS, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	nflb_test_set_sched(test, "sh");
	nflb_test_add(test, 1);
	nflb_test_add(test, 1);
	nflb_test_add(test, 2);
	nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	nflb_sh_map(test, before);

	/* Same client, same backend, whatever its source port. */
	nflb_sh_map(test, after);
	KUNIT_EXPECT_EQ(test, nflb_sh_moved(before, after), 0U);

	/* A rebuild with nothing changed, even in another list order. */
	list_move(&t->be[0].list, &t->svc.backends);
	list_move_tail(&t->be[1].list, &t->svc.backends);
	nflb_test_rebuild(test);
	nflb_sh_map(test, after);
	KUNIT_EXPECT_EQ(test, nflb_sh_moved(before, after), 0U);

	/* Its backend deleted, not yet rebuilt: only its clients move. */
	WRITE_ONCE(t->be[1].dead, true);
	nflb_sh_map(test, after);
	for (c = 0; c < NFLB_SH_CLIENTS; c++) {
		KUNIT_EXPECT_NE(test, after[c], 1);
		KUNIT_EXPECT_GE(test, after[c], 0);
		if (before[c] != 1)
			KUNIT_EXPECT_EQ(test, after[c], before[c]);
	}
	WRITE_ONCE(t->be[1].dead, false);
	nflb_sh_map(test, after);
	KUNIT_EXPECT_EQ(test, nflb_sh_moved(before, after), 0U);

	/*
	 * A backend added: about a fifth of the clients go to it, and few
	 * others move (Maglev's disruption is small, not zero).
	 */
	nflb_test_add(test, 1);
	nflb_test_rebuild(test);
	nflb_sh_map(test, after);
	moved = 0;
	to_new = 0;
	for (c = 0; c < NFLB_SH_CLIENTS; c++) {
		if (after[c] == 4)
			to_new++;
		else if (after[c] != before[c])
			moved++;
	}
	KUNIT_EXPECT_GT(test, to_new, NFLB_SH_CLIENTS / 6 - 100);
	KUNIT_EXPECT_LT(test, to_new, NFLB_SH_CLIENTS / 6 + 100);
	KUNIT_EXPECT_LT(test, moved, NFLB_SH_CLIENTS / 20);

	/* Deleted: its clients spread, the others mostly stay. */
	memcpy(before, after, NFLB_SH_CLIENTS);
	nflb_test_del(test, &t->be[2]);
	nflb_sh_map(test, after);
	moved = 0;
	of_gone = 0;
	for (c = 0; c < NFLB_SH_CLIENTS; c++) {
		KUNIT_EXPECT_NE(test, after[c], 2);
		if (before[c] == 2)
			of_gone++;
		else if (after[c] != before[c])
			moved++;
	}
	KUNIT_EXPECT_GT(test, of_gone, 0U);
	KUNIT_EXPECT_LT(test, moved, NFLB_SH_CLIENTS / 20);
}

/* IPv6 clients hash on all 128 bits. */
static void nflb_sched_sh_ipv6_test(struct kunit *test)
{
	struct nflb_sched_test *t = test->priv;
	unsigned int count[NFLB_TEST_MAX_BE] = {};
	struct nflb_flow flow = { .family = AF_INET6 };
	struct nflb_backend *be, *first;
	unsigned int c, i;

	nflb_test_set_sched(test, "sh");
	for (i = 0; i < 4; i++)
		nflb_test_add(test, 1);
	nflb_test_rebuild(test);

	/* Clients that differ only in the low 64 bits still spread. */
	flow.saddr.ip6[0] = htonl(0x20010db8);
	for (c = 0; c < 400; c++) {
		flow.saddr.ip6[3] = htonl(c);
		rcu_read_lock();
		be = nflb_sched_pick(&t->svc, &flow);
		rcu_read_unlock();
		KUNIT_ASSERT_NOT_NULL(test, be);
		count[be - t->be]++;
	}
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_GT(test, count[i], 50U);

	/* And one client stays put. */
	flow.saddr.ip6[3] = htonl(7);
	rcu_read_lock();
	first = nflb_sched_pick(&t->svc, &flow);
	for (c = 0; c < 50; c++) {
		flow.sport = htons(1024 + c);
		KUNIT_EXPECT_PTR_EQ(test, nflb_sched_pick(&t->svc, &flow), first);
	}
	rcu_read_unlock();
}

static struct kunit_case nflb_sched_test_cases[] = {
	KUNIT_CASE(nflb_sched_find_test),
	KUNIT_CASE_PARAM(nflb_sched_share_test, nflb_share_gen_params),
	KUNIT_CASE_PARAM(nflb_sched_weight0_test, nflb_sched_gen_params),
	KUNIT_CASE_PARAM(nflb_sched_one_test, nflb_sched_gen_params),
	KUNIT_CASE_PARAM(nflb_sched_none_test, nflb_sched_gen_params),
	KUNIT_CASE_PARAM(nflb_sched_change_test, nflb_sched_gen_params),
	KUNIT_CASE(nflb_sched_wrr_reweight_test),
	KUNIT_CASE_PARAM(nflb_sched_load_test, nflb_load_gen_params),
	KUNIT_CASE(nflb_sched_sh_stable_test),
	KUNIT_CASE(nflb_sched_sh_ipv6_test),
	{}
};

static struct kunit_suite nflb_sched_test_suite = {
	.name = "nflb_sched",
	.init = nflb_sched_test_init,
	.exit = nflb_sched_test_exit,
	.test_cases = nflb_sched_test_cases,
};

kunit_test_suite(nflb_sched_test_suite);

MODULE_DESCRIPTION("KUnit tests for the nflb schedulers");
MODULE_LICENSE("GPL");
