// qsort calling back into C: the call stack at the comparator runs through the C library.
#include <stdio.h>
#include <stdlib.h>

static int calls;

static int compare(const void *a, const void *b) {
  calls++;
  return *(const int *)a - *(const int *)b;
}

int main(void) {
  int v[] = {5, 3, 9, 1, 7, 2, 8};
  qsort(v, 7, sizeof v[0], compare);
  printf("%d %d\n", v[0], calls > 0);
  return 0;
}
