// SPDX-License-Identifier: GPL-2.0
/*
 * Words to values: services, addresses, ports and bounded numbers.  A
 * malformed value is an error of its own (exit 1) rather than a usage
 * error, so the message says what is wrong with it; only a missing word
 * is a usage error (exit 2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nl.h"
#include "parse.h"

const char *const mode_names[] = { "nat", "dr", "tun", NULL };
const char *const tunnel_names[] = { "ipip", "gue", NULL };

int parse_keyword(const char *word, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}

int next_value(const struct cmd *c, int *argc, char ***argv,
	       const char **val)
{
	if (*argc < 2)
		return usage(c, "missing value after \"%s\"", **argv);
	*val = (*argv)[1];
	*argc -= 1;
	*argv += 1;
	return 0;
}

/* Plain decimal only: strtoul() would take "-1", " 5" and "0x10" (and
 * costs a locale-aware call per number: restore reads 100,000 of them).
 */
static int parse_decimal(const char *s, unsigned long long *v)
{
	unsigned long long n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (n > (ULLONG_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (*s)
		return -1;
	*v = n;
	return 0;
}

int parse_u32(const char *what, const char *s, uint32_t min, uint32_t max,
	      uint32_t *v)
{
	unsigned long long n;

	if (parse_decimal(s, &n))
		return fail("invalid %s \"%s\": not a number", what, s);
	if (n < min || n > max)
		return fail("%s %s out of range (%u..%u)", what, s, min, max);
	*v = n;
	return 0;
}

int parse_port(const char *what, const char *s, uint16_t *port)
{
	uint32_t v;
	int err;

	err = parse_u32(what, s, 1, 65535, &v);
	if (!err)
		*port = v;
	return err;
}

/*
 * The common case, a dotted quad in the form inet_pton() takes (four
 * numbers 0-255 without leading zeros), without its call; anything else
 * is left to inet_pton(), which decides.
 */
static bool parse_ipv4_quad(const char *s, uint8_t *addr)
{
	unsigned int i, v, digits;

	for (i = 0; i < 4; i++, s++) {
		for (v = 0, digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits && !v)
				return false;	/* a leading zero */
			v = v * 10 + (*s - '0');
			if (v > 255)
				return false;
		}
		if (!digits || *s != (i < 3 ? '.' : 0))
			return false;
		addr[i] = v;
	}
	return true;
}

static int parse_ip(const char *s, struct lb_addr *a, const char *whole)
{
	memset(a->addr, 0, sizeof(a->addr));
	if (parse_ipv4_quad(s, a->addr) || inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return fail("invalid address \"%s\"", whole);
}

int parse_addr(const char *s, struct lb_addr *a, bool need_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port = NULL;
	size_t n;
	int err;

	a->port = 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return fail("invalid address \"%s\": no closing ']'", s);
		n = close - s - 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return fail("invalid address \"%s\"", s);
		if (n >= sizeof(host))
			return fail("invalid address \"%s\"", s);
		memcpy(host, s + 1, n);
		host[n] = 0;
		err = parse_ip(host, a, s);
		if (!err && a->family != AF_INET6)
			return fail("invalid address \"%s\": brackets are for IPv6", s);
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* Two colons: a bare IPv6 address, which cannot carry a
			 * port without brackets.
			 */
			if (need_port)
				return fail("invalid address \"%s\": write IPv6 as [ADDR]:PORT", s);
			if (strlen(s) >= sizeof(host))
				return fail("invalid address \"%s\"", s);
			strcpy(host, s);
		} else {
			n = colon ? (size_t)(colon - s) : strlen(s);
			if (n >= sizeof(host))
				return fail("invalid address \"%s\"", s);
			memcpy(host, s, n);
			host[n] = 0;
			if (colon)
				port = colon + 1;
		}
		err = parse_ip(host, a, s);
		if (!err && a->family != AF_INET && port)
			return fail("invalid address \"%s\": write IPv6 as [ADDR]:PORT", s);
	}
	if (err)
		return err;
	if (!port) {
		if (need_port)
			return fail("missing port in \"%s\" (ADDR:PORT)", s);
		return 0;
	}
	return parse_port("port", port, &a->port);
}

int parse_service(const struct cmd *c, int *argc, char ***argv,
		  struct lb_service *svc)
{
	const char *proto, *vip;
	int err;

	if (*argc < 1)
		return usage(c, "missing SERVICE ({tcp|udp} VIP:PORT)");
	proto = (*argv)[0];
	if (!strcmp(proto, "tcp"))
		svc->proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		svc->proto = IPPROTO_UDP;
	else
		return fail("unknown protocol \"%s\" (tcp or udp)", proto);
	if (*argc < 2)
		return usage(c, "missing VIP:PORT after \"%s\"", proto);
	vip = (*argv)[1];
	err = parse_addr(vip, &svc->vip, true);
	if (err)
		return err;
	*argc -= 2;
	*argv += 2;
	return 0;
}

const char *proto_name(uint8_t proto)
{
	static char buf[16];

	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	}
	snprintf(buf, sizeof(buf), "proto%u", proto);
	return buf;
}

/* Writes v in decimal at p; returns the end. */
static char *put_dec(char *p, unsigned int v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* inet_ntop() formats IPv4 with sprintf(), a large share of the time of
 * listing a big configuration; IPv4 is simple enough to do here.
 */
const char *addr_str(uint16_t family, const uint8_t *addr, char *buf,
		     size_t len)
{
	char *p = buf;
	int i;

	if (family == AF_INET && len >= INET_ADDRSTRLEN) {
		for (i = 0; i < 4; i++) {
			if (i)
				*p++ = '.';
			p = put_dec(p, addr[i]);
		}
		*p = 0;
		return buf;
	}
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *addr_port_str(uint16_t family, const uint8_t *addr,
			  uint16_t port, char *buf, size_t len)
{
	char *p = buf;

	if (len < LB_ADDRSTRLEN) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (family == AF_INET6)
		*p++ = '[';
	addr_str(family, addr, p, len - 8);
	p += strlen(p);
	if (family == AF_INET6)
		*p++ = ']';
	*p++ = ':';
	p = put_dec(p, port);
	*p = 0;
	return buf;
}

void put_service_id(struct nlmsghdr *nlh, const struct lb_service *svc)
{
	nl_attr_put_u16(nlh, NFLB_SVC_A_FAMILY, svc->vip.family);
	nl_attr_put_u8(nlh, NFLB_SVC_A_PROTO, svc->proto);
	nl_attr_put(nlh, NFLB_SVC_A_ADDR, NFLB_ADDR_LEN, svc->vip.addr);
	nl_attr_put_u16(nlh, NFLB_SVC_A_PORT, svc->vip.port);
}

void put_backend_id(struct nlmsghdr *nlh, const struct lb_addr *be)
{
	nl_attr_put_u16(nlh, NFLB_BE_A_FAMILY, be->family);
	nl_attr_put(nlh, NFLB_BE_A_ADDR, NFLB_ADDR_LEN, be->addr);
	nl_attr_put_u16(nlh, NFLB_BE_A_PORT, be->port);
}
