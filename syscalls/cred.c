/* The credential calls: user and group ids, supplementary groups. The rules
 * are rump/proc/cred.c's; here the arguments are unpacked. */
#include "syscalls.h"
#include "sched.h"
#include "cred.h"

static struct cred *me(void) { return &current()->cred; }

long sys_getuid(void) { return me()->uid; }
long sys_geteuid(void) { return me()->euid; }
long sys_getgid(void) { return me()->gid; }
long sys_getegid(void) { return me()->egid; }

long sys_setuid(uint32_t uid) { return cred_setuid(uid); }
long sys_setgid(uint32_t gid) { return cred_setgid(gid); }
long sys_setreuid(uint32_t r, uint32_t e) { return cred_setreuid(r, e); }
long sys_setregid(uint32_t r, uint32_t e) { return cred_setregid(r, e); }
long sys_setresuid(uint32_t r, uint32_t e, uint32_t s) { return cred_setresuid(r, e, s); }
long sys_setresgid(uint32_t r, uint32_t e, uint32_t s) { return cred_setresgid(r, e, s); }
long sys_setfsuid(uint32_t uid) { return cred_setfsuid(uid); }
long sys_setfsgid(uint32_t gid) { return cred_setfsgid(gid); }

long sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct cred c = *me();
	*r = c.uid;
	*e = c.euid;
	*s = c.suid;
	return 0;
}

long sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	struct cred c = *me();
	*r = c.gid;
	*e = c.egid;
	*s = c.sgid;
	return 0;
}

long sys_getgroups(int size, uint32_t *list)
{
	if (size < 0)
		return -EINVAL;
	struct group_list *g = me()->groups;   /* ours: no other thread can drop it */
	int n = g ? g->n : 0;
	if (size) {
		if (n > size)
			return -EINVAL;
		memcpy(list, g ? g->gid : NULL, (size_t)n * sizeof *list);
	}
	return n;
}

long sys_setgroups(int size, const uint32_t *list)
{
	/* Linux's order: the permission, the size, then the list itself. */
	if (!cred_capable(me()))
		return -EPERM;
	if ((unsigned)size > NGROUPS_MAX)
		return -EINVAL;
	uint32_t *copy = size ? kmalloc((size_t)size * sizeof *copy) : NULL;
	if (size && !copy)
		return -ENOMEM;
	memcpy(copy, list, (size_t)size * sizeof *copy);
	int r = cred_setgroups(size, copy);
	kfree(copy);
	return r;
}
