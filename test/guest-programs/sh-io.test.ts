// Expected outputs are what Debian 12's dash 0.5.12 prints for the same input.
import { describe, expect, it } from 'vitest';
import { Errno, F_GETFD, type Program, type Syscalls } from '../../src/guest/kernel/index.js';
import { writeAll } from '../../src/guest/programs/index.js';
import { bootDebian, expectNoFaults, readGuest, run, sh } from './helpers.js';

// Lists the descriptors a process was started with.
function* fdprobe(sys: Syscalls): Program {
  const open: number[] = [];
  for (let fd = 0; fd < 40; fd++) {
    try {
      sys.fcntl(fd, F_GETFD);
      open.push(fd);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }
  yield* writeAll(sys, 2, `fds: ${open.join(' ')}\n`);
  return 0;
}

describe('sh: pipes and redirections', () => {
  it('connects pipelines with real pipes; the status is the last command', () => {
    const b = bootDebian();
    expect(sh(b, 'echo a | cat | cat -n').out).toBe('     1\ta\n');
    expect(sh(b, '{ echo grp1; echo grp2; } | cat').out).toBe('grp1\ngrp2\n');
    expect(sh(b, 'printf "%s\\n" one two | { read a; read b; echo "$b-$a"; }').out).toBe('two-one\n');
    expect(sh(b, ': | : | :; echo $?; (exit 3) | (exit 0); echo $?; (exit 0) | (exit 3); echo $?').out).toBe('0\n0\n3\n');
    expect(sh(b, 'true | false; echo $?; false | true; echo $?; ! false | true; echo $?').out).toBe('1\n0\n1\n');
    expect(sh(b, 'echo a | { read v; echo "v=$v"; }; echo "after:[$v]"').out).toBe('v=a\nafter:[]\n');
    expectNoFaults(b);
  });

  it('leaks no pipe ends or saved descriptors into children', () => {
    const b = bootDebian();
    b.kernel.installProgram('/usr/local/bin/fdprobe', fdprobe);
    expect(sh(b, 'fdprobe').err).toBe('fds: 0 1 2\n');
    expect(sh(b, 'fdprobe | cat; echo x | fdprobe; fdprobe 2>&1 | cat').err).toBe('fds: 0 1 2\nfds: 0 1 2\n');
    expect(sh(b, 'fdprobe 2>&1 | cat').out).toBe('fds: 0 1 2\n');
    expect(sh(b, 'fdprobe 3>/tmp/three 5</etc/hostname').err).toBe('fds: 0 1 2 3 5\n');
    expect(sh(b, 'exec 4>/tmp/four; fdprobe; exec 4>&-; fdprobe').err).toBe('fds: 0 1 2 4\nfds: 0 1 2\n');
    expect(sh(b, 'x=$(fdprobe 2>&1); echo "$x"; fdprobe <&-').out).toBe('fds: 0 1 2\n');
    expect(sh(b, 'fdprobe <&-').err).toBe('fds: 1 2\n');
  });

  it('redirects to and from files: <, >, >>, N>, <>, and creates with 0666 & ~umask', () => {
    const b = bootDebian();
    expect(sh(b, 'echo hi > /tmp/f1; cat /tmp/f1; echo more >> /tmp/f1; cat /tmp/f1; cat < /tmp/f1 | wc -l').out).toBe('hi\nhi\nmore\n2\n');
    expect(sh(b, 'ls /nope 2>/tmp/err; cat /tmp/err; echo data 1>/tmp/one; cat 0</tmp/one').out).toBe(
      "ls: cannot access '/nope': No such file or directory\ndata\n",
    );
    expect(sh(b, ': > /tmp/empty; wc -c < /tmp/empty; cat 3<>/tmp/rw <&3').out).toBe('0\n');
    expect(b.kernel.stat('/tmp/f1').mode & 0o777).toBe(0o644);
    expect(sh(b, 'cat <<EOF\nhello $HOME $(echo sub)\nEOF\ncat <<\'EOF\'\nno $expansion `here`\nEOF\ncat <<-EOF\n\ttabbed\n\tEOF').out).toBe(
      'hello /root sub\nno $expansion `here`\ntabbed\n',
    );
    expect(sh(b, 'cat <<A <<B\nfirst\nA\nsecond\nB').out).toBe('second\n');
    expect(sh(b, `x=$(printf '%070000d' 0); cat <<EOF | wc -c\n$x\nEOF`).out).toBe('70001\n');
  });

  it('duplicates descriptors: 2>&1, >&2, order matters, >&- closes', () => {
    const b = bootDebian();
    expect(sh(b, 'echo out; echo err >&2')).toMatchObject({ out: 'out\n', err: 'err\n' });
    expect(sh(b, 'ls /nope 2>&1 | cat')).toMatchObject({ out: "ls: cannot access '/nope': No such file or directory\n", err: '' });
    expect(sh(b, 'ls /nope 2>&1 >/dev/null | cat')).toMatchObject({ out: "ls: cannot access '/nope': No such file or directory\n", err: '' });
    expect(sh(b, 'ls /nope >/dev/null 2>&1; echo $?')).toMatchObject({ out: '2\n', err: '' });
    expect(sh(b, '{ echo a; echo b >&2; } 2>&1 | cat')).toMatchObject({ out: 'a\nb\n', err: '' });
    expect(sh(b, 'echo "a" 1>&2 2>/dev/null')).toMatchObject({ out: '', err: 'a\n' });
    expect(sh(b, 'echo to-stderr 1>&2 | cat; echo "status $?"')).toMatchObject({ out: 'status 0\n', err: 'to-stderr\n' });
    expect(sh(b, 'exec 3>/tmp/fd3; echo to3 >&3; exec 3>&-; cat /tmp/fd3').out).toBe('to3\n');
    expect(sh(b, 'exec 2>/dev/null; nope; echo still')).toMatchObject({ out: 'still\n', err: '' });
    expect(sh(b, 'echo before; exec >/dev/null; echo hidden; echo shown >&2')).toMatchObject({ out: 'before\n', err: 'shown\n' });
    expect(sh(b, 'echo a >&5')).toMatchObject({ err: 'sh: 1: 5: Bad file descriptor\n', code: 2 });
    expect(sh(b, 'echo hi >&-; echo $?; printf x > /dev/full; echo $?')).toMatchObject({ out: '1\n1\n', err: 'sh: 1: echo: echo: I/O error\nsh: 1: printf: printf: I/O error\n' });
    expectNoFaults(b);
  });

  it("reports redirection failures like dash and goes on (status 2)", () => {
    const b = bootDebian();
    expect(sh(b, 'cat < /nope; echo $?')).toMatchObject({ out: '2\n', err: 'sh: 1: cannot open /nope: No such file\n' });
    expect(sh(b, 'echo x > /nope/dir/f; echo $?')).toMatchObject({ out: '2\n', err: 'sh: 1: cannot create /nope/dir/f: Directory nonexistent\n' });
    expect(sh(b, 'echo x > /etc/shadow; echo $?', { uid: 1000, gid: 1000 })).toMatchObject({ out: '2\n', err: 'sh: 1: cannot create /etc/shadow: Permission denied\n' });
    expect(sh(b, ': > /nope/x; echo $?')).toMatchObject({ out: '', err: 'sh: 1: cannot create /nope/x: Directory nonexistent\n', code: 2 });
  });
});

describe('sh: commands, PATH and exit status', () => {
  it('reports commands not found (127) and not executable (126)', () => {
    const b = bootDebian();
    b.kernel.writeFile('/tmp/noexec', 'echo hi\n', 0o644);
    expect(sh(b, 'nope')).toMatchObject({ out: '', err: 'sh: 1: nope: not found\n', code: 127 });
    expect(sh(b, 'nope arg1 arg2; echo done')).toMatchObject({ out: 'done\n', err: 'sh: 1: nope: not found\n' });
    expect(sh(b, '/etc/passwd; echo $?')).toMatchObject({ out: '126\n', err: 'sh: 1: /etc/passwd: Permission denied\n' });
    expect(sh(b, '/tmp/noexec; echo $?; /nonexistent/cmd; echo $?; ./nope; echo $?')).toMatchObject({
      out: '126\n127\n127\n',
      err: 'sh: 1: /tmp/noexec: Permission denied\nsh: 1: /nonexistent/cmd: not found\nsh: 1: ./nope: not found\n',
    });
    expect(sh(b, 'PATH=/nonexistent; ls; echo $?')).toMatchObject({ out: '127\n', err: 'sh: 1: ls: not found\n' });
    expect(sh(b, 'unset PATH; ls; /bin/echo direct')).toMatchObject({ out: 'direct\n', err: 'sh: 1: ls: not found\n' });
    expect(sh(b, 'nope | cat; echo $?')).toMatchObject({ out: '0\n', err: 'sh: 1: nope: not found\n' });
    expect(sh(b, 'cat | nope; echo $?')).toMatchObject({ out: '127\n', err: 'sh: 1: nope: not found\n' });
    expect(sh(b, 'echo ${x?oops} | cat; echo after $?')).toMatchObject({ out: 'after 0\n', err: 'sh: 1: x: oops\n' });
    expect(sh(b, '""; echo $?')).toMatchObject({ out: '127\n', err: 'sh: 1: : Permission denied\n' });
    expect(sh(b, 'echo one\nnope\necho three; nope2')).toMatchObject({ out: 'one\nthree\n', err: 'sh: 2: nope: not found\nsh: 3: nope2: not found\n', code: 127 });
  });

  it('runs executable scripts: "#!" interpreters and plain files as sh scripts', () => {
    const b = bootDebian();
    b.kernel.writeFile('/usr/local/bin/hello', '#!/bin/sh\necho "hello from $0: $*"\nexit 4\n', 0o755);
    b.kernel.writeFile('/tmp/plain', 'echo plain $1\n', 0o755);
    expect(sh(b, 'hello a b; echo $?')).toMatchObject({ out: 'hello from /usr/local/bin/hello: a b\n4\n', err: '' });
    expect(sh(b, '/tmp/plain arg')).toMatchObject({ out: 'plain arg\n' });
  });

  it('runs scripts from a file or stdin, naming the script in diagnostics', () => {
    const b = bootDebian();
    b.kernel.writeFile('/tmp/script.sh', 'echo "$0 $1 $#"\n\nnope\nexit 3\n', 0o644);
    expect(run(b, ['sh', '/tmp/script.sh', 'x', 'y'])).toMatchObject({ out: '/tmp/script.sh x 2\n', err: '/tmp/script.sh: 3: nope: not found\n', code: 3 });
    expect(run(b, ['sh'], { input: 'echo from stdin\nnope\n' })).toMatchObject({ out: 'from stdin\n', err: 'sh: 2: nope: not found\n', code: 127 });
    expect(run(b, ['sh', '-s', 'p1'], { input: 'echo $1\n' }).out).toBe('p1\n');
    expect(run(b, ['sh', '/tmp/missing.sh'])).toMatchObject({ err: 'sh: 0: cannot open /tmp/missing.sh: No such file\n', code: 127 });
    expect(run(b, ['sh', '-c', 'echo $0 $1; nope', 'name', 'arg'])).toMatchObject({ out: 'name arg\n', err: 'name: 1: nope: not found\n' });
    expect(run(b, ['sh', '-c'])).toMatchObject({ err: 'sh: 0: -c requires an argument\n', code: 2 });
    expect(run(b, ['/bin/sh', '-c', 'nope'])).toMatchObject({ err: '/bin/sh: 1: nope: not found\n' });
  });

  it('gives syntax errors with line numbers and stops there (status 2)', () => {
    const b = bootDebian();
    expect(sh(b, 'echo ok\nif true; then\n  echo inside\nfi\nfi\necho unreached')).toMatchObject({
      out: 'ok\ninside\n',
      err: 'sh: 5: Syntax error: "fi" unexpected\n',
      code: 2,
    });
    expect(sh(b, 'if; then')).toMatchObject({ err: 'sh: 1: Syntax error: ";" unexpected\n', code: 2 });
    expect(sh(b, "echo 'unterminated")).toMatchObject({ err: 'sh: 1: Syntax error: Unterminated quoted string\n', code: 2 });
    expect(sh(b, 'echo a |')).toMatchObject({ err: 'sh: 1: Syntax error: end of file unexpected\n', code: 2 });
    expect(sh(b, 'while true')).toMatchObject({ err: 'sh: 1: Syntax error: end of file unexpected (expecting "do")\n', code: 2 });
    expect(sh(b, 'case x in')).toMatchObject({ err: 'sh: 1: Syntax error: end of file unexpected (expecting ")")\n', code: 2 });
  });

  it('exits with exit N, the last status, and 128+N for signals', () => {
    const b = bootDebian();
    expect(sh(b, 'exit 3; echo no')).toMatchObject({ out: '', code: 3 });
    expect(sh(b, 'false')).toMatchObject({ code: 1 });
    expect(sh(b, 'exit 256').code).toBe(0);
    expect(sh(b, 'exit abc')).toMatchObject({ err: 'sh: 1: exit: Illegal number: abc\n', code: 2 });
    expect(sh(b, '(exit 4); echo $?; (echo sub; exit 1) && echo no || echo failed').out).toBe('4\nsub\nfailed\n');
    expect(sh(b, `sh -c 'kill $$'; echo $?`)).toMatchObject({ out: '143\n', err: 'Terminated\n' });
    expect(sh(b, 'kill -9 $$; echo no')).toMatchObject({ out: '', code: 137 });
  });
});

describe('sh: kill, background jobs and wait', () => {
  it('kills background jobs by pid with -SIGNAL, -N and -s', () => {
    const b = bootDebian();
    expect(sh(b, 'sleep 100 & kill $!; wait $!; echo $?')).toMatchObject({ out: '143\n', err: 'Terminated\n' });
    expect(sh(b, 'sleep 100 & kill -9 $!; wait $!; echo $?')).toMatchObject({ out: '137\n', err: 'Killed\n' });
    expect(sh(b, 'sleep 100 & kill -s HUP $!; wait $!; echo $?')).toMatchObject({ out: '129\n', err: 'Hangup\n' });
    expect(sh(b, 'sleep 100 & kill -USR1 $!; wait $!; echo $?')).toMatchObject({ out: '138\n' });
    expect(sh(b, 'sleep 10 | cat & kill $!; wait $!; echo $?')).toMatchObject({ out: '143\n' });
    expect(sh(b, 'kill -0 $$ && echo alive; kill -s KILL 999999; echo $?')).toMatchObject({ out: 'alive\n1\n', err: 'sh: 1: kill: No such process\n\n' });
    expect(sh(b, 'kill -FOO 1; echo $?')).toMatchObject({ out: '2\n', err: 'sh: 1: kill: Illegal option -F\n' });
    expect(sh(b, 'kill; echo $?')).toMatchObject({ out: '2\n', err: 'sh: 1: kill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]\n' });
    expect(sh(b, 'kill -l 15; kill -l 143; kill -l | wc -l').out).toBe('TERM\nTERM\n65\n');
    expectNoFaults(b);
  });

  it('waits on the virtual clock; background stdin is /dev/null', () => {
    const b = bootDebian();
    const p = b.kernel.spawn('sh', ['sh', '-c', 'sleep 1 & sleep 2 & wait; echo waited; cat & wait $!; echo "cat=$?"'], { stdin: 'pipe' });
    b.sched.run();
    expect(p.stdout?.text()).toBe('waited\ncat=0\n');
    expect(p.exitTime).toBe(2_000_000_000);
    expect(sh(b, 'wait 12345; echo $?').out).toBe('127\n');
    expect(sh(b, 'echo "[$!]"; true & test -n "$!" && echo haspid').out).toBe('[]\nhaspid\n');
  });

  it('kill reaches the processes of a pipeline the shell started', () => {
    const b = bootDebian();
    const r = sh(b, 'sleep 50 | sleep 60 & p=$!; sleep 1; kill $p; wait $p; echo "status $?"');
    expect(r.out).toBe('status 143\n');
    expect(readGuest(b, '/etc/hostname')).toBe('debian\n');
  });
});
