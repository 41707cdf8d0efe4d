// SPDX-License-Identifier: GPL-2.0
/*
 * The requests that change services and backends: add-, set-, del-service,
 * add-, set-, del-backend and flush.  Each only builds its message, so the
 * command line and restore share them.
 */
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "parse.h"

enum svc_opt {
	OPT_SCHED,
	OPT_MODE,
	OPT_TUNNEL,
	OPT_GUE_PORT,
	OPT_PERSIST,
	OPT_MSS_CLAMP,
};

static const char *const svc_opts[] = {
	[OPT_SCHED] = "sched",
	[OPT_MODE] = "mode",
	[OPT_TUNNEL] = "tunnel",
	[OPT_GUE_PORT] = "gue-port",
	[OPT_PERSIST] = "persist",
	[OPT_MSS_CLAMP] = "mss-clamp",
	NULL
};

static int put_svc_opt(struct nlmsghdr *nlh, int opt, const char *val)
{
	uint32_t v;
	uint16_t port;
	int i, err;

	switch (opt) {
	case OPT_SCHED:
		/* Which schedulers exist is the kernel's to say (its
		 * refusal names the bad one); only a name that cannot fit
		 * the attribute is refused here.
		 */
		if (!val[0] || strlen(val) >= NFLB_SCHED_NAME_MAX)
			return fail("unknown scheduler \"%s\"", val);
		nl_attr_put_strz(nlh, NFLB_SVC_A_SCHED, val);
		return 0;
	case OPT_MODE:
		i = parse_keyword(val, mode_names);
		if (i < 0)
			return fail("unknown mode \"%s\" (nat, dr or tun)", val);
		nl_attr_put_u8(nlh, NFLB_SVC_A_MODE, i);
		return 0;
	case OPT_TUNNEL:
		i = parse_keyword(val, tunnel_names);
		if (i < 0)
			return fail("unknown tunnel \"%s\" (ipip or gue)", val);
		nl_attr_put_u8(nlh, NFLB_SVC_A_TUNNEL, i);
		return 0;
	case OPT_GUE_PORT:
		err = parse_port("gue-port", val, &port);
		if (!err)
			nl_attr_put_u16(nlh, NFLB_SVC_A_GUE_PORT, port);
		return err;
	case OPT_PERSIST:
		err = parse_u32("persist", val, 0, NFLB_PERSIST_MAX, &v);
		if (!err)
			nl_attr_put_u32(nlh, NFLB_SVC_A_PERSIST, v);
		return err;
	case OPT_MSS_CLAMP:
		if (!strcmp(val, "off")) {
			nl_attr_put_u8(nlh, NFLB_SVC_A_MSS_MODE, NFLB_MSS_OFF);
			return 0;
		}
		if (!strcmp(val, "auto")) {
			nl_attr_put_u8(nlh, NFLB_SVC_A_MSS_MODE, NFLB_MSS_AUTO);
			return 0;
		}
		err = parse_u32("mss-clamp", val, NFLB_MSS_MIN, 65535, &v);
		if (err)
			return err;
		nl_attr_put_u8(nlh, NFLB_SVC_A_MSS_MODE, NFLB_MSS_FIXED);
		nl_attr_put_u16(nlh, NFLB_SVC_A_MSS, v);
		return 0;
	}
	return EXIT_FAIL;
}

/* add-service, set-service */
int svc_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
	      char **argv)
{
	struct lb_service svc;
	struct nlattr *nest;
	unsigned int seen = 0;
	const char *val;
	int opt, err;

	err = parse_service(c, &argc, &argv, &svc);
	if (err)
		return err;
	nest = nl_attr_nest_start(nlh, NFLB_A_SERVICE);
	put_service_id(nlh, &svc);
	for (; argc > 0; argc--, argv++) {
		opt = parse_keyword(argv[0], svc_opts);
		if (opt < 0)
			return usage(c, "unknown option \"%s\" for %s",
				     argv[0], c->name);
		if (seen & (1U << opt))
			return usage(c, "option \"%s\" given twice", argv[0]);
		seen |= 1U << opt;
		err = next_value(c, &argc, &argv, &val);
		if (!err)
			err = put_svc_opt(nlh, opt, val);
		if (err)
			return err;
	}
	nl_attr_nest_end(nlh, nest);
	return 0;
}

/* del-service */
int svc_del_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		  char **argv)
{
	struct lb_service svc;
	struct nlattr *nest;
	int err;

	err = parse_service(c, &argc, &argv, &svc);
	if (err)
		return err;
	if (argc)
		return usage(c, "unknown option \"%s\" for %s", argv[0], c->name);
	nest = nl_attr_nest_start(nlh, NFLB_A_SERVICE);
	put_service_id(nlh, &svc);
	nl_attr_nest_end(nlh, nest);
	return 0;
}

/* add-backend, set-backend, del-backend */
int be_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
	     char **argv)
{
	bool has_weight = false;
	struct lb_service svc;
	struct lb_addr be;
	struct nlattr *nest;
	uint32_t weight = 1;
	const char *val;
	int err;

	err = parse_service(c, &argc, &argv, &svc);
	if (err)
		return err;
	if (argc < 1)
		return usage(c, "missing backend ADDR[:PORT]");
	err = parse_addr(argv[0], &be, false);
	if (err)
		return err;
	if (!be.port)
		be.port = svc.vip.port;
	for (argc--, argv++; argc > 0; argc--, argv++) {
		if (c->nl_cmd == NFLB_CMD_DEL_BACKEND || strcmp(argv[0], "weight"))
			return usage(c, "unknown option \"%s\" for %s",
				     argv[0], c->name);
		if (has_weight)
			return usage(c, "option \"weight\" given twice");
		err = next_value(c, &argc, &argv, &val);
		if (!err)
			err = parse_u32("weight", val, 0, NFLB_WEIGHT_MAX, &weight);
		if (err)
			return err;
		has_weight = true;
	}
	if (c->nl_cmd == NFLB_CMD_SET_BACKEND && !has_weight)
		return usage(c, "missing \"weight N\" for %s", c->name);

	nest = nl_attr_nest_start(nlh, NFLB_A_SERVICE);
	put_service_id(nlh, &svc);
	nl_attr_nest_end(nlh, nest);
	nest = nl_attr_nest_start(nlh, NFLB_A_BACKEND);
	put_backend_id(nlh, &be);
	if (has_weight)
		nl_attr_put_u32(nlh, NFLB_BE_A_WEIGHT, weight);
	nl_attr_nest_end(nlh, nest);
	return 0;
}

/* flush */
int flush_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		char **argv)
{
	(void)nlh;
	if (argc)
		return usage(c, "unknown option \"%s\" for %s", argv[0], c->name);
	return 0;
}

/* Reads the naming attributes of a service or backend nest back. */
static void get_id(const struct nlattr *nest, bool svc, uint8_t *proto,
		   struct lb_addr *a)
{
	const struct nlattr *x;

	memset(a, 0, sizeof(*a));
	mnl_attr_for_each_nested(x, nest) {
		unsigned int t = mnl_attr_get_type(x);

		if (t == (svc ? NFLB_SVC_A_FAMILY : NFLB_BE_A_FAMILY))
			a->family = mnl_attr_get_u16(x);
		else if (t == (svc ? NFLB_SVC_A_ADDR : NFLB_BE_A_ADDR))
			memcpy(a->addr, mnl_attr_get_payload(x), NFLB_ADDR_LEN);
		else if (t == (svc ? NFLB_SVC_A_PORT : NFLB_BE_A_PORT))
			a->port = mnl_attr_get_u16(x);
		else if (svc && t == NFLB_SVC_A_PROTO)
			*proto = mnl_attr_get_u8(x);
	}
}

/*
 * The kernel's extack messages are fixed strings ("service already
 * exists"); when one is about the service or backend of the request, the
 * object's name goes in after the first word, so that a failure in a
 * long restore says which one: "service tcp 10.0.0.100:80 already exists".
 * The names come from the request itself, which is what the kernel saw.
 */
void name_objects(const struct nlmsghdr *req, char *msg, size_t len)
{
	static const char *const phrases[] = {
		"already exists", "not found", "does not exist", NULL
	};
	char name[LB_ADDRSTRLEN + 8], a[LB_ADDRSTRLEN], out[512];
	const struct nlattr *nest;
	const char *rest;
	struct lb_addr addr;
	uint8_t proto = 0;
	bool svc;

	if (!strncmp(msg, "service ", 8))
		svc = true;
	else if (!strncmp(msg, "backend ", 8))
		svc = false;
	else
		return;
	rest = msg + 8;
	if (parse_keyword(rest, phrases) < 0)
		return;
	mnl_attr_for_each(nest, req, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(nest) != (svc ? NFLB_A_SERVICE : NFLB_A_BACKEND))
			continue;
		get_id(nest, svc, &proto, &addr);
		addr_port_str(addr.family, addr.addr, addr.port, a, sizeof(a));
		if (svc)
			snprintf(name, sizeof(name), "%s %s", proto_name(proto), a);
		else
			snprintf(name, sizeof(name), "%s", a);
		snprintf(out, sizeof(out), "%.8s%s %s", msg, name, rest);
		snprintf(msg, len, "%s", out);
		return;
	}
}
