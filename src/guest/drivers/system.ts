/**
 * The platform devices a guest kernel sets up before it probes PCI, as Linux does from ACPI
 * and its memory map: the CPUs (secondary CPUs started through the local APIC), the memory
 * blocks of boot RAM, the ACPI memory hotplug device, and the network stack with the static
 * configuration the machine passes in fw_cfg (read before any NIC registers).
 */
import { FW_CFG_FILE_NETWORK, NET_CONFIG_MAX_BYTES, parseNetConfig } from '../../abi/net-config.js';
import type { Kernel } from '../kernel/index.js';
import { netStackOf, type NetStack } from '../kernel/net/stack.js';
import type { GuestPlatform } from '../platform/platform.js';
import { AcpiMemoryHotplug } from './acpi-memhp/driver.js';
import { registerCpuFiles } from './cpu/files.js';
import { CpuHotplug } from './cpu/hotplug.js';
import { GuestLapic } from './cpu/lapic.js';
import { GuestFwCfg } from './fw-cfg/reader.js';
import { DEFAULT_BLOCK_SIZE, MemoryBlocks } from './memory/blocks.js';
import { registerMemoryFiles } from './memory/files.js';

/** What probeSystemDevices set up. */
export interface SystemDevices {
  /** CPU masks and hotplug. */
  cpus: CpuHotplug;
  /** Memory blocks. */
  memory: MemoryBlocks;
  /** The ACPI memory hotplug device, when firmware described one. */
  memoryHotplug: AcpiMemoryHotplug | undefined;
  /** The network stack. */
  net: NetStack;
}

const byKernel = new WeakMap<Kernel, SystemDevices>();

/** The system devices of a booted kernel. */
export function systemDevicesOf(kernel: Kernel): SystemDevices | undefined {
  return byKernel.get(kernel);
}

/** Sets up CPUs, memory blocks, memory hotplug and the network configuration. */
export function probeSystemDevices(platform: GuestPlatform): SystemDevices {
  const { kernel, handoff } = platform;
  const cpus = new CpuHotplug(handoff.cpus, new GuestLapic(platform.env.cpu), kernel);
  registerCpuFiles(kernel, cpus);
  cpus.bootSecondaries();

  const memory = new MemoryBlocks(kernel, handoff.memory?.blockSize ?? DEFAULT_BLOCK_SIZE, platform.alloc);
  memory.addBootMemory(handoff.e820);
  registerMemoryFiles(kernel.sysfs, memory);
  startUdevMemoryRule(platform, memory);
  const hp = handoff.memory?.hotplug;
  const memoryHotplug = hp && hp.slots > 0 ? new AcpiMemoryHotplug(platform, memory, hp) : undefined;
  memoryHotplug?.start();

  const net = netStackOf(kernel);
  const raw = new GuestFwCfg(platform.env.cpu).file(FW_CFG_FILE_NETWORK, NET_CONFIG_MAX_BYTES);
  if (raw) net.configure(parseNetConfig(new TextDecoder().decode(raw)));

  const sys = { cpus, memory, memoryHotplug, net };
  byKernel.set(kernel, sys);
  return sys;
}

/**
 * Debian's udev rule for hot-added memory (SUBSYSTEM=="memory", ACTION=="add",
 * ATTR{state}=="offline", ATTR{state}="online"): new blocks are onlined from userspace,
 * shortly after the kernel announces them.
 */
function startUdevMemoryRule(platform: GuestPlatform, memory: MemoryBlocks): void {
  memory.onChange((b, ev) => {
    if (ev !== 'add' || b.state !== 'offline') return;
    platform.env.sched.after(0, 'udev memory online', () => {
      if (b.state === 'offline') memory.online(b.id);
    });
  });
}
