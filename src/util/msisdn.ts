/** Phone numbers (MSISDN) as clients state them and the SMS gateway takes them. */

/** Digits, with a leading `+` for an international number. */
const MSISDN_RE = /^\+?[0-9]{3,20}$/;

export const isMsisdn = (value: string): boolean => MSISDN_RE.test(value);
