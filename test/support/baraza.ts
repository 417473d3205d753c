/**
 * Baraza's captured traffic (shared/fixtures/baraza/, beside the checkout) for the interop suites:
 * whether it is there, reading a capture, and what a captured CSP message says, read with plain
 * patterns so that the expectation does not go through our own codec.
 */

export const BARAZA_FIXTURES = new URL("../../../shared/fixtures/baraza/", import.meta.url);

/**
 * Whether the fixtures are there (`probe`, a capture a suite needs, when given); when they are
 * not, says so visibly, naming what `skipped` is.
 */
export async function haveBarazaFixtures(skipped: string, probe = ""): Promise<boolean> {
  const present = await Deno.stat(new URL(probe, BARAZA_FIXTURES)).then(() => true, () => false);
  if (!present) {
    console.log(`note: shared Baraza fixtures not found beside the checkout; ${skipped} skipped`);
  }
  return present;
}

export const readFixture = (name: string) => Deno.readTextFile(new URL(name, BARAZA_FIXTURES));
export const readFixtureBytes = (name: string) => Deno.readFile(new URL(name, BARAZA_FIXTURES));

/** The SessionID Baraza issued in a captured message. */
export const capturedSession = (xml: string) =>
  xml.match(/<SessionID>\s*([^<\s]+)\s*<\/SessionID>/)![1];

/** The MessageID in a captured message, if any. */
export const capturedMessageId = (xml: string) =>
  xml.match(/<MessageID>\s*([^<\s]+)\s*<\/MessageID>/)?.[1];

/** The primitive inside a captured message's TransactionContent, as sent. */
export const capturedContent = (xml: string) =>
  xml.match(/<TransactionContent[^>]*>([\s\S]*)<\/TransactionContent>/)![1];

/** The primitive name and Result code (when there is one) of a captured answer. */
export function capturedAnswer(xml: string): { primitive: string; code?: number } {
  const content = xml.match(/<TransactionContent[^>]*>\s*<([\w-]+)/);
  const code = xml.match(/<Code>\s*(\d+)\s*<\/Code>/);
  return { primitive: content?.[1] ?? "", code: code ? Number(code[1]) : undefined };
}
