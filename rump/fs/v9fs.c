/* Host directories over 9P2000.L (mount=9p:TAG:PATH): the inode_ops of a
 * share that a virtio-9p device (rump/virtio/virtio_9p.c) carries.
 *
 * Caching policy: none for data, little for attributes. The host may change
 * files under us at any moment, so every read and write goes to the server,
 * and an inode's attributes are re-read (Tgetattr) at every lookup, that is
 * at every path walk through it, and after every change we make. Only fstat
 * of a descriptor kept open across a change the host makes shows what the
 * last of those said. Inodes are keyed by qid.path, so a file seen twice (or
 * under two names) is one inode, and st_ino is qid.path, as Linux's v9fs.
 *
 * Fids: each inode holds one walked, unopened fid that names it (->fid),
 * and, made on first use, a fid opened for reading, one for writing (the
 * same one when the host allowed O_RDWR), and for directories one opened for
 * Treaddir. New files and directories get the host's owner: the attach is
 * made without a user (n_uname = ~0) and creations pass gid ~0, which QEMU's
 * security_model=none leaves alone.
 *
 * Locking: like every inode_op, these run under the VFS lock, except read
 * and write, which run unlocked (BUF may be app memory) and take the VFS lock
 * only to update the inode. sb->fid_lock guards the fids in every node and is
 * taken after the VFS lock, never before it. Requests sleep. */
#include "v9fs.h"

#define DOTL_RDONLY 0
#define DOTL_WRONLY 1
#define DOTL_RDWR 2
#define DOTL_CREAT 0100
#define DOTL_EXCL 0200
#define DOTL_DIRECTORY 0200000
#define DOTL_AT_REMOVEDIR 0x200
#define P9_NOGID 0xffffffffu
#define P9_NONUNAME 0xffffffffu

struct v9fs_node {
	uint32_t fid;                /* walked, names the file */
	uint32_t rfid, wfid;         /* opened for reading / writing, or P9_NOFID */
	uint32_t dfid;               /* directories: opened for Treaddir, or P9_NOFID */
	struct v9fs_attr attr;       /* what the host said last */
};

static const struct inode_ops v9fs_iops;
static const struct fs_type v9fs_type;

/* The 9P part of an inode, and of its mount. */
static struct v9fs_node *VN(struct inode *i) { return i->priv; }
static struct v9fs_sb *VSB(struct inode *i) { return i->mnt->priv; }

/* Copy the host's attributes A into INO. VFS lock held. */
static void apply_attr(struct inode *ino, const struct v9fs_attr *a)
{
	ino->mode = a->mode;
	ino->uid = a->uid;
	ino->gid = a->gid;
	ino->nlink = (uint32_t)a->nlink;
	ino->rdev = a->rdev;
	ino->size = a->size;
	ino->blocks = a->blocks;
	ino->atime = a->atime;
	ino->mtime = a->mtime;
	ino->ctime = a->ctime;
	ino->btime = a->btime;
	ino->has_btime = a->has_btime;
	VN(ino)->attr = *a;
}

/* Re-read INO's attributes from the host. VFS lock held. */
static int refresh(struct inode *ino)
{
	struct v9fs_attr a;
	int err = v9fs_getattr(VSB(ino), VN(ino)->fid, &a);
	if (!err)
		apply_attr(ino, &a);
	return err;
}

/* The inode for walked fid FID with attributes A on M (taking FID over):
 * the cached one if qid.path is known, else a new one. VFS lock held. */
static int inode_for(struct mount *m, uint32_t fid, const struct v9fs_attr *a, struct inode **out)
{
	struct v9fs_sb *sb = m->priv;
	struct inode *i = icache_lookup(m, a->qid.path);
	if (i && (i->mode & S_IFMT) == (a->mode & S_IFMT)) {
		/* The newest name is the best bet: the host may have renamed the
		 * old one. The root keeps the attach fid (statfs asks through it). */
		uint32_t old = fid;
		if (i != m->root) {
			mutex_lock(&sb->fid_lock);
			old = VN(i)->fid;
			VN(i)->fid = fid;
			mutex_unlock(&sb->fid_lock);
		}
		v9fs_clunk(sb, old);
		apply_attr(i, a);
		*out = i;
		return 0;
	}
	inode_put(i);   /* a reused number of a file of another type: start afresh */
	i = inode_alloc(m, a->qid.path, &v9fs_iops);
	struct v9fs_node *n = kzalloc(sizeof(*n));
	if (!i || !n) {
		kfree(i);
		kfree(n);
		v9fs_clunk(sb, fid);
		return -ENOMEM;
	}
	n->fid = fid;
	n->rfid = n->wfid = n->dfid = P9_NOFID;
	i->priv = n;
	apply_attr(i, a);
	icache_insert(i);
	*out = i;
	return 0;
}

/* Walk from DIR to NAME and make (or find) its inode. VFS lock held. */
static int walk_to(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct v9fs_sb *sb = VSB(dir);
	uint32_t fid = v9fs_fid_new(sb);
	int err = v9fs_walk(sb, VN(dir)->fid, fid, name, len, NULL);
	if (err)
		return err;
	struct v9fs_attr a;
	if ((err = v9fs_getattr(sb, fid, &a))) {
		v9fs_clunk(sb, fid);
		return err;
	}
	return inode_for(dir->mnt, fid, &a, out);
}

/* inode_ops.lookup: Twalk and Tgetattr, every time (attributes re-read). */
static int v9fs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len == 1 && name[0] == '.') {
		inode_get(dir);
		*out = dir;
		return 0;
	}
	return walk_to(dir, name, len, out);
}

/* A fid of INO opened for writing (WRITE) or reading, made on first use.
 * O_RDWR is tried first so one fid serves both. Called with or without the
 * VFS lock. */
static int open_fid(struct inode *ino, bool write, uint32_t *out)
{
	struct v9fs_sb *sb = VSB(ino);
	struct v9fs_node *n = VN(ino);
	mutex_lock(&sb->fid_lock);
	uint32_t *slot = write ? &n->wfid : &n->rfid;
	int err = 0;
	if (*slot == P9_NOFID) {
		uint32_t fid = v9fs_fid_new(sb);
		err = v9fs_walk(sb, n->fid, fid, NULL, 0, NULL);
		bool both = false;
		if (!err) {
			err = ino->mnt->rdonly ? -EROFS : v9fs_lopen(sb, fid, DOTL_RDWR);
			both = !err;
			if (err == -EACCES || err == -EPERM || err == -EROFS)
				err = v9fs_lopen(sb, fid, write ? DOTL_WRONLY : DOTL_RDONLY);
			if (err)
				v9fs_clunk(sb, fid);
		}
		if (!err) {
			*slot = fid;
			if (both && n->rfid == P9_NOFID)
				n->rfid = fid;
			if (both && n->wfid == P9_NOFID)
				n->wfid = fid;
		}
	}
	*out = *slot;
	mutex_unlock(&sb->fid_lock);
	return err;
}

static void dir_changed(struct inode *dir);

/* The fid to create in DIR from: a clone of its fid (Tlcreate opens the one it is given). */
static int clone_dir(struct inode *dir, uint32_t *out)
{
	struct v9fs_sb *sb = VSB(dir);
	uint32_t fid = v9fs_fid_new(sb);
	int err = v9fs_walk(sb, VN(dir)->fid, fid, NULL, 0, NULL);
	if (!err)
		*out = fid;
	return err;
}

/* mknod of a FIFO or socket: Tmknod, then the new file's inode. */
static int mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		/* create() is not told the device number, and Tmknod needs it now */
		klog_once("v9fs-mknod-dev", "9p: device nodes cannot be made on a host directory\n");
		return -EPERM;
	}
	struct p9_msg t;
	int err = p9_begin(&t, P9_TMKNOD, P9_HDR + 4 + 2 + len + 16);
	if (err)
		return err;
	p9_put32(&t, VN(dir)->fid);
	p9_putstr(&t, name, len);
	p9_put32(&t, mode & (S_IFMT | 07777));
	p9_put32(&t, 0);
	p9_put32(&t, 0);
	p9_put32(&t, P9_NOGID);
	if ((err = p9_rpc_simple(VSB(dir), &t)))
		return err;
	dir_changed(dir);
	return walk_to(dir, name, len, out);
}

/* inode_ops.create: Tlcreate (O_EXCL), keeping the opened fid for I/O; other types by Tmknod. */
static int v9fs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	if (!S_ISREG(mode))
		return mknod(dir, name, len, mode, out);
	struct v9fs_sb *sb = VSB(dir);
	uint32_t ofid;
	int err = clone_dir(dir, &ofid);
	if (err)
		return err;
	struct p9_msg t;
	if ((err = p9_begin(&t, P9_TLCREATE, P9_HDR + 4 + 2 + len + 12))) {
		v9fs_clunk(sb, ofid);
		return err;
	}
	p9_put32(&t, ofid);
	p9_putstr(&t, name, len);
	p9_put32(&t, DOTL_RDWR | DOTL_CREAT | DOTL_EXCL);
	p9_put32(&t, mode & 07777);
	p9_put32(&t, P9_NOGID);
	if ((err = p9_rpc_simple(sb, &t))) {
		v9fs_clunk(sb, ofid);
		return err;
	}
	/* OFID is now the new file, open O_RDWR: keep it for I/O. */
	struct inode *i;
	if ((err = walk_to(dir, name, len, &i))) {
		v9fs_clunk(sb, ofid);
		return err;
	}
	mutex_lock(&sb->fid_lock);
	if (VN(i)->rfid == P9_NOFID && VN(i)->wfid == P9_NOFID) {
		VN(i)->rfid = VN(i)->wfid = ofid;
		ofid = P9_NOFID;
	}
	mutex_unlock(&sb->fid_lock);
	v9fs_clunk(sb, ofid);
	dir_changed(dir);
	*out = i;
	return 0;
}

/* Refresh DIR after a change in it (its mtime, size and link count moved). */
static void dir_changed(struct inode *dir)
{
	if (refresh(dir))
		dir->mtime = dir->ctime = time_now();
}

/* inode_ops.mkdir: Tmkdir. */
static int v9fs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct p9_msg t;
	int err = p9_begin(&t, P9_TMKDIR, P9_HDR + 4 + 2 + len + 8);
	if (err)
		return err;
	p9_put32(&t, VN(dir)->fid);
	p9_putstr(&t, name, len);
	p9_put32(&t, mode & 07777);
	p9_put32(&t, P9_NOGID);
	if (!(err = p9_rpc_simple(VSB(dir), &t)))
		dir_changed(dir);
	return err;
}

/* inode_ops.symlink: Tsymlink. */
static int v9fs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	size_t tlen = strlen(target);
	struct p9_msg t;
	int err = p9_begin(&t, P9_TSYMLINK, P9_HDR + 4 + 2 + len + 2 + tlen + 4);
	if (err)
		return err;
	p9_put32(&t, VN(dir)->fid);
	p9_putstr(&t, name, len);
	p9_putstr(&t, target, tlen);
	p9_put32(&t, P9_NOGID);
	if (!(err = p9_rpc_simple(VSB(dir), &t)))
		dir_changed(dir);
	return err;
}

/* The cached inode NAME in DIR names, if any (new reference), found by a walk. */
static struct inode *cached_child(struct inode *dir, const char *name, size_t len)
{
	struct v9fs_sb *sb = VSB(dir);
	uint32_t fid = v9fs_fid_new(sb);
	struct p9_qid q;
	if (v9fs_walk(sb, VN(dir)->fid, fid, name, len, &q))
		return NULL;
	v9fs_clunk(sb, fid);
	return icache_lookup(dir->mnt, q.path);
}

/* Before INO's name goes: if anyone besides the VFS's lookup and our own
 * reference holds it (an open file), open its I/O fids now, while the name
 * still reaches it, so it stays readable and writable as on Linux. */
static void keep_reachable(struct inode *ino)
{
	uint32_t fid;
	if (ino && S_ISREG(ino->mode) && ino->refs > 2) {
		open_fid(ino, false, &fid);
		open_fid(ino, true, &fid);
	}
}

/* Tunlinkat NAME in DIR; the removed file's inode, if cached, loses the link. */
static int unlinkat(struct inode *dir, const char *name, size_t len, uint32_t flags)
{
	struct inode *victim = cached_child(dir, name, len);
	keep_reachable(victim);
	struct p9_msg t;
	int err = p9_begin(&t, P9_TUNLINKAT, P9_HDR + 4 + 2 + len + 4);
	if (!err) {
		p9_put32(&t, VN(dir)->fid);
		p9_putstr(&t, name, len);
		p9_put32(&t, flags);
		err = p9_rpc_simple(VSB(dir), &t);
	}
	if (!err) {
		dir_changed(dir);
		if (victim) {
			/* Its name is gone, so Tgetattr on its fid cannot answer: count locally. */
			victim->nlink = S_ISDIR(victim->mode) || !victim->nlink ? 0 : victim->nlink - 1;
			victim->ctime = time_now();
		}
	}
	inode_put(victim);
	return err;
}

/* inode_ops.unlink: Tunlinkat. */
static int v9fs_unlink(struct inode *dir, const char *name, size_t len)
{
	return unlinkat(dir, name, len, 0);
}

/* inode_ops.rmdir: Tunlinkat with AT_REMOVEDIR (the server says ENOTEMPTY). */
static int v9fs_rmdir(struct inode *dir, const char *name, size_t len)
{
	return unlinkat(dir, name, len, DOTL_AT_REMOVEDIR);
}

/* inode_ops.rename: Trenameat; the server's fids follow the file. */
static int v9fs_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags)
{
	if (flags)
		return -EINVAL;     /* 9P has no RENAME_NOREPLACE/EXCHANGE: Linux's v9fs says the same */
	struct inode *replaced = cached_child(ndir, nn, nl);
	keep_reachable(replaced);
	struct p9_msg t;
	int err = p9_begin(&t, P9_TRENAMEAT, P9_HDR + 4 + 2 + ol + 4 + 2 + nl);
	if (!err) {
		p9_put32(&t, VN(odir)->fid);
		p9_putstr(&t, on, ol);
		p9_put32(&t, VN(ndir)->fid);
		p9_putstr(&t, nn, nl);
		err = p9_rpc_simple(VSB(odir), &t);
	}
	if (!err) {
		dir_changed(odir);
		if (ndir != odir)
			dir_changed(ndir);
		if (replaced && replaced->nlink)
			replaced->nlink = S_ISDIR(replaced->mode) ? 0 : replaced->nlink - 1;
	}
	inode_put(replaced);
	return err;
}

/* inode_ops.link: Tlink, then TARGET's link count as the host has it. */
static int v9fs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	struct p9_msg t;
	int err = p9_begin(&t, P9_TLINK, P9_HDR + 8 + 2 + len);
	if (err)
		return err;
	p9_put32(&t, VN(dir)->fid);
	p9_put32(&t, VN(target)->fid);
	p9_putstr(&t, name, len);
	if ((err = p9_rpc_simple(VSB(dir), &t)))
		return err;
	dir_changed(dir);
	if (refresh(target)) {
		target->nlink++;
		target->ctime = time_now();
	}
	return 0;
}

/* inode_ops.readlink: Treadlink, at most N bytes. */
static long v9fs_readlink(struct inode *ino, char *buf, size_t n)
{
	struct p9_msg t, r;
	int err = p9_begin(&t, P9_TREADLINK, P9_HDR + 4);
	if (err)
		return err;
	p9_put32(&t, VN(ino)->fid);
	if ((err = p9_rpc(VSB(ino), &t, &r, P9_HDR + 2 + PATH_MAX)))
		return err;
	size_t len;
	const char *s = p9_getstr(&r, &len);
	long got = r.bad ? -EIO : (long)MIN(len, n);
	if (got > 0)
		memcpy(buf, s, (size_t)got);
	p9_free(&r);
	return got;
}

/* Read and write only regular files: a FIFO or device on the host would block the server. */
static int io_check(struct inode *ino)
{
	if (S_ISREG(ino->mode))
		return 0;
	klog_once("v9fs-special", "9p: reads and writes of host FIFOs and devices are not supported\n");
	return -EINVAL;
}

/* inode_ops.read: Treads of at most msize, through a kernel buffer; unlocked. */
static long v9fs_read(struct inode *ino, void *buf, size_t n, off_t off)
{
	struct v9fs_sb *sb = VSB(ino);
	uint32_t fid;
	int err = io_check(ino);
	if (err || (err = open_fid(ino, false, &fid)))
		return err;
	size_t done = 0, chunk = sb->msize - P9_IOHDR;
	while (done < n) {
		uint32_t want = (uint32_t)MIN(n - done, chunk);
		struct p9_msg t, r;
		if ((err = p9_begin(&t, P9_TREAD, P9_HDR + 16)))
			break;
		p9_put32(&t, fid);
		p9_put64(&t, (uint64_t)off + done);
		p9_put32(&t, want);
		if ((err = p9_rpc(sb, &t, &r, P9_HDR + 4 + want)))
			break;
		uint32_t got = p9_get32(&r);
		if (r.bad || got > want || r.len - r.off < got) {
			p9_free(&r);
			err = -EIO;
			break;
		}
		/* No lock is held: BUF may be app memory and may fault. */
		memcpy((char *)buf + done, r.buf + r.off, got);
		p9_free(&r);
		done += got;
		if (got < want)
			break;              /* the end of the file */
	}
	return done ? (long)done : err;
}

/* inode_ops.write: Twrites of at most msize at *POS (the host's end if APPEND); unlocked. */
static long v9fs_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append)
{
	struct v9fs_sb *sb = VSB(ino);
	uint32_t fid;
	int err = io_check(ino);
	if (err || (err = open_fid(ino, true, &fid)))
		return err;
	struct v9fs_attr a;
	if (append) {
		/* The end as the host sees it now, not as we last saw it. */
		if ((err = v9fs_getattr(sb, fid, &a)))
			return err;
		*pos = (off_t)a.size;
	}
	size_t done = 0, chunk = sb->msize - P9_IOHDR;
	while (done < n) {
		uint32_t want = (uint32_t)MIN(n - done, chunk);
		struct p9_msg t, r;
		if ((err = p9_begin(&t, P9_TWRITE, P9_HDR + 16 + want)))
			break;
		p9_put32(&t, fid);
		p9_put64(&t, (uint64_t)*pos);
		p9_put32(&t, want);
		/* No lock is held: BUF may be app memory and may fault. */
		p9_putdata(&t, (const char *)buf + done, want);
		if ((err = p9_rpc(sb, &t, &r, P9_HDR + 4)))
			break;
		uint32_t got = p9_get32(&r);
		bool bad = r.bad || got > want;
		p9_free(&r);
		if (bad) {
			err = -EIO;
			break;
		}
		done += got;
		*pos += got;
		if (got < want)
			break;
	}
	if (done && !v9fs_getattr(sb, fid, &a)) {
		vfs_lock();
		apply_attr(ino, &a);
		vfs_unlock();
	}
	return done ? (long)done : err;
}

/* Tsetattr of the fields VALID names (sizes and times from SIZE, AT, MT). */
static int setattr(struct inode *ino, uint32_t valid, uint64_t size, struct ktimespec at, struct ktimespec mt)
{
	struct p9_msg t;
	int err = p9_begin(&t, P9_TSETATTR, P9_HDR + 4 + 4 + 12 + 8 + 32);
	if (err)
		return err;
	p9_put32(&t, VN(ino)->fid);
	p9_put32(&t, valid);
	p9_put32(&t, ino->mode & 07777);
	p9_put32(&t, ino->uid);
	p9_put32(&t, ino->gid);
	p9_put64(&t, size);
	p9_put64(&t, (uint64_t)at.sec);
	p9_put64(&t, (uint64_t)at.nsec);
	p9_put64(&t, (uint64_t)mt.sec);
	p9_put64(&t, (uint64_t)mt.nsec);
	err = p9_rpc_simple(VSB(ino), &t);
	int e2 = refresh(ino);   /* on failure too: undo what the VFS set in the inode */
	return err ? err : e2;
}

/* inode_ops.truncate: Tsetattr of the size. */
static int v9fs_truncate(struct inode *ino, off_t size)
{
	struct ktimespec z = { 0, 0 };
	return setattr(ino, P9_SETATTR_SIZE, (uint64_t)size, z, z);
}

/* Same instant? */
static bool ts_eq(struct ktimespec a, struct ktimespec b) { return a.sec == b.sec && a.nsec == b.nsec; }

/* Send what the VFS changed in INO since the host last told us its attributes. */
static int v9fs_setattr(struct inode *ino)
{
	const struct v9fs_attr *was = &VN(ino)->attr;
	uint32_t valid = 0;
	if ((ino->mode & 07777) != (was->mode & 07777))
		valid |= P9_SETATTR_MODE;
	if (ino->uid != was->uid)
		valid |= P9_SETATTR_UID;
	if (ino->gid != was->gid)
		valid |= P9_SETATTR_GID;
	if (!ts_eq(ino->atime, was->atime))
		valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
	if (!ts_eq(ino->mtime, was->mtime))
		valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
	if (!ts_eq(ino->ctime, was->ctime))
		valid |= P9_SETATTR_CTIME;
	return setattr(ino, valid, 0, ino->atime, ino->mtime);
}

/* inode_ops.readdir: Treaddir from *POS (the server's cookies), until C is full or the end. */
static int v9fs_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	struct v9fs_sb *sb = VSB(dir);
	struct v9fs_node *n = VN(dir);
	int err = 0;
	mutex_lock(&sb->fid_lock);
	if (n->dfid == P9_NOFID) {
		uint32_t fid = v9fs_fid_new(sb);
		err = v9fs_walk(sb, n->fid, fid, NULL, 0, NULL);
		if (!err && (err = v9fs_lopen(sb, fid, DOTL_RDONLY | DOTL_DIRECTORY)))
			v9fs_clunk(sb, fid);
		if (!err)
			n->dfid = fid;
	}
	uint32_t fid = n->dfid;
	mutex_unlock(&sb->fid_lock);
	if (err)
		return err;
	uint32_t count = MIN(sb->msize - P9_IOHDR, 32768u);
	for (;;) {
		struct p9_msg t, r;
		if ((err = p9_begin(&t, P9_TREADDIR, P9_HDR + 16)))
			return err;
		p9_put32(&t, fid);
		p9_put64(&t, (uint64_t)*pos);
		p9_put32(&t, count);
		if ((err = p9_rpc(sb, &t, &r, P9_HDR + 4 + count)))
			return err;
		uint32_t got = p9_get32(&r);
		if (r.bad || r.len - r.off < got) {
			p9_free(&r);
			return -EIO;
		}
		if (!got) {
			p9_free(&r);
			return 0;               /* the end */
		}
		r.len = r.off + got;
		while (r.off < r.len) {
			struct p9_qid q;
			p9_getqid(&r, &q);
			uint64_t next = p9_get64(&r);
			uint8_t type = p9_get8(&r);
			size_t len;
			const char *name = p9_getstr(&r, &len);
			if (r.bad) {
				p9_free(&r);
				return -EIO;
			}
			if (c->emit(c, name, len, q.path, type)) {
				p9_free(&r);
				return 0;           /* no room: *POS stays before this entry */
			}
			*pos = (off_t)next;
		}
		p9_free(&r);
	}
}

/* inode_ops.fsync: Tfsync of the fid written through. */
static int v9fs_fsync(struct inode *ino, bool datasync)
{
	struct v9fs_sb *sb = VSB(ino);
	mutex_lock(&sb->fid_lock);
	uint32_t fid = VN(ino)->wfid;
	mutex_unlock(&sb->fid_lock);
	if (fid == P9_NOFID)
		return 0;                   /* nothing was written through us */
	struct p9_msg t;
	int err = p9_begin(&t, P9_TFSYNC, P9_HDR + 8);
	if (err)
		return err;
	p9_put32(&t, fid);
	p9_put32(&t, datasync);         /* the host's fdatasync or fsync */
	return p9_rpc_simple(sb, &t);
}

/* The last reference: clunk the inode's fids. VFS lock held. */
static void v9fs_evict(struct inode *ino)
{
	struct v9fs_sb *sb = VSB(ino);
	struct v9fs_node *n = VN(ino);
	if (n) {
		if (n->wfid != n->rfid)
			v9fs_clunk(sb, n->wfid);
		v9fs_clunk(sb, n->rfid);
		v9fs_clunk(sb, n->dfid);
		if (n->fid != sb->root_fid)
			v9fs_clunk(sb, n->fid);
		kfree(n);
	}
	kfree(ino);
}

/* statfs: the server's numbers. Linux's v9fs passes the server's f_type
 * through (QEMU sends the host filesystem's); V9FS_MAGIC if it sends none. */
static int v9fs_statfs(struct mount *m, struct kstatfs *sf)
{
	struct v9fs_sb *sb = m->priv;
	struct p9_msg t, r;
	int err = p9_begin(&t, P9_TSTATFS, P9_HDR + 4);
	if (err)
		return err;
	p9_put32(&t, sb->root_fid);
	if ((err = p9_rpc(sb, &t, &r, 128)))
		return err;
	uint32_t type = p9_get32(&r);
	sf->f_type = type ? type : V9FS_MAGIC;
	sf->f_bsize = p9_get32(&r);
	sf->f_blocks = p9_get64(&r);
	sf->f_bfree = p9_get64(&r);
	sf->f_bavail = p9_get64(&r);
	sf->f_files = p9_get64(&r);
	sf->f_ffree = p9_get64(&r);
	(void)p9_get64(&r);             /* fsid: st_dev's, as for every mount here */
	sf->f_namelen = p9_get32(&r);
	err = r.bad ? -EIO : 0;
	p9_free(&r);
	return err;
}

/* No cache between the app and the server, so O_DIRECT holds as it is, at any alignment. */
static const struct fs_type v9fs_type = { .name = "9p", .statfs = v9fs_statfs, .direct_io = true };

static const struct inode_ops v9fs_iops = {
	.lookup = v9fs_lookup,
	.create = v9fs_create,
	.mkdir = v9fs_mkdir,
	.symlink = v9fs_symlink,
	.unlink = v9fs_unlink,
	.rmdir = v9fs_rmdir,
	.rename = v9fs_rename,
	.readlink = v9fs_readlink,
	.read = v9fs_read,
	.write = v9fs_write,
	.truncate = v9fs_truncate,
	.readdir = v9fs_readdir,
	.setattr = v9fs_setattr,
	.fsync = v9fs_fsync,
	.evict = v9fs_evict,
	.link = v9fs_link,
};

/* Tversion: agree on 9P2000.L and the message size. */
static int version(struct v9fs_sb *sb)
{
	static const char want[] = "9P2000.L";
	struct p9_msg t, r;
	int err = p9_begin(&t, P9_TVERSION, P9_HDR + 4 + 2 + sizeof(want));
	if (err)
		return err;
	p9_put32(&t, sb->msize);
	p9_putstr(&t, want, sizeof(want) - 1);
	if ((err = p9_rpc(sb, &t, &r, 64)))
		return err;
	uint32_t msize = p9_get32(&r);
	size_t len;
	const char *v = p9_getstr(&r, &len);
	if (r.bad || len != sizeof(want) - 1 || memcmp(v, want, len) || msize < 4096)
		err = -EPROTONOSUPPORT;
	else
		sb->msize = MIN(sb->msize, msize);
	p9_free(&r);
	return err;
}

/* Tattach as no particular user: the root fid. */
static int attach(struct v9fs_sb *sb)
{
	struct p9_msg t;
	int err = p9_begin(&t, P9_TATTACH, P9_HDR + 4 + 4 + 2 + 2 + 4);
	if (err)
		return err;
	p9_put32(&t, sb->root_fid);
	p9_put32(&t, P9_NOFID);         /* afid: no authentication */
	p9_putstr(&t, "", 0);           /* uname */
	p9_putstr(&t, "", 0);           /* aname: the share itself */
	p9_put32(&t, P9_NONUNAME);
	return p9_rpc_simple(sb, &t);
}

/* Mount the share of the virtio-9p device tagged TAG (fs.h). */
int v9fs_mount_tag(const char *tag, bool ro, uint64_t dev, struct mount **out)
{
	struct p9_chan *c = p9_chan_find(tag);
	if (!c) {
		kprintf("uninode: host directory %s: no virtio-9p device has this mount tag\n", tag);
		return -ENODEV;
	}
	if (c->in_use) {
		kprintf("uninode: host directory %s: already mounted\n", tag);
		return -EBUSY;
	}
	struct v9fs_sb *sb = kzalloc(sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->chan = c;
	sb->msize = c->max_msize;
	sb->root_fid = 0;
	sb->next_fid = 1;
	sb->fid_alloc = (struct spinlock)SPINLOCK_INIT("v9fs-fid-alloc");
	sb->tag_lock = (struct spinlock)SPINLOCK_INIT("v9fs-tags");
	sb->tag_wq = (struct waitq)WAITQ_INIT("v9fs-tags");
	sb->fid_lock = (struct mutex)MUTEX_INIT("v9fs-fids");
	struct v9fs_attr a;
	int err = version(sb);
	if (!err)
		err = attach(sb);
	if (!err && (err = v9fs_getattr(sb, sb->root_fid, &a)))
		v9fs_clunk(sb, sb->root_fid);
	if (!err && !S_ISDIR(a.mode)) {
		v9fs_clunk(sb, sb->root_fid);
		err = -ENOTDIR;
	}
	if (err) {
		kprintf("uninode: host directory %s: the 9P server refused (error %d)\n", tag, err);
		kfree(sb);
		return err;
	}
	struct mount *m = mount_new(&v9fs_type, dev, ro);
	struct inode *root = m ? inode_alloc(m, a.qid.path, &v9fs_iops) : NULL;
	struct v9fs_node *n = kzalloc(sizeof(*n));
	if (!m || !root || !n) {
		kfree(n);
		kfree(root);
		kfree(m);
		v9fs_clunk(sb, sb->root_fid);
		kfree(sb);
		return -ENOMEM;
	}
	m->priv = sb;
	n->fid = sb->root_fid;
	n->rfid = n->wfid = n->dfid = P9_NOFID;
	root->priv = n;
	vfs_lock();
	apply_attr(root, &a);
	icache_insert(root);
	vfs_unlock();
	m->root = root;
	c->in_use = true;
	kprintf("9p: %s mounted%s, msize %u\n", tag, ro ? " read-only" : "", sb->msize);
	*out = m;
	return 0;
}
