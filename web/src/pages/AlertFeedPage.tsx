import { type FormEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ALERT_GROUPINGS, ALERT_SEVERITIES, ALERT_SORTS, ALERT_STATUSES, ALERT_TYPES } from '../../../src/domain/vocabulary';
import type { Alert, AlertCounts, AlertGrouping, AlertGroups, AlertPage, AlertSort, Rule } from '../../../src/http/schemas';
import { api, describeError, query } from '../api';
import { OwnerInline } from '../components/AlertOwner';
import { AlertTable } from '../components/AlertTable';
import { BulkBar } from '../components/BulkBar';
import { SavedViewsBar } from '../components/SavedViewsBar';
import { Empty, ErrorText, Field, Loading, SeverityBadge, StatusBadge, Time } from '../components/ui';
import { useFeed, useFeedMessages } from '../feed';
import { place, SEVERITY_LABEL, STATUS_LABEL } from '../format';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { Link, navigate, useLocation } from '../router';
import { usePerson } from '../session';

/** The filters, as they stand in the page's address (so a filtered view can be bookmarked or shared). */
interface Filters {
  readonly severity: readonly string[];
  readonly status: readonly string[];
  readonly type: string;
  readonly rule: string;
  readonly user: string;
  readonly ip: string;
  readonly q: string;
  /** `me`, `none` (nobody's) or '' for anyone's. */
  readonly owner: string;
  /** A preset (`15m`, `1h`, `24h`, `7d`), `custom` (from/to), or '' for any time. */
  readonly since: string;
  readonly from: string;
  readonly to: string;
  /** How the alerts are shown (not which): cards or the dense table, their order, and a grouping. */
  readonly view: 'cards' | 'table';
  readonly sort: AlertSort;
  readonly group: AlertGrouping | '';
}

const SINCE: ReadonlyArray<{ readonly value: string; readonly label: string; readonly ms?: number }> = [
  { value: '', label: 'Any time' },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'custom', label: 'Between…' },
];

const list = (value: string | null) => (value ? value.split(',').filter(Boolean) : []);

function readFilters(search: URLSearchParams): Filters {
  return {
    severity: list(search.get('severity')),
    status: list(search.get('status')),
    type: search.get('type') ?? '',
    rule: search.get('rule') ?? '',
    user: search.get('user') ?? '',
    ip: search.get('ip') ?? '',
    q: search.get('q') ?? '',
    owner: search.get('owner') ?? '',
    since: search.get('since') ?? '',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    view: search.get('view') === 'table' ? 'table' : 'cards',
    sort: (ALERT_SORTS as readonly string[]).includes(search.get('sort') ?? '') ? (search.get('sort') as AlertSort) : 'newest',
    group: (ALERT_GROUPINGS as readonly string[]).includes(search.get('group') ?? '') ? (search.get('group') as AlertGrouping) : '',
  };
}

/** What only lays the alerts out, kept when the filters are cleared. */
const layoutOf = (f: Filters) => ({
  view: f.view === 'cards' ? '' : f.view,
  sort: f.sort === 'newest' ? '' : f.sort,
  group: f.group,
});

function filtersToSearch(f: Filters): string {
  return query({
    q: f.q.trim(),
    severity: f.severity.join(','),
    status: f.status.join(','),
    type: f.type,
    rule: f.rule,
    user: f.user.trim(),
    ip: f.ip.trim(),
    owner: f.owner,
    since: f.since,
    ...(f.since === 'custom' && { from: f.from, to: f.to }),
    ...layoutOf(f),
  });
}

/** A `datetime-local` value (the browser's local time) as epoch ms. */
const localToMs = (value: string) => (value ? new Date(value).getTime() : undefined);

function timeBounds(f: Filters, now: number): { from?: number; to?: number } {
  if (f.since === 'custom') {
    const from = localToMs(f.from);
    const to = localToMs(f.to);
    return { ...(from !== undefined && !Number.isNaN(from) && { from }), ...(to !== undefined && !Number.isNaN(to) && { to }) };
  }
  const preset = SINCE.find((s) => s.value === f.since)?.ms;
  return preset === undefined ? {} : { from: now - preset };
}

/** The filter as the API takes it: the same for the list, its counts, its groups and its export. */
function apiFilter(f: Filters): Record<string, string | undefined> {
  const bounds = timeBounds(f, Date.now());
  return {
    severity: f.severity.join(','),
    status: f.status.join(','),
    type: f.type,
    rule: f.rule,
    user: f.user.trim(),
    ip: f.ip.trim(),
    q: f.q.trim(),
    owner: f.owner,
    from: bounds.from === undefined ? undefined : new Date(bounds.from).toISOString(),
    to: bounds.to === undefined ? undefined : new Date(bounds.to).toISOString(),
  };
}

function apiQuery(f: Filters, cursor?: string, group?: { by: AlertGrouping; key: string }): string {
  return query({
    ...apiFilter(f),
    sort: f.sort === 'newest' ? undefined : f.sort,
    ...(group && { groupBy: group.by, groupKey: group.key }),
    limit: 50,
    cursor,
  });
}

/** The same test the server applies, for alerts that arrive live (`me` is the signed-in person's id). */
function matches(alert: Alert, f: Filters, me: string): boolean {
  if (f.owner === 'me' && alert.owner?.id !== me) return false;
  if (f.owner === 'none' && alert.owner) return false;
  if (f.severity.length > 0 && !f.severity.includes(alert.severity)) return false;
  if (f.status.length > 0 && !f.status.includes(alert.status)) return false;
  if (f.type && alert.type !== f.type) return false;
  if (f.rule && !alert.ruleIds.includes(f.rule)) return false;
  if (f.user.trim() && alert.user !== f.user.trim()) return false;
  if (f.ip.trim() && alert.ip !== f.ip.trim()) return false;
  const created = new Date(alert.createdAt).getTime();
  const bounds = timeBounds(f, Date.now());
  if (bounds.from !== undefined && created < bounds.from) return false;
  if (bounds.to !== undefined && created >= bounds.to) return false;
  const needle = f.q.trim().toLowerCase();
  if (needle) {
    const text = [
      alert.summary,
      alert.user,
      alert.ip,
      alert.device,
      alert.country,
      alert.city,
      alert.userAgent,
      ...alert.reasons.map((r) => r.message),
    ]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    if (!text.includes(needle)) return false;
  }
  return true;
}

const byNewest = (a: Alert, b: Alert) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);
const SEVERITY_ORDER: readonly string[] = ALERT_SEVERITIES;
/** The server's orders (GET /v1/alerts `sort`), for alerts that arrive live. */
const ORDER: Readonly<Record<AlertSort, (a: Alert, b: Alert) => number>> = {
  newest: byNewest,
  oldest: (a, b) => -byNewest(a, b),
  severity: (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || byNewest(a, b),
};

/** The list with `alert` put in its place (in `sort` order), replaced, or taken out when it no longer matches. */
function upsert(list: readonly Alert[], alert: Alert, wanted: boolean, sort: AlertSort = 'newest'): readonly Alert[] {
  const index = list.findIndex((a) => a.id === alert.id);
  if (index === -1) return wanted ? [alert, ...list].sort(ORDER[sort]) : list;
  // An older copy (streamed before the page that holds a newer one was answered) changes nothing.
  if ((list[index] as Alert).updatedAt > alert.updatedAt) return list;
  if (!wanted) return list.filter((a) => a.id !== alert.id);
  const next = [...list];
  next[index] = alert;
  return next;
}

export function AlertFeedPage() {
  useTitle('Alerts');
  const location = useLocation();
  const filters = useMemo(() => readFilters(location.search), [location.search]);
  const feed = useFeed();
  const me = usePerson().id;
  const [alerts, setAlerts] = useState<readonly Alert[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const [moreError, setMoreError] = useState<string>();
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  // Alerts streamed while a page of the list is loading: the answer may predate them, so they are
  // applied on top of it rather than lost.
  const streamedDuringLoad = useRef<Map<string, Alert> | null>(null);
  // The stream's first connection needs no reload; a reconnection does, for what came meanwhile.
  const reconnections = Math.max(0, feed.epoch - 1);

  const page = useLoad(
    async (signal) => {
      streamedDuringLoad.current = new Map();
      const result = await api.get<AlertPage>(`/v1/alerts${apiQuery(filters)}`, { signal });
      let list = result.alerts;
      for (const alert of streamedDuringLoad.current.values()) {
        list = upsert(list, alert, matches(alert, filtersRef.current, me), filtersRef.current.sort);
      }
      streamedDuringLoad.current = null;
      setAlerts(list);
      setCursor(result.nextCursor);
      return result;
    },
    [location.search, reconnections],
  );

  const person = usePerson();
  const mayTriage = can(person, 'triage');
  const filterKey = query(apiFilter(filters));
  // Counts follow the filter, and new or changed alerts, at most once a second and a half while they stream in.
  const [countsEpoch, setCountsEpoch] = useState(0);
  const countsTimer = useRef<number | undefined>(undefined);
  const countsStale = useCallback(() => {
    if (countsTimer.current !== undefined) return;
    countsTimer.current = window.setTimeout(() => {
      countsTimer.current = undefined;
      setCountsEpoch((n) => n + 1);
    }, 1500);
  }, []);
  useEffect(() => () => window.clearTimeout(countsTimer.current), []);
  const counts = useLoad(
    (signal) => api.get<AlertCounts>(`/v1/alerts/counts${filterKey}`, { signal }),
    [filterKey, reconnections, countsEpoch],
  );

  // Selected alerts for bulk actions: a changed filter or layout starts a new selection.
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new address is a new selection
  useEffect(() => setSelected(new Set()), [location.search]);
  const toggle = useCallback((ids: readonly string[], on: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const id of ids)
        if (on) next.add(id);
        else next.delete(id);
      return next;
    });
  }, []);
  const selection = mayTriage ? { selected, toggle } : undefined;
  const [groupsEpoch, setGroupsEpoch] = useState(0);

  const afterAssign = (assigned: readonly Alert[]) => {
    setAlerts((current) =>
      assigned.reduce((list, alert) => upsert(list, alert, matches(alert, filtersRef.current, me), filtersRef.current.sort), current),
    );
    setSelected(new Set());
  };

  const afterBulk = (updated: readonly { id: string; status?: Alert['status'] }[]) => {
    // The live feed brings the same changes; applying them here shows them at once, and drops the
    // alerts that no longer match the filter.
    const byId = new Map(updated.filter((u) => u.status !== undefined).map((u) => [u.id, u.status as Alert['status']]));
    setAlerts((current) =>
      current.flatMap((a) => {
        const status = byId.get(a.id);
        if (status === undefined) return [a];
        const next = { ...a, status };
        return matches(next, filtersRef.current, me) ? [next] : [];
      }),
    );
    setSelected(new Set());
    setCountsEpoch((n) => n + 1);
    setGroupsEpoch((n) => n + 1);
  };

  useFeedMessages((message) => {
    if (message.kind !== 'alert') return;
    const alert = message.alert;
    const wanted = matches(alert, filtersRef.current, me);
    streamedDuringLoad.current?.set(alert.id, alert);
    setAlerts((current) => upsert(current, alert, wanted, filtersRef.current.sort));
    countsStale();
    if (wanted && alert.occurrences === 1 && alert.status === 'new') {
      setFresh((f) => new Set(f).add(alert.id));
      setAnnouncement(`New ${SEVERITY_LABEL[alert.severity].toLowerCase()} alert for ${alert.user}: ${alert.summary}`);
    }
  });

  // Looking at the feed is seeing the new critical alerts: the badge clears while this page is visible.
  const { markSeen, unseenCritical } = feed;
  useEffect(() => {
    if (unseenCritical > 0 && document.visibilityState === 'visible') markSeen();
    const onVisible = () => {
      if (document.visibilityState === 'visible') markSeen();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [unseenCritical, markSeen]);

  const setFilters = useCallback((next: Filters) => navigate(`/admin/alerts${filtersToSearch(next)}`, { replace: true }), []);

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<AlertPage>(`/v1/alerts${apiQuery(filters, cursor)}`);
      setAlerts((current) => {
        const known = new Set(current.map((a) => a.id));
        return [...current, ...next.alerts.filter((a) => !known.has(a.id))];
      });
      setCursor(next.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  return (
    <section className="page">
      <div className="page-head page-head-row">
        <div>
          <h1 tabIndex={-1}>Alerts</h1>
          <p className="muted">Newest first; new alerts appear here as Vigil raises them.</p>
        </div>
        <div className="feed-controls">
          <span className={`live-status live-${feed.status}`} role="status">
            <span aria-hidden="true">●</span>{' '}
            {feed.status === 'live' ? 'Live' : feed.status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
          <button type="button" className="button-quiet" aria-pressed={feed.sound} onClick={() => feed.setSound(!feed.sound)}>
            Sound for critical alerts{' '}
            <span aria-hidden="true" className={`toggle-state ${feed.sound ? 'toggle-on' : ''}`}>
              {feed.sound ? 'on' : 'off'}
            </span>
          </button>
        </div>
      </div>
      <div className="feed-layout">
        <FilterPanel filters={filters} onChange={setFilters} />
        <div className="feed-results">
          <FeedToolbar filters={filters} onChange={setFilters} exportQuery={query({ ...apiFilter(filters), sort: filters.sort })} />
          <CountsBar counts={counts.data} error={counts.error} filters={filters} onChange={setFilters} />
          <p className="results-count" role="status" aria-live="polite">
            {page.loading && !page.data
              ? 'Loading alerts…'
              : filters.group
                ? ''
                : `${alerts.length}${cursor ? '+' : ''} ${alerts.length === 1 ? 'alert' : 'alerts'} shown`}
          </p>
          {selection && (
            <BulkBar selected={[...selected]} onDone={afterBulk} onAssigned={afterAssign} onClear={() => setSelected(new Set())} />
          )}
          <div className="visually-hidden" aria-live="polite" data-testid="feed-announcer">
            {announcement}
          </div>
          <ErrorText error={page.error} />
          {page.loading && !page.data && <Loading what="alerts" />}
          {page.data && alerts.length === 0 && !filters.group && <Empty>No alerts match these filters.</Empty>}
          {filters.group ? (
            <AlertGroupList filters={filters} by={filters.group} selection={selection} epoch={groupsEpoch + reconnections} />
          ) : filters.view === 'table' ? (
            <AlertTable
              alerts={alerts}
              label="Alerts"
              sort={filters.sort}
              onSort={(sort) => setFilters({ ...filters, sort })}
              {...(selection && { selection })}
            />
          ) : (
            <ol className="alert-list" aria-label={filters.sort === 'newest' ? 'Alerts, newest first' : 'Alerts'}>
              {alerts.map((alert) => (
                <AlertRow
                  key={alert.id}
                  alert={alert}
                  fresh={fresh.has(alert.id)}
                  onChanged={(changed) =>
                    setAlerts((current) => upsert(current, changed, matches(changed, filtersRef.current, me), filtersRef.current.sort))
                  }
                />
              ))}
            </ol>
          )}
          {cursor && !filters.group && (
            <button type="button" className="button-quiet" onClick={() => void loadMore()}>
              Load older alerts
            </button>
          )}
          <ErrorText error={moreError} />
        </div>
      </div>
    </section>
  );
}

function AlertRow({
  alert,
  fresh,
  onChanged,
}: {
  readonly alert: Alert;
  readonly fresh: boolean;
  readonly onChanged: (alert: Alert) => void;
}) {
  const where = place(alert.city, alert.country);
  return (
    <li className={`alert-row sev-edge-${alert.severity} ${fresh ? 'alert-fresh' : ''}`} data-alert-id={alert.id}>
      <div className="alert-row-main">
        <SeverityBadge severity={alert.severity} />
        <Link to={`/admin/alerts/${encodeURIComponent(alert.id)}`} className="alert-summary">
          {alert.summary}
        </Link>
        {fresh && <span className="tag tag-new">New</span>}
      </div>
      <div className="alert-row-meta">
        <StatusBadge status={alert.status} />
        <span>
          <span className="visually-hidden">User </span>
          <strong>{alert.user}</strong>
        </span>
        <span className="muted">{alert.ruleId}</span>
        {where && <span className="muted">{where}</span>}
        {alert.occurrences > 1 && <span className="muted">×{alert.occurrences}</span>}
        <span className="muted">
          risk {alert.risk} · <Time iso={alert.createdAt} />
        </span>
      </div>
      <OwnerInline alert={alert} onAssigned={onChanged} />
    </li>
  );
}

function Checkboxes({
  legend,
  options,
  selected,
  label,
  onChange,
}: {
  readonly legend: string;
  readonly options: readonly string[];
  readonly selected: readonly string[];
  readonly label: (value: string) => string;
  readonly onChange: (next: string[]) => void;
}) {
  return (
    <fieldset className="checks">
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option} className="check">
          <input
            type="checkbox"
            name={legend.toLowerCase()}
            value={option}
            checked={selected.includes(option)}
            onChange={(e) => onChange(e.target.checked ? [...selected, option] : selected.filter((s) => s !== option))}
          />
          {label(option)}
        </label>
      ))}
    </fieldset>
  );
}

/** datetime-local wants local time without a zone. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function FilterPanel({ filters, onChange }: { readonly filters: Filters; readonly onChange: (f: Filters) => void }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  // Text fields are typed freely and applied on Enter or after a pause, not on every key.
  const [text, setText] = useState({ q: filters.q, user: filters.user, ip: filters.ip });
  const rules = useLoad((signal) => api.get<{ rules: readonly Rule[] }>('/v1/rules', { signal }), []);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  useEffect(() => setText({ q: filters.q, user: filters.user, ip: filters.ip }), [filters.q, filters.user, filters.ip]);
  useEffect(() => {
    const current = filtersRef.current;
    if (text.q === current.q && text.user === current.user && text.ip === current.ip) return;
    const timer = window.setTimeout(() => onChange({ ...filtersRef.current, ...text }), 400);
    return () => window.clearTimeout(timer);
  }, [text, onChange]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ ...filters, ...text });
  };
  const active =
    filters.severity.length +
    filters.status.length +
    [filters.type, filters.rule, filters.user, filters.ip, filters.q, filters.owner, filters.since].filter(Boolean).length;

  return (
    <aside className="filters" aria-labelledby={`${id}-title`}>
      <div className="filters-head">
        <h2 id={`${id}-title`} className="small-heading">
          Filters{active > 0 && <span className="count"> {active} on</span>}
        </h2>
        <button
          type="button"
          className="button-quiet filters-toggle"
          aria-expanded={open}
          aria-controls={`${id}-form`}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Hide filters' : 'Show filters'}
        </button>
      </div>
      <form id={`${id}-form`} className={`filters-form ${open ? 'open' : ''}`} onSubmit={submit} aria-label="Filter alerts">
        <Field label="Search">
          {(props) => (
            <input
              {...props}
              type="search"
              name="q"
              placeholder="Summary, user, IP, city…"
              value={text.q}
              onChange={(e) => setText((t) => ({ ...t, q: e.target.value }))}
            />
          )}
        </Field>
        <Checkboxes
          legend="Severity"
          options={ALERT_SEVERITIES}
          selected={filters.severity}
          label={(s) => SEVERITY_LABEL[s as keyof typeof SEVERITY_LABEL]}
          onChange={(severity) => onChange({ ...filters, severity })}
        />
        <Checkboxes
          legend="Status"
          options={ALERT_STATUSES}
          selected={filters.status}
          label={(s) => STATUS_LABEL[s as keyof typeof STATUS_LABEL]}
          onChange={(status) => onChange({ ...filters, status })}
        />
        <Field label="Owner">
          {(props) => (
            <select {...props} value={filters.owner} onChange={(e) => onChange({ ...filters, owner: e.target.value })}>
              <option value="">Anyone’s</option>
              <option value="me">Mine</option>
              <option value="none">Nobody’s</option>
            </select>
          )}
        </Field>
        <Field label="Type">
          {(props) => (
            <select {...props} value={filters.type} onChange={(e) => onChange({ ...filters, type: e.target.value })}>
              <option value="">Any type</option>
              {ALERT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t[0]?.toUpperCase()}
                  {t.slice(1)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Rule">
          {(props) => (
            <select {...props} value={filters.rule} onChange={(e) => onChange({ ...filters, rule: e.target.value })}>
              <option value="">Any rule</option>
              {filters.rule && !rules.data?.rules.some((r) => r.id === filters.rule) && (
                <option value={filters.rule}>{filters.rule}</option>
              )}
              {rules.data?.rules.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.title}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="User">
          {(props) => (
            <input
              {...props}
              name="user"
              autoComplete="off"
              spellCheck={false}
              value={text.user}
              onChange={(e) => setText((t) => ({ ...t, user: e.target.value }))}
            />
          )}
        </Field>
        <Field label="IP address">
          {(props) => (
            <input
              {...props}
              name="ip"
              autoComplete="off"
              spellCheck={false}
              value={text.ip}
              onChange={(e) => setText((t) => ({ ...t, ip: e.target.value }))}
            />
          )}
        </Field>
        <Field label="Time">
          {(props) => (
            <select
              {...props}
              value={filters.since}
              onChange={(e) =>
                onChange({
                  ...filters,
                  since: e.target.value,
                  ...(e.target.value === 'custom' && !filters.from && { from: toLocalInput(Date.now() - 86_400_000), to: '' }),
                })
              }
            >
              {SINCE.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {filters.since === 'custom' && (
          <div className="field-pair">
            <Field label="From">
              {(props) => (
                <input
                  {...props}
                  type="datetime-local"
                  value={filters.from}
                  onChange={(e) => onChange({ ...filters, from: e.target.value })}
                />
              )}
            </Field>
            <Field label="Until">
              {(props) => (
                <input {...props} type="datetime-local" value={filters.to} onChange={(e) => onChange({ ...filters, to: e.target.value })} />
              )}
            </Field>
          </div>
        )}
        <div className="button-row">
          <button type="submit" className="button-primary">
            Apply
          </button>
          <button
            type="button"
            className="button-quiet"
            onClick={() => navigate(`/admin/alerts${query(layoutOf(filters))}`, { replace: true })}
            disabled={active === 0}
          >
            Clear filters
          </button>
        </div>
      </form>
    </aside>
  );
}

const VIEW_LABEL = { cards: 'Cards', table: 'Table' } as const;
const SORT_LABEL: Readonly<Record<AlertSort, string>> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  severity: 'Severity, strongest first',
};
const GROUP_LABEL: Readonly<Record<AlertGrouping, string>> = { story: 'Story', user: 'User', rule: 'Rule' };

/** How the alerts are laid out (cards or table, order, grouping), saved views, and the export of the filter. */
function FeedToolbar({
  filters,
  onChange,
  exportQuery,
}: {
  readonly filters: Filters;
  readonly onChange: (f: Filters) => void;
  readonly exportQuery: string;
}) {
  // Labels by id, not wrapped round the select: a wrapping label's name would include every option's
  // text ("Group by Nothing Story User Rule"), and "User" or "Rule" would then name two fields.
  const id = useId();
  return (
    <div className="feed-toolbar">
      <fieldset className="segmented">
        <legend className="visually-hidden">Layout</legend>
        {(['cards', 'table'] as const).map((view) => (
          <button key={view} type="button" aria-pressed={filters.view === view} onClick={() => onChange({ ...filters, view })}>
            {VIEW_LABEL[view]}
          </button>
        ))}
      </fieldset>
      <span className="inline-field">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select id={`${id}-sort`} value={filters.sort} onChange={(e) => onChange({ ...filters, sort: e.target.value as AlertSort })}>
          {ALERT_SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_LABEL[s]}
            </option>
          ))}
        </select>
      </span>
      <span className="inline-field">
        <label htmlFor={`${id}-group`}>Group by</label>
        <select
          id={`${id}-group`}
          value={filters.group}
          onChange={(e) => onChange({ ...filters, group: e.target.value as AlertGrouping | '' })}
        >
          <option value="">Nothing</option>
          {ALERT_GROUPINGS.map((g) => (
            <option key={g} value={g}>
              {GROUP_LABEL[g]}
            </option>
          ))}
        </select>
      </span>
      <SavedViewsBar search={filtersToSearch(filters).replace(/^\?/, '')} />
      <a className="button-quiet" href={`/v1/alerts/export.csv${exportQuery}`} download>
        Export CSV
      </a>
    </div>
  );
}

/** How many alerts the filter selects, per status and severity; each figure narrows the filter to it. */
function CountsBar({
  counts,
  error,
  filters,
  onChange,
}: {
  readonly counts: AlertCounts | undefined;
  readonly error: string | undefined;
  readonly filters: Filters;
  readonly onChange: (f: Filters) => void;
}) {
  if (error) return <ErrorText error={error} />;
  if (!counts) return <p className="counts muted">Counting…</p>;
  return (
    <section className="counts" aria-label="Counts for this filter">
      <p className="counts-total">
        <strong>{counts.total.toLocaleString()}</strong> {counts.total === 1 ? 'alert matches' : 'alerts match'}
      </p>
      <ul className="counts-list" aria-label="By status">
        {ALERT_STATUSES.map((s) => (
          <li key={s}>
            <button
              type="button"
              className="count-chip"
              aria-pressed={filters.status.length === 1 && filters.status[0] === s}
              onClick={() => onChange({ ...filters, status: filters.status.length === 1 && filters.status[0] === s ? [] : [s] })}
            >
              {STATUS_LABEL[s]} <span className="count-figure">{counts.status[s].toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
      <ul className="counts-list" aria-label="By severity">
        {ALERT_SEVERITIES.map((s) => (
          <li key={s}>
            <button
              type="button"
              className={`count-chip count-sev-${s}`}
              aria-pressed={filters.severity.length === 1 && filters.severity[0] === s}
              onClick={() => onChange({ ...filters, severity: filters.severity.length === 1 && filters.severity[0] === s ? [] : [s] })}
            >
              {SEVERITY_LABEL[s]} <span className="count-figure">{counts.severity[s].toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The filter's alerts grouped (by story, user or rule): a header per group with its count; opening one lists its alerts. */
function AlertGroupList({
  filters,
  by,
  selection,
  epoch,
}: {
  readonly filters: Filters;
  readonly by: AlertGrouping;
  readonly selection:
    | { readonly selected: ReadonlySet<string>; readonly toggle: (ids: readonly string[], on: boolean) => void }
    | undefined;
  readonly epoch: number;
}) {
  const filterKey = query({ ...apiFilter(filters), by });
  const groups = useLoad((signal) => api.get<AlertGroups>(`/v1/alerts/groups${filterKey}`, { signal }), [filterKey, epoch]);
  if (groups.error) return <ErrorText error={groups.error} />;
  if (!groups.data) return <Loading what="groups" />;
  if (groups.data.groups.length === 0) return <Empty>No alerts match these filters.</Empty>;
  return (
    <>
      <ul className="alert-groups" aria-label={`Alerts by ${GROUP_LABEL[by].toLowerCase()}`}>
        {groups.data.groups.map((g) => (
          <AlertGroupItem key={g.key} filters={filters} by={by} group={g} selection={selection} epoch={epoch} />
        ))}
      </ul>
      {groups.data.more && <p className="muted">More groups match: narrow the filter to see them.</p>}
    </>
  );
}

function AlertGroupItem({
  filters,
  by,
  group,
  selection,
  epoch,
}: {
  readonly filters: Filters;
  readonly by: AlertGrouping;
  readonly group: AlertGroups['groups'][number];
  readonly selection:
    | { readonly selected: ReadonlySet<string>; readonly toggle: (ids: readonly string[], on: boolean) => void }
    | undefined;
  readonly epoch: number;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  return (
    <li className={`alert-group sev-edge-${group.severity}`}>
      <button type="button" className="group-header" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> <strong className="group-key">{group.key}</strong>{' '}
        <span className="group-count">
          {group.count} {group.count === 1 ? 'alert' : 'alerts'}
        </span>{' '}
        <SeverityBadge severity={group.severity as Alert['severity']} />{' '}
        <span className="muted">
          latest <Time iso={group.latestAt} />
        </span>
      </button>
      <div id={id} hidden={!open}>
        {open && <GroupAlerts filters={filters} group={{ by, key: group.key }} selection={selection} epoch={epoch} />}
      </div>
    </li>
  );
}

function GroupAlerts({
  filters,
  group,
  selection,
  epoch,
}: {
  readonly filters: Filters;
  readonly group: { by: AlertGrouping; key: string };
  readonly selection:
    | { readonly selected: ReadonlySet<string>; readonly toggle: (ids: readonly string[], on: boolean) => void }
    | undefined;
  readonly epoch: number;
}) {
  const url = `/v1/alerts${apiQuery(filters, undefined, group)}`;
  const page = useLoad((signal) => api.get<AlertPage>(url, { signal }), [url, epoch]);
  if (page.error) return <ErrorText error={page.error} />;
  if (!page.data) return <Loading what="alerts" />;
  return (
    <>
      <AlertTable alerts={page.data.alerts} label={`Alerts of ${group.key}`} sort={filters.sort} {...(selection && { selection })} />
      {page.data.nextCursor && <p className="muted">The newest 50 shown: filter by this {group.by} to see them all.</p>}
    </>
  );
}
