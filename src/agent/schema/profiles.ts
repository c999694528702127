/**
 * Version profiles: which qemu-ga the simulated agent pretends to be. A profile is a
 * command set with its return shapes (a schema), the version string, and the generation
 * of wire behaviour (envelope checks, error texts, JSON dialect, command order).
 *
 * Only two wire generations are modelled, because only two were studied: 2.5 and 7.2
 * (= 6.1's rules, confirmed against Debian's 7.2). The 1.x and 2.2 profiles use their
 * own schemas with 2.5's wire behaviour, the closest one known.
 */
import type { QemuJsonDialect } from '../../qobject/index.js';
import { QGA_SCHEMA_1_0 } from './data/qga-1.0.js';
import { QGA_SCHEMA_1_2 } from './data/qga-1.2.js';
import { QGA_SCHEMA_1_5 } from './data/qga-1.5.js';
import { QGA_SCHEMA_2_2 } from './data/qga-2.2.js';
import { QGA_SCHEMA_2_5 } from './data/qga-2.5.js';
import { QGA_SCHEMA_7_2 } from './data/qga-7.2.js';
import { QapiSchema, type QapiSchemaSource } from './qapi.js';

/** The profiles there are. */
export type QgaProfileName = '1.0' | '1.2' | '1.5' | '2.2' | '2.5' | '7.2';

/** All profile names, oldest first. */
export const QGA_PROFILE_NAMES: readonly QgaProfileName[] = ['1.0', '1.2', '1.5', '2.2', '2.5', '7.2'];

/** Debian 12 ships qemu-ga 7.2, so that is what a management stack most likely meets. */
export const QGA_DEFAULT_PROFILE: QgaProfileName = '7.2';

/** The generation of request handling and error texts: 2.5's or 7.2's. */
export type QgaWire = '2.5' | '7.2';

/** Everything version-dependent about the agent. */
export interface QgaProfile {
  /** Profile name. */
  readonly name: QgaProfileName;
  /** QEMU_VERSION: what guest-info and `qemu-ga -V` report. */
  readonly version: string;
  /** Commands, arguments and return types. */
  readonly schema: QapiSchema;
  /** Envelope checks, dispatch and argument-visitor texts. */
  readonly wire: QgaWire;
  /** JSON parser and writer dialect. */
  readonly dialect: QemuJsonDialect;
  /**
   * Command registration order, which guest-info reports reversed: the 2.5 generator
   * sorted entities by name; before it (an inference from the older generators, which
   * walked the expression list) and from 2.12 on, schema order.
   */
  readonly registration: 'alphabetical' | 'schema';
  /**
   * GLib hash table generation behind the visitor's "unexpected member" report, which
   * names the first leftover key in GHashTable order: old glib indexes by `hash % prime`,
   * GLib 2.59+ (Debian 12 has 2.74) by `(hash * 11) % prime` and resizes in place.
   */
  readonly glib: 'legacy' | 'modern';
  /** Commands in registration order. */
  readonly commandOrder: readonly string[];
}

/**
 * guest-info's version string per profile. QEMU_VERSION comes from the VERSION file
 * ("1.0" for 1.0, "x.y.0" for the others). 7.2: Debian 12 builds its point releases
 * from upstream stable tags; package 1:7.2+dfsg-7+deb12u7 reports 7.2.13.
 */
export const QGA_PROFILE_VERSIONS: Readonly<Record<QgaProfileName, string>> = {
  '1.0': '1.0',
  '1.2': '1.2.0',
  '1.5': '1.5.0',
  '2.2': '2.2.0',
  '2.5': '2.5.0',
  '7.2': '7.2.13',
};

const SOURCES: Readonly<Record<QgaProfileName, QapiSchemaSource>> = {
  '1.0': QGA_SCHEMA_1_0,
  '1.2': QGA_SCHEMA_1_2,
  '1.5': QGA_SCHEMA_1_5,
  '2.2': QGA_SCHEMA_2_2,
  '2.5': QGA_SCHEMA_2_5,
  '7.2': QGA_SCHEMA_7_2,
};

const cache = new Map<QgaProfileName, QgaProfile>();

/** True for a known profile name. */
export function isQgaProfileName(s: string): s is QgaProfileName {
  return (QGA_PROFILE_NAMES as readonly string[]).includes(s);
}

/** The profile of that name (default 7.2); profiles are immutable and shared. */
export function qgaProfile(name: QgaProfileName = QGA_DEFAULT_PROFILE): QgaProfile {
  let p = cache.get(name);
  if (p === undefined) {
    const schema = new QapiSchema(SOURCES[name]);
    const modern = name === '7.2';
    const registration = name === '2.5' ? 'alphabetical' : 'schema';
    const names = schema.commandNames;
    // Code-unit order is what Python's sorted() gives for these ASCII names.
    const commandOrder = registration === 'alphabetical' ? [...names].sort() : names;
    p = Object.freeze({
      name,
      version: QGA_PROFILE_VERSIONS[name],
      schema,
      wire: modern ? '7.2' : '2.5',
      dialect: modern ? '7.2' : '2.5',
      registration,
      glib: modern ? 'modern' : 'legacy',
      commandOrder: Object.freeze(commandOrder),
    } satisfies QgaProfile);
    cache.set(name, p);
  }
  return p;
}

/** What `qemu-ga -V` prints (without the newline). */
export function qgaVersionBanner(version: string): string {
  return `QEMU Guest Agent ${version}`;
}
