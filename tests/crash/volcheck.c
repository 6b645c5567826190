/* Mount a volume image with the kernel's own filesystem code (compiled for the host, as
 * tests/kernel-host does), which replays its journal as the kernel would at boot, copy
 * the named files out of it, and unmount cleanly.
 *
 *     volcheck IMAGE OUTDIR NAME...
 *
 * Prints "mounted" once the volume is mounted, "copied NAME BYTES" or "missing NAME" for
 * each file, then "clean" after the unmount; exits 1 if the volume cannot be mounted or
 * unmounted, 2 on bad arguments. The crash tests run it on every disk state they rebuild,
 * then e2fsck -fn the image and check the copied files. */
#include <stdio.h>
#include <stdlib.h>
#include "../../rump/fs/fs.h"
#include "../kernel-host/shim.h"

int vfs_sync_all(void);

/* Copy /vol/NAME to OUTDIR/NAME; 0, or -ENOENT when the volume has no such file. */
static int copy_out(const char *name, const char *outdir)
{
	char src[4096], dst[4096];
	snprintf(src, sizeof src, "/vol/%s", name);
	snprintf(dst, sizeof dst, "%s/%s", outdir, name);
	struct file *f;
	int err = vfs_open(src, O_RDONLY, 0, &f);
	if (err)
		return err;
	FILE *out = fopen(dst, "wb");
	if (!out) {
		file_put(f);
		return -EIO;
	}
	static char buf[1 << 16];
	long n, total = 0;
	while ((n = file_read(f, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			n = -EIO;
			break;
		}
		total += n;
	}
	if (fclose(out))
		n = -EIO;
	file_put(f);
	if (n < 0)
		return (int)n;
	printf("copied %s %ld\n", name, total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: volcheck IMAGE OUTDIR NAME...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No disk yet: the root is a tmpfs, and the volume is mounted as the kernel mounts one. */
	int err = vfs_init();
	if (err) {
		fprintf(stderr, "volcheck: vfs_init: %d\n", err);
		return 1;
	}
	if (!blkfile_open(argv[1], 1)) {
		fprintf(stderr, "volcheck: cannot open %s\n", argv[1]);
		return 2;
	}
	static char tok[] = "ext4:vda:/vol";
	boot_opts.mounts[0] = tok;
	boot_opts.nmounts = 1;
	if ((err = vfs_mount_volumes())) {
		printf("mount failed: %d\n", err);
		return 1;
	}
	printf("mounted\n");
	for (int i = 3; i < argc; i++) {
		err = copy_out(argv[i], argv[2]);
		if (err == -ENOENT)
			printf("missing %s\n", argv[i]);
		else if (err) {
			printf("read of %s failed: %d\n", argv[i], err);
			return 1;
		}
	}
	if ((err = vfs_sync_all())) {
		printf("unmount failed: %d\n", err);
		return 1;
	}
	printf("clean\n");
	return 0;
}
