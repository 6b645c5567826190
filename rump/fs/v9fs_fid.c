/* 9P fids: numbers the client picks for files on the server. A fid is made
 * by Tattach or Twalk, may be opened once (Tlopen/Tlcreate), and lives until
 * Tclunk. Fid numbers are never reused, so a late reply cannot confuse two
 * files. */
#include "v9fs.h"

uint32_t v9fs_fid_new(struct v9fs_sb *sb)
{
	return __atomic_fetch_add(&sb->next_fid, 1, __ATOMIC_RELAXED);
}

int v9fs_walk(struct v9fs_sb *sb, uint32_t fid, uint32_t newfid, const char *name, size_t len, struct p9_qid *qid)
{
	struct p9_msg t, r;
	int err = p9_begin(&t, P9_TWALK, P9_HDR + 10 + 2 + len);
	if (err)
		return err;
	p9_put32(&t, fid);
	p9_put32(&t, newfid);
	p9_put16(&t, len ? 1 : 0);
	if (len)
		p9_putstr(&t, name, len);
	if ((err = p9_rpc(sb, &t, &r, P9_HDR + 2 + 13)))
		return err;
	uint16_t n = p9_get16(&r);
	struct p9_qid q = { 0, 0, 0 };
	if (n)
		p9_getqid(&r, &q);
	if (r.bad || n != (len ? 1 : 0))
		err = r.bad ? -EIO : -ENOENT;   /* a short walk made no fid */
	p9_free(&r);
	if (!err && qid)
		*qid = q;
	return err;
}

int v9fs_clunk(struct v9fs_sb *sb, uint32_t fid)
{
	if (fid == P9_NOFID)
		return 0;
	struct p9_msg t;
	int err = p9_begin(&t, P9_TCLUNK, P9_HDR + 4);
	if (err)
		return err;
	p9_put32(&t, fid);
	return p9_rpc_simple(sb, &t);
}

int v9fs_lopen(struct v9fs_sb *sb, uint32_t fid, uint32_t flags)
{
	struct p9_msg t;
	int err = p9_begin(&t, P9_TLOPEN, P9_HDR + 8);
	if (err)
		return err;
	p9_put32(&t, fid);
	p9_put32(&t, flags);
	return p9_rpc_simple(sb, &t);
}

/* A 9P time (sec[8] nsec[8]). */
static struct ktimespec get_time(struct p9_msg *r)
{
	struct ktimespec ts;
	ts.sec = (int64_t)p9_get64(r);
	ts.nsec = (int64_t)p9_get64(r);
	return ts;
}

int v9fs_getattr(struct v9fs_sb *sb, uint32_t fid, struct v9fs_attr *a)
{
	struct p9_msg t, r;
	int err = p9_begin(&t, P9_TGETATTR, P9_HDR + 12);
	if (err)
		return err;
	p9_put32(&t, fid);
	p9_put64(&t, P9_GETATTR_BASIC | P9_GETATTR_BTIME);
	if ((err = p9_rpc(sb, &t, &r, 256)))
		return err;
	uint64_t valid = p9_get64(&r);
	p9_getqid(&r, &a->qid);
	a->mode = p9_get32(&r);
	a->uid = p9_get32(&r);
	a->gid = p9_get32(&r);
	a->nlink = p9_get64(&r);
	a->rdev = p9_get64(&r);
	a->size = p9_get64(&r);
	(void)p9_get64(&r);                  /* blksize: st_blksize stays the VFS's */
	a->blocks = p9_get64(&r);
	a->atime = get_time(&r);
	a->mtime = get_time(&r);
	a->ctime = get_time(&r);
	a->btime = get_time(&r);
	a->has_btime = valid & P9_GETATTR_BTIME;
	err = r.bad ? -EIO : 0;
	p9_free(&r);
	return err;
}
