/* IPv4 configuration and /etc/resolv.conf.
 *
 * The kernel command line's ip= token uses Linux's own syntax (its
 * Documentation/admin-guide/nfs/nfsroot.rst), so a config written for a
 * Linux VM means the same here:
 *   ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1:NTP0
 * of which we use CLIENT (optionally CLIENT/PREFIX instead of NETMASK),
 * GATEWAY, NETMASK, DEVICE (empty or eth0: the first interface; eth1..eth3
 * the further ones), AUTOCONF (off/none: static; dhcp/on/any: DHCP; empty:
 * static when CLIENT is given) and up to two DNS servers; SERVER, HOSTNAME
 * and NTP0 are accepted and unused. Linux takes one ip=; we take one per
 * device, so a VM on a private network gets `ip=...:eth1:off` beside eth0's.
 * The default route is eth0's gateway only: a further interface reaches its
 * own subnet directly. `ip=dhcp` and `ip=off` alone are the short forms (for
 * eth0). Anything we cannot honour is one log line, and DHCP, so a typo
 * never leaves a VM without a network.
 *
 * The resolver in the app's libc reads /etc/resolv.conf, which images ship as
 * a symlink to /run/resolv.conf on a tmpfs: the kernel writes it at boot from
 * ip='s DNS servers, else DHCP's (option 6), and the net thread rewrites it
 * whenever those change (a DHCP answer after boot stopped waiting, a lease
 * renewed with other servers). */
#include "kernel.h"
#include "sched.h"
#include "net.h"
#include "vfs.h"
#include "ipconfig.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/ip4_addr.h"

#define MAX_DNS 2
#define RESOLV_PATH "/run/resolv.conf"
#define RESOLV_TMP "/run/.resolv.conf.new"

enum ip_mode { MODE_DHCP, MODE_STATIC, MODE_OFF };

/* One interface's configuration (network byte order). */
struct if_cfg {
	enum ip_mode mode;
	uint32_t addr, mask, gw;
};

/* Filled by net_ip_option at the very start of boot (no heap yet), read by
 * net_init later: nothing changes it once the stack runs. The DNS servers are
 * the machine's, from every ip= in order. */
static struct {
	struct if_cfg dev[NET_MAX_ETH];
	uint32_t dns[MAX_DNS];
	int ndns;
} cfg;

/* "a.b.c.d", each part 0..255 in decimal, nothing else. */
static bool parse_quad(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part && (i >= len || s[i++] != '.'))
			return false;
		unsigned n = 0, digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			n = n * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || n > 255)
			return false;
		v = v << 8 | n;
	}
	if (i != len)
		return false;
	*out = lwip_htonl(v);
	return true;
}

static bool field_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(s, word, len);
}

/* The mask Linux assumes when ip= gives neither a netmask nor a prefix. */
static uint32_t classful_mask(uint32_t addr)
{
	uint32_t first = lwip_ntohl(addr) >> 24;
	return lwip_htonl(first < 128 ? 0xff000000u : first < 192 ? 0xffff0000u : 0xffffff00u);
}

/* Parse VALUE into *C and the device's index, DNS servers into DNS/NDNS;
 * NULL, or why it cannot be used. */
static const char *parse_ip(const char *value, struct if_cfg *c, int *dev, uint32_t *dns, int *ndns)
{
	*dev = 0;
	if (!strcmp(value, "dhcp") || !strcmp(value, "on") || !strcmp(value, "any")) {
		c->mode = MODE_DHCP;
		return NULL;
	}
	if (!strcmp(value, "off") || !strcmp(value, "none")) {
		c->mode = MODE_OFF;
		return NULL;
	}
	enum { CLIENT, SERVER, GATEWAY, NETMASK, HOSTNAME, DEVICE, AUTOCONF, DNS0, DNS1, NTP0, NFIELDS };
	const char *f[NFIELDS];
	size_t len[NFIELDS];
	int n = 0;
	for (const char *p = value;; n++) {
		if (n == NFIELDS)
			return "it has more than 10 ':'-separated fields";
		const char *end = strchr(p, ':');
		f[n] = p;
		len[n] = end ? (size_t)(end - p) : strlen(p);
		if (!end) {
			n++;
			break;
		}
		p = end + 1;
	}
	for (int i = n; i < NFIELDS; i++) {
		f[i] = "";
		len[i] = 0;
	}

	bool dhcp;
	if (field_is(f[AUTOCONF], len[AUTOCONF], "off") || field_is(f[AUTOCONF], len[AUTOCONF], "none"))
		dhcp = false;
	else if (field_is(f[AUTOCONF], len[AUTOCONF], "dhcp") || field_is(f[AUTOCONF], len[AUTOCONF], "on") ||
		 field_is(f[AUTOCONF], len[AUTOCONF], "any"))
		dhcp = true;
	else if (!len[AUTOCONF])
		dhcp = !len[CLIENT];     /* Linux: no address and no method means "find one" */
	else
		return "the autoconfiguration field must be off, none, dhcp, on or any";
	if (len[DEVICE]) {
		if (len[DEVICE] != 4 || strncmp(f[DEVICE], "eth", 3) || f[DEVICE][3] < '0' || f[DEVICE][3] >= '0' + NET_MAX_ETH)
			return "the device must be empty or eth0 to eth3";
		*dev = f[DEVICE][3] - '0';
	}

	for (int i = 0; i < 2; i++) {
		size_t l = len[DNS0 + i];
		if (!l)
			continue;
		if (*ndns == MAX_DNS)
			return "the ip= options name more than two DNS servers in all";
		if (!parse_quad(f[DNS0 + i], l, &dns[*ndns]))
			return "a DNS server is not an IPv4 address a.b.c.d";
		(*ndns)++;
	}

	if (dhcp) {
		if (len[CLIENT] || len[GATEWAY] || len[NETMASK])
			return "an address, gateway or netmask cannot go with DHCP";
		c->mode = MODE_DHCP;
		return NULL;
	}
	if (!len[CLIENT])
		return "a static configuration needs the client address";
	size_t alen = 0;
	while (alen < len[CLIENT] && f[CLIENT][alen] != '/')
		alen++;
	const char *slash = alen < len[CLIENT] ? f[CLIENT] + alen : NULL;
	if (!parse_quad(f[CLIENT], alen, &c->addr) || !c->addr)
		return "the client address is not an IPv4 address a.b.c.d";
	if (slash) {
		if (len[NETMASK])
			return "give the netmask either as /PREFIX on the address or in its own field, not both";
		unsigned prefix = 0;
		size_t digits = 0;
		for (const char *p = slash + 1; p < f[CLIENT] + len[CLIENT]; p++, digits++) {
			if (*p < '0' || *p > '9' || digits == 2)
				return "the prefix after '/' must be a number from 1 to 32";
			prefix = prefix * 10 + (unsigned)(*p - '0');
		}
		if (!digits || prefix < 1 || prefix > 32)
			return "the prefix after '/' must be a number from 1 to 32";
		c->mask = lwip_htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
	} else if (len[NETMASK]) {
		if (!parse_quad(f[NETMASK], len[NETMASK], &c->mask) || !ip4_addr_netmask_valid(c->mask) || !c->mask)
			return "the netmask is not a contiguous IPv4 netmask such as 255.255.255.0";
	} else {
		c->mask = classful_mask(c->addr);
	}
	if (len[GATEWAY] && *dev)
		return "only eth0 has a gateway (the default route); a further interface reaches its own subnet";
	if (len[GATEWAY]) {
		if (!parse_quad(f[GATEWAY], len[GATEWAY], &c->gw))
			return "the gateway is not an IPv4 address a.b.c.d";
		if ((c->gw & c->mask) != (c->addr & c->mask) || c->gw == c->addr)
			return "the gateway is not another address on the client's network";
	}
	c->mode = MODE_STATIC;
	return NULL;
}

void net_ip_option(const char *value)
{
	struct if_cfg c = { 0 };
	uint32_t dns[MAX_DNS];
	int dev = 0, ndns = cfg.ndns;
	memcpy(dns, cfg.dns, sizeof dns);
	const char *why = parse_ip(value, &c, &dev, dns, &ndns);
	if (why) {
		/* The device it meant may be unknown: DHCP for eth0, as with no ip= at all. */
		kprintf("uninode: ip=%s ignored: %s; using DHCP\n", value, why);
		memset(&cfg.dev[dev], 0, sizeof cfg.dev[dev]);
		cfg.dev[dev].mode = MODE_DHCP;
		return;
	}
	cfg.dev[dev] = c;
	memcpy(cfg.dns, dns, sizeof dns);
	cfg.ndns = ndns;
}

bool ipconfig_parse_quad(const char *s, size_t len, uint32_t *out)
{
	return parse_quad(s, len, out);
}

bool ipconfig_apply(struct netif *nif, int index)
{
	/* Past the last device ip= can name: DHCP, as for one it does not name. */
	static const struct if_cfg dhcp = { .mode = MODE_DHCP };
	const struct if_cfg *c = index < NET_MAX_ETH ? &cfg.dev[index] : &dhcp;
	switch (c->mode) {
	case MODE_STATIC: {
		ip4_addr_t addr = { c->addr }, mask = { c->mask }, gw = { c->gw };
		netif_set_addr(nif, &addr, &mask, &gw);   /* the gateway of the default netif is the default route */
		return true;
	}
	case MODE_OFF:
		return false;
	case MODE_DHCP:
		break;
	}
	dhcp_start(nif);
	return true;
}

/* What /run/resolv.conf says, or should say. */
struct dns_view {
	int n;
	uint32_t addr[MAX_DNS];
	uint32_t dhcp_server;           /* when the servers came from DHCP */
	bool leased;                    /* DHCP has answered (with or without servers) */
};

static struct mutex resolv_mtx = MUTEX_INIT("resolv.conf");
static struct dns_view shown;       /* guarded by net_lock */
static bool resolv_live;            /* written once; guarded by net_lock */

/* Under net_lock. */
static void dns_view_now(struct dns_view *v)
{
	memset(v, 0, sizeof *v);
	if (cfg.ndns) {
		v->n = cfg.ndns;
		memcpy(v->addr, cfg.dns, sizeof v->addr);
		return;
	}
	v->leased = cfg.dev[0].mode == MODE_DHCP && netif_default && dhcp_supplied_address(netif_default);
	if (!v->leased)
		return;
	for (int i = 0; i < MAX_DNS; i++) {
		const ip_addr_t *s = dns_getserver((u8_t)i);
		if (IP_IS_V4(s) && !ip4_addr_isany_val(*ip_2_ip4(s)))
			v->addr[v->n++] = ip4_addr_get_u32(ip_2_ip4(s));
	}
	if (v->n)
		v->dhcp_server = ip4_addr_get_u32(ip_2_ip4(&netif_dhcp_data(netif_default)->server_ip_addr));
}

bool ipconfig_resolv_stale(void)
{
	/* Called on every turn of the net thread: only DHCP's answer can change it. */
	if (!resolv_live || cfg.ndns || cfg.dev[0].mode != MODE_DHCP)
		return false;
	struct dns_view v;
	dns_view_now(&v);
	return memcmp(&v, &shown, sizeof v) != 0;
}

static void put_quad(char *buf, size_t n, uint32_t addr)
{
	ip4_addr_t a = { addr };
	ip4addr_ntoa_r(&a, buf, (int)n);
}

/* The file's text for V: a comment saying where the servers came from, then
 * one nameserver line each. With none, no nameserver line: glibc then asks
 * 127.0.0.1, as on Linux. */
static size_t render(const struct dns_view *v, char *buf, size_t n)
{
	char quad[16];
	size_t len;
	if (cfg.ndns) {
		len = (size_t)snprintf(buf, n, "# Written by the uninode kernel from the kernel command line (ip=).\n");
	} else if (v->n) {
		put_quad(quad, sizeof quad, v->dhcp_server);
		len = (size_t)snprintf(buf, n, "# Written by the uninode kernel from DHCP (server %s).\n", quad);
	} else {
		len = (size_t)snprintf(buf, n, "# Written by the uninode kernel: %s.\n",
				       cfg.dev[0].mode != MODE_DHCP ? "the kernel command line (ip=) names no DNS server" :
				       v->leased ? "DHCP gave no DNS server" : "no DHCP answer (yet), so no DNS server");
	}
	for (int i = 0; i < v->n && len < n; i++) {
		put_quad(quad, sizeof quad, v->addr[i]);
		len += (size_t)snprintf(buf + len, n - len, "nameserver %s\n", quad);
	}
	return len < n ? len : n - 1;
}

/* A reader never sees a half-written file: write a new one, rename it over. */
static int write_file(const char *text, size_t len)
{
	struct file *f;
	int err = vfs_open(RESOLV_TMP, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (err)
		return err;
	long w = file_write(f, text, len);
	file_put(f);
	if (w != (long)len)
		err = w < 0 ? (int)w : -EIO;
	if (!err)
		err = k_renameat2(AT_FDCWD, RESOLV_TMP, AT_FDCWD, RESOLV_PATH, 0);
	if (err)
		k_unlinkat(AT_FDCWD, RESOLV_TMP, 0);
	return err;
}

void net_publish_resolv_conf(void)
{
	mutex_lock(&resolv_mtx);
	struct dns_view v;
	net_lock();
	dns_view_now(&v);
	net_unlock();
	char text[256];
	size_t len = render(&v, text, sizeof text);
	int err = write_file(text, len);
	net_lock();
	if (err) {
		/* Not again: an image without /run would otherwise be retried forever. */
		resolv_live = false;
	} else {
		shown = v;
		resolv_live = true;
	}
	net_unlock();
	mutex_unlock(&resolv_mtx);
	if (err)
		kprintf("net: cannot write %s (error %d); the resolver will ask 127.0.0.1\n", RESOLV_PATH, err);
}
