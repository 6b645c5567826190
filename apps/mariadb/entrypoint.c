/* The MariaDB image's first program: decides whether the data directory on
 * /var/lib/mysql is initialised, initialises it on the first boot (what
 * mariadb-install-db and the official container image's entrypoint do,
 * without a shell: one mariadbd run fed the package's SQL through
 * --init-file, then the users the environment asks for), refuses a directory
 * it must not start on, and execs /usr/sbin/mariadbd with its own arguments
 * passed through.
 *
 * Environment (the official image's contract; each MARIADB_X also as MYSQL_X):
 *   MARIADB_ROOT_PASSWORD | MARIADB_ALLOW_EMPTY_ROOT_PASSWORD (MYSQL_ALLOW_EMPTY_PASSWORD)
 *     | MARIADB_RANDOM_ROOT_PASSWORD   one of them on the first boot
 *   MARIADB_ROOT_HOST   where root may connect from besides localhost (default %)
 *   MARIADB_DATABASE    a database to create
 *   MARIADB_USER, MARIADB_PASSWORD   a user with every privilege on that database
 *
 * The data directory's states:
 *   mysql_upgrade_info present: initialised by the MariaDB whose version it
 *     holds (written by the init SQL's last statement, after InnoDB has
 *     checkpointed); another major.minor than this image's is refused.
 *   uninode-initialising present, no mysql_upgrade_info: a first boot that
 *     stopped before it finished; refused, nothing deleted.
 *   empty (lost+found aside): the first boot.
 *   anything else: a data directory from elsewhere; started as it is. */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARIADBD "/usr/sbin/mariadbd"
#define DATADIR "/var/lib/mysql"
#define RUNDIR "/run/mysqld"
#define INIT_SQL "/run/mariadb-init.sql"
#define MARKER DATADIR "/uninode-initialising"
#define VERSION_FILE DATADIR "/mysql_upgrade_info"
#define SHARE "/usr/share/mysql/"

static const char *const package_sql[] = {
	"mysql_system_tables.sql", "mysql_performance_tables.sql", "mysql_system_tables_data.sql",
	"fill_help_tables.sql", "maria_add_gis_sp_bootstrap.sql", "mysql_sys_schema.sql",
};

/* One sentence on stderr, then exit 1. */
static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mariadb-entrypoint: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* MARIADB_NAME, else MYSQL_NAME (the official image's aliases), else NULL. */
static const char *env(const char *name)
{
	char key[96];
	snprintf(key, sizeof key, "MARIADB_%s", name);
	const char *v = getenv(key);
	if (!v) {
		snprintf(key, sizeof key, "MYSQL_%s", name);
		v = getenv(key);
	}
	return v;
}

static int set(const char *v) { return v && *v; }

/* The uid and gid of USER from /etc/passwd (no NSS: this program is static). */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return -1;
	char line[512];
	size_t n = strlen(user);
	int found = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned u, g;
		if (strncmp(line, user, n) || line[n] != ':')
			continue;
		if (sscanf(line + n, ":%*[^:]:%u:%u:", &u, &g) == 2) {
			*uid = u;
			*gid = g;
			found = 0;
		}
		break;
	}
	fclose(f);
	return found;
}

/* "10.11" of "10.11.19-MariaDB..." into OUT; 0, or -1 if S is no version. */
static int major_minor(const char *s, char *out, size_t size)
{
	unsigned a, b;
	if (sscanf(s, "%u.%u", &a, &b) != 2)
		return -1;
	snprintf(out, size, "%u.%u", a, b);
	return 0;
}

/* This image's server version, read from mariadbd's .rodata (its
 * MYSQL_SERVER_VERSION literal, "10.11.19-MariaDB"); 0 or -1. */
static int server_version(char *out, size_t size)
{
	int fd = open(MARIADBD, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf64_Ehdr eh;
	int r = -1;
	if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_shentsize != sizeof(Elf64_Shdr))
		goto out;
	Elf64_Shdr names;
	if (pread(fd, &names, sizeof names, (off_t)(eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof names)) != sizeof names)
		goto out;
	for (unsigned i = 0; i < eh.e_shnum && r < 0; i++) {
		Elf64_Shdr sh;
		char name[16] = "";
		if (pread(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + (uint64_t)i * sizeof sh)) != sizeof sh)
			break;
		if (pread(fd, name, sizeof name - 1, (off_t)(names.sh_offset + sh.sh_name)) <= 0 || strcmp(name, ".rodata"))
			continue;
		/* The literal sits near the start of .rodata: read it in chunks that
		 * overlap by the longest match, stop at the first. */
		static char buf[1 << 20];
		for (uint64_t at = 0; at < sh.sh_size && r < 0; at += sizeof buf - 64) {
			ssize_t got = pread(fd, buf, sizeof buf - 1, (off_t)(sh.sh_offset + at));
			if (got <= 0)
				break;
			buf[got] = 0;
			for (char *p = buf; (p = memmem(p, (size_t)got - (size_t)(p - buf), "-MariaDB", 8)); p += 8) {
				char *s = p;
				while (s > buf && ((s[-1] >= '0' && s[-1] <= '9') || s[-1] == '.'))
					s--;
				if (s > buf && s[-1] == 0 && major_minor(s, out, size) == 0) {
					r = 0;
					break;
				}
			}
			if ((size_t)got < sizeof buf - 1)
				break;
		}
	}
out:
	close(fd);
	return r;
}

/* What the data directory holds: -1 missing, 0 nothing but lost+found, 1 more. */
static int datadir_contents(void)
{
	DIR *d = opendir(DATADIR);
	if (!d)
		return -1;
	int more = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lost+found"))
			more = 1;
	closedir(d);
	return more;
}

/* A file's first line into BUF; 0 or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int r = fgets(buf, (int)size, f) ? 0 : -1;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	return r;
}

/* Write S as a SQL string literal body (backslash escapes on). */
static void sql_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '\'': fputs("\\'", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case 26: fputs("\\Z", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Write S as a backquoted identifier; AS_PATTERN escapes GRANT's wildcards. */
static void sql_ident(FILE *f, const char *s, int as_pattern)
{
	fputc('`', f);
	for (; *s; s++) {
		if (*s == '`')
			fputc('`', f);
		else if (as_pattern && (*s == '_' || *s == '%' || *s == '\\'))
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('`', f);
}

/* 32 characters from the kernel's random source, as pwgen's would look. */
static void random_password(char *out, size_t n)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@#%^*-_=+";
	unsigned char r[64];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		fail("could not read random bytes for MARIADB_RANDOM_ROOT_PASSWORD (%s).", strerror(errno));
	size_t k = 0;
	for (size_t i = 0; i < sizeof r && k + 1 < n; i++)
		if (r[i] < 256 - 256 % (sizeof set - 1)) /* no modulo bias */
			out[k++] = set[r[i] % (sizeof set - 1)];
	out[k] = 0;
}

static void check_name(const char *what, const char *v, size_t max)
{
	if (strlen(v) > max)
		fail("%s is %zu characters long; MariaDB allows at most %zu.", what, strlen(v), max);
	if (strpbrk(v, "\n\r"))
		fail("%s contains a line break; give a name without one.", what);
}

/* The SQL of the first boot: the package's tables, then the users. */
static void write_init_sql(const char *root_password, const char *root_host, const char *database,
			   const char *user, const char *password)
{
	int fd = open(INIT_SQL, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f)
		fail("cannot write %s (%s).", INIT_SQL, strerror(errno));
	fputs("create database if not exists mysql;\nuse mysql;\nSET @auth_root_socket=NULL;\n", f);
	for (size_t i = 0; i < sizeof package_sql / sizeof *package_sql; i++) {
		char path[256], chunk[65536];
		snprintf(path, sizeof path, SHARE "%s", package_sql[i]);
		FILE *in = fopen(path, "re");
		if (!in)
			fail("the image lacks %s (%s): it is not a MariaDB server image.", path, strerror(errno));
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
			fwrite(chunk, 1, n, f);
		fclose(in);
		fputc('\n', f);
	}
	/* The grant tables exist now: turn them on, then what the official
	 * entrypoint's docker_setup_db does. One statement per line: that is how
	 * --init-file reads them. */
	fputs("FLUSH PRIVILEGES;\n"
	      "SET @@SESSION.SQL_LOG_BIN=0;\n"
	      "SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');\n"
	      "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';\n"
	      "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');\n", f);
	if (*root_password) {
		fputs("SET PASSWORD FOR 'root'@'localhost' = PASSWORD('", f);
		sql_string(f, root_password);
		fputs("');\n", f);
	}
	if (strcmp(root_host, "localhost")) {
		fputs("CREATE USER 'root'@'", f);
		sql_string(f, root_host);
		fputs("' IDENTIFIED BY '", f);
		sql_string(f, root_password);
		fputs("';\nGRANT ALL ON *.* TO 'root'@'", f);
		sql_string(f, root_host);
		/* Not the official GRANT PROXY ON ''@'%': the init file's own account
		 * may not grant it, and an error there ends the init file. */
		fputs("' WITH GRANT OPTION;\n", f);
	}
	if (set(database)) {
		fputs("CREATE DATABASE IF NOT EXISTS ", f);
		sql_ident(f, database, 0);
		fputs(";\n", f);
	}
	if (set(user)) {
		fputs("CREATE USER '", f);
		sql_string(f, user);
		fputs("'@'%' IDENTIFIED BY '", f);
		sql_string(f, password);
		fputs("';\n", f);
		if (set(database)) {
			fputs("GRANT ALL ON ", f);
			sql_ident(f, database, 1);
			fputs(".* TO '", f);
			sql_string(f, user);
			fputs("'@'%';\n", f);
		}
	}
	/* A server killed soon after creating its data directory cannot start
	 * again (InnoDB has not yet written its system tablespace's first page;
	 * Linux shows the same). So make InnoDB flush every page and wait until
	 * its checkpoint has passed everything written so far, before recording
	 * the directory as initialised (at most 2 minutes, as long as the
	 * flushing takes under emulation). */
	fputs("SET GLOBAL innodb_max_dirty_pages_pct_lwm=0.001;\n"
	      "SET GLOBAL innodb_max_dirty_pages_pct=0;\n"
	      "DELIMITER $$\n"
	      "BEGIN NOT ATOMIC DECLARE n INT DEFAULT 0; DECLARE target BIGINT DEFAULT (SELECT VARIABLE_VALUE FROM "
	      "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='INNODB_LSN_CURRENT'); WHILE n < 1200 AND (SELECT "
	      "VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='INNODB_LSN_LAST_CHECKPOINT') < target "
	      "DO DO SLEEP(0.1); SET n = n + 1; END WHILE; END$$\n"
	      "DELIMITER ;\n"
	      "SET GLOBAL innodb_max_dirty_pages_pct=DEFAULT;\n"
	      "SET GLOBAL innodb_max_dirty_pages_pct_lwm=DEFAULT;\n"
	      "SELECT VERSION() INTO DUMPFILE '" VERSION_FILE "';\n", f);
	if (fclose(f))
		fail("cannot write %s (%s).", INIT_SQL, strerror(errno));
}

/* Create PATH durably (its data and its directory entry) with TEXT. */
static void write_marker(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd))
		fail("cannot write %s (%s).", path, strerror(errno));
	close(fd);
	int dir = open(DATADIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fsync(dir))
		fail("cannot sync %s (%s).", DATADIR, strerror(errno));
	close(dir);
}

int main(int argc, char **argv)
{
	uid_t uid = 0;
	gid_t gid = 0;
	if (lookup_user("mysql", &uid, &gid))
		fail("the image has no mysql user in /etc/passwd; its recipe must add one.");
	if (mkdir(RUNDIR, 0755) && errno != EEXIST)
		fail("cannot create %s (%s).", RUNDIR, strerror(errno));
	if (chown(RUNDIR, uid, gid))
		fail("cannot hand %s to the mysql user (%s).", RUNDIR, strerror(errno));

	char image_version[32];
	if (server_version(image_version, sizeof image_version))
		fail("cannot read the server's version from %s: the image's MariaDB is damaged or not MariaDB.", MARIADBD);

	int contents = datadir_contents();
	if (contents < 0) {
		if (mkdir(DATADIR, 0755))
			fail("cannot create %s (%s).", DATADIR, strerror(errno));
		contents = 0;
	}
	char line[128];
	int first_boot = 0;
	if (read_line(VERSION_FILE, line, sizeof line) == 0) {
		char dir_version[32];
		if (major_minor(line, dir_version, sizeof dir_version))
			fail("%s holds \"%s\", which is no MariaDB version; restore it or attach the volume to the MariaDB it came from.", VERSION_FILE, line);
		if (strcmp(dir_version, image_version))
			fail("the data directory on %s was initialised by MariaDB %s and this image runs MariaDB %s; "
			     "run it with a MariaDB %s image (upgrading needs mariadb-upgrade there), or attach an empty volume.",
			     DATADIR, dir_version, image_version, dir_version);
		unlink(MARKER); /* the first boot finished: its marker has served */
	} else if (access(MARKER, F_OK) == 0) {
		fail("the data directory on %s is half-initialised: a first boot stopped before it finished, and nothing was deleted; "
		     "attach a new empty volume (or empty this one if its data is disposable) and boot again.", DATADIR);
	} else if (contents == 0) {
		first_boot = 1;
	}

	const char *extra[3] = { NULL, NULL, NULL };
	if (first_boot) {
		const char *root_password = env("ROOT_PASSWORD");
		const char *allow_empty = getenv("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD");
		if (!allow_empty)
			allow_empty = getenv("MYSQL_ALLOW_EMPTY_PASSWORD");
		const char *random = env("RANDOM_ROOT_PASSWORD");
		const char *root_host = env("ROOT_HOST");
		const char *database = env("DATABASE");
		const char *user = env("USER");
		const char *password = env("PASSWORD");
		if (!set(root_password) && !set(allow_empty) && !set(random))
			fail("the data directory on %s is uninitialised and no root password option is given; "
			     "run with -e MARIADB_ROOT_PASSWORD=..., -e MARIADB_RANDOM_ROOT_PASSWORD=1 or -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1.", DATADIR);
		if (set(user) && !strcmp(user, "root"))
			fail("MARIADB_USER=root: root is made by MARIADB_ROOT_PASSWORD; give MARIADB_USER another name.");
		if (set(user) && !set(password))
			fail("MARIADB_USER is set without MARIADB_PASSWORD; give the user a password with -e MARIADB_PASSWORD=....");
		if (set(database))
			check_name("MARIADB_DATABASE", database, 64);
		if (set(user))
			check_name("MARIADB_USER", user, 128);
		if (set(root_host))
			check_name("MARIADB_ROOT_HOST", root_host, 255);
		char generated[33]; /* 32 characters, as the official image's pwgen gives */
		if (!set(root_password) && set(random)) {
			random_password(generated, sizeof generated);
			root_password = generated;
			printf("GENERATED ROOT PASSWORD: %s\n", generated);
			fflush(stdout);
		}
		write_init_sql(set(root_password) ? root_password : "", set(root_host) ? root_host : "%", database, user, password);
		if (chown(INIT_SQL, uid, gid) || chown(DATADIR, uid, gid))
			fail("cannot hand %s and %s to the mysql user (%s).", INIT_SQL, DATADIR, strerror(errno));
		write_marker(MARKER, "A first boot of the MariaDB image is initialising this data directory; "
				     "mysql_upgrade_info appears when it has finished.\n");
		fprintf(stderr, "mariadb-entrypoint: initialising an empty data directory on %s for MariaDB %s; "
				"the server accepts connections when it is done.\n", DATADIR, image_version);
		extra[0] = "--skip-grant-tables";
		extra[1] = "--init-file=" INIT_SQL;
	}

	/* mariadbd, ours passed through (--defaults-file and the like must come
	 * first), then the first boot's two options. */
	char **args = calloc((size_t)argc + 3, sizeof *args);
	if (!args)
		fail("out of memory.");
	int n = 0;
	args[n++] = "mariadbd";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	for (int i = 0; extra[i]; i++)
		args[n++] = (char *)extra[i];
	args[n] = NULL;
	execv(MARIADBD, args);
	fail("cannot start %s (%s).", MARIADBD, strerror(errno));
}
