/**
 * `-drive` as QEMU reads it (interfaces, media, automatic ids, cache and discard modes, the
 * raw format, our size= extension), the drive table's lookups with QEMU's texts, and raw
 * images in host files.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { defaultMachineConfig } from '../../src/machine/config.js';
import { parseDriveOption, type DriveSpec } from '../../src/machine/drive-options.js';
import { Machine } from '../../src/machine/machine.js';
import { DeviceError } from '../../src/machine/device-registry.js';
import { parseQemuOpts } from '../../src/cli/qemu-opts.js';
import { FileDiskImage } from '../../devices/block/file-disk-image.js';
import { bootStorageRig, pattern } from './harness.js';

function drives(...opts: string[]): DriveSpec[] {
  return parseArgs(opts.flatMap((o) => ['-drive', o])).config.drives;
}

function build(driveOpts: string[], deviceOpts: string[]): Machine {
  const cfg = defaultMachineConfig();
  cfg.noDefaults = true;
  cfg.ramSize = cfg.maxMem = 64 * 1024 * 1024;
  for (const d of driveOpts) cfg.drives.push(parseDriveOption(d, cfg.drives));
  for (const d of deviceOpts) {
    const o = parseQemuOpts(d, 'driver');
    cfg.devices.push({ driver: o.implied!, props: o.pairs });
  }
  return new Machine(cfg);
}

describe('-drive options', () => {
  it('defaults: if=ide, media=disk, cache=writeback, and (unlike QEMU) discard=unmap', () => {
    expect(drives('size=1G')[0]).toMatchObject({ id: 'ide0-hd0', interface: 'ide', media: 'disk', cache: 'writeback', discard: 'unmap', readOnly: false, size: 1024 ** 3 });
  });

  it('gives id-less drives QEMU\'s names: virtio0, virtio1, none0, ide0-hd0, ide0-hd1, ide1-hd0, ide0-cd1 by index', () => {
    expect(drives('if=virtio,size=1M', 'if=virtio,size=1M', 'if=none', 'size=1M', 'size=1M', 'size=1M').map((d) => d.id)).toEqual(['virtio0', 'virtio1', 'none0', 'ide0-hd0', 'ide0-hd1', 'ide1-hd0']);
    expect(drives('if=ide,index=1,media=cdrom')[0]).toMatchObject({ id: 'ide0-cd1', bus: 0, unit: 1, readOnly: true });
  });

  it.each([
    ['if=floppy9,size=1M', "unsupported bus type 'floppy9'"],
    ['media=tape,size=1M', "'tape' invalid media"],
    ['cache=fast,size=1M', 'invalid cache option'],
    ['discard=maybe,size=1M', 'Invalid discard option'],
    ['format=qcow2,size=1M', "Driver 'qcow2' is not whitelisted"],
    ['format=qcow9,size=1M', "Unknown driver 'qcow9'"],
    ['size=1M,colour=red', "Block format 'raw' does not support the option 'colour'"],
    ['if=ide,unit=2,size=1M', 'unit 2 too big (max is 1)'],
    ['index=1,bus=1,size=1M', 'index cannot be used with bus and unit'],
    ['file=a.img,size=1M', "'size' is qga-sim's in-memory disk and cannot be combined with 'file'"],
  ])('-drive %s is refused: %s', (opt, msg) => {
    expect(() => parseArgs(['-drive', opt])).toThrow(new CliError(`-drive ${opt}: ${msg}`));
  });

  it('refuses a second drive with the same id, as QEMU does', () => {
    expect(() => parseArgs(['-drive', 'id=d0,if=none', '-drive', 'id=d0,if=none'])).toThrow(new CliError("-drive id=d0,if=none: Duplicate ID 'd0' for drive"));
  });
});

describe('drives at machine build (QEMU\'s texts)', () => {
  it.each([
    [['if=none,id=d0,size=1M'], ['virtio-blk-pci'], 'drive property not set'],
    [['if=none,id=d0,size=1M'], ['virtio-blk-pci,drive=nope'], "Property 'virtio-blk-device.drive' can't find value 'nope'"],
    [['if=none,id=d0,size=1M'], ['virtio-blk-pci,drive=d0', 'virtio-blk-pci,drive=d0'], "Drive 'd0' is already in use by another device"],
    [['if=virtio,size=1M'], ['virtio-blk-pci,drive=virtio0'], "Drive 'virtio0' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)"],
    [['if=none,id=d0'], ['virtio-blk-pci,drive=d0'], 'Device needs media, but drive is empty'],
    [['if=none,id=d0,size=1M'], ['virtio-blk-pci,drive=d0,queue-size=100'], 'invalid queue-size property (100), must be a power of 2 (max 1024)'],
    [['if=none,id=d0,size=1M'], ['scsi-hd,drive=d0'], "No 'SCSI' bus found for device 'scsi-hd'"],
    [['if=none,id=d0,size=1M'], ['virtio-scsi-pci,id=s', 'scsi-hd,drive=d0,bus=nope.0'], "Bus 'nope.0' not found"],
    [['if=none,id=d0,size=1M'], ['virtio-scsi-pci,id=s', 'scsi-hd,drive=d0,bus=pci.0'], "Device 'scsi-hd' can't go on PCI bus"],
    [['if=none,id=d0,size=1M'], ['virtio-scsi-pci,id=s', 'scsi-hd,drive=d0,scsi-id=256'], 'bad scsi device id: 256'],
    [['if=none,id=d0,size=1M', 'if=none,id=d1,size=1M'], ['virtio-scsi-pci', 'scsi-hd,drive=d0,id=a,scsi-id=1', 'scsi-hd,drive=d1,scsi-id=1,lun=0'], "lun already used by 'a'"],
    [['if=scsi,size=1M'], [], 'machine type does not support if=scsi,bus=0,unit=0'],
    [['if=none,id=d0,file=/nonexistent/qga-sim-disk.img'], [], "Could not open '/nonexistent/qga-sim-disk.img': No such file or directory"],
  ])('%j %j: %s', (d, dev, msg) => {
    expect(() => build(d, dev)).toThrow(new DeviceError(msg));
  });
});

describe('file= images (raw)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qga-sim-disk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is sized by the file (whole sectors) and guest writes land in the host file', () => {
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(1024 * 1024 + 100));
    const rig = bootStorageRig({ drives: [`if=virtio,id=d0,file=${path},format=raw`] });
    expect(rig.sys('/block/vda/size').trim()).toBe('2048');
    const data = pattern(4, 2);
    expect(rig.io('vda', 'write', 10, 4, data)).toBeUndefined();
    expect(rig.io('vda', 'flush', 0, 0)).toBeUndefined();
    const onDisk = readFileSync(path).subarray(10 * 512, 14 * 512);
    expect(Buffer.compare(onDisk, Buffer.from(data))).toBe(0);
    expect(rig.drive('d0').stats()).toMatchObject({ writtenSectors: 4, flushes: 1 });
    (rig.drive('d0').image as FileDiskImage).close();
  });

  it('discard zeroes the range in the file; readonly=on opens it read-only', () => {
    const path = join(dir, 'ro.img');
    writeFileSync(path, new Uint8Array(64 * 1024).fill(0xaa));
    const img = new FileDiskImage(path);
    img.discard(2, 4);
    expect(Array.from(readFileSync(path).subarray(2 * 512 - 1, 2 * 512 + 1))).toEqual([0xaa, 0]);
    img.close();
    const ro = new FileDiskImage(path, true);
    expect(() => ro.write(0, new Uint8Array(512))).toThrow(RangeError);
    ro.close();
  });
});
