// SPDX-License-Identifier: GPL-2.0
/*
 * MSS clamping, for the LBMSS target and the per-service clamp alike.
 *
 * The options are first read from a copy of the header, so that a segment
 * left as it is (most of them: non-SYNs, an MSS already low enough, a
 * malformed list) is never made writable, which would copy a cloned or
 * shared header for nothing.  Only then is the header made writable and
 * edited.
 *
 * The option list is read the way a receiver reads it (RFC 9293 3.1, and
 * tcp_parse_options()): End of Option List ends it, No-Operation is one
 * byte, every other option has a length byte of at least 2 and lies within
 * the header.  xt_TCPMSS instead steps one byte over a zero length and walks
 * past the end of the list; on a malformed list it may find an "MSS" in
 * bytes the receiver never reads as one.  Here a malformed list is read up
 * to the fault, as the receiver reads it (tcp_parse_options() keeps what it
 * parsed before giving up), and treated as the well-formed list of the
 * options before the fault would be: an MSS option there is lowered, and
 * without one an option is inserted in front.  Nothing from the fault on is
 * changed.  The verdict says the list was malformed, for the caller to
 * count.
 */
#include <kunit/visibility.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "mss.h"

/* TCP header with the longest option list: doff is a 4-bit word count. */
#define MSS_TCP_HDR_MAX		(15 * 4)

/* Where the MSS options of one header are: at most 40 / 4 of them. */
struct mss_scan {
	u8 at[MAX_TCP_OPTION_SPACE / TCPOLEN_MSS];
	unsigned int count;
};

/* Reads the option list of @th (@hdrlen bytes in all); -EINVAL if it is
 * malformed, @scan then holding the MSS options before the fault.  An
 * option of kind MSS whose length is not 4 is not an MSS option for the
 * receiver either: it is skipped like any unknown kind.
 */
static int mss_scan_options(const u8 *th, unsigned int hdrlen,
			    struct mss_scan *scan)
{
	unsigned int i = sizeof(struct tcphdr);

	scan->count = 0;
	while (i < hdrlen) {
		u8 kind = th[i], len;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hdrlen)
			return -EINVAL;		/* no room for the length */
		len = th[i + 1];
		if (len < 2 || len > hdrlen - i)
			return -EINVAL;		/* zero, 1, or past the header */
		if (kind == TCPOPT_MSS && len == TCPOLEN_MSS)
			scan->at[scan->count++] = i;
		i += len;
	}
	return 0;
}

/* The value of the MSS option at @o, which may sit at any byte offset. */
static u16 mss_value(const u8 *o)
{
	return o[2] << 8 | o[3];
}

/* @mss as the checksum sees it.  The checksum sums 16-bit words at even
 * offsets: a value at an odd offset (an option after an odd number of
 * NOPs) contributes its low byte to one word's high half and its high byte
 * to the next word's low half, which sums as the byte-swapped value
 * (RFC 1071 2.B).  xt_TCPMSS updates the checksum as if it were aligned,
 * and so gets it wrong there.
 */
static __be16 mss_csum_word(u16 mss, bool odd)
{
	u8 b[2] = { mss >> 8, mss & 0xff };
	__be16 w;

	if (odd)
		swap(b[0], b[1]);
	memcpy(&w, b, sizeof(w));
	return w;
}

/* The length in bytes of the IP datagram as its header says, for a check
 * that the skb holds exactly that (no trailer to move the option past);
 * 0 when it cannot be told (an IPv6 jumbogram).
 */
static unsigned int mss_ip_len(const struct sk_buff *skb, u16 family)
{
	if (family == AF_INET)
		return ntohs(ip_hdr(skb)->tot_len);
	if (!ipv6_hdr(skb)->payload_len)
		return 0;
	return sizeof(struct ipv6hdr) + ntohs(ipv6_hdr(skb)->payload_len);
}

/* Whether an option may be inserted: the segment carries no payload that
 * the option would have to push back, it is not a fragment of a larger
 * datagram, its header has room for one more word, and the skb is exactly
 * the datagram (GSO packets always carry payload, but say so anyway).
 */
static bool mss_can_insert(struct sk_buff *skb, unsigned int tcpoff,
			   unsigned int hdrlen, u16 family)
{
	if (hdrlen + TCPOLEN_MSS > MSS_TCP_HDR_MAX)
		return false;
	if (skb->len != tcpoff + hdrlen || skb_is_gso(skb))
		return false;
	if (skb->len - skb_network_offset(skb) != mss_ip_len(skb, family))
		return false;
	if (family == AF_INET)
		return !ip_is_fragment(ip_hdr(skb));
#if IS_ENABLED(CONFIG_IPV6)
	{
		unsigned int off = 0;
		int flags = 0;

		/* The first fragment of a TCP datagram looks whole: the
		 * fragment header is what tells.
		 */
		if (ipv6_find_hdr(skb, &off, IPPROTO_TCP, NULL, &flags) !=
		    IPPROTO_TCP || (flags & IP6_FH_F_FRAG) || off != tcpoff)
			return false;
	}
#endif
	return true;
}

/* The IP header says the datagram grew by @delta bytes.  An IPv4 header
 * carries its own checksum, which keeps its sum (and so skb->csum of a
 * CHECKSUM_COMPLETE packet) unchanged; an IPv6 header has none, so
 * skb->csum must follow the payload length.
 */
static void mss_ip_grow(struct sk_buff *skb, u16 family, unsigned int delta)
{
	if (family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		__be16 len = htons(ntohs(iph->tot_len) + delta);

		csum_replace2(&iph->check, iph->tot_len, len);
		iph->tot_len = len;
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);
		__be16 len = htons(ntohs(ip6h->payload_len) + delta);

		if (skb->ip_summed == CHECKSUM_COMPLETE)
			skb->csum = csum_add(csum_sub(skb->csum,
						      (__force __wsum)ip6h->payload_len),
					     (__force __wsum)len);
		ip6h->payload_len = len;
	}
}

/* Inserts an MSS option carrying @mss in front of the others: the
 * segment is all headers (mss_can_insert()), made writable by the caller.
 * The checksum follows three changes: the pseudo-header's TCP length, the
 * new option word and the data offset; the old options move by 4 bytes,
 * which does not change a 16-bit ones' complement sum.
 */
static int mss_insert(struct sk_buff *skb, unsigned int tcpoff,
		      unsigned int hdrlen, u16 family, u16 mss)
{
	unsigned int tcplen = hdrlen;
	struct tcphdr *th;
	__be16 old_word;
	__be32 option;
	u8 *opt;

	if (skb_tailroom(skb) < TCPOLEN_MSS &&
	    pskb_expand_head(skb, 0, TCPOLEN_MSS - skb_tailroom(skb),
			     GFP_ATOMIC))
		return -ENOMEM;
	skb_put(skb, TCPOLEN_MSS);

	th = (struct tcphdr *)(skb->data + tcpoff);
	opt = (u8 *)(th + 1);
	memmove(opt + TCPOLEN_MSS, opt, hdrlen - sizeof(*th));
	option = htonl(TCPOPT_MSS << 24 | TCPOLEN_MSS << 16 | mss);
	memcpy(opt, &option, TCPOLEN_MSS);

	inet_proto_csum_replace2(&th->check, skb, htons(tcplen),
				 htons(tcplen + TCPOLEN_MSS), true);
	inet_proto_csum_replace4(&th->check, skb, 0, option, false);
	/* doff shares its 16-bit word with the flags. */
	old_word = ((__be16 *)th)[6];
	th->doff += TCPOLEN_MSS / 4;
	inet_proto_csum_replace2(&th->check, skb, old_word, ((__be16 *)th)[6],
				 false);

	mss_ip_grow(skb, family, TCPOLEN_MSS);
	return 0;
}

enum nflb_mss_verdict nflb_mss_clamp(struct sk_buff *skb, unsigned int thoff,
				     u16 family, u16 ceiling, bool insert)
{
	unsigned int tcpoff = skb_network_offset(skb) + thoff;
	u8 buf[MSS_TCP_HDR_MAX];
	const struct tcphdr *th;
	struct mss_scan scan;
	unsigned int hdrlen, i;
	bool lower = false;
	bool bad;
	struct tcphdr *wth;
	u8 *opt;

	if (skb->len < tcpoff)
		return NFLB_MSS_BAD;
	th = skb_header_pointer(skb, tcpoff, sizeof(*th), buf);
	if (!th)
		return NFLB_MSS_BAD;
	if (!th->syn)
		return NFLB_MSS_KEPT;
	hdrlen = th->doff * 4;
	if (hdrlen < sizeof(*th))
		return NFLB_MSS_BAD;
	th = skb_header_pointer(skb, tcpoff, hdrlen, buf);
	if (!th)
		return NFLB_MSS_BAD;	/* the header is cut short */
	bad = mss_scan_options((const u8 *)th, hdrlen, &scan) < 0;

	for (i = 0; i < scan.count; i++)
		if (mss_value((const u8 *)th + scan.at[i]) > ceiling)
			lower = true;

	if (scan.count && !lower)
		return bad ? NFLB_MSS_BAD : NFLB_MSS_KEPT;
	if (!scan.count) {
		if (!insert || !mss_can_insert(skb, tcpoff, hdrlen, family))
			return bad ? NFLB_MSS_BAD : NFLB_MSS_KEPT;
		if (skb_ensure_writable(skb, skb->len))
			return NFLB_MSS_NOMEM;
		/* The receiver would otherwise assume 536 (IPv4, RFC 1122)
		 * or 1220 (IPv6: the 1280-byte minimum MTU): never more.
		 */
		ceiling = min_t(u16, ceiling, family == AF_INET ?
				TCP_MSS_DEFAULT : NFLB_MSS_DEFAULT6);
		if (mss_insert(skb, tcpoff, hdrlen, family, ceiling))
			return NFLB_MSS_NOMEM;
		return bad ? NFLB_MSS_BAD_ADDED : NFLB_MSS_ADDED;
	}

	if (skb_ensure_writable(skb, tcpoff + hdrlen))
		return NFLB_MSS_NOMEM;
	wth = (struct tcphdr *)(skb->data + tcpoff);
	opt = (u8 *)wth;
	for (i = 0; i < scan.count; i++) {
		u8 *o = opt + scan.at[i];
		u16 mss = mss_value(o);

		if (mss <= ceiling)
			continue;
		o[2] = ceiling >> 8;
		o[3] = ceiling & 0xff;
		inet_proto_csum_replace2(&wth->check, skb,
					 mss_csum_word(mss, scan.at[i] & 1),
					 mss_csum_word(ceiling, scan.at[i] & 1),
					 false);
	}
	return bad ? NFLB_MSS_BAD_LOWERED : NFLB_MSS_LOWERED;
}
EXPORT_SYMBOL_IF_KUNIT(nflb_mss_clamp);
