/** Writing SSP messages: the envelope of digest §9.1 around primitive trees. */
import type { XmlElement } from "../xml/tree.ts";
import { XmlWriter } from "../xml/write.ts";
import { SSP_NAMESPACE, type SspMessage, type SspTransaction } from "./message.ts";

export function encodeSsp(message: SspMessage): string {
  const w = new XmlWriter().declaration().open("WV-SSP-Message", { xmlns: SSP_NAMESPACE });
  if (message.kind === "setup") {
    writeTransaction(w, "SetupTransaction", message.transaction);
  } else {
    w.open("Session", { sessionID: message.sessionId });
    for (const t of message.transactions) writeTransaction(w, "Transaction", t);
    w.close("Session");
  }
  return w.close("WV-SSP-Message").toString();
}

function writeTransaction(w: XmlWriter, name: string, t: SspTransaction): void {
  w.open(name, { mode: t.mode, transactionID: t.transactionId });
  writeElement(w, t.primitive);
  w.close(name);
}

/** An element tree as compact XML (text before children: SSP elements hold one or the other). */
export function writeElement(w: XmlWriter, element: XmlElement): void {
  if (element.children.length === 0) {
    w.leaf(element.name, element.text, element.attrs);
    return;
  }
  w.open(element.name, element.attrs);
  if (element.text.trim() !== "") w.text(element.text);
  for (const c of element.children) writeElement(w, c);
  w.close(element.name);
}
