// SPDX-License-Identifier: GPL-2.0
/*
 * NFLB_CMD_GET_CONN: a dump of the connection table, optionally of one
 * service.  The table is walked bucket by bucket under RCU; a dump that
 * does not fit in one message resumes at the bucket it stopped in, skipping
 * the entries of that bucket it already sent.  The table changes under the
 * dump, so it is a snapshot of each bucket, not of the whole table.
 *
 * The buckets may grow between two parts of a dump.  An entry of bucket b
 * then is in a bucket whose low bits are b, so going on at the same index
 * of the larger arrays misses nothing that was there; it may send again
 * what it sent, which NLM_F_DUMP_INTR says.  Each part holds resize_lock:
 * it never sees entries halfway between two sizes.
 */
#include <linux/build_bug.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "conn.h"

struct nflb_conn_dump {
	struct nflb_svc_key key;
	bool filter;
	u32 bucket;
	u32 skip;		/* entries of ->bucket already sent */
	u32 gen;		/* of the arrays ->bucket is of */
};

static_assert(sizeof(struct nflb_conn_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct nflb_conn_dump *nflb_conn_dump_ctx(struct netlink_callback *cb)
{
	return (struct nflb_conn_dump *)cb->ctx;
}

int nflb_nl_get_conn_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nflb_conn_dump *d = nflb_conn_dump_ctx(cb);
	int err;

	memset(d, 0, sizeof(*d));
	if (info->attrs && info->attrs[NFLB_A_SERVICE]) {
		err = nflb_nl_parse_svc_key(info->attrs[NFLB_A_SERVICE],
					    &d->key, cb->extack);
		if (err)
			return err;
		d->filter = true;
	}
	return 0;
}

static int nflb_put_addr4(struct sk_buff *skb, int type, __be32 addr)
{
	u8 buf[NFLB_ADDR_LEN] = {};

	memcpy(buf, &addr, sizeof(addr));
	return nla_put(skb, type, sizeof(buf), buf);
}

static int nflb_conn_fill(struct sk_buff *skb, struct netlink_callback *cb,
			  const struct nflb_conn *c)
{
	long left = (long)(READ_ONCE(c->expires) - jiffies);
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  genl_dumpit_info(cb)->family, NLM_F_MULTI,
			  NFLB_CMD_GET_CONN);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, NFLB_A_CONN);
	if (!nest)
		goto cancel;
	if (nla_put_u16(skb, NFLB_CONN_A_FAMILY, AF_INET) ||
	    nla_put_u8(skb, NFLB_CONN_A_PROTO, c->proto) ||
	    nflb_put_addr4(skb, NFLB_CONN_A_CLIENT_ADDR, c->caddr) ||
	    nla_put_u16(skb, NFLB_CONN_A_CLIENT_PORT, ntohs(c->cport)) ||
	    nflb_put_addr4(skb, NFLB_CONN_A_VIP_ADDR, c->vaddr) ||
	    nla_put_u16(skb, NFLB_CONN_A_VIP_PORT, ntohs(c->vport)) ||
	    nflb_put_addr4(skb, NFLB_CONN_A_BE_ADDR, c->baddr) ||
	    nla_put_u16(skb, NFLB_CONN_A_BE_PORT, ntohs(c->bport)) ||
	    nla_put_u8(skb, NFLB_CONN_A_STATE, nflb_conn_state(c)) ||
	    nla_put_u32(skb, NFLB_CONN_A_EXPIRES,
			left > 0 ? jiffies_to_msecs(left) : 0) ||
	    nla_put_u32(skb, NFLB_CONN_A_FLAGS, c->flags))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static bool nflb_conn_dump_match(const struct nflb_conn_dump *d,
				 const struct nflb_conn *c)
{
	if (atomic_read(&c->state) & NFLB_CONN_DEAD)
		return false;
	if (!d->filter)
		return true;
	return d->key.family == AF_INET && d->key.proto == c->proto &&
	       d->key.addr.ip == c->vaddr && d->key.port == c->vport;
}

int nflb_nl_get_conn_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nflb_net *nn = nflb_pernet(sock_net(skb->sk));
	struct nflb_conn_dump *d = nflb_conn_dump_ctx(cb);
	/* None until the namespace's first service: nothing to dump. */
	struct nflb_conn_table *t = smp_load_acquire(&nn->conns);
	struct nflb_conn_hash *ht;
	struct nflb_conn *c;

	if (!t)
		return 0;
	mutex_lock(&t->resize_lock);
	ht = rcu_dereference_protected(t->hash,
				       lockdep_is_held(&t->resize_lock));
	if (d->gen != t->gen) {
		if (d->gen)
			d->skip = 0;	/* the bucket is another one */
		d->gen = t->gen;
	}
	/* Flags a dump whose arrays grew (nl_dump_check_consistent()). */
	cb->seq = t->gen;
	for (; d->bucket <= ht->mask; d->bucket++, d->skip = 0) {
		unsigned int i = 0;

		if (hlist_empty(&ht->chain[d->bucket]))
			continue;
		rcu_read_lock();
		hlist_for_each_entry_rcu(c, &ht->chain[d->bucket], node) {
			if (!nflb_conn_dump_match(d, c) || i++ < d->skip)
				continue;
			if (nflb_conn_fill(skb, cb, c)) {
				rcu_read_unlock();
				d->skip = i - 1;
				goto out;
			}
		}
		rcu_read_unlock();
		cond_resched();
	}
out:
	mutex_unlock(&t->resize_lock);
	return skb->len;
}

int nflb_nl_get_conn_done(struct netlink_callback *cb)
{
	return 0;
}
