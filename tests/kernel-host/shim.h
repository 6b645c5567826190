/* What the host shim and the file-backed disk offer the tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct shim_buf { char data[65536]; size_t len; };
struct shim_console {
	struct shim_buf out, err;       /* what the "kernel" wrote to COM1 / COM2 */
	const char *in;                 /* what COM1 has pending */
	size_t in_len, in_pos;
	int more;                       /* input has not ended: reads past it would block */
};
extern struct shim_console shim_console;
extern const char *shim_exe_path;
extern size_t shim_frames_allocated;
extern size_t shim_frame_limit;   /* 0: no limit; else frame_alloc fails at this many */
void shim_set_quiet(int q);

/* procfs's view of the process: regions, the argv/envp area, threads. */
struct vma;
extern struct vma *shim_vmas;
extern uintptr_t shim_arg[4];       /* arg_start, arg_end, env_start, env_end */
extern int shim_tids[8], shim_ntids;

/* blkfile.c: a block device over a host file. */
struct blk_dev;
struct blk_dev *blkfile_open(const char *path, int writable);
extern uint64_t blkfile_sectors_read, blkfile_requests;
/* vm_unmap_file's last call (a truncate of a mapped inode) and how many */
extern struct inode *shim_unmapped_ino;
extern uint64_t shim_unmapped_pgoff;
extern int shim_unmap_calls;
int blkfile_swap(struct blk_dev *d, const char *path, int writable);
/* The write log: every write (a copy of its data) and flush on one disk. */
struct blkfile_op { int flush; uint64_t sector; uint32_t len; void *data; };
struct blkfile_log { struct blk_dev *dev; struct blkfile_op *e; size_t n, cap; };
extern struct blkfile_log blkfile_log;
void blkfile_log_start(struct blk_dev *d);   /* record D from now on (a new log) */
void blkfile_log_stop(void);                 /* forget the log */
