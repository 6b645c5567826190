/* The journal of a writable ext volume: jbd2's on-disk format (what Linux and
 * e2fsck read), ordered mode. The filesystem brackets each operation with
 * jbd_start/jbd_stop, changes metadata blocks in the page cache and hands each
 * changed block to jbd_dirty_meta; jbd_commit makes everything done so far
 * durable: file data first (ordered), then the metadata through the journal,
 * then a device flush. A crash at any instant leaves a disk that jbd_open
 * brings back to the last commit.
 *
 * The fs block size is the page size (4096), so one fs block is one page-cache
 * page. Every call is made with the VFS lock held: it is what keeps an
 * operation's metadata changes out of a commit that runs in the middle of it. */
#pragma once
#include "fs.h"

struct journal;

/* Open the journal whose blocks are BLOCKS[0..N) (fs block numbers, in
 * journal order: the journal inode's block map) on D. If it holds committed
 * transactions they are replayed: written in place and flushed, the journal
 * then marked empty; *REPLAYED gets how many. With RO nothing is written and
 * a journal that needs replay is -EROFS. A journal feature we do not write
 * (64bit, checksums, async commit, fast commit) is -EINVAL, logged by name. */
int jbd_open(struct blk_dev *d, const uint32_t *blocks, uint32_t n, bool ro, struct journal **out,
	     unsigned *replayed);
/* Begin an operation that changes at most CREDITS metadata blocks; the
 * running transaction is committed first if it could not take them.
 * -EINVAL if CREDITS could never fit the journal, -EIO once a journal write
 * has failed (the journal is then stopped). */
int jbd_start(struct journal *j, unsigned credits);
void jbd_stop(struct journal *j);
/* Page P (a metadata block of the fs on the journal's disk, pinned by the
 * caller) was changed by the running operation. It stays in the cache and is
 * not written in place before the transaction commits. */
void jbd_dirty_meta(struct journal *j, struct pc_page *p);
/* Fs block BLK was freed: if it held journaled metadata, a replay must not
 * write that old metadata over whatever the block holds next (a revoke).
 * The fs must not reuse BLK for file data before that transaction commits. */
void jbd_forget(struct journal *j, uint32_t blk);
/* Make every operation stopped so far durable (file data, then metadata). */
int jbd_commit(struct journal *j);
/* The running transaction's sequence number: a change made now is durable
 * once jbd_committed(J, SEQ) is true. */
uint32_t jbd_running(const struct journal *j);
bool jbd_committed(const struct journal *j, uint32_t seq);
/* Make file data written so far durable without committing metadata: what
 * fdatasync needs when the file's metadata it depends on is committed. */
int jbd_sync_data(struct journal *j);
/* Commit, write everything in place and mark the journal empty (unmount). */
int jbd_close(struct journal *j);
