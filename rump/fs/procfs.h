/* Inside procfs: the text buffer files are generated into, what a node is
 * about, and the generators (proc_gen.c) the tree (procfs.c) points at. */
#pragma once
#include "fs.h"

/* A growing kernel buffer; on allocation failure it stops growing and says so. */
struct pbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void pb_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pb_put(struct pbuf *b, const void *data, size_t n);
/* Spaces until the line that began at offset FROM is WIDTH long, then one more (as Linux pads maps). */
void pb_pad(struct pbuf *b, size_t from, size_t width);

/* What a node is about: a thread (TID, 0 = the process) and an fd (-1 = none). */
struct pctx {
	int tid;
	int fd;
};

#define PROC_PID 1                 /* the one process */
#define PROC_MAX_THREADS 4096      /* listed in task/ */

/* proc_gen.c: file contents. Each appends to B and returns 0 or -errno; they
 * run without the VFS lock (cmdline and environ read app memory). */
typedef int (*proc_gen_fn)(struct pbuf *b, const struct pctx *c);
int gen_maps(struct pbuf *b, const struct pctx *c);
int gen_stat(struct pbuf *b, const struct pctx *c);
int gen_statm(struct pbuf *b, const struct pctx *c);
int gen_status(struct pbuf *b, const struct pctx *c);
int gen_cmdline(struct pbuf *b, const struct pctx *c);
int gen_environ(struct pbuf *b, const struct pctx *c);
int gen_comm(struct pbuf *b, const struct pctx *c);
int gen_limits(struct pbuf *b, const struct pctx *c);
int gen_mounts(struct pbuf *b, const struct pctx *c);
int gen_meminfo(struct pbuf *b, const struct pctx *c);
int gen_cpuinfo(struct pbuf *b, const struct pctx *c);
int gen_sysstat(struct pbuf *b, const struct pctx *c);
int gen_uptime(struct pbuf *b, const struct pctx *c);
int gen_loadavg(struct pbuf *b, const struct pctx *c);
int gen_version(struct pbuf *b, const struct pctx *c);
int gen_filesystems(struct pbuf *b, const struct pctx *c);
int gen_diskstats(struct pbuf *b, const struct pctx *c);
/* proc_net.c */
int gen_net_dev(struct pbuf *b, const struct pctx *c);
int gen_net_route(struct pbuf *b, const struct pctx *c);
int gen_zero_line(struct pbuf *b, const struct pctx *c);      /* "0\n" */
int gen_one_line(struct pbuf *b, const struct pctx *c);       /* "1\n" */
int gen_osrelease(struct pbuf *b, const struct pctx *c);
int gen_ostype(struct pbuf *b, const struct pctx *c);
int gen_hostname(struct pbuf *b, const struct pctx *c);
int gen_pid_max(struct pbuf *b, const struct pctx *c);
int gen_threads_max(struct pbuf *b, const struct pctx *c);
int gen_max_map_count(struct pbuf *b, const struct pctx *c);
int gen_somaxconn(struct pbuf *b, const struct pctx *c);
int gen_file_max(struct pbuf *b, const struct pctx *c);
int gen_nr_open(struct pbuf *b, const struct pctx *c);
int gen_boot_id(struct pbuf *b, const struct pctx *c);
int gen_uuid(struct pbuf *b, const struct pctx *c);
int gen_entropy(struct pbuf *b, const struct pctx *c);
int gen_fdinfo(struct pbuf *b, const struct pctx *c);
/* inotify.c: /proc/sys/fs/inotify limits. */
int gen_inotify_watches(struct pbuf *b, const struct pctx *c);
int gen_inotify_instances(struct pbuf *b, const struct pctx *c);
int gen_inotify_queued(struct pbuf *b, const struct pctx *c);

/* Symlink targets, written to BUF (PATH_MAX); length or -errno. VFS lock held. */
long link_fd(char *buf, const struct pctx *c);
long link_exe(char *buf, const struct pctx *c);
long link_cwd(char *buf, const struct pctx *c);

/* The program's start, in clock ticks (100 Hz) since boot. */
extern uint64_t proc_start_ticks;
