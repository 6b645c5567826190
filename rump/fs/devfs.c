/* devfs: a fixed directory of character devices: null, zero, full, random,
 * urandom, tty, console, ttyS0 (COM1: stdin/stdout), ttyS1 (COM2: stderr);
 * the symlinks stdin, stdout, stderr and fd into /proc/self; and shm, an
 * empty directory for the tmpfs mounted on it. */
#include "fs.h"
#include "../include/console.h"
#include "../include/poll.h"

#define TMPFS_MAGIC 0x01021994

/* ---- null, zero, full, random ---- */

static long null_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)f; (void)buf; (void)n; (void)pos;
	return 0;
}

static long sink_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	(void)f; (void)buf; (void)pos;
	return (long)n;
}

static long zero_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)f; (void)pos;
	memset(buf, 0, n);
	return (long)n;
}

static long full_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	(void)f; (void)buf; (void)n; (void)pos;
	return -ENOSPC;
}

static long random_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)f; (void)pos;
	random_bytes(buf, n);
	return (long)n;
}

/* These ignore the position but accept lseek and pread, as Linux's do. */
static const struct file_ops null_fops = { .read = null_read, .write = sink_write };
static const struct file_ops zero_fops = { .read = zero_read, .write = sink_write };
static const struct file_ops full_fops = { .read = zero_read, .write = full_write };
static const struct file_ops random_fops = { .read = random_read, .write = sink_write };

/* ---- the serial console ---- */

/* The app's stdio is a plain byte stream, as under `docker run` without -t:
 * no terminal ioctls (TCGETS answers ENOTTY, so isatty() is false). */
#define FIONREAD 0x541B

/* Which channel a console device writes to, kept in the inode's rdev minor. */
static enum console_chan con_chan(struct file *f)
{
	return dev_minor(f->inode->rdev) == 65 ? CON_STDERR : CON_STDOUT;
}

/* Input from COM1: blocks until bytes arrive (unless O_NONBLOCK); 0 at its end. */
static long con_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)pos;
	return console_input_read(buf, n, (f->flags & O_NONBLOCK) != 0);
}

static long con_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	(void)pos;
	console_write(con_chan(f), buf, n);
	return (long)n;
}

static long con_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	(void)f;
	if (cmd != FIONREAD)
		return -ENOTTY;
	*(int *)arg = (int)console_input_pending();
	return 0;
}

/* Writes never wait; reads are ready when input is pending or over. */
static unsigned con_poll(struct file *f)
{
	(void)f;
	return console_input_poll() | EPOLLOUT | EPOLLWRNORM;
}

static int con_open(struct file *f)
{
	return console_watch(&f->poll);
}

static void con_release(struct file *f)
{
	console_unwatch(&f->poll);
}

static const struct file_ops console_fops = {
	.read = con_read, .write = con_write, .ioctl = con_ioctl, .poll = con_poll,
	.open = con_open, .release = con_release, .flags = FOPS_STREAM,
};

/* ---- the directory ---- */

struct devnode {
	const char *name;
	uint32_t mode;               /* S_IF* | permissions */
	uint32_t major, minor;
	const struct file_ops *fops; /* character devices */
	const char *link;            /* symlinks */
};

static const struct devnode devnodes[] = {
	{ "null", S_IFCHR | 0666, 1, 3, &null_fops, NULL },
	{ "zero", S_IFCHR | 0666, 1, 5, &zero_fops, NULL },
	{ "full", S_IFCHR | 0666, 1, 7, &full_fops, NULL },
	{ "random", S_IFCHR | 0666, 1, 8, &random_fops, NULL },
	{ "urandom", S_IFCHR | 0666, 1, 9, &random_fops, NULL },
	{ "tty", S_IFCHR | 0666, 5, 0, &console_fops, NULL },
	{ "console", S_IFCHR | 0600, 5, 1, &console_fops, NULL },
	{ "ttyS0", S_IFCHR | 0660, 4, 64, &console_fops, NULL },
	{ "ttyS1", S_IFCHR | 0660, 4, 65, &console_fops, NULL },
	{ "stdin", S_IFLNK | 0777, 0, 0, NULL, "/proc/self/fd/0" },
	{ "stdout", S_IFLNK | 0777, 0, 0, NULL, "/proc/self/fd/1" },
	{ "stderr", S_IFLNK | 0777, 0, 0, NULL, "/proc/self/fd/2" },
	{ "fd", S_IFLNK | 0777, 0, 0, NULL, "/proc/self/fd" },
	{ "shm", S_IFDIR | 01777, 0, 0, NULL, NULL },   /* tmpfs is mounted here */
};
#define NDEV ARRAY_SIZE(devnodes)

struct devfs_sb {
	struct inode *nodes[NDEV];   /* referenced for the life of the mount */
};

static int devfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct devfs_sb *sb = dir->mnt->priv;
	struct inode *r = NULL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		r = dir;
	for (size_t k = 0; !r && k < NDEV && dir == dir->mnt->root; k++)
		if (strlen(devnodes[k].name) == len && !memcmp(devnodes[k].name, name, len))
			r = sb->nodes[k];
	if (len == 2 && r == dir && dir != dir->mnt->root)
		r = dir->mnt->root;   /* ".." of an inner directory */
	if (!r)
		return -ENOENT;
	inode_get(r);
	*out = r;
	return 0;
}

/* Positions: 0 ".", 1 "..", 2 + k the k-th device (in the root only). */
static int devfs_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	struct devfs_sb *sb = dir->mnt->priv;
	size_t n = dir == dir->mnt->root ? NDEV : 0;
	while (*pos >= 0 && (uint64_t)*pos < n + 2) {
		int k = (int)*pos, full;
		if (k == 0)
			full = c->emit(c, ".", 1, dir->ino, DT_DIR);
		else if (k == 1)
			full = c->emit(c, "..", 2, dir->mnt->root->ino, DT_DIR);
		else
			full = c->emit(c, devnodes[k - 2].name, strlen(devnodes[k - 2].name), sb->nodes[k - 2]->ino,
				       mode_to_dtype(devnodes[k - 2].mode));
		if (full)
			return 0;
		(*pos)++;
	}
	return 0;
}

static long devfs_readlink(struct inode *ino, char *buf, size_t n)
{
	const char *t = devnodes[ino->ino - 2].link;
	size_t len = MIN(strlen(t), n);
	memcpy(buf, t, len);
	return (long)len;
}

static int devfs_statfs(struct mount *m, struct kstatfs *sf)
{
	(void)m;
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = PAGE_SIZE;
	return 0;
}

static const struct fs_type devfs_type = { .name = "devtmpfs", .statfs = devfs_statfs };
static const struct inode_ops devfs_dir_iops = { .lookup = devfs_lookup, .readdir = devfs_readdir };
static const struct inode_ops devfs_node_iops = { .readlink = devfs_readlink };

/* The devfs instance: a root directory and one inode per device. */
int devfs_mount(uint64_t dev, struct mount **out)
{
	struct mount *m = mount_new(&devfs_type, dev, false);
	struct devfs_sb *sb = kzalloc(sizeof(*sb));
	if (!m || !sb) {
		kfree(m);
		kfree(sb);
		return -ENOMEM;
	}
	m->priv = sb;
	struct ktimespec now = time_now();
	m->root = inode_alloc(m, 1, &devfs_dir_iops);
	if (!m->root)
		return -ENOMEM;
	m->root->mode = S_IFDIR | 0755;
	m->root->nlink = 2;
	m->root->atime = m->root->mtime = m->root->ctime = now;
	for (size_t k = 0; k < NDEV; k++) {
		bool dir = S_ISDIR(devnodes[k].mode);
		struct inode *i = inode_alloc(m, k + 2, dir ? &devfs_dir_iops : &devfs_node_iops);
		if (!i)
			return -ENOMEM;
		i->mode = devnodes[k].mode;
		i->nlink = dir ? 2 : 1;
		if (S_ISLNK(i->mode))
			i->size = strlen(devnodes[k].link);
		i->rdev = makedev64(devnodes[k].major, devnodes[k].minor);
		i->fops = devnodes[k].fops;
		i->atime = i->mtime = i->ctime = now;
		sb->nodes[k] = i;
	}
	*out = m;
	return 0;
}
