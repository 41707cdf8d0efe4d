// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry: parameters, per-namespace state and the order in which the
 * pieces are brought up and torn down.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "mss.h"
#include "nflb.h"

unsigned int nflb_max_services __read_mostly = 65536;
module_param_named(max_services, nflb_max_services, uint, 0644);
MODULE_PARM_DESC(max_services, "Services allowed per network namespace");

unsigned int nflb_max_backends __read_mostly = 4096;
module_param_named(max_backends, nflb_max_backends, uint, 0644);
MODULE_PARM_DESC(max_backends, "Backends allowed per service");

unsigned int nflb_conn_max __read_mostly = 1 << 20;
module_param_named(conn_max, nflb_conn_max, uint, 0644);
MODULE_PARM_DESC(conn_max, "Connection entries allowed per network namespace");

unsigned int nflb_conn_hash_bits __read_mostly = 16;
module_param_named(conn_hash_bits, nflb_conn_hash_bits, uint, 0444);
MODULE_PARM_DESC(conn_hash_bits, "log2 of the connection hash table's first size (8..24); it grows with the entries");

bool nflb_fastpath __read_mostly = true;
module_param_named(fastpath, nflb_fastpath, bool, 0644);
MODULE_PARM_DESC(fastpath, "Send clients' requests from the receiving device's ingress when no other netfilter hook would see them (default on)");

unsigned int nflb_net_id __read_mostly;

static int __net_init nflb_net_init(struct net *net)
{
	struct nflb_net *nn = nflb_pernet(net);

	nn->net = net;
	mutex_init(&nn->lock);
	INIT_LIST_HEAD(&nn->services);
	INIT_LIST_HEAD(&nn->ingress);
	nn->timeout[NFLB_TIMEOUT_A_TCP] = 900;
	nn->timeout[NFLB_TIMEOUT_A_TCP_FIN] = 120;
	nn->timeout[NFLB_TIMEOUT_A_UDP] = 300;

	nn->drops = __alloc_percpu(sizeof(u64) * __NFLB_DROP_MAX,
				   __alignof__(u64));
	if (!nn->drops)
		return -ENOMEM;
	/* The rest comes with the first service: nflb_net_activate(). */
	return 0;
}

/*
 * A namespace gets its service hash, connection table and hooks with its
 * first service, as IPVS gets its hooks: the many that never have one
 * (every container's) see no trace of nflb on their packet path and hold
 * a few words of it (not 32 KiB of service hash and the 512 KiB of the
 * connection table's arrays at the default conn_hash_bits).  All stay when
 * the last service goes: entries may outlive it, and a namespace that had
 * a service is likely to get one again (a restore after a flush); the
 * hook's first test then returns at once.
 */
int nflb_net_activate(struct nflb_net *nn)
{
	struct hlist_head *hash;
	int err;

	lockdep_assert_held(&nn->lock);
	if (nn->hooked)
		return 0;
	if (!nn->svc_hash) {
		hash = kvmalloc_array(NFLB_SVC_HASH_SIZE, sizeof(*hash),
				      GFP_KERNEL);
		if (!hash)
			return -ENOMEM;
		__hash_init(hash, NFLB_SVC_HASH_SIZE);
		/* Read under the lock, or by the hooks registered below. */
		WRITE_ONCE(nn->svc_hash, hash);
	}
	if (!nn->conns) {
		err = nflb_conn_net_init(nn, nflb_conn_hash_bits);
		if (err)
			return err;
	}
	/* Before the hooks that ask it (without it they ask the stack). */
	nflb_local_start(nn);
	err = nflb_hooks_register(nn);
	if (err)
		return err;
	WRITE_ONCE(nn->hooked, true);
	/* After the hooks it falls back on. */
	nflb_ingress_start(nn);
	return 0;
}

/*
 * Hooks go first so that no packet finds a half-torn state; then the
 * connection entries, which hold the references on backends; then the
 * services themselves.
 */
static void __net_exit nflb_net_exit(struct net *net)
{
	struct nflb_net *nn = nflb_pernet(net);

	/* Only an activated namespace has hooks (and takes RTNL for them). */
	if (nn->hooked) {
		nflb_ingress_stop(nn);
		nflb_hooks_unregister(nn);
	}
	/* (Also after a failed activation.) */
	if (rcu_access_pointer(nn->local))
		nflb_local_stop(nn);
	mutex_lock(&nn->lock);
	nflb_svc_flush(nn);
	mutex_unlock(&nn->lock);
	nflb_conn_net_exit(nn);
	kvfree(nn->svc_hash);
	free_percpu(nn->drops);
}

static struct pernet_operations nflb_net_ops = {
	.init = nflb_net_init,
	.exit = nflb_net_exit,
	.id = &nflb_net_id,
	.size = sizeof(struct nflb_net),
};

/*
 * Objects are freed from RCU callbacks that run module code, and a
 * backend's callback drops its service's last reference, which queues the
 * service's own callback: wait for both generations, then the entries'
 * cache can go.
 */
static void nflb_rcu_drain(void)
{
	rcu_barrier();
	rcu_barrier();
	nflb_conn_cache_exit();
}

static int __init nflb_init(void)
{
	int err;

	if (nflb_conn_hash_bits < 8 ||
	    nflb_conn_hash_bits > NFLB_CONN_HASH_MAX_BITS) {
		pr_err("conn_hash_bits must be within 8..24\n");
		return -EINVAL;
	}

	err = nflb_conn_cache_init();
	if (err)
		return err;

	err = register_pernet_subsys(&nflb_net_ops);
	if (err)
		goto err_cache;
	err = nflb_ingress_init();
	if (err)
		goto err_pernet;
	err = nflb_local_init();
	if (err)
		goto err_ingress;
	err = nflb_genl_init();
	if (err)
		goto err_local;
	err = nflb_lbmss_init();
	if (err)
		goto err_genl;
	pr_info("version %s loaded\n", NFLB_VERSION);
	return 0;

err_genl:
	nflb_genl_exit();
err_local:
	nflb_local_exit();
err_ingress:
	nflb_ingress_exit();
err_pernet:
	unregister_pernet_subsys(&nflb_net_ops);
err_cache:
	nflb_rcu_drain();
	return err;
}

static void __exit nflb_exit(void)
{
	nflb_lbmss_exit();
	nflb_genl_exit();
	nflb_local_exit();
	nflb_ingress_exit();
	unregister_pernet_subsys(&nflb_net_ops);
	nflb_rcu_drain();
	/* Every service and backend went in the RCU callbacks drained. */
	WARN_ON(nflb_stats_chunks_held());
}

module_init(nflb_init);
module_exit(nflb_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The nflb authors");
MODULE_DESCRIPTION("L4 load balancer on netfilter hooks");
MODULE_VERSION(NFLB_VERSION);
MODULE_ALIAS_GENL_FAMILY(NFLB_GENL_NAME);
/* iptables asks for these when a rule names the LBMSS target (xt_LBMSS.c). */
MODULE_ALIAS("xt_LBMSS");
MODULE_ALIAS("ipt_LBMSS");
MODULE_ALIAS("ip6t_LBMSS");
