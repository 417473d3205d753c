/** Phone numbers (MSISDN) as clients state them and the SMS gateway takes them. */

/** Digits, with a leading `+` for an international number. */
const MSISDN_RE = /^\+?[0-9]{3,20}$/;

export const isMsisdn = (value: string): boolean => MSISDN_RE.test(value);

/** The number's digits, the key it is known by: `+44…`, `0044…` and `44…` are the same number to
 * gateways that write it differently. */
export const msisdnDigits = (msisdn: string): string => msisdn.trim().replace(/^\+|^00/, "");
