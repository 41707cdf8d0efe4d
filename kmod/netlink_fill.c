// SPDX-License-Identifier: GPL-2.0
/*
 * The attributes of a service and of a backend in GET_SERVICE replies and
 * dumps.
 *
 * A listing of 10,000 services with 40,000 backends puts some 900,000
 * attributes; through nla_put() each one is four calls deep (room check,
 * reserve, skb_put(), copy), which was a quarter of the time of a list.
 * A backend's attributes, and a service's, have a size known in advance,
 * so the room for all of them is checked once and each attribute is then
 * written in place with __skb_put(), laid out exactly as nla_put() lays it
 * out (64-bit values padded where the architecture needs it).  KUnit
 * (netlink_test.c) compares the two byte for byte.
 */
#include <kunit/visibility.h>
#include <asm/unaligned.h>
#include <net/netlink.h>

#include "nflb.h"

/* An attribute of len bytes, its payload left for the caller to write. */
static __always_inline void *nflb_nla_put_raw(struct sk_buff *skb, int type,
					      int len)
{
	struct nlattr *nla = __skb_put(skb, nla_total_size(len));

	nla->nla_type = type;
	nla->nla_len = nla_attr_size(len);
	memset((u8 *)nla + nla_attr_size(len), 0, nla_padlen(len));
	return nla_data(nla);
}

static __always_inline void nflb_nla_put_u8(struct sk_buff *skb, int type,
					    u8 v)
{
	*(u8 *)nflb_nla_put_raw(skb, type, sizeof(v)) = v;
}

static __always_inline void nflb_nla_put_u16(struct sk_buff *skb, int type,
					     u16 v)
{
	put_unaligned(v, (u16 *)nflb_nla_put_raw(skb, type, sizeof(v)));
}

static __always_inline void nflb_nla_put_u32(struct sk_buff *skb, int type,
					     u32 v)
{
	put_unaligned(v, (u32 *)nflb_nla_put_raw(skb, type, sizeof(v)));
}

static __always_inline void nflb_nla_put_u64(struct sk_buff *skb, int type,
					     u64 v, int padtype)
{
	if (nla_need_padding_for_64bit(skb))
		nflb_nla_put_raw(skb, padtype, 0);
	put_unaligned(v, (u64 *)nflb_nla_put_raw(skb, type, sizeof(v)));
}

static __always_inline void nflb_nla_put_mem(struct sk_buff *skb, int type,
					     const void *data, int len)
{
	memcpy(nflb_nla_put_raw(skb, type, len), data, len);
}

static __always_inline struct nlattr *nflb_nla_nest(struct sk_buff *skb,
						    int type)
{
	struct nlattr *nest = (struct nlattr *)skb_tail_pointer(skb);

	nflb_nla_put_raw(skb, type | NLA_F_NESTED, 0);
	return nest;
}

/* The most the attributes below take, padding for 64-bit values included. */
static int nflb_nl_stats_size(void)
{
	return nla_total_size(0) + 5 * nla_total_size_64bit(sizeof(u64));
}

static int nflb_nl_backend_size(void)
{
	return nla_total_size(0) +			/* the nest */
	       nla_total_size(sizeof(u16)) +		/* family */
	       nla_total_size(NFLB_ADDR_LEN) +		/* address */
	       nla_total_size(sizeof(u16)) +		/* port */
	       3 * nla_total_size(sizeof(u32)) +	/* weight, conns */
	       nflb_nl_stats_size();
}

static int nflb_nl_svc_head_size(void)
{
	return nla_total_size(sizeof(u16)) +		/* family */
	       nla_total_size(sizeof(u8)) +		/* protocol */
	       nla_total_size(NFLB_ADDR_LEN) +		/* address */
	       nla_total_size(sizeof(u16)) +		/* port */
	       nla_total_size(NFLB_SCHED_NAME_MAX) +	/* scheduler */
	       3 * nla_total_size(sizeof(u8)) +		/* mode, tunnel, mss */
	       2 * nla_total_size(sizeof(u16)) +	/* GUE port, mss */
	       3 * nla_total_size(sizeof(u32)) +	/* persist, flags, count */
	       nflb_nl_stats_size();
}

static void nflb_nl_put_stats(struct sk_buff *skb, int type,
			      struct nflb_stats_pcpu __percpu *pcpu)
{
	struct nflb_stats s;
	struct nlattr *nest;

	nflb_stats_read(pcpu, &s);
	nest = nflb_nla_nest(skb, type);
	nflb_nla_put_u64(skb, NFLB_STATS_A_CONNS, s.conns, NFLB_STATS_A_PAD);
	nflb_nla_put_u64(skb, NFLB_STATS_A_PKTS_IN, s.pkts_in,
			 NFLB_STATS_A_PAD);
	nflb_nla_put_u64(skb, NFLB_STATS_A_PKTS_OUT, s.pkts_out,
			 NFLB_STATS_A_PAD);
	nflb_nla_put_u64(skb, NFLB_STATS_A_BYTES_IN, s.bytes_in,
			 NFLB_STATS_A_PAD);
	nflb_nla_put_u64(skb, NFLB_STATS_A_BYTES_OUT, s.bytes_out,
			 NFLB_STATS_A_PAD);
	nla_nest_end(skb, nest);
}

/**
 * nflb_nl_put_backend() - an NFLB_A_BACKEND nest describing @be
 * @skb: the message
 * @be: the backend (under the config lock)
 *
 * Return: 0, or -EMSGSIZE with @skb unchanged when it has no room.
 */
int nflb_nl_put_backend(struct sk_buff *skb, struct nflb_backend *be)
{
	struct nlattr *nest;

	if (skb_tailroom(skb) < nflb_nl_backend_size())
		return -EMSGSIZE;
	nest = nflb_nla_nest(skb, NFLB_A_BACKEND);
	nflb_nla_put_u16(skb, NFLB_BE_A_FAMILY, be->family);
	nflb_nla_put_mem(skb, NFLB_BE_A_ADDR, &be->addr, NFLB_ADDR_LEN);
	nflb_nla_put_u16(skb, NFLB_BE_A_PORT, ntohs(be->port));
	nflb_nla_put_u32(skb, NFLB_BE_A_WEIGHT, READ_ONCE(be->weight));
	nflb_nla_put_u32(skb, NFLB_BE_A_ACTIVE_CONNS,
			 atomic_read(&be->active_conns));
	nflb_nla_put_u32(skb, NFLB_BE_A_INACTIVE_CONNS,
			 atomic_read(&be->inactive_conns));
	nflb_nl_put_stats(skb, NFLB_BE_A_STATS, be->stats);
	nla_nest_end(skb, nest);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_nl_put_backend);

/**
 * nflb_nl_put_svc_head() - the attributes of @svc, all but its backends
 * @skb: the message, inside an NFLB_A_SERVICE nest
 * @svc: the service (under the config lock)
 *
 * Return: 0, or -EMSGSIZE with @skb unchanged when it has no room.
 */
int nflb_nl_put_svc_head(struct sk_buff *skb, struct nflb_service *svc)
{
	const char *sched = svc->sched->name;
	int sched_len = strnlen(sched, NFLB_SCHED_NAME_MAX - 1);
	char *p;

	if (skb_tailroom(skb) < nflb_nl_svc_head_size())
		return -EMSGSIZE;
	nflb_nla_put_u16(skb, NFLB_SVC_A_FAMILY, svc->family);
	nflb_nla_put_u8(skb, NFLB_SVC_A_PROTO, svc->proto);
	nflb_nla_put_mem(skb, NFLB_SVC_A_ADDR, &svc->addr, NFLB_ADDR_LEN);
	nflb_nla_put_u16(skb, NFLB_SVC_A_PORT, ntohs(svc->port));
	/* With its NUL, as nla_put_string() puts it. */
	p = nflb_nla_put_raw(skb, NFLB_SVC_A_SCHED, sched_len + 1);
	memcpy(p, sched, sched_len);
	p[sched_len] = 0;
	nflb_nla_put_u8(skb, NFLB_SVC_A_MODE, svc->mode);
	nflb_nla_put_u32(skb, NFLB_SVC_A_PERSIST, svc->persist);
	nflb_nla_put_u8(skb, NFLB_SVC_A_MSS_MODE, svc->mss_mode);
	nflb_nla_put_u32(skb, NFLB_SVC_A_FLAGS, svc->flags);
	nflb_nla_put_u32(skb, NFLB_SVC_A_NUM_BACKENDS, svc->num_backends);
	nflb_nl_put_stats(skb, NFLB_SVC_A_STATS, svc->stats);
	if (svc->mode == NFLB_FWD_TUN) {
		nflb_nla_put_u8(skb, NFLB_SVC_A_TUNNEL, svc->tunnel);
		if (svc->tunnel == NFLB_TUNNEL_GUE)
			nflb_nla_put_u16(skb, NFLB_SVC_A_GUE_PORT,
					 svc->gue_port);
	}
	if (svc->mss_mode == NFLB_MSS_FIXED)
		nflb_nla_put_u16(skb, NFLB_SVC_A_MSS, svc->mss);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_nl_put_svc_head);
