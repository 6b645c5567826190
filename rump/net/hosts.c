/* /run/hosts: the names of the VM's peers on its private networks, for the
 * program's own resolver (glibc reads /etc/hosts, which images ship as a
 * symlink to /run/hosts, as they do /etc/resolv.conf). Nothing is baked into
 * the image, so one image runs as many instances: the image's own lines (what
 * the image carried at /run/hosts, copied into the tmpfs at boot) come first,
 * then one line per peer address, from the kernel command line's
 *     hosts=ADDR:NAME[:NAME...]       (each field %XX-escaped, as mount=)
 * and, later, from the control channel's `hosts ADDR [NAME...]` (a peer that
 * started after us, or went away). A name stands for one address: a newer
 * line takes it from an older one. Each write makes a new file and renames
 * it over the old, so a reader never sees half of one. */
#include "kernel.h"
#include "sched.h"
#include "net.h"
#include "vfs.h"
#include "ipconfig.h"
#include "lwip/ip4_addr.h"

#define HOSTS_PATH "/run/hosts"
#define HOSTS_TMP "/run/.hosts.new"
#define MAX_PEERS 64
#define NAMES_MAX 192            /* one peer's names, space-separated */
#define BASE_MAX 8192            /* the image's own lines */
#define QUEUE_MAX 8              /* control lines not yet written */
#define LINE_MAX 256

struct peer {
	uint32_t addr;               /* network byte order; 0: a free slot */
	char names[NAMES_MAX];
};

/* Guarded by hosts_mtx once the net thread runs; before that, boot is alone. */
static struct mutex hosts_mtx = MUTEX_INIT("hosts");
static struct peer peers[MAX_PEERS];
static char *base;               /* the image's /run/hosts, read once */
static size_t base_len;
static bool base_read;

/* Control lines from the timer tick, for the net thread. */
static struct spinlock queue_lock = SPINLOCK_INIT("hosts-queue");
static char queue[QUEUE_MAX][LINE_MAX];
static int queued;               /* guarded by queue_lock */

/* A name as /etc/hosts and DNS allow it: letters, digits, '-', '_', '.'. */
static bool name_ok(const char *s, size_t len)
{
	if (!len || len > 63)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Remove NAME (LEN bytes) from every peer's names but SKIP's. */
static void take_name(const char *name, size_t len, const struct peer *skip)
{
	for (int i = 0; i < MAX_PEERS; i++) {
		struct peer *p = &peers[i];
		if (!p->addr || p == skip)
			continue;
		char *s = p->names;
		while (*s) {
			char *e = strchr(s, ' ');
			size_t l = e ? (size_t)(e - s) : strlen(s);
			if (l == len && !strncmp(s, name, len)) {
				size_t rest = strlen(s + l);
				memmove(s, s + l + (e ? 1 : 0), rest + (e ? 0 : 1));
				if (!e && s > p->names)
					s[-1] = 0;      /* the last name went: drop its separator */
				continue;
			}
			s = e ? e + 1 : s + l;
		}
		if (!p->names[0])
			p->addr = 0;
	}
}

/* ADDR now has NAMES (N of them, each LEN[i] bytes); none: ADDR is gone.
 * 0, or -errno (-EINVAL for a bad name, -ENOSPC when the table is full). */
static int set_peer(uint32_t addr, const char *const *names, const size_t *lens, int n)
{
	struct peer *slot = NULL;
	for (int i = 0; i < MAX_PEERS; i++)
		if (peers[i].addr == addr)
			slot = &peers[i];
	for (int i = 0; i < n; i++)
		if (!name_ok(names[i], lens[i]))
			return -EINVAL;
	if (slot)
		slot->addr = 0;
	if (!n)
		return 0;
	for (int i = 0; i < n; i++)
		take_name(names[i], lens[i], NULL);
	for (int i = 0; i < MAX_PEERS && !slot; i++)
		if (!peers[i].addr)
			slot = &peers[i];
	if (!slot)
		return -ENOSPC;
	size_t w = 0;
	for (int i = 0; i < n; i++) {
		if (w + lens[i] + 2 > NAMES_MAX)
			return -ENAMETOOLONG;
		if (w)
			slot->names[w++] = ' ';
		memcpy(slot->names + w, names[i], lens[i]);
		w += lens[i];
	}
	slot->names[w] = 0;
	slot->addr = addr;
	return 0;
}

/* Split TEXT at SEP into an address and names; apply them. 0 or -errno. */
static int apply_line(char *text, char sep, bool decode)
{
	const char *names[16];
	size_t lens[16];
	int n = 0;
	char *f = text, *end = strchr(f, sep);
	if (end)
		*end = 0;
	uint32_t addr;
	if (!ipconfig_parse_quad(f, strlen(f), &addr) || !addr)
		return -EINVAL;
	while (end) {
		f = end + 1;
		end = strchr(f, sep);
		if (end)
			*end = 0;
		if (!*f)
			continue;
		if (n == (int)ARRAY_SIZE(names))
			return -E2BIG;
		if (decode)
			percent_decode(f);
		names[n] = f;
		lens[n++] = strlen(f);
	}
	return set_peer(addr, names, lens, n);
}

void net_hosts_option(char *value)
{
	char copy[LINE_MAX];
	if (strlcpy(copy, value, sizeof copy) >= sizeof copy) {
		kprintf("uninode: hosts= token too long; ignored\n");
		return;
	}
	int err = apply_line(copy, ':', true);
	if (err)
		kprintf("uninode: hosts=%s ignored: expected ADDRESS:NAME[:NAME...] with names of letters, digits, '-', '_' and '.' (error %d)\n",
			value, err);
}

void net_hosts_control(const char *line)
{
	bool full;
	spin_lock(&queue_lock);
	full = queued == QUEUE_MAX;
	if (!full)
		strlcpy(queue[queued++], line, LINE_MAX);
	spin_unlock(&queue_lock);
	if (full)
		kprintf("uninode: control channel: hosts line dropped (%d waiting)\n", QUEUE_MAX);
	else
		net_wake();
}

bool hosts_stale(void)
{
	spin_lock(&queue_lock);
	bool any = queued > 0;
	spin_unlock(&queue_lock);
	return any;
}

/* The image's lines: what /run/hosts holds before we first write it. */
static void read_base(void)
{
	base_read = true;
	struct file *f;
	if (vfs_open(HOSTS_PATH, O_RDONLY, 0, &f))
		return;                 /* an image without one: only the peers' lines */
	base = kmalloc(BASE_MAX);
	if (base) {
		long r = file_read(f, base, BASE_MAX - 1);
		base_len = r > 0 ? (size_t)r : 0;
		if (base_len && base[base_len - 1] != '\n')
			base[base_len++] = '\n';
	}
	file_put(f);
}

static int write_hosts(void)
{
	size_t cap = base_len + MAX_PEERS * (NAMES_MAX + 20) + 128;
	char *text = kmalloc(cap);
	if (!text)
		return -ENOMEM;
	size_t len = 0;
	if (base_len) {
		memcpy(text, base, base_len);
		len = base_len;
	}
	bool any = false;
	for (int i = 0; i < MAX_PEERS; i++) {
		if (!peers[i].addr)
			continue;
		if (!any)
			len += (size_t)snprintf(text + len, cap - len, "# The VM's network peers, written by the uninode kernel (hosts=, control channel).\n");
		any = true;
		char quad[16];
		ip4_addr_t a = { peers[i].addr };
		ip4addr_ntoa_r(&a, quad, sizeof quad);
		len += (size_t)snprintf(text + len, cap - len, "%s\t%s\n", quad, peers[i].names);
	}
	struct file *f;
	int err = vfs_open(HOSTS_TMP, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (!err) {
		long w = file_write(f, text, len);
		file_put(f);
		if (w != (long)len)
			err = w < 0 ? (int)w : -EIO;
	}
	if (!err)
		err = k_renameat2(AT_FDCWD, HOSTS_TMP, AT_FDCWD, HOSTS_PATH, 0);
	if (err)
		k_unlinkat(AT_FDCWD, HOSTS_TMP, 0);
	kfree(text);
	return err;
}

void net_publish_hosts(void)
{
	mutex_lock(&hosts_mtx);
	if (!base_read)
		read_base();
	for (;;) {
		char line[LINE_MAX];
		spin_lock(&queue_lock);
		bool got = queued > 0;
		if (got) {
			memcpy(line, queue[0], LINE_MAX);
			memmove(queue[0], queue[1], (size_t)(queued - 1) * LINE_MAX);
			queued--;
		}
		spin_unlock(&queue_lock);
		if (!got)
			break;
		int err = apply_line(line, ' ', false);
		if (err)
			kprintf("uninode: control channel: hosts line ignored (error %d): expected ADDRESS [NAME...]\n", err);
	}
	int err = write_hosts();
	mutex_unlock(&hosts_mtx);
	if (err)
		kprintf("net: cannot write %s (error %d)\n", HOSTS_PATH, err);
}
