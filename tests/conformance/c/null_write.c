/* Write through a NULL pointer: Linux kills the program with SIGSEGV; the
 * image must report the fault and the address, and exit non-zero. */
#include <stdio.h>

int main(void)
{
	printf("about to write to NULL\n");
	fflush(stdout);
	volatile int *p = (volatile int *)0;
	*p = 42;
	printf("still alive?\n");
	return 0;
}
