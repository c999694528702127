/**
 * virtio 1.2 §5.3 Console Device: device id, virtqueues (§5.3.2), feature bits (§5.3.3) and
 * the configuration layout (§5.3.4), with QEMU's max_ports limits and its emergency write.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_ID_CONSOLE,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  featureBit,
  hasFeature,
} from '../../src/abi/virtio.js';
import {
  VIRTIO_CONSOLE_CFG_COLS,
  VIRTIO_CONSOLE_CFG_EMERG_WR,
  VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
  VIRTIO_CONSOLE_CFG_ROWS,
  VIRTIO_CONSOLE_F_EMERG_WRITE,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_F_SIZE,
} from '../../src/abi/virtio-console.js';
import { createChardevPipe } from '../../src/chardev/index.js';
import { createTestMemory } from '../../src/testkit/index.js';
import { VirtioSerial } from '../../devices/virtio-serial/device.js';
import { VSER_ERR, VirtioSerialError } from '../../devices/virtio-serial/errors.js';
import { SerialRig, settle } from './harness.js';

const RING = [VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX, VIRTIO_F_NOTIFY_ON_EMPTY, VIRTIO_F_ANY_LAYOUT];

describe('5.3.1 Device ID', () => {
  it('is 3 (console)', () => {
    expect(new VirtioSerial({ mem: createTestMemory() }).deviceId).toBe(VIRTIO_ID_CONSOLE);
  });
});

describe('5.3.2 Virtqueues', () => {
  it('QEMU realize: port 0 in/out, control in/out, then two per port: 2*(max_ports+1) queues', () => {
    const dev = new VirtioSerial({ mem: createTestMemory() });
    expect(dev.queues).toHaveLength(64);
    expect(dev.queues.map((q) => q.maxSize)).toEqual([128, 128, 32, 32, ...new Array<number>(60).fill(128)]);
  });

  it('max_ports=1 has only port 0 and the (unused) control pair', () => {
    expect(new VirtioSerial({ mem: createTestMemory(), maxPorts: 1 }).queues).toHaveLength(4);
  });

  it('QEMU: max_ports=511 is the largest, using all 1024 queues', () => {
    expect(new VirtioSerial({ mem: createTestMemory(), maxPorts: 511 }).queues).toHaveLength(1024);
  });
});

describe('QEMU virtio_serial_device_realize errors', () => {
  it('max_ports=0: "Maximum number of serial ports not specified"', () => {
    expect(() => new VirtioSerial({ mem: createTestMemory(), maxPorts: 0 })).toThrow(new VirtioSerialError('Maximum number of serial ports not specified'));
  });

  it('max_ports=512: "maximum ports supported: 511"', () => {
    expect(() => new VirtioSerial({ mem: createTestMemory(), maxPorts: 512 })).toThrow(VirtioSerialError);
    expect(() => new VirtioSerial({ mem: createTestMemory(), maxPorts: 512 })).toThrow('maximum ports supported: 511');
    expect(VSER_ERR.tooManyPorts()).toBe('maximum ports supported: 511');
  });
});

describe('5.3.3 Feature bits', () => {
  it('QEMU get_features: MULTIPORT and EMERG_WRITE with the default 31 ports; never F_SIZE', () => {
    const f = new VirtioSerial({ mem: createTestMemory() }).hostFeatures;
    expect(hasFeature(f, VIRTIO_CONSOLE_F_MULTIPORT)).toBe(true);
    expect(hasFeature(f, VIRTIO_CONSOLE_F_EMERG_WRITE)).toBe(true);
    expect(hasFeature(f, VIRTIO_CONSOLE_F_SIZE)).toBe(false);
  });

  it('QEMU get_features: MULTIPORT only when max_ports > 1', () => {
    expect(hasFeature(new VirtioSerial({ mem: createTestMemory(), maxPorts: 1 }).hostFeatures, VIRTIO_CONSOLE_F_MULTIPORT)).toBe(false);
    expect(hasFeature(new VirtioSerial({ mem: createTestMemory(), maxPorts: 2 }).hostFeatures, VIRTIO_CONSOLE_F_MULTIPORT)).toBe(true);
  });

  it('offers the ring features QEMU offers; VERSION_1 is left to the transport', () => {
    const f = new VirtioSerial({ mem: createTestMemory() }).hostFeatures;
    for (const bit of RING) expect(hasFeature(f, bit)).toBe(true);
    expect(hasFeature(f, VIRTIO_F_VERSION_1)).toBe(false);
    const known = RING.reduce((m, b) => m | featureBit(b), featureBit(VIRTIO_CONSOLE_F_MULTIPORT) | featureBit(VIRTIO_CONSOLE_F_EMERG_WRITE));
    expect(f & ~known).toBe(0n);
  });

  it('emergency-write=off (machine types <= 2.7): no EMERG_WRITE and an 8-byte config', () => {
    const dev = new VirtioSerial({ mem: createTestMemory(), emergencyWrite: false });
    expect(hasFeature(dev.hostFeatures, VIRTIO_CONSOLE_F_EMERG_WRITE)).toBe(false);
    expect(dev.configSize).toBe(8);
    expect(dev.readConfig(8, 4)).toBe(0xffff_ffff);
  });
});

describe('5.3.4 Device configuration layout', () => {
  it('QEMU get_config: cols 0, rows 0, max_nr_ports = max_ports, emerg_wr reads 0; 12 bytes', () => {
    const dev = new VirtioSerial({ mem: createTestMemory(), maxPorts: 7 });
    expect(dev.configSize).toBe(12);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_COLS, 2)).toBe(0);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_ROWS, 2)).toBe(0);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4)).toBe(7);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4)).toBe(0);
  });

  it('cols, rows and max_nr_ports are read-only: driver writes do not stick', () => {
    const dev = new VirtioSerial({ mem: createTestMemory() });
    dev.writeConfig(VIRTIO_CONSOLE_CFG_COLS, 2, 80);
    dev.writeConfig(VIRTIO_CONSOLE_CFG_ROWS, 2, 25);
    dev.writeConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4, 5);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_COLS, 2)).toBe(0);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_ROWS, 2)).toBe(0);
    expect(dev.readConfig(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4)).toBe(31);
  });
});

describe('5.3.6.1 Driver Requirements: emerg_wr (QEMU set_config)', () => {
  it('the low byte goes to the first host-connected console and emerg_wr reads back 0', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('con', { connect: true });
    await settle();
    rig.dev.addPort({ type: 'virtconsole', chardev });
    const got: number[] = [];
    host.on('data', (b) => got.push(...b));
    rig.dev.writeConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 0x41);
    rig.dev.writeConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 1, 0x42);
    await settle();
    expect(got).toEqual([0x41, 0x42]);
    expect(rig.dev.readConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4)).toBe(0);
    expect(rig.dev.stats().emergencyBytes).toBe(2);
    expect(rig.dev.ports[0]!.stats().guestToHostBytes).toBe(2);
  });

  it('QEMU: a short write to a higher emerg_wr byte sends the (zero) low byte', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('con', { connect: true });
    await settle();
    rig.dev.addPort({ type: 'virtconsole', chardev });
    const got: number[] = [];
    host.on('data', (b) => got.push(...b));
    rig.dev.writeConfig(VIRTIO_CONSOLE_CFG_EMERG_WR + 1, 1, 0x41);
    await settle();
    expect(got).toEqual([0]);
  });

  it('without a host-connected console the byte is dropped, counted and traced', () => {
    const rig = new SerialRig();
    rig.dev.addPort({ name: 'not-a-console' });
    rig.dev.writeConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 0x41);
    expect(rig.dev.stats()).toMatchObject({ emergencyBytes: 0, emergencyDropped: 1 });
    expect(rig.lines).toContain('emergency write 0x41 dropped: no host-connected console');
    expect(rig.dev.readConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4)).toBe(0);
  });

  it('skips a console without a chardev (never host-connected) for the next one', async () => {
    const rig = new SerialRig();
    const { chardev, host } = createChardevPipe('con2', { connect: true });
    await settle();
    rig.dev.addPort({ type: 'virtconsole' });
    rig.dev.addPort({ type: 'virtconsole', chardev });
    const got: number[] = [];
    host.on('data', (b) => got.push(...b));
    rig.dev.writeConfig(VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 0x21);
    await settle();
    expect(got).toEqual([0x21]);
  });
});
