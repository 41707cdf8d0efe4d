/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One MSS clamping routine (mss.c) for both of its users: the LBMSS
 * xtables target (xt_LBMSS.c) and the per-service clamp of the datapath
 * (hooks.c, "mss-clamp auto|BYTES").
 */
#ifndef _NFLB_MSS_H
#define _NFLB_MSS_H

#include <linux/skbuff.h>
#include <linux/types.h>

/* IPv4 and TCP headers without options: what an MSS leaves out. */
#define NFLB_MSS_HDRS4		40
#define NFLB_MSS_HDRS6		60

/* The MSS an IPv6 receiver assumes without the option: the 1280-byte
 * minimum MTU less NFLB_MSS_HDRS6 (IPv4's is TCP_MSS_DEFAULT, 536).
 */
#define NFLB_MSS_DEFAULT6	1220

/* What nflb_mss_clamp() did. */
enum nflb_mss_verdict {
	NFLB_MSS_KEPT,		/* MSS at or below the ceiling; untouched */
	NFLB_MSS_LOWERED,	/* the option now carries the ceiling */
	NFLB_MSS_ADDED,		/* there was none; one was inserted */
	/* Malformed options, read up to the fault: */
	NFLB_MSS_BAD,		/* packet untouched */
	NFLB_MSS_BAD_LOWERED,	/* an MSS option before the fault lowered */
	NFLB_MSS_BAD_ADDED,	/* none before it: one inserted in front */
	NFLB_MSS_NOMEM,		/* could not make the header writable */
};

/* Whether the option list was malformed (the caller counts it). */
static inline bool nflb_mss_malformed(enum nflb_mss_verdict verdict)
{
	return verdict == NFLB_MSS_BAD || verdict == NFLB_MSS_BAD_LOWERED ||
	       verdict == NFLB_MSS_BAD_ADDED;
}

/*
 * Lowers the MSS option of the TCP SYN or SYN-ACK at @thoff in @skb
 * (network header set; @family AF_INET or AF_INET6) to @ceiling, keeping
 * the TCP checksum right whatever ip_summed says.  An MSS is only ever
 * lowered.  With @insert, a segment without the option gets one the way
 * xt_TCPMSS does it (the IP length grows by 4).  A malformed option list is
 * treated as the list of the options before the fault (what a receiver
 * reads), and nothing from the fault on is changed.  Segments that are not
 * SYNs are kept as they are.
 */
enum nflb_mss_verdict nflb_mss_clamp(struct sk_buff *skb, unsigned int thoff,
				     u16 family, u16 ceiling, bool insert);

/*
 * The MSS that fits @mtu after @overhead bytes of encapsulation: what
 * "mss-clamp auto" uses (route MTU toward the backend minus outer headers
 * minus the inner IPv4 and TCP headers).
 */
static inline u16 nflb_mss_for_mtu(unsigned int mtu, unsigned int overhead)
{
	if (mtu <= overhead + NFLB_MSS_HDRS4 + 88)
		return 88;	/* TCP_MIN_MSS */
	return min_t(unsigned int, mtu - overhead - NFLB_MSS_HDRS4, 0xffff);
}

/*
 * The LBMSS xtables target (xt_LBMSS.c): registered by nflb_init() and
 * unregistered by nflb_exit(), with its per-namespace counters
 * (/proc/net/nflb_lbmss).
 */
int nflb_lbmss_init(void);
void nflb_lbmss_exit(void);

#endif /* _NFLB_MSS_H */
