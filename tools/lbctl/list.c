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

static void print_backend(const struct lb_backend *be, int width)
{
	char a[LB_ADDRSTRLEN], col[LB_ADDRSTRLEN + 8];

	open_object(NULL);
	if (!print_json()) {
		size_t n = strlen(addr_port_str(be->addr.family, be->addr.addr,
						be->addr.port, a, sizeof(a)));

		/* "%-*s", without printf() for each of many lines. */
		memcpy(col, a, n);
		while (n < (size_t)width && n < sizeof(col) - 1)
			col[n++] = ' ';
		col[n] = 0;
		print_string(PRINT_FP, NULL, "  -> %s", col);
	}
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

	for (i = 0; i < s->nbe && !print_json(); i++) {
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
