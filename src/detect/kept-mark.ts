import { EVENT_ID_PREFIX, isPackedId, packId, RecentIdTexts } from '../core/ids.js';
import type { EventType } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import { stringBytes } from './byte-budget.js';
import type { StoryMark } from './history.js';

/**
 * A story mark as MemoryHistory keeps it: the same answers as a StoryMark, in about half the memory
 * (its message aside). The engine hands each mark over as an object literal made from the scored
 * event, which brought along the request's texts: the id's (48 bytes, which the history otherwise
 * keeps packed), the type's (32), the session's and the device's (about 30 each, where the history
 * keeps its own), and a boxed time (16). A user under attack keeps up to sixteen marks, and a bench
 * where a third of the accounts is flagged kept two each: 460 bytes a mark, 31 MB per 100,000
 * accounts. Here:
 *
 * - the id, when Vigil made it, is four small integers (core/ids.ts's packId); a client's own id is
 *   kept as its text, in a mark three fields smaller;
 * - the time is two small integers (see StoredEvent: a time in milliseconds is past V8's small
 *   integers, and would be boxed), or the number itself when it is not a safe integer (or is -0);
 * - the type and the severity are their places in EVENT_TYPES and MARK_SEVERITIES, in one integer;
 * - the session and the device are the strings MemoryHistory already keeps for the event's timeline,
 *   when it holds the event (see `KeptMark.of`);
 * - the rule, the message and the alert's id are kept as they came: the rule's id is the rule's own
 *   string, the alert's the alert's, and the message is the mark's own text.
 */
export abstract class KeptMark implements StoryMark {
  protected constructor(
    /** The time's high half (`timeHigh * SPLIT + timeLow`), or, with timeLow WHOLE, the time itself. */
    private readonly timeHigh: number,
    private readonly timeLow: number,
    /** The event's type (low five bits) and the mark's severity (above them), by their places. */
    private readonly kinds: number,
    readonly risk: number,
    readonly rule: string,
    readonly message: string,
    readonly session: string | undefined,
    readonly device: string | undefined,
    readonly alertId: string | undefined,
  ) {}

  /**
   * The kept form of a mark. `session` and `device`, when given, are strings equal to the mark's that
   * the history keeps anyway (its event's), taken instead of the mark's own copies.
   */
  static of(mark: StoryMark, shared: { readonly session?: string | undefined; readonly device?: string | undefined } = {}): KeptMark {
    KeptMark.check(mark);
    const type = TYPE_INDEX.get(mark.type) as number;
    const severity = SEVERITY_INDEX.get(mark.severity) as number;
    const t = mark.occurredAt;
    // -0 is a safe integer, but its halves would give back +0.
    const whole = !Number.isSafeInteger(t) || Object.is(t, -0);
    const high = whole ? t : Math.floor(t / SPLIT);
    const low = whole ? WHOLE : t - high * SPLIT;
    const session = shared.session !== undefined && shared.session === mark.session ? shared.session : mark.session;
    const device = shared.device !== undefined && shared.device === mark.device ? shared.device : mark.device;
    const kinds = type | (severity << SEVERITY_SHIFT);
    return packId(EVENT_ID_PREFIX, mark.eventId, WORDS)
      ? new PackedIdMark(
          WORDS[0] as number,
          WORDS[1] as number,
          WORDS[2] as number,
          WORDS[3] as number,
          high,
          low,
          kinds,
          mark.risk,
          mark.rule,
          mark.message,
          session,
          device,
          mark.alertId,
        )
      : new TextIdMark(mark.eventId, high, low, kinds, mark.risk, mark.rule, mark.message, session, device, mark.alertId);
  }

  /**
   * Throws unless a KeptMark can keep this mark: its type is an event type and its severity a mark's.
   * A snapshot's decoder asks, so that a file with any other is refused before anything is restored.
   */
  static check(mark: Pick<StoryMark, 'type' | 'severity'>): void {
    if (!TYPE_INDEX.has(mark.type)) throw new TypeError(`unknown event type ${JSON.stringify(mark.type)}`);
    if (!SEVERITY_INDEX.has(mark.severity)) throw new TypeError(`unknown mark severity ${JSON.stringify(mark.severity)}`);
  }

  abstract get eventId(): string;

  /** Whether this is the mark of the event of that id, without making the id's text. */
  abstract hasEventId(id: string): boolean;

  /** Bytes of the object and of its id: see the subclasses. */
  protected abstract get idBytes(): number;

  get type(): EventType {
    return EVENT_TYPES[this.kinds & TYPE_MASK] as EventType;
  }

  get severity(): StoryMark['severity'] {
    return MARK_SEVERITIES[this.kinds >> SEVERITY_SHIFT] as StoryMark['severity'];
  }

  get occurredAt(): number {
    return this.timeLow === WHOLE ? this.timeHigh : this.timeHigh * SPLIT + this.timeLow;
  }

  /**
   * Estimated bytes of the mark (for the byte budget): its object and its texts but the rule's and the
   * alert's ids (the rule's and the alert's own strings). Its session and device are counted even when
   * they are its event's: whether they are depends on what the timelines hold at the moment, and a
   * mark's estimate must not change while it is kept (forgetting it takes back what keeping it
   * charged), nor after a restore. So it stays a ceiling.
   */
  get bytes(): number {
    return this.idBytes + stringBytes(this.message) + stringBytes(this.session) + stringBytes(this.device);
  }

  /** The mark as a plain StoryMark (a snapshot's state is plain data), its absent fields absent. */
  plain(): StoryMark {
    return {
      eventId: this.eventId,
      type: this.type,
      occurredAt: this.occurredAt,
      risk: this.risk,
      severity: this.severity,
      rule: this.rule,
      message: this.message,
      ...(this.session !== undefined && { session: this.session }),
      ...(this.device !== undefined && { device: this.device }),
      ...(this.alertId !== undefined && { alertId: this.alertId }),
    };
  }
}

/**
 * Whether m is the mark of the event of this id: a KeptMark answers without making its id's text (the
 * rules compare a user's marks with the event they score, at every sensitive event).
 */
export const isMarkOf = (m: StoryMark, id: string): boolean => (m instanceof KeptMark ? m.hasEventId(id) : m.eventId === id);

/** A mark of an event whose id Vigil made: the id in four small integers (core/ids.ts's packId). */
class PackedIdMark extends KeptMark {
  constructor(
    private readonly id0: number,
    private readonly id1: number,
    private readonly id2: number,
    private readonly id3: number,
    timeHigh: number,
    timeLow: number,
    kinds: number,
    risk: number,
    rule: string,
    message: string,
    session: string | undefined,
    device: string | undefined,
    alertId: string | undefined,
  ) {
    super(timeHigh, timeLow, kinds, risk, rule, message, session, device, alertId);
  }

  /** The id's text, made again from its words (kept a while: see recentIds). */
  get eventId(): string {
    return recentIds.textOf(this, this.id0, this.id1, this.id2, this.id3);
  }

  hasEventId(id: string): boolean {
    return isPackedId(EVENT_ID_PREFIX, id, this.id0, this.id1, this.id2, this.id3);
  }

  protected get idBytes(): number {
    return PACKED_ID_MARK_BYTES;
  }
}

/**
 * The texts of the packed ids read lately. Carried risk reads every mark of a user at each of the
 * user's sensitive events (comparing ids without texts, see isMarkOf, but naming the related events
 * by their ids): a user under attack has up to sixteen marks, each id made again at every read. A
 * few hundred texts, as for events.
 */
const recentIds = new RecentIdTexts<PackedIdMark>(EVENT_ID_PREFIX, 512);

/** A mark of an event sent with the shop's own id: the id kept as its text, three fields fewer. */
class TextIdMark extends KeptMark {
  constructor(
    private readonly idText: string,
    timeHigh: number,
    timeLow: number,
    kinds: number,
    risk: number,
    rule: string,
    message: string,
    session: string | undefined,
    device: string | undefined,
    alertId: string | undefined,
  ) {
    super(timeHigh, timeLow, kinds, risk, rule, message, session, device, alertId);
  }

  get eventId(): string {
    return this.idText;
  }

  hasEventId(id: string): boolean {
    return this.idText === id;
  }

  protected get idBytes(): number {
    return TEXT_ID_MARK_BYTES + stringBytes(this.idText);
  }
}

/** A mark's severities (never 'none': an event without findings earns no mark). */
const MARK_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const SEVERITY_INDEX = new Map<string, number>(MARK_SEVERITIES.map((s, i) => [s, i]));
const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
const TYPE_MASK = 0x1f;
const SEVERITY_SHIFT = 5;
if (EVENT_TYPES.length > TYPE_MASK + 1) throw new Error('KeptMark keeps an event type in 5 bits');

/** A time is kept as high * SPLIT + low, both small integers (V8's are below 2^31), as StoredEvent keeps it. */
const SPLIT = 2 ** 30;
/** In the low half: the high half is the time itself (not a safe integer). */
const WHOLE = -1;
const WORDS = new Int32Array(4);

/**
 * A KeptMark: header and in-object fields (V8 on 64 bits without pointer compression, as Node ships),
 * nine of its own and the four words of a packed id or the field of an id kept as text (whose string
 * is counted too: it may be the event's, or not). Its risk is a small integer (the engine's risks are
 * whole, 0 to 100); a fractional one would be boxed, 16 bytes not counted, which no mark the engine
 * makes has.
 */
const PACKED_ID_MARK_BYTES = 24 + 13 * 8;
const TEXT_ID_MARK_BYTES = 24 + 10 * 8;
