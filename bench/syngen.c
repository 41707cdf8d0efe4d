// SPDX-License-Identifier: GPL-2.0
/*
 * syngen: TCP SYNs, each from a new random address and port, as fast as
 * one CPU can send them, for `make bench` (bench/guest.sh).
 *
 *   syngen IFACE DST_MAC SRC_NET/BITS DST_ADDR DST_PORT
 *
 * Frames go out on IFACE through a packet socket that bypasses the qdisc
 * layer, 64 per sendmmsg(); the source address is random within SRC_NET
 * (a /16 or smaller network), the source port random in 1024..65535, the
 * checksums right.  Runs until SIGINT or SIGTERM, then prints the number
 * of frames sent.  Which CPU it runs on is taskset's business.
 *
 * trafgen (netsniff-ng) does the same with fields randomised per packet,
 * but at about a third of pktgen's rate under QEMU's TCG; this keeps the
 * generator cheaper than the director it loads.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64
#define FRAME	(sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct tcphdr))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rng_state;

/* xorshift64*: fast and good enough to make every flow a new one. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint16_t *p = data;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	return sum;
}

/*
 * The sums of what every frame has in common, taken once: per frame only
 * the fields that vary are added (at a few hundred thousand frames a
 * second, summing whole headers was a quarter of the generator's CPU).
 */
struct base {
	uint32_t net, hostmask;
	uint32_t ip_sum;	/* IP header, saddr, id and check zero */
	uint32_t tcp_sum;	/* pseudo-header and TCP header, the same */
};

static void fill(uint8_t *f, const struct base *b)
{
	struct iphdr *ip = (void *)(f + sizeof(struct ether_header));
	struct tcphdr *th = (void *)(ip + 1);
	uint64_t r = rnd();
	uint32_t saddr = htonl(b->net | ((uint32_t)r & b->hostmask));
	uint32_t ssum = (saddr & 0xffff) + (saddr >> 16);

	ip->saddr = saddr;
	ip->id = (uint16_t)(r >> 32);
	ip->check = csum_fold(b->ip_sum + ssum + ip->id);
	th->source = htons(1024 + (uint16_t)((r >> 48) % (65536 - 1024)));
	th->seq = (uint32_t)(r >> 16);
	th->check = csum_fold(b->tcp_sum + ssum + th->source +
			      (th->seq & 0xffff) + (th->seq >> 16));
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { 0 };
	unsigned int mac[6], bits, i;
	char net_str[32], *slash;
	struct in_addr net, dst;
	struct base base = { 0 };
	uint32_t hostmask;
	unsigned long long sent = 0;
	struct timespec ts;
	int fd, one = 1, n;

	if (argc != 6) {
		fprintf(stderr, "usage: syngen IFACE DST_MAC SRC_NET/BITS DST_ADDR DST_PORT\n");
		return 2;
	}
	if (sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "syngen: bad MAC address %s\n", argv[2]);
		return 2;
	}
	snprintf(net_str, sizeof(net_str), "%s", argv[3]);
	slash = strchr(net_str, '/');
	if (!slash || inet_pton(AF_INET, argv[4], &dst) != 1) {
		fprintf(stderr, "syngen: bad address %s or %s\n", argv[3], argv[4]);
		return 2;
	}
	*slash = 0;
	bits = atoi(slash + 1);
	if (inet_pton(AF_INET, net_str, &net) != 1 || bits < 16 || bits > 30) {
		fprintf(stderr, "syngen: SRC_NET must be a /16 to /30 network\n");
		return 2;
	}
	hostmask = (1U << (32 - bits)) - 1;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("syngen: socket");
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "syngen: no interface %s\n", argv[1]);
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("syngen: bind");
		return 1;
	}
	/* Straight to the driver, as pktgen does. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));

	clock_gettime(CLOCK_MONOTONIC, &ts);
	rng_state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ULL;

	for (i = 0; i < BATCH; i++) {
		struct ether_header *eh = (void *)frames[i];
		struct iphdr *ip = (void *)(eh + 1);
		struct tcphdr *th = (void *)(ip + 1);
		int k;

		for (k = 0; k < 6; k++)
			eh->ether_dhost[k] = mac[k];
		eh->ether_shost[0] = 0x02;
		eh->ether_type = htons(ETHERTYPE_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*th));
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->daddr = dst.s_addr;
		th->dest = htons(atoi(argv[5]));
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	{
		/* The sums of a frame whose varying fields are still zero. */
		const struct iphdr *ip =
			(void *)(frames[0] + sizeof(struct ether_header));
		const struct tcphdr *th = (void *)(ip + 1);

		base.ip_sum = csum_add(0, ip, sizeof(*ip));
		base.tcp_sum = csum_add(0, &ip->daddr, 4) +
			       htons(IPPROTO_TCP) + htons(sizeof(*th));
		base.tcp_sum = csum_add(base.tcp_sum, th, sizeof(*th));
	}
	base.net = ntohl(net.s_addr) & ~hostmask;
	base.hostmask = hostmask;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		for (i = 0; i < BATCH; i++)
			fill(frames[i], &base);
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS and the like: the receiver is behind. */
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("syngen: sendmmsg");
			return 1;
		}
		sent += n;
	}
	printf("%llu\n", sent);
	return 0;
}
