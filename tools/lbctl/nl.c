// SPDX-License-Identifier: GPL-2.0
/*
 * All of lbctl's netlink, over libmnl: one generic netlink socket, the
 * "nflb" family resolved by name, requests acked with extended-ack
 * messages, dumps that start over when the kernel says they were
 * interrupted, and pipelined batches for restore.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"

/* A dump message is at most 32 KiB (the kernel sizes them by our largest
 * recvmsg() up to that); the reply to a doit can be larger (a service with
 * thousands of backends), and the buffer grows for it.
 */
#define NL_RX_SIZE	(64 * 1024)
/* An answer to a batched request is tiny, but it is an skb of its own
 * that counts about this much against our receive buffer: a window holds
 * no more requests than could all fail without overflowing it.
 */
#define NL_ACK_COST	1024
#define NL_DUMP_TRIES	5

char nl_errmsg[256];
long nl_erroff = -1;

static struct mnl_socket *nl_sk;
static uint16_t nl_family;
static uint32_t nl_seq;
static char *nl_rx;
static size_t nl_rx_size;
static size_t nl_tx_max;	/* bytes per sendmsg() */
static unsigned int nl_ack_max;	/* requests per sendmsg() */

static void nl_die(const char *what)
{
	fprintf(stderr, "lbctl: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAIL);
}

/* Bigger buffers let restore put thousands of requests in one sendmsg();
 * the FORCE variants need CAP_NET_ADMIN, which every command needs
 * anyway, and the plain ones are the fallback within the sysctl limits.
 */
static int nl_set_buf(int opt_force, int opt, int size)
{
	int fd = mnl_socket_get_fd(nl_sk);
	socklen_t len = sizeof(size);

	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
	if (getsockopt(fd, SOL_SOCKET, opt, &size, &len))
		return 0;
	return size;
}

/*
 * Receives one datagram from the kernel into nl_rx.  A peek first learns
 * its size, so a reply is never truncated, whatever its size; datagrams
 * from anything but the kernel are dropped.
 */
static ssize_t nl_recv_one(void)
{
	int fd = mnl_socket_get_fd(nl_sk);
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;
	char *p;

	for (;;) {
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > nl_rx_size) {
			p = realloc(nl_rx, n);
			if (!p)
				return -ENOMEM;
			nl_rx = p;
			nl_rx_size = n;
		}
		iov.iov_base = nl_rx;
		iov.iov_len = nl_rx_size;
		msg.msg_namelen = sizeof(sa);
		n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (sa.nl_pid == 0)
			return n;
	}
}

static int nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	(void)data;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			nl_family = mnl_attr_get_u16(a);
	return 0;
}

void nl_open(void)
{
	char buf[NL_REQ_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int one = 1, rcv, snd, err;

	nl_sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl_sk)
		nl_die("netlink socket");
	if (mnl_socket_bind(nl_sk, 0, MNL_SOCKET_AUTOPID) < 0)
		nl_die("netlink bind");
	/* Extended acks carry the kernel's reason for a refusal; capped acks
	 * do not echo the request back, which keeps batched acks small.
	 */
	mnl_socket_setsockopt(nl_sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl_sk, NETLINK_CAP_ACK, &one, sizeof(one));
	rcv = nl_set_buf(SO_RCVBUFFORCE, SO_RCVBUF, 8 << 20);
	snd = nl_set_buf(SO_SNDBUFFORCE, SO_SNDBUF, 1 << 20);
	/* The kernel refuses a sendmsg() longer than the send buffer less a
	 * little, and drops acks that do not fit the receive buffer.
	 */
	nl_tx_max = snd > 2 * NL_REQ_SIZE ? (size_t)snd / 2 : NL_REQ_SIZE;
	if (nl_tx_max > 256 * 1024)
		nl_tx_max = 256 * 1024;
	nl_ack_max = rcv / 2 / NL_ACK_COST;
	if (nl_ack_max < 1)
		nl_ack_max = 1;
	if (nl_ack_max > 4096)
		nl_ack_max = 4096;
	nl_seq = time(NULL);
	nl_rx_size = NL_RX_SIZE;
	nl_rx = malloc(nl_rx_size);
	if (!nl_rx)
		nl_die("malloc");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	nl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NFLB_GENL_NAME);
	err = nl_request(nlh, nl_family_cb, NULL);
	if (err == -ENOENT) {
		fprintf(stderr, "lbctl: the nflb module is not loaded (try: modprobe nflb)\n");
		exit(EXIT_FAIL);
	}
	if (err)
		exit(nl_perror(err));
	if (!nl_family) {
		fprintf(stderr, "lbctl: no family id for \"%s\" in the reply\n",
			NFLB_GENL_NAME);
		exit(EXIT_FAIL);
	}
}

struct nlmsghdr *nl_put(void *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = NFLB_GENL_VERSION;
	return nlh;
}

/* Stamps a request just before it is sent: the family id is only known
 * once the socket is open, and the control request names its own.
 */
static void nl_stamp(struct nlmsghdr *nlh, uint16_t flags)
{
	if (nlh->nlmsg_type != GENL_ID_CTRL)
		nlh->nlmsg_type = nl_family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl_seq;
	nlh->nlmsg_pid = 0;
}

/* Reads the extended-ack TLVs that start offset bytes into the payload. */
static void nl_extack(const struct nlmsghdr *nlh, size_t offset, char *msg,
		      size_t len)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (mnl_nlmsg_get_payload_len(nlh) < offset)
		return;
	mnl_attr_for_each(a, nlh, offset) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(msg, len, "%s", mnl_attr_get_str(a));
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		    !mnl_attr_validate(a, MNL_TYPE_U32))
			nl_erroff = mnl_attr_get_u32(a);
	}
}

/* The errno of an NLMSG_ERROR (0 for an ack); its message goes to msg. */
static int nl_ack_error(const struct nlmsghdr *nlh, char *msg, size_t len)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	if (!e->error)
		return 0;
	/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (msg)
		nl_extack(nlh, off, msg, len);
	return e->error;
}

/* NLMSG_DONE may carry the error that ended a dump, and its message. */
static int nl_done_error(const struct nlmsghdr *nlh)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err)
		nl_extack(nlh, sizeof(int), nl_errmsg, sizeof(nl_errmsg));
	return err;
}

/* Reads until the ack (or NLMSG_DONE) of request seq.  A failing data
 * callback does not stop the reading: the rest of the reply must be
 * drained so the socket is clean for the next request.
 */
static int nl_recv(uint32_t seq, nl_data_cb cb, void *data, bool *intr)
{
	int cb_err = 0;

	for (;;) {
		ssize_t n = nl_recv_one();
		const struct nlmsghdr *nlh = (const void *)nl_rx;
		int len, err;

		if (n < 0)
			return n;
		len = n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* left over from an earlier request */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR:
				err = nl_ack_error(nlh, nl_errmsg, sizeof(nl_errmsg));
				return err ? err : cb_err;
			case NLMSG_DONE:
				err = nl_done_error(nlh);
				return err ? err : cb_err;
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				continue;
			}
			if (cb && !cb_err)
				cb_err = cb(nlh, data);
		}
	}
}

int nl_request(struct nlmsghdr *nlh, nl_data_cb cb, void *data)
{
	bool intr = false;

	nl_stamp(nlh, NLM_F_ACK);
	nl_errmsg[0] = 0;
	if (mnl_socket_sendto(nl_sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nl_recv(nlh->nlmsg_seq, cb, data, &intr);
}

int nl_dump(struct nlmsghdr *nlh, nl_data_cb cb, void *data,
	    void (*reset)(void *data))
{
	int tries, err;

	for (tries = 0; tries < NL_DUMP_TRIES; tries++) {
		bool intr = false;

		nl_stamp(nlh, NLM_F_DUMP);
		nl_errmsg[0] = 0;
		if (mnl_socket_sendto(nl_sk, nlh, nlh->nlmsg_len) < 0)
			return -errno;
		err = nl_recv(nlh->nlmsg_seq, cb, data, &intr);
		if (err || !intr || !reset)
			return err;
		reset(data);
	}
	snprintf(nl_errmsg, sizeof(nl_errmsg),
		 "the configuration kept changing during the dump (tried %d times)",
		 NL_DUMP_TRIES);
	return -EAGAIN;
}

/*
 * Reads the answers to a window of count requests numbered first onward.
 * Only the last one asked for an ack; the kernel answers a failing request
 * whether or not it asked, and runs the requests of one sendmsg() in
 * order, so once the last one is answered every failure has been seen.
 */
static int nl_window_acks(uint32_t first, unsigned int count, int *fail_idx,
			  unsigned int *failures_after)
{
	int first_err = 0;

	for (;;) {
		ssize_t n = nl_recv_one();
		const struct nlmsghdr *nlh = (const void *)nl_rx;
		int len, err;
		uint32_t idx;

		if (n == -ENOBUFS)
			snprintf(nl_errmsg, sizeof(nl_errmsg),
				 "answers were lost: the socket receive buffer is too small");
		if (n < 0)
			return n;
		len = n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			idx = nlh->nlmsg_seq - first;
			if (nlh->nlmsg_type != NLMSG_ERROR || idx >= count)
				continue;
			if (*fail_idx < 0) {
				err = nl_ack_error(nlh, nl_errmsg, sizeof(nl_errmsg));
				if (err) {
					*fail_idx = idx;
					first_err = err;
				}
			} else if (nl_ack_error(nlh, NULL, 0)) {
				(*failures_after)++;
			}
			if (idx == count - 1)
				return first_err;
		}
	}
}

int nl_batch(void *buf, size_t len, unsigned int *failed, unsigned int *later)
{
	char *p = buf, *end = p + len;
	unsigned int done = 0;

	nl_errmsg[0] = 0;
	nl_erroff = -1;
	*later = 0;
	while (p < end) {
		char *start = p;
		struct nlmsghdr *nlh, *last = NULL;
		unsigned int n = 0, failures_after = 0;
		uint32_t first = nl_seq + 1;
		int fail_idx = -1, err;

		/* One window: as many requests as fit both limits. */
		while (p < end && n < nl_ack_max) {
			nlh = (void *)p;
			if (n && (size_t)(p + nlh->nlmsg_len - start) > nl_tx_max)
				break;
			nl_stamp(nlh, 0);
			last = nlh;
			p += NLMSG_ALIGN(nlh->nlmsg_len);
			n++;
		}
		last->nlmsg_flags |= NLM_F_ACK;
		if (mnl_socket_sendto(nl_sk, start, p - start) < 0) {
			*failed = done;
			return -errno;
		}
		err = nl_window_acks(first, n, &fail_idx, &failures_after);
		if (fail_idx >= 0) {
			*failed = done + fail_idx;
			*later = n - fail_idx - 1 - failures_after;
			return err;
		}
		if (err) {
			*failed = done;
			return err;
		}
		done += n;
	}
	return 0;
}

int nl_perror(int err)
{
	char msg[128];

	if (nl_errmsg[0])
		return fail("%s", nl_errmsg);
	/* strerror() starts with a capital; the rest of lbctl's messages
	 * do not, and scripts grep for "operation not permitted".
	 */
	snprintf(msg, sizeof(msg), "%s", strerror(-err));
	if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
		msg[0] += 'a' - 'A';
	return fail("%s", msg);
}
