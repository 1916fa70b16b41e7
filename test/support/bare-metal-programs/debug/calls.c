/* A call chain for the kernel debugger's tests, booted as a kernel: built with -g (a DWARF line table) and
   -funwind-tables (an EHABI index, as Linux's CONFIG_ARM_UNWIND builds have). The tests find lines by the markers in
   the comments. */
#include "../runtime.h"

/* The index entries name the ABI's personality routine 0 (the compact model), which only an exception-throwing
   runtime calls: none here, as in Linux, which defines it empty too. */
void __aeabi_unwind_cpp_pr0(void) {}

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

/* A leaf: no frame of its own, its return address stays in lr. */
__attribute__((noipa)) u32 leaf(u32 x) {
  u32 y = x * 3; /* LEAF */
  return y + 1;
}

__attribute__((noipa)) u32 middle(u32 x) {
  u32 a = leaf(x); /* MIDDLE CALL */
  return leaf(a) + 2;
}

int main(void) {
  u32 r = middle(5); /* MAIN CALL */
  put("result", r);
  return 0;
}
