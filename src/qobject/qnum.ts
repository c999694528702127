/**
 * QEMU's number object (QNum). A JSON number is not just "a number" to QEMU: the parser
 * decides once whether it is a signed 64-bit integer, an unsigned 64-bit integer above
 * INT64_MAX, or a double, and everything downstream (QAPI type checks, the writer's
 * formatting) depends on that decision. So the kind travels with the value.
 */

/** Smallest int64. */
export const INT64_MIN = -(1n << 63n);
/** Largest int64. */
export const INT64_MAX = (1n << 63n) - 1n;
/** Largest uint64. */
export const UINT64_MAX = (1n << 64n) - 1n;

/** QEMU's QNumKind: `QNUM_I64`, `QNUM_U64` or `QNUM_DOUBLE`. */
export type QNumKind = 'i64' | 'u64' | 'double';

/** An immutable QEMU number: integers are bigints so all 64 bits survive. */
export class QNum {
  private constructor(
    /** Which of QEMU's three representations this number has. */
    readonly kind: QNumKind,
    private readonly int: bigint,
    private readonly dbl: number,
  ) {}

  /** A signed 64-bit integer (qnum_from_int); throws RangeError outside int64. */
  static int(v: bigint | number): QNum {
    const b = toBigIntExact(v);
    if (b < INT64_MIN || b > INT64_MAX) throw new RangeError(`${b} is outside int64`);
    return new QNum('i64', b, 0);
  }

  /**
   * An unsigned 64-bit integer (qnum_from_uint). QEMU's output visitor makes these for
   * every uint64 member, whatever the value; the JSON parser only for values above INT64_MAX.
   */
  static uint(v: bigint | number): QNum {
    const b = toBigIntExact(v);
    if (b < 0n || b > UINT64_MAX) throw new RangeError(`${b} is outside uint64`);
    return new QNum('u64', b, 0);
  }

  /** A double (qnum_from_double). */
  static double(v: number): QNum {
    return new QNum('double', 0n, v);
  }

  /**
   * The natural QNum for a JS value: safe integers and in-range bigints become int64
   * (bigints above INT64_MAX uint64), other numbers doubles. Use QNum.double to force a
   * double for an integral value.
   */
  static from(v: number | bigint): QNum {
    if (typeof v === 'bigint') return v > INT64_MAX ? QNum.uint(v) : QNum.int(v);
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return new QNum('i64', BigInt(v), 0);
    return QNum.double(v);
  }

  /** The stored value: bigint for the integer kinds, number for doubles. */
  get value(): bigint | number {
    return this.kind === 'double' ? this.dbl : this.int;
  }

  /** True for the two integer kinds. */
  get isInteger(): boolean {
    return this.kind !== 'double';
  }

  /** qnum_get_try_int: the value if it is an integer representable as int64. */
  getTryInt(): bigint | undefined {
    if (this.kind === 'double') return undefined;
    return this.int <= INT64_MAX ? this.int : undefined;
  }

  /** qnum_get_try_uint: the value if it is an integer representable as uint64. */
  getTryUint(): bigint | undefined {
    if (this.kind === 'double') return undefined;
    return this.int >= 0n ? this.int : undefined;
  }

  /** qnum_get_double: any kind as a double (integers round to nearest, as C's conversion). */
  getDouble(): number {
    return this.kind === 'double' ? this.dbl : Number(this.int);
  }

  /** A JS number when that is exact (safe integers, doubles), else the bigint. */
  toJs(): number | bigint {
    if (this.kind === 'double') return this.dbl;
    const n = Number(this.int);
    return Number.isSafeInteger(n) ? n : this.int;
  }

  /** Same kind and same value (doubles compared with ===, so NaN differs from itself). */
  equals(other: QNum): boolean {
    return this.kind === other.kind && (this.kind === 'double' ? this.dbl === other.dbl : this.int === other.int);
  }

  /** For debugging only; the wire format comes from the JSON writer. */
  toString(): string {
    return this.kind === 'double' ? String(this.dbl) : this.int.toString();
  }
}

function toBigIntExact(v: bigint | number): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v)) throw new RangeError(`${v} is not an integer`);
  return BigInt(v);
}
