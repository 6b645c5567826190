/* procfs: /proc as Node and glibc read it. The tree is one table of nodes
 * (directories, generated files, symlinks); fd/ and task/ have numbered
 * children (open fds, live threads). Inodes are made at lookup and freed at
 * the last reference; a file's text is generated when it is opened, into a
 * kernel buffer that read() then serves, so every open sees one snapshot. */
#include "procfs.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../include/arch.h"

#define PROC_SUPER_MAGIC 0x9fa0

enum pkind { PK_DIR, PK_FILE, PK_LINK };
enum pdyn { DYN_NONE, DYN_FD, DYN_TID };

/* One entry of the tree. A NULL name is the template of a directory's
 * numbered children (fds or tids, per DYN). */
struct pnode {
	const char *name;
	uint8_t parent;
	uint8_t kind;
	uint8_t dyn;
	proc_gen_fn gen;                                   /* PK_FILE */
	long (*link)(char *buf, const struct pctx *c);      /* PK_LINK, computed */
	const char *target;                                 /* PK_LINK, fixed */
};

static long link_self(char *buf, const struct pctx *c);
static long link_thread_self(char *buf, const struct pctx *c);

enum {
	N_ROOT, N_PID, N_FD, N_FDINFO, N_TASK, N_TID, N_SYS, N_SYS_KERNEL, N_SYS_RANDOM, N_SYS_VM, N_SYS_FS, N_SYS_FS_INOTIFY,
	N_SYS_NET, N_SYS_NET_CORE, N_PID_NET, N_FIRST_LEAF
};

#define P_DIR(n, p) { n, p, PK_DIR, DYN_NONE, NULL, NULL, NULL }
#define P_FILE(n, p, g) { n, p, PK_FILE, DYN_NONE, g, NULL, NULL }
#define P_LINK(n, p, l) { n, p, PK_LINK, DYN_NONE, NULL, l, NULL }
#define P_FIXED(n, p, t) { n, p, PK_LINK, DYN_NONE, NULL, NULL, t }

static const struct pnode nodes[] = {
	[N_ROOT] = P_DIR("", N_ROOT),
	[N_PID] = P_DIR("1", N_ROOT),
	[N_FD] = P_DIR("fd", N_PID),
	[N_FDINFO] = P_DIR("fdinfo", N_PID),
	[N_TASK] = P_DIR("task", N_PID),
	[N_TID] = { NULL, N_TASK, PK_DIR, DYN_TID, NULL, NULL, NULL },
	[N_SYS] = P_DIR("sys", N_ROOT),
	[N_SYS_KERNEL] = P_DIR("kernel", N_SYS),
	[N_SYS_RANDOM] = P_DIR("random", N_SYS_KERNEL),
	[N_SYS_VM] = P_DIR("vm", N_SYS),
	[N_SYS_FS] = P_DIR("fs", N_SYS),
	[N_SYS_FS_INOTIFY] = P_DIR("inotify", N_SYS_FS),
	[N_SYS_NET] = P_DIR("net", N_SYS),
	[N_SYS_NET_CORE] = P_DIR("core", N_SYS_NET),
	[N_PID_NET] = P_DIR("net", N_PID),
	/* /proc */
	P_LINK("self", N_ROOT, link_self),
	P_LINK("thread-self", N_ROOT, link_thread_self),
	P_FILE("cpuinfo", N_ROOT, gen_cpuinfo),
	P_FILE("diskstats", N_ROOT, gen_diskstats),
	P_FILE("filesystems", N_ROOT, gen_filesystems),
	P_FILE("loadavg", N_ROOT, gen_loadavg),
	P_FILE("meminfo", N_ROOT, gen_meminfo),
	P_FIXED("mounts", N_ROOT, "self/mounts"),
	P_FIXED("net", N_ROOT, "self/net"),
	P_FILE("stat", N_ROOT, gen_sysstat),
	P_FILE("uptime", N_ROOT, gen_uptime),
	P_FILE("version", N_ROOT, gen_version),
	/* /proc/1 */
	P_FILE("cmdline", N_PID, gen_cmdline),
	P_FILE("comm", N_PID, gen_comm),
	P_LINK("cwd", N_PID, link_cwd),
	P_FILE("environ", N_PID, gen_environ),
	P_LINK("exe", N_PID, link_exe),
	P_FILE("limits", N_PID, gen_limits),
	P_FILE("maps", N_PID, gen_maps),
	P_FILE("mounts", N_PID, gen_mounts),
	P_FIXED("root", N_PID, "/"),
	P_FILE("stat", N_PID, gen_stat),
	P_FILE("statm", N_PID, gen_statm),
	P_FILE("status", N_PID, gen_status),
	P_FILE("dev", N_PID_NET, gen_net_dev),
	P_FILE("route", N_PID_NET, gen_net_route),
	{ NULL, N_FD, PK_LINK, DYN_FD, NULL, link_fd, NULL },
	{ NULL, N_FDINFO, PK_FILE, DYN_FD, gen_fdinfo, NULL, NULL },
	/* /proc/1/task/TID */
	P_FILE("cmdline", N_TID, gen_cmdline),
	P_FILE("comm", N_TID, gen_comm),
	P_LINK("cwd", N_TID, link_cwd),
	P_FILE("environ", N_TID, gen_environ),
	P_LINK("exe", N_TID, link_exe),
	P_FILE("maps", N_TID, gen_maps),
	P_FILE("stat", N_TID, gen_stat),
	P_FILE("statm", N_TID, gen_statm),
	P_FILE("status", N_TID, gen_status),
	/* /proc/sys */
	P_FILE("hostname", N_SYS_KERNEL, gen_hostname),
	P_FILE("osrelease", N_SYS_KERNEL, gen_osrelease),
	P_FILE("ostype", N_SYS_KERNEL, gen_ostype),
	P_FILE("pid_max", N_SYS_KERNEL, gen_pid_max),
	P_FILE("threads-max", N_SYS_KERNEL, gen_threads_max),
	P_FILE("boot_id", N_SYS_RANDOM, gen_boot_id),
	P_FILE("entropy_avail", N_SYS_RANDOM, gen_entropy),
	P_FILE("uuid", N_SYS_RANDOM, gen_uuid),
	P_FILE("max_map_count", N_SYS_VM, gen_max_map_count),
	P_FILE("overcommit_memory", N_SYS_VM, gen_zero_line),
	P_FILE("file-max", N_SYS_FS, gen_file_max),
	P_FILE("nr_open", N_SYS_FS, gen_nr_open),
	P_FILE("max_queued_events", N_SYS_FS_INOTIFY, gen_inotify_queued),
	P_FILE("max_user_instances", N_SYS_FS_INOTIFY, gen_inotify_instances),
	P_FILE("max_user_watches", N_SYS_FS_INOTIFY, gen_inotify_watches),
	P_FILE("somaxconn", N_SYS_NET_CORE, gen_somaxconn),
};
#define NNODES ((int)ARRAY_SIZE(nodes))
#define POS_DYN 0x100000        /* readdir cookies from here on: numbered children */

/* What a procfs inode stands for. */
struct pino {
	int node;
	struct pctx ctx;
};

static const struct inode_ops proc_iops;
static const struct file_ops proc_file_fops;

/* /proc/self: the pid. */
static long link_self(char *buf, const struct pctx *c)
{
	(void)c;
	return snprintf(buf, PATH_MAX, "%d", PROC_PID);
}

/* /proc/thread-self: the calling thread's task directory. */
static long link_thread_self(char *buf, const struct pctx *c)
{
	(void)c;
	return snprintf(buf, PATH_MAX, "%d/task/%d", PROC_PID, current()->tid);
}

/* A new inode for NODE about CTX. VFS lock held. */
static int proc_inode(struct mount *m, int node, struct pctx ctx, struct inode **out)
{
	struct pino *pi = kzalloc(sizeof(*pi));
	uint64_t ino = 0x10000 + (uint64_t)node + ((uint64_t)ctx.tid << 8) + ((uint64_t)(ctx.fd + 1) << 32);
	struct inode *i = pi ? inode_alloc(m, node == N_ROOT ? 1 : ino, &proc_iops) : NULL;
	if (!i) {
		kfree(pi);
		return -ENOMEM;
	}
	pi->node = node;
	pi->ctx = ctx;
	i->priv = pi;
	i->nlink = 1;
	switch (nodes[node].kind) {
	case PK_DIR:
		i->mode = S_IFDIR | 0555;
		i->nlink = 2;
		break;
	case PK_FILE:
		i->mode = S_IFREG | 0444;
		i->fops = &proc_file_fops;
		break;
	case PK_LINK:
		i->mode = S_IFLNK | 0777;
		break;
	}
	i->atime = i->mtime = i->ctime = time_now();
	*out = i;
	return 0;
}

/* The last reference: free the inode and what it stands for. */
static void proc_evict(struct inode *ino)
{
	kfree(ino->priv);
	kfree(ino);
}

/* Does numbered child N of kind DYN exist now? */
static bool dyn_exists(int dyn, long n)
{
	if (dyn == DYN_FD)
		return n < NR_OPEN && fd_get((int)n) != NULL;
	int *tids = kmalloc(PROC_MAX_THREADS * sizeof(int));
	if (!tids)
		return false;
	int cnt = MIN(thread_app_tids(tids, PROC_MAX_THREADS), PROC_MAX_THREADS);
	bool found = false;
	for (int k = 0; k < cnt && !found; k++)
		found = tids[k] == n;
	kfree(tids);
	return found;
}

/* The smallest numbered child >= FROM of kind DYN, or -1. */
static long dyn_next(int dyn, long from)
{
	if (dyn == DYN_FD) {
		for (long fd = from; fd < NR_OPEN; fd++)
			if (fd_get((int)fd))
				return fd;
		return -1;
	}
	int *tids = kmalloc(PROC_MAX_THREADS * sizeof(int));
	if (!tids)
		return -1;
	int cnt = MIN(thread_app_tids(tids, PROC_MAX_THREADS), PROC_MAX_THREADS);
	long r = -1;
	for (int k = 0; k < cnt && r < 0; k++)
		if (tids[k] >= from)
			r = tids[k];
	kfree(tids);
	return r;
}

/* A decimal name without sign or leading zeros; -1 if it is not one. */
static long parse_num(const char *name, size_t len)
{
	if (!len || len > 9 || (len > 1 && name[0] == '0'))
		return -1;
	long v = 0;
	for (size_t k = 0; k < len; k++) {
		if (name[k] < '0' || name[k] > '9')
			return -1;
		v = v * 10 + (name[k] - '0');
	}
	return v;
}

/* The numbered-children template under directory node DIR, or -1. */
static int dyn_template(int dir)
{
	for (int k = N_ROOT + 1; k < NNODES; k++)
		if (!nodes[k].name && nodes[k].parent == dir)
			return k;
	return -1;
}

/* ".", "..", a named child, or a numbered one that exists now; a new inode each time. */
static int proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct pino *pi = dir->priv;
	if (len == 1 && name[0] == '.') {
		inode_get(dir);
		*out = dir;
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		if (pi->node == N_ROOT) {
			inode_get(dir);
			*out = dir;
			return 0;
		}
		struct pctx up = pi->ctx;
		if (nodes[pi->node].dyn == DYN_TID)
			up.tid = 0;
		return proc_inode(dir->mnt, nodes[pi->node].parent, up, out);
	}
	for (int k = N_ROOT + 1; k < NNODES; k++)
		if (nodes[k].parent == pi->node && nodes[k].name && strlen(nodes[k].name) == len &&
		    !memcmp(nodes[k].name, name, len))
			return proc_inode(dir->mnt, k, pi->ctx, out);
	int t = dyn_template(pi->node);
	long n = parse_num(name, len);
	if (t < 0 || n < 0 || !dyn_exists(nodes[t].dyn, n))
		return -ENOENT;
	struct pctx c = pi->ctx;
	if (nodes[t].dyn == DYN_FD)
		c.fd = (int)n;
	else
		c.tid = (int)n;
	return proc_inode(dir->mnt, t, c, out);
}

/* The d_type of node K. */
static unsigned node_dtype(int k)
{
	return nodes[k].kind == PK_DIR ? DT_DIR : nodes[k].kind == PK_LINK ? DT_LNK : DT_REG;
}

/* Cookies: 0 ".", 1 "..", 2 + K the node K, POS_DYN + N the numbered child N. */
static int proc_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	struct pino *pi = dir->priv;
	if (*pos == 0) {
		if (c->emit(c, ".", 1, dir->ino, DT_DIR))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		if (c->emit(c, "..", 2, dir->ino, DT_DIR))
			return 0;
		*pos = 2;
	}
	for (; *pos >= 2 && *pos < 2 + NNODES; (*pos)++) {
		int k = (int)*pos - 2;
		if (k == N_ROOT || nodes[k].parent != pi->node || !nodes[k].name)
			continue;
		if (c->emit(c, nodes[k].name, strlen(nodes[k].name), 0x10000 + (uint64_t)k, node_dtype(k)))
			return 0;
	}
	int t = dyn_template(pi->node);
	if (t < 0)
		return 0;
	if (*pos < POS_DYN)
		*pos = POS_DYN;
	for (long n; (n = dyn_next(nodes[t].dyn, *pos - POS_DYN)) >= 0; *pos = POS_DYN + n + 1) {
		char name[16];
		int len = snprintf(name, sizeof(name), "%ld", n);
		if (c->emit(c, name, (size_t)len, 0x20000 + (uint64_t)n, node_dtype(t)))
			return 0;
	}
	return 0;
}

/* A symlink's target, fixed or computed now (VFS lock held). */
static long proc_readlink(struct inode *ino, char *buf, size_t n)
{
	struct pino *pi = ino->priv;
	const struct pnode *p = &nodes[pi->node];
	char *t = kmalloc(PATH_MAX);
	if (!t)
		return -ENOMEM;
	long len;
	if (p->target)
		len = (long)strlcpy(t, p->target, PATH_MAX);
	else
		len = p->link(t, &pi->ctx);
	if (len >= 0) {
		len = MIN(len, (long)PATH_MAX - 1);
		len = MIN(len, (long)n);
		memcpy(buf, t, (size_t)len);
	}
	kfree(t);
	return len;
}

/* /proc/self/fd/N leads to the open file itself, as Linux's magic links
 * (a deleted or O_TMPFILE file too); files without an inode (pipes,
 * sockets) are followed by their text. VFS lock held. */
static int proc_jump_link(struct inode *ino, struct inode **out, char *path)
{
	struct pino *pi = ino->priv;
	if (nodes[pi->node].dyn != DYN_FD || nodes[pi->node].kind != PK_LINK)
		return 1;
	struct file *f = fd_file(pi->ctx.fd);
	if (!f)
		return -ENOENT;
	int r = 1;
	if (f->inode) {
		inode_get(f->inode);
		*out = f->inode;
		strlcpy(path, f->path ? f->path : "/", PATH_MAX);
		r = 0;
	}
	file_put_locked(f);
	return r;
}

static const struct inode_ops proc_iops = {
	.lookup = proc_lookup,
	.readdir = proc_readdir,
	.readlink = proc_readlink,
	.evict = proc_evict,
	.jump_link = proc_jump_link,
};

/* ---- generated files ---- */

struct ptext {
	char *data;
	size_t len;
};

/* Generate the text now: what every read of this description will see. */
static int pfile_open(struct file *f)
{
	if (f->flags & O_PATH)
		return 0;
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	struct pino *pi = f->inode->priv;
	struct ptext *t = kzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	struct pbuf b = { NULL, 0, 0, false };
	int err = nodes[pi->node].gen(&b, &pi->ctx);
	if (!err && b.oom)
		err = -ENOMEM;
	if (err) {
		kfree(b.p);
		kfree(t);
		return err;
	}
	t->data = b.p;
	t->len = b.len;
	f->priv = t;
	return 0;
}

/* Copy from the text generated at open. */
static long pfile_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	struct ptext *t = f->priv;
	if (!t || *pos < 0 || (size_t)*pos >= t->len)
		return 0;
	size_t k = MIN(n, t->len - (size_t)*pos);
	memcpy(buf, t->data + *pos, k);
	*pos += (off_t)k;
	return (long)k;
}

/* Free the generated text. */
static void pfile_release(struct file *f)
{
	struct ptext *t = f->priv;
	if (t) {
		kfree(t->data);
		kfree(t);
	}
}

static const struct file_ops proc_file_fops = {
	.open = pfile_open,
	.read = pfile_read,
	.release = pfile_release,
};

/* ---- the mount ---- */

uint64_t proc_start_ticks;

/* statfs: proc's magic number. */
static int proc_statfs(struct mount *m, struct kstatfs *sf)
{
	(void)m;
	sf->f_type = PROC_SUPER_MAGIC;
	sf->f_bsize = PAGE_SIZE;
	return 0;
}

static const struct fs_type proc_type = { .name = "proc", .statfs = proc_statfs };

/* A procfs instance; the program's start time is taken now. */
int procfs_mount(uint64_t dev, struct mount **out)
{
	struct mount *m = mount_new(&proc_type, dev, false);
	if (!m)
		return -ENOMEM;
	int err = proc_inode(m, N_ROOT, (struct pctx){ 0, -1 }, &m->root);
	if (err) {
		kfree(m);
		return err;
	}
	proc_start_ticks = time_monotonic_ns() / 10000000u;
	*out = m;
	return 0;
}
