/**
 * ISBNs as people type them (hyphens, spaces, ISBN-10 or ISBN-13) normalised to the catalog's key:
 * the 13 digits of the ISBN-13, check digit verified.
 */

const isbn13CheckDigit = (first12: string) => {
  const sum = [...first12].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return String((10 - (sum % 10)) % 10);
};

const isbn10CheckDigit = (first9: string) => {
  const sum = [...first9].reduce((total, digit, index) => total + Number(digit) * (10 - index), 0);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? 'X' : String(check);
};

export type IsbnResult = { ok: true; isbn13: string } | { ok: false; reason: string };

/** Parses an ISBN-13 or ISBN-10 (hyphens and spaces allowed) into its ISBN-13. */
export function parseIsbn(raw: string): IsbnResult {
  const compact = raw.replace(/[\s-]/g, '').toUpperCase();
  if (/^\d{13}$/.test(compact)) {
    if (!compact.startsWith('978') && !compact.startsWith('979')) return { ok: false, reason: 'an ISBN-13 starts with 978 or 979' };
    if (isbn13CheckDigit(compact.slice(0, 12)) !== compact[12]) return { ok: false, reason: 'the ISBN check digit is wrong' };
    return { ok: true, isbn13: compact };
  }
  if (/^\d{9}[\dX]$/.test(compact)) {
    if (isbn10CheckDigit(compact.slice(0, 9)) !== compact[9]) return { ok: false, reason: 'the ISBN check digit is wrong' };
    const first12 = `978${compact.slice(0, 9)}`;
    return { ok: true, isbn13: first12 + isbn13CheckDigit(first12) };
  }
  return { ok: false, reason: 'must be an ISBN-13 or ISBN-10 (digits, hyphens allowed)' };
}

/** A valid ISBN-13 from any 978-prefixed 9 digits; used by the demo catalog. */
export const isbn13From = (nineDigits: string) => {
  const first12 = `978${nineDigits}`;
  return first12 + isbn13CheckDigit(first12);
};
