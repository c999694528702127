/**
 * Ring validation failures. A hostile or buggy driver must never crash the simulator: every
 * check in the queue produces one of these values, carrying QEMU's exact message text, and
 * the device core turns it into "device broken + NEEDS_RESET" the way virtio_error() does.
 */

/** Which check failed; stable identifiers for tests and tooling. */
export type VirtqueueErrorKind =
  | 'avail-idx-jump'
  | 'head-out-of-range'
  | 'next-out-of-range'
  | 'looped'
  | 'indirect-size'
  | 'indirect-map'
  | 'zero-size'
  | 'order'
  | 'size-exceeded'
  | 'too-many-sg'
  | 'bogus-descriptor'
  | 'desc-ring-map'
  | 'map-desc'
  | 'map-avail'
  | 'map-used';

/** A queue validation failure with QEMU's message text. */
export class VirtqueueError extends Error {
  /** Which check failed. */
  readonly kind: VirtqueueErrorKind;
  /** Index of the queue that failed (-1 when not known). */
  readonly queue: number;

  /** Creates an error for queue `queue` (the message is QEMU's wording). */
  constructor(kind: VirtqueueErrorKind, message: string, queue = -1) {
    super(message);
    this.name = 'VirtqueueError';
    this.kind = kind;
    this.queue = queue;
  }
}

/**
 * Factories for every message, so the wording lives in one place. `%u` arguments are the
 * 16-bit values QEMU prints.
 */
export const VQ_ERR = {
  /** avail idx more than the queue size ahead of last_avail_idx (virtqueue_num_heads). */
  availIdxJump: (q: number, from: number, to: number) =>
    new VirtqueueError('avail-idx-jump', `Guest moved used index from ${from} to ${to}`, q),
  /** avail ring slot names a descriptor beyond the table (virtqueue_get_head). */
  headOutOfRange: (q: number, head: number) => new VirtqueueError('head-out-of-range', `Guest says index ${head} is available`, q),
  /** `next` beyond the table in use (ring or indirect). */
  nextOutOfRange: (q: number, next: number) => new VirtqueueError('next-out-of-range', `Desc next is ${next}`, q),
  /** More descriptors walked than the table holds. */
  looped: (q: number) => new VirtqueueError('looped', 'Looped descriptor', q),
  /** Indirect table length 0 or not a multiple of 16. */
  indirectSize: (q: number) => new VirtqueueError('indirect-size', 'Invalid size for indirect buffer table', q),
  /** Indirect table not entirely in RAM. */
  indirectMap: (q: number) => new VirtqueueError('indirect-map', 'Cannot map indirect buffer', q),
  /** A buffer descriptor with len 0. */
  zeroSize: (q: number) => new VirtqueueError('zero-size', 'virtio: zero sized buffers are not allowed', q),
  /** A device-readable descriptor after a device-writable one. */
  order: (q: number) => new VirtqueueError('order', 'Incorrect order for descriptors', q),
  /** Popping while as many chains as the queue size are already in flight. */
  sizeExceeded: (q: number) => new VirtqueueError('size-exceeded', 'Virtqueue size exceeded', q),
  /** More than VIRTQUEUE_MAX_SIZE segments in one chain (QEMU says "write" whatever the direction). */
  tooManySg: (q: number) => new VirtqueueError('too-many-sg', 'virtio: too many write descriptors in indirect table', q),
  /** A buffer that is not (entirely) guest RAM. */
  bogusDescriptor: (q: number) => new VirtqueueError('bogus-descriptor', 'virtio: bogus descriptor or out of resources', q),
  /** The queue grew beyond the descriptor table mapped at enable time. */
  descRingMap: (q: number) => new VirtqueueError('desc-ring-map', 'Cannot map descriptor ring', q),
  /** Descriptor table not in RAM when the rings were set. */
  mapDesc: (q: number) => new VirtqueueError('map-desc', 'Cannot map desc', q),
  /** Available ring not in RAM when the rings were set. */
  mapAvail: (q: number) => new VirtqueueError('map-avail', 'Cannot map avail', q),
  /** Used ring not in RAM when the rings were set. */
  mapUsed: (q: number) => new VirtqueueError('map-used', 'Cannot map used', q),
} as const;
