/* The jbd2 journal (rump/fs/jbd.c) on real volumes made by mke2fs: our
 * commits replayed by e2fsck and by us alike, debugfs's transactions replayed
 * by us, escaped blocks, revokes, a journal that fills and wraps, refused
 * features, a corrupt log, and the disk rebuilt at every flush of a recorded
 * workload (and between flushes, writes dropped and reordered) replaying to
 * exactly a committed state, e2fsck -fn clean.
 *
 * The fs's own part is played by the test: it sets needs_recovery at "mount"
 * and clears it at "unmount", as ext4 does, and its metadata changes are
 * patterns in free blocks (which e2fsck leaves alone) plus the superblock's
 * volume name, a tag per transaction. */
#include <stdarg.h>
#include <string.h>
#include "test.h"
#include "rump/fs/jbd.h"

int t_failed_checks;
static int passed, failed;
static const char *W;                   /* the work directory */
static struct blk_dev *g_dev;           /* the one disk; its file swapped per volume */
static uint32_t *g_jb, g_jn;            /* the journal inode's blocks (same for every volume) */
static uint32_t g_free[1400];            /* free blocks of a fresh volume */
static const char *MKFS = "mke2fs -q -F -t ext4 -b 4096 -I 256 -O none,has_journal,filetype,sparse_super,large_file "
			  "-E lazy_itable_init=0,lazy_journal_init=0";
#define VOL_BYTES (16u << 20)
#define BS 4096u
#define SB_LABEL (1024 + 120)
#define SB_INCOMPAT (1024 + 0x60)

void run_test(const char *name, void (*fn)(void))
{
	int before = t_failed_checks;
	fn();
	if (t_failed_checks == before) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s\n", name);
	}
	fflush(stdout);
}

/* W/NAME, valid until the program ends (kept reachable for the leak check). */
static const char *wp(const char *name)
{
	static char *made[8192];
	static unsigned n;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(made[i] + strlen(W) + 1, name))
			return made[i];
	size_t len = strlen(W) + strlen(name) + 2;
	char *p = malloc(len);
	snprintf(p, len, "%s/%s", W, name);
	if (n < 8192)
		made[n++] = p;
	return p;
}

/* Run a shell command; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void cp(const char *from, const char *to)
{
	if (sh("cp '%s' '%s'", from, to))
		fprintf(stderr, "cp %s failed\n", from), exit(2);
}

static bool fsck_clean(const char *path)
{
	int rc = sh("e2fsck -fn '%s' >'%s/fsck.log' 2>&1", path, W);
	if (rc)
		sh("cat '%s/fsck.log' >&2", W);
	return rc == 0;
}

static void rdblk(const char *path, uint32_t blk, void *buf)
{
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, (long)blk * BS, SEEK_SET) || fread(buf, 1, BS, f) != BS)
		memset(buf, 0xee, BS);
	if (f)
		fclose(f);
}

static void wrbytes(const char *path, long off, const void *buf, size_t n)
{
	FILE *f = fopen(path, "r+b");
	if (!f || fseek(f, off, SEEK_SET) || fwrite(buf, 1, n, f) != n)
		fprintf(stderr, "write %s failed\n", path), exit(2);
	fclose(f);
}

/* The pattern transaction TAG writes into BLK; escaped-looking (beginning
 * with the journal magic) for one block in seven. */
static void fill(uint8_t *b, uint32_t tag, uint32_t blk)
{
	uint32_t *w = (uint32_t *)b;
	for (unsigned i = 0; i < BS / 4; i++)
		w[i] = tag << 20 ^ blk << 4 ^ i ^ 0x5a5a0000u;
	if (blk % 7 == 0) {
		b[0] = 0xc0, b[1] = 0x3b, b[2] = 0x39, b[3] = 0x98;
	}
}

/* Whether BLK of PATH holds TAG's pattern (tag 0: zeros, as mke2fs left it). */
static bool has(const char *path, uint32_t blk, uint32_t tag)
{
	uint8_t got[BS], want[BS];
	rdblk(path, blk, got);
	if (tag)
		fill(want, tag, blk);
	else
		memset(want, 0, BS);
	return !memcmp(got, want, BS);
}

static void label_of(const char *path, char out[17])
{
	uint8_t b[BS];
	rdblk(path, 0, b);
	memcpy(out, b + SB_LABEL, 16);
	out[16] = 0;
}

/* Put PATH behind the disk (the cache forgets the previous file). */
static void use(const char *path)
{
	pcache_drop(g_dev);
	if (blkfile_swap(g_dev, path, 1))
		fprintf(stderr, "cannot open %s\n", path), exit(2);
}

/* The fs superblock's needs_recovery flag, set or cleared through the cache
 * and flushed, as the fs does at mount and unmount. */
static void set_recover(bool on)
{
	struct pc_page *p;
	if (pcache_get(g_dev, 0, &p))
		return;
	uint8_t *f = (uint8_t *)p->data + SB_INCOMPAT;
	*f = on ? (uint8_t)(*f | 4) : (uint8_t)(*f & ~4);
	pcache_dirty(p);
	pcache_put(p);
	pcache_sync(g_dev);
}

static int mount_vol(const char *path, bool ro, struct journal **j, unsigned *replayed)
{
	use(path);
	int rc = jbd_open(g_dev, g_jb, g_jn, ro, j, replayed);
	if (!rc && !ro)
		set_recover(true);
	return rc;
}

static int umount_vol(struct journal *j, bool ro)
{
	int rc = jbd_close(j);
	if (!ro)
		set_recover(false);
	return rc;
}

static unsigned g_extra_credits;          /* an operation's over-estimate */

/* One operation: blocks BLKS[0..N) get TAG's pattern, the volume name LABEL. */
static int op(struct journal *j, const uint32_t *blks, unsigned n, uint32_t tag, const char *label)
{
	int rc = jbd_start(j, n + 1 + g_extra_credits);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		struct pc_page *p;
		if ((rc = pcache_get(g_dev, blks[i], &p)))
			break;
		fill(p->data, tag, blks[i]);
		jbd_dirty_meta(j, p);
		pcache_put(p);
	}
	struct pc_page *p;
	if (!rc && !(rc = pcache_get(g_dev, 0, &p))) {
		memset((char *)p->data + SB_LABEL, 0, 16);
		memcpy((char *)p->data + SB_LABEL, label, strnlen(label, 16));
		jbd_dirty_meta(j, p);
		pcache_put(p);
	}
	jbd_stop(j);
	return rc;
}

/* Run FN with the kernel's log (stderr here) captured into OUT. */
static long with_stderr(char *out, size_t n, long (*fn)(void *), void *arg)
{
	FILE *saved = stderr, *cap = fopen(wp("stderr.txt"), "w+");
	if (!cap)
		return -1;
	stderr = cap;
	long rc = fn(arg);
	stderr = saved;
	rewind(cap);
	size_t k = fread(out, 1, n - 1, cap);
	out[k] = 0;
	fclose(cap);
	return rc;
}

static long open_rw(void *arg)
{
	struct journal *j;
	unsigned r;
	int rc = jbd_open(g_dev, g_jb, g_jn, *(bool *)arg, &j, &r);
	if (!rc)
		jbd_close(j);
	return rc;
}

/* ---- our commits, replayed by us and by e2fsck ---- */

static void test_commit_and_replay_interop(void)
{
	const char *a = wp("a.img");
	cp(wp("base.img"), a);
	struct journal *j;
	unsigned rep = 99;
	CHECK_EQ(mount_vol(a, false, &j, &rep), 0);
	CHECK_EQ(rep, 0);
	const uint32_t *F = g_free;
	CHECK_EQ(op(j, F, 8, 1, "one"), 0);     /* F[0] and F[7] are escaped: %7 */
	CHECK_EQ(jbd_commit(j), 0);
	CHECK(!has(a, F[1], 1), "metadata written in place at commit: the checkpoint should be lazy");
	cp(a, wp("a1.img"));                    /* crash after the commit */
	cp(a, wp("a1keep.img"));
	/* the log as e2fsprogs reads it: escaped copies flagged, magic zeroed */
	int escaped = 0;
	char cmd[4096], line[512];
	snprintf(cmd, sizeof(cmd), "debugfs -R 'logdump -a' '%s' 2>/dev/null", wp("a1keep.img"));
	FILE *ld = popen(cmd, "r");
	while (ld && fgets(line, sizeof(line), ld)) {
		unsigned fsb, jblk, flags;
		if (sscanf(line, " FS block %u logged at journal block %u (flags 0x%x)", &fsb, &jblk, &flags) != 3 || fsb == 0)
			continue;                  /* block 0: the superblock, not a pattern */
		uint8_t b[BS], want[BS];
		rdblk(wp("a1keep.img"), g_jb[jblk], b);
		fill(want, 1, fsb);
		CHECK(!!(flags & 1) == (fsb % 7 == 0), "block %u: flags %#x", fsb, flags);
		if (fsb % 7 == 0) {
			escaped++;
			memset(want, 0, 4);
		}
		CHECK(!memcmp(b, want, BS), "the log's copy of block %u", fsb);
	}
	if (ld)
		pclose(ld);
	CHECK(escaped >= 1, "no escaped block in the log");
	uint32_t two[] = { F[0], F[1], F[2], F[8], F[9], F[14] };
	CHECK_EQ(op(j, two, 6, 2, "two"), 0);
	CHECK_EQ(jbd_commit(j), 0);
	CHECK_EQ(op(j, F + 20, 3, 3, "three"), 0);   /* never committed before the crash */
	cp(a, wp("a2.img"));
	cp(a, wp("a2e.img"));
	cp(a, wp("a2keep.img"));
	CHECK_EQ(umount_vol(j, false), 0);
	char lab[17];
	label_of(a, lab);
	CHECK(!strcmp(lab, "three"), "label %s after unmount", lab);
	for (int i = 0; i < 8; i++)
		CHECK(has(a, F[i], i <= 2 ? 2 : 1), "block %u", F[i]);
	CHECK(has(a, F[20], 3), "closed volume lacks the last transaction");
	CHECK(fsck_clean(a), "unmounted volume");

	/* our replay of the crash after the first commit */
	CHECK_EQ(mount_vol(wp("a1.img"), false, &j, &rep), 0);
	CHECK_EQ(rep, 1);
	CHECK_EQ(umount_vol(j, false), 0);
	label_of(wp("a1.img"), lab);
	CHECK(!strcmp(lab, "one"), "label %s", lab);
	for (int i = 0; i < 8; i++)
		CHECK(has(wp("a1.img"), F[i], 1), "block %u", F[i]);
	CHECK(fsck_clean(wp("a1.img")), "after our replay");

	/* two committed, one not: ours and e2fsck's replays agree */
	CHECK_EQ(mount_vol(wp("a2.img"), false, &j, &rep), 0);
	CHECK_EQ(rep, 2);
	CHECK_EQ(umount_vol(j, false), 0);
	int rc = sh("e2fsck -fy '%s' >/dev/null 2>&1", wp("a2e.img"));
	CHECK(rc == 0 || rc == 1, "e2fsck -fy exit %d", rc);
	CHECK(fsck_clean(wp("a2.img")), "after our replay");
	CHECK(fsck_clean(wp("a2e.img")), "after e2fsck's replay");
	label_of(wp("a2.img"), lab);
	CHECK(!strcmp(lab, "two"), "label %s", lab);
	uint8_t x[BS], y[BS];
	for (int i = 0; i < 24; i++) {
		rdblk(wp("a2.img"), F[i], x);
		rdblk(wp("a2e.img"), F[i], y);
		CHECK(!memcmp(x, y, BS), "block %u differs between our replay and e2fsck's", F[i]);
	}
	CHECK(has(wp("a2.img"), F[14], 2) && has(wp("a2.img"), F[20], 0), "replayed blocks");
	rdblk(wp("a2.img"), 0, x);
	rdblk(wp("a2e.img"), 0, y);
	CHECK(!memcmp(x + SB_LABEL, y + SB_LABEL, 16), "labels differ");
	rdblk(wp("a2e.img"), g_jb[0], y);
	CHECK(y[0x1c] == 0 && y[0x1d] == 0 && y[0x1e] == 0 && y[0x1f] == 0, "e2fsck left s_start set");
}

/* ---- debugfs's transactions, replayed by us ---- */

static void test_debugfs_journal_replayed(void)
{
	const char *d = wp("d.img");
	cp(wp("base.img"), d);
	const uint32_t *F = g_free + 100;
	uint8_t pat[2 * BS];
	fill(pat, 7, F[0]);
	fill(pat + BS, 7, F[1]);
	FILE *f = fopen(wp("pat"), "wb");
	fwrite(pat, 1, sizeof(pat), f);
	fclose(f);
	f = fopen(wp("dcmds"), "w");
	/* tx1: F0, F1; tx2: revokes F0; tx3: F2 (pattern block 0); tx4: uncommitted F3 */
	fprintf(f, "jo\njw -b %u,%u %s\njw -r %u\njw -b %u %s\njw -b %u -c %s\njc\n", F[0], F[1], wp("pat"), F[0], F[2],
		wp("pat"), F[3], wp("pat"));
	fclose(f);
	CHECK_EQ(sh("debugfs -w -f '%s' '%s' >/dev/null 2>&1", wp("dcmds"), d), 0);
	cp(d, wp("de.img"));
	struct journal *j;
	unsigned rep = 0;
	CHECK_EQ(mount_vol(d, false, &j, &rep), 0);
	CHECK_EQ(rep, 3);
	CHECK_EQ(umount_vol(j, false), 0);
	int rc = sh("e2fsck -fy '%s' >/dev/null 2>&1", wp("de.img"));
	CHECK(rc == 0 || rc == 1, "e2fsck -fy exit %d", rc);
	CHECK(has(d, F[0], 0), "revoked block replayed");
	CHECK(has(d, F[1], 7), "F1");
	uint8_t x[BS], y[BS];
	rdblk(d, F[2], x);
	CHECK(!memcmp(x, pat, BS), "F2");
	CHECK(has(d, F[3], 0), "uncommitted block replayed");
	for (int i = 0; i < 4; i++) {
		rdblk(d, F[i], x);
		rdblk(wp("de.img"), F[i], y);
		CHECK(!memcmp(x, y, BS), "block %u differs from e2fsck's replay", F[i]);
	}
	CHECK(fsck_clean(d), "after our replay of debugfs's journal");
	/* and we continue the log debugfs left: a later transaction replays too */
	CHECK_EQ(mount_vol(d, false, &j, &rep), 0);
	CHECK_EQ(rep, 0);
	CHECK_EQ(op(j, F + 10, 2, 9, "after"), 0);
	CHECK_EQ(jbd_commit(j), 0);
	cp(d, wp("de2.img"));
	CHECK_EQ(umount_vol(j, false), 0);
	rc = sh("e2fsck -fy '%s' >/dev/null 2>&1", wp("de2.img"));
	CHECK(rc == 0 || rc == 1, "e2fsck -fy exit %d", rc);
	CHECK(has(wp("de2.img"), F[10], 9) && has(wp("de2.img"), F[11], 9), "e2fsck did not replay our commit");
}

/* ---- refusals ---- */

static void test_refusals(void)
{
	const char *r = wp("r.img");
	static const struct { uint32_t bit; const char *name; } feats[] = {
		{ 0x2, "64bit" }, { 0x4, "async_commit" }, { 0x10, "checksum v3" }, { 0x100, "unknown incompatible" },
	};
	char msg[4096];
	for (unsigned i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		cp(wp("base.img"), r);
		uint8_t be[4] = { (uint8_t)(feats[i].bit >> 24), (uint8_t)(feats[i].bit >> 16), (uint8_t)(feats[i].bit >> 8),
				  (uint8_t)feats[i].bit };
		wrbytes(r, (long)g_jb[0] * BS + 0x28, be, 4);
		cp(r, wp("r0.img"));
		use(r);
		bool ro = false;
		CHECK_EQ(with_stderr(msg, sizeof(msg), open_rw, &ro), -EINVAL);
		CHECK(strstr(msg, feats[i].name) != NULL, "message \"%s\" does not name %s", msg, feats[i].name);
		CHECK_EQ(sh("cmp -s '%s' '%s'", r, wp("r0.img")), 0);
	}
	/* a version 1 journal (no revokes) is refused read-write, nothing written */
	cp(wp("base.img"), r);
	uint8_t v1[4] = { 0, 0, 0, 3 };
	wrbytes(r, (long)g_jb[0] * BS + 4, v1, 4);
	cp(r, wp("r0.img"));
	use(r);
	bool rw = false;
	CHECK_EQ(with_stderr(msg, sizeof(msg), open_rw, &rw), -EINVAL);
	CHECK(strstr(msg, "version 1") != NULL, "message \"%s\"", msg);
	CHECK_EQ(sh("cmp -s '%s' '%s'", r, wp("r0.img")), 0);
	/* a journal needing replay, opened read-only: refused, nothing written */
	cp(wp("a1keep.img"), r);
	cp(r, wp("r0.img"));
	struct journal *j;
	unsigned rep;
	CHECK_EQ(mount_vol(r, true, &j, &rep), -EROFS);
	CHECK_EQ(sh("cmp -s '%s' '%s'", r, wp("r0.img")), 0);
	/* a clean journal read-only: opens, takes no operation */
	cp(wp("base.img"), r);
	CHECK_EQ(mount_vol(r, true, &j, &rep), 0);
	CHECK_EQ(jbd_start(j, 1), -EROFS);
	CHECK_EQ(umount_vol(j, true), 0);
	/* an operation larger than the journal is refused, not half-logged */
	CHECK_EQ(mount_vol(r, false, &j, &rep), 0);
	CHECK_EQ(jbd_start(j, 1100), -EINVAL);
	CHECK_EQ(jbd_start(j, 1000), 0);
	jbd_stop(j);
	CHECK_EQ(umount_vol(j, false), 0);
	CHECK(fsck_clean(r), "after a refused operation");
	cp(wp("base.img"), r);
	CHECK_EQ(sh("cmp -s '%s' '%s'", r, wp("base.img")), 0);
	/* not a journal */
	use(r);
	uint32_t bogus[64];
	for (int i = 0; i < 64; i++)
		bogus[i] = g_free[i];
	CHECK_EQ(jbd_open(g_dev, bogus, 64, false, &j, &rep), -EINVAL);
}

/* ---- a corrupt log ends the replay where it stops making sense ---- */

/* Journal block (index) of the descriptor of transaction SEQ in PATH, or 0. */
static uint32_t find_desc(const char *path, uint32_t seq)
{
	uint8_t b[BS];
	for (uint32_t i = 1; i < g_jn; i++) {
		rdblk(path, g_jb[i], b);
		if (b[0] == 0xc0 && b[1] == 0x3b && b[2] == 0x39 && b[3] == 0x98 && b[7] == 1 &&
		    (uint32_t)(b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11]) == seq)
			return i;
	}
	return 0;
}

static void test_corrupt_descriptor(void)
{
	const char *c = wp("c.img");
	cp(wp("base.img"), c);
	const uint32_t *F = g_free + 200;
	struct journal *j;
	unsigned rep;
	CHECK_EQ(mount_vol(c, false, &j, &rep), 0);
	for (uint32_t t = 1; t <= 3; t++) {
		CHECK_EQ(op(j, F + 4 * t, 4, t, t == 1 ? "c1" : t == 2 ? "c2" : "c3"), 0);
		CHECK_EQ(jbd_commit(j), 0);
	}
	cp(c, wp("c1.img"));
	cp(c, wp("c2.img"));
	CHECK_EQ(umount_vol(j, false), 0);
	uint8_t sb[BS];
	rdblk(wp("c1.img"), g_jb[0], sb);
	uint32_t seq0 = (uint32_t)(sb[0x18] << 24 | sb[0x19] << 16 | sb[0x1a] << 8 | sb[0x1b]);
	uint32_t d2 = find_desc(wp("c1.img"), seq0 + 1);
	CHECK(d2 != 0, "no descriptor for the second transaction");
	if (!d2)
		return;
	uint8_t zero[4] = { 0 };
	wrbytes(wp("c1.img"), (long)g_jb[d2] * BS, zero, 4);          /* bad magic */
	uint8_t big[4] = { 0x7f, 0xff, 0xff, 0xff };
	wrbytes(wp("c2.img"), (long)g_jb[d2] * BS + 12, big, 4);      /* a tag beyond the fs */
	for (int k = 1; k <= 2; k++) {
		const char *p = wp(k == 1 ? "c1.img" : "c2.img");
		cp(p, wp("ce.img"));
		CHECK_EQ(mount_vol(p, false, &j, &rep), 0);
		CHECK_EQ(rep, 1);
		CHECK_EQ(umount_vol(j, false), 0);
		for (int i = 0; i < 4; i++) {
			CHECK(has(p, F[4 + i], 1), "first transaction's block %u", F[4 + i]);
			CHECK(has(p, F[8 + i], 0) && has(p, F[12 + i], 0), "a transaction after the corrupt one replayed");
		}
		CHECK(fsck_clean(p), "after replay of a corrupt log");
		if (k == 1) {     /* e2fsprogs stops at the same place */
			int rc = sh("e2fsck -fy '%s' >/dev/null 2>&1", wp("ce.img"));
			CHECK(rc == 0 || rc == 1, "e2fsck -fy exit %d", rc);
			for (int i = 4; i < 16; i++) {
				uint8_t x[BS], y[BS];
				rdblk(p, F[i], x);
				rdblk(wp("ce.img"), F[i], y);
				CHECK(!memcmp(x, y, BS), "block %u differs from e2fsck's replay", F[i]);
			}
		}
	}
}

/* ---- a journal that fills (jbd_start commits and checkpoints first), and
 * a revoke keeping old metadata off a block reused for data ---- */

static void test_fill_and_revoke(void)
{
	const char *f = wp("f.img");
	cp(wp("base.img"), f);
	struct journal *j;
	unsigned rep;
	CHECK_EQ(mount_vol(f, false, &j, &rep), 0);
	/* eight operations of 200 blocks in four groups, asking for 501 credits,
	 * never committed explicitly: the running transaction and the next
	 * operation's credits outgrow the 1023-block log again and again */
	int last_committed = 0, starts_committing = 0;
	g_extra_credits = 300;
	for (int k = 1; k <= 8; k++) {
		uint64_t fl = g_dev->flushes;
		CHECK_EQ(op(j, g_free + 600 + (uint32_t)(k % 4) * 200, 200, (uint32_t)k + 10, "fill"), 0);
		if (g_dev->flushes != fl) {
			last_committed = k - 1;
			starts_committing++;
		}
	}
	g_extra_credits = 0;
	CHECK(starts_committing == 2 && last_committed == 6, "jbd_start committed %d times, last before op %d",
	      starts_committing, last_committed + 1);
	cp(f, wp("f1.img"));
	/* revoke: R journaled, freed, reused for file data */
	uint32_t R = g_free[590];
	CHECK_EQ(op(j, &R, 1, 50, "meta"), 0);
	CHECK_EQ(jbd_commit(j), 0);
	CHECK_EQ(jbd_start(j, 1), 0);
	jbd_forget(j, R);
	jbd_stop(j);
	CHECK_EQ(jbd_commit(j), 0);
	uint8_t data[BS];
	fill(data, 51, R);
	CHECK_EQ(pcache_write(g_dev, (uint64_t)R * BS, data, BS), 0);
	CHECK_EQ(jbd_commit(j), 0);          /* ordered: the data is on disk now */
	/* freed and reallocated as metadata within one transaction: the revoke
	 * is cancelled, the new contents replay */
	uint32_t B = g_free[591];
	CHECK_EQ(op(j, &B, 1, 60, "b60"), 0);
	CHECK_EQ(jbd_commit(j), 0);
	CHECK_EQ(op(j, &B, 1, 61, "b61"), 0);
	jbd_forget(j, B);
	CHECK_EQ(op(j, &B, 1, 62, "b62"), 0);
	CHECK_EQ(jbd_commit(j), 0);
	cp(f, wp("f2.img"));
	cp(f, wp("f2e.img"));
	CHECK_EQ(umount_vol(j, false), 0);
	CHECK(fsck_clean(f), "after the fill");

	CHECK_EQ(mount_vol(wp("f1.img"), false, &j, &rep), 0);
	CHECK_EQ(umount_vol(j, false), 0);
	for (int g = 0; g < 4; g++) {
		/* each group holds the latest committed op that wrote it */
		int want = 0;
		for (int m = 1; m <= last_committed; m++)
			if (m % 4 == g)
				want = m;
		for (int b = 0; b < 200; b += 37)
			CHECK(has(wp("f1.img"), g_free[600 + (uint32_t)g * 200 + (uint32_t)b], want ? (uint32_t)want + 10 : 0),
			      "group %d: expected op %d", g, want);
	}
	CHECK(fsck_clean(wp("f1.img")), "after replay of the filled journal");

	CHECK_EQ(mount_vol(wp("f2.img"), false, &j, &rep), 0);
	CHECK_EQ(umount_vol(j, false), 0);
	CHECK(has(wp("f2.img"), R, 51), "replay wrote revoked metadata over the block's data");
	CHECK(has(wp("f2.img"), B, 62), "a block freed and journaled again in one transaction did not replay");
	int rc = sh("e2fsck -fy '%s' >/dev/null 2>&1", wp("f2e.img"));
	CHECK(rc == 0 || rc == 1, "e2fsck -fy exit %d", rc);
	CHECK(has(wp("f2e.img"), R, 51), "e2fsck's replay does not honour our revoke");
	CHECK(has(wp("f2e.img"), B, 62), "e2fsck's replay of a cancelled revoke");
}

/* ---- crash points ---- */

#define NTX 70
#define POOL 160
static int16_t model[NTX + 1][POOL];        /* tag per pool block after tx i; -1: any */
static size_t tx_start[NTX + 1], tx_done[NTX + 1];

/* The disk after log entries [0, upto) with, from the epoch [from, upto),
 * only the writes KEEP says (NULL: all), applied in reverse if REV. */
static void build(uint8_t *img, const uint8_t *base, size_t from, size_t upto, const uint8_t *keep, bool rev)
{
	memcpy(img, base, VOL_BYTES);
	for (size_t i = 0; i < from; i++) {
		struct blkfile_op *o = &blkfile_log.e[i];
		if (!o->flush)
			memcpy(img + o->sector * BLK_SECTOR, o->data, o->len);
	}
	for (size_t n = 0; n < upto - from; n++) {
		size_t i = rev ? upto - 1 - n : from + n;
		struct blkfile_op *o = &blkfile_log.e[i];
		if (!o->flush && (!keep || keep[i - from]))
			memcpy(img + o->sector * BLK_SECTOR, o->data, o->len);
	}
}

/* Mount the state IMG (LO..HI: the committed transactions it may show),
 * check it is exactly one committed state, unmount, fsck if FSCK. */
static void check_state(const uint8_t *img, int lo, int hi, const uint32_t *pool, bool fsck, const char *what)
{
	const char *s = wp("state.img");
	FILE *f = fopen(s, "wb");
	fwrite(img, 1, VOL_BYTES, f);
	fclose(f);
	if (getenv("JHOST_KEEP"))
		cp(s, wp("state0.img"));
	struct journal *j;
	unsigned rep;
	int rc = mount_vol(s, false, &j, &rep);
	CHECK(rc == 0, "%s: mount %d", what, rc);
	if (rc)
		return;
	CHECK_EQ(umount_vol(j, false), 0);
	char lab[17];
	label_of(s, lab);
	int t = -1;
	if (!lab[0])
		t = 0;
	else if (sscanf(lab, "tx%d", &t) != 1)
		t = -1;
	CHECK(t >= lo && t <= hi, "%s: state of transaction %d, expected %d..%d", what, t, lo, hi);
	if (getenv("JHOST_KEEP") && (t < lo || t > hi)) {
		fprintf(stderr, "kept %s\n", what);
		exit(3);
	}
	if (t < 0 || t > NTX)
		return;
	for (int b = 0; b < POOL; b++)
		if (model[t][b] >= 0)
			CHECK(has(s, pool[b], (uint32_t)model[t][b]), "%s: block %u is not transaction %d's (tag %d)", what, pool[b],
			      t, model[t][b]);
	if (fsck)
		CHECK(fsck_clean(s), "%s", what);
}

static void test_crash_points(void)
{
	const char *k = wp("k.img");
	cp(wp("base.img"), k);
	const uint32_t *pool = g_free + 400;
	uint8_t *base = malloc(VOL_BYTES), *img = malloc(VOL_BYTES);
	struct journal *j;
	unsigned rep;
	pcache_init(128);                    /* evictions, and transactions of at most 32 pages */
	struct pcache_stats st0, st1;
	pcache_get_stats(&st0);
	CHECK_EQ(mount_vol(k, false, &j, &rep), 0);
	FILE *f = fopen(k, "rb");
	CHECK(f && fread(base, 1, VOL_BYTES, f) == VOL_BYTES, "read base");
	fclose(f);
	blkfile_log_start(g_dev);
	memset(model[0], 0, sizeof(model[0]));
	uint32_t seed = getenv("JHOST_SEED") ? (uint32_t)strtoul(getenv("JHOST_SEED"), NULL, 0) : 12345;
	int freed = -1;                      /* pool index freed by the previous tx */
	for (int t = 1; t <= NTX; t++) {
		memcpy(model[t], model[t - 1], sizeof(model[t]));
		uint32_t blks[32];
		unsigned n = 1 + (unsigned)(t * 37 % 28);
		int idx[32];
		for (unsigned i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			idx[i] = (int)((seed >> 8) % POOL);
			for (unsigned m = 0; m < i; m++)
				if (idx[m] == idx[i])
					idx[i] = (idx[i] + 1) % POOL, m = (unsigned)-1;
			blks[i] = pool[idx[i]];
			model[t][idx[i]] = (int16_t)t;
		}
		if (freed >= 0) {            /* reuse last tx's freed block for data */
			uint8_t data[BS];
			fill(data, (uint32_t)t + 1000, pool[freed]);
			bool meta = false;
			for (unsigned i = 0; i < n; i++)
				meta |= idx[i] == freed;
			if (!meta) {
				CHECK_EQ(pcache_write(g_dev, (uint64_t)pool[freed] * BS, data, BS), 0);
				model[t][freed] = (int16_t)(t + 1000);
			}
			freed = -1;
		}
		char lab[16];
		snprintf(lab, sizeof(lab), "tx%d", t);
		CHECK_EQ(op(j, blks, n, (uint32_t)t, lab), 0);
		if (t % 6 == 0) {            /* free a block journaled earlier */
			for (int b = 0; b < POOL && freed < 0; b++) {
				bool in_tx = false;
				for (unsigned i = 0; i < n; i++)
					in_tx |= idx[i] == b;
				if (model[t][b] > 0 && model[t][b] < 1000 && !in_tx)
					freed = b;
			}
			CHECK_EQ(jbd_start(j, 1), 0);
			jbd_forget(j, pool[freed]);
			jbd_stop(j);
			model[t][freed] = -1;
		}
		tx_start[t] = blkfile_log.n;
		CHECK_EQ(jbd_commit(j), 0);
		tx_done[t] = blkfile_log.n;
	}
	CHECK_EQ(umount_vol(j, false), 0);
	pcache_get_stats(&st1);
	CHECK(st1.evictions > st0.evictions + 100, "only %llu evictions under the workload",
	      (unsigned long long)(st1.evictions - st0.evictions));
	pcache_init(8192);
	size_t nlog = blkfile_log.n;
	/* the ring wrapped inside some transaction */
	bool wrapped = false;
	for (int t = 1; t <= NTX && !wrapped; t++) {
		bool end = false, begin = false;
		for (size_t i = tx_start[t]; i < tx_done[t]; i++) {
			end |= blkfile_log.e[i].sector == (uint64_t)g_jb[g_jn - 1] * 8;
			begin |= blkfile_log.e[i].sector == (uint64_t)g_jb[1] * 8;
		}
		wrapped = end && begin;
	}
	CHECK(wrapped, "no transaction wrapped around the end of the log");
	/* every flush point, and three states inside each epoch */
	int states = 0;
	size_t prev = 0;
	uint8_t *keep = malloc(nlog + 1);
	for (size_t fpos = 0; fpos <= nlog; fpos++) {
		if (fpos < nlog && !blkfile_log.e[fpos].flush)
			continue;
		/* durable before this epoch: commits whose last flush came before PREV */
		int lo = 0, hi = 0, lo_end = 0;
		for (int t = 1; t <= NTX; t++) {
			if (tx_done[t] <= prev)
				lo = t;
			if (tx_done[t] <= fpos + 1)
				lo_end = t;
			if (tx_start[t] < fpos)
				hi = t;
		}
		char what[64];
		snprintf(what, sizeof(what), "flush point %zu", fpos);
		build(img, base, fpos, fpos, NULL, false);
		check_state(img, lo_end, hi, pool, true, what);
		states++;
		size_t len = fpos - prev;
		if (len > 1) {
			for (int v = 0; v < 3; v++) {
				for (size_t i = 0; i < len; i++) {
					seed = seed * 1103515245u + 12345u;
					keep[i] = v == 0 ? i < len / 2 : (seed >> 12) & 1;
				}
				snprintf(what, sizeof(what), "epoch %zu..%zu variant %d", prev, fpos, v);
				build(img, base, prev, fpos, keep, v == 2);
				check_state(img, lo, hi, pool, v == 1, what);
				states++;
			}
		}
		prev = fpos + 1;
	}
	printf("     crash states checked: %d (log of %zu writes and flushes, %d transactions)\n", states, nlog, NTX);
	free(keep);
	free(base);
	free(img);
	blkfile_log_stop();
}

/* ---- a crash during the replay itself: replaying again finishes it ---- */

static void test_crash_during_replay(void)
{
	const char *r = wp("rr.img");
	cp(wp("a2keep.img"), r);             /* two committed transactions, one not */
	uint8_t *base = malloc(VOL_BYTES), *img = malloc(VOL_BYTES);
	FILE *f = fopen(r, "rb");
	CHECK(f && fread(base, 1, VOL_BYTES, f) == VOL_BYTES, "read");
	if (f)
		fclose(f);
	use(r);
	blkfile_log_start(g_dev);
	struct journal *j;
	unsigned rep;
	CHECK_EQ(jbd_open(g_dev, g_jb, g_jn, false, &j, &rep), 0);
	CHECK_EQ(rep, 2);
	CHECK_EQ(jbd_close(j), 0);
	size_t nlog = blkfile_log.n;
	int states = 0;
	uint32_t seed = 99;
	uint8_t keep[4096];
	const uint32_t *F = g_free;
	for (size_t fpos = 0, prev = 0; fpos <= nlog; fpos++) {
		if (fpos < nlog && !blkfile_log.e[fpos].flush)
			continue;
		for (int v = -1; v < 2; v++) {
			size_t len = fpos - prev;
			if (v >= 0 && (len < 2 || len > sizeof(keep)))
				break;
			for (size_t i = 0; v >= 0 && i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				keep[i] = (seed >> 12) & 1;
			}
			if (v < 0)
				build(img, base, fpos, fpos, NULL, false);
			else
				build(img, base, prev, fpos, keep, v == 1);
			const char *st = wp("rstate.img");
			FILE *o = fopen(st, "wb");
			fwrite(img, 1, VOL_BYTES, o);
			fclose(o);
			CHECK_EQ(mount_vol(st, false, &j, &rep), 0);
			CHECK_EQ(umount_vol(j, false), 0);
			char lab[17];
			label_of(st, lab);
			CHECK(!strcmp(lab, "two"), "state %zu/%d: label %s", fpos, v, lab);
			for (int i = 0; i < 24; i++)
				CHECK(has(st, F[i], i <= 2 || i == 8 || i == 9 || i == 14 ? 2 : i < 8 ? 1 : 0),
				      "state %zu/%d: block %u", fpos, v, F[i]);
			if (v < 0)
				CHECK(fsck_clean(st), "state %zu", fpos);
			states++;
		}
		prev = fpos + 1;
	}
	printf("     states of an interrupted replay checked: %d (log of %zu)\n", states, nlog);
	blkfile_log_stop();
	free(base);
	free(img);
}

/* JHOST_QUICK=1 skips the crash points; JHOST_SEED=N runs them with another
 * workload; JHOST_KEEP=1 stops at the first wrong crash state, leaving it
 * (before replay) in WORKDIR/state0.img. */
int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: jhost WORKDIR\n");
		return 2;
	}
	W = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	pcache_init(8192);
	if (sh("truncate -s %u '%s' && %s '%s' >/dev/null", VOL_BYTES, wp("base.img"), MKFS, wp("base.img"))) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	/* the journal's map from debugfs's extents list: "(0-11):265-276,
	 * (IND):277, (12-1023):278-1289" (`blocks` would list the IND block) */
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat <8>' '%s' 2>/dev/null | sed -n '/^BLOCKS:/,/^TOTAL/p' | tr ',' '\\n'",
		 wp("base.img"));
	FILE *p = popen(cmd, "r");
	g_jb = malloc(65536 * sizeof(uint32_t));
	char line[256];
	while (fgets(line, sizeof(line), p)) {
		char *o = strchr(line, '(');
		unsigned a, b, c, d;
		if (!o || o[1] < '0' || o[1] > '9')
			continue;
		if (sscanf(o, "(%u-%u):%u-%u", &a, &b, &c, &d) == 4 || (sscanf(o, "(%u):%u", &a, &c) == 2 && (b = a, d = c, 1)))
			for (unsigned i = a; i <= b && g_jn < 65536 && g_jn == i; i++)
				g_jb[g_jn++] = c + (i - a);
	}
	pclose(p);
	unsigned v;
	snprintf(cmd, sizeof(cmd), "debugfs -R 'ffb 1400 1500' '%s' 2>/dev/null", wp("base.img"));
	p = popen(cmd, "r");
	unsigned nfree = 0;
	if (fscanf(p, "Free blocks found: ") == 0)
		while (nfree < 1400 && fscanf(p, "%u", &v) == 1)
			g_free[nfree++] = v;
	pclose(p);
	g_dev = blkfile_open(wp("base.img"), 1);
	if (g_jn < 1024 || nfree < 1400 || !g_dev) {
		fprintf(stderr, "jhost: journal of %u blocks, %u free blocks found\n", g_jn, nfree);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_commit_and_replay_interop);
	RUN(test_debugfs_journal_replayed);
	RUN(test_refusals);
	RUN(test_corrupt_descriptor);
	RUN(test_fill_and_revoke);
	RUN(test_crash_during_replay);
	if (!getenv("JHOST_QUICK")) RUN(test_crash_points);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
