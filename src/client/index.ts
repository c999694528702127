/** The host-side guest agent client. */
export {
  QGA_CLIENT_NO_RESPONSE_TIMEOUT_MS,
  QGA_CLIENT_SYNC_TIMEOUT_MS,
  QGA_CLIENT_TIMEOUT_MS,
  QgaClientBase,
  QGA_COMPLETION_EVENTS,
  type QgaEventSource,
  type QgaCallOptions,
  type QgaClientOptions,
  type QgaNoResponseOptions,
} from './client.js';
export { QgaClient } from './methods.js';
export { connectQga, type QgaConnectOptions } from './connect.js';
export { QgaClientError, QgaConnectionError, QgaTimeoutError } from './errors.js';
export { openQgaTransport, pipeTransport, socketTransport, type QgaTarget, type QgaTransport } from './transport.js';
export { decodeReturn, decodeValue } from './decode.js';
