/* Placeholder journal: no journal at all. Metadata is written back like data
 * and a commit is a write-back plus a device flush, so operations are durable
 * after jbd_commit but a crash in between can leave the fs inconsistent. The
 * journal work replaces this file with jbd2 transactions and replay. */
#include "jbd.h"

struct journal {
	struct blk_dev *dev;
};

int jbd_open(struct blk_dev *d, const uint32_t *blocks, uint32_t n, bool ro, struct journal **out,
	     unsigned *replayed)
{
	struct journal *j = kzalloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dev = d;
	*replayed = 0;
	*out = j;
	return 0;
}

int jbd_start(struct journal *j, unsigned credits)
{
	return 0;
}

void jbd_stop(struct journal *j)
{
}

void jbd_dirty_meta(struct journal *j, struct pc_page *p)
{
	pcache_dirty(p);
}

void jbd_forget(struct journal *j, uint32_t blk)
{
}

int jbd_commit(struct journal *j)
{
	int err = pcache_sync(j->dev);
	return err ? err : blk_flush(j->dev);
}

int jbd_close(struct journal *j)
{
	int err = jbd_commit(j);
	kfree(j);
	return err;
}
