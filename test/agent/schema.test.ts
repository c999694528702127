import { describe, expect, it } from 'vitest';
import { GHashModel, gStrHash } from '../../src/agent/protocol/index.js';
import {
  QGA_PROFILE_NAMES,
  QGA_SCHEMA_2_5,
  QapiSchema,
  isQgaProfileName,
  qgaProfile,
  qgaVersionBanner,
  type QapiStructDef,
} from '../../src/agent/schema/index.js';

describe('transcribed schemas', () => {
  it('have the documented command counts', () => {
    const counts = QGA_PROFILE_NAMES.map((n) => qgaProfile(n).schema.commandNames.length);
    expect(counts).toEqual([13, 19, 23, 25, 31, 31]);
  });

  it('keep what the seeds say', () => {
    const s25 = new QapiSchema(QGA_SCHEMA_2_5);
    expect(s25.command('guest-shutdown')).toEqual({
      meta: 'command',
      name: 'guest-shutdown',
      args: [{ name: 'mode', type: 'str', optional: true }],
      successResponse: false,
    });
    expect(s25.command('guest-set-vcpus')?.args).toEqual([{ name: 'vcpus', type: ['GuestLogicalProcessor'] }]);
    expect(s25.command('guest-fstrim')?.returns).toBe('GuestFilesystemTrimResponse');
    expect(s25.commandNames.slice(-2)).toEqual(['guest-exec-status', 'guest-exec']);
    expect(qgaProfile('1.5').schema.command('guest-set-time')?.args).toEqual([{ name: 'time', type: 'int' }]);
    expect(qgaProfile('2.2').schema.command('guest-fstrim')?.returns).toBeUndefined();
    expect(qgaProfile('1.0').schema.type('GuestFsfreezeStatus')).toEqual({ meta: 'enum', name: 'GuestFsfreezeStatus', values: ['thawed', 'frozen', 'error'] });
    expect((qgaProfile('1.2').schema.type('GuestAgentCommandInfo') as QapiStructDef).keyword).toBe('type');
    expect(qgaProfile('1.2').schema.command('guest-suspend-ram')?.successResponse).toBe(false);
    expect(qgaProfile('1.0').schema.command('guest-shutdown')?.successResponse).toBe(true);
  });

  it('7.2 adds what changed by then for the same 31 commands', () => {
    const s = qgaProfile('7.2').schema;
    expect(s.command('guest-file-seek')?.args.at(-1)).toEqual({ name: 'whence', type: 'GuestFileWhence' });
    expect(s.type('GuestFileWhence')).toEqual({
      meta: 'alternate',
      name: 'GuestFileWhence',
      branches: [
        { name: 'value', type: 'int' },
        { name: 'name', type: 'QGASeek' },
      ],
    });
    expect((s.type('GuestFilesystemInfo') as QapiStructDef).members.map((m) => m.name)).toEqual([
      'name',
      'mountpoint',
      'type',
      'used-bytes',
      'total-bytes',
      'disk',
    ]);
    expect((s.type('GuestDiskAddress') as QapiStructDef).members.map((m) => m.name).slice(-3)).toEqual(['serial', 'dev', 'ccw-address']);
  });

  it('rejects unknown types and duplicates', () => {
    expect(() => new QapiSchema({ era: 'x', origin: 'x', exprs: [{ meta: 'command', name: 'c', args: [{ name: 'a', type: 'Nope' }], successResponse: true }] })).toThrow("unknown type 'Nope'");
    expect(
      () =>
        new QapiSchema({
          era: 'x',
          origin: 'x',
          exprs: [
            { meta: 'enum', name: 'E', values: [] },
            { meta: 'enum', name: 'E', values: [] },
          ],
        }),
    ).toThrow('defined twice');
  });
});

describe('profiles', () => {
  it('pick wire generation, dialect, order and version', () => {
    const p72 = qgaProfile();
    expect([p72.name, p72.version, p72.wire, p72.dialect, p72.registration, p72.glib]).toEqual(['7.2', '7.2.13', '7.2', '7.2', 'schema', 'modern']);
    const p25 = qgaProfile('2.5');
    expect([p25.version, p25.wire, p25.dialect, p25.registration, p25.glib]).toEqual(['2.5.0', '2.5', '2.5', 'alphabetical', 'legacy']);
    expect(p25.commandOrder[0]).toBe('guest-exec');
    expect(qgaProfile('2.2').registration).toBe('schema');
    expect(qgaProfile('2.5')).toBe(p25);
    expect(isQgaProfileName('7.2')).toBe(true);
    expect(isQgaProfileName('8.0')).toBe(false);
    expect(qgaVersionBanner(p72.version)).toBe('QEMU Guest Agent 7.2.13');
  });
});

describe('GHashTable model', () => {
  it('hashes like g_str_hash', () => {
    expect(gStrHash('')).toBe(5381);
    expect(gStrHash('a')).toBe(177670);
    expect(gStrHash('\u00e9')).toBe((((5381 * 33 + (0xc3 - 256)) >>> 0) * 33 + (0xa9 - 256)) >>> 0);
  });

  it('iterates as GLib 2.74 does (observed with Debian 12\'s libglib-2.0)', () => {
    const run = (ops: string[]): string[] => {
      const m = new GHashModel('modern');
      for (const op of ops) {
        if (op.startsWith('-')) m.remove(op.slice(1));
        else m.insert(op);
      }
      return m.keys();
    };
    expect(run(['foo', 'bar', 'baz'])).toEqual(['baz', 'bar', 'foo']);
    expect(run(['zeta', 'alpha', 'mode', 'path', 'x'])).toEqual(['path', 'alpha', 'mode', 'zeta', 'x']);
    expect(run(['zeta', 'alpha', 'mode', 'path', 'x', '-mode', '-path'])).toEqual(['alpha', 'zeta', 'x']);
    const ten = 'abcdefghij'.split('');
    expect(run(ten)).toEqual(['b', 'h', 'a', 'g', 'f', 'e', 'd', 'j', 'c', 'i']);
    // Removing seven of ten shrinks the table in place.
    expect(run([...ten, ...'abcdefg'.split('').map((k) => `-${k}`)])).toEqual(['i', 'h', 'j']);
  });

  it('legacy GLib indexes without the multiplier', () => {
    const m = new GHashModel('legacy');
    for (const k of ['foo', 'bar', 'baz']) m.insert(k);
    const order = ['foo', 'bar', 'baz'].sort((a, b) => (gStrHash(a) % 7) - (gStrHash(b) % 7));
    expect(m.keys()).toEqual(order);
    m.remove('bar');
    expect(m.first()).toBe(order.filter((k) => k !== 'bar')[0]);
  });
});
