// SPDX-License-Identifier: GPL-2.0
/*
 * conns: the connection table, printed as the dump arrives (the table
 * changes under any dump, so there is nothing to gain by holding it).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "parse.h"
#include "print.h"

static const char *const state_names[] = {
	[NFLB_CONN_NONE] = "NONE",
	[NFLB_CONN_SYN_SENT] = "SYN_SENT",
	[NFLB_CONN_SYN_RECV] = "SYN_RECV",
	[NFLB_CONN_ESTABLISHED] = "ESTABLISHED",
	[NFLB_CONN_FIN_WAIT] = "FIN_WAIT",
	[NFLB_CONN_CLOSE_WAIT] = "CLOSE_WAIT",
	[NFLB_CONN_LAST_ACK] = "LAST_ACK",
	[NFLB_CONN_TIME_WAIT] = "TIME_WAIT",
	[NFLB_CONN_CLOSE] = "CLOSE",
};

struct lb_conn {
	uint16_t family;
	uint8_t proto, state;
	struct lb_addr client, vip, be;
	uint32_t expires, flags;
};

static void parse_conn(const struct nlattr *nest, struct lb_conn *c)
{
	const struct nlattr *a;

	memset(c, 0, sizeof(*c));
	nl_attr_for_each_nested(a, nest) {
		switch (nl_attr_type(a)) {
		case NFLB_CONN_A_FAMILY:
			c->family = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_PROTO:
			c->proto = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_CLIENT_ADDR:
			nl_attr_addr(a, c->client.addr);
			break;
		case NFLB_CONN_A_CLIENT_PORT:
			c->client.port = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_VIP_ADDR:
			nl_attr_addr(a, c->vip.addr);
			break;
		case NFLB_CONN_A_VIP_PORT:
			c->vip.port = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_BE_ADDR:
			nl_attr_addr(a, c->be.addr);
			break;
		case NFLB_CONN_A_BE_PORT:
			c->be.port = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_STATE:
			c->state = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_EXPIRES:
			c->expires = nl_attr_uint(a);
			break;
		case NFLB_CONN_A_FLAGS:
			c->flags = nl_attr_uint(a);
			break;
		}
	}
	/* The backend may be of another family than the client (a tunnel
	 * to an IPv6 backend); without a family of its own, a 16-byte
	 * address with 12 zero bytes at the end is IPv4.
	 */
	c->client.family = c->vip.family = c->family;
	c->be.family = c->family;
}

static void print_endpoint(const char *key, const struct lb_addr *a)
{
	char s[LB_ADDRSTRLEN], col[LB_ADDRSTRLEN + 4];
	char portkey[32];

	addr_port_str(a->family, a->addr, a->port, s, sizeof(s));
	snprintf(col, sizeof(col), "%-22s", s);
	print_string(PRINT_FP, NULL, "  %s", col);
	print_string(PRINT_JSON, key, NULL,
		     addr_str(a->family, a->addr, s, sizeof(s)));
	snprintf(portkey, sizeof(portkey), "%s_port", key);
	print_uint(PRINT_JSON, portkey, NULL, a->port);
}

static void print_conn(const struct lb_conn *c)
{
	char exp[32];
	const char *state = "?";
	bool tmpl = c->flags & NFLB_CONN_F_TEMPLATE;

	if (c->state < sizeof(state_names) / sizeof(state_names[0]))
		state = state_names[c->state];
	open_object(NULL);
	print_string(PRINT_JSON, "family", NULL,
		     c->family == AF_INET6 ? "inet6" : "inet");
	print_string(PRINT_ANY, "proto", "%-5s", proto_name(c->proto));
	print_endpoint("client", &c->client);
	print_endpoint("vip", &c->vip);
	print_endpoint("backend", &c->be);
	print_string(PRINT_ANY, "state", "  %-11s", tmpl ? "PERSIST" : state);
	if (tmpl)
		print_string(PRINT_JSON, "tcp_state", NULL, state);
	print_bool(PRINT_JSON, "template", NULL, tmpl);
	snprintf(exp, sizeof(exp), "%u.%us", c->expires / 1000,
		 c->expires % 1000 / 100);
	print_string(PRINT_FP, NULL, "  %s", exp);
	print_uint(PRINT_JSON, "expires_ms", NULL, c->expires);
	print_nl();
	close_object();
}

static int conn_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	struct lb_conn c;

	(void)data;
	nl_attr_for_each_genl(a, nlh) {
		if (nl_attr_type(a) != NFLB_A_CONN)
			continue;
		parse_conn(a, &c);
		print_conn(&c);
	}
	return 0;
}

int conns_run(const struct cmd *c, int argc, char **argv)
{
	char buf[NL_REQ_SIZE] = { 0 };
	struct lb_service svc;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	nlh = nl_put(buf, NFLB_CMD_GET_CONN);
	if (argc) {
		err = parse_service(c, &argc, &argv, &svc);
		if (err)
			return err;
		if (argc)
			return usage(c, "unknown option \"%s\" for %s",
				     argv[0], c->name);
		nest = nl_attr_nest_start(nlh, NFLB_A_SERVICE);
		put_service_id(nlh, &svc);
		nl_attr_nest_end(nlh, nest);
	}
	nl_open();
	/* The header uses the widths print_conn() uses. */
	if (!print_json())
		printf("%-5s  %-22s  %-22s  %-22s  %-11s  %s\n", "proto",
		       "client", "vip", "backend", "state", "expires");
	open_array(NULL);
	err = nl_dump(nlh, conn_cb, NULL, NULL);
	close_array();
	print_done();
	return err ? nl_perror(err) : EXIT_OK;
}
