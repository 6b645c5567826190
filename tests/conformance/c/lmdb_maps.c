// LMDB over shared file mappings: its lock file is a MAP_SHARED read-write
// mapping, its data file a MAP_SHARED read-only one written with pwrite (the
// default) or a writable one stored to directly (MDB_WRITEMAP). For both:
// 1,000 keys in 10 transactions, a read snapshot that must not see later
// commits, a sync, and a reopen that reads everything back.
// argv[1]: a writable directory.
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRY(call) do { int _e = (call); if (_e) { printf("%s: %s\n", #call, mdb_strerror(_e)); exit(1); } } while (0)

static MDB_env *open_env(const char *dir, unsigned flags)
{
	MDB_env *env;
	TRY(mdb_env_create(&env));
	TRY(mdb_env_set_mapsize(env, 16 << 20));
	TRY(mdb_env_open(env, dir, flags, 0600));
	return env;
}

static size_t count(MDB_env *env, MDB_txn *txn, MDB_dbi dbi, long *sum)
{
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;
	*sum = 0;
	TRY(mdb_cursor_open(txn, dbi, &cur));
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		n++;
		*sum += atol(v.mv_data);
	}
	mdb_cursor_close(cur);
	(void)env;
	return n;
}

static void run(const char *base, const char *name, unsigned flags)
{
	char dir[512], path[600];
	snprintf(dir, sizeof dir, "%s/%s", base, name);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	unlink(path);
	printf("== %s\n", name);
	MDB_env *env = open_env(dir, flags);
	MDB_dbi dbi;
	MDB_txn *txn, *snap = NULL;
	TRY(mdb_txn_begin(env, NULL, 0, &txn));
	TRY(mdb_dbi_open(txn, NULL, 0, &dbi));
	TRY(mdb_txn_commit(txn));
	char key[32], val[128];
	for (int t = 0; t < 10; t++) {
		if (t == 6) {
			TRY(mdb_txn_begin(env, NULL, MDB_RDONLY, &snap));
			long sum;
			printf("snapshot before transaction 6: %zu keys\n", count(env, snap, dbi, &sum));
		}
		TRY(mdb_txn_begin(env, NULL, 0, &txn));
		for (int i = 0; i < 100; i++) {
			int n = t * 100 + i;
			snprintf(key, sizeof key, "key-%05d", (n * 7919) % 1000);
			snprintf(val, sizeof val, "%d %0*d", n, 20 + n % 80, n);
			MDB_val k = { strlen(key), key }, v = { strlen(val) + 1, val };
			TRY(mdb_put(txn, dbi, &k, &v, 0));
		}
		TRY(mdb_txn_commit(txn));
	}
	long sum;
	printf("snapshot after all commits still: %zu keys\n", count(env, snap, dbi, &sum));
	mdb_txn_abort(snap);
	TRY(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	size_t n = count(env, txn, dbi, &sum);
	printf("new reader: %zu keys, sum %ld\n", n, sum);
	MDB_val k = { 9, "key-00777" }, v;
	TRY(mdb_get(txn, dbi, &k, &v));
	printf("key-00777 = %.30s\n", (char *)v.mv_data);
	mdb_txn_abort(txn);
	// Overwrite and delete, then sync.
	TRY(mdb_txn_begin(env, NULL, 0, &txn));
	for (int i = 0; i < 1000; i += 3) {
		snprintf(key, sizeof key, "key-%05d", i);
		MDB_val dk = { strlen(key), key };
		TRY(mdb_del(txn, dbi, &dk, NULL));
	}
	TRY(mdb_txn_commit(txn));
	TRY(mdb_env_sync(env, 1));
	MDB_stat st;
	TRY(mdb_env_stat(env, &st));
	printf("entries %zu, depth %u, leaf pages %zu, overflow pages %zu\n", st.ms_entries, st.ms_depth,
	       st.ms_leaf_pages, st.ms_overflow_pages);
	mdb_env_close(env);
	env = open_env(dir, flags);
	TRY(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	n = count(env, txn, dbi, &sum);
	printf("reopened: %zu keys, sum %ld\n", n, sum);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lmdb_maps DIR\n");
		return 2;
	}
	run(argv[1], "lmdb-default", 0);
	run(argv[1], "lmdb-writemap", MDB_WRITEMAP);
	return 0;
}
