/* Credentials: who a thread acts as (Linux keeps them per thread; glibc makes
 * every thread call set*id in turn) and what that lets it do. The capability
 * model is Linux's without file capabilities, reduced to three facts: the
 * permitted set is full or empty, the effective set is full or empty, and the
 * filesystem capabilities (CAP_CHOWN, CAP_FSETID, ...) may be dropped from a
 * full effective set by setfsuid. A zeroed cred is root with every capability
 * and no supplementary groups: what the program starts as. */
#pragma once
#include "types.h"

#define NGROUPS_MAX 65536

/* Supplementary groups, sorted ascending (as Linux keeps them); shared by
 * threads until one of them calls setgroups. Never changed once made. */
struct group_list {
	int refs;                     /* atomic */
	int n;
	uint32_t gid[];
};

struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	bool no_permitted;            /* the permitted set is empty */
	bool no_effective;            /* the effective set is empty */
	bool no_fs_caps;              /* the effective set lacks the filesystem capabilities */
	struct group_list *groups;    /* NULL: none */
};

/* CAP_SETUID, CAP_SETGID, ...: anything but the filesystem set. */
static inline bool cred_capable(const struct cred *c) { return !c->no_effective; }
/* CAP_FSETID, CAP_CHOWN, CAP_FOWNER, ...: the filesystem set. */
static inline bool cred_capable_fs(const struct cred *c) { return !c->no_effective && !c->no_fs_caps; }

/* The sets as capget and /proc/self/status show them: every capability
 * this kernel's Linux ABI knows (0..40), the filesystem ones being CAP_CHOWN,
 * DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, LINUX_IMMUTABLE, MKNOD and
 * MAC_OVERRIDE (Linux's CAP_FS_SET). */
#define CAP_ALL_MASK 0x1ffffffffffUL
#define CAP_FS_SET_MASK 0x10800021fUL
static inline uint64_t cred_cap_permitted(const struct cred *c) { return c->no_permitted ? 0 : CAP_ALL_MASK; }
static inline uint64_t cred_cap_effective(const struct cred *c)
{
	return c->no_effective ? 0 : c->no_fs_caps ? CAP_ALL_MASK & ~CAP_FS_SET_MASK : CAP_ALL_MASK;
}

/* Linux's in_group_p: GID is the fs group or a supplementary one. */
static inline bool cred_in_group(const struct cred *c, uint32_t gid)
{
	if (gid == c->fsgid)
		return true;
	for (int i = 0; c->groups && i < c->groups->n; i++)
		if (c->groups->gid[i] == gid)
			return true;
	return false;
}

/* rump/proc/cred.c. The set*id calls as Linux's kernel/sys.c has them: an id
 * of (uint32_t)-1 means "unchanged" where Linux says so; 0 or -errno. */
int cred_setuid(uint32_t uid);
int cred_setgid(uint32_t gid);
int cred_setreuid(uint32_t ruid, uint32_t euid);
int cred_setregid(uint32_t rgid, uint32_t egid);
int cred_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid);
int cred_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid);
/* setfsuid/setfsgid: the previous fs id, changed only when allowed. */
uint32_t cred_setfsuid(uint32_t uid);
uint32_t cred_setfsgid(uint32_t gid);
/* setgroups with N gids in kernel memory (copied and sorted). */
int cred_setgroups(int n, const uint32_t *gids);
/* A new thread starts with its creator's credentials. */
void cred_copy(struct cred *to, const struct cred *from);
/* A thread is gone: drop what its credentials hold. */
void cred_release(struct cred *c);
/* execve: the saved ids take the effective ones, and the capabilities are
 * recomputed as Linux does for a file without set-id bits or capabilities. */
void cred_exec(struct cred *c);
