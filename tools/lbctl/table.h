/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The services and backends of the namespace as read from the kernel
 * (table.c), for list and save.
 */
#ifndef LBCTL_TABLE_H
#define LBCTL_TABLE_H

#include <stdint.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "parse.h"

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
	uint32_t num_backends;		/* what the kernel says it has */
	struct lb_stats stats;
	struct lb_backend *be;
	unsigned int nbe, cap;
};

struct lb_table {
	struct lb_svc *svc;
	unsigned int n, cap;
};

/* Fills t with every service, or with the one named by argv (a SERVICE);
 * prints any error and returns an exit code.
 */
int table_read(const struct cmd *c, int argc, char **argv,
	       struct lb_table *t);
/* Empties t (its argument is a struct lb_table *, for nl_dump()). */
void table_reset(void *data);
/* names[i] if i is in range, else i as a number. */
const char *name_of(const char *const *names, unsigned int n, unsigned int i);

#endif /* LBCTL_TABLE_H */
