/**
 * The machine configuration: what QEMU's command line describes, as data. The CLI and
 * the library both produce one of these; the machine is built from nothing else.
 */
import { DEFAULT_MEMORY_BLOCK_SIZE } from '../memory/guest-ram.js';
import type { DriveSpec } from './drive-options.js';

/** One `-device` (or `-chardev`, `-global`) as given: driver plus ordered properties. */
export interface DeviceSpec {
  /** Driver (type) name, e.g. `pci-bridge`. */
  driver: string;
  /** Properties in the order written (`id`, `bus`, `addr`, ...). */
  props: [string, string][];
}

/** A `-global driver.prop=value`. */
export interface GlobalProp {
  /** Driver the default applies to (e.g. `PIIX4_PM`). */
  driver: string;
  /** Property name. */
  prop: string;
  /** Value as written. */
  value: string;
}

/** A `-netdev TYPE,id=ID,...`: only QEMU's `user` backend is modelled. */
export interface NetdevSpec {
  /** Backend type. */
  type: 'user';
  /** Netdev id (what `-device ...,netdev=` names). */
  id: string;
  /** Further properties as written (accepted and ignored by the user backend). */
  props: [string, string][];
}

/** A `-object QOM-TYPE,id=ID,...` (QMP object-add takes the same). */
export interface ObjectSpec {
  /** QOM type, e.g. `memory-backend-ram`. */
  qomType: string;
  /** Object id. */
  id: string;
  /** Properties as written. */
  props: [string, string][];
}

/** A `-fw_cfg name=NAME,string=TEXT` file. */
export interface FwCfgFileSpec {
  /** fw_cfg file name (QEMU wants user files under `opt/`). */
  name: string;
  /** Contents. */
  data: string;
}

/** A QMP monitor: which chardev it sits on. */
export interface MonitorSpec {
  /** Chardev id. */
  chardev: string;
  /** Only `control` (QMP) is supported; `readline` HMP is not. */
  mode: 'control';
  /** Pretty-printed JSON (QEMU's `pretty=on`). */
  pretty: boolean;
}

/** A chardev as given: `-chardev` options, or the legacy shorthand of `-qmp unix:PATH,...` with its label. */
export type ChardevOption = { kind: 'options'; value: string } | { kind: 'compat'; label: string; value: string };

/** How the RTC starts. */
export interface RtcSpec {
  /** `utc`, `localtime`, or an ISO date like `2006-06-17T16:01:21`. */
  base: string;
}

/** Everything needed to build a machine. */
export interface MachineConfig {
  /** Machine type (only `pc`: i440FX + PIIX3/PIIX4). */
  type: 'pc';
  /** Guest name (`-name`). */
  name: string;
  /** Boot RAM in bytes (`-m`). */
  ramSize: number;
  /** DIMM slots (`-m slots=`). */
  memorySlots: number;
  /** Maximum RAM including hot-plugged DIMMs (`-m maxmem=`). */
  maxMem: number;
  /** Memory block size (our `-machine memory-block-size=`; Linux's block_size_bytes). */
  memoryBlockSize: number;
  /** vCPUs at boot and the maximum (`-smp cpus=,maxcpus=`). */
  cpus: number;
  /** Maximum vCPUs. */
  maxCpus: number;
  /** Seed of the machine's PRNG. */
  seed: number;
  /** RTC start. */
  rtc: RtcSpec;
  /** `-S`: stay in prelaunch until QMP `cont`. */
  startPaused: boolean;
  /** `-no-shutdown`: a guest power-off stops the VM instead of exiting. */
  noShutdown: boolean;
  /** `-nodefaults`: no default devices. */
  noDefaults: boolean;
  /** Kernel command line (-append), handed to the guest through fw_cfg. */
  append: string;
  /** `-global` defaults. */
  globals: GlobalProp[];
  /** Chardevs to open before the machine is built, in command-line order. */
  chardevs: ChardevOption[];
  /** `-device` specs in order. */
  devices: DeviceSpec[];
  /** `-drive` specs in order (see drive-options.ts; `size=` is qga-sim's in-memory disk). */
  drives: DriveSpec[];
  /** QMP monitors. */
  monitors: MonitorSpec[];
  /** `-netdev` backends (and those `-nic` creates), in command-line order. */
  netdevs: NetdevSpec[];
  /** `-object` instances (memory backends), created before the devices. */
  objects: ObjectSpec[];
  /** `-fw_cfg name=...,string=...` files. */
  fwCfgFiles: FwCfgFileSpec[];
  /**
   * The qemu-ga version the guest image ships (our `--qga-version`: 1.0, 1.2, 1.5, 2.2,
   * 2.5 or 7.2). Not hardware: the guest loader installs that build; the VMM never reads it.
   */
  qgaVersion: string;
}

/** 1 GiB. */
const GiB = 1024 ** 3;

/** Defaults as `qga-sim` with no options uses them (before the default devices are added). */
export function defaultMachineConfig(): MachineConfig {
  return {
    type: 'pc',
    name: 'qga-sim',
    ramSize: 2 * GiB,
    memorySlots: 0,
    maxMem: 2 * GiB,
    memoryBlockSize: DEFAULT_MEMORY_BLOCK_SIZE,
    cpus: 4,
    maxCpus: 4,
    seed: 1,
    rtc: { base: 'utc' },
    startPaused: false,
    noShutdown: false,
    noDefaults: false,
    append: '',
    globals: [],
    chardevs: [],
    devices: [],
    drives: [],
    monitors: [],
    netdevs: [],
    objects: [],
    fwCfgFiles: [],
    qgaVersion: '7.2',
  };
}

/** Looks up a global default for driver.prop. */
export function globalFor(cfg: Pick<MachineConfig, 'globals'>, driver: string, prop: string): string | undefined {
  let v: string | undefined;
  for (const g of cfg.globals) if (g.driver === driver && g.prop === prop) v = g.value;
  return v;
}
