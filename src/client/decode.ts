/**
 * Turns a reply's `return` value into the JS the typed methods promise, guided by the
 * schema: integers become numbers (wide ones number | bigint), structs plain objects in
 * wire order. Anything the schema does not describe (another profile's extra member, a
 * command it lacks) is converted without guidance instead of rejected.
 */
import { QDict, QNum, toPlain, type QValue } from '../qobject/index.js';
import { listElement, type QapiSchema, type QapiTypeRef } from '../agent/schema/qapi.js';
import { isWideReturn, isWideType, wideFromBigInt } from '../agent/schema/wide.js';

const INTEGER_TYPES = new Set(['int', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'size']);

/** The JS value of `command`'s reply, or undefined for commands that return nothing. */
export function decodeReturn(schema: QapiSchema, command: string, value: QValue): unknown {
  const def = schema.command(command);
  if (def === undefined) return toPlain(value);
  if (def.returns === undefined) return undefined;
  return decodeValue(schema, def.returns, value, isWideReturn(command));
}

/** The JS value of `value` read as type `ref`. */
export function decodeValue(schema: QapiSchema, ref: QapiTypeRef, value: QValue, wide = false): unknown {
  const elem = listElement(ref);
  if (elem !== undefined) return Array.isArray(value) ? value.map((v) => decodeValue(schema, elem, v)) : toPlain(value);
  const t = ref as string;
  if (value instanceof QNum) {
    if (!value.isInteger) return value.getDouble();
    const big = value.value as bigint;
    if (INTEGER_TYPES.has(t)) return wide || isWideType(t) ? wideFromBigInt(big) : Number(big);
    return t === 'number' ? value.getDouble() : wideFromBigInt(big);
  }
  const def = schema.type(t);
  if (def?.meta === 'struct' && value instanceof QDict) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      const m = def.members.find((x) => x.name === k);
      Object.defineProperty(out, k, { value: m ? decodeValue(schema, m.type, v) : toPlain(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return toPlain(value);
}
