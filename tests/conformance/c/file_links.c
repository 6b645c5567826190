/* Links, owners, device nodes, the sync family, the old time calls, O_TMPFILE
 * and O_DIRECT's answer, in the directory argv[1] (/tmp in the image).
 * Prints results and errno names only: nothing that differs between
 * filesystems (inode numbers, block counts, directory sizes). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static const char *dir;
static char buf[8][4096];

static const char *P(int slot, const char *name)
{
	snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
	return buf[slot];
}

/* "0" or the errno's name. */
static const char *res(long r)
{
	if (r >= 0)
		return "0";
	switch (errno) {
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EXDEV: return "EXDEV";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EBADF: return "EBADF";
	case ESPIPE: return "ESPIPE";
	case ENXIO: return "ENXIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EACCES: return "EACCES";
	case ELOOP: return "ELOOP";
	default: return strerror(errno);
	}
}

static long nlink(const char *path)
{
	struct stat st;
	return lstat(path, &st) ? -1 : (long)st.st_nlink;
}

static void links(void)
{
	int fd = open(P(0, "a"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "data", 4);
	printf("link a b: %s\n", res(link(P(0, "a"), P(1, "b"))));
	printf("nlink a=%ld b=%ld\n", nlink(P(0, "a")), nlink(P(1, "b")));
	struct stat s1, s2;
	stat(P(0, "a"), &s1);
	stat(P(1, "b"), &s2);
	printf("same inode: %d\n", s1.st_ino == s2.st_ino);
	printf("link onto existing: %s\n", res(link(P(0, "a"), P(1, "b"))));
	printf("link missing: %s\n", res(link(P(0, "missing"), P(1, "c"))));
	printf("link into missing dir: %s\n", res(link(P(0, "a"), P(1, "nodir/c"))));
	printf("link trailing slash new: %s\n", res(link(P(0, "a"), P(1, "c/"))));
	printf("link trailing slash existing: %s\n", res(link(P(0, "a"), P(1, "b/"))));
	printf("link old trailing slash: %s\n", res(link(P(0, "a/"), P(1, "c"))));
	mkdir(P(0, "d"), 0755);
	printf("link a directory: %s\n", res(link(P(0, "d"), P(1, "d2"))));
	printf("link over dot: %s\n", res(link(P(0, "a"), P(1, "d/."))));
	printf("linkat bad flags: %s\n", res(linkat(AT_FDCWD, P(0, "a"), AT_FDCWD, P(1, "c"), 0x8000)));
	printf("link to another mount: %s\n", res(link(P(0, "a"), "/dev/shm/uninode-conf-x")));
	printf("unlink a: %s nlink b=%ld\n", res(unlink(P(0, "a"))), nlink(P(1, "b")));
	struct stat st;
	fstat(fd, &st);
	printf("fstat nlink=%ld\n", (long)st.st_nlink);
	/* the file lost a name, not its last (held open here, it stays one object) */
	printf("rename the other name: %s", res(rename(P(0, "b"), P(1, "b2"))));
	printf(" back: %s\n", res(rename(P(0, "b2"), P(1, "b"))));
	link(P(0, "b"), P(1, "r"));
	close(open(P(0, "s"), O_CREAT | O_WRONLY, 0644));
	printf("rename over one of two names: %s", res(rename(P(0, "s"), P(1, "r"))));
	printf(" nlink b=%ld\n", nlink(P(0, "b")));
	unlink(P(0, "r"));
	/* symlinks: linked themselves, or followed with AT_SYMLINK_FOLLOW */
	symlink("b", P(0, "sl"));
	printf("linkat symlink: %s nlink=%ld\n", res(linkat(AT_FDCWD, P(0, "sl"), AT_FDCWD, P(1, "sl2"), 0)), nlink(P(0, "sl")));
	printf("linkat follow: %s nlink b=%ld\n", res(linkat(AT_FDCWD, P(0, "sl"), AT_FDCWD, P(1, "e"), AT_SYMLINK_FOLLOW)), nlink(P(1, "b")));
	symlink("nowhere", P(0, "dangling"));
	printf("linkat follow dangling: %s\n", res(linkat(AT_FDCWD, P(0, "dangling"), AT_FDCWD, P(1, "f"), AT_SYMLINK_FOLLOW)));
	/* AT_EMPTY_PATH: the fd's file */
	printf("linkat empty path without flag: %s\n", res(linkat(fd, "", AT_FDCWD, P(1, "g"), 0)));
	printf("linkat empty path: %s nlink b=%ld\n", res(linkat(fd, "", AT_FDCWD, P(1, "g"), AT_EMPTY_PATH)), nlink(P(1, "b")));
	/* relative to a directory fd */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("linkat dirfd: %s nlink b=%ld\n", res(linkat(dfd, "b", dfd, "d/h", 0)), nlink(P(1, "b")));
	close(dfd);
	unlink(P(0, "b")); unlink(P(0, "e")); unlink(P(0, "g")); unlink(P(0, "d/h"));
	fstat(fd, &st);
	printf("all names gone: nlink=%ld relink: %s\n", (long)st.st_nlink, res(linkat(fd, "", AT_FDCWD, P(1, "i"), AT_EMPTY_PATH)));
	close(fd);
	rmdir(P(0, "d")); unlink(P(0, "sl")); unlink(P(0, "sl2")); unlink(P(0, "dangling"));
}

static void owners(void)
{
	const char *f = P(0, "own");
	close(open(f, O_CREAT | O_WRONLY, 0644));
	struct stat st;
	for (int i = 0; i < 4; i++) {
		static const int modes[] = { 06755, 06745, 04700, 02711 };
		chmod(f, modes[i]);
		int r = chown(f, -1, -1);
		stat(f, &st);
		printf("chown -1 -1 on %o: %s -> %o\n", modes[i], res(r), st.st_mode & 07777);
		chmod(f, modes[i]);
		r = chown(f, 1234, 5678);
		stat(f, &st);
		printf("chown 1234 5678 on %o: %s -> %o uid=%u gid=%u\n", modes[i], res(r), st.st_mode & 07777, st.st_uid, st.st_gid);
	}
	int fd = open(f, O_RDONLY);
	stat(f, &st);
	time_t before = st.st_ctime;
	printf("fchown: %s\n", res(fchown(fd, 42, -1)));
	fstat(fd, &st);
	printf("after fchown uid=%u gid=%u ctime moved back: %d\n", st.st_uid, st.st_gid, st.st_ctime < before);
	close(fd);
	mkdir(P(1, "sgid"), 02755);
	chmod(P(1, "sgid"), 06755);
	printf("chown dir: %s", res(chown(P(1, "sgid"), 7, 7)));
	stat(P(1, "sgid"), &st);
	printf(" -> %o\n", st.st_mode & 07777);
	symlink("own", P(2, "ownlink"));
	printf("lchown: %s", res(lchown(P(2, "ownlink"), 99, 98)));
	lstat(P(2, "ownlink"), &st);
	printf(" link uid=%u gid=%u", st.st_uid, st.st_gid);
	stat(P(2, "ownlink"), &st);
	printf(" target uid=%u\n", st.st_uid);
	printf("fchownat nofollow: %s\n", res(fchownat(AT_FDCWD, P(2, "ownlink"), 5, 5, AT_SYMLINK_NOFOLLOW)));
	printf("fchownat bad flags: %s\n", res(fchownat(AT_FDCWD, f, 5, 5, 0x8000)));
	printf("chown missing: %s\n", res(chown(P(3, "missing"), 0, 0)));
	fd = open(f, O_PATH);
	printf("fchown O_PATH: %s\n", res(fchown(fd, 1, 1)));
	printf("fchownat empty path: %s", res(fchownat(fd, "", 11, 12, AT_EMPTY_PATH)));
	stat(f, &st);
	printf(" uid=%u gid=%u\n", st.st_uid, st.st_gid);
	close(fd);
	printf("fchown bad fd: %s\n", res(fchown(999, 1, 1)));
	unlink(f); unlink(P(2, "ownlink")); rmdir(P(1, "sgid"));
}

static void nodes(void)
{
	struct stat st;
	umask(022);
	printf("mknod fifo: %s", res(mknod(P(0, "fifo"), S_IFIFO | 0666, 0)));
	lstat(P(0, "fifo"), &st);
	printf(" mode=%o\n", st.st_mode);
	printf("mkfifo again: %s\n", res(mkfifo(P(0, "fifo"), 0600)));
	printf("mknod socket: %s", res(mknod(P(0, "sock"), S_IFSOCK | 0600, 0)));
	lstat(P(0, "sock"), &st);
	printf(" mode=%o\n", st.st_mode);
	printf("open socket file: %s\n", res(open(P(0, "sock"), O_RDONLY)));
	printf("mknod regular: %s", res(mknod(P(0, "reg"), S_IFREG | 0640, 0)));
	lstat(P(0, "reg"), &st);
	printf(" mode=%o size=%ld\n", st.st_mode, (long)st.st_size);
	printf("mknod type 0: %s", res(mknod(P(0, "reg0"), 0600, 0)));
	lstat(P(0, "reg0"), &st);
	printf(" mode=%o\n", st.st_mode);
	printf("mknod chr: %s", res(mknod(P(0, "chr"), S_IFCHR | 0600, makedev(240, 17))));
	lstat(P(0, "chr"), &st);
	printf(" mode=%o major=%u minor=%u\n", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	printf("open chr without a driver: %s\n", res(open(P(0, "chr"), O_RDONLY)));
	printf("mknod blk: %s", res(mknod(P(0, "blk"), S_IFBLK | 0600, makedev(240, 300))));
	lstat(P(0, "blk"), &st);
	printf(" mode=%o major=%u minor=%u\n", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	printf("mknod dir: %s\n", res(mknod(P(0, "dir"), S_IFDIR | 0755, 0)));
	printf("mknod bad type: %s\n", res(mknod(P(0, "bad"), 0170000 | 0755, 0)));
	printf("mknod existing: %s\n", res(mknod(P(0, "reg"), S_IFIFO | 0600, 0)));
	printf("mknod missing dir: %s\n", res(mknod(P(0, "no/x"), S_IFIFO | 0600, 0)));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("mknodat: %s\n", res(mknodat(dfd, "fifo2", S_IFIFO | 0600, 0)));
	close(dfd);
	const char *names[] = { "fifo", "fifo2", "sock", "reg", "reg0", "chr", "blk" };
	for (int i = 0; i < 7; i++)
		unlink(P(0, names[i]));
}

static void syncs(void)
{
	int fd = open(P(0, "s"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "x", 1);
	sync();
	printf("fsync: %s fdatasync: %s syncfs: %s\n", res(fsync(fd)), res(fdatasync(fd)), res(syncfs(fd)));
	printf("sync_file_range: %s\n", res(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)));
	printf("sync_file_range bad flags: %s\n", res(sync_file_range(fd, 0, 0, 8)));
	printf("sync_file_range negative offset: %s\n", res(sync_file_range(fd, -1, 10, SYNC_FILE_RANGE_WRITE)));
	printf("sync_file_range negative length: %s\n", res(sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE)));
	printf("sync_file_range bad fd: %s\n", res(sync_file_range(999, 0, 0, 8)));
	int p[2];
	pipe(p);
	printf("pipe: sync_file_range %s fsync %s syncfs %s\n", res(sync_file_range(p[0], 0, 0, 0)), res(fsync(p[1])), res(syncfs(p[0])));
	close(p[0]); close(p[1]);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("fsync dir: %s fdatasync dir: %s\n", res(fsync(dfd)), res(fdatasync(dfd)));
	close(dfd);
	int pfd = open(P(1, "s"), O_PATH);
	printf("O_PATH: fsync %s syncfs %s\n", res(fsync(pfd)), res(syncfs(pfd)));
	close(pfd);
	printf("fsync bad fd: %s\n", res(fsync(999)));
	close(fd);
	/* O_SYNC / O_DSYNC writes */
	fd = open(P(0, "s"), O_WRONLY | O_SYNC);
	printf("O_SYNC write: %zd", write(fd, "hello", 5));
	printf(" flags have O_SYNC: %d\n", (fcntl(fd, F_GETFL) & O_SYNC) == O_SYNC);
	close(fd);
	fd = open(P(0, "s"), O_WRONLY | O_DSYNC | O_APPEND);
	printf("O_DSYNC write: %zd", write(fd, "!", 1));
	printf(" flags have O_DSYNC: %d\n", (fcntl(fd, F_GETFL) & O_DSYNC) == O_DSYNC);
	close(fd);
	struct stat st;
	stat(P(0, "s"), &st);
	printf("size %ld\n", (long)st.st_size);
	/* preadv2/pwritev2 and their per-call flags */
	fd = open(P(0, "s"), O_RDWR);
	char b1[4] = "ABCD", b2[8];
	struct iovec iov = { b1, 4 };
	printf("pwritev2 at 1: %zd\n", pwritev2(fd, &iov, 1, 1, 0));
	ssize_t put = pwritev2(fd, &iov, 1, -1, RWF_DSYNC);
	printf("pwritev2 at -1 (position): %zd pos=%ld\n", put, (long)lseek(fd, 0, SEEK_CUR));
	printf("pwritev2 RWF_SYNC: %zd\n", pwritev2(fd, &iov, 1, 10, RWF_SYNC));
	printf("pwritev2 unknown flag: %s\n", res(pwritev2(fd, &iov, 1, 0, 0x40000000)));
	printf("pwritev2 at -2: %s\n", res(pwritev2(fd, &iov, 1, -2, 0)));
	printf("pwritev2 bad fd: %s\n", res(pwritev2(999, &iov, 1, 0, 0x40000000)));
	struct iovec riov = { b2, 8 };
	memset(b2, 0, sizeof b2);
	ssize_t got = preadv2(fd, &riov, 1, 0, RWF_HIPRI);
	printf("preadv2 HIPRI: %zd %.8s\n", got, b2);
	lseek(fd, 2, SEEK_SET);
	got = preadv2(fd, &riov, 1, -1, 0);
	printf("preadv2 at -1: %zd %.8s pos=%ld\n", got, b2, (long)lseek(fd, 0, SEEK_CUR));
	int pp[2];
	pipe(pp);
	printf("pwritev2 pipe at 0: %s\n", res(pwritev2(pp[1], &iov, 1, 0, 0)));
	printf("pwritev2 pipe at -1: %s\n", res(pwritev2(pp[1], &iov, 1, -1, 0)));
	close(pp[0]); close(pp[1]);
	close(fd);
	stat(P(0, "s"), &st);
	printf("size %ld\n", (long)st.st_size);
	unlink(P(0, "s"));
}

static void times(void)
{
	const char *f = P(0, "t");
	close(open(f, O_CREAT | O_WRONLY, 0644));
	struct stat st;
	struct utimbuf ub = { 1000000000, 1100000000 };
	printf("utime: %s", res(utime(f, &ub)));
	stat(f, &st);
	printf(" atime=%ld.%09ld mtime=%ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timeval tv[2] = { { 1200000000, 123456 }, { 1300000000, 654321 } };
	printf("utimes: %s", res(utimes(f, tv)));
	stat(f, &st);
	printf(" atime=%ld.%09ld mtime=%ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	tv[1].tv_usec = 1000000;
	printf("utimes bad usec: %s\n", res(utimes(f, tv)));
	tv[1].tv_usec = -1;
	printf("utimes negative usec: %s\n", res(utimes(f, tv)));
	tv[1].tv_usec = 5;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("futimesat: %s", res(futimesat(dfd, "t", tv)));
	stat(f, &st);
	printf(" mtime=%ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	close(dfd);
	time_t now = time(NULL);
	printf("utime NULL: %s", res(utime(f, NULL)));
	stat(f, &st);
	printf(" now: %d\n", st.st_mtime >= now - 5 && st.st_mtime <= now + 5);
	printf("utimes NULL: %s\n", res(utimes(f, NULL)));
	printf("utime missing: %s\n", res(utime(P(1, "missing"), &ub)));
	int tfd = open(f, O_RDONLY);
	printf("utimensat fd NULL path, flags: %s\n", res(syscall(SYS_utimensat, tfd, NULL, NULL, AT_SYMLINK_NOFOLLOW)));
	printf("utimensat fd NULL path: %s\n", res(syscall(SYS_utimensat, tfd, NULL, NULL, 0)));
	close(tfd);
	unlink(f);
}

static void tmpfiles(void)
{
	printf("O_TMPFILE read-only: %s\n", res(open(dir, O_TMPFILE | O_RDONLY, 0600)));
	printf("O_TMPFILE with O_CREAT: %s\n", res(open(dir, O_TMPFILE | O_CREAT | O_RDWR, 0600)));
	close(open(P(0, "plain"), O_CREAT | O_WRONLY, 0600));
	printf("O_TMPFILE on a file: %s\n", res(open(P(0, "plain"), O_TMPFILE | O_RDWR, 0600)));
	printf("O_TMPFILE missing: %s\n", res(open(P(1, "missing"), O_TMPFILE | O_RDWR, 0600)));
	printf("O_TMPFILE in /proc: %s\n", res(open("/proc", O_TMPFILE | O_RDWR, 0600)));
	int fd = open(dir, O_TMPFILE | O_RDWR, 0640);
	printf("O_TMPFILE: %s\n", res(fd));
	struct stat st;
	fstat(fd, &st);
	printf("nlink=%ld mode=%o F_GETFL=%o\n", (long)st.st_nlink, st.st_mode, fcntl(fd, F_GETFL));
	write(fd, "temporary", 9);
	printf("link it: %s", res(linkat(fd, "", AT_FDCWD, P(0, "named"), AT_EMPTY_PATH)));
	fstat(fd, &st);
	printf(" nlink=%ld size=%ld\n", (long)st.st_nlink, (long)st.st_size);
	close(fd);
	char text[32] = "";
	fd = open(P(0, "named"), O_RDONLY);
	read(fd, text, sizeof text - 1);
	close(fd);
	printf("named reads: %s\n", text);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	printf("O_TMPFILE|O_EXCL: %s link: %s\n", res(fd), res(linkat(fd, "", AT_FDCWD, P(0, "never"), AT_EMPTY_PATH)));
	char magic[64];
	snprintf(magic, sizeof magic, "/proc/self/fd/%d", fd);
	printf("O_TMPFILE|O_EXCL through /proc: %s\n", res(linkat(AT_FDCWD, magic, AT_FDCWD, P(0, "never"), AT_SYMLINK_FOLLOW)));
	close(fd);
	/* the way linkat(2) suggests: through /proc/self/fd with AT_SYMLINK_FOLLOW */
	fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	write(fd, "via proc", 8);
	snprintf(magic, sizeof magic, "/proc/self/fd/%d", fd);
	printf("linkat /proc/self/fd follow: %s\n", res(linkat(AT_FDCWD, magic, AT_FDCWD, P(0, "viaproc"), AT_SYMLINK_FOLLOW)));
	struct stat st2;
	fstat(fd, &st2);
	printf("nlink=%ld\n", (long)st2.st_nlink);
	close(fd);
	memset(text, 0, sizeof text);
	fd = open(P(0, "viaproc"), O_RDONLY);
	read(fd, text, sizeof text - 1);
	close(fd);
	printf("viaproc reads: %s\n", text);
	/* an unlinked file reopened through /proc/self/fd */
	fd = open(P(0, "gone"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	write(fd, "still here", 10);
	unlink(P(0, "gone"));
	snprintf(magic, sizeof magic, "/proc/self/fd/%d", fd);
	int fd2 = open(magic, O_RDONLY);
	memset(text, 0, sizeof text);
	printf("reopen unlinked: %s", res(fd2));
	read(fd2, text, sizeof text - 1);
	printf(" reads: %s\n", text);
	close(fd2);
	close(fd);
	unlink(P(0, "viaproc"));
	unlink(P(0, "named")); unlink(P(0, "plain"));
}

static void direct(void)
{
	const char *f = P(0, "direct");
	int fd = open(f, O_CREAT | O_RDWR | O_DIRECT, 0644);
	printf("O_DIRECT open: %s\n", res(fd));
	void *page = aligned_alloc(4096, 4096);
	memset(page, 'd', 4096);
	printf("aligned write: %zd\n", pwrite(fd, page, 4096, 0));
	memset(page, 0, 4096);
	ssize_t got = pread(fd, page, 4096, 0);
	printf("aligned read: %zd first=%c\n", got, ((char *)page)[0]);
	printf("F_GETFL has O_DIRECT: %d\n", (fcntl(fd, F_GETFL) & O_DIRECT) != 0);
	close(fd);
	printf("O_DIRECT on a directory: %s\n", res(open(dir, O_RDONLY | O_DIRECT)));
	printf("O_DIRECT in /proc: %s\n", res(open("/proc/self/status", O_RDONLY | O_DIRECT)));
	fd = open(f, O_RDWR);
	printf("F_SETFL O_DIRECT on a file: %s\n", res(fcntl(fd, F_SETFL, O_DIRECT)));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("F_SETFL O_DIRECT on a directory: %s\n", res(fcntl(dfd, F_SETFL, O_DIRECT)));
	close(dfd);
	close(fd);
	free(page);
	unlink(f);
}

static void statfs_of(const char *what, int fd)
{
	struct statfs sf;
	int r = fstatfs(fd, &sf);
	printf("fstatfs %s: %s type=%lx bsize=%ld namelen=%ld flags=%lx blocks=%lu\n", what, res(r), (long)sf.f_type,
	       (long)sf.f_bsize, (long)sf.f_namelen, (long)sf.f_flags, (unsigned long)sf.f_blocks);
	close(fd);
}

static void statfss(void)
{
	int p[2];
	pipe(p);
	close(p[1]);
	statfs_of("pipe", p[0]);
	statfs_of("socket", socket(AF_UNIX, SOCK_STREAM, 0));
	statfs_of("eventfd", eventfd(0, 0));
	statfs_of("epoll", epoll_create1(0));
	struct statfs a, b;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int r1 = statfs(dir, &a), r2 = fstatfs(fd, &b);
	close(fd);
	printf("statfs = fstatfs: %s %s %d\n", res(r1), res(r2), !memcmp(&a, &b, sizeof a) || (a.f_type == b.f_type && a.f_blocks == b.f_blocks));
	printf("writable dir: rdonly=%d valid=%d\n", (int)(a.f_flags & ST_RDONLY), (int)((a.f_flags & 0x20) != 0));
	r1 = statfs("/proc", &a);
	printf("statfs /proc: %s type=%lx rdonly=%d\n", res(r1), (long)a.f_type, (int)(a.f_flags & ST_RDONLY));
	printf("statfs missing: %s\n", res(statfs("/nonexistent-dir/x", &a)));
	printf("fstatfs bad fd: %s\n", res(fstatfs(999, &a)));
}

int main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "/tmp";
	setvbuf(stdout, NULL, _IONBF, 0);
	links();
	owners();
	nodes();
	syncs();
	times();
	tmpfiles();
	direct();
	statfss();
	return 0;
}
