// The VFIO userspace API of include/uapi/linux/vfio.h as data: ioctl numbers, flags and the armhf structure layouts
// (little-endian; u64 fields 8-byte aligned). The kernel side (container, group, device) and user programs (tests,
// an emulated process) encode and decode through these tables only.

/** _IO(';', 100 + n): no size or direction is encoded. */
const vfioIo = (n: number): number => (0x3b << 8) | (100 + n);

export const VFIO_IOCTL = {
  GET_API_VERSION: vfioIo(0),
  CHECK_EXTENSION: vfioIo(1),
  SET_IOMMU: vfioIo(2),
  GROUP_GET_STATUS: vfioIo(3),
  GROUP_SET_CONTAINER: vfioIo(4),
  GROUP_UNSET_CONTAINER: vfioIo(5),
  GROUP_GET_DEVICE_FD: vfioIo(6),
  DEVICE_GET_INFO: vfioIo(7),
  DEVICE_GET_REGION_INFO: vfioIo(8),
  DEVICE_GET_IRQ_INFO: vfioIo(9),
  DEVICE_SET_IRQS: vfioIo(10),
  DEVICE_RESET: vfioIo(11),
  IOMMU_GET_INFO: vfioIo(12),
  IOMMU_MAP_DMA: vfioIo(13),
  IOMMU_UNMAP_DMA: vfioIo(14),
} as const;

export const VFIO_API_VERSION = 0;

export const VFIO_EXTENSION = {
  TYPE1_IOMMU: 1,
  SPAPR_TCE_IOMMU: 2,
  TYPE1v2_IOMMU: 3,
  DMA_CC_IOMMU: 4,
  EEH: 5,
  TYPE1_NESTING_IOMMU: 6,
  SPAPR_TCE_v2_IOMMU: 7,
  NOIOMMU_IOMMU: 8,
  UNMAP_ALL: 9,
  UPDATE_VADDR: 10,
} as const;

export const VFIO_GROUP_FLAGS = { VIABLE: 1, CONTAINER_SET: 2 } as const;
export const VFIO_DEVICE_FLAGS = { RESET: 1, PCI: 2, PLATFORM: 4, AMBA: 8, CCW: 16, AP: 32, FSL_MC: 64, CAPS: 128 } as const;
export const VFIO_REGION_INFO_FLAGS = { READ: 1, WRITE: 2, MMAP: 4, CAPS: 8 } as const;
export const VFIO_IRQ_INFO_FLAGS = { EVENTFD: 1, MASKABLE: 2, AUTOMASKED: 4, NORESIZE: 8 } as const;
export const VFIO_IRQ_SET_FLAGS = {
  DATA_NONE: 1, DATA_BOOL: 2, DATA_EVENTFD: 4, ACTION_MASK: 8, ACTION_UNMASK: 0x10, ACTION_TRIGGER: 0x20,
} as const;
export const VFIO_IRQ_SET_DATA_TYPE_MASK = 0x7;
export const VFIO_IRQ_SET_ACTION_TYPE_MASK = 0x38;
export const VFIO_DMA_MAP_FLAGS = { READ: 1, WRITE: 2, VADDR: 4 } as const;
export const VFIO_DMA_UNMAP_FLAGS = { GET_DIRTY_BITMAP: 1, ALL: 2, VADDR: 4 } as const;
export const VFIO_IOMMU_INFO_FLAGS = { PGSIZES: 1, CAPS: 2 } as const;
export const VFIO_IOMMU_TYPE1_INFO_CAP = { IOVA_RANGE: 1, MIGRATION: 2, DMA_AVAIL: 3 } as const;
/** vfio-platform region offsets: index << 40 in the device file. */
export const VFIO_PLATFORM_OFFSET_SHIFT = 40;

export type FieldType = 'u16' | 'u32' | 's32' | 'u64';

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, { readonly offset: number; readonly type: FieldType }>>;
}

function layout(name: string, size: number, fields: [string, number, FieldType][]): StructLayout {
  return { name, size, fields: Object.fromEntries(fields.map(([f, offset, type]) => [f, { offset, type }])) };
}

export const VFIO_STRUCTS = {
  group_status: layout('vfio_group_status', 8, [['argsz', 0, 'u32'], ['flags', 4, 'u32']]),
  device_info: layout('vfio_device_info', 20, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['num_regions', 8, 'u32'], ['num_irqs', 12, 'u32'], ['cap_offset', 16, 'u32']]),
  region_info: layout('vfio_region_info', 32, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['index', 8, 'u32'], ['cap_offset', 12, 'u32'], ['size', 16, 'u64'], ['offset', 24, 'u64']]),
  irq_info: layout('vfio_irq_info', 16, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['index', 8, 'u32'], ['count', 12, 'u32']]),
  irq_set: layout('vfio_irq_set', 20, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['index', 8, 'u32'], ['start', 12, 'u32'], ['count', 16, 'u32']]),
  iommu_type1_info: layout('vfio_iommu_type1_info', 24, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['iova_pgsizes', 8, 'u64'], ['cap_offset', 16, 'u32']]),
  dma_map: layout('vfio_iommu_type1_dma_map', 32, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['vaddr', 8, 'u64'], ['iova', 16, 'u64'], ['size', 24, 'u64']]),
  dma_unmap: layout('vfio_iommu_type1_dma_unmap', 24, [['argsz', 0, 'u32'], ['flags', 4, 'u32'], ['iova', 8, 'u64'], ['size', 16, 'u64']]),
  cap_header: layout('vfio_info_cap_header', 8, [['id', 0, 'u16'], ['version', 2, 'u16'], ['next', 4, 'u32']]),
  cap_iova_range: layout('vfio_iommu_type1_info_cap_iova_range', 16, [['nr_iovas', 8, 'u32'], ['reserved', 12, 'u32']]),
  iova_range: layout('vfio_iova_range', 16, [['start', 0, 'u64'], ['end', 8, 'u64']]),
  cap_migration: layout('vfio_iommu_type1_info_cap_migration', 32, [['flags', 8, 'u32'], ['pgsize_bitmap', 16, 'u64'], ['max_dirty_bitmap_size', 24, 'u64']]),
  cap_dma_avail: layout('vfio_iommu_type1_info_dma_avail', 12, [['avail', 8, 'u32']]),
} as const;

/** Byte offset just past a field: the kernel's `offsetofend`, which decides each ioctl's minimum argsz. */
export function offsetofend(s: StructLayout, field: string): number {
  const f = s.fields[field];
  return f.offset + (f.type === 'u64' ? 8 : f.type === 'u16' ? 2 : 4);
}

export type StructValues = Record<string, bigint>;

/** Decodes the fields of a struct that lie within the first `length` bytes (others read as 0). */
export function decodeStruct(s: StructLayout, bytes: Uint8Array, length = bytes.length): StructValues {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: StructValues = {};
  for (const [name, f] of Object.entries(s.fields)) {
    const end = f.offset + (f.type === 'u64' ? 8 : f.type === 'u16' ? 2 : 4);
    if (end > length) out[name] = 0n;
    else if (f.type === 'u64') out[name] = view.getBigUint64(f.offset, true);
    else if (f.type === 'u16') out[name] = BigInt(view.getUint16(f.offset, true));
    else if (f.type === 's32') out[name] = BigInt(view.getInt32(f.offset, true));
    else out[name] = BigInt(view.getUint32(f.offset, true));
  }
  return out;
}

/** Encodes values into a struct image (fields beyond `length` are not written). */
export function encodeStruct(s: StructLayout, values: Partial<Record<string, bigint | number>>, into = new Uint8Array(s.size), length = into.length): Uint8Array {
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  for (const [name, value] of Object.entries(values)) {
    const f = s.fields[name];
    if (!f || value === undefined) continue;
    const v = BigInt(value);
    const end = f.offset + (f.type === 'u64' ? 8 : f.type === 'u16' ? 2 : 4);
    if (end > length) continue;
    if (f.type === 'u64') view.setBigUint64(f.offset, BigInt.asUintN(64, v), true);
    else if (f.type === 'u16') view.setUint16(f.offset, Number(BigInt.asUintN(16, v)), true);
    else view.setUint32(f.offset, Number(BigInt.asUintN(32, v)), true);
  }
  return into;
}

/** Linux errno values (asm-generic) that the model returns negated, as system calls do. */
/** armhf constants a VFIO program passes to open, mmap and eventfd. */
export const LINUX_FLAGS = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CLOEXEC: 0x80000, EFD_NONBLOCK: 0x800, EFD_CLOEXEC: 0x80000,
  MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_ANONYMOUS: 0x20, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4,
} as const;
