/* What the kernel command line mounts after the root: named volumes (ext4 on
 * further disks) and host directories (virtio-9p), one mount= token each:
 *
 *     mount=TYPE:SOURCE:PATH[:ro]      e.g. mount=ext4:vdb:/var/lib/mysql
 *                                           mount=9p:uploads:/app/uploads:ro
 *
 * TYPE picks the filesystem, SOURCE is a disk name (vdb, ...) or a 9p mount
 * tag, PATH the absolute mount point (created if missing). Each field is
 * %XX-escaped by the CLI, so a ':' inside one is written %3A.
 * A volume the user asked for that cannot be mounted stops the boot: the
 * program must never start with its data directory silently in memory. */
#include "fs.h"

struct mount_kind {
	const char *type;
	/* Mount SOURCE (read-only if RO) as a new, unattached mount with st_dev DEV. */
	int (*mount)(const char *source, bool ro, uint64_t dev, struct mount **out);
};

static const struct mount_kind kinds[] = {
	{ "ext4", ext2_mount_volume },
	{ "9p", v9fs_mount_tag },
};

/* Make directory PATH and its missing parents (absolute, kernel memory). */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlcpy(buf, path, sizeof buf);
	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int err = k_mkdirat(AT_FDCWD, buf, 0755);
		if (err && err != -EEXIST)
			return err;
		if (!c)
			return 0;
		*p = c;
	}
}

/* Split off the field up to the next ':' (or the end); NULL when none is left. */
static char *field(char **s)
{
	if (!*s)
		return NULL;
	char *f = *s, *c = strchr(f, ':');
	if (c) {
		*c = 0;
		*s = c + 1;
	} else {
		*s = NULL;
	}
	return percent_decode(f);
}

/* Mount one token (modified in place); one log line and an error on failure. */
static int mount_one(char *tok, int idx)
{
	char *rest = tok;
	const char *type = field(&rest), *source = field(&rest), *path = field(&rest), *opt = field(&rest);
	bool ro = false;
	if (opt && !strcmp(opt, "ro"))
		ro = true;
	else if (opt && strcmp(opt, "rw"))
		path = NULL;
	if (!type || !source || !*source || !path || path[0] != '/' || rest) {
		kprintf("uninode: mount=%s: expected TYPE:SOURCE:/PATH[:ro]\n", tok);
		return -EINVAL;
	}
	const struct mount_kind *k = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].type, type))
			k = &kinds[i];
	if (!k) {
		kprintf("uninode: mount=%s: unknown type '%s'\n", tok, type);
		return -EINVAL;
	}
	int err = mkdir_p(path);
	if (err) {
		kprintf("uninode: cannot create the mount point %s (error %d)\n", path, err);
		return err;
	}
	struct mount *m;
	if ((err = k->mount(source, ro, makedev64(0, 40 + idx), &m)))
		return err;   /* the filesystem said why */
	return mount_at_path(m, path);
}

/* Mount every mount= token in order; the first failure is returned. */
int vfs_mount_volumes(void)
{
	for (int i = 0; i < boot_opts.nmounts; i++) {
		char tok[256];
		if (strlcpy(tok, boot_opts.mounts[i], sizeof tok) >= sizeof tok) {
			kprintf("uninode: mount= token too long\n");
			return -ENAMETOOLONG;
		}
		int err = mount_one(tok, i);
		if (err)
			return err;
	}
	return 0;
}
