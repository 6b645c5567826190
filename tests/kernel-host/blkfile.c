/* A block device backed by a host file (pread/pwrite), counting traffic, with
 * an optional log of every write and flush in order (what dm-log-writes
 * records for Linux), from which tests rebuild the disk at any instant. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../../rump/include/blk.h"
#include "../../rump/include/errno.h"
#include "shim.h"

uint64_t blkfile_sectors_read, blkfile_requests;
struct blkfile_log blkfile_log;

/* Append an entry to the log if it records D. */
static void log_add(struct blk_dev *d, int flush, uint64_t sector, const void *data, uint32_t len)
{
	struct blkfile_log *l = &blkfile_log;
	if (l->dev != d)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->e = realloc(l->e, l->cap * sizeof(*l->e));
	}
	struct blkfile_op *o = &l->e[l->n++];
	o->flush = flush;
	o->sector = sector;
	o->len = len;
	o->data = NULL;
	if (len) {
		o->data = malloc(len);
		memcpy(o->data, data, len);
	}
}

void blkfile_log_start(struct blk_dev *d)
{
	blkfile_log_stop();
	blkfile_log.dev = d;
}

void blkfile_log_stop(void)
{
	for (size_t i = 0; i < blkfile_log.n; i++)
		free(blkfile_log.e[i].data);
	free(blkfile_log.e);
	memset(&blkfile_log, 0, sizeof(blkfile_log));
}

static int bf_rw(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs)
{
	int fd = (int)(intptr_t)d->priv;
	off_t off = (off_t)(sector * BLK_SECTOR);
	blkfile_requests++;
	for (int i = 0; i < nsegs; i++) {
		ssize_t r = write ? pwrite(fd, segs[i].buf, segs[i].len, off) : pread(fd, segs[i].buf, segs[i].len, off);
		if (r != (ssize_t)segs[i].len)
			return -EIO;
		if (write)
			log_add(d, 0, (uint64_t)off / BLK_SECTOR, segs[i].buf, segs[i].len);
		if (!write)
			blkfile_sectors_read += segs[i].len / BLK_SECTOR;
		off += r;
	}
	return 0;
}

static int bf_flush(struct blk_dev *d)
{
	log_add(d, 1, 0, NULL, 0);
	return fsync((int)(intptr_t)d->priv) ? -EIO : 0;
}

static const struct blk_ops bf_ops = { .rw = bf_rw, .flush = bf_flush };

/* Register PATH as the next disk. */
struct blk_dev *blkfile_open(const char *path, int writable)
{
	int fd = open(path, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	struct blk_dev *d = calloc(1, sizeof(*d));
	d->ops = &bf_ops;
	d->nsectors = (uint64_t)st.st_size / BLK_SECTOR;
	d->readonly = !writable;
	d->priv = (void *)(intptr_t)fd;
	if (blk_register(d))
		return NULL;
	return d;
}

/* Put the host file PATH behind disk D instead of its current one (the cache
 * must hold none of D's pages). 0 or -1. */
int blkfile_swap(struct blk_dev *d, const char *path, int writable)
{
	int fd = open(path, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -1;
	struct stat st;
	fstat(fd, &st);
	close((int)(intptr_t)d->priv);
	d->priv = (void *)(intptr_t)fd;
	d->nsectors = (uint64_t)st.st_size / BLK_SECTOR;
	d->readonly = !writable;
	return 0;
}
