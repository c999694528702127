/**
 * The QAPI data model as far as the guest agent's schemas use it: structs (spelt 'type'
 * before 2.5), enums, alternates (7.2's GuestFileWhence) and commands. Schemas are plain
 * data transcribed from qapi-schema.json; QapiSchema indexes one and resolves type names.
 */

/** QAPI's built-in scalar types. */
export type QapiBuiltin =
  | 'str'
  | 'int'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'size'
  | 'number'
  | 'bool'
  | 'any'
  | 'null';

/** Every built-in, for lookups. */
export const QAPI_BUILTINS: ReadonlySet<string> = new Set<QapiBuiltin>([
  'str',
  'int',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'size',
  'number',
  'bool',
  'any',
  'null',
]);

/** A type as written in the schema: a name, or `[name]` for a list of it. */
export type QapiTypeRef = string | readonly [string];

/** A struct member or command argument; `optional` is the schema's `*` prefix. */
export interface QapiMember {
  /** Member name without the `*`. */
  readonly name: string;
  /** Its type. */
  readonly type: QapiTypeRef;
  /** Written as `*name`. */
  readonly optional?: boolean;
}

/** `{ 'struct': ... }`, or `{ 'type': ... }` in schemas before 2.5. */
export interface QapiStructDef {
  /** Discriminator. */
  readonly meta: 'struct';
  /** Type name. */
  readonly name: string;
  /** The keyword the schema used; both mean the same. */
  readonly keyword: 'struct' | 'type';
  /** Members in schema order (the order the visitors walk them). */
  readonly members: readonly QapiMember[];
}

/** `{ 'enum': ... }`. */
export interface QapiEnumDef {
  /** Discriminator. */
  readonly meta: 'enum';
  /** Type name. */
  readonly name: string;
  /** Values in schema order (their index is the C value). */
  readonly values: readonly string[];
}

/** `{ 'alternate': ... }`: one of several types, chosen by the JSON type of the input. */
export interface QapiAlternateDef {
  /** Discriminator. */
  readonly meta: 'alternate';
  /** Type name. */
  readonly name: string;
  /** Branches (name: type) in schema order. */
  readonly branches: readonly QapiMember[];
}

/** `{ 'command': ... }`. */
export interface QapiCommandDef {
  /** Discriminator. */
  readonly meta: 'command';
  /** Wire name, e.g. `guest-file-open`. */
  readonly name: string;
  /** `data`: the arguments, in schema order. */
  readonly args: readonly QapiMember[];
  /** `returns`; absent means the reply is `{}`. */
  readonly returns?: QapiTypeRef;
  /** False for `'success-response': false` (or 'no'): no reply at all on success. */
  readonly successResponse: boolean;
}

/** Any named type definition. */
export type QapiTypeDef = QapiStructDef | QapiEnumDef | QapiAlternateDef;

/** Any top-level schema expression. */
export type QapiExpr = QapiTypeDef | QapiCommandDef;

/** A schema as transcribed: where it came from and its expressions in source order. */
export interface QapiSchemaSource {
  /** Short era label, e.g. '2.5'. */
  readonly era: string;
  /** Where the text came from. */
  readonly origin: string;
  /** Every expression, in the order the file has them. */
  readonly exprs: readonly QapiExpr[];
}

/** The element type of a list reference, or undefined for a plain name. */
export function listElement(ref: QapiTypeRef): string | undefined {
  return typeof ref === 'string' ? undefined : ref[0];
}

/** A type reference as the schema spells it: `int`, `[GuestIpAddress]`. */
export function typeRefText(ref: QapiTypeRef): string {
  return typeof ref === 'string' ? ref : `[${ref[0]}]`;
}

/** An indexed schema: commands in source order, types by name, references checked. */
export class QapiSchema {
  /** The transcription this was built from. */
  readonly source: QapiSchemaSource;
  private readonly commandMap = new Map<string, QapiCommandDef>();
  private readonly typeMap = new Map<string, QapiTypeDef>();

  /** Indexes `source`; throws if a name is defined twice or a type is unknown. */
  constructor(source: QapiSchemaSource) {
    this.source = source;
    for (const e of source.exprs) {
      const map: Map<string, QapiExpr> = e.meta === 'command' ? this.commandMap : this.typeMap;
      if (map.has(e.name) || QAPI_BUILTINS.has(e.name)) throw new Error(`QAPI: '${e.name}' defined twice`);
      map.set(e.name, e);
    }
    for (const e of source.exprs) {
      const refs: QapiTypeRef[] = [];
      if (e.meta === 'command') {
        refs.push(...e.args.map((m) => m.type));
        if (e.returns !== undefined) refs.push(e.returns);
      } else if (e.meta === 'struct') {
        refs.push(...e.members.map((m) => m.type));
      } else if (e.meta === 'alternate') {
        refs.push(...e.branches.map((m) => m.type));
      }
      for (const r of refs) {
        const n = listElement(r) ?? (r as string);
        if (!QAPI_BUILTINS.has(n) && !this.typeMap.has(n)) throw new Error(`QAPI: '${e.name}' uses unknown type '${n}'`);
      }
    }
  }

  /** Commands in source order. */
  get commands(): QapiCommandDef[] {
    return [...this.commandMap.values()];
  }

  /** Command names in source order. */
  get commandNames(): string[] {
    return [...this.commandMap.keys()];
  }

  /** A command by wire name. */
  command(name: string): QapiCommandDef | undefined {
    return this.commandMap.get(name);
  }

  /** A named (non-builtin) type. */
  type(name: string): QapiTypeDef | undefined {
    return this.typeMap.get(name);
  }

  /** Named types in source order. */
  get types(): QapiTypeDef[] {
    return [...this.typeMap.values()];
  }
}
