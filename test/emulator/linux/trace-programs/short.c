// A short program for instruction-by-instruction comparison: glibc start-up, a little arithmetic, printf, exit.
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  unsigned h = 5381;
  for (int i = 0; i < 64; i++) h = h * 33 ^ (unsigned)i;
  char text[64];
  snprintf(text, sizeof text, "%u %d %.3f", h, argc, h / 7.0);
  printf("%s %zu %s\n", text, strlen(text), argv[0] ? "argv" : "none");
  return (int)(h & 7);
}
