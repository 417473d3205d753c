/**
 * The server's byte-level core: XML envelope tokenizer (and element trees built from it), WBXML
 * tokenizer, HTTP head scanner and transaction correlation table, in WebAssembly or pure
 * TypeScript with the same results. Load once at start:
 *
 *   const core = await loadCore(Deno.env.get("IMPS_CORE") === "ts" ? "ts" : "wasm");
 *   core.parseXml(body, DEFAULT_XML_LIMITS);        // XmlTreeSource for the CSP decoder
 *   core.tokenizeEnvelope(body, DEFAULT_XML_LIMITS); // version, SessionID, TransactionID, ...
 *   core.parseWbxml(body, DEFAULT_XML_LIMITS);      // the same tree from CSP WBXML
 *   core.scanHead(bytes).contentLength;              // or scanHeads(stream) for pipelining
 *   const pending = core.createCorrelationTable();
 *
 * A core is single-threaded and its calls are synchronous; results that are views (tokens) stay
 * valid until the next call into the same core.
 */
import type { XmlLimits, XmlTreeSource } from "../codec/xml/tree.ts";
import type { CorrelationTable } from "./correlation_table.ts";
import { TsCorrelationTable } from "./correlation_table_ts.ts";
import { WasmCorrelationTable } from "./correlation_table_wasm.ts";
import { type Envelope, tokenizeEnvelope } from "./envelope.ts";
import type { HeadScan, HeadScanner } from "./http_head.ts";
import { TsHeadScanner } from "./http_head_ts.ts";
import { WasmHeadScanner } from "./http_head_wasm.ts";
import { loadWasmCore } from "./wasm_instance.ts";
import { TsWbxmlTokenizer } from "./wbxml_tokenizer_ts.ts";
import { WasmWbxmlTokenizer } from "./wbxml_tokenizer_wasm.ts";
import type { WbxmlTokenizer } from "./wbxml_tokens.ts";
import { wbxmlTreeSource } from "./wbxml_tree.ts";
import type { WbxmlTreeSource } from "../codec/wbxml/tree.ts";
import { TsXmlTokenizer } from "./xml_tokenizer_ts.ts";
import { WasmXmlTokenizer } from "./xml_tokenizer_wasm.ts";
import { treeSource } from "./xml_tree.ts";
import type { XmlTokenizer } from "./xml_tokens.ts";

export type { CorrelationTable } from "./correlation_table.ts";
export type { Envelope, EnvelopeVersion } from "./envelope.ts";
export { HeadScan } from "./http_head.ts";
export type { HeadScanner } from "./http_head.ts";
export type { WbxmlTokenizer, WbxmlTokens } from "./wbxml_tokens.ts";

export type CoreKind = "ts" | "wasm";

export interface Core {
  readonly kind: CoreKind;
  /** XML → element tree; throws XmlError(message, offset). */
  readonly parseXml: XmlTreeSource;
  /** CSP WBXML → the same element tree; throws WbxmlError(message, offset). */
  readonly parseWbxml: WbxmlTreeSource;
  /** Envelope facts of a CSP/SSP message in one pass; throws XmlError when malformed. */
  tokenizeEnvelope(input: Uint8Array, limits: XmlLimits): Envelope;
  /** The HTTP message at `start`: head fields, and where it ends (or that bytes are missing). */
  scanHead(input: Uint8Array, start?: number, maxHeadBytes?: number): HeadScan;
  /** Every pipelined message from `start`, the last possibly incomplete or malformed. */
  scanHeads(input: Uint8Array, start?: number, maxHeadBytes?: number): HeadScan[];
  createCorrelationTable(): CorrelationTable;
  /** The tokenizer itself (tests, benchmarks). */
  readonly tokenizer: XmlTokenizer;
  /** The WBXML tokenizer itself (tests, benchmarks). */
  readonly wbxmlTokenizer: WbxmlTokenizer;
}

/** The core of the given kind; call once at start and share it. */
export async function loadCore(kind: CoreKind): Promise<Core> {
  if (kind === "ts") {
    return makeCore(
      "ts",
      new TsXmlTokenizer(),
      new TsWbxmlTokenizer(),
      new TsHeadScanner(),
      () => new TsCorrelationTable(),
    );
  }
  const wasm = await loadWasmCore();
  return makeCore(
    "wasm",
    new WasmXmlTokenizer(wasm),
    new WasmWbxmlTokenizer(wasm),
    new WasmHeadScanner(wasm),
    () => new WasmCorrelationTable(wasm),
  );
}

function makeCore(
  kind: CoreKind,
  tokenizer: XmlTokenizer,
  wbxmlTokenizer: WbxmlTokenizer,
  heads: HeadScanner,
  createCorrelationTable: () => CorrelationTable,
): Core {
  return {
    kind,
    parseXml: treeSource(tokenizer),
    parseWbxml: wbxmlTreeSource(wbxmlTokenizer),
    tokenizeEnvelope: (input, limits) => tokenizeEnvelope(tokenizer, input, limits),
    scanHead: (input, start, max) => heads.scan(input, start, max),
    scanHeads: (input, start, max) => heads.scanAll(input, start, max),
    createCorrelationTable,
    tokenizer,
    wbxmlTokenizer,
  };
}
