// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path's hooks: one at the ingress of each device of a namespace
 * that has had a service, registered with the namespace's other hooks
 * (nflb_net_activate()) and on every device that comes later, removed
 * with the device.  What the hook does is in hooks.c
 * (nflb_hook_ingress()).
 *
 * It is an optimisation only: a device without the hook (no memory for
 * it, a loopback device) has its packets balanced at PRE_ROUTING, as
 * every packet the fast path turns down is.  So nothing here fails.
 *
 * A port of a bridge, bond or the like gets none, or loses it when it
 * becomes one: its packets go to its master, which has one, and a frame
 * the bridge passes between two other hosts is none of ours.
 *
 * The list of hooks is kept under RTNL, which also orders the namespace's
 * activation against devices registering and going away.
 */
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "nflb.h"

struct nflb_ingress {
	struct list_head node;		/* in nflb_net.ingress */
	struct nf_hook_ops ops;
	struct rcu_head rcu;
};

static void nflb_ingress_attach(struct nflb_net *nn, struct net_device *dev)
{
	struct nflb_ingress *in;

	ASSERT_RTNL();
	/* Packets looped back were routed here already. */
	if (dev->flags & IFF_LOOPBACK)
		return;
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return;
	in->ops.hook = nflb_hook_ingress;
	in->ops.priv = nn;
	in->ops.pf = NFPROTO_NETDEV;
	in->ops.hooknum = NF_NETDEV_INGRESS;
	/* Last: the user's ingress chains see every packet first. */
	in->ops.priority = INT_MAX;
	in->ops.dev = dev;
	if (nf_register_net_hook(nn->net, &in->ops)) {
		kfree(in);
		return;
	}
	list_add(&in->node, &nn->ingress);
}

static void nflb_ingress_detach(struct nflb_net *nn, struct nflb_ingress *in)
{
	nf_unregister_net_hook(nn->net, &in->ops);
	list_del(&in->node);
	/* A dump of the hooks (nfnetlink_hook) reads the ops under RCU. */
	kfree_rcu(in, rcu);
}

static struct nflb_ingress *nflb_ingress_find(struct nflb_net *nn,
					      const struct net_device *dev)
{
	struct nflb_ingress *in;

	list_for_each_entry(in, &nn->ingress, node)
		if (in->ops.dev == dev)
			return in;
	return NULL;
}

void nflb_ingress_start(struct nflb_net *nn)
{
	struct net_device *dev;

	rtnl_lock();
	if (!nn->ingress_on) {
		for_each_netdev(nn->net, dev)
			if (!netdev_master_upper_dev_get(dev))
				nflb_ingress_attach(nn, dev);
		nn->ingress_on = true;
	}
	rtnl_unlock();
}

void nflb_ingress_stop(struct nflb_net *nn)
{
	struct nflb_ingress *in, *tmp;

	rtnl_lock();
	list_for_each_entry_safe(in, tmp, &nn->ingress, node)
		nflb_ingress_detach(nn, in);
	nn->ingress_on = false;
	rtnl_unlock();
}

static int nflb_ingress_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct nflb_net *nn = nflb_pernet(dev_net(dev));
	struct netdev_notifier_changeupper_info *up;
	struct nflb_ingress *in;

	switch (event) {
	case NETDEV_REGISTER:	/* also when moved into this namespace */
		if (nn->ingress_on)
			nflb_ingress_attach(nn, dev);
		break;
	case NETDEV_CHANGEUPPER:	/* made a port, or freed */
		up = ptr;
		if (!up->master || !nn->ingress_on)
			break;
		in = nflb_ingress_find(nn, dev);
		if (up->linking && in)
			nflb_ingress_detach(nn, in);
		else if (!up->linking && !in)
			nflb_ingress_attach(nn, dev);
		break;
	case NETDEV_UNREGISTER:	/* and when moved out */
		in = nflb_ingress_find(nn, dev);
		if (in)
			nflb_ingress_detach(nn, in);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block nflb_ingress_notifier = {
	.notifier_call = nflb_ingress_event,
};

int nflb_ingress_init(void)
{
	return register_netdevice_notifier(&nflb_ingress_notifier);
}

/* Replays NETDEV_UNREGISTER for every device: every hook goes. */
void nflb_ingress_exit(void)
{
	unregister_netdevice_notifier(&nflb_ingress_notifier);
}
