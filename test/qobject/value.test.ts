import { describe, it, expect } from 'vitest';
import { QDict, QNum, fromPlain, isQDict, isQList, isQNum, qdict, qtypeName, toPlain, toQemuJson } from '../../src/qobject/index.js';

describe('building QValues from plain JS', () => {
  it('classifies numbers: safe integers int64, fractions double, huge bigints uint64', () => {
    const v = fromPlain([1, 1.5, 2n ** 63n, -5n]) as QNum[];
    expect(v.map((n) => n.kind)).toEqual(['i64', 'double', 'u64', 'i64']);
  });

  it('skips undefined members, so optional QAPI members can be written inline', () => {
    const d = qdict({ exited: true, exitcode: undefined, signal: 9 });
    expect(d.keys().sort()).toEqual(['exited', 'signal']);
  });

  it('refuses undefined inside a list', () => {
    expect(() => fromPlain([1, undefined as unknown as number])).toThrow(TypeError);
  });

  it('accepts pairs to control insertion order, and nested QValues as they are', () => {
    const inner = new QDict().set('x', QNum.from(1));
    const d = qdict([
      ['load1m', QNum.double(0.5)],
      ['load5m', 0.25],
      ['nested', inner],
    ]);
    expect(d.get('nested')).toBe(inner);
    expect(toQemuJson(d)).toBe('{"nested": {"x": 1}, "load5m": 0.25, "load1m": 0.5}');
  });
});

describe('converting QValues to plain JS', () => {
  it('gives numbers when exact and bigints when not', () => {
    const v = fromPlain({ a: 1, b: 2n ** 62n, c: 2n ** 64n - 1n, d: 2.5 });
    expect(toPlain(v)).toEqual({ a: 1, b: 2n ** 62n, c: 2n ** 64n - 1n, d: 2.5 });
  });

  it('keeps a "__proto__" member as a member', () => {
    const p = toPlain(qdict([['__proto__', 1]])) as Record<string, unknown>;
    expect(Object.keys(p)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  });

  it('names types and recognises kinds', () => {
    expect([null, true, 's', QNum.from(1), [], new QDict()].map(qtypeName)).toEqual([
      'null',
      'bool',
      'string',
      'number',
      'list',
      'dict',
    ]);
    expect(isQDict(new QDict())).toBe(true);
    expect(isQList([])).toBe(true);
    expect(isQNum(QNum.from(1))).toBe(true);
    expect(isQDict(undefined)).toBe(false);
  });
});
