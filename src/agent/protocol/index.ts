/** The guest agent's request engine: framing, envelope, dispatch, arguments, replies. */
export { AgentProtocol, QGA_SENTINEL_BYTE, type AgentProtocolOptions, type QgaResponseSink } from './engine.js';
export {
  QgaError,
  QGA_ERR_UNSUPPORTED,
  QGA_FROZEN_REASON,
  QGA_ENVELOPE_2_5,
  QGA_ENVELOPE_7_2,
  qgaCommandDisabled,
  qgaCommandFailed,
  qgaCommandNotFound,
  qgaGenericError,
  qgaInvalidParameter,
  qgaInvalidParameterType,
  qgaInvalidParameterValue,
  qgaMissingParameter,
  qgaUnsupported,
  type QgaErrorClass,
} from './errors.js';
export { QGA_FREEZE_ALLOWLIST, QgaCommandTable, QgaConfigError, checkRpcFilters, type QgaCommandEntry } from './commands.js';
export {
  isGenerator,
  type QgaAgentControl,
  type QgaAnyHandler,
  type QgaCommandContext,
  type QgaCommandInfo,
  type QgaHandler,
  type QgaHandlerResult,
  type QgaHandlers,
} from './handler.js';
export { builtinHandlers } from './builtins.js';
export { visitArguments, type ArgVisitOptions } from './visitor.js';
export { encodeValue } from './output.js';
export { GHashModel, gStrHash, type GlibGeneration } from './ghash.js';
