/* The smallest program: one line on stdout, one on stderr, exit 0. */
#include <stdio.h>

int main(void)
{
	printf("hello from uninode\n");
	fprintf(stderr, "a line on stderr\n");
	return 0;
}
