// Expected outputs are what Debian 12's dash 0.5.12 prints for the same input.
import { describe, expect, it } from 'vitest';
import { bootDebian, expectNoFaults, sh } from './helpers.js';

describe('sh: control flow', () => {
  it('runs ; && || ! and if/elif/else', () => {
    const b = bootDebian();
    expect(sh(b, 'false && echo no || echo yes; true && echo y2; ! true; echo $?').out).toBe('yes\ny2\n1\n');
    expect(sh(b, 'true && false || echo recovered; false || false && echo never; echo $?').out).toBe('recovered\n1\n');
    expect(sh(b, 'for x in 1 2 3; do if [ $x = 1 ]; then echo one; elif [ $x = 2 ]; then echo two; else echo other; fi; done').out).toBe('one\ntwo\nother\n');
    expect(sh(b, 'if false; then :; fi; echo $?').out).toBe('0\n');
  });

  it('loops with while, until, for, break N and continue N', () => {
    const b = bootDebian();
    expect(sh(b, 'i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done').out).toBe('0\n1\n2\n');
    expect(sh(b, 'i=0; until [ $i = 2 ]; do i=$((i+1)); done; echo $i').out).toBe('2\n');
    expect(sh(b, 'for i in 1 2 3 4; do if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo $i; done').out).toBe('1\n3\n');
    expect(sh(b, 'for i in 1 2; do\n  for j in a b; do\n    [ $j = b ] && continue 2\n    [ $i = 2 ] && break 2\n    echo $i$j\n  done\ndone; echo end').out).toBe('1a\nend\n');
    expect(sh(b, 'set -- x y; for a; do echo $a; done; while false; do :; done; echo $?').out).toBe('x\ny\n0\n');
    expect(sh(b, 'while read line; do echo "[$line]"; done <<EOF\n a b \nc\\\\d\nEOF').out).toBe('[a b]\n[cd]\n');
  });

  it('matches case patterns', () => {
    const b = bootDebian();
    expect(sh(b, 'case abc in a*c) echo match;; *) echo no;; esac; case x in y|x) echo two;; esac').out).toBe('match\ntwo\n');
    expect(sh(b, 'case "/tmp/x.c" in *.[ch]) echo source;; *) echo other;; esac; case B in [a-z]) echo lower;; [[:upper:]]) echo upper;; esac').out).toBe('source\nupper\n');
    expect(sh(b, `case 'a*' in 'a*') echo quoted;; esac; case ab in "a"*) echo mixed;; esac; case x in (x) echo paren;; esac; case z in a) ;; esac; echo $?`).out).toBe(
      'quoted\nmixed\nparen\n0\n',
    );
  });

  it('defines functions with arguments, return, local and nested definitions', () => {
    const b = bootDebian();
    expect(sh(b, 'f() {\n  g() { echo g:$1; }\n  g "$@"\n  return $(( $# + 1 ))\n}\nf x y; echo $?').out).toBe('g:x\n3\n');
    expect(sh(b, 'g() { local v=inner; echo $v; }; v=outer; g; echo $v').out).toBe('inner\nouter\n');
    expect(sh(b, 'f() { echo "$0 $1"; }; f arg; t() { return 7; }; t; echo $?').out).toBe('sh arg\n7\n');
    expect(sh(b, 'f() { exit 9; echo no; }; f; echo never')).toMatchObject({ out: '', code: 9 });
    expect(sh(b, 'set -- "a b" c; f() { for a; do echo "<$a>"; done; }; f "$@"; f $@').out).toBe('<a b>\n<c>\n<a>\n<b>\n<c>\n');
    expect(sh(b, 'local x=1')).toMatchObject({ err: 'sh: 1: local: not in a function\n', code: 2 });
  });

  it('stops on failures with set -e, but not in conditions', () => {
    const b = bootDebian();
    expect(sh(b, 'set -e; true; false; echo notreached')).toMatchObject({ out: '', code: 1 });
    expect(sh(b, 'set -e; false || true; if false; then :; fi; ! true; echo reached')).toMatchObject({ out: 'reached\n', code: 0 });
    expect(sh(b, '(set -e; false; echo no); echo "sub status $?"').out).toBe('sub status 1\n');
    expect(sh(b, 'set -e; nope; echo no')).toMatchObject({ out: '', code: 127 });
  });

  it('runs EXIT and signal traps', () => {
    const b = bootDebian();
    expect(sh(b, 'trap "echo bye" EXIT; trap "echo int" INT TERM; trap; trap - INT; trap').out).toBe(
      "trap -- 'echo bye' EXIT\ntrap -- 'echo int' INT\ntrap -- 'echo int' TERM\ntrap -- 'echo bye' EXIT\ntrap -- 'echo int' TERM\nbye\n",
    );
    expect(sh(b, 'trap "echo got" USR1; kill -USR1 $$; echo after').out).toBe('got\nafter\n');
    expect(sh(b, 'trap "" TERM; kill $$; echo survived').out).toBe('survived\n');
    expect(sh(b, 'trap "echo x" FOO; echo $?')).toMatchObject({ out: '1\n', err: 'trap: FOO: bad trap\n' });
    expect(sh(b, 'trap "echo e; exit 3" EXIT; false')).toMatchObject({ out: 'e\n', code: 3 });
    expect(sh(b, 'trap "echo in-exit \\$?" EXIT; exit 4')).toMatchObject({ out: 'in-exit 4\n', code: 4 });
    expect(sh(b, 'set -e; trap "echo trapped" EXIT; false; echo no')).toMatchObject({ out: 'trapped\n', code: 1 });
    expect(sh(b, '(trap "echo sub" EXIT; echo in); echo out').out).toBe('in\nsub\nout\n');
    expect(sh(b, 'trap "echo usr; exit 7" USR1; sleep 1; kill -USR1 $$; sleep 1; echo not')).toMatchObject({ out: 'usr\n', code: 7 });
    expectNoFaults(b);
  });

  it('parses options with getopts', () => {
    const b = bootDebian();
    expect(sh(b, 'while getopts "ab:c" o -a -b val -x -c -b; do echo "o=$o OPTARG=$OPTARG OPTIND=$OPTIND"; done; echo "end $OPTIND"')).toMatchObject({
      out: 'o=a OPTARG= OPTIND=2\no=b OPTARG=val OPTIND=4\no=? OPTARG= OPTIND=5\no=c OPTARG= OPTIND=6\no=? OPTARG= OPTIND=7\nend 7\n',
      err: 'Illegal option -x\nNo arg for -b option\n',
    });
    expect(sh(b, 'while getopts ":ab:" o -a -z -b; do echo "o=$o OPTARG=$OPTARG"; done').out).toBe('o=a OPTARG=\no=? OPTARG=z\no=: OPTARG=b\n');
    expect(sh(b, 'set -- -ab x y; while getopts ab o; do echo $o; done; shift $((OPTIND-1)); echo "$@"').out).toBe('a\nb\nx y\n');
  });
});

describe('sh: builtins', () => {
  it('changes directory with cd, cd -, and keeps PWD/OLDPWD exported', () => {
    const b = bootDebian();
    expect(sh(b, 'pwd; cd /usr/bin; pwd; cd ..; pwd; cd -; echo $PWD $OLDPWD; cd; pwd').out).toBe('/\n/usr/bin\n/usr\n/usr/bin\n/usr/bin /usr\n/root\n');
    expect(sh(b, 'cd /nope; echo $?; cd /etc/passwd; echo $?')).toMatchObject({ out: '2\n2\n', err: "sh: 1: cd: can't cd to /nope\nsh: 1: cd: can't cd to /etc/passwd\n" });
    expect(sh(b, 'cd /usr; sh -c "echo \\$PWD \\$OLDPWD"').out).toBe('/usr /\n');
  });

  it('exports, unsets and protects variables', () => {
    const b = bootDebian();
    expect(sh(b, 'export A=1 B; export -p | head -n 2').out).toBe("export A='1'\nexport B\n");
    expect(sh(b, 'var=value; unset var; echo "[${var-unset}]"; readonly ro=1; ro=2; echo no')).toMatchObject({ out: '[unset]\n', err: 'sh: 1: ro: is read only\n', code: 2 });
    expect(sh(b, 'readonly r=1; unset r; echo no')).toMatchObject({ err: 'sh: 1: unset: r: is read only\n', code: 2 });
    expect(sh(b, 'export 1a=b')).toMatchObject({ err: 'sh: 1: export: 1a: bad variable name\n', code: 2 });
    expect(sh(b, 'set -- a b; shift 1; echo "$@"; shift; echo $# "$@"; shift 3; echo no')).toMatchObject({ out: 'b\n0\n', err: "sh: 1: shift: can't shift that many\n", code: 2 });
  });

  it('evaluates strings and sources files', () => {
    const b = bootDebian();
    b.kernel.writeFile('/tmp/lib.sh', 'LIBVAR=loaded\nlibf() { echo "libf $1"; }\nreturn 5\necho unreached\n');
    b.kernel.writeFile('/tmp/bad.sh', 'nope\ncd /nonexist\n');
    expect(sh(b, '. /tmp/lib.sh; echo $? $LIBVAR; libf x').out).toBe('5 loaded\nlibf x\n');
    expect(sh(b, 'eval \'echo evaluated $((1+1))\'; eval "x=7"; echo $x').out).toBe('evaluated 2\n7\n');
    expect(sh(b, `x='a;b'; eval "echo $x"`)).toMatchObject({ out: 'a\n', err: 'sh: 1: eval: b: not found\n' });
    expect(sh(b, 'eval "cd /nonexist"; echo $?')).toMatchObject({ out: '2\n', err: "sh: 1: cd: can't cd to /nonexist\n" });
    expect(sh(b, '. /tmp/bad.sh; echo $?')).toMatchObject({ out: '2\n', err: "sh: 1: /tmp/bad.sh: nope: not found\nsh: 2: cd: can't cd to /nonexist\n" });
    expect(sh(b, '. /tmp/nope.sh; echo no')).toMatchObject({ err: 'sh: 1: .: cannot open /tmp/nope.sh: No such file\n', code: 2 });
  });

  it('reads lines with read, honouring IFS, -r and backslashes', () => {
    const b = bootDebian();
    expect(sh(b, 'read a b <<EOF\none two three\nEOF\necho "$a|$b"').out).toBe('one|two three\n');
    expect(sh(b, 'IFS=, read a b c <<EOF\n1,2,3,4\nEOF\necho "$a $b $c"').out).toBe('1 2 3,4\n');
    expect(sh(b, 'read a b c <<EOF\n  lead  and   trailing   \nEOF\necho "[$a][$b][$c]"').out).toBe('[lead][and][trailing]\n');
    expect(sh(b, 'read -r a <<EOF\nback\\slash\nEOF\necho "$a"; read b <<EOF\nback\\slash line\\\ncontinued\nEOF\necho "$b"').out).toBe('back\\slash\nbackslash linecontinued\n');
    expect(sh(b, `read x < /dev/null; echo $? "[$x]"; printf 'no-newline' | { read v; echo "$? $v"; }`).out).toBe('1 []\n1 no-newline\n');
    expect(sh(b, 'read')).toMatchObject({ err: 'sh: 1: read: arg count\n', code: 2 });
  });

  it('tests with test and [', () => {
    const b = bootDebian();
    expect(sh(b, 'test -d /etc && echo dir; test -f /etc/passwd && echo file; [ -e /nope ] || echo nofile; [ -z "" ] && echo empty; [ abc ] && echo nonempty').out).toBe(
      'dir\nfile\nnofile\nempty\nnonempty\n',
    );
    expect(sh(b, '[ 1 -eq 1 -a 2 -gt 1 ] && echo and; [ 1 -eq 2 -o 3 -le 3 ] && echo or; [ ! -f /etc ] && echo notfile; test 1 -gt 0 -a \\( 2 -lt 1 -o 3 -eq 3 \\); echo $?').out).toBe(
      'and\nor\nnotfile\n0\n',
    );
    expect(sh(b, 'test -x /bin/sh; echo $?; test -h /bin/sh; echo $?; test -t 0; echo $?; [ 010 -eq 8 ]; echo $?').out).toBe('0\n0\n1\n1\n');
    expect(sh(b, '[ 1 -eq a ]; echo $?; [ 1 = ; echo $?')).toMatchObject({ out: '2\n2\n', err: 'sh: 1: [: Illegal number: a\nsh: 1: [: missing ]\n' });
    expect(sh(b, '[ x = x = x ]; echo $?; test a b c d e f')).toMatchObject({ err: 'sh: 1: [: x: unexpected operator\nsh: 1: test: a: unexpected operator\n' });
  });

  it('describes commands with command -v and type; sets umask', () => {
    const b = bootDebian();
    expect(sh(b, 'type echo cd ls nope; command -v ls echo; echo $?')).toMatchObject({
      out: 'echo is a shell builtin\ncd is a shell builtin\nls is /bin/ls\nnope: not found\n/bin/ls\necho\n0\n',
    });
    expect(sh(b, 'command echo hi; command -v nope; echo $?; command nope; echo $?')).toMatchObject({ out: 'hi\n127\n127\n', err: 'sh: 1: nope: not found\n' });
    expect(sh(b, 'umask; umask 077; umask; umask -S; umask 8; umask abc')).toMatchObject({
      out: '0022\n0077\nu=rwx,g=,o=\n',
      err: 'sh: 1: umask: Illegal number: 8\nsh: 1: umask: Illegal mode: abc\n',
    });
    expect(sh(b, 'set -x; x=1; echo "$x" y; set +x').err).toBe('+ x=1\n+ echo 1 y\n+ set +x\n');
  });
});
