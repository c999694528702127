/**
 * util-linux's size_to_human_string: the largest binary unit not above the value, one
 * decimal rounded (dropped when it rounds to .0), as "8 MiB" (mkswap) or "16M" (the
 * libsmartcols columns of swapon --show and lsblk).
 */

const LETTERS = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];

/** Formats `bytes`; `style` 'iec' gives "1.5 MiB", 'letter' gives "1.5M". */
export function humanSize(bytes: number, style: 'iec' | 'letter' = 'iec'): string {
  let exp = 0;
  while (exp < LETTERS.length - 1 && bytes >= 1024 ** (exp + 1)) exp++;
  const letter = LETTERS[exp] ?? 'B';
  const suffix = style === 'letter' ? letter : exp === 0 ? ' B' : ` ${letter}iB`;
  if (exp === 0) return `${bytes}${suffix}`;
  const unit = 1024 ** exp;
  let whole = Math.floor(bytes / unit);
  let frac = Math.floor((bytes % unit) / (unit / 1024));
  frac = Math.floor((frac + 50) / 100);
  if (frac === 10) {
    whole++;
    frac = 0;
  }
  return `${whole}${frac !== 0 ? `.${frac}` : ''}${suffix}`;
}
