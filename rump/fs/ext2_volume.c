/* Writable ext4-compatible volumes on further disks (mount=ext4:vdb:PATH).
 * Not built yet: the volume work replaces this file. */
#include "fs.h"

int ext2_mount_volume(const char *source, bool ro, uint64_t dev, struct mount **out)
{
	kprintf("uninode: volume %s: this kernel cannot mount ext4 volumes yet\n", source);
	return -ENOSYS;
}
