/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbctl's netlink plumbing (nl.c): the only file that talks to the socket.
 */
#ifndef LBCTL_NL_H
#define LBCTL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nflb.h>

/* Room for any single request lbctl builds.  Zero the buffer first: no
 * byte a builder leaves unwritten should reach the kernel.
 */
#define NL_REQ_SIZE	4096

/* Called for each data message of a reply; returns 0 or a negative errno
 * (and may set nl_errmsg) to fail the request.
 */
typedef int (*nl_data_cb)(const struct nlmsghdr *nlh, void *data);

/* Opens the socket and resolves the "nflb" family.  If the family does
 * not exist (module not loaded) it says so and exits 1.
 */
void nl_open(void);

/* Starts a request for command cmd in buf (NL_REQ_SIZE bytes).  The
 * family, sequence number and flags are filled in when it is sent, so a
 * request can be built before the socket is open.
 */
struct nlmsghdr *nl_put(void *buf, uint8_t cmd);

/* Sends one request with NLM_F_ACK and waits for its ack; replies before
 * the ack go to cb.  Returns 0 or a negative errno.
 */
int nl_request(struct nlmsghdr *nlh, nl_data_cb cb, void *data);

/*
 * Reading attributes, inline: list and save read half a million of them
 * for a large configuration, and each of libmnl's accessors is a call
 * through the PLT (as costly as the work itself under emulation).  The
 * walk checks every length against what is left, as mnl_attr_ok() does.
 */
static inline uint16_t nl_attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline const void *nl_attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline size_t nl_attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline bool nl_attr_fits(const struct nlattr *a, const void *end)
{
	ptrdiff_t left = (const char *)end - (const char *)a;

	return left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left;
}

static inline const struct nlattr *nl_attr_next(const struct nlattr *a)
{
	return (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
}

/* Each attribute nested in @nest. */
#define nl_attr_for_each_nested(a, nest)				\
	for ((a) = nl_attr_data(nest);					\
	     nl_attr_fits((a), (const char *)(nest) + (nest)->nla_len);	\
	     (a) = nl_attr_next(a))

/* Each attribute of a generic netlink message, after its genlmsghdr. */
#define nl_attr_for_each_genl(a, nlh)					\
	for ((a) = (const void *)((const char *)(nlh) + NLMSG_HDRLEN +	\
				  NLA_ALIGN(GENL_HDRLEN));		\
	     nl_attr_fits((a), (const char *)(nlh) + (nlh)->nlmsg_len);	\
	     (a) = nl_attr_next(a))

/* Writing attributes at the end of a request, inline for the same reason
 * (restore builds a hundred thousand); padding is zeroed.
 */
static inline struct nlattr *nl_attr_tail(const struct nlmsghdr *nlh)
{
	return (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
}

static inline void nl_attr_put(struct nlmsghdr *nlh, uint16_t type,
			       size_t len, const void *data)
{
	struct nlattr *a = nl_attr_tail(nlh);
	char *p = (char *)a + NLA_HDRLEN;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p, data, len);
	memset(p + len, 0, NLA_ALIGN(len) - len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static inline void nl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type,
				  uint8_t v)
{
	nl_attr_put(nlh, type, sizeof(v), &v);
}

static inline void nl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type,
				   uint16_t v)
{
	nl_attr_put(nlh, type, sizeof(v), &v);
}

static inline void nl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type,
				   uint32_t v)
{
	nl_attr_put(nlh, type, sizeof(v), &v);
}

static inline void nl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type,
				    const char *s)
{
	nl_attr_put(nlh, type, strlen(s) + 1, s);
}

static inline struct nlattr *nl_attr_nest_start(struct nlmsghdr *nlh,
						uint16_t type)
{
	struct nlattr *a = nl_attr_tail(nlh);

	a->nla_type = type | NLA_F_NESTED;
	a->nla_len = NLA_HDRLEN;
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN;
	return a;
}

static inline void nl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	a->nla_len = (char *)nl_attr_tail(nlh) - (char *)a;
}

/* An unsigned attribute of any width (u8..u64), 0 if it has none. */
static inline uint64_t nl_attr_uint(const struct nlattr *a)
{
	const void *p = nl_attr_data(a);
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (nl_attr_len(a)) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	}
	return 0;
}

/* Copies an NFLB_ADDR_LEN address attribute; leaves @addr alone if the
 * attribute has another length.
 */
static inline void nl_attr_addr(const struct nlattr *a, uint8_t *addr)
{
	if (nl_attr_len(a) == NFLB_ADDR_LEN)
		memcpy(addr, nl_attr_data(a), NFLB_ADDR_LEN);
}

/* Dumps: every reply message goes to cb.  If the kernel flags the dump as
 * interrupted (NLM_F_DUMP_INTR) and reset is not NULL, reset(data) is called
 * and the dump starts over, a few times at most.
 */
int nl_dump(struct nlmsghdr *nlh, nl_data_cb cb, void *data,
	    void (*reset)(void *data));

/* Pipelines the requests laid out back to back in buf: many per
 * sendmsg(), only the last of each asking for an ack (failures are
 * answered anyway).  Stops after the window in which the first request
 * fails; *failed is its index and *later the number of requests after it
 * in that window that the kernel applied (it goes on with the rest of a
 * sendmsg() after a failure).  Returns 0 or the failure's negative errno.
 */
int nl_batch(void *buf, size_t len, unsigned int *failed, unsigned int *later);

/* Prints "lbctl: <extack message>" for err, or strerror when the kernel
 * gave none; returns EXIT_FAIL.
 */
int nl_perror(int err);

/* The extended-ack message of the last failure ("" if none). */
extern char nl_errmsg[256];
/* Where in its request the attribute that failed starts, from the
 * extended ack of nl_batch()'s failure; -1 if the kernel named none.
 */
extern long nl_erroff;

#endif /* LBCTL_NL_H */
