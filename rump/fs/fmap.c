/* The VFS side of file memory mappings: what rump/mm/vm.c asks of an open
 * file whose pages it maps (the inode ops map_page and put_page, fs.h). */
#include "fs.h"

/* Whether F's pages can be mapped directly (its fs implements map_page). */
bool file_mappable(struct file *f)
{
	struct inode *i = f->inode;
	return i && S_ISREG(i->mode) && i->ops->map_page && (!i->ops->can_map || i->ops->can_map(i));
}

/* A region started (+1) or stopped (-1) mapping F: a truncate of a mapped
 * inode must unmap the cut pages, one that is not skips the walk. */
void file_map_count(struct file *f, int delta)
{
	if (f->inode)
		__atomic_add_fetch(&f->inode->nmaps, delta, __ATOMIC_ACQ_REL);
}

/* The physical page holding F's page PGOFF, from the fs under the VFS lock.
 * Called with vm_lock held (the lock order is vm_lock, then the VFS lock). */
int file_map_page(struct file *f, uint64_t pgoff, bool write, paddr_t *out)
{
	if (!f->inode)
		return -ENODEV;
	vfs_lock();
	int r = iop_map_page(f->inode, pgoff, write, out);
	vfs_unlock();
	return r;
}

/* Whether F's fs wants to hear of pages stored to through mappings (put_page). */
bool file_tracks_dirty(struct file *f)
{
	return f->inode && f->inode->ops->put_page;
}

/* Tell F's fs that a mapping of page PGOFF stored to it (DIRTY) or is gone (UNMAP). */
void file_put_page(struct file *f, uint64_t pgoff, bool dirty, bool unmap)
{
	if (f->inode && f->inode->ops->put_page)
		f->inode->ops->put_page(f->inode, pgoff, dirty, unmap);
}

/* msync(MS_SYNC): what fdatasync does for F, as Linux's msync (a missing
 * member: nothing to write). */
int file_fsync(struct file *f)
{
	return f->ops->fsync ? f->ops->fsync(f, true) : 0;
}
