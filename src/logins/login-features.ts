import type { Matrix } from '../anomaly/isolation-forest.js';
import type { LoginRole, LoginTable } from './login-csv.js';

/**
 * Turns login rows into numbers for the Isolation Forest. What makes a login suspicious is mostly
 * relative to its user (a country this user never logs in from, an hour this user is never awake),
 * so most features compare the row with the other rows of the same user in the same file:
 *
 * | feature | meaning |
 * | --- | --- |
 * | `hour_of_day` | the wall-clock hour as written, with minutes as a fraction (3.5 = 03:30) |
 * | `day_of_week` | 0 Monday … 6 Sunday |
 * | `hour_rarity` | how rare, for this user, a login within an hour of this one's hour of day is (circular: 23:30 is near 00:10) |
 * | `logins_that_day` | this user's logins on this date |
 * | `ip_rarity`, `network_rarity`, `location_rarity`, `device_rarity` | how rare this IP, its /24 (IPv4) or /48 (IPv6) network, location, device is among this user's logins |
 * | `location_frequency`, `device_frequency` | the share of all the file's logins from this location / device |
 * | any other numeric column | its value (an empty cell takes the column's median) |
 * | any other column | `<column>_frequency`: the share of the file's rows with this value |
 *
 * Rarity is 1 − share / 10 %, floored at 0, where share is the part of the user's logins with this
 * value: a value in at least one login in ten is one of the user's habits (a second phone, the
 * office IP) and scores 0 like their main one, and a one-off among 40 logins scores 0.75. Without
 * the floor every habitual second device would stand out as much as a stranger's; with it, a user
 * with fewer than ten logins has nothing unusual yet (every value is a tenth of their logins).
 *
 * Other text columns are frequency-encoded rather than one-hot: one column each whatever the
 * number of values, and rarity is what isolates a row (a value seen once has a frequency near 0,
 * far from the common ones), while one-hot columns of a many-valued column would each be almost
 * constant and rarely chosen for a split.
 */
export interface LoginFeatures {
  readonly names: readonly string[];
  readonly matrix: Matrix;
  /** Columns used as numbers and as frequency-encoded categories, by header name. */
  readonly numericColumns: readonly string[];
  readonly categoricalColumns: readonly string[];
  /** What a feature's value means for one row, in words, for reasons and the email. */
  describe(feature: number, row: number): string;
}

interface Feature {
  readonly name: string;
  value(row: number): number;
  describe(row: number): string;
}

/** A value in at least this share of a user's logins is one of their habits: rarity 0. */
export const HABIT_SHARE = 0.1;
const rarity = (count: number, total: number) => Math.max(0, 1 - count / total / HABIT_SHARE);

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function loginFeatures(table: LoginTable): LoginFeatures {
  const { rows, header, mapped } = table;
  const n = rows.length;
  const users = rows.map((r) => r.user);
  const userCount = countBy(users);
  const cellOf = (role: LoginRole) => {
    const col = mapped[role];
    return col === undefined ? undefined : (row: number) => rows[row]?.cells[col] as string;
  };
  const features: Feature[] = [];
  const shareOf = (count: number, total: number) => `${count} of ${total}`;

  features.push({
    name: 'hour_of_day',
    value: (r) => (rows[r] as (typeof rows)[number]).hour,
    describe: (r) => `${clock((rows[r] as (typeof rows)[number]).hour)} as written in the file`,
  });
  features.push({
    name: 'day_of_week',
    value: (r) => (rows[r] as (typeof rows)[number]).dayOfWeek,
    describe: (r) => WEEKDAYS[(rows[r] as (typeof rows)[number]).dayOfWeek] as string,
  });

  // Logins of each user per hour of day, to see how many of theirs fall near a given hour.
  const hours = new Map<string, Int32Array>();
  for (const row of rows) {
    const h = hours.get(row.user) ?? new Int32Array(24);
    hours.set(row.user, h);
    const bin = Math.floor(row.hour) % 24;
    h[bin] = (h[bin] as number) + 1;
  }
  const nearHour = (r: number) => {
    const row = rows[r] as (typeof rows)[number];
    const h = hours.get(row.user) as Int32Array;
    const bin = Math.floor(row.hour) % 24;
    return (h[(bin + 23) % 24] as number) + (h[bin] as number) + (h[(bin + 1) % 24] as number);
  };
  features.push({
    name: 'hour_rarity',
    value: (r) => rarity(nearHour(r), userCount.get(users[r] as string) as number),
    describe: (r) =>
      `${shareOf(nearHour(r), userCount.get(users[r] as string) as number)} logins of ${users[r]} within an hour of ${clock((rows[r] as (typeof rows)[number]).hour)}`,
  });

  const dayKey = (r: number) => `${users[r]}\u001f${(rows[r] as (typeof rows)[number]).day}`;
  const perDay = countBy(rows.map((_, r) => dayKey(r)));
  features.push({
    name: 'logins_that_day',
    value: (r) => perDay.get(dayKey(r)) as number,
    describe: (r) => `${perDay.get(dayKey(r))} logins of ${users[r]} on ${(rows[r] as (typeof rows)[number]).day}`,
  });

  const perUserRarity = (name: string, cellAt: (r: number) => string, label: string) => {
    const key = (r: number) => `${users[r]}\u001f${cellAt(r).toLowerCase()}`;
    const counts = countBy(rows.map((_, r) => key(r)));
    features.push({
      name,
      value: (r) => rarity(counts.get(key(r)) as number, userCount.get(users[r] as string) as number),
      describe: (r) =>
        `${label} ${show(cellAt(r))}: ${shareOf(counts.get(key(r)) as number, userCount.get(users[r] as string) as number)} logins of ${users[r]}`,
    });
  };
  const fileFrequency = (name: string, cellAt: (r: number) => string, label: string) => {
    const key = (r: number) => cellAt(r).toLowerCase();
    const counts = countBy(rows.map((_, r) => key(r)));
    features.push({
      name,
      value: (r) => (counts.get(key(r)) as number) / n,
      describe: (r) => `${label} ${show(cellAt(r))}: ${shareOf(counts.get(key(r)) as number, n)} logins in the file`,
    });
  };

  const ip = cellOf('ip');
  if (ip) {
    perUserRarity('ip_rarity', ip, 'IP');
    perUserRarity('network_rarity', (r) => networkOf(ip(r)), 'network');
  }
  const location = cellOf('location');
  if (location) {
    perUserRarity('location_rarity', location, 'location');
    fileFrequency('location_frequency', location, 'location');
  }
  const device = cellOf('device');
  if (device) {
    perUserRarity('device_rarity', device, 'device');
    fileFrequency('device_frequency', device, 'device');
  }

  // Every other column: numeric when every non-empty cell is a number, categorical otherwise.
  const roleColumns = new Set(Object.values(mapped));
  const numericColumns: string[] = [];
  const categoricalColumns: string[] = [];
  const taken = new Set(features.map((f) => f.name));
  const uniqueName = (wanted: string) => {
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted}_${i}`;
    taken.add(name);
    return name;
  };
  for (const [col, column] of header.entries()) {
    if (roleColumns.has(col)) continue;
    const cells = rows.map((r) => r.cells[col] as string);
    const filled = cells.filter((c) => c !== '');
    if (filled.length > 0 && filled.every((c) => NUMBER.test(c))) {
      numericColumns.push(column);
      const sorted = filled.map(Number).sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] as number;
      features.push({
        name: uniqueName(column),
        value: (r) => (cells[r] === '' ? median : Number(cells[r])),
        describe: (r) => (cells[r] === '' ? `${column} empty (taken as the median, ${median})` : `${column} = ${cells[r]}`),
      });
    } else {
      categoricalColumns.push(column);
      fileFrequency(uniqueName(`${column}_frequency`), (r) => cells[r] as string, column);
    }
  }

  const cols = features.length;
  const values = new Float64Array(n * cols);
  for (let f = 0; f < cols; f++) {
    const feature = features[f] as Feature;
    for (let r = 0; r < n; r++) {
      const v = feature.value(r);
      // Numbers so large they overflow (1e999) would be infinite: the forest refuses those.
      values[r * cols + f] = Number.isFinite(v) ? v : Math.sign(v) * Number.MAX_VALUE;
    }
  }
  return {
    names: features.map((f) => f.name),
    matrix: { rows: n, cols, values },
    numericColumns,
    categoricalColumns,
    describe: (f, r) => (features[f] as Feature).describe(r),
  };
}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/** The /24 of an IPv4 address, the /48 of an IPv6 one: where one household or office usually stays. Anything else as it is. */
export function networkOf(ip: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(':')) {
    const groups = expandIpv6(ip.toLowerCase());
    if (groups) return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return ip;
}

function expandIpv6(ip: string): string[] | undefined {
  const [head = '', tail, extra] = ip.split('::');
  if (extra !== undefined) return undefined;
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => g.replace(/^0+(?=.)/, '')) : undefined;
}

function clock(hour: number): string {
  const h = Math.floor(hour);
  const m = Math.floor((hour - h) * 60 + 1e-9);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function show(value: string): string {
  return value === '' ? '(empty)' : value.length > 80 ? `${value.slice(0, 77)}…` : value;
}
