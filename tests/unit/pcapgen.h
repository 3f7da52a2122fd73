/* pcapgen.h: a classic pcap capture built byte by byte in memory, for the unit tests that run the
 * public pipeline end to end: Ethernet frames holding IPv4 packets (header checksum computed), TCP
 * segments without options (checksum over the pseudo-header computed), UDP datagrams without a
 * checksum, and DNS names in wire form. Little-endian file, microseconds, one frame every 10 ms.
 *
 * Every frame carries the Ethernet addresses 02:00:00:00:00:01 (source) and 02:00:00:00:00:02
 * (destination) unless the test gave an IPv4 address its own MAC with pcapgen_host_mac: then that
 * MAC is used whenever the address is the frame's source or destination (a device known by its
 * MAC, a multicast group's MAC).
 */
#ifndef CIOT_TEST_PCAPGEN_H
#define CIOT_TEST_PCAPGEN_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define TCP_SYN 0x02
#define TCP_PSH_ACK 0x18
#define TCP_SYN_ACK 0x12
#define TCP_ACK 0x10

static struct bytes pcap; /* little-endian, as written on a little-endian host */
static int64_t clock_us = 1700000000LL * 1000000;

#define PCAPGEN_MAX_HOSTS 8
static struct {
	uint8_t ip[4], mac[6];
} pcapgen_hosts[PCAPGEN_MAX_HOSTS];
static size_t pcapgen_nhosts;

static inline void ip_of(const char *text, uint8_t out[4])
{
	if (inet_pton(AF_INET, text, out) != 1) {
		fprintf(stderr, "bad address in the test: %s\n", text);
		exit(2);
	}
}

/* The global header: magic, 2.4, UTC, no sigfigs, snaplen 65535, Ethernet. */
static inline void pcapgen_header(void)
{
	bytes_u32(&pcap, 0xa1b2c3d4);
	bytes_u16(&pcap, 2);
	bytes_u16(&pcap, 4);
	bytes_u32(&pcap, 0);
	bytes_u32(&pcap, 0);
	bytes_u32(&pcap, 65535);
	bytes_u32(&pcap, 1);
}

/* Frames to or from `ip` carry `mac` instead of the default addresses. */
static inline void pcapgen_host_mac(const char *ip, const uint8_t mac[6])
{
	if (pcapgen_nhosts == PCAPGEN_MAX_HOSTS) {
		fprintf(stderr, "pcapgen: more than %d hosts with a MAC\n", PCAPGEN_MAX_HOSTS);
		exit(2);
	}
	ip_of(ip, pcapgen_hosts[pcapgen_nhosts].ip);
	memcpy(pcapgen_hosts[pcapgen_nhosts].mac, mac, 6);
	pcapgen_nhosts++;
}

static inline void pcapgen_mac_of(const uint8_t ip[4], uint8_t mac[6])
{
	for (size_t i = 0; i < pcapgen_nhosts; i++)
		if (!memcmp(pcapgen_hosts[i].ip, ip, 4)) {
			memcpy(mac, pcapgen_hosts[i].mac, 6);
			return;
		}
}

/* The one's-complement sum of 16-bit big-endian words (RFC 1071), and its folded complement. */
static inline uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n % 2)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static inline uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Appends one Ethernet frame holding an IPv4 packet (header checksum computed) to the capture. */
static inline void frame(const char *src, const char *dst, uint8_t proto, const struct bytes *l4)
{
	uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	struct bytes ip = { .be = true };
	uint8_t s[4], d[4];
	ip_of(src, s);
	ip_of(dst, d);
	pcapgen_mac_of(d, eth);
	pcapgen_mac_of(s, eth + 6);
	bytes_u8(&ip, 0x45);
	bytes_u8(&ip, 0);
	bytes_u16(&ip, (uint16_t)(20 + l4->n));
	bytes_u16(&ip, 1); /* id */
	bytes_u16(&ip, 0); /* no fragmentation */
	bytes_u8(&ip, 64);
	bytes_u8(&ip, proto);
	bytes_u16(&ip, 0); /* checksum, set below */
	bytes_put(&ip, s, 4);
	bytes_put(&ip, d, 4);
	bytes_set_u16(&ip, 10, fold(sum16(0, ip.d, 20)));
	bytes_put(&ip, l4->d, l4->n);

	clock_us += 10000;
	uint32_t len = (uint32_t)(sizeof eth + ip.n);
	bytes_u32(&pcap, (uint32_t)(clock_us / 1000000));
	bytes_u32(&pcap, (uint32_t)(clock_us % 1000000));
	bytes_u32(&pcap, len);
	bytes_u32(&pcap, len);
	bytes_put(&pcap, eth, sizeof eth);
	bytes_put(&pcap, ip.d, ip.n);
	bytes_free(&ip);
}

/* A TCP segment without options, its checksum over the IPv4 pseudo-header computed. */
static inline void tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		       uint8_t flags, const void *data, size_t n)
{
	struct bytes seg = { .be = true };
	bytes_u16(&seg, sport);
	bytes_u16(&seg, dport);
	bytes_u32(&seg, seq);
	bytes_u32(&seg, ack);
	bytes_u8(&seg, 5 << 4);
	bytes_u8(&seg, flags);
	bytes_u16(&seg, 65535); /* window */
	bytes_u16(&seg, 0);     /* checksum, set below */
	bytes_u16(&seg, 0);     /* urgent pointer */
	bytes_put(&seg, data, n);
	uint8_t pseudo[12] = { 0 };
	ip_of(src, pseudo);
	ip_of(dst, pseudo + 4);
	pseudo[9] = 6;
	pseudo[10] = (uint8_t)(seg.n >> 8);
	pseudo[11] = (uint8_t)seg.n;
	bytes_set_u16(&seg, 16, fold(sum16(sum16(0, pseudo, sizeof pseudo), seg.d, seg.n)));
	frame(src, dst, 6, &seg);
	bytes_free(&seg);
}

/* A UDP datagram without a checksum (0: none, as IPv4 allows). */
static inline void udp(const char *src, const char *dst, uint16_t sport, uint16_t dport, const struct bytes *data)
{
	struct bytes dg = { .be = true };
	bytes_u16(&dg, sport);
	bytes_u16(&dg, dport);
	bytes_u16(&dg, (uint16_t)(8 + data->n));
	bytes_u16(&dg, 0);
	bytes_put(&dg, data->d, data->n);
	frame(src, dst, 17, &dg);
	bytes_free(&dg);
}

/* A domain name in DNS wire form: its dot-separated labels, each after its length, then the root.
 * A label may hold spaces (an mDNS instance name); a name has no escaped dots here. */
static inline void dns_name(struct bytes *m, const char *name)
{
	for (const char *label = name; *label;) {
		const char *dot = strchr(label, '.');
		size_t len = dot ? (size_t)(dot - label) : strlen(label);
		bytes_u8(m, (uint8_t)len);
		bytes_put(m, label, len);
		label += len + (dot ? 1 : 0);
	}
	bytes_u8(m, 0);
}

#endif
