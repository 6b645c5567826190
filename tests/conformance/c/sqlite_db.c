/* SQLite on the directory argv[1] (/tmp in the image), through the file API
 * a database leans on: POSIX record locks (two connections, one writing, the
 * other told SQLITE_BUSY), fsync, rollback journals (DELETE, TRUNCATE,
 * PERSIST), WAL without shared memory (locking_mode=EXCLUSIVE), a rolled
 * back transaction, and an integrity check. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		printf("  %s -> %s (%s)\n", sql, sqlite3_errstr(rc), err ? err : "");
		sqlite3_free(err);
	}
	return rc;
}

static void query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("  prepare %s: %s\n", sql, sqlite3_errmsg(db));
		return;
	}
	printf("  %s:", sql);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(st); i++)
			printf(" %s", (const char *)sqlite3_column_text(st, i));
	if (rc != SQLITE_DONE)
		printf(" [%s]", sqlite3_errstr(rc));
	printf("\n");
	sqlite3_finalize(st);
}

static sqlite3 *opendb(void)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("open: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

static void remove_all(void)
{
	char p[4200];
	unlink(path);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static void journal(const char *mode)
{
	printf("journal_mode=%s\n", mode);
	remove_all();
	sqlite3 *a = opendb(), *b = opendb();
	char sql[128];
	snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
	query(a, sql);
	exec(a, "PRAGMA synchronous=FULL");
	exec(a, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
	exec(a, "BEGIN");
	for (int i = 0; i < 500; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES('row %d')", i);
		exec(a, sql);
	}
	exec(a, "COMMIT");
	/* a writes; b may read the committed state but not write */
	exec(a, "BEGIN IMMEDIATE");
	exec(a, "UPDATE t SET v = 'changed' WHERE k <= 10");
	query(b, "SELECT count(*) FROM t WHERE v = 'changed'");
	printf("  b writes while a holds RESERVED:\n");
	exec(b, "UPDATE t SET v = 'b' WHERE k = 1");
	exec(a, "COMMIT");
	query(b, "SELECT count(*) FROM t WHERE v = 'changed'");
	/* b reading holds SHARED: a cannot commit (EXCLUSIVE needs no readers) */
	exec(b, "BEGIN");
	query(b, "SELECT count(*) FROM t");
	exec(a, "BEGIN IMMEDIATE");
	exec(a, "DELETE FROM t WHERE k > 400");
	printf("  a commits while b reads:\n");
	exec(a, "COMMIT");
	exec(b, "COMMIT");
	exec(a, "COMMIT");
	query(a, "SELECT count(*) FROM t");
	exec(a, "BEGIN");
	exec(a, "DELETE FROM t");
	exec(a, "ROLLBACK");
	query(b, "SELECT count(*), min(k), max(k) FROM t");
	query(b, "PRAGMA integrity_check");
	sqlite3_close(a);
	sqlite3_close(b);
}

static void wal_exclusive(void)
{
	printf("WAL, locking_mode=EXCLUSIVE\n");
	remove_all();
	sqlite3 *a = opendb();
	exec(a, "PRAGMA locking_mode=EXCLUSIVE");
	query(a, "PRAGMA journal_mode=WAL");
	exec(a, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
	for (int i = 0; i < 50; i++)
		exec(a, "INSERT INTO t(v) VALUES(randomblob(3000))");
	query(a, "SELECT count(*), sum(length(v)) FROM t");
	sqlite3 *b = opendb();
	printf("  a second connection while a holds the database:\n");
	query(b, "SELECT count(*) FROM t");
	sqlite3_close(b);
	query(a, "PRAGMA wal_checkpoint(TRUNCATE)");
	query(a, "PRAGMA integrity_check");
	sqlite3_close(a);
	a = opendb();
	/* exclusive again: no -shm file (sqlite_wal covers the shared one) */
	exec(a, "PRAGMA locking_mode=EXCLUSIVE");
	query(a, "SELECT count(*) FROM t");
	sqlite3_close(a);
}

int main(int argc, char **argv)
{
	snprintf(path, sizeof path, "%s/conf.db", argc > 1 ? argv[1] : "/tmp");
	setvbuf(stdout, NULL, _IONBF, 0);
	journal("DELETE");
	journal("TRUNCATE");
	journal("PERSIST");
	wal_exclusive();
	remove_all();
	return 0;
}
