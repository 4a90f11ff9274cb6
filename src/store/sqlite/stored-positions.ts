import type SqliteDatabase from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { StoredEventsMark } from '../../ingest/ports.js';
import type { EventsTable } from '../schema.js';

/**
 * The rowids past a mark, in event-time order. NOT INDEXED: the rows past the mark are a range of the
 * table itself; without it, the planner may walk the event-time index to spare the sort, which is
 * every event of the 90 days again.
 */
export const ORDER_AFTER_SQL = 'SELECT rowid FROM events NOT INDEXED WHERE rowid > ? AND occurred_at >= ? ORDER BY occurred_at, id';

/** Rows fetched by rowid at a time: the bound parameters of one statement stay well under SQLite's limit. */
const ROWS_PER_FETCH = 500;

/**
 * Where an event sits in the order SQLite stored it: the events table has a rowid (its primary key is
 * the text id), and SQLite gives each new row the largest rowid plus one. So "every event stored after
 * a moment" is every row past the largest rowid of that moment: a range of the table's own b-tree,
 * as long as the event ending it is still there (a deleted last row would let the next insert take
 * its number again, and a VACUUM may renumber the rows). The mark names that event's id with its
 * rowid, and a mark whose row holds another event, or none, is not used.
 */
export class SqliteStoredPositions {
  private prepared: Statements | undefined;

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  /** The last event stored, as committed now; undefined while there is none. */
  mark(): StoredEventsMark | undefined {
    const row = this.statements().last.get();
    return row === undefined ? undefined : { position: row.position, eventId: row.id };
  }

  /**
   * The events stored after the mark with event time from `from` on, in event-time order (then id),
   * in pages; undefined when the mark's row no longer holds its event.
   */
  after(mark: StoredEventsMark, from: number, pageSize: number): AsyncIterable<Array<Selectable<EventsTable>>> | undefined {
    const { idAt, orderAfter, fullFetch } = this.statements();
    if (idAt.get(mark.position) !== mark.eventId) return undefined;
    // Their rowids in order first (a number each), then the rows a page at a time: memory stays bounded
    // by the page however many came after the mark, and no statement stays open between pages.
    const order = orderAfter.all(mark.position, from);
    const { sqlite } = this;
    return (async function* pages() {
      for (let first = 0; first < order.length; first += pageSize) {
        const positions = order.slice(first, first + pageSize);
        const byPosition = new Map<number, Selectable<EventsTable>>();
        for (let i = 0; i < positions.length; i += ROWS_PER_FETCH) {
          const part = positions.slice(i, i + ROWS_PER_FETCH);
          const statement = part.length === ROWS_PER_FETCH ? fullFetch : sqlite.prepare<number[], PositionedRow>(fetchSql(part.length));
          const rows = statement.all(...part);
          for (const row of rows) byPosition.set(row.position, row);
        }
        const page: Array<Selectable<EventsTable>> = [];
        for (const position of positions) {
          const row = byPosition.get(position);
          if (row !== undefined) page.push(row);
        }
        yield page;
      }
    })();
  }

  /** Prepared at first use: the store is built before the migrations have made the table. */
  private statements(): Statements {
    this.prepared ??= {
      last: this.sqlite.prepare('SELECT rowid AS position, id FROM events ORDER BY rowid DESC LIMIT 1'),
      idAt: this.sqlite.prepare<[number], string>('SELECT id FROM events WHERE rowid = ?').pluck(),
      orderAfter: this.sqlite.prepare<[number, number], number>(ORDER_AFTER_SQL).pluck(),
      fullFetch: this.sqlite.prepare(fetchSql(ROWS_PER_FETCH)),
    };
    return this.prepared;
  }
}

interface Statements {
  readonly last: SqliteDatabase.Statement<[], { position: number; id: string }>;
  readonly idAt: SqliteDatabase.Statement<[number], string>;
  readonly orderAfter: SqliteDatabase.Statement<[number, number], number>;
  readonly fullFetch: SqliteDatabase.Statement<number[], PositionedRow>;
}

type PositionedRow = Selectable<EventsTable> & { readonly position: number };

const fetchSql = (count: number): string =>
  `SELECT rowid AS position, * FROM events WHERE rowid IN (${Array.from({ length: count }, () => '?').join(', ')})`;
