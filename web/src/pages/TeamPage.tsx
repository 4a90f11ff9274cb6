import { useState } from 'react';
import type { HandlingFigures, Rule, TeamFigures, TeamPeriod } from '../../../src/http/schemas';
import { api } from '../api';
import { ownerLabel } from '../components/AlertOwner';
import { Empty, ErrorText, Loading } from '../components/ui';
import { formatDateTime, formatDuration } from '../format';
import { useLoad, useTitle } from '../hooks';
import { usePerson } from '../session';

/**
 * How quickly alerts are handled: time to acknowledge and to resolve (median and 90th percentile)
 * per owner and per rule, over the last 7 or 30 days. Read-only, for every staff role.
 */
export function TeamPage() {
  useTitle('Team');
  const person = usePerson();
  const figures = useLoad((signal) => api.get<TeamFigures>('/v1/team/figures', { signal }), []);
  // Rules by their titles; a rule since deleted keeps its id.
  const rules = useLoad((signal) => api.get<{ rules: readonly Rule[] }>('/v1/rules', { signal }), []);
  const titleOf = (id: string) => rules.data?.rules.find((r) => r.id === id)?.title ?? id;
  const [days, setDays] = useState(7);
  const period = figures.data?.periods.find((p) => p.days === days);

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Team</h1>
        <p className="muted">
          How long alerts wait: from raised to first acknowledged, and from raised to resolved or closed as a false positive. Median and
          90th percentile; owners are the alerts’ owners now.
        </p>
      </div>
      <fieldset className="button-row period-choice">
        <legend className="visually-hidden">Period</legend>
        {[7, 30].map((d) => (
          <button key={d} type="button" className="button-quiet" aria-pressed={d === days} onClick={() => setDays(d)}>
            Last {d} days
          </button>
        ))}
      </fieldset>
      <ErrorText error={figures.error} />
      {figures.loading && !figures.data && <Loading what="the team’s figures" />}
      {period && (
        <>
          <p className="muted small">
            {formatDateTime(period.from)} to {formatDateTime(period.to)}: {period.all.toAcknowledge.count} acknowledged,{' '}
            {period.all.toResolve.count} closed.
          </p>
          <FiguresTable
            caption={`Per owner, last ${period.days} days`}
            first="Owner"
            rows={period.byOwner.map((r) => ({ key: r.owner?.id ?? 'nobody', name: ownerLabel(r.owner, person), figures: r }))}
            all={period.all}
          />
          <FiguresTable
            caption={`Per rule, last ${period.days} days`}
            first="Rule"
            rows={period.byRule.map((r) => ({ key: r.ruleId, name: titleOf(r.ruleId), figures: r }))}
            all={period.all}
          />
        </>
      )}
    </section>
  );
}

interface Row {
  readonly key: string;
  readonly name: string;
  readonly figures: HandlingFigures;
}

function FiguresTable({
  caption,
  first,
  rows,
  all,
}: {
  readonly caption: string;
  readonly first: string;
  readonly rows: readonly Row[];
  readonly all: TeamPeriod['all'];
}) {
  return (
    <section className="card" aria-label={caption}>
      <h2>{caption}</h2>
      {rows.length === 0 ? (
        <Empty>No alert was acknowledged or closed in this period.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="stack-on-phone team-table">
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                <th scope="col">{first}</th>
                <th scope="col">Acknowledged</th>
                <th scope="col">To acknowledge: median</th>
                <th scope="col">p90</th>
                <th scope="col">Closed</th>
                <th scope="col">To resolve: median</th>
                <th scope="col">p90</th>
              </tr>
            </thead>
            <tbody>
              {[...rows, { key: '__all', name: 'Everyone', figures: all }].map((r) => {
                // The totals row is set apart by a rule above each of its cells.
                const cell = r.key === '__all' ? 'team-total-cell' : undefined;
                return (
                  <tr key={r.key}>
                    <td className={cell} data-label={first}>
                      <strong>{r.name}</strong>
                    </td>
                    <td className={cell} data-label="Acknowledged">
                      {r.figures.toAcknowledge.count}
                    </td>
                    <td className={cell} data-label="To acknowledge: median">
                      {formatDuration(r.figures.toAcknowledge.medianMs)}
                    </td>
                    <td className={cell} data-label="To acknowledge: p90">
                      {formatDuration(r.figures.toAcknowledge.p90Ms)}
                    </td>
                    <td className={cell} data-label="Closed">
                      {r.figures.toResolve.count}
                    </td>
                    <td className={cell} data-label="To resolve: median">
                      {formatDuration(r.figures.toResolve.medianMs)}
                    </td>
                    <td className={cell} data-label="To resolve: p90">
                      {formatDuration(r.figures.toResolve.p90Ms)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
