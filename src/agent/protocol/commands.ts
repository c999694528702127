/**
 * The agent's command list (QEMU's QmpCommandList): every schema command in registration
 * order with its enabled flag and disable reason, plus the operations qemu-ga performs on
 * it — the block list at start-up, and freezing/thawing, which disable and re-enable
 * everything outside the freeze allow-list. Only the operations are modelled, not the
 * resulting policy, so QEMU's quirks follow: a blocked command keeps the frozen-state
 * reason after a thaw, because thawing skips blocked commands.
 */
import type { QapiCommandDef } from '../schema/qapi.js';
import type { QgaProfile } from '../schema/profiles.js';
import { QGA_FROZEN_REASON } from './errors.js';

/** What stays enabled while the filesystems are frozen (ga_freeze_allowlist). */
export const QGA_FREEZE_ALLOWLIST: readonly string[] = [
  'guest-ping',
  'guest-info',
  'guest-sync',
  'guest-sync-delimited',
  'guest-fsfreeze-status',
  'guest-fsfreeze-thaw',
];

/** A rejected agent configuration (what qemu-ga would refuse at start-up). */
export class QgaConfigError extends Error {
  /** Describes the problem. */
  constructor(message: string) {
    super(message);
    this.name = 'QgaConfigError';
  }
}

/** One registered command. */
export interface QgaCommandEntry {
  /** Wire name. */
  readonly name: string;
  /** Its schema definition. */
  readonly def: QapiCommandDef;
  /** qmp_command_is_enabled. */
  enabled: boolean;
  /** The disable reason 7.2 appends to its error (undefined: none). */
  reason: string | undefined;
}

/** The registered commands and their enabled state. */
export class QgaCommandTable {
  private readonly entries = new Map<string, QgaCommandEntry>();
  private readonly blocked: ReadonlySet<string>;
  private isFrozen = false;

  /**
   * Registers the profile's commands and applies the block list (`-b`/`--blacklist`;
   * names that are not commands are ignored, as qmp_disable_command ignores them).
   */
  constructor(profile: QgaProfile, blockRpcs: readonly string[] = []) {
    for (const name of profile.commandOrder) {
      const def = profile.schema.command(name)!;
      this.entries.set(name, { name, def, enabled: true, reason: undefined });
    }
    this.blocked = new Set(blockRpcs);
    for (const name of blockRpcs) this.disable(name, undefined);
  }

  /** The command, if registered. */
  find(name: string): QgaCommandEntry | undefined {
    return this.entries.get(name);
  }

  /** Commands in registration order. */
  list(): QgaCommandEntry[] {
    return [...this.entries.values()];
  }

  /** Whether the agent is in the frozen state. */
  get frozen(): boolean {
    return this.isFrozen;
  }

  /** The block list in force. */
  get blockList(): ReadonlySet<string> {
    return this.blocked;
  }

  /** ga_set_frozen: disables everything outside the freeze allow-list. */
  freeze(): void {
    if (this.isFrozen) return;
    this.isFrozen = true;
    for (const e of this.entries.values()) {
      if (!QGA_FREEZE_ALLOWLIST.includes(e.name)) this.disable(e.name, QGA_FROZEN_REASON);
    }
  }

  /** ga_unset_frozen: re-enables the disabled commands that are not blocked. */
  thaw(): void {
    if (!this.isFrozen) return;
    this.isFrozen = false;
    for (const e of this.entries.values()) {
      if (!this.blocked.has(e.name) && !e.enabled) this.enable(e.name);
    }
  }

  /** qmp_disable_command (unknown names are ignored). */
  disable(name: string, reason: string | undefined): void {
    const e = this.entries.get(name);
    if (e === undefined) return;
    e.enabled = false;
    e.reason = reason;
  }

  /** qmp_enable_command. */
  enable(name: string): void {
    const e = this.entries.get(name);
    if (e === undefined) return;
    e.enabled = true;
    e.reason = undefined;
  }
}

/**
 * Checks the RPC filter options against the profile. Every profile here predates
 * `--allow-rpcs` (QEMU 8.0; 7.2 and older only know `-b`/`--blacklist`), so an allow
 * list is refused rather than given semantics that no modelled version had.
 */
export function checkRpcFilters(profile: QgaProfile, allowRpcs: readonly string[] | undefined): void {
  if (allowRpcs !== undefined) {
    throw new QgaConfigError(`qemu-ga ${profile.version} has no --allow-rpcs (added in QEMU 8.0); use --blacklist`);
  }
}
