import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Audit entries are written by the services, never by routes: a route that records one leaves every
 * other way in (the CLI, the demo, a bus subscriber) without it. Routes may only read the trail
 * (GET /v1/audit, /v1/audit/verify), so any other use of `system.audit` here is a write in disguise,
 * such as passing it to a helper that records.
 */
const dir = fileURLToPath(new URL('.', import.meta.url));
const routeFiles = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

/** What a route must not contain, with why. */
const FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/\baudit\s*\??\.\s*record\b/, 'records an audit entry'],
  [/\bsystem\s*\.\s*audit\b(?!\s*\.\s*(?:list|verify)\s*\()/, 'uses the audit trail other than to read it'],
  [/\{[^{}]*\baudit\b[^{}]*\}\s*=\s*system\b/, 'takes the audit trail out of the system'],
  [/\bAuditTrail\b/, 'imports the audit trail'],
];

describe('routes and the audit trail', () => {
  it('finds the route files', () => {
    expect(routeFiles).toContain('webhooks.ts');
    expect(routeFiles).toContain('rules.ts');
  });

  it.each(routeFiles)('%s never writes to the audit trail', (file) => {
    const source = readFileSync(`${dir}${file}`, 'utf8');
    const found = FORBIDDEN.flatMap(([pattern, what]) => {
      const match = pattern.exec(source);
      if (!match) return [];
      const line = source.slice(0, match.index).split('\n').length;
      return [`${file}:${line} ${what}: ${match[0]}`];
    });
    expect(found).toEqual([]);
  });

  it('would catch a route that records', () => {
    const sample = "await system.audit.record(actor, 'webhook.created', subject);\nconst { audit } = system;\nhelper(system.audit);";
    expect(FORBIDDEN.filter(([pattern]) => pattern.test(sample))).toHaveLength(3);
  });
});
