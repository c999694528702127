/**
 * The QObject value model shared by the QMP monitor and the guest agent, and the bridge
 * to plain JS values. Strings are JS strings; QEMU's byte strings are converted at the
 * edges (see utf8.ts), so anything stored here is printed the way QEMU would print it.
 */
import { QDict } from './qdict.js';
import { QNum } from './qnum.js';

/** Any QObject: QNull, QBool, QString, QNum, QList (a JS array) or QDict. */
export type QValue = null | boolean | string | QNum | QValue[] | QDict;

/** What the builders accept: QValues plus JS numbers, bigints, arrays and plain objects. */
export type QInput = QValue | number | bigint | readonly QInput[] | QInputObject;

/** A plain object for the builders; undefined members are left out (QAPI's absent optionals). */
export interface QInputObject {
  readonly [key: string]: QInput | undefined;
}

/** What toPlain produces. */
export type Plain = null | boolean | string | number | bigint | Plain[] | { [key: string]: Plain };

/** True for a QDict. */
export function isQDict(v: QValue | undefined): v is QDict {
  return v instanceof QDict;
}

/** True for a QList. */
export function isQList(v: QValue | undefined): v is QValue[] {
  return Array.isArray(v);
}

/** True for a QNum. */
export function isQNum(v: QValue | undefined): v is QNum {
  return v instanceof QNum;
}

/** QEMU's name for the value's type (qobject_type), e.g. for "expected: ..." messages. */
export function qtypeName(v: QValue): 'null' | 'bool' | 'string' | 'number' | 'list' | 'dict' {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof QNum) return 'number';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/**
 * Converts a JS value into a QValue. Numbers go through QNum.from (integers int64,
 * others double); plain objects become QDicts, inserted in the object's own key order
 * (which JS puts integer-like keys first in — pass pairs to qdict() when that matters).
 */
export function fromPlain(v: QInput): QValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return QNum.from(v);
  if (v instanceof QNum || v instanceof QDict) return v;
  if (Array.isArray(v)) {
    const list: QValue[] = [];
    for (const item of v as readonly (QInput | undefined)[]) {
      if (item === undefined) throw new TypeError('undefined is not a QObject (in a list)');
      list.push(fromPlain(item));
    }
    return list;
  }
  return qdict(v as QInputObject);
}

/**
 * Builds a QDict from a plain object or from [key, value] pairs, inserting in the order
 * given; members whose value is undefined are skipped.
 */
export function qdict(init?: QInputObject | Iterable<readonly [string, QInput | undefined]>): QDict {
  const d = new QDict();
  if (init === undefined) return d;
  const pairs: Iterable<readonly [string, QInput | undefined]> = isPairIterable(init) ? init : Object.entries(init);
  for (const [k, val] of pairs) {
    if (val !== undefined) d.set(k, fromPlain(val));
  }
  return d;
}

function isPairIterable(
  x: QInputObject | Iterable<readonly [string, QInput | undefined]>,
): x is Iterable<readonly [string, QInput | undefined]> {
  return typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/**
 * Converts a QValue to plain JS: integers become numbers when exactly representable and
 * bigints otherwise, doubles numbers, QDicts objects whose keys are set in QEMU's order.
 */
export function toPlain(v: QValue): Plain {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof QNum) return v.toJs();
  if (Array.isArray(v)) return v.map(toPlain);
  const obj: { [key: string]: Plain } = {};
  for (const [k, val] of v) {
    // defineProperty so that a "__proto__" member stays a member.
    Object.defineProperty(obj, k, { value: toPlain(val), enumerable: true, writable: true, configurable: true });
  }
  return obj;
}
