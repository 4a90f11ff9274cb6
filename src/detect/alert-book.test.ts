import { describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../domain/activity-event.js';
import type { Alert, OpenAlertHead } from '../domain/alert.js';
import { AlertBook, type Finding } from './alert-book.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
const event = (id: string, at: number, user = 'alice'): DetectionEvent => ({
  id,
  type: 'login.failed',
  user,
  occurredAt: at,
  ip: '203.0.113.9',
  enrichment: { geo: { country: 'FR', city: 'Paris' }, novelty: { hasHistory: true, newDevice: true, newCountry: true, newNetwork: true } },
});
const finding = (severity: Finding['hit']['severity'], ruleId = 'failed-login-burst', windowMs = 600_000): Finding => ({
  rule: { id: ruleId, title: 'Failed-login burst', alertType: 'security' },
  hit: { severity, message: `${severity} finding`, evidence: { n: 5 }, suggestedActions: ['reset_password'] },
  windowMs,
});
const score = (severity: 'medium' | 'high', risk: number) => ({
  risk,
  severity,
  decision: 'challenge' as const,
  reasons: [{ rule: 'failed-login-burst', severity, message: `${severity} finding`, evidence: {} }],
});

describe('AlertBook', () => {
  it('raises an alert with full context', () => {
    const a = new AlertBook().raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    expect(a).toMatchObject({
      id: expect.stringMatching(/^alrt_/),
      user: 'alice',
      ip: '203.0.113.9',
      country: 'FR',
      city: 'Paris',
      type: 'security',
      severity: 'medium',
      status: 'new',
      occurrences: 1,
      subject: { kind: 'user', value: 'alice' },
      suggestedActions: ['reset_password'],
      summary: 'Failed-login burst for alice: medium finding',
    });
    expect(a.events[0]).toMatchObject({ id: 'e1', type: 'login.failed', country: 'FR' });
  });

  it('does not repeat the rule title when the message already opens with it', () => {
    const login: Finding = {
      rule: { id: 'new-login-context', title: 'Login from a new device, country or network', alertType: 'security' },
      hit: { severity: 'low', message: 'Login from a new device (fp-1)', evidence: {}, suggestedActions: [] },
      windowMs: 600_000,
    };
    const a = new AlertBook().raise(event('e1', t0, 'hank'), [login], score('medium', 15), t0);
    expect(a.summary).toBe('hank: Login from a new device (fp-1)');
  });

  it('merges repeats of the same rule and subject within the window, raising severity', () => {
    const book = new AlertBook();
    const first = book.raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    const second = book.raise(event('e2', t0 + 300_000), [finding('high')], score('high', 65), t0 + 300_000);
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ occurrences: 2, severity: 'high', risk: 65, lastSeenAt: t0 + 300_000 });
    expect(second.events.map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('opens a new alert outside the window, for another subject, or once the alert is closed', () => {
    const book = new AlertBook();
    const first = book.raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    expect(book.raise(event('e2', t0 + 700_000), [finding('medium')], score('medium', 35), t0).id).not.toBe(first.id);
    expect(book.raise(event('e3', t0, 'bob'), [finding('medium')], score('medium', 35), t0).id).not.toBe(first.id);
    const book2 = new AlertBook();
    const a = book2.raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    book2.statusChanged({ ...a, status: 'resolved' });
    expect(book2.raise(event('e2', t0 + 1000), [finding('medium')], score('medium', 35), t0).id).not.toBe(a.id);
  });

  it('keeps merging into an acknowledged alert without reopening it', () => {
    const book = new AlertBook();
    const a = book.raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    book.statusChanged({ ...a, status: 'acknowledged' });
    const b = book.raise(event('e2', t0 + 1000), [finding('medium')], score('medium', 35), t0);
    expect(b).toMatchObject({ id: a.id, status: 'acknowledged', occurrences: 2 });
  });
});

describe('AlertBook: alerts about an IP that other workers raised (the distributed mode)', () => {
  const WINDOW = 600_000;
  const aboutIp = (severity: 'medium' | 'high' = 'medium'): Finding => ({
    rule: { id: 'credential-stuffing', title: 'Credential stuffing', alertType: 'security' },
    hit: { severity, message: 'failed logins on 10 accounts', evidence: {}, subject: { kind: 'ip', value: '203.0.113.9' } },
    windowMs: WINDOW,
  });
  /** Two workers, each raising its own alert about the IP before it has heard of the other's. */
  const twoWorkers = (firstAt: number, secondAt: number) => {
    const one = new AlertBook();
    const two = new AlertBook();
    const ofOne = one.raise(event('e1', t0, 'ann'), [aboutIp()], score('medium', 40), firstAt);
    const ofTwo = two.raise(event('e2', t0 + 1000, 'bob'), [aboutIp()], score('medium', 40), secondAt);
    return { one, two, ofOne, ofTwo };
  };

  it('every worker keeps the alert raised first, whichever order the messages come in, and names the other to close', () => {
    const { one, two, ofOne, ofTwo } = twoWorkers(t0 + 5, t0 + 7);
    expect(ofOne.id).not.toBe(ofTwo.id);
    // Both name the second to be closed: the first keeps its own, the second gives way.
    const choice = { duplicate: ofTwo, kept: ofOne };
    expect(one.sharedSourceAlert(ofTwo, WINDOW)).toEqual(choice);
    expect(two.sharedSourceAlert(ofOne, WINDOW)).toEqual(choice);
    // Their next repeats grow the same alert, on either worker.
    const next = (book: AlertBook, id: string, at: number) => book.raise(event(id, at, 'cid'), [aboutIp()], score('medium', 40), at);
    expect(next(one, 'e3', t0 + 2000).id).toBe(ofOne.id);
    const grownOnTwo = next(two, 'e4', t0 + 3000);
    expect(grownOnTwo.id).toBe(ofOne.id);
    // A later message about the duplicate (another way round, or an update of it under way) does not
    // bring it back, nor does the first alert's older state replace the one grown since.
    expect(two.sharedSourceAlert({ ...ofTwo, occurrences: 2 }, WINDOW)).toBeUndefined();
    expect(two.sharedSourceAlert(ofOne, WINDOW)).toBeUndefined();
    expect(next(two, 'e5', t0 + 4000)).toMatchObject({ id: ofOne.id, occurrences: grownOnTwo.occurrences + 1 });
  });

  it('ties on the creation time go by id, the same on both workers', () => {
    const { one, two, ofOne, ofTwo } = twoWorkers(t0, t0);
    const [first, second] = ofOne.id < ofTwo.id ? [ofOne, ofTwo] : [ofTwo, ofOne];
    const [bookOfFirst, bookOfSecond] = first === ofOne ? [one, two] : [two, one];
    expect(bookOfFirst.sharedSourceAlert(second, WINDOW)).toEqual({ duplicate: second, kept: first });
    expect(bookOfSecond.sharedSourceAlert(first, WINDOW)).toEqual({ duplicate: second, kept: first });
  });

  it('an alert raised after the window passed is the next one, and replaces the one held', () => {
    const one = new AlertBook();
    const two = new AlertBook();
    const old = one.raise(event('e1', t0, 'ann'), [aboutIp()], score('medium', 40), t0);
    two.sharedSourceAlert(old, WINDOW);
    const later = t0 + WINDOW + 60_000;
    const next = one.raise(event('e2', later, 'bob'), [aboutIp()], score('medium', 40), later);
    expect(next.id).not.toBe(old.id);
    expect(two.sharedSourceAlert(next, WINDOW)).toBeUndefined();
    const repeat = two.raise(event('e3', later + 1000, 'cid'), [aboutIp()], score('medium', 40), later + 1000);
    expect(repeat.id).toBe(next.id);
    // Without the rule's window (a rule this worker does not know) the alert that came is taken as it is.
    const three = new AlertBook();
    three.sharedSourceAlert(repeat, undefined);
    expect(three.sharedSourceAlert(old, undefined)).toBeUndefined();
    expect(three.raise(event('e4', t0 + 1000, 'dan'), [aboutIp()], score('medium', 40), t0 + 1000).id).toBe(old.id);
  });

  it('an older state of the alert held does not replace the one this worker grew since', () => {
    const one = new AlertBook();
    const first = one.raise(event('e1', t0, 'ann'), [aboutIp()], score('medium', 40), t0);
    const grown = one.raise(event('e2', t0 + 1000, 'bob'), [aboutIp()], score('medium', 40), t0 + 1000);
    expect(grown.occurrences).toBe(2);
    expect(one.sharedSourceAlert(first, WINDOW)).toBeUndefined();
    expect(one.raise(event('e3', t0 + 2000, 'cid'), [aboutIp()], score('medium', 40), t0 + 2000).occurrences).toBe(3);
  });
});

describe('AlertBook: open alerts taken as heads at start, read in full when an event may grow them', () => {
  const aboutIp: Finding = {
    rule: { id: 'credential-stuffing', title: 'Credential stuffing', alertType: 'security' },
    hit: { severity: 'high', message: 'failed logins on 10 accounts', evidence: {}, subject: { kind: 'ip', value: '203.0.113.9' } },
    windowMs: 600_000,
  };
  const headOf = (a: Alert): OpenAlertHead => ({
    id: a.id,
    dedupKey: a.dedupKey,
    status: a.status,
    subject: a.subject,
    occurrences: a.occurrences,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    createdAt: a.createdAt,
  });
  /** Alice's event from another IP than the alert about an IP. */
  const alices = (id: string, at: number): DetectionEvent => ({ ...event(id, at), ip: '198.51.100.7' });
  /** The alerts of a previous run, as the store has them, and a new run's book holding their heads. */
  const restarted = () => {
    const before = new AlertBook();
    const aboutAlice = before.raise(event('e1', t0), [finding('medium')], score('medium', 35), t0);
    const aboutIpAlert = before.raise(event('e2', t0, 'bob'), [aboutIp], score('high', 70), t0);
    const stored = new Map([aboutAlice, aboutIpAlert].map((a) => [a.id, a]));
    const reads: string[][] = [];
    const book = new AlertBook();
    book.warmHeads([headOf(aboutAlice), headOf(aboutIpAlert)], async (ids) => {
      reads.push([...ids]);
      return ids.flatMap((id) => stored.get(id) ?? []);
    });
    return { book, aboutAlice, aboutIpAlert, stored, reads };
  };

  it('reads an alert whole before the event that grows it, once, and the repeat keeps its events', async () => {
    const { book, aboutAlice, reads } = restarted();
    expect(book.size).toBe(2);
    await book.loadFor([alices('e3', t0 + 1000)]);
    expect(reads).toEqual([[aboutAlice.id]]);
    const grown = book.raise(alices('e3', t0 + 1000), [finding('medium')], score('medium', 35), t0 + 1000);
    expect(grown).toMatchObject({ id: aboutAlice.id, occurrences: 2 });
    expect(grown.events.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(book.loadFor([alices('e4', t0 + 2000)])).toBeUndefined();
    expect(reads).toHaveLength(1);
  });

  it('an event of another user reads the alert about the IP it shares, and nothing else', async () => {
    const { book, aboutIpAlert, reads } = restarted();
    expect(book.loadFor([{ user: 'carol' }])).toBeUndefined();
    await book.loadFor([event('e3', t0 + 1000, 'carol')]);
    expect(reads).toEqual([[aboutIpAlert.id]]);
    expect(book.raise(event('e3', t0 + 1000, 'carol'), [aboutIp], score('high', 70), t0 + 1000)).toMatchObject({
      id: aboutIpAlert.id,
      occurrences: 2,
    });
  });

  it('a story mark naming an alert about an IP, not read yet, is not this story: the event is scored', async () => {
    const { book, aboutIpAlert, reads } = restarted();
    // Alice's earlier event grew the IP's alert; her next one, from another IP, continues her story.
    const continuing: Finding = {
      ...finding('high', 'account-takeover-chain'),
      hit: { ...finding('high').hit, continuesAlertId: aboutIpAlert.id },
    };
    await book.loadFor([{ ...alices('e3', t0 + 1000), device: 'd-9' }]);
    expect(reads.flat()).not.toContain(aboutIpAlert.id);
    const raised = book.raise({ ...alices('e3', t0 + 1000), device: 'd-9' }, [continuing], score('high', 70), t0 + 1000);
    expect(raised.id).not.toBe(aboutIpAlert.id);
    expect(raised.subject).toEqual({ kind: 'user', value: 'alice' });
  });

  it('takes no traffic alert as a head: the volume monitor grows those, no event', () => {
    const book = new AlertBook();
    book.warmHeads(
      [
        {
          id: 'alrt_t',
          dedupKey: 'volume|status|declined',
          status: 'new',
          subject: { kind: 'status', value: 'declined' },
          occurrences: 1,
          firstSeenAt: t0,
          lastSeenAt: t0,
          createdAt: t0,
        },
      ],
      async () => [],
    );
    expect(book.size).toBe(0);
    expect(book.loadFor([{ user: 'declined' }])).toBeUndefined();
  });

  it('refuses to score against an alert not read yet, rather than raise a second one', () => {
    const { book } = restarted();
    expect(() => book.raise(alices('e3', t0 + 1000), [finding('medium')], score('medium', 35), t0 + 1000)).toThrow(/before it was loaded/);
  });

  it('an alert closed since its head was read is not grown: the next finding raises a new one', async () => {
    const closedMeanwhile = restarted();
    closedMeanwhile.book.statusChanged({ ...closedMeanwhile.aboutAlice, status: 'resolved' });
    expect(closedMeanwhile.book.loadFor([alices('e3', t0 + 1000)])).toBeUndefined();
    expect(closedMeanwhile.book.raise(alices('e3', t0 + 1000), [finding('medium')], score('medium', 35), t0).id).not.toBe(
      closedMeanwhile.aboutAlice.id,
    );
    // Closed in the store by another process while being read: dropped when the read comes back.
    const closedInStore = restarted();
    closedInStore.stored.set(closedInStore.aboutAlice.id, { ...closedInStore.aboutAlice, status: 'resolved' });
    await closedInStore.book.loadFor([alices('e3', t0 + 1000)]);
    expect(closedInStore.book.size).toBe(1);
    expect(closedInStore.book.raise(alices('e3', t0 + 1000), [finding('medium')], score('medium', 35), t0).id).not.toBe(
      closedInStore.aboutAlice.id,
    );
  });

  it('a newer state that came while the read was under way is kept', async () => {
    const { book, aboutAlice } = restarted();
    const loading = book.loadFor([alices('e3', t0 + 1000)]);
    book.statusChanged({ ...aboutAlice, status: 'acknowledged', occurrences: 5 });
    await loading;
    expect(book.raise(alices('e3', t0 + 1000), [finding('medium')], score('medium', 35), t0 + 1000)).toMatchObject({
      id: aboutAlice.id,
      status: 'acknowledged',
      occurrences: 6,
    });
  });

  it('chooses between two alerts about one IP by their heads (the distributed mode)', () => {
    const { book, aboutIpAlert } = restarted();
    const other = new AlertBook().raise(event('e9', t0 + 10, 'dan'), [aboutIp], score('high', 70), t0 + 10);
    expect(book.sharedSourceAlert(other, 600_000)).toEqual({ duplicate: other, kept: expect.objectContaining(headOf(aboutIpAlert)) });
  });
});
