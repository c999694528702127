/** The "drwxr-xr-x" rendering of st_mode that ls -l prints. */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX } from '../../kernel/index.js';

const TYPE_CHAR: Readonly<Record<number, string>> = {
  [S_IFDIR]: 'd',
  [S_IFLNK]: 'l',
  [S_IFCHR]: 'c',
  [S_IFBLK]: 'b',
  [S_IFIFO]: 'p',
  [S_IFSOCK]: 's',
};

function triad(bits: number, special: boolean, setChar: string): string {
  const x = (bits & 1) !== 0;
  let xc = x ? 'x' : '-';
  if (special) xc = x ? setChar : setChar.toUpperCase();
  return ((bits & 4) !== 0 ? 'r' : '-') + ((bits & 2) !== 0 ? 'w' : '-') + xc;
}

/** Ten characters: file type, then rwx for owner, group and others with s/S/t/T. */
export function modeString(mode: number): string {
  return (
    (TYPE_CHAR[mode & S_IFMT] ?? '-') +
    triad((mode >> 6) & 7, (mode & S_ISUID) !== 0, 's') +
    triad((mode >> 3) & 7, (mode & S_ISGID) !== 0, 's') +
    triad(mode & 7, (mode & S_ISVTX) !== 0, 't')
  );
}
