import { type FormEvent, useId, useMemo, useState } from 'react';
import type { BacktestResult, Rule, RuleDay, RuleOutcomes, RuleStats, Severity } from '../../../src/http/schemas';

type RuleOutcomeTotals = RuleOutcomes['last7Days'];

import { api, describeError, query } from '../api';
import { Empty, ErrorText, Loading, Notice, type NoticeValue, SeverityBadge } from '../components/ui';
import { formatDateTime, humanKey } from '../format';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { usePerson } from '../session';

/** A configuration field's JSON schema (a rule's `configSchema`), as much of it as the form reads. */
interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly anyOf?: ReadonlyArray<{ readonly const?: unknown; readonly type?: string }>;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
}

export function RulesPage() {
  useTitle('Rules');
  const rules = useLoad((signal) => api.get<{ rules: readonly Rule[] }>('/v1/rules', { signal }), []);
  const replace = (rule: Rule) => rules.setData((d) => d && { rules: d.rules.map((r) => (r.id === rule.id ? rule : r)) });
  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Rules</h1>
        <p className="muted">
          Turn rules on and off and tune their thresholds; changes take effect at once and are kept as versions. Backtest a change on stored
          events to see what it would have raised before you save it.
        </p>
        <p className="muted">
          A rule in shadow runs and its findings are counted, but it adds nothing to risk, decisions or alerts: compare what it would have
          raised with the live rules, then promote it.
        </p>
      </div>
      <ErrorText error={rules.error} />
      {rules.loading && !rules.data && <Loading what="rules" />}
      {rules.data && rules.data.rules.length === 0 && <Empty>No rules.</Empty>}
      <ul className="rule-list">
        {rules.data?.rules.map((rule) => (
          <RuleCard key={rule.id} rule={rule} onSaved={replace} />
        ))}
      </ul>
    </section>
  );
}

function RuleCard({ rule, onSaved }: { readonly rule: Rule; readonly onSaved: (rule: Rule) => void }) {
  const manage = can(usePerson(), 'manage');
  const headingId = useId();
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();

  const toggle = async () => {
    setBusy(true);
    try {
      const saved = await api.put<Rule>(`/v1/rules/${encodeURIComponent(rule.id)}`, { enabled: !rule.enabled });
      onSaved(saved);
      setNotice({ tone: 'success', text: `${rule.title} is ${saved.enabled ? 'on' : 'off'} (version ${saved.version}).` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const changeMode = async () => {
    const to = rule.mode === 'shadow' ? 'live' : 'shadow';
    setBusy(true);
    try {
      const saved = await api.post<Rule>(`/v1/rules/${encodeURIComponent(rule.id)}/${to === 'live' ? 'promote' : 'shadow'}`);
      onSaved(saved);
      setNotice({
        tone: 'success',
        text:
          to === 'live'
            ? `${rule.title} is live: its findings count from now on (version ${saved.version}).`
            : `${rule.title} runs in shadow: its findings are counted but change nothing (version ${saved.version}).`,
      });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <li
      className={`card rule-card ${rule.enabled ? '' : 'rule-off'} ${rule.mode === 'shadow' ? 'rule-shadow' : ''}`}
      aria-labelledby={headingId}
    >
      <div className="rule-head">
        <div>
          <div className="rule-title-row">
            <h2 id={headingId} className="rule-title">
              {rule.title}
            </h2>
            <ModeBadge mode={rule.mode} />
          </div>
          <p className="muted small mono">
            {rule.id} · {rule.kind === 'builtin' ? 'built-in' : 'custom'} · {rule.alertType} · version {rule.version}
            {rule.updatedAt && (
              <>
                {' '}
                · changed {formatDateTime(rule.updatedAt)} by {rule.updatedBy}
              </>
            )}
          </p>
        </div>
        {manage ? (
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              aria-checked={rule.enabled}
              checked={rule.enabled}
              disabled={busy}
              onChange={() => void toggle()}
            />
            <span className="switch-track" aria-hidden="true" />
            <span>
              {rule.enabled ? 'On' : 'Off'}
              <span className="visually-hidden">: {rule.title}</span>
            </span>
          </label>
        ) : (
          <span className="tag">{rule.enabled ? 'On' : 'Off'}</span>
        )}
      </div>
      <p>{rule.description}</p>
      {rule.stats && <RuleFigures rule={rule} stats={rule.stats} />}
      {manage && (
        <div className="rule-actions">
          <button
            type="button"
            className={rule.mode === 'shadow' ? 'button-primary' : 'button-quiet'}
            disabled={busy}
            onClick={() => void changeMode()}
          >
            {rule.mode === 'shadow' ? 'Promote to live' : 'Run in shadow'}
            <span className="visually-hidden">: {rule.title}</span>
          </button>
          <button type="button" className="button-quiet" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
            {editing ? 'Close settings' : 'Settings and backtest'}
            <span className="visually-hidden"> of {rule.title}</span>
          </button>
        </div>
      )}
      {editing && manage && (
        <RuleEditor
          rule={rule}
          onSaved={(saved) => {
            onSaved(saved);
            setNotice({ tone: 'success', text: `Saved ${rule.title} as version ${saved.version}.` });
          }}
        />
      )}
      <Notice notice={notice} />
    </li>
  );
}

function ModeBadge({ mode }: { readonly mode: Rule['mode'] }) {
  return <span className={`badge rule-mode rule-mode-${mode}`}>{mode === 'shadow' ? 'Shadow' : 'Live'}</span>;
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** The share of a rule's closed alerts that were false positives, with the counts it comes from. */
function falsePositives(label: string, o: RuleOutcomeTotals) {
  return (
    <div className="rule-figure">
      <dt>{label}</dt>
      <dd>
        {o.falsePositiveShare === null
          ? 'none closed yet'
          : `${Math.round(o.falsePositiveShare * 100)}% (${o.falsePositives} of ${count(o.closed, 'closed alert', 'closed alerts')})`}
      </dd>
    </div>
  );
}

/** Hits and alerts over 7 and 30 days; for a shadow rule the alerts it would have raised, and a bar per day. */
function RuleFigures({ rule, stats }: { readonly rule: Rule; readonly stats: RuleStats }) {
  const shadow = rule.mode === 'shadow';
  const period = (label: string, p: { hits: number; alerts?: number; wouldHaveAlerted?: number }) => (
    <div className="rule-figure">
      <dt>{label}</dt>
      <dd>
        {count(p.hits, 'hit', 'hits')},{' '}
        {shadow ? `would have alerted ${count(p.wouldHaveAlerted ?? 0, 'time', 'times')}` : count(p.alerts ?? 0, 'alert', 'alerts')}
      </dd>
    </div>
  );
  const figures = shadow ? stats.shadow : stats.live;
  const outcomes = rule.outcomes;
  return (
    <div className="rule-stats">
      <dl className="rule-figures" aria-label={`${shadow ? 'Shadow' : 'Live'} figures of ${rule.title}`}>
        {period('Last 7 days', figures.last7Days)}
        {period('Last 30 days', figures.last30Days)}
        {outcomes && falsePositives('False positives, 7 days', outcomes.last7Days)}
        {outcomes && falsePositives('False positives, 30 days', outcomes.last30Days)}
      </dl>
      {shadow && <DayBars days={stats.shadow.daily} title={rule.title} />}
    </div>
  );
}

/** The last 14 days as bars: hits, with the would-be alerts as the darker part; every figure is in the list's text too. */
function DayBars({ days, title }: { readonly days: readonly RuleDay[]; readonly title: string }) {
  const most = Math.max(1, ...days.map((d) => d.hits));
  return (
    <figure className="rule-days">
      <figcaption className="small muted">Hits per day in shadow, last 14 days (UTC); darker: would have alerted</figcaption>
      <ol className="rule-day-bars" aria-label={`Hits per day of ${title} in shadow`}>
        {days.map((d) => (
          <li key={d.day} title={`${d.day}: ${d.hits} hits, ${d.alerts} would have alerted`}>
            <span className="rule-day-bar" style={{ height: `${(d.hits / most) * 100}%` }} aria-hidden="true">
              <span className="rule-day-alerts" style={{ height: d.hits > 0 ? `${(d.alerts / d.hits) * 100}%` : 0 }} />
            </span>
            <span className="visually-hidden">
              {d.day}: {count(d.hits, 'hit', 'hits')}, {d.alerts} would have alerted
            </span>
          </li>
        ))}
      </ol>
    </figure>
  );
}

type Draft = Record<string, string | boolean>;

function fieldKind(schema: JsonSchema): 'number' | 'integer' | 'boolean' | 'choice' | 'map' | 'list' | 'json' {
  if (schema.anyOf?.every((o) => o.const !== undefined)) return 'choice';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'object' && schema.patternProperties) return 'map';
  if (schema.type === 'array' && schema.items?.type === 'string') return 'list';
  return 'json';
}

function toDraft(config: Readonly<Record<string, unknown>>, props: Readonly<Record<string, JsonSchema>>): Draft {
  const draft: Draft = {};
  for (const [key, schema] of Object.entries(props)) {
    if (key === 'enabled') continue;
    const value = config[key];
    const kind = fieldKind(schema);
    if (kind === 'boolean') draft[key] = value === true;
    else if (kind === 'map')
      draft[key] = Object.entries((value ?? {}) as Record<string, unknown>)
        .map(([k, v]) => `${k} ${v}`)
        .join('\n');
    else if (kind === 'list') draft[key] = ((value ?? []) as unknown[]).join('\n');
    else if (kind === 'json') draft[key] = JSON.stringify(value ?? null, null, 2);
    else draft[key] = value === undefined ? '' : String(value);
  }
  return draft;
}

/** The draft as configuration values, or the first field that does not parse. */
function fromDraft(draft: Draft, props: Readonly<Record<string, JsonSchema>>): { config: Record<string, unknown> } | { error: string } {
  const config: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(draft)) {
    const schema = props[key];
    if (!schema) continue;
    const kind = fieldKind(schema);
    const text = typeof raw === 'string' ? raw.trim() : '';
    switch (kind) {
      case 'boolean':
        config[key] = raw === true;
        break;
      case 'integer':
      case 'number': {
        const n = Number(text);
        if (text === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n)))
          return { error: `${humanKey(key)} must be ${kind === 'integer' ? 'a whole number' : 'a number'}.` };
        config[key] = n;
        break;
      }
      case 'choice':
        config[key] = text;
        break;
      case 'map': {
        const map: Record<string, number> = {};
        for (const line of text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)) {
          const [code, amount, ...extra] = line.split(/[\s:=]+/);
          const n = Number(amount);
          if (!code || extra.length > 0 || !Number.isFinite(n)) return { error: `${humanKey(key)}: “${line}” is not “CODE amount”.` };
          map[code === 'default' ? code : code.toUpperCase()] = n;
        }
        config[key] = map;
        break;
      }
      case 'list':
        config[key] = text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        break;
      case 'json':
        try {
          config[key] = JSON.parse(text);
        } catch {
          return { error: `${humanKey(key)} is not valid JSON.` };
        }
        break;
    }
  }
  return { config };
}

/** datetime-local wants local time without a zone. */
function toLocalInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function RuleEditor({ rule, onSaved }: { readonly rule: Rule; readonly onSaved: (rule: Rule) => void }) {
  const id = useId();
  const custom = rule.kind === 'custom';
  const props = useMemo<Readonly<Record<string, JsonSchema>>>(
    () =>
      custom
        ? { definition: { type: 'object', description: 'The rule’s definition, as JSON.' } }
        : ((rule.configSchema as JsonSchema | undefined)?.properties ?? {}),
    [custom, rule.configSchema],
  );
  const initial = useMemo(
    () => toDraft(custom ? { definition: rule.config.definition } : rule.config, props),
    [custom, rule.config, props],
  );
  const [draft, setDraft] = useState<Draft>(initial);
  const [note, setNote] = useState('');
  const [from, setFrom] = useState(() => toLocalInput(Date.now() - 7 * 86_400_000));
  const [to, setTo] = useState(() => toLocalInput(Date.now()));
  const [backtest, setBacktest] = useState<{ draftKey: string; current: BacktestResult; proposed: BacktestResult }>();
  const [busy, setBusy] = useState<'backtest' | 'save'>();
  const [notice, setNotice] = useState<NoticeValue>();

  const parsed = fromDraft(draft, props);
  const patch = 'config' in parsed ? (custom ? (parsed.config.definition as Record<string, unknown>) : parsed.config) : undefined;
  const draftKey = JSON.stringify(patch ?? null) + from + to;
  const changed = JSON.stringify(draft) !== JSON.stringify(initial);
  const backtested = backtest?.draftKey === draftKey;

  const runBacktest = async (event: FormEvent) => {
    event.preventDefault();
    if (!patch) return;
    setBusy('backtest');
    setNotice(undefined);
    try {
      const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      const url = `/v1/rules/${encodeURIComponent(rule.id)}/backtest`;
      const [current, proposed] = await Promise.all([
        api.post<BacktestResult>(url, range),
        api.post<BacktestResult>(url, { ...range, config: patch }),
      ]);
      setBacktest({ draftKey, current, proposed });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(undefined);
    }
  };

  const save = async () => {
    if (!patch) return;
    setBusy('save');
    try {
      const saved = await api.put<Rule>(`/v1/rules/${encodeURIComponent(rule.id)}${query({ note: note.trim() })}`, patch);
      onSaved(saved);
      setNote('');
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <form className="rule-editor" onSubmit={(e) => void runBacktest(e)} aria-label={`Settings of ${rule.title}`}>
      <div className="rule-fields">
        {Object.entries(props).map(([key, schema]) => {
          if (key === 'enabled') return null;
          const kind = fieldKind(schema);
          const fieldId = `${id}-${key}`;
          const hintId = `${fieldId}-hint`;
          const value = draft[key];
          const set = (v: string | boolean) => setDraft((d) => ({ ...d, [key]: v }));
          const hint =
            kind === 'map'
              ? `${schema.description ?? ''} One per line: a currency code and an amount, e.g. EUR 5000.`
              : kind === 'list'
                ? `${schema.description ?? ''} One per line.`
                : schema.description;
          const range =
            schema.minimum !== undefined || schema.maximum !== undefined ? ` (${schema.minimum ?? '…'}–${schema.maximum ?? '…'})` : '';
          if (kind === 'boolean') {
            return (
              <div key={key} className="field field-check">
                <label className="check" htmlFor={fieldId}>
                  <input
                    id={fieldId}
                    type="checkbox"
                    checked={value === true}
                    onChange={(e) => set(e.target.checked)}
                    aria-describedby={hintId}
                  />
                  {humanKey(key)}
                </label>
                {hint && (
                  <p className="hint" id={hintId}>
                    {hint}
                  </p>
                )}
              </div>
            );
          }
          return (
            <div key={key} className={`field ${kind === 'map' || kind === 'list' || kind === 'json' ? 'field-wide' : ''}`}>
              <label htmlFor={fieldId}>
                {humanKey(key)}
                {range && <span className="muted">{range}</span>}
              </label>
              {kind === 'choice' ? (
                <select id={fieldId} value={String(value)} onChange={(e) => set(e.target.value)} aria-describedby={hintId}>
                  {schema.anyOf?.map((o) => (
                    <option key={String(o.const)} value={String(o.const)}>
                      {String(o.const)}
                    </option>
                  ))}
                </select>
              ) : kind === 'integer' || kind === 'number' ? (
                <input
                  id={fieldId}
                  type="number"
                  inputMode="decimal"
                  step={kind === 'integer' ? 1 : 'any'}
                  {...(schema.minimum !== undefined && { min: schema.minimum })}
                  {...(schema.maximum !== undefined && { max: schema.maximum })}
                  required
                  value={String(value)}
                  onChange={(e) => set(e.target.value)}
                  aria-describedby={hintId}
                />
              ) : (
                <textarea
                  id={fieldId}
                  className="mono"
                  rows={kind === 'json' ? 10 : 4}
                  spellCheck={false}
                  value={String(value)}
                  onChange={(e) => set(e.target.value)}
                  aria-describedby={hintId}
                />
              )}
              {hint && (
                <p className="hint" id={hintId}>
                  {hint}
                </p>
              )}
            </div>
          );
        })}
      </div>
      {'error' in parsed && (
        <p className="notice notice-error" role="alert">
          {parsed.error}
        </p>
      )}
      <fieldset className="backtest-range">
        <legend>Backtest on stored events</legend>
        <div className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="datetime-local" required value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Until</label>
          <input id={`${id}-to`} type="datetime-local" required value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <button type="submit" className="button-primary" disabled={busy !== undefined || !patch}>
          {busy === 'backtest' ? 'Replaying…' : 'Run backtest'}
        </button>
      </fieldset>
      <div aria-live="polite">
        {backtest && <BacktestView current={backtest.current} proposed={backtest.proposed} stale={!backtested} />}
      </div>
      <div className="save-row">
        <div className="field">
          <label htmlFor={`${id}-note`}>Note for this version (optional)</label>
          <input id={`${id}-note`} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
        </div>
        <button
          type="button"
          onClick={() => void save()}
          disabled={busy !== undefined || !patch || !changed || !backtested}
          aria-describedby={`${id}-save-hint`}
        >
          {busy === 'save' ? 'Saving…' : 'Save changes'}
        </button>
        <p className="hint" id={`${id}-save-hint`}>
          {!changed
            ? 'Change a setting to save a new version.'
            : backtested
              ? 'The backtest above shows what these settings would have done.'
              : 'Run a backtest of these settings first, to see what they would have raised.'}
        </p>
      </div>
      <Notice notice={notice} />
    </form>
  );
}

function BacktestView({
  current,
  proposed,
  stale,
}: {
  readonly current: BacktestResult;
  readonly proposed: BacktestResult;
  readonly stale: boolean;
}) {
  const severities = ['critical', 'high', 'medium', 'low'].filter((s) => current.bySeverity[s] || proposed.bySeverity[s]);
  return (
    <section className={`backtest ${stale ? 'backtest-stale' : ''}`} aria-label="Backtest result">
      <h3 className="small-heading">
        Backtest: {formatDateTime(proposed.from)} – {formatDateTime(proposed.to)}
        {stale && <span className="tag"> settings changed since: run it again</span>}
      </h3>
      <p className="small muted">{proposed.eventsReplayed.toLocaleString()} stored events replayed, without touching live detection.</p>
      <div className="table-wrap">
        <table className="compare">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Measure</span>
              </th>
              <th scope="col">Current settings</th>
              <th scope="col">These settings</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Alerts</th>
              <td>{current.alerts}</td>
              <td>
                <strong>{proposed.alerts}</strong>
              </td>
            </tr>
            <tr>
              <th scope="row">Events flagged</th>
              <td>{current.hits}</td>
              <td>
                <strong>{proposed.hits}</strong>
              </td>
            </tr>
            <tr>
              <th scope="row">Users</th>
              <td>{current.users.length}</td>
              <td>
                <strong>{proposed.users.length}</strong>
              </td>
            </tr>
            {severities.map((s) => (
              <tr key={s}>
                <th scope="row">
                  <SeverityBadge severity={s as Severity} />
                </th>
                <td>{current.bySeverity[s] ?? 0}</td>
                <td>
                  <strong>{proposed.bySeverity[s] ?? 0}</strong>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {proposed.examples.length > 0 && (
        <>
          <h4 className="small-heading">Examples with these settings</h4>
          <ul className="examples">
            {proposed.examples.map((e) => (
              <li key={e.eventId}>
                <SeverityBadge severity={e.severity as Severity} /> <strong>{e.user}</strong>, {formatDateTime(e.at)}: {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
