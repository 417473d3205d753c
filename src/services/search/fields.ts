/**
 * What is searchable about a user, and how values compare.
 *
 * - USER_ID: always (the account list itself is the index; see `index.ts`).
 * - USER_ALIAS: the Alias the user publishes in presence. Like Baraza, a published alias is a
 *   public handle: anyone may find the user by it (only the UserID is ever returned).
 * - Names, e-mail, mobile, city and country: from the ContactInfo presence attribute's vCard,
 *   and only when that vCard says `CLASS:PUBLIC` — the user's explicit consent. Without it (or
 *   when ContactInfo is withdrawn) none of these fields is searchable.
 *
 * Values compare case-insensitively, with Unicode compatibility forms folded and whitespace
 * collapsed; a SearchString matches a value when it is a prefix of the value or of any word of it
 * ("and" finds "Alice Anderson"). Phone numbers compare on their digits (and a leading `+`).
 */
import type { ElementValue } from "../../codec/csp/message.ts";
import { obj, str } from "../../session/values.ts";
import { MAX_TERM_CHARS, MAX_TERMS_PER_FIELD } from "./limits.ts";
import { components, readVCard, unescape } from "./vcard.ts";

/** User search elements answered from the index kept on presence updates. */
export const PROFILE_ELEMENTS = [
  "USER_ALIAS",
  "USER_FIRST_NAME",
  "USER_LAST_NAME",
  "USER_FRIENDLY_NAME",
  "USER_EMAIL_ADDRESS",
  "USER_MOBILE_NUMBER",
  "USER_CITY",
  "USER_COUNTRY",
] as const;
export type ProfileElement = (typeof PROFILE_ELEMENTS)[number];

export const isProfileElement = (name: string): name is ProfileElement =>
  (PROFILE_ELEMENTS as readonly string[]).includes(name);

/** A user's searchable values by element, normalised. */
export type SearchableFields = Partial<Record<ProfileElement, string[]>>;

/** The comparable form of a value (or of a SearchString) of `element`. */
export function normalize(element: string, raw: string): string {
  const folded = raw.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  if (element === "USER_MOBILE_NUMBER") return folded.replace(/(?!^\+)[^0-9]/g, "");
  return folded.slice(0, MAX_TERM_CHARS);
}

/** The index entries of one normalised value: the value from each word start on. */
export function terms(value: string): string[] {
  const words = value.split(" ");
  const out = new Set<string>();
  for (let i = 0; i < words.length && i < MAX_TERMS_PER_FIELD; i++) {
    const term = words.slice(i).join(" ").slice(0, MAX_TERM_CHARS);
    if (term) out.add(term);
  }
  return [...out];
}

/** Whether a normalised value matches a normalised SearchString (the same rule as the index). */
export function matches(value: string, query: string): boolean {
  return terms(value).some((term) => term.startsWith(query));
}

type Attributes = Readonly<Record<string, ElementValue | ElementValue[] | undefined>>;

/** What a user's presence makes searchable. */
export function searchableFields(presence: Attributes): SearchableFields {
  const fields: SearchableFields = {};
  const add = (element: ProfileElement, raw: string | undefined) => {
    const value = raw === undefined ? "" : normalize(element, raw);
    if (!value) return;
    const values = fields[element] ??= [];
    if (!values.includes(value)) values.push(value);
  };
  const alias = obj(presence.Alias);
  if (alias?.Qualifier !== false) add("USER_ALIAS", str(alias?.PresenceValue));

  const contact = obj(presence.ContactInfo);
  const vcard = contact?.Qualifier === false ? undefined : str(contact?.ContainedvCard);
  if (vcard === undefined) return fields;
  const properties = readVCard(vcard);
  if (!properties.some((p) => p.name === "CLASS" && p.value.trim().toUpperCase() === "PUBLIC")) {
    return fields;
  }
  for (const p of properties) {
    switch (p.name) {
      case "N": {
        const [family, given] = components(p.value);
        add("USER_LAST_NAME", family);
        add("USER_FIRST_NAME", given);
        break;
      }
      case "FN":
      case "NICKNAME":
        add("USER_FRIENDLY_NAME", unescape(p.value));
        break;
      case "EMAIL":
        add("USER_EMAIL_ADDRESS", unescape(p.value));
        break;
      case "TEL":
        if (p.params.includes("CELL")) add("USER_MOBILE_NUMBER", p.value);
        break;
      case "ADR": {
        const parts = components(p.value);
        add("USER_CITY", parts[3]);
        add("USER_COUNTRY", parts[6]);
        break;
      }
    }
  }
  return fields;
}
