/**
 * CSP messages between XML and WBXML with the server's own codec, to try the WBXML endpoint with
 * curl (libwbxml's xml2wbxml and wbxml2xml do the same for 1.1 and 1.2 where they are installed):
 *
 *   deno task wbxml encode [1.1|1.2|1.3] < message.xml > message.wbxml
 *   deno task wbxml decode < message.wbxml
 *
 * `encode` writes the version the root xmlns names (or the one given); `decode` writes the XML of
 * the element tree the server reads.
 */
import { versionFromNamespace } from "../src/codec/csp/versions.ts";
import type { CspVersion } from "../src/codec/csp/message.ts";
import { encodeWbxmlTree, WbxmlError } from "../src/codec/wbxml/mod.ts";
import { DEFAULT_XML_LIMITS, type XmlElement, XmlError } from "../src/codec/xml/tree.ts";
import { XmlWriter } from "../src/codec/xml/write.ts";
import { loadCore } from "../src/core/mod.ts";

const USAGE = "usage: deno task wbxml encode [1.1|1.2|1.3] < message.xml > message.wbxml\n" +
  "       deno task wbxml decode < message.wbxml";

async function main(args: string[]): Promise<number> {
  const [command, version] = args;
  if (command !== "encode" && command !== "decode") {
    console.error(USAGE);
    return 2;
  }
  if (version !== undefined && !["1.1", "1.2", "1.3"].includes(version)) {
    console.error(`unknown CSP version "${version}"\n${USAGE}`);
    return 2;
  }
  const input = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  const core = await loadCore("ts");
  try {
    if (command === "encode") {
      const tree = core.parseXml(input, DEFAULT_XML_LIMITS);
      const named = versionFromNamespace(tree.attrs.xmlns ?? "");
      await write(encodeWbxmlTree(tree, (version as CspVersion) ?? named ?? "1.2"));
    } else {
      const tree = core.parseWbxml(input, DEFAULT_XML_LIMITS);
      await write(new TextEncoder().encode(xmlOf(tree) + "\n"));
    }
    return 0;
  } catch (error) {
    if (!(error instanceof XmlError || error instanceof WbxmlError)) throw error;
    console.error(`cannot ${command}: ${error.message} (at byte ${error.offset})`);
    return 1;
  }
}

function xmlOf(tree: XmlElement): string {
  const writer = new XmlWriter().declaration();
  const write = (el: XmlElement) => {
    if (el.children.length === 0) {
      writer.leaf(el.name, el.text, el.attrs);
      return;
    }
    writer.open(el.name, el.attrs).text(el.text);
    for (const child of el.children) write(child);
    writer.close(el.name);
  };
  write(tree);
  return writer.toString();
}

async function write(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
