/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbctl's netlink plumbing (nl.c): the only file that talks to the socket.
 */
#ifndef LBCTL_NL_H
#define LBCTL_NL_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Room for any single request lbctl builds.  Zero the buffer first:
 * libmnl leaves the padding after an attribute as it finds it.
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

struct nlattr;

/* An unsigned attribute of any width (u8..u64), 0 if it has none. */
uint64_t nl_attr_uint(const struct nlattr *a);
/* Copies an NFLB_ADDR_LEN address attribute; leaves @addr alone if the
 * attribute has another length.
 */
void nl_attr_addr(const struct nlattr *a, uint8_t *addr);

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
