// What the debug adapter speaks and the launch attributes it takes, for `dmalab dap --help` and `node dist/dap.js --help`.
import { SCENARIOS } from '../scenarios/registry';

export const LAUNCH_HELP = `Speaks the Debug Adapter Protocol on stdin and stdout until the client disconnects. Launch arguments are those of a
'dmalab' launch configuration (type "dmalab", request "launch"), one of four kinds:
  a PL330 program    program (a .pl330 file), channel (0..7 or "manager"), nonSecure, entry, memory, pl330
                     (channels, peripherals, events, dataWidth, mfifoLines, revision, eventsNonSecure,
                     peripheralsNonSecure), peripheralRequests ({ "2": "burst*4,last@100" }), maxCycles
  an ARM executable  program (an armhf/armel Linux ELF), args, workspace (the directory it sees as /), sysroot
                     (where a dynamic one's loader and libraries are: DIR/lib), env (changes to its environment:
                     NAME to a value, or to null to remove it), strictSyscalls, maxInstructions
  a VFIO scenario    scenario (${Object.keys(SCENARIOS).join(', ')}), device
  a Linux kernel     kernel (an Image or zImage), dtb, initrd, append, cpus, passthrough (DMACs given to the kernel
                     as a guest, e.g. ["2c0a0000.dma"]), symbols (a System.map or vmlinux; else the kernel's kallsyms)
and for all of them: platform (a .dts or .dtb describing the machine), dmac (which DMA-330 of it), stopOnEntry,
trace, sourceMap (or its alias sourceFileMap: path prefixes in the debug information to local directories,
{ "/build/linux-6.1": "/home/me/linux-source-6.1" }).`;
