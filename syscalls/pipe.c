/* pipe and pipe2. */
#include "syscalls.h"
#include "vfs.h"

int pipe_create(unsigned flags, struct file **rd, struct file **wr);

long sys_pipe2(int *fds, int flags)
{
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (flags & O_DIRECT) {
		klog_once("pipe-direct", "uninode: pipe2(O_DIRECT) packet pipes are not supported\n");
		return -EINVAL;
	}
	if (!fds)
		return -EFAULT;
	struct file *rd, *wr;
	int r = pipe_create(flags, &rd, &wr);
	if (r)
		return r;
	int a = fd_install(rd, flags & O_CLOEXEC);
	if (a < 0) {
		file_put(rd);
		file_put(wr);
		return a;
	}
	int b = fd_install(wr, flags & O_CLOEXEC);
	if (b < 0) {
		fd_close(a);
		file_put(wr);
		return b;
	}
	fds[0] = a;
	fds[1] = b;
	return 0;
}

long sys_pipe(int *fds) { return sys_pipe2(fds, 0); }
