import {
  CompiledQuery,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import { SEVERITY_SORT_FACTOR } from '../alerts/alert-order.js';
import type {
  AlertComment,
  AlertCount,
  AlertFilter,
  AlertGroup,
  AlertGrouping,
  AlertQuery,
  AlertSort,
  AlertStore,
  HandledAlert,
  RuleOutcome,
} from '../alerts/ports.js';
import { newId } from '../core/ids.js';
import { assertExhaustive } from '../core/result.js';
import {
  type Alert,
  type AlertOwner,
  type AlertStatus,
  type AlertSubject,
  type AlertTransition,
  alertUser,
  type OpenAlertHead,
} from '../domain/alert.js';
import { DECISIONS } from '../domain/event-schema.js';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../domain/severity.js';
import type { DatabaseHandle } from './database.js';
import type { AlertsTable, Database } from './schema.js';

export type AlertRow = Insertable<AlertsTable>;

export const ALERT_COLUMNS = [
  'id',
  'dedup_key',
  'rule_id',
  'rule_ids_json',
  'subject_kind',
  'subject_value',
  'user_id',
  'session_id',
  'device_id',
  'ip',
  'country',
  'city',
  'user_agent',
  'summary',
  'type',
  'severity',
  'risk',
  'decision',
  'status',
  'reasons_json',
  'events_json',
  'related_json',
  'actions_json',
  'occurrences',
  'first_seen_at',
  'last_seen_at',
  'created_at',
  'updated_at',
  'acknowledged_at',
  'resolved_at',
  'search_text',
] as const satisfies readonly (keyof AlertRow)[];

/**
 * What detection may change on an alert it raised before. Status and its times are not among them:
 * they belong to the people working the alert, and a repeat must not reopen or un-acknowledge it.
 */
export const DETECTION_COLUMNS = [
  'rule_ids_json',
  'summary',
  'severity',
  'risk',
  'decision',
  'reasons_json',
  'events_json',
  'related_json',
  'actions_json',
  'occurrences',
  'first_seen_at',
  'last_seen_at',
  'updated_at',
  'search_text',
] as const satisfies readonly (keyof AlertRow)[];

/** Upserts alerts inside a transaction the caller holds (the event write's group commit). */
export async function upsertAlerts(trx: Kysely<Database>, alerts: readonly Alert[]): Promise<void> {
  for (const alert of alerts) {
    const row = toAlertRow(alert);
    await trx
      .insertInto('alerts')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(Object.fromEntries(DETECTION_COLUMNS.map((c) => [c, row[c]]))))
      .execute();
  }
}

/**
 * The event write's upsert of the alerts its events raised or grew (PostgreSQL, where several
 * processes may grow one alert: the distributed mode's alerts about an IP or a device). An alert not
 * stored yet is inserted as it is. One stored already gets this commit's own sightings added to its
 * stored occurrences (`repeats`: the alert's sightings among the events this commit wrote), rather
 * than the count this process holds, which misses another worker's repeats made at the same moment;
 * its first and last sightings only ever widen, and its risk, severity, decision and update time only rise. What else a repeat changes
 * (events, reasons, summary) is the last commit's. Returns the stored count of each alert whose count
 * differs from the one written.
 */
export async function upsertSightedAlerts(
  trx: Kysely<Database>,
  alerts: readonly Alert[],
  repeats: ReadonlyMap<string, number>,
): Promise<ReadonlyMap<string, number>> {
  const stored = new Map<string, number>();
  // Each alert once, in its latest state, in the order of their ids: two commits growing the same
  // alerts lock them in one order.
  const latest = [...new Map(alerts.map((a) => [a.id, a])).values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  for (const alert of latest) {
    const row = toAlertRow(alert);
    const repeated = repeats.get(alert.id) ?? 0;
    const params = [...ALERT_COLUMNS.map((c) => row[c] ?? null), repeated];
    const { rows } = await trx.executeQuery<{ occurrences: number; folded_into: string | null }>(CompiledQuery.raw(UPSERT_SIGHTED, params));
    const { occurrences, folded_into } = rows[0] as { occurrences: number; folded_into: string | null };
    if (occurrences !== alert.occurrences) stored.set(alert.id, occurrences);
    // Closed as a duplicate meanwhile: its repeats count in the alert it was closed into.
    if (folded_into !== null && repeated > 0) {
      await trx
        .updateTable('alerts')
        .set({
          occurrences: sql<number>`occurrences + ${repeated}`,
          last_seen_at: sql<number>`greatest(last_seen_at, ${alert.lastSeenAt})`,
        })
        .where('id', '=', folded_into)
        .execute();
    }
  }
  return stored;
}

/** Of the stored and the written value of `column`, the one later in `order` (PostgreSQL). */
function higherOf(column: 'severity' | 'decision', order: readonly string[]): string {
  const rank = (table: 'alerts' | 'excluded') =>
    `array_position(array[${order.map((v) => `'${v}'`).join(', ')}]::text[], ${table}.${column})`;
  return `${column} = case when ${rank('excluded')} > ${rank('alerts')} then excluded.${column} else alerts.${column} end`;
}

/** What a repeat sets that is not simply the last commit's (upsertSightedAlerts); the last parameter is the commit's repeats. */
const SIGHTED_UPDATES: Partial<Record<(typeof DETECTION_COLUMNS)[number], string>> = {
  occurrences: `occurrences = alerts.occurrences + $${ALERT_COLUMNS.length + 1}`,
  first_seen_at: 'first_seen_at = least(alerts.first_seen_at, excluded.first_seen_at)',
  last_seen_at: 'last_seen_at = greatest(alerts.last_seen_at, excluded.last_seen_at)',
  updated_at: 'updated_at = greatest(alerts.updated_at, excluded.updated_at)',
  risk: 'risk = greatest(alerts.risk, excluded.risk)',
  severity: higherOf('severity', SEVERITIES),
  decision: higherOf('decision', DECISIONS),
};

/**
 * upsertSightedAlerts's statement, written out once: built by Kysely for each alert, it cost about
 * 100 µs of CPU more per alert than the statement it replaced (measured on PostgreSQL, 400 alerts).
 */
const UPSERT_SIGHTED = `insert into alerts (${ALERT_COLUMNS.join(', ')}) values (${ALERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  on conflict (id) do update set ${DETECTION_COLUMNS.map((c) => SIGHTED_UPDATES[c] ?? `${c} = excluded.${c}`).join(', ')}
  returning occurrences, folded_into`;

/**
 * The alert `into` takes the occurrences of `from` and the span of its sightings, in the caller's
 * transaction: done once, with the compare-and-swap that closed `from`.
 */
async function foldOccurrences(trx: Kysely<Database>, from: string, into: string): Promise<void> {
  // Marked first: a commit of repeats for `from` waits for this transaction's lock on its row, then
  // sees the mark and adds them to `into` (upsertSightedAlerts). Alerts folded into `from` before
  // now send theirs to `into` as well.
  await trx.updateTable('alerts').set({ folded_into: into }).where('id', '=', from).execute();
  await trx.updateTable('alerts').set({ folded_into: into }).where('folded_into', '=', from).execute();
  const folded = await trx
    .selectFrom('alerts')
    .select(['occurrences', 'first_seen_at', 'last_seen_at'])
    .where('id', '=', from)
    .executeTakeFirstOrThrow();
  // Both dialects: SQLite has no least() or greatest().
  const first = Number(folded.first_seen_at);
  const last = Number(folded.last_seen_at);
  await trx
    .updateTable('alerts')
    .set({
      occurrences: sql<number>`occurrences + ${folded.occurrences}`,
      first_seen_at: sql<number>`case when first_seen_at < ${first} then first_seen_at else ${first} end`,
      last_seen_at: sql<number>`case when last_seen_at > ${last} then last_seen_at else ${last} end`,
    })
    .where('id', '=', into)
    .execute();
}

export function toAlertRow(a: Alert): AlertRow {
  return {
    id: a.id,
    dedup_key: a.dedupKey,
    rule_id: a.ruleId,
    rule_ids_json: JSON.stringify(a.ruleIds),
    subject_kind: a.subject.kind,
    subject_value: a.subject.value,
    user_id: alertUser(a),
    session_id: a.session ?? null,
    device_id: a.device ?? null,
    ip: a.ip ?? null,
    country: a.country ?? null,
    city: a.city ?? null,
    user_agent: a.userAgent ?? null,
    summary: a.summary,
    type: a.type,
    severity: a.severity,
    risk: a.risk,
    decision: a.decision,
    status: a.status,
    reasons_json: JSON.stringify(a.reasons),
    events_json: JSON.stringify(a.events),
    related_json: JSON.stringify(a.relatedEventIds),
    actions_json: JSON.stringify(a.suggestedActions),
    occurrences: a.occurrences,
    first_seen_at: a.firstSeenAt,
    last_seen_at: a.lastSeenAt,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    acknowledged_at: a.acknowledgedAt,
    resolved_at: a.resolvedAt,
    search_text: [a.summary, alertUser(a), a.ip, a.device, a.country, a.city, a.userAgent, ...a.reasons.map((r) => r.message)]
      .filter(Boolean)
      .join(' ')
      .toLowerCase(),
  };
}

function fromRow(r: Selectable<AlertsTable>): Alert {
  const common = {
    id: r.id,
    dedupKey: r.dedup_key,
    ruleId: r.rule_id,
    ruleIds: JSON.parse(r.rule_ids_json),
    summary: r.summary,
    type: r.type as Alert['type'],
    severity: r.severity as Alert['severity'],
    risk: r.risk,
    decision: r.decision as Alert['decision'],
    status: r.status as AlertStatus,
    reasons: JSON.parse(r.reasons_json),
    events: JSON.parse(r.events_json),
    relatedEventIds: JSON.parse(r.related_json),
    suggestedActions: JSON.parse(r.actions_json),
    occurrences: r.occurrences,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    acknowledgedAt: r.acknowledged_at,
    resolvedAt: r.resolved_at,
    owner: ownerOf(r.owner_id, r.owner_email),
  };
  const subject = { kind: r.subject_kind, value: r.subject_value } as AlertSubject;
  // A traffic alert's user_id is only its `status:<name>` label (alertUser): it has no account or event.
  if (subject.kind === 'status') return { ...common, subject };
  const context = {
    user: r.user_id,
    ...(r.session_id !== null && { session: r.session_id }),
    ...(r.device_id !== null && { device: r.device_id }),
    ...(r.ip !== null && { ip: r.ip }),
    ...(r.country !== null && { country: r.country }),
    ...(r.city !== null && { city: r.city }),
    ...(r.user_agent !== null && { userAgent: r.user_agent }),
  };
  // Two branches, one per subject, so that the compiler pairs each with its kind of alert.
  return subject.kind === 'user' ? { ...common, ...context, subject } : { ...common, ...context, subject };
}

const ownerOf = (id: string | null, email: string | null): AlertOwner | null => (id === null ? null : { id, email: email ?? id });

/**
 * `%` and `_` in a search are literal text, not wildcards. Every LIKE using it must say `escape '\\'`:
 * SQLite has no default escape character (PostgreSQL's is `\\`).
 */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const RANKED_SEVERITIES = [...SEVERITIES];
/** The severity's rank (`SEVERITY_RANK`) in SQL. */
const severityRank = sql<number>`(case severity ${sql.join(
  SEVERITIES.map((s) => sql`when ${sql.lit(s)} then ${sql.lit(SEVERITY_RANK[s])}`),
  sql` `,
)} else 0 end)`;

/** What an alert sorts by: its creation time, or the severity's rank and then that time (`alertSortKey`). */
function sortKey(sort: AlertSort): RawBuilder<number> {
  return sort === 'severity' ? sql<number>`(${severityRank} * ${sql.lit(SEVERITY_SORT_FACTOR)} + created_at)` : sql<number>`created_at`;
}

/**
 * The key of an alert's group. A story is what detection continues across events (a session, else a
 * device: `carried-risk` and the takeover chain follow those); an alert with neither (a credential
 * stuffing IP, the volume monitor) is a story of its own subject.
 */
function groupKey(by: AlertGrouping): RawBuilder<string> {
  switch (by) {
    case 'user':
      return sql<string>`user_id`;
    case 'rule':
      return sql<string>`rule_id`;
    case 'story':
      return sql<string>`coalesce(session_id, device_id, subject_kind || ':' || subject_value)`;
    default:
      return assertExhaustive(by, 'grouping');
  }
}

/** The filter as one condition: the list, counts, groups and export select exactly the same alerts. */
function filterExpression(eb: ExpressionBuilder<Database, 'alerts'>, q: AlertFilter): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (q.status?.length) all.push(eb('status', 'in', q.status));
  if (q.severity?.length) all.push(eb('severity', 'in', q.severity));
  if (q.user !== undefined) all.push(eb('user_id', '=', q.user));
  if (q.aboutUser !== undefined) {
    all.push(eb('user_id', '=', q.aboutUser), eb('subject_kind', '=', 'user'), eb('subject_value', '=', q.aboutUser));
  }
  if (q.ip !== undefined) all.push(eb('ip', '=', q.ip));
  if (q.type !== undefined) all.push(eb('type', '=', q.type));
  if (q.owner !== undefined) all.push(q.owner === null ? eb('owner_id', 'is', null) : eb('owner_id', '=', q.owner));
  if (q.rule !== undefined) {
    // The id as a JSON string (quotes included) inside the JSON array; `_` in `custom_…` ids is literal.
    const needle = `%${likeEscape(JSON.stringify(q.rule))}%`;
    all.push(sql<SqlBool>`rule_ids_json like ${needle} escape '\\'`);
  }
  if (q.q !== undefined && q.q.trim() !== '') {
    const needle = `%${likeEscape(q.q.trim().toLowerCase())}%`;
    all.push(sql<SqlBool>`search_text like ${needle} escape '\\'`);
  }
  if (q.from !== undefined) all.push(eb('created_at', '>=', q.from));
  if (q.to !== undefined) all.push(eb('created_at', '<', q.to));
  if (q.group !== undefined) all.push(sql<SqlBool>`${groupKey(q.group.by)} = ${q.group.key}`);
  return eb.and(all);
}

export class SqlAlertStore implements AlertStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async get(id: string): Promise<Alert | undefined> {
    const row = await this.handle.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(q: AlertQuery): Promise<readonly Alert[]> {
    const sort = q.sort ?? 'newest';
    const key = sortKey(sort);
    const direction = sort === 'oldest' ? 'asc' : 'desc';
    let query = this.handle.db
      .selectFrom('alerts')
      .selectAll()
      .where((eb) => filterExpression(eb, q));
    const after = q.after;
    if (after) {
      const past = direction === 'asc' ? sql`>` : sql`<`;
      // Row comparison spelt out: (key, id) after the cursor's, in the direction of the sort.
      query = query.where(sql<boolean>`(${key} ${past} ${after.key} or (${key} = ${after.key} and id ${past} ${after.id}))`);
    }
    const rows = await query.orderBy(key, direction).orderBy('id', direction).limit(q.limit).execute();
    return rows.map(fromRow);
  }

  async counts(filter: AlertFilter): Promise<readonly AlertCount[]> {
    const rows = await this.handle.db
      .selectFrom('alerts')
      .select((eb) => ['status', 'severity', eb.fn.countAll().as('count')])
      .where((eb) => filterExpression(eb, filter))
      .groupBy(['status', 'severity'])
      .execute();
    return rows.map((r) => ({ status: r.status as AlertStatus, severity: r.severity as Severity, count: Number(r.count) }));
  }

  async groups(filter: AlertFilter, by: AlertGrouping, limit: number): Promise<readonly AlertGroup[]> {
    const key = groupKey(by);
    const rows = await this.handle.db
      .selectFrom('alerts')
      .select((eb) => [
        key.as('key'),
        eb.fn.countAll().as('count'),
        eb.fn.max('created_at').as('latest_at'),
        eb.fn.max(severityRank).as('rank'),
      ])
      .where((eb) => filterExpression(eb, filter))
      .groupBy(key)
      .orderBy(sql`max(created_at)`, 'desc')
      .orderBy(key)
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      key: String(r.key),
      count: Number(r.count),
      latestAt: Number(r.latest_at),
      severity: RANKED_SEVERITIES[Number(r.rank)] ?? 'none',
    }));
  }

  async listOpen(since: number): Promise<readonly Alert[]> {
    const rows = await this.handle.db
      .selectFrom('alerts')
      .selectAll()
      .where('status', 'in', ['new', 'acknowledged', 'escalated'])
      .where('last_seen_at', '>=', since)
      .execute();
    return rows.map(fromRow);
  }

  async listOpenHeads(since: number): Promise<readonly OpenAlertHead[]> {
    const rows = await openHeadsQuery(this.handle.db, since).execute();
    return rows.map((r) => ({
      id: r.id,
      dedupKey: r.dedup_key,
      status: r.status as AlertStatus,
      subject: { kind: r.subject_kind, value: r.subject_value } as AlertSubject,
      occurrences: r.occurrences,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
      createdAt: r.created_at,
    }));
  }

  async getMany(ids: readonly string[]): Promise<readonly Alert[]> {
    const alerts: Alert[] = [];
    // In slices: SQLite limits a statement's parameters.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.handle.db
        .selectFrom('alerts')
        .selectAll()
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const row of rows) alerts.push(fromRow(row));
    }
    return alerts;
  }

  async transitions(alertId: string): Promise<readonly AlertTransition[]> {
    const rows = await this.handle.db
      .selectFrom('alert_transitions')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      alertId: r.alert_id,
      from: r.from_status as AlertStatus,
      to: r.to_status as AlertStatus,
      actor: r.actor,
      note: r.note,
      at: r.at,
    }));
  }

  async transition(
    t: AlertTransition,
    times: { acknowledgedAt?: number; resolvedAt?: number },
    foldInto?: string,
  ): Promise<Alert | undefined> {
    const done = await this.handle.db.transaction().execute(async (trx) => {
      // Both rows locked first, in the order the event commits take them (upsertSightedAlerts), so
      // that closing a duplicate and a commit growing both alerts never wait for each other.
      if (foldInto !== undefined && this.handle.dialect === 'postgres') {
        await trx.selectFrom('alerts').select('id').where('id', 'in', [t.alertId, foldInto]).orderBy('id').forUpdate().execute();
      }
      const updated = await trx
        .updateTable('alerts')
        .set({
          status: t.to,
          updated_at: t.at,
          ...(times.acknowledgedAt !== undefined && { acknowledged_at: times.acknowledgedAt }),
          ...(times.resolvedAt !== undefined && { resolved_at: times.resolvedAt }),
        })
        .where('id', '=', t.alertId)
        .where('status', '=', t.from)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await trx
        .insertInto('alert_transitions')
        .values({
          id: newId('atr', t.at),
          alert_id: t.alertId,
          from_status: t.from,
          to_status: t.to,
          actor: t.actor,
          note: t.note,
          at: t.at,
        })
        .execute();
      if (foldInto !== undefined) await foldOccurrences(trx, t.alertId, foldInto);
      return true;
    });
    return done ? this.get(t.alertId) : undefined;
  }

  async assign(alertId: string, owner: AlertOwner | null, at: number): Promise<Alert | undefined> {
    const updated = await this.handle.db
      .updateTable('alerts')
      .set({ owner_id: owner?.id ?? null, owner_email: owner?.email ?? null, assigned_at: owner === null ? null : at, updated_at: at })
      .where('id', '=', alertId)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 0 ? undefined : this.get(alertId);
  }

  async addComment(c: AlertComment): Promise<void> {
    await this.handle.db
      .insertInto('alert_comments')
      .values({ id: c.id, alert_id: c.alertId, author: c.author, body: c.text, created_at: c.at })
      .execute();
  }

  async comments(alertId: string): Promise<readonly AlertComment[]> {
    const rows = await this.handle.db
      .selectFrom('alert_comments')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, alertId: r.alert_id, author: r.author, text: r.body, at: Number(r.created_at) }));
  }

  async handledSince(since: number): Promise<readonly HandledAlert[]> {
    const rows = await this.handle.db
      .selectFrom('alerts')
      .select(['rule_id', 'owner_id', 'owner_email', 'created_at', 'acknowledged_at', 'resolved_at'])
      .where((eb) => eb.or([eb('acknowledged_at', '>=', since), eb('resolved_at', '>=', since)]))
      .execute();
    const num = (v: number | null) => (v === null ? null : Number(v));
    return rows.map((r) => ({
      ruleId: r.rule_id,
      owner: ownerOf(r.owner_id, r.owner_email),
      createdAt: Number(r.created_at),
      acknowledgedAt: num(r.acknowledged_at),
      resolvedAt: num(r.resolved_at),
    }));
  }

  async outcomesSince(since: number): Promise<ReadonlyMap<string, RuleOutcome>> {
    const rows = await this.handle.db
      .selectFrom('alerts')
      .select((eb) => [
        'rule_id',
        eb.fn.countAll<number>().as('alerts'),
        eb.fn.sum<number>(eb.case().when('status', 'in', ['resolved', 'false_positive']).then(1).else(0).end()).as('closed'),
        eb.fn.sum<number>(eb.case().when('status', '=', 'false_positive').then(1).else(0).end()).as('false_positives'),
      ])
      .where('created_at', '>=', since)
      .groupBy('rule_id')
      .execute();
    // PostgreSQL answers counts and sums as strings (bigint, numeric).
    return new Map(
      rows.map((r) => [
        r.rule_id,
        { alerts: Number(r.alerts), closed: Number(r.closed ?? 0), falsePositives: Number(r.false_positives ?? 0) },
      ]),
    );
  }
}

/**
 * The open alerts' heads (their latest occurrence at `since` or after): what a start reads of them.
 * Its condition is word for word that of the index that holds these columns (migration 0025), with
 * literals, not parameters: a planner uses a partial index only when it sees the query implies it.
 */
export function openHeadsQuery(db: Kysely<Database>, since: number) {
  return db
    .selectFrom('alerts')
    .select(['id', 'dedup_key', 'status', 'subject_kind', 'subject_value', 'occurrences', 'first_seen_at', 'last_seen_at', 'created_at'])
    .where(sql<boolean>`status in ('new', 'acknowledged', 'escalated')`)
    .where('last_seen_at', '>=', since);
}
