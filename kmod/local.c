// SPDX-License-Identifier: GPL-2.0
/*
 * This namespace's own IPv4 addresses, as a set the packet path can ask
 * cheaply whether a new connection's source is one of them (a martian:
 * hooks.c, nflb_source_check()).
 *
 * __ip_dev_find() answers that too, but for an address that is not ours,
 * the usual answer, it also looks the local routing table up (an address
 * of a subnet on a loopback device is ours too): a FIB lookup for every
 * new connection, 3-10% of the director's CPU in profiles of new UDP
 * flows (issue 6).  The kernel's own hash of addresses is not exported
 * (inet_lookup_ifaddr_rcu()), so we keep one, from the inetaddr notifier,
 * for each namespace from its activation on.
 *
 * Where the set does not tell all, nflb_local_has() asks __ip_dev_find():
 * for 127/8 (all of it is ours, not only 127.0.0.1), while a loopback
 * device holds any other subnet (AnyIP), and while an entry could not be
 * allocated.
 *
 * Written under RTNL (the notifier's calls and nflb_local_start() hold
 * it), read under RCU.  An address on two devices is one entry; it goes
 * when no device has it any longer (the notifier runs after the address
 * left its device's list, and the stack's hash of addresses finds it on
 * another device in O(1)): a host with thousands of addresses adds or
 * deletes them in time linear in their number.
 */
#include <linux/hash.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "nflb.h"

/* As many buckets as the stack's own hash of addresses has for all
 * namespaces together (IN4_ADDR_HSIZE): never longer chains than its.
 */
#define NFLB_LOCAL_HASH_BITS	8

struct nflb_local_set {
	struct hlist_head hash[1 << NFLB_LOCAL_HASH_BITS];
	struct rcu_head rcu;
};

struct nflb_local_addr {
	struct hlist_node node;
	__be32 addr;
	struct rcu_head rcu;
};

static struct hlist_head *nflb_local_bucket(struct nflb_local_set *set,
					    __be32 addr)
{
	return &set->hash[hash_32((__force u32)addr, NFLB_LOCAL_HASH_BITS)];
}

static struct nflb_local_addr *nflb_local_find(struct nflb_local_set *set,
					       __be32 addr)
{
	struct nflb_local_addr *la;

	hlist_for_each_entry_rcu(la, nflb_local_bucket(set, addr), node,
				 lockdep_rtnl_is_held())
		if (la->addr == addr)
			return la;
	return NULL;
}

bool nflb_local_has(struct nflb_net *nn, __be32 addr)
{
	struct nflb_local_set *set = rcu_dereference(nn->local);

	if (likely(set && READ_ONCE(nn->local_exact) &&
		   !ipv4_is_loopback(addr)))
		return nflb_local_find(set, addr);
	return __ip_dev_find(nn->net, addr, false);
}

/*
 * Whether @fn is true of an address of a device of @net, asked of each in
 * turn until it is; under RTNL.
 */
static bool nflb_local_any(struct net *net,
			   bool (*fn)(const struct in_ifaddr *ifa, void *arg),
			   void *arg)
{
	const struct in_ifaddr *ifa;
	struct net_device *dev;
	struct in_device *in_dev;

	for_each_netdev(net, dev) {
		in_dev = __in_dev_get_rtnl(dev);
		if (!in_dev)
			continue;
		in_dev_for_each_ifa_rtnl(ifa, in_dev)
			if (fn(ifa, arg))
				return true;
	}
	return false;
}

static bool nflb_local_is(const struct in_ifaddr *ifa, void *addr)
{
	return ifa->ifa_local == *(__be32 *)addr;
}

/* Whether a device of @net still has @addr; under RTNL. */
static bool nflb_local_configured(struct net *net, __be32 addr)
{
	/* Not found: no device has it (the stack's hash of addresses knows
	 * every one).  Found may also mean a loopback subnet's route.
	 */
	return __ip_dev_find(net, addr, false) &&
	       nflb_local_any(net, nflb_local_is, &addr);
}

/* An address of a subnet on a loopback device: all of it is ours. */
static bool nflb_local_subnet(const struct in_ifaddr *ifa, void *unused)
{
	return (ifa->ifa_dev->dev->flags & IFF_LOOPBACK) &&
	       ifa->ifa_prefixlen < 32 && !ipv4_is_loopback(ifa->ifa_local);
}

/*
 * Whether the set tells all: every address is in it, and no loopback
 * device has a subnet other than 127/8.
 */
static bool nflb_local_check_exact(struct nflb_net *nn)
{
	return !nn->local_nomem &&
	       !nflb_local_any(nn->net, nflb_local_subnet, NULL);
}

static void nflb_local_add(struct nflb_net *nn, __be32 addr)
{
	struct nflb_local_set *set = rtnl_dereference(nn->local);
	struct nflb_local_addr *la;

	if (nflb_local_find(set, addr))
		return;
	la = kmalloc(sizeof(*la), GFP_KERNEL);
	if (!la) {
		/* Not in the set: the packet path asks the stack. */
		nn->local_nomem = true;
		return;
	}
	la->addr = addr;
	hlist_add_head_rcu(&la->node, nflb_local_bucket(set, addr));
}

static void nflb_local_del(struct nflb_net *nn, __be32 addr)
{
	struct nflb_local_set *set = rtnl_dereference(nn->local);
	struct nflb_local_addr *la = nflb_local_find(set, addr);

	if (la && !nflb_local_configured(nn->net, addr)) {
		hlist_del_rcu(&la->node);
		kfree_rcu(la, rcu);
	}
}

static void nflb_local_empty(struct nflb_local_set *set)
{
	struct nflb_local_addr *la;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(set->hash); i++)
		hlist_for_each_entry_safe(la, tmp, &set->hash[i], node) {
			hlist_del_rcu(&la->node);
			kfree_rcu(la, rcu);
		}
}

static bool nflb_local_add_ifa(const struct in_ifaddr *ifa, void *nn)
{
	nflb_local_add(nn, ifa->ifa_local);
	return false;
}

/* Every address of every device, into the set. */
static void nflb_local_fill(struct nflb_net *nn)
{
	nn->local_nomem = false;
	nflb_local_any(nn->net, nflb_local_add_ifa, nn);
}

void nflb_local_start(struct nflb_net *nn)
{
	struct nflb_local_set *set;
	unsigned int i;

	set = kmalloc(sizeof(*set), GFP_KERNEL);
	rtnl_lock();
	if (!set || rtnl_dereference(nn->local)) {
		/* No memory: nflb_local_has() asks the stack. */
		rtnl_unlock();
		kfree(set);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(set->hash); i++)
		INIT_HLIST_HEAD(&set->hash[i]);
	rcu_assign_pointer(nn->local, set);
	nflb_local_fill(nn);
	WRITE_ONCE(nn->local_exact, nflb_local_check_exact(nn));
	rtnl_unlock();
}

/* With the namespace, once its hooks are gone. */
void nflb_local_stop(struct nflb_net *nn)
{
	struct nflb_local_set *set;

	rtnl_lock();
	set = rtnl_dereference(nn->local);
	if (set) {
		RCU_INIT_POINTER(nn->local, NULL);
		nflb_local_empty(set);
		kfree_rcu(set, rcu);
	}
	rtnl_unlock();
}

static int nflb_local_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct net_device *dev = ifa->ifa_dev->dev;
	struct nflb_net *nn = nflb_pernet(dev_net(dev));

	ASSERT_RTNL();
	if (!rtnl_dereference(nn->local))
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_UP:
		nflb_local_add(nn, ifa->ifa_local);
		break;
	case NETDEV_DOWN:
		nflb_local_del(nn, ifa->ifa_local);
		break;
	default:
		return NOTIFY_DONE;
	}
	if (unlikely(nn->local_nomem)) {
		/* An address is missing for want of memory (the packet path
		 * asks the stack meanwhile): try again.
		 */
		nflb_local_fill(nn);
		WRITE_ONCE(nn->local_exact, nflb_local_check_exact(nn));
	} else if (nflb_local_subnet(ifa, NULL)) {
		WRITE_ONCE(nn->local_exact, nflb_local_check_exact(nn));
	}
	return NOTIFY_DONE;
}

static struct notifier_block nflb_local_notifier = {
	.notifier_call = nflb_local_event,
};

int nflb_local_init(void)
{
	return register_inetaddr_notifier(&nflb_local_notifier);
}

void nflb_local_exit(void)
{
	unregister_inetaddr_notifier(&nflb_local_notifier);
}
