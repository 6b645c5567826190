/* The VFS seen from the rest of the kernel: open files, the fd table, paths.
 * rump/fs/ implements it; syscalls/fs.c and syscalls/io.c wrap it. Other file
 * kinds (pipes, sockets, eventfd, epoll) make a struct file with file_alloc()
 * and their own const struct file_ops, then fd_install() it. */
#pragma once
#include "kernel.h"
#include "sched.h"
#include "poll.h"

struct file;   /* an open file description, refcounted */
struct inode;

/* ---- Linux ABI constants (x86-64 values) ---- */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_DSYNC     00010000
#define O_ASYNC     00020000
#define O_DIRECT    00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_NOATIME   01000000
#define O_CLOEXEC   02000000
#define O_SYNC      04010000
#define O_PATH      010000000
#define O_TMPFILE   020200000

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

#define UTIME_NOW  ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)

#define PATH_MAX 4096
#define NAME_MAX 255
#define SYMLOOP_MAX 40
#define NR_OPEN 1024           /* RLIMIT_NOFILE for now */

/* userspace dev_t encoding (glibc/Linux "new" format) */
static inline uint64_t makedev64(uint32_t maj, uint32_t min)
{
	return (uint64_t)(min & 0xff) | ((uint64_t)(maj & 0xfff) << 8) |
	       ((uint64_t)(min & ~0xffu) << 12) | ((uint64_t)(maj & ~0xfffu) << 32);
}
static inline uint32_t dev_major(uint64_t d) { return (uint32_t)(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffu)); }
static inline uint32_t dev_minor(uint64_t d) { return (uint32_t)((d & 0xff) | ((d >> 12) & ~0xffu)); }


/* struct stat as x86-64 Linux lays it out (144 bytes). */
struct kstat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	int32_t __pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	struct ktimespec st_atim, st_mtim, st_ctim;
	int64_t __unused[3];
};

struct kstatx_timestamp { int64_t tv_sec; uint32_t tv_nsec; int32_t __reserved; };
/* struct statx (256 bytes). */
struct kstatx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct kstatx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t __spare3[12];
};
#define STATX_TYPE 0x1u
#define STATX_MODE 0x2u
#define STATX_NLINK 0x4u
#define STATX_UID 0x8u
#define STATX_GID 0x10u
#define STATX_ATIME 0x20u
#define STATX_MTIME 0x40u
#define STATX_CTIME 0x80u
#define STATX_INO 0x100u
#define STATX_SIZE 0x200u
#define STATX_BLOCKS 0x400u
#define STATX_BASIC_STATS 0x7ffu
#define STATX_BTIME 0x800u
#define STATX_MNT_ID 0x1000u

/* struct statfs (x86-64, 120 bytes). */
struct kstatfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags;
	int64_t f_spare[4];
};
#define ST_RDONLY 1
#define ST_VALID 0x20

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* ---- open file descriptions ---- */

/* A readdir consumer: emit() returns 0 to go on, 1 when it has no room for this
 * entry (the entry is then not consumed: the position stays before it). */
struct dir_ctx {
	int (*emit)(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype);
};

/* What a kind of open file can do. Every member is optional; file_* in
 * rump/fs/file.c decides once what a missing one means (read/write -EINVAL,
 * ioctl -ENOTTY, readdir -ENOTDIR, fsync -EINVAL, poll "always ready"). */
struct file_ops {
	/* Read/write at *POS (advance it); for FOPS_STREAM files POS is unused. */
	long (*read)(struct file *f, void *buf, size_t n, off_t *pos);
	long (*write)(struct file *f, const void *buf, size_t n, off_t *pos);
	/* Emit entries from *POS on, advancing *POS past each one consumed. */
	int (*readdir)(struct file *f, off_t *pos, struct dir_ctx *c);
	long (*ioctl)(struct file *f, unsigned long cmd, unsigned long arg);
	int (*fsync)(struct file *f, bool datasync);
	/* Readiness as EPOLLIN/EPOLLOUT/... bits. */
	unsigned (*poll)(struct file *f);
	/* fstat for files without an inode (pipes, sockets). */
	int (*stat)(struct file *f, struct kstat *st);
	/* Last reference dropped. */
	void (*release)(struct file *f);
	/* Called once by vfs_openat after the description exists, without the VFS
	 * lock (it may sleep or read app memory); an error fails the open. */
	int (*open)(struct file *f);
	/* For files without an inode that are neither pipes nor sockets: the
	 * name /proc/self/fd shows after "anon_inode:", e.g. "[eventpoll]". */
	const char *anon_name;
	unsigned flags;
};
#define FOPS_STREAM 1u  /* no offset: lseek/pread/pwrite answer -ESPIPE */
#define FOPS_NOOP_SEEK 2u  /* with FOPS_STREAM: lseek answers 0 and moves nothing (Linux's noop_llseek) */

struct file {
	int refs;                    /* atomic */
	unsigned flags;              /* O_ACCMODE | status flags (O_APPEND, O_NONBLOCK, ...) */
	off_t pos;                   /* guarded by lock */
	struct inode *inode;         /* NULL for pipes, sockets, ... */
	const struct file_ops *ops;
	char *path;                  /* canonical path at open (kmalloc'd) or NULL */
	void *priv;                  /* the file kind's */
	struct mutex lock;            /* guards pos (held across a read or write) */
	struct pollhead poll;         /* readiness waiters (epoll items, poll()); the kind calls poll_notify */
	int rw_batch;                 /* >0 inside a readv/writev: inotify hears the call once, at the end */
};

/* rump/fs/file.c */
/* A new file description with one reference; NULL if out of memory. */
struct file *file_alloc(const struct file_ops *ops, void *priv, unsigned flags);
void file_get(struct file *f);
void file_put(struct file *f);
long file_read(struct file *f, void *buf, size_t n);            /* at and advancing f->pos */
long file_write(struct file *f, const void *buf, size_t n);
long file_pread(struct file *f, void *buf, size_t n, off_t off);
long file_pwrite(struct file *f, const void *buf, size_t n, off_t off);
long file_size(struct file *f);                                  /* -EINVAL if no inode */
bool file_can_read(struct file *f);                              /* opened for reading (not O_PATH) */
bool file_can_write(struct file *f);                             /* opened for writing (not O_PATH) */
bool file_is_stream(struct file *f);                             /* no offset: pipes, sockets, ... */
uint32_t file_mode(struct file *f);                              /* the inode's S_IF* | mode, 0 if none */
off_t file_lseek(struct file *f, off_t off, int whence);
int file_stat(struct file *f, struct kstat *st);
unsigned file_poll(struct file *f);
/* Around the segments of one readv/writev: END reports DONE bytes moved to
 * inotify once (IN_ACCESS or IN_MODIFY), as Linux does per call. */
void file_rw_batch(struct file *f, bool end, bool write, long done);

/* rump/fs/fmap.c: what the address space (rump/mm/vm.c) asks of a mapped file. */
bool file_mappable(struct file *f);                 /* its fs hands out its own pages */
void file_map_count(struct file *f, int delta);      /* regions mapping it, +1/-1 */
/* The page holding page PGOFF (WRITE: to be stored to); -ENXIO past EOF,
 * -ENOSPC, -ENODEV. Caller holds vm_lock, not the VFS lock. */
int file_map_page(struct file *f, uint64_t pgoff, bool write, paddr_t *out);
void file_put_page(struct file *f, uint64_t pgoff, bool dirty, bool unmap);
bool file_tracks_dirty(struct file *f);             /* put_page wants DIRTY reports */
int file_fsync(struct file *f);

/* Open PATH (absolute, or relative to the process cwd) with Linux O_* flags. */
int vfs_open(const char *path, int flags, int mode, struct file **out);
/* Same, relative to DIRFD (AT_FDCWD or an fd). */
int vfs_openat(int dirfd, const char *path, int flags, int mode, struct file **out);
/* execve's open: a regular file with an execute bit, read-only; AT_FLAGS
 * AT_SYMLINK_NOFOLLOW (a final symlink is ELOOP), AT_EMPTY_PATH (DIRFD itself). */
int vfs_open_exec(int dirfd, const char *path, int at_flags, struct file **out);

/* Socket files for AF_UNIX bind/connect (rump/fs/sockfile.c); PATH is kernel
 * memory, relative to the cwd. Create: a new S_IFSOCK file (0777 less the
 * umask), -EADDRINUSE if the name exists; *OUT gets a reference. Lookup: the
 * socket file PATH names (symlinks followed), -ECONNREFUSED if it is not one. */
int vfs_sock_create(const char *path, struct inode **out);
int vfs_sock_lookup(const char *path, struct inode **out);
void vfs_sock_put(struct inode *ino);

/* Mount the root fs from the first block device, tmpfs on /tmp and /dev/shm,
 * devfs on /dev, procfs on /proc,
 * and install the console as fds 0, 1, 2. */
int vfs_init(void);

/* ---- the process's fd table (one process for now) ---- */
int fd_install(struct file *f, int cloexec); /* lowest free fd (takes the caller's ref), or -EMFILE */
struct file *fd_get(int fd);                 /* borrowed reference or NULL: only while no thread can close FD */
struct file *fd_file(int fd);                /* new reference (file_put it) or NULL */
int fd_close(int fd);
int fd_dup(int oldfd, int minfd, int cloexec);        /* F_DUPFD: lowest free >= MINFD */
int fd_dup3(int oldfd, int newfd, int flags);         /* dup2/dup3 */
int fd_get_cloexec(int fd);                           /* 0/1, -EBADF */
int fd_set_cloexec(int fd, int on);
void fd_close_on_exec(void);

/* ---- the k_* calls syscalls/ wraps (paths are kernel pointers, checked) ---- */
int k_openat(int dirfd, const char *path, int flags, int mode);  /* returns an fd */
int k_fstatat(int dirfd, const char *path, struct kstat *st, int flags);
int k_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *stx);
long k_readlinkat(int dirfd, const char *path, char *buf, size_t n);
int k_faccessat(int dirfd, const char *path, int mode, int flags);
long k_getcwd(char *buf, size_t n);
int k_chdir(const char *path);
int k_fchdir(int fd);
int k_mkdirat(int dirfd, const char *path, int mode);
int k_unlinkat(int dirfd, const char *path, int flags);
int k_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
int k_symlinkat(const char *target, int dirfd, const char *path);
int k_truncate(const char *path, off_t len);
int k_ftruncate(int fd, off_t len);
int k_fsync(int fd, bool datasync);
int k_fallocate(int fd, int mode, off_t off, off_t len);
/* The program is ending: commit and close every writable volume's journal,
 * leaving clean filesystems; later changes to them answer -EROFS. */
int vfs_sync_all(void);
int k_statfs(const char *path, struct kstatfs *sf);
int k_fstatfs(int fd, struct kstatfs *sf);
int k_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags);
int k_fchmod(int fd, int mode);
int k_fchmodat(int dirfd, const char *path, int mode);
/* inotify (rump/fs/inotify.c): FLAGS O_NONBLOCK|O_CLOEXEC; PATH kernel memory. */
int k_inotify_init1(int flags);
int k_inotify_add_watch(int fd, const char *path, uint32_t mask);
int k_inotify_rm_watch(int fd, int wd);
long k_getdents64(int fd, void *buf, size_t n);

/* ---- links, owners, device nodes, syncing (rump/fs/namespace.c, open.c) ---- */
int k_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
int k_mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev);
int k_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags);
int k_fchown(int fd, uint32_t uid, uint32_t gid);
void k_sync(void);
int k_syncfs(int fd);
int k_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
/* May F be switched to O_DIRECT (F_SETFL)? Not a directory, device or a
 * file on a filesystem without direct I/O. */
bool file_can_direct(struct file *f);

/* ---- advisory locks (rump/fs/lock.c) ---- */
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
enum { LK_FLOCK, LK_POSIX, LK_OFD };
/* A byte range [start, end] (end INT64_MAX: to the end of file, however long),
 * as struct flock describes it once resolved against l_whence. */
struct lock_range {
	int type;                  /* F_RDLCK, F_WRLCK, F_UNLCK */
	int64_t start, end;
	int32_t pid;               /* lock_record_get: the holder's, -1 for an OFD lock */
};
/* flock(2) on F: TYPE F_RDLCK (LOCK_SH), F_WRLCK (LOCK_EX) or F_UNLCK; waits
 * if WAIT (-EINTR on a signal), else -EAGAIN on a conflict. */
int lock_flock(struct file *f, int type, bool wait);
/* Set (or with F_UNLCK clear) a record lock of KIND (LK_POSIX, LK_OFD) on F,
 * splitting and merging the owner's ranges; waiting as lock_flock. */
int lock_record_set(struct file *f, const struct lock_range *r, int kind, bool wait);
/* F_GETLK/F_OFD_GETLK: R becomes the first lock that would block R, or its
 * type F_UNLCK if none would. An F_UNLCK query (OFD only, Linux 6.x) asks
 * for a lock of R's own owner overlapping it instead. */
int lock_record_get(struct file *f, struct lock_range *r, int kind);
/* F's last reference is going: its flock and OFD locks go. */
void lock_release_file(struct file *f);
/* The process closed an fd of F: its POSIX locks on that file go (POSIX). */
void lock_release_posix(struct file *f);
