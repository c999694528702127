/** Driver-side test kit for writing device tests: guest memory and a hand-driven split queue. */
export { GuestBumpAllocator, TEST_RAM_SIZE, createTestMemory } from './guest-memory.js';
export { MOCK_DATA_BASE, MOCK_DATA_SIZE, MOCK_RING_BASE, MockSplitQueue } from './mock-split-queue.js';
export type { BuiltChain, MockQueueOptions, RawDescriptor, SegmentSpec, UsedElem } from './mock-split-queue.js';
