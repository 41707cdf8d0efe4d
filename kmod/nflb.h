/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal types shared by the control plane (service.c, netlink.c), the
 * schedulers (sched*.c) and the datapath (conn.c, nat.c, hooks.c, xmit.c,
 * icmp.c).
 *
 * Locking and lifetimes, in one place:
 *  - Configuration changes run under nflb_net.lock (a mutex, per netns).
 *  - The packet path only reads, under rcu_read_lock(): services through
 *    nflb_net.svc_hash, backends through the scheduler's state and through
 *    connection entries.
 *  - A connection entry holds a reference on its backend, a backend holds
 *    one on its service; the last put frees the object after an RCU grace
 *    period.  Deleting an object marks it dead and unlinks it; entries that
 *    still point at it see ->dead and let go.
 */
#ifndef _NFLB_H
#define _NFLB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/nflb.h>

#include "compat.h"
#include "route.h"

#define NFLB_VERSION		"0.1.0"
#define NFLB_SVC_HASH_BITS	12
#define NFLB_SVC_HASH_SIZE	BIT(NFLB_SVC_HASH_BITS)

/* Module parameters (main.c). */
extern unsigned int nflb_max_services;
extern unsigned int nflb_max_backends;
extern unsigned int nflb_conn_max;
extern unsigned int nflb_conn_hash_bits;
extern bool nflb_fastpath;

/* The most buckets the connection table grows to: 2^this (conn.c). */
#define NFLB_CONN_HASH_MAX_BITS	24

struct nflb_stats {
	u64 conns;
	u64 pkts_in;
	u64 pkts_out;
	u64 bytes_in;
	u64 bytes_out;
};

struct nflb_stats_pcpu {
	struct nflb_stats s;
	struct u64_stats_sync syncp;
};

/* Counter blocks a chunk of them holds (stats.c): 5 KiB a CPU. */
#define NFLB_STATS_CHUNK	128

struct nflb_stats_chunk;
struct nflb_service;

struct nflb_backend {
	struct list_head list;		/* svc->backends; RCU readers may walk */
	struct nflb_service *svc;	/* holds a reference */
	union nf_inet_addr addr;
	__be16 port;
	u16 family;
	u32 weight;			/* READ_ONCE() on the packet path */
	bool dead;			/* deleted; its connections close */
	atomic_t active_conns;		/* established TCP */
	atomic_t inactive_conns;	/* every other entry */
	refcount_t refcnt;
	struct nflb_stats_pcpu __percpu *stats;
	/* NULL: ->stats is in its service's run, which goes with it. */
	struct nflb_stats_chunk *stats_chunk;
	/* Per CPU: the route to the backend and our source address toward
	 * it (xmit.c), allocated when the first packet goes.
	 */
	struct nflb_route_cache route;
	struct rcu_head rcu;
};

struct nflb_sched_ops;

/*
 * What a scheduler picks from: the backends with weight > 0 at the time of
 * the last configuration change, built under the config lock and replaced
 * whole (RCU) on every change, so that pick() never takes a lock.
 */
struct nflb_sched_state {
	struct rcu_head rcu;
	const struct nflb_sched_ops *ops;
	unsigned int n;			/* entries in be[] */
	void *priv;			/* the scheduler's own table, or NULL */
	struct nflb_backend *be[];
};

struct nflb_service {
	struct hlist_node hnode;	/* nflb_net.svc_hash, RCU */
	struct list_head list;		/* nflb_net.services, in add order */
	struct nflb_net *nn;
	union nf_inet_addr addr;
	__be16 port;
	u16 family;
	u8 proto;
	u8 mode;			/* enum nflb_fwd_mode */
	u8 tunnel;			/* enum nflb_tunnel */
	u8 mss_mode;			/* enum nflb_mss_mode */
	u16 mss;
	u16 gue_port;
	u32 persist;			/* seconds; 0: off */
	u32 flags;
	bool dead;
	const struct nflb_sched_ops *sched;
	struct nflb_sched_state __rcu *sched_state;
	struct list_head backends;
	unsigned int num_backends;
	refcount_t refcnt;
	/* [0] the service's counters; [1..stats_n - 1] room for the first
	 * backends' (NEW_SERVICE with its backends), handed out in order.
	 */
	struct nflb_stats_pcpu __percpu *stats;
	struct nflb_stats_chunk *stats_chunk;
	u16 stats_n, stats_used;
	struct rcu_head rcu;
};

/* The fields of a packet the schedulers may look at. */
struct nflb_flow {
	union nf_inet_addr saddr;
	union nf_inet_addr daddr;
	__be16 sport;
	__be16 dport;
	u16 family;
	u8 proto;
};

struct nflb_sched_ops {
	const char *name;
	/* Called under the config lock after st->be[] is filled; may set
	 * st->priv.  Returns 0 or a negative errno.
	 */
	int (*build)(struct nflb_service *svc, struct nflb_sched_state *st);
	void (*free)(struct nflb_sched_state *st);
	/* RCU read side, any context; st->n > 0. NULL if nothing fits. */
	struct nflb_backend *(*pick)(struct nflb_service *svc,
				     struct nflb_sched_state *st,
				     const struct nflb_flow *flow);
	/* pick() depends on the flow and st alone, and changes nothing: it
	 * may be asked again where a flow has no entry (an ICMP error about
	 * it) and give the answer the flow's first packet got.
	 */
	bool by_flow;
};

struct nflb_conn_table;

struct nflb_local_set;

struct nflb_net {
	struct net *net;
	struct mutex lock;		/* configuration */
	/* [NFLB_SVC_HASH_SIZE], from the first service on (under lock;
	 * the hooks, registered after it, read it under RCU).
	 */
	struct hlist_head *svc_hash;
	struct list_head services;
	unsigned int num_services;
	unsigned int gen;		/* bumped on every change, for dumps */
	u32 timeout[__NFLB_TIMEOUT_A_MAX];	/* seconds, by NFLB_TIMEOUT_A_* */
	u64 __percpu *drops;		/* [__NFLB_DROP_MAX] per CPU */
	struct nflb_conn_table *conns;
	bool hooked;			/* activated: hooks registered */
	/* The fast path's hooks, one per device (ingress.c); under RTNL. */
	struct list_head ingress;
	bool ingress_on;		/* hooking each device as it comes */
	/* This namespace's addresses, from its activation on (local.c);
	 * written under RTNL.
	 */
	struct nflb_local_set __rcu *local;
	bool local_exact;		/* the set tells all */
	bool local_nomem;		/* an address is missing from it */
};

extern unsigned int nflb_net_id;

/* This module's state in @net.  Inline: the packet path asks it often. */
static inline struct nflb_net *nflb_pernet(const struct net *net)
{
	return net_generic(net, nflb_net_id);
}

/* reap.c: what is unlinked together is freed after one grace period. */
struct nflb_reap_batch;
struct nflb_reaper {
	struct nflb_reap_batch *batch;	/* being filled; NULL: none yet */
};

void nflb_reap(struct nflb_reaper *r, struct rcu_head *head,
	       rcu_callback_t func);
void nflb_reaper_flush(struct nflb_reaper *r);

/* service.c */
u32 nflb_svc_hash(u16 family, u8 proto, const union nf_inet_addr *addr,
		  __be16 port);
struct nflb_service *nflb_svc_lookup(struct nflb_net *nn, u16 family, u8 proto,
				     const union nf_inet_addr *addr,
				     __be16 port);
struct nflb_backend *nflb_be_lookup(struct nflb_service *svc, u16 family,
				    const union nf_inet_addr *addr,
				    __be16 port);
struct nflb_service *nflb_svc_alloc(unsigned int backends);
void nflb_svc_put(struct nflb_service *svc);
int nflb_svc_link(struct nflb_net *nn, struct nflb_service *svc);
void nflb_svc_unlink(struct nflb_net *nn, struct nflb_service *svc);
struct nflb_backend *nflb_be_alloc(struct nflb_service *svc);
void nflb_be_put(struct nflb_backend *be);
void nflb_be_unlink(struct nflb_service *svc, struct nflb_backend *be);
void nflb_svc_flush(struct nflb_net *nn);
void nflb_stats_read(struct nflb_stats_pcpu __percpu *pcpu,
		     struct nflb_stats *sum);

/* stats.c */
struct nflb_stats_pcpu __percpu *nflb_stats_get(unsigned int n,
						struct nflb_stats_chunk **chunk);
void nflb_stats_put(struct nflb_stats_chunk *chunk,
		    struct nflb_stats_pcpu __percpu *stats, unsigned int n);
unsigned int nflb_stats_chunks_held(void);

static inline void nflb_be_hold(struct nflb_backend *be)
{
	refcount_inc(&be->refcnt);
}

static __always_inline void
nflb_stats_add(struct nflb_stats_pcpu __percpu *pcpu, bool in,
	       unsigned int pkts, unsigned int len, bool new_conn)
{
	struct nflb_stats_pcpu *s = this_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	if (new_conn)
		s->s.conns++;
	if (in) {
		s->s.pkts_in += pkts;
		s->s.bytes_in += len;
	} else {
		s->s.pkts_out += pkts;
		s->s.bytes_out += len;
	}
	u64_stats_update_end(&s->syncp);
}

static inline void nflb_drop_count(struct nflb_net *nn,
				   enum nflb_drop_reason why)
{
	this_cpu_inc(nn->drops[why]);
}

u64 nflb_drops_read(struct nflb_net *nn, enum nflb_drop_reason why);

/*
 * pskb_may_pull() and skb_ensure_writable() with their common case inline
 * (headers in the head of an skb of our own): the packet path asks both of
 * every packet, and the compiler makes the first a call of its own here.
 */
static __always_inline bool nflb_may_pull(struct sk_buff *skb,
					  unsigned int len)
{
	return likely(len <= skb_headlen(skb)) || pskb_may_pull(skb, len);
}

static __always_inline int nflb_ensure_writable(struct sk_buff *skb,
						unsigned int len)
{
	if (likely(len <= skb_headlen(skb) && !skb_cloned(skb)))
		return 0;
	return skb_ensure_writable(skb, len);
}

/* sched.c */
const struct nflb_sched_ops *nflb_sched_find(const char *name);
int nflb_sched_rebuild(struct nflb_service *svc);
/* Unpublishes the state; it goes after a grace period, in @r's batch. */
void nflb_sched_release(struct nflb_service *svc, struct nflb_reaper *r);
struct nflb_backend *nflb_sched_pick(struct nflb_service *svc,
				     const struct nflb_flow *flow);
extern const struct nflb_sched_ops nflb_sched_rr, nflb_sched_wrr,
	nflb_sched_lc, nflb_sched_wlc, nflb_sched_sh;

/* conn.c: the connection table. */
/* Module-wide: the slab cache of entries; exit after rcu_barrier(). */
int nflb_conn_cache_init(void);
void nflb_conn_cache_exit(void);
int nflb_conn_net_init(struct nflb_net *nn, unsigned int bits);
void nflb_conn_net_exit(struct nflb_net *nn);
unsigned int nflb_conn_count(struct nflb_net *nn);
unsigned int nflb_conn_buckets(struct nflb_net *nn);
/* Closes the entries of deleted backends (one, or every backend of deleted
 * services): called under the config lock after their ->dead is set.
 */
void nflb_conn_close_dead(struct nflb_net *nn);

/* main.c: what a namespace needs once it has a service (see there). */
int nflb_net_activate(struct nflb_net *nn);

/* hooks.c: netfilter hooks, registered by nflb_net_activate(). */
int nflb_hooks_register(struct nflb_net *nn);
void nflb_hooks_unregister(struct nflb_net *nn);
struct nf_hook_state;
unsigned int nflb_hook_ingress(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);

/* local.c: the addresses of an active namespace, for the martian check. */
bool nflb_local_has(struct nflb_net *nn, __be32 addr);
void nflb_local_start(struct nflb_net *nn);
void nflb_local_stop(struct nflb_net *nn);
int nflb_local_init(void);
void nflb_local_exit(void);

/* ingress.c: the fast path's hook on each device of an active namespace. */
void nflb_ingress_start(struct nflb_net *nn);
void nflb_ingress_stop(struct nflb_net *nn);
int nflb_ingress_init(void);
void nflb_ingress_exit(void);

/* netlink.c, netlink_conn.c */
struct nlattr;
struct netlink_ext_ack;

/* How a request names a service. */
struct nflb_svc_key {
	union nf_inet_addr addr;
	__be16 port;
	u16 family;
	u8 proto;
};

/* Parses an NFLB_A_SERVICE nest that names a service (attributes other
 * than the naming ones are ignored here).  0 or -EINVAL with extack set.
 */
int nflb_nl_parse_svc_key(const struct nlattr *nest, struct nflb_svc_key *key,
			  struct netlink_ext_ack *extack);
int nflb_genl_init(void);
void nflb_genl_exit(void);

/* netlink_fill.c: a reply's attributes; 0 or -EMSGSIZE, nothing put. */
int nflb_nl_put_svc_head(struct sk_buff *skb, struct nflb_service *svc);
int nflb_nl_put_backend(struct sk_buff *skb, struct nflb_backend *be);

/* netlink_conn.c */
int nflb_nl_get_conn_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int nflb_nl_get_conn_start(struct netlink_callback *cb);
int nflb_nl_get_conn_done(struct netlink_callback *cb);

#endif /* _NFLB_H */
