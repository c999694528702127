// Expected outputs are what Debian 12's coreutils 9.1 print (C locale) for the same input.
import { describe, expect, it } from 'vitest';
import { bootDebian, expectNoFaults, run, sh, type Booted } from './helpers.js';

function withFiles(): Booted {
  const b = bootDebian({ realtime: { sec: 1_700_000_000, nsec: 0 } });
  const files: Record<string, string> = {
    'a.txt': 'hello\nworld\n',
    'b.txt': 'one two  three\nfour\n\tfive six\n',
    empty: '',
    nonl: 'no newline',
    'big.txt': Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join(''),
    'sub/inner': 'x\n',
    '.hidden': 'h\n',
  };
  for (const [k, v] of Object.entries(files)) b.kernel.writeFile(`/tmp/dt/${k}`, v);
  return b;
}

describe('echo, cat, true, false, sleep', () => {
  it('echo: -n, -e, -E and combined flags', () => {
    const b = bootDebian();
    expect(run(b, ['echo', 'a', 'b']).out).toBe('a b\n');
    expect(run(b, ['/bin/echo', '-e', 'a\\tb\\c', 'more']).out).toBe('a\tb');
    expect(run(b, ['/bin/echo', '-n', 'x']).out).toBe('x');
    expect(run(b, ['/bin/echo', '-E', 'y\\n']).out).toBe('y\\n\n');
    expect(run(b, ['/bin/echo', '-e', '\\0101\\101\\x41\\z\\\\']).out).toBe('AAA\\z\\\n');
    expect(run(b, ['/bin/echo', '--', '-n']).out).toBe('-- -n\n');
    expect(run(b, ['/bin/echo', '-ne', 'a\\nb']).out).toBe('a\nb');
  });

  it('cat: files, stdin, "-", -n, -E and errors', () => {
    const b = withFiles();
    expect(run(b, ['cat', '/tmp/dt/a.txt', '/tmp/dt/nonl', '-', '/tmp/dt/b.txt'], { input: 'IN\n' }).out).toBe('hello\nworld\nno newlineIN\none two  three\nfour\n\tfive six\n');
    expect(run(b, ['cat', '/tmp/dt/nope', '/tmp/dt/a.txt'])).toMatchObject({ out: 'hello\nworld\n', err: 'cat: /tmp/dt/nope: No such file or directory\n', code: 1 });
    expect(run(b, ['cat', '/tmp/dt'])).toMatchObject({ err: 'cat: /tmp/dt: Is a directory\n', code: 1 });
    expect(run(b, ['/bin/cat', '/nope'])).toMatchObject({ err: '/bin/cat: /nope: No such file or directory\n', code: 1 });
    expect(run(b, ['cat', '-n', '/tmp/dt/b.txt']).out).toBe('     1\tone two  three\n     2\tfour\n     3\t\tfive six\n');
    expect(run(b, ['cat', '-E', '/tmp/dt/a.txt']).out).toBe('hello$\nworld$\n');
    expect(run(b, ['cat', '-z'])).toMatchObject({ err: "cat: invalid option -- 'z'\nTry 'cat --help' for more information.\n", code: 1 });
  });

  it('true and false; sleep sums its operands on the virtual clock', () => {
    const b = bootDebian();
    expect(run(b, ['true', '--help']).code).toBe(0);
    expect(run(b, ['false']).code).toBe(1);
    const p = b.kernel.spawn('sleep', ['sleep', '1.5', '0.5s', '1m', '.25']);
    const start = b.sched.now();
    b.sched.run();
    expect((p.exitTime ?? 0) - start).toBe(62_250_000_000);
    expect(run(b, ['sleep'])).toMatchObject({ err: "sleep: missing operand\nTry 'sleep --help' for more information.\n", code: 1 });
    expect(run(b, ['sleep', 'x', 'y'])).toMatchObject({ err: "sleep: invalid time interval 'x'\nsleep: invalid time interval 'y'\nTry 'sleep --help' for more information.\n", code: 1 });
    const h = b.kernel.spawn('sleep', ['sleep', '2h']);
    const t0 = b.sched.now();
    b.sched.run();
    expect((h.exitTime ?? 0) - t0).toBe(7200 * 1e9);
  });
});

describe('printf', () => {
  it('formats integers, strings, characters and %b', () => {
    const b = bootDebian();
    expect(run(b, ['printf', '%d %i %u %x %X %o %c %b %%\\n', '42', '-3', '7', '255', '255', '8', 'hello', 'a\\tb']).out).toBe('42 -3 7 ff FF 10 h a\tb %\n');
    expect(run(b, ['printf', '[%5s][%-5s][%.2s][%05d][%+d][% d][%#x][%#o]\\n', 'ab', 'ab', 'abcdef', '42', '5', '5', '255', '8']).out).toBe('[   ab][ab   ][ab][00042][+5][ 5][0xff][010]\n');
    expect(run(b, ['printf', '%x %o %X %#X %u\\n', '-1', '-1', '3000', '3000', '-1']).out).toBe('ffffffffffffffff 1777777777777777777777 BB8 0XBB8 18446744073709551615\n');
    expect(run(b, ['printf', '%*d|%-*d|%.*f\\n', '5', '42', '4', '7', '2', '3.14159']).out).toBe('   42|7   |3.14\n');
    expect(run(b, ['printf', '%d %d\\n', "'A", '"b']).out).toBe('65 98\n');
    expect(run(b, ['printf', '%.3s|%10.4s|\\n', 'abcdef', 'abcdef']).out).toBe('abc|      abcd|\n');
    expect(run(b, ['printf', '%c%c%c\\n', 'hello', 'w', '1']).out).toBe('hw1\n');
    expect(run(b, ['printf', '%b|%b\\n', 'x\\0101y', 'stop\\cnever']).out).toBe('xAy|stop');
    expect(run(b, ['printf', '%q %q %q %q %q\\n', 'a', 'a b', '', "it's", 'x$y']).out).toBe(`a 'a b' '' "it's" 'x$y'\n`);
  });

  it('formats floating point like glibc, ties to even', () => {
    const b = bootDebian();
    expect(run(b, ['printf', '%e %g %G %.3e %g %g\\n', '12345.678', '0.0001', '1e20', '1', '100000', '1000000']).out).toBe('1.234568e+04 0.0001 1E+20 1.000e+00 100000 1e+06\n');
    expect(run(b, ['printf', '%5.1f|%-8.3e|%G|%g|%g\\n', '3.14159', '1234.5', '0.00001234', '123456789', '0.5']).out).toBe('  3.1|1.234e+03|1.234E-05|1.23457e+08|0.5\n');
    expect(run(b, ['printf', '%.1f %.0f %.2e %g\\n', '0.25', '2.5', '1.125', '0.0001234565']).out).toBe('0.2 2 1.12e+00 0.000123456\n');
    expect(run(b, ['printf', '%f %f %#.0f %+.2f\\n', 'inf', '-0', '3', '-1.005']).out).toBe('inf -0.000000 3. -1.00\n');
  });

  it('reuses the format, escapes, and reports bad arguments', () => {
    const b = bootDebian();
    expect(run(b, ['printf', '%s-%s\\n', 'a', 'b', 'c']).out).toBe('a-b\nc-\n');
    expect(run(b, ['printf', 'a\\tb\\\\n\\n\\101\\x42\\u00e9\\c never']).out).toBe('a\tb\\n\nAB\\u00E9');
    expect(run(b, ['printf', '%i\\n', '0x1F', '010', '-0']).out).toBe('31\n8\n0\n');
    expect(run(b, ['printf', '%d\\n', '12abc', 'abc', '99999999999999999999'])).toMatchObject({
      out: '12\n0\n9223372036854775807\n',
      err: "printf: '12abc': value not completely converted\nprintf: 'abc': expected a numeric value\nprintf: '99999999999999999999': Numerical result out of range\n",
      code: 1,
    });
    expect(run(b, ['/usr/bin/printf'])).toMatchObject({ err: "/usr/bin/printf: missing operand\nTry '/usr/bin/printf --help' for more information.\n", code: 1 });
    expect(run(b, ['printf', 'lit\\n', 'extra'])).toMatchObject({ out: 'lit\n', err: "printf: warning: ignoring excess arguments, starting with 'extra'\n", code: 0 });
    expect(run(b, ['printf', '%5%\\n'])).toMatchObject({ out: '', err: 'printf: %5%: invalid conversion specification\n', code: 1 });
    expect(run(b, ['printf', '\\u0041'])).toMatchObject({ err: 'printf: invalid universal character name \\u0041\n', code: 1 });
  });

  it("the shell's printf builtin words errors like dash", () => {
    const b = bootDebian();
    expect(sh(b, "printf '%d\\n' abc 12x; echo $?")).toMatchObject({ out: '0\n12\n1\n', err: 'sh: 1: printf: abc: expected numeric value\nsh: 1: printf: 12x: not completely converted\n' });
    expect(sh(b, "printf '%z\\n' 1; echo $?")).toMatchObject({ out: '2\n', err: 'sh: 1: printf: %z: invalid directive\n' });
  });
});

describe('env, id, uname, hostname, sync', () => {
  it('env prints, clears, unsets and runs commands', () => {
    const b = bootDebian();
    expect(run(b, ['env', '-i', 'A=1', 'B=2', 'env']).out).toBe('A=1\nB=2\n');
    expect(run(b, ['env'], { env: { X: '1', PATH: '/bin:/usr/bin' } }).out).toBe('X=1\nPATH=/bin:/usr/bin\n');
    expect(run(b, ['env', '-u', 'X', 'Y=2'], { env: { X: '1', Z: '3' } }).out).toBe('Z=3\nY=2\n');
    expect(run(b, ['env', '-i', 'PATH=/bin:/usr/bin', 'sh', '-c', 'echo $PATH']).out).toBe('/bin:/usr/bin\n');
    expect(run(b, ['env', '-i', '-', 'B=2', 'env']).out).toBe('B=2\n');
    expect(run(b, ['env', 'nope'])).toMatchObject({ err: "env: 'nope': No such file or directory\n", code: 127 });
    expect(run(b, ['env', '/etc/passwd'])).toMatchObject({ err: "env: '/etc/passwd': Permission denied\n", code: 126 });
    expect(run(b, ['env', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(run(b, ['env', 'sh', '-c', 'kill $$']).code).toBe(143);
  });

  it('id reports ids and names from /etc/passwd and /etc/group', () => {
    const b = bootDebian();
    expect(run(b, ['id']).out).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
    expect(run(b, ['sh', '-c', 'id -u; id -g; id -un; id -gn; id -G; id -Gn']).out).toBe('0\n0\nroot\nroot\n0\nroot\n');
    expect(run(b, ['id'], { uid: 1000, gid: 1000, groups: [1000, 24, 100] }).out).toBe('uid=1000(user) gid=1000(user) groups=1000(user),24(cdrom),100(users)\n');
    expect(run(b, ['id', 'user']).out).toBe('uid=1000(user) gid=1000(user) groups=1000(user),24(cdrom),25(floppy),29(audio),30(dip),44(video),46(plugdev),100(users)\n');
    expect(run(b, ['id', '-un', 'nobody']).out).toBe('nobody\n');
    expect(run(b, ['id', 'nobody2'])).toMatchObject({ err: "id: 'nobody2': no such user\n", code: 1 });
    expect(run(b, ['id', '-n'])).toMatchObject({ err: 'id: cannot print only names or real IDs in default format\n', code: 1 });
    expect(run(b, ['id', '-u', '-g'])).toMatchObject({ err: 'id: cannot print "only" of more than one choice\n', code: 1 });
    expect(run(b, ['id'], { uid: 4242, gid: 4242 }).out).toBe('uid=4242 gid=4242 groups=4242\n');
  });

  it('uname prints the uname fields in fixed order', () => {
    const b = bootDebian();
    expect(run(b, ['uname']).out).toBe('Linux\n');
    expect(run(b, ['uname', '-a']).out).toBe('Linux debian 6.1.0-qga-sim #1 SMP PREEMPT_DYNAMIC qga-sim x86_64 GNU/Linux\n');
    expect(run(b, ['uname', '-m', '-s', '-r']).out).toBe('Linux 6.1.0-qga-sim x86_64\n');
    expect(run(b, ['uname', '-n', '-v', '-o', '-p', '-i']).out).toBe('debian #1 SMP PREEMPT_DYNAMIC qga-sim unknown unknown GNU/Linux\n');
    expect(run(b, ['uname', '--kernel-name', '--machine']).out).toBe('Linux x86_64\n');
    expect(run(b, ['uname', 'x'])).toMatchObject({ err: "uname: extra operand 'x'\nTry 'uname --help' for more information.\n", code: 1 });
    expect(run(b, ['uname', '-q'])).toMatchObject({ err: "uname: invalid option -- 'q'\nTry 'uname --help' for more information.\n", code: 1 });
  });

  it('hostname shows and, for root, sets the host name', () => {
    const b = bootDebian();
    expect(run(b, ['hostname']).out).toBe('debian\n');
    expect(run(b, ['hostname', 'guest.example.org']).code).toBe(0);
    expect(b.kernel.hostname).toBe('guest.example.org');
    expect(run(b, ['sh', '-c', 'hostname; hostname -s; hostname -d; uname -n']).out).toBe('guest.example.org\nguest\nexample.org\nguest.example.org\n');
    expect(run(b, ['hostname', 'other'], { uid: 1000, gid: 1000 })).toMatchObject({ err: 'hostname: you must be root to change the host name\n', code: 1 });
    expect(run(b, ['hostname', '-bad'])).toMatchObject({ code: 255 });
    expect(run(b, ['hostname', '-F', '/etc/hostname']).code).toBe(0);
    expect(b.kernel.hostname).toBe('debian');
  });

  it('sync flushes everything or fsyncs the files named', () => {
    const b = withFiles();
    expect(run(b, ['sync']).code).toBe(0);
    expect(run(b, ['sync', '/tmp/dt/a.txt']).code).toBe(0);
    expect(run(b, ['sync', '/tmp/dt/nope'])).toMatchObject({ err: "sync: error opening '/tmp/dt/nope': No such file or directory\n", code: 1 });
  });
});

describe('ls, head, wc', () => {
  it('ls lists sorted names, hides dotfiles unless -a/-A, and reports missing operands', () => {
    const b = withFiles();
    expect(run(b, ['ls', '/tmp/dt']).out).toBe('a.txt\nb.txt\nbig.txt\nempty\nnonl\nsub\n');
    expect(run(b, ['ls', '-a', '/tmp/dt']).out).toBe('.\n..\n.hidden\na.txt\nb.txt\nbig.txt\nempty\nnonl\nsub\n');
    expect(run(b, ['ls', '-A1', '/tmp/dt']).out).toBe('.hidden\na.txt\nb.txt\nbig.txt\nempty\nnonl\nsub\n');
    expect(run(b, ['ls', '/tmp/dt/a.txt', '/tmp/dt/sub', '/tmp/dt/b.txt']).out).toBe('/tmp/dt/a.txt\n/tmp/dt/b.txt\n\n/tmp/dt/sub:\ninner\n');
    expect(run(b, ['ls', '-d', '/tmp/dt/sub', '/tmp/dt']).out).toBe('/tmp/dt\n/tmp/dt/sub\n');
    expect(run(b, ['ls', '/tmp/dt/sub', '/tmp/dt/sub']).out).toBe('/tmp/dt/sub:\ninner\n\n/tmp/dt/sub:\ninner\n');
    expect(run(b, ['ls', '/tmp/dt/nope', '/tmp/dt/a.txt'])).toMatchObject({ out: '/tmp/dt/a.txt\n', err: "ls: cannot access '/tmp/dt/nope': No such file or directory\n", code: 2 });
    expect(run(b, ['ls', '/root'], { uid: 1000, gid: 1000 })).toMatchObject({ err: "ls: cannot open directory '/root': Permission denied\n", code: 2 });
    expect(run(b, ['ls', '-z'])).toMatchObject({ err: "ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n", code: 2 });
    expect(run(b, ['ls'], { cwd: '/tmp/dt/sub' }).out).toBe('inner\n');
    expect(sh(b, 'ls /tmp/dt >&-; echo $?; head -n1 /tmp/dt/a.txt > /dev/full; echo $?; cat /tmp/dt/a.txt >&-; echo $?')).toMatchObject({
      out: '2\n1\n1\n',
      err: 'ls: write error: Bad file descriptor\nhead: write error: No space left on device\ncat: standard output: Bad file descriptor\n',
    });
  });

  it('ls -l shows mode, links, owner, group, size, date and symlink targets', () => {
    const b = withFiles();
    b.kernel.chown('/tmp/dt/b.txt', 1000, 1000);
    b.kernel.chmod('/tmp/dt/b.txt', 0o4750);
    b.kernel.createSymlink('/tmp/dt/link', 'a.txt');
    b.kernel.setRealtime({ sec: 1_700_000_000 + 400 * 86400, nsec: 0 });
    b.kernel.writeFile('/tmp/dt/new', 'fresh\n');
    expect(run(b, ['ls', '-l', '/tmp/dt']).out).toBe(
      [
        'total 20',
        '-rw-r--r-- 1 root root  12 Nov 14  2023 a.txt',
        '-rwsr-x--- 1 user user  30 Nov 14  2023 b.txt',
        '-rw-r--r-- 1 root root 231 Nov 14  2023 big.txt',
        '-rw-r--r-- 1 root root   0 Nov 14  2023 empty',
        'lrwxrwxrwx 1 root root   5 Nov 14  2023 link -> a.txt',
        '-rw-r--r-- 1 root root   6 Dec 18 22:13 new',
        '-rw-r--r-- 1 root root  10 Nov 14  2023 nonl',
        'drwxr-xr-x 2 root root  60 Nov 14  2023 sub',
        '',
      ].join('\n'),
    );
    expect(run(b, ['ls', '-ln', '/tmp/dt/b.txt', '/dev/null', '/tmp/dt/link']).out).toBe(
      'crw-rw-rw- 1    0    0 1, 3 Nov 14  2023 /dev/null\n-rwsr-x--- 1 1000 1000   30 Nov 14  2023 /tmp/dt/b.txt\nlrwxrwxrwx 1    0    0    5 Nov 14  2023 /tmp/dt/link -> a.txt\n',
    );
    expect(run(b, ['ls', '-ld', '/tmp', '/etc/shadow']).out).toBe(`-rw-r----- 1 root shadow ${b.kernel.stat('/etc/shadow').size} Nov 14  2023 /etc/shadow\ndrwxrwxrwt 3 root root    60 Nov 14  2023 /tmp\n`);
  });

  it('head: -n, -c, negative counts, headers and errors', () => {
    const b = withFiles();
    expect(run(b, ['sh', '-c', 'head -n 3 /tmp/dt/big.txt; head -2 /tmp/dt/big.txt; head -c 5 /tmp/dt/a.txt; echo']).out).toBe('line 1\nline 2\nline 3\nline 1\nline 2\nhello\n');
    expect(run(b, ['head', '/tmp/dt/a.txt', '/tmp/dt/b.txt']).out).toBe('==> /tmp/dt/a.txt <==\nhello\nworld\n\n==> /tmp/dt/b.txt <==\none two  three\nfour\n\tfive six\n');
    expect(run(b, ['head', '-q', '-n1', '/tmp/dt/a.txt', '/tmp/dt/b.txt']).out).toBe('hello\none two  three\n');
    expect(run(b, ['sh', '-c', 'head -n -27 /tmp/dt/big.txt; head -c -3 /tmp/dt/a.txt; echo; head -n -1 /tmp/dt/nonl; echo "|"']).out).toBe('line 1\nline 2\nline 3\nhello\nwor\n|\n');
    expect(run(b, ['head', '-n', '2'], { input: 'a\nb\nc\n' }).out).toBe('a\nb\n');
    expect(run(b, ['head', '-n', 'x', '/tmp/dt/a.txt'])).toMatchObject({ err: "head: invalid number of lines: 'x'\n", code: 1 });
    expect(run(b, ['head', '/tmp/dt/nope'])).toMatchObject({ err: "head: cannot open '/tmp/dt/nope' for reading: No such file or directory\n", code: 1 });
    expect(run(b, ['sh', '-c', 'cat /tmp/dt/big.txt | head -n 1']).out).toBe('line 1\n');
  });

  it("wc: counts, totals and coreutils' column widths", () => {
    const b = withFiles();
    expect(run(b, ['wc', '/tmp/dt/a.txt']).out).toBe(' 2  2 12 /tmp/dt/a.txt\n');
    expect(run(b, ['wc', '-l', '/tmp/dt/a.txt']).out).toBe('2 /tmp/dt/a.txt\n');
    expect(run(b, ['wc', '-w'], { input: 'one two  three\nfour\n' }).out).toBe('4\n');
    expect(run(b, ['wc', '-c', '/tmp/dt/a.txt', '/tmp/dt/b.txt']).out).toBe('12 /tmp/dt/a.txt\n30 /tmp/dt/b.txt\n42 total\n');
    expect(run(b, ['wc'], { input: 'one two  three\nfour\n\tfive six\n' }).out).toBe('      3       6      30\n');
    expect(run(b, ['wc', '/tmp/dt/nonl', '/tmp/dt/empty']).out).toBe(' 0  2 10 /tmp/dt/nonl\n 0  0  0 /tmp/dt/empty\n 0  2 10 total\n');
    expect(run(b, ['wc', '/tmp/dt/nope', '/tmp/dt/a.txt'])).toMatchObject({ out: ' 2  2 12 /tmp/dt/a.txt\n 2  2 12 total\n', err: 'wc: /tmp/dt/nope: No such file or directory\n', code: 1 });
    expect(run(b, ['wc', '/tmp/dt'])).toMatchObject({ out: '      0       0       0 /tmp/dt\n', err: 'wc: /tmp/dt: Is a directory\n', code: 1 });
    expect(run(b, ['wc', '-L', '/tmp/dt/b.txt']).out).toBe('16 /tmp/dt/b.txt\n');
    expectNoFaults(b);
  });
});
