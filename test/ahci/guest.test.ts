/**
 * The guest's ahci driver against ich9-ahci in a booted machine: HBA reset and AHCI enable
 * (AHCI 1.3 §10.1.2), port bring-up with COMRESET (§10.4.2) and signature classification,
 * commands through the command list with MSI or INTx completion (§5.5, §10.7), recovery from
 * a task file error as libata EH does it (§6.2.2), and the Linux sysfs layout of the disks.
 */
import { describe, expect, it } from 'vitest';
import { ahciControllers, createAhciDriver } from '../../src/guest/drivers/ahci/index.js';
import { ataPiixDriver } from '../../src/guest/drivers/ata-piix/index.js';
import { scsiAddHost, scsiHosts } from '../../src/guest/drivers/scsi/index.js';
import type { ScsiResult } from '../../src/guest/drivers/scsi/types.js';
import { bootAtaRig, pattern, sameBytes, type AtaRig } from '../ide/machine.js';

const HBA = '/devices/pci0000:00/0000:00:1f.2';

function sgio(rig: AtaRig, host: number, cdb: number[]): ScsiResult {
  let r: ScsiResult | undefined;
  scsiHosts(rig.os.kernel)[host]!.execute({ channel: 0, id: 0, lun: 0 }, Uint8Array.from(cdb), 'none', undefined, (x) => (r = x), 0);
  for (let i = 0; i < 100 && !r; i++) rig.step();
  if (!r) throw new Error('command never completed');
  return r;
}

describe('ahci beside ata_piix: numbering and sysfs', () => {
  const rig = bootAtaRig({
    io: true,
    drives: ['if=none,id=ide,size=16M', 'if=none,id=sata,size=1G'],
    devices: ['ide-hd,drive=ide,bus=ide.0', 'pci-testdev,addr=1f.0,multifunction=on', 'ich9-ahci,id=ahci,addr=1f.2', 'ide-hd,drive=sata,bus=ahci.0'],
  });

  it('numbers the AHCI ports ata3..ata8 after ata_piix\'s two, one SCSI host each (host2..host7)', () => {
    expect(rig.os.bound.get('0000:00:1f.2')).toBe('ahci');
    for (let n = 3; n <= 8; n++) expect(rig.sys(`${HBA}/ata${n}/host${n - 1}/scsi_host/host${n - 1}/proc_name`)).toBe('ahci\n');
    expect(rig.lines).toContain('kernel: ahci 0000:00:1f.2: AHCI 0001.0000 32 slots 6 ports 1.5 Gbps 0x3f impl SATA mode');
  });

  it('puts the IDE disk at .../01.1/ata1/host0/.../sda and the SATA disk at .../1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdb', () => {
    expect(rig.exists('/devices/pci0000:00/0000:00:01.1/ata1/host0/target0:0:0/0:0:0:0/block/sda')).toBe(true);
    expect(rig.exists(`${HBA}/ata3/host2/target2:0:0/2:0:0:0/block/sdb`)).toBe(true);
    expect(rig.sys('/block/sdb/size')).toBe('2097152\n');
    expect(rig.sys('/block/sdb/device/model').trim()).toBe('QEMU HARDDISK');
  });

  it('§10.4.2: a port with a disk reports the link up after COMRESET, the empty ones link down and no disk', () => {
    expect(rig.lines).toContain('kernel: ata3: SATA link up 1.5 Gbps (SStatus 113 SControl 300)');
    expect(rig.lines).toContain('kernel: ata4: SATA link down (SStatus 0 SControl 300)');
    expect(rig.lines).toContain('kernel: ata3.00: configured for UDMA/133');
    expect(rig.exists(`${HBA}/ata4/host3/target3:0:0`)).toBe(false);
    expect(rig.exists('/block/sdc')).toBe(false);
  });
});

describe('ahci: I/O with MSI (§5.5 command processing, §10.7 interrupts)', () => {
  const rig = bootAtaRig({ io: true, drives: ['if=none,id=d0,size=1G'], devices: ['ich9-ahci,id=ahci', 'ide-hd,drive=d0,bus=ahci.2'] });
  const img = rig.image('d0');

  it('takes MSI and moves writes and reads between sda and the image', () => {
    const ctl = ahciControllers(rig.os.kernel)[0]!;
    expect(ctl.irq).toBe('msi');
    expect(rig.io('sda', 'write', 8, 64, pattern(64, 4))).toBeUndefined();
    expect(sameBytes(img.read(8, 64), pattern(64, 4))).toBe(true);
    img.write(1000, pattern(300, 8));
    const buf = new Uint8Array(300 * 512);
    expect(rig.io('sda', 'read', 1000, 300, buf)).toBeUndefined();
    expect(sameBytes(buf, pattern(300, 8))).toBe(true);
    expect(ctl.ports.get(2)!.stats.interrupts).toBeGreaterThan(0);
    expect(rig.lines.some((l) => l.includes('ahci port 2: slot 0: READ DMA (0xc8) lba 1000 count 256'))).toBe(true);
  });

  it('discards become TRIM and flushes FLUSH CACHE EXT, both reaching the image', () => {
    const s0 = img.stats();
    expect(rig.io('sda', 'discard', 8, 64)).toBeUndefined();
    expect(rig.io('sda', 'flush', 0, 0)).toBeUndefined();
    expect(img.stats().discards).toBe(s0.discards + 1);
    expect(img.stats().discardedSectors).toBe(s0.discardedSectors + 64);
    expect(img.stats().flushes).toBe(s0.flushes + 1);
  });

  it('§6.2.2: a command the disk aborts (task file error) is failed with ABORTED COMMAND, the port recovers and keeps working', () => {
    const host = scsiHosts(rig.os.kernel).findIndex((h) => h.template.sysfsParent.endsWith('/ata5'));
    const r = sgio(rig, host, [0x85, 3 << 1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x60, 0]);
    expect(r.status).toBe(2);
    expect([r.sense![2]! & 0xf, r.sense![3]]).toEqual([0x0b, 0x04]);
    expect(rig.lines.some((l) => l.startsWith('kernel: ata5: exception: irq_stat 0x40000001'))).toBe(true);
    const buf = new Uint8Array(512);
    expect(rig.io('sda', 'read', 8, 1, buf)).toBeUndefined();
  });
});

describe('ahci with MSI off: INTx', () => {
  it('routes the HBA interrupt through its INTx line and still completes I/O', () => {
    const rig = bootAtaRig({ drives: ['if=none,id=d0,size=8M'], devices: ['ich9-ahci,id=ahci', 'ide-hd,drive=d0,bus=ahci.0'], drivers: [ataPiixDriver, createAhciDriver({ addHost: scsiAddHost, msi: false })] });
    expect(ahciControllers(rig.os.kernel)[0]!.irq).toBe('intx');
    expect(rig.io('sda', 'write', 0, 8, pattern(8, 1))).toBeUndefined();
    expect(sameBytes(rig.image('d0').read(0, 8), pattern(8, 1))).toBe(true);
  });
});
