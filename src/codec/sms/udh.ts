/**
 * The SMS user data header (3GPP TS 23.040 §9.2.3.24) as far as the SMS binding needs it: the
 * application ports a data SMS is addressed to (the Android engine sends PTS to port 3590) and
 * concatenation, which the gateway has already undone when it hands a message on.
 */

export interface Udh {
  /** Application port addressing (IEI 4: 8-bit, IEI 5: 16-bit ports). */
  destinationPort?: number;
  sourcePort?: number;
}

/** Reads a header (with its length byte); what it cannot read is left out, never thrown. */
export function readUdh(udh: Uint8Array): Udh {
  const out: Udh = {};
  if (udh.length === 0) return out;
  const end = Math.min(udh.length, 1 + udh[0]);
  let at = 1;
  while (at + 2 <= end) {
    const iei = udh[at];
    const length = udh[at + 1];
    const value = udh.subarray(at + 2, at + 2 + length);
    if (value.length < length) break;
    if (iei === 0x05 && length === 4) {
      out.destinationPort = (value[0] << 8) | value[1];
      out.sourcePort = (value[2] << 8) | value[3];
    } else if (iei === 0x04 && length === 2) {
      out.destinationPort = value[0];
      out.sourcePort = value[1];
    }
    at += 2 + length;
  }
  return out;
}

/** A header addressing 16-bit application ports. */
export function portUdh(destinationPort: number, sourcePort = destinationPort): Uint8Array {
  return Uint8Array.of(
    6,
    5,
    4,
    destinationPort >> 8,
    destinationPort & 0xff,
    sourcePort >> 8,
    sourcePort & 0xff,
  );
}
