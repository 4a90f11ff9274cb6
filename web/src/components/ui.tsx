import { type ReactNode, useId } from 'react';
import type { AlertStatus, Decision, Reason, Severity } from '../../../src/http/schemas';
import { evidenceEntry, formatDateTime, formatRelative, healthLabel, SEVERITY_LABEL, STATUS_LABEL } from '../format';
import { usePerson } from '../session';

/** A padlock, drawn rather than an emoji, which not every system has a font for. */
export function LockIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path
        d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5A1.5 1.5 0 0 1 13.5 8.5v5A1.5 1.5 0 0 1 12 15H4a1.5 1.5 0 0 1-1.5-1.5v-5A1.5 1.5 0 0 1 4 7zm1.75 0h3.5V5a1.75 1.75 0 0 0-3.5 0z"
        fill="currentColor"
      />
    </svg>
  );
}

/** A shape (drawn by the stylesheet) as well as a colour, and always the word: severity never rests on colour alone. */
export function SeverityBadge({ severity }: { readonly severity: Severity }) {
  return <span className={`badge sev sev-${severity}`}>{SEVERITY_LABEL[severity]}</span>;
}

export function StatusBadge({ status }: { readonly status: AlertStatus }) {
  return <span className={`badge status status-${status}`}>{STATUS_LABEL[status]}</span>;
}

const DECISION_LABEL: Readonly<Record<Decision, string>> = { allow: 'Allowed', challenge: 'Challenged', block: 'Blocked' };

export function DecisionBadge({ decision }: { readonly decision: Decision }) {
  return <span className={`badge decision decision-${decision}`}>{DECISION_LABEL[decision]}</span>;
}

/** A time as people read it ("3 minutes ago"), with the exact time on hover and for assistive technology. */
export function Time({ iso, relative = true }: { readonly iso: string | null | undefined; readonly relative?: boolean }) {
  if (!iso) return <span>—</span>;
  const exact = formatDateTime(iso);
  return (
    <time dateTime={iso} title={exact}>
      {relative ? formatRelative(iso) : exact}
    </time>
  );
}

export type NoticeTone = 'success' | 'error' | 'info';
export interface NoticeValue {
  readonly tone: NoticeTone;
  readonly text: string;
}

/**
 * The result of an action, in a live region that is always in the page (so that screen readers
 * announce what is put in it); errors are announced at once.
 */
export function Notice({ notice, className }: { readonly notice: NoticeValue | undefined | null; readonly className?: string }) {
  return (
    <div className={`notice-region ${className ?? ''}`} role={notice?.tone === 'error' ? 'alert' : 'status'} aria-live="polite">
      {notice && <p className={`notice notice-${notice.tone}`}>{notice.text}</p>}
    </div>
  );
}

export function ErrorText({ error }: { readonly error: string | undefined }) {
  if (!error) return null;
  return (
    <p className="notice notice-error" role="alert">
      {error}
    </p>
  );
}

export function Loading({ what }: { readonly what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { readonly children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function HealthMeter({ score, compact = false }: { readonly score: number; readonly compact?: boolean }) {
  const id = useId();
  const label = healthLabel(score);
  const band = score >= 80 ? 'good' : score >= 50 ? 'fair' : 'poor';
  return (
    <div className={`health ${compact ? 'health-compact' : ''}`}>
      {!compact && (
        <div className="health-head">
          <span id={id} className="health-title">
            Security Health
          </span>
          <span className="health-score">
            <strong>{score}</strong>/100 · {label}
          </span>
        </div>
      )}
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar; <meter> cannot be styled the same in every browser */}
      <div
        className={`health-bar health-${band}`}
        role="meter"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={score}
        aria-valuetext={`${score} out of 100, ${label}`}
        {...(compact ? { 'aria-label': 'Security Health' } : { 'aria-labelledby': id })}
      >
        <span style={{ width: `${Math.max(2, score)}%` }} />
      </div>
      {compact && (
        <span className="health-score">
          {score} · {label}
        </span>
      )}
    </div>
  );
}

export function Evidence({ evidence }: { readonly evidence: Readonly<Record<string, unknown>> }) {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return null;
  return (
    <dl className="evidence">
      {entries.map(([key, value]) => {
        const [label, text] = evidenceEntry(key, value);
        return (
          <div key={key}>
            <dt>{label}</dt>
            <dd>{text}</dd>
          </div>
        );
      })}
    </dl>
  );
}

export function ReasonList({ reasons, evidence = true }: { readonly reasons: readonly Reason[]; readonly evidence?: boolean }) {
  if (reasons.length === 0) return null;
  return (
    <ul className="reasons">
      {reasons.map((r) => (
        <li key={`${r.rule}:${r.message}`}>
          <div className="reason-head">
            <SeverityBadge severity={r.severity} />
            <span>{r.message}</span>
          </div>
          {evidence && (
            <>
              <p className="muted small">Rule: {r.rule}</p>
              <Evidence evidence={r.evidence} />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A labelled field: the label, the control, an optional hint tied to it by aria-describedby. */
export function Field({
  label,
  hint,
  children,
  className,
}: {
  readonly label: string;
  readonly hint?: string;
  readonly className?: string;
  readonly children: (props: { id: string; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(hint !== undefined && { 'aria-describedby': hintId }) })}
      {hint !== undefined && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** Where a staff member's role may read but not change (roles.ts): says so instead of showing controls the server would refuse. */
export function ReadOnlyNote({ what }: { readonly what: string }) {
  const person = usePerson();
  return (
    <p className="notice notice-info read-only-note">
      Your role ({person.role}) can read {what} but not change {what === 'this alert' ? 'it' : 'them'}. Ask an{' '}
      {person.role === 'viewer' && what === 'this alert' ? 'analyst or admin' : 'admin'} to.
    </p>
  );
}
