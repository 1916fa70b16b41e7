// Generated code: write ARM and Thumb instructions into an executable mapping, run them, rewrite them, run again
// (the emulator must drop its decoded copy of a page when the page is written).
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

typedef int (*fn)(int);

static void emit_arm(uint32_t *code, int constant) {
  code[0] = 0xe2800000u | (uint32_t)(constant & 0xff);  // add r0, r0, #constant
  code[1] = 0xe12fff1eu;                                  // bx lr
  __builtin___clear_cache((char *)code, (char *)(code + 2));
}

static void emit_thumb(uint16_t *code, int constant) {
  code[0] = (uint16_t)(0x3000u | (constant & 0xff));     // adds r0, #constant
  code[1] = 0x4770u;                                      // bx lr
  __builtin___clear_cache((char *)code, (char *)(code + 2));
}

int main(void) {
  uint8_t *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  uint32_t *arm = (uint32_t *)page;
  uint16_t *thumb = (uint16_t *)(page + 2048);
  int total = 0;
  for (int i = 1; i <= 20; i++) {
    emit_arm(arm, i);
    total += ((fn)(uintptr_t)arm)(1000);
    emit_thumb(thumb, 3 * i);
    total += ((fn)((uintptr_t)thumb | 1))(2000);
  }
  printf("jit total %d\n", total);
  return 0;
}
