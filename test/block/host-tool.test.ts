/**
 * The host partitioning and mkswap tools checked against an independent implementation:
 * util-linux's libblkid (blkid -p) must recognise the tables and the swap signature we
 * write, and our swap header must be byte-identical to util-linux mkswap's. Skipped where
 * those tools are not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGpt, writeMbr } from '../../src/disk-image/partition.js';
import { writeSwap } from '../../src/disk-image/swap.js';
import { imageMiB } from './helpers.js';

const BLKID = ['/usr/sbin/blkid', '/sbin/blkid'].find((p) => existsSync(p));
const MKSWAP = ['/usr/sbin/mkswap', '/sbin/mkswap'].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'qga-block-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(img: ReturnType<typeof imageMiB>, name: string): Record<string, string> {
  const path = join(dir, name);
  writeFileSync(path, img.read(0, img.sectors));
  const out = execFileSync(BLKID ?? 'blkid', ['-p', '-o', 'export', path], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

describe.skipIf(BLKID === undefined)('host tools against libblkid', () => {
  it('blkid recognises our GPT with its disk GUID', () => {
    const img = imageMiB(16);
    writeGpt(img, [{ name: 'root', sectors: 8192 }, { kind: 'swap' }], { diskGuid: '11111111-2222-4333-8444-555555555555' });
    expect(probe(img, 'gpt.img')).toMatchObject({ PTTYPE: 'gpt', PTUUID: '11111111-2222-4333-8444-555555555555' });
  });

  it('blkid recognises our DOS table with its disk signature', () => {
    const img = imageMiB(16);
    writeMbr(img, [{ sectors: 4096 }, { sectors: 4096 }, { sectors: 4096 }, { sectors: 4096 }, {}], { diskSignature: 0xdeadbeef });
    expect(probe(img, 'dos.img')).toMatchObject({ PTTYPE: 'dos', PTUUID: 'deadbeef' });
  });

  it('blkid recognises our swap signature, UUID and label', () => {
    const img = imageMiB(8);
    writeSwap(img, { uuid: '0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9', label: 'myswap' });
    expect(probe(img, 'swap.img')).toMatchObject({ TYPE: 'swap', UUID: '0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9', LABEL: 'myswap', VERSION: '1' });
  });
});

describe.skipIf(MKSWAP === undefined)('host mkswap against util-linux mkswap', () => {
  it('writes the same first page', () => {
    const path = join(dir, 'real.swap');
    writeFileSync(path, new Uint8Array(8 * 1024 * 1024));
    chmodSync(path, 0o600);
    execFileSync(MKSWAP ?? 'mkswap', ['-U', '0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9', '-L', 'myswap', path], { stdio: 'ignore' });
    const img = imageMiB(8);
    writeSwap(img, { uuid: '0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9', label: 'myswap' });
    expect(img.read(0, 8)).toEqual(new Uint8Array(readFileSync(path).subarray(0, 4096)));
  });
});
