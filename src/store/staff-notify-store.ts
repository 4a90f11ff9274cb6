import type { Selectable } from 'kysely';
import type { AlertType } from '../domain/alert.js';
import type {
  AlertGroup,
  DigestClaim,
  GroupChange,
  HeldAlerts,
  SealedStaffChannel,
  StaffChannel,
  StaffChannelKind,
  StaffMessage,
  StaffMessageKind,
  StaffNotifyStore,
} from '../staff-notify/ports.js';
import type { DatabaseHandle } from './database.js';
import { type OutboundTable, queueColumns, queuedFromRow, SqlOutboundQueue } from './outbound-queue-store.js';
import type { StaffAlertGroupsTable, StaffChannelsTable, StaffMessagesTable } from './schema.js';

function channelFromRow(r: Selectable<StaffChannelsTable>): SealedStaffChannel {
  return {
    id: r.id,
    kind: r.kind as StaffChannelKind,
    name: r.name,
    urlHint: r.url_hint,
    minSeverity: r.min_severity as StaffChannel['minSeverity'],
    ruleIds: JSON.parse(r.rule_ids_json) as string[],
    alertTypes: JSON.parse(r.alert_types_json) as AlertType[],
    perMinute: r.per_minute,
    groupMinutes: r.group_minutes,
    createdAt: r.created_at,
    createdBy: r.created_by,
    disabledAt: r.disabled_at,
    urlCiphertext: r.url_ciphertext,
  };
}

function messageFromRow(r: Selectable<StaffMessagesTable>): StaffMessage {
  return {
    ...queuedFromRow(r),
    channelId: r.channel_id,
    kind: r.kind as StaffMessageKind,
    groupKey: r.group_key,
    alertId: r.alert_id,
    severityRank: r.severity_rank,
  };
}

function groupFromRow(r: Selectable<StaffAlertGroupsTable>): AlertGroup {
  return {
    channelId: r.channel_id,
    groupKey: r.group_key,
    openedAt: r.opened_at,
    closesAt: r.closes_at,
    sentRank: r.sent_rank,
    held: r.held,
    heldAlerts: JSON.parse(r.held_json) as HeldAlerts,
  };
}

function messageRow(m: StaffMessage) {
  return {
    ...queueColumns(m),
    channel_id: m.channelId,
    kind: m.kind,
    group_key: m.groupKey,
    alert_id: m.alertId,
    severity_rank: m.severityRank,
  };
}

const MESSAGES: OutboundTable<'staff_messages', StaffMessage> = { name: 'staff_messages', owner: 'channel_id', fromRow: messageFromRow };

/** Two processes opening the same group at once: the second insert fails, and is tried again against the first's row. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SqlStaffNotifyStore implements StaffNotifyStore {
  readonly queue: SqlOutboundQueue<'staff_messages', StaffMessage>;

  constructor(private readonly handle: DatabaseHandle) {
    this.queue = new SqlOutboundQueue(handle, MESSAGES);
  }

  async createChannel(c: SealedStaffChannel): Promise<void> {
    await this.handle.db
      .insertInto('staff_channels')
      .values({
        id: c.id,
        kind: c.kind,
        name: c.name,
        url_ciphertext: c.urlCiphertext,
        url_hint: c.urlHint,
        min_severity: c.minSeverity,
        rule_ids_json: JSON.stringify(c.ruleIds),
        alert_types_json: JSON.stringify(c.alertTypes),
        per_minute: c.perMinute,
        group_minutes: c.groupMinutes,
        created_at: c.createdAt,
        created_by: c.createdBy,
        disabled_at: c.disabledAt,
      })
      .execute();
  }

  async getChannel(id: string): Promise<SealedStaffChannel | undefined> {
    const row = await this.handle.db.selectFrom('staff_channels').selectAll().where('id', '=', id).executeTakeFirst();
    return row && channelFromRow(row);
  }

  async listChannels(): Promise<readonly SealedStaffChannel[]> {
    const rows = await this.handle.db
      .selectFrom('staff_channels')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(channelFromRow);
  }

  async activeChannels(): Promise<readonly SealedStaffChannel[]> {
    const rows = await this.handle.db.selectFrom('staff_channels').selectAll().where('disabled_at', 'is', null).orderBy('id').execute();
    return rows.map(channelFromRow);
  }

  async disableChannel(id: string, at: number): Promise<boolean> {
    return this.handle.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('staff_channels').select(['id', 'disabled_at']).where('id', '=', id).executeTakeFirst();
      if (!row) return false;
      if (row.disabled_at !== null) return true;
      await trx.updateTable('staff_channels').set({ disabled_at: at }).where('id', '=', id).execute();
      await this.queue.giveUpPending(trx, id, 'channel disabled');
      await trx.deleteFrom('staff_alert_groups').where('channel_id', '=', id).execute();
      return true;
    });
  }

  async changeGroup(
    channelId: string,
    groupKey: string,
    since: number,
    decide: (group: AlertGroup | undefined, alertsSince: number) => GroupChange,
  ): Promise<readonly StaffMessage[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.changeGroupOnce(channelId, groupKey, since, decide);
      } catch (error) {
        if (attempt >= 3 || !isUniqueViolation(error)) throw error;
      }
    }
  }

  private changeGroupOnce(
    channelId: string,
    groupKey: string,
    since: number,
    decide: (group: AlertGroup | undefined, alertsSince: number) => GroupChange,
  ): Promise<readonly StaffMessage[]> {
    // SQLite: Vigil's write transactions begin IMMEDIATE, so this one runs alone. PostgreSQL: the
    // channel's row is locked until commit, so the decisions about one channel run one at a time
    // whichever process makes them: two never both count the same minute's messages (the rate
    // limit) or both post "the first" of a group. Always the channel before its group, as
    // disableChannel does, so that no two transactions wait for each other.
    return this.handle.db.transaction().execute(async (trx) => {
      if (this.handle.dialect === 'postgres') {
        await trx.selectFrom('staff_channels').select('id').where('id', '=', channelId).forUpdate().execute();
      }
      let read = trx.selectFrom('staff_alert_groups').selectAll().where('channel_id', '=', channelId).where('group_key', '=', groupKey);
      if (this.handle.dialect === 'postgres') read = read.forUpdate();
      const row = await read.executeTakeFirst();
      const sent = await trx
        .selectFrom('staff_messages')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('channel_id', '=', channelId)
        .where('kind', '=', 'alert')
        .where('created_at', '>', since)
        .executeTakeFirstOrThrow();
      const change = decide(row && groupFromRow(row), Number(sent.n));
      const g = change.group;
      if (g === null) {
        await trx.deleteFrom('staff_alert_groups').where('channel_id', '=', channelId).where('group_key', '=', groupKey).execute();
      } else if (g !== undefined) {
        const values = {
          opened_at: g.openedAt,
          closes_at: g.closesAt,
          sent_rank: g.sentRank,
          held: g.held,
          held_json: JSON.stringify(g.heldAlerts),
        };
        if (row) {
          await trx
            .updateTable('staff_alert_groups')
            .set(values)
            .where('channel_id', '=', channelId)
            .where('group_key', '=', groupKey)
            .execute();
        } else {
          await trx
            .insertInto('staff_alert_groups')
            .values({ channel_id: channelId, group_key: groupKey, ...values })
            .execute();
        }
      }
      if (change.messages.length > 0) await trx.insertInto('staff_messages').values(change.messages.map(messageRow)).execute();
      return change.messages;
    });
  }

  async postedRank(channelId: string, alertId: string): Promise<number> {
    const row = await this.handle.db
      .selectFrom('staff_messages')
      .select((eb) => eb.fn.max('severity_rank').as('rank'))
      .where('alert_id', '=', alertId)
      .where('channel_id', '=', channelId)
      .where('kind', '=', 'alert')
      .executeTakeFirst();
    return row?.rank === null || row?.rank === undefined ? -1 : Number(row.rank);
  }

  async closingGroups(now: number, limit: number): Promise<readonly AlertGroup[]> {
    const rows = await this.handle.db
      .selectFrom('staff_alert_groups')
      .selectAll()
      .where('closes_at', '<=', now)
      .orderBy('closes_at')
      .orderBy('channel_id')
      .orderBy('group_key')
      .limit(limit)
      .execute();
    return rows.map(groupFromRow);
  }

  async addMessages(messages: readonly StaffMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.handle.db.insertInto('staff_messages').values(messages.map(messageRow)).execute();
  }

  async getMessage(id: string): Promise<StaffMessage | undefined> {
    const row = await this.handle.db.selectFrom('staff_messages').selectAll().where('id', '=', id).executeTakeFirst();
    return row && messageFromRow(row);
  }

  async messages(channelId: string, limit: number): Promise<readonly StaffMessage[]> {
    const rows = await this.handle.db
      .selectFrom('staff_messages')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(messageFromRow);
  }

  async claimDigest(cadence: string, periodStart: number, at: number, leaseUntil: number): Promise<DigestClaim> {
    const inserted = await this.handle.db
      .insertInto('staff_digests')
      .values({ cadence, period_start: periodStart, sent_at: at, lease_until: leaseUntil })
      .onConflict((oc) => oc.columns(['cadence', 'period_start']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return 'claimed';
    // A claim whose process died before it finished: taken over once its lease has run out, by one
    // process only (the lease it read is the condition of its update).
    const taken = await this.handle.db
      .updateTable('staff_digests')
      .set({ sent_at: at, lease_until: leaseUntil })
      .where('cadence', '=', cadence)
      .where('period_start', '=', periodStart)
      .where('lease_until', '<=', at)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return 'claimed';
    const row = await this.handle.db
      .selectFrom('staff_digests')
      .select('lease_until')
      .where('cadence', '=', cadence)
      .where('period_start', '=', periodStart)
      .executeTakeFirst();
    // No row: given back between the two statements; the next tick claims it.
    return row && row.lease_until === null ? 'sent' : 'held';
  }

  async finishDigest(cadence: string, periodStart: number, leaseUntil: number, at: number): Promise<void> {
    await this.handle.db
      .updateTable('staff_digests')
      .set({ sent_at: at, lease_until: null })
      .where('cadence', '=', cadence)
      .where('period_start', '=', periodStart)
      .where('lease_until', '=', leaseUntil)
      .execute();
  }

  async releaseDigest(cadence: string, periodStart: number, leaseUntil: number): Promise<void> {
    await this.handle.db
      .deleteFrom('staff_digests')
      .where('cadence', '=', cadence)
      .where('period_start', '=', periodStart)
      .where('lease_until', '=', leaseUntil)
      .execute();
  }
}
