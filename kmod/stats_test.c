// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the counter blocks' chunks (stats.c), suite "nflb_stats":
 * runs of blocks never overlap and come zeroed (also where counters were
 * written before), runs fill a chunk before the next is made, runs that
 * cannot be are refused, and every chunk goes once its runs are back.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>

#include "nflb.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct nflb_stats_run {
	struct nflb_stats_pcpu __percpu *stats;
	struct nflb_stats_chunk *chunk;
	unsigned int n;
};

/* Whether the @n blocks at @stats read zero on every CPU. */
static bool stats_zero(struct nflb_stats_pcpu __percpu *stats, unsigned int n)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		for (i = 0; i < n; i++)
			if (memchr_inv(&per_cpu_ptr(stats + i, cpu)->s, 0,
				       sizeof(struct nflb_stats)))
				return false;
	return true;
}

/* Marks every block of the run with @tag, as traffic would count. */
static void stats_mark(struct nflb_stats_pcpu __percpu *stats, unsigned int n,
		       u64 tag)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		for (i = 0; i < n; i++)
			per_cpu_ptr(stats + i, cpu)->s.conns = tag;
}

static void stats_get(struct kunit *test, struct nflb_stats_run *r,
		      unsigned int n)
{
	r->n = n;
	r->stats = nflb_stats_get(n, &r->chunk);
	KUNIT_ASSERT_NOT_NULL(test, r->stats);
	KUNIT_EXPECT_TRUE(test, stats_zero(r->stats, n));
}

static void nflb_stats_runs_test(struct kunit *test)
{
	static const unsigned int sizes[] = { 1, 65, 5, 1, 56, 128, 2, 126 };
	struct nflb_stats_run r[ARRAY_SIZE(sizes)];
	unsigned int base, i, j;
	int cpu;

	/* Services of earlier suites go in RCU callbacks. */
	rcu_barrier();
	base = nflb_stats_chunks_held();
	/* Room left in a chunk held before would take runs below. */
	KUNIT_ASSERT_EQ(test, base, 0U);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		stats_get(test, &r[i], sizes[i]);
		stats_mark(r[i].stats, r[i].n, i + 1);
	}
	/* 1 + 65 + 5 + 1 + 56 fill a chunk, 128 the next, 2 + 126 a third. */
	KUNIT_EXPECT_EQ(test, nflb_stats_chunks_held(), 3U);
	KUNIT_EXPECT_PTR_EQ(test, r[1].chunk, r[0].chunk);
	KUNIT_EXPECT_PTR_EQ(test, r[4].chunk, r[0].chunk);
	KUNIT_EXPECT_PTR_NE(test, r[5].chunk, r[0].chunk);
	KUNIT_EXPECT_PTR_EQ(test, r[7].chunk, r[6].chunk);

	/* No run wrote into another: each still holds its own mark. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		for_each_possible_cpu(cpu)
			for (j = 0; j < r[i].n; j++)
				KUNIT_EXPECT_EQ(test, per_cpu_ptr(r[i].stats + j,
								  cpu)->s.conns,
						(u64)i + 1);

	/* A run given back is handed out again (the only room left),
	 * zeroed.
	 */
	nflb_stats_put(r[2].chunk, r[2].stats, r[2].n);
	stats_get(test, &r[2], 5);
	KUNIT_EXPECT_PTR_EQ(test, r[2].chunk, r[0].chunk);

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		nflb_stats_put(r[i].chunk, r[i].stats, r[i].n);
	KUNIT_EXPECT_EQ(test, nflb_stats_chunks_held(), 0U);
}

static void nflb_stats_refused_test(struct kunit *test)
{
	struct nflb_stats_chunk *chunk;

	KUNIT_EXPECT_NULL(test, nflb_stats_get(0, &chunk));
	KUNIT_EXPECT_NULL(test, nflb_stats_get(NFLB_STATS_CHUNK + 1, &chunk));
}

static struct kunit_case nflb_stats_test_cases[] = {
	KUNIT_CASE(nflb_stats_runs_test),
	KUNIT_CASE(nflb_stats_refused_test),
	{}
};

static struct kunit_suite nflb_stats_test_suite = {
	.name = "nflb_stats",
	.test_cases = nflb_stats_test_cases,
};

kunit_test_suites(&nflb_stats_test_suite);
