/** The guest agent's interface: transcribed QAPI schemas, version profiles, TypeScript types. */
export {
  QAPI_BUILTINS,
  QapiSchema,
  listElement,
  typeRefText,
  type QapiAlternateDef,
  type QapiBuiltin,
  type QapiCommandDef,
  type QapiEnumDef,
  type QapiExpr,
  type QapiMember,
  type QapiSchemaSource,
  type QapiStructDef,
  type QapiTypeDef,
  type QapiTypeRef,
} from './qapi.js';
export {
  QGA_DEFAULT_PROFILE,
  QGA_PROFILE_NAMES,
  QGA_PROFILE_VERSIONS,
  isQgaProfileName,
  qgaProfile,
  qgaVersionBanner,
  type QgaProfile,
  type QgaProfileName,
  type QgaWire,
} from './profiles.js';
export { isWideArg, isWideReturn, isWideType, narrowFromBigInt, wideFromBigInt, type QgaWideInt } from './wide.js';
export { QGA_SCHEMA_1_0 } from './data/qga-1.0.js';
export { QGA_SCHEMA_1_2 } from './data/qga-1.2.js';
export { QGA_SCHEMA_1_5 } from './data/qga-1.5.js';
export { QGA_SCHEMA_2_2 } from './data/qga-2.2.js';
export { QGA_SCHEMA_2_5 } from './data/qga-2.5.js';
export { QGA_SCHEMA_7_2 } from './data/qga-7.2.js';
export type * from './types.js';
