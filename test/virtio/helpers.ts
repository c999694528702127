/** Shared rigs for the virtio tests: a minimal device, a recording transport, and bring-up. */
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  featureBit,
} from '../../src/abi/virtio.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { MockSplitQueue, createTestMemory } from '../../src/testkit/index.js';
import type { DescriptorChain } from '../../devices/virtio/chain.js';
import type { SplitQueue } from '../../devices/virtio/split-queue.js';
import { VirtioDevice, type VirtioTransport } from '../../devices/virtio/virtio-device.js';

/** What a test device does when its queue is kicked. */
export type KickMode = 'push' | 'hold';

/** A device with N queues whose kick handler pops everything and (optionally) pushes it back. */
export class TestDevice extends VirtioDevice {
  /** Chains popped by kicks, in order. */
  readonly popped: DescriptorChain[] = [];
  /** Queue indices kicked (handler actually ran). */
  readonly kicks: number[] = [];
  /** 'push' returns each chain with len 0 and notifies; 'hold' keeps them in flight. */
  mode: KickMode = 'push';
  /** Extra FEATURES_OK validation. */
  acceptFeatures: (f: bigint) => boolean = () => true;
  /** Calls of onReset. */
  resets = 0;
  /** Config bytes the driver wrote, as [offset, size]. */
  readonly configWrites: [number, number][] = [];
  /** Times refreshConfig ran. */
  refreshes = 0;

  /** Offers `hostFeatures` and creates queues of the given sizes. */
  constructor(mem: AddressSpace, hostFeatures: bigint, queueSizes: number[], trace?: (line: string) => void) {
    super({ name: 'test', deviceId: 99, mem, hostFeatures, configSize: 12, trace });
    for (const size of queueSizes) {
      this.addQueue(size, (q) => this.onKick(q));
    }
  }

  /** Lets tests set config bytes as the device would. */
  setConfigU32(offset: number, v: number): void {
    this.configView.setUint32(offset, v, true);
  }

  protected override validateFeatures(f: bigint): boolean {
    return this.acceptFeatures(f);
  }

  protected override onReset(): void {
    this.resets++;
  }

  protected override refreshConfig(): void {
    this.refreshes++;
  }

  protected override configWritten(offset: number, size: number): void {
    this.configWrites.push([offset, size]);
  }

  private onKick(q: SplitQueue): void {
    this.kicks.push(q.index);
    for (let c = q.pop(); c; c = q.pop()) {
      this.popped.push(c);
      if (this.mode === 'push') q.push(c, 0);
    }
    if (this.mode === 'push') this.notify(q);
  }
}

/** A transport that records what the core asked it to deliver. */
export class FakeTransport implements VirtioTransport {
  /** "queue N" / "config", in order. */
  readonly events: string[] = [];

  /** Records a queue interrupt. */
  notifyQueue(index: number): void {
    this.events.push(`queue ${index}`);
  }

  /** Records a config interrupt. */
  notifyConfig(): void {
    this.events.push('config');
  }
}

/** Offered by the test device unless a test says otherwise. */
export const DEFAULT_HOST_FEATURES =
  featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_RING_F_EVENT_IDX) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);

/** A device, its transport and one driver-side mock queue, brought up to DRIVER_OK. */
export interface Rig {
  /** Guest memory. */
  mem: AddressSpace;
  /** The device. */
  dev: TestDevice;
  /** Its transport. */
  transport: FakeTransport;
  /** Driver side of queue 0. */
  drv: MockSplitQueue;
  /** Device side of queue 0. */
  q: SplitQueue;
  /** Driver-accepted features used for bring-up. */
  features: bigint;
  /** Resets the device (status 0) and brings it up again with a fresh driver queue. */
  reinit(): void;
  /** Kicks queue 0. */
  kick(): void;
}

/** Options of bringUp. */
export interface RigOptions {
  /** Queue size (default 8). */
  size?: number;
  /** Driver-accepted features (default VERSION_1). */
  features?: bigint;
  /** Device-offered features (default DEFAULT_HOST_FEATURES). */
  hostFeatures?: bigint;
  /** Trace sink. */
  trace?: (line: string) => void;
}

/** Builds the device and runs the driver's init sequence (1.2 §3.1.1) against it. */
export function bringUp(opts: RigOptions = {}): Rig {
  const mem = createTestMemory();
  const size = opts.size ?? 8;
  const features = opts.features ?? featureBit(VIRTIO_F_VERSION_1);
  const dev = new TestDevice(mem, opts.hostFeatures ?? DEFAULT_HOST_FEATURES, [size], opts.trace);
  const transport = new FakeTransport();
  dev.attachTransport(transport);
  const rig: Rig = {
    mem,
    dev,
    transport,
    drv: undefined as unknown as MockSplitQueue,
    q: dev.queues[0]!,
    features,
    reinit() {
      dev.setStatus(0);
      init();
    },
    kick() {
      dev.handleKick(0);
    },
  };
  const init = (): void => {
    dev.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    dev.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    dev.setGuestFeatures(features);
    dev.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    rig.drv = new MockSplitQueue(mem, { size });
    const l = rig.drv.layout;
    dev.queues[0]!.setRings(l.desc, l.avail, l.used);
    dev.queues[0]!.enabled = true;
    dev.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
  };
  init();
  return rig;
}

/** Bytes 0, 1, 2, ... (mod 256) of length n, offset by `seed`. */
export function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) & 0xff;
  return b;
}
