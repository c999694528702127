/**
 * SHA-512 based crypt ("$6$"), following Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512" specification: the digest primitive comes from node:crypto (deterministic),
 * the construction around it — alternate sum, P and S byte sequences, the round loop and
 * the permuted base-64 output — is written out here.
 */
import { createHash } from 'node:crypto';

/** Rounds used when the setting names none. */
export const SHA512_ROUNDS_DEFAULT = 5000;
/** Fewest rounds accepted (smaller requests are raised to this). */
export const SHA512_ROUNDS_MIN = 1000;
/** Most rounds accepted (larger requests are lowered to this). */
export const SHA512_ROUNDS_MAX = 999_999_999;
/** Longest salt used; longer salts are truncated. */
export const SHA512_SALT_MAX = 16;
/** crypt(3)'s 64-character alphabet, in value order. */
export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const PREFIX = '$6$';
const ROUNDS_PREFIX = 'rounds=';
const encoder = new TextEncoder();

// Output order: each triple of digest bytes becomes four characters, least significant
// six bits first; the final byte alone becomes two.
const TRIPLES: readonly (readonly [number, number, number])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

// `len` bytes made of `block` repeated (the spec's P and S sequences).
function repeatTo(block: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let off = 0; off < len; off += block.length) out.set(block.subarray(0, Math.min(block.length, len - off)), off);
  return out;
}

function encode64(value: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) {
    s += CRYPT_ALPHABET[value & 0x3f];
    value >>>= 6;
  }
  return s;
}

/** A parsed "$6$[rounds=N$]salt" setting. */
export interface Sha512Setting {
  /** Salt actually used (at most 16 characters, up to the first '$'). */
  salt: string;
  /** Rounds actually used (clamped). */
  rounds: number;
  /** Whether the setting named the rounds (they then appear in the output). */
  explicitRounds: boolean;
}

/** Parses a "$6$" setting (or a whole hash); undefined if it is not one. */
export function parseSha512Setting(setting: string): Sha512Setting | undefined {
  if (!setting.startsWith(PREFIX)) return undefined;
  let rest = setting.slice(PREFIX.length);
  let rounds = SHA512_ROUNDS_DEFAULT;
  let explicitRounds = false;
  if (rest.startsWith(ROUNDS_PREFIX)) {
    const m = /^rounds=(\d+)\$/.exec(rest);
    if (m === null) return undefined;
    rounds = Math.min(SHA512_ROUNDS_MAX, Math.max(SHA512_ROUNDS_MIN, Number(m[1])));
    explicitRounds = true;
    rest = rest.slice(m[0].length);
  }
  const end = rest.indexOf('$');
  const salt = (end < 0 ? rest : rest.slice(0, end)).slice(0, SHA512_SALT_MAX);
  return { salt, rounds, explicitRounds };
}

/** crypt(3) with a "$6$" setting: returns "$6$[rounds=N$]salt$hash". Throws on a non-"$6$" setting. */
export function sha512Crypt(password: string | Uint8Array, setting: string): string {
  const parsed = parseSha512Setting(setting);
  if (parsed === undefined) throw new Error(`not a SHA-512 crypt setting: ${setting}`);
  const key = typeof password === 'string' ? encoder.encode(password) : password;
  const salt = encoder.encode(parsed.salt);
  const digest = sha512Digest(key, salt, parsed.rounds);
  let out = PREFIX + (parsed.explicitRounds ? `${ROUNDS_PREFIX}${parsed.rounds}$` : '') + parsed.salt + '$';
  for (const [a, b, c] of TRIPLES) out += encode64(((digest[a] ?? 0) << 16) | ((digest[b] ?? 0) << 8) | (digest[c] ?? 0), 4);
  out += encode64(digest[63] ?? 0, 2);
  return out;
}

// The 64-byte result of the algorithm, before the output encoding.
function sha512Digest(key: Uint8Array, salt: Uint8Array, rounds: number): Uint8Array {
  const alternate = sha512(key, salt, key);
  const a = createHash('sha512');
  a.update(key);
  a.update(salt);
  a.update(repeatTo(alternate, key.length));
  // Each bit of the key length, lowest first, picks the alternate sum (1) or the key (0).
  for (let n = key.length; n > 0; n >>>= 1) a.update((n & 1) !== 0 ? alternate : key);
  let result = new Uint8Array(a.digest());

  const dp = sha512(repeatTo(key, key.length * key.length));
  const p = repeatTo(dp, key.length);
  const ds = sha512(repeatTo(salt, salt.length * (16 + (result[0] ?? 0))));
  const s = repeatTo(ds, salt.length);

  for (let i = 0; i < rounds; i++) {
    const c = createHash('sha512');
    c.update((i & 1) !== 0 ? p : result);
    if (i % 3 !== 0) c.update(s);
    if (i % 7 !== 0) c.update(p);
    c.update((i & 1) !== 0 ? result : p);
    result = new Uint8Array(c.digest());
  }
  return result;
}

/** A "$6$" setting with the given salt characters and, when given, explicit rounds. */
export function sha512Setting(salt: string, rounds?: number): string {
  return PREFIX + (rounds === undefined ? '' : `${ROUNDS_PREFIX}${rounds}$`) + salt;
}

/** Turns random bytes into a crypt salt of `length` characters from the crypt alphabet. */
export function saltFromBytes(bytes: Uint8Array, length = SHA512_SALT_MAX): string {
  if (bytes.length < length) throw new Error('not enough random bytes for the salt');
  let s = '';
  for (let i = 0; i < length; i++) s += CRYPT_ALPHABET[(bytes[i] ?? 0) & 0x3f];
  return s;
}

/** True when `password` hashes to `hash` (a "$6$" crypt string). */
export function sha512Verify(password: string, hash: string): boolean {
  return parseSha512Setting(hash) !== undefined && sha512Crypt(password, hash) === hash;
}
