/**
 * Where hibernated guest kernels wait for their next boot.
 *
 * Deviation from Linux, on purpose: Linux's hibernation image holds every used page of RAM,
 * so any later boot with the same disks can restore the whole system. This guest kernel is
 * a graph of JS objects whose processes are suspended generators, and generators cannot be
 * serialized. So the image written to the swap area is only Linux's swap header with the
 * "S1SUSPEND" signature plus one page naming an id, and the kernel itself (the GuestOs with
 * every process, open file and driver) is parked here, in this host process, under that id.
 * A boot with the same disks finds the signature, takes the parked kernel and moves it onto
 * the new machine's CPU; drivers bring their (reset) devices up again. An id with nothing
 * parked under it — an image written by another host process, or one already resumed —
 * is treated as Linux treats an image it cannot load: the signature is restored and the
 * system boots normally.
 */

/** What a parked kernel offers the boot that resumes it. */
export interface HibernationImage {
  /** Tag for logs (the guest's host name). */
  readonly tag: string;
}

const parked = new Map<string, HibernationImage>();
let serial = 0;

/** Longest time-ordered id this module hands out is well under the image page's limit. */
function nextId(tag: string): string {
  serial++;
  return `${tag.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32)}-${serial}`;
}

/** Parks a kernel; returns the id its image names. */
export function parkImage(image: HibernationImage): string {
  const id = nextId(image.tag);
  parked.set(id, image);
  return id;
}

/** Takes (and removes) the kernel parked under `id`. */
export function takeParkedImage(id: string): HibernationImage | undefined {
  const img = parked.get(id);
  parked.delete(id);
  return img;
}

/** Drops a parked kernel (its image was abandoned). */
export function discardParkedImage(id: string): void {
  parked.delete(id);
}

/** Ids of the kernels parked in this process. */
export function parkedImageIds(): string[] {
  return [...parked.keys()];
}
