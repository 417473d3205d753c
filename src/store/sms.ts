/**
 * The SMS binding's records: which sessions live on a phone (so what they are handed goes out as
 * SMS), and the PTS numbers of server-originated transactions. The preamble carries a transaction
 * id of 0–999; the server's own ids are longer (the outbox sequence), so each one handed to a PTS
 * client gets a number, which its acknowledgement is read back by.
 */
import { check, CommitConflict, del, type Store } from "./kv.ts";

/** A session whose client is a phone reached by SMS. */
export interface SmsBinding {
  sessionId: string;
  userId: string;
  msisdn: string;
  /** `pts`: a CSP client in the SMS binding; `clp`: a command-line terminal. */
  kind: "pts" | "clp";
  /** The port PTS SMS go to as 8-bit data; absent: as text. */
  port?: number;
}

interface PtsNumbers {
  /** The last number given (1–999). */
  last: number;
  /** Number → server transaction id, the latest given last. */
  ids: [number, string][];
}

/** Numbers remembered per session: far more than a session has unacknowledged at once. */
const KEPT_NUMBERS = 128;
/** Records outlive any session (the longest keep-alive is far shorter). */
const RECORD_TTL_MS = 2 * 86_400_000;
const RETRIES = 8;

const bindingKey = (sessionId: string) => ["sms_binding", sessionId];
const numbersKey = (sessionId: string) => ["pts_numbers", sessionId];

export class SmsRepo {
  constructor(private readonly store: Store) {}

  async bind(binding: SmsBinding): Promise<void> {
    await this.store.write({
      type: "set",
      key: bindingKey(binding.sessionId),
      value: binding,
      expireIn: RECORD_TTL_MS,
    });
  }

  binding(sessionId: string): Promise<SmsBinding | undefined> {
    return this.store.get<SmsBinding>(bindingKey(sessionId));
  }

  async unbind(sessionId: string): Promise<void> {
    await this.store.write(del(bindingKey(sessionId)), del(numbersKey(sessionId)));
  }

  async bindings(): Promise<SmsBinding[]> {
    return (await this.store.list<SmsBinding>(["sms_binding"])).map((e) => e.value);
  }

  /** Gives each server transaction id a number 1–999 for the session (the same one twice if
   * it is handed out again). */
  async number(sessionId: string, transactionIds: string[]): Promise<string[]> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const entry = await this.store.getEntry<PtsNumbers>(numbersKey(sessionId));
      const numbers = entry?.value ?? { last: 0, ids: [] };
      const out = transactionIds.map((id) => {
        const known = numbers.ids.find(([, given]) => given === id);
        if (known) return String(known[0]);
        numbers.last = numbers.last >= 999 ? 1 : numbers.last + 1;
        numbers.ids = numbers.ids.filter(([n]) => n !== numbers.last);
        numbers.ids.push([numbers.last, id]);
        return String(numbers.last);
      });
      numbers.ids = numbers.ids.slice(-KEPT_NUMBERS);
      try {
        await this.store.write(check(numbersKey(sessionId), entry?.versionstamp ?? null), {
          type: "set",
          key: numbersKey(sessionId),
          value: numbers,
          expireIn: RECORD_TTL_MS,
        });
        return out;
      } catch (error) {
        if (!(error instanceof CommitConflict)) throw error;
      }
    }
    throw new Error(`PTS numbers of session ${sessionId} kept changing`);
  }

  /** The server transaction id a number stands for in the session. */
  async transactionId(sessionId: string, number: string): Promise<string | undefined> {
    const numbers = await this.store.get<PtsNumbers>(numbersKey(sessionId));
    return numbers?.ids.find(([n]) => String(n) === number)?.[1];
  }
}
