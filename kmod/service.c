// SPDX-License-Identifier: GPL-2.0
/*
 * Services and backends: lookup, creation, teardown and counters.  Writers
 * hold nflb_net.lock; the packet path finds services by hash under RCU.
 */
#include <kunit/visibility.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "nflb.h"

static u32 nflb_hash_seed __read_mostly;

u32 nflb_svc_hash(u16 family, u8 proto, const union nf_inet_addr *addr,
		  __be16 port)
{
	u32 seed;

	net_get_random_once(&nflb_hash_seed, sizeof(nflb_hash_seed));
	seed = nflb_hash_seed ^ ((u32)family << 16 | proto);
	return jhash2(addr->all, ARRAY_SIZE(addr->all),
		      seed ^ (__force u32)port);
}

/* Caller holds rcu_read_lock() or nn->lock. */
struct nflb_service *nflb_svc_lookup(struct nflb_net *nn, u16 family, u8 proto,
				     const union nf_inet_addr *addr,
				     __be16 port)
{
	u32 h = nflb_svc_hash(family, proto, addr, port);
	struct hlist_head *hash = READ_ONCE(nn->svc_hash);
	struct nflb_service *svc;

	if (!hash)
		return NULL;	/* no service yet */
	hlist_for_each_entry_rcu(svc, &hash[h & (NFLB_SVC_HASH_SIZE - 1)],
				 hnode, lockdep_is_held(&nn->lock)) {
		if (svc->port == port && svc->proto == proto &&
		    svc->family == family &&
		    nf_inet_addr_cmp(&svc->addr, addr))
			return svc;
	}
	return NULL;
}

/* Caller holds rcu_read_lock() or the config lock. */
struct nflb_backend *nflb_be_lookup(struct nflb_service *svc, u16 family,
				    const union nf_inet_addr *addr,
				    __be16 port)
{
	struct nflb_backend *be;

	list_for_each_entry_rcu(be, &svc->backends, list,
				lockdep_is_held(&svc->nn->lock)) {
		if (be->port == port && be->family == family &&
		    nf_inet_addr_cmp(&be->addr, addr))
			return be;
	}
	return NULL;
}

void nflb_stats_read(struct nflb_stats_pcpu __percpu *pcpu,
		     struct nflb_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct nflb_stats_pcpu *s = per_cpu_ptr(pcpu, cpu);
		struct nflb_stats snap;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			snap = s->s;
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum->conns += snap.conns;
		sum->pkts_in += snap.pkts_in;
		sum->pkts_out += snap.pkts_out;
		sum->bytes_in += snap.bytes_in;
		sum->bytes_out += snap.bytes_out;
	}
}
EXPORT_SYMBOL_IF_KUNIT(nflb_stats_read);

u64 nflb_drops_read(struct nflb_net *nn, enum nflb_drop_reason why)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(nn->drops, cpu)[why];
	return sum;
}

/*
 * A service created with its first @backends gets their counters in its
 * own run of blocks (up to NFLB_SHARED_STATS_MAX of them), which lives as
 * long as the service, and so as long as any of its backends: one
 * allocation, not one each.
 */
#define NFLB_SHARED_STATS_MAX	64

struct nflb_service *nflb_svc_alloc(unsigned int backends)
{
	struct nflb_service *svc;

	BUILD_BUG_ON(1 + NFLB_SHARED_STATS_MAX > NFLB_STATS_CHUNK);
	if (backends > NFLB_SHARED_STATS_MAX)
		backends = 0;
	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc)
		return NULL;
	svc->stats = nflb_stats_get(1 + backends, &svc->stats_chunk);
	if (!svc->stats) {
		kfree(svc);
		return NULL;
	}
	svc->stats_n = 1 + backends;
	svc->stats_used = 1;
	INIT_LIST_HEAD(&svc->backends);
	refcount_set(&svc->refcnt, 1);
	return svc;
}

static void nflb_svc_free_rcu(struct rcu_head *head)
{
	struct nflb_service *svc = container_of(head, struct nflb_service, rcu);

	nflb_stats_put(svc->stats_chunk, svc->stats, svc->stats_n);
	kfree(svc);
}

static void nflb_svc_release(struct nflb_service *svc, struct nflb_reaper *r)
{
	if (refcount_dec_and_test(&svc->refcnt))
		nflb_reap(r, &svc->rcu, nflb_svc_free_rcu);
}

void nflb_svc_put(struct nflb_service *svc)
{
	nflb_svc_release(svc, NULL);
}

int nflb_svc_link(struct nflb_net *nn, struct nflb_service *svc)
{
	u32 h = nflb_svc_hash(svc->family, svc->proto, &svc->addr, svc->port);

	lockdep_assert_held(&nn->lock);
	svc->nn = nn;
	hlist_add_head_rcu(&svc->hnode,
			   &nn->svc_hash[h & (NFLB_SVC_HASH_SIZE - 1)]);
	list_add_tail(&svc->list, &nn->services);
	nn->num_services++;
	nn->gen++;
	return 0;
}

struct nflb_backend *nflb_be_alloc(struct nflb_service *svc)
{
	struct nflb_backend *be;

	be = kzalloc(sizeof(*be), GFP_KERNEL);
	if (!be)
		return NULL;
	if (svc->stats_used < svc->stats_n) {
		be->stats = svc->stats + svc->stats_used++;
	} else {
		be->stats = nflb_stats_get(1, &be->stats_chunk);
		if (!be->stats) {
			kfree(be);
			return NULL;
		}
	}
	refcount_set(&be->refcnt, 1);
	refcount_inc(&svc->refcnt);
	be->svc = svc;
	return be;
}

static void nflb_be_free_rcu(struct rcu_head *head)
{
	struct nflb_backend *be = container_of(head, struct nflb_backend, rcu);

	nflb_svc_put(be->svc);
	nflb_route_destroy(&be->route);
	/* A shared block goes with the service, after this callback. */
	if (be->stats_chunk)
		nflb_stats_put(be->stats_chunk, be->stats, 1);
	kfree(be);
}

static void nflb_be_release(struct nflb_backend *be, struct nflb_reaper *r)
{
	if (refcount_dec_and_test(&be->refcnt))
		nflb_reap(r, &be->rcu, nflb_be_free_rcu);
}

void nflb_be_put(struct nflb_backend *be)
{
	nflb_be_release(be, NULL);
}

/*
 * Takes a backend out of service: no new connection is scheduled to it once
 * the scheduler state is rebuilt, its entries are closed, and the list's
 * reference is dropped.  If the rebuild cannot allocate, the old scheduler
 * state still points at the backend, so unpublish it rather than leave a
 * pointer that outlives the grace period: the service schedules nothing
 * until its next successful change.  What goes after the grace period goes
 * with @r's batch (NULL: on its own).
 *
 * A backend deleted @alone has the scheduler rebuilt and its entries swept
 * at once; the backends of a deleted service leave both to the service's
 * deletion, which asks for one sweep after all of them.
 */
static void __nflb_be_unlink(struct nflb_service *svc, struct nflb_backend *be,
			     bool alone, struct nflb_reaper *r)
{
	struct nflb_net *nn = svc->nn;

	WRITE_ONCE(be->dead, true);
	list_del_rcu(&be->list);
	svc->num_backends--;
	if (alone) {
		if (nflb_sched_rebuild(svc)) {
			pr_warn("out of memory rebuilding a scheduler; service paused\n");
			nflb_sched_release(svc, r);
		}
		nflb_conn_close_dead(nn);
	}
	nn->gen++;
	nflb_be_release(be, r);
}

void nflb_be_unlink(struct nflb_service *svc, struct nflb_backend *be)
{
	lockdep_assert_held(&svc->nn->lock);
	__nflb_be_unlink(svc, be, true, NULL);
}

/*
 * A service, its scheduler state and its backends go in @r's batches.
 * Returns whether it had backends: then their entries are to be swept.
 */
static bool __nflb_svc_unlink(struct nflb_net *nn, struct nflb_service *svc,
			      struct nflb_reaper *r)
{
	bool had_backends = !list_empty(&svc->backends);
	struct nflb_backend *be, *tmp;

	WRITE_ONCE(svc->dead, true);
	hlist_del_rcu(&svc->hnode);
	list_del(&svc->list);
	nn->num_services--;
	nflb_sched_release(svc, r);
	list_for_each_entry_safe(be, tmp, &svc->backends, list)
		__nflb_be_unlink(svc, be, false, r);
	nn->gen++;
	nflb_svc_release(svc, r);
	return had_backends;
}

void nflb_svc_unlink(struct nflb_net *nn, struct nflb_service *svc)
{
	struct nflb_reaper r = { };

	lockdep_assert_held(&nn->lock);
	if (__nflb_svc_unlink(nn, svc, &r))
		nflb_conn_close_dead(nn);
	nflb_reaper_flush(&r);
}

void nflb_svc_flush(struct nflb_net *nn)
{
	struct nflb_service *svc, *tmp;
	struct nflb_reaper r = { };
	bool sweep = false;

	lockdep_assert_held(&nn->lock);
	list_for_each_entry_safe(svc, tmp, &nn->services, list)
		sweep |= __nflb_svc_unlink(nn, svc, &r);
	if (sweep)
		nflb_conn_close_dead(nn);
	nflb_reaper_flush(&r);
}
