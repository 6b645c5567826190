/* A block device backed by a host file (pread/pwrite), counting traffic. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "../../rump/include/blk.h"
#include "../../rump/include/errno.h"
#include "shim.h"

uint64_t blkfile_sectors_read, blkfile_requests;

static int bf_rw(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs)
{
	int fd = (int)(intptr_t)d->priv;
	off_t off = (off_t)(sector * BLK_SECTOR);
	blkfile_requests++;
	for (int i = 0; i < nsegs; i++) {
		ssize_t r = write ? pwrite(fd, segs[i].buf, segs[i].len, off) : pread(fd, segs[i].buf, segs[i].len, off);
		if (r != (ssize_t)segs[i].len)
			return -EIO;
		if (!write)
			blkfile_sectors_read += segs[i].len / BLK_SECTOR;
		off += r;
	}
	return 0;
}

static int bf_flush(struct blk_dev *d)
{
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
