import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Alert } from '../domain/alert.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { PlannedResponse } from '../domain/response.js';

/** The rows of what committed batches still owe (store/pending-effects-store.ts). */
export interface PendingEffectsStore {
  /** Up to `limit` rows with ids after `after`, in id order (about the order they were written). */
  list(after: string | undefined, limit: number): Promise<readonly OwedEffects[]>;
  remove(ids: readonly string[]): Promise<void>;
}

/** Carries out planned responses (respond/response-worker.ts); each resolves with whether all of them were. */
export interface ResponseCarrier {
  onResponsePlanned(responses: readonly PlannedResponse[]): Promise<boolean>;
  /** Responses owed from a run that may have done part of them: what was done is not done twice. */
  resume(responses: readonly PlannedResponse[]): Promise<boolean>;
}

export interface PendingEffectsDependencies {
  readonly store: PendingEffectsStore;
  /** An alert as stored now, for raised alerts announced again. */
  readonly alert: (id: string) => Promise<Alert | undefined>;
  readonly bus: Bus;
  readonly responses: ResponseCarrier;
  readonly clock: Clock;
  readonly onError: (message: string, error: unknown) => void;
}

interface UnderWay {
  /** The batch's user: in the distributed mode, whose partition the row belongs to. */
  readonly user: string;
  /** Resolves once the row is carried out (or, before its commit, once it is written or dropped). */
  readonly done: Promise<void>;
  /** Set while the row is being written: resolves `done`. */
  readonly written?: () => void;
}

/** How often a running process takes up rows left behind by a step that failed. */
export const PENDING_EFFECTS_RESUME_MS = 60_000;

/** Rows read per page when resuming. */
const PAGE = 200;
/** How long finished rows wait to be deleted together. */
const DELETE_AFTER_MS = 1000;

/**
 * What a batch owes once its events are committed, made durable with them: the alerts it raised are
 * announced (webhooks, staff notifications, the live feed) and its responses carried out (the lock's
 * audit entry and webhook, the unlock code, the notices). Before, these ran from memory after the
 * commit, so a process killed in between left a lock that nobody was told of and no code to lift it.
 *
 * The batch's row is written in the events' transaction (the group commit) and deleted once all of it
 * was done. A row left behind (the process died, or a step failed) is carried out again: at the next
 * start of one process, by the worker that takes its partition over in the distributed mode, and by
 * a pass every minute over rows at least two minutes old. Done again, nothing is done twice where Vigil can tell: the webhooks keep
 * the delivery they have for the same cause, the audit trail the entry it has, and an unlock code
 * already made for the lock is not made again (its row is written before it is sent, so a code is
 * sent at most once). A notice to the owner or the admins, and a staff chat message, can go out twice
 * if the process dies between sending it and deleting the row.
 */
export class PendingEffects {
  /** Rows being written or carried out by this process, by id. */
  private readonly underWay = new Map<string, UnderWay>();
  /** Rows carried out, whose deletion is waiting to be made with others. */
  private finished = new Set<string>();
  private deleting: Promise<void> | undefined;
  private deleteTimer: NodeJS.Timeout | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private resuming: Promise<number> | undefined;

  constructor(private readonly deps: PendingEffectsDependencies) {}

  /**
   * The row for a batch that raised alerts or planned responses, or undefined when it owes nothing.
   * Marked as under way here from now on, so that a resume running meanwhile leaves it alone.
   */
  owe(user: string, raised: readonly Alert[], responses: readonly PlannedResponse[], now: number): OwedEffects | undefined {
    if (raised.length === 0 && responses.length === 0) return undefined;
    const owed: OwedEffects = { id: newId('fx', now), user, createdAt: now, raised: raised.map((a) => a.id), responses };
    let written = () => {};
    const done = new Promise<void>((resolve) => {
      written = resolve;
    });
    this.underWay.set(owed.id, { user, done, written });
    return owed;
  }

  /** The batch's write failed: it owes nothing. */
  cancel(owed: OwedEffects): void {
    this.underWay.get(owed.id)?.written?.();
    this.underWay.delete(owed.id);
  }

  /**
   * After the commit: announces the raised alerts and carries out the responses, in the background.
   * The alerts are handed to the bus before this returns, so that the live feed sees them before the
   * updates the caller publishes next.
   */
  carryOut(owed: OwedEffects, raised: readonly Alert[]): void {
    const announced = raised.length > 0 ? this.deps.bus.deliver('alert.raised', raised) : Promise.resolve();
    const responded = owed.responses.length > 0 ? this.deps.responses.onResponsePlanned(owed.responses) : Promise.resolve(true);
    this.track(
      owed,
      Promise.all([announced, responded]).then(([, all]) => all),
    );
  }

  /**
   * Carries out the rows left behind whose batch's user `belongs` here (every row in one process),
   * except those this process is carrying out itself. Resolves with how many were taken up.
   */
  resume(belongs: (user: string) => boolean = () => true, writtenBefore = Number.POSITIVE_INFINITY): Promise<number> {
    // One pass at a time: a second asked for meanwhile would only find the same rows under way.
    this.resuming ??= this.resumeAll(belongs, writtenBefore).finally(() => {
      this.resuming = undefined;
    });
    return this.resuming;
  }

  /**
   * Takes up rows left behind every `intervalMs` (those of a step that failed, in a long-running
   * process): rows written at least two intervals ago only, so that a row another process on the
   * same database is still carrying out (a slow webhook) is not taken up beside it.
   */
  start(intervalMs: number, belongs: () => (user: string) => boolean = () => () => true): void {
    this.resumeTimer = setInterval(() => {
      this.resume(belongs(), this.deps.clock.now() - 2 * intervalMs).catch((error: unknown) =>
        this.deps.onError('taking up pending effects failed', error),
      );
    }, intervalMs);
    this.resumeTimer.unref();
  }

  /** Waits for the rows under way here whose user `belongs` (all by default): a partition given up waits for its own. */
  async settled(belongs: (user: string) => boolean = () => true): Promise<void> {
    for (;;) {
      const mine = [...this.underWay.values()].filter((w) => belongs(w.user)).map((w) => w.done);
      if (mine.length === 0) return;
      await Promise.allSettled(mine);
    }
  }

  /** Stops resuming, waits for what is under way, and deletes the rows carried out (a graceful stop). */
  async close(): Promise<void> {
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    await this.resuming?.catch(() => 0);
    await this.settled();
    await this.deleteFinished();
  }

  private async resumeAll(belongs: (user: string) => boolean, writtenBefore: number): Promise<number> {
    let taken = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.list(after, PAGE);
      for (const owed of page) {
        if (owed.createdAt >= writtenBefore || !belongs(owed.user) || this.underWay.has(owed.id) || this.finished.has(owed.id)) continue;
        this.track(owed, this.again(owed));
        taken++;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.id;
    }
    return taken;
  }

  /** A row left behind, carried out again (see the class's comment for what is not done twice). */
  private async again(owed: OwedEffects): Promise<boolean> {
    const raised: Alert[] = [];
    for (const id of owed.raised) {
      const alert = await this.deps.alert(id);
      if (alert) raised.push(alert);
    }
    const announced = raised.length > 0 ? this.deps.bus.deliver('alert.raised', raised) : Promise.resolve();
    const responded = owed.responses.length > 0 ? this.deps.responses.resume(owed.responses) : Promise.resolve(true);
    const [, all] = await Promise.all([announced, responded]);
    return all;
  }

  /** Deletes the row once all of it was done; keeps it for a later resume if a part failed. */
  private track(owed: OwedEffects, work: Promise<boolean>): void {
    const done = work.then(
      (all) => {
        if (all) this.finish(owed.id);
      },
      (error: unknown) => this.deps.onError(`announcing what batch ${owed.id} raised failed; it is tried again later`, error),
    );
    const entry: UnderWay = { user: owed.user, done };
    // A row written here was waited for from `owe` on: its waiters now wait for this instead.
    this.underWay.get(owed.id)?.written?.();
    this.underWay.set(owed.id, entry);
    void done.finally(() => {
      if (this.underWay.get(owed.id) === entry) this.underWay.delete(owed.id);
    });
  }

  private finish(id: string): void {
    this.finished.add(id);
    if (this.deleteTimer) return;
    this.deleteTimer = setTimeout(() => {
      this.deleteTimer = undefined;
      void this.deleteFinished();
    }, DELETE_AFTER_MS);
    this.deleteTimer.unref();
  }

  /** One delete for the rows finished meanwhile; on failure they are kept for the next. */
  private async deleteFinished(): Promise<void> {
    if (this.deleteTimer) {
      clearTimeout(this.deleteTimer);
      this.deleteTimer = undefined;
    }
    await this.deleting;
    if (this.finished.size === 0) return;
    const ids = [...this.finished];
    this.deleting = this.deps.store.remove(ids).then(
      () => {
        for (const id of ids) this.finished.delete(id);
      },
      (error: unknown) => this.deps.onError('deleting pending effects carried out failed', error),
    );
    await this.deleting;
    this.deleting = undefined;
  }
}
