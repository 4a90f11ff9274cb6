import { err, ok, type Result } from '../core/result.js';
import { normaliseStatus } from './minute-counts.js';

/**
 * `VIGIL_MONITOR_SENSITIVITY`: per status, a factor on the evidence the monitor needs before it
 * opens an incident (the CUSUM threshold and the single-minute score): `refunded=1.5,failed=0.8`.
 * Above 1 is calmer (a status that is noisy by nature, or that nobody is woken for), below 1 is
 * more sensitive. `total` is the sum of all statuses. Factors from 0.5 to 5.
 */
export function parseSensitivity(raw: string | undefined): Result<Readonly<Record<string, number>>, string> {
  const out: Record<string, number> = {};
  if (raw === undefined || raw.trim() === '') return ok(out);
  for (const part of raw.split(',')) {
    const [name, value, ...rest] = part.split('=');
    const status = normaliseStatus(name ?? '');
    if (status === undefined || value === undefined || rest.length > 0) {
      return err(`"${part.trim()}" is not status=factor (e.g. refunded=1.5).`);
    }
    const factor = Number(value.trim());
    if (!Number.isFinite(factor) || factor < 0.5 || factor > 5)
      return err(`${status}: the factor must be a number from 0.5 to 5 (got "${value.trim()}").`);
    out[status] = factor;
  }
  return ok(out);
}
