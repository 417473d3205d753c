/**
 * What a CLP terminal reads: replies that fit one SMS, and messages from others split over a few,
 * with names as a person types them (`bob`, `bob@other.example`, `#alice/chat`).
 */
import { isGsmText, smsLength, TEXT_SMS } from "../sms/segments.ts";

/** Most SMS one message to a terminal takes; past it the text is cut. */
export const MAX_MESSAGE_PARTS = 4;
const CUT = "..";

/** A user id as typed: the name alone in this domain. */
export function shortUser(userId: string, domain: string): string {
  const id = userId.replace(/^wv:/i, "");
  return id.toLowerCase().endsWith(`@${domain.toLowerCase()}`)
    ? id.slice(0, -domain.length - 1)
    : id;
}

/** A group id as typed: `#owner/name`, with `@domain` when it is another domain's. */
export function shortGroup(groupId: string, domain: string): string {
  return `#${shortUser(groupId, domain)}`;
}

/** The text cut to one SMS (7-bit: 160 characters; with a character outside it: 70). */
export function oneSms(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (fits(clean)) return clean;
  const chars = [...clean];
  let lo = 0;
  let hi = chars.length;
  // The longest prefix that fits with the mark of a cut.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(chars.slice(0, mid).join("") + CUT)) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("").trimEnd() + CUT;
}

function fits(text: string): boolean {
  const { length, limit } = smsLength(text, TEXT_SMS);
  return length <= limit;
}

/**
 * A message for a terminal over as many SMS as it takes, up to MAX_MESSAGE_PARTS, each marked
 * `1/3 ` when there are several. Line breaks are kept: phones show them.
 */
export function messageSms(text: string): string[] {
  const clean = text.trim();
  if (fits(clean)) return [clean];
  const gsm = isGsmText(clean);
  const room = (gsm ? 160 : 70) - "9/9 ".length;
  const parts: string[] = [];
  let part = "";
  let used = 0;
  for (const ch of clean) {
    const cost = gsm ? ("^{}\\[~]|€\f".includes(ch) ? 2 : 1) : ch.length;
    if (used + cost > room) {
      parts.push(part);
      part = "";
      used = 0;
    }
    part += ch;
    used += cost;
  }
  parts.push(part);
  if (parts.length > MAX_MESSAGE_PARTS) {
    parts.length = MAX_MESSAGE_PARTS;
    const last = [...parts[MAX_MESSAGE_PARTS - 1]];
    parts[MAX_MESSAGE_PARTS - 1] = last.slice(0, last.length - CUT.length).join("") + CUT;
  }
  return parts.map((p, i) => `${i + 1}/${parts.length} ${p}`);
}

/** Availability as a word. */
export function availabilityWord(value: string | undefined): string | undefined {
  switch (value) {
    case "AVAILABLE":
      return "available";
    case "DISCREET":
      return "busy";
    case "NOT_AVAILABLE":
      return "away";
  }
  return undefined;
}

/** One contact's line in a list: `bob on, busy "lunch"`, `carol off`, `dave ?` (not shared). */
export function presenceLine(
  name: string,
  presence: { online?: boolean; availability?: string; text?: string } | undefined,
): string {
  if (!presence || (presence.online === undefined && !presence.availability && !presence.text)) {
    return `${name} ?`;
  }
  const words = [presence.online === false ? "off" : "on"];
  const availability = availabilityWord(presence.availability);
  if (availability && presence.online !== false) words.push(availability);
  let line = `${name} ${words.join(", ")}`;
  if (presence.text) line += ` "${presence.text}"`;
  return line;
}
