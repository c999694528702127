/**
 * The reusable SCSI target (devices/scsi) on its own, as any host adapter model drives it:
 * a bus with QEMU's placement rules and a scsi-hd unit answering CDBs through a buffer data
 * phase (SPC-4 / SBC-3 subset).
 */
import { describe, expect, it } from 'vitest';
import {
  INQUIRY,
  MODE_PAGE_ALL,
  MODE_SENSE_10,
  READ_CAPACITY_10,
  SAM_STAT_CHECK_CONDITION,
  SAM_STAT_GOOD,
  UNMAP,
  WRITE_SAME_16,
  parseSense,
  type SenseCode,
} from '../../src/abi/scsi.js';
import { BlockBackend } from '../../devices/block/backend.js';
import { SparseDiskImage } from '../../devices/block/disk-image.js';
import { ScsiBus } from '../../devices/scsi/bus.js';
import { BufferDataPhase } from '../../devices/scsi/buffer-phase.js';
import { cdbTransfer } from '../../devices/scsi/cdb.js';
import { ScsiDisk } from '../../devices/scsi/disk.js';
import { StorageError } from '../../devices/block/errors.js';

function disk(sectors = 4096, readOnly = false): ScsiDisk {
  const backend = new BlockBackend({ id: 'd0', image: new SparseDiskImage(sectors), readOnly, discard: 'unmap', cache: 'writeback' });
  return new ScsiDisk({ channel: 0, id: 0, lun: 0, backend });
}

function run(d: ScsiDisk, cdb: number[], phase = new BufferDataPhase('none')): { status: number; sense?: SenseCode; transferred: number } {
  const r = d.execute(Uint8Array.from(cdb), phase);
  return { status: r.status, sense: r.sense ? parseSense(r.sense) : undefined, transferred: r.transferred };
}

describe('scsi-hd target (SPC-4, SBC-3)', () => {
  it('READ CAPACITY(10) saturates the last LBA at 0xFFFFFFFF for disks of 2 TiB and more', () => {
    const big = disk(2 ** 33);
    const buf = new BufferDataPhase('from-device', new Uint8Array(8));
    expect(run(big, [READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0], buf).status).toBe(SAM_STAT_GOOD);
    expect(Array.from(buf.received())).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 2, 0]);
  });

  it('MODE SENSE(10) of all pages: header, an 8-byte block descriptor, R/W error recovery and caching pages', () => {
    const buf = new BufferDataPhase('from-device', new Uint8Array(255));
    run(disk(), [MODE_SENSE_10, 0, MODE_PAGE_ALL, 0, 0, 0, 0, 0, 255, 0], buf);
    const b = buf.received();
    expect(b.length).toBe(8 + 8 + 12 + 20);
    expect([(b[0]! << 8) | b[1]!, b[7], b[16], b[28], b[30]! & 0x04]).toEqual([46, 8, 0x01, 0x08, 0x04]);
  });

  it('INQUIRY with a page code but no EVPD, or an unknown VPD page, is INVALID FIELD IN CDB', () => {
    const d = disk();
    expect(run(d, [INQUIRY, 0, 0x80, 0, 36]).sense).toEqual({ key: 5, asc: 0x24, ascq: 0 });
    expect(run(d, [INQUIRY, 1, 0xc7, 0, 36]).sense).toEqual({ key: 5, asc: 0x24, ascq: 0 });
  });

  it('WRITE SAME(16) with UNMAP and a zero block deallocates; with a pattern it writes it to every block', () => {
    const d = disk();
    d.backend.image!.write(0, new Uint8Array(512 * 16).fill(7));
    const zero = new BufferDataPhase('to-device', new Uint8Array(512));
    expect(run(d, [WRITE_SAME_16, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], zero).status).toBe(SAM_STAT_GOOD);
    expect(d.backend.stats().discards).toBe(1);
    const pat = new BufferDataPhase('to-device', new Uint8Array(512).fill(0x5a));
    expect(run(d, [WRITE_SAME_16, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0], pat).status).toBe(SAM_STAT_GOOD);
    expect(d.backend.image!.read(8, 8).every((x) => x === 0x5a)).toBe(true);
    expect(run(d, [WRITE_SAME_16, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0], pat).sense).toEqual({ key: 5, asc: 0x24, ascq: 0 });
  });

  it('UNMAP: a parameter list shorter than its own lengths is PARAMETER LIST LENGTH ERROR; past the end is LBA OUT OF RANGE', () => {
    const d = disk();
    const params = (len: number, lba: number, n: number) => {
      const p = new Uint8Array(24);
      const v = new DataView(p.buffer);
      v.setUint16(0, len);
      v.setUint16(2, 16);
      v.setBigUint64(8, BigInt(lba));
      v.setUint32(16, n);
      return p;
    };
    expect(run(d, [UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0], new BufferDataPhase('to-device', params(40, 0, 8))).sense).toEqual({ key: 5, asc: 0x1a, ascq: 0 });
    expect(run(d, [UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0], new BufferDataPhase('to-device', params(22, 4090, 8))).sense).toEqual({ key: 5, asc: 0x21, ascq: 0 });
    expect(d.backend.stats().discards).toBe(0);
    expect(run(disk(4096, true), [UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0], new BufferDataPhase('to-device', params(22, 0, 8))).status).toBe(SAM_STAT_CHECK_CONDITION);
  });

  it('cdbTransfer tells a host adapter what each CDB moves', () => {
    expect(cdbTransfer(Uint8Array.of(0x28, 0, 0, 0, 0, 0, 0, 0, 4, 0), 512)).toEqual({ mode: 'from-device', length: 2048 });
    expect(cdbTransfer(Uint8Array.of(0x0a, 0, 0, 0, 0, 0), 512)).toEqual({ mode: 'to-device', length: 256 * 512 });
    expect(cdbTransfer(Uint8Array.of(0x00, 0, 0, 0, 0, 0), 512)).toEqual({ mode: 'none', length: 0 });
  });
});

describe('SCSI bus placement (QEMU\'s scsi_bus_check_address)', () => {
  const info = { maxChannel: 0, maxTarget: 7, maxLun: 7, tcq: true };

  it('fills the first free target for lun 0, the first free lun for a given target, and refuses taken addresses', () => {
    const bus = new ScsiBus('scsi0.0', info);
    const add = (req: { id?: number; lun?: number }, qdevId: string) => {
      const at = bus.place(req);
      bus.attach({ ...at, qdevId, execute: () => ({ status: 0, transferred: 0 }), reset: () => undefined });
      return [at.id, at.lun];
    };
    expect(add({}, 'a')).toEqual([0, 0]);
    expect(add({}, 'b')).toEqual([1, 0]);
    expect(add({ id: 1 }, 'c')).toEqual([1, 1]);
    expect(() => bus.place({ id: 1, lun: 1 })).toThrow(new StorageError("lun already used by 'c'"));
    expect(() => bus.place({ lun: 9 })).toThrow(new StorageError('bad scsi device lun: 9'));
    expect(() => bus.place({ channel: 1 })).toThrow(new StorageError('bad scsi channel id: 1'));
  });
});
