/**
 * Hostile inputs for the agent, drawn from a seeded Prng: valid requests cut short or
 * mutated (bytes flipped, inserted, deleted, stray 0xFF, invalid UTF-8), deep nesting,
 * huge and odd numbers, truncated strings, raw random bytes, and rarely messages at
 * JSON's 64 MiB / 2 Mi-token limits. Same seed, same inputs.
 */
import { Buffer } from 'node:buffer';
import { Prng } from '../../src/core/prng.js';

const COMMANDS = [
  'guest-sync-delimited', 'guest-sync', 'guest-ping', 'guest-info', 'guest-get-time', 'guest-file-open', 'guest-file-read',
  'guest-file-seek', 'guest-file-close', 'guest-fsfreeze-status', 'guest-get-vcpus', 'guest-network-get-interfaces', 'nope', '',
];
const KEYS = ['execute', 'arguments', 'id', 'exec-oob', 'handle', 'count', 'whence', 'offset', 'path', 'mode', 'x', 'error', 'return'];
const NUMBERS = [
  '0', '-0', '1', '-1', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551615',
  '18446744073709551616', '1e308', '1e309', '-1e-400', '0.1', '1.7976931348623157e308', '4.9e-324', '123456789012345678901234567890',
  '01', '1.', '.5', '-', '1e', '1E+', '2.5e-3',
];
const JUNK = ['\xff', '\xfe', '\xc0\x80', '\xc3\x28', '\xed\xa0\x80', '\xf4\x90\x80\x80', '\x00', '\x01', '\x7f', '@', '%d', '\\', '"', "'", '\t', '\n', '\r'];

/** How big the rare limit-sized inputs are allowed to be, overall (bytes). */
export const FUZZ_HUGE_BUDGET = 300 * 1024 * 1024;

/** Makes inputs. */
export class FuzzInputs {
  private hugeLeft: number;

  /** Inputs from `rng`; at most `hugeBudget` bytes of them limit-sized. */
  constructor(
    private readonly rng: Prng,
    hugeBudget = FUZZ_HUGE_BUDGET,
  ) {
    this.hugeLeft = hugeBudget;
  }

  /** The next input. */
  next(): Buffer {
    // Out of 10,000. Over-deep nesting is rare because it is costly by nature: every
    // closer stranded by the nesting error earns its own error reply, as in QEMU.
    const r = this.rng.nextInt(10_000);
    if (r < 3000) return this.mutate(Buffer.from(this.request(), 'latin1'));
    if (r < 4600) return this.cut(Buffer.from(this.request(), 'latin1'));
    if (r < 6200) return Buffer.from(this.value(0), 'latin1');
    if (r < 7200) return this.randomBytes();
    if (r < 7300) return Buffer.from(this.nesting(), 'latin1');
    if (r < 8500) return Buffer.from(this.requests(), 'latin1');
    if (r < 9100) return Buffer.from(this.truncatedString(), 'latin1');
    if (r < 9998) return this.mutate(Buffer.from(this.value(0), 'latin1'));
    return this.huge();
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.nextInt(xs.length)]!;
  }

  private str(): string {
    const r = this.rng.nextInt(10);
    if (r < 4) return JSON.stringify(this.pick(COMMANDS));
    if (r < 6) return JSON.stringify(this.pick(KEYS));
    if (r < 7) return `'${this.pick(KEYS)}'`;
    let s = '"';
    const n = this.rng.nextInt(20);
    for (let i = 0; i < n; i++) {
      const k = this.rng.nextInt(10);
      if (k < 6) s += String.fromCharCode(0x20 + this.rng.nextInt(95)).replace(/["\\]/, 'q');
      else if (k < 7) s += this.pick(['\\n', '\\t', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\r', '\\u00e9', '\\uD83D\\uDE00', '\\uDC00', '\\u0000', '\\x']);
      else if (k < 9) s += this.pick(['\xc3\xa9', '\xe2\x82\xac', '\xf0\x9f\x98\x80', '\xef\xbf\xbe']);
      else s += this.pick(JUNK);
    }
    return s + '"';
  }

  private value(depth: number): string {
    const r = this.rng.nextInt(depth > 4 ? 6 : 10);
    if (r < 2) return this.pick(NUMBERS);
    if (r < 4) return this.str();
    if (r < 5) return this.pick(['true', 'false', 'null', 'tru', 'nul', 'True', 'abc']);
    if (r < 6) return String(this.rng.nextU32() - 2 ** 31);
    if (r < 8) {
      const n = this.rng.nextInt(5);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(`${this.str()}:${this.value(depth + 1)}`);
      return `{${items.join(',')}}`;
    }
    const n = this.rng.nextInt(5);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(this.value(depth + 1));
    return `[${items.join(',')}]`;
  }

  /** A request that is plausible: right members, often right types. */
  private request(): string {
    const parts = [`"execute":${this.rng.nextInt(4) === 0 ? this.value(1) : JSON.stringify(this.pick(COMMANDS))}`];
    if (this.rng.nextInt(2) === 0) {
      const args: string[] = [];
      const n = this.rng.nextInt(4);
      for (let i = 0; i < n; i++) args.push(`${JSON.stringify(this.pick(KEYS))}:${this.value(2)}`);
      parts.push(`"arguments":${this.rng.nextInt(8) === 0 ? this.value(1) : `{${args.join(',')}}`}`);
    }
    if (this.rng.nextInt(3) === 0) parts.push(`"id":${this.value(1)}`);
    if (this.rng.nextInt(10) === 0) parts.push(`${this.str()}:${this.value(1)}`);
    for (let i = parts.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      [parts[i], parts[j]] = [parts[j]!, parts[i]!];
    }
    return `{${parts.join(',')}}`;
  }

  private requests(): string {
    const n = 1 + this.rng.nextInt(4);
    let s = '';
    for (let i = 0; i < n; i++) s += this.request() + this.pick(['', ' ', '\n', '\r\n', '\t']);
    return s;
  }

  private mutate(b: Buffer): Buffer {
    const out = [...b];
    const n = 1 + this.rng.nextInt(4);
    for (let i = 0; i < n && out.length > 0; i++) {
      const at = this.rng.nextInt(out.length + 1);
      const k = this.rng.nextInt(5);
      if (k === 0) out.splice(at, 1);
      else if (k === 1) out.splice(at, 0, ...Buffer.from(this.pick(JUNK), 'latin1'));
      else if (k === 2) out[Math.min(at, out.length - 1)] = this.rng.nextInt(256);
      else if (k === 3) out.splice(at, 0, 0xff);
      else out.splice(at, 0, ...Buffer.from(this.pick(['{', '}', '[', ']', ':', ',', '"']), 'latin1'));
    }
    return Buffer.from(out);
  }

  private cut(b: Buffer): Buffer {
    return b.subarray(0, this.rng.nextInt(b.length + 1));
  }

  private randomBytes(): Buffer {
    const b = Buffer.alloc(this.rng.nextInt(64));
    this.rng.fill(b);
    return b;
  }

  private nesting(): string {
    const depth = this.pick([1023, 1024, 1025, 1100, 2000, 1 + this.rng.nextInt(1100), 1 + this.rng.nextInt(1024), 1 + this.rng.nextInt(1024)]);
    const open = Array.from({ length: depth }, () => (this.rng.nextInt(2) === 0 ? '[' : '{"k":'));
    const close = [...open].reverse().map((o) => (o === '[' ? ']' : '}'));
    const cut = this.rng.nextInt(4) === 0 ? this.rng.nextInt(close.length) : close.length;
    return open.join('') + '0' + close.slice(0, cut).join('');
  }

  private truncatedString(): string {
    return `{"execute":"guest-sync","arguments":{"id":"${'x'.repeat(this.rng.nextInt(5000))}`;
  }

  /** Rare: a message at or past the 64 MiB token-size or 2 Mi-token limits. */
  private huge(): Buffer {
    const size = 64 * 1024 * 1024 + this.rng.nextInt(3) - 1 - 64;
    if (this.hugeLeft < size) return this.randomBytes();
    this.hugeLeft -= size;
    if (this.rng.nextInt(2) === 0) {
      const n = (1024 * 1024) - 1 + this.rng.nextInt(3);
      return Buffer.from('[' + '0,'.repeat(n) + '0]', 'latin1');
    }
    const b = Buffer.alloc(size, 0x61);
    b.write('{"execute":"guest-ping","arguments":{"x":"', 0, 'latin1');
    b.write('"}}', size - 3, 'latin1');
    return b;
  }
}
