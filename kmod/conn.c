// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table: entries, their lifetimes and their TCP state.
 *
 * No entry has a timer.  An entry carries its expiry in jiffies; lookups
 * treat an expired entry as absent at once, and a collector (delayed work,
 * one per namespace, every NFLB_WHEEL_RES while the table is not empty)
 * unlinks expired entries within about two slots of their expiry.
 *
 * The collector finds them on a lazy timing wheel.  Each entry is queued
 * in a slot of a ring (NFLB_WHEEL_SLOTS slots of NFLB_WHEEL_RES, about 17
 * minutes) by the expiry it had when it was queued.  Traffic extends an
 * entry by storing a later expiry and nothing else; the collector, when
 * the slot's time has come, frees what really expired and queues the rest
 * again by their expiry of now.  An expiry beyond the ring waits in its
 * last slot and is queued again when that comes round.  So an idle table
 * costs the collector nothing per entry: it visits an entry about once
 * per timeout, where sweeping the hash table visited every entry every
 * two seconds (issue 6: a million idle entries kept a third of a CPU
 * busy).  An entry whose expiry gets shorter by a slot or more (a TCP
 * connection closing, a timeout lowered) would be found late, so that
 * rare change moves it at once (nflb_conn_requeue()).
 *
 * Why not a list per slot under one lock: every new connection of the
 * same second would queue on the same slot, a lock shared by all CPUs.
 * The wheel is split into lanes, one per CPU (up to NFLB_WHEEL_MAX_LANES),
 * each a ring with a lock of its own; an entry stays in the lane of the
 * CPU that created it, so that creating an entry takes its own CPU's lane
 * lock, taken otherwise only by the collector, deletions and the moves
 * above.  A lane keeps its own clock (pos, next), read and advanced under
 * its lock, so that an entry is never queued in a slot the collector has
 * just left.  The wheel's link costs an entry 8 bytes (its lane and slot):
 * the link itself shares the place of the rcu_head, needed only after it.
 *
 * Locks: the bucket lock, then the entry's lane lock.  Every unlink
 * (expiry, flush, a backend's deletion, replacement by a new SYN, the
 * namespace's exit) holds the bucket lock and dequeues the entry from the
 * wheel under the lane lock before it goes to RCU.  The collector walks a
 * slot under the lane lock and so must take a bucket lock out of order: it
 * tries, and on failure lets go of the lane lock, takes both in order and
 * looks again (under RCU the entry cannot be freed meanwhile;
 * NFLB_CONN_DEAD says whether someone else unlinked it).
 *
 * When a backend is deleted the collector is kicked to sweep the whole
 * hash table at once: that is cheaper than walking the table from the
 * configuration path for every backend of a deleted service, and the
 * packet path already refuses entries of a dead backend meanwhile.
 */
#include <kunit/visibility.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>

#include "conn.h"

#define NFLB_GC_INTERVAL	NFLB_WHEEL_RES
#define NFLB_GC_BATCH		256	/* entries per hold of a lane lock */
#define NFLB_WHEEL_MASK		(NFLB_WHEEL_SLOTS - 1)
#define NFLB_MAX_LOCKS		1024

static struct kmem_cache *nflb_conn_cachep __read_mostly;

int nflb_conn_cache_init(void)
{
	/* The memory per connection is a bench target (issue 6). */
	BUILD_BUG_ON(sizeof(struct nflb_conn) > 128);
	BUILD_BUG_ON(NFLB_WHEEL_SLOTS & NFLB_WHEEL_MASK);
	/* Slots and lanes are u16 in an entry. */
	BUILD_BUG_ON(NFLB_WHEEL_MASK >> 16);
	BUILD_BUG_ON((NFLB_WHEEL_MAX_LANES - 1) >> 16);
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
	/* Pairs with nflb_conn_net_init()'s release: NULL until the
	 * namespace's first service.
	 */
	struct nflb_conn_table *t = smp_load_acquire(&nn->conns);

	return t ? atomic_read(&t->count) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_count);

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

static spinlock_t *nflb_conn_lock(struct nflb_conn_table *t, u32 h)
{
	return &t->locks[h & t->lock_mask];
}

/* The wheel, under the lane's lock. */

/* The slot of @exp: the one being visited for an expiry already past, the
 * last of the ring for one beyond it.
 */
static unsigned int nflb_wheel_slot(const struct nflb_wheel_lane *l,
				    unsigned long exp)
{
	long d = (long)(exp - l->next);
	unsigned long n = d > 0 ? (unsigned long)d / NFLB_WHEEL_RES : 0;

	n = min_t(unsigned long, n, NFLB_WHEEL_SLOTS - 1);
	return (l->pos + n) & NFLB_WHEEL_MASK;
}

/* How many slots from now the collector visits @slot. */
static unsigned int nflb_wheel_ahead(const struct nflb_wheel_lane *l,
				     unsigned int slot)
{
	return (slot - l->pos) & NFLB_WHEEL_MASK;
}

/* Called with the entry's bucket lock held, BH off. */
static void nflb_wheel_add(struct nflb_conn_table *t, struct nflb_conn *c)
{
	unsigned int lane = smp_processor_id() & t->lane_mask;
	struct nflb_wheel_lane *l = &t->lanes[lane];

	c->lane = lane;
	spin_lock(&l->lock);
	/* An empty lane's clock stops with the collector: restart it. */
	if (!l->n)
		l->next = jiffies;
	c->slot = nflb_wheel_slot(l, READ_ONCE(c->expires));
	hlist_add_head(&c->wheel_node, &l->slot[c->slot]);
	l->n++;
	spin_unlock(&l->lock);
}

static void nflb_wheel_move(struct nflb_wheel_lane *l, struct nflb_conn *c,
			    unsigned int slot)
{
	if (slot == c->slot)
		return;
	hlist_del(&c->wheel_node);
	hlist_add_head(&c->wheel_node, &l->slot[slot]);
	c->slot = slot;
}

static void nflb_wheel_del(struct nflb_wheel_lane *l, struct nflb_conn *c)
{
	hlist_del(&c->wheel_node);
	l->n--;
}

/*
 * From nflb_conn_touch(), on the packet path: the entry's expiry moved
 * earlier than the slot it waits in.  Under the lane lock alone: an entry
 * stays in its lane, and whoever unlinks it sets NFLB_CONN_DEAD before it
 * takes this lock to dequeue it.
 */
void nflb_conn_requeue(struct nflb_conn *c)
{
	struct nflb_conn_table *t = c->be->svc->nn->conns;
	struct nflb_wheel_lane *l = &t->lanes[c->lane];
	unsigned int slot;

	spin_lock_bh(&l->lock);
	if (!(atomic_read(&c->state) & NFLB_CONN_DEAD)) {
		slot = nflb_wheel_slot(l, READ_ONCE(c->expires));
		if (nflb_wheel_ahead(l, slot) < nflb_wheel_ahead(l, c->slot))
			nflb_wheel_move(l, c, slot);
	}
	spin_unlock_bh(&l->lock);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_requeue);

static u32 nflb_conn_hash_of(const struct nflb_conn_table *t,
			     const struct nflb_conn *c)
{
	return nflb_conn_hash(t, c->caddr, c->cport, c->proto);
}

/*
 * Called with the entry's bucket lock held, and @held, the lock of
 * the entry's lane, if the caller (the collector) holds it already.
 */
static void __nflb_conn_unlink(struct nflb_conn_table *t, struct nflb_conn *c,
			       struct nflb_wheel_lane *held)
{
	struct nflb_wheel_lane *l = &t->lanes[c->lane];
	unsigned int old;

	old = atomic_fetch_or(NFLB_CONN_DEAD, &c->state);
	if (old & NFLB_CONN_DEAD)
		return;
	hlist_del_rcu(&c->node);
	/* Before call_rcu(): the wheel's link and the rcu_head share. */
	if (l == held) {
		nflb_wheel_del(l, c);
	} else {
		spin_lock(&l->lock);
		nflb_wheel_del(l, c);
		spin_unlock(&l->lock);
	}
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
	spinlock_t *lock = nflb_conn_lock(t, nflb_conn_hash_of(t, c));

	spin_lock_bh(lock);
	__nflb_conn_unlink(t, c, NULL);
	spin_unlock_bh(lock);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_kill);

/* More than two entries a bucket, and the arrays may grow ("Growing"). */
static bool nflb_conn_crowded(const struct nflb_conn_hash *ht, unsigned int n)
{
	return n > 2 * (ht->mask + 1) &&
	       ht->mask < BIT(NFLB_CONN_HASH_MAX_BITS) - 1;
}

/*
 * In nflb_conn_new(), under the lock of hash value @h: the live entry of
 * @c's "in" tuple in the chain of @ht, after unlinking one that is expired
 * or is @old.
 */
static struct nflb_conn *nflb_conn_in_same(struct nflb_conn_table *t,
					   struct nflb_conn_hash *ht, u32 h,
					   const struct nflb_conn *c,
					   struct nflb_conn *old)
{
	struct nflb_conn *other;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(other, tmp, &ht->chain[h & ht->mask], node) {
		if (!nflb_conn_in_is(other, c->proto, c->caddr, c->cport,
				     c->vaddr, c->vport,
				     c->flags & NFLB_CONN_F_TEMPLATE) ||
		    (atomic_read(&other->state) & NFLB_CONN_DEAD))
			continue;
		if (other == old || nflb_conn_expired(other)) {
			__nflb_conn_unlink(t, other, NULL);
			continue;
		}
		return other;
	}
	return NULL;
}

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
	struct nflb_conn_hash *ht, *old_ht;
	struct nflb_conn *c, *other;
	spinlock_t *lock;	/* of the bucket */
	unsigned int n;
	u32 h;

	*created = false;
	n = atomic_inc_return(&t->count);
	if (n > READ_ONCE(nflb_conn_max)) {
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

	h = nflb_conn_hash(t, caddr, cport, proto);
	lock = nflb_conn_lock(t, h);
	spin_lock_bh(lock);
	if (unlikely(READ_ONCE(t->dying))) {
		spin_unlock_bh(lock);
		kmem_cache_free(nflb_conn_cachep, c);
		atomic_dec(&t->count);
		return ERR_PTR(-ENOMEM);
	}
	/* Read under the lock: a chain moves to new arrays under its lock,
	 * after they are published.
	 */
	ht = rcu_dereference_bh(t->hash);
	/* nflb_conn_grow() sets old before hash: seeing the new hash, see
	 * the old arrays that still hold entries.
	 */
	smp_rmb();
	old_ht = rcu_dereference_bh(t->old);
	other = nflb_conn_in_same(t, ht, h, c, old);
	if (!other && unlikely(old_ht))
		other = nflb_conn_in_same(t, old_ht, h, c, old);
	if (other) {
		/* Lost a race with another CPU: use its entry. */
		spin_unlock_bh(lock);
		kmem_cache_free(nflb_conn_cachep, c);
		atomic_dec(&t->count);
		return other;
	}
	nflb_be_hold(be);
	nflb_conn_account(c, NFLB_CONN_DEAD, state);
	/* On the wheel before readers can see it and nflb_conn_touch() may
	 * move it; the collector, finding it first, waits for our lock.
	 */
	nflb_wheel_add(t, c);
	hlist_add_head_rcu(&c->node, &ht->chain[h & ht->mask]);
	/* An idle table has no collector running; start it (now, if the
	 * buckets are to grow).  Under the lock, so that
	 * nflb_conn_net_exit() sees it queued.
	 */
	if (unlikely(nflb_conn_crowded(ht, n)) &&
	    !test_and_set_bit(NFLB_CT_GROW, &t->flags))
		mod_delayed_work(NFLB_GC_WQ, &t->gc, 0);
	else if (!delayed_work_pending(&t->gc))
		queue_delayed_work(NFLB_GC_WQ, &t->gc,
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

/*
 * Visits slot pos of lane @l: entries whose time really came are unlinked,
 * the others queued again by their expiry of now.  With the lane lock
 * held, BH off, under RCU.  Returns false if it stopped before the end (a
 * batch done, or the lane lock let go): the caller calls again.
 */
static bool nflb_wheel_visit(struct nflb_conn_table *t,
			     struct nflb_wheel_lane *l)
{
	unsigned int budget = NFLB_GC_BATCH;
	struct hlist_node *tmp;
	struct nflb_conn *c;

	hlist_for_each_entry_safe(c, tmp, &l->slot[l->pos], wheel_node) {
		spinlock_t *lock;	/* of the entry's bucket */
		unsigned int slot;

		/* Being unlinked: its owner waits for this lock to dequeue
		 * it.
		 */
		if (atomic_read(&c->state) & NFLB_CONN_DEAD)
			continue;
		if (!budget--)
			return false;
		if (!nflb_conn_reapable(c)) {
			slot = nflb_wheel_slot(l, READ_ONCE(c->expires));
			nflb_wheel_move(l, c, slot);
			continue;
		}
		lock = nflb_conn_lock(t, nflb_conn_hash_of(t, c));
		if (spin_trylock(lock)) {
			__nflb_conn_unlink(t, c, l);
			spin_unlock(lock);
			continue;
		}
		/* Out of order: take both in order, then look again. */
		spin_unlock(&l->lock);
		spin_lock(lock);
		spin_lock(&l->lock);
		if (!(atomic_read(&c->state) & NFLB_CONN_DEAD) &&
		    c->slot == l->pos && nflb_conn_reapable(c))
			__nflb_conn_unlink(t, c, l);
		spin_unlock(lock);
		return false;	/* tmp may be gone */
	}
	return true;
}

/* Visits the slots of lane @l whose time has come, up to @now. */
static void nflb_wheel_run(struct nflb_conn_table *t,
			   struct nflb_wheel_lane *l, unsigned long now)
{
	bool more;

	do {
		rcu_read_lock();
		spin_lock_bh(&l->lock);
		more = l->n && time_after_eq(now, l->next + NFLB_WHEEL_RES);
		if (!l->n) {
			/* Nothing queued: any clock will do. */
			l->next = now;
		} else if (more && nflb_wheel_visit(t, l)) {
			l->pos = (l->pos + 1) & NFLB_WHEEL_MASK;
			l->next += NFLB_WHEEL_RES;
		}
		spin_unlock_bh(&l->lock);
		rcu_read_unlock();
		cond_resched();
	} while (more);
}

/*
 * Unlinks the entries @reap says to, or all: every bucket.  From the
 * collector or with resize_lock held: the arrays do not change meanwhile.
 */
static void nflb_conn_sweep(struct nflb_conn_table *t,
			    bool (*reap)(const struct nflb_conn *c))
{
	struct nflb_conn_hash *ht = rcu_dereference_protected(t->hash, 1);
	struct hlist_node *tmp;
	struct nflb_conn *c;
	unsigned int h;

	for (h = 0; h <= ht->mask; h++) {
		/* Bucket h's lock: the lock of its entries' hash values. */
		spinlock_t *lock = nflb_conn_lock(t, h);

		if (!hlist_empty(&ht->chain[h])) {
			spin_lock_bh(lock);
			hlist_for_each_entry_safe(c, tmp, &ht->chain[h], node)
				if (!reap || reap(c))
					__nflb_conn_unlink(t, c, NULL);
			spin_unlock_bh(lock);
		}
		if (!(h & 1023))
			cond_resched();
	}
}

/*
 * Growing.  The arrays start at 2^conn_hash_bits buckets, 512 KiB for a
 * namespace at the default, and grow with the entries: when they hold more
 * than two a bucket, the collector moves them to arrays of as many buckets
 * as the next power of two above their number, up to
 * 2^NFLB_CONN_HASH_MAX_BITS.  Chains stay short (a million entries in the
 * first arrays would be chains of 16, each link a cache miss) without
 * making every namespace pay for the largest table up front.
 *
 * The move goes chain by chain under the chains' own locks, while packets
 * keep being looked up and entries added and removed: the new arrays are
 * published first (old as t->old, then the new as t->hash), so that every
 * entry added from then on goes to them; then the chains of the old
 * buckets move lock by lock.  A bucket's lock is the
 * same in both sizes (its hash value's low bits pick it), so whoever holds
 * it sees the bucket's entries in the old arrays or the new, never on the
 * way.  A lock-free reader can be: an entry it walks through may be
 * relinked into a new chain, leading it there.  Every relinking happens
 * inside a write section of the lock's move_seq, and a reader that found
 * nothing looks again if one of its lock's ran meanwhile; what it finds is
 * always right.  One sequence per lock, not one for the table: a chain
 * only ever holds entries of its own lock, so only their moves can mislead
 * a reader of it.  (With one for the table, a lookup that missed looked
 * again whenever any chain moved meanwhile.)
 *
 * Nothing shrinks the arrays: a namespace that once had that many
 * connections may well have them again, and the cost is the arrays alone.
 */
static struct nflb_conn_hash *nflb_conn_hash_alloc(unsigned int size,
						   gfp_t gfp)
{
	struct nflb_conn_hash *ht = kzalloc(sizeof(*ht), gfp);

	if (!ht)
		return NULL;
	ht->chain = kvcalloc(size, sizeof(*ht->chain), gfp);
	if (!ht->chain) {
		kfree(ht);
		return NULL;
	}
	ht->mask = size - 1;
	return ht;
}

static void nflb_conn_hash_free(struct nflb_conn_hash *ht)
{
	kvfree(ht->chain);
	kfree(ht);
}

static void nflb_conn_hash_free_rcu(struct rcu_head *head)
{
	nflb_conn_hash_free(container_of(head, struct nflb_conn_hash, rcu));
}

/* Moves the chains of the old buckets of lock @l. */
static void nflb_conn_move_lock(struct nflb_conn_table *t,
				struct nflb_conn_hash *from,
				struct nflb_conn_hash *to, unsigned int l)
{
	struct hlist_node *tmp;
	struct nflb_conn *c;
	unsigned int b;
	u32 hv;

	spin_lock_bh(&t->locks[l]);
	for (b = l; b <= from->mask; b += t->lock_mask + 1) {
		if (hlist_empty(&from->chain[b]))
			continue;
		write_seqcount_begin(&t->move_seq[l]);
		hlist_for_each_entry_safe(c, tmp, &from->chain[b], node) {
			hv = nflb_conn_hash_of(t, c);
			hlist_del_rcu(&c->node);
			hlist_add_head_rcu(&c->node, &to->chain[hv & to->mask]);
		}
		write_seqcount_end(&t->move_seq[l]);
	}
	spin_unlock_bh(&t->locks[l]);
}

/* From the collector: arrays for the entries there are now. */
static void nflb_conn_grow(struct nflb_conn_table *t)
{
	struct nflb_conn_hash *ht, *new;
	unsigned int n, size, l;

	if (time_before(jiffies, t->grow_retry))
		return;
	mutex_lock(&t->resize_lock);
again:
	ht = rcu_dereference_protected(t->hash,
				       lockdep_is_held(&t->resize_lock));
	n = atomic_read(&t->count);
	if (READ_ONCE(t->dying) || !nflb_conn_crowded(ht, n))
		goto done;
	size = roundup_pow_of_two(min_t(unsigned int, n,
					BIT(NFLB_CONN_HASH_MAX_BITS)));
	new = nflb_conn_hash_alloc(size, GFP_KERNEL | __GFP_NOWARN);
	if (!new) {
		/* Chains are long, not broken: try again later. */
		t->grow_retry = jiffies + 10 * HZ;
		mutex_unlock(&t->resize_lock);
		return;
	}
	/* Old first: a reader that sees the new arrays sees the old ones
	 * too (readers load them in the other order).  One that still sees
	 * the old arrays as t->hash finds every entry there until a move of
	 * its lock, which makes it look again.
	 */
	rcu_assign_pointer(t->old, ht);
	rcu_assign_pointer(t->hash, new);
	for (l = 0; l <= t->lock_mask; l++) {
		nflb_conn_move_lock(t, ht, new, l);
		cond_resched();
	}
	rcu_assign_pointer(t->old, NULL);
	t->gen++;
	call_rcu(&ht->rcu, nflb_conn_hash_free_rcu);
	/* Entries added during the move asked nobody to grow again. */
	goto again;
done:
	clear_bit(NFLB_CT_GROW, &t->flags);
	mutex_unlock(&t->resize_lock);
}

/* The buckets of the namespace's table now, 0 before its first service. */
unsigned int nflb_conn_buckets(struct nflb_net *nn)
{
	/* As nflb_conn_count(). */
	struct nflb_conn_table *t = smp_load_acquire(&nn->conns);
	unsigned int n;

	if (!t)
		return 0;
	rcu_read_lock();
	n = rcu_dereference(t->hash)->mask + 1;
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_buckets);

static void nflb_conn_gc(struct work_struct *work)
{
	struct nflb_conn_table *t = container_of(to_delayed_work(work),
						 struct nflb_conn_table, gc);
	unsigned long now = jiffies;
	unsigned int i;

	if (test_bit(NFLB_CT_GROW, &t->flags))
		nflb_conn_grow(t);
	if (test_and_clear_bit(NFLB_CT_FULL_SWEEP, &t->flags) &&
	    atomic_read(&t->count))
		nflb_conn_sweep(t, nflb_conn_reapable);
	if (atomic_read(&t->count))
		for (i = 0; i <= t->lane_mask; i++)
			nflb_wheel_run(t, &t->lanes[i], now);
	/* Idle namespaces cost nothing: nflb_conn_new() restarts us. */
	if (atomic_read(&t->count))
		queue_delayed_work(NFLB_GC_WQ, &t->gc,
				   NFLB_GC_INTERVAL);
}

/*
 * The packet path refuses entries of a dead backend from now on (TCP with a
 * reset to the client, UDP by a drop); the collector unlinks them at once.
 */
void nflb_conn_close_dead(struct nflb_net *nn)
{
	struct nflb_conn_table *t = nn->conns;

	/* One sweep serves every backend deleted before it runs: with the
	 * flag still set, the run queued for it (at once) has not started.
	 * (A flush asks once, after all of its backends.)
	 */
	if (test_and_set_bit(NFLB_CT_FULL_SWEEP, &t->flags) &&
	    delayed_work_pending(&t->gc))
		return;
	mod_delayed_work(NFLB_GC_WQ, &t->gc, 0);
}

static void nflb_conn_table_free(struct nflb_conn_table *t)
{
	struct nflb_conn_hash *ht = rcu_dereference_protected(t->hash, 1);

	if (ht)
		nflb_conn_hash_free(ht);
	kvfree(t->locks);
	kvfree(t->move_seq);
	kvfree(t->lanes);
	kfree(t);
}

static void nflb_conn_table_free_rcu(struct rcu_head *head)
{
	nflb_conn_table_free(container_of(head, struct nflb_conn_table, rcu));
}

/* A table of 2^@bits buckets to begin with. */
int nflb_conn_net_init(struct nflb_net *nn, unsigned int bits)
{
	unsigned int size = 1U << bits;
	unsigned int locks = min_t(unsigned int, size, NFLB_MAX_LOCKS);
	unsigned int lanes = roundup_pow_of_two(min_t(unsigned int, nr_cpu_ids,
						      NFLB_WHEEL_MAX_LANES));
	struct nflb_conn_table *t;
	unsigned int i;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	/* The locks stay as many when the buckets grow: never more locks
	 * than buckets, so that a bucket's lock is the same in every size.
	 */
	RCU_INIT_POINTER(t->hash, nflb_conn_hash_alloc(size, GFP_KERNEL));
	t->locks = kvcalloc(locks, sizeof(*t->locks), GFP_KERNEL);
	t->move_seq = kvcalloc(locks, sizeof(*t->move_seq), GFP_KERNEL);
	t->lanes = kvcalloc(lanes, sizeof(*t->lanes), GFP_KERNEL);
	if (!rcu_access_pointer(t->hash) || !t->locks || !t->move_seq ||
	    !t->lanes) {
		nflb_conn_table_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < locks; i++)
		spin_lock_init(&t->locks[i]);
	for (i = 0; i < locks; i++)
		seqcount_init(&t->move_seq[i]);
	for (i = 0; i < lanes; i++) {
		spin_lock_init(&t->lanes[i].lock);
		t->lanes[i].next = jiffies;
	}
	t->lane_mask = lanes - 1;
	t->nn = nn;
	mutex_init(&t->resize_lock);
	t->gen = 1;
	t->grow_retry = jiffies;
	t->lock_mask = locks - 1;
	t->seed = get_random_u32();
	atomic_set(&t->count, 0);
	INIT_DELAYED_WORK(&t->gc, nflb_conn_gc);
	/* Pairs with smp_load_acquire() where it is read without the hooks
	 * (which are registered after it) or the config lock.
	 */
	smp_store_release(&nn->conns, t);
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
	unsigned int h;

	if (!t)
		return;
	/* A packet still in the hooks must not publish an entry behind the
	 * sweep below; nflb_conn_new() checks this under the bucket lock.
	 * A growth under way ends first; none starts after (dying).
	 */
	WRITE_ONCE(t->dying, true);
	mutex_lock(&t->resize_lock);
	nflb_conn_sweep(t, NULL);
	mutex_unlock(&t->resize_lock);
	/* Only now: an entry published before the sweep took its bucket
	 * lock may have queued the collector.
	 */
	cancel_delayed_work_sync(&t->gc);
	WARN_ON_ONCE(atomic_read(&t->count));
	for (h = 0; h <= t->lane_mask; h++)
		WARN_ON_ONCE(t->lanes[h].n);
	call_rcu(&t->rcu, nflb_conn_table_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_conn_net_exit);
