/* The console's input side: the app's stdin from COM1, buffered by the UART
 * receive interrupt (rump/dev/console.c). kernel.h has the output side. */
#pragma once
#include "types.h"

struct pollhead;

/* Route COM1's receive interrupt (IRQ 4) and start buffering input. */
void console_input_start(void);
/* Up to N bytes of input into BUF (kernel or app memory). Blocks until some
 * arrive unless NONBLOCK (-EAGAIN then); 0 once input has ended. */
long console_input_read(void *buf, size_t n, bool nonblock);
/* EPOLLIN|EPOLLRDNORM while input is pending, EPOLLHUP once it has ended (as a pipe). */
unsigned console_input_poll(void);
size_t console_input_pending(void);      /* bytes buffered (FIONREAD) */
/* The host says input ends after TOTAL bytes in all (CONTRACT.md: stdin-eof). */
void console_input_eof(uint64_t total);
/* Tell PH (an open console file's) whenever input readiness changes. */
int console_watch(struct pollhead *ph);
void console_unwatch(struct pollhead *ph);
