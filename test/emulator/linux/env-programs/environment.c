// Prints how many variables the environment holds, then each variable named on the command line (or that it is
// unset), and the whole environment sorted (qemu-arm passes its own in reverse order; Linux keeps the order).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_text(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  int count = 0;
  while (environ[count]) count++;
  printf("%d variables\n", count);
  for (int i = 1; i < argc; i++) {
    const char *value = getenv(argv[i]);
    if (value) printf("%s='%s'\n", argv[i], value);
    else printf("%s is unset\n", argv[i]);
  }
  qsort(environ, count, sizeof *environ, by_text);
  for (int i = 0; i < count; i++) printf("[%s]\n", environ[i]);
  return 0;
}
