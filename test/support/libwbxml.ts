/**
 * libwbxml's command-line tools (Debian `libwbxml2-utils`: `xml2wbxml`, `wbxml2xml`) as an
 * independent WBXML encoder and decoder for CSP 1.1 and 1.2. Where they are not installed the
 * suites that need them skip, saying so.
 */
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { INTEGERS } from "../../src/codec/wbxml/tables.ts";
import type { XmlElement } from "../../src/codec/xml/tree.ts";

/** Whether libwbxml's tools are on the PATH (a note is printed when they are not). */
export const haveLibwbxml: boolean = await (async () => {
  const present = await hasTool("xml2wbxml") && await hasTool("wbxml2xml");
  if (!present) {
    console.log(
      "note: libwbxml's xml2wbxml/wbxml2xml not installed (apt-get install libwbxml2-utils); " +
        "the libwbxml oracle tests are skipped",
    );
  }
  return present;
})();

/** Whether `name` runs at all (without arguments these tools print their usage and fail). */
async function hasTool(name: string): Promise<boolean> {
  try {
    await new Deno.Command(name, { stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** The DOCTYPE libwbxml needs to know the language of an XML document (it ignores xmlns). */
const DOCTYPES: Record<"1.1" | "1.2", string> = {
  "1.1": '<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.1//EN" ' +
    '"http://www.openmobilealliance.org/DTD/WV-CSP.XML">',
  "1.2": '<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" ' +
    '"http://www.openmobilealliance.org/DTD/WV-CSP.DTD">',
};

async function run(tool: string, args: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(tool, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) throw new Error(`${tool} failed: ${new TextDecoder().decode(stderr).trim()}`);
  return stdout;
}

/** libwbxml's WBXML of an XML CSP message (its DOCTYPE replaced by the version's). */
export function xml2wbxml(xml: string, version: "1.1" | "1.2"): Promise<Uint8Array> {
  const body = xml.replace(/^\s*<\?xml[^>]*\?>/, "").replace(/^\s*<!DOCTYPE[^>]*>/, "");
  const doc = `<?xml version="1.0"?>\n${DOCTYPES[version]}\n${body.trim()}`;
  return run("xml2wbxml", ["-o", "-", "-"], new TextEncoder().encode(doc));
}

/** libwbxml's XML of a WBXML CSP message; `version` names the language when the public id is
 * not one libwbxml knows (it has no number for 1.2, and none for 1.3 at all). */
export async function wbxml2xml(wbxml: Uint8Array, version: CspVersion): Promise<string> {
  const language = version === "1.1" ? "CSP11" : "CSP12";
  const out = await run("wbxml2xml", ["-l", language, "-m", "0", "-o", "-", "-"], wbxml);
  return new TextDecoder().decode(out);
}

/** The tree without any xmlns attribute (libwbxml's XML reader takes them for declarations). */
export function withoutXmlns(el: XmlElement): XmlElement {
  const { xmlns: _, ...attrs } = el.attrs;
  return { ...el, attrs, children: el.children.map(withoutXmlns) };
}

const NO_ZONE_DATE = /^(\d{8}T\d{4})(\d{2})?$/;

/**
 * What our decoder reads from libwbxml's encoding of `tree` (a message of `version`): libwbxml
 * writes no xmlns (the root's is restored from the public id), reads integers written `0x…` as
 * hexadecimal, writes a date without time zone with the zone byte 0 (read as Z) and its seconds
 * filled in, and has one name for the token that is PreferredContent/vCard in 1.1 and
 * ReferredContent/vCard from 1.2 on.
 */
export function asLibwbxmlEncodes(tree: XmlElement, version: "1.1" | "1.2"): XmlElement {
  const convert = (el: XmlElement, root: boolean): XmlElement => {
    let { name, text } = el;
    const value = text.trim();
    if (INTEGERS[version].has(name) && /^0x[0-9a-f]+$/i.test(value)) text = String(Number(value));
    const date = (name === "DateTime" || name === "DeliveryTime") && NO_ZONE_DATE.exec(value);
    if (date) text = `${date[1]}${date[2] ?? "00"}Z`;
    if (version !== "1.1") name = name.replace(/^Preferred(Content|vCard)$/, "Referred$1");
    const attrs = root ? el.attrs : withoutXmlns(el).attrs;
    return { name, text, attrs, children: el.children.map((c) => convert(c, false)) };
  };
  return convert(tree, true);
}

/** libwbxml's names for two tokens, and ours (AOSP's and Baraza's spelling). */
const LIBWBXML_NAMES: Record<string, string> = {
  "Auto-Subscribe": "AutoSubscribe",
  "Extended-Data": "ExtendedData",
};

/** A date libwbxml's decoder wrote without its seconds (it leaves them out when they are 0). */
const NO_SECONDS = /^(\d{8}T\d{4})([A-Z])$/;

/**
 * The form in which a tree libwbxml decoded and ours are compared: libwbxml's names spelled as
 * ours are, and dates with their seconds (libwbxml's decoder leaves them out of an OPAQUE date
 * whose seconds are 0; applied to both sides, a date written without seconds compares too).
 */
export function commonForm(el: XmlElement): XmlElement {
  const date = (el.name === "DateTime" || el.name === "DeliveryTime") &&
    NO_SECONDS.exec(el.text.trim());
  return {
    ...el,
    name: LIBWBXML_NAMES[el.name] ?? el.name,
    text: date ? `${date[1]}00${date[2]}` : el.text,
    children: el.children.map(commonForm),
  };
}
