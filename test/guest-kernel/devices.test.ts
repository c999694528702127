import { describe, expect, it } from 'vitest';
import {
  Errno,
  FIONBIO,
  F_GETFL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  S_IFCHR,
  S_IFMT,
  major,
  minor,
  type DeviceOps,
  type IoctlArg,
  type Program,
  type Syscalls,
} from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults, runToIdle } from './helpers.js';

describe('character devices', () => {
  it('provides /dev/null, zero, full and a deterministic urandom', () => {
    const draw = (): number[] => {
      const b = boot({ seed: 42 });
      const out: number[] = [];
      runToIdle(b, function* (sys: Syscalls): Program {
        const fd = yield* sys.open('/dev/urandom', O_RDONLY);
        out.push(...(yield* sys.read(fd, 8)));
        return 0;
      });
      return out;
    };
    expect(draw()).toEqual(draw());
    const b = boot();
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const nul = yield* sys.open('/dev/null', O_RDWR);
      out.push(yield* sys.write(nul, 'discard'), (yield* sys.read(nul, 10)).length);
      const zero = yield* sys.open('/dev/zero', O_RDONLY);
      out.push([...(yield* sys.read(zero, 4))]);
      const full = yield* sys.open('/dev/full', O_WRONLY);
      try {
        yield* sys.write(full, 'x');
      } catch (e) {
        out.push((e as Errno).code);
      }
      const st = yield* sys.stat('/dev/null');
      out.push(st.mode & S_IFMT, st.mode & 0o777, major(st.rdev), minor(st.rdev));
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([7, 0, [0, 0, 0, 0], 'ENOSPC', S_IFCHR, 0o666, 1, 3]);
  });

  it('creates nodes and /dev/virtio-ports style symlinks, and dispatches ioctls to the driver', () => {
    const b = boot();
    const k = b.kernel;
    const maj = k.allocCharMajor('virtio-portsdev');
    const calls: string[] = [];
    const ops: DeviceOps = {
      read: () => new Uint8Array(0),
      ioctl: (_f, req: number, arg: IoctlArg) => {
        calls.push(`ioctl ${req.toString(16)}`);
        if (req === 0x1234 && arg instanceof Uint8Array) {
          arg.set([1, 2, 3]);
          return 3;
        }
        throw new Errno('EINVAL');
      },
    };
    k.registerCharDevice(maj, 1, ops, 'virtio-portsdev');
    k.createDeviceNode('/dev/vport0p1', maj, 1, { mode: 0o600 });
    k.createSymlink('/dev/virtio-ports/org.qemu.guest_agent.0', '../vport0p1');
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      out.push(yield* sys.realpath('/dev/virtio-ports/org.qemu.guest_agent.0'));
      const fd = yield* sys.open('/dev/virtio-ports/org.qemu.guest_agent.0', O_RDWR);
      const buf = new Uint8Array(4);
      out.push(yield* sys.ioctl(fd, 0x1234, buf), [...buf]);
      try {
        yield* sys.ioctl(fd, 0x9999, 0);
      } catch (e) {
        out.push((e as Errno).code);
      }
      yield* sys.ioctl(fd, FIONBIO, 1);
      out.push((sys.fcntl(fd, F_GETFL) & O_NONBLOCK) !== 0);
      const nul = yield* sys.open('/dev/null', O_RDONLY);
      try {
        yield* sys.ioctl(nul, 0x5401, 0);
      } catch (e) {
        out.push((e as Errno).code);
      }
      return 0;
    });
    expectNoFaults(b);
    expect(maj).toBe(254);
    expect(out).toEqual(['/dev/vport0p1', 3, [1, 2, 3, 0], 'EINVAL', true, 'ENOTTY']);
    expect(calls).toEqual(['ioctl 1234', 'ioctl 9999']);
    expect(k.devices.majors('char')).toEqual([
      { major: 1, name: 'mem' },
      { major: 5, name: '/dev/console' },
      { major: 10, name: 'misc' },
      { major: 254, name: 'virtio-portsdev' },
    ]);
  });

  it('only root may mknod device nodes; the console writes lines into the trace', () => {
    const b = boot();
    const lines: string[] = [];
    b.trace.subscribe(['guest'], (rec) => {
      if (rec.source === 'console') lines.push(rec.message);
    });
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      yield* sys.mknod('/tmp/null2', S_IFCHR | 0o666, (1 << 8) | 3);
      const fd = yield* sys.open('/tmp/null2', O_RDWR);
      out.push(yield* sys.write(fd, 'x'));
      const con = yield* sys.open('/dev/console', O_WRONLY);
      yield* sys.write(con, 'hello ');
      yield* sys.write(con, 'console\nsecond');
      yield* sys.write(con, ' line\n');
      return 0;
    });
    runToIdle(b, function* (sys: Syscalls): Program {
      try {
        yield* sys.mknod('/tmp/null3', S_IFCHR | 0o666, (1 << 8) | 3);
      } catch (e) {
        out.push((e as Errno).code);
      }
      return 0;
    }, ['user'], { uid: 1000, gid: 1000 });
    expectNoFaults(b);
    expect(out).toEqual([1, 'EPERM']);
    expect(lines).toEqual(['hello console', 'second line']);
  });
});
