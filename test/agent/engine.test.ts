import { describe, expect, it } from 'vitest';
import { AgentProtocol, qgaGenericError, type QgaCommandContext } from '../../src/agent/protocol/index.js';
import { agent, show, wire } from './helpers.js';

/** A stand-in for a blocking syscall: what the kernel would get from the handler. */
interface Block {
  op: string;
}

describe('generator handlers', () => {
  it('suspend in a handler, queue what arrives meanwhile, and answer in order', () => {
    const out: string[] = [];
    const proto = new AgentProtocol<Block>({
      write: (b) => {
        out.push(show(b));
      },
      handlers: {
        *'guest-file-read'(args) {
          const got = yield { op: `read ${args.handle}` };
          return { count: 3, 'buf-b64': String(got), eof: true };
        },
        *'guest-get-time'() {
          yield { op: 'clock' };
          return 5;
        },
      },
    });
    proto.feed(wire('{"execute":"guest-file-read","arguments":{"handle":1000}}{"execute":"guest-ping"}'));
    const d = proto.drain();
    expect(d.next().value).toEqual({ op: 'read 1000' });
    expect(proto.busy).toBe(true);
    expect(proto.pending).toBe(2);
    proto.feed(wire('{"execute":"guest-get-time","id":1}'));
    expect(out).toEqual([]);
    expect(d.next('YWJj').value).toEqual({ op: 'clock' });
    expect(out).toEqual(['{"return": {"count": 3, "buf-b64": "YWJj", "eof": true}}\n', '{"return": {}}\n']);
    expect(d.next().done).toBe(true);
    expect(out[2]).toBe('{"return": 5, "id": 1}\n');
    expect(proto.busy).toBe(false);
    expect(proto.pending).toBe(0);
  });

  it('passes a generator sink\'s yields through too, and refuses a second drain', () => {
    const sent: string[] = [];
    const proto = new AgentProtocol<Block>({
      *write(b) {
        yield { op: 'write' };
        sent.push(show(b));
      },
    });
    proto.feed(wire('{"execute":"guest-ping"}'));
    const d = proto.drain();
    expect(d.next().value).toEqual({ op: 'write' });
    expect(() => proto.drain().next()).toThrow('already running');
    expect(d.next().done).toBe(true);
    expect(sent).toEqual(['{"return": {}}\n']);
  });

  it('turns a QgaError thrown after a yield into an error reply', () => {
    const proto = new AgentProtocol<Block>({
      handlers: {
        *'guest-file-close'(args) {
          yield { op: 'close' };
          throw qgaGenericError(`handle '${args.handle}' has not been found`);
        },
      },
    });
    proto.feed(wire('{"execute":"guest-file-close","arguments":{"handle":7},"id":"c"}'));
    const d = proto.drain();
    d.next();
    expect(d.next().done).toBe(true);
    expect(show(proto.takeOutput())).toBe(
      `{"id": "c", "error": {"class": "GenericError", "desc": "handle '7' has not been found"}}\n`,
    );
  });

  it('process() refuses blocking handlers', () => {
    const proto = new AgentProtocol<Block>({
      handlers: {
        *'guest-get-time'() {
          yield { op: 'clock' };
          return 1;
        },
      },
    });
    expect(() => proto.process(wire('{"execute":"guest-get-time"}'))).toThrow('blocked');
    expect(proto.busy).toBe(false);
  });

  it('lets a programming error in a handler escape, and carries on afterwards', () => {
    const proto = new AgentProtocol({
      handlers: {
        'guest-get-time': () => {
          throw new RangeError('bug');
        },
        'guest-file-open': () => 'not a number' as unknown as number,
      },
    });
    expect(() => proto.process(wire('{"execute":"guest-get-time"}{"execute":"guest-ping"}'))).toThrow('bug');
    expect(show(proto.process(new Uint8Array(0)))).toBe('{"return": {}}\n');
    expect(() => proto.process(wire('{"execute":"guest-file-open","arguments":{"path":"/x"}}'))).toThrow(
      'guest-file-open result should be int, got string',
    );
  });
});

describe('sentinel and framing', () => {
  it('sends 0xFF only when guest-sync-delimited ran', () => {
    const { ask } = agent();
    expect(ask('{"execute":"guest-sync-delimited","arguments":{"id":"x"}}')).toBe(
      `{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'id', expected: integer"}}\n`,
    );
    expect(ask('{"execute":"guest-sync-delimited","arguments":{"id":1},"id":9}{"execute":"guest-ping"}')).toBe(
      '<FF>{"return": 1, "id": 9}\n{"return": {}}\n',
    );
  });

  it('lets a handler request the sentinel for the next reply', () => {
    const { ask } = agent({ handlers: { 'guest-shutdown': (_a, ctx: QgaCommandContext) => ctx.setResponseDelimited() } });
    expect(ask('{"execute":"guest-shutdown"}{"execute":"guest-ping"}')).toBe('<FF>{"return": {}}\n');
  });

  it.each(['7.2', '2.5'] as const)('gives the same replies however the input is cut (%s)', (profile) => {
    const input = wire(
      '<FF>{"execute":"guest-sync-delimited","arguments":{"id":123456789012}}  {"execute":"guest-ping","id":{"k":[1,2]}}' +
        '[1]@{"execute":"guest-sync","arguments":{"id":-5}}{"execute":"x\\u00e9"}\n{"execute":"guest-info","arguments":{"a":1}}' +
        `{'execute':'guest-ping'}`,
    );
    const whole = show(new AgentProtocol({ profile }).process(input));
    expect(whole.split('\n')).toHaveLength(10);
    for (let cut = 1; cut < input.length; cut++) {
      const p = new AgentProtocol({ profile });
      p.feed(input.subarray(0, cut));
      const first = p.process(new Uint8Array(0));
      const rest = p.process(input.subarray(cut));
      expect(show(first) + show(rest)).toBe(whole);
    }
    const p = new AgentProtocol({ profile });
    let bytewise = '';
    for (const b of input) bytewise += show(p.process(new Uint8Array([b])));
    expect(bytewise).toBe(whole);
    expect(whole).toContain(`{"error": {"class": "CommandNotFound", "desc": "The command x\\u00E9 has not been found"}}\n`);
    if (profile === '7.2') {
      expect(whole).toContain(`"desc": "Parameter 'a' is unexpected"`);
      expect(whole).toContain('<FF>{"return": 123456789012}\n{"return": {}, "id": {"k": [1, 2]}}\n');
    } else {
      expect(whole).toContain(`"desc": "QMP input object member 'id' is unexpected"`);
    }
  });
});

describe('replies from handler values', () => {
  it('prints struct members in QEMU order, leaves out absent optionals', () => {
    const { ask } = agent({
      handlers: {
        'guest-exec-status': () => ({
          exited: true,
          exitcode: 0,
          signal: 9,
          'out-data': 'AA==',
          'err-data': 'AA==',
          'out-truncated': false,
          'err-truncated': false,
        }),
        'guest-exec': () => ({ pid: 42 }),
        'guest-get-memory-blocks': () => [{ 'phys-index': 2n ** 64n - 1n, online: true, 'can-offline': undefined }],
        'guest-network-get-interfaces': () => [
          { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }], statistics: { 'rx-bytes': 1, 'rx-packets': 2, 'rx-errs': 3, 'rx-dropped': 4, 'tx-bytes': 5, 'tx-packets': 6, 'tx-errs': 7, 'tx-dropped': 8 } },
        ],
      },
    });
    expect(ask('{"execute":"guest-exec-status","arguments":{"pid":42}}')).toBe(
      '{"return": {"exitcode": 0, "err-data": "AA==", "out-data": "AA==", "err-truncated": false, "signal": 9, "out-truncated": false, "exited": true}}\n',
    );
    expect(ask('{"execute":"guest-exec","arguments":{"path":"/bin/true"}}')).toBe('{"return": {"pid": 42}}\n');
    expect(ask('{"execute":"guest-get-memory-blocks"}')).toBe(
      '{"return": [{"online": true, "phys-index": 18446744073709551615}]}\n',
    );
    expect(ask('{"execute":"guest-network-get-interfaces"}')).toBe(
      '{"return": [{"name": "lo", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}], "statistics": {"tx-packets": 6, "tx-errs": 7, "rx-bytes": 1, "rx-dropped": 4, "rx-packets": 2, "rx-errs": 3, "tx-bytes": 5, "tx-dropped": 8}}]}\n',
    );
  });

  it('shapes replies by the profile: 2.5 lacks statistics and prints uint64 as int64', () => {
    const { ask } = agent({
      profile: '2.5',
      handlers: {
        'guest-get-memory-block-info': () => ({ size: 2n ** 64n - 2n }),
        'guest-network-get-interfaces': () => [{ name: 'lo', statistics: { 'rx-bytes': 1 } } as never],
      },
    });
    expect(ask('{"execute":"guest-get-memory-block-info"}')).toBe('{"return": {"size": -2}}\n');
    expect(ask('{"execute":"guest-network-get-interfaces"}')).toBe('{"return": [{"name": "lo"}]}\n');
  });

  it('gives commands without a return type an empty object, whatever the handler returned', () => {
    const { ask } = agent({ profile: '2.2', handlers: { 'guest-fstrim': () => ({ paths: [] }) } });
    expect(ask('{"execute":"guest-fstrim"}')).toBe('{"return": {}}\n');
  });

  it('answers in 1.0 even for guest-shutdown, which had no success-response flag yet', () => {
    const { ask } = agent({ profile: '1.0', handlers: { 'guest-shutdown': () => undefined } });
    expect(ask('{"execute":"guest-shutdown"}')).toBe('{"return": {}}\n');
  });
});

describe('registration', () => {
  it('refuses handlers for commands the profile lacks, skips them in bulk', () => {
    const proto = new AgentProtocol({ profile: '1.0' });
    expect(() => proto.register('guest-exec', () => ({ pid: 1 }))).toThrow('not a command of profile 1.0');
    proto.registerAll({ 'guest-exec': () => ({ pid: 1 }), 'guest-get-time': () => 1 });
    expect(proto.commandNames()).toHaveLength(13);
  });
});
