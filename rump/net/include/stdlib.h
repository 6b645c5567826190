/* <stdlib.h> for lwIP: memory comes from the kernel heap through lwipopts.h;
 * netif_find() parses interface numbers with atoi. */
#pragma once
#include <stddef.h>

static inline int atoi(const char *s)
{
	int v = 0, neg = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}
