/**
 * Just enough of vCard (2.1/3.0, RFC 2426) to find the fields a user may make searchable in their
 * ContactInfo presence attribute: properties by name, with their parameters and values.
 */

export interface VCardProperty {
  /** Upper-case, without the group prefix (`item1.EMAIL` → `EMAIL`). */
  name: string;
  /** Parameter names and values upper-cased: `TYPE=CELL`, 2.1's bare `CELL`, … */
  params: string[];
  /** The value, unescaped; structured values (N, ADR) keep their `;` separators. */
  value: string;
}

/** Reads the properties of one vCard; lines that are not `name:value` are skipped. */
export function readVCard(text: string): VCardProperty[] {
  const unfolded = text.replace(/\r?\n[ \t]/g, "");
  const out: VCardProperty[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const [head, ...params] = line.slice(0, colon).split(";");
    const name = head.slice(head.lastIndexOf(".") + 1).trim().toUpperCase();
    if (!name) continue;
    out.push({
      name,
      params: params.flatMap((p) => p.toUpperCase().split(/[=,]/)).map((p) => p.trim()),
      value: line.slice(colon + 1),
    });
  }
  return out;
}

/** The components of a structured value (N, ADR), unescaped. */
export function components(value: string): string[] {
  return value.split(/(?<!\\);/).map(unescape);
}

export function unescape(value: string): string {
  return value.replace(/\\([nN,;\\])/g, (_, c: string) => c === "n" || c === "N" ? " " : c);
}
