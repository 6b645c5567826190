/* Credentials: the set*id rules of Linux's kernel/sys.c and the capability
 * changes that follow them (security/commoncap.c's cap_emulate_setxuid and
 * its setfsuid case), for the calling thread. Threads read and change only
 * their own credentials, so no lock is needed; the group list they may share
 * is never changed, only replaced. */
#include "kernel.h"
#include "sched.h"
#include "cred.h"

#define KEEP ((uint32_t)-1)

static void groups_put(struct group_list *g)
{
	if (g && __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(g);
}

void cred_copy(struct cred *to, const struct cred *from)
{
	*to = *from;
	if (to->groups)
		__atomic_add_fetch(&to->groups->refs, 1, __ATOMIC_RELAXED);
}

void cred_release(struct cred *c)
{
	groups_put(c->groups);
	c->groups = NULL;
}

/* What a change of uids does to the capabilities (cap_emulate_setxuid):
 * leaving root for good empties the permitted and effective sets; a
 * non-zero effective uid empties the effective set, a return to euid 0
 * refills it from the permitted one. */
static void fix_caps(struct cred *c, const struct cred *old)
{
	bool was_root = !old->uid || !old->euid || !old->suid;
	bool is_root = !c->uid || !c->euid || !c->suid;
	if (was_root && !is_root)
		c->no_permitted = c->no_effective = true;
	if (!old->euid && c->euid)
		c->no_effective = true;
	if (old->euid && !c->euid) {
		c->no_effective = c->no_permitted;
		c->no_fs_caps = false;
	}
}

int cred_setuid(uint32_t uid)
{
	struct cred *c = &current()->cred, old = *c;
	if (uid == KEEP)
		return -EINVAL;
	if (cred_capable(c)) {
		c->uid = c->suid = uid;
	} else if (uid != c->uid && uid != c->suid) {
		return -EPERM;
	}
	c->euid = c->fsuid = uid;
	fix_caps(c, &old);
	return 0;
}

int cred_setreuid(uint32_t ruid, uint32_t euid)
{
	struct cred *c = &current()->cred, old = *c;
	bool cap = cred_capable(c);
	if (ruid != KEEP && ruid != old.uid && ruid != old.euid && !cap)
		return -EPERM;
	if (euid != KEEP && euid != old.uid && euid != old.euid && euid != old.suid && !cap)
		return -EPERM;
	if (ruid != KEEP)
		c->uid = ruid;
	if (euid != KEEP)
		c->euid = euid;
	/* The saved id follows a change of the real id, or an effective id
	 * that is not the (old) real one. */
	if (ruid != KEEP || (euid != KEEP && euid != old.uid))
		c->suid = c->euid;
	c->fsuid = c->euid;
	fix_caps(c, &old);
	return 0;
}

/* An id a caller without the capability may take: one it already has. */
static bool own_id(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == KEEP || id == a || id == b || id == c;
}

int cred_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)
{
	struct cred *c = &current()->cred, old = *c;
	if (!cred_capable(c) && !(own_id(ruid, old.uid, old.euid, old.suid) && own_id(euid, old.uid, old.euid, old.suid) &&
				  own_id(suid, old.uid, old.euid, old.suid)))
		return -EPERM;
	if (ruid != KEEP)
		c->uid = ruid;
	if (euid != KEEP)
		c->euid = euid;
	if (suid != KEEP)
		c->suid = suid;
	c->fsuid = c->euid;
	fix_caps(c, &old);
	return 0;
}

uint32_t cred_setfsuid(uint32_t uid)
{
	struct cred *c = &current()->cred;
	uint32_t old = c->fsuid;
	if (uid == KEEP || uid == old)
		return old;
	if (!cred_capable(c) && uid != c->uid && uid != c->euid && uid != c->suid)
		return old;
	c->fsuid = uid;
	/* The filesystem capabilities follow fsuid 0 (commoncap's LSM_SETID_FS). */
	if (!old)
		c->no_fs_caps = true;
	else if (!uid)
		c->no_fs_caps = c->no_permitted;
	return old;
}

/* The group calls: the same rules under CAP_SETGID, with no capability change. */
int cred_setgid(uint32_t gid)
{
	struct cred *c = &current()->cred;
	if (gid == KEEP)
		return -EINVAL;
	if (cred_capable(c))
		c->gid = c->sgid = gid;
	else if (gid != c->gid && gid != c->sgid)
		return -EPERM;
	c->egid = c->fsgid = gid;
	return 0;
}

int cred_setregid(uint32_t rgid, uint32_t egid)
{
	struct cred *c = &current()->cred, old = *c;
	bool cap = cred_capable(c);
	if (rgid != KEEP && rgid != old.gid && rgid != old.egid && !cap)
		return -EPERM;
	if (egid != KEEP && egid != old.gid && egid != old.egid && egid != old.sgid && !cap)
		return -EPERM;
	if (rgid != KEEP)
		c->gid = rgid;
	if (egid != KEEP)
		c->egid = egid;
	if (rgid != KEEP || (egid != KEEP && egid != old.gid))
		c->sgid = c->egid;
	c->fsgid = c->egid;
	return 0;
}

int cred_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)
{
	struct cred *c = &current()->cred, old = *c;
	if (!cred_capable(c) && !(own_id(rgid, old.gid, old.egid, old.sgid) && own_id(egid, old.gid, old.egid, old.sgid) &&
				  own_id(sgid, old.gid, old.egid, old.sgid)))
		return -EPERM;
	if (rgid != KEEP)
		c->gid = rgid;
	if (egid != KEEP)
		c->egid = egid;
	if (sgid != KEEP)
		c->sgid = sgid;
	c->fsgid = c->egid;
	return 0;
}

uint32_t cred_setfsgid(uint32_t gid)
{
	struct cred *c = &current()->cred;
	uint32_t old = c->fsgid;
	if (gid != KEEP && (cred_capable(c) || gid == c->gid || gid == c->egid || gid == c->sgid || gid == old))
		c->fsgid = gid;
	return old;
}

int cred_setgroups(int n, const uint32_t *gids)
{
	struct cred *c = &current()->cred;
	if (!cred_capable(c))
		return -EPERM;
	if ((unsigned)n > NGROUPS_MAX)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (gids[i] == KEEP)
			return -EINVAL;
	struct group_list *g = NULL;
	if (n) {
		g = kmalloc(sizeof *g + (size_t)n * sizeof g->gid[0]);
		if (!g)
			return -ENOMEM;
		g->refs = 1;
		g->n = n;
		memcpy(g->gid, gids, (size_t)n * sizeof g->gid[0]);
		/* Shell sort: getgroups answers in Linux's (sorted) order, for up to 65536. */
		for (int gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11)
			for (int i = gap; i < n; i++) {
				uint32_t v = g->gid[i];
				int j = i;
				for (; j >= gap && g->gid[j - gap] > v; j -= gap)
					g->gid[j] = g->gid[j - gap];
				g->gid[j] = v;
			}
	}
	groups_put(c->groups);
	c->groups = g;
	return 0;
}

void cred_exec(struct cred *c)
{
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	/* Root (real or effective) gets every capability back, effective only
	 * with euid 0; anyone else keeps none (no file capabilities, no ambient
	 * set here). */
	c->no_permitted = c->uid && c->euid;
	c->no_effective = c->euid != 0;
	c->no_fs_caps = false;
}
