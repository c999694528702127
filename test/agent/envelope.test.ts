import { describe, expect, it } from 'vitest';
import { qgaGenericError, QgaConfigError } from '../../src/agent/protocol/index.js';
import { agent, desc } from './helpers.js';

const handlers = {
  'guest-file-read': (args: { handle: number }) => {
    throw qgaGenericError(`handle '${args.handle}' has not been found`);
  },
  'guest-shutdown': () => undefined,
};

describe('7.2 envelope (facts §1.10, verbatim)', () => {
  const { ask } = agent({ handlers });

  it('answers ping, echoes id, reports unknown commands', () => {
    expect(ask('{"execute":"guest-ping"}')).toBe('{"return": {}}\n');
    expect(ask('{"execute":"guest-ping","id":"a"}')).toBe('{"return": {}, "id": "a"}\n');
    expect(ask('{"execute":"nope","id":7}')).toBe(
      '{"id": 7, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}\n',
    );
  });

  it('complains about a leading 0xFF, then sends the sentinel before the sync reply', () => {
    expect(ask('<FF>{"execute":"guest-sync-delimited","arguments":{"id":5}}')).toBe(
      `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\uFFFD'"}}\n<FF>{"return": 5}\n`,
    );
  });

  it('rejects non-objects and bad arguments', () => {
    expect(ask('[1]')).toBe('{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}\n');
    expect(ask('{"execute":"guest-sync"}')).toBe(
      `{"error": {"class": "GenericError", "desc": "Parameter 'id' is missing"}}\n`,
    );
    expect(ask('{"execute":"guest-sync","arguments":{"id":"x"}}')).toBe(
      `{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'id', expected: integer"}}\n`,
    );
    expect(ask('{"execute":"guest-file-read","arguments":{"handle":999}}')).toBe(
      `{"error": {"class": "GenericError", "desc": "handle '999' has not been found"}}\n`,
    );
  });

  it('sends nothing for a successful no-reply command', () => {
    expect(ask('{"execute":"guest-shutdown"}')).toBe('');
    expect(ask('{"execute":"guest-shutdown","id":1}')).toBe('');
  });

  it('checks members in QDict order with 6.1+ texts', () => {
    expect(desc(ask('{"arguments":{}}'))).toBe("QMP input lacks member 'execute'");
    expect(desc(ask('{"id":1}'))).toBe("QMP input lacks member 'execute'");
    expect(desc(ask('{"execute":1}'))).toBe("QMP input member 'execute' must be a string");
    expect(desc(ask('{"execute":"guest-ping","arguments":[]}'))).toBe("QMP input member 'arguments' must be an object");
    expect(desc(ask('{"exec-oob":"guest-ping"}'))).toBe("QMP input member 'exec-oob' is unexpected");
    expect(desc(ask('{"execute":"guest-ping","foo":1}'))).toBe("QMP input member 'foo' is unexpected");
    // Hash order, not text order: exec-oob (bucket 162) < execute (299) < arguments (447) < foo (490).
    expect(desc(ask('{"foo":1,"execute":1}'))).toBe("QMP input member 'execute' must be a string");
    expect(desc(ask('{"execute":"guest-ping","exec-oob":"guest-ping"}'))).toBe("QMP input member 'exec-oob' is unexpected");
    expect(desc(ask('{"foo":1,"arguments":1,"execute":"guest-ping"}'))).toBe("QMP input member 'arguments' must be an object");
  });

  it('echoes any JSON id into every reply built from an object, errors included', () => {
    expect(ask('{"execute":"guest-sync","arguments":{"id":1},"id":[1,{"a":null}]}')).toBe(
      '{"return": 1, "id": [1, {"a": null}]}\n',
    );
    expect(ask('{"id":"x","execute":"guest-ping","foo":1}')).toBe(
      `{"id": "x", "error": {"class": "GenericError", "desc": "QMP input member 'foo' is unexpected"}}\n`,
    );
    expect(ask('{"id":2}')).toBe(`{"id": 2, "error": {"class": "GenericError", "desc": "QMP input lacks member 'execute'"}}\n`);
    // Not from an object: nothing to echo.
    expect(ask('"id"')).toBe('{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}\n');
  });

  it('answers a command without a handler as unsupported, after visiting its arguments', () => {
    expect(desc(ask('{"execute":"guest-get-time"}'))).toBe('this feature or command is not currently supported');
    expect(desc(ask('{"execute":"guest-file-open"}'))).toBe("Parameter 'path' is missing");
  });

  it('keeps one error per run of garbage and recovers', () => {
    expect(ask('@@@ {"execute":"guest-ping"}')).toBe(
      `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '@'"}}\n{"return": {}}\n`,
    );
  });
});

describe('2.5 envelope', () => {
  const { ask } = agent({ profile: '2.5', handlers });

  it('says Invalid JSON syntax for the 0xFF and for non-objects', () => {
    expect(ask('<FF>{"execute":"guest-sync-delimited","arguments":{"id":5}}')).toBe(
      '{"error": {"class": "GenericError", "desc": "Invalid JSON syntax"}}\n<FF>{"return": 5}\n',
    );
    expect(ask('[1]')).toBe('{"error": {"class": "GenericError", "desc": "Invalid JSON syntax"}}\n');
  });

  it('has 2.5 argument texts', () => {
    expect(ask('{"execute":"guest-sync"}')).toBe(
      `{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'id', expected: integer"}}\n`,
    );
    expect(ask('{"execute":"guest-sync","arguments":{"id":"x"}}')).toBe(
      `{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'id', expected: integer"}}\n`,
    );
  });

  it('rejects id, does not echo it, and treats objects without execute its own way', () => {
    expect(ask('{"execute":"guest-ping","id":"a"}')).toBe(
      `{"error": {"class": "GenericError", "desc": "QMP input object member 'id' is unexpected"}}\n`,
    );
    expect(ask('{"execute":"nope"}')).toBe(
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}\n',
    );
    expect(desc(ask('{"arguments":{}}'))).toBe('this feature or command is not currently supported');
    expect(desc(ask('{"execute":1}'))).toBe("QMP input object member 'execute' expects 'string'");
    // An object with "error" and no "execute" comes back as it was.
    expect(ask('{"foo": 1, "error": {"desc": "x", "class": "y"}}')).toBe('{"error": {"class": "y", "desc": "x"}, "foo": 1}\n');
  });

  it('ignores extra top-level arguments and non-object arguments of argument-less commands', () => {
    expect(ask('{"execute":"guest-ping","arguments":{"foo":42}}')).toBe('{"return": {}}\n');
    expect(ask('{"execute":"guest-ping","arguments":5}')).toBe('{"return": {}}\n');
    expect(desc(ask('{"execute":"guest-sync","arguments":[5]}'))).toBe("Invalid parameter type for 'id', expected: integer");
    expect(ask('{"execute":"guest-sync","arguments":{"id":3,"x":1}}')).toBe('{"return": 3}\n');
  });

  it('sends nothing for a successful no-reply command', () => {
    expect(ask('{"execute":"guest-shutdown"}')).toBe('');
  });
});

describe('configuration', () => {
  it('refuses --allow-rpcs: no modelled qemu-ga has it', () => {
    expect(() => agent({ allowRpcs: ['guest-ping'] })).toThrow(QgaConfigError);
    expect(() => agent({ profile: '2.5', allowRpcs: [] })).toThrow('--allow-rpcs');
  });
});
