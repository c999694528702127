/**
 * The firmware: reads the platform description from fw_cfg, enumerates every PCI root
 * through config cycles, assigns resources, routes interrupts, sets up the ACPI PM
 * block, and leaves a hand-off block in guest RAM for the kernel. It runs on the CPU
 * bus only; it never sees a device object.
 */
import {
  DEBUGCON_PORT,
  E820_ENTRY_SIZE,
  E820_RESERVED,
  FW_CFG_FILE_E820,
  FW_CFG_FILE_HOST_BRIDGES,
  FW_CFG_FILE_SYSTEM_STATES,
  FW_CFG_MAX_CPUS,
  FW_CFG_NB_CPUS,
  FW_CFG_CMDLINE_DATA,
  FW_CFG_CMDLINE_SIZE,
  INTX_ROUTED_BY_PIRQ,
  SYSTEM_STATE_ENABLED,
  SYSTEM_STATE_SLP_TYP_MASK,
  decodeHostBridges,
  type HostBridgeEntry,
} from '../src/abi/fw-cfg.js';
import { HANDOFF_ADDRESS, HANDOFF_MAX_SIZE, encodeHandoff, type Handoff, type HandoffPciFunction, type HandoffSleepState } from '../src/abi/handoff.js';
import { PCI_INTERRUPT_LINE, PCI_SUBORDINATE_BUS } from '../src/abi/pci.js';
import type { CpuBus } from '../src/machine/cpu-bus.js';
import { ecamConfigAccess, portConfigAccess, type ConfigAccess } from './pci-config.js';
import { enumerateRoot, walkFunctions, type FoundBus, type FoundFunction } from './pci-enumerate.js';
import { assignResources } from './pci-resources.js';
import { FwCfgClient } from './fw-cfg-client.js';
import { readMemoryInfo } from './memory.js';
import { setupRtcAndResume } from './rtc.js';
import { ACPI_FACS_ADDRESS, ACPI_FACS_LENGTH } from '../src/abi/acpi.js';
import { PIRQ_ISA_IRQS, setupChipset, type ChipsetSetup } from './chipset.js';

/** What a firmware run did, for the machine's trace and for tests. */
export interface FirmwareReport {
  /** The hand-off as written to RAM. */
  handoff: Handoff;
  /** Config cycles issued, per segment. */
  configCycles: Record<number, number>;
  /** Problems found (resources that did not fit, missing platform files). */
  errors: string[];
  /** Set when this run resumes the OS from S3: the FACS waking vector to jump to. */
  wakingVector?: number;
}

/** Runs the firmware over the CPU bus; throws only when fw_cfg itself is missing. */
export function runFirmware(bus: CpuBus): FirmwareReport {
  const log = (s: string) => {
    for (const c of new TextEncoder().encode(s + '\n')) bus.out(DEBUGCON_PORT, 1, c);
  };
  const fw = new FwCfgClient(bus);
  if (!fw.present()) throw new Error('firmware: fw_cfg not found');
  const errors: string[] = [];
  const rtcSetup = setupRtcAndResume(bus, log);
  const hosts = decodeHostBridges(fw.readFile(FW_CFG_FILE_HOST_BRIDGES) ?? new Uint8Array());
  if (hosts.length === 0) errors.push('no host bridges published');

  const pci: HandoffPciFunction[] = [];
  const configCycles: Record<number, number> = {};
  let chipset: ChipsetSetup = { pmBase: 0, sciGsi: 0, pirqGsi: [] };
  for (const host of hosts) {
    const cfg = accessFor(bus, host);
    const { root, lastBus } = enumerateRoot(cfg, host.busStart, host.busEnd);
    const res = assignResources(cfg, root, host);
    errors.push(...res.errors.map((e) => `segment ${host.segment}: ${e}`));
    routeIntx(cfg, root, host);
    // After routing: the PM function's SCI is wired to IRQ 9, not through a PIRQ.
    if (host.segment === 0) chipset = setupChipset(cfg, root);
    const fns = walkFunctions(root);
    for (const f of fns) pci.push(toHandoff(cfg, host.segment, f));
    configCycles[host.segment] = cfg.cycles;
    log(`PCI: segment ${host.segment}: ${fns.length} functions on buses ${host.busStart}-${lastBus}`);
  }

  const handoff: Handoff = {
    e820: readE820(fw),
    cpus: readCpus(fw),
    pciRoots: hosts.map((h) => ({ segment: h.segment, busStart: h.busStart, busEnd: h.busEnd, ecamBase: h.ecamBase })),
    pci,
    acpi: { pmBase: chipset.pmBase, sciGsi: chipset.sciGsi },
    sleep: readSleepStates(fw),
    cmdline: readCmdline(fw),
    ...readMemoryInfo(fw),
    ...(rtcSetup.rtc ? { rtc: rtcSetup.rtc } : {}),
    facs: ACPI_FACS_ADDRESS,
  };
  const block = encodeHandoff(handoff);
  bus.writeBytes(HANDOFF_ADDRESS, block);
  log(`hand-off: ${block.length} bytes at 0x${HANDOFF_ADDRESS.toString(16)}`);
  for (const e of errors) log(`error: ${e}`);
  return { handoff, configCycles, errors, ...(rtcSetup.wakingVector !== undefined ? { wakingVector: rtcSetup.wakingVector } : {}) };
}

function accessFor(bus: CpuBus, host: HostBridgeEntry): ConfigAccess {
  // Segment 0 keeps the legacy mechanism every PC firmware starts with; other segments
  // exist only behind their ECAM windows.
  if (host.segment === 0) return portConfigAccess(bus);
  return ecamConfigAccess(bus, host.segment, host.ecamBase, host.busStart);
}

/** Writes each function's interrupt-line register with the GSI its INTx pin reaches. */
function routeIntx(cfg: ConfigAccess, root: FoundBus, host: HostBridgeEntry): void {
  const visit = (bus: FoundBus, up: (slot: number, pin0: number) => number) => {
    for (const f of bus.functions) {
      if (f.irqPin >= 1 && f.irqPin <= 4) cfg.write(f.bus, f.slot, f.fn, PCI_INTERRUPT_LINE, 1, up(f.slot, f.irqPin - 1));
      if (f.child) visit(f.child, (slot, pin0) => up(f.slot, (slot + pin0) & 3));
    }
  };
  visit(root, (slot, pin0) => {
    if (host.intxGsiBase !== INTX_ROUTED_BY_PIRQ) return host.intxGsiBase + ((slot + pin0) & 3);
    // PIIX3 wires device slot s, pin p to PIRQ (s - 1 + p) mod 4, as QEMU's i440fx does.
    return PIRQ_ISA_IRQS[(slot - 1 + pin0) & 3]!;
  });
}

function toHandoff(cfg: ConfigAccess, segment: number, f: FoundFunction): HandoffPciFunction {
  const out: HandoffPciFunction = {
    domain: segment,
    bus: f.bus,
    slot: f.slot,
    fn: f.fn,
    vendor: f.vendor,
    device: f.device,
    subsystemVendor: f.subsystemVendor,
    subsystem: f.subsystem,
    classCode: f.classCode,
    revision: f.revision,
    headerType: f.headerType,
    irqPin: f.irqPin,
    irqLine: f.irqPin ? cfg.read(f.bus, f.slot, f.fn, PCI_INTERRUPT_LINE, 1) : 0xff,
    bars: f.bars.filter((b) => b.base !== 0).map((b) => ({ index: b.index, kind: b.kind, prefetchable: b.prefetchable, base: b.base, size: b.size })),
  };
  if (f.child) {
    const sub = cfg.read(f.bus, f.slot, f.fn, PCI_SUBORDINATE_BUS, 1);
    out.bridge = { primary: f.bus, secondary: f.child.number, subordinate: sub };
  }
  return out;
}

// The boot loader's job: fetch -append's text for the kernel.
function readCmdline(fw: FwCfgClient): string {
  const size = new DataView(fw.readItem(FW_CFG_CMDLINE_SIZE, 4).buffer).getUint32(0, true);
  if (size === 0) return '';
  const bytes = fw.readItem(FW_CFG_CMDLINE_DATA, Math.min(size, CMDLINE_MAX));
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Longest command line the boot loader passes on (Linux's COMMAND_LINE_SIZE on x86). */
const CMDLINE_MAX = 2048;

function readE820(fw: FwCfgClient): Handoff['e820'] {
  const raw = fw.readFile(FW_CFG_FILE_E820) ?? new Uint8Array();
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Handoff['e820'] = [];
  for (let o = 0; o + E820_ENTRY_SIZE <= raw.length; o += E820_ENTRY_SIZE) {
    out.push({ base: Number(dv.getBigUint64(o, true)), length: Number(dv.getBigUint64(o + 8, true)), type: dv.getUint32(o + 16, true) });
  }
  // The hand-off block and the FACS must not be handed out as free memory.
  out.push({ base: HANDOFF_ADDRESS, length: HANDOFF_MAX_SIZE, type: E820_RESERVED });
  out.push({ base: ACPI_FACS_ADDRESS, length: ACPI_FACS_LENGTH, type: E820_RESERVED });
  return out;
}

function readCpus(fw: FwCfgClient): Handoff['cpus'] {
  const u16 = (b: Uint8Array) => b[0]! | (b[1]! << 8);
  return { boot: u16(fw.readItem(FW_CFG_NB_CPUS, 2)), max: u16(fw.readItem(FW_CFG_MAX_CPUS, 2)) };
}

function readSleepStates(fw: FwCfgClient): Handoff['sleep'] {
  const raw = fw.readFile(FW_CFG_FILE_SYSTEM_STATES);
  const st = (i: number, dflt: HandoffSleepState): HandoffSleepState => {
    if (!raw || raw.length <= i) return dflt;
    return { enabled: (raw[i]! & SYSTEM_STATE_ENABLED) !== 0, slpTyp: raw[i]! & SYSTEM_STATE_SLP_TYP_MASK };
  };
  return { s3: st(3, { enabled: false, slpTyp: 1 }), s4: st(4, { enabled: false, slpTyp: 2 }), s5: { enabled: true, slpTyp: 0 } };
}
