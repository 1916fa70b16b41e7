// Copies stdin to stdout in upper case and counts the bytes.
#include <stdio.h>
int main(void){ int c, n = 0; while ((c = getchar()) != EOF) { putchar(c >= 'a' && c <= 'z' ? c - 32 : c); n++; } printf("[%d]\n", n); return 0; }
