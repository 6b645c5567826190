/* inotify: 253 inotify_init, 254 inotify_add_watch, 255 inotify_rm_watch,
 * 294 inotify_init1. Arguments only; rump/fs/inotify.c does the work. */
#include "fs.h"

#define IN_CLOEXEC O_CLOEXEC
#define IN_NONBLOCK O_NONBLOCK

long sys_inotify_init1(int flags)
{
	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	return k_inotify_init1(flags);
}

long sys_inotify_init(void)
{
	return k_inotify_init1(0);
}

long sys_inotify_add_watch(int fd, const char *upath, uint32_t mask)
{
	if (!uptr_ok(upath, 1))
		return -EFAULT;
	size_t n = strnlen(upath, PATH_MAX);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	char *k = kmalloc(n + 1);    /* the path is walked under the VFS lock: a kernel copy */
	if (!k)
		return -ENOMEM;
	memcpy(k, upath, n);
	k[n] = 0;
	long r = k_inotify_add_watch(fd, k, mask);
	kfree(k);
	return r;
}

long sys_inotify_rm_watch(int fd, int wd)
{
	return k_inotify_rm_watch(fd, wd);
}
