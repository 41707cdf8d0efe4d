// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table: entries, their lifetimes and their TCP state.
 *
 * No entry has a timer.  An entry carries its expiry in jiffies; lookups
 * treat an expired entry as absent at once, and a collector (delayed work,
 * one per namespace, idle while the table is empty) unlinks expired
 * entries a slice of buckets per tick, so that every bucket is visited
 * every NFLB_GC_INTERVAL * NFLB_GC_SLICES (two seconds).
 * When a backend is deleted the collector is kicked to sweep the whole
 * table at once: that is cheaper than walking the table from the
 * configuration path for every backend of a deleted service, and the
 * packet path already refuses entries of a dead backend meanwhile.
 */
#include <kunit/visibility.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>

#include "conn.h"

#define NFLB_GC_INTERVAL	(HZ / 4)
#define NFLB_GC_SLICES		8
#define NFLB_MAX_LOCKS		1024

/* Timeouts that are not configurable, like IPVS's defaults. */
#define NFLB_TO_SYN		(60 * HZ)
#define NFLB_TO_CLOSE		(10 * HZ)

static struct kmem_cache *nflb_conn_cachep __read_mostly;

int nflb_conn_cache_init(void)
{
	/* The memory per connection is a bench target (issue 6). */
	BUILD_BUG_ON(sizeof(struct nflb_conn) > 128);
	nflb_conn_cachep = KMEM_CACHE(nflb_conn, 0);
	return nflb_conn_cachep ? 0 : -ENOMEM;
}

/* After rcu_barrier(): entries are freed from RCU callbacks. */
void nflb_conn_cache_exit(void)
{
	kmem_cache_destroy(nflb_conn_cachep);
}

unsigned int nflb_conn_count(struct nflb_net *nn)
{
	return atomic_read(&nn->conns->count);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_count);

unsigned long nflb_conn_timeout(const struct nflb_net *nn, unsigned int state,
				u8 proto)
{
	if (proto != IPPROTO_TCP)
		return READ_ONCE(nn->timeout[NFLB_TIMEOUT_A_UDP]) * HZ;
	switch (state) {
	case NFLB_CONN_ESTABLISHED:
		return READ_ONCE(nn->timeout[NFLB_TIMEOUT_A_TCP]) * HZ;
	case NFLB_CONN_FIN_WAIT:
	case NFLB_CONN_CLOSE_WAIT:
	case NFLB_CONN_LAST_ACK:
		return READ_ONCE(nn->timeout[NFLB_TIMEOUT_A_TCP_FIN]) * HZ;
	case NFLB_CONN_TIME_WAIT:
	case NFLB_CONN_CLOSE:
		return NFLB_TO_CLOSE;
	default:
		return NFLB_TO_SYN;
	}
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_timeout);

/*
 * The next TCP state, from the flags of a packet seen in one direction
 * ("reply": backend to client).  Both directions pass through us, so the
 * table follows the handshake and both FINs.  A SYN in TIME_WAIT, CLOSE or
 * LAST_ACK is not handled here: the packet path treats it as a new
 * connection and replaces the entry.
 */
unsigned int nflb_tcp_next_state(unsigned int old, bool reply, bool syn,
				 bool ack, bool fin, bool rst)
{
	if (rst)
		return NFLB_CONN_CLOSE;
	if (syn) {
		if (reply && ack && old == NFLB_CONN_SYN_SENT)
			return NFLB_CONN_SYN_RECV;
		return old;
	}
	if (fin) {
		switch (old) {
		case NFLB_CONN_SYN_SENT:
		case NFLB_CONN_SYN_RECV:
		case NFLB_CONN_ESTABLISHED:
			return reply ? NFLB_CONN_CLOSE_WAIT : NFLB_CONN_FIN_WAIT;
		case NFLB_CONN_FIN_WAIT:
			return reply ? NFLB_CONN_LAST_ACK : old;
		case NFLB_CONN_CLOSE_WAIT:
			return reply ? old : NFLB_CONN_LAST_ACK;
		default:
			return old;
		}
	}
	if (ack) {
		if (!reply && old == NFLB_CONN_SYN_RECV)
			return NFLB_CONN_ESTABLISHED;
		/* Both FINs seen: this ACK closes the connection. */
		if (old == NFLB_CONN_LAST_ACK)
			return NFLB_CONN_TIME_WAIT;
	}
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_tcp_next_state);

/*
 * The next TCP state when only the client's packets pass through us (modes
 * dr and tun), like IPVS's input-only table: the handshake completes with
 * the client's first ACK, and a FIN from the client ends in FIN_WAIT,
 * which lasts the "tcpfin" timeout (the client may still acknowledge data
 * for a while; its end of the connection cannot be seen).
 */
unsigned int nflb_tcp_next_state_oneway(unsigned int old, bool syn, bool ack,
					bool fin, bool rst)
{
	if (ack && !syn && !fin && !rst &&
	    (old == NFLB_CONN_SYN_SENT || old == NFLB_CONN_SYN_RECV))
		return NFLB_CONN_ESTABLISHED;
	return nflb_tcp_next_state(old, false, syn, ack, fin, rst);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_tcp_next_state_oneway);

static void nflb_conn_account(struct nflb_conn *c, unsigned int old,
			      unsigned int new)
{
	struct nflb_backend *be = c->be;

	if (c->flags & NFLB_CONN_F_TEMPLATE)
		return;
	if (old == NFLB_CONN_ESTABLISHED)
		atomic_dec(&be->active_conns);
	else if (old != NFLB_CONN_DEAD)
		atomic_dec(&be->inactive_conns);
	if (new == NFLB_CONN_ESTABLISHED)
		atomic_inc(&be->active_conns);
	else if (new != NFLB_CONN_DEAD)
		atomic_inc(&be->inactive_conns);
}

/*
 * Packets of one connection may be handled on two CPUs at once (a request
 * and a reply): the state word changes by compare-and-exchange so that the
 * backend's active/inactive counts move exactly once per transition, and
 * never after the entry is unlinked (which sets NFLB_CONN_DEAD).
 */
void nflb_conn_set_state(struct nflb_conn *c, unsigned int state)
{
	int old = atomic_read(&c->state);

	do {
		if (old == state || (old & NFLB_CONN_DEAD))
			return;
	} while (!atomic_try_cmpxchg(&c->state, &old, state));
	nflb_conn_account(c, old, state);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_set_state);

static void nflb_conn_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(nflb_conn_cachep,
			container_of(head, struct nflb_conn, rcu));
}

static spinlock_t *nflb_conn_in_lock(struct nflb_conn_table *t, u32 h)
{
	return &t->in_locks[h & t->lock_mask];
}

/* Called with the entry's "in" bucket lock held. */
static void __nflb_conn_unlink(struct nflb_conn_table *t, struct nflb_conn *c)
{
	unsigned int old;

	old = atomic_fetch_or(NFLB_CONN_DEAD, &c->state);
	if (old & NFLB_CONN_DEAD)
		return;
	if (!(c->flags & NFLB_CONN_F_TEMPLATE)) {
		u32 h = nflb_conn_hash_out(t, c->baddr, c->bport, c->caddr,
					   c->cport, c->proto);
		spinlock_t *lock = &t->out_locks[h & t->lock_mask];

		spin_lock(lock);
		hlist_del_rcu(&c->out_node);
		spin_unlock(lock);
	}
	hlist_del_rcu(&c->in_node);
	nflb_conn_account(c, old, NFLB_CONN_DEAD);
	atomic_dec(&t->count);
	/* The backend is freed after a grace period too, so readers that
	 * still hold this entry may still look at it.
	 */
	nflb_be_put(c->be);
	call_rcu(&c->rcu, nflb_conn_free_rcu);
}

void nflb_conn_kill(struct nflb_conn_table *t, struct nflb_conn *c)
{
	u32 h = nflb_conn_hash_in(t, c->caddr, c->cport, c->vaddr, c->vport,
				  c->proto);
	spinlock_t *lock = nflb_conn_in_lock(t, h);

	spin_lock_bh(lock);
	__nflb_conn_unlink(t, c);
	spin_unlock_bh(lock);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_kill);

struct nflb_conn *nflb_conn_tmpl_find(struct nflb_conn_table *t, u8 proto,
				      __be32 caddr, __be32 vaddr, __be16 vport)
{
	u32 h = nflb_conn_hash_in(t, caddr, 0, vaddr, vport, proto);
	struct nflb_conn *c;

	hlist_for_each_entry_rcu(c, &t->in_hash[h], in_node) {
		if (c->caddr == caddr && c->vaddr == vaddr &&
		    c->vport == vport && c->proto == proto &&
		    (c->flags & NFLB_CONN_F_TEMPLATE) &&
		    !(atomic_read(&c->state) & NFLB_CONN_DEAD) &&
		    !nflb_conn_expired(c))
			return c;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_tmpl_find);

/*
 * Creates and publishes an entry (a template if flags has
 * NFLB_CONN_F_TEMPLATE, with cport 0).  An entry with the same "in" tuple
 * that is expired, or is @old (one the caller decided a new SYN replaces),
 * is unlinked first.  If another CPU published a live one meanwhile, that
 * one is returned and *created is false.  Returns ERR_PTR(-ENOSPC) at
 * nflb_conn_max, ERR_PTR(-ENOMEM) if the allocation fails.
 */
struct nflb_conn *nflb_conn_new(struct nflb_conn_table *t, u8 proto,
				__be32 caddr, __be16 cport,
				__be32 vaddr, __be16 vport,
				struct nflb_backend *be, u8 flags,
				unsigned int state, unsigned long timeout,
				struct nflb_conn *old, bool *created)
{
	bool tmpl = flags & NFLB_CONN_F_TEMPLATE;
	struct nflb_conn *c, *other;
	struct hlist_node *tmp;
	spinlock_t *lock;	/* of the "in" bucket */
	u32 h, oh;

	*created = false;
	if (atomic_inc_return(&t->count) > READ_ONCE(nflb_conn_max)) {
		atomic_dec(&t->count);
		return ERR_PTR(-ENOSPC);
	}
	c = kmem_cache_alloc(nflb_conn_cachep, GFP_ATOMIC);
	if (!c) {
		atomic_dec(&t->count);
		return ERR_PTR(-ENOMEM);
	}
	c->be = be;
	c->caddr = caddr;
	c->cport = cport;
	c->vaddr = vaddr;
	c->vport = vport;
	c->baddr = be->addr.ip;
	c->bport = be->port;
	c->proto = proto;
	c->flags = flags;
	c->expires = jiffies + timeout;
	atomic_set(&c->state, state);

	h = nflb_conn_hash_in(t, caddr, cport, vaddr, vport, proto);
	lock = nflb_conn_in_lock(t, h);
	spin_lock_bh(lock);
	if (unlikely(READ_ONCE(t->dying))) {
		spin_unlock_bh(lock);
		kmem_cache_free(nflb_conn_cachep, c);
		atomic_dec(&t->count);
		return ERR_PTR(-ENOMEM);
	}
	hlist_for_each_entry_safe(other, tmp, &t->in_hash[h], in_node) {
		if (other->caddr != caddr || other->vaddr != vaddr ||
		    other->cport != cport || other->vport != vport ||
		    other->proto != proto ||
		    !!(other->flags & NFLB_CONN_F_TEMPLATE) != tmpl ||
		    (atomic_read(&other->state) & NFLB_CONN_DEAD))
			continue;
		if (other == old || nflb_conn_expired(other)) {
			__nflb_conn_unlink(t, other);
			continue;
		}
		/* Lost a race with another CPU: use its entry. */
		spin_unlock_bh(lock);
		kmem_cache_free(nflb_conn_cachep, c);
		atomic_dec(&t->count);
		return other;
	}
	nflb_be_hold(be);
	nflb_conn_account(c, NFLB_CONN_DEAD, state);
	if (!tmpl) {
		spinlock_t *olock;	/* of the "out" bucket */

		oh = nflb_conn_hash_out(t, c->baddr, c->bport, caddr, cport,
					proto);
		olock = &t->out_locks[oh & t->lock_mask];
		spin_lock(olock);
		hlist_add_head_rcu(&c->out_node, &t->out_hash[oh]);
		spin_unlock(olock);
	}
	hlist_add_head_rcu(&c->in_node, &t->in_hash[h]);
	/* An idle table has no collector running; start it.  Under the
	 * lock, so that nflb_conn_net_exit() sees it queued.
	 */
	if (!delayed_work_pending(&t->gc))
		queue_delayed_work(system_power_efficient_wq, &t->gc,
				   NFLB_GC_INTERVAL);
	spin_unlock_bh(lock);
	*created = true;
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_new);

static bool nflb_conn_reapable(const struct nflb_conn *c)
{
	return nflb_conn_expired(c) || nflb_conn_be_gone(c);
}

static void nflb_conn_gc(struct work_struct *work)
{
	struct nflb_conn_table *t = container_of(to_delayed_work(work),
						 struct nflb_conn_table, gc);
	unsigned int n = (t->mask + 1) / NFLB_GC_SLICES;
	struct hlist_node *tmp;
	struct nflb_conn *c;
	unsigned int i;

	if (test_and_clear_bit(NFLB_CT_FULL_SWEEP, &t->flags))
		n = t->mask + 1;
	if (!atomic_read(&t->count))
		goto out;
	for (i = 0; i < n; i++) {
		u32 h = t->gc_pos++ & t->mask;
		spinlock_t *lock;	/* of bucket h */

		if (hlist_empty(&t->in_hash[h]))
			continue;
		lock = nflb_conn_in_lock(t, h);
		spin_lock_bh(lock);
		hlist_for_each_entry_safe(c, tmp, &t->in_hash[h], in_node)
			if (nflb_conn_reapable(c))
				__nflb_conn_unlink(t, c);
		spin_unlock_bh(lock);
		if (!(i & 1023))
			cond_resched();
	}
out:
	/* Idle namespaces cost nothing: nflb_conn_new() restarts us. */
	if (atomic_read(&t->count))
		queue_delayed_work(system_power_efficient_wq, &t->gc,
				   NFLB_GC_INTERVAL);
}

/*
 * The packet path refuses entries of a dead backend from now on (TCP with a
 * reset to the client, UDP by a drop); the collector unlinks them at once.
 */
void nflb_conn_flush_backend(struct nflb_net *nn, struct nflb_backend *be)
{
	struct nflb_conn_table *t = nn->conns;

	set_bit(NFLB_CT_FULL_SWEEP, &t->flags);
	mod_delayed_work(system_power_efficient_wq, &t->gc, 0);
}

static void nflb_conn_table_free(struct nflb_conn_table *t)
{
	kvfree(t->in_hash);
	kvfree(t->out_hash);
	kvfree(t->in_locks);
	kvfree(t->out_locks);
	kfree(t);
}

static void nflb_conn_table_free_rcu(struct rcu_head *head)
{
	nflb_conn_table_free(container_of(head, struct nflb_conn_table, rcu));
}

int nflb_conn_net_init(struct nflb_net *nn)
{
	unsigned int size = 1U << nflb_conn_hash_bits;
	unsigned int locks = min_t(unsigned int, size, NFLB_MAX_LOCKS);
	struct nflb_conn_table *t;
	unsigned int i;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->in_hash = kvcalloc(size, sizeof(*t->in_hash), GFP_KERNEL);
	t->out_hash = kvcalloc(size, sizeof(*t->out_hash), GFP_KERNEL);
	t->in_locks = kvcalloc(locks, sizeof(*t->in_locks), GFP_KERNEL);
	t->out_locks = kvcalloc(locks, sizeof(*t->out_locks), GFP_KERNEL);
	if (!t->in_hash || !t->out_hash || !t->in_locks || !t->out_locks) {
		nflb_conn_table_free(t);
		return -ENOMEM;
	}
	/* Two init sites: two lock classes, so lockdep knows "out" nests in
	 * "in".
	 */
	for (i = 0; i < locks; i++)
		spin_lock_init(&t->in_locks[i]);
	for (i = 0; i < locks; i++)
		spin_lock_init(&t->out_locks[i]);
	t->nn = nn;
	t->mask = size - 1;
	t->lock_mask = locks - 1;
	t->seed = get_random_u32();
	atomic_set(&t->count, 0);
	INIT_DELAYED_WORK(&t->gc, nflb_conn_gc);
	nn->conns = t;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_net_init);

/*
 * After the hooks are gone; a packet may still be inside them until a grace
 * period ends, so entries and the table itself are freed from RCU callbacks.
 */
void nflb_conn_net_exit(struct nflb_net *nn)
{
	struct nflb_conn_table *t = nn->conns;
	struct hlist_node *tmp;
	struct nflb_conn *c;
	unsigned int h;

	/* A packet still in the hooks must not publish an entry behind the
	 * sweep below; nflb_conn_new() checks this under the bucket lock.
	 */
	WRITE_ONCE(t->dying, true);
	for (h = 0; h <= t->mask; h++) {
		spinlock_t *lock = nflb_conn_in_lock(t, h);

		spin_lock_bh(lock);
		hlist_for_each_entry_safe(c, tmp, &t->in_hash[h], in_node)
			__nflb_conn_unlink(t, c);
		spin_unlock_bh(lock);
		if (!(h & 1023))
			cond_resched();
	}
	/* Only now: an entry published before the sweep took its bucket
	 * lock may have queued the collector.
	 */
	cancel_delayed_work_sync(&t->gc);
	WARN_ON_ONCE(atomic_read(&t->count));
	call_rcu(&t->rcu, nflb_conn_table_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_net_exit);
