// The VFIO container (/dev/vfio/vfio): API version, extensions, SET_IOMMU and, once an IOMMU backend is set, its
// ioctls (type 1: GET_INFO, MAP_DMA, UNMAP_DMA).
import type { OpenFile, UserContext } from '../linux/files';
import type { HostKernel } from '../host/kernel';
import type { VfioGroup } from './group';
import { Type1Iommu, type1Supports } from './type1';
import { LINUX_FLAGS, VFIO_API_VERSION, VFIO_EXTENSION, VFIO_IOCTL } from './uapi';
import { ERRNO } from '../linux/errno';

export class VfioContainer implements OpenFile {
  readonly name = 'vfio container';
  flags = LINUX_FLAGS.O_RDWR;
  readonly groups: VfioGroup[] = [];
  iommu: Type1Iommu | undefined;

  constructor(readonly kernel: HostKernel) {}

  ioctl(request: number, arg: number, proc: UserContext): number {
    switch (request) {
      case VFIO_IOCTL.GET_API_VERSION:
        return VFIO_API_VERSION;
      case VFIO_IOCTL.CHECK_EXTENSION:
        return this.iommu ? this.iommu.checkExtension(arg) : type1Supports(arg) ? 1 : 0;
      case VFIO_IOCTL.SET_IOMMU:
        return this.setIommu(arg);
    }
    // Everything else belongs to the IOMMU backend; without one the container answers EINVAL.
    return this.iommu ? this.iommu.ioctl(proc, request, arg) : -ERRNO.EINVAL;
  }

  private setIommu(type: number): number {
    if (this.groups.length === 0 || this.iommu) return -ERRNO.EINVAL;
    if (type !== VFIO_EXTENSION.TYPE1_IOMMU && type !== VFIO_EXTENSION.TYPE1v2_IOMMU && type !== VFIO_EXTENSION.TYPE1_NESTING_IOMMU) return -ERRNO.ENODEV;
    const iommu = new Type1Iommu(this.kernel, type);
    for (const group of this.groups) {
      const r = iommu.attachGroup(group);
      if (r < 0) {
        iommu.release();
        return r;
      }
    }
    this.iommu = iommu;
    return 0;
  }

  /** GROUP_SET_CONTAINER: with a backend already set, the group joins its domains at once. */
  attachGroup(group: VfioGroup): number {
    if (this.iommu) {
      const r = this.iommu.attachGroup(group);
      if (r < 0) return r;
    }
    this.groups.push(group);
    return 0;
  }

  detachGroup(group: VfioGroup): void {
    const i = this.groups.indexOf(group);
    if (i < 0) return;
    this.groups.splice(i, 1);
    this.iommu?.detachGroup(group);
    // The last group leaving takes the IOMMU backend with it.
    if (this.groups.length === 0 && this.iommu) {
      this.iommu.release();
      this.iommu = undefined;
    }
  }

  close(): void {
    for (const g of [...this.groups]) {
      g.container = undefined;
      this.detachGroup(g);
    }
  }
}
