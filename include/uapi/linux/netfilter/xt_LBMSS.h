/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * LBMSS: an xtables target (in nflb.ko) that lowers the MSS option of TCP
 * SYN and SYN-ACK segments, for IPv4 (iptables) and IPv6 (ip6tables).
 *
 *   iptables -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss 1400
 *   iptables -t mangle -A FORWARD -p tcp --syn -j LBMSS --clamp-mss-to-pmtu
 *
 * Target data: struct xt_lbmss_info, the same on every architecture (two
 * u16, no padding), revision 0.
 *
 *   mss    the ceiling, 1..65535; must be 0 with XT_LBMSS_F_PMTU.
 *   flags  XT_LBMSS_F_* bits; the kernel refuses bits it does not know
 *          (EINVAL), so a newer iptables cannot be misread by an older
 *          module.
 *
 * XT_LBMSS_F_PMTU: the ceiling is the smaller of the MTU of the route the
 * segment takes and of the route back to its source, minus 40 bytes
 * (IPv4 and TCP headers) or 60 (IPv6 and TCP).  Only in the FORWARD,
 * OUTPUT and POSTROUTING hooks, where the route is known.
 *
 * What the target does, where it differs from TCPMSS (xt_TCPMSS.h):
 *  - an MSS option above the ceiling is lowered to it, never raised; every
 *    MSS option is lowered, not only the first (the receiver uses the last);
 *  - a SYN without one, and without payload, gets one: the ceiling, but at
 *    most 536 (IPv4) or 1220 (IPv6), the MSS the receiver would have
 *    assumed; IPv4 fragments and IPv6 packets with a fragment header do not;
 *  - the option list is read as a receiver reads it (RFC 9293 3.1): it ends
 *    at End of Option List; any other option but No-Operation carries a
 *    length byte of at least 2 that keeps it within the header.  A list
 *    that breaks these rules is malformed and is counted ("malformed" in
 *    /proc/net/nflb_lbmss).  It is read up to the fault, as Linux's
 *    receiver reads it (keeping what it parsed before the fault), and
 *    treated as the list of the options before the fault: an MSS option
 *    there is lowered, without one an option is inserted in front; the
 *    bytes from the fault on are never changed, where TCPMSS walks on byte
 *    by byte and may rewrite bytes the receiver never reads as an option;
 *  - the checksum is updated right when the MSS value sits at an odd
 *    offset (after an odd number of one-byte options), which TCPMSS
 *    updates as if it were aligned;
 *  - segments without SYN pass untouched, whatever the rule matched;
 *  - a segment whose TCP header is cut short passes (counted as
 *    malformed) where TCPMSS drops it.
 *
 * The rule must match "-p tcp" and a TCP flag test with SYN set (--syn, or
 * --tcp-flags with SYN among the flags compared and set); checkentry
 * refuses other rules with a message in the kernel log.  Under nft (the
 * iptables-nft compatibility layer) the flag test is not visible to the
 * target and is not checked.
 *
 * Counters, per network namespace: /proc/net/nflb_lbmss, one "name value"
 * line each for the segments the target saw: kept (no change needed, or
 * not a SYN), lowered, added, malformed (read up to the fault; counted
 * as lowered or added too when it was; logged with pr_debug),
 * nomem (dropped: no memory to edit the header, as TCPMSS does), nopmtu
 * (passed untouched: the routes give no MTU above 40 or 60 bytes).
 */
#ifndef _UAPI_XT_LBMSS_H
#define _UAPI_XT_LBMSS_H

#include <linux/types.h>

enum {
	XT_LBMSS_F_PMTU		= 1 << 0,	/* ceiling from the path MTU */
	__XT_LBMSS_F_ALL	= XT_LBMSS_F_PMTU,
};

struct xt_lbmss_info {
	__u16 mss;
	__u16 flags;
};

#endif /* _UAPI_XT_LBMSS_H */
