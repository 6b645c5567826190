// SQLite in WAL mode, as better-sqlite3's README recommends: the WAL index is
// a MAP_SHARED, PROT_READ|PROT_WRITE mapping of the database's -shm file.
// Two connections write 1,000 rows in transactions, each reading the other's
// commits (and not the other's open transaction), then a checkpoint, and a
// read back. argv[1]: a writable directory.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("open: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		printf("%s: %s\n", sql, err);
		exit(1);
	}
}

// The first column of the first row of SQL as text.
static void one(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	out[0] = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void show(sqlite3 *db, const char *label, const char *sql)
{
	char buf[256];
	one(db, sql, buf, sizeof buf);
	printf("%s: %s\n", label, buf);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: sqlite_wal DIR\n");
		return 2;
	}
	char path[512], shm[600], wal[600];
	snprintf(path, sizeof path, "%s/wal-test.db", argv[1]);
	snprintf(shm, sizeof shm, "%s-shm", path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(path);
	unlink(shm);
	unlink(wal);

	sqlite3 *a = open_db(path);
	show(a, "journal_mode", "PRAGMA journal_mode=WAL");
	exec(a, "PRAGMA synchronous=NORMAL");
	exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL)");
	sqlite3 *b = open_db(path);
	show(b, "second connection's journal_mode", "PRAGMA journal_mode");
	struct stat st;
	printf("-shm exists: %d, -wal exists: %d\n", stat(shm, &st) == 0, stat(wal, &st) == 0);

	sqlite3_stmt *ins[2];
	for (int c = 0; c < 2; c++)
		if (sqlite3_prepare_v2(c ? b : a, "INSERT INTO t (who, n, body) VALUES (?, ?, ?)", -1, &ins[c], NULL) != SQLITE_OK) {
			printf("prepare: %s\n", sqlite3_errmsg(c ? b : a));
			return 1;
		}
	// 20 transactions of 50 rows, alternating connections.
	char body[200];
	for (int tx = 0; tx < 20; tx++) {
		int c = tx % 2;
		sqlite3 *db = c ? b : a, *other = c ? a : b;
		exec(db, "BEGIN IMMEDIATE");
		for (int i = 0; i < 50; i++) {
			int n = tx * 50 + i;
			snprintf(body, sizeof body, "row %d from connection %c, %0*d", n, 'A' + c, 40 + n % 60, n);
			sqlite3_bind_text(ins[c], 1, c ? "B" : "A", -1, SQLITE_STATIC);
			sqlite3_bind_int(ins[c], 2, n);
			sqlite3_bind_text(ins[c], 3, body, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(ins[c]) != SQLITE_DONE) {
				printf("insert: %s\n", sqlite3_errmsg(db));
				return 1;
			}
			sqlite3_reset(ins[c]);
		}
		if (tx == 7) {
			// The other connection reads its snapshot: not this open transaction.
			char buf[64];
			one(other, "SELECT count(*) FROM t", buf, sizeof buf);
			printf("during transaction 7 the other connection counts %s rows\n", buf);
		}
		exec(db, "COMMIT");
		if (tx % 5 == 4) {
			char buf[64];
			one(other, "SELECT count(*) FROM t", buf, sizeof buf);
			printf("after transaction %d the other connection counts %s rows\n", tx, buf);
		}
	}
	for (int c = 0; c < 2; c++)
		sqlite3_finalize(ins[c]);

	// An update through one connection, seen by the other.
	exec(b, "UPDATE t SET n = n * 2 WHERE who = 'B'");
	show(a, "sum of n seen by A after B's update", "SELECT sum(n) FROM t");
	show(a, "rows per connection", "SELECT group_concat(who || '=' || c) FROM (SELECT who, count(*) c FROM t GROUP BY who ORDER BY who)");
	show(b, "checkpoint(TRUNCATE) busy", "PRAGMA wal_checkpoint(TRUNCATE)");
	printf("-wal size after the checkpoint: %ld\n", stat(wal, &st) == 0 ? (long)st.st_size : -1L);
	show(a, "integrity_check", "PRAGMA integrity_check");
	show(a, "total body length", "SELECT sum(length(body)) FROM t");
	show(a, "row 777", "SELECT who || ' ' || n || ' ' || body FROM t WHERE id = 778");
	sqlite3_close(b);
	sqlite3_close(a);

	// Reopen: everything is in the database file now.
	sqlite3 *c = open_db(path);
	show(c, "reopened count", "SELECT count(*) FROM t");
	show(c, "reopened journal_mode", "PRAGMA journal_mode");
	show(c, "reopened max id", "SELECT max(id) FROM t");
	sqlite3_close(c);
	unlink(path);
	unlink(shm);
	unlink(wal);
	return 0;
}
