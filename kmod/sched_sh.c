// SPDX-License-Identifier: GPL-2.0
/*
 * Source hashing: a client (its source address) keeps its backend.
 *
 * A pick hashes the client address onto a table of slots, each naming a
 * backend: one hash, one multiply, one load.  The hash has a fixed seed,
 * so a client maps to the same slot in every state, across rebuilds and
 * module reloads.
 *
 * The table is filled the Maglev way (Eisenbud et al., NSDI 2016), with
 * weights: every backend walks its own permutation of the slots, derived
 * from a hash of its address and port, and in rounds the backends take
 * turns claiming the next free slot on their walk until each holds its
 * quota, its weight's share of the slots.  Because a backend's walk does
 * not depend on the others, adding or removing one backend moves mostly
 * the clients of that backend, not everyone's as a modulo or an in-order
 * fill would (measured: a few percent of the others' clients).  Turns go
 * in the order of a hash of each backend's identity, never in the order
 * of be[], so the same backends and weights always give the same table.
 *
 * The number of slots is a prime, so that any step visits every slot.  A
 * new table gets about NFLB_SH_SLOTS_PER_BE slots per backend; a rebuild
 * keeps the old number while it stays between NFLB_SH_MIN_SLOTS and
 * NFLB_SH_MAX_SLOTS per backend, because a client's slot depends on the
 * number of slots and every client moves when it changes: that happens
 * only when the number of backends has about doubled or halved.
 *
 * A build costs O(n log n + slots * log(slots)), the last term for the
 * walks, which skip more and more taken slots as the table fills.
 */
#include <linux/jhash.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "sched.h"

#define NFLB_SH_SLOTS_PER_BE	32
#define NFLB_SH_MIN_SLOTS	16
#define NFLB_SH_MAX_SLOTS	128
#define NFLB_SH_EMPTY		U32_MAX
/* Slots tried after a drained or deleted backend's, before a scan. */
#define NFLB_SH_PROBES		8

/* Fixed seeds: the mapping must survive rebuilds. */
#define NFLB_SH_CLIENT_SEED	0x6e666c62U
#define NFLB_SH_OFFSET_SEED	0x73682d6fU
#define NFLB_SH_SKIP_SEED	0x73682d73U
#define NFLB_SH_ORDER_SEED	0x73682d72U

static const u32 nflb_sh_sizes[] = {
	257, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139,
	524287, 1048573,
};

struct nflb_sh {
	u32 size;
	u32 slot[];	/* index into be[] */
};

/* A backend while the table is being filled. */
struct nflb_sh_cand {
	u32 order;	/* when its turn comes in a round: from its identity */
	u32 idx;	/* in be[] */
	u32 next;	/* the next slot on its walk */
	u32 skip;	/* its step, 1..size - 1 */
	u32 quota;	/* slots it has yet to claim */
};

static u32 nflb_sh_client_hash(const struct nflb_flow *flow)
{
	if (flow->family == AF_INET6)
		return jhash2(flow->saddr.all, 4, NFLB_SH_CLIENT_SEED);
	return jhash_1word((__force u32)flow->saddr.ip, NFLB_SH_CLIENT_SEED);
}

static void nflb_sh_cand_init(struct nflb_sh_cand *c,
			      const struct nflb_backend *be, u32 idx, u32 size)
{
	u32 key[5];
	u32 len;

	if (be->family == AF_INET6) {
		memcpy(key, be->addr.all, sizeof(be->addr.all));
		len = 4;
	} else {
		key[0] = (__force u32)be->addr.ip;
		len = 1;
	}
	key[len++] = (u32)be->family << 16 | (__force u16)be->port;
	c->order = jhash2(key, len, NFLB_SH_ORDER_SEED);
	c->idx = idx;
	c->next = jhash2(key, len, NFLB_SH_OFFSET_SEED) % size;
	c->skip = jhash2(key, len, NFLB_SH_SKIP_SEED) % (size - 1) + 1;
}

static int nflb_sh_cand_cmp(const void *a, const void *b)
{
	const struct nflb_sh_cand *ca = a, *cb = b;

	if (ca->order != cb->order)
		return ca->order < cb->order ? -1 : 1;
	return ca->idx < cb->idx ? -1 : ca->idx > cb->idx;
}

/*
 * Shares of size by weight, rounded down; the few slots left over go one
 * each to the first candidates in turn order.  sched.c kept weight > 0
 * only, under the config lock that serialises weight changes; max() just
 * keeps the sum from being 0 whatever happens.
 */
static void nflb_sh_quotas(struct nflb_sh_cand *c, u32 n, u32 size,
			   struct nflb_backend *const *be)
{
	u64 total = 0;
	u32 i, given = 0;

	for (i = 0; i < n; i++)
		total += max_t(u32, READ_ONCE(be[c[i].idx]->weight), 1);
	for (i = 0; i < n; i++) {
		u32 w = max_t(u32, READ_ONCE(be[c[i].idx]->weight), 1);

		c[i].quota = div64_u64((u64)size * w, total);
		given += c[i].quota;
	}
	for (i = 0; given < size; i = (i + 1) % n, given++)
		c[i].quota++;
}

static void nflb_sh_fill(struct nflb_sh *sh, struct nflb_sh_cand *c, u32 n)
{
	u32 i, live;

	memset(sh->slot, 0xff, sh->size * sizeof(sh->slot[0]));
	/* Quotas add up to size: the rounds end with the table full. */
	for (live = n; live; ) {
		u32 kept = 0;

		for (i = 0; i < live; i++) {
			struct nflb_sh_cand *t = &c[i];
			u32 s;

			if (!t->quota)
				continue;
			/* Its walk is a permutation: a free slot comes. */
			do {
				s = t->next;
				t->next += t->skip;
				if (t->next >= sh->size)
					t->next -= sh->size;
			} while (sh->slot[s] != NFLB_SH_EMPTY);
			sh->slot[s] = t->idx;
			/* Keep the candidates with slots to claim, in order. */
			if (--t->quota)
				c[kept++] = *t;
		}
		live = kept;
	}
}

static u32 nflb_sh_size(struct nflb_service *svc, unsigned int n)
{
	/*
	 * Still the old state: build() runs before the new one is published,
	 * under the config lock, which serialises rebuilds.
	 */
	const struct nflb_sched_state *old =
		rcu_dereference_protected(svc->sched_state, true);
	unsigned int i;

	if (old && old->ops == &nflb_sched_sh) {
		const struct nflb_sh *sh = old->priv;

		if (sh->size / NFLB_SH_MIN_SLOTS >= n &&
		    (sh->size == nflb_sh_sizes[0] ||
		     sh->size / NFLB_SH_MAX_SLOTS < n))
			return sh->size;
	}
	for (i = 0; i < ARRAY_SIZE(nflb_sh_sizes) - 1; i++)
		if (nflb_sh_sizes[i] / NFLB_SH_SLOTS_PER_BE >= n)
			break;
	return nflb_sh_sizes[i];
}

static int nflb_sh_build(struct nflb_service *svc, struct nflb_sched_state *st)
{
	u32 size = nflb_sh_size(svc, st->n);
	struct nflb_sh_cand *c;
	struct nflb_sh *sh;
	unsigned int i;

	sh = kvmalloc(struct_size(sh, slot, size), GFP_KERNEL);
	c = kvmalloc_array(st->n, sizeof(*c), GFP_KERNEL);
	if (!sh || !c) {
		kvfree(c);
		kvfree(sh);
		return -ENOMEM;
	}
	sh->size = size;
	for (i = 0; i < st->n; i++)
		nflb_sh_cand_init(&c[i], st->be[i], i, size);
	sort(c, st->n, sizeof(*c), nflb_sh_cand_cmp, NULL);
	nflb_sh_quotas(c, st->n, size, st->be);
	nflb_sh_fill(sh, c, st->n);
	kvfree(c);
	st->priv = sh;
	return 0;
}

static void nflb_sh_free(struct nflb_sched_state *st)
{
	kvfree(st->priv);
}

/*
 * The client's backend was drained or deleted and the rebuild has not
 * happened yet: try the next slots (a different backend each, likely,
 * and the same ones for the same client), then any usable backend.
 */
static noinline struct nflb_backend *
nflb_sh_fallback(struct nflb_sched_state *st, const struct nflb_sh *sh,
		 u32 s, u32 hash)
{
	unsigned int k;

	for (k = 0; k < NFLB_SH_PROBES; k++) {
		struct nflb_backend *be;

		if (++s == sh->size)
			s = 0;
		be = st->be[sh->slot[s]];
		if (nflb_sched_usable(be))
			return be;
	}
	return nflb_sched_next_usable(st, reciprocal_scale(hash, st->n));
}

INDIRECT_CALLABLE_SCOPE struct nflb_backend *
nflb_sh_pick(struct nflb_service *svc, struct nflb_sched_state *st,
	     const struct nflb_flow *flow)
{
	const struct nflb_sh *sh = st->priv;
	u32 hash = nflb_sh_client_hash(flow);
	u32 s = reciprocal_scale(hash, sh->size);
	struct nflb_backend *be = st->be[sh->slot[s]];

	if (likely(nflb_sched_usable(be)))
		return be;
	return nflb_sh_fallback(st, sh, s, hash);
}

const struct nflb_sched_ops nflb_sched_sh = {
	.name	= "sh",
	.build	= nflb_sh_build,
	.free	= nflb_sh_free,
	.pick	= nflb_sh_pick,
	.by_flow	= true,
};
