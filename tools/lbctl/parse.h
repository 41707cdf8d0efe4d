/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning command-line words into values, and values back into words.
 * Every parser prints its own error and returns an exit code (0 on success)
 * so that a caller can pass it straight on.
 */
#ifndef LBCTL_PARSE_H
#define LBCTL_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/nflb.h>

#include "lbctl.h"

struct lb_addr {
	uint16_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[NFLB_ADDR_LEN];	/* as the UAPI lays it out */
	uint16_t port;			/* host order; 0 when none was given */
};

struct lb_service {
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	struct lb_addr vip;
};

/* Longest "[v6addr]:port" plus NUL. */
#define LB_ADDRSTRLEN	(46 + 2 + 6 + 1)

/* SERVICE := {tcp|udp} VIP:PORT; consumes two words. */
int parse_service(const struct cmd *c, int *argc, char ***argv,
		  struct lb_service *svc);
/* ADDR[:PORT] with IPv6 in brackets; a port is required if need_port. */
int parse_addr(const char *s, struct lb_addr *a, bool need_port);
int parse_u32(const char *what, const char *s, uint32_t min, uint32_t max,
	      uint32_t *v);
int parse_port(const char *what, const char *s, uint16_t *port);
/* Index of word in names[] (NULL-terminated), or -1. */
int parse_keyword(const char *word, const char *const *names);

/* Takes the value of a "keyword VALUE" pair, or complains it is missing. */
int next_value(const struct cmd *c, int *argc, char ***argv,
	       const char **val);

const char *proto_name(uint8_t proto);
/* "10.0.0.1" or "2001:db8::1" (no brackets) */
const char *addr_str(uint16_t family, const uint8_t *addr, char *buf,
		     size_t len);
/* "10.0.0.1:80" or "[2001:db8::1]:80" */
const char *addr_port_str(uint16_t family, const uint8_t *addr,
			  uint16_t port, char *buf, size_t len);

extern const char *const mode_names[];		/* by enum nflb_fwd_mode */
extern const char *const tunnel_names[];	/* by enum nflb_tunnel */

/* Adds the four naming attributes of a service, of a backend. */
void put_service_id(struct nlmsghdr *nlh, const struct lb_service *svc);
void put_backend_id(struct nlmsghdr *nlh, const struct lb_addr *be);

#endif /* LBCTL_PARSE_H */
