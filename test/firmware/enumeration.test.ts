import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig, type DeviceSpec } from '../../src/machine/config.js';
import { HANDOFF_ADDRESS, HANDOFF_HEADER_SIZE, decodeHandoffHeader, type Handoff } from '../../src/abi/handoff.js';
import { PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_INTERRUPT_LINE, PCI_SECONDARY_BUS, PCI_SUBORDINATE_BUS } from '../../src/abi/pci.js';

const dev = (driver: string, props: Record<string, string>): DeviceSpec => ({ driver, props: Object.entries(props) });

/** Three levels of bridges in domain 0 and two levels in domain 1, with endpoints at each depth. */
function twoDomainMachine(): Machine {
  const cfg = defaultMachineConfig();
  cfg.devices = [
    dev('pci-bridge', { id: 'br1', chassis_nr: '1', addr: '5' }),
    dev('pci-bridge', { id: 'br2', chassis_nr: '2', bus: 'br1', addr: '3' }),
    dev('pci-bridge', { id: 'br3', chassis_nr: '3', bus: 'br2', addr: '1' }),
    dev('pci-testdev', { id: 't0', addr: '6' }),
    dev('pci-testdev', { id: 't1', bus: 'br1', addr: '4' }),
    dev('pci-testdev', { id: 't3', bus: 'br3', addr: '7', membar: '2M' }),
    dev('pci-root-complex', { id: 'pcie.1', domain: '1' }),
    dev('pci-bridge', { id: 'br10', chassis_nr: '10', bus: 'pcie.1', addr: '2' }),
    dev('pci-bridge', { id: 'br11', chassis_nr: '11', bus: 'br10', addr: '0' }),
    dev('pci-testdev', { id: 'u1', bus: 'br11', addr: '3' }),
    dev('pci-testdev', { id: 'u0', bus: 'pcie.1', addr: '4' }),
  ];
  return new Machine(cfg).boot();
}

function readHandoff(m: Machine): Handoff {
  const hdr = m.cpuBus.readBytes(HANDOFF_ADDRESS, HANDOFF_HEADER_SIZE);
  const h = decodeHandoffHeader(hdr);
  if ('error' in h) throw new Error(h.error);
  return JSON.parse(new TextDecoder().decode(m.cpuBus.readBytes(HANDOFF_ADDRESS + HANDOFF_HEADER_SIZE, h.length))) as Handoff;
}

describe('firmware enumerates a three-level bridge tree across two domains through config cycles', () => {
  it('numbers buses depth-first: secondary in discovery order, subordinate = last bus below', () => {
    const m = twoDomainMachine();
    const ho = readHandoff(m);
    const bridges = ho.pci.filter((f) => f.bridge).map((f) => `${f.domain}:${f.bus}:${f.slot} -> ${f.bridge!.secondary}-${f.bridge!.subordinate}`);
    expect(bridges).toEqual(['0:0:5 -> 1-3', '0:1:3 -> 2-3', '0:2:1 -> 3-3', '1:0:2 -> 1-2', '1:1:0 -> 2-2']);
    // The registers really hold those numbers (the VMM never assigns them itself).
    const br3 = m.hosts[0]!.allFunctions().find((l) => l.fn.qdevId === 'br3')!;
    expect(br3.busNumber).toBe(2);
    expect(br3.fn.config.get8(PCI_SECONDARY_BUS)).toBe(3);
    expect(br3.fn.config.get8(PCI_SUBORDINATE_BUS)).toBe(3);
  });

  it('finds every endpoint at its depth, in both domains', () => {
    const ho = readHandoff(twoDomainMachine());
    const testdevs = ho.pci.filter((f) => f.vendor === 0x1b36 && f.device === 0x0005).map((f) => `${f.domain}:${f.bus}:${f.slot}.${f.fn}`);
    // Depth-first: a bridge's subtree is walked before the next slot on its bus.
    expect(testdevs).toEqual(['0:3:7.0', '0:1:4.0', '0:0:6.0', '1:2:3.0', '1:0:4.0']);
    expect(ho.pciRoots.map((r) => r.segment)).toEqual([0, 1]);
  });

  it('assigns BARs inside each root complex window, naturally aligned, and enables decoding', () => {
    const m = twoDomainMachine();
    const ho = readHandoff(m);
    for (const f of ho.pci.filter((x) => x.device === 0x0005)) {
      for (const b of f.bars) {
        expect(b.base % b.size).toBe(0);
        if (f.domain === 0 && b.kind === 'io') expect(b.base).toBeGreaterThanOrEqual(0xc000);
        if (f.domain === 1 && b.kind === 'mem32') expect(b.base >= 0xe800_0000 && b.base < 0xec00_0000).toBe(true);
      }
      expect(f.bars.map((b) => b.kind).sort()).toEqual(f.bars.length === 3 ? ['io', 'mem32', 'mem64'] : ['io', 'mem32']);
    }
    const t3 = m.hosts[0]!.allFunctions().find((l) => l.fn.qdevId === 't3')!.fn;
    expect(t3.config.get16(PCI_COMMAND) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)).toBe(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    // A BAR behind three bridges answers at the address firmware gave it.
    const bar0 = ho.pci.find((f) => f.domain === 0 && f.bus === 3 && f.slot === 7)!.bars.find((b) => b.index === 0)!;
    m.cpuBus.store(bar0.base + 8, 4, 0xcafe_f00d);
    expect(m.cpuBus.load(bar0.base + 8, 4)).toBe(0xcafe_f00d);
  });

  it('routes INTx with the bridge swizzle to the PIIX PIRQs (domain 0) and the fixed GSIs (domain 1)', () => {
    const m = twoDomainMachine();
    const ho = readHandoff(m);
    const line = (d: number, b: number, s: number) => ho.pci.find((f) => f.domain === d && f.bus === b && f.slot === s)!.irqLine;
    // pci-testdev has no INTx pin; bridges have INTA.
    // br1 at 00:05 INTA → PIRQ (5-1+0)&3 = 0 → IRQ 10.
    expect(line(0, 0, 5)).toBe(10);
    // br2 at 01:03 INTA swizzles through br1 (slot 5): pin (3+0)&3=3 at slot 5 → PIRQ (5-1+3)&3=3 → 11.
    expect(line(0, 1, 3)).toBe(11);
    // Domain 1: br10 at 00:02 INTA → GSI 16 + (2+0)&3 = 18.
    expect(line(1, 0, 2)).toBe(18);
    const br2 = m.hosts[0]!.allFunctions().find((l) => l.fn.qdevId === 'br2')!.fn;
    expect(br2.config.get8(PCI_INTERRUPT_LINE)).toBe(11);
  });

  it('hands the kernel the RAM map, CPU counts and sleep states (S3/S4 off with -global PIIX4_PM.disable_s3/4)', () => {
    const cfg = defaultMachineConfig();
    cfg.globals = [{ driver: 'PIIX4_PM', prop: 'disable_s3', value: '1' }];
    const ho = readHandoff(new Machine(cfg).boot());
    expect(ho.sleep.s3.enabled).toBe(false);
    expect(ho.sleep.s4).toEqual({ enabled: true, slpTyp: 2 });
    expect(ho.cpus).toEqual({ boot: 4, max: 4 });
    expect(ho.e820.filter((e) => e.type === 1).reduce((a, e) => a + e.length, 0)).toBe(2 * 1024 ** 3);
    expect(ho.acpi).toEqual({ pmBase: 0xb000, sciGsi: 9 });
    const both = defaultMachineConfig();
    both.globals = [
      { driver: 'PIIX4_PM', prop: 'disable_s3', value: '1' },
      { driver: 'PIIX4_PM', prop: 'disable_s4', value: '1' },
    ];
    const h2 = readHandoff(new Machine(both).boot());
    expect([h2.sleep.s3.enabled, h2.sleep.s4.enabled]).toEqual([false, false]);
  });

  it('reaches domain 0 through 0xCF8/0xCFC and domain 1 only through ECAM', () => {
    const m = twoDomainMachine();
    expect(m.firmware!.configCycles[0]).toBeGreaterThan(0);
    expect(m.firmware!.configCycles[1]).toBeGreaterThan(0);
    expect(m.firmware!.errors).toEqual([]);
  });
});
