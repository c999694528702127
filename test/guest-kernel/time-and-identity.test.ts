import { describe, expect, it } from 'vitest';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  Errno,
  O_CREAT,
  O_WRONLY,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WTERMSIG,
  errnoNumber,
  exitedStatus,
  makedev,
  major,
  minor,
  signaledStatus,
  strerror,
  type Program,
  type Syscalls,
  type Timespec,
} from '../../src/guest/kernel/index.js';
import { boot, expectNoFaults, runToIdle } from './helpers.js';

describe('clocks', () => {
  it('realtime is the kernel offset plus virtual time; settimeofday steps it, monotonic is untouched', () => {
    const b = boot({ realtime: { sec: 1_700_000_000, nsec: 500_000_000 } });
    const out: Timespec[] = [];
    b.sched.run(2_750_000_000);
    runToIdle(b, function* (sys: Syscalls): Program {
      out.push(sys.clockGettime(CLOCK_REALTIME), sys.clockGettime(CLOCK_MONOTONIC));
      sys.settimeofday({ sec: 1_800_000_000, nsec: 0 });
      yield* sys.sleep(1_000_000_001);
      out.push(sys.clockGettime(CLOCK_REALTIME), sys.clockGettime(CLOCK_MONOTONIC));
      const fd = yield* sys.open('/tmp/stamp', O_WRONLY | O_CREAT);
      out.push(sys.fstat(fd).mtime);
      return 0;
    });
    expectNoFaults(b);
    expect(out).toEqual([
      { sec: 1_700_000_003, nsec: 250_000_000 },
      { sec: 2, nsec: 750_000_000 },
      { sec: 1_800_000_001, nsec: 1 },
      { sec: 3, nsec: 750_000_001 },
      { sec: 1_800_000_001, nsec: 1 },
    ]);
  });
});

describe('uname and host name', () => {
  it('reports Linux and lets root change the host name', () => {
    const b = boot({ hostname: 'guest1' });
    const out: unknown[] = [];
    runToIdle(b, function* (sys: Syscalls): Program {
      const u = sys.uname();
      out.push(u.sysname, u.nodename, u.machine, sys.gethostname());
      sys.sethostname('renamed');
      out.push(sys.uname().nodename);
      try {
        sys.sethostname('x'.repeat(65));
      } catch (e) {
        out.push((e as Errno).code);
      }
      return 0;
    });
    expect(out).toEqual(['Linux', 'guest1', 'x86_64', 'guest1', 'renamed', 'EINVAL']);
    expect(b.kernel.hostname).toBe('renamed');
  });
});

describe('ABI helpers', () => {
  it('encodes wait statuses, errno numbers and device numbers like Linux', () => {
    expect(exitedStatus(3)).toBe(0x300);
    expect(WIFEXITED(0x300) && WEXITSTATUS(0x300)).toBe(3);
    expect(WIFSIGNALED(signaledStatus(15)) && WTERMSIG(signaledStatus(15))).toBe(15);
    expect(WIFSIGNALED(0x300)).toBe(false);
    const table: [string, number, string][] = [
      ['EPERM', 1, 'Operation not permitted'],
      ['ENOENT', 2, 'No such file or directory'],
      ['EINTR', 4, 'Interrupted system call'],
      ['EAGAIN', 11, 'Resource temporarily unavailable'],
      ['EBUSY', 16, 'Device or resource busy'],
      ['ENOTTY', 25, 'Inappropriate ioctl for device'],
      ['ELOOP', 40, 'Too many levels of symbolic links'],
      ['EOPNOTSUPP', 95, 'Operation not supported'],
    ];
    for (const [code, n, text] of table) {
      const e = new Errno(code as 'EPERM');
      expect([e.errno, e.message, errnoNumber(e.code), strerror(n)]).toEqual([n, text, n, text]);
    }
    const dev = makedev(253, 300);
    expect([major(dev), minor(dev)]).toEqual([253, 300]);
    expect(makedev(8, 1)).toBe(0x801);
  });
});
