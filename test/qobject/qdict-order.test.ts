import { describe, it, expect } from 'vitest';
import { QDict, QNum, qdict, qdictBucket, tdbHash, toQemuJson } from '../../src/qobject/index.js';

/** §1.3's formula, written out independently as the oracle. */
function referenceHash(key: string): number {
  const bytes = new TextEncoder().encode(key);
  let v = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) v = (v + (bytes[i]! << ((i * 5) % 24))) >>> 0;
  return (Math.imul(1103515243, v) + 12345) >>> 0;
}

/** Keys inserted in QAPI schema order, as the output visitor does. */
function orderOf(keys: string[]): string {
  return qdict(keys.map((k) => [k, null] as const)).keys().join(', ');
}

describe('QDict member order on the wire', () => {
  it('puts the buckets of the response keys where QEMU does', () => {
    expect([qdictBucket('return'), qdictBucket('id'), qdictBucket('error')]).toEqual([401, 486, 489]);
    expect([qdictBucket('class'), qdictBucket('desc')]).toEqual([211, 377]);
  });

  it('hashes non-ASCII keys over their UTF-8 bytes', () => {
    for (const k of ['é', 'ключ', '😀x', 'a-b_c', '']) expect(tdbHash(k)).toBe(referenceHash(k));
  });

  it('writes success responses as {"return": X, "id": N} but errors as {"id": N, "error": ...}', () => {
    expect(toQemuJson(qdict({ id: 7, return: {} }))).toBe('{"return": {}, "id": 7}');
    const err = qdict({ class: 'CommandNotFound', desc: 'The command nope has not been found' });
    expect(toQemuJson(qdict([['error', err], ['id', 7]]))).toBe(
      '{"id": 7, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    );
  });

  it('orders the guest agent return structs as real qemu-ga prints them', () => {
    expect(orderOf(['exited', 'exitcode', 'signal', 'out-data', 'err-data', 'out-truncated', 'err-truncated'])).toBe(
      'exitcode, err-data, out-data, err-truncated, signal, out-truncated, exited',
    );
    expect(orderOf(['count', 'buf-b64', 'eof'])).toBe('count, buf-b64, eof');
    expect(orderOf(['position', 'eof'])).toBe('eof, position');
    expect(orderOf(['version', 'supported_commands'])).toBe('version, supported_commands');
    expect(orderOf(['name', 'enabled', 'success-response'])).toBe('enabled, name, success-response');
    expect(orderOf(['logical-id', 'online', 'can-offline'])).toBe('online, can-offline, logical-id');
    expect(orderOf(['name', 'hardware-address', 'ip-addresses', 'statistics'])).toBe(
      'name, ip-addresses, statistics, hardware-address',
    );
    expect(orderOf(['ip-address', 'ip-address-type', 'prefix'])).toBe('ip-address-type, ip-address, prefix');
    expect(
      orderOf(['rx-bytes', 'rx-packets', 'rx-errs', 'rx-dropped', 'tx-bytes', 'tx-packets', 'tx-errs', 'tx-dropped']),
    ).toBe('tx-packets, tx-errs, rx-bytes, rx-dropped, rx-packets, rx-errs, tx-bytes, tx-dropped');
    expect(orderOf(['name', 'mountpoint', 'type', 'used-bytes', 'total-bytes', 'disk'])).toBe(
      'name, total-bytes, mountpoint, disk, used-bytes, type',
    );
    expect(orderOf(['pci-controller', 'bus-type', 'bus', 'target', 'unit', 'serial', 'dev'])).toBe(
      'serial, bus-type, bus, unit, pci-controller, dev, target',
    );
    expect(orderOf(['domain', 'bus', 'slot', 'function'])).toBe('bus, slot, domain, function');
    expect(
      orderOf([
        'kernel-release',
        'kernel-version',
        'machine',
        'id',
        'name',
        'pretty-name',
        'version',
        'version-id',
        'variant',
        'variant-id',
      ]),
    ).toBe('name, kernel-release, version, variant, pretty-name, version-id, variant-id, kernel-version, machine, id');
    expect(orderOf(['user', 'login-time', 'domain'])).toBe('login-time, domain, user');
    expect(orderOf(['phys-index', 'response', 'error-code'])).toBe('response, error-code, phys-index');
    expect(orderOf(['path', 'trimmed', 'minimum', 'error'])).toBe('minimum, path, trimmed, error');
  });

  it('puts the later of two keys sharing a bucket first (load5m before load1m)', () => {
    expect(qdictBucket('load1m')).toBe(qdictBucket('load5m'));
    expect(orderOf(['load1m', 'load5m', 'load15m'])).toBe('load15m, load5m, load1m');
    expect(orderOf(['load5m', 'load1m', 'load15m'])).toBe('load15m, load1m, load5m');
  });

  it('keeps a replaced key in its place, and moves a deleted-then-re-added key to its bucket head', () => {
    const d = new QDict().set('load1m', QNum.from(1)).set('load5m', QNum.from(5));
    expect(d.keys()).toEqual(['load5m', 'load1m']);
    d.set('load1m', 'again');
    expect(d.keys()).toEqual(['load5m', 'load1m']);
    expect(d.get('load1m')).toBe('again');
    expect(d.delete('load1m')).toBe(true);
    expect(d.delete('load1m')).toBe(false);
    d.set('load1m', QNum.from(2));
    expect(d.keys()).toEqual(['load1m', 'load5m']);
    expect(d.size).toBe(2);
  });

  it('iterates entries, values and forEach in the same order as keys', () => {
    const d = qdict({ desc: 'd', class: 'c', id: 1, return: 2 });
    const keys = d.keys();
    expect(keys).toEqual(['class', 'desc', 'return', 'id']);
    expect(d.entries().map(([k]) => k)).toEqual(keys);
    expect([...d].map(([k]) => k)).toEqual(keys);
    const seen: string[] = [];
    d.forEach((_v, k) => seen.push(k));
    expect(seen).toEqual(keys);
    expect(d.values().length).toBe(4);
    expect(d.has('class')).toBe(true);
    expect(d.get('missing')).toBeUndefined();
  });
});
