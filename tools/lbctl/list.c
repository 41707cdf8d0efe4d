// SPDX-License-Identifier: GPL-2.0
/*
 * list: services, their backends and counters, in text or JSON from the
 * one print path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "parse.h"
#include "print.h"
#include "table.h"

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

/* col: the backend's ADDR:PORT padded to the service's widest (text). */
static void print_backend(const struct lb_backend *be, const char *col)
{
	char a[LB_ADDRSTRLEN];

	open_object(NULL);
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

/*
 * The backends' ADDR:PORT column of a service, each formatted once and
 * padded to the widest ("%-*s" without printf() for each of many lines).
 */
struct be_col {
	char s[LB_ADDRSTRLEN];
};

static struct be_col *be_cols(const struct lb_svc *s)
{
	static struct be_col *col;
	static unsigned int cap;
	unsigned int i, width = 0, n;

	if (s->nbe > cap) {
		free(col);
		cap = s->nbe;
		col = malloc(cap * sizeof(*col));
		if (!col) {
			perror("lbctl: malloc");
			exit(EXIT_FAIL);
		}
	}
	for (i = 0; i < s->nbe; i++) {
		const struct lb_addr *a = &s->be[i].addr;

		n = strlen(addr_port_str(a->family, a->addr, a->port, col[i].s,
					 sizeof(col[i].s)));
		if (n > width)
			width = n;
	}
	for (i = 0; i < s->nbe; i++) {
		n = strlen(col[i].s);
		memset(col[i].s + n, ' ', width - n);
		col[i].s[width] = 0;
	}
	return col;
}

static void print_service(const struct lb_svc *s)
{
	struct be_col *col = NULL;
	char a[LB_ADDRSTRLEN];
	unsigned int i;

	open_object(NULL);
	print_string(PRINT_JSON, "family", NULL, family_name(s->id.vip.family));
	print_string(PRINT_ANY, "proto", "%s", proto_name(s->id.proto));
	if (!print_json())
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

	if (!print_json())
		col = be_cols(s);
	open_array("backends");
	for (i = 0; i < s->nbe; i++)
		print_backend(&s->be[i], col ? col[i].s : NULL);
	close_array();
	close_object();
}

int list_run(const struct cmd *c, int argc, char **argv)
{
	struct lb_table t = { 0 };
	unsigned int i;
	int err;

	err = table_read(c, argc, argv, &t);
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
