import { ServerSecret } from '../auth/server-secret.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { ALERT_TYPES } from '../domain/vocabulary.js';
import type { TargetGuard } from '../webhooks/target-guard.js';
import { checkTargetUrl } from '../webhooks/target-url.js';
import { type ChannelRouting, type SealedStaffChannel, STAFF_CHANNEL_KINDS, type StaffChannel, type StaffChannelKind } from './ports.js';

export interface ChannelInput {
  readonly kind: StaffChannelKind;
  readonly name: string;
  /** The incoming-webhook URL: a secret (whoever holds it can post to the channel). */
  readonly url: string;
  readonly minSeverity?: ChannelRouting['minSeverity'];
  readonly ruleIds?: readonly string[];
  readonly alertTypes?: ChannelRouting['alertTypes'];
  readonly perMinute?: number;
  readonly groupMinutes?: number;
}

/** The audit trail, as staff notifications record into it. */
export interface StaffNotifyAudit {
  record(
    actor: string,
    action: 'staff_channel.created' | 'staff_channel.deleted',
    subject: string,
    details: Record<string, unknown>,
  ): Promise<unknown>;
}

export interface ChannelRegistryDeps {
  readonly store: {
    createChannel(c: SealedStaffChannel): Promise<void>;
    getChannel(id: string): Promise<SealedStaffChannel | undefined>;
    listChannels(): Promise<readonly SealedStaffChannel[]>;
    activeChannels(): Promise<readonly SealedStaffChannel[]>;
    disableChannel(id: string, at: number): Promise<boolean>;
  };
  /** The server secret's `staff-channel-urls` subkey: seals the URLs at rest. */
  readonly key: Buffer;
  readonly clock: Clock;
  /** The webhooks' target guard: public addresses only, unless allowed (VIGIL_WEBHOOK_ALLOW_CIDRS). */
  readonly guard: TargetGuard;
  readonly audit: StaffNotifyAudit;
  /** Whether a rule id names a rule Vigil has (built-in or custom). */
  readonly ruleExists: (id: string) => boolean;
}

export const CHANNEL_DEFAULTS = { minSeverity: 'high', perMinute: 10, groupMinutes: 10 } as const;
export const PER_MINUTE_RANGE = [1, 60] as const;
export const GROUP_MINUTES_RANGE = [1, 1440] as const;

/** How long the list of active channels is reused before it is read again: every raised alert asks. */
const ACTIVE_TTL_MS = 5_000;

/**
 * Chat channels as admins set them up: the URL sealed at rest and never shown again (the API shows
 * its scheme and host), routing checked, additions and removals audited here, whoever asks.
 */
export class ChannelRegistry {
  private active: { readonly at: number; readonly channels: Promise<readonly SealedStaffChannel[]> } | undefined;

  constructor(private readonly deps: ChannelRegistryDeps) {}

  async register(input: ChannelInput, actor: string): Promise<Result<StaffChannel, Problem>> {
    if (!(STAFF_CHANNEL_KINDS as readonly string[]).includes(input.kind)) {
      return err({ code: 'invalid_body', message: `kind must be one of ${STAFF_CHANNEL_KINDS.join(', ')}.`, path: '/kind' });
    }
    const name = input.name.trim();
    if (name === '') return err({ code: 'invalid_body', message: 'name must not be empty.', path: '/name' });
    const url = await checkTargetUrl(this.deps.guard, input.url);
    if (!url.ok) return url;
    const ruleIds = [...new Set(input.ruleIds ?? [])];
    const unknownRule = ruleIds.find((r) => !this.deps.ruleExists(r));
    if (unknownRule !== undefined) return err({ code: 'invalid_body', message: `No rule "${unknownRule}".`, path: '/ruleIds' });
    const alertTypes = [...new Set(input.alertTypes ?? [])];
    const unknownType = alertTypes.find((t) => !(ALERT_TYPES as readonly string[]).includes(t));
    if (unknownType !== undefined) {
      return err({ code: 'invalid_body', message: `"${unknownType}" is not one of ${ALERT_TYPES.join(', ')}.`, path: '/alertTypes' });
    }
    const perMinute = input.perMinute ?? CHANNEL_DEFAULTS.perMinute;
    if (!inRange(perMinute, PER_MINUTE_RANGE)) {
      return err({
        code: 'invalid_body',
        message: `perMinute must be an integer from ${PER_MINUTE_RANGE.join(' to ')}.`,
        path: '/perMinute',
      });
    }
    const groupMinutes = input.groupMinutes ?? CHANNEL_DEFAULTS.groupMinutes;
    if (!inRange(groupMinutes, GROUP_MINUTES_RANGE)) {
      return err({
        code: 'invalid_body',
        message: `groupMinutes must be an integer from ${GROUP_MINUTES_RANGE.join(' to ')}.`,
        path: '/groupMinutes',
      });
    }
    const now = this.deps.clock.now();
    const channel: StaffChannel = {
      id: newId('chn', now),
      kind: input.kind,
      name,
      urlHint: `${url.value.protocol}//${url.value.host}/…`,
      minSeverity: input.minSeverity ?? CHANNEL_DEFAULTS.minSeverity,
      ruleIds,
      alertTypes,
      perMinute,
      groupMinutes,
      createdAt: now,
      createdBy: actor,
      disabledAt: null,
    };
    await this.deps.store.createChannel({ ...channel, urlCiphertext: ServerSecret.encrypt(this.deps.key, url.value.toString()) });
    this.active = undefined;
    // The URL is a credential: the trail keeps its hint, never the URL.
    await this.deps.audit.record(actor, 'staff_channel.created', `staff_channel:${channel.id}`, {
      kind: channel.kind,
      name: channel.name,
      urlHint: channel.urlHint,
      minSeverity: channel.minSeverity,
      ruleIds: channel.ruleIds,
      alertTypes: channel.alertTypes,
    });
    return ok(channel);
  }

  async list(): Promise<readonly StaffChannel[]> {
    return (await this.deps.store.listChannels()).map(unsealed);
  }

  async get(id: string): Promise<StaffChannel | undefined> {
    const c = await this.deps.store.getChannel(id);
    return c && unsealed(c);
  }

  /** Stops posting to a channel: its pending messages are given up. Kept, with its log, for the record. */
  async disable(id: string, actor: string): Promise<Result<StaffChannel, Problem>> {
    if (!(await this.deps.store.disableChannel(id, this.deps.clock.now()))) return err({ code: 'not_found', message: `No channel ${id}.` });
    this.active = undefined;
    const channel = await this.get(id);
    if (!channel) return err({ code: 'not_found', message: `No channel ${id}.` });
    await this.deps.audit.record(actor, 'staff_channel.deleted', `staff_channel:${id}`, { kind: channel.kind, name: channel.name });
    return ok(channel);
  }

  /**
   * Active channels with their sealed URLs, read at most every few seconds: changes made here are
   * seen at once, those of another Vigil process within ACTIVE_TTL_MS.
   */
  activeChannels(): Promise<readonly SealedStaffChannel[]> {
    const now = this.deps.clock.now();
    if (this.active && now - this.active.at < ACTIVE_TTL_MS && now >= this.active.at) return this.active.channels;
    const channels = this.deps.store.activeChannels();
    this.active = { at: now, channels };
    channels.catch(() => {
      this.active = undefined;
    });
    return channels;
  }

  /** A channel with its sealed URL, for delivery. */
  sealed(id: string): Promise<SealedStaffChannel | undefined> {
    return this.deps.store.getChannel(id);
  }
}

const inRange = (n: number, [min, max]: readonly [number, number]) => Number.isInteger(n) && n >= min && n <= max;

function unsealed({ urlCiphertext: _sealed, ...channel }: SealedStaffChannel): StaffChannel {
  return channel;
}
