/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table of one network namespace, shared by conn.c (the
 * table, its garbage collector and TCP state), hooks.c (the packet path)
 * and netlink_conn.c (the dump).
 *
 * Every entry is on one hash chain, its client's: hashed by the client's
 * address and port, which requests carry as their source (client -> VIP)
 * and replies as their destination (backend -> client), so both find it
 * there, as IPVS's do; the rest of the tuple is compared on the chain.
 * One chain rather than one per direction: a new entry is linked once, in
 * the bucket its own lookup has just read, where a second chain cost two
 * more cache misses (its bucket and the entry at its head) and a lock.
 * Persistence templates (client port 0) are found by requests only.
 * Readers walk the chains under RCU without a lock; writers take the
 * bucket's spinlock from a lock array, never two at once.  Nothing on an
 * entry changes after it is published except its state and its expiry.
 *
 * Every entry is also queued on the expiry wheel (conn.c explains it), in
 * one lane of it for its whole life, at a slot its lane's lock guards.  A
 * lane lock nests inside a bucket lock; the collector, which holds a lane
 * lock while it walks a slot, takes a bucket lock inside it only by
 * trylock.
 *
 * The buckets grow with the entries (conn.c, "Growing"): while they move
 * to the larger arrays an entry is in the old arrays or the new ones, and
 * a reader walking a chain may be led from one to the other; so a lookup
 * that finds nothing while entries of its lock's buckets moved looks again
 * (move_seq).
 */
#ifndef _NFLB_CONN_H
#define _NFLB_CONN_H

#include <linux/atomic.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "nflb.h"

/* In nflb_conn.state, above the enum nflb_conn_state value: unlinked. */
#define NFLB_CONN_DEAD		0x100

struct nflb_conn {
	struct hlist_node node;		/* on its client's chain */
	struct nflb_backend *be;	/* holds a reference */
	unsigned long expires;		/* jiffies; READ_ONCE/WRITE_ONCE */
	__be32 caddr;			/* client */
	__be32 vaddr;			/* VIP */
	__be32 baddr;			/* backend */
	__be16 cport;			/* 0 in a template */
	__be16 vport;
	__be16 bport;
	u8 proto;
	u8 flags;			/* NFLB_CONN_F_* */
	atomic_t state;			/* enum nflb_conn_state | NFLB_CONN_DEAD */
	u16 lane;			/* of the wheel; fixed */
	u16 slot;			/* in the lane; under the lane's lock */
	/* The wheel's link is dropped before the entry goes to RCU: the
	 * two never live at once (like a dentry's d_alias and d_rcu).
	 */
	union {
		struct hlist_node wheel_node;
		struct rcu_head rcu;
	};
};

/* The expiry wheel: slots of NFLB_WHEEL_RES jiffies, a ring per lane. */
#define NFLB_WHEEL_RES		HZ
#define NFLB_WHEEL_SLOTS	1024		/* 17 minutes; a power of 2 */
#define NFLB_WHEEL_MAX_LANES	16

struct nflb_wheel_lane {
	spinlock_t lock;		/* guards all of the lane */
	unsigned int pos;		/* the slot the collector visits next */
	unsigned long next;		/* jiffies: when slot pos begins */
	unsigned int n;			/* entries queued in this lane */
	struct hlist_head slot[NFLB_WHEEL_SLOTS];
};

/* One size of the buckets. */
struct nflb_conn_hash {
	struct hlist_head *chain;
	unsigned int mask;		/* buckets - 1 */
	struct rcu_head rcu;
};

struct nflb_conn_table {
	struct nflb_net *nn;
	/* Where entries are added; and while they move to it, where some
	 * still are.  A chain's lock is the same in both: the hash value's
	 * low bits pick it, and no array has fewer buckets than locks.
	 */
	struct nflb_conn_hash __rcu *hash;
	struct nflb_conn_hash __rcu *old;
	seqcount_t *move_seq;		/* per lock: odd while its entries move */
	struct mutex resize_lock;	/* held while old is set */
	unsigned int gen;		/* arrays replaced; under resize_lock */
	unsigned long grow_retry;	/* jiffies: after a failed allocation */
	spinlock_t *locks;		/* guard the chains, by hash */
	unsigned int lock_mask;		/* locks - 1 */
	u32 seed;
	atomic_t count;			/* entries, templates included */
	struct delayed_work gc;
	struct nflb_wheel_lane *lanes;
	unsigned int lane_mask;		/* lanes - 1 */
	unsigned long flags;		/* NFLB_CT_* bits */
	bool dying;			/* the namespace is going away */
	struct rcu_head rcu;
};

/*
 * Where the collector runs: on any CPU the scheduler likes, not on the one
 * that queued it.  That is the CPU a packet last created an entry on, the
 * busiest of a director; moving a million entries to larger buckets there
 * would take from its packets what an idle CPU could do.
 */
#define NFLB_GC_WQ		system_unbound_wq

/* nflb_conn_table.flags */
#define NFLB_CT_FULL_SWEEP	0	/* a backend went away: sweep it all */
#define NFLB_CT_GROW		1	/* the buckets are too few: grow them */

/* Timeouts that are not configurable, like IPVS's defaults. */
#define NFLB_TO_SYN		(60 * HZ)
#define NFLB_TO_CLOSE		(10 * HZ)

/* How long an entry in @state lives on after a packet; in jiffies. */
static __always_inline unsigned long
nflb_conn_timeout(const struct nflb_net *nn, unsigned int state, u8 proto)
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

/* The hash value of a client's chain. */
static inline u32 nflb_conn_hash(const struct nflb_conn_table *t,
				 __be32 caddr, __be16 cport, u8 proto)
{
	return jhash_2words((__force u32)caddr,
			    (__force u32)cport << 8 | proto, t->seed);
}

static inline bool nflb_conn_expired(const struct nflb_conn *c)
{
	return time_after_eq(jiffies, READ_ONCE(c->expires));
}

static inline unsigned int nflb_conn_state(const struct nflb_conn *c)
{
	return atomic_read(&c->state) & ~NFLB_CONN_DEAD;
}

/* A deleted backend, or a backend of a deleted service. */
static inline bool nflb_conn_be_gone(const struct nflb_conn *c)
{
	return READ_ONCE(c->be->dead) || READ_ONCE(c->be->svc->dead);
}

static inline bool nflb_conn_live(const struct nflb_conn *c)
{
	return !(atomic_read(&c->state) & NFLB_CONN_DEAD) &&
	       !nflb_conn_expired(c);
}

/* Whether @c has this "in" tuple (and is a template if @tmpl is set). */
static inline bool nflb_conn_in_is(const struct nflb_conn *c, u8 proto,
				   __be32 caddr, __be16 cport, __be32 vaddr,
				   __be16 vport, u8 tmpl)
{
	return c->caddr == caddr && c->vaddr == vaddr &&
	       c->cport == cport && c->vport == vport &&
	       c->proto == proto &&
	       (c->flags & NFLB_CONN_F_TEMPLATE) == tmpl;
}

static inline struct nflb_conn *
nflb_conn_in_chain(const struct nflb_conn_hash *ht, u32 hv, u8 proto,
		   __be32 caddr, __be16 cport, __be32 vaddr, __be16 vport,
		   u8 tmpl)
{
	struct nflb_conn *c;

	hlist_for_each_entry_rcu(c, &ht->chain[hv & ht->mask], node) {
		if (nflb_conn_in_is(c, proto, caddr, cport, vaddr, vport,
				    tmpl) &&
		    nflb_conn_live(c))
			return c;
	}
	return NULL;
}

static inline struct nflb_conn *
nflb_conn_out_chain(const struct nflb_conn_hash *ht, u32 hv, u8 proto,
		    __be32 baddr, __be16 bport, __be32 caddr, __be16 cport)
{
	struct nflb_conn *c;

	hlist_for_each_entry_rcu(c, &ht->chain[hv & ht->mask], node) {
		if (c->baddr == baddr && c->caddr == caddr &&
		    c->bport == bport && c->cport == cport &&
		    c->proto == proto &&
		    !(c->flags & NFLB_CONN_F_TEMPLATE) && nflb_conn_live(c))
			return c;
	}
	return NULL;
}

static __always_inline struct nflb_conn *
nflb_conn_chain(const struct nflb_conn_hash *ht, u32 hv, bool out, u8 proto,
		__be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		u8 tmpl)
{
	return out ? nflb_conn_out_chain(ht, hv, proto, saddr, sport, daddr,
					 dport) :
		     nflb_conn_in_chain(ht, hv, proto, saddr, sport, daddr,
					dport, tmpl);
}

/*
 * The live entry with this tuple: a request's (client, VIP), a connection
 * or (@tmpl is NFLB_CONN_F_TEMPLATE, cport 0) a persistence template; or a
 * reply's (backend, client) (@out).  RCU read side.  The new arrays first,
 * where entries are added, then any old ones; a miss is only believed if
 * no entry moved meanwhile.  @out and @tmpl are constants in every caller.
 */
static __always_inline struct nflb_conn *
__nflb_conn_find(struct nflb_conn_table *t, bool out, u8 proto,
		 __be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		 u8 tmpl)
{
	u32 hv = out ? nflb_conn_hash(t, daddr, dport, proto) :
		       nflb_conn_hash(t, saddr, sport, proto);
	/* Only a move of our lock's buckets can lead us astray. */
	seqcount_t *moving = &t->move_seq[hv & t->lock_mask];
	struct nflb_conn_hash *ht;
	struct nflb_conn *c;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(moving);
		c = nflb_conn_chain(rcu_dereference(t->hash), hv, out, proto,
				    saddr, sport, daddr, dport, tmpl);
		if (c)
			return c;
		/* Seeing the new arrays, see the old ones too: they were
		 * published first (nflb_conn_grow()).
		 */
		smp_rmb();
		ht = rcu_dereference(t->old);
		if (unlikely(ht)) {
			c = nflb_conn_chain(ht, hv, out, proto, saddr, sport,
					    daddr, dport, tmpl);
			if (c)
				return c;
		}
	} while (read_seqcount_retry(moving, seq));
	return NULL;
}

/*
 * The live (not expired, not unlinked) connection whose request tuple this
 * is; RCU read side.  An entry can be unlinked right after it is returned:
 * it stays valid until the read side section ends.  Inline: every packet
 * of a connection asks it once, and a call is a good part of its cost.
 */
static __always_inline struct nflb_conn *
nflb_conn_in_find(struct nflb_conn_table *t, u8 proto, __be32 saddr,
		  __be16 sport, __be32 daddr, __be16 dport)
{
	return __nflb_conn_find(t, false, proto, saddr, sport, daddr, dport,
				0);
}

/* The live connection a reply with this tuple belongs to; RCU read side. */
static inline struct nflb_conn *
nflb_conn_out_find(struct nflb_conn_table *t, u8 proto, __be32 saddr,
		   __be16 sport, __be32 daddr, __be16 dport)
{
	return __nflb_conn_find(t, true, proto, saddr, sport, daddr, dport,
				0);
}

/* conn.c */
struct nflb_conn *nflb_conn_new(struct nflb_conn_table *t, u8 proto,
				__be32 caddr, __be16 cport,
				__be32 vaddr, __be16 vport,
				struct nflb_backend *be, u8 flags,
				unsigned int state, unsigned long timeout,
				struct nflb_conn *old, bool *created);
void nflb_conn_kill(struct nflb_conn_table *t, struct nflb_conn *c);
void nflb_conn_set_state(struct nflb_conn *c, unsigned int state);
unsigned int nflb_tcp_next_state(unsigned int old, bool reply, bool syn,
				 bool ack, bool fin, bool rst);
unsigned int nflb_tcp_next_state_oneway(unsigned int old, bool syn, bool ack,
					bool fin, bool rst);
void nflb_conn_requeue(struct nflb_conn *c);

/* A persistence template for (client, VIP); RCU read side. */
static inline struct nflb_conn *
nflb_conn_tmpl_find(struct nflb_conn_table *t, u8 proto, __be32 caddr,
		    __be32 vaddr, __be16 vport)
{
	return __nflb_conn_find(t, false, proto, caddr, 0, vaddr, vport,
				NFLB_CONN_F_TEMPLATE);
}

/* Pushes the expiry to now + timeout.  Skips the store while the entry
 * would move by less than a second, so that a busy flow does not dirty its
 * cache line on every packet; a shorter timeout is always stored.
 *
 * A later expiry is only stored: the collector finds it when it visits the
 * entry's slot and queues it again then.  An earlier one, by a slot or
 * more, would be found too late that way (an established connection that
 * closes goes from 15 minutes to seconds), so the entry moves now: a lock,
 * but only on the few state changes that shorten the timeout.
 */
static __always_inline void nflb_conn_touch(struct nflb_conn *c,
					    unsigned long timeout)
{
	unsigned long exp = jiffies + timeout;
	unsigned long old = READ_ONCE(c->expires);

	if (time_before(exp, old)) {
		WRITE_ONCE(c->expires, exp);
		if (time_before(exp + NFLB_WHEEL_RES, old))
			nflb_conn_requeue(c);
	} else if (time_after_eq(exp, old + HZ)) {
		WRITE_ONCE(c->expires, exp);
	}
}

#endif /* _NFLB_CONN_H */
