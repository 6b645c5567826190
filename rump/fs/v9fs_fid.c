/* 9P fids: numbers the client picks for files on the server. A fid is made
 * by Tattach or Twalk, may be opened once (Tlopen/Tlcreate), and lives until
 * Tclunk. A number is handed out again only after its Rclunk came back (as
 * Linux's IDR does), so the live ones never exceed the numbers in use and a
 * long-running program cannot wrap the counter onto a live fid. */
#include "v9fs.h"

/* A fid number not used before on this share, or one clunked since. */
uint32_t v9fs_fid_new(struct v9fs_sb *sb)
{
	spin_lock(&sb->fid_alloc);
	uint32_t fid = sb->nfree ? sb->free_fids[--sb->nfree] : sb->next_fid++;
	spin_unlock(&sb->fid_alloc);
	return fid;
}

/* Remember FID (clunked) for reuse; if there is no room, it is just not reused. */
static void fid_free(struct v9fs_sb *sb, uint32_t fid)
{
	spin_lock(&sb->fid_alloc);
	if (sb->nfree == sb->free_cap) {
		uint32_t cap = sb->free_cap ? sb->free_cap * 2 : 64;
		/* allocating under a spinlock is not allowed: grow outside it */
		spin_unlock(&sb->fid_alloc);
		uint32_t *n = kmalloc(cap * sizeof(*n));
		spin_lock(&sb->fid_alloc);
		if (n && cap > sb->free_cap) {
			if (sb->nfree)
				memcpy(n, sb->free_fids, sb->nfree * sizeof(*n));
			kfree(sb->free_fids);
			sb->free_fids = n;
			sb->free_cap = cap;
			n = NULL;
		}
		kfree(n);
	}
	if (sb->nfree < sb->free_cap)
		sb->free_fids[sb->nfree++] = fid;
	spin_unlock(&sb->fid_alloc);
}

/* v9fs.h: Twalk of zero or one name. */
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
	if ((err = p9_rpc(sb, &t, &r, P9_HDR + 2 + 13))) {
		/* A refused walk made no NEWFID (unknown after a transport failure) */
		if (err != -EIO && err != -ENOMEM)
			fid_free(sb, newfid);
		return err;
	}
	uint16_t n = p9_get16(&r);
	struct p9_qid q = { 0, 0, 0 };
	if (n)
		p9_getqid(&r, &q);
	if (r.bad || n != (len ? 1 : 0))
		err = r.bad ? -EIO : -ENOENT;   /* a short walk made no fid */
	p9_free(&r);
	if (err == -ENOENT)
		fid_free(sb, newfid);
	if (!err && qid)
		*qid = q;
	return err;
}

/* Tclunk FID (P9_NOFID: nothing). */
int v9fs_clunk(struct v9fs_sb *sb, uint32_t fid)
{
	if (fid == P9_NOFID)
		return 0;
	struct p9_msg t;
	int err = p9_begin(&t, P9_TCLUNK, P9_HDR + 4);
	if (err)
		return err;
	p9_put32(&t, fid);
	/* Even on an error the server has let the fid go (the 9P rule for Tclunk). */
	err = p9_rpc_simple(sb, &t);
	if (err != -ENOMEM)
		fid_free(sb, fid);
	return err;
}

/* v9fs.h: Tlopen. */
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

/* Tgetattr of the basic fields and btime into A. */
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
