/* The 9P2000.L client's own API, shared by v9fs_msg.c (marshalling and the
 * request/reply round trip), v9fs_fid.c (fids: walk, open, attributes, clunk)
 * and v9fs.c (the inode_ops and the mount). Nothing outside rump/fs/v9fs*.c
 * includes it. */
#pragma once
#include "fs.h"
#include "../include/p9.h"

#define V9FS_MAGIC 0x01021997
#define P9_NOFID 0xffffffffu
#define P9_NOTAG 0xffff
#define P9_HDR 7u                    /* size[4] type[1] tag[2] */
#define P9_IOHDR 24u                 /* what a Tread/Twrite adds to its data, with room to spare */

/* Message types (9P2000.L and the 9P2000 ones it keeps). */
enum {
	P9_RLERROR = 7,
	P9_TSTATFS = 8, P9_TLOPEN = 12, P9_TLCREATE = 14, P9_TSYMLINK = 16, P9_TMKNOD = 18,
	P9_TREADLINK = 22, P9_TGETATTR = 24, P9_TSETATTR = 26, P9_TREADDIR = 40,
	P9_TFSYNC = 50, P9_TLINK = 70, P9_TMKDIR = 72, P9_TRENAMEAT = 74, P9_TUNLINKAT = 76,
	P9_TVERSION = 100, P9_TATTACH = 104, P9_TWALK = 110, P9_TREAD = 116, P9_TWRITE = 118,
	P9_TCLUNK = 120,
};

/* Tgetattr request mask and Tsetattr valid bits. */
#define P9_GETATTR_BASIC 0x7ffull
#define P9_GETATTR_BTIME 0x800ull
#define P9_SETATTR_MODE 0x1u
#define P9_SETATTR_UID 0x2u
#define P9_SETATTR_GID 0x4u
#define P9_SETATTR_SIZE 0x8u
#define P9_SETATTR_ATIME 0x10u
#define P9_SETATTR_MTIME 0x20u
#define P9_SETATTR_CTIME 0x40u
#define P9_SETATTR_ATIME_SET 0x80u
#define P9_SETATTR_MTIME_SET 0x100u

struct p9_qid { uint8_t type; uint32_t version; uint64_t path; };

/* What Rgetattr says of a file. */
struct v9fs_attr {
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blocks;
	struct ktimespec atime, mtime, ctime, btime;
	bool has_btime;
};

/* One mounted share. */
struct v9fs_sb {
	struct p9_chan *chan;
	uint32_t msize;              /* negotiated by Tversion */
	struct spinlock fid_alloc;   /* guards the three below */
	uint32_t next_fid;           /* never handed out yet from here on */
	uint32_t *free_fids;         /* clunked numbers, handed out again first */
	uint32_t nfree, free_cap;
	uint32_t root_fid;
	struct spinlock tag_lock;    /* guards tags */
	uint64_t tags[4];            /* tags in flight, a bit each */
	struct waitq tag_wq;         /* requesters waiting for a free tag */
	struct mutex fid_lock;       /* guards the fids in every v9fs_node */
};

/* A message being built (T) or read (R). */
struct p9_msg {
	uint8_t *buf;
	size_t cap;                  /* bytes allocated */
	size_t len;                  /* T: bytes written; R: bytes received */
	size_t off;                  /* R: where the next get reads */
	bool bad;                    /* a put did not fit or a get ran past the end */
};

/* ---- v9fs_msg.c ---- */
/* Start a T-message of TYPE with room for CAP bytes in all. */
int p9_begin(struct p9_msg *m, uint8_t type, size_t cap);
void p9_free(struct p9_msg *m);
void p9_put8(struct p9_msg *m, uint8_t v);
void p9_put16(struct p9_msg *m, uint16_t v);
void p9_put32(struct p9_msg *m, uint32_t v);
void p9_put64(struct p9_msg *m, uint64_t v);
void p9_putstr(struct p9_msg *m, const char *s, size_t len);
void p9_putdata(struct p9_msg *m, const void *p, size_t len);
uint8_t p9_get8(struct p9_msg *m);
uint16_t p9_get16(struct p9_msg *m);
uint32_t p9_get32(struct p9_msg *m);
uint64_t p9_get64(struct p9_msg *m);
/* A string in place: its bytes (not NUL-terminated) and length. */
const char *p9_getstr(struct p9_msg *m, size_t *len);
void p9_getqid(struct p9_msg *m, struct p9_qid *q);
/* Send T (freed here) and receive the reply into R (RCAP bytes of room; free
 * it with p9_free on success). Rlerror's errno is returned negated, as Linux's. */
int p9_rpc(struct v9fs_sb *sb, struct p9_msg *t, struct p9_msg *r, size_t rcap);
/* The same for replies the caller only checks for errors. */
int p9_rpc_simple(struct v9fs_sb *sb, struct p9_msg *t);

/* ---- v9fs_fid.c ---- */
uint32_t v9fs_fid_new(struct v9fs_sb *sb);   /* a number no live fid has */
/* Walk NAME (LEN bytes; none: clone) from FID to NEWFID; QID (may be NULL) of the result. */
int v9fs_walk(struct v9fs_sb *sb, uint32_t fid, uint32_t newfid, const char *name, size_t len, struct p9_qid *qid);
int v9fs_clunk(struct v9fs_sb *sb, uint32_t fid);
/* Open FID (walked, unopened) with Linux open FLAGS. */
int v9fs_lopen(struct v9fs_sb *sb, uint32_t fid, uint32_t flags);
int v9fs_getattr(struct v9fs_sb *sb, uint32_t fid, struct v9fs_attr *a);
