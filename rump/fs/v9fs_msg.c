/* 9P messages: little-endian marshalling, tags, and the round trip over a
 * channel (rump/include/p9.h); also the registry of channels by mount tag.
 * Every message is size[4] type[1] tag[2] then the type's fields. */
#include "v9fs.h"

static struct p9_chan *chans;        /* registered channels; guarded by chans_lock */
static struct spinlock chans_lock = SPINLOCK_INIT("p9chans");

/* p9.h: register C (never removed). */
int p9_chan_register(struct p9_chan *c)
{
	spin_lock(&chans_lock);
	c->next = chans;
	chans = c;
	spin_unlock(&chans_lock);
	return 0;
}

/* p9.h: the channel tagged TAG, or NULL. */
struct p9_chan *p9_chan_find(const char *tag)
{
	spin_lock(&chans_lock);
	struct p9_chan *c = chans;
	while (c && strcmp(c->tag, tag))
		c = c->next;
	spin_unlock(&chans_lock);
	return c;
}

/* v9fs.h: a T-message's header, its size and tag filled in when sent. */
int p9_begin(struct p9_msg *m, uint8_t type, size_t cap)
{
	m->buf = kmalloc(cap);
	if (!m->buf)
		return -ENOMEM;
	m->cap = cap;
	m->len = 0;
	m->off = 0;
	m->bad = false;
	p9_put32(m, 0);                      /* size, set when sent */
	p9_put8(m, type);
	p9_put16(m, P9_NOTAG);               /* tag, set when sent */
	return 0;
}

/* Free a message's buffer (NULL is fine). */
void p9_free(struct p9_msg *m)
{
	kfree(m->buf);
	m->buf = NULL;
}

/* Room for N more bytes in T, or mark it bad. */
static uint8_t *room(struct p9_msg *m, size_t n)
{
	if (m->bad || m->cap - m->len < n) {
		m->bad = true;
		return NULL;
	}
	uint8_t *p = m->buf + m->len;
	m->len += n;
	return p;
}

/* N little-endian bytes of V into T. */
static void put_le(struct p9_msg *m, uint64_t v, size_t n)
{
	uint8_t *p = room(m, n);
	for (size_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Fixed-size fields, little-endian. */
void p9_put8(struct p9_msg *m, uint8_t v) { put_le(m, v, 1); }
void p9_put16(struct p9_msg *m, uint16_t v) { put_le(m, v, 2); }
void p9_put32(struct p9_msg *m, uint32_t v) { put_le(m, v, 4); }
void p9_put64(struct p9_msg *m, uint64_t v) { put_le(m, v, 8); }

/* A string: len[2] then its bytes. */
void p9_putstr(struct p9_msg *m, const char *s, size_t len)
{
	if (len > 0xffff) {
		m->bad = true;
		return;
	}
	p9_put16(m, (uint16_t)len);
	p9_putdata(m, s, len);
}

/* Raw bytes. */
void p9_putdata(struct p9_msg *m, const void *p, size_t len)
{
	uint8_t *d = room(m, len);
	if (d)
		memcpy(d, p, len);
}

/* N bytes of R from the read position, or NULL (R marked bad) past its end. */
static const uint8_t *take(struct p9_msg *m, size_t n)
{
	if (m->bad || m->len - m->off < n) {
		m->bad = true;
		return NULL;
	}
	const uint8_t *p = m->buf + m->off;
	m->off += n;
	return p;
}

/* N little-endian bytes of R as a number (0 past the end). */
static uint64_t get_le(struct p9_msg *m, size_t n)
{
	const uint8_t *p = take(m, n);
	uint64_t v = 0;
	for (size_t i = 0; p && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Fixed-size fields of R, little-endian (0 past its end, R marked bad). */
uint8_t p9_get8(struct p9_msg *m) { return (uint8_t)get_le(m, 1); }
uint16_t p9_get16(struct p9_msg *m) { return (uint16_t)get_le(m, 2); }
uint32_t p9_get32(struct p9_msg *m) { return (uint32_t)get_le(m, 4); }
uint64_t p9_get64(struct p9_msg *m) { return get_le(m, 8); }

/* v9fs.h: a string of R, in place. */
const char *p9_getstr(struct p9_msg *m, size_t *len)
{
	*len = p9_get16(m);
	const char *s = (const char *)take(m, *len);
	if (!s)
		*len = 0;
	return s ? s : "";
}

/* A qid: type[1] version[4] path[8]. */
void p9_getqid(struct p9_msg *m, struct p9_qid *q)
{
	q->type = p9_get8(m);
	q->version = p9_get32(m);
	q->path = p9_get64(m);
}

/* A free tag, sleeping while all are taken. */
static uint16_t tag_get(struct v9fs_sb *sb)
{
	spin_lock(&sb->tag_lock);
	for (;;) {
		for (unsigned w = 0; w < ARRAY_SIZE(sb->tags); w++)
			if (~sb->tags[w]) {
				unsigned b = (unsigned)__builtin_ctzll(~sb->tags[w]);
				sb->tags[w] |= 1ull << b;
				spin_unlock(&sb->tag_lock);
				return (uint16_t)(w * 64 + b);
			}
		waitq_sleep(&sb->tag_wq, &sb->tag_lock, 0);
	}
}

/* Give TAG back and wake one waiter. */
static void tag_put(struct v9fs_sb *sb, uint16_t tag)
{
	spin_lock(&sb->tag_lock);
	sb->tags[tag / 64] &= ~(1ull << (tag % 64));
	spin_unlock(&sb->tag_lock);
	waitq_wake(&sb->tag_wq, 1);
}

/* v9fs.h: one round trip; Rlerror becomes -errno, anything malformed -EIO. */
int p9_rpc(struct v9fs_sb *sb, struct p9_msg *t, struct p9_msg *r, size_t rcap)
{
	r->buf = NULL;
	if (t->bad || t->len > sb->msize) {
		p9_free(t);
		return t->bad ? -ENAMETOOLONG : -EINVAL;
	}
	uint8_t type = t->buf[4];
	/* Tversion goes out before tags mean anything: it carries NOTAG. */
	uint16_t tag = type == P9_TVERSION ? P9_NOTAG : tag_get(sb);
	for (int i = 0; i < 4; i++)
		t->buf[i] = (uint8_t)(t->len >> (8 * i));
	t->buf[5] = (uint8_t)tag;
	t->buf[6] = (uint8_t)(tag >> 8);
	rcap = MIN(rcap, (size_t)sb->msize);
	r->buf = kmalloc(rcap);
	int err = r->buf ? 0 : -ENOMEM;
	size_t got = 0;
	if (!err)
		err = sb->chan->ops->request(sb->chan, t->buf, t->len, r->buf, rcap, &got);
	if (tag != P9_NOTAG)
		tag_put(sb, tag);
	p9_free(t);
	if (!err) {
		r->cap = rcap;
		r->len = got;
		r->off = 0;
		r->bad = false;
		uint32_t size = p9_get32(r);
		uint8_t rtype = p9_get8(r);
		uint16_t rtag = p9_get16(r);
		if (r->bad || size < P9_HDR || size > got || rtag != tag) {
			klog_once("v9fs-badreply", "9p: %s: a malformed reply to message type %u\n", sb->chan->tag, type);
			err = -EIO;
		} else if (rtype == P9_RLERROR) {
			r->len = size;
			uint32_t ecode = p9_get32(r);
			err = r->bad || !ecode || ecode > 4095 ? -EIO : -(int)ecode;
		} else if (rtype != type + 1) {
			klog_once("v9fs-badtype", "9p: %s: reply type %u to message type %u\n", sb->chan->tag, rtype, type);
			err = -EIO;
		} else {
			r->len = size;
		}
	}
	if (err)
		p9_free(r);
	return err;
}

/* p9_rpc for replies with nothing to read. */
int p9_rpc_simple(struct v9fs_sb *sb, struct p9_msg *t)
{
	struct p9_msg r;
	int err = p9_rpc(sb, t, &r, 64);
	if (!err)
		p9_free(&r);
	return err;
}
