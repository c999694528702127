/**
 * The CDBs the midlayer and sd send, built from the SCSI ABI: INQUIRY, REPORT LUNS, TEST UNIT
 * READY, READ CAPACITY(10/16), MODE SENSE(6), READ/WRITE(16), SYNCHRONIZE CACHE(10), UNMAP.
 */
import {
  INQUIRY,
  INQUIRY_EVPD,
  MODE_SENSE_6,
  MODE_SENSE_DBD,
  READ_16,
  READ_CAPACITY_10,
  REPORT_LUNS,
  SAI_READ_CAPACITY_16,
  SERVICE_ACTION_IN_16,
  SYNCHRONIZE_CACHE_10,
  TEST_UNIT_READY,
  UNMAP,
  UNMAP_DESCRIPTOR_SIZE,
  UNMAP_HEADER_SIZE,
  WRITE_16,
  putBe,
} from '../../../abi/scsi.js';

/** INQUIRY: standard data, or VPD page `page` when given. */
export function inquiryCdb(alloc: number, page?: number): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = INQUIRY;
  if (page !== undefined) {
    c[1] = INQUIRY_EVPD;
    c[2] = page;
  }
  putBe(c, 3, 2, alloc);
  return c;
}

/** REPORT LUNS (select report 0: all logical units). */
export function reportLunsCdb(alloc: number): Uint8Array {
  const c = new Uint8Array(12);
  c[0] = REPORT_LUNS;
  putBe(c, 6, 4, alloc);
  return c;
}

/** TEST UNIT READY. */
export function testUnitReadyCdb(): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = TEST_UNIT_READY;
  return c;
}

/** READ CAPACITY(10). */
export function readCapacity10Cdb(): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = READ_CAPACITY_10;
  return c;
}

/** READ CAPACITY(16) (SERVICE ACTION IN). */
export function readCapacity16Cdb(alloc: number): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = SERVICE_ACTION_IN_16;
  c[1] = SAI_READ_CAPACITY_16;
  putBe(c, 10, 4, alloc);
  return c;
}

/** MODE SENSE(6) of one page, without block descriptors. */
export function modeSense6Cdb(page: number, alloc: number): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = MODE_SENSE_6;
  c[1] = MODE_SENSE_DBD;
  c[2] = page & 0x3f;
  c[4] = alloc;
  return c;
}

/** READ(16) or WRITE(16). */
export function rw16Cdb(write: boolean, lba: number, blocks: number): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = write ? WRITE_16 : READ_16;
  putBe(c, 2, 8, lba);
  putBe(c, 10, 4, blocks);
  return c;
}

/** SYNCHRONIZE CACHE(10) of the whole medium. */
export function syncCacheCdb(): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = SYNCHRONIZE_CACHE_10;
  return c;
}

/** UNMAP with one block descriptor: the CDB and its parameter list. */
export function unmapCommand(lba: number, blocks: number): { cdb: Uint8Array; params: Uint8Array } {
  const params = new Uint8Array(UNMAP_HEADER_SIZE + UNMAP_DESCRIPTOR_SIZE);
  putBe(params, 0, 2, params.length - 2);
  putBe(params, 2, 2, UNMAP_DESCRIPTOR_SIZE);
  putBe(params, UNMAP_HEADER_SIZE, 8, lba);
  putBe(params, UNMAP_HEADER_SIZE + 8, 4, blocks);
  const cdb = new Uint8Array(10);
  cdb[0] = UNMAP;
  putBe(cdb, 7, 2, params.length);
  return { cdb, params };
}
