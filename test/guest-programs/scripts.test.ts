// execve of "#!" scripts, as binfmt_script does it: interpreter, its one argument, the script path, the rest of argv.
import { describe, expect, it } from 'vitest';
import { bootDebian, run } from './helpers.js';

describe('execve: #! scripts', () => {
  it('runs the interpreter with the script path and the caller\'s arguments', () => {
    const b = bootDebian();
    b.kernel.writeFile('/usr/local/bin/greet', '#!/bin/sh\necho "hello $1 from $0"\nexit 7\n', 0o755);
    const r = run(b, ['greet', 'world']);
    expect(r.out).toBe('hello world from /usr/local/bin/greet\n');
    expect(r.code).toBe(7);
  });

  it('passes the single optional interpreter argument', () => {
    const b = bootDebian();
    b.kernel.writeFile('/tmp/strict', '#!/bin/sh -e\nfalse\necho not reached\n', 0o755);
    const r = run(b, ['/tmp/strict']);
    expect(r.out).toBe('');
    expect(r.code).toBe(1);
  });

  it('refuses a script whose interpreter is missing, and one without #!', () => {
    const b = bootDebian();
    b.kernel.writeFile('/tmp/bad', '#!/nonexistent/interp\n', 0o755);
    b.kernel.writeFile('/tmp/plain', 'echo hi\n', 0o755);
    expect(run(b, ['/bin/sh', '-c', '/tmp/bad; echo $?']).out).toBe('127\n');
    expect(run(b, ['/bin/sh', '-c', '/tmp/plain 2>/dev/null; echo $?']).code).toBe(0);
  });
});
