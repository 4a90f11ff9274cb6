import type { AlertStatus, EventType, LockScope, Scenario, Severity, UnlockBy } from '../../src/http/schemas';

// Every time shown names its zone (the browser's): alert texts say UTC, and a bare "14:02" beside
// them would be read as either.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const shortTime = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));
export const formatShort = (iso: string) => shortTime.format(new Date(iso));
export const formatClock = (iso: string) => clock.format(new Date(iso));

/** "3 minutes ago", "yesterday", or the date for anything older than a week. */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds <= 0 ? 'just now' : 'in a few seconds';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86_400) return relative.format(Math.round(seconds / 86_400), 'day');
  return formatShort(iso);
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

export function formatAmount(amount: number | undefined, currency: string | undefined): string | undefined {
  if (amount === undefined) return undefined;
  if (!currency) return amount.toLocaleString();
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(amount);
  } catch {
    return `${amount.toLocaleString()} ${currency}`;
  }
}

export const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  none: 'None',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

export const STATUS_LABEL: Readonly<Record<AlertStatus, string>> = {
  new: 'New',
  acknowledged: 'Acknowledged',
  escalated: 'Escalated',
  resolved: 'Resolved',
  false_positive: 'False positive',
};

export const EVENT_LABEL: Readonly<Record<EventType, string>> = {
  'login.succeeded': 'Signed in',
  'login.failed': 'Failed sign-in',
  logout: 'Signed out',
  'password.changed': 'Password changed',
  'email.changed': 'Email changed',
  'mfa.enabled': 'Two-factor turned on',
  'mfa.disabled': 'Two-factor turned off',
  'payment_method.changed': 'Payment method changed',
  transaction: 'Purchase',
  'payment.failed': 'Payment failed',
  'page.viewed': 'Page viewed',
};

export const eventLabel = (type: string) => EVENT_LABEL[type as EventType] ?? type;

export const SCOPE_LABEL: Readonly<Record<LockScope, string>> = {
  sensitive: 'Sensitive actions locked',
  full: 'Fully locked',
};

export const SCOPE_DESCRIPTION: Readonly<Record<LockScope, string>> = {
  sensitive: 'Purchases and changes to your password, email, payment methods and two-factor settings are paused.',
  full: 'Everything but signing out is paused.',
};

export const UNLOCK_LABEL: Readonly<Record<UnlockBy, string>> = {
  code: 'the owner’s one-time code, or an admin',
  password_change: 'a password change by the owner, or an admin',
  admin: 'an admin only',
};

export const SUGGESTED_ACTION_LABEL: Readonly<Record<string, string>> = {
  confirm_with_user_by_otp: 'Confirm with the user by one-time code',
  block_ip: 'Block the IP address',
  reset_password: 'Reset the password',
  lock_account: 'Lock the account',
  review_transaction: 'Review the transaction',
  review_device: 'Review the device',
  enable_2fa: 'Turn on two-factor sign-in',
  unlock_account: 'Unlock the account',
  change_password: 'Change the password',
  add_contact: 'Add an email address or phone number',
};

export const actionLabel = (action: string) => SUGGESTED_ACTION_LABEL[action] ?? action.replaceAll('_', ' ');

export const SCENARIO_LABEL: Readonly<Record<Scenario, { readonly title: string; readonly what: string }>> = {
  'failed-logins': { title: 'Failed sign-ins', what: 'Six wrong passwords in a minute from a script.' },
  'large-purchase-new-device': {
    title: 'Large purchase, new device',
    what: 'A phone never seen logs in abroad and spends 6,500 EUR three minutes later.',
  },
  'password-change': { title: 'Password change', what: 'You change your password (this lifts a “wasn’t me” lock).' },
  'browsing-burst': { title: 'Burst of browsing', what: '70 pages in a minute, probing for secret files.' },
  'login-abroad': { title: 'Sign-in from abroad', what: 'A sign-in from São Paulo on a new phone.' },
};

/** "Berlin, DE", or whichever part is known. */
export function place(city: string | undefined, country: string | undefined): string | undefined {
  const parts = [city, country].filter((p): p is string => Boolean(p));
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** Evidence values are free JSON: numbers and strings as they are, the rest compactly. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Number.isInteger(value) ? value.toLocaleString() : value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.map(formatValue).join(', ');
  return JSON.stringify(value);
}

/**
 * One evidence entry as a person reads it: units out of the name and into the value ("spanMs":
 * 200000 → "span", "3 min"; "distanceKm" → "1,234 km"; "firstSeenAt" → a time with its zone), and
 * nested objects as "key: value" pairs rather than JSON.
 */
export function evidenceEntry(key: string, value: unknown): [label: string, text: string] {
  if (typeof value === 'number') {
    if (/Ms$/.test(key)) return [humanKey(key.slice(0, -2)), formatDuration(value)];
    if (/At$/.test(key) && value > 946_684_800_000) return [humanKey(key), formatDateTime(new Date(value).toISOString())];
    if (/Kmh$/.test(key)) return [humanKey(key.slice(0, -3)), `${formatValue(value)} km/h`];
    if (/Km$/.test(key)) return [humanKey(key.slice(0, -2)), `${formatValue(value)} km`];
  }
  if (typeof value === 'string' && /At$/.test(key) && !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value))
    return [humanKey(key), formatDateTime(value)];
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return [
      humanKey(key),
      Object.entries(value)
        .map(([k, v]) => evidenceEntry(k, v).join(': '))
        .join('; '),
    ];
  return [humanKey(key), formatValue(value)];
}

/** camelCase evidence keys as words: "failedLogins" → "failed logins". */
export const humanKey = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]/g, ' ')
    .toLowerCase();

export function healthLabel(score: number): string {
  if (score >= 80) return 'Good';
  if (score >= 50) return 'Needs attention';
  return 'At risk';
}

/** "Chrome on Windows" from a user-agent string: enough to recognise one's own device. */
export function describeUserAgent(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  const os = /iPhone|iPad/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : undefined;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /curl|python|bot|crawler|spider|wget|requests/i.test(ua)
            ? 'an automated client'
            : undefined;
  if (browser && os) return `${browser} on ${os}`;
  if (browser ?? os) return (browser ?? os) as string;
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}
