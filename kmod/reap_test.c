// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for freeing in batches (reap.c), suite "nflb_reap": nothing
 * collected is freed before its batch is sent, a full batch goes by
 * itself, the last one at nflb_reaper_flush(), each object exactly once
 * and by its own function; without a reaper an object goes at once.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include "nflb.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* reap.c's batch size, which the tests below count on. */
#define BATCH	256

struct reap_obj {
	struct rcu_head rcu;
	int freed;
};

static atomic_t reap_freed, reap_other;

static void reap_obj_free(struct rcu_head *head)
{
	container_of(head, struct reap_obj, rcu)->freed++;
	atomic_inc(&reap_freed);
}

static void reap_obj_free_other(struct rcu_head *head)
{
	container_of(head, struct reap_obj, rcu)->freed++;
	atomic_inc(&reap_other);
}

static int reap_count(void)
{
	return atomic_read(&reap_freed) + atomic_read(&reap_other);
}

static void nflb_reap_batches_test(struct kunit *test)
{
	const unsigned int n = BATCH + BATCH / 4;
	struct nflb_reaper r = { };
	struct reap_obj *o;
	unsigned int i;

	o = kunit_kcalloc(test, n, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	rcu_barrier();
	atomic_set(&reap_freed, 0);
	atomic_set(&reap_other, 0);

	for (i = 0; i < BATCH - 1; i++)
		nflb_reap(&r, &o[i].rcu,
			  i % 2 ? reap_obj_free : reap_obj_free_other);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_read(&reap_freed), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&reap_other), 0);
	KUNIT_EXPECT_NOT_NULL(test, r.batch);

	/* The batch's last object sends it. */
	nflb_reap(&r, &o[i++].rcu, reap_obj_free);
	KUNIT_EXPECT_NULL(test, r.batch);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, reap_count(), BATCH);

	for (; i < n; i++)
		nflb_reap(&r, &o[i].rcu, reap_obj_free);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, reap_count(), BATCH);
	nflb_reaper_flush(&r);
	KUNIT_EXPECT_NULL(test, r.batch);
	rcu_barrier();

	/* Each once, by its own function (the even ones of the first
	 * BATCH - 1 by the other).
	 */
	KUNIT_EXPECT_EQ(test, atomic_read(&reap_other), BATCH / 2);
	KUNIT_EXPECT_EQ(test, reap_count(), n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, o[i].freed, 1, "object %u", i);

	/* An empty reaper sends nothing. */
	nflb_reaper_flush(&r);
	KUNIT_EXPECT_NULL(test, r.batch);
}

static void nflb_reap_alone_test(struct kunit *test)
{
	struct reap_obj *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	rcu_barrier();
	atomic_set(&reap_freed, 0);
	nflb_reap(NULL, &o->rcu, reap_obj_free);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_read(&reap_freed), 1);
	KUNIT_EXPECT_EQ(test, o->freed, 1);
}

static struct kunit_case nflb_reap_cases[] = {
	KUNIT_CASE(nflb_reap_batches_test),
	KUNIT_CASE(nflb_reap_alone_test),
	{}
};

static struct kunit_suite nflb_reap_suite = {
	.name = "nflb_reap",
	.test_cases = nflb_reap_cases,
};

kunit_test_suites(&nflb_reap_suite);
