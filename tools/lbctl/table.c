// SPDX-License-Identifier: GPL-2.0
/*
 * Reading every service (or one) with its backends from the kernel into
 * memory.  Reading everything before printing anything is what lets an
 * interrupted dump start over without having printed half of it, and lets
 * list align its columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "parse.h"
#include "table.h"

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

void table_reset(void *data)
{
	struct lb_table *t = data;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		free(t->svc[i].be);
	t->n = 0;
}

static void parse_stats(const struct nlattr *nest, struct lb_stats *s)
{
	const struct nlattr *a;

	nl_attr_for_each_nested(a, nest) {
		switch (nl_attr_type(a)) {
		case NFLB_STATS_A_CONNS:
			s->conns = nl_attr_uint(a);
			break;
		case NFLB_STATS_A_PKTS_IN:
			s->pkts_in = nl_attr_uint(a);
			break;
		case NFLB_STATS_A_PKTS_OUT:
			s->pkts_out = nl_attr_uint(a);
			break;
		case NFLB_STATS_A_BYTES_IN:
			s->bytes_in = nl_attr_uint(a);
			break;
		case NFLB_STATS_A_BYTES_OUT:
			s->bytes_out = nl_attr_uint(a);
			break;
		}
	}
}

static void parse_backend(const struct nlattr *nest, struct lb_backend *be)
{
	const struct nlattr *a;

	memset(be, 0, sizeof(*be));
	nl_attr_for_each_nested(a, nest) {
		switch (nl_attr_type(a)) {
		case NFLB_BE_A_FAMILY:
			be->addr.family = nl_attr_uint(a);
			break;
		case NFLB_BE_A_ADDR:
			nl_attr_addr(a, be->addr.addr);
			break;
		case NFLB_BE_A_PORT:
			be->addr.port = nl_attr_uint(a);
			break;
		case NFLB_BE_A_WEIGHT:
			be->weight = nl_attr_uint(a);
			break;
		case NFLB_BE_A_ACTIVE_CONNS:
			be->active = nl_attr_uint(a);
			break;
		case NFLB_BE_A_INACTIVE_CONNS:
			be->inactive = nl_attr_uint(a);
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

	nl_attr_for_each_nested(a, nest) {
		switch (nl_attr_type(a)) {
		case NFLB_SVC_A_FAMILY:
			s->id.vip.family = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_PROTO:
			s->id.proto = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_ADDR:
			nl_attr_addr(a, s->id.vip.addr);
			break;
		case NFLB_SVC_A_PORT:
			s->id.vip.port = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_SCHED: {
			/* Up to its NUL or the attribute's end, truncated
			 * to our buffer (no snprintf() for each service).
			 */
			size_t n = strnlen(nl_attr_data(a), nl_attr_len(a));

			if (n >= sizeof(s->sched))
				n = sizeof(s->sched) - 1;
			memcpy(s->sched, nl_attr_data(a), n);
			s->sched[n] = 0;
			break;
		}
		case NFLB_SVC_A_MODE:
			s->mode = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_TUNNEL:
			s->tunnel = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_GUE_PORT:
			s->gue_port = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_PERSIST:
			s->persist = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_MSS_MODE:
			s->mss_mode = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_MSS:
			s->mss = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_FLAGS:
			s->flags = nl_attr_uint(a);
			break;
		case NFLB_SVC_A_STATS:
			parse_stats(a, &s->stats);
			break;
		case NFLB_SVC_A_NUM_BACKENDS:
			s->num_backends = nl_attr_uint(a);
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

	nl_attr_for_each_genl(top, nlh) {
		if (nl_attr_type(top) != NFLB_A_SERVICE)
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
		/* As many as the kernel says there are, at once. */
		if (!cur->cap && cur->num_backends) {
			cur->be = malloc(cur->num_backends * sizeof(*cur->be));
			if (!cur->be) {
				perror("lbctl: malloc");
				exit(EXIT_FAIL);
			}
			cur->cap = cur->num_backends;
		}
		nl_attr_for_each_nested(a, backends) {
			if (nl_attr_type(a) != NFLB_A_BACKEND)
				continue;
			if (cur->nbe == cur->cap)
				cur->be = grow(cur->be, &cur->cap, sizeof(*cur->be));
			parse_backend(a, &cur->be[cur->nbe++]);
		}
	}
	return 0;
}

int table_read(const struct cmd *c, int argc, char **argv,
			 struct lb_table *t)
{
	char buf[NL_REQ_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int err;

	nlh = nl_put(buf, NFLB_CMD_GET_SERVICE);
	if (!argc) {
		nl_open();
		err = nl_dump(nlh, svc_cb, t, table_reset);
		return err ? nl_perror(err) : 0;
	}

	/* A dump naming the service (as del-service names it), not a
	 * single request: its reply is one message, which a service with
	 * many backends would overflow.
	 */
	err = svc_del_build(c, nlh, argc, argv);
	if (err)
		return err;
	nl_open();
	err = nl_dump(nlh, svc_cb, t, table_reset);
	if (err) {
		name_objects(nlh, nl_errmsg, sizeof(nl_errmsg));
		return nl_perror(err);
	}
	return 0;
}

const char *name_of(const char *const *names, unsigned int n,
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
