// SPDX-License-Identifier: GPL-2.0
/*
 * The LBMSS xtables target: "-j LBMSS --set-mss N | --clamp-mss-to-pmtu"
 * for iptables and ip6tables, on nflb_mss_clamp() (mss.c), the routine the
 * per-service clamp uses too.  What it does and how it differs from TCPMSS
 * is described in include/uapi/linux/netfilter/xt_LBMSS.h.
 *
 * Per network namespace, per CPU counters of what it did are shown in
 * /proc/net/nflb_lbmss: a malformed option list passes untouched but for
 * an MSS option before the fault, so the counter (and pr_debug) is how
 * anyone gets to know about it.
 */
#include <linux/module.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/tcp.h>
#include <uapi/linux/netfilter/xt_LBMSS.h>

#include "mss.h"

/* The counters, in the order /proc/net/nflb_lbmss shows them. */
enum lbmss_counter {
	LBMSS_KEPT,		/* no change needed, or not a SYN */
	LBMSS_LOWERED,
	LBMSS_ADDED,
	LBMSS_MALFORMED,	/* untouched past the fault */
	LBMSS_NOMEM,		/* dropped */
	LBMSS_NOPMTU,		/* no usable path MTU: passed untouched */
	__LBMSS_MAX
};

static const char * const lbmss_counter_name[__LBMSS_MAX] = {
	[LBMSS_KEPT] = "kept",
	[LBMSS_LOWERED] = "lowered",
	[LBMSS_ADDED] = "added",
	[LBMSS_MALFORMED] = "malformed",
	[LBMSS_NOMEM] = "nomem",
	[LBMSS_NOPMTU] = "nopmtu",
};

struct lbmss_counters {
	u64 n[__LBMSS_MAX];
};

struct lbmss_net {
	struct lbmss_counters __percpu *cnt;
};

static unsigned int lbmss_net_id __read_mostly;

static void lbmss_count(const struct net *net, enum lbmss_counter what)
{
	struct lbmss_net *ln = net_generic(net, lbmss_net_id);

	this_cpu_inc(ln->cnt->n[what]);
}

/* The MTU of the route back to the segment's source: the answers take it,
 * and a SYN-ACK's MSS is what the other side sends toward us.
 */
static unsigned int lbmss_reverse_mtu(struct net *net,
				      const struct sk_buff *skb, u16 family)
{
	struct dst_entry *dst = NULL;
	unsigned int mtu = ~0U;
	struct flowi fl = {};

	if (family == AF_INET)
		fl.u.ip4.daddr = ip_hdr(skb)->saddr;
	else
		fl.u.ip6.daddr = ipv6_hdr(skb)->saddr;
	nf_route(net, &dst, &fl, false, family);
	if (dst) {
		mtu = dst_mtu(dst);
		dst_release(dst);
	}
	return mtu;
}

/* The ceiling --clamp-mss-to-pmtu means for this segment, or 0 if the
 * routes give none that can carry a TCP segment at all.
 */
static u16 lbmss_pmtu_ceiling(struct net *net, const struct sk_buff *skb,
			      u16 family)
{
	unsigned int hdrs = family == AF_INET ? NFLB_MSS_HDRS4 : NFLB_MSS_HDRS6;
	const struct dst_entry *dst = skb_dst(skb);
	unsigned int mtu;

	mtu = min(dst ? dst_mtu(dst) : ~0U,
		  lbmss_reverse_mtu(net, skb, family));
	if (mtu <= hdrs || mtu == ~0U)
		return 0;
	return min_t(unsigned int, mtu - hdrs, 0xffff);
}

static unsigned int lbmss_tg(struct sk_buff *skb,
			     const struct xt_action_param *par)
{
	const struct xt_lbmss_info *info = par->targinfo;
	u16 family = xt_family(par) == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct net *net = xt_net(par);
	enum nflb_mss_verdict verdict;
	u16 ceiling = info->mss;

	/* A later fragment has no TCP header. */
	if (par->fragoff)
		return XT_CONTINUE;

	if (info->flags & XT_LBMSS_F_PMTU) {
		ceiling = lbmss_pmtu_ceiling(net, skb, family);
		if (!ceiling) {
			net_warn_ratelimited("LBMSS: no usable path MTU toward %s\n",
					     xt_outname(par) ?: "?");
			lbmss_count(net, LBMSS_NOPMTU);
			return XT_CONTINUE;
		}
	}

	/* At the IP hooks skb->data is the network header, so par->thoff,
	 * counted from skb->data, is what nflb_mss_clamp() wants.
	 */
	verdict = nflb_mss_clamp(skb, par->thoff, family, ceiling, true);
	switch (verdict) {
	case NFLB_MSS_KEPT:
		lbmss_count(net, LBMSS_KEPT);
		break;
	case NFLB_MSS_LOWERED:
	case NFLB_MSS_BAD_LOWERED:
		lbmss_count(net, LBMSS_LOWERED);
		break;
	case NFLB_MSS_ADDED:
	case NFLB_MSS_BAD_ADDED:
		lbmss_count(net, LBMSS_ADDED);
		break;
	case NFLB_MSS_BAD:
		break;
	case NFLB_MSS_NOMEM:
		/* Unclamped, the connection could stall on the first full
		 * segment; dropped, the SYN is sent again.
		 */
		lbmss_count(net, LBMSS_NOMEM);
		return NF_DROP;
	}
	if (nflb_mss_malformed(verdict)) {
		if (family == AF_INET)
			pr_debug("LBMSS: malformed TCP options from %pI4, read up to the fault\n",
				 &ip_hdr(skb)->saddr);
		else
			pr_debug("LBMSS: malformed TCP options from %pI6c, read up to the fault\n",
				 &ipv6_hdr(skb)->saddr);
		lbmss_count(net, LBMSS_MALFORMED);
	}
	return XT_CONTINUE;
}

/* Whether @m is a "tcp" match that requires SYN set (--syn, or
 * --tcp-flags with SYN compared and set), not inverted.
 */
static bool lbmss_is_syn_match(const struct xt_entry_match *m)
{
	const struct xt_tcp *tcp = (const struct xt_tcp *)m->data;

	return !strcmp(m->u.kernel.match->name, "tcp") &&
	       (tcp->flg_mask & TCPHDR_SYN) && (tcp->flg_cmp & TCPHDR_SYN) &&
	       !(tcp->invflags & XT_TCP_INV_FLAGS);
}

static int lbmss_tg_check(const struct xt_tgchk_param *par)
{
	const unsigned int pmtu_hooks = BIT(NF_INET_FORWARD) |
					BIT(NF_INET_LOCAL_OUT) |
					BIT(NF_INET_POST_ROUTING);
	const struct xt_lbmss_info *info = par->targinfo;
	const struct xt_entry_match *m;

	if (info->flags & ~__XT_LBMSS_F_ALL) {
		pr_info_ratelimited("LBMSS: unknown flags %#x (iptables newer than the module?)\n",
				    info->flags & ~__XT_LBMSS_F_ALL);
		return -EINVAL;
	}
	if ((info->flags & XT_LBMSS_F_PMTU) ? info->mss != 0 : info->mss == 0) {
		pr_info_ratelimited("LBMSS: needs either --set-mss 1..65535 or --clamp-mss-to-pmtu\n");
		return -EINVAL;
	}
	if ((info->flags & XT_LBMSS_F_PMTU) && (par->hook_mask & ~pmtu_hooks)) {
		pr_info_ratelimited("LBMSS: --clamp-mss-to-pmtu only in FORWARD, OUTPUT and POSTROUTING: elsewhere the route is not known yet\n");
		return -EINVAL;
	}
	/* nft rules match flags with their own expressions, which a target
	 * cannot see; nflb_mss_clamp() leaves non-SYNs alone anyway.
	 */
	if (par->nft_compat)
		return 0;

	if (par->family == NFPROTO_IPV4) {
		const struct ipt_entry *e = par->entryinfo;

		xt_ematch_foreach(m, e)
			if (lbmss_is_syn_match(m))
				return 0;
	} else {
		const struct ip6t_entry *e = par->entryinfo;

		xt_ematch_foreach(m, e)
			if (lbmss_is_syn_match(m))
				return 0;
	}
	pr_info_ratelimited("LBMSS: only for TCP SYN segments: the rule needs -p tcp --syn (or --tcp-flags with SYN set)\n");
	return -EINVAL;
}

static struct xt_target lbmss_tg_reg[] __read_mostly = {
	{
		.name		= "LBMSS",
		.revision	= 0,
		.family		= NFPROTO_IPV4,
		.proto		= IPPROTO_TCP,
		.checkentry	= lbmss_tg_check,
		.target		= lbmss_tg,
		.targetsize	= sizeof(struct xt_lbmss_info),
		.me		= THIS_MODULE,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.name		= "LBMSS",
		.revision	= 0,
		.family		= NFPROTO_IPV6,
		.proto		= IPPROTO_TCP,
		.checkentry	= lbmss_tg_check,
		.target		= lbmss_tg,
		.targetsize	= sizeof(struct xt_lbmss_info),
		.me		= THIS_MODULE,
	},
#endif
};

static int lbmss_proc_show(struct seq_file *seq, void *v)
{
	struct lbmss_net *ln = net_generic(seq_file_single_net(seq),
					   lbmss_net_id);
	u64 sum[__LBMSS_MAX] = {};
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct lbmss_counters *c = per_cpu_ptr(ln->cnt, cpu);

		for (i = 0; i < __LBMSS_MAX; i++)
			sum[i] += READ_ONCE(c->n[i]);
	}
	for (i = 0; i < __LBMSS_MAX; i++)
		seq_printf(seq, "%s %llu\n", lbmss_counter_name[i], sum[i]);
	return 0;
}

static int __net_init lbmss_net_init(struct net *net)
{
	struct lbmss_net *ln = net_generic(net, lbmss_net_id);

	ln->cnt = alloc_percpu(struct lbmss_counters);
	if (!ln->cnt)
		return -ENOMEM;
	if (!proc_create_net_single("nflb_lbmss", 0444, net->proc_net,
				    lbmss_proc_show, NULL)) {
		free_percpu(ln->cnt);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit lbmss_net_exit(struct net *net)
{
	struct lbmss_net *ln = net_generic(net, lbmss_net_id);

	remove_proc_entry("nflb_lbmss", net->proc_net);
	free_percpu(ln->cnt);
}

static struct pernet_operations lbmss_net_ops = {
	.init = lbmss_net_init,
	.exit = lbmss_net_exit,
	.id = &lbmss_net_id,
	.size = sizeof(struct lbmss_net),
};

/* Counters first: a rule may use the target as soon as it is registered. */
int nflb_lbmss_init(void)
{
	int err;

	err = register_pernet_subsys(&lbmss_net_ops);
	if (err)
		return err;
	err = xt_register_targets(lbmss_tg_reg, ARRAY_SIZE(lbmss_tg_reg));
	if (err)
		unregister_pernet_subsys(&lbmss_net_ops);
	return err;
}

/* No rule can use the target once it is unregistered (the module cannot
 * go while a rule holds it), so the counters can go after it.
 */
void nflb_lbmss_exit(void)
{
	xt_unregister_targets(lbmss_tg_reg, ARRAY_SIZE(lbmss_tg_reg));
	unregister_pernet_subsys(&lbmss_net_ops);
}
