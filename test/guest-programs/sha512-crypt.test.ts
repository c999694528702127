import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSha512Setting, saltFromBytes, sha512Crypt, sha512Setting, sha512Verify } from '../../src/guest/programs/lib/sha512-crypt.js';

// The test vectors published with Drepper's specification.
const VECTORS: readonly [string, string, string][] = [
  ['$6$saltstring', 'Hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
  ['$6$rounds=10000$saltstringsaltstring', 'Hello world!', '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.'],
  ['$6$rounds=5000$toolongsaltstring', 'This is just a test', '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0'],
  [
    '$6$rounds=1400$anotherlongsaltstring',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  ],
  ['$6$rounds=77777$short', 'we have a short salt string but not a short password', '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0'],
  ['$6$rounds=123456$asaltof16chars..', 'a short string', '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1'],
  ['$6$rounds=10$roundstoolow', 'the minimum number is still observed', '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.'],
];

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('SHA-512 crypt', () => {
  it.each(VECTORS)('%s with %j', (setting, password, expected) => {
    expect(sha512Crypt(password, setting)).toBe(expected);
  });

  it('parses settings, clamps rounds, truncates salts and verifies', () => {
    expect(parseSha512Setting('$6$rounds=2000000000$x$rest')).toEqual({ salt: 'x', rounds: 999_999_999, explicitRounds: true });
    expect(parseSha512Setting('$6$abc')).toEqual({ salt: 'abc', rounds: 5000, explicitRounds: false });
    expect(parseSha512Setting('$5$abc')).toBeUndefined();
    expect(parseSha512Setting('$6$rounds=x$abc')).toBeUndefined();
    expect(sha512Setting('salt', 6000)).toBe('$6$rounds=6000$salt');
    const h = sha512Crypt('secret', '$6$0123456789abcdef');
    expect(h).toMatch(/^\$6\$0123456789abcdef\$[./0-9A-Za-z]{86}$/);
    expect(sha512Verify('secret', h)).toBe(true);
    expect(sha512Verify('Secret', h)).toBe(false);
    // The empty password (openssl passwd refuses it; this is libxcrypt's answer).
    expect(sha512Crypt('', '$6$abcdefgh01234567')).toBe('$6$abcdefgh01234567$7M9YWLJiIvyS7hXGtjGmnxPakGKGSLUTASTYwpqJvo2EnBcW.bMkY8soczPGcYAVdXeMSq4wjLdjsD4P7KiTa.');
    expect(saltFromBytes(Uint8Array.from([0, 1, 63, 64, 255]), 5)).toBe('./zz.'.slice(0, 3) + '.z');
  });

  it('matches openssl passwd -6 for ASCII and UTF-8 passwords', (ctx) => {
    if (!haveOpenssl()) {
      ctx.skip('openssl is not installed on this machine: cross-check against openssl passwd -6 skipped');
      return;
    }
    for (const [salt, password] of [['Ab3/xYz.0123abcd', 'p@ss word'], ['short', 'a'], ['saltsalt', 'pässwörd ✓'], ['16charsaltstring', 'x'.repeat(200)]] as const) {
      const expected = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: `${password}\n`, encoding: 'utf8' }).trim();
      expect(sha512Crypt(password, `$6$${salt}`)).toBe(expected);
    }
  });
});
