// Byte helpers shared by the scanners.

/** Byte classes for XML names and whitespace; every byte >= 0x80 counts as a name byte. */
export const NAME_START: u8 = 1;
export const NAME_CHAR: u8 = 2;
export const SPACE: u8 = 4;
/** HTTP header names (RFC 9110 tchar). */
export const TOKEN_CHAR: u8 = 8;
/** x-wv header values: 1*(letter | digit | "_"). */
export const WORD_CHAR: u8 = 16;

export const CLASS: usize = memory.data(256);

for (let c: i32 = 0; c < 256; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const digit = c >= 0x30 && c <= 0x39;
  let k: u8 = 0;
  if (letter || c == 0x5f || c == 0x3a || c >= 0x80) k = NAME_START | NAME_CHAR;
  else if (digit || c == 0x2d || c == 0x2e) k = NAME_CHAR;
  else if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) k = SPACE;
  if (letter || digit || isTokenSymbol(c)) k |= TOKEN_CHAR;
  if (letter || digit || c == 0x5f) k |= WORD_CHAR;
  store<u8>(CLASS + c, k);
}

function isTokenSymbol(c: i32): bool {
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
    c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

// @ts-ignore: decorator
@inline
export function classOf(c: u32): u8 {
  return load<u8>(CLASS + c);
}

/** Whether the bytes at [ptr, ptr + length) equal the ASCII string `s`. */
export function equalsAscii(ptr: usize, length: i32, s: string): bool {
  if (length != s.length) return false;
  const chars = changetype<usize>(s);
  for (let i = 0; i < length; i++) {
    if (<u32>load<u8>(ptr + i) != <u32>load<u16>(chars + (<usize>i << 1))) return false;
  }
  return true;
}

/** Case-insensitive `equalsAscii` for a lower-case `s`. */
export function equalsAsciiLower(ptr: usize, length: i32, s: string): bool {
  if (length != s.length) return false;
  const chars = changetype<usize>(s);
  for (let i = 0; i < length; i++) {
    let c = <u32>load<u8>(ptr + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c != <u32>load<u16>(chars + (<usize>i << 1))) return false;
  }
  return true;
}
