/**
 * What chance allows for the slow ramp of a rare status: the Poisson scan alone (poisson-scan.ts) on
 * simulated Poisson minutes, its false incidents a day on an unchanged rate, and how often it finds
 * the eval's ramp (0.06 a minute plus 0.1 more every minute) within 10 minutes of its start, for a
 * few thresholds. Not the eval's data: pure Poisson, seeded. `node --import tsx eval/monitor/scan-power.ts`
 */
import { SCAN_EMPTY, scan, scanStep } from '../../src/monitor/poisson-scan.js';
import { Rng } from '../rng.js';

const rng = new Rng('scan-power');
const poisson = (lambda: number) => {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
};
const DAYS = 200;
const RAMPS = 2000;
for (const h of [7, 8, 9, 10]) {
  const falsePerDay = [0.06, 0.19, 0.5].map((mu) => {
    let state = SCAN_EMPTY;
    let alarms = 0;
    for (let i = 0; i < 1440 * DAYS; i++) {
      const x = poisson(mu);
      state = scanStep(state, x, mu, 30);
      if (x > mu && scan(state, 1).llr >= h) {
        alarms++;
        state = SCAN_EMPTY;
      }
    }
    return `${mu}/min ${(alarms / DAYS).toFixed(3)}`;
  });
  let found = 0;
  for (let r = 0; r < RAMPS; r++) {
    let state = SCAN_EMPTY;
    for (let t = 0; t <= 10; t++) {
      const x = poisson(0.06) + poisson(0.1 * t);
      state = scanStep(state, x, 0.06, 30);
      if (x > 0.06 && scan(state, 1).llr >= h) {
        found++;
        break;
      }
    }
  }
  console.log(`threshold ${h}: false incidents a day ${falsePerDay.join(', ')}; ramp found within 10 min ${(found / RAMPS).toFixed(2)}`);
}
