/**
 * Memory blocks, as Linux's drivers/base/memory.c presents RAM: one memoryN device per
 * block-size slice that holds RAM, online or offline. Boot RAM comes from the e820 map;
 * hot-added ranges arrive offline and are onlined by what Debian's udev rule does. Blocks
 * holding the kernel's own memory (everything below the top of its allocator) refuse to go
 * offline with EBUSY, as blocks with unmovable pages do.
 */
import { E820_RAM } from '../../../abi/fw-cfg.js';
import type { Handoff } from '../../../abi/handoff.js';
import { Errno } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/index.js';
import type { BumpAllocator } from '../../platform/resources.js';
import { KERNEL_DMA_BASE } from '../../platform/platform.js';

/** Linux's default block size on x86-64 guests below 64 GiB (MIN_MEMORY_BLOCK_SIZE). */
export const DEFAULT_BLOCK_SIZE = 128 * 1024 * 1024;
/** ZONE_DMA ends at 16 MiB. */
const DMA_END = 16 * 1024 * 1024;
/** ZONE_DMA32 ends at 4 GiB. */
const DMA32_END = 4 * 1024 * 1024 * 1024;

/** A block's state as /sys shows it. */
export type MemoryBlockState = 'online' | 'offline';

/** How a block is (to be) onlined: the words memoryN/state accepts. */
export type OnlineType = 'online' | 'online_kernel' | 'online_movable';

/** One memory block. */
export interface MemoryBlock {
  /** Block id (phys_index): start address / block size. */
  readonly id: number;
  /** State. */
  state: MemoryBlockState;
  /** Zone while online (Linux's zone name). */
  zone: string;
  /** Added by a hotplug event (movable by default, never kernel memory). */
  readonly hotplugged: boolean;
}

/** Listener for block changes (the ACPI driver, /proc/meminfo-like consumers). */
export type MemoryBlockListener = (block: MemoryBlock, event: 'add' | 'online' | 'offline') => void;

/** The memory block devices of a kernel. */
export class MemoryBlocks {
  /** Blocks by id. */
  readonly blocks = new Map<number, MemoryBlock>();
  /** auto_online_blocks policy ("offline": the kernel leaves new blocks to udev). */
  autoOnline: 'offline' | OnlineType = 'offline';
  private readonly listeners: MemoryBlockListener[] = [];

  /** Blocks of `blockSize` bytes; the allocator tells where the kernel's memory ends. */
  constructor(
    private readonly kernel: Kernel,
    readonly blockSize: number,
    private readonly alloc: BumpAllocator | undefined,
  ) {}

  /** Creates an online block for every block-size slice of usable e820 RAM. */
  addBootMemory(e820: Handoff['e820']): void {
    for (const e of e820) {
      if (e.type !== E820_RAM || e.length <= 0) continue;
      const first = Math.floor(e.base / this.blockSize);
      const last = Math.ceil((e.base + e.length) / this.blockSize);
      for (let id = first; id < last; id++) {
        if (this.blocks.has(id)) continue;
        this.blocks.set(id, { id, state: 'online', zone: this.bootZone(id), hotplugged: false });
      }
    }
  }

  /** add_memory: offline blocks for [addr, addr+size); EINVAL unless block-aligned, EEXIST if present. */
  addMemory(addr: number, size: number): MemoryBlock[] {
    if (size <= 0 || addr % this.blockSize !== 0 || size % this.blockSize !== 0) throw new Errno('EINVAL', `range 0x${addr.toString(16)}+0x${size.toString(16)} not aligned to 0x${this.blockSize.toString(16)}`);
    const first = addr / this.blockSize;
    const ids = Array.from({ length: size / this.blockSize }, (_, i) => first + i);
    if (ids.some((id) => this.blocks.has(id))) throw new Errno('EEXIST');
    const added = ids.map((id) => {
      const b: MemoryBlock = { id, state: 'offline', zone: '', hotplugged: true };
      this.blocks.set(id, b);
      return b;
    });
    this.log(`memory: added ${added.length} blocks at 0x${addr.toString(16)}`);
    for (const b of added) this.emit(b, 'add');
    if (this.autoOnline !== 'offline') for (const b of added) this.online(b.id, this.autoOnline);
    return added;
  }

  /** Whether block `id` holds memory the kernel cannot move (so it cannot go offline). */
  isKernelBlock(id: number): boolean {
    const b = this.blocks.get(id);
    if (!b || b.hotplugged) return false;
    const kernelEnd = Math.max(KERNEL_DMA_BASE, this.alloc?.top ?? KERNEL_DMA_BASE);
    return id * this.blockSize < kernelEnd;
  }

  /** memory_subsys_online; EINVAL (from the state file) when already online is the caller's business. */
  online(id: number, type: OnlineType = 'online'): void {
    const b = this.require(id);
    if (b.state === 'online') return;
    b.zone = type === 'online_movable' ? 'Movable' : this.kernelZone(id);
    b.state = 'online';
    const start = id * this.blockSize;
    this.alloc?.include(start, start + this.blockSize);
    this.log(`memory: block ${id} online (${b.zone})`);
    this.emit(b, 'online');
  }

  /** memory_subsys_offline: EBUSY for blocks with kernel memory. */
  offline(id: number): void {
    const b = this.require(id);
    if (b.state === 'offline') return;
    if (this.isKernelBlock(id)) throw new Errno('EBUSY');
    b.state = 'offline';
    const start = id * this.blockSize;
    this.alloc?.exclude(start, start + this.blockSize);
    this.log(`memory: block ${id} offline`);
    this.emit(b, 'offline');
  }

  /** valid_zones: the zone of an online block ("none" if it spans two), else the zones it may join. */
  validZones(id: number): string {
    const b = this.require(id);
    if (b.state === 'online') return this.spansTwoZones(id) ? 'none' : b.zone;
    return `${this.kernelZone(id)} Movable`;
  }

  /** Called on every add/online/offline. */
  onChange(l: MemoryBlockListener): void {
    this.listeners.push(l);
  }

  /** Bytes of online memory. */
  onlineBytes(): number {
    let n = 0;
    for (const b of this.blocks.values()) if (b.state === 'online') n += this.blockSize;
    return n;
  }

  private require(id: number): MemoryBlock {
    const b = this.blocks.get(id);
    if (!b) throw new Errno('ENODEV');
    return b;
  }

  private bootZone(id: number): string {
    return this.spansTwoZones(id) ? 'DMA32' : this.kernelZone(id);
  }

  private kernelZone(id: number): string {
    const start = id * this.blockSize;
    if (start < DMA_END) return 'DMA';
    return start < DMA32_END ? 'DMA32' : 'Normal';
  }

  private spansTwoZones(id: number): boolean {
    const start = id * this.blockSize;
    const end = start + this.blockSize;
    return (start < DMA_END && end > DMA_END) || (start < DMA32_END && end > DMA32_END);
  }

  private emit(b: MemoryBlock, event: 'add' | 'online' | 'offline'): void {
    for (const l of this.listeners) l(b, event);
  }

  private log(line: string): void {
    this.kernel.trace.emit(this.kernel.sched.now(), 'guest', 'kernel', line);
  }
}
