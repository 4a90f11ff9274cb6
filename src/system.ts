import { AlertComments } from './alerts/alert-comments.js';
import { AlertExport } from './alerts/alert-export.js';
import { AlertOwnership } from './alerts/alert-ownership.js';
import { AlertService } from './alerts/alert-service.js';
import { DuplicateAlerts } from './alerts/duplicate-alerts.js';
import type { AlertStore } from './alerts/ports.js';
import { SavedViews } from './alerts/saved-views.js';
import { TriageFigures } from './alerts/triage-figures.js';
import { MODEL_REFRESH_MS, ModelRegistry } from './anomaly/model-registry.js';
import { AuditTrail } from './audit/audit-trail.js';
import type { ApiKeyStore } from './auth/api-keys.js';
import { ApiKeyAuthenticator, describeKey, hashKey, type Role } from './auth/api-keys.js';
import { FailureLimiter } from './auth/failure-limiter.js';
import { PeopleService } from './auth/people-service.js';
import { ServerSecret } from './auth/server-secret.js';
import { TotpCodes } from './auth/totp.js';
import type { Bus, SharedChange } from './bus/bus.js';
import { InProcessBus } from './bus/in-process-bus.js';
import type { SharedSources } from './cluster/source-share.js';
import type { Config } from './config/config.js';
import { type Clock, systemClock } from './core/clock.js';
import type { Problem } from './core/errors.js';
import { assertExhaustive } from './core/result.js';
import { AlertBook } from './detect/alert-book.js';
import type { Detector } from './detect/detector.js';
import { DetectionEngine } from './detect/engine.js';
import { DetectionEventView } from './detect/history.js';
import type { DecodedSnapshot } from './detect/history-snapshot.js';
import { ListBook } from './detect/lists.js';
import { DEFAULT_LIMITS, MemoryHistory } from './detect/memory-history.js';
import type { Rule } from './detect/rule.js';
import { RuleCatalog } from './detect/rule-catalog.js';
import { RuleSet } from './detect/rule-set.js';
import { RuleStats } from './detect/rule-stats.js';
import { builtinRules } from './detect/rules/index.js';
import { SnoozeBook } from './detect/snooze-book.js';
import type { StoredEvent } from './domain/activity-event.js';
import type { Alert } from './domain/alert.js';
import { Enricher } from './enrich/enricher.js';
import { type GeoIp, MmdbGeoIp } from './enrich/geoip.js';
import { NoveltyTracker } from './enrich/novelty.js';
import { UserAgentParser } from './enrich/user-agent.js';
import type { ActivityStore } from './feed/activity.js';
import { LiveFeed } from './feed/live-feed.js';
import { GroupCommitWriter } from './ingest/group-commit.js';
import { type EventIngest, IngestService } from './ingest/ingest-service.js';
import { PENDING_EFFECTS_RESUME_MS, PendingEffects } from './ingest/pending-effects.js';
import type { EventStore } from './ingest/ports.js';
import { ListService } from './lists/list-service.js';
import { LoginScoringService } from './logins/login-scoring-service.js';
import { WorkerUploadScorer } from './logins/upload-scorer.js';
import { measuredDetector, measuredIngest, measuredInserts } from './metrics/instrument.js';
import { VigilMetrics } from './metrics/metrics.js';
import { EventCounting } from './monitor/event-counting.js';
import { VolumeMonitor } from './monitor/monitor-service.js';
import { DEFAULT_MONITOR_SETTINGS } from './monitor/volume-model.js';
import { createNotifier } from './notify/notifier.js';
import type { Notifier, OutboxStore } from './notify/ports.js';
import { AccountContacts } from './respond/account-contacts.js';
import { AccountLocking } from './respond/account-locking.js';
import { AccountNotices } from './respond/account-notices.js';
import { AccountService } from './respond/account-service.js';
import { AccountViews } from './respond/account-views.js';
import { LockBook } from './respond/lock-book.js';
import { OneTimeCodes } from './respond/one-time-codes.js';
import { OwnerTrust } from './respond/owner-trust.js';
import { OwnerVerdicts } from './respond/owner-verdicts.js';
import { Responder } from './respond/responder.js';
import { ResponseWorker } from './respond/response-worker.js';
import { SecurityHealth } from './respond/security-health.js';
import { UnlockCodes } from './respond/unlock-codes.js';
import { SnoozeService } from './snoozes/snooze-service.js';
import { OidcSignIn } from './sso/oidc-sign-in.js';
import { createStaffNotifications, type StaffNotifications } from './staff-notify/staff-notifications.js';
import { SqlAccountStore } from './store/account-store.js';
import { SqlActivityStore } from './store/activity-store.js';
import { SqlAlertStore } from './store/alert-store.js';
import { SqlApiKeyStore } from './store/api-key-store.js';
import { SqlAuditStore } from './store/audit-store.js';
import { type DatabaseHandle, openDatabase } from './store/database.js';
import { DetectionSnapshots } from './store/detection-snapshots.js';
import type { WriteFence } from './store/event-batch-writer.js';
import { SqlEventStore } from './store/event-store.js';
import { SqlHealthFacts } from './store/health-facts-store.js';
import { SqlListStore } from './store/list-store.js';
import { SqlLoginScoreStore } from './store/login-score-store.js';
import { SqlModelStore } from './store/model-store.js';
import { SqlMonitorStore } from './store/monitor-store.js';
import { SqlOutboxStore } from './store/outbox-store.js';
import { SqlPendingEffectsStore } from './store/pending-effects-store.js';
import { SqlPeopleStore } from './store/people-store.js';
import { SqlRuleSettingsStore } from './store/rule-settings-store.js';
import { SqlRuleStatsStore } from './store/rule-stats-store.js';
import { SqlSavedViewStore } from './store/saved-view-store.js';
import type { SnapshotFileRead } from './store/snapshot-file-reader.js';
import { SqlSnoozeStore } from './store/snooze-store.js';
import { SqlStaffNotifyStore } from './store/staff-notify-store.js';
import { SqlWebhookStore } from './store/webhook-store.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks/dispatcher.js';
import type { HostLookup } from './webhooks/target-guard.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Every long-lived dependency of a running Vigil, built once from the config and passed explicitly. */
export interface System {
  readonly config: Config;
  readonly clock: Clock;
  readonly database: DatabaseHandle;
  /** The server's secret, from which one-time-code and webhook-secret keys are derived. */
  readonly secret: ServerSecret;
  readonly events: EventStore;
  readonly apiKeys: ApiKeyStore;
  readonly authenticator: ApiKeyAuthenticator;
  readonly authFailures: FailureLimiter;
  /** People who sign in to the dashboard, their sessions and second factors. */
  readonly people: PeopleService;
  /** Single sign-on for staff (OpenID Connect), when VIGIL_OIDC_ISSUER is set. */
  readonly oidc?: OidcSignIn;
  /** Alerts and locks as they happen, for the admins' live dashboard. */
  readonly feed: LiveFeed;
  /** Events and alerts per minute, for the activity chart. */
  readonly activity: ActivityStore;
  /** In process; the distributed mode relays it to the other processes (`relayTo`). */
  readonly bus: InProcessBus;
  readonly writer: GroupCommitWriter;
  /** Where events go in: the pipeline below, counted (or, in an api process, the hop to their owner). */
  readonly ingest: EventIngest;
  /** The pipeline of this process: validate, de-duplicate, enrich, detect, respond, write, publish. */
  readonly pipeline: IngestService;
  /** Counters and histograms for GET /metrics (Prometheus), one registry per system. */
  readonly metrics: VigilMetrics;
  readonly alerts: AlertStore;
  readonly alertService: AlertService;
  /** An owner per alert (analysts and admins), audited. */
  readonly alertOwners: AlertOwnership;
  /** Each alert's comment thread, audited. */
  readonly alertComments: AlertComments;
  /** Time to acknowledge and resolve per owner and rule (the Team page), false positives per rule. */
  readonly triageFigures: TriageFigures;
  /** The alert feed's CSV export of a filter, streamed page by page and audited. */
  readonly alertExport: AlertExport;
  /** The alert feed's saved views: each staff member's named filters. */
  readonly savedViews: SavedViews;
  readonly rules: RuleCatalog;
  /** Findings and alerts per rule, day and mode (live or shadow): counted in memory, flushed every 10 s. */
  readonly ruleStats: RuleStats;
  readonly history: MemoryHistory;
  /** Locks, codes, disputes and Security Health (respond/). */
  readonly accountService: AccountService;
  /** Locks in force, read by the ingest path. */
  readonly locks: LockBook;
  /** Email and SMS to people: SMTP and the SMS gateway when configured, the outbox otherwise. */
  readonly notifier: Notifier;
  /** Messages kept instead of sent (no transport configured): the demo's mailbox. */
  readonly outbox: OutboxStore;
  /** Client apps' webhooks: registration, signed deliveries, retries. */
  readonly webhooks: WebhookDispatcher;
  /** Chat channels for staff (Slack, Teams, generic) with routing, grouping and rate limits; the admins' email digest. */
  readonly staffNotifications: StaffNotifications;
  /** The hash-chained, append-only log of what Vigil and people did. */
  readonly audit: AuditTrail;
  /** The active anomaly models, read by the behaviour-anomaly rule; trained and activated through it. */
  readonly models: ModelRegistry;
  /** Uploaded login-activity files: scored by an Isolation Forest, flagged logins stored and emailed to admins. */
  readonly logins: LoginScoringService;
  /** The transaction-volume monitor: per-minute counts per status, baselines, anomalies, `transaction` alerts. */
  readonly monitor: VolumeMonitor;
  /** Allow and block list entries in force, read by detection (detect/lists.ts). */
  readonly lists: ListBook;
  /** Changes to the allow and block lists: validated, stored, audited, put in `lists` at once. */
  readonly listService: ListService;
  /** Rules snoozed per account until a time: validated, stored, audited; in force in `snoozes.book`. */
  readonly snoozes: SnoozeService;
  /**
   * The distributed mode's takeover (cluster/): brings the detection state of the users `belongs`
   * selects up to date from the store, from events another process stored since this one last saw
   * them (those already in memory are skipped, by id), their open alerts and their locks.
   * Returns how many events were replayed.
   */
  catchUp(belongs: (user: string) => boolean): Promise<number>;
  /**
   * What committed batches still owe (announcements, responses; ingest/pending-effects.ts). One
   * process takes up what its previous run left at start; a worker, its partitions' rows in catchUp.
   */
  readonly effects: PendingEffects;
  /**
   * The distributed mode: what the other workers stored and the IP and device alerts they raised,
   * kept where this process's rules read across accounts (cluster/source-share.ts).
   */
  readonly sharedSources: SharedSources;
  /** The distributed mode: whether this worker counts stored events for the volume monitor (cluster/). */
  readonly eventCounting: EventCounting;
  /**
   * The distributed mode: what another process changed is read again from the store into this
   * process's memory (lists, snoozes, rules, one owner's trust marks and familiarity, one account's
   * lock, one alert's status; `everything` after this process lost NATS for a while and may have
   * missed some).
   */
  refresh(change: SharedChange): Promise<void>;
  /**
   * The distributed mode: this process scores only the users `scores` selects (its partitions' users;
   * nobody in an api), so the open alerts about anyone else that reach it are let go and not kept.
   * Asked again whenever the selection shrinks.
   */
  scoreOnly(scores: (user: string) => boolean): void;
  /** Distributed mode: every later commit of events first passes `fence` (store/postgres/partition-fence.ts). */
  fenceWrites(fence: WriteFence): void;
  /** Distributed mode only: the partitions this process serves and its requests under way, for /healthz. */
  readonly cluster?: ClusterStatus;
  /** Flushes pending writes and deliveries, then closes the database. */
  close(): Promise<void>;
}

export interface ClusterStatus {
  partitions(): readonly number[];
  lag(): number;
}

export interface SystemOverrides {
  readonly clock?: Clock;
  /** Tests share one geo-IP reader across many systems: it holds ~65 MB. */
  readonly geoIp?: GeoIp;
  /** Replaces rule-based detection entirely (tests of ingestion alone). */
  readonly detector?: Detector;
  /** The built-in rules; tests may narrow them. */
  readonly builtinRules?: readonly Rule<any>[];
  readonly logger?: Logger;
  /** Resolves webhook target host names; tests answer without DNS. */
  readonly webhookLookup?: HostLookup;
  /**
   * Keep the detection snapshot (config.detectionSnapshotFile): load it at start, take it at an
   * interval and at close. Only the server does: a short-lived `vigil import` beside a running server
   * would overwrite the server's snapshot with a state that misses the server's latest events.
   */
  readonly detectionSnapshots?: boolean;
  /** The snapshot file, already being read (see DetectionSnapshotsDependencies.readAhead). */
  readonly detectionSnapshotReadAhead?: Promise<SnapshotFileRead>;
}

/** The composition root. */
export async function createSystem(config: Config, overrides: SystemOverrides = {}): Promise<System> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? consoleLogger;
  // The geo-IP databases (two files of about 65 MB) start reading before the database opens, not
  // after everything before their use: their reads go on whenever the main thread awaits. A failure
  // shows where they are awaited; the empty catch only keeps it from being reported as unhandled
  // when the database fails first.
  const geoIpOpening: Promise<GeoIp> = overrides.geoIp === undefined ? MmdbGeoIp.openBoth() : Promise.resolve(overrides.geoIp);
  geoIpOpening.catch(() => {});
  const database = await openDatabase(config.database, { migrate: true });
  try {
    const secret = config.secretKey ? ServerSecret.fromBytes(config.secretKey) : ServerSecret.loadOrCreate(config.secretKeyFile);
    const events = new SqlEventStore(database);
    const apiKeys = new SqlApiKeyStore(database);
    const audit = new AuditTrail(new SqlAuditStore(database), clock);
    await ensureConfiguredKeys(apiKeys, audit, config, clock, logger);
    const geoIp = await geoIpOpening;
    const bus = new InProcessBus((error, topic) => logger.error(`bus subscriber on ${topic} failed`, error));
    const metrics = new VigilMetrics({ role: config.role });
    const writer = new GroupCommitWriter(measuredInserts(events, metrics));
    const novelty = new NoveltyTracker(events, { trustAfterDays: config.trustAfterDays });
    const enricher = new Enricher(geoIp, new UserAgentParser(), novelty);

    const alerts = new SqlAlertStore(database);
    const alertBook = new AlertBook();
    metrics.countOpenAlertsHeld(() => alertBook.size);
    // Anomaly models are in memory before the first event is scored; one that cannot be used is left out.
    const models = new ModelRegistry(new SqlModelStore(database), clock, audit);
    const unusableModel = (id: string, problem: Problem) => logger.warn(`Anomaly model ${id} is not used: ${problem.message}`);
    await models.load(unusableModel);
    const rules = new RuleCatalog(
      new SqlRuleSettingsStore(database),
      new RuleSet(),
      overrides.builtinRules ?? builtinRules({ models }),
      clock,
      audit,
      () => bus.publish('settings.changed', { what: 'rules' }),
    );
    const invalidRule = (ruleId: string, problem: Problem) =>
      logger.warn(`Stored settings of rule ${ruleId} are invalid (${problem.message}); using its defaults.`);
    await rules.load(invalidRule);
    const ruleStats = new RuleStats(new SqlRuleStatsStore(database), clock, (error) =>
      logger.error('saving rule hit counts failed; kept for the next flush', error),
    );
    ruleStats.track(rules.ruleSet.all().map((e) => e.rule.id));
    const history = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: config.detectionMemoryMb * 1024 * 1024 });
    // Allow and block lists are in memory before the first event is scored.
    const lists = new ListBook();
    const listService = new ListService({
      store: new SqlListStore(database),
      book: lists,
      audit,
      clock,
      ruleExists: (id) => rules.ruleSet.get(id) !== undefined,
      changed: () => bus.publish('settings.changed', { what: 'lists' }),
    });
    for (const entry of await listService.load())
      logger.warn(`List entry ${entry.id} (${entry.kind} "${entry.value}") is not used: its value is not valid.`);
    // Snoozes in force are in memory before the first event is scored.
    const snoozeBook = new SnoozeBook();
    const snoozes = new SnoozeService({
      store: new SqlSnoozeStore(database),
      book: snoozeBook,
      rules: rules.ruleSet,
      audit,
      clock,
      changed: () => bus.publish('settings.changed', { what: 'snoozes' }),
    });
    await snoozes.load();
    const engine = new DetectionEngine({
      memory: { history, alerts: alertBook },
      book: { rules: rules.ruleSet, lists, snoozes: snoozeBook },
      policy: config.scoring,
      clock,
      onRuleError: (ruleId, error) => logger.error(`rule ${ruleId} failed; skipped for this event`, error),
      ruleHits: ruleStats,
    });
    const snapshots =
      overrides.detectionSnapshots && config.detectionSnapshotFile !== undefined
        ? new DetectionSnapshots({
            file: config.detectionSnapshotFile,
            ...(overrides.detectionSnapshotReadAhead !== undefined && { readAhead: overrides.detectionSnapshotReadAhead }),
            history,
            clock,
            // Read when a snapshot is taken, after the start: the pipeline is built further down.
            oldestUnscored: () => pipeline.oldestUnscored(),
            storedMark: () => events.storedMark(),
            onError: (message, error) => logger.error(message, error),
            onSaved: (saved) =>
              logger.info(
                `Detection snapshot written: ${(saved.bytes / 1024 / 1024).toFixed(1)} MB, encoded in slices over ${Math.round(saved.encodeMs)} ms, written in ${Math.round(saved.writeMs)} ms.`,
              ),
          })
        : undefined;
    await warmDetection({
      engine,
      book: alertBook,
      events,
      alerts,
      rules: rules.ruleSet,
      clock,
      history,
      snapshots,
      // One process writes a SQLite file, with one clock: what its snapshot says it lacks is exact.
      exactReplayFrom: config.database.dialect === 'sqlite',
      logger,
    });

    const outbox = new SqlOutboxStore(database);
    const notifier = createNotifier(config, { outbox, clock, log: logger });
    const webhooks = createWebhookDispatcher({
      store: new SqlWebhookStore(database),
      key: secret.subkey('webhook-secrets'),
      clock,
      log: logger,
      audit,
      allowCidrs: config.webhookAllowCidrs,
      ...(overrides.webhookLookup && { lookup: overrides.webhookLookup }),
    });
    webhooks.subscribe(bus);
    const staffNotifications = createStaffNotifications({
      store: new SqlStaffNotifyStore(database),
      key: secret.subkey('staff-channel-urls'),
      clock,
      log: logger,
      audit,
      publicUrl: config.publicUrl,
      ruleExists: (id) => rules.ruleSet.get(id) !== undefined,
      // The same rule as webhooks: chat services are on the internet; an internal one must be allowed.
      allowCidrs: config.webhookAllowCidrs,
      ...(overrides.webhookLookup && { lookup: overrides.webhookLookup }),
      alerts,
      notifier,
      digest: { cadence: config.staffDigest, recipients: config.adminEmails },
    });
    staffNotifications.subscribe(bus);

    // Response: locks in force and owners' trust verdicts are loaded before the first event is scored.
    const accountStore = new SqlAccountStore(database);
    const locks = new LockBook();
    for (const { user, lock } of await accountStore.listLocks()) locks.set(user, lock);
    for (const m of await accountStore.listTrust())
      history.setTrust(m.user, m.kind, m.value, { trust: m.trust, ...(m.alertId && { alertId: m.alertId }) });
    const responder = new Responder({ locks, policy: config.responsePolicy, clock });
    const alertService = new AlertService(alerts, alertBook, clock, audit, bus);
    const duplicateAlerts = new DuplicateAlerts(alertService, { onError: (message, error) => logger.error(message, error) });
    /** Another process's alert about an IP or a device: which to keep, and which to close as a duplicate (alert-book.ts). */
    const keepSourceAlert = (alert: Alert) => {
      const entry = rules.ruleSet.get(alert.ruleId);
      const choice = alertBook.sharedSourceAlert(alert, entry ? entry.rule.windowMs(entry.config) : undefined);
      if (choice) void duplicateAlerts.close(choice.duplicate, choice.kept);
    };
    const { accountService, responseWorker } = buildAccountService({
      accounts: accountStore,
      locks,
      notifier,
      secret,
      history,
      novelty,
      alertService,
      database,
      audit,
      bus,
      config,
      clock,
      logger,
    });
    // Counts reported to POST /v1/monitor, and payment events counted per minute by event time;
    // minutes completed while Vigil was down are judged at start, from the stored events.
    // What committed batches owe (announcements of raised alerts, responses): stored with them.
    const effects = new PendingEffects({
      store: new SqlPendingEffectsStore(database),
      alert: (id) => alerts.get(id),
      bus,
      responses: responseWorker,
      clock,
      onError: (message, error) => logger.error(message, error),
    });
    const monitor = new VolumeMonitor({
      store: new SqlMonitorStore(database),
      bus,
      effects,
      clock,
      audit,
      settings: {
        ...DEFAULT_MONITOR_SETTINGS,
        sensitivity: config.monitorSensitivity,
        closeAfterMinutes: config.monitorCloseAfterMinutes,
      },
    });
    // One process counts its own stored events, from the start. In the distributed mode one worker
    // counts every worker's, while it holds the lease that says so (monitor/event-counting.ts); an
    // api stores none.
    const eventCounting = new EventCounting(monitor, events, clock);
    if (config.role === 'all') {
      await monitor.warm(events);
      bus.subscribe('events.stored', (stored) => monitor.onEventsStored(stored));
    } else if (config.role === 'worker') {
      bus.subscribe('events.stored', (stored) => eventCounting.stored(stored));
    }

    const people = new PeopleService({
      store: new SqlPeopleStore(database),
      totp: new TotpCodes(secret.subkey('totp-secrets'), clock),
      csrfKey: secret.subkey('session-csrf'),
      audit,
      clock,
    });
    const oidc = config.oidc
      ? new OidcSignIn({ settings: config.oidc, people, audit, flowKey: secret.subkey('oidc-flow'), clock, logger })
      : undefined;

    const feed = new LiveFeed(bus);
    const pipeline = new IngestService({
      store: events,
      enricher,
      openAlerts: alertBook,
      detector: measuredDetector(overrides.detector ?? engine, metrics),
      responder,
      writer,
      bus,
      effects,
      clock,
    });
    // Last, once nothing below can fail: deliveries left pending by the previous run go out now.
    webhooks.start();
    staffNotifications.start();
    ruleStats.start();
    snapshots?.start(config.detectionSnapshotMinutes * 60_000);
    // What the previous run committed and had not yet announced or carried out (it stopped in
    // between) goes out now. A worker takes up its partitions' rows when it takes them (catchUp).
    if (config.role === 'all') {
      void effects.resume().catch((error: unknown) => logger.error('taking up pending effects failed', error));
      effects.start(PENDING_EFFECTS_RESUME_MS);
    }
    // Activations made by `vigil train --activate` in another process reach this one within 30 s.
    const stopWatchingModels = models.watch(
      MODEL_REFRESH_MS,
      (error) => logger.error('checking for newly activated anomaly models failed', error),
      unusableModel,
    );
    // Login files are scored in a worker thread, so that events are not held up behind a forest fit.
    const logins = new LoginScoringService({
      store: new SqlLoginScoreStore(database),
      notifier,
      adminEmails: config.adminEmails,
      clock,
      log: logger,
      audit,
      scorer: new WorkerUploadScorer(),
    });
    return {
      config,
      clock,
      database,
      secret,
      events,
      apiKeys,
      authenticator: new ApiKeyAuthenticator(apiKeys),
      authFailures: new FailureLimiter(clock),
      people,
      ...(oidc && { oidc }),
      feed,
      activity: new SqlActivityStore(database),
      bus,
      writer,
      ingest: measuredIngest(pipeline, metrics),
      pipeline,
      metrics,
      alerts,
      alertService,
      alertOwners: new AlertOwnership({
        store: alerts,
        // Alerts do not know about sign-ins: they see the people who may own one through this port.
        staff: {
          assignable: async (id) => {
            const person = await people.assignable(id);
            return person && { id: person.id, email: person.email };
          },
        },
        book: alertBook,
        clock,
        audit,
        bus,
      }),
      alertComments: new AlertComments(alerts, clock, audit),
      triageFigures: new TriageFigures(alerts, clock),
      alertExport: new AlertExport(alerts, audit),
      savedViews: new SavedViews(new SqlSavedViewStore(database), clock, audit),
      accountService,
      locks,
      rules,
      ruleStats,
      history,
      notifier,
      outbox,
      webhooks,
      staffNotifications,
      audit,
      models,
      logins,
      monitor,
      lists,
      listService,
      snoozes,
      async catchUp(belongs) {
        const since = clock.now() - Math.max(rules.ruleSet.longestWindowMs(), 25 * 3_600_000);
        let replayed = 0;
        for await (const page of events.scan(since, Number.MAX_SAFE_INTEGER)) {
          const missing: StoredEvent[] = [];
          for (const e of page) {
            if (belongs(e.user)) {
              // Not had yet: neither held nor a page view its timeline has let go of (memory-history.ts).
              if (!history.holds(e)) missing.push(e);
            } else if (e.ip !== undefined || e.device !== undefined) {
              // Another worker's user: its IP and device part, in case the shared sources missed it
              // (stored before this worker listened, or while NATS was away); kept once.
              engine.rememberSource(e);
            }
          }
          // Their IP and device part may have come already from their previous owner: not kept twice.
          engine.adopt(missing);
          replayed += missing.length;
        }
        // Traffic alerts belong to no user's partition (the volume monitor is not partitioned yet);
        // alerts about an IP or a device are every worker's (cluster/source-share.ts).
        alertBook.warm(
          (await alerts.listOpen(since)).filter(
            (a) => a.subject.kind === 'ip' || a.subject.kind === 'device' || (a.user !== undefined && belongs(a.user)),
          ),
        );
        for (const { user, lock } of await accountStore.listLocks()) if (belongs(user)) locks.set(user, lock);
        // What their previous owner committed and had not announced or carried out when it stopped.
        void effects.resume(belongs).catch((error: unknown) => logger.error('taking up pending effects failed', error));
        return replayed;
      },
      scoreOnly(scores) {
        alertBook.keepOnly(scores);
      },
      fenceWrites(fence) {
        events.fenceWith(fence);
      },
      eventCounting,
      effects,
      sharedSources: {
        events(shared) {
          for (const e of shared) engine.rememberSource(e);
          eventCounting.stored(shared);
        },
        // The latest state of each: a repeat here then grows the same alert, not one per worker;
        // of two raised at the same moment, the first raised (alert-book.ts), the other closed.
        alerts(shared) {
          for (const a of shared) keepSourceAlert(a);
        },
      },
      async refresh(change) {
        switch (change.what) {
          case 'lists':
            await listService.load();
            return;
          case 'snoozes':
            await snoozes.load();
            return;
          case 'rules':
            await rules.load(invalidRule);
            return;
          case 'owner':
            for (const m of await accountStore.userTrust(change.user))
              history.setTrust(m.user, m.kind, m.value, { trust: m.trust, ...(m.alertId && { alertId: m.alertId }) });
            // Familiarity is read from the store again the next time the user's events are enriched.
            novelty.forget([change.user]);
            return;
          case 'lock': {
            const account = await accountStore.get(change.user);
            locks.set(change.user, account?.lock);
            return;
          }
          case 'alert':
            // An alert about an IP or a device comes both ways (the shared sources and this relay):
            // the same choice of the one raised first either way, or this way would undo it.
            if (change.alert.subject.kind === 'ip' || change.alert.subject.kind === 'device') keepSourceAlert(change.alert);
            else alertBook.statusChanged(change.alert);
            return;
          case 'everything':
            await Promise.all([listService.load(), snoozes.load(), rules.load(invalidRule)]);
            // Locks taken meanwhile; a lock lifted meanwhile stays until its account's next change
            // (dropping every lock the store lacks could drop one this process is writing right now).
            for (const { user, lock } of await accountStore.listLocks()) locks.set(user, lock);
            return;
          default:
            assertExhaustive(change, 'shared change');
        }
      },
      async close() {
        stopWatchingModels();
        await logins.close();
        await writer.flushed();
        // Every event in flight is scored: the state the next start begins from.
        await snapshots?.close();
        // What the committed batches owe is done, and their rows deleted (the bus is still open).
        await effects.close();
        await duplicateAlerts.stop();
        await bus.close();
        await accountService.settled();
        await monitor.settled();
        // Every finding of the events written above is counted: the last counts go to the database.
        await ruleStats.close();
        // After the bus (whose subscribers may still be emitting), before the database it writes to.
        await webhooks.stop();
        await staffNotifications.stop();
        await audit.flushed();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * The response side, one class per concern, behind `AccountService` for the API; its workers listen
 * to the bus: responses planned by the ingest path, and what stored events teach (contacts, health).
 */
function buildAccountService(r: {
  accounts: SqlAccountStore;
  locks: LockBook;
  notifier: Notifier;
  secret: ServerSecret;
  history: MemoryHistory;
  novelty: NoveltyTracker;
  alertService: AlertService;
  database: DatabaseHandle;
  audit: AuditTrail;
  bus: Bus;
  config: Config;
  clock: Clock;
  logger: Logger;
}): { accountService: AccountService; responseWorker: ResponseWorker } {
  const { accounts, locks, audit, bus, clock } = r;
  const onError = (message: string, error: unknown) => r.logger.error(message, error);
  const health = new SecurityHealth({ healthFacts: new SqlHealthFacts(r.database), accounts, locks, clock, onError });
  const codes = new OneTimeCodes({ accounts, sender: r.notifier, audit, secret: r.secret, clock });
  const locking = new AccountLocking({ accounts, locks, audit, bus, clock, health });
  const trust = new OwnerTrust({
    accounts,
    history: r.history,
    familiarity: r.novelty,
    audit,
    clock,
    onError,
    changed: (user) => bus.publish('settings.changed', { what: 'owner', user }),
  });
  const notices = new AccountNotices(r.notifier, r.config.adminEmails, audit, onError);
  const contacts = new AccountContacts(accounts, audit, clock);
  const worker = new ResponseWorker({ accounts, locking, codes, notices, health, onError });
  bus.subscribe('events.stored', async (stored) => {
    health.onEventsStored(stored);
    await contacts.onEventsStored(stored);
  });
  const accountService = new AccountService({
    views: new AccountViews(accounts, locks, health, clock),
    contacts,
    locking,
    unlockCodes: new UnlockCodes(locking, codes, r.alertService, trust),
    verdicts: new OwnerVerdicts({ alerts: r.alertService, codes, trust, locking, audit, notices }),
    worker,
  });
  return { accountService, responseWorker: worker };
}

const AMOUNT_HISTORY_MS = 90 * 24 * 3_600_000;
/**
 * After a snapshot, the events received from the oldest batch under way when it was taken are read
 * again (an event is received, its `received_at`, before it is scored, and a batch can wait behind
 * others); those it already holds are skipped. On PostgreSQL, where other processes with clocks of
 * their own may have stored events, and for a snapshot that does not say, from this long before it.
 */
const SNAPSHOT_REPLAY_MARGIN_MS = 60_000;
/** Receipt times come from the wall clock, which a time daemon may step back a little. */
const CLOCK_STEP_MARGIN_MS = 1_000;

/**
 * Detection state lives in memory; at start it is rebuilt from the store: the events inside the
 * longest rule window (at least a day) replayed in event-time order, and the open alerts. With a
 * usable snapshot, its state is taken as it is and only the events received after it are replayed.
 */
async function warmDetection(w: {
  engine: DetectionEngine;
  book: AlertBook;
  events: EventStore;
  alerts: AlertStore;
  rules: RuleSet;
  clock: Clock;
  history: MemoryHistory;
  snapshots: DetectionSnapshots | undefined;
  /** Whether the snapshot's `replayFrom` is exact (else the events of a minute before it are read too). */
  exactReplayFrom: boolean;
  logger: Logger;
}): Promise<void> {
  const { engine, events, history } = w;
  const since = w.clock.now() - Math.max(w.rules.longestWindowMs(), 25 * 3_600_000);
  // Where a start's time goes, in its log line: the wall time of each step (performance.now, not the clock).
  let stepStart = performance.now();
  const lap = () => {
    const ms = Math.round(performance.now() - stepStart);
    stepStart = performance.now();
    return ms;
  };
  const snapshot = w.snapshots ? await usableSnapshot(w) : undefined;
  if (snapshot) {
    const readMs = lap();
    history.restore(snapshot.state);
    const restoreMs = lap();
    history.lastRecordedId ??= snapshot.meta.anchorEventId;
    const { takenAt, replayFrom, storedUpTo } = snapshot.meta;
    const from = since - AMOUNT_HISTORY_MS;
    // Every event stored after the snapshot's mark, whenever it was received; without a mark (or one
    // the store no longer holds), the events received from the oldest request under way then.
    const afterMark = storedUpTo === undefined ? undefined : events.scanStoredAfter(storedUpTo, from);
    const receivedFrom =
      (replayFrom ?? takenAt) - (w.exactReplayFrom && replayFrom !== undefined ? CLOCK_STEP_MARGIN_MS : SNAPSHOT_REPLAY_MARGIN_MS);
    if (storedUpTo !== undefined && afterMark === undefined)
      w.logger.info('Detection snapshot: its mark of the stored events no longer holds; reading the events received after it.');
    let replayed = 0;
    for await (const page of afterMark ?? events.scan(from, Number.MAX_SAFE_INTEGER, { receivedFrom })) {
      const fresh = page.filter((e) => !history.holds(e));
      // What a full replay does with them: older than the windows, amounts and habits only.
      const older = fresh.filter((e) => e.occurredAt < since);
      engine.warmAmounts(older);
      for (const e of older) history.recordProfile(new DetectionEventView(e));
      engine.warm(fresh.filter((e) => e.occurredAt >= since));
      replayed += fresh.length;
    }
    const replayMs = lap();
    const load = w.snapshots?.lastLoad;
    const loadNote =
      load === undefined ? '' : ` (${load.waitedMs} ms waiting for the file's reading thread, ${load.decodedMs} ms decoding)`;
    w.book.warmHeads(await w.alerts.listOpenHeads(since), (ids) => w.alerts.getMany(ids));
    w.logger.info(
      `Detection state from the snapshot of ${new Date(snapshot.meta.takenAt).toISOString()}, and ${replayed} events after it ` +
        `(snapshot read and checked in ${readMs} ms${loadNote}, restored in ${restoreMs} ms, events after it replayed in ${replayMs} ms, ` +
        `${w.book.size} open alerts' heads loaded in ${lap()} ms).`,
    );
    return;
  }
  // Transaction baselines (the median of an account's amounts) and behaviour profiles (usual login
  // hours, merchants) reach further back than any window.
  for await (const page of events.scan(since - AMOUNT_HISTORY_MS, since, { types: ['transaction', 'login.succeeded'] })) {
    engine.warmAmounts(page);
    for (const e of page) history.recordProfile(new DetectionEventView(e));
  }
  for await (const page of events.scan(since, Number.MAX_SAFE_INTEGER)) engine.warm(page);
  w.book.warmHeads(await w.alerts.listOpenHeads(since), (ids) => w.alerts.getMany(ids));
}

/** The snapshot if this start can take it; otherwise why not, logged, and a full replay follows. */
async function usableSnapshot(w: {
  events: EventStore;
  rules: RuleSet;
  clock: Clock;
  history: MemoryHistory;
  snapshots: DetectionSnapshots | undefined;
  logger: Logger;
}): Promise<DecodedSnapshot | undefined> {
  const loaded = await w.snapshots?.load();
  if (loaded === undefined) return undefined;
  const refuse = (why: string) => {
    w.logger.info(`Detection snapshot not used (${why}): replaying the stored events.`);
    return undefined;
  };
  if ('problem' in loaded) return refuse(loaded.problem);
  const { meta } = loaded;
  if (meta.retentionMs !== w.history.limits.retentionMs || meta.maxEventsPerKey !== w.history.limits.maxEventsPerKey)
    return refuse('taken with other history limits');
  if (meta.takenAt > w.clock.now()) return refuse('taken after now: the clock went back');
  // Custom rules with an aggregate keep windows of their own, which the snapshot does not hold.
  const observing = w.rules.active().find((entry) => entry.rule.observe !== undefined);
  if (observing) return refuse(`rule ${observing.rule.id} keeps a window of its own`);
  // A snapshot of another database (or of one emptied since) names an event this one does not have.
  if (meta.anchorEventId === undefined) return refuse('it holds no events');
  if ((await w.events.findResults([meta.anchorEventId])).size === 0) return refuse('taken against another database');
  return loaded;
}

/** VIGIL_INGEST_KEY / VIGIL_ADMIN_KEY: keys with exactly these values exist (stored hashed). */
async function ensureConfiguredKeys(store: ApiKeyStore, audit: AuditTrail, config: Config, clock: Clock, logger: Logger): Promise<void> {
  const configured: Array<[string | undefined, Role]> = [
    [config.ingestKey, 'ingest'],
    [config.adminKey, 'admin'],
  ];
  for (const [secret, role] of configured) {
    if (secret === undefined) continue;
    const described = describeKey(secret, role, `${role} key from environment`, 'env', clock);
    const stored = await store.ensure(described, hashKey(secret));
    // ensure() returns the key already stored under this hash when there is one: only a new id is a creation.
    if (stored.id === described.id)
      await audit.record('vigil', 'key.created', `key:${stored.id}`, { keyId: stored.id, role, prefix: stored.prefix, source: 'env' });
    if (stored.role !== role)
      logger.warn(`The key in VIGIL_${role.toUpperCase()}_KEY already exists with role ${stored.role}; keeping ${stored.role}.`);
    if (stored.revokedAt !== null)
      logger.warn(`The key in VIGIL_${role.toUpperCase()}_KEY was revoked (${stored.id}); it will be refused.`);
  }
}

/** The command line's logger (the server passes its JSON one); no trailing "undefined" without an error. */
const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m, e) => (e === undefined ? console.error(m) : console.error(m, e)),
};
