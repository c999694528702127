/**
 * Return values: a handler returns plain JS shaped like the schema's return type, and
 * this builds the QObject the output visitor would — struct members inserted in schema
 * order (the QDict then prints them in its hash order), absent optionals left out,
 * uint64 members as unsigned QNums. A value that does not fit the schema is a bug in the
 * handler, reported as a TypeError rather than sent.
 */
import { INT64_MAX, INT64_MIN, QDict, QNum, UINT64_MAX, fromPlain, type QInput, type QValue } from '../../qobject/index.js';
import { listElement, typeRefText, type QapiSchema, type QapiTypeRef } from '../schema/qapi.js';
import type { QgaWire } from '../schema/profiles.js';

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int: [INT64_MIN, INT64_MAX],
  int64: [INT64_MIN, INT64_MAX],
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, UINT64_MAX],
  size: [0n, UINT64_MAX],
};

/**
 * Encodes `value` as type `ref` of `schema`. `where` names the value in error messages.
 * In 2.5 the output visitor had no unsigned path: uint64 values print as int64.
 */
export function encodeValue(schema: QapiSchema, ref: QapiTypeRef, value: unknown, wire: QgaWire, where: string): QValue {
  const elem = listElement(ref);
  if (elem !== undefined) {
    if (!Array.isArray(value)) throw bad(where, ref, value);
    return value.map((v: unknown, i) => encodeValue(schema, elem, v, wire, `${where}[${i}]`));
  }
  const t = ref as string;
  const range = INT_RANGES[t];
  if (range !== undefined) {
    let b: bigint;
    if (typeof value === 'bigint') b = value;
    else if (typeof value === 'number' && Number.isInteger(value)) b = BigInt(value);
    else throw bad(where, ref, value);
    if (b < range[0] || b > range[1]) throw new TypeError(`qga: ${where} = ${b} is outside ${t}`);
    if (range[0] === 0n) return wire === '2.5' && b > INT64_MAX ? QNum.int(b - (1n << 64n)) : QNum.uint(b);
    return QNum.int(b);
  }
  switch (t) {
    case 'number':
      if (typeof value !== 'number') throw bad(where, ref, value);
      return QNum.double(value);
    case 'str':
      if (typeof value !== 'string') throw bad(where, ref, value);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw bad(where, ref, value);
      return value;
    case 'null':
      if (value !== null) throw bad(where, ref, value);
      return null;
    case 'any':
      return fromPlain(value as QInput);
  }
  const def = schema.type(t);
  if (def === undefined) throw new TypeError(`qga: unknown type '${t}'`);
  if (def.meta === 'enum') {
    if (typeof value !== 'string' || !def.values.includes(value)) throw bad(where, ref, value);
    return value;
  }
  if (def.meta === 'struct') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, ref, value);
    const obj = value as Record<string, unknown>;
    const d = new QDict();
    for (const m of def.members) {
      const v = Object.prototype.hasOwnProperty.call(obj, m.name) ? obj[m.name] : undefined;
      if (v === undefined) {
        if (m.optional === true) continue;
        throw new TypeError(`qga: ${where}.${m.name} (${typeRefText(m.type)}) is missing`);
      }
      d.set(m.name, encodeValue(schema, m.type, v, wire, `${where}.${m.name}`));
    }
    return d;
  }
  for (const b of def.branches) {
    if (fitsBranch(schema, b.type, value)) return encodeValue(schema, b.type, value, wire, where);
  }
  throw bad(where, ref, value);
}

function fitsBranch(schema: QapiSchema, ref: QapiTypeRef, value: unknown): boolean {
  if (listElement(ref) !== undefined) return Array.isArray(value);
  const t = ref as string;
  if (INT_RANGES[t] !== undefined) return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
  if (t === 'number') return typeof value === 'number';
  if (t === 'str') return typeof value === 'string';
  if (t === 'bool') return typeof value === 'boolean';
  if (t === 'null') return value === null;
  const def = schema.type(t);
  if (def?.meta === 'enum') return typeof value === 'string';
  if (def?.meta === 'struct') return typeof value === 'object' && value !== null && !Array.isArray(value);
  return false;
}

function bad(where: string, ref: QapiTypeRef, value: unknown): TypeError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new TypeError(`qga: ${where} should be ${typeRefText(ref)}, got ${got}${typeof value === 'string' ? ` '${value}'` : ''}`);
}
