import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../monitor/minute-counts.js';
import { DAY_MS, syntheticMinutes } from '../monitor/synthetic.js';
import { anomaliesOf, feed } from '../monitor/test-kit.js';
import { VolumeModel } from '../monitor/volume-model.js';
import { DEMO_LIVE_MINUTES, demoIncidents } from './seed-demo.js';

describe("the demo's volume incidents", () => {
  // `npm start` seeds the demo relative to the time it starts, so its live hours may fall in the
  // quietest part of the night; the incidents must stand out whatever the hour. At night approved
  // payments stopping outright is 0 where about 15 are usual, but only 3 other outcomes are there to
  // show the approval share fell: the first minute or two can be evidence piling up (the CUSUM)
  // rather than an incident on its own, so each incident must be found within 3 minutes of its start.
  it.each(Array.from({ length: 24 }, (_, hour) => hour))(
    'are found within 3 minutes, in the right direction, and nothing else is, when the demo starts at %i:00 UTC',
    (hour) => {
      const now = Date.UTC(2026, 10, 24, hour);
      const liveStart = now - DEMO_LIVE_MINUTES * MINUTE_MS;
      const model = new VolumeModel();
      feed(model, syntheticMinutes({ from: liveStart - 2 * DAY_MS, minutes: 2 * 1440, seed: 7 }));
      const incidents = demoIncidents(liveStart);
      const anomalies = anomaliesOf(feed(model, syntheticMinutes({ from: liveStart, minutes: DEMO_LIVE_MINUTES, seed: 8, incidents })));

      const inside = (a: { status: string; minute: number }) =>
        incidents.some((i) => a.status === i.status && a.minute >= i.start && a.minute < i.start + i.minutes * MINUTE_MS);
      for (const incident of incidents) {
        const during = anomalies.filter((a) => inside(a) && a.status === incident.status);
        expect(during.length, incident.label).toBeGreaterThanOrEqual(incident.minutes - 3);
        expect(((during[0]?.minute ?? Number.POSITIVE_INFINITY) - incident.start) / MINUTE_MS, incident.label).toBeLessThanOrEqual(3);
        expect(new Set(during.map((a) => a.direction)), incident.label).toEqual(
          new Set([incident.status === 'approved' ? 'drop' : 'rise']),
        );
        // One incident each.
        expect(new Set(during.map((a) => a.incidentId)).size, incident.label).toBe(1);
      }
      // Besides them: an incident's tail (its CUSUM winding down, 10 minutes), and, when payments stop
      // at night, the total's fall in the first minute, before the approvals' incident is sure. Over
      // the 24 start hours (144 live hours) this left 3 incidents elsewhere, of 1–2 minutes each.
      const near = (a: { status: string; minute: number }) =>
        incidents.some(
          (i) =>
            (a.status === i.status || (i.status === 'approved' && a.status === 'total')) &&
            a.minute >= i.start &&
            a.minute < i.start + (i.minutes + 10) * MINUTE_MS,
        );
      const elsewhere = anomalies.filter((a) => !near(a));
      expect(elsewhere.length).toBeLessThanOrEqual(2);
      expect(new Set(elsewhere.map((a) => a.incidentId)).size).toBeLessThanOrEqual(1);
    },
    30_000,
  );
});
