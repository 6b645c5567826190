/* The journal of a writable ext volume in jbd2's on-disk format, ordered mode
 * (the API and its locking are in jbd.h).
 *
 * On disk (what Linux's jbd2 and e2fsprogs read and write): block 0 of the
 * journal is a big-endian superblock (s_start == 0: empty); the log is a ring
 * of blocks [s_first, s_maxlen) holding transactions, each a run of revoke
 * blocks, descriptor blocks (tags naming the fs block each following block is
 * a copy of) with those copies, and a commit block, every header carrying the
 * transaction's sequence number. We write no optional feature: 32-bit block
 * numbers, no checksums, no async commit; a journal asking for one is refused.
 *
 * Transactions: one running transaction collects the pages handed to
 * jbd_dirty_meta. Each such page is PC_JMETA in the page cache, which keeps
 * it pinned (never evicted) and out of every write-back until its commit, so
 * the disk in place only ever holds committed metadata. jbd_commit writes
 * back file data first (every dirty page that is not PC_JMETA: ordered mode),
 * then the revoke, descriptor and copy blocks, flushes, writes the commit
 * block and flushes again: the commit block can only be durable after all it
 * vouches for. After the commit the pages are dirty pages the cache may
 * write in place whenever it likes (eviction does), marked PC_JCKPT so that
 * the next commit's data pass leaves them to the checkpoint: a bitmap changed
 * by every transaction is not also rewritten in place at every commit.
 *
 * Checkpoint is lazy: a committed transaction stays in the log until the log
 * lacks room for the next one (jbd_start) or the journal is closed; then every
 * dirty page of the device is written in place, flushed, and the superblock
 * marked empty (s_start = 0, the next sequence). The log head is not reset,
 * so the ring wraps as jbd2's does. Checkpointing only ever runs with an
 * empty running transaction: a page changed by the running transaction holds
 * newer contents than its committed copy in the log, so the log must keep
 * that copy until the running transaction commits (jbd2 would copy the page
 * out instead; we keep jbd_start honest so it is never needed).
 *
 * Freed blocks get revoke records (the choice the brief offers over a
 * checkpoint per free): a block freed while a copy of it may sit in the log
 * (journaled since the last checkpoint, tracked in a set) is revoked in the
 * running transaction, so a replay never writes old metadata over what the
 * block holds next. This is cheap (4 bytes per block in the commit) where a
 * checkpoint would cost two flushes per truncate. A revoked block journaled
 * again later is replayed from the later copy (jbd2's rule: a revoke at
 * sequence R hides copies from transactions <= R); one journaled again in the
 * same transaction has its revoke cancelled. The fs must not reuse a block
 * freed in the running transaction for file data before that transaction
 * commits (its old contents stay committed until then).
 *
 * Replay (jbd_open) is jbd2's three passes: scan from s_start for the last
 * transaction whose commit block is there (stopping at the first block that
 * is not the expected sequence's descriptor, revoke or commit block, or at a
 * descriptor that makes no sense), collect revokes, then write every
 * unrevoked copy in place through the page cache, flush, and mark the journal
 * empty with a sequence past everything seen. */
#include "jbd.h"
#include "../include/mm.h"

#define JBD_MAGIC 0xC03B3998U
#define JBD_BS 4096u                 /* journal block = fs block = page */
enum { JT_DESC = 1, JT_COMMIT = 2, JT_SB_V1 = 3, JT_SB_V2 = 4, JT_REVOKE = 5 };
#define TAG_ESCAPE 1u                /* the copy began with the magic: zeroed in the log */
#define TAG_SAME_UUID 2u             /* no 16-byte UUID follows this tag */
#define TAG_LAST 8u
#define TAG_BYTES 8u                 /* be32 block, be16 checksum, be16 flags */
#define HDR_BYTES 12u
#define REVOKE_HDR 16u               /* header + be32 r_count */
/* tags in one descriptor: the first carries the UUID */
#define TAGS_PER_DESC (1u + (JBD_BS - HDR_BYTES - TAG_BYTES - 16u) / TAG_BYTES)
#define REVOKES_PER_BLOCK ((JBD_BS - REVOKE_HDR) / 4u)
/* superblock field offsets */
#define SB_BLOCKSIZE 0x0C
#define SB_MAXLEN 0x10
#define SB_FIRST 0x14
#define SB_SEQUENCE 0x18
#define SB_START 0x1C
#define SB_COMPAT 0x24
#define SB_INCOMPAT 0x28
#define SB_ROCOMPAT 0x2C
#define SB_UUID 0x30
#define INCOMPAT_REVOKE 1u
#define COMPAT_CHECKSUM 1u

/* A set of fs block numbers with a sequence each (open addressing; key+1
 * stored so block 0, the fs superblock, can be a member). */
struct bset {
	uint32_t *key, *val;
	uint32_t cap, n;
};

struct journal {
	struct blk_dev *dev;
	uint32_t *blocks;              /* journal block -> fs block */
	uint32_t maxlen, first;
	uint64_t fs_blocks;            /* device size in fs blocks */
	bool ro;
	int err;                       /* a failed write aborted the journal */
	uint8_t *sb;                   /* journal block 0, as on disk */
	bool sb_empty;                 /* the on-disk superblock says s_start == 0 */
	uint32_t head;                 /* where the next transaction goes */
	uint32_t used;                 /* log blocks not yet checkpointed */
	uint32_t seq;                  /* the running transaction's sequence */
	uint32_t max_meta;             /* pages one transaction may pin */
	struct pc_page **meta;         /* the running transaction's pages */
	uint32_t nmeta, capmeta;
	uint32_t *revokes;             /* its revoke records */
	uint32_t nrev, caprev;
	unsigned credits;              /* of the operation in progress */
	unsigned op_dirtied;           /* pages that operation added */
	struct bset logged;            /* blocks copied into the log since the checkpoint */
};

/* Big-endian fields, as jbd2 stores every number. */
static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Sequence A after B, modulo 2^32 as jbd2 compares them. */
static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Slot of KEY in S (its own or the empty one it would take). */
static uint32_t bset_slot(const struct bset *s, uint32_t key)
{
	uint32_t i = (key * 0x9e3779b1u) & (s->cap - 1);
	while (s->key[i] && s->key[i] != key + 1)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* Make room for N more keys so that bset_put cannot fail. */
static int bset_reserve(struct bset *s, uint32_t n)
{
	while (2 * (s->n + n) > s->cap) {
		struct bset g = { NULL, NULL, s->cap ? s->cap * 2 : 64, 0 };
		g.key = kzalloc(g.cap * sizeof(uint32_t));
		g.val = kzalloc(g.cap * sizeof(uint32_t));
		if (!g.key || !g.val) {
			kfree(g.key);
			kfree(g.val);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->key[i]) {
				uint32_t k = bset_slot(&g, s->key[i] - 1);
				g.key[k] = s->key[i];
				g.val[k] = s->val[i];
				g.n++;
			}
		kfree(s->key);
		kfree(s->val);
		*s = g;
	}
	return 0;
}

/* Add KEY with VAL (the larger sequence kept if present). 0 or -ENOMEM. */
static int bset_put(struct bset *s, uint32_t key, uint32_t val)
{
	if (bset_reserve(s, 1))
		return -ENOMEM;
	uint32_t i = bset_slot(s, key);
	if (!s->key[i]) {
		s->key[i] = key + 1;
		s->val[i] = val;
		s->n++;
	} else if (seq_after(val, s->val[i])) {
		s->val[i] = val;
	}
	return 0;
}

/* Whether KEY is in S; its value in *VAL. */
static bool bset_get(const struct bset *s, uint32_t key, uint32_t *val)
{
	if (!s->cap)
		return false;
	uint32_t i = bset_slot(s, key);
	if (!s->key[i])
		return false;
	if (val)
		*val = s->val[i];
	return true;
}

/* Empty S, keeping its room. */
static void bset_clear(struct bset *s)
{
	if (s->cap) {
		memset(s->key, 0, s->cap * sizeof(uint32_t));
		s->n = 0;
	}
}

/* Empty S and free its room. */
static void bset_free(struct bset *s)
{
	kfree(s->key);
	kfree(s->val);
	s->key = s->val = NULL;
	s->cap = s->n = 0;
}

/* The log block after JB. */
static uint32_t jnext(const struct journal *j, uint32_t jb)
{
	return jb + 1 >= j->maxlen ? j->first : jb + 1;
}

/* Log blocks a transaction of M copies and R revokes takes. */
static uint32_t tx_blocks(uint32_t m, uint32_t r)
{
	return m + (m + TAGS_PER_DESC - 1) / TAGS_PER_DESC + (r + REVOKES_PER_BLOCK - 1) / REVOKES_PER_BLOCK + 1;
}

/* Read or write journal block JB (one page). */
static int jrw(struct journal *j, bool write, uint32_t jb, void *buf)
{
	struct blk_seg seg = { buf, JBD_BS };
	return blk_rw(j->dev, write, (uint64_t)j->blocks[jb] * (JBD_BS / BLK_SECTOR), &seg, 1);
}

/* Moves journal blocks in one request per run of consecutive fs blocks. */
struct jrun {
	struct journal *j;
	bool write;
	uint64_t start;                /* fs block of segs[0] */
	struct blk_seg segs[BLK_MAX_SEGS];
	int n;
};

/* Transfer the queued run. */
static int jrun_flush(struct jrun *w)
{
	if (!w->n)
		return 0;
	int err = blk_rw(w->j->dev, w->write, w->start * (JBD_BS / BLK_SECTOR), w->segs, w->n);
	w->n = 0;
	return err;
}

/* Queue BUF (valid until jrun_flush) for journal block JB. */
static int jrun_add(struct jrun *w, uint32_t jb, void *buf)
{
	uint64_t fsb = w->j->blocks[jb];
	if (w->n && (fsb != w->start + (uint64_t)w->n || w->n == BLK_MAX_SEGS)) {
		int err = jrun_flush(w);
		if (err)
			return err;
	}
	if (!w->n)
		w->start = fsb;
	w->segs[w->n].buf = buf;
	w->segs[w->n].len = JBD_BS;
	w->n++;
	return 0;
}

/* A block header: magic, TYPE, SEQ; the rest of the page zeroed. */
static void header(uint8_t *b, uint32_t type, uint32_t seq)
{
	memset(b, 0, JBD_BS);
	put_be32(b, JBD_MAGIC);
	put_be32(b + 4, type);
	put_be32(b + 8, seq);
}

/* Write the journal superblock and flush. */
static int write_sb(struct journal *j)
{
	int err = jrw(j, true, 0, j->sb);
	return err ? err : blk_flush(j->dev);
}

/* Write everything committed in place and empty the log. The running
 * transaction must be empty (see the header comment). */
static int checkpoint(struct journal *j)
{
	assert(j->nmeta == 0 && j->nrev == 0);
	int err = pcache_sync(j->dev);
	if (err)
		return err;
	if (!j->sb_empty) {
		put_be32(j->sb + SB_START, 0);
		put_be32(j->sb + SB_SEQUENCE, j->seq);
		err = write_sb(j);
		if (err)
			return err;
		j->sb_empty = true;
	}
	j->used = 0;
	bset_clear(&j->logged);
	return 0;
}

/* Stop writing after a failed journal write: the running transaction can no
 * longer be committed, so nothing after it may be either. */
static int abort_journal(struct journal *j, int err)
{
	if (!j->err) {
		j->err = err;
		kprintf("jbd: %s: journal write failed (%d); the volume's later changes are lost\n", j->dev->name, err);
	}
	return err;
}

/* Write the running transaction's revoke blocks, descriptors and copies
 * through W starting at log block J->head; PAGES collects the buffers made,
 * SRC (TAGS_PER_DESC entries) is scratch. */
static int write_tx_body(struct journal *j, struct jrun *w, void **pages, uint32_t *npages, void **src)
{
	uint32_t jb = j->head;
	for (uint32_t i = 0; i < j->nrev; i += REVOKES_PER_BLOCK) {
		uint8_t *b = page_alloc(1);
		if (!b)
			return -ENOMEM;
		pages[(*npages)++] = b;
		header(b, JT_REVOKE, j->seq);
		uint32_t k = MIN(REVOKES_PER_BLOCK, j->nrev - i);
		for (uint32_t r = 0; r < k; r++)
			put_be32(b + REVOKE_HDR + 4 * r, j->revokes[i + r]);
		put_be32(b + HDR_BYTES, REVOKE_HDR + 4 * k);
		int err = jrun_add(w, jb, b);
		if (err)
			return err;
		jb = jnext(j, jb);
	}
	for (uint32_t i = 0; i < j->nmeta; i += TAGS_PER_DESC) {
		uint8_t *d = page_alloc(1);
		if (!d)
			return -ENOMEM;
		pages[(*npages)++] = d;
		header(d, JT_DESC, j->seq);
		/* the descriptor is complete before it is queued: the queue may be
		 * written out at any run break */
		uint32_t k = MIN(TAGS_PER_DESC, j->nmeta - i);
		uint8_t *t = d + HDR_BYTES;
		for (uint32_t m = 0; m < k; m++) {
			struct pc_page *p = j->meta[i + m];
			uint16_t flags = m ? TAG_SAME_UUID : 0;
			src[m] = p->data;
			if (get_be32(p->data) == JBD_MAGIC) {
				uint8_t *c = page_alloc(1);
				if (!c)
					return -ENOMEM;
				pages[(*npages)++] = c;
				memcpy(c, p->data, JBD_BS);
				memset(c, 0, 4);
				src[m] = c;
				flags |= TAG_ESCAPE;
			}
			if (m == k - 1)
				flags |= TAG_LAST;
			put_be32(t, (uint32_t)p->index);
			put_be16(t + 6, flags);
			t += TAG_BYTES;
			if (m == 0) {
				memcpy(t, j->sb + SB_UUID, 16);
				t += 16;
			}
		}
		int err = jrun_add(w, jb, d);
		jb = jnext(j, jb);
		for (uint32_t m = 0; m < k && !err; m++) {
			err = jrun_add(w, jb, src[m]);
			jb = jnext(j, jb);
		}
		if (err)
			return err;
	}
	return jrun_flush(w);
}

int jbd_commit(struct journal *j)
{
	if (j->ro)
		return 0;
	if (j->err)
		return j->err;
	/* ordered mode: the data the new metadata points at goes first (the
	 * committed metadata waits for the checkpoint) */
	int err = pcache_writeback(j->dev, true);
	if (err)
		return err;
	if (j->nmeta == 0 && j->nrev == 0)
		return blk_flush(j->dev);
	uint32_t need = tx_blocks(j->nmeta, j->nrev);
	/* jbd_start left room for this transaction: an operation that dirtied
	 * more than its credits would make us drop log contents still needed */
	assert(need <= j->maxlen - j->first - j->used);

	uint32_t maxpages = j->nmeta + (j->nmeta + TAGS_PER_DESC - 1) / TAGS_PER_DESC +
			    (j->nrev + REVOKES_PER_BLOCK - 1) / REVOKES_PER_BLOCK + 1;
	void **pages = kmalloc(maxpages * sizeof(void *));
	if (!pages)
		return -ENOMEM;
	uint32_t npages = 0;
	struct jrun *w = kmalloc(sizeof(*w));
	void **src = kmalloc(TAGS_PER_DESC * sizeof(void *));
	if (!w || !src) {
		kfree(pages);
		kfree(w);
		kfree(src);
		return -ENOMEM;
	}
	w->j = j;
	w->write = true;
	w->n = 0;
	err = write_tx_body(j, w, pages, &npages, src);
	if (!err && j->sb_empty) {
		/* the log starts here: a replay must look here from now on */
		put_be32(j->sb + SB_START, j->head);
		put_be32(j->sb + SB_SEQUENCE, j->seq);
		err = jrw(j, true, 0, j->sb);
	}
	if (!err)
		err = blk_flush(j->dev);
	uint32_t cjb = j->head;
	for (uint32_t i = 1; i < need; i++)
		cjb = jnext(j, cjb);
	if (!err) {
		uint8_t *c = page_alloc(1);
		if (c) {
			header(c, JT_COMMIT, j->seq);
			err = jrw(j, true, cjb, c);
			page_free(c, 1);
		} else {
			err = -ENOMEM;
		}
	}
	if (!err)
		err = blk_flush(j->dev);
	for (uint32_t i = 0; i < npages; i++)
		page_free(pages[i], 1);
	kfree(pages);
	kfree(w);
	kfree(src);
	if (err == -ENOMEM)
		return err;            /* nothing durable changed: the transaction is still running */
	if (err)
		return abort_journal(j, err);

	j->sb_empty = false;
	for (uint32_t i = 0; i < j->nmeta; i++) {
		/* cannot fail: jbd_start reserved the room */
		(void)bset_put(&j->logged, (uint32_t)j->meta[i]->index, j->seq);
		pcache_jmeta(j->meta[i], false);
	}
	j->nmeta = 0;
	j->nrev = 0;
	j->head = jnext(j, cjb);
	j->used += need;
	j->seq++;
	return 0;
}

uint32_t jbd_running(const struct journal *j)
{
	return j->seq;
}

bool jbd_committed(const struct journal *j, uint32_t seq)
{
	return seq_after(j->seq, seq);
}

int jbd_sync_data(struct journal *j)
{
	if (j->ro)
		return 0;
	if (j->err)
		return j->err;
	int err = pcache_writeback(j->dev, true);
	return err ? err : blk_flush(j->dev);
}

/* Revoke blocks every transaction may need: at most one record per block in
 * the log, so this bounds the records of any transaction. */
static uint32_t revoke_reserve(const struct journal *j)
{
	return (j->maxlen - j->first + REVOKES_PER_BLOCK - 1) / REVOKES_PER_BLOCK;
}

int jbd_start(struct journal *j, unsigned credits)
{
	if (j->ro)
		return -EROFS;
	if (j->err)
		return j->err;
	uint32_t cap = j->maxlen - j->first;
	if (tx_blocks(credits, 0) + revoke_reserve(j) > cap) {
		klog_once("jbd-credits", "jbd: an operation asked for %u journal blocks; the journal holds %u\n", credits, cap);
		return -EINVAL;
	}
	uint32_t want = j->nmeta + credits;
	bool fits = tx_blocks(want, 0) + revoke_reserve(j) <= cap - j->used;
	if ((j->nmeta || j->nrev) && (!fits || want > j->max_meta)) {
		int err = jbd_commit(j);
		if (err)
			return err;
		want = credits;
		fits = tx_blocks(want, 0) + revoke_reserve(j) <= cap - j->used;
	}
	if (!fits) {
		int err = checkpoint(j);     /* the running transaction is empty here */
		if (err)
			return abort_journal(j, err);
	}
	/* so that the commit can record every copy it logs */
	if (bset_reserve(&j->logged, want))
		return -ENOMEM;
	if (want > j->capmeta) {
		struct pc_page **m = krealloc(j->meta, want * sizeof(*m));
		if (!m)
			return -ENOMEM;
		j->meta = m;
		j->capmeta = want;
	}
	j->credits = credits;
	j->op_dirtied = 0;
	return 0;
}

/* Operations need no bookkeeping at their end: the VFS lock keeps them whole. */
void jbd_stop(struct journal *j)
{
	j->credits = 0;
}

/* Drop BLK from the running transaction's revokes (journaled again). */
static void cancel_revoke(struct journal *j, uint32_t blk)
{
	for (uint32_t i = 0; i < j->nrev; i++)
		if (j->revokes[i] == blk) {
			j->revokes[i] = j->revokes[--j->nrev];
			return;
		}
}

void jbd_dirty_meta(struct journal *j, struct pc_page *p)
{
	assert(p->dev == j->dev && !j->ro);
	/* freed and reused in this transaction: its new contents must replay */
	cancel_revoke(j, (uint32_t)p->index);
	if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) & PC_JMETA)
		return;                /* already in the running transaction */
	if (++j->op_dirtied > j->credits)
		klog_once("jbd-overrun", "jbd: an operation dirtied more metadata blocks than its %u credits\n", j->credits);
	if (j->nmeta == j->capmeta) {
		uint32_t cap = j->capmeta ? j->capmeta * 2 : 16;
		struct pc_page **m = krealloc(j->meta, cap * sizeof(*m));
		/* jbd_start sized the array for honest operations */
		assert(m);
		j->meta = m;
		j->capmeta = cap;
	}
	pcache_jmeta(p, true);
	j->meta[j->nmeta++] = p;
}

void jbd_forget(struct journal *j, uint32_t blk)
{
	if (j->ro)
		return;
	bool inlog = bset_get(&j->logged, blk, NULL);
	for (uint32_t i = 0; i < j->nmeta && !inlog; i++)
		inlog = j->meta[i]->index == blk;
	if (!inlog)
		return;
	for (uint32_t i = 0; i < j->nrev; i++)
		if (j->revokes[i] == blk)
			return;
	if (j->nrev == j->caprev) {
		uint32_t cap = j->caprev ? j->caprev * 2 : 64;
		uint32_t *r = krealloc(j->revokes, cap * sizeof(*r));
		if (!r) {
			/* without the record a replay could write old metadata over
			 * the block's next contents: stop the journal instead */
			abort_journal(j, -ENOMEM);
			return;
		}
		j->revokes = r;
		j->caprev = cap;
	}
	j->revokes[j->nrev++] = blk;
}

/* ---- replay ---- */

enum pass { P_SCAN, P_REVOKE, P_REPLAY };

#define REPLAY_RUN 32          /* copies read in one go */

struct replay {
	uint32_t start, seq;       /* the log as the superblock names it */
	uint32_t end;              /* first sequence without a commit */
	struct bset revoked;
	uint8_t *buf;              /* the block being looked at */
	uint8_t *run[REPLAY_RUN];  /* copies being replayed */
	struct jrun *io;
};

/* Whether descriptor B (sequence SEQ) is sound: tags end in a LAST_TAG and
 * name blocks of the fs. Its tag count in *NTAGS. */
static bool desc_ok(const struct journal *j, const uint8_t *b, uint32_t *ntags)
{
	uint32_t off = HDR_BYTES, n = 0;
	while (off + TAG_BYTES <= JBD_BS) {
		uint32_t blk = get_be32(b + off);
		uint16_t flags = get_be16(b + off + 6);
		off += TAG_BYTES;
		if (!(flags & TAG_SAME_UUID))
			off += 16;
		n++;
		if (blk >= j->fs_blocks || n >= j->maxlen - j->first)
			return false;
		if (flags & TAG_LAST) {
			*ntags = n;
			return true;
		}
	}
	return false;
}

/* Write in place the copies that descriptor R->buf (sequence SEQ, NTAGS
 * sound tags) introduces at log block JB, except revoked ones. */
static int replay_desc(struct journal *j, struct replay *r, uint32_t seq, uint32_t jb, uint32_t ntags)
{
	uint32_t off = HDR_BYTES;
	for (uint32_t i = 0; i < ntags; i += REPLAY_RUN) {
		uint32_t k = MIN((uint32_t)REPLAY_RUN, ntags - i);
		int err = 0;
		for (uint32_t m = 0; m < k && !err; m++, jb = jnext(j, jb))
			err = jrun_add(r->io, jb, r->run[m]);
		if (err || (err = jrun_flush(r->io)))
			return err;
		for (uint32_t m = 0; m < k; m++) {
			uint32_t blk = get_be32(r->buf + off), rseq;
			uint16_t flags = get_be16(r->buf + off + 6);
			off += TAG_BYTES + ((flags & TAG_SAME_UUID) ? 0 : 16);
			if (bset_get(&r->revoked, blk, &rseq) && !seq_after(seq, rseq))
				continue;
			if (flags & TAG_ESCAPE)
				put_be32(r->run[m], JBD_MAGIC);
			struct pc_page *p;       /* wholly rewritten: not read first */
			if ((err = pcache_get_new(j->dev, blk, &p)))
				return err;
			memcpy(p->data, r->run[m], JBD_BS);
			pcache_dirty(p);
			pcache_put(p);
		}
	}
	return 0;
}

/* One pass over the log (see the header comment). */
static int walk(struct journal *j, enum pass pass, struct replay *r)
{
	uint32_t jb = r->start, seq = r->seq, walked = 0;
	while (pass == P_SCAN || seq != r->end) {
		if (walked++ > j->maxlen)
			break;                 /* a ring of valid blocks: stop, never loop */
		int err = jrw(j, false, jb, r->buf);
		if (err)
			return err;
		if (get_be32(r->buf) != JBD_MAGIC || get_be32(r->buf + 8) != seq)
			break;
		uint32_t type = get_be32(r->buf + 4), ntags;
		if (type == JT_COMMIT) {
			seq++;
			if (pass == P_SCAN)
				r->end = seq;
			jb = jnext(j, jb);
		} else if (type == JT_REVOKE) {
			uint32_t count = get_be32(r->buf + HDR_BYTES);
			if (count < REVOKE_HDR || count > JBD_BS)
				break;
			for (uint32_t off = REVOKE_HDR; pass == P_REVOKE && off + 4 <= count; off += 4)
				if (bset_put(&r->revoked, get_be32(r->buf + off), seq))
					return -ENOMEM;
			jb = jnext(j, jb);
		} else if (type == JT_DESC) {
			if (!desc_ok(j, r->buf, &ntags))
				break;
			jb = jnext(j, jb);
			if (pass == P_REPLAY && (err = replay_desc(j, r, seq, jb, ntags)))
				return err;
			for (uint32_t i = 0; i < ntags; i++)
				jb = jnext(j, jb);
		} else {
			break;
		}
	}
	return 0;
}

/* Replay the log the superblock names; *REPLAYED gets the transactions. */
static int replay(struct journal *j, unsigned *replayed)
{
	struct replay r;
	memset(&r, 0, sizeof(r));
	r.start = get_be32(j->sb + SB_START);
	r.end = r.seq = get_be32(j->sb + SB_SEQUENCE);
	r.buf = page_alloc(1);
	r.io = kzalloc(sizeof(*r.io));
	int err = r.buf && r.io ? 0 : -ENOMEM;
	for (int i = 0; i < REPLAY_RUN && !err; i++)
		if (!(r.run[i] = page_alloc(1)))
			err = -ENOMEM;
	if (r.io)
		r.io->j = j;
	if (!err)
		err = walk(j, P_SCAN, &r);
	if (!err && r.end != r.seq)
		err = walk(j, P_REVOKE, &r);
	if (!err && r.end != r.seq)
		err = walk(j, P_REPLAY, &r);
	if (!err)
		err = pcache_sync(j->dev);
	if (!err) {
		/* past every sequence the log may still hold, as jbd2 does */
		j->seq = r.end + 1;
		put_be32(j->sb + SB_START, 0);
		put_be32(j->sb + SB_SEQUENCE, j->seq);
		err = write_sb(j);
	}
	if (r.buf)
		page_free(r.buf, 1);
	for (int i = 0; i < REPLAY_RUN; i++)
		if (r.run[i])
			page_free(r.run[i], 1);
	kfree(r.io);
	bset_free(&r.revoked);
	*replayed = r.end - r.seq;
	return err;
}

/* Why the superblock SB cannot be used (writable if !RO), or NULL. */
static const char *refuse(const uint8_t *sb, bool ro)
{
	if (get_be32(sb + 4) == JT_SB_V1)
		/* version 1 has no revoke records, which our commits need */
		return ro ? NULL : "version 1 (no revoke records)";
	static const char *const incompat[] = { "revoke", "64bit", "async_commit", "checksum v2", "checksum v3", "fast_commit" };
	uint32_t in = get_be32(sb + SB_INCOMPAT) & ~INCOMPAT_REVOKE;
	for (unsigned b = 0; b < 32; b++)
		if (in & (1u << b))
			return b < 6 ? incompat[b] : "an unknown incompatible feature";
	if (!ro && (get_be32(sb + SB_COMPAT) & COMPAT_CHECKSUM))
		return "checksum (v1)";
	if (!ro && get_be32(sb + SB_ROCOMPAT))
		return "an unknown read-only-compatible feature";
	return NULL;
}

/* Free J and what it owns (not the pages of a failed transaction). */
static void jbd_free(struct journal *j)
{
	if (j->sb)
		page_free(j->sb, 1);
	kfree(j->blocks);
	kfree(j->meta);
	kfree(j->revokes);
	bset_free(&j->logged);
	kfree(j);
}

int jbd_open(struct blk_dev *d, const uint32_t *blocks, uint32_t n, bool ro, struct journal **out,
	     unsigned *replayed)
{
	*replayed = 0;
	if (n < 16)
		return -EINVAL;
	struct journal *j = kzalloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dev = d;
	j->ro = ro || d->readonly;
	j->fs_blocks = d->nsectors / (JBD_BS / BLK_SECTOR);
	j->blocks = kmalloc(n * sizeof(uint32_t));
	j->sb = page_alloc(1);
	int err = j->blocks && j->sb ? 0 : -ENOMEM;
	if (err)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		if (blocks[i] >= j->fs_blocks) {
			err = -EINVAL;
			goto fail;
		}
		j->blocks[i] = blocks[i];
	}
	j->maxlen = n;
	err = jrw(j, false, 0, j->sb);
	if (err)
		goto fail;
	uint32_t type = get_be32(j->sb + 4), maxlen = get_be32(j->sb + SB_MAXLEN), first = get_be32(j->sb + SB_FIRST);
	if (get_be32(j->sb) != JBD_MAGIC || (type != JT_SB_V1 && type != JT_SB_V2) ||
	    get_be32(j->sb + SB_BLOCKSIZE) != JBD_BS || maxlen > n || first < 1 || first + 16 > maxlen) {
		kprintf("jbd: %s: the journal's superblock is not a 4 KiB jbd2 superblock of this journal\n", d->name);
		err = -EINVAL;
		goto fail;
	}
	const char *why = refuse(j->sb, j->ro);
	if (why) {
		kprintf("jbd: %s: the journal uses the feature \"%s\", which this kernel does not support\n", d->name, why);
		err = -EINVAL;
		goto fail;
	}
	j->maxlen = maxlen;
	j->first = first;
	uint32_t start = get_be32(j->sb + SB_START);
	if (start && (start < first || start >= maxlen)) {
		kprintf("jbd: %s: the journal's log start %u is outside the log\n", d->name, start);
		err = -EINVAL;
		goto fail;
	}
	if (start && j->ro) {
		kprintf("jbd: %s: the journal needs replay, which a read-only mount cannot do\n", d->name);
		err = -EROFS;
		goto fail;
	}
	if (!j->ro)
		put_be32(j->sb + SB_INCOMPAT, get_be32(j->sb + SB_INCOMPAT) | INCOMPAT_REVOKE);
	if (start) {
		err = replay(j, replayed);
		if (err)
			goto fail;
	}
	j->seq = get_be32(j->sb + SB_SEQUENCE);
	j->head = first;
	j->sb_empty = true;
	struct pcache_stats st;
	pcache_get_stats(&st);
	j->max_meta = (uint32_t)MAX(st.max_pages / 4, (uint64_t)16);
	*out = j;
	return 0;
fail:
	jbd_free(j);
	return err;
}

int jbd_close(struct journal *j)
{
	int err = j->err;
	if (!j->ro && !err) {
		err = jbd_commit(j);
		if (!err)
			err = checkpoint(j);
	}
	/* After a failure the running transaction's pages stay PC_JMETA (pinned,
	 * never written): in place they would break the last committed state. */
	jbd_free(j);
	return err;
}
