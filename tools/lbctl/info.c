// SPDX-License-Identifier: GPL-2.0
/*
 * info (module version, limits, timeouts, drop counters) and
 * set-timeouts, which share the timeout names.
 */
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "parse.h"
#include "print.h"

/* By NFLB_TIMEOUT_A_*; the same words on the command line and in JSON. */
static const char *const timeout_names[] = {
	[NFLB_TIMEOUT_A_TCP] = "tcp",
	[NFLB_TIMEOUT_A_TCP_FIN] = "tcpfin",
	[NFLB_TIMEOUT_A_UDP] = "udp",
};

/* By enum nflb_drop_reason. */
static const char *const drop_names[] = {
	[NFLB_DROP_MALFORMED] = "malformed",
	[NFLB_DROP_NO_BACKEND] = "no_backend",
	[NFLB_DROP_CONN_LIMIT] = "conn_limit",
	[NFLB_DROP_NO_MEM] = "no_mem",
	[NFLB_DROP_NO_CONN] = "no_conn",
	[NFLB_DROP_BACKEND_GONE] = "backend_gone",
	[NFLB_DROP_XMIT] = "xmit",
	[NFLB_DROP_TOO_BIG] = "too_big",
	[NFLB_DROP_TTL] = "ttl",
	[NFLB_DROP_SOURCE] = "source",
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int timeouts_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		   char **argv)
{
	unsigned int seen = 0, i;
	struct nlattr *nest;
	char what[32];
	const char *val;
	uint32_t v;
	int err;

	nest = nl_attr_nest_start(nlh, NFLB_A_TIMEOUTS);
	for (; argc > 0; argc--, argv++) {
		for (i = 1; i < ARRAY_SIZE(timeout_names); i++)
			if (!strcmp(argv[0], timeout_names[i]))
				break;
		if (i == ARRAY_SIZE(timeout_names))
			return usage(c, "unknown option \"%s\" for %s",
				     argv[0], c->name);
		if (seen & (1U << i))
			return usage(c, "option \"%s\" given twice", argv[0]);
		seen |= 1U << i;
		err = next_value(c, &argc, &argv, &val);
		snprintf(what, sizeof(what), "%s timeout", timeout_names[i]);
		if (!err)
			err = parse_u32(what, val, 1, NFLB_TIMEOUT_MAX, &v);
		if (err)
			return err;
		nl_attr_put_u32(nlh, i, v);
	}
	if (!seen)
		return usage(c, "%s needs at least one of tcp, tcpfin, udp",
			     c->name);
	nl_attr_nest_end(nlh, nest);
	return 0;
}

static void print_timeouts(const struct nlattr *nest)
{
	const struct nlattr *a;
	char fmt[32];

	open_object("timeouts");
	print_string(PRINT_FP, NULL, "%s", "timeouts");
	mnl_attr_for_each_nested(a, nest) {
		unsigned int t = mnl_attr_get_type(a);

		if (t >= ARRAY_SIZE(timeout_names) || !timeout_names[t] ||
		    mnl_attr_validate(a, MNL_TYPE_U32))
			continue;
		snprintf(fmt, sizeof(fmt), "  %s %%llus", timeout_names[t]);
		print_uint(PRINT_ANY, timeout_names[t], fmt,
			   mnl_attr_get_u32(a));
	}
	close_object();
	print_nl();
}

static void print_drops(const struct nlattr *nest)
{
	const struct nlattr *a;
	char key[32], fmt[48];

	open_object("drops");
	print_string(PRINT_FP, NULL, "%s", "drops");
	mnl_attr_for_each_nested(a, nest) {
		unsigned int reason = mnl_attr_get_type(a) - 1;

		if (mnl_attr_validate(a, MNL_TYPE_U64))
			continue;
		/* A newer module may count reasons this lbctl has no name
		 * for; show them by number rather than hide them.
		 */
		if (reason < ARRAY_SIZE(drop_names))
			snprintf(key, sizeof(key), "%s", drop_names[reason]);
		else
			snprintf(key, sizeof(key), "reason_%u", reason);
		snprintf(fmt, sizeof(fmt), "  %s %%llu", key);
		print_uint(PRINT_ANY, key, fmt, mnl_attr_get_u64(a));
	}
	close_object();
	print_nl();
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top, *a;
	uint32_t u[NFLB_INFO_A_MAX + 1] = { 0 };
	const struct nlattr *tmo = NULL, *drops = NULL;
	const char *version = "?";
	int hooked = -1;	/* not said: an older module */

	(void)data;
	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != NFLB_A_INFO)
			continue;
		mnl_attr_for_each_nested(a, top) {
			unsigned int t = mnl_attr_get_type(a);

			switch (t) {
			case NFLB_INFO_A_VERSION:
				if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
					version = mnl_attr_get_str(a);
				break;
			case NFLB_INFO_A_MAX_SERVICES:
			case NFLB_INFO_A_MAX_BACKENDS:
			case NFLB_INFO_A_SERVICES:
			case NFLB_INFO_A_CONN_MAX:
			case NFLB_INFO_A_CONNS:
			case NFLB_INFO_A_CONN_BUCKETS:
				if (!mnl_attr_validate(a, MNL_TYPE_U32))
					u[t] = mnl_attr_get_u32(a);
				break;
			case NFLB_INFO_A_HOOKED:
				if (!mnl_attr_validate(a, MNL_TYPE_U8))
					hooked = mnl_attr_get_u8(a);
				break;
			case NFLB_INFO_A_TIMEOUTS:
				tmo = a;
				break;
			case NFLB_INFO_A_DROPS:
				drops = a;
				break;
			}
		}
	}

	open_object(NULL);
	print_string(PRINT_ANY, "version", "nflb %s\n", version);
	print_uint(PRINT_ANY, "services", "services %llu",
		   u[NFLB_INFO_A_SERVICES]);
	print_uint(PRINT_ANY, "max_services", " of %llu",
		   u[NFLB_INFO_A_MAX_SERVICES]);
	print_uint(PRINT_ANY, "max_backends",
		   "  max backends per service %llu\n",
		   u[NFLB_INFO_A_MAX_BACKENDS]);
	print_uint(PRINT_ANY, "conns", "conns %llu", u[NFLB_INFO_A_CONNS]);
	print_uint(PRINT_ANY, "conn_max", " of %llu",
		   u[NFLB_INFO_A_CONN_MAX]);
	/* 0: none yet (before the first service), or an older module. */
	if (u[NFLB_INFO_A_CONN_BUCKETS])
		print_uint(PRINT_ANY, "conn_buckets", "  hash buckets %llu",
			   u[NFLB_INFO_A_CONN_BUCKETS]);
	print_nl();
	if (hooked >= 0) {
		print_bool(PRINT_JSON, "hooked", NULL, hooked);
		print_string(PRINT_FP, NULL, "hooks %s\n",
			     hooked ? "in this namespace's packet path" :
			     "none here yet (the first service adds them)");
	}
	if (tmo)
		print_timeouts(tmo);
	if (drops)
		print_drops(drops);
	close_object();
	return 0;
}

int info_run(const struct cmd *c, int argc, char **argv)
{
	char buf[NL_REQ_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int err;

	if (argc)
		return usage(c, "unknown option \"%s\" for %s", argv[0], c->name);
	nlh = nl_put(buf, NFLB_CMD_GET_INFO);
	nl_open();
	err = nl_request(nlh, info_cb, NULL);
	if (err)
		return nl_perror(err);
	return print_done();
}
