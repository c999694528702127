// Expected outputs are what Debian 12's dash 0.5.12 prints for the same input.
import { describe, expect, it } from 'vitest';
import { bootDebian, expectNoFaults, sh } from './helpers.js';

function out(script: string): string {
  const b = bootDebian();
  const r = sh(b, script);
  expectNoFaults(b);
  return r.out;
}

describe('sh: quoting and words', () => {
  it('handles single quotes, double quotes and backslashes', () => {
    expect(out(`echo "a  b"   c`)).toBe('a  b c\n');
    expect(out(`x='single $x'; echo "$x" $x`)).toBe('single $x single $x\n');
    // dash's echo turns the \f into a form feed.
    expect(out(`echo a\\ b "c\\"d" 'e\\f' "g\\\\h" "i\\$j"`)).toBe('a b c"d e\f g\\h i$j\n');
    expect(out(`echo 'it'"'"'s'`)).toBe("it's\n");
    expect(out(`echo \\$HOME "\\\`" '\\n'`)).toBe('$HOME ` \n\n');
    expect(out('echo a\\\nb')).toBe('ab\n');
    expect(out('echo "multi\nline" | wc -l')).toBe('2\n');
  });

  it("uses dash's echo: only -n, escapes always interpreted", () => {
    expect(out(`echo -n no newline; echo; echo -e; echo 'c\\td'; echo -x; echo --`)).toBe('no newline\n-e\nc\td\n-x\n--\n');
    expect(out(`echo 'stop\\chere'; echo after`)).toBe('stopafter\n');
  });

  it('expands variables and special parameters', () => {
    expect(out('echo $0 $# "$1"')).toBe('sh 0 \n');
    expect(out('set -- a "b c" d; echo $#; for i in "$@"; do echo "[$i]"; done; for i in $*; do echo "<$i>"; done; echo "$*"')).toBe(
      '3\n[a]\n[b c]\n[d]\n<a>\n<b>\n<c>\n<d>\na b c d\n',
    );
    expect(out('set -- 1 2 3 4 5 6 7 8 9 10 11; echo ${11} $11 ${#}')).toBe('11 11 11\n');
    expect(out('echo "$@" "$*" $#; set -- ""; echo "[$@]" $#')).toBe(' 0\n[] 1\n');
    expect(out('echo $$ | wc -c')).toBe('2\n');
    expect(out('echo $-; set -eux; echo $-').split('\n').filter((l) => !l.startsWith('+'))).toEqual(['', 'uxe', '']);
  });

  it('performs the ${...} operators', () => {
    expect(out('echo ${u-def} ${u:-def2} "${e=}" ${e:-empty} ${v+set}; v=1; echo ${v+set} ${#v}')).toBe('def def2  empty\nset 1\n');
    expect(out('x=/usr/lib/file.tar.gz; echo ${x#*/} ${x##*/} ${x%.*} ${x%%.*}')).toBe('usr/lib/file.tar.gz file.tar.gz /usr/lib/file.tar /usr/lib/file\n');
    expect(out('echo "${var:=default}" "$var"; echo ${#var}')).toBe('default default\n7\n');
    expect(out(`x=abc; echo "\${x%"c"}" "\${x#'a'}" \${x%[bc]*} "\${x:-'q'}"`)).toBe("ab bc ab abc\n");
    expect(out(`echo "\${x:-"quoted default"}" \${y:-'single q'}`)).toBe('quoted default single q\n');
    const b = bootDebian();
    expect(sh(b, 'echo ${nope?is missing}; echo after')).toMatchObject({ out: '', err: 'sh: 1: nope: is missing\n', code: 2 });
    expect(sh(b, 'set -u; echo ${unset_var}; echo after')).toMatchObject({ out: '', err: 'sh: 1: unset_var: parameter not set\n', code: 2 });
    expect(sh(b, 'echo ${foo bar}')).toMatchObject({ err: 'sh: 1: Bad substitution\n', code: 2 });
    expect(sh(b, 'echo ${x')).toMatchObject({ err: "sh: 1: Syntax error: Missing '}'\n", code: 2 });
  });

  it('splits fields on IFS and only unquoted results', () => {
    expect(out('IFS=:; x=a:b::c; for i in $x; do echo "[$i]"; done')).toBe('[a]\n[b]\n[]\n[c]\n');
    expect(out('x="  lead  trail  "; for i in $x; do echo "[$i]"; done; echo "[$x]"')).toBe('[lead]\n[trail]\n[  lead  trail  ]\n');
    expect(out('a="x y"; set -- $a; echo $#; IFS=; set -- $a; echo $#')).toBe('2\n1\n');
    expect(out('cmd="echo a  b"; $cmd')).toBe('a b\n');
    expect(out('for x in "" a ""; do echo "[$x]"; done')).toBe('[]\n[a]\n[]\n');
  });

  it('substitutes commands and arithmetic', () => {
    expect(out('echo `echo back` $(echo $(echo nested))')).toBe('back nested\n');
    expect(out(`echo "$(printf 'a\\n\\n\\n')" | wc -c`)).toBe('2\n');
    expect(out('v=$(exit 5); echo $?')).toBe('5\n');
    expect(out('echo $((7/2)) $((7%3)) $((1<<4)) $((2>1)) $((x=3+4)) $x $((-5/2)) $((0x10)) $((010))')).toBe('3 1 16 1 7 7 -2 16 8\n');
    expect(out('echo $((3 > 2 ? 10 : 20)) $((0 && 1/0)) $((1 || 1/0)) $(( 1 << 62 << 1 ))')).toBe('10 0 1 -9223372036854775808\n');
    expect(out('n=5; : $((n+=2)); echo $n; : $((n*=3)); echo $n')).toBe('7\n21\n');
    const b = bootDebian();
    expect(sh(b, 'echo $((1/0)); echo after')).toMatchObject({ err: 'sh: 1: arithmetic expression: division by zero: "1/0"\n', code: 2 });
    expect(sh(b, 'echo $((2**3))')).toMatchObject({ err: 'sh: 1: arithmetic expression: expecting primary: "2**3"\n', code: 2 });
    expect(sh(b, 'y=abc; echo $((y))')).toMatchObject({ err: 'sh: 1: Illegal number: abc\n', code: 2 });
    expect(sh(b, 'z=1+2; echo $((z * 3))')).toMatchObject({ err: 'sh: 1: Illegal number: 1+2\n', code: 2 });
  });

  it('expands pathnames and tildes', () => {
    const b = bootDebian();
    for (const f of ['a.txt', 'b.txt', 'c.log', '.hidden', 'sub/inner']) b.kernel.writeFile(`/tmp/g/${f}`, 'x');
    expect(sh(b, 'echo /tmp/g/*.txt; echo /tmp/g/[ab]*; echo /tmp/g/?.log; echo "/tmp/g/*"; echo /tmp/g/.h*; echo /tmp/g/nomatch*').out).toBe(
      '/tmp/g/a.txt /tmp/g/b.txt\n/tmp/g/a.txt /tmp/g/b.txt\n/tmp/g/c.log\n/tmp/g/*\n/tmp/g/.hidden\n/tmp/g/nomatch*\n',
    );
    expect(sh(b, 'cd /tmp/g; echo *; echo s*/*; set -f; echo *').out).toBe('a.txt b.txt c.log sub\nsub/inner\n*\n');
    expect(sh(b, 'echo ~ ~/x "~" ~root ~user/d ~nouser').out).toBe('/root /root/x ~ /root /home/user/d ~nouser\n');
  });

  it('assigns left to right, and NAME=value before a command only for that command', () => {
    expect(out('a=1 b=$a; echo $b')).toBe('1\n');
    expect(out(`a=1 b=$a sh -c 'echo [$b]'; echo "[$a]"`)).toBe('[1]\n[]\n');
    expect(out(`x=1 sh -c 'echo $x'; echo "[$x]"`)).toBe('1\n[]\n');
    expect(out(`export A=1; sh -c 'echo $A'; unset A; sh -c 'echo "[$A]"'`)).toBe('1\n[]\n');
    expect(out('f() { echo "f sees $v"; }; v=1 f; echo "[$v]"')).toBe('f sees 1\n[]\n');
    expect(out('x=1; x=2 true; echo $x; x=3 :; echo $x')).toBe('1\n3\n');
  });
});
