/* The 9P2000.L client against a scripted server on a fake channel: message
 * sizes chunked to the negotiated msize, Rlerror's errno passed up, a
 * malformed reply refused with EIO, readdir resumed where a small getdents64
 * buffer stopped, st_ino from qid.path, statfs passed through, a server that
 * does not speak 9P2000.L refused at mount, fid numbers reused only once free. */
#include <string.h>
#include "test.h"
#include "rump/include/p9.h"

#define FILE_LEN 20000
#define NENTRIES 40
#define MSIZE 8192

struct node { const char *name; uint64_t path; bool dir; };
static struct node nodes[2 + 1 + NENTRIES];     /* root, a.txt, sub, e00.. */
static char names[NENTRIES][8];
static int nnodes;
static int fids[65536];                          /* fid -> node index + 1, 0: none */
static int nversions;
static uint32_t max_fid;                        /* the largest fid a walk made */

static uint8_t pat(size_t i) { return (uint8_t)(i * 13 + (i >> 8)); }

/* ---- a little-endian writer and reader over plain buffers ---- */
struct buf { uint8_t *p; size_t n, cap; };
static void w(struct buf *b, uint64_t v, int k) { for (int i = 0; i < k; i++) b->p[b->n++] = (uint8_t)(v >> (8 * i)); }
static void ws(struct buf *b, const char *s) { size_t l = strlen(s); w(b, l, 2); memcpy(b->p + b->n, s, l); b->n += l; }
static void wq(struct buf *b, const struct node *nd) { w(b, nd->dir ? 0x80 : 0, 1); w(b, 0, 4); w(b, nd->path, 8); }
static uint64_t r(const uint8_t **p, int k) { uint64_t v = 0; for (int i = 0; i < k; i++) v |= (uint64_t)(*p)[i] << (8 * i); *p += k; return v; }

/* Start a reply of TYPE with TAG; finish() writes the size. */
static void start(struct buf *b, uint8_t type, uint16_t tag) { b->n = 0; w(b, 0, 4); w(b, type, 1); w(b, tag, 2); }
static void finish(struct buf *b) { uint32_t n = (uint32_t)b->n; memcpy(b->p, &n, 4); }
static void lerror(struct buf *b, uint16_t tag, int e) { start(b, 7, tag); w(b, (uint32_t)e, 4); finish(b); }

static int child(const char *name, size_t len)
{
	for (int i = 1; i < nnodes; i++)
		if (strlen(nodes[i].name) == len && !memcmp(nodes[i].name, name, len))
			return i;
	return -1;
}

/* The scripted server: one T-message in, one R-message out. */
static int serve(struct p9_chan *c, const void *req, size_t reqlen, void *resp, size_t resplen, size_t *got)
{
	const uint8_t *p = req;
	uint32_t size = (uint32_t)r(&p, 4);
	uint8_t type = (uint8_t)r(&p, 1);
	uint16_t tag = (uint16_t)r(&p, 2);
	CHECK_EQ(size, reqlen);
	CHECK(reqlen <= MSIZE || type == 100, "a request of %zu bytes", reqlen);
	struct buf b = { resp, 0, resplen };
	int chan_speaks_l = c->priv != NULL;
	switch (type) {
	case 100: {                                 /* Tversion */
		uint32_t msize = (uint32_t)r(&p, 4);
		nversions++;
		start(&b, 101, tag);
		w(&b, msize < MSIZE ? msize : MSIZE, 4);
		ws(&b, chan_speaks_l ? "9P2000.L" : "9P2000.u");
		break;
	}
	case 104:                                   /* Tattach */
		fids[r(&p, 4)] = 1;
		start(&b, 105, tag);
		wq(&b, &nodes[0]);
		break;
	case 110: {                                 /* Twalk */
		uint32_t fid = (uint32_t)r(&p, 4), nfid = (uint32_t)r(&p, 4);
		uint16_t nw = (uint16_t)r(&p, 2);
		int at = fids[fid] - 1;
		if (nw == 1) {
			size_t len = (size_t)r(&p, 2);
			if (len == 7 && !memcmp(p, "garbage", 7)) {
				start(&b, 111, tag);
				w(&b, 1, 2);
				uint32_t lie = 500;             /* a size beyond what arrived */
				memcpy(b.p, &lie, 4);
				*got = b.n;
				return 0;
			}
			at = child((const char *)p, len);
			if (at < 0) {
				lerror(&b, tag, ENOENT);
				*got = b.n;
				return 0;
			}
		}
		CHECK(nfid < 65536 && !fids[nfid], "Twalk to fid %u, which is live", nfid);
		if (nfid >= 65536)
			nfid = 0;
		fids[nfid] = at + 1;
		if (nfid > max_fid)
			max_fid = nfid;
		start(&b, 111, tag);
		w(&b, nw, 2);
		if (nw)
			wq(&b, &nodes[at]);
		break;
	}
	case 24: {                                  /* Tgetattr */
		const struct node *nd = &nodes[fids[r(&p, 4)] - 1];
		start(&b, 25, tag);
		w(&b, 0x7ff, 8);
		wq(&b, nd);
		w(&b, nd->dir ? (S_IFDIR | 0755) : (S_IFREG | 0640), 4);
		w(&b, 1000, 4);
		w(&b, 1000, 4);
		w(&b, nd->dir ? 2 : 1, 8);
		w(&b, 0, 8);
		w(&b, nd == &nodes[1] ? FILE_LEN : 0, 8);
		w(&b, 4096, 8);
		w(&b, 40, 8);
		for (int i = 0; i < 8; i++)
			w(&b, i & 1 ? 0 : 1700000000, 8);
		w(&b, 0, 8);                          /* gen */
		w(&b, 0, 8);                          /* data_version */
		break;
	}
	case 12:                                    /* Tlopen */
		start(&b, 13, tag);
		wq(&b, &nodes[fids[r(&p, 4)] - 1]);
		w(&b, 0, 4);
		break;
	case 116: {                                 /* Tread */
		r(&p, 4);
		uint64_t off = r(&p, 8);
		uint32_t count = (uint32_t)r(&p, 4);
		CHECK(count + 11 <= MSIZE, "Tread of %u", count);
		uint32_t n = off >= FILE_LEN ? 0 : (uint32_t)(FILE_LEN - off < count ? FILE_LEN - off : count);
		start(&b, 117, tag);
		w(&b, n, 4);
		for (uint32_t i = 0; i < n; i++)
			b.p[b.n++] = pat(off + i);
		break;
	}
	case 40: {                                  /* Treaddir: cookies are entry indexes */
		int at = fids[r(&p, 4)] - 1;
		uint64_t off = r(&p, 8);
		uint32_t count = (uint32_t)r(&p, 4);
		start(&b, 41, tag);
		size_t countpos = b.n;
		w(&b, 0, 4);
		size_t data = b.n;
		for (uint64_t i = off + 1; at == 0 && i < (uint64_t)nnodes; i++) {
			if (b.n - data + 24 + strlen(nodes[i].name) > count)
				break;
			wq(&b, &nodes[i]);
			w(&b, i, 8);
			w(&b, nodes[i].dir ? DT_DIR : DT_REG, 1);
			ws(&b, nodes[i].name);
		}
		uint32_t n = (uint32_t)(b.n - data);
		memcpy(b.p + countpos, &n, 4);
		break;
	}
	case 76:                                    /* Tunlinkat: sub is never empty */
		lerror(&b, tag, ENOTEMPTY);
		*got = b.n;
		return 0;
	case 8:                                     /* Tstatfs */
		start(&b, 9, tag);
		w(&b, 0x58465342, 4);                  /* what the host fs says, passed through */
		w(&b, 4096, 4);
		for (int i = 0; i < 6; i++)
			w(&b, 1000 + i, 8);
		w(&b, 255, 4);
		break;
	case 120: {                                 /* Tclunk */
		uint32_t fid = (uint32_t)r(&p, 4);
		CHECK(fid < 65536 && fids[fid], "Tclunk of fid %u, which is not live", fid);
		if (fid < 65536)
			fids[fid] = 0;
		start(&b, 121, tag);
		break;
	}
	default:
		lerror(&b, tag, EOPNOTSUPP);
		*got = b.n;
		return 0;
	}
	finish(&b);
	*got = b.n;
	return 0;
}

static const struct p9_chan_ops fake_ops = { .request = serve };
static struct p9_chan chan_l = { .ops = &fake_ops, .tag = "fake", .max_msize = 1 << 20, .priv = &chan_l };
static struct p9_chan chan_u = { .ops = &fake_ops, .tag = "fake-u", .max_msize = 1 << 20, .priv = NULL };

/* Mount the fake share at /tmp/9p, as volumes.c would. */
static int mount_fake(const char *tag, const char *at)
{
	struct mount *m;
	int err = v9fs_mount_tag(tag, false, makedev64(0, 77), &m);
	if (err)
		return err;
	CHECK_EQ(k_mkdirat(AT_FDCWD, at, 0755), 0);
	struct nameidata nd;
	vfs_lock();
	err = path_walk(AT_FDCWD, at, WALK_FOLLOW | WALK_DIRECTORY, &nd);
	if (!err)
		err = mount_attach(m, nd.ino);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

static void test_v9fs_mount(void)
{
	CHECK_EQ(mount_fake("fake-u", "/tmp/9pu"), -EPROTONOSUPPORT);
	CHECK_EQ(mount_fake("missing", "/tmp/9pm"), -ENODEV);
	CHECK_EQ(mount_fake("fake", "/tmp/9p"), 0);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/9p/a.txt", &st), 0);
	CHECK_EQ(st.st_ino, 2);
	CHECK_EQ(st.st_size, FILE_LEN);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_blocks, 40);
	CHECK_EQ(st.st_mtim.sec, 1700000000);
	struct kstatfs sf;
	CHECK_EQ(sys_statfs("/tmp/9p", &sf), 0);
	CHECK_EQ(sf.f_type, 0x58465342);
	CHECK_EQ(sf.f_blocks, 1000);
	CHECK_EQ(sf.f_ffree, 1004);
}

static void test_v9fs_read_chunks(void)
{
	static uint8_t buf[FILE_LEN + 100];
	int fd = (int)sys_open("/tmp/9p/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0, "open: %d", fd);
	CHECK_EQ(sys_read(fd, buf, sizeof buf), FILE_LEN);   /* three Treads at msize 8192 */
	size_t bad = 0;
	for (size_t i = 0; i < FILE_LEN; i++)
		bad += buf[i] != pat(i);
	CHECK_EQ(bad, 0);
	CHECK_EQ(sys_read(fd, buf, sizeof buf), 0);
	sys_close(fd);
}

static void test_v9fs_errors(void)
{
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/9p/nothing", &st), -ENOENT);
	CHECK_EQ(sys_stat("/tmp/9p/garbage", &st), -EIO);    /* a reply shorter than its size */
	CHECK_EQ(sys_rmdir("/tmp/9p/sub"), -ENOTEMPTY);     /* the server's errno, as it said it */
	CHECK_EQ(sys_mkdir("/tmp/9p/new", 0755), -EOPNOTSUPP);
	CHECK_EQ(sys_stat("/tmp/9p/sub", &st), 0);
	CHECK(S_ISDIR(st.st_mode), "sub is a directory");
	/* fid numbers come back after Rclunk or a refused walk: many lookups,
	 * found or not, use only a few */
	uint32_t before = max_fid;
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ(sys_stat(i & 1 ? "/tmp/9p/nothing" : "/tmp/9p/a.txt", &st), i & 1 ? -ENOENT : 0);
	}
	CHECK(max_fid < before + 10, "fids up to %u after 2000 lookups (%u before)", max_fid, before);
}

static void test_v9fs_readdir_resume(void)
{
	int fd = (int)sys_open("/tmp/9p", O_RDONLY | O_DIRECTORY, 0);
	CHECK(fd >= 0, "open: %d", fd);
	char buf[100];                                        /* three or so records per call */
	int seen[64] = { 0 }, total = 0, calls = 0;
	for (;;) {
		long n = sys_getdents64(fd, buf, sizeof buf);
		CHECK(n >= 0, "getdents64: %ld", n);
		if (n <= 0)
			break;
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (d->d_ino < 64)
				seen[d->d_ino]++;
			total++;
			off += d->d_reclen;
		}
	}
	sys_close(fd);
	CHECK_EQ(total, nnodes - 1);
	CHECK(calls > 5, "%d calls", calls);
	int once = 0;
	for (int i = 1; i < nnodes; i++)
		once += seen[nodes[i].path] == 1;
	CHECK_EQ(once, nnodes - 1);
	CHECK_EQ(nversions, 2);
}

void suite_v9fs(void)
{
	nodes[nnodes++] = (struct node){ "", 1, true };
	nodes[nnodes++] = (struct node){ "a.txt", 2, false };
	nodes[nnodes++] = (struct node){ "sub", 3, true };
	for (int i = 0; i < NENTRIES; i++) {
		snprintf(names[i], sizeof names[i], "e%02d", i);
		nodes[nnodes++] = (struct node){ names[i], 10 + (uint64_t)i, false };
	}
	p9_chan_register(&chan_l);
	p9_chan_register(&chan_u);
	RUN(test_v9fs_mount);
	RUN(test_v9fs_read_chunks);
	RUN(test_v9fs_errors);
	RUN(test_v9fs_readdir_resume);
}
