/**
 * Argument visiting: turns a request's `arguments` into plain JS for a handler, failing
 * exactly where and how the generated marshaller would. Two generations:
 *
 * - 7.2 (qobject-input-visitor, since 2.9): errors name the member by its full path
 *   (`vcpus[0].online`), missing members are "is missing", leftover members of any
 *   struct, the arguments included, are "Parameter '%s' is unexpected".
 * - 2.5 (qmp-input-visitor): errors name the bare member (`null` for list elements), a
 *   missing scalar is a type error, lists say `list` and structs `QDict`, leftover
 *   members are only checked in nested structs, and `arguments` that is not an object
 *   reads as no arguments at all.
 */
import { QDict, QNum, type QValue } from '../../qobject/index.js';
import { listElement, type QapiCommandDef, type QapiMember, type QapiSchema, type QapiTypeRef } from '../schema/qapi.js';
import type { QgaWire } from '../schema/profiles.js';
import { isWideArg, isWideType, narrowFromBigInt, wideFromBigInt } from '../schema/wide.js';
import { qgaGenericError, qgaInvalidParameterType, qgaInvalidParameterValue, qgaMissingParameter } from './errors.js';
import { GHashModel, type GlibGeneration } from './ghash.js';

/** What the visitor needs to know about the agent it imitates. */
export interface ArgVisitOptions {
  /** The schema the command belongs to. */
  readonly schema: QapiSchema;
  /** Which generation's rules and texts. */
  readonly wire: QgaWire;
  /** Which GLib decides the order of leftover members. */
  readonly glib: GlibGeneration;
}

const SIGNED_RANGES: Readonly<Record<string, readonly [bigint, bigint, string]>> = {
  int8: [-128n, 127n, 'int8_t'],
  int16: [-32768n, 32767n, 'int16_t'],
  int32: [-2147483648n, 2147483647n, 'int32_t'],
};
const UNSIGNED_MAX: Readonly<Record<string, readonly [bigint, string]>> = {
  uint8: [255n, 'uint8_t'],
  uint16: [65535n, 'uint16_t'],
  uint32: [4294967295n, 'uint32_t'],
};
const TWO_64 = 1n << 64n;

type Frame =
  | { kind: 'dict'; name: string | null; dict: QDict; unvisited: GHashModel }
  | { kind: 'list'; name: string | null; list: QValue[]; index: number; cursor: number }
  | { kind: 'none'; name: null };

/** QEMU's QType of a value, for choosing an alternate's branch. */
type QType = 'QNULL' | 'QNUM' | 'QSTRING' | 'QDICT' | 'QLIST' | 'QBOOL';

function qtypeOf(v: QValue): QType {
  if (v === null) return 'QNULL';
  if (typeof v === 'boolean') return 'QBOOL';
  if (typeof v === 'string') return 'QSTRING';
  if (v instanceof QNum) return 'QNUM';
  return Array.isArray(v) ? 'QLIST' : 'QDICT';
}

/**
 * Visits `args` for `cmd` and returns the handler's arguments (members keyed by their
 * QAPI names, absent optionals left out). Throws the QgaError the marshaller would set.
 * `args` is null only in 2.5, for `arguments` that was present but not an object.
 */
export function visitArguments(cmd: QapiCommandDef, args: QDict | null, options: ArgVisitOptions): Record<string, unknown> {
  return new ArgVisitor(cmd, options).visitRoot(args);
}

class ArgVisitor {
  private readonly stack: Frame[] = [];
  private readonly legacy: boolean;

  constructor(
    private readonly cmd: QapiCommandDef,
    private readonly options: ArgVisitOptions,
  ) {
    this.legacy = options.wire === '2.5';
  }

  visitRoot(args: QDict | null): Record<string, unknown> {
    if (this.legacy) {
      // The root is pushed but never checked: 2.5 ignores extra top-level arguments.
      this.stack.push(args === null ? { kind: 'none', name: null } : this.dictFrame(null, args));
      return this.members(this.cmd.args, true);
    }
    const root = args ?? new QDict();
    this.stack.push(this.dictFrame(null, root));
    const out = this.members(this.cmd.args, true);
    this.checkStruct();
    this.stack.pop();
    return out;
  }

  private dictFrame(name: string | null, dict: QDict): Frame {
    const unvisited = new GHashModel(this.options.glib);
    for (const k of dict.keys()) unvisited.insert(k);
    return { kind: 'dict', name, dict, unvisited };
  }

  private members(members: readonly QapiMember[], top: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const m of members) {
      // 2.5's visit_optional consumes; 7.2's only peeks. Either way JSON null is "present".
      if (m.optional === true && this.get(m.name, this.legacy) === undefined) continue;
      const wide = top && isWideArg(this.cmd.name, m.name);
      Object.defineProperty(out, m.name, { value: this.visit(m.name, m.type, wide), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private visit(name: string | null, ref: QapiTypeRef, wide: boolean): unknown {
    const elem = listElement(ref);
    if (elem !== undefined) return this.visitList(name, elem);
    const t = ref as string;
    switch (t) {
      case 'int':
      case 'int64':
      case 'int8':
      case 'int16':
      case 'int32':
        return this.visitInt(name, t, wide);
      case 'uint64':
      case 'size':
      case 'uint8':
      case 'uint16':
      case 'uint32':
        return this.visitUint(name, t, wide);
      case 'number':
        return this.visitNumber(name);
      case 'bool':
        return this.visitScalar(name, 'boolean', (v) => typeof v === 'boolean');
      case 'str':
        return this.visitScalar(name, 'string', (v) => typeof v === 'string');
      case 'null':
        return this.visitScalar(name, 'null', (v) => v === null);
      case 'any':
        return this.require(name, this.get(name, true));
    }
    const def = this.options.schema.type(t);
    if (def === undefined) throw new Error(`QAPI: unknown type '${t}'`);
    if (def.meta === 'enum') {
      const s = this.visitScalar(name, 'string', (v) => typeof v === 'string') as string;
      if (def.values.includes(s)) return s;
      throw qgaGenericError(this.legacy ? `Invalid parameter '${s}'` : `Parameter '${name ?? 'null'}' does not accept value '${s}'`);
    }
    if (def.meta === 'struct') return this.visitStruct(name, def.members);
    const v = this.require(name, this.get(name, false));
    const branch = def.branches.find((b) => this.qtypeOfRef(b.type) === qtypeOf(v));
    if (branch === undefined) throw qgaInvalidParameterType(name ?? 'null', def.name);
    return this.visit(name, branch.type, wide);
  }

  private visitList(name: string | null, elem: string): unknown[] {
    const v = this.legacy ? this.get(name, true) : this.require(name, this.get(name, true));
    if (!Array.isArray(v)) throw qgaInvalidParameterType(this.errName(name), this.legacy ? 'list' : 'array');
    const frame: Frame = { kind: 'list', name, list: v, index: -1, cursor: 0 };
    this.stack.push(frame);
    const out: unknown[] = [];
    while (frame.cursor < v.length) {
      if (this.legacy) frame.index = frame.cursor++;
      out.push(this.visit(null, elem, false));
    }
    this.stack.pop();
    return out;
  }

  private visitStruct(name: string | null, members: readonly QapiMember[]): Record<string, unknown> {
    const v = this.legacy ? this.get(name, true) : this.require(name, this.get(name, true));
    if (!(v instanceof QDict)) throw qgaInvalidParameterType(this.errName(name), this.legacy ? 'QDict' : 'object');
    this.stack.push(this.dictFrame(name, v));
    const out = this.members(members, false);
    this.checkStruct();
    this.stack.pop();
    return out;
  }

  private checkStruct(): void {
    const top = this.stack[this.stack.length - 1]!;
    if (top.kind !== 'dict') return;
    const key = top.unvisited.first();
    if (key === undefined) return;
    throw qgaGenericError(this.legacy ? `QMP input object member '${key}' is unexpected` : `Parameter '${this.fullName(key)}' is unexpected`);
  }

  private visitInt(name: string | null, type: string, wide: boolean): number | bigint {
    const v = this.legacy ? this.get(name, true) : this.require(name, this.get(name, true));
    const i = v instanceof QNum ? v.getTryInt() : undefined;
    if (i === undefined) throw qgaInvalidParameterType(this.errName(name), 'integer');
    const range = SIGNED_RANGES[type];
    if (range !== undefined && (i < range[0] || i > range[1])) throw qgaInvalidParameterValue(name ?? 'null', range[2]);
    return wide ? wideFromBigInt(i) : narrowFromBigInt(i);
  }

  private visitUint(name: string | null, type: string, wide: boolean): number | bigint {
    let u: bigint;
    if (this.legacy) {
      // 2.5 visits unsigned members through type_int and casts.
      const i = this.visitInt(name, 'int64', true);
      u = BigInt(i);
      if (u < 0n) {
        const max = UNSIGNED_MAX[type];
        if (max !== undefined) throw qgaInvalidParameterValue(name ?? 'null', max[1]);
        u += TWO_64;
      }
    } else {
      const v = this.require(name, this.get(name, true));
      const n = v instanceof QNum ? v : undefined;
      // Negative int64 values are accepted and cast, for backward compatibility.
      const got = n?.getTryUint() ?? (n?.getTryInt() !== undefined ? n.getTryInt()! + TWO_64 : undefined);
      if (got === undefined) throw qgaInvalidParameterValue(this.fullName(name), 'uint64');
      u = got;
    }
    const max = UNSIGNED_MAX[type];
    if (max !== undefined && u > max[0]) throw qgaInvalidParameterValue(name ?? 'null', max[1]);
    return wide || isWideType(type) ? wideFromBigInt(u) : narrowFromBigInt(u);
  }

  private visitNumber(name: string | null): number {
    const v = this.legacy ? this.get(name, true) : this.require(name, this.get(name, true));
    if (!(v instanceof QNum)) throw qgaInvalidParameterType(this.errName(name), 'number');
    return v.getDouble();
  }

  private visitScalar(name: string | null, expected: string, ok: (v: QValue) => boolean): QValue {
    const v = this.legacy ? this.get(name, true) : this.require(name, this.get(name, true));
    if (v === undefined || !ok(v)) throw qgaInvalidParameterType(this.errName(name), expected);
    return v;
  }

  private require(name: string | null, v: QValue | undefined): QValue {
    if (v === undefined) throw qgaMissingParameter(this.fullName(name));
    return v;
  }

  /** The name an error message uses: the full path in 7.2, the bare name in 2.5. */
  private errName(name: string | null): string {
    return this.legacy ? (name ?? 'null') : this.fullName(name);
  }

  private qtypeOfRef(ref: QapiTypeRef): QType | undefined {
    if (listElement(ref) !== undefined) return 'QLIST';
    switch (ref) {
      case 'str':
        return 'QSTRING';
      case 'bool':
        return 'QBOOL';
      case 'null':
        return 'QNULL';
      case 'any':
        return undefined;
    }
    const def = this.options.schema.type(ref as string);
    if (def === undefined) return 'QNUM';
    return def.meta === 'enum' ? 'QSTRING' : def.meta === 'struct' ? 'QDICT' : undefined;
  }

  /** qobject_input_get_object / qmp_input_get_object: the next value for `name`. */
  private get(name: string | null, consume: boolean): QValue | undefined {
    const top = this.stack[this.stack.length - 1]!;
    if (this.legacy) {
      if (top.kind === 'none') return undefined;
      if (name !== null && top.kind === 'dict') {
        if (consume) top.unvisited.remove(name);
        return top.dict.get(name);
      }
      if (top.kind === 'list') return top.index >= 0 && top.index < top.list.length ? top.list[top.index] : top.list;
      return top.dict;
    }
    if (top.kind === 'dict') {
      const v = top.dict.get(name ?? '');
      if (consume && v !== undefined) top.unvisited.remove(name ?? '');
      return v;
    }
    if (top.kind === 'list') {
      const v = top.cursor < top.list.length ? top.list[top.cursor] : undefined;
      if (consume) {
        if (v !== undefined) top.cursor++;
        top.index++;
      }
      return v;
    }
    return undefined;
  }

  /** full_name(): the dotted, indexed path of `name` inside the containers being visited. */
  private fullName(name: string | null): string {
    let s = '';
    let n: string | null = name;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i]!;
      if (f.kind === 'list') s = `[${f.index < 0 ? 4294967295 : f.index}]` + s;
      else s = '.' + (n ?? '<anonymous>') + s;
      n = f.name;
    }
    if (n !== null) return n + s;
    if (s.startsWith('.')) return s.slice(1);
    return s === '' ? '<anonymous>' : s;
  }
}
