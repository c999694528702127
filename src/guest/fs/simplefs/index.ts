/**
 * The disk filesystem driver the guest reports as ext4 and as xfs: registration with the
 * kernel, the mounted-volume type, and the block-device contract it needs.
 */
export { registerSimplefs, SimplefsDriver, SIMPLEFS_TYPES } from './mount.js';
export { SimpleFs, WRITEBACK_DELAY_NS, type FreezeState } from './fs.js';
export { BUFFER_CACHE_CLEAN_LIMIT, MAX_BIO_BLOCKS, type BufferCacheStats } from './buffer-cache.js';
export { MAX_FILE_IO_BYTES } from './file.js';
export { MountOptions } from './options.js';
export type { BlockDeviceLike, BlockOpener } from './block-device.js';
