/**
 * virtio-scsi-pci with scsi-hd disks as a bare driver sees it (no guest kernel): the
 * configuration, the request queue with the SCSI target behind it, the controlq and eventq
 * (VIRTIO 1.2 §5.6), with QEMU's responses and NEEDS_RESET for headers that do not fit.
 */
import { describe, expect, it } from 'vitest';
import { featureBit, hasFeature } from '../../src/abi/virtio.js';
import {
  VIRTIO_SCSI_CFG_CDB_SIZE,
  VIRTIO_SCSI_CFG_CMD_PER_LUN,
  VIRTIO_SCSI_CFG_EVENT_INFO_SIZE,
  VIRTIO_SCSI_CFG_MAX_CHANNEL,
  VIRTIO_SCSI_CFG_MAX_LUN,
  VIRTIO_SCSI_CFG_MAX_SECTORS,
  VIRTIO_SCSI_CFG_MAX_TARGET,
  VIRTIO_SCSI_CFG_NUM_QUEUES,
  VIRTIO_SCSI_CFG_SEG_MAX,
  VIRTIO_SCSI_CFG_SENSE_SIZE,
  VIRTIO_SCSI_CONTROLQ,
  VIRTIO_SCSI_EVENTQ,
  VIRTIO_SCSI_F_CHANGE,
  VIRTIO_SCSI_F_HOTPLUG,
  VIRTIO_SCSI_REQUESTQ,
  VIRTIO_SCSI_S_BAD_TARGET,
  VIRTIO_SCSI_S_FAILURE,
  VIRTIO_SCSI_S_FUNCTION_REJECTED,
  VIRTIO_SCSI_S_INCORRECT_LUN,
  VIRTIO_SCSI_S_OK,
  VIRTIO_SCSI_S_OVERRUN,
  VIRTIO_SCSI_T_AN_QUERY,
  VIRTIO_SCSI_T_EVENTS_MISSED,
  VIRTIO_SCSI_T_NO_EVENT,
  VIRTIO_SCSI_T_TMF,
  VIRTIO_SCSI_T_TMF_CLEAR_ACA,
  VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
  VIRTIO_SCSI_T_TRANSPORT_RESET,
  virtioScsiLun,
} from '../../src/abi/virtio-scsi.js';
import {
  INQUIRY,
  MODE_SENSE_6,
  MODE_PAGE_CACHING,
  READ_10,
  REPORT_LUNS,
  REQUEST_SENSE,
  SAI_READ_CAPACITY_16,
  SAM_STAT_CHECK_CONDITION,
  SAM_STAT_GOOD,
  SERVICE_ACTION_IN_16,
  TEST_UNIT_READY,
  UNMAP,
  VPD_BLOCK_LIMITS,
  VPD_DEVICE_ID,
  VPD_LBP,
  VPD_SUPPORTED_PAGES,
  VPD_UNIT_SERIAL,
  WRITE_16,
} from '../../src/abi/scsi.js';
import { VirtioScsiPci } from '../../devices/virtio-scsi/virtio-scsi-pci.js';
import { VIRTIO_SCSI_BAD_CONFIG } from '../../devices/virtio-scsi/device.js';
import { VIRTIO_SCSI_BAD_HEADERS } from '../../devices/virtio-scsi/request.js';
import { bootQtest, type QtRig } from '../virtio-blk/qtest.js';
import { pattern } from '../virtio-blk/harness.js';

const FEATURES = featureBit(VIRTIO_SCSI_F_HOTPLUG) | featureBit(VIRTIO_SCSI_F_CHANGE);

function boot(extra: string[] = [], drives = ['if=none,id=d0,size=1M,serial=S0'], hd = ['scsi-hd,bus=scsi0.0,drive=d0,channel=0,scsi-id=0,lun=0,id=disk0']): QtRig {
  return bootQtest({ drives, devices: ['virtio-scsi-pci,id=scsi0', ...hd, ...extra], features: FEATURES, queues: 3 });
}

/** What virtio_scsi_cmd_resp said, plus the data-in. */
interface Resp {
  response: number;
  status: number;
  resid: number;
  sense: Uint8Array;
  data: Uint8Array;
  usedLen: number;
}

function cdb(...bytes: number[]): Uint8Array {
  const c = new Uint8Array(32);
  c.set(bytes);
  return c;
}

/** One command: 51-byte request (+ data-out), 108-byte response (+ data-in of `inLen`). */
function command(rig: QtRig, target: number, lun: number, c: Uint8Array, opts: { out?: Uint8Array; inLen?: number; lunBytes?: Uint8Array } = {}): Resp {
  const req = new Uint8Array(51);
  req.set(opts.lunBytes ?? virtioScsiLun(target, lun), 0);
  req.set(c.subarray(0, 32), 19);
  const segs: Parameters<QtRig['request']>[1] = [{ out: req }];
  if (opts.out) segs.push({ out: opts.out });
  segs.push({ in: 108 });
  if (opts.inLen) segs.push({ in: opts.inLen });
  const u = rig.request(VIRTIO_SCSI_REQUESTQ, segs);
  if (!u) throw new Error('command not completed');
  const resp = u.ins[0]!;
  const v = new DataView(resp.buffer, resp.byteOffset);
  const senseLen = v.getUint32(0, true);
  return { response: resp[11]!, status: resp[10]!, resid: v.getUint32(4, true), sense: resp.slice(12, 12 + senseLen), data: u.ins[1] ?? new Uint8Array(0), usedLen: u.len };
}

function senseOf(r: Resp): [number, number, number] {
  return [r.sense[2]! & 0xf, r.sense[12]!, r.sense[13]!];
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('virtio-scsi-pci configuration (VIRTIO 1.2 §5.6.3, §5.6.4)', () => {
  it('§5.6.4: QEMU\'s values; HOTPLUG and CHANGE offered', () => {
    const d = boot().drv;
    expect([VIRTIO_SCSI_CFG_NUM_QUEUES, VIRTIO_SCSI_CFG_SEG_MAX, VIRTIO_SCSI_CFG_MAX_SECTORS, VIRTIO_SCSI_CFG_CMD_PER_LUN, VIRTIO_SCSI_CFG_EVENT_INFO_SIZE, VIRTIO_SCSI_CFG_SENSE_SIZE, VIRTIO_SCSI_CFG_CDB_SIZE].map((o) => d.readConfig(o, 4))).toEqual([1, 254, 0xffff, 128, 16, 96, 32]);
    expect([d.readConfig(VIRTIO_SCSI_CFG_MAX_CHANNEL, 2), d.readConfig(VIRTIO_SCSI_CFG_MAX_TARGET, 2), d.readConfig(VIRTIO_SCSI_CFG_MAX_LUN, 4)]).toEqual([0, 255, 16383]);
    expect(hasFeature(d.features, VIRTIO_SCSI_F_HOTPLUG) && hasFeature(d.features, VIRTIO_SCSI_F_CHANGE)).toBe(true);
  });

  it('§5.6.4: a cdb_size of 256 or more breaks the device (QEMU\'s check)', () => {
    const rig = boot();
    rig.drv.writeConfig(VIRTIO_SCSI_CFG_CDB_SIZE, 4, 300);
    expect(rig.needsReset()).toBe(true);
    expect(rig.lines.some((l) => l.endsWith(`error: ${VIRTIO_SCSI_BAD_CONFIG}`))).toBe(true);
  });
});

describe('virtio-scsi request queue and the scsi-hd target (VIRTIO 1.2 §5.6.6.1)', () => {
  const rig = boot(['scsi-hd,bus=scsi0.0,drive=d1,scsi-id=0,lun=2'], ['if=none,id=d0,size=1M,serial=S0', 'if=none,id=d1,size=2M,readonly=on']);

  it('INQUIRY: QEMU\'s standard data; resid is what the buffer had left', () => {
    const r = command(rig, 0, 0, cdb(INQUIRY, 0, 0, 0, 96), { inLen: 96 });
    expect([r.response, r.status]).toEqual([VIRTIO_SCSI_S_OK, SAM_STAT_GOOD]);
    expect(r.data[0]).toBe(0);
    expect(r.data[2]).toBe(5);
    expect(text(r.data.subarray(8, 36))).toBe('QEMU    QEMU HARDDISK   2.5+');
    expect(r.resid).toBe(0);
    const short = command(rig, 0, 0, cdb(INQUIRY, 0, 0, 0, 36), { inLen: 96 });
    expect(short.resid).toBe(60);
    expect(short.usedLen).toBe(108 + 36);
  });

  it('INQUIRY VPD: supported pages, unit serial, device identification, block limits, LBP with UNMAP', () => {
    const vpd = (page: number) => command(rig, 0, 0, cdb(INQUIRY, 1, page, 0, 255), { inLen: 255 }).data;
    expect(Array.from(vpd(VPD_SUPPORTED_PAGES).subarray(4, 10))).toEqual([0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2]);
    expect(text(vpd(VPD_UNIT_SERIAL).subarray(4, 6))).toBe('S0');
    const id = vpd(VPD_DEVICE_ID);
    expect(Array.from(id.subarray(4, 8))).toEqual([2, 0, 0, 2]);
    const bl = new DataView(vpd(VPD_BLOCK_LIMITS).buffer);
    expect([bl.getUint32(20), bl.getUint32(24), bl.getUint32(28)]).toEqual([2 * 1024 * 1024, 255, 8]);
    expect(vpd(VPD_LBP)[5]! & 0x80).toBe(0x80);
  });

  it('READ CAPACITY(16): last LBA, block length and LBPME', () => {
    const r = command(rig, 0, 0, cdb(SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32), { inLen: 32 });
    const v = new DataView(r.data.buffer, r.data.byteOffset);
    expect([Number(v.getBigUint64(0)), v.getUint32(8), r.data[14]! & 0x80]).toEqual([2047, 512, 0x80]);
  });

  it('WRITE(16) then READ(10): data reaches the image and comes back', () => {
    const data = pattern(2, 4);
    const w = command(rig, 0, 0, cdb(WRITE_16, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2), { out: data });
    expect([w.response, w.status]).toEqual([VIRTIO_SCSI_S_OK, SAM_STAT_GOOD]);
    expect(rig.drive('d0').image!.read(20, 2)).toEqual(data);
    const r = command(rig, 0, 0, cdb(READ_10, 0, 0, 0, 0, 20, 0, 0, 2), { inLen: 1024 });
    expect(r.data).toEqual(data);
  });

  it('UNMAP discards the ranges on the image', () => {
    const params = new Uint8Array(24);
    const v = new DataView(params.buffer);
    v.setUint16(0, 22);
    v.setUint16(2, 16);
    v.setBigUint64(8, 64n);
    v.setUint32(16, 32);
    const r = command(rig, 0, 0, cdb(UNMAP, 0, 0, 0, 0, 0, 0, 0, 24), { out: params });
    expect(r.status).toBe(SAM_STAT_GOOD);
    expect(rig.drive('d0').stats()).toMatchObject({ discards: 1, discardedSectors: 32 });
  });

  it('bad opcodes, reads past the end and writes to a read-only unit are CHECK CONDITION with fixed sense', () => {
    const bad = command(rig, 0, 0, cdb(0xd9));
    expect([bad.response, bad.status, bad.sense.length]).toEqual([VIRTIO_SCSI_S_OK, SAM_STAT_CHECK_CONDITION, 18]);
    expect(senseOf(bad)).toEqual([5, 0x20, 0]);
    expect(senseOf(command(rig, 0, 0, cdb(READ_10, 0, 0, 0, 0x07, 0xff, 0, 0, 2), { inLen: 1024 }))).toEqual([5, 0x21, 0]);
    expect(senseOf(command(rig, 0, 2, cdb(WRITE_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), { out: pattern(1) }))).toEqual([7, 0x27, 0]);
    // Autosense: REQUEST SENSE afterwards has nothing pending.
    expect(senseOf({ ...bad, sense: command(rig, 0, 0, cdb(REQUEST_SENSE, 0, 0, 0, 18), { inLen: 18 }).data })).toEqual([0, 0, 0]);
  });

  it('MODE SENSE(6) caching page: WCE set; the read-only unit has WP in the header', () => {
    const rw = command(rig, 0, 0, cdb(MODE_SENSE_6, 0x08, MODE_PAGE_CACHING, 0, 64), { inLen: 64 }).data;
    expect([rw[2]! & 0x80, rw[4]! & 0x3f, rw[6]! & 0x04]).toEqual([0, MODE_PAGE_CACHING, 0x04]);
    expect(command(rig, 0, 2, cdb(MODE_SENSE_6, 0x08, MODE_PAGE_CACHING, 0, 64), { inLen: 64 }).data[2]! & 0x80).toBe(0x80);
  });

  it('REPORT LUNS lists the LUNs of the target; an absent LUN answers INQUIRY with qualifier 3 and LUN NOT SUPPORTED otherwise', () => {
    const r = command(rig, 0, 0, cdb(REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64), { inLen: 64 }).data;
    expect(new DataView(r.buffer).getUint32(0)).toBe(16);
    expect([r[9], r[17]]).toEqual([0, 2]);
    expect(command(rig, 0, 5, cdb(INQUIRY, 0, 0, 0, 36), { inLen: 36 }).data[0]).toBe(0x7f);
    expect(senseOf(command(rig, 0, 5, cdb(TEST_UNIT_READY)))).toEqual([5, 0x25, 0]);
  });

  it('an empty target, or a LUN field not in the flat format, is BAD_TARGET', () => {
    expect(command(rig, 7, 0, cdb(INQUIRY, 0, 0, 0, 36), { inLen: 36 }).response).toBe(VIRTIO_SCSI_S_BAD_TARGET);
    expect(command(rig, 0, 0, cdb(INQUIRY, 0, 0, 0, 36), { inLen: 36, lunBytes: Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0) }).response).toBe(VIRTIO_SCSI_S_BAD_TARGET);
  });

  it('buffers that do not match the CDB are OVERRUN; data both ways is FAILURE', () => {
    expect(command(rig, 0, 0, cdb(READ_10, 0, 0, 0, 0, 0, 0, 0, 2), { inLen: 512 }).response).toBe(VIRTIO_SCSI_S_OVERRUN);
    expect(command(rig, 0, 0, cdb(INQUIRY, 0, 0, 0, 36), { out: new Uint8Array(36) }).response).toBe(VIRTIO_SCSI_S_OVERRUN);
    expect(command(rig, 0, 0, cdb(INQUIRY, 0, 0, 0, 36), { out: new Uint8Array(4), inLen: 36 }).response).toBe(VIRTIO_SCSI_S_FAILURE);
    expect(rig.needsReset()).toBe(false);
  });

  it('a request or response header that does not fit breaks the device with QEMU\'s message', () => {
    const broken = boot();
    expect(broken.request(VIRTIO_SCSI_REQUESTQ, [{ out: new Uint8Array(40) }, { in: 108 }])).toBeUndefined();
    expect(broken.needsReset()).toBe(true);
    expect(broken.lines.some((l) => l.endsWith(`error: ${VIRTIO_SCSI_BAD_HEADERS}`))).toBe(true);
    const tiny = boot();
    expect(tiny.request(VIRTIO_SCSI_REQUESTQ, [{ out: new Uint8Array(51) }, { in: 12 }])).toBeUndefined();
    expect(tiny.needsReset()).toBe(true);
  });
});

describe('virtio-scsi controlq and eventq (VIRTIO 1.2 §5.6.6.2, §5.6.6.3)', () => {
  function tmf(rig: QtRig, subtype: number, target: number, lun: number): number {
    const req = new Uint8Array(24);
    const v = new DataView(req.buffer);
    v.setUint32(0, VIRTIO_SCSI_T_TMF, true);
    v.setUint32(4, subtype, true);
    req.set(virtioScsiLun(target, lun), 8);
    return rig.request(VIRTIO_SCSI_CONTROLQ, [{ out: req }, { in: 1 }])!.ins[0]![0]!;
  }

  it('§5.6.6.2: LOGICAL UNIT RESET completes; absent target BAD_TARGET, absent LUN INCORRECT_LUN, CLEAR ACA rejected', () => {
    const rig = boot();
    expect(tmf(rig, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 0)).toBe(VIRTIO_SCSI_S_OK);
    expect(tmf(rig, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 9, 0)).toBe(VIRTIO_SCSI_S_BAD_TARGET);
    expect(tmf(rig, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 4)).toBe(VIRTIO_SCSI_S_INCORRECT_LUN);
    expect(tmf(rig, VIRTIO_SCSI_T_TMF_CLEAR_ACA, 0, 0)).toBe(VIRTIO_SCSI_S_FUNCTION_REJECTED);
  });

  it('§5.6.6.2: asynchronous notification queries report no events', () => {
    const rig = boot();
    const req = new Uint8Array(16);
    new DataView(req.buffer).setUint32(0, VIRTIO_SCSI_T_AN_QUERY, true);
    const u = rig.request(VIRTIO_SCSI_CONTROLQ, [{ out: req }, { in: 5 }])!;
    expect(Array.from(u.ins[0]!)).toEqual([0, 0, 0, 0, VIRTIO_SCSI_S_OK]);
  });

  it('§5.6.6.3: an event with no buffer on the eventq is dropped and the next report says events were missed', () => {
    const rig = boot();
    const dev = rig.m.devices[0]!.pci as VirtioScsiPci;
    dev.scsi.pushEvent({ event: VIRTIO_SCSI_T_TRANSPORT_RESET, reason: 1, target: 0, lun: 1 });
    expect(dev.scsi.stats().eventsDropped).toBe(1);
    const u = rig.request(VIRTIO_SCSI_EVENTQ, [{ in: 16 }])!;
    expect(new DataView(u.ins[0]!.buffer).getUint32(0, true)).toBe((VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED) >>> 0);
  });
});
