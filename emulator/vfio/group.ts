// A VFIO group (/dev/vfio/N): one IOMMU group's devices, opened once, set into a container, giving device fds.
import type { OpenFile, UserContext } from '../linux/files';
import type { HostKernel, IommuGroup } from '../host/kernel';
import { VfioContainer } from './container';
import { LINUX_FLAGS, VFIO_GROUP_FLAGS, VFIO_IOCTL, VFIO_STRUCTS } from './uapi';
import { ERRNO } from '../linux/errno';
import { copyStructToUser, readIoctlArg } from './user';

export class VfioGroup {
  opened = false;
  container: VfioContainer | undefined;

  constructor(readonly kernel: HostKernel, readonly iommuGroup: IommuGroup) {}

  get id(): number {
    return this.iommuGroup.id;
  }

  /** Opening a group that is already open is EBUSY, as in the kernel. */
  open(): OpenFile | number {
    if (this.opened) return -ERRNO.EBUSY;
    this.opened = true;
    return new VfioGroupFile(this);
  }

  /** Device fds hold the container; UNSET_CONTAINER is refused while one is open. */
  get devicesOpen(): boolean {
    return this.iommuGroup.devices.some((d) => d.vfio?.opened);
  }

  unsetContainer(): void {
    this.container?.detachGroup(this);
    this.container = undefined;
  }
}

class VfioGroupFile implements OpenFile {
  readonly name: string;
  flags = LINUX_FLAGS.O_RDWR;

  constructor(private readonly group: VfioGroup) {
    this.name = `/dev/vfio/${group.id}`;
  }

  ioctl(request: number, arg: number, proc: UserContext): number {
    const group = this.group;
    switch (request) {
      case VFIO_IOCTL.GROUP_GET_STATUS: {
        const s = VFIO_STRUCTS.group_status;
        const a = readIoctlArg(proc, arg, s, 'flags');
        if (typeof a === 'number') return a;
        const flags = (group.iommuGroup.viable ? VFIO_GROUP_FLAGS.VIABLE : 0) | (group.container ? VFIO_GROUP_FLAGS.CONTAINER_SET : 0);
        return copyStructToUser(proc, arg, s, { argsz: a.values.argsz, flags }, a.minsz);
      }
      case VFIO_IOCTL.GROUP_SET_CONTAINER: {
        const bytes = proc.readMemory(arg, 4);
        if (!bytes) return -ERRNO.EFAULT;
        const fd = new DataView(bytes.buffer).getInt32(0, true);
        if (fd < 0) return -ERRNO.EINVAL;
        const file = proc.file(fd);
        if (!file) return -ERRNO.EBADF;
        if (!(file instanceof VfioContainer) || group.container) return -ERRNO.EINVAL;
        // Claiming DMA ownership fails while a device of the group has a non-VFIO driver.
        if (!group.iommuGroup.viable) return -ERRNO.EBUSY;
        const r = file.attachGroup(group);
        if (r < 0) return r;
        group.container = file;
        return 0;
      }
      case VFIO_IOCTL.GROUP_UNSET_CONTAINER:
        if (!group.container) return -ERRNO.EINVAL;
        if (group.devicesOpen) return -ERRNO.EBUSY;
        group.unsetContainer();
        return 0;
      case VFIO_IOCTL.GROUP_GET_DEVICE_FD: {
        const name = proc.readString(arg);
        if (name === undefined) return -ERRNO.EFAULT;
        const device = group.iommuGroup.devices.find((d) => d.name === name && d.vfio);
        if (!device?.vfio) return -ERRNO.ENODEV;
        if (!group.container?.iommu) return -ERRNO.EINVAL;
        return proc.installFile(device.vfio.open());
      }
    }
    return -ERRNO.ENOTTY;
  }

  close(): void {
    if (!this.group.devicesOpen) this.group.unsetContainer();
    this.group.opened = false;
  }
}
