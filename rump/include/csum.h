/* Internet checksums over whole Ethernet frames, for devices that offload
 * them: the driver (and the host tests) need no lwIP to use these. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSUM_TCP_FIELD 16           /* the checksum's offset in a TCP header */
#define CSUM_UDP_FIELD 6

/* Where a frame's transport header is, and the sum of its pseudo-header. */
struct csum_l4 {
	size_t off;                     /* from the frame's first byte */
	uint8_t proto;                  /* 6 TCP, 17 UDP */
	uint32_t pseudo;                /* unfolded one's complement sum */
};

static inline uint16_t csum_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One's complement sum of LEN bytes as big-endian 16-bit words, added to SUM. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
/* SUM folded to 16 bits (not complemented). */
uint16_t csum_fold(uint32_t sum);
/* Finds the TCP or UDP header of an unfragmented IPv4 or IPv6 frame (IPv6
 * with no extension headers). False for anything else. */
bool csum_locate(const uint8_t *frame, size_t len, struct csum_l4 *out);
/* Transmit offload of a TCP frame: writes the pseudo-header sum into its
 * checksum field and says where the device must sum from and store to.
 * False when FRAME is not TCP over IP (then nothing is written). */
bool csum_tx_prepare(uint8_t *frame, size_t len, uint16_t *start, uint16_t *offset);
/* A frame whose checksum the sender left partial (virtio NEEDS_CSUM): sum
 * from START to the end and store the complement at START + OFFSET, as the
 * device would have. False when the positions do not fit the frame. */
bool csum_complete(uint8_t *frame, size_t len, size_t start, size_t offset);
/* True unless FRAME is TCP over IP with a wrong checksum. */
bool csum_tcp_ok(const uint8_t *frame, size_t len);
