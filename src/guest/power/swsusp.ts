/**
 * The hibernation image on swap, as kernel code driven by bio completions (it runs while
 * user space is frozen, so it cannot be a process): writing the image page and the
 * "S1SUSPEND" header on the active swap area, and, at boot, finding such a header on the
 * resume device, putting the swap signature back at once (as Linux's swsusp_check does) and
 * reading which parked kernel the image names.
 */
import { decodeImagePage, decodeSwsuspHeader, encodeImagePage, markHibernated, swapSignature } from '../../abi/hibernate.js';
import { SWAP_MAGIC, SWAP_PAGE_SIZE } from '../../abi/swap.js';
import { crc32 } from '../../core/crc32.js';
import { Errno, makedev, type ErrnoCode, type Kernel } from '../kernel/index.js';
import type { BlockNode } from '../kernel/block/node.js';
import { SECTOR_SIZE } from '../kernel/block/types.js';

const PAGE_SECTORS = SWAP_PAGE_SIZE / SECTOR_SIZE;
/** Where the image page goes: the swap area's second page (the first is the header). */
export const IMAGE_PAGE_SECTOR = PAGE_SECTORS;

type Done<T> = (error: ErrnoCode | undefined, value: T) => void;

function io(node: BlockNode, op: 'read' | 'write', sector: number, data: Uint8Array, done: Done<Uint8Array>): void {
  node.submit({ op, sector, count: data.length / SECTOR_SIZE, data, end: (err) => done(err, data) });
}

function flush(node: BlockNode, done: Done<undefined>): void {
  node.submit({ op: 'flush', sector: 0, count: 0, end: (err) => done(err, undefined) });
}

/** The block device of the highest-priority active swap area, or ENODEV. */
export function activeSwapDevice(kernel: Kernel): BlockNode {
  const areas = [...kernel.block.swap.list()].sort((a, b) => b.priority - a.priority);
  const node = areas[0] === undefined ? undefined : kernel.block.lookup(areas[0].dev);
  if (node === undefined) throw new Errno('ENODEV', 'no active swap area');
  return node;
}

/**
 * Writes the image naming parked kernel `id` to the swap area on `node`: image page, flush,
 * then the header with the image signature, flush (so the signature never points at an
 * image that is not on disk). `done` gets the first error, if any.
 */
export function writeImage(node: BlockNode, id: string, log: (l: string) => void, done: (error: ErrnoCode | undefined) => void): void {
  const header = new Uint8Array(SWAP_PAGE_SIZE);
  io(node, 'read', 0, header, (err) => {
    if (err) return done(err);
    if (swapSignature(header) !== SWAP_MAGIC) {
      log('PM: hibernation: swap header not found');
      return done('ENODEV');
    }
    const image = encodeImagePage(id, crc32);
    log('PM: Saving image data pages (1 pages)...');
    io(node, 'write', IMAGE_PAGE_SECTOR, image, (err2) => {
      if (err2) return done(err2);
      flush(node, (err3) => {
        if (err3) return done(err3);
        io(node, 'write', 0, markHibernated(header, IMAGE_PAGE_SECTOR, crc32(image)), (err4) => {
          if (err4) return done(err4);
          flush(node, (err5) => {
            if (!err5) log('PM: Image saving done');
            done(err5);
          });
        });
      });
    });
  });
}

/** Puts the plain swap signature back on a swap area that held an image (after a cycle that did not power off). */
export function restoreSignature(node: BlockNode, done: (error: ErrnoCode | undefined) => void): void {
  const header = new Uint8Array(SWAP_PAGE_SIZE);
  io(node, 'read', 0, header, (err) => {
    if (err) return done(err);
    const h = decodeSwsuspHeader(header);
    if (h === undefined) return done(undefined);
    io(node, 'write', 0, h.restored, (err2) => (err2 ? done(err2) : flush(node, (err3) => done(err3))));
  });
}

/** The device a `resume=` value names: a /dev path or MAJ:MIN. */
export function resolveResumeDevice(kernel: Kernel, spec: string): BlockNode | undefined {
  const mm = /^(\d+):(\d+)$/.exec(spec);
  if (mm) {
    return kernel.block.lookup(makedev(Number(mm[1]), Number(mm[2])));
  }
  try {
    return kernel.block.lookup(kernel.stat(spec).rdev);
  } catch (e) {
    if (e instanceof Errno) return undefined;
    throw e;
  }
}

/**
 * Boot-time check of the resume device: calls `done` with the parked kernel's id when the
 * area holds a valid image (its swap signature already restored), or undefined when there
 * is none or it cannot be read.
 */
export function checkImage(node: BlockNode, log: (l: string) => void, done: (id: string | undefined) => void): void {
  const header = new Uint8Array(SWAP_PAGE_SIZE);
  io(node, 'read', 0, header, (err) => {
    const h = err ? undefined : decodeSwsuspHeader(header);
    if (h === undefined) {
      log('PM: Image not found (code -22)');
      return done(undefined);
    }
    log('PM: hibernation: Marking nosave pages: [mem 0x00000000-0x00000fff]');
    // The signature goes back before anything else, so a failed resume does not loop.
    io(node, 'write', 0, h.restored, (err2) => {
      if (err2) return done(undefined);
      flush(node, () => {
        const page = new Uint8Array(SWAP_PAGE_SIZE);
        io(node, 'read', h.imageSector, page, (err3) => {
          const img = err3 ? { error: 'I/O error' } : crc32(page) === h.crc ? decodeImagePage(page, crc32) : { error: 'image CRC mismatch' };
          if ('error' in img) {
            log(`PM: hibernation: Failed to load image, recovering (${img.error})`);
            return done(undefined);
          }
          log('PM: hibernation: Image loading done');
          done(img.id);
        });
      });
    });
  });
}
