/* Opens the library named by argv[1] with dlopen, as plugins and NSS modules are opened, and
 * prints what its function argv[2] (taking nothing, returning a string) returns. A failure
 * prints dlerror()'s message, the loader's own words, and exits 1. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: dlopen_call LIBRARY FUNCTION\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (lib == NULL) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  const char *(*fn)(void) = (const char *(*)(void))dlsym(lib, argv[2]);
  if (fn == NULL) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  printf("%s\n", fn());
  return 0;
}
