/** Opening a client in one step. */
import { type QgaClientOptions } from './client.js';
import { QgaClient } from './methods.js';
import { openQgaTransport, type QgaTarget } from './transport.js';

/** Options of connectQga(). */
export interface QgaConnectOptions extends QgaClientOptions {
  /** Resynchronise right away instead of before the first command. */
  syncOnConnect?: boolean;
}

/** Connects to the agent at `target` (socket path, "host:port", pipe host end, transport). */
export async function connectQga(target: QgaTarget, options: QgaConnectOptions = {}): Promise<QgaClient> {
  const client = new QgaClient(await openQgaTransport(target), options);
  if (options.syncOnConnect === true) await client.sync();
  return client;
}
