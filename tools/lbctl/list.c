// SPDX-License-Identifier: GPL-2.0
/*
 * list and save: read every service (or one) with its backends from the
 * kernel into memory, then print them.  Reading everything first is what
 * lets an interrupted dump start over without having printed half of it,
 * and lets the text output align its columns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "parse.h"
#include "print.h"

struct lb_stats {
	uint64_t conns, pkts_in, pkts_out, bytes_in, bytes_out;
};

struct lb_backend {
	struct lb_addr addr;
	uint32_t weight;
	uint32_t active, inactive;
	struct lb_stats stats;
};

struct lb_svc {
	struct lb_service id;
	char sched[NFLB_SCHED_NAME_MAX];
	uint8_t mode, tunnel, mss_mode;
	uint16_t gue_port, mss;
	uint32_t persist, flags;
	struct lb_stats stats;
	struct lb_backend *be;
	unsigned int nbe, cap;
};

struct lb_table {
	struct lb_svc *svc;
	unsigned int n, cap;
};

static void *grow(void *p, unsigned int *cap, size_t size)
{
	unsigned int n = *cap ? *cap * 2 : 16;

	p = realloc(p, n * size);
	if (!p) {
		perror("lbctl: realloc");
		exit(EXIT_FAIL);
	}
	*cap = n;
	return p;
}

static void table_reset(void *data)
{
	struct lb_table *t = data;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		free(t->svc[i].be);
	t->n = 0;
}

static void get_addr(const struct nlattr *a, uint8_t *addr)
{
	if (mnl_attr_get_payload_len(a) == NFLB_ADDR_LEN)
		memcpy(addr, mnl_attr_get_payload(a), NFLB_ADDR_LEN);
}

/* Counters are u64; a u32 is taken too, in case a module sends one. */
static uint64_t get_uint(const struct nlattr *a)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		return mnl_attr_get_u8(a);
	case 2:
		return mnl_attr_get_u16(a);
	case 4:
		return mnl_attr_get_u32(a);
	case 8:
		return mnl_attr_get_u64(a);
	}
	return 0;
}

static void parse_stats(const struct nlattr *nest, struct lb_stats *s)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NFLB_STATS_A_CONNS:
			s->conns = get_uint(a);
			break;
		case NFLB_STATS_A_PKTS_IN:
			s->pkts_in = get_uint(a);
			break;
		case NFLB_STATS_A_PKTS_OUT:
			s->pkts_out = get_uint(a);
			break;
		case NFLB_STATS_A_BYTES_IN:
			s->bytes_in = get_uint(a);
			break;
		case NFLB_STATS_A_BYTES_OUT:
			s->bytes_out = get_uint(a);
			break;
		}
	}
}

static void parse_backend(const struct nlattr *nest, struct lb_backend *be)
{
	const struct nlattr *a;

	memset(be, 0, sizeof(*be));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NFLB_BE_A_FAMILY:
			be->addr.family = get_uint(a);
			break;
		case NFLB_BE_A_ADDR:
			get_addr(a, be->addr.addr);
			break;
		case NFLB_BE_A_PORT:
			be->addr.port = get_uint(a);
			break;
		case NFLB_BE_A_WEIGHT:
			be->weight = get_uint(a);
			break;
		case NFLB_BE_A_ACTIVE_CONNS:
			be->active = get_uint(a);
			break;
		case NFLB_BE_A_INACTIVE_CONNS:
			be->inactive = get_uint(a);
			break;
		case NFLB_BE_A_STATS:
			parse_stats(a, &be->stats);
			break;
		}
	}
}

static void parse_service_attrs(const struct nlattr *nest, struct lb_svc *s,
				const struct nlattr **backends)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NFLB_SVC_A_FAMILY:
			s->id.vip.family = get_uint(a);
			break;
		case NFLB_SVC_A_PROTO:
			s->id.proto = get_uint(a);
			break;
		case NFLB_SVC_A_ADDR:
			get_addr(a, s->id.vip.addr);
			break;
		case NFLB_SVC_A_PORT:
			s->id.vip.port = get_uint(a);
			break;
		case NFLB_SVC_A_SCHED:
			snprintf(s->sched, sizeof(s->sched), "%.*s",
				 (int)strnlen(mnl_attr_get_payload(a),
					      mnl_attr_get_payload_len(a)),
				 (const char *)mnl_attr_get_payload(a));
			break;
		case NFLB_SVC_A_MODE:
			s->mode = get_uint(a);
			break;
		case NFLB_SVC_A_TUNNEL:
			s->tunnel = get_uint(a);
			break;
		case NFLB_SVC_A_GUE_PORT:
			s->gue_port = get_uint(a);
			break;
		case NFLB_SVC_A_PERSIST:
			s->persist = get_uint(a);
			break;
		case NFLB_SVC_A_MSS_MODE:
			s->mss_mode = get_uint(a);
			break;
		case NFLB_SVC_A_MSS:
			s->mss = get_uint(a);
			break;
		case NFLB_SVC_A_FLAGS:
			s->flags = get_uint(a);
			break;
		case NFLB_SVC_A_STATS:
			parse_stats(a, &s->stats);
			break;
		case NFLB_SVC_A_BACKENDS:
			*backends = a;
			break;
		}
	}
}

static bool same_service(const struct lb_service *a, const struct lb_service *b)
{
	return a->proto == b->proto && a->vip.family == b->vip.family &&
	       a->vip.port == b->vip.port &&
	       !memcmp(a->vip.addr, b->vip.addr, NFLB_ADDR_LEN);
}

static int svc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top, *backends = NULL, *a;
	struct lb_table *t = data;
	struct lb_svc s, *cur;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != NFLB_A_SERVICE)
			continue;
		memset(&s, 0, sizeof(s));
		backends = NULL;
		parse_service_attrs(top, &s, &backends);
		/* A service too big for one message goes on at the start of
		 * the next: the same service again, with more backends.
		 */
		if (t->n && same_service(&t->svc[t->n - 1].id, &s.id)) {
			cur = &t->svc[t->n - 1];
		} else {
			if (t->n == t->cap)
				t->svc = grow(t->svc, &t->cap, sizeof(*t->svc));
			cur = &t->svc[t->n++];
			*cur = s;
		}
		if (!backends)
			continue;
		mnl_attr_for_each_nested(a, backends) {
			if (mnl_attr_get_type(a) != NFLB_A_BACKEND)
				continue;
			if (cur->nbe == cur->cap)
				cur->be = grow(cur->be, &cur->cap, sizeof(*cur->be));
			parse_backend(a, &cur->be[cur->nbe++]);
		}
	}
	return 0;
}

/* Fills t with every service, or with the one named by argv. */
static int read_services(const struct cmd *c, int argc, char **argv,
			 struct lb_table *t)
{
	char buf[NL_REQ_SIZE];
	struct lb_service svc;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	nlh = nl_put(buf, NFLB_CMD_GET_SERVICE);
	if (argc) {
		err = parse_service(c, &argc, &argv, &svc);
		if (err)
			return err;
		if (argc)
			return usage(c, "unknown option \"%s\" for %s",
				     argv[0], c->name);
		nest = mnl_attr_nest_start(nlh, NFLB_A_SERVICE);
		put_service_id(nlh, &svc);
		mnl_attr_nest_end(nlh, nest);
		nl_open();
		err = nl_request(nlh, svc_cb, t);
		if (err)
			name_objects(nlh, nl_errmsg, sizeof(nl_errmsg));
	} else {
		nl_open();
		err = nl_dump(nlh, svc_cb, t, table_reset);
	}
	return err ? nl_perror(err) : 0;
}

static void print_stats(const struct lb_stats *s)
{
	open_object("stats");
	print_uint(PRINT_ANY, "conns", "  conns %llu", s->conns);
	print_uint(PRINT_ANY, "pkts_in", "  in %llu pkts", s->pkts_in);
	print_uint(PRINT_ANY, "bytes_in", " %llu bytes", s->bytes_in);
	print_uint(PRINT_ANY, "pkts_out", "  out %llu pkts", s->pkts_out);
	print_uint(PRINT_ANY, "bytes_out", " %llu bytes", s->bytes_out);
	close_object();
}

static const char *family_name(uint16_t family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static const char *name_of(const char *const *names, unsigned int n,
			   unsigned int i)
{
	static char buf[16];
	unsigned int k;

	for (k = 0; k < n && names[k]; k++)
		if (k == i)
			return names[k];
	snprintf(buf, sizeof(buf), "%u", i);
	return buf;
}

static void print_backend(const struct lb_backend *be, int width)
{
	char a[LB_ADDRSTRLEN], col[LB_ADDRSTRLEN + 8];

	open_object(NULL);
	addr_port_str(be->addr.family, be->addr.addr, be->addr.port, a,
		      sizeof(a));
	snprintf(col, sizeof(col), "%-*s", width, a);
	print_string(PRINT_FP, NULL, "  -> %s", col);
	print_string(PRINT_JSON, "family", NULL, family_name(be->addr.family));
	print_string(PRINT_JSON, "addr", NULL,
		     addr_str(be->addr.family, be->addr.addr, a, sizeof(a)));
	print_uint(PRINT_JSON, "port", NULL, be->addr.port);
	print_uint(PRINT_ANY, "weight", "  weight %llu", be->weight);
	print_uint(PRINT_ANY, "active_conns", "  active %llu", be->active);
	print_uint(PRINT_ANY, "inactive_conns", "  inactive %llu",
		   be->inactive);
	print_stats(&be->stats);
	print_nl();
	close_object();
}

static void print_service(const struct lb_svc *s)
{
	char a[LB_ADDRSTRLEN];
	unsigned int i;
	int width = 0, w;

	open_object(NULL);
	print_string(PRINT_JSON, "family", NULL, family_name(s->id.vip.family));
	print_string(PRINT_ANY, "proto", "%s", proto_name(s->id.proto));
	print_string(PRINT_FP, NULL, "  %s",
		     addr_port_str(s->id.vip.family, s->id.vip.addr,
				   s->id.vip.port, a, sizeof(a)));
	print_string(PRINT_JSON, "vip", NULL,
		     addr_str(s->id.vip.family, s->id.vip.addr, a, sizeof(a)));
	print_uint(PRINT_JSON, "port", NULL, s->id.vip.port);
	print_string(PRINT_ANY, "sched", "  sched %s", s->sched);
	print_string(PRINT_ANY, "mode", "  mode %s",
		     name_of(mode_names, 3, s->mode));
	if (s->mode == NFLB_FWD_TUN) {
		print_string(PRINT_ANY, "tunnel", "  tunnel %s",
			     name_of(tunnel_names, 2, s->tunnel));
		if (s->tunnel == NFLB_TUNNEL_GUE)
			print_uint(PRINT_ANY, "gue_port", "  gue-port %llu",
				   s->gue_port);
	}
	print_uint(PRINT_ANY, "persist", "  persist %llu", s->persist);
	switch (s->mss_mode) {
	case NFLB_MSS_OFF:
		print_string(PRINT_JSON, "mss_clamp", NULL, "off");
		break;
	case NFLB_MSS_AUTO:
		print_string(PRINT_ANY, "mss_clamp", "  mss-clamp %s", "auto");
		break;
	default:
		print_string(PRINT_JSON, "mss_clamp", NULL, "fixed");
		print_uint(PRINT_ANY, "mss", "  mss-clamp %llu", s->mss);
		break;
	}
	print_nl();
	print_stats(&s->stats);
	print_nl();

	for (i = 0; i < s->nbe; i++) {
		w = strlen(addr_port_str(s->be[i].addr.family,
					 s->be[i].addr.addr,
					 s->be[i].addr.port, a, sizeof(a)));
		if (w > width)
			width = w;
	}
	open_array("backends");
	for (i = 0; i < s->nbe; i++)
		print_backend(&s->be[i], width);
	close_array();
	close_object();
}

int list_run(const struct cmd *c, int argc, char **argv)
{
	struct lb_table t = { 0 };
	unsigned int i;
	int err;

	err = read_services(c, argc, argv, &t);
	if (err)
		return err;
	open_array(NULL);
	for (i = 0; i < t.n; i++)
		print_service(&t.svc[i]);
	close_array();
	table_reset(&t);
	free(t.svc);
	return print_done();
}

/* save: the configuration as restore input.  Options at their defaults
 * are left out, except sched and mode, which say what the service is.
 */
int save_run(const struct cmd *c, int argc, char **argv)
{
	char a[LB_ADDRSTRLEN], b[LB_ADDRSTRLEN];
	struct lb_table t = { 0 };
	const struct lb_svc *s;
	unsigned int i, k;
	int err;

	if (argc)
		return usage(c, "unknown option \"%s\" for %s", argv[0], c->name);
	err = read_services(c, 0, NULL, &t);
	if (err)
		return err;
	for (i = 0; i < t.n; i++) {
		s = &t.svc[i];
		addr_port_str(s->id.vip.family, s->id.vip.addr, s->id.vip.port,
			      a, sizeof(a));
		printf("add-service %s %s sched %s mode %s",
		       proto_name(s->id.proto), a, s->sched,
		       name_of(mode_names, 3, s->mode));
		if (s->mode == NFLB_FWD_TUN) {
			printf(" tunnel %s", name_of(tunnel_names, 2, s->tunnel));
			if (s->tunnel == NFLB_TUNNEL_GUE)
				printf(" gue-port %u", s->gue_port);
		}
		if (s->persist)
			printf(" persist %u", s->persist);
		if (s->mss_mode == NFLB_MSS_AUTO)
			printf(" mss-clamp auto");
		else if (s->mss_mode == NFLB_MSS_FIXED)
			printf(" mss-clamp %u", s->mss);
		putchar('\n');
		for (k = 0; k < s->nbe; k++)
			printf("add-backend %s %s %s weight %u\n",
			       proto_name(s->id.proto), a,
			       addr_port_str(s->be[k].addr.family,
					     s->be[k].addr.addr,
					     s->be[k].addr.port, b, sizeof(b)),
			       s->be[k].weight);
	}
	table_reset(&t);
	free(t.svc);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
