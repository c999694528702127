import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHARDEV_WRITE_HIGH_WATER, FileChardev, NullChardev, createChardevFromCompat, createChardevFromOptions } from '../../src/chardev/index.js';
import { bytes, makeTmpDir, nextEvent, removeTmpDir, text, until, within } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTmpDir();
});
afterEach(async () => {
  await removeTmpDir(dir);
});

describe('file chardev', () => {
  it('writes output, truncating by default and appending with append=on', async () => {
    const out = path.join(dir, 'out.log');
    await fsp.writeFile(out, 'old\n');
    const chr = createChardevFromOptions(`file,id=f,path=${out}`);
    await within(chr.open());
    expect(chr.connected).toBe(true);
    expect(chr.write(bytes('one\n'))).toBe(4);
    await chr.close();
    expect(await fsp.readFile(out, 'utf8')).toBe('one\n');

    const again = createChardevFromOptions(`file,id=f,path=${out},append=on`);
    await within(again.open());
    again.write(bytes('two\n'));
    await again.close();
    expect(await fsp.readFile(out, 'utf8')).toBe('one\ntwo\n');
  });

  it('reads input-path, reports EOF as a host disconnect and keeps writing output', async () => {
    const out = path.join(dir, 'out');
    const input = path.join(dir, 'in');
    await fsp.writeFile(input, 'guest-ping\n');
    const chr = new FileChardev('fi', { path: out, inputPath: input });
    const got: string[] = [];
    chr.on('data', (d) => got.push(text(d)));
    const closed = nextEvent(chr, 'close');
    await within(chr.open());
    await closed;
    expect(got.join('')).toBe('guest-ping\n');
    expect(chr.write(bytes('pong\n'))).toBe(5);
    await chr.close();
    expect(await fsp.readFile(out, 'utf8')).toBe('pong\n');
  });

  it('fails to open like QEMU does', async () => {
    const bad = path.join(dir, 'missing', 'out');
    const chr = createChardevFromCompat('serial0', `file:${bad}`);
    await expect(within(chr.open())).rejects.toThrow(`Could not open '${bad}': No such file or directory`);
  });
});

describe('null chardev', () => {
  it('is open, takes everything and produces nothing', async () => {
    const chr = createChardevFromOptions('null,id=n');
    expect(chr).toBeInstanceOf(NullChardev);
    const opened = nextEvent(chr, 'open');
    await chr.open();
    await opened;
    expect(chr.connected).toBe(true);
    // Even null takes at most the high-water mark per call, and owes a drain for the rest.
    const drained = nextEvent(chr, 'drain');
    expect(chr.write(new Uint8Array(4 * 1024 * 1024))).toBe(CHARDEV_WRITE_HIGH_WATER);
    await drained;
    expect(chr.write(bytes('more'))).toBe(4);
    expect(chr.bytesOut).toBe(CHARDEV_WRITE_HIGH_WATER + 4);
    const closed = nextEvent(chr, 'close');
    await chr.close();
    await closed;
    await until(() => !chr.connected);
    expect(chr.write(bytes('x'))).toBe(0);
  });
});
