import { describe, expect, it } from 'vitest';
import { Errno, O_CREAT, O_RDWR, S_IFCHR, S_IFMT, S_ISDIR, S_ISLNK, makedev, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, decodeSuperblock } from '../../src/abi/simplefs.js';
import { imageRange, probeFilesystem } from '../../src/disk-image/mkfs.js';
import { bootWithDisks, dec, enc, formattedImage, PART_SECTORS, PART_START, pattern, readWhole, runProgram, vda1, writeWhole } from './helpers.js';

const BIG = pattern(300_000, 7); // past the 12 direct blocks: goes through the single-indirect block

function* populate(sys: Syscalls): Program {
  yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
  yield* sys.mkdir('/mnt/d', 0o750);
  yield* writeWhole(sys, '/mnt/d/big', BIG);
  yield* writeWhole(sys, '/mnt/hello', 'hello, disk\n');
  yield* writeWhole(sys, '/mnt/gone', 'short-lived');
  yield* sys.symlink('d/big', '/mnt/link');
  yield* sys.rename('/mnt/hello', '/mnt/d/hello.txt');
  yield* sys.unlink('/mnt/gone');
  yield* sys.mknod('/mnt/null', S_IFCHR | 0o666, makedev(1, 3));
  yield* sys.link('/mnt/d/hello.txt', '/mnt/hardlink');
  yield* sys.chown('/mnt/d', 1000, 1000);
  return 0;
}

function* verify(sys: Syscalls, seen: Record<string, unknown>): Program {
  seen.root = (yield* sys.readdir('/mnt')).map((e) => e.name).sort();
  seen.d = (yield* sys.readdir('/mnt/d')).map((e) => e.name).sort();
  seen.big = yield* readWhole(sys, '/mnt/link');
  seen.hello = dec(yield* readWhole(sys, '/mnt/hardlink'));
  seen.link = yield* sys.readlink('/mnt/link');
  const st = yield* sys.stat('/mnt/d');
  seen.dmode = st.mode;
  seen.downer = [st.uid, st.gid];
  const n = yield* sys.lstat('/mnt/null');
  seen.null = [n.mode & S_IFMT, n.rdev];
  seen.nlink = (yield* sys.stat('/mnt/hardlink')).nlink;
  return 0;
}

function expectTree(seen: Record<string, unknown>): void {
  expect(seen.root).toEqual(['d', 'hardlink', 'link', 'lost+found', 'null']);
  expect(seen.d).toEqual(['big', 'hello.txt']);
  expect(Buffer.from(seen.big as Uint8Array).equals(Buffer.from(BIG))).toBe(true);
  expect(seen.hello).toBe('hello, disk\n');
  expect(seen.link).toBe('d/big');
  expect(S_ISDIR(seen.dmode as number)).toBe(true);
  expect((seen.dmode as number) & 0o7777).toBe(0o750);
  expect(seen.downer).toEqual([1000, 1000]);
  expect(seen.null).toEqual([S_IFCHR, makedev(1, 3)]);
  expect(seen.nlink).toBe(2);
}

describe('simplefs files through syscalls', () => {
  it('creates, writes, renames, links and unlinks; everything reads back after umount and mount', () => {
    const image = formattedImage({ type: 'ext4', label: 'data', uuidSeed: 'files' });
    const b = bootWithDisks([vda1(image)]);
    expect(runProgram(b, populate).status).toBe(0);
    const seen: Record<string, unknown> = {};
    runProgram(b, function* (sys) {
      yield* verify(sys, {});
      yield* sys.umount('/mnt');
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      return yield* verify(sys, seen);
    });
    expectTree(seen);
  });

  it('a brand-new kernel over the same disk image sees what was written and synced (a guest restart)', () => {
    const image = formattedImage({ type: 'ext4', label: 'data', uuidSeed: 'restart' });
    const first = bootWithDisks([vda1(image)]);
    runProgram(first, function* (sys) {
      yield* populate(sys);
      yield* sys.sync();
      return 0;
    });
    const second = bootWithDisks([vda1(image)]);
    const seen: Record<string, unknown> = {};
    runProgram(second, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      return yield* verify(sys, seen);
    });
    expectTree(seen);
    // Nothing in the second kernel came from the first one's memory: it was all read from the image.
    expect(second.devices[0]?.seen.filter((x) => x.op === 'read').length).toBeGreaterThan(0);
  });

  it('data still only in the page cache is lost if the machine stops before write-back, kept once written back', () => {
    const image = formattedImage({ type: 'ext4', uuidSeed: 'writeback' });
    const b = bootWithDisks([vda1(image)]);
    b.kernel.spawn(function* (sys: Syscalls): Program {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      yield* writeWhole(sys, '/mnt/late', 'not yet on disk');
      return 0;
    }, ['w']);
    b.sched.run(1e9); // 1 s: well before the 5 s periodic write-back
    const crashed = bootWithDisks([vda1(image)]);
    const names: string[] = [];
    runProgram(crashed, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      for (const e of yield* sys.readdir('/mnt')) names.push(e.name);
      return 0;
    });
    expect(names).not.toContain('late');

    b.sched.run(); // the periodic write-back runs
    const later = bootWithDisks([vda1(image)]);
    let text = '';
    runProgram(later, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      text = dec(yield* readWhole(sys, '/mnt/late'));
      return 0;
    });
    expect(text).toBe('not yet on disk');
  });

  it('statfs reports the ext4 magic and figures that follow usage', () => {
    const image = formattedImage({ type: 'ext4', uuidSeed: 'statfs' });
    const b = bootWithDisks([vda1(image)]);
    const r: Record<string, ReturnType<Syscalls['statfs']> extends Generator<unknown, infer T> ? T : never> = {};
    runProgram(b, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      r.before = yield* sys.statfs('/mnt');
      yield* writeWhole(sys, '/mnt/f', pattern(1 << 20));
      r.after = yield* sys.statfs('/mnt');
      yield* sys.unlink('/mnt/f');
      r.freed = yield* sys.statfs('/mnt');
      return 0;
    });
    const { before, after, freed } = r as Required<typeof r>;
    expect(before?.type).toBe(EXT4_SUPER_MAGIC);
    expect(before?.bsize).toBe(4096);
    expect(before?.blocks).toBeGreaterThan(15000);
    expect(before?.bavail).toBeLessThan(before?.bfree ?? 0); // 5% reserved for root
    expect((before?.bfree ?? 0) - (after?.bfree ?? 0)).toBe(256 + 1); // 1 MiB of data plus its indirect block
    expect((before?.ffree ?? 0) - (after?.ffree ?? 0)).toBe(1);
    expect(freed?.bfree).toBe(before?.bfree);
    expect(freed?.ffree).toBe(before?.ffree);
  });

  it('an xfs volume reports XFS_SUPER_MAGIC, numbers its root 128 and has no lost+found', () => {
    const image = formattedImage({ type: 'xfs', label: 'logs', uuidSeed: 'x' });
    const b = bootWithDisks([vda1(image)]);
    const r: { type?: number; ino?: number; names?: string[]; wrong?: string } = {};
    runProgram(b, function* (sys) {
      try {
        yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      } catch (e) {
        r.wrong = (e as Errno).code;
      }
      yield* sys.mount('/dev/vda1', '/mnt', 'xfs');
      r.type = (yield* sys.statfs('/mnt')).type;
      r.ino = (yield* sys.stat('/mnt')).ino;
      r.names = (yield* sys.readdir('/mnt')).map((e) => e.name);
      return 0;
    });
    expect(r).toEqual({ wrong: 'EINVAL', type: XFS_SUPER_MAGIC, ino: 128, names: [] });
  });

  it('refuses a device without a filesystem (EINVAL) and a path that is not a block device (ENOTBLK)', () => {
    const b = bootWithDisks([vda1(formattedImage({ type: 'ext4' }), { start: 0 })]);
    const codes: string[] = [];
    runProgram(b, function* (sys) {
      for (const src of ['/dev/vda1', '/dev/null']) {
        try {
          yield* sys.mount(src, '/mnt', 'ext4');
        } catch (e) {
          codes.push((e as Errno).code);
        }
      }
      return 0;
    });
    expect(codes).toEqual(['EINVAL', 'ENOTBLK']);
  });

  it('an unlinked file stays readable through an open descriptor and is freed at close', () => {
    const b = bootWithDisks([vda1(formattedImage({ type: 'ext4' }))]);
    const r: Record<string, unknown> = {};
    runProgram(b, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      const before = (yield* sys.statfs('/mnt')).bfree;
      const fd = yield* sys.open('/mnt/tmp', O_CREAT | O_RDWR, 0o600);
      yield* sys.write(fd, pattern(50_000));
      yield* sys.unlink('/mnt/tmp');
      r.held = (yield* sys.statfs('/mnt')).bfree < before;
      r.data = (yield* sys.pread(fd, 10, 40_000)).length;
      sys.close(fd);
      r.back = (yield* sys.statfs('/mnt')).bfree === before;
      return 0;
    });
    expect(r).toEqual({ held: true, data: 10, back: true });
  });

  it('runs out of space with ENOSPC; root may use the reserved blocks users may not; freeing makes room again', () => {
    const sectors = 16384; // 8 MiB: 2048 blocks, 5% of them reserved
    const image = formattedImage({ type: 'ext4', uuidSeed: 'full' }, sectors);
    const b = bootWithDisks([vda1(image, { sectors })]);
    runProgram(b, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      yield* sys.chmod('/mnt', 0o1777);
      return 0;
    });
    const fill = function* (sys: Syscalls, path: string, out: Record<string, unknown>): Program {
      const fd = yield* sys.open(path, O_CREAT | O_RDWR, 0o644);
      let n = 0;
      try {
        for (;;) n += yield* sys.write(fd, pattern(4096, n));
      } catch (e) {
        out.err = (e as Errno).code;
      }
      sys.close(fd);
      out.bytes = n;
      out.statfs = yield* sys.statfs('/mnt');
      return 0;
    };
    const user: Record<string, unknown> = {};
    b.kernel.spawn((sys: Syscalls) => fill(sys, '/mnt/user', user), ['user'], { uid: 1000, gid: 1000 });
    b.sched.run();
    const root: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    runProgram(b, function* (sys) {
      yield* fill(sys, '/mnt/root', root);
      yield* sys.unlink('/mnt/root');
      after.statfs = yield* sys.statfs('/mnt');
      return 0;
    });
    type Fs = { bfree: number; bavail: number };
    expect(user.err).toBe('ENOSPC');
    expect((user.statfs as Fs).bavail).toBe(0);
    expect((user.statfs as Fs).bfree).toBeGreaterThan(90);
    expect(root.err).toBe('ENOSPC');
    expect(root.bytes as number).toBeGreaterThan(90 * 4096);
    expect((root.statfs as Fs).bfree).toBe(0);
    expect((after.statfs as Fs).bfree).toBe((user.statfs as Fs).bfree);
    expect(user.bytes as number).toBeGreaterThan(1024 * 4096);
  });

  it('a damaged disk gives EIO or EINVAL, never a crash', () => {
    const image = formattedImage({ type: 'ext4', uuidSeed: 'damaged', files: { a: { kind: 'file', data: 'x'.repeat(70_000) } } });
    const sb = decodeSuperblock(image.read(PART_START, 8));
    if (typeof sb === 'string') throw new Error(sb);
    // Directories and data (including the file's indirect block) overwritten with 0xff.
    image.write(PART_START + sb.firstDataBlock * 8, new Uint8Array(32 * 4096).fill(0xff));
    const b = bootWithDisks([vda1(image)]);
    const codes: string[] = [];
    runProgram(b, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      for (const op of [() => sys.readdir('/mnt'), () => sys.stat('/mnt/a')]) {
        try {
          yield* op();
        } catch (e) {
          codes.push((e as Errno).code);
        }
      }
      return 0;
    });
    expect(codes).toEqual(['EIO', 'EIO']);

    // A damaged superblock is not a filesystem at all.
    const first = image.read(PART_START, 1);
    first.fill(0x5a, 16, 64);
    image.write(PART_START, first);
    const c = bootWithDisks([vda1(image)]);
    let err = '';
    runProgram(c, function* (sys) {
      try {
        yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      } catch (e) {
        err = (e as Errno).code;
      }
      return 0;
    });
    expect(err).toBe('EINVAL');
  });

  it('host mkfs preinstalls files the guest mounts and reads; the host probe reads type, UUID and label back', () => {
    const image = formattedImage({
      type: 'ext4',
      label: 'rootfs',
      uuidSeed: 'preinstall',
      files: {
        etc: { kind: 'dir', entries: { hostname: { kind: 'file', data: 'guest\n' }, motd: { kind: 'symlink', target: 'hostname' } } },
        home: { kind: 'dir', entries: { user: { kind: 'dir', mode: 0o700, uid: 1000, gid: 1000, entries: { big: { kind: 'file', data: BIG, mode: 0o600, uid: 1000, gid: 1000 } } } } },
      },
    });
    const probe = probeFilesystem(imageRange(image, PART_START, PART_SECTORS));
    expect(probe?.type).toBe('ext4');
    expect(probe?.label).toBe('rootfs');
    expect(probe?.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const b = bootWithDisks([vda1(image)]);
    const r: Record<string, unknown> = {};
    runProgram(b, function* (sys) {
      yield* sys.mount('/dev/vda1', '/mnt', 'ext4');
      r.hostname = dec(yield* readWhole(sys, '/mnt/etc/motd'));
      r.motdIsLink = S_ISLNK((yield* sys.lstat('/mnt/etc/motd')).mode);
      const st = yield* sys.stat('/mnt/home/user/big');
      r.owner = [st.uid, st.gid, st.mode & 0o777];
      r.big = (yield* readWhole(sys, '/mnt/home/user/big')).length;
      r.homeLinks = (yield* sys.stat('/mnt/home')).nlink;
      return 0;
    });
    expect(r).toEqual({ hostname: 'guest\n', motdIsLink: true, owner: [1000, 1000, 0o600], big: BIG.length, homeLinks: 3 });
    expect(enc('x').length).toBe(1);
  });
});
