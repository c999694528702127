/** The virtio device-side building blocks: queue, chain I/O, errors and the device core. */
export { ChainReader, ChainWriter, readChain, segmentsLength, writeChain } from './chain.js';
export type { BufferSegment, DescriptorChain, WalkedDescriptor } from './chain.js';
export { StandaloneQueueHost } from './queue-host.js';
export type { QueueHost } from './queue-host.js';
export { SplitQueue } from './split-queue.js';
export type { AvailBytes } from './split-queue.js';
export { VirtioDevice } from './virtio-device.js';
export type { QueueHandler, VirtioDeviceOptions, VirtioTransport } from './virtio-device.js';
export { VQ_ERR, VirtqueueError } from './virtqueue-error.js';
export type { VirtqueueErrorKind } from './virtqueue-error.js';
