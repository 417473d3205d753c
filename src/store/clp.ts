/** What the CLP keeps per user between SMS: the session, the last sender, open questions. */
import { check, CommitConflict, set, type Store } from "./kv.ts";

/** A request the user answers with Y or N: to see their presence, or an invitation. */
export type NewQuestion =
  | { kind: "auth"; user: string }
  | { kind: "invite"; inviteId: string; from: string; group?: string };
/** A question with the number the user answers it by. */
export type Question = NewQuestion & { n: number };

export interface ClpState {
  /** The user's CLP session, while logged in. */
  sessionId?: string;
  /** Who wrote last, for R: a user id, or a group id. */
  lastFrom?: { kind: "user" | "group"; id: string };
  questions: Question[];
  nextQuestion: number;
  /** Groups joined from the phone, for `#name` without the owner. */
  groups: string[];
  /** Nicknames of contacts (as written) and their user ids, as the contact list last said. */
  nicks: Record<string, string>;
  /** The contact list ADD and DEL change. */
  list?: string;
}

/** Open questions kept per user; an older one is dropped (its request stays unanswered). */
export const MAX_QUESTIONS = 9;
const MAX_GROUPS = 50;
const MAX_NICKS = 500;
const RETRIES = 8;

/** The key of a user's CLP state (deleted with the user). */
export const clpStateKey = (userId: string) => ["clp", userId];

const empty = (): ClpState => ({ questions: [], nextQuestion: 1, groups: [], nicks: {} });

export class ClpRepo {
  constructor(private readonly store: Store) {}

  async get(userId: string): Promise<ClpState> {
    return await this.store.get<ClpState>(clpStateKey(userId)) ?? empty();
  }

  /** Changes the state with `change` (run again if another change got in first). */
  async update<T>(userId: string, change: (state: ClpState) => T): Promise<T> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const entry = await this.store.getEntry<ClpState>(clpStateKey(userId));
      const state = entry?.value ?? empty();
      const result = change(state);
      state.questions = state.questions.slice(-MAX_QUESTIONS);
      state.groups = state.groups.slice(-MAX_GROUPS);
      const nicks = Object.entries(state.nicks);
      if (nicks.length > MAX_NICKS) state.nicks = Object.fromEntries(nicks.slice(-MAX_NICKS));
      try {
        await this.store.write(
          check(clpStateKey(userId), entry?.versionstamp ?? null),
          set(clpStateKey(userId), state),
        );
        return result;
      } catch (error) {
        if (!(error instanceof CommitConflict)) throw error;
      }
    }
    throw new Error(`CLP state of ${userId} kept changing`);
  }

  /** Adds a question and returns its number (1–999, then from 1 again). */
  ask(userId: string, question: NewQuestion): Promise<number> {
    return this.update(userId, (state) => {
      const n = state.nextQuestion;
      state.nextQuestion = n >= 999 ? 1 : n + 1;
      state.questions.push({ ...question, n });
      return n;
    });
  }
}
