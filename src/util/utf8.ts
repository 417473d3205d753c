/** Byte counts of text as UTF-8, without encoding it. */

/** How many bytes `text` takes in UTF-8 (a lone surrogate counts as U+FFFD, as TextEncoder
 * writes it). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    bytes += 2;
    // A surrogate pair: 4 bytes for its 2 units; a lone surrogate: 3.
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return bytes;
}
