/* lwIP's compiler/platform port for the uninode kernel: types come from the
 * freestanding compiler headers, diagnostics go to the kernel log, assertions
 * panic, randomness comes from the kernel's generator. */
#pragma once
#include "types.h"

/* ssize_t is the kernel's (64-bit); tell lwIP not to invent one. */
#define SSIZE_MAX INT64_MAX
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1

/* printf formats for lwIP's debug messages (u32_t is unsigned int here). */
#define X8_F "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

#define LWIP_PLATFORM_DIAG(x) do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert(x, __FILE__, __LINE__)

#define LWIP_RAND() lwip_port_rand()

/* rump/net/port.c */
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void lwip_port_assert(const char *msg, const char *file, int line);
unsigned lwip_port_rand(void);
