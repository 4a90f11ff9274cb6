import type { ListEntry, ListKind, ListName } from '../detect/lists.js';

/** An entry as stored: removed entries are kept (with who removed them and when) for the record. */
export interface StoredListEntry extends ListEntry {
  readonly removedAt: number | null;
  readonly removedBy: string | null;
}

export interface ListQuery {
  readonly list?: ListName;
  readonly kind?: ListKind;
  /** Also entries whose expiry has passed (never removed ones). */
  readonly includeExpired?: boolean;
  readonly now: number;
}

/** Where list entries are kept (store/list-store.ts). */
export interface ListStore {
  add(entry: ListEntry): Promise<void>;
  get(id: string): Promise<StoredListEntry | undefined>;
  /** Marks an entry removed; false when there is no such entry or it was removed already. */
  remove(id: string, at: number, by: string): Promise<boolean>;
  /** Every entry not removed (expired ones too), to fill the book at start. */
  listNotRemoved(): Promise<readonly ListEntry[]>;
  /** Entries not removed, newest first, filtered. */
  list(query: ListQuery): Promise<readonly ListEntry[]>;
}
