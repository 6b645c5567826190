/* devfs: a fixed directory of character devices: null, zero, full, random,
 * urandom, tty, console, ttyS0 (COM1: stdin/stdout), ttyS1 (COM2: stderr);
 * the symlinks stdin, stdout, stderr and fd into /proc/self; and shm, an
 * empty directory for the tmpfs mounted on it. */
#include "fs.h"

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

/* ---- the serial console as a terminal ---- */

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B

struct kwinsize { uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel; };
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};

/* One termios for the console, as a Linux serial tty starts: cooked, echo, 38400 8N1. */
static struct ktermios con_termios = {
	.c_iflag = 0x0500,            /* ICRNL | IXON */
	.c_oflag = 0x0005,            /* OPOST | ONLCR */
	.c_cflag = 0x00bf,            /* B38400 | CS8 | CREAD */
	.c_lflag = 0x8a3b,            /* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
	.c_cc = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0 },
};
static struct kwinsize con_winsize = { 24, 80, 0, 0 };

/* Which channel a console device writes to, kept in the inode's rdev minor. */
static enum console_chan con_chan(struct file *f)
{
	return dev_minor(f->inode->rdev) == 65 ? CON_STDERR : CON_STDOUT;
}

/* Non-blocking for now: what is pending, or 0 (which a reader takes for EOF). */
static long con_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)f; (void)pos;
	return (long)console_read(buf, n);
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
	void *p = (void *)arg;
	switch (cmd) {
	case TCGETS:
		memcpy(p, &con_termios, sizeof(con_termios));
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		memcpy(&con_termios, p, sizeof(con_termios));
		return 0;
	case TIOCGWINSZ:
		memcpy(p, &con_winsize, sizeof(con_winsize));
		return 0;
	case TIOCSWINSZ:
		memcpy(&con_winsize, p, sizeof(con_winsize));
		return 0;
	case TIOCGPGRP:
		*(int *)p = 1;
		return 0;
	case TIOCSPGRP:
		return 0;
	case FIONREAD:
		*(int *)p = 0;
		return 0;
	}
	return -ENOTTY;
}

static const struct file_ops console_fops = {
	.read = con_read, .write = con_write, .ioctl = con_ioctl, .flags = FOPS_STREAM,
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
