import { describe, expect, it } from 'vitest';
import type { UserAgentInfo } from '../../domain/activity-event.js';
import { sessionHijackRule as rule, type SessionHijackConfig } from './session-hijack.js';
import { type Case, ev, judge, min, problemsOf, times } from './test-kit.js';

const SAFARI: UserAgentInfo = {
  browser: 'Mobile Safari',
  browserVersion: '17',
  os: 'iOS',
  osVersion: '17.4',
  deviceClass: 'mobile',
  summary: 'Mobile Safari 17 on iOS 17.4 (mobile)',
};
const SAFARI_PATCHED: UserAgentInfo = { ...SAFARI, osVersion: '17.4.1', summary: 'Mobile Safari 17 on iOS 17.4.1 (mobile)' };
const SAFARI_NEWER: UserAgentInfo = {
  ...SAFARI,
  browserVersion: '18',
  osVersion: '18.0',
  summary: 'Mobile Safari 18 on iOS 18.0 (mobile)',
};
const CHROME: UserAgentInfo = {
  browser: 'Chrome',
  browserVersion: '124',
  os: 'Windows',
  osVersion: '10',
  deviceClass: 'desktop',
  summary: 'Chrome 124 on Windows 10 (desktop)',
};

/** The owner's session s1: from home in London on the iPhone. */
const owner = (minutes: number, over: Parameters<typeof ev>[1] = {}) =>
  ev('page.viewed', {
    occurredAt: min(minutes),
    session: 's1',
    ip: '81.2.69.160',
    network: '81.2.69.0/24',
    ua: SAFARI,
    geo: { country: 'GB' },
    ...over,
  });
const elsewhere = (over: Parameters<typeof ev>[1] = {}) =>
  ev('password.changed', { session: 's1', ip: '126.0.0.1', network: '126.0.0.0/24', ua: CHROME, geo: { country: 'JP' }, ...over });

const cases: Case<SessionHijackConfig>[] = [
  {
    name: 'the same session from another network and another browser: high',
    past: [owner(-30), owner(-3)],
    event: elsewhere(),
    hit: {
      severity: 'high',
      message:
        'Session used from 126.0.0.1 (JP) with Chrome 124 on Windows 10 (desktop), 30 min after it began from 81.2.69.160 (GB) with another browser',
      evidence: expect.objectContaining({
        sessionClient: 'Mobile Safari 17/iOS 17',
        client: 'Chrome 124/Windows 10',
        sessionCountry: 'GB',
      }),
    },
  },
  {
    // The history keeps page views 15 minutes, but for the one that opened a session (memory-history.ts).
    name: 'a session of page views only, its first 40 minutes back: high, from where it began',
    past: times(40, (i) => owner(i - 40)),
    event: elsewhere(),
    hit: {
      severity: 'high',
      message:
        'Session used from 126.0.0.1 (JP) with Chrome 124 on Windows 10 (desktop), 40 min after it began from 81.2.69.160 (GB) with another browser',
      evidence: expect.objectContaining({ sessionStartedAt: new Date(min(-40)).toISOString() }),
    },
  },
  {
    // The session began 23 hours ago, past the rule's 12-hour window; its owner browsed until 3 hours
    // ago. The history keeps the session's last page view of each hour: the window's first is still
    // the owner's, from its first hour.
    name: 'a day-long session of page views, its owner away for 3 hours: high',
    past: times(240, (i) => owner(-23 * 60 + i * 5)),
    event: elsewhere(),
    hit: {
      severity: 'high',
      message: expect.stringContaining('after it began from 81.2.69.160 (GB) with another browser'),
      evidence: expect.objectContaining({ sessionNetwork: '81.2.69.0/24', sessionStartedAt: new Date(min(-12 * 60 + 55)).toISOString() }),
    },
  },
  {
    // The owner browsed for 50 minutes 12 h 20 min ago, then did something else: the window's first
    // 30 minutes still hold the last of that hour's page views.
    name: 'an owner active only in the window’s first half hour, 12 hours back: high',
    past: [...times(11, (i) => owner(-740 + i * 5)), owner(-650, { session: 's2' })],
    event: elsewhere(),
    hit: {
      severity: 'high',
      message: expect.stringContaining('after it began from 81.2.69.160 (GB) with another browser'),
      evidence: expect.objectContaining({ sessionNetwork: '81.2.69.0/24', sessionStartedAt: new Date(min(-690)).toISOString() }),
    },
  },
  { name: 'another network, same browser (Wi-Fi to 4G): nothing', past: [owner(-3)], event: elsewhere({ ua: SAFARI }), hit: undefined },
  {
    name: 'a browser update mid-session on the same network: nothing',
    past: [owner(-3)],
    event: owner(0, { ua: SAFARI_NEWER }),
    hit: undefined,
  },
  {
    name: 'a patch release and another network: nothing',
    past: [owner(-3)],
    event: owner(0, { ua: SAFARI_PATCHED, network: '126.0.0.0/24' }),
    hit: undefined,
  },
  {
    name: 'another major version of the same browser, from another network: high (a replayed cookie)',
    past: [owner(-3)],
    event: owner(0, { ua: SAFARI_NEWER, network: '126.0.0.0/24', ip: '126.0.0.1' }),
    hit: { severity: 'high' },
  },
  {
    name: 'the same browser on another device id, from another network: high',
    past: [owner(-3, { device: 'iphone-1' })],
    event: owner(0, { device: 'iphone-2', network: '126.0.0.0/24', ip: '126.0.0.1' }),
    hit: { severity: 'high', message: expect.stringContaining('on device iphone-2') },
  },
  {
    name: 'another browser on the same network: nothing',
    past: [owner(-3)],
    event: elsewhere({ network: '81.2.69.0/24' }),
    hit: undefined,
  },
  { name: 'another session: nothing', past: [owner(-3)], event: elsewhere({ session: 's2' }), hit: undefined },
  { name: 'no session: nothing', past: [owner(-3)], event: elsewhere({ session: undefined as never }), hit: undefined },
  { name: 'the session began longer ago than the window: nothing', past: [owner(-12 * 60 - 1)], event: elsewhere(), hit: undefined },
  {
    name: "judged against how the session began, not the thief's own events",
    past: [owner(-10), elsewhere({ occurredAt: min(-2), id: 'thief-1' } as never)],
    event: elsewhere({ type: 'transaction' } as never),
    hit: { severity: 'high' },
  },
  { name: 'out of order: a session that begins after the event is not its own', past: [owner(5)], event: elsewhere(), hit: undefined },
];

describe('session-hijack', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
