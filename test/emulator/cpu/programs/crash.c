// Ends by a signal: abort() (SIGABRT) after printing, so both implementations must flush and stop the same way.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  printf("before abort, %d argument(s)\n", argc - 1);
  fflush(stdout);
  if (argc > 100) return 0;
  abort();
}
