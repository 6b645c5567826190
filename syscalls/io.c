/* read/write and friends: the byte-moving calls on file descriptors.
 *
 *   0 read      1 write     8 lseek     16 ioctl    17 pread64   18 pwrite64
 *  19 readv    20 writev   40 sendfile 295 preadv 296 pwritev
 */
#include "fs.h"

#define MAX_RW_COUNT 0x7ffff000UL    /* Linux caps one transfer at this */
#define IOV_MAX 1024

#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define FIONREAD 0x541B

long k_read(int fd, void *buf, size_t n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = file_read(f, buf, MIN(n, MAX_RW_COUNT));
	file_put(f);
	return r;
}

long k_write(int fd, const void *buf, size_t n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = file_write(f, buf, MIN(n, MAX_RW_COUNT));
	file_put(f);
	return r;
}

long k_pread(int fd, void *buf, size_t n, off_t off)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = file_pread(f, buf, MIN(n, MAX_RW_COUNT), off);
	file_put(f);
	return r;
}

long k_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = file_pwrite(f, buf, MIN(n, MAX_RW_COUNT), off);
	file_put(f);
	return r;
}

/* Validate an iovec array: count, lengths, no overflow of the total. */
static long iov_check(const struct kiovec *iov, int cnt, bool user)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	if (cnt && user && !uptr_ok(iov, (size_t)cnt * sizeof(*iov)))
		return -EFAULT;
	size_t total = 0;
	for (int i = 0; i < cnt; i++) {
		if ((ssize_t)iov[i].iov_len < 0 || total + iov[i].iov_len > (size_t)INT64_MAX)
			return -EINVAL;
		if (user && iov[i].iov_len && !uptr_ok(iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
		total += iov[i].iov_len;
	}
	return 0;
}

/* Scatter/gather: segment by segment, stopping at the first short transfer. */
static long k_rwv(int fd, const struct kiovec *iov, int cnt, off_t off, bool positional, bool write)
{
	long err = iov_check(iov, cnt, false);
	if (err)
		return err;
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long done = 0;
	file_rw_batch(f, false, write, 0);
	for (int i = 0; i < cnt; i++) {
		size_t len = MIN(iov[i].iov_len, MAX_RW_COUNT - (size_t)done);
		if (!len)
			continue;
		long r;
		if (positional)
			r = write ? file_pwrite(f, iov[i].iov_base, len, off + done) : file_pread(f, iov[i].iov_base, len, off + done);
		else
			r = write ? file_write(f, iov[i].iov_base, len) : file_read(f, iov[i].iov_base, len);
		if (r < 0) {
			if (!done)
				done = r;
			break;
		}
		done += r;
		if ((size_t)r < len || (size_t)done >= MAX_RW_COUNT)
			break;
	}
	file_rw_batch(f, true, write, done);
	if (cnt == 0) {   /* still report a bad fd mode as Linux does */
		if (write ? (f->flags & O_ACCMODE) == O_RDONLY : (f->flags & O_ACCMODE) == O_WRONLY)
			done = -EBADF;
	}
	file_put(f);
	return done;
}

long k_readv(int fd, const struct kiovec *iov, int cnt, off_t off, bool positional)
{
	return k_rwv(fd, iov, cnt, off, positional, false);
}

long k_writev(int fd, const struct kiovec *iov, int cnt, off_t off, bool positional)
{
	return k_rwv(fd, iov, cnt, off, positional, true);
}

off_t k_lseek(int fd, off_t off, int whence)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	off_t r = file_lseek(f, off, whence);
	file_put(f);
	return r;
}

/* Generic ioctls first (FIONBIO, FIOCLEX), then the file's own. */
long k_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r;
	switch (cmd) {
	case FIONBIO:
		if (*(const int *)arg)
			__atomic_or_fetch(&f->flags, O_NONBLOCK, __ATOMIC_ACQ_REL);
		else
			__atomic_and_fetch(&f->flags, ~(unsigned)O_NONBLOCK, __ATOMIC_ACQ_REL);
		r = 0;
		break;
	case FIOCLEX:
	case FIONCLEX:
		r = fd_set_cloexec(fd, cmd == FIOCLEX);
		break;
	default:
		if (f->flags & O_PATH)
			r = -EBADF;
		else
			r = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
	}
	file_put(f);
	return r;
}

/* What sendfile checks before moving a byte, in Linux's order (do_sendfile,
 * then do_splice_direct): 0 or -errno. */
static long sendfile_check(struct file *in, struct file *out, const off_t *offset)
{
	if (!in || !file_can_read(in))
		return -EBADF;
	if (offset && file_is_stream(in))
		return -ESPIPE;
	if (offset && *offset < 0)
		return -EINVAL;
	if (!out || !file_can_write(out))
		return -EBADF;
	if (out->flags & O_APPEND)
		return -EINVAL;
	if (S_ISDIR(file_mode(in)))
		return -EINVAL;                  /* a directory has no data to splice */
	return 0;
}

/* The bounce buffer: as much as Linux's splice pipe holds (16 pages), so a
 * socket gets large writes it can pack into full segments. */
#define SENDFILE_CHUNK (16 * PAGE_SIZE)

/* Copy COUNT bytes from IN_FD (at *OFFSET if given) to OUT_FD through a
 * bounce buffer. A short write (a nonblocking socket filling up) ends the
 * call with what went out; the input's offset or position moves by exactly
 * that much, as the bytes not taken were never sent. */
long k_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	struct file *in = fd_file(in_fd), *out = fd_file(out_fd);
	long r = sendfile_check(in, out, offset);
	char *buf = NULL;
	if (r)
		goto done;
	count = MIN(count, MAX_RW_COUNT);
	if (!count)
		goto done;
	buf = kmalloc(MIN(count, SENDFILE_CHUNK));
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	file_rw_batch(in, false, false, 0);   /* inotify hears the call once: ACCESS, then MODIFY */
	file_rw_batch(out, false, true, 0);
	while ((size_t)r < count) {
		size_t want = MIN(count - (size_t)r, SENDFILE_CHUNK);
		long got = offset ? file_pread(in, buf, want, *offset) : file_read(in, buf, want);
		if (got <= 0) {
			if (got < 0 && !r)
				r = got;
			break;
		}
		long put = file_write(out, buf, (size_t)got);
		if (put <= 0) {
			if (put < 0 && !r)
				r = put;
			if (!offset)
				file_lseek(in, -got, SEEK_CUR);
			break;
		}
		if (offset)
			*offset += put;
		else if (put < got)
			file_lseek(in, put - got, SEEK_CUR);
		r += put;
		if (put < got)
			break;
	}
	file_rw_batch(in, true, false, r);
	file_rw_batch(out, true, true, r);
done:
	kfree(buf);
	file_put(in);
	file_put(out);
	return r;
}

/* ---- the ABI wrappers ---- */

long sys_read(int fd, void *buf, size_t n)
{
	if (n && !uptr_ok(buf, n))
		return -EFAULT;
	return k_read(fd, buf, n);
}

long sys_write(int fd, const void *buf, size_t n)
{
	if (n && !uptr_ok(buf, n))
		return -EFAULT;
	return k_write(fd, buf, n);
}

long sys_pread64(int fd, void *buf, size_t n, off_t off)
{
	if (n && !uptr_ok(buf, n))
		return -EFAULT;
	return k_pread(fd, buf, n, off);
}

long sys_pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	if (n && !uptr_ok(buf, n))
		return -EFAULT;
	return k_pwrite(fd, buf, n, off);
}

long sys_readv(int fd, const struct kiovec *iov, int cnt)
{
	long err = iov_check(iov, cnt, true);
	return err ? err : k_readv(fd, iov, cnt, 0, false);
}

long sys_writev(int fd, const struct kiovec *iov, int cnt)
{
	long err = iov_check(iov, cnt, true);
	return err ? err : k_writev(fd, iov, cnt, 0, false);
}

long sys_preadv(int fd, const struct kiovec *iov, int cnt, off_t off)
{
	long err = iov_check(iov, cnt, true);
	if (!err && off < 0)
		err = -EINVAL;
	return err ? err : k_readv(fd, iov, cnt, off, true);
}

long sys_pwritev(int fd, const struct kiovec *iov, int cnt, off_t off)
{
	long err = iov_check(iov, cnt, true);
	if (!err && off < 0)
		err = -EINVAL;
	return err ? err : k_writev(fd, iov, cnt, off, true);
}

long sys_lseek(int fd, off_t off, int whence)
{
	return k_lseek(fd, off, whence);
}

/* How many bytes at ARG the ioctls we answer touch; 0 for the others. */
static size_t ioctl_arg_size(unsigned long cmd)
{
	switch (cmd) {
	case FIONBIO: case FIONREAD: case 0x540F /* TIOCGPGRP */: case 0x5410 /* TIOCSPGRP */:
		return sizeof(int);
	case 0x5401: case 0x5402: case 0x5403: case 0x5404:   /* TCGETS, TCSETS, TCSETSW, TCSETSF */
		return 36;
	case 0x5413: case 0x5414:                             /* TIOCGWINSZ, TIOCSWINSZ */
		return 8;
	}
	return 0;
}

long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	size_t n = ioctl_arg_size(cmd);
	if (n && !uptr_ok((void *)arg, n)) {
		struct file *f = fd_file(fd);
		if (!f)
			return -EBADF;
		file_put(f);
		return -EFAULT;
	}
	return k_ioctl(fd, cmd, arg);
}

long sys_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	if (offset && !uptr_ok(offset, sizeof(*offset)))
		return -EFAULT;
	return k_sendfile(out_fd, in_fd, offset, count);
}

/* ---- preadv2/pwritev2: the per-call flags ---- */

#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04

/* The flags we honour: HIPRI is a polling hint, DSYNC/SYNC make one write
 * O_DSYNC/O_SYNC. Others (NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE) are
 * refused with -EOPNOTSUPP, Linux's answer for a flag a file cannot do. */
static long rwf_check(int flags)
{
	if (flags & ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC)) {
		klog_once("rwf", "uninode: preadv2/pwritev2: flags 0x%x not supported\n", (unsigned)flags);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The fd must exist before anything else is looked at (Linux's fdget). */
static long fd_exists(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* What preadv2 and pwritev2 check before any transfer, in Linux's order. */
static long rwv2_check(int fd, const struct kiovec *iov, int cnt, int flags)
{
	long err = fd_exists(fd);
	if (!err)
		err = iov_check(iov, cnt, true);
	if (!err)
		err = rwf_check(flags);
	return err;
}

/* x86-64 passes the whole offset in OFF (OFF_HI is for 32-bit ABIs); -1
 * means the file position, as readv. */
long sys_preadv2(int fd, const struct kiovec *iov, int cnt, off_t off, long off_hi, int flags)
{
	(void)off_hi;
	long err = rwv2_check(fd, iov, cnt, flags);
	if (err)
		return err;
	return off == -1 ? k_readv(fd, iov, cnt, 0, false) : sys_preadv(fd, iov, cnt, off);
}

long sys_pwritev2(int fd, const struct kiovec *iov, int cnt, off_t off, long off_hi, int flags)
{
	(void)off_hi;
	long err = rwv2_check(fd, iov, cnt, flags);
	if (err)
		return err;
	long r = off == -1 ? k_writev(fd, iov, cnt, 0, false) : sys_pwritev(fd, iov, cnt, off);
	if (r > 0 && (flags & (RWF_DSYNC | RWF_SYNC))) {
		int e = k_fsync(fd, !(flags & RWF_SYNC));
		if (e)
			r = e;
	}
	return r;
}
