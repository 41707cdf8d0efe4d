// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler registry and the state every scheduler picks from.
 *
 * Each configuration change builds a new struct nflb_sched_state (the
 * usable backends plus the scheduler's own table) under the config lock
 * and publishes it with one pointer store; the packet path only follows
 * that pointer under RCU.  Nothing here is ever modified in place except
 * the schedulers' own counters, so a pick never takes a lock, and a change
 * costs one allocation and one grace period, whatever the traffic.
 */
#include <kunit/visibility.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sched.h"

static const struct nflb_sched_ops *const nflb_scheds[] = {
	&nflb_sched_rr,
	&nflb_sched_wrr,
	&nflb_sched_lc,
	&nflb_sched_wlc,
	&nflb_sched_sh,
};

const struct nflb_sched_ops *nflb_sched_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nflb_scheds); i++)
		if (!strcmp(name, nflb_scheds[i]->name))
			return nflb_scheds[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_sched_find);

struct nflb_backend *nflb_sched_next_usable(struct nflb_sched_state *st,
					    unsigned int i)
{
	unsigned int k;

	for (k = 0; k < st->n; k++, i++) {
		if (i >= st->n)
			i = 0;
		if (nflb_sched_usable(st->be[i]))
			return st->be[i];
	}
	return NULL;
}

static void nflb_sched_state_free(struct nflb_sched_state *st)
{
	/* The state's own ops: the service may have changed scheduler. */
	if (st->ops->free)
		st->ops->free(st);
	kvfree(st);
}

static void nflb_sched_state_free_rcu(struct rcu_head *head)
{
	nflb_sched_state_free(container_of(head, struct nflb_sched_state, rcu));
}

/*
 * Writers are serialised by the caller (the config lock, or a service
 * nobody can reach any more), hence the unconditional "true".
 */
static void nflb_sched_publish(struct nflb_service *svc,
			       struct nflb_sched_state *st,
			       struct nflb_reaper *r)
{
	struct nflb_sched_state *old;

	old = rcu_replace_pointer(svc->sched_state, st, true);
	if (old)
		nflb_reap(r, &old->rcu, nflb_sched_state_free_rcu);
}

int nflb_sched_rebuild(struct nflb_service *svc)
{
	const struct nflb_sched_ops *ops = svc->sched;
	struct nflb_sched_state *st = NULL;
	struct nflb_backend *be;
	unsigned int n = 0;
	int err;

	/* KUnit drives a service that belongs to no namespace. */
	if (svc->nn)
		lockdep_assert_held(&svc->nn->lock);

	if (ops)
		list_for_each_entry(be, &svc->backends, list)
			n += nflb_sched_usable(be);
	if (n) {
		/* Thousands of backends outgrow a kmalloc() page: kvzalloc(). */
		st = kvzalloc(struct_size(st, be, n), GFP_KERNEL);
		if (!st)
			return -ENOMEM;
		st->ops = ops;
		list_for_each_entry(be, &svc->backends, list)
			if (st->n < n && nflb_sched_usable(be))
				st->be[st->n++] = be;
		err = ops->build ? ops->build(svc, st) : 0;
		if (err) {
			nflb_sched_state_free(st);
			return err;
		}
	}
	/* With no usable backend, publish NULL: pick() then finds nothing. */
	nflb_sched_publish(svc, st, NULL);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_sched_rebuild);

void nflb_sched_release(struct nflb_service *svc, struct nflb_reaper *r)
{
	nflb_sched_publish(svc, NULL, r);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_sched_release);

struct nflb_backend *nflb_sched_pick(struct nflb_service *svc,
				     const struct nflb_flow *flow)
{
	struct nflb_sched_state *st = rcu_dereference(svc->sched_state);

	if (unlikely(!st))
		return NULL;
	/* One backend is common (and a scheduler's table is useless then). */
	if (st->n == 1)
		return nflb_sched_usable(st->be[0]) ? st->be[0] : NULL;
	return INDIRECT_CALL_4(st->ops->pick, nflb_wlc_pick, nflb_rr_pick,
			       nflb_wrr_pick, nflb_sh_pick, svc, st, flow);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_sched_pick);
