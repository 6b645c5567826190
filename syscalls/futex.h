/* Futex calls other kernel code makes (thread exit wakes CLONE_CHILD_CLEARTID). */
#pragma once
#include "syscalls.h"

long futex_wake(uint32_t *uaddr, int n, uint32_t bitset);
