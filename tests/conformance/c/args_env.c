/* Echo argv and the environment variables whose names start with CONF_,
 * then exit with the status given as argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "CONF_", 5))
			printf("env %s\n", *e);
	const char *home = getenv("CONF_HOME");
	printf("getenv(CONF_HOME)=%s\n", home ? home : "(null)");
	return argc > 1 ? atoi(argv[1]) : 0;
}
