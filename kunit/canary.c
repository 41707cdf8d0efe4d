// SPDX-License-Identifier: GPL-2.0
/*
 * nflb_canary: bugs on purpose, for the debug kernel only.
 *
 * A clean run on the debug kernel means something only if that kernel,
 * booted the way our runner boots it, does report the bugs it is built to
 * catch, and the runner does fail on the report.  Loading this module with
 * "bugs=sleep,lockdep,uaf,leak" commits one of each:
 *
 *   sleep    might_sleep() under a spinlock  (DEBUG_ATOMIC_SLEEP)
 *   lockdep  two locks taken in both orders  (PROVE_LOCKING)
 *   uaf      a read of freed slab memory     (KASAN)
 *   leak     an allocation nobody points at  (DEBUG_KMEMLEAK)
 *
 * kunit/detect.sh loads it in a guest and expects each report.  Built by
 * kunit/build-kernel.sh next to nflb_test.ko; never installed anywhere else.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bugs = "";
module_param(bugs, charp, 0444);
MODULE_PARM_DESC(bugs, "comma-separated: sleep, lockdep, uaf, leak");

static DEFINE_SPINLOCK(canary_a);
static DEFINE_SPINLOCK(canary_b);

static void canary_sleep(void)
{
	spin_lock(&canary_a);
	might_sleep();
	spin_unlock(&canary_a);
}

/* No deadlock happens (one thread); lockdep reports the possibility. */
static void canary_lockdep(void)
{
	spin_lock(&canary_a);
	spin_lock(&canary_b);
	spin_unlock(&canary_b);
	spin_unlock(&canary_a);

	spin_lock(&canary_b);
	spin_lock(&canary_a);
	spin_unlock(&canary_a);
	spin_unlock(&canary_b);
}

static void canary_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	/* Keep the compiler from proving the read useless. */
	OPTIMIZER_HIDE_VAR(p);
	pr_info("read after free: %d\n", READ_ONCE(p[8]));
}

static void canary_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	if (p)
		memset(p, 0x5a, 128);
	/* p goes out of scope: the object is unreferenced from now on. */
}

static int __init canary_init(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} table[] = {
		{ "sleep", canary_sleep },
		{ "lockdep", canary_lockdep },
		{ "uaf", canary_uaf },
		{ "leak", canary_leak },
	};
	char *list, *cur, *word;
	unsigned int i;

	list = kstrdup(bugs, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((word = strsep(&cur, ","))) {
		if (!*word)
			continue;
		for (i = 0; i < ARRAY_SIZE(table); i++)
			if (!strcmp(word, table[i].name))
				break;
		if (i == ARRAY_SIZE(table)) {
			pr_err("unknown bug \"%s\"\n", word);
			kfree(list);
			return -EINVAL;
		}
		pr_info("committing bug \"%s\" on purpose\n", word);
		table[i].fn();
	}
	kfree(list);
	return 0;
}

static void __exit canary_exit(void)
{
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nflb: bugs on purpose, to prove the debug kernel reports them");
