/** Public API of the host-side character devices. */
export {
  CHARDEV_WRITE_HIGH_WATER,
  Chardev,
  type ChardevBaseOptions,
  type ChardevEvents,
  type ChardevStats,
} from './chardev.js';
export { ChardevError } from './errors.js';
export { FileChardev, type FileChardevOptions } from './file.js';
export { NullChardev } from './null.js';
export {
  ChardevPipeHost,
  MemoryChardev,
  PIPE_READ_TIMEOUT_MS,
  createChardevPipe,
  type ChardevPipeHostEvents,
  type ChardevPipeOptions,
} from './pipe.js';
export {
  SOCKET_DEFAULT_HOST,
  SOCKET_PENDING_CLIENTS_MAX,
  SocketChardev,
  type SocketAddress,
  type SocketChardevOptions,
} from './socket.js';
export {
  CHARDEV_BACKENDS,
  createChardevFromCompat,
  createChardevFromOptions,
  createChardevFromSpec,
  isWellFormedId,
  parseChardevCompat,
  parseChardevOptions,
  type ChardevSpec,
} from './options.js';
export { ChardevRegistry, duplicateChardevMessage } from './registry.js';
