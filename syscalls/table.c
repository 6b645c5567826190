/* The Linux x86-64 syscall table: number -> handler, name, argument kinds.
 * A slot without a handler answers -ENOSYS and is logged once by name.
 * Names follow <asm/unistd_64.h>. */
#include "syscalls.h"

long sys_arch_prctl();
long sys_brk();
long sys_capget();
long sys_clock_getres();
long sys_clock_gettime();
long sys_clock_nanosleep();
long sys_clone();
long sys_clone3();
long sys_epoll_create();
long sys_epoll_create1();
long sys_epoll_ctl();
long sys_epoll_pwait();
long sys_epoll_wait();
long sys_eventfd();
long sys_eventfd2();
long sys_execve();
long sys_inotify_add_watch();
long sys_inotify_init();
long sys_inotify_init1();
long sys_inotify_rm_watch();
long sys_exit();
long sys_exit_group();
long sys_fork();
long sys_futex();
long sys_getcpu();
long sys_getegid();
long sys_geteuid();
long sys_getgid();
long sys_getpid();
long sys_getppid();
long sys_getrandom();
long sys_getrlimit();
long sys_getrusage();
long sys_gettid();
long sys_gettimeofday();
long sys_getuid();
long sys_io_uring_setup();
long sys_kill();
long sys_madvise();
long sys_mmap();
long sys_mprotect();
long sys_mremap();
long sys_msync();
long sys_munmap();
long sys_nanosleep();
long sys_rt_sigtimedwait();
long sys_pipe();
long sys_pipe2();
long sys_pkey_alloc();
long sys_poll();
long sys_ppoll();
long sys_prlimit64();
long sys_pselect6();
long sys_rseq();
long sys_rt_sigaction();
long sys_rt_sigpending();
long sys_rt_sigprocmask();
long sys_rt_sigreturn();
long sys_sched_getaffinity();
long sys_sched_yield();
long sys_select();
long sys_set_robust_list();
long sys_set_tid_address();
long sys_setrlimit();
long sys_sigaltstack();
long sys_sysinfo();
long sys_tgkill();
long sys_time();
long sys_times();
long sys_tkill();
long sys_uname();
long sys_vfork();
/* The VFS family (syscalls/fs.c, io.c). */
long sys_access();
long sys_chdir();
long sys_chmod();
long sys_close();
long sys_creat();
long sys_dup();
long sys_dup2();
long sys_dup3();
long sys_faccessat();
long sys_faccessat2();
long sys_fadvise64();
long sys_fallocate();
long sys_fchdir();
long sys_fchmod();
long sys_fchmodat();
long sys_fcntl();
long sys_fdatasync();
long sys_fgetxattr();
long sys_flistxattr();
long sys_fremovexattr();
long sys_fsetxattr();
long sys_fstat();
long sys_fstatfs();
long sys_fsync();
long sys_ftruncate();
long sys_getcwd();
long sys_getdents64();
long sys_getxattr();
long sys_ioctl();
long sys_lgetxattr();
long sys_listxattr();
long sys_llistxattr();
long sys_lremovexattr();
long sys_lseek();
long sys_lsetxattr();
long sys_lstat();
long sys_mkdir();
long sys_mkdirat();
long sys_newfstatat();
long sys_open();
long sys_openat();
long sys_pread64();
long sys_preadv();
long sys_pwrite64();
long sys_pwritev();
long sys_read();
long sys_readlink();
long sys_readlinkat();
long sys_readv();
long sys_removexattr();
long sys_rename();
long sys_renameat();
long sys_renameat2();
long sys_rmdir();
long sys_sendfile();
long sys_setxattr();
long sys_stat();
long sys_statfs();
long sys_statx();
long sys_symlink();
long sys_symlinkat();
long sys_truncate();
long sys_umask();
long sys_unlink();
long sys_unlinkat();
long sys_utimensat();
long sys_preadv2();
long sys_pwritev2();
long sys_chown();
long sys_fchown();
long sys_fchownat();
long sys_flock();
long sys_futimesat();
long sys_lchown();
long sys_link();
long sys_linkat();
long sys_mknod();
long sys_mknodat();
long sys_sync();
long sys_sync_file_range();
long sys_syncfs();
long sys_utime();
long sys_utimes();
long sys_write();
long sys_writev();
/* The credential family (syscalls/cred.c) and execveat (syscalls/execve.c). */
long sys_execveat();
long sys_getgroups();
long sys_getresgid();
long sys_getresuid();
long sys_setfsgid();
long sys_setfsuid();
long sys_setgid();
long sys_setgroups();
long sys_setregid();
long sys_setresgid();
long sys_setresuid();
long sys_setreuid();
long sys_setuid();
/* The socket family (syscalls/net.c). */
long sys_accept();
long sys_accept4();
long sys_bind();
long sys_connect();
long sys_getpeername();
long sys_getsockname();
long sys_getsockopt();
long sys_listen();
long sys_recvfrom();
long sys_recvmmsg();
long sys_recvmsg();
long sys_sendmmsg();
long sys_sendmsg();
long sys_sendto();
long sys_setsockopt();
long sys_shutdown();
long sys_socket();
long sys_socketpair();

const struct syscall_desc syscall_table[NR_SYSCALLS] = {
	[0] = { (syscall_fn)sys_read, "read", { A_FD, A_PTR, A_SIZE }, 3 },
	[1] = { (syscall_fn)sys_write, "write", { A_FD, A_PTR, A_SIZE }, 3 },
	[2] = { (syscall_fn)sys_open, "open", { A_STR, A_OFLAGS, A_HEX }, 3 },
	[3] = { (syscall_fn)sys_close, "close", { A_FD }, 1 },
	[4] = { (syscall_fn)sys_stat, "stat", { A_STR, A_PTR }, 2 },
	[5] = { (syscall_fn)sys_fstat, "fstat", { A_FD, A_PTR }, 2 },
	[6] = { (syscall_fn)sys_lstat, "lstat", { A_STR, A_PTR }, 2 },
	[7] = { (syscall_fn)sys_poll, "poll", { A_PTR, A_UINT, A_INT }, 3 },
	[8] = { (syscall_fn)sys_lseek, "lseek", { A_FD, A_INT, A_INT }, 3 },
	[9] = { (syscall_fn)sys_mmap, "mmap", { A_HEX, A_SIZE, A_PROT, A_MMAP, A_FD, A_HEX }, 6 },
	[10] = { (syscall_fn)sys_mprotect, "mprotect", { A_HEX, A_SIZE, A_PROT }, 3 },
	[11] = { (syscall_fn)sys_munmap, "munmap", { A_HEX, A_SIZE }, 2 },
	[12] = { (syscall_fn)sys_brk, "brk", { A_HEX }, 1 },
	[13] = { (syscall_fn)sys_rt_sigaction, "rt_sigaction", { A_INT, A_PTR, A_PTR, A_SIZE }, 4 },
	[14] = { (syscall_fn)sys_rt_sigprocmask, "rt_sigprocmask", { A_INT, A_PTR, A_PTR, A_SIZE }, 4 },
	[15] = { (syscall_fn)sys_rt_sigreturn, "rt_sigreturn", { 0 }, 0 },
	[16] = { (syscall_fn)sys_ioctl, "ioctl", { A_FD, A_HEX, A_HEX }, 3 },
	[17] = { (syscall_fn)sys_pread64, "pread64", { A_FD, A_PTR, A_SIZE, A_INT }, 4 },
	[18] = { (syscall_fn)sys_pwrite64, "pwrite64", { A_FD, A_PTR, A_SIZE, A_INT }, 4 },
	[19] = { (syscall_fn)sys_readv, "readv", { A_FD, A_PTR, A_INT }, 3 },
	[20] = { (syscall_fn)sys_writev, "writev", { A_FD, A_PTR, A_INT }, 3 },
	[21] = { (syscall_fn)sys_access, "access", { A_STR, A_HEX }, 2 },
	[22] = { (syscall_fn)sys_pipe, "pipe", { A_PTR }, 1 },
	[23] = { (syscall_fn)sys_select, "select", { A_INT, A_PTR, A_PTR, A_PTR, A_PTR }, 5 },
	[24] = { (syscall_fn)sys_sched_yield, "sched_yield", { 0 }, 0 },
	[25] = { (syscall_fn)sys_mremap, "mremap", { A_HEX, A_SIZE, A_SIZE, A_HEX, A_HEX }, 5 },
	[26] = { (syscall_fn)sys_msync, "msync", { A_HEX, A_SIZE, A_HEX }, 3 },
	[27] = { NULL, "mincore", { 0 }, 0 },
	[28] = { (syscall_fn)sys_madvise, "madvise", { A_HEX, A_SIZE, A_INT }, 3 },
	[29] = { NULL, "shmget", { 0 }, 0 },
	[30] = { NULL, "shmat", { 0 }, 0 },
	[31] = { NULL, "shmctl", { 0 }, 0 },
	[32] = { (syscall_fn)sys_dup, "dup", { A_FD }, 1 },
	[33] = { (syscall_fn)sys_dup2, "dup2", { A_FD, A_FD }, 2 },
	[34] = { NULL, "pause", { 0 }, 0 },
	[35] = { (syscall_fn)sys_nanosleep, "nanosleep", { A_PTR, A_PTR }, 2 },
	[36] = { NULL, "getitimer", { 0 }, 0 },
	[37] = { NULL, "alarm", { 0 }, 0 },
	[38] = { NULL, "setitimer", { 0 }, 0 },
	[39] = { (syscall_fn)sys_getpid, "getpid", { 0 }, 0 },
	[40] = { (syscall_fn)sys_sendfile, "sendfile", { A_FD, A_FD, A_PTR, A_SIZE }, 4 },
	[41] = { (syscall_fn)sys_socket, "socket", { A_INT, A_HEX, A_INT }, 3 },
	[42] = { (syscall_fn)sys_connect, "connect", { A_FD, A_PTR, A_INT }, 3 },
	[43] = { (syscall_fn)sys_accept, "accept", { A_FD, A_PTR, A_PTR }, 3 },
	[44] = { (syscall_fn)sys_sendto, "sendto", { A_FD, A_PTR, A_SIZE, A_HEX, A_PTR, A_INT }, 6 },
	[45] = { (syscall_fn)sys_recvfrom, "recvfrom", { A_FD, A_PTR, A_SIZE, A_HEX, A_PTR, A_PTR }, 6 },
	[46] = { (syscall_fn)sys_sendmsg, "sendmsg", { A_FD, A_PTR, A_HEX }, 3 },
	[47] = { (syscall_fn)sys_recvmsg, "recvmsg", { A_FD, A_PTR, A_HEX }, 3 },
	[48] = { (syscall_fn)sys_shutdown, "shutdown", { A_FD, A_INT }, 2 },
	[49] = { (syscall_fn)sys_bind, "bind", { A_FD, A_PTR, A_INT }, 3 },
	[50] = { (syscall_fn)sys_listen, "listen", { A_FD, A_INT }, 2 },
	[51] = { (syscall_fn)sys_getsockname, "getsockname", { A_FD, A_PTR, A_PTR }, 3 },
	[52] = { (syscall_fn)sys_getpeername, "getpeername", { A_FD, A_PTR, A_PTR }, 3 },
	[53] = { (syscall_fn)sys_socketpair, "socketpair", { A_INT, A_HEX, A_INT, A_PTR }, 4 },
	[54] = { (syscall_fn)sys_setsockopt, "setsockopt", { A_FD, A_INT, A_INT, A_PTR, A_INT }, 5 },
	[55] = { (syscall_fn)sys_getsockopt, "getsockopt", { A_FD, A_INT, A_INT, A_PTR, A_PTR }, 5 },
	[56] = { (syscall_fn)sys_clone, "clone", { A_HEX, A_HEX, A_PTR, A_PTR, A_HEX }, 5 },
	[57] = { (syscall_fn)sys_fork, "fork", { 0 }, 0 },
	[58] = { (syscall_fn)sys_vfork, "vfork", { 0 }, 0 },
	[59] = { (syscall_fn)sys_execve, "execve", { A_STR, A_PTR, A_PTR }, 3 },
	[60] = { (syscall_fn)sys_exit, "exit", { A_INT }, 1 },
	[61] = { NULL, "wait4", { 0 }, 0 },
	[62] = { (syscall_fn)sys_kill, "kill", { A_INT, A_INT }, 2 },
	[63] = { (syscall_fn)sys_uname, "uname", { A_PTR }, 1 },
	[64] = { NULL, "semget", { 0 }, 0 },
	[65] = { NULL, "semop", { 0 }, 0 },
	[66] = { NULL, "semctl", { 0 }, 0 },
	[67] = { NULL, "shmdt", { 0 }, 0 },
	[68] = { NULL, "msgget", { 0 }, 0 },
	[69] = { NULL, "msgsnd", { 0 }, 0 },
	[70] = { NULL, "msgrcv", { 0 }, 0 },
	[71] = { NULL, "msgctl", { 0 }, 0 },
	[72] = { (syscall_fn)sys_fcntl, "fcntl", { A_FD, A_INT, A_HEX }, 3 },
	[73] = { (syscall_fn)sys_flock, "flock", { A_FD, A_HEX }, 2 },
	[74] = { (syscall_fn)sys_fsync, "fsync", { A_FD }, 1 },
	[75] = { (syscall_fn)sys_fdatasync, "fdatasync", { A_FD }, 1 },
	[76] = { (syscall_fn)sys_truncate, "truncate", { A_STR, A_INT }, 2 },
	[77] = { (syscall_fn)sys_ftruncate, "ftruncate", { A_FD, A_INT }, 2 },
	[78] = { NULL, "getdents", { 0 }, 0 },
	[79] = { (syscall_fn)sys_getcwd, "getcwd", { A_PTR, A_SIZE }, 2 },
	[80] = { (syscall_fn)sys_chdir, "chdir", { A_STR }, 1 },
	[81] = { (syscall_fn)sys_fchdir, "fchdir", { A_FD }, 1 },
	[82] = { (syscall_fn)sys_rename, "rename", { A_STR, A_STR }, 2 },
	[83] = { (syscall_fn)sys_mkdir, "mkdir", { A_STR, A_HEX }, 2 },
	[84] = { (syscall_fn)sys_rmdir, "rmdir", { A_STR }, 1 },
	[85] = { (syscall_fn)sys_creat, "creat", { A_STR, A_HEX }, 2 },
	[86] = { (syscall_fn)sys_link, "link", { A_STR, A_STR }, 2 },
	[87] = { (syscall_fn)sys_unlink, "unlink", { A_STR }, 1 },
	[88] = { (syscall_fn)sys_symlink, "symlink", { A_STR, A_STR }, 2 },
	[89] = { (syscall_fn)sys_readlink, "readlink", { A_STR, A_PTR, A_SIZE }, 3 },
	[90] = { (syscall_fn)sys_chmod, "chmod", { A_STR, A_HEX }, 2 },
	[91] = { (syscall_fn)sys_fchmod, "fchmod", { A_FD, A_HEX }, 2 },
	[92] = { (syscall_fn)sys_chown, "chown", { A_STR, A_INT, A_INT }, 3 },
	[93] = { (syscall_fn)sys_fchown, "fchown", { A_FD, A_INT, A_INT }, 3 },
	[94] = { (syscall_fn)sys_lchown, "lchown", { A_STR, A_INT, A_INT }, 3 },
	[95] = { (syscall_fn)sys_umask, "umask", { A_HEX }, 1 },
	[96] = { (syscall_fn)sys_gettimeofday, "gettimeofday", { A_PTR, A_PTR }, 2 },
	[97] = { (syscall_fn)sys_getrlimit, "getrlimit", { A_INT, A_PTR }, 2 },
	[98] = { (syscall_fn)sys_getrusage, "getrusage", { A_INT, A_PTR }, 2 },
	[99] = { (syscall_fn)sys_sysinfo, "sysinfo", { A_PTR }, 1 },
	[100] = { (syscall_fn)sys_times, "times", { A_PTR }, 1 },
	[101] = { NULL, "ptrace", { 0 }, 0 },
	[102] = { (syscall_fn)sys_getuid, "getuid", { 0 }, 0 },
	[103] = { NULL, "syslog", { 0 }, 0 },
	[104] = { (syscall_fn)sys_getgid, "getgid", { 0 }, 0 },
	[105] = { (syscall_fn)sys_setuid, "setuid", { A_INT }, 1 },
	[106] = { (syscall_fn)sys_setgid, "setgid", { A_INT }, 1 },
	[107] = { (syscall_fn)sys_geteuid, "geteuid", { 0 }, 0 },
	[108] = { (syscall_fn)sys_getegid, "getegid", { 0 }, 0 },
	[109] = { NULL, "setpgid", { 0 }, 0 },
	[110] = { (syscall_fn)sys_getppid, "getppid", { 0 }, 0 },
	[111] = { NULL, "getpgrp", { 0 }, 0 },
	[112] = { NULL, "setsid", { 0 }, 0 },
	[113] = { (syscall_fn)sys_setreuid, "setreuid", { A_INT, A_INT }, 2 },
	[114] = { (syscall_fn)sys_setregid, "setregid", { A_INT, A_INT }, 2 },
	[115] = { (syscall_fn)sys_getgroups, "getgroups", { A_INT, A_PTR }, 2 },
	[116] = { (syscall_fn)sys_setgroups, "setgroups", { A_INT, A_PTR }, 2 },
	[117] = { (syscall_fn)sys_setresuid, "setresuid", { A_INT, A_INT, A_INT }, 3 },
	[118] = { (syscall_fn)sys_getresuid, "getresuid", { A_PTR, A_PTR, A_PTR }, 3 },
	[119] = { (syscall_fn)sys_setresgid, "setresgid", { A_INT, A_INT, A_INT }, 3 },
	[120] = { (syscall_fn)sys_getresgid, "getresgid", { A_PTR, A_PTR, A_PTR }, 3 },
	[121] = { NULL, "getpgid", { 0 }, 0 },
	[122] = { (syscall_fn)sys_setfsuid, "setfsuid", { A_INT }, 1 },
	[123] = { (syscall_fn)sys_setfsgid, "setfsgid", { A_INT }, 1 },
	[124] = { NULL, "getsid", { 0 }, 0 },
	[125] = { (syscall_fn)sys_capget, "capget", { A_PTR, A_PTR }, 2 },
	[126] = { NULL, "capset", { 0 }, 0 },
	[127] = { (syscall_fn)sys_rt_sigpending, "rt_sigpending", { A_PTR, A_SIZE }, 2 },
	[128] = { (syscall_fn)sys_rt_sigtimedwait, "rt_sigtimedwait", { A_PTR, A_PTR, A_PTR, A_INT }, 4 },
	[129] = { NULL, "rt_sigqueueinfo", { 0 }, 0 },
	[130] = { NULL, "rt_sigsuspend", { 0 }, 0 },
	[131] = { (syscall_fn)sys_sigaltstack, "sigaltstack", { A_PTR, A_PTR }, 2 },
	[132] = { (syscall_fn)sys_utime, "utime", { A_STR, A_PTR }, 2 },
	[133] = { (syscall_fn)sys_mknod, "mknod", { A_STR, A_HEX, A_HEX }, 3 },
	[134] = { NULL, "uselib", { 0 }, 0 },
	[135] = { NULL, "personality", { 0 }, 0 },
	[136] = { NULL, "ustat", { 0 }, 0 },
	[137] = { (syscall_fn)sys_statfs, "statfs", { A_STR, A_PTR }, 2 },
	[138] = { (syscall_fn)sys_fstatfs, "fstatfs", { A_FD, A_PTR }, 2 },
	[139] = { NULL, "sysfs", { 0 }, 0 },
	[140] = { NULL, "getpriority", { 0 }, 0 },
	[141] = { NULL, "setpriority", { 0 }, 0 },
	[142] = { NULL, "sched_setparam", { 0 }, 0 },
	[143] = { NULL, "sched_getparam", { 0 }, 0 },
	[144] = { NULL, "sched_setscheduler", { 0 }, 0 },
	[145] = { NULL, "sched_getscheduler", { 0 }, 0 },
	[146] = { NULL, "sched_get_priority_max", { 0 }, 0 },
	[147] = { NULL, "sched_get_priority_min", { 0 }, 0 },
	[148] = { NULL, "sched_rr_get_interval", { 0 }, 0 },
	[149] = { NULL, "mlock", { 0 }, 0 },
	[150] = { NULL, "munlock", { 0 }, 0 },
	[151] = { NULL, "mlockall", { 0 }, 0 },
	[152] = { NULL, "munlockall", { 0 }, 0 },
	[153] = { NULL, "vhangup", { 0 }, 0 },
	[154] = { NULL, "modify_ldt", { 0 }, 0 },
	[155] = { NULL, "pivot_root", { 0 }, 0 },
	[156] = { NULL, "_sysctl", { 0 }, 0 },
	[157] = { NULL, "prctl", { 0 }, 0 },
	[158] = { (syscall_fn)sys_arch_prctl, "arch_prctl", { A_HEX, A_HEX }, 2 },
	[159] = { NULL, "adjtimex", { 0 }, 0 },
	[160] = { (syscall_fn)sys_setrlimit, "setrlimit", { A_INT, A_PTR }, 2 },
	[161] = { NULL, "chroot", { 0 }, 0 },
	[162] = { (syscall_fn)sys_sync, "sync", { 0 }, 0 },
	[163] = { NULL, "acct", { 0 }, 0 },
	[164] = { NULL, "settimeofday", { 0 }, 0 },
	[165] = { NULL, "mount", { 0 }, 0 },
	[166] = { NULL, "umount2", { 0 }, 0 },
	[167] = { NULL, "swapon", { 0 }, 0 },
	[168] = { NULL, "swapoff", { 0 }, 0 },
	[169] = { NULL, "reboot", { 0 }, 0 },
	[170] = { NULL, "sethostname", { 0 }, 0 },
	[171] = { NULL, "setdomainname", { 0 }, 0 },
	[172] = { NULL, "iopl", { 0 }, 0 },
	[173] = { NULL, "ioperm", { 0 }, 0 },
	[174] = { NULL, "create_module", { 0 }, 0 },
	[175] = { NULL, "init_module", { 0 }, 0 },
	[176] = { NULL, "delete_module", { 0 }, 0 },
	[177] = { NULL, "get_kernel_syms", { 0 }, 0 },
	[178] = { NULL, "query_module", { 0 }, 0 },
	[179] = { NULL, "quotactl", { 0 }, 0 },
	[180] = { NULL, "nfsservctl", { 0 }, 0 },
	[181] = { NULL, "getpmsg", { 0 }, 0 },
	[182] = { NULL, "putpmsg", { 0 }, 0 },
	[183] = { NULL, "afs_syscall", { 0 }, 0 },
	[184] = { NULL, "tuxcall", { 0 }, 0 },
	[185] = { NULL, "security", { 0 }, 0 },
	[186] = { (syscall_fn)sys_gettid, "gettid", { 0 }, 0 },
	[187] = { NULL, "readahead", { 0 }, 0 },
	[188] = { (syscall_fn)sys_setxattr, "setxattr", { A_STR, A_STR, A_PTR, A_SIZE, A_HEX }, 5 },
	[189] = { (syscall_fn)sys_lsetxattr, "lsetxattr", { A_STR, A_STR, A_PTR, A_SIZE, A_HEX }, 5 },
	[190] = { (syscall_fn)sys_fsetxattr, "fsetxattr", { A_FD, A_STR, A_PTR, A_SIZE, A_HEX }, 5 },
	[191] = { (syscall_fn)sys_getxattr, "getxattr", { A_STR, A_STR, A_PTR, A_SIZE }, 4 },
	[192] = { (syscall_fn)sys_lgetxattr, "lgetxattr", { A_STR, A_STR, A_PTR, A_SIZE }, 4 },
	[193] = { (syscall_fn)sys_fgetxattr, "fgetxattr", { A_FD, A_STR, A_PTR, A_SIZE }, 4 },
	[194] = { (syscall_fn)sys_listxattr, "listxattr", { A_STR, A_PTR, A_SIZE }, 3 },
	[195] = { (syscall_fn)sys_llistxattr, "llistxattr", { A_STR, A_PTR, A_SIZE }, 3 },
	[196] = { (syscall_fn)sys_flistxattr, "flistxattr", { A_FD, A_PTR, A_SIZE }, 3 },
	[197] = { (syscall_fn)sys_removexattr, "removexattr", { A_STR, A_STR }, 2 },
	[198] = { (syscall_fn)sys_lremovexattr, "lremovexattr", { A_STR, A_STR }, 2 },
	[199] = { (syscall_fn)sys_fremovexattr, "fremovexattr", { A_FD, A_STR }, 2 },
	[200] = { (syscall_fn)sys_tkill, "tkill", { A_INT, A_INT }, 2 },
	[201] = { (syscall_fn)sys_time, "time", { A_PTR }, 1 },
	[202] = { (syscall_fn)sys_futex, "futex", { A_PTR, A_INT, A_UINT, A_PTR, A_PTR, A_HEX }, 6 },
	[203] = { NULL, "sched_setaffinity", { 0 }, 0 },
	[204] = { (syscall_fn)sys_sched_getaffinity, "sched_getaffinity", { A_INT, A_SIZE, A_PTR }, 3 },
	[205] = { NULL, "set_thread_area", { 0 }, 0 },
	[206] = { NULL, "io_setup", { 0 }, 0 },
	[207] = { NULL, "io_destroy", { 0 }, 0 },
	[208] = { NULL, "io_getevents", { 0 }, 0 },
	[209] = { NULL, "io_submit", { 0 }, 0 },
	[210] = { NULL, "io_cancel", { 0 }, 0 },
	[211] = { NULL, "get_thread_area", { 0 }, 0 },
	[212] = { NULL, "lookup_dcookie", { 0 }, 0 },
	[213] = { (syscall_fn)sys_epoll_create, "epoll_create", { A_INT }, 1 },
	[214] = { NULL, "epoll_ctl_old", { 0 }, 0 },
	[215] = { NULL, "epoll_wait_old", { 0 }, 0 },
	[216] = { NULL, "remap_file_pages", { 0 }, 0 },
	[217] = { (syscall_fn)sys_getdents64, "getdents64", { A_FD, A_PTR, A_SIZE }, 3 },
	[218] = { (syscall_fn)sys_set_tid_address, "set_tid_address", { A_PTR }, 1 },
	[219] = { NULL, "restart_syscall", { 0 }, 0 },
	[220] = { NULL, "semtimedop", { 0 }, 0 },
	[221] = { (syscall_fn)sys_fadvise64, "fadvise64", { A_FD, A_INT, A_INT, A_INT }, 4 },
	[222] = { NULL, "timer_create", { 0 }, 0 },
	[223] = { NULL, "timer_settime", { 0 }, 0 },
	[224] = { NULL, "timer_gettime", { 0 }, 0 },
	[225] = { NULL, "timer_getoverrun", { 0 }, 0 },
	[226] = { NULL, "timer_delete", { 0 }, 0 },
	[227] = { NULL, "clock_settime", { 0 }, 0 },
	[228] = { (syscall_fn)sys_clock_gettime, "clock_gettime", { A_INT, A_PTR }, 2 },
	[229] = { (syscall_fn)sys_clock_getres, "clock_getres", { A_INT, A_PTR }, 2 },
	[230] = { (syscall_fn)sys_clock_nanosleep, "clock_nanosleep", { A_INT, A_HEX, A_PTR, A_PTR }, 4 },
	[231] = { (syscall_fn)sys_exit_group, "exit_group", { A_INT }, 1 },
	[232] = { (syscall_fn)sys_epoll_wait, "epoll_wait", { A_FD, A_PTR, A_INT, A_INT }, 4 },
	[233] = { (syscall_fn)sys_epoll_ctl, "epoll_ctl", { A_FD, A_INT, A_FD, A_PTR }, 4 },
	[234] = { (syscall_fn)sys_tgkill, "tgkill", { A_INT, A_INT, A_INT }, 3 },
	[235] = { (syscall_fn)sys_utimes, "utimes", { A_STR, A_PTR }, 2 },
	[236] = { NULL, "vserver", { 0 }, 0 },
	[237] = { NULL, "mbind", { 0 }, 0 },
	[238] = { NULL, "set_mempolicy", { 0 }, 0 },
	[239] = { NULL, "get_mempolicy", { 0 }, 0 },
	[240] = { NULL, "mq_open", { 0 }, 0 },
	[241] = { NULL, "mq_unlink", { 0 }, 0 },
	[242] = { NULL, "mq_timedsend", { 0 }, 0 },
	[243] = { NULL, "mq_timedreceive", { 0 }, 0 },
	[244] = { NULL, "mq_notify", { 0 }, 0 },
	[245] = { NULL, "mq_getsetattr", { 0 }, 0 },
	[246] = { NULL, "kexec_load", { 0 }, 0 },
	[247] = { NULL, "waitid", { 0 }, 0 },
	[248] = { NULL, "add_key", { 0 }, 0 },
	[249] = { NULL, "request_key", { 0 }, 0 },
	[250] = { NULL, "keyctl", { 0 }, 0 },
	[251] = { NULL, "ioprio_set", { 0 }, 0 },
	[252] = { NULL, "ioprio_get", { 0 }, 0 },
	[253] = { (syscall_fn)sys_inotify_init, "inotify_init", { 0 }, 0 },
	[254] = { (syscall_fn)sys_inotify_add_watch, "inotify_add_watch", { A_FD, A_STR, A_HEX }, 3 },
	[255] = { (syscall_fn)sys_inotify_rm_watch, "inotify_rm_watch", { A_FD, A_INT }, 2 },
	[256] = { NULL, "migrate_pages", { 0 }, 0 },
	[257] = { (syscall_fn)sys_openat, "openat", { A_FD, A_STR, A_OFLAGS, A_HEX }, 4 },
	[258] = { (syscall_fn)sys_mkdirat, "mkdirat", { A_FD, A_STR, A_HEX }, 3 },
	[259] = { (syscall_fn)sys_mknodat, "mknodat", { A_FD, A_STR, A_HEX, A_HEX }, 4 },
	[260] = { (syscall_fn)sys_fchownat, "fchownat", { A_FD, A_STR, A_INT, A_INT, A_HEX }, 5 },
	[261] = { (syscall_fn)sys_futimesat, "futimesat", { A_FD, A_STR, A_PTR }, 3 },
	[262] = { (syscall_fn)sys_newfstatat, "newfstatat", { A_FD, A_STR, A_PTR, A_HEX }, 4 },
	[263] = { (syscall_fn)sys_unlinkat, "unlinkat", { A_FD, A_STR, A_HEX }, 3 },
	[264] = { (syscall_fn)sys_renameat, "renameat", { A_FD, A_STR, A_FD, A_STR }, 4 },
	[265] = { (syscall_fn)sys_linkat, "linkat", { A_FD, A_STR, A_FD, A_STR, A_HEX }, 5 },
	[266] = { (syscall_fn)sys_symlinkat, "symlinkat", { A_STR, A_FD, A_STR }, 3 },
	[267] = { (syscall_fn)sys_readlinkat, "readlinkat", { A_FD, A_STR, A_PTR, A_SIZE }, 4 },
	[268] = { (syscall_fn)sys_fchmodat, "fchmodat", { A_FD, A_STR, A_HEX }, 3 },
	[269] = { (syscall_fn)sys_faccessat, "faccessat", { A_FD, A_STR, A_HEX }, 3 },
	[270] = { (syscall_fn)sys_pselect6, "pselect6", { A_INT, A_PTR, A_PTR, A_PTR, A_PTR, A_PTR }, 6 },
	[271] = { (syscall_fn)sys_ppoll, "ppoll", { A_PTR, A_UINT, A_PTR, A_PTR, A_SIZE }, 5 },
	[272] = { NULL, "unshare", { 0 }, 0 },
	[273] = { (syscall_fn)sys_set_robust_list, "set_robust_list", { A_PTR, A_SIZE }, 2 },
	[274] = { NULL, "get_robust_list", { 0 }, 0 },
	[275] = { NULL, "splice", { 0 }, 0 },
	[276] = { NULL, "tee", { 0 }, 0 },
	[277] = { (syscall_fn)sys_sync_file_range, "sync_file_range", { A_FD, A_INT, A_INT, A_HEX }, 4 },
	[278] = { NULL, "vmsplice", { 0 }, 0 },
	[279] = { NULL, "move_pages", { 0 }, 0 },
	[280] = { (syscall_fn)sys_utimensat, "utimensat", { A_FD, A_STR, A_PTR, A_HEX }, 4 },
	[281] = { (syscall_fn)sys_epoll_pwait, "epoll_pwait", { A_FD, A_PTR, A_INT, A_INT, A_PTR, A_SIZE }, 6 },
	[282] = { NULL, "signalfd", { 0 }, 0 },
	[283] = { NULL, "timerfd_create", { 0 }, 0 },
	[284] = { (syscall_fn)sys_eventfd, "eventfd", { A_UINT }, 1 },
	[285] = { (syscall_fn)sys_fallocate, "fallocate", { A_FD, A_HEX, A_INT, A_INT }, 4 },
	[286] = { NULL, "timerfd_settime", { 0 }, 0 },
	[287] = { NULL, "timerfd_gettime", { 0 }, 0 },
	[288] = { (syscall_fn)sys_accept4, "accept4", { A_FD, A_PTR, A_PTR, A_HEX }, 4 },
	[289] = { NULL, "signalfd4", { 0 }, 0 },
	[290] = { (syscall_fn)sys_eventfd2, "eventfd2", { A_UINT, A_HEX }, 2 },
	[291] = { (syscall_fn)sys_epoll_create1, "epoll_create1", { A_HEX }, 1 },
	[292] = { (syscall_fn)sys_dup3, "dup3", { A_FD, A_FD, A_HEX }, 3 },
	[293] = { (syscall_fn)sys_pipe2, "pipe2", { A_PTR, A_HEX }, 2 },
	[294] = { (syscall_fn)sys_inotify_init1, "inotify_init1", { A_HEX }, 1 },
	[295] = { (syscall_fn)sys_preadv, "preadv", { A_FD, A_PTR, A_INT, A_INT }, 4 },
	[296] = { (syscall_fn)sys_pwritev, "pwritev", { A_FD, A_PTR, A_INT, A_INT }, 4 },
	[297] = { NULL, "rt_tgsigqueueinfo", { 0 }, 0 },
	[298] = { NULL, "perf_event_open", { 0 }, 0 },
	[299] = { (syscall_fn)sys_recvmmsg, "recvmmsg", { A_FD, A_PTR, A_UINT, A_HEX, A_PTR }, 5 },
	[300] = { NULL, "fanotify_init", { 0 }, 0 },
	[301] = { NULL, "fanotify_mark", { 0 }, 0 },
	[302] = { (syscall_fn)sys_prlimit64, "prlimit64", { A_INT, A_INT, A_PTR, A_PTR }, 4 },
	[303] = { NULL, "name_to_handle_at", { 0 }, 0 },
	[304] = { NULL, "open_by_handle_at", { 0 }, 0 },
	[305] = { NULL, "clock_adjtime", { 0 }, 0 },
	[306] = { (syscall_fn)sys_syncfs, "syncfs", { A_FD }, 1 },
	[307] = { (syscall_fn)sys_sendmmsg, "sendmmsg", { A_FD, A_PTR, A_UINT, A_HEX }, 4 },
	[308] = { NULL, "setns", { 0 }, 0 },
	[309] = { (syscall_fn)sys_getcpu, "getcpu", { A_PTR, A_PTR, A_PTR }, 3 },
	[310] = { NULL, "process_vm_readv", { 0 }, 0 },
	[311] = { NULL, "process_vm_writev", { 0 }, 0 },
	[312] = { NULL, "kcmp", { 0 }, 0 },
	[313] = { NULL, "finit_module", { 0 }, 0 },
	[314] = { NULL, "sched_setattr", { 0 }, 0 },
	[315] = { NULL, "sched_getattr", { 0 }, 0 },
	[316] = { (syscall_fn)sys_renameat2, "renameat2", { A_FD, A_STR, A_FD, A_STR, A_HEX }, 5 },
	[317] = { NULL, "seccomp", { 0 }, 0 },
	[318] = { (syscall_fn)sys_getrandom, "getrandom", { A_PTR, A_SIZE, A_HEX }, 3 },
	[319] = { NULL, "memfd_create", { 0 }, 0 },
	[320] = { NULL, "kexec_file_load", { 0 }, 0 },
	[321] = { NULL, "bpf", { 0 }, 0 },
	[322] = { (syscall_fn)sys_execveat, "execveat", { A_FD, A_STR, A_PTR, A_PTR, A_HEX }, 5 },
	[323] = { NULL, "userfaultfd", { 0 }, 0 },
	[324] = { NULL, "membarrier", { 0 }, 0 },
	[325] = { NULL, "mlock2", { 0 }, 0 },
	[326] = { NULL, "copy_file_range", { 0 }, 0 },
	[327] = { (syscall_fn)sys_preadv2, "preadv2", { A_FD, A_PTR, A_INT, A_INT, A_INT, A_HEX }, 6 },
	[328] = { (syscall_fn)sys_pwritev2, "pwritev2", { A_FD, A_PTR, A_INT, A_INT, A_INT, A_HEX }, 6 },
	[329] = { NULL, "pkey_mprotect", { 0 }, 0 },
	[330] = { (syscall_fn)sys_pkey_alloc, "pkey_alloc", { A_HEX, A_HEX }, 2 },
	[331] = { NULL, "pkey_free", { 0 }, 0 },
	[332] = { (syscall_fn)sys_statx, "statx", { A_FD, A_STR, A_HEX, A_HEX, A_PTR }, 5 },
	[333] = { NULL, "io_pgetevents", { 0 }, 0 },
	[334] = { (syscall_fn)sys_rseq, "rseq", { A_PTR, A_UINT, A_HEX, A_HEX }, 4 },
	[424] = { NULL, "pidfd_send_signal", { 0 }, 0 },
	[425] = { (syscall_fn)sys_io_uring_setup, "io_uring_setup", { A_UINT, A_PTR }, 2 },
	[426] = { NULL, "io_uring_enter", { 0 }, 0 },
	[427] = { NULL, "io_uring_register", { 0 }, 0 },
	[428] = { NULL, "open_tree", { 0 }, 0 },
	[429] = { NULL, "move_mount", { 0 }, 0 },
	[430] = { NULL, "fsopen", { 0 }, 0 },
	[431] = { NULL, "fsconfig", { 0 }, 0 },
	[432] = { NULL, "fsmount", { 0 }, 0 },
	[433] = { NULL, "fspick", { 0 }, 0 },
	[434] = { NULL, "pidfd_open", { 0 }, 0 },
	[435] = { (syscall_fn)sys_clone3, "clone3", { A_PTR, A_SIZE }, 2 },
	[436] = { NULL, "close_range", { 0 }, 0 },
	[437] = { NULL, "openat2", { 0 }, 0 },
	[438] = { NULL, "pidfd_getfd", { 0 }, 0 },
	[439] = { (syscall_fn)sys_faccessat2, "faccessat2", { A_FD, A_STR, A_HEX, A_HEX }, 4 },
	[440] = { NULL, "process_madvise", { 0 }, 0 },
	[441] = { NULL, "epoll_pwait2", { 0 }, 0 },
	[442] = { NULL, "mount_setattr", { 0 }, 0 },
	[443] = { NULL, "quotactl_fd", { 0 }, 0 },
	[444] = { NULL, "landlock_create_ruleset", { 0 }, 0 },
	[445] = { NULL, "landlock_add_rule", { 0 }, 0 },
	[446] = { NULL, "landlock_restrict_self", { 0 }, 0 },
	[447] = { NULL, "memfd_secret", { 0 }, 0 },
	[448] = { NULL, "process_mrelease", { 0 }, 0 },
	[449] = { NULL, "futex_waitv", { 0 }, 0 },
	[450] = { NULL, "set_mempolicy_home_node", { 0 }, 0 },
};
