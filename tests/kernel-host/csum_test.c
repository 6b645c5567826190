/* rump/net/csum.c on the host, against a reference that builds each
 * pseudo-header as RFC 793/768/8200 draw it and sums bytes one by one.
 * Frames are random TCP and UDP over IPv4 and IPv6, odd and even lengths,
 * with and without Ethernet padding; the "device" is simulated as virtio
 * says: sum from csum_start to the end, store at csum_start + csum_offset.
 * Prints "N passed, M failed"; exits non-zero on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rump/include/csum.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* The reference: a flat pseudo-header + segment buffer summed byte pair by byte pair. */
static uint16_t ref_sum(const uint8_t *pseudo, size_t plen, const uint8_t *seg, size_t slen, size_t field)
{
	static uint8_t buf[70000];
	memcpy(buf, pseudo, plen);
	memcpy(buf + plen, seg, slen);
	buf[plen + field] = buf[plen + field + 1] = 0;
	size_t n = plen + slen;
	if (n & 1)
		buf[n++] = 0;
	unsigned long long s = 0;
	for (size_t i = 0; i < n; i += 2)
		s += (unsigned)buf[i] * 256 + buf[i + 1];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct frame {
	uint8_t b[1600];
	size_t len;        /* the frame, padding included */
	size_t l4;         /* the transport header's offset */
	size_t l4len;
	uint8_t pseudo[40];
	size_t plen;
};

/* A random frame: IPv4 or IPv6, PROTO, PAYLOAD bytes of data, PAD bytes of Ethernet padding. */
static void make(struct frame *f, int v6, uint8_t proto, size_t payload, size_t pad)
{
	memset(f, 0, sizeof *f);
	uint8_t *e = f->b;
	for (int i = 0; i < 12; i++)
		e[i] = (uint8_t)rnd();
	size_t hl = proto == 6 ? 20 + 4 * (rnd() % 3) : 8;    /* TCP with 0..8 bytes of options */
	f->l4len = hl + payload;
	uint8_t *ip = e + 14;
	if (!v6) {
		e[12] = 0x08, e[13] = 0x00;
		ip[0] = 0x45;
		size_t total = 20 + f->l4len;
		ip[2] = (uint8_t)(total >> 8), ip[3] = (uint8_t)total;
		ip[6] = 0x40;                                   /* DF */
		ip[8] = 64, ip[9] = proto;
		for (int i = 12; i < 20; i++)
			ip[i] = (uint8_t)rnd();
		f->l4 = 34;
		memcpy(f->pseudo, ip + 12, 8);
		f->pseudo[9] = proto;
		f->pseudo[10] = (uint8_t)(f->l4len >> 8), f->pseudo[11] = (uint8_t)f->l4len;
		f->plen = 12;
	} else {
		e[12] = 0x86, e[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)(f->l4len >> 8), ip[5] = (uint8_t)f->l4len;
		ip[6] = proto, ip[7] = 64;
		for (int i = 8; i < 40; i++)
			ip[i] = (uint8_t)rnd();
		f->l4 = 54;
		memcpy(f->pseudo, ip + 8, 32);
		f->pseudo[34] = (uint8_t)(f->l4len >> 8), f->pseudo[35] = (uint8_t)f->l4len;
		f->pseudo[39] = proto;
		f->plen = 40;
	}
	uint8_t *l4 = e + f->l4;
	for (size_t i = 0; i < f->l4len; i++)
		l4[i] = (uint8_t)rnd();
	if (proto == 6)
		l4[12] = (uint8_t)((hl / 4) << 4);
	else
		l4[4] = (uint8_t)(f->l4len >> 8), l4[5] = (uint8_t)f->l4len;
	f->len = f->l4 + f->l4len;
	for (size_t i = 0; i < pad; i++)
		e[f->len++] = (uint8_t)rnd();                 /* padding is not data, and not zero */
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The device's half of transmit offload. */
static void device_sum(uint8_t *b, size_t len, uint16_t start, uint16_t off)
{
	uint16_t s = (uint16_t)~csum_fold(csum_add(0, b + start, len - start));
	b[start + off] = (uint8_t)(s >> 8), b[start + off + 1] = (uint8_t)s;
}

static void tx_offload(void)
{
	for (int round = 0; round < 400; round++) {
		struct frame f;
		int v6 = round & 1;
		make(&f, v6, 6, rnd() % 1400 + (round < 8 ? 0 : 1), 0);
		uint16_t want = ref_sum(f.pseudo, f.plen, f.b + f.l4, f.l4len, 16);
		uint16_t start = 0, off = 0;
		memset(f.b + f.l4 + 16, 0, 2);                  /* as lwIP leaves it */
		int ok = csum_tx_prepare(f.b, f.len, &start, &off);
		CHECK(ok && start == f.l4 && off == 16, "tx_prepare v6=%d len %zu: %d start %u off %u", v6, f.len, ok, start, off);
		device_sum(f.b, f.len, start, off);
		CHECK(get16(f.b + f.l4 + 16) == want, "tx v6=%d len %zu: device wrote %04x, want %04x", v6, f.len,
			get16(f.b + f.l4 + 16), want);
		CHECK(csum_tcp_ok(f.b, f.len), "a frame summed by the device checks");
	}
}

static void rx_check(void)
{
	for (int round = 0; round < 400; round++) {
		struct frame f;
		int v6 = round & 1;
		size_t pad = round % 3 == 0 ? rnd() % 40 + 1 : 0;
		make(&f, v6, 6, rnd() % 1400, pad);
		uint16_t want = ref_sum(f.pseudo, f.plen, f.b + f.l4, f.l4len, 16);
		f.b[f.l4 + 16] = (uint8_t)(want >> 8), f.b[f.l4 + 17] = (uint8_t)want;
		CHECK(csum_tcp_ok(f.b, f.len), "good TCP v6=%d len %zu pad %zu is accepted", v6, f.len, pad);
		size_t at = f.l4 + rnd() % f.l4len;
		f.b[at] ^= (uint8_t)(1u << (rnd() % 8));
		CHECK(!csum_tcp_ok(f.b, f.len), "a flipped bit at %zu of TCP v6=%d is refused", at, v6);
	}
}

static void rx_complete(void)
{
	for (int round = 0; round < 400; round++) {
		struct frame f;
		int v6 = round & 1;
		uint8_t proto = round & 2 ? 17 : 6;
		size_t field = proto == 6 ? 16 : 6;
		size_t pad = round % 5 == 0 ? rnd() % 40 + 1 : 0;
		make(&f, v6, proto, rnd() % 1400, pad);
		uint16_t want = ref_sum(f.pseudo, f.plen, f.b + f.l4, f.l4len, field);
		if (proto == 17 && want == 0)
			want = 0xffff;
		/* A sender on the same host leaves the pseudo-header's sum in the field. */
		uint16_t pseudo_only = (uint16_t)~ref_sum(f.pseudo, f.plen, NULL, 0, 0);
		f.b[f.l4 + field] = (uint8_t)(pseudo_only >> 8), f.b[f.l4 + field + 1] = (uint8_t)pseudo_only;
		int ok = csum_complete(f.b, f.len, f.l4, field);
		CHECK(ok && get16(f.b + f.l4 + field) == want, "complete proto %u v6=%d pad %zu: %04x, want %04x", proto, v6, pad,
			get16(f.b + f.l4 + field), want);
	}
}

static void refusals(void)
{
	struct frame f;
	uint16_t s, o;
	make(&f, 0, 17, 100, 0);
	CHECK(!csum_tx_prepare(f.b, f.len, &s, &o), "UDP is left to software on transmit");
	make(&f, 0, 6, 100, 0);
	f.b[12] = 0x08, f.b[13] = 0x06;                     /* ARP */
	CHECK(!csum_tx_prepare(f.b, f.len, &s, &o), "ARP is not TCP");
	CHECK(csum_tcp_ok(f.b, f.len), "non-IP frames are not judged");
	make(&f, 0, 6, 100, 0);
	f.b[14 + 6] = 0x20;                                  /* more fragments */
	CHECK(!csum_tx_prepare(f.b, f.len, &s, &o), "a fragment's sum spans frames");
	make(&f, 1, 6, 100, 0);
	for (size_t cut = 0; cut < f.len; cut += 7)
		CHECK(!csum_tx_prepare(f.b, cut, &s, &o), "a frame cut to %zu bytes is refused", cut);
	make(&f, 0, 6, 100, 0);
	CHECK(!csum_complete(f.b, f.len, f.len - 1, 16), "a checksum field past the end is refused");
	CHECK(!csum_complete(f.b, f.len, f.len + 10, 0), "a start past the end is refused");
}

int main(void)
{
	tx_offload();
	rx_check();
	rx_complete();
	refusals();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
