/**
 * Every response body's schema, by resource; the body types are `Body<typeof …Schema>` (Static<>,
 * read-only). Routes declare these as `response`; the dashboard imports the types from here
 * (`import type`), so that it reads the shapes the server writes. Presenters are in ./present.ts.
 */

export * from '../../domain/vocabulary.js';
export * from './accounts.js';
export * from './alerts.js';
export * from './audit.js';
export * from './common.js';
export * from './errors.js';
export * from './events.js';
export * from './feed.js';
export * from './lists.js';
export * from './logins.js';
export * from './models.js';
export * from './monitor.js';
export * from './outbox.js';
export * from './people.js';
export * from './rules.js';
export * from './snoozes.js';
export * from './staff-notify.js';
export * from './webhooks.js';
