import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../monitor/minute-counts.js';
import { DAY_MS, syntheticMinutes } from '../monitor/synthetic.js';
import { anomaliesOf, feed } from '../monitor/test-kit.js';
import { VolumeModel } from '../monitor/volume-model.js';
import { DEMO_LIVE_MINUTES, demoIncidents } from './seed-demo.js';

describe("the demo's volume incidents", () => {
  // `npm start` seeds the demo relative to the time it starts, so its live hours may fall in the
  // quietest part of the night; the incidents must stand out whatever the hour. (An approved drop to
  // a fifth once did not: started at 05:00 UTC, its weakest minute was 3.0 standard deviations below
  // normal, under the threshold of 4, and only 2 of its 6 minutes were flagged.)
  it.each(Array.from({ length: 24 }, (_, hour) => hour))(
    'are found in every minute and nothing else is, when the demo starts at %i:00 UTC',
    (hour) => {
      const now = Date.UTC(2026, 10, 24, hour);
      const liveStart = now - DEMO_LIVE_MINUTES * MINUTE_MS;
      const model = new VolumeModel();
      feed(model, syntheticMinutes({ from: liveStart - 2 * DAY_MS, minutes: 2 * 1440, seed: 7 }));
      const incidents = demoIncidents(liveStart);
      const anomalies = anomaliesOf(feed(model, syntheticMinutes({ from: liveStart, minutes: DEMO_LIVE_MINUTES, seed: 8, incidents })));

      for (const incident of incidents) {
        const during = anomalies.filter(
          (a) => a.status === incident.status && a.minute >= incident.start && a.minute < incident.start + incident.minutes * MINUTE_MS,
        );
        expect(during.length, incident.label).toBe(incident.minutes);
        expect(new Set(during.map((a) => a.direction)), incident.label).toEqual(
          new Set([incident.status === 'approved' ? 'drop' : 'rise']),
        );
      }
      expect(anomalies.length).toBe(incidents.reduce((sum, i) => sum + i.minutes, 0));
    },
  );
});
