/* Starting a program: the ELF loader and initial stack (exec.c), shared by
 * the boot (boot.c) and execve (execve.c). */
#pragma once
#include "syscalls.h"
#include "elf.h"

struct file;

/* Strings one after another, each with its NUL (argv or envp, in order). */
struct strvec {
	char *buf;
	size_t len, cap;
	int n;
};
/* Append S (LEN bytes, without its NUL); 0 or -ENOMEM. */
int strvec_push(struct strvec *v, const char *s, size_t len);
void strvec_free(struct strvec *v);

/* An executable opened and checked, not yet mapped. */
struct elf_image {
	struct file *f;               /* a reference */
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;               /* eh.e_phnum entries (kmalloc'd) */
	char *interp;                 /* PT_INTERP's path (kmalloc'd), or NULL */
	bool exec_stack;              /* no PT_GNU_STACK, or one asking for PF_X */
};

/* Where a mapped image landed. */
struct loaded {
	vaddr_t base, entry, phdr;
	uint16_t phnum;
};

#define EXEC_HEAD 256   /* the bytes of a file execve looks at first (Linux's BINPRM_BUF_SIZE) */

/* Check F as an ELF executable (HEAD: its first EXEC_HEAD bytes, zero-filled
 * past its end) and read its program headers and PT_INTERP into IMG, taking
 * a reference to F. BAD is the error for a file that is no such executable:
 * -ENOEXEC for the program, -ELIBBAD for its interpreter. */
int elf_check(struct file *f, const uint8_t *head, int bad, bool is_interp, struct elf_image *img);
void elf_image_free(struct elf_image *img);
/* Map IMG's segments into the (fresh) address space: ld.so wherever mmap puts
 * it, a PIE at Linux's non-ASLR base; the program also gets its break. */
int elf_map(struct elf_image *img, bool is_interp, struct loaded *out);
/* Map the stack and the vDSO and lay out argc, ARGV, ENVP and the auxiliary
 * vector as Linux does (EXECFN is AT_EXECFN's string); returns the initial
 * rsp, or -ENOMEM. */
long exec_build_stack(const struct loaded *prog, const struct loaded *interp, bool exec_stack,
		      const struct strvec *argv, const struct strvec *envp, const char *execfn);
/* The new program's facts for /proc: its file's path and its name (comm,
 * the first 15 bytes of NAME). Both are copied. */
void exec_set_identity(const char *exe_path, const char *name);
