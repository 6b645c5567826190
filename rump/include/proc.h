/* The one process this kernel runs (syscalls/exec.c, boot.c). */
#pragma once
#include "types.h"

struct vma;
const char *proc_exe_path(void);          /* the program's path in the image */
const char *proc_comm(void);              /* its name (comm): the file name it was started by, 15 bytes at most */
const char *proc_vma_name(struct vma *v); /* the mapped file's path, or the region's name */
/* The app's argv and envp strings on its stack, [start, end) each (0s before it starts). */
void proc_arg_area(vaddr_t *arg_start, vaddr_t *arg_end, vaddr_t *env_start, vaddr_t *env_end);
/* Load the program from the image and enter it in a new app thread; does not return. */
__noreturn void proc_start(void);
