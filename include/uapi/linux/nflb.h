/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * nflb: an L4 load balancer on netfilter hooks.
 *
 * Generic netlink family NFLB_GENL_NAME ("nflb"), version NFLB_GENL_VERSION.
 * Every command needs CAP_NET_ADMIN over the network namespace of the
 * netlink socket; the state it reads or changes belongs to that namespace
 * alone and is freed with it.  Every request is validated strictly: an
 * attribute that is unknown, of the wrong type or length, or out of range,
 * and a flag bit that is not defined, refuse the whole request with an
 * errno and an extended-ack message saying why.  Nothing is changed by a
 * request that fails.
 *
 * Objects
 * -------
 * A service is named by four attributes, all required wherever a service is
 * named: its address family, IP protocol, virtual address (VIP) and port.
 * A backend is named by its service plus its own family, address and port.
 * Addresses are always NFLB_ADDR_LEN (16) bytes in network order: an IPv6
 * address as it is, an IPv4 address in the first four bytes with the other
 * twelve zero.  Ports are host-order u16 and never 0.
 *
 * Commands
 * --------
 * NFLB_CMD_GET_INFO: no attributes.
 *   Reply: NFLB_A_INFO, nested:
 *     NFLB_INFO_A_VERSION          NUL-terminated module version
 *     NFLB_INFO_A_MAX_SERVICES     u32, services allowed per namespace
 *     NFLB_INFO_A_MAX_BACKENDS     u32, backends allowed per service
 *     NFLB_INFO_A_SERVICES         u32, services now
 *     NFLB_INFO_A_CONN_MAX         u32, connection entries allowed per
 *                                  namespace (module parameter conn_max)
 *     NFLB_INFO_A_CONNS            u32, connection entries now
 *     NFLB_INFO_A_TIMEOUTS         nested NFLB_TIMEOUT_A_*, seconds
 *     NFLB_INFO_A_DROPS            nested, one u64 per enum nflb_drop_reason,
 *                                  attribute type = reason + 1
 *     NFLB_INFO_A_HOOKED           u8, 1 if nflb's netfilter hooks are in
 *                                  this namespace's packet path: its first
 *                                  service puts them there, and they stay
 *                                  until the namespace goes (a namespace
 *                                  that never had one pays nothing)
 *     NFLB_INFO_A_CONN_BUCKETS     u32, buckets of the connection table's
 *                                  hash now (0 before the first service):
 *                                  2^conn_hash_bits at first, growing once
 *                                  the entries are more than twice as many
 *
 * NFLB_CMD_SET_TIMEOUTS: NFLB_A_TIMEOUTS, nested; each of
 *   NFLB_TIMEOUT_A_TCP (established), NFLB_TIMEOUT_A_TCP_FIN (closing
 *   states) and NFLB_TIMEOUT_A_UDP is optional, u32 seconds, 1..NFLB_TIMEOUT_MAX.
 *   At least one must be given.  New values apply to a connection the next
 *   time one of its packets is seen.
 *
 * NFLB_CMD_NEW_SERVICE: NFLB_A_SERVICE, nested, with the four naming
 *   attributes and optionally:
 *     NFLB_SVC_A_SCHED      scheduler name ("rr", "wrr", "lc", "wlc", "sh");
 *                           default "wlc"
 *     NFLB_SVC_A_MODE       u8, enum nflb_fwd_mode; default NFLB_FWD_NAT
 *     NFLB_SVC_A_TUNNEL     u8, enum nflb_tunnel, only with NFLB_FWD_TUN;
 *                           default NFLB_TUNNEL_IPIP
 *     NFLB_SVC_A_GUE_PORT   u16, destination port of GUE, only with
 *                           NFLB_TUNNEL_GUE; default NFLB_GUE_PORT_DEFAULT
 *     NFLB_SVC_A_PERSIST    u32 seconds a client stays on its backend across
 *                           connections, 0..NFLB_PERSIST_MAX; 0 (default) off
 *     NFLB_SVC_A_MSS_MODE   u8, enum nflb_mss_mode; default NFLB_MSS_AUTO
 *                           in NFLB_FWD_TUN, NFLB_MSS_OFF otherwise
 *     NFLB_SVC_A_MSS        u16, the ceiling for NFLB_MSS_FIXED, which
 *                           requires it
 *     NFLB_SVC_A_FLAGS      u32, NFLB_SVC_F_* bits
 *     NFLB_SVC_A_BACKENDS   the service's first backends: a nest of
 *                           NFLB_A_BACKEND nests, each as NEW_BACKEND's
 *                           (naming attributes, optional weight)
 *   EEXIST if the service exists; ENOSPC past NFLB_INFO_A_MAX_SERVICES;
 *   EOPNOTSUPP for an IPv6 service, which this version's datapath cannot
 *   honour yet.
 *
 *   With NFLB_SVC_A_BACKENDS the service and its backends are created in
 *   one step, as if by NEW_SERVICE and one NEW_BACKEND per backend, in
 *   their order (which is their order in dumps), with the errors
 *   NEW_BACKEND would give.  If any backend is refused nothing is created,
 *   and the extended ack's offset (NLMSGERR_ATTR_OFFS) points into that
 *   backend's nest.  A restore that sends a service and its backends this
 *   way sends a fifth of the requests for four backends a service, and
 *   the scheduler's state is built once.  Only NEW_SERVICE takes it; every
 *   other request refuses NFLB_SVC_A_BACKENDS, as before.  (A module
 *   older than this addition refuses it in NEW_SERVICE too.)
 *
 *   Modes.  NFLB_FWD_NAT rewrites the destination of a client's packets to
 *   the backend and the source of the backend's replies, which must route
 *   through this host, to the VIP.  NFLB_FWD_DR sends the client's packet
 *   unchanged to the backend's MAC address: the backend is on a directly
 *   connected network and holds the VIP itself (not answering ARP for it).
 *   NFLB_FWD_TUN encapsulates the client's packet, from this host's
 *   address toward the backend to the backend, which may be anywhere
 *   routable: in IPv4 (IPIP), or in UDP to NFLB_SVC_A_GUE_PORT with a GUE
 *   header (version 0, no options; what "ip fou add port PORT gue" takes).
 *   In DR and TUN the backend answers the client directly: only the
 *   client's packets pass, and "out" counters stay 0.  A DF packet that
 *   does not fit the path once encapsulated is answered with ICMP
 *   "fragmentation needed" carrying the MTU left for it (counted as
 *   NFLB_DROP_TOO_BIG).  ICMP errors about a flow (e.g. from a router on
 *   the way back to the client, addressed to the VIP) go to the backend
 *   that owns it.
 *   In every mode this host sends the client's packets to the backend
 *   itself (a route cached per backend), through FORWARD and POSTROUTING
 *   (TUN: the outer packet through LOCAL_OUT and POSTROUTING); a packet
 *   whose TTL runs out gets "time exceeded" (NFLB_DROP_TTL), and a DF
 *   one that does not fit the path "fragmentation needed" (NAT too).
 *   The first packet of a connection passes the checks of the stack's
 *   input routing (martian sources, the receiving device's rp_filter):
 *   one it would refuse is dropped (NFLB_DROP_SOURCE), unanswered.
 *
 *   MSS clamping lowers the MSS option of clients' TCP SYNs (never
 *   raises it): NFLB_MSS_AUTO to the MTU of the route toward the backend
 *   less the tunnel's headers and 40 bytes of IPv4 and TCP headers,
 *   NFLB_MSS_FIXED to NFLB_SVC_A_MSS.  It shapes the segments the backend
 *   sends; those the client sends are shaped by the backend's SYN-ACK,
 *   which in DR and TUN does not pass this host.
 *
 * NFLB_CMD_SET_SERVICE: as NEW_SERVICE; only the attributes given change.
 *   ENOENT if the service does not exist.  Changing the scheduler keeps the
 *   service's connections and counters.  A new mode is refused, as at
 *   NEW_BACKEND, if one of the backends does not fit it.  When the mode
 *   changes and NFLB_SVC_A_MSS_MODE is not given, an MSS mode at the old
 *   mode's default becomes the new mode's default.
 *
 * NFLB_CMD_DEL_SERVICE: NFLB_A_SERVICE with the naming attributes.  Its
 *   backends go with it; its connections stop being forwarded at once.
 *
 * NFLB_CMD_GET_SERVICE:
 *   doit: NFLB_A_SERVICE names one service; the reply is that service as
 *   in a dump, with as many backends as fit in one attribute (a nest is at
 *   most 64 KiB: some 400); NFLB_SVC_A_NUM_BACKENDS says how many there
 *   are.  dump (NLM_F_DUMP) with NFLB_A_SERVICE naming a service: that
 *   service alone, with all its backends, split as described below.
 *   dump without it: every service of the namespace, one
 *   NFLB_A_SERVICE per service, carrying the naming and configuration
 *   attributes, NFLB_SVC_A_STATS, NFLB_SVC_A_NUM_BACKENDS and
 *   NFLB_SVC_A_BACKENDS: a nest of NFLB_A_BACKEND nests, each carrying
 *   NFLB_BE_A_FAMILY, _ADDR, _PORT, _WEIGHT, _ACTIVE_CONNS,
 *   _INACTIVE_CONNS and _STATS.  A service whose backends do not fit in one
 *   message is repeated at the start of the next message with the backends
 *   that follow: a reader merges consecutive replies naming the same
 *   service.  Services come in the order they were added.  If the
 *   configuration changes while a dump is under way the message in which
 *   that is noticed carries NLM_F_DUMP_INTR; the reader should start over.
 *
 * NFLB_CMD_NEW_BACKEND: NFLB_A_SERVICE (naming) and NFLB_A_BACKEND with
 *   NFLB_BE_A_FAMILY, NFLB_BE_A_ADDR, NFLB_BE_A_PORT and optionally
 *   NFLB_BE_A_WEIGHT (u32, 0..NFLB_WEIGHT_MAX, default 1).  EEXIST if that
 *   backend exists; ENOSPC past NFLB_INFO_A_MAX_BACKENDS.  Weight 0 drains:
 *   the backend's connections continue, new ones go elsewhere.  In
 *   NFLB_FWD_DR and NFLB_FWD_TUN the packet keeps its destination port:
 *   EINVAL if the backend's port is not the service's.  In NFLB_FWD_DR,
 *   EHOSTUNREACH if the backend is not on a directly connected network (no
 *   route, or one through a gateway), EINVAL if it is this host.
 *
 * NFLB_CMD_SET_BACKEND: as NEW_BACKEND; NFLB_BE_A_WEIGHT is required.
 *
 * NFLB_CMD_DEL_BACKEND: NFLB_A_SERVICE and NFLB_A_BACKEND (naming).  The
 *   backend's connections are closed: a TCP packet of one is answered with
 *   a reset to the client, a UDP packet is dropped, and the entries are
 *   gone within seconds.
 *
 * NFLB_CMD_FLUSH: no attributes; deletes every service of the namespace.
 *
 * NFLB_CMD_GET_CONN: dump only; optionally NFLB_A_SERVICE (naming) limits
 *   it to one service.  One NFLB_A_CONN per connection entry, with the
 *   NFLB_CONN_A_* attributes.  The table changes under a dump: a dump is a
 *   snapshot of each hash bucket, not of the whole table.
 */
#ifndef _UAPI_LINUX_NFLB_H
#define _UAPI_LINUX_NFLB_H

#include <linux/types.h>

#define NFLB_GENL_NAME		"nflb"
#define NFLB_GENL_VERSION	1

#define NFLB_ADDR_LEN		16
#define NFLB_SCHED_NAME_MAX	16	/* including the NUL */
#define NFLB_WEIGHT_MAX		65535
#define NFLB_PERSIST_MAX	(31 * 24 * 3600)
#define NFLB_TIMEOUT_MAX	(31 * 24 * 3600)
#define NFLB_MSS_MIN		88	/* TCP_MIN_MSS */
#define NFLB_GUE_PORT_DEFAULT	6080

enum nflb_cmd {
	NFLB_CMD_UNSPEC,
	NFLB_CMD_GET_INFO,
	NFLB_CMD_SET_TIMEOUTS,
	NFLB_CMD_NEW_SERVICE,
	NFLB_CMD_SET_SERVICE,
	NFLB_CMD_DEL_SERVICE,
	NFLB_CMD_GET_SERVICE,
	NFLB_CMD_NEW_BACKEND,
	NFLB_CMD_SET_BACKEND,
	NFLB_CMD_DEL_BACKEND,
	NFLB_CMD_FLUSH,
	NFLB_CMD_GET_CONN,
	__NFLB_CMD_MAX
};

#define NFLB_CMD_MAX (__NFLB_CMD_MAX - 1)

enum nflb_attr {
	NFLB_A_UNSPEC,
	NFLB_A_INFO,		/* nested, NFLB_INFO_A_* */
	NFLB_A_TIMEOUTS,	/* nested, NFLB_TIMEOUT_A_* */
	NFLB_A_SERVICE,		/* nested, NFLB_SVC_A_* */
	NFLB_A_BACKEND,		/* nested, NFLB_BE_A_* */
	NFLB_A_CONN,		/* nested, NFLB_CONN_A_* */
	__NFLB_A_MAX
};

#define NFLB_A_MAX (__NFLB_A_MAX - 1)

enum nflb_fwd_mode {
	NFLB_FWD_NAT,		/* rewrite addresses; replies return through us */
	NFLB_FWD_DR,		/* rewrite the MAC; backends answer directly */
	NFLB_FWD_TUN,		/* encapsulate; backends answer directly */
	__NFLB_FWD_MAX
};

#define NFLB_FWD_MAX (__NFLB_FWD_MAX - 1)

enum nflb_tunnel {
	NFLB_TUNNEL_IPIP,
	NFLB_TUNNEL_GUE,
	__NFLB_TUNNEL_MAX
};

#define NFLB_TUNNEL_MAX (__NFLB_TUNNEL_MAX - 1)

enum nflb_mss_mode {
	NFLB_MSS_OFF,
	NFLB_MSS_AUTO,		/* fit the path MTU toward the backend */
	NFLB_MSS_FIXED,		/* lower to NFLB_SVC_A_MSS */
	__NFLB_MSS_MAX
};

#define NFLB_MSS_MAX (__NFLB_MSS_MAX - 1)

/* No service flag is defined in version 1; any bit is refused. */
#define __NFLB_SVC_F_ALL	0U

enum nflb_svc_attr {
	NFLB_SVC_A_UNSPEC,
	NFLB_SVC_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	NFLB_SVC_A_PROTO,	/* u8, IPPROTO_TCP or IPPROTO_UDP */
	NFLB_SVC_A_ADDR,	/* NFLB_ADDR_LEN bytes */
	NFLB_SVC_A_PORT,	/* u16, 1..65535 */
	NFLB_SVC_A_SCHED,	/* NUL-terminated string */
	NFLB_SVC_A_MODE,	/* u8, enum nflb_fwd_mode */
	NFLB_SVC_A_TUNNEL,	/* u8, enum nflb_tunnel */
	NFLB_SVC_A_GUE_PORT,	/* u16 */
	NFLB_SVC_A_PERSIST,	/* u32, seconds */
	NFLB_SVC_A_MSS_MODE,	/* u8, enum nflb_mss_mode */
	NFLB_SVC_A_MSS,		/* u16 */
	NFLB_SVC_A_FLAGS,	/* u32, NFLB_SVC_F_* */
	NFLB_SVC_A_STATS,	/* nested, NFLB_STATS_A_*; replies only */
	NFLB_SVC_A_NUM_BACKENDS,/* u32; replies only */
	NFLB_SVC_A_BACKENDS,	/* nested NFLB_A_BACKEND; replies and
				 * NFLB_CMD_NEW_SERVICE
				 */
	NFLB_SVC_A_PAD,
	__NFLB_SVC_A_MAX
};

#define NFLB_SVC_A_MAX (__NFLB_SVC_A_MAX - 1)

enum nflb_be_attr {
	NFLB_BE_A_UNSPEC,
	NFLB_BE_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	NFLB_BE_A_ADDR,		/* NFLB_ADDR_LEN bytes */
	NFLB_BE_A_PORT,		/* u16, 1..65535 */
	NFLB_BE_A_WEIGHT,	/* u32, 0..NFLB_WEIGHT_MAX */
	NFLB_BE_A_ACTIVE_CONNS,	/* u32; replies only: established TCP */
	NFLB_BE_A_INACTIVE_CONNS,/* u32; replies only: other entries */
	NFLB_BE_A_STATS,	/* nested, NFLB_STATS_A_*; replies only */
	NFLB_BE_A_PAD,
	__NFLB_BE_A_MAX
};

#define NFLB_BE_A_MAX (__NFLB_BE_A_MAX - 1)

/* Counters since the object was created; "in" is client to backend. */
enum nflb_stats_attr {
	NFLB_STATS_A_UNSPEC,
	NFLB_STATS_A_CONNS,	/* u64, connections scheduled */
	NFLB_STATS_A_PKTS_IN,	/* u64 */
	NFLB_STATS_A_PKTS_OUT,	/* u64 */
	NFLB_STATS_A_BYTES_IN,	/* u64, IP packet lengths */
	NFLB_STATS_A_BYTES_OUT,	/* u64 */
	NFLB_STATS_A_PAD,
	__NFLB_STATS_A_MAX
};

#define NFLB_STATS_A_MAX (__NFLB_STATS_A_MAX - 1)

enum nflb_timeout_attr {
	NFLB_TIMEOUT_A_UNSPEC,
	NFLB_TIMEOUT_A_TCP,	/* u32 seconds, established */
	NFLB_TIMEOUT_A_TCP_FIN,	/* u32 seconds, FIN_WAIT, CLOSE_WAIT, LAST_ACK */
	NFLB_TIMEOUT_A_UDP,	/* u32 seconds */
	__NFLB_TIMEOUT_A_MAX
};

#define NFLB_TIMEOUT_A_MAX (__NFLB_TIMEOUT_A_MAX - 1)

enum nflb_info_attr {
	NFLB_INFO_A_UNSPEC,
	NFLB_INFO_A_VERSION,	/* string */
	NFLB_INFO_A_MAX_SERVICES,/* u32 */
	NFLB_INFO_A_MAX_BACKENDS,/* u32 */
	NFLB_INFO_A_SERVICES,	/* u32 */
	NFLB_INFO_A_CONN_MAX,	/* u32 */
	NFLB_INFO_A_CONNS,	/* u32 */
	NFLB_INFO_A_TIMEOUTS,	/* nested, NFLB_TIMEOUT_A_* */
	NFLB_INFO_A_DROPS,	/* nested, u64 per reason, type = reason + 1 */
	NFLB_INFO_A_PAD,
	NFLB_INFO_A_HOOKED,	/* u8 */
	NFLB_INFO_A_CONN_BUCKETS,/* u32 */
	__NFLB_INFO_A_MAX
};

#define NFLB_INFO_A_MAX (__NFLB_INFO_A_MAX - 1)

/* Why the datapath dropped a packet; counted per namespace. */
enum nflb_drop_reason {
	NFLB_DROP_MALFORMED,	/* truncated or inconsistent headers */
	NFLB_DROP_NO_BACKEND,	/* a new flow, but no backend with weight > 0 */
	NFLB_DROP_CONN_LIMIT,	/* a new flow, but the table is at conn_max */
	NFLB_DROP_NO_MEM,	/* allocation of a connection entry failed */
	NFLB_DROP_NO_CONN,	/* not a connection start, and no entry (TCP: reset) */
	NFLB_DROP_BACKEND_GONE,	/* a packet of a deleted backend's connection */
	NFLB_DROP_XMIT,		/* rewriting, routing or encapsulating the
				 * packet failed; dr: the backend is no
				 * longer on-link
				 */
	NFLB_DROP_TOO_BIG,	/* a request: DF set, larger than the path MTU
				 * toward the backend less the tunnel's
				 * headers; the sender got ICMP
				 * "fragmentation needed" with that MTU
				 */
	NFLB_DROP_TTL,		/* a request: the TTL ran out here; the sender
				 * got ICMP "time exceeded"
				 */
	NFLB_DROP_SOURCE,	/* a new flow from a source that routing
				 * refuses: a martian (this host's address,
				 * loopback, multicast, ...) or, with
				 * rp_filter on, not reachable back the way
				 * it came
				 */
	__NFLB_DROP_MAX
};

#define NFLB_DROP_MAX (__NFLB_DROP_MAX - 1)

/* TCP states of a connection entry, NFLB_CONN_A_STATE. */
enum nflb_conn_state {
	NFLB_CONN_NONE,		/* UDP, and persistence templates */
	NFLB_CONN_SYN_SENT,
	NFLB_CONN_SYN_RECV,
	NFLB_CONN_ESTABLISHED,
	NFLB_CONN_FIN_WAIT,
	NFLB_CONN_CLOSE_WAIT,
	NFLB_CONN_LAST_ACK,
	NFLB_CONN_TIME_WAIT,
	NFLB_CONN_CLOSE,
	__NFLB_CONN_STATE_MAX
};

#define NFLB_CONN_STATE_MAX (__NFLB_CONN_STATE_MAX - 1)

#define NFLB_CONN_F_TEMPLATE	(1U << 0)	/* a persistence entry */

enum nflb_conn_attr {
	NFLB_CONN_A_UNSPEC,
	NFLB_CONN_A_FAMILY,	/* u16 */
	NFLB_CONN_A_PROTO,	/* u8 */
	NFLB_CONN_A_CLIENT_ADDR,/* NFLB_ADDR_LEN bytes */
	NFLB_CONN_A_CLIENT_PORT,/* u16 */
	NFLB_CONN_A_VIP_ADDR,	/* NFLB_ADDR_LEN bytes */
	NFLB_CONN_A_VIP_PORT,	/* u16 */
	NFLB_CONN_A_BE_ADDR,	/* NFLB_ADDR_LEN bytes */
	NFLB_CONN_A_BE_PORT,	/* u16 */
	NFLB_CONN_A_STATE,	/* u8, enum nflb_conn_state */
	NFLB_CONN_A_EXPIRES,	/* u32, milliseconds left */
	NFLB_CONN_A_FLAGS,	/* u32, NFLB_CONN_F_* */
	__NFLB_CONN_A_MAX
};

#define NFLB_CONN_A_MAX (__NFLB_CONN_A_MAX - 1)

#endif /* _UAPI_LINUX_NFLB_H */
