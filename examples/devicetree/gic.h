/* GIC interrupt specifier cells, as the kernel's dt-bindings/interrupt-controller/arm-gic.h names them. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH 4
