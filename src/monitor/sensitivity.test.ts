import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { parseSensitivity } from './sensitivity.js';

describe('per-status sensitivity (VIGIL_MONITOR_SENSITIVITY)', () => {
  it('reads status=factor pairs, normalising status names, within 0.5–5', () => {
    expect(parseSensitivity(undefined)).toEqual({ ok: true, value: {} });
    expect(parseSensitivity(' Backend-Reversed = 1.5 ,failed=0.8,total=5')).toEqual({
      ok: true,
      value: { backend_reversed: 1.5, failed: 0.8, total: 5 },
    });
    expect(parseSensitivity('failed=0.5').ok).toBe(true);
    for (const bad of ['failed', 'failed=0.49', 'failed=5.01', 'failed=x', '=2', 'failed=1=2'])
      expect(parseSensitivity(bad).ok, bad).toBe(false);
  });

  it('is part of the configuration, with the close-after time; a bad value stops the start with the variable named', () => {
    const config = loadConfig({ VIGIL_MONITOR_SENSITIVITY: 'refunded=2', VIGIL_MONITOR_CLOSE_AFTER_MINUTES: '30' });
    expect(config.monitorSensitivity).toEqual({ refunded: 2 });
    expect(config.monitorCloseAfterMinutes).toBe(30);
    expect(loadConfig({}).monitorCloseAfterMinutes).toBe(15);
    expect(() => loadConfig({ VIGIL_MONITOR_SENSITIVITY: 'refunded=9' })).toThrow(/VIGIL_MONITOR_SENSITIVITY: refunded: the factor/);
  });
});
