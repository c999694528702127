import { describe, expect, it } from 'vitest';
import { QapiSchema, type QapiExpr } from '../../src/agent/schema/index.js';
import { visitArguments, type QgaError } from '../../src/agent/protocol/index.js';
import { QDict, parseQemuJson } from '../../src/qobject/index.js';
import { agent, desc } from './helpers.js';

/** Records what each handler received. */
function recorder() {
  const seen: object[] = [];
  const rec = (args: object) => {
    seen.push(args);
    return undefined;
  };
  return { seen, rec };
}

describe('7.2 argument visiting', () => {
  const { seen, rec } = recorder();
  const { ask } = agent({
    handlers: {
      'guest-set-vcpus': (a) => (rec(a), a.vcpus.length),
      'guest-set-memory-blocks': (a) => (rec(a), []),
      'guest-file-seek': (a) => (rec(a), { position: 0, eof: false }),
      'guest-fsfreeze-freeze-list': (a) => (rec(a), 0),
      'guest-shutdown': rec,
    },
  });
  const err = (req: string) => desc(ask(req));

  it('rejects unexpected members, at the top and nested (test /qga/invalid-args)', () => {
    expect(err('{"execute":"guest-ping","arguments":{"foo":42}}')).toBe("Parameter 'foo' is unexpected");
    expect(err('{"execute":"guest-sync","arguments":{"id":1,"foo":1}}')).toBe("Parameter 'foo' is unexpected");
    expect(err('{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":0,"online":true,"bogus":1}]}}')).toBe(
      "Parameter 'vcpus[0].bogus' is unexpected",
    );
  });

  it('names several leftovers by GLib 2.74 hash order, not request order', () => {
    // The unvisited-key table iterates bar, baz, foo... see ghash.test.ts; the first wins.
    expect(err('{"execute":"guest-ping","arguments":{"foo":1,"bar":2,"baz":3}}')).toBe("Parameter 'baz' is unexpected");
    expect(err('{"execute":"guest-ping","arguments":{"zeta":1,"alpha":2,"x":3}}')).toBe("Parameter 'alpha' is unexpected");
  });

  it('gives full paths for nested members', () => {
    const v = (vcpus: string) => err(`{"execute":"guest-set-vcpus","arguments":{"vcpus":${vcpus}}}`);
    expect(v('[{"logical-id":0,"online":true},{"logical-id":1}]')).toBe("Parameter 'vcpus[1].online' is missing");
    expect(v('[{"logical-id":0,"online":"x"}]')).toBe("Invalid parameter type for 'vcpus[0].online', expected: boolean");
    expect(v('[{"logical-id":0.5,"online":true}]')).toBe("Invalid parameter type for 'vcpus[0].logical-id', expected: integer");
    expect(v('5')).toBe("Invalid parameter type for 'vcpus', expected: array");
    expect(v('[5]')).toBe("Invalid parameter type for 'vcpus[0]', expected: object");
    expect(err('{"execute":"guest-set-vcpus"}')).toBe("Parameter 'vcpus' is missing");
    const m = (blks: string) => err(`{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":${blks}}}`);
    expect(m('[{"phys-index":1,"online":true},{"phys-index":"x","online":true}]')).toBe(
      "Parameter 'mem-blks[1].phys-index' expects uint64",
    );
    expect(m('[{"phys-index":1.5,"online":true}]')).toBe("Parameter 'mem-blks[0].phys-index' expects uint64");
    expect(err('{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["/",5]}}')).toBe(
      "Invalid parameter type for 'mountpoints[1]', expected: string",
    );
  });

  it('casts negative uint64 and keeps every bit of wide integers', () => {
    seen.length = 0;
    ask('{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":-1,"online":true},{"phys-index":18446744073709551615,"online":false,"can-offline":true},{"phys-index":7,"online":true}]}}');
    expect(seen[0]).toEqual({
      'mem-blks': [
        { 'phys-index': 18446744073709551615n, online: true },
        { 'phys-index': 18446744073709551615n, online: false, 'can-offline': true },
        { 'phys-index': 7, online: true },
      ],
    });
    expect(ask('{"execute":"guest-sync","arguments":{"id":9007199254740993}}')).toBe('{"return": 9007199254740993}\n');
    expect(ask('{"execute":"guest-sync","arguments":{"id":-9223372036854775808}}')).toBe('{"return": -9223372036854775808}\n');
    expect(err('{"execute":"guest-sync","arguments":{"id":9223372036854775808}}')).toBe(
      "Invalid parameter type for 'id', expected: integer",
    );
    expect(err('{"execute":"guest-sync","arguments":{"id":1.0}}')).toBe("Invalid parameter type for 'id', expected: integer");
  });

  it("takes guest-file-seek's whence as int or 'set'/'cur'/'end'", () => {
    seen.length = 0;
    const seek = (w: string) => ask(`{"execute":"guest-file-seek","arguments":{"handle":1000,"offset":6,"whence":${w}}}`);
    expect(seek('"set"')).toBe('{"return": {"eof": false, "position": 0}}\n');
    seek('2');
    expect(seen).toEqual([
      { handle: 1000, offset: 6, whence: 'set' },
      { handle: 1000, offset: 6, whence: 2 },
    ]);
    expect(desc(seek('"bogus"'))).toBe("Parameter 'whence' does not accept value 'bogus'");
    expect(desc(seek('true'))).toBe("Invalid parameter type for 'whence', expected: GuestFileWhence");
    expect(desc(seek('1.5'))).toBe("Invalid parameter type for 'whence', expected: integer");
    expect(err('{"execute":"guest-file-seek","arguments":{"handle":1000,"offset":6}}')).toBe("Parameter 'whence' is missing");
  });

  it('treats null as a present value', () => {
    expect(err('{"execute":"guest-shutdown","arguments":{"mode":null}}')).toBe(
      "Invalid parameter type for 'mode', expected: string",
    );
    seen.length = 0;
    expect(ask('{"execute":"guest-shutdown","arguments":{}}')).toBe('');
    expect(seen).toEqual([{}]);
  });
});

describe('2.5 argument visiting', () => {
  const { ask } = agent({
    profile: '2.5',
    handlers: { 'guest-set-vcpus': (a) => a.vcpus.length, 'guest-set-memory-blocks': () => [], 'guest-fsfreeze-freeze-list': () => 0 },
  });
  const err = (req: string) => desc(ask(req));

  it('names bare members, says list and QDict, checks only nested structs', () => {
    const v = (vcpus: string) => err(`{"execute":"guest-set-vcpus","arguments":{"vcpus":${vcpus}}}`);
    expect(v('[{"logical-id":0}]')).toBe("Invalid parameter type for 'online', expected: boolean");
    expect(v('[{"logical-id":0,"online":true,"x":1}]')).toBe("QMP input object member 'x' is unexpected");
    // A member error wins over the leftover check.
    expect(v('[{"x":1}]')).toBe("Invalid parameter type for 'logical-id', expected: integer");
    expect(v('5')).toBe("Invalid parameter type for 'vcpus', expected: list");
    expect(v('[5]')).toBe("Invalid parameter type for 'null', expected: QDict");
    expect(err('{"execute":"guest-set-vcpus"}')).toBe("Invalid parameter type for 'vcpus', expected: list");
    expect(err('{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":"x","online":true}]}}')).toBe(
      "Invalid parameter type for 'phys-index', expected: integer",
    );
    expect(err('{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["/",5]}}')).toBe(
      "Invalid parameter type for 'null', expected: string",
    );
    expect(ask('{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":0,"online":true}],"extra":1}}')).toBe(
      '{"return": 1}\n',
    );
  });

  it('has no whence alternate', () => {
    expect(err('{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":"set"}}')).toBe(
      "Invalid parameter type for 'whence', expected: integer",
    );
  });

  it('reads integers beyond int64 as floats, so as type errors', () => {
    expect(err('{"execute":"guest-sync","arguments":{"id":18446744073709551615}}')).toBe(
      "Invalid parameter type for 'id', expected: integer",
    );
  });
});

describe('enums and sized integers (synthetic schema)', () => {
  const exprs: QapiExpr[] = [
    { meta: 'enum', name: 'Color', values: ['red', 'green'] },
    {
      meta: 'command',
      name: 'x-test',
      args: [
        { name: 'c', type: 'Color', optional: true },
        { name: 'cs', type: ['Color'], optional: true },
        { name: 'u16', type: 'uint16', optional: true },
        { name: 'i8', type: 'int8', optional: true },
        { name: 'n', type: 'number', optional: true },
      ],
      successResponse: true,
    },
  ];
  const schema = new QapiSchema({ era: 'test', origin: 'test', exprs });
  const visit = (wire: '2.5' | '7.2', json: string): unknown => {
    const args = parseQemuJson(json)[0]!.value as QDict;
    try {
      return visitArguments(schema.command('x-test')!, args, { schema, wire, glib: wire === '2.5' ? 'legacy' : 'modern' });
    } catch (e) {
      return (e as QgaError).desc;
    }
  };

  it('words enum errors per generation', () => {
    expect(visit('7.2', '{"c":"blue"}')).toBe("Parameter 'c' does not accept value 'blue'");
    expect(visit('7.2', '{"cs":["red","blue"]}')).toBe("Parameter 'null' does not accept value 'blue'");
    expect(visit('7.2', '{"c":1}')).toBe("Invalid parameter type for 'c', expected: string");
    expect(visit('2.5', '{"c":"blue"}')).toBe("Invalid parameter 'blue'");
    expect(visit('7.2', '{"c":"green","cs":["red"]}')).toEqual({ c: 'green', cs: ['red'] });
  });

  it('range-checks sized integers by their C type', () => {
    expect(visit('7.2', '{"u16":65536}')).toBe("Parameter 'u16' expects uint16_t");
    expect(visit('7.2', '{"u16":-1}')).toBe("Parameter 'u16' expects uint16_t");
    expect(visit('7.2', '{"i8":-129}')).toBe("Parameter 'i8' expects int8_t");
    expect(visit('2.5', '{"u16":-1}')).toBe("Parameter 'u16' expects uint16_t");
    expect(visit('7.2', '{"u16":65535,"i8":-128,"n":1}')).toEqual({ u16: 65535, i8: -128, n: 1 });
    expect(visit('7.2', '{"n":"1"}')).toBe("Invalid parameter type for 'n', expected: number");
  });
});
