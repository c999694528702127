import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChardevRegistry, NullChardev, createChardevPipe } from '../../src/chardev/index.js';
import { makeTmpDir, removeTmpDir, within } from './helpers.js';

let dir: string;
let registry: ChardevRegistry;
beforeEach(async () => {
  dir = await makeTmpDir();
  registry = new ChardevRegistry();
});
afterEach(async () => {
  await registry.closeAll();
  await removeTmpDir(dir);
});

describe('chardev registry', () => {
  it('rejects a duplicate id with QEMU text, before opening anything', async () => {
    const p = path.join(dir, 'qga.sock');
    const first = await within(registry.openFromOptions(`socket,id=qga0,path=${p},server=on,wait=off`));
    expect(registry.get('qga0')).toBe(first);
    const other = path.join(dir, 'other.sock');
    await expect(registry.openFromOptions(`socket,id=qga0,path=${other},server=on,wait=off`)).rejects.toThrow(
      "attempt to add duplicate property 'qga0' to object (type 'container')",
    );
    expect(existsSync(other)).toBe(false);
    expect(() => registry.add(new NullChardev('qga0'))).toThrow("attempt to add duplicate property 'qga0'");
  });

  it('leaves nothing behind when opening fails', async () => {
    const bad = path.join(dir, 'missing', 'out');
    await expect(registry.openFromOptions(`file,id=f,path=${bad}`)).rejects.toThrow(`Could not open '${bad}'`);
    expect(registry.has('f')).toBe(false);
  });

  it('resolves chardev:ID in the shorthand and reports unknown ids', async () => {
    const { chardev } = createChardevPipe('agent');
    registry.add(chardev);
    expect(await registry.openFromCompat('serial0', 'chardev:agent')).toBe(chardev);
    await expect(registry.openFromCompat('serial0', 'chardev:nope')).rejects.toThrow("Chardev 'nope' does not exist");
    const n = await registry.openFromCompat('serial1', 'null');
    expect(n.id).toBe('serial1');
    expect(registry.list().map((c) => c.id)).toEqual(['agent', 'serial1']);
  });

  it('closeAll closes everything and unlinks sockets', async () => {
    const p = path.join(dir, 'a.sock');
    const a = await within(registry.openFromOptions(`socket,id=a,path=${p},server=on,wait=off`));
    await registry.closeAll();
    expect(a.closed).toBe(true);
    expect(registry.size).toBe(0);
    expect(existsSync(p)).toBe(false);
  });
});
