import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { defaultMachineConfig, type DeviceSpec } from '../../src/machine/config.js';
import { DeviceError } from '../../src/machine/device-registry.js';
import { ChardevRegistry } from '../../src/chardev/registry.js';
import { NullChardev } from '../../src/chardev/null.js';
import { VirtioSerialPci } from '../../devices/virtio-pci/virtio-serial-pci.js';

function machine(devices: DeviceSpec[], chardevs?: ChardevRegistry): Machine {
  const cfg = defaultMachineConfig();
  cfg.ramSize = cfg.maxMem = 256 * 1024 * 1024;
  cfg.devices = devices;
  return new Machine(cfg, chardevs ? { chardevs } : {});
}

function dev(driver: string, ...props: [string, string][]): DeviceSpec {
  return { driver, props };
}

function serials(m: Machine): VirtioSerialPci[] {
  return m.devices.map((d) => d.pci).filter((p): p is VirtioSerialPci => p instanceof VirtioSerialPci);
}

function fails(devices: DeviceSpec[], message: string, chardevs?: ChardevRegistry): void {
  let err: unknown;
  try {
    machine(devices, chardevs);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DeviceError);
  expect((err as Error).message).toBe(message);
}

describe('-device virtio-serial-pci and its variants', () => {
  it('properties: max_ports, emergency-write, vectors, disable-legacy, disable-modern, class, id, addr', () => {
    const m = machine([dev('virtio-serial-pci', ['id', 'vser0'], ['addr', '5'], ['max_ports', '3'], ['emergency-write', 'off'], ['vectors', '4'], ['disable-legacy', 'on'], ['class', '0x0380'])]);
    const d = serials(m)[0]!;
    expect(d.slot).toBe(5);
    expect(d.qdevId).toBe('vser0');
    expect(d.serial.maxPorts).toBe(3);
    expect(d.serial.emergencyWrite).toBe(false);
    expect(d.msixVectors).toBe(4);
    expect(d.mode).toEqual({ legacy: false, modern: true });
    expect(d.serial.busName).toBe('vser0.0');
  });

  it('disable-legacy=auto is transitional on this conventional bus', () => {
    expect(serials(machine([dev('virtio-serial-pci', ['disable-legacy', 'auto'])]))[0]!.mode).toEqual({ legacy: true, modern: true });
  });

  it('both interfaces disabled is QEMU\'s realize error', () => {
    fails([dev('virtio-serial-pci', ['disable-legacy', 'on'], ['disable-modern', 'on'])], 'device cannot work as neither modern nor legacy mode is enabled');
  });

  it('a bad OnOffAuto value and the variants\' missing mode properties are rejected', () => {
    fails([dev('virtio-serial-pci', ['disable-legacy', 'maybe'])], "Parameter 'disable-legacy' does not accept value 'maybe'");
    fails([dev('virtio-serial-pci-transitional', ['disable-legacy', 'on'])], "Property 'virtio-serial-pci-transitional.disable-legacy' not found");
    fails([dev('virtio-serial-pci-non-transitional', ['disable-modern', 'on'])], "Property 'virtio-serial-pci-non-transitional.disable-modern' not found");
  });

  it('max_ports out of range gives virtio-serial\'s realize errors', () => {
    fails([dev('virtio-serial-pci', ['max_ports', '0'])], 'Maximum number of serial ports not specified');
    fails([dev('virtio-serial-pci', ['max_ports', '512'])], 'maximum ports supported: 511');
  });

  it('id-less devices get virtio-serial-bus.0, .1, ... in creation order; ids give <id>.0', () => {
    const m = machine([dev('virtio-serial-pci'), dev('virtio-serial-pci', ['id', 'v']), dev('virtio-serial-pci')]);
    expect(serials(m).map((d) => d.serial.busName)).toEqual(['virtio-serial-bus.0', 'v.0', 'virtio-serial-bus.1']);
  });
});

describe('-device virtserialport / virtconsole', () => {
  it('plugs into the first virtio-serial bus by default; bus= picks another; chardev= binds a host side', () => {
    const chardevs = new ChardevRegistry();
    chardevs.add(new NullChardev('c0'));
    const m = machine(
      [
        dev('virtio-serial-pci'),
        dev('virtio-serial-pci', ['id', 'v']),
        dev('virtserialport', ['chardev', 'c0'], ['name', 'org.qemu.guest_agent.0'], ['id', 'qga0']),
        dev('virtconsole', ['bus', 'v.0']),
        dev('virtserialport', ['bus', 'v.0'], ['nr', '5']),
      ],
      chardevs,
    );
    const [a, b] = serials(m);
    expect(a!.serial.ports.map((p) => [p.nr, p.name, p.qdevId, p.chardev?.id])).toEqual([[1, 'org.qemu.guest_agent.0', 'qga0', 'c0']]);
    expect(b!.serial.ports.map((p) => [p.type, p.nr])).toEqual([
      ['virtconsole', 0],
      ['virtserialport', 5],
    ]);
  });

  it('no virtio-serial bus at all', () => {
    fails([dev('virtserialport')], "No 'virtio-serial-bus' bus found for device 'virtserialport'");
    fails([dev('virtconsole')], "No 'virtio-serial-bus' bus found for device 'virtconsole'");
  });

  it('an unknown bus, and a PCI bus', () => {
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['bus', 'nope.0'])], "Bus 'nope.0' not found");
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['bus', 'pci.0'])], "Device 'virtserialport' can't go on PCI bus");
  });

  it('chardev lookups: unknown id, and a chardev already taken by another port', () => {
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['chardev', 'x'])], "Property 'virtserialport.chardev' can't find value 'x'");
    const chardevs = new ChardevRegistry();
    chardevs.add(new NullChardev('c0'));
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['chardev', 'c0']), dev('virtconsole', ['chardev', 'c0'])], "Property 'virtconsole.chardev' can't take value 'c0': Device 'c0' is in use", chardevs);
  });

  it('virtio-serial\'s port errors: id 0 reserved, duplicate names across devices, PCI-only properties', () => {
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['nr', '0'])], 'Port number 0 on virtio-serial devices reserved for virtconsole devices for backward compatibility.');
    fails(
      [dev('virtio-serial-pci'), dev('virtio-serial-pci', ['id', 'v']), dev('virtserialport', ['name', 'n']), dev('virtserialport', ['bus', 'v.0'], ['name', 'n'])],
      'virtio-serial-bus: A port already exists by name n',
    );
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['addr', '3'])], "Property 'virtserialport.addr' not found");
    fails([dev('virtio-serial-pci'), dev('virtserialport', ['speed', '3'])], "Property 'virtserialport.speed' not found");
  });
});
