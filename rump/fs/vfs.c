/* Bringing the VFS up: the page cache, the root fs (the image's ext2 under a
 * writable overlay, or read-only), /tmp and /run seeded with the image's own
 * files there, /dev, and the console as fds 0, 1, 2. */
#include "fs.h"
#include "../include/mm.h"
#include "../include/pci.h"
#include "../include/console.h"

#define DEV_ROOT makedev64(254, 0)     /* what Linux calls the first virtio disk */
#define DEV_DEVFS makedev64(0, 5)
#define DEV_TMPFS makedev64(0, 30)
#define DEV_PROC makedev64(0, 22)
#define DEV_SHM makedev64(0, 24)
#define DEV_RUN makedev64(0, 25)
#define DEV_OVERLAY makedev64(0, 31)  /* its upper tmpfs is (0, 32), seen nowhere */

/* Copy the image's directory /NAME into tmpfs M mounted over it: a tmpfs
 * over /tmp must not hide the files the image carries there. */
static void seed(struct mount *m, const char *name)
{
	struct inode *src;
	vfs_lock();
	int err = iop_lookup(overlay_lower(root_mount)->root, name, strlen(name), &src);
	vfs_unlock();
	if (err)
		return;
	if (S_ISDIR(src->mode))
		err = fs_seed_tree(src, m->root, 0);
	vfs_lock();
	inode_put(src);
	vfs_unlock();
	if (err)
		kprintf("vfs: copying the image's /%s into its tmpfs stopped (error %d)\n", name, err);
}

/* Open PATH and install it as the lowest free fd (0, 1, 2 in order at boot). */
static int install_console(const char *path, int want)
{
	struct file *f;
	int err = vfs_open(path, O_RDWR, 0, &f);
	if (err)
		return err;
	int fd = fd_install(f, 0);
	if (fd != want) {
		kprintf("vfs: %s became fd %d, not %d\n", path, fd, want);
		return -EBUSY;
	}
	return 0;
}

/* Mount everything and open the console (see vfs.h). */
int vfs_init(void)
{
	pci_init();            /* finds the disks; a no-op if boot already ran it */
	size_t frames = frame_total();
	pcache_init(frames / 8 > 1024 ? frames / 8 : 1024);
	struct blk_dev *disk = blk_get(0);
	struct mount *root = NULL, *m;
	int err;
	if (disk) {
		struct mount *image;
		if ((err = ext2_mount(disk, DEV_ROOT, &image)))
			return err;
		/* readonly-root: the ext2 itself, unless mount= points may have to
		 * be made; then the overlay, turned read-only once they are. */
		if (boot_opts.readonly_root && !boot_opts.nmounts)
			root = image;
		else if ((err = overlay_mount(image, DEV_OVERLAY, &root)))
			return err;
	} else {
		kprintf("vfs: no disk: the root is an empty tmpfs\n");
		if ((err = tmpfs_mount(makedev64(0, 29), &root)))
			return err;
	}
	vfs_lock();
	err = mount_attach(root, NULL);
	if (!err && !disk) {
		iop_mkdir(root->root, "tmp", 3, S_IFDIR | 01777);
		iop_mkdir(root->root, "run", 3, S_IFDIR | 0755);
		iop_mkdir(root->root, "dev", 3, S_IFDIR | 0755);
		iop_mkdir(root->root, "proc", 4, S_IFDIR | 0555);
	}
	vfs_unlock();
	if (err)
		return err;
	if (!(err = devfs_mount(DEV_DEVFS, &m)))
		err = mount_at_path(m, "/dev");
	if (err)
		return err;
	if (!tmpfs_mount(DEV_TMPFS, &m) && !mount_at_path(m, "/tmp"))   /* a root fs without /tmp still boots */
		seed(m, "tmp");
	if (!tmpfs_mount(DEV_SHM, &m))
		mount_at_path(m, "/dev/shm");
	if (!tmpfs_mount(DEV_RUN, &m) && !mount_at_path(m, "/run"))
		seed(m, "run");    /* resolv.conf is written later, by the network (rump/net/ipconfig.c) */
	if (!procfs_mount(DEV_PROC, &m))
		mount_at_path(m, "/proc");  /* nor does one without /proc */
	/* Volumes and host directories come last: their mount points may lie
	 * anywhere in the tree, and a requested volume that cannot be mounted
	 * stops the boot rather than leave the program writing into memory. */
	if ((err = vfs_mount_volumes()))
		return err;
	if (boot_opts.readonly_root)
		root_mount->rdonly = true;   /* the mount points exist now */
	console_input_start();
	if ((err = install_console("/dev/ttyS0", 0)) || (err = install_console("/dev/ttyS0", 1)) ||
	    (err = install_console("/dev/ttyS1", 2)))
		return err;
	return 0;
}
