import type { Snooze, SnoozeLookup } from './snoozes.js';

const NONE: readonly Snooze[] = [];

/**
 * The snoozes in memory, read by detection for every finding: a map from user to that user's few
 * snoozes, so a lookup is one map read and a scan of a handful, and with no snoozes at all a lookup
 * allocates nothing. A snooze is in force while `now < until` and it is not cancelled; cancelled
 * ones are removed at once, ended ones by `prune` (the service prunes on every change).
 */
export class SnoozeBook implements SnoozeLookup {
  private readonly byUser = new Map<string, Snooze[]>();
  private readonly userOf = new Map<string, string>();

  snoozed(ruleId: string, user: string, now: number): Snooze | undefined {
    if (this.byUser.size === 0) return undefined;
    const list = this.byUser.get(user);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const s = list[i] as Snooze;
      if (s.ruleId === ruleId && now < s.until && s.cancelledAt === null) return s;
    }
    return undefined;
  }

  /** Adds or replaces a snooze (by id). A cancelled one is removed instead. */
  put(snooze: Snooze): void {
    this.remove(snooze.id);
    if (snooze.cancelledAt !== null) return;
    const list = this.byUser.get(snooze.user);
    if (list) list.push(snooze);
    else this.byUser.set(snooze.user, [snooze]);
    this.userOf.set(snooze.id, snooze.user);
  }

  /** Takes a snooze out of force; true when it was in the book. */
  cancel(id: string): boolean {
    return this.remove(id);
  }

  /** Replaces the whole book, e.g. at start with the stored snoozes that may still be in force. */
  load(snoozes: Iterable<Snooze>, now: number): void {
    this.byUser.clear();
    this.userOf.clear();
    for (const s of snoozes) if (s.cancelledAt === null && now < s.until) this.put(s);
  }

  /** The snoozes of one user in force at `now`, soonest to end first. */
  activeFor(user: string, now: number): readonly Snooze[] {
    const list = this.byUser.get(user) ?? NONE;
    return list.filter((s) => now < s.until).sort((a, b) => a.until - b.until || a.id.localeCompare(b.id));
  }

  /** Drops the snoozes that have ended by `now` (memory stays bounded by the snoozes in force). */
  prune(now: number): void {
    for (const [user, list] of this.byUser) {
      const kept = list.filter((s) => now < s.until);
      if (kept.length === list.length) continue;
      for (const s of list) if (now >= s.until) this.userOf.delete(s.id);
      if (kept.length === 0) this.byUser.delete(user);
      else this.byUser.set(user, kept);
    }
  }

  get size(): number {
    return this.userOf.size;
  }

  private remove(id: string): boolean {
    const user = this.userOf.get(id);
    if (user === undefined) return false;
    this.userOf.delete(id);
    const list = this.byUser.get(user);
    if (!list) return true;
    const kept = list.filter((s) => s.id !== id);
    if (kept.length === 0) this.byUser.delete(user);
    else this.byUser.set(user, kept);
    return true;
  }
}
