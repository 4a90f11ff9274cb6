/** Counts per minute (epoch minute) and key: an event type, or an alert severity. */
export interface MinuteCount {
  readonly minute: number;
  readonly key: string;
  readonly count: number;
}

export interface ActivityStore {
  /** Events per minute of event time and type, in [from, to). */
  eventsPerMinute(from: number, to: number): Promise<readonly MinuteCount[]>;
  /** Alerts per minute of their first event and severity, in [from, to). */
  alertsPerMinute(from: number, to: number): Promise<readonly MinuteCount[]>;
}

export interface ActivityMinute {
  readonly at: number;
  readonly events: Readonly<Record<string, number>>;
  readonly alerts: Readonly<Record<string, number>>;
}

export const MINUTE_MS = 60_000;

/** Every minute of the range, quiet ones included, so a chart's time axis has no holes. */
export function activityTimeline(
  fromMinute: number,
  toMinute: number,
  events: readonly MinuteCount[],
  alerts: readonly MinuteCount[],
): ActivityMinute[] {
  const minutes: Array<{ at: number; events: Record<string, number>; alerts: Record<string, number> }> = [];
  for (let m = fromMinute; m < toMinute; m++) minutes.push({ at: m * MINUTE_MS, events: {}, alerts: {} });
  const add = (rows: readonly MinuteCount[], field: 'events' | 'alerts') => {
    for (const r of rows) {
      const slot = minutes[r.minute - fromMinute];
      if (slot) slot[field][r.key] = (slot[field][r.key] ?? 0) + r.count;
    }
  };
  add(events, 'events');
  add(alerts, 'alerts');
  return minutes;
}
