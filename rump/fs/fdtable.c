/* The process's file descriptor table (one process for now): NR_OPEN slots,
 * each a file reference and a close-on-exec bit. */
#include "fs.h"

static struct spinlock fd_lock = SPINLOCK_INIT("fdtable");
static struct file *fds[NR_OPEN];      /* guarded by fd_lock */
static bool fd_cloexec[NR_OPEN];

/* The lowest free slot >= FROM, or -EMFILE; fd_lock held. */
static int lowest_free(int from)
{
	for (int fd = from; fd < NR_OPEN; fd++)
		if (!fds[fd])
			return fd;
	return -EMFILE;
}

/* Put F (the caller's reference) in the lowest free slot. */
int fd_install(struct file *f, int cloexec)
{
	spin_lock(&fd_lock);
	int fd = lowest_free(0);
	if (fd >= 0) {
		fds[fd] = f;
		fd_cloexec[fd] = cloexec != 0;
	}
	spin_unlock(&fd_lock);
	return fd;
}

/* Borrowed: valid only while no other thread can close FD. */
struct file *fd_get(int fd)
{
	if (fd < 0 || fd >= NR_OPEN)
		return NULL;
	return fds[fd];
}

/* A new reference to FD's file, or NULL. */
struct file *fd_file(int fd)
{
	if (fd < 0 || fd >= NR_OPEN)
		return NULL;
	spin_lock(&fd_lock);
	struct file *f = fds[fd];
	if (f)
		file_get(f);
	spin_unlock(&fd_lock);
	return f;
}

/* Empty slot FD, dropping its reference. */
int fd_close(int fd)
{
	if (fd < 0 || fd >= NR_OPEN)
		return -EBADF;
	spin_lock(&fd_lock);
	struct file *f = fds[fd];
	fds[fd] = NULL;
	fd_cloexec[fd] = false;
	spin_unlock(&fd_lock);
	if (!f)
		return -EBADF;
	lock_release_posix(f);
	file_put(f);
	return 0;
}

/* A copy of OLDFD in the lowest free slot >= MINFD. */
int fd_dup(int oldfd, int minfd, int cloexec)
{
	if (minfd < 0 || minfd >= NR_OPEN)
		return -EINVAL;
	if (oldfd < 0 || oldfd >= NR_OPEN)
		return -EBADF;
	spin_lock(&fd_lock);
	struct file *f = fds[oldfd];
	int fd = f ? lowest_free(minfd) : -EBADF;
	if (fd >= 0) {
		file_get(f);
		fds[fd] = f;
		fd_cloexec[fd] = cloexec != 0;
	}
	spin_unlock(&fd_lock);
	return fd;
}

/* Make NEWFD a copy of OLDFD, closing what NEWFD held (dup3: OLDFD != NEWFD). */
int fd_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd < 0 || oldfd >= NR_OPEN || newfd < 0 || newfd >= NR_OPEN)
		return -EBADF;
	if (oldfd == newfd)
		return -EINVAL;
	spin_lock(&fd_lock);
	struct file *f = fds[oldfd], *old = NULL;
	if (f) {
		file_get(f);
		old = fds[newfd];
		fds[newfd] = f;
		fd_cloexec[newfd] = (flags & O_CLOEXEC) != 0;
	}
	spin_unlock(&fd_lock);
	if (!f)
		return -EBADF;
	if (old) {
		lock_release_posix(old);
		file_put(old);
	}
	return newfd;
}

int fd_get_cloexec(int fd)
{
	if (fd < 0 || fd >= NR_OPEN)
		return -EBADF;
	spin_lock(&fd_lock);
	int r = fds[fd] ? fd_cloexec[fd] : -EBADF;
	spin_unlock(&fd_lock);
	return r;
}

int fd_set_cloexec(int fd, int on)
{
	if (fd < 0 || fd >= NR_OPEN)
		return -EBADF;
	spin_lock(&fd_lock);
	int r = fds[fd] ? 0 : -EBADF;
	if (!r)
		fd_cloexec[fd] = on != 0;
	spin_unlock(&fd_lock);
	return r;
}

/* Close every close-on-exec descriptor. */
void fd_close_on_exec(void)
{
	for (int fd = 0; fd < NR_OPEN; fd++)
		if (fd_get_cloexec(fd) == 1)
			fd_close(fd);
}
