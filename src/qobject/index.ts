/**
 * QEMU's JSON dialect as QMP and qemu-ga speak it: the QObject value model (with QDict's
 * hash-table member order), the incremental byte-stream parser with QEMU's limits and
 * error texts, and the writer that reproduces QEMU's output byte for byte.
 */
export { QNum, INT64_MIN, INT64_MAX, UINT64_MAX, type QNumKind } from './qnum.js';
export { QDict, QDICT_BUCKET_COUNT, tdbHash, qdictBucket } from './qdict.js';
export {
  type QValue,
  type QInput,
  type QInputObject,
  type Plain,
  fromPlain,
  qdict,
  toPlain,
  isQDict,
  isQList,
  isQNum,
  qtypeName,
} from './value.js';
export {
  JsonStreamParser,
  type JsonMessage,
  type JsonErrorCause,
  type JsonStreamParserOptions,
} from './json-streamer.js';
export {
  toQemuJson,
  toQemuJsonBytes,
  quoteQemuString,
  formatQNum,
  type QemuJsonDialect,
  type QemuJsonWriteOptions,
} from './json-writer.js';
export {
  JSON_MAX_MESSAGE_BYTES,
  JSON_MAX_TOKEN_COUNT,
  JSON_MAX_NESTING,
  JSON_MAX_TOKEN_BYTES,
  JSON_PARSE_ERROR_PREFIX,
  JSON_ERR_TOKEN_SIZE,
  JSON_ERR_TOKEN_COUNT,
  JSON_ERR_NESTING,
  JSON_ERR_LEGACY_SYNTAX,
} from './json-limits.js';
export { bytesToQemuString, qemuStringToBytes } from './utf8.js';
export { formatG, formatF, formatLegacyDouble } from './number-format.js';
export { parseQemuJson } from './parse.js';
