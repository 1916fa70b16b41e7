// Runs an emulated ARM Linux process on the host-kernel model (emulator/host): /dev/vfio and the sysfs files of the
// binding flow are the model's own open files, the process's pages come from the model's frame allocator, and it
// runs on the machine's timeline, so a blocked read or poll lets the machine run until an interrupt signals an
// eventfd.
import type { HostKernel } from '../host/kernel';
import type { Timeline } from '../machine/clock';
import type { FrameSource } from './address-space';
import type { DeviceFiles } from './files';

export interface HostKernelHooks {
  readonly devices: DeviceFiles;
  readonly frames: FrameSource;
  readonly timeline: Timeline;
}

/** Device files, frames and the timeline of a process that runs on `kernel`. */
export function hostKernelHooks(kernel: HostKernel): HostKernelHooks {
  return {
    devices: {
      open: (path, flags) => (path.startsWith('/dev/vfio/') || path.startsWith('/sys/') ? kernel.open(path, flags) : undefined),
      readlink(path) {
        const target = kernel.readlink(path);
        return typeof target === 'number' ? undefined : target;
      },
    },
    frames: {
      allocate: () => kernel.frames.allocPage(),
      release: (physical) => kernel.frames.freePage(physical),
    },
    timeline: kernel.machine,
  };
}
