/* The file-system and I/O families of the Linux syscall ABI: syscalls/fs.c
 * (paths, fds, directories) and syscalls/io.c (read/write/seek/ioctl).
 * sys_* take natural C types and only unpack and check app pointers; the
 * k_* functions (rump/include/vfs.h and below) do the work. */
#pragma once
#include "../rump/include/kernel.h"
#include "../rump/include/vfs.h"

#include "../rump/include/vm.h"

/* App pointers live below USER_TOP (Linux's TASK_SIZE); NULL and anything above is -EFAULT. */
static inline bool uptr_ok(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	return a && a < USER_TOP && n <= USER_TOP - a;
}

struct kiovec { void *iov_base; size_t iov_len; };

/* io.c: the work, callable from other kernel code (kernel pointers). */
long k_read(int fd, void *buf, size_t n);
long k_write(int fd, const void *buf, size_t n);
long k_pread(int fd, void *buf, size_t n, off_t off);
long k_pwrite(int fd, const void *buf, size_t n, off_t off);
long k_readv(int fd, const struct kiovec *iov, int cnt, off_t off, bool positional);
long k_writev(int fd, const struct kiovec *iov, int cnt, off_t off, bool positional);
off_t k_lseek(int fd, off_t off, int whence);
long k_ioctl(int fd, unsigned long cmd, unsigned long arg);
long k_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
/* fs.c */
long k_fcntl(int fd, int cmd, unsigned long arg);
int k_umask(int mask);

/* syscalls/io.c */
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
long sys_pread64(int fd, void *buf, size_t n, off_t off);
long sys_pwrite64(int fd, const void *buf, size_t n, off_t off);
long sys_readv(int fd, const struct kiovec *iov, int cnt);
long sys_writev(int fd, const struct kiovec *iov, int cnt);
long sys_preadv(int fd, const struct kiovec *iov, int cnt, off_t off);
long sys_pwritev(int fd, const struct kiovec *iov, int cnt, off_t off);
long sys_lseek(int fd, off_t off, int whence);
long sys_ioctl(int fd, unsigned long cmd, unsigned long arg);
long sys_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
long sys_preadv2(int fd, const struct kiovec *iov, int cnt, off_t off, long off_hi, int flags);
long sys_pwritev2(int fd, const struct kiovec *iov, int cnt, off_t off, long off_hi, int flags);

/* syscalls/fs.c */
long sys_open(const char *path, int flags, int mode);
long sys_openat(int dirfd, const char *path, int flags, int mode);
long sys_creat(const char *path, int mode);
long sys_close(int fd);
long sys_stat(const char *path, struct kstat *st);
long sys_fstat(int fd, struct kstat *st);
long sys_lstat(const char *path, struct kstat *st);
long sys_newfstatat(int dirfd, const char *path, struct kstat *st, int flags);
long sys_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *stx);
long sys_getdents64(int fd, void *buf, size_t n);
long sys_readlink(const char *path, char *buf, size_t n);
long sys_readlinkat(int dirfd, const char *path, char *buf, size_t n);
long sys_access(const char *path, int mode);
long sys_faccessat(int dirfd, const char *path, int mode);
long sys_faccessat2(int dirfd, const char *path, int mode, int flags);
long sys_getcwd(char *buf, size_t n);
long sys_chdir(const char *path);
long sys_fchdir(int fd);
long sys_dup(int fd);
long sys_dup2(int oldfd, int newfd);
long sys_dup3(int oldfd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, unsigned long arg);
long sys_mkdir(const char *path, int mode);
long sys_mkdirat(int dirfd, const char *path, int mode);
long sys_rmdir(const char *path);
long sys_unlink(const char *path);
long sys_unlinkat(int dirfd, const char *path, int flags);
long sys_rename(const char *oldpath, const char *newpath);
long sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
long sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
long sys_symlink(const char *target, const char *path);
long sys_symlinkat(const char *target, int dirfd, const char *path);
long sys_truncate(const char *path, off_t len);
long sys_ftruncate(int fd, off_t len);
long sys_fsync(int fd);
long sys_fdatasync(int fd);
long sys_statfs(const char *path, struct kstatfs *sf);
long sys_fstatfs(int fd, struct kstatfs *sf);
long sys_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags);
long sys_fchmod(int fd, int mode);
long sys_chmod(const char *path, int mode);
long sys_fchmodat(int dirfd, const char *path, int mode);
long sys_umask(int mask);
long sys_fadvise64(int fd, off_t off, off_t len, int advice);
long sys_fallocate(int fd, int mode, off_t off, off_t len);
long sys_getxattr(const char *path, const char *name, void *val, size_t n);
long sys_lgetxattr(const char *path, const char *name, void *val, size_t n);
long sys_fgetxattr(int fd, const char *name, void *val, size_t n);
long sys_listxattr(const char *path, char *list, size_t n);
long sys_llistxattr(const char *path, char *list, size_t n);
long sys_flistxattr(int fd, char *list, size_t n);
long sys_setxattr(const char *path, const char *name, const void *val, size_t n, int flags);
long sys_lsetxattr(const char *path, const char *name, const void *val, size_t n, int flags);
long sys_fsetxattr(int fd, const char *name, const void *val, size_t n, int flags);
long sys_removexattr(const char *path, const char *name);
long sys_lremovexattr(const char *path, const char *name);
long sys_fremovexattr(int fd, const char *name);
struct ktimeval;
struct kutimbuf;
long sys_link(const char *oldpath, const char *newpath);
long sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
long sys_chown(const char *path, unsigned uid, unsigned gid);
long sys_lchown(const char *path, unsigned uid, unsigned gid);
long sys_fchown(int fd, unsigned uid, unsigned gid);
long sys_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid, int flags);
long sys_mknod(const char *path, unsigned mode, unsigned dev);
long sys_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev);
long sys_sync(void);
long sys_syncfs(int fd);
long sys_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
long sys_utime(const char *path, const struct kutimbuf *times);
long sys_utimes(const char *path, const struct ktimeval *tv);
long sys_futimesat(int dirfd, const char *path, const struct ktimeval *tv);
long sys_flock(int fd, unsigned cmd);
