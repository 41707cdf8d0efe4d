// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_LBMSS: the iptables and ip6tables side of the LBMSS target, which
 * lives in nflb.ko (kmod/xt_LBMSS.c).  The target data and what the kernel
 * does with it are described in include/uapi/linux/netfilter/xt_LBMSS.h.
 *
 *   -j LBMSS --set-mss VALUE | --clamp-mss-to-pmtu
 *
 * print and save write the same option words, so that iptables-save output
 * loads back with iptables-restore unchanged.
 */
#include <stdio.h>
#include <xtables.h>
#include <linux/netfilter/xt_LBMSS.h>

enum {
	O_SET_MSS,
	O_CLAMP_PMTU,
};

/* IP and TCP headers without options: what the path MTU leaves the MSS. */
#define LBMSS_HDRS4	40
#define LBMSS_HDRS6	60

static void lbmss_help_hdrs(unsigned int hdrs)
{
	printf("LBMSS target options (one of them; nflb.ko):\n"
	       "  --set-mss VALUE          lower the MSS option of SYNs to VALUE (1..65535)\n"
	       "  --clamp-mss-to-pmtu      lower it to the path MTU - %u\n"
	       "A SYN without an MSS option gets one; malformed option lists pass untouched\n"
	       "and are counted in /proc/net/nflb_lbmss.  The rule must match -p tcp --syn\n"
	       "(or --tcp-flags with SYN set).\n", hdrs);
}

static void lbmss_help4(void)
{
	lbmss_help_hdrs(LBMSS_HDRS4);
}

static void lbmss_help6(void)
{
	lbmss_help_hdrs(LBMSS_HDRS6);
}

static const struct xt_option_entry lbmss_opts[] = {
	{ .name = "set-mss", .id = O_SET_MSS, .type = XTTYPE_UINT16,
	  .min = 1, .max = UINT16_MAX, .excl = 1 << O_CLAMP_PMTU,
	  .flags = XTOPT_PUT, XTOPT_POINTER(struct xt_lbmss_info, mss) },
	{ .name = "clamp-mss-to-pmtu", .id = O_CLAMP_PMTU, .type = XTTYPE_NONE,
	  .excl = 1 << O_SET_MSS },
	XTOPT_TABLEEND,
};

static void lbmss_parse(struct xt_option_call *cb)
{
	struct xt_lbmss_info *info = cb->data;

	xtables_option_parse(cb);
	if (cb->entry->id == O_CLAMP_PMTU)
		info->flags |= XT_LBMSS_F_PMTU;
}

static void lbmss_check(struct xt_fcheck_call *cb)
{
	if (cb->xflags == 0)
		xtables_error(PARAMETER_PROBLEM,
			      "LBMSS: --set-mss VALUE or --clamp-mss-to-pmtu is required");
}

static void lbmss_print(const void *ip, const struct xt_entry_target *target,
			int numeric)
{
	const struct xt_lbmss_info *info = (const void *)target->data;

	(void)ip;
	(void)numeric;
	if (info->flags & XT_LBMSS_F_PMTU)
		printf(" LBMSS clamp to PMTU");
	else
		printf(" LBMSS set %u", info->mss);
}

static void lbmss_save(const void *ip, const struct xt_entry_target *target)
{
	const struct xt_lbmss_info *info = (const void *)target->data;

	(void)ip;
	if (info->flags & XT_LBMSS_F_PMTU)
		printf(" --clamp-mss-to-pmtu");
	else
		printf(" --set-mss %u", info->mss);
}

static struct xtables_target lbmss_targets[] = {
	{
		.family		= NFPROTO_IPV4,
		.name		= "LBMSS",
		.version	= XTABLES_VERSION,
		.revision	= 0,
		.size		= XT_ALIGN(sizeof(struct xt_lbmss_info)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_lbmss_info)),
		.help		= lbmss_help4,
		.print		= lbmss_print,
		.save		= lbmss_save,
		.x6_parse	= lbmss_parse,
		.x6_fcheck	= lbmss_check,
		.x6_options	= lbmss_opts,
	},
	{
		.family		= NFPROTO_IPV6,
		.name		= "LBMSS",
		.version	= XTABLES_VERSION,
		.revision	= 0,
		.size		= XT_ALIGN(sizeof(struct xt_lbmss_info)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_lbmss_info)),
		.help		= lbmss_help6,
		.print		= lbmss_print,
		.save		= lbmss_save,
		.x6_parse	= lbmss_parse,
		.x6_fcheck	= lbmss_check,
		.x6_options	= lbmss_opts,
	},
};

/* iptables dlopen()s libxt_LBMSS.so when a rule names LBMSS. */
static void __attribute__((constructor)) lbmss_register(void)
{
	xtables_register_targets(lbmss_targets,
				 sizeof(lbmss_targets) / sizeof(lbmss_targets[0]));
}
