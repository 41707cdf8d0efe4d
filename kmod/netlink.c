// SPDX-License-Identifier: GPL-2.0
/*
 * The "nflb" generic netlink family: strict policies, one handler per
 * command, dumps that resume where the last message stopped.  The command
 * set and attribute layout are described in include/uapi/linux/nflb.h.
 */
#include <kunit/visibility.h>
#include <linux/in.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "nflb.h"
#include "xmit.h"

/* Ranges wider than s16; not const, as 6.1's policy takes a plain pointer. */
static struct netlink_range_validation nflb_persist_range = {
	.max = NFLB_PERSIST_MAX,
};

static struct netlink_range_validation nflb_weight_range = {
	.max = NFLB_WEIGHT_MAX,
};

static struct netlink_range_validation nflb_timeout_range = {
	.min = 1,
	.max = NFLB_TIMEOUT_MAX,
};

static const struct nla_policy nflb_be_policy[NFLB_BE_A_MAX + 1] = {
	[NFLB_BE_A_FAMILY]	= { .type = NLA_U16 },
	[NFLB_BE_A_ADDR]	= NLA_POLICY_EXACT_LEN(NFLB_ADDR_LEN),
	[NFLB_BE_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[NFLB_BE_A_WEIGHT]	= NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_weight_range),
	[NFLB_BE_A_ACTIVE_CONNS] = { .type = NLA_REJECT },
	[NFLB_BE_A_INACTIVE_CONNS] = { .type = NLA_REJECT },
	[NFLB_BE_A_STATS]	= { .type = NLA_REJECT },
	[NFLB_BE_A_PAD]		= { .type = NLA_REJECT },
};

/* What every request may say about a service. */
#define NFLB_SVC_POLICY							\
	[NFLB_SVC_A_FAMILY]	= { .type = NLA_U16 },			\
	[NFLB_SVC_A_PROTO]	= { .type = NLA_U8 },			\
	[NFLB_SVC_A_ADDR]	= NLA_POLICY_EXACT_LEN(NFLB_ADDR_LEN),	\
	[NFLB_SVC_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),		\
	[NFLB_SVC_A_SCHED]	= { .type = NLA_NUL_STRING,		\
				    .len = NFLB_SCHED_NAME_MAX - 1 },	\
	[NFLB_SVC_A_MODE]	= NLA_POLICY_MAX(NLA_U8, NFLB_FWD_MAX),	\
	[NFLB_SVC_A_TUNNEL]	= NLA_POLICY_MAX(NLA_U8, NFLB_TUNNEL_MAX), \
	[NFLB_SVC_A_GUE_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),		\
	[NFLB_SVC_A_PERSIST]	= NLA_POLICY_FULL_RANGE(NLA_U32,	\
						&nflb_persist_range),	\
	[NFLB_SVC_A_MSS_MODE]	= NLA_POLICY_MAX(NLA_U8, NFLB_MSS_MAX),	\
	[NFLB_SVC_A_MSS]	= NLA_POLICY_MIN(NLA_U16, NFLB_MSS_MIN), \
	[NFLB_SVC_A_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __NFLB_SVC_F_ALL), \
	/* Reply-only attributes have no business in a request. */	\
	[NFLB_SVC_A_STATS]	= { .type = NLA_REJECT },		\
	[NFLB_SVC_A_NUM_BACKENDS] = { .type = NLA_REJECT },		\
	[NFLB_SVC_A_PAD]	= { .type = NLA_REJECT }

static const struct nla_policy nflb_svc_policy[NFLB_SVC_A_MAX + 1] = {
	NFLB_SVC_POLICY,
	[NFLB_SVC_A_BACKENDS]	= { .type = NLA_REJECT },
};

/* NEW_SERVICE may bring the service's first backends along. */
static const struct nla_policy nflb_svc_new_policy[NFLB_SVC_A_MAX + 1] = {
	NFLB_SVC_POLICY,
	[NFLB_SVC_A_BACKENDS]	= NLA_POLICY_NESTED_ARRAY(nflb_be_policy),
};

static const struct nla_policy nflb_timeout_policy[NFLB_TIMEOUT_A_MAX + 1] = {
	[NFLB_TIMEOUT_A_TCP]	= NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_timeout_range),
	[NFLB_TIMEOUT_A_TCP_FIN] = NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_timeout_range),
	[NFLB_TIMEOUT_A_UDP]	= NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_timeout_range),
};

static const struct nla_policy nflb_policy[NFLB_A_MAX + 1] = {
	[NFLB_A_INFO]		= { .type = NLA_REJECT },
	[NFLB_A_TIMEOUTS]	= NLA_POLICY_NESTED(nflb_timeout_policy),
	[NFLB_A_SERVICE]	= NLA_POLICY_NESTED(nflb_svc_policy),
	[NFLB_A_BACKEND]	= NLA_POLICY_NESTED(nflb_be_policy),
	[NFLB_A_CONN]		= { .type = NLA_REJECT },
};

/* NFLB_CMD_NEW_SERVICE's own: the same, but backends in the service. */
static const struct nla_policy nflb_new_svc_policy[NFLB_A_MAX + 1] = {
	[NFLB_A_INFO]		= { .type = NLA_REJECT },
	[NFLB_A_TIMEOUTS]	= NLA_POLICY_NESTED(nflb_timeout_policy),
	[NFLB_A_SERVICE]	= NLA_POLICY_NESTED(nflb_svc_new_policy),
	[NFLB_A_BACKEND]	= NLA_POLICY_NESTED(nflb_be_policy),
	[NFLB_A_CONN]		= { .type = NLA_REJECT },
};

static struct genl_family nflb_genl_family;

/* Settings of a service other than its name, as a request leaves them. */
struct nflb_svc_cfg {
	const struct nflb_sched_ops *sched;
	u32 persist;
	u32 flags;
	u16 mss;
	u16 gue_port;
	u8 mode;
	u8 tunnel;
	u8 mss_mode;
};

static int nflb_nl_parse_addr(struct nlattr *fattr, struct nlattr *aattr,
			      u16 *family, union nf_inet_addr *addr,
			      struct netlink_ext_ack *extack)
{
	*family = nla_get_u16(fattr);
	if (*family != AF_INET && *family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, fattr,
				    "address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	nla_memcpy(addr, aattr, sizeof(*addr));
	if (*family == AF_INET && (addr->all[1] || addr->all[2] || addr->all[3])) {
		NL_SET_ERR_MSG_ATTR(extack, aattr,
				    "an IPv4 address takes the first 4 bytes; the rest must be zero");
		return -EINVAL;
	}
	if (!addr->all[0] && !addr->all[1] && !addr->all[2] && !addr->all[3]) {
		NL_SET_ERR_MSG_ATTR(extack, aattr, "address must not be unspecified");
		return -EINVAL;
	}
	return 0;
}

/* A missing attribute: say which, in which nest, and why it matters. */
#define nflb_nl_require(tb, type, nest, msg, extack) ({			\
	struct netlink_ext_ack *__ea = (extack);			\
	int __err = 0;							\
									\
	if (!(tb)[type]) {						\
		NL_SET_ERR_MSG(__ea, msg);				\
		NL_SET_ERR_ATTR_MISS(__ea, nest, type);			\
		__err = -EINVAL;					\
	}								\
	__err;								\
})

/*
 * @policy NULL: @nest comes from a request that genetlink validated whole
 * before the handler ran (the family's and the ops' policies reach into
 * the nests, NLA_POLICY_NESTED and NLA_POLICY_NESTED_ARRAY), so it is only
 * split here: a restore of 10,000 services validated each of their
 * backends three times over.
 */
static int nflb_nl_svc_key_tb(const struct nlattr *nest, struct nlattr **tb,
			      const struct nla_policy *policy,
			      struct nflb_svc_key *key,
			      struct netlink_ext_ack *extack)
{
	int err;

	err = nla_parse_nested(tb, NFLB_SVC_A_MAX, nest, policy, extack);
	if (err)
		return err;
	if (nflb_nl_require(tb, NFLB_SVC_A_FAMILY, nest,
			    "service address family missing", extack) ||
	    nflb_nl_require(tb, NFLB_SVC_A_PROTO, nest,
			    "service protocol missing", extack) ||
	    nflb_nl_require(tb, NFLB_SVC_A_ADDR, nest,
			    "service address missing", extack) ||
	    nflb_nl_require(tb, NFLB_SVC_A_PORT, nest,
			    "service port missing", extack))
		return -EINVAL;

	memset(key, 0, sizeof(*key));
	err = nflb_nl_parse_addr(tb[NFLB_SVC_A_FAMILY], tb[NFLB_SVC_A_ADDR],
				 &key->family, &key->addr, extack);
	if (err)
		return err;
	key->proto = nla_get_u8(tb[NFLB_SVC_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_SVC_A_PROTO],
				    "protocol must be TCP or UDP");
		return -EPROTONOSUPPORT;
	}
	key->port = htons(nla_get_u16(tb[NFLB_SVC_A_PORT]));
	return 0;
}

int nflb_nl_parse_svc_key(const struct nlattr *nest, struct nflb_svc_key *key,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_SVC_A_MAX + 1];

	return nflb_nl_svc_key_tb(nest, tb, nflb_svc_policy, key, extack);
}
EXPORT_SYMBOL_IF_KUNIT(nflb_nl_parse_svc_key);

/* The service a request names, or an error with extack set. */
static struct nflb_service *nflb_nl_find_svc(struct nflb_net *nn,
					     struct genl_info *info,
					     struct nlattr **tb)
{
	struct nflb_service *svc;
	struct nflb_svc_key key;
	int err;

	if (nflb_nl_require(info->attrs, NFLB_A_SERVICE, NULL,
			    "the request names no service", info->extack))
		return ERR_PTR(-EINVAL);
	err = nflb_nl_svc_key_tb(info->attrs[NFLB_A_SERVICE], tb, NULL, &key,
				 info->extack);
	if (err)
		return ERR_PTR(err);
	svc = nflb_svc_lookup(nn, key.family, key.proto, &key.addr, key.port);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFLB_A_SERVICE],
				    "service not found");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

/* Without a word about it, mode tun clamps the MSS ("auto"), the others
 * do not.
 */
static u8 nflb_mss_mode_default(u8 mode)
{
	return mode == NFLB_FWD_TUN ? NFLB_MSS_AUTO : NFLB_MSS_OFF;
}

/* Applies the settings present in @tb on top of @cfg, then checks them. */
static int nflb_nl_svc_cfg(struct nlattr **tb, u16 family,
			   struct nflb_svc_cfg *cfg,
			   struct netlink_ext_ack *extack)
{
	u8 old_mode = cfg->mode;

	if (tb[NFLB_SVC_A_SCHED]) {
		cfg->sched = nflb_sched_find(nla_data(tb[NFLB_SVC_A_SCHED]));
		if (!cfg->sched) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_SVC_A_SCHED],
					    "unknown scheduler (rr, wrr, lc, wlc, sh)");
			return -ENOENT;
		}
	}
	if (tb[NFLB_SVC_A_MODE]) {
		cfg->mode = nla_get_u8(tb[NFLB_SVC_A_MODE]);
		if (cfg->mode != NFLB_FWD_TUN) {
			cfg->tunnel = NFLB_TUNNEL_IPIP;
			cfg->gue_port = NFLB_GUE_PORT_DEFAULT;
		}
	}
	if (tb[NFLB_SVC_A_TUNNEL])
		cfg->tunnel = nla_get_u8(tb[NFLB_SVC_A_TUNNEL]);
	if (tb[NFLB_SVC_A_GUE_PORT])
		cfg->gue_port = nla_get_u16(tb[NFLB_SVC_A_GUE_PORT]);
	if (tb[NFLB_SVC_A_PERSIST])
		cfg->persist = nla_get_u32(tb[NFLB_SVC_A_PERSIST]);
	if (tb[NFLB_SVC_A_MSS_MODE]) {
		cfg->mss_mode = nla_get_u8(tb[NFLB_SVC_A_MSS_MODE]);
		if (cfg->mss_mode != NFLB_MSS_FIXED)
			cfg->mss = 0;
	} else if (cfg->mode != old_mode &&
		   cfg->mss_mode == nflb_mss_mode_default(old_mode)) {
		/* A setting at its default follows the mode's default. */
		cfg->mss_mode = nflb_mss_mode_default(cfg->mode);
	}
	if (tb[NFLB_SVC_A_MSS])
		cfg->mss = nla_get_u16(tb[NFLB_SVC_A_MSS]);
	if (tb[NFLB_SVC_A_FLAGS])
		cfg->flags = nla_get_u32(tb[NFLB_SVC_A_FLAGS]);

	if (tb[NFLB_SVC_A_TUNNEL] && cfg->mode != NFLB_FWD_TUN) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_SVC_A_TUNNEL],
				    "a tunnel type needs mode tun");
		return -EINVAL;
	}
	if (tb[NFLB_SVC_A_GUE_PORT] && cfg->tunnel != NFLB_TUNNEL_GUE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_SVC_A_GUE_PORT],
				    "a GUE port needs tunnel gue");
		return -EINVAL;
	}
	if (tb[NFLB_SVC_A_MSS] && cfg->mss_mode != NFLB_MSS_FIXED) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_SVC_A_MSS],
				    "an MSS value needs MSS mode fixed");
		return -EINVAL;
	}
	if (cfg->mss_mode == NFLB_MSS_FIXED && !cfg->mss) {
		NL_SET_ERR_MSG(extack, "MSS mode fixed needs an MSS value");
		return -EINVAL;
	}

	/* Accepted by the ABI, but not by this version's datapath. */
	if (family != AF_INET) {
		NL_SET_ERR_MSG(extack, "IPv6 services are not supported yet");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Whether a backend at @addr:@port can serve a service in @mode.  dr and
 * tun deliver the client's packet unchanged, so the backend listens on the
 * service's port; dr changes only the MAC address, so the backend must be
 * on a directly connected network.
 */
static int nflb_nl_be_fits(struct net *net, u8 mode, __be16 svc_port,
			   __be32 addr, __be16 port,
			   struct netlink_ext_ack *extack)
{
	if (mode == NFLB_FWD_NAT)
		return 0;
	if (port != svc_port) {
		NL_SET_ERR_MSG(extack,
			       "in modes dr and tun a backend's port must be the service's port");
		return -EINVAL;
	}
	if (mode == NFLB_FWD_DR)
		return nflb_xmit_check_dr(net, addr, extack);
	return 0;
}

/*
 * Parses @nest, an NFLB_A_BACKEND nest that names a backend of @svc (or
 * one of a new service's NFLB_SVC_A_BACKENDS), validated already with
 * the request as nflb_nl_svc_key_tb() says.
 */
static int nflb_nl_be_key_nest(const struct nlattr *nest,
			       struct nflb_service *svc, struct nlattr **tb,
			       u16 *family, union nf_inet_addr *addr,
			       __be16 *port, struct netlink_ext_ack *extack)
{
	int err;

	err = nla_parse_nested(tb, NFLB_BE_A_MAX, nest, NULL, extack);
	if (err)
		return err;
	if (nflb_nl_require(tb, NFLB_BE_A_FAMILY, nest,
			    "backend address family missing", extack) ||
	    nflb_nl_require(tb, NFLB_BE_A_ADDR, nest,
			    "backend address missing", extack) ||
	    nflb_nl_require(tb, NFLB_BE_A_PORT, nest,
			    "backend port missing", extack))
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	err = nflb_nl_parse_addr(tb[NFLB_BE_A_FAMILY], tb[NFLB_BE_A_ADDR],
				 family, addr, extack);
	if (err)
		return err;
	if (*family != svc->family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_BE_A_FAMILY],
				    "backend address family differs from the service's: not supported yet");
		return -EOPNOTSUPP;
	}
	*port = htons(nla_get_u16(tb[NFLB_BE_A_PORT]));
	return 0;
}

/* The same for the request's own NFLB_A_BACKEND. */
static int nflb_nl_be_key(struct genl_info *info, struct nflb_service *svc,
			  struct nlattr **tb, u16 *family,
			  union nf_inet_addr *addr, __be16 *port)
{
	if (nflb_nl_require(info->attrs, NFLB_A_BACKEND, NULL,
			    "the request names no backend", info->extack))
		return -EINVAL;
	return nflb_nl_be_key_nest(info->attrs[NFLB_A_BACKEND], svc, tb,
				   family, addr, port, info->extack);
}

/*
 * Adds the backend that @nest describes at the end of @svc's list, not
 * yet in the scheduler's state.  An error points at @nest or inside it.
 */
static int nflb_nl_add_be(struct net *net, struct nflb_service *svc,
			  const struct nlattr *nest,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_BE_A_MAX + 1];
	struct nflb_backend *be;
	union nf_inet_addr addr;
	__be16 port;
	u16 family;
	int err;

	err = nflb_nl_be_key_nest(nest, svc, tb, &family, &addr, &port,
				  extack);
	if (err)
		goto bad;
	if (nflb_be_lookup(svc, family, &addr, port)) {
		NL_SET_ERR_MSG(extack, "backend already exists");
		err = -EEXIST;
		goto bad;
	}
	err = nflb_nl_be_fits(net, svc->mode, svc->port, addr.ip, port,
			      extack);
	if (err)
		goto bad;
	if (svc->num_backends >= READ_ONCE(nflb_max_backends)) {
		NL_SET_ERR_MSG(extack,
			       "too many backends in this service (module parameter max_backends)");
		err = -ENOSPC;
		goto bad;
	}
	be = nflb_be_alloc(svc);
	if (!be) {
		err = -ENOMEM;
		goto bad;
	}
	be->family = family;
	be->addr = addr;
	be->port = port;
	be->weight = tb[NFLB_BE_A_WEIGHT] ? nla_get_u32(tb[NFLB_BE_A_WEIGHT]) : 1;
	list_add_tail_rcu(&be->list, &svc->backends);
	svc->num_backends++;
	return 0;
bad:
	/* Say which backend, for a list of them; errors about one attribute
	 * point at that one already.
	 */
	if (extack && !extack->bad_attr)
		extack->bad_attr = nest;
	return err;
}

/*
 * Takes the backends added after the first @n off @svc's list again.  They
 * were never in a scheduler's state: no reader can hold them.
 */
static void nflb_nl_drop_new_bes(struct nflb_service *svc, unsigned int n)
{
	struct nflb_backend *be;

	while (svc->num_backends > n) {
		be = list_last_entry(&svc->backends, struct nflb_backend, list);
		list_del_rcu(&be->list);
		svc->num_backends--;
		nflb_be_put(be);
	}
}

/*
 * NEW_SERVICE's NFLB_SVC_A_BACKENDS, for a service nobody can see yet:
 * all of them, with one scheduler build, or none.
 */
static int nflb_nl_add_bes(struct net *net, struct nflb_service *svc,
			   const struct nlattr *list,
			   struct netlink_ext_ack *extack)
{
	const struct nlattr *nest;
	int rem, err;

	nla_for_each_nested(nest, list, rem) {
		if (nla_type(nest) != NFLB_A_BACKEND) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "a service's backend list holds NFLB_A_BACKEND nests only");
			err = -EINVAL;
			goto undo;
		}
		err = nflb_nl_add_be(net, svc, nest, extack);
		if (err)
			goto undo;
	}
	err = nflb_sched_rebuild(svc);
	if (!err)
		return 0;
undo:
	nflb_nl_drop_new_bes(svc, 0);
	nflb_sched_release(svc, NULL);
	return err;
}

static int nflb_nl_new_service(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_SVC_A_MAX + 1];
	struct nflb_svc_cfg cfg = {
		.sched = nflb_sched_find("wlc"),
		.mode = NFLB_FWD_NAT,
		.tunnel = NFLB_TUNNEL_IPIP,
		.gue_port = NFLB_GUE_PORT_DEFAULT,
		.mss_mode = NFLB_MSS_OFF,
	};
	struct nflb_service *svc;
	const struct nlattr *be;
	struct nflb_svc_key key;
	unsigned int n;
	int err, rem;

	if (nflb_nl_require(info->attrs, NFLB_A_SERVICE, NULL,
			    "the request names no service", info->extack))
		return -EINVAL;
	err = nflb_nl_svc_key_tb(info->attrs[NFLB_A_SERVICE], tb, NULL, &key,
				 info->extack);
	if (err)
		return err;
	err = nflb_nl_svc_cfg(tb, key.family, &cfg, info->extack);
	if (err)
		return err;

	mutex_lock(&nn->lock);
	if (nflb_svc_lookup(nn, key.family, key.proto, &key.addr, key.port)) {
		NL_SET_ERR_MSG(info->extack, "service already exists");
		err = -EEXIST;
		goto out;
	}
	if (nn->num_services >= READ_ONCE(nflb_max_services)) {
		NL_SET_ERR_MSG(info->extack,
			       "too many services in this namespace (module parameter max_services)");
		err = -ENOSPC;
		goto out;
	}
	err = nflb_net_activate(nn);
	if (err) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot set up nflb in this namespace (memory, or netfilter hooks)");
		goto out;
	}
	n = 0;
	if (tb[NFLB_SVC_A_BACKENDS])
		nla_for_each_nested(be, tb[NFLB_SVC_A_BACKENDS], rem)
			n++;
	svc = nflb_svc_alloc(n);
	if (!svc) {
		err = -ENOMEM;
		goto out;
	}
	svc->nn = nn;
	svc->family = key.family;
	svc->proto = key.proto;
	svc->addr = key.addr;
	svc->port = key.port;
	svc->sched = cfg.sched;
	svc->mode = cfg.mode;
	svc->tunnel = cfg.tunnel;
	svc->gue_port = cfg.gue_port;
	svc->persist = cfg.persist;
	svc->mss_mode = cfg.mss_mode;
	svc->mss = cfg.mss;
	svc->flags = cfg.flags;
	if (tb[NFLB_SVC_A_BACKENDS]) {
		err = nflb_nl_add_bes(genl_info_net(info), svc,
				      tb[NFLB_SVC_A_BACKENDS], info->extack);
		if (err) {
			nflb_svc_put(svc);
			goto out;
		}
	}
	err = nflb_svc_link(nn, svc);
	if (err) {
		nflb_nl_drop_new_bes(svc, 0);
		nflb_sched_release(svc, NULL);
		nflb_svc_put(svc);
	}
out:
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_set_service(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_SVC_A_MAX + 1];
	const struct nflb_sched_ops *old_sched;
	struct nflb_service *svc;
	struct nflb_backend *be;
	struct nflb_svc_cfg cfg;
	int err;

	mutex_lock(&nn->lock);
	svc = nflb_nl_find_svc(nn, info, tb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	cfg = (struct nflb_svc_cfg) {
		.sched = svc->sched,
		.persist = svc->persist,
		.flags = svc->flags,
		.mss = svc->mss,
		.gue_port = svc->gue_port,
		.mode = svc->mode,
		.tunnel = svc->tunnel,
		.mss_mode = svc->mss_mode,
	};
	err = nflb_nl_svc_cfg(tb, svc->family, &cfg, info->extack);
	if (err)
		goto out;
	if (cfg.mode != svc->mode) {
		list_for_each_entry(be, &svc->backends, list) {
			err = nflb_nl_be_fits(genl_info_net(info), cfg.mode,
					      svc->port, be->addr.ip, be->port,
					      info->extack);
			if (err)
				goto out;
		}
	}

	old_sched = svc->sched;
	if (cfg.sched != old_sched) {
		svc->sched = cfg.sched;
		err = nflb_sched_rebuild(svc);
		if (err) {
			svc->sched = old_sched;
			goto out;
		}
	}
	WRITE_ONCE(svc->mode, cfg.mode);
	WRITE_ONCE(svc->tunnel, cfg.tunnel);
	WRITE_ONCE(svc->gue_port, cfg.gue_port);
	WRITE_ONCE(svc->persist, cfg.persist);
	WRITE_ONCE(svc->mss_mode, cfg.mss_mode);
	WRITE_ONCE(svc->mss, cfg.mss);
	WRITE_ONCE(svc->flags, cfg.flags);
	nn->gen++;
out:
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_del_service(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_SVC_A_MAX + 1];
	struct nflb_service *svc;
	int err = 0;

	mutex_lock(&nn->lock);
	svc = nflb_nl_find_svc(nn, info, tb);
	if (IS_ERR(svc))
		err = PTR_ERR(svc);
	else
		nflb_svc_unlink(nn, svc);
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));

	mutex_lock(&nn->lock);
	nflb_svc_flush(nn);
	mutex_unlock(&nn->lock);
	return 0;
}

static int nflb_nl_new_backend(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *stb[NFLB_SVC_A_MAX + 1];
	struct nflb_service *svc;
	unsigned int n;
	int err;

	mutex_lock(&nn->lock);
	svc = nflb_nl_find_svc(nn, info, stb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	if (nflb_nl_require(info->attrs, NFLB_A_BACKEND, NULL,
			    "the request names no backend", info->extack)) {
		err = -EINVAL;
		goto out;
	}
	n = svc->num_backends;
	err = nflb_nl_add_be(genl_info_net(info), svc,
			     info->attrs[NFLB_A_BACKEND], info->extack);
	if (err)
		goto out;
	err = nflb_sched_rebuild(svc);
	if (err) {
		nflb_nl_drop_new_bes(svc, n);
		goto out;
	}
	nn->gen++;
out:
	mutex_unlock(&nn->lock);
	return err;
}

/* The backend a request names (service and backend), or an error. */
static struct nflb_backend *nflb_nl_find_be(struct nflb_net *nn,
					    struct genl_info *info,
					    struct nlattr **tb)
{
	struct nlattr *stb[NFLB_SVC_A_MAX + 1];
	struct nflb_service *svc;
	struct nflb_backend *be;
	union nf_inet_addr addr;
	__be16 port;
	u16 family;
	int err;

	svc = nflb_nl_find_svc(nn, info, stb);
	if (IS_ERR(svc))
		return ERR_CAST(svc);
	err = nflb_nl_be_key(info, svc, tb, &family, &addr, &port);
	if (err)
		return ERR_PTR(err);
	be = nflb_be_lookup(svc, family, &addr, port);
	if (!be) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFLB_A_BACKEND],
				    "backend not found");
		return ERR_PTR(-ENOENT);
	}
	return be;
}

static int nflb_nl_set_backend(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_BE_A_MAX + 1];
	struct nflb_backend *be;
	u32 old_weight;
	int err;

	mutex_lock(&nn->lock);
	be = nflb_nl_find_be(nn, info, tb);
	if (IS_ERR(be)) {
		err = PTR_ERR(be);
		goto out;
	}
	err = nflb_nl_require(tb, NFLB_BE_A_WEIGHT, info->attrs[NFLB_A_BACKEND],
			      "backend weight missing", info->extack);
	if (err)
		goto out;
	old_weight = be->weight;
	WRITE_ONCE(be->weight, nla_get_u32(tb[NFLB_BE_A_WEIGHT]));
	err = nflb_sched_rebuild(be->svc);
	if (err) {
		WRITE_ONCE(be->weight, old_weight);
		goto out;
	}
	nn->gen++;
out:
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_del_backend(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_BE_A_MAX + 1];
	struct nflb_backend *be;
	int err = 0;

	mutex_lock(&nn->lock);
	be = nflb_nl_find_be(nn, info, tb);
	if (IS_ERR(be))
		err = PTR_ERR(be);
	else
		nflb_be_unlink(be->svc, be);
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_set_timeouts(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_TIMEOUT_A_MAX + 1];
	int err, i, n = 0;

	if (nflb_nl_require(info->attrs, NFLB_A_TIMEOUTS, NULL,
			    "the request carries no timeouts", info->extack))
		return -EINVAL;
	err = nla_parse_nested(tb, NFLB_TIMEOUT_A_MAX,
			       info->attrs[NFLB_A_TIMEOUTS],
			       nflb_timeout_policy, info->extack);
	if (err)
		return err;
	for (i = 1; i <= NFLB_TIMEOUT_A_MAX; i++)
		n += !!tb[i];
	if (!n) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFLB_A_TIMEOUTS],
				    "no timeout given");
		return -EINVAL;
	}
	mutex_lock(&nn->lock);
	for (i = 1; i <= NFLB_TIMEOUT_A_MAX; i++)
		if (tb[i])
			WRITE_ONCE(nn->timeout[i], nla_get_u32(tb[i]));
	mutex_unlock(&nn->lock);
	return 0;
}

/* Replies */

/*
 * One message for @svc with its backends from *@be_idx on.  Returns 0 when
 * every backend fit, -EMSGSIZE with *@be_idx advanced when the message
 * filled up after at least one backend (the rest follow in the next
 * message, under a repeated service header), and -EMSGSIZE with nothing
 * added when not even the header and one backend fit.
 */
static int nflb_nl_fill_svc(struct sk_buff *skb, struct nflb_service *svc,
			    u32 portid, u32 seq, int flags,
			    struct netlink_callback *cb, unsigned long *be_idx)
{
	struct nlattr *nest, *bes;
	struct nflb_backend *be;
	unsigned long i = 0, put = 0;
	bool full = false;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &nflb_genl_family, flags,
			  NFLB_CMD_GET_SERVICE);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, NFLB_A_SERVICE);
	if (!nest || nflb_nl_put_svc_head(skb, svc))
		goto cancel;
	bes = nla_nest_start(skb, NFLB_SVC_A_BACKENDS);
	if (!bes)
		goto cancel;
	list_for_each_entry(be, &svc->backends, list) {
		if (i++ < *be_idx)
			continue;
		if (nflb_nl_put_backend(skb, be)) {
			full = true;
			break;
		}
		put++;
	}
	if (full && !put)
		goto cancel;
	nla_nest_end(skb, bes);
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	*be_idx += put;
	return full ? -EMSGSIZE : 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Dump cursor: args[0] the index of the service to continue with, args[1]
 * the index of its next backend, args[2] that service's pointer and
 * args[3] the generation it was taken at.  While the generation holds, the
 * pointer is still on the list (we run under the config lock) and saves a
 * walk from the head; otherwise the index is used and the reader is told
 * through NLM_F_DUMP_INTR that the configuration changed.
 */
/* A dump limited to the service that NFLB_A_SERVICE names: args[0] is 1
 * once it is complete, args[1] the index of the next backend.
 */
static int nflb_nl_dump_one_service(struct sk_buff *skb,
				    struct netlink_callback *cb,
				    struct nflb_net *nn,
				    const struct nlattr *attr)
{
	unsigned long be_idx = cb->args[1];
	struct nflb_service *svc;
	struct nflb_svc_key key;
	int err;

	if (cb->args[0])
		return 0;
	err = nflb_nl_parse_svc_key(attr, &key, cb->extack);
	if (err)
		return err;
	mutex_lock(&nn->lock);
	cb->seq = nn->gen;
	svc = nflb_svc_lookup(nn, key.family, key.proto, &key.addr, key.port);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attr, "service not found");
		err = -ENOENT;
	} else {
		err = nflb_nl_fill_svc(skb, svc, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI, cb,
				       &be_idx);
	}
	mutex_unlock(&nn->lock);
	if (err == -EMSGSIZE && skb->len) {
		cb->args[1] = be_idx;
		return skb->len;
	}
	if (err)
		return err;
	cb->args[0] = 1;
	return skb->len;
}

/*
 * Dump cursor: args[0] the index of the service to continue with, args[1]
 * the index of its next backend, args[2] that service's pointer and
 * args[3] the generation it was taken at.  While the generation holds, the
 * pointer is still on the list (we run under the config lock) and saves a
 * walk from the head; otherwise the index is used and the reader is told
 * through NLM_F_DUMP_INTR that the configuration changed.
 */
static int nflb_nl_get_service_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	const struct nlattr *filter = genl_dumpit_info(cb)->attrs[NFLB_A_SERVICE];
	struct nflb_net *nn = nflb_pernet(sock_net(skb->sk));
	unsigned long svc_idx = cb->args[0], be_idx = cb->args[1], i = 0;
	struct nflb_service *svc = NULL;
	int err = 0;

	if (filter)
		return nflb_nl_dump_one_service(skb, cb, nn, filter);

	mutex_lock(&nn->lock);
	cb->seq = nn->gen;
	if (cb->args[2] && cb->args[3] == nn->gen) {
		svc = (struct nflb_service *)cb->args[2];
	} else {
		list_for_each_entry(svc, &nn->services, list)
			if (i++ == svc_idx)
				break;
	}
	for (; svc && !list_entry_is_head(svc, &nn->services, list);
	     svc = list_next_entry(svc, list)) {
		err = nflb_nl_fill_svc(skb, svc, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI, cb,
				       &be_idx);
		if (err)
			break;
		svc_idx++;
		be_idx = 0;
	}
	cb->args[0] = svc_idx;
	cb->args[1] = be_idx;
	cb->args[2] = err ? (unsigned long)svc : 0;
	cb->args[3] = nn->gen;
	mutex_unlock(&nn->lock);

	if (err && !skb->len)
		return err;
	return skb->len;
}

/*
 * A netlink attribute is at most 64 KiB long, and so is the nest that holds
 * a service's backends: a reply carries as many as fit (some 400), and
 * NFLB_SVC_A_NUM_BACKENDS says how many there are.  A dump filtered by
 * NFLB_A_SERVICE returns them all.
 */
#define NFLB_NL_DOIT_MAX	(60 * 1024)

static int nflb_nl_get_service_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *tb[NFLB_SVC_A_MAX + 1];
	struct nflb_service *svc;
	unsigned long be_idx = 0;
	struct sk_buff *msg;
	int err;

	mutex_lock(&nn->lock);
	svc = nflb_nl_find_svc(nn, info, tb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	msg = genlmsg_new(min_t(size_t, NLMSG_GOODSIZE + svc->num_backends * 192,
				NFLB_NL_DOIT_MAX), GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = nflb_nl_fill_svc(msg, svc, info->snd_portid, info->snd_seq, 0,
			       NULL, &be_idx);
	if (err && !be_idx) {
		nlmsg_free(msg);
		goto out;
	}
	mutex_unlock(&nn->lock);
	return genlmsg_reply(msg, info);
out:
	mutex_unlock(&nn->lock);
	return err;
}

static int nflb_nl_put_timeouts(struct sk_buff *skb, int type,
				struct nflb_net *nn)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i <= NFLB_TIMEOUT_A_MAX; i++)
		if (nla_put_u32(skb, i, READ_ONCE(nn->timeout[i])))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *nn = nflb_pernet(genl_info_net(info));
	struct nlattr *nest, *drops;
	struct sk_buff *msg;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nflb_genl_family, 0,
				NFLB_CMD_GET_INFO);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, NFLB_A_INFO);
	if (!nest ||
	    nla_put_string(msg, NFLB_INFO_A_VERSION, NFLB_VERSION) ||
	    nla_put_u32(msg, NFLB_INFO_A_MAX_SERVICES,
			READ_ONCE(nflb_max_services)) ||
	    nla_put_u32(msg, NFLB_INFO_A_MAX_BACKENDS,
			READ_ONCE(nflb_max_backends)) ||
	    nla_put_u32(msg, NFLB_INFO_A_SERVICES,
			READ_ONCE(nn->num_services)) ||
	    nla_put_u32(msg, NFLB_INFO_A_CONN_MAX, READ_ONCE(nflb_conn_max)) ||
	    nla_put_u32(msg, NFLB_INFO_A_CONNS, nflb_conn_count(nn)) ||
	    nla_put_u8(msg, NFLB_INFO_A_HOOKED, READ_ONCE(nn->hooked)) ||
	    nla_put_u32(msg, NFLB_INFO_A_CONN_BUCKETS, nflb_conn_buckets(nn)) ||
	    nflb_nl_put_timeouts(msg, NFLB_INFO_A_TIMEOUTS, nn))
		goto nospace;
	drops = nla_nest_start(msg, NFLB_INFO_A_DROPS);
	if (!drops)
		goto nospace;
	for (i = 0; i < __NFLB_DROP_MAX; i++)
		if (nla_put_u64_64bit(msg, i + 1, nflb_drops_read(nn, i), 0))
			goto nospace;
	nla_nest_end(msg, drops);
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops nflb_genl_ops[] = {
	{
		.cmd = NFLB_CMD_GET_INFO,
		.doit = nflb_nl_get_info,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_SET_TIMEOUTS,
		.doit = nflb_nl_set_timeouts,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_NEW_SERVICE,
		.doit = nflb_nl_new_service,
		.policy = nflb_new_svc_policy,
		.maxattr = NFLB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_SET_SERVICE,
		.doit = nflb_nl_set_service,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_DEL_SERVICE,
		.doit = nflb_nl_del_service,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_GET_SERVICE,
		.doit = nflb_nl_get_service_doit,
		.dumpit = nflb_nl_get_service_dumpit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_NEW_BACKEND,
		.doit = nflb_nl_new_backend,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_SET_BACKEND,
		.doit = nflb_nl_set_backend,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_DEL_BACKEND,
		.doit = nflb_nl_del_backend,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_FLUSH,
		.doit = nflb_nl_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = NFLB_CMD_GET_CONN,
		.start = nflb_nl_get_conn_start,
		.dumpit = nflb_nl_get_conn_dumpit,
		.done = nflb_nl_get_conn_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family nflb_genl_family __ro_after_init = {
	.name = NFLB_GENL_NAME,
	.version = NFLB_GENL_VERSION,
	.maxattr = NFLB_A_MAX,
	.policy = nflb_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = nflb_genl_ops,
	.n_ops = ARRAY_SIZE(nflb_genl_ops),
};

int __init nflb_genl_init(void)
{
	return genl_register_family(&nflb_genl_family);
}

void nflb_genl_exit(void)
{
	genl_unregister_family(&nflb_genl_family);
}
