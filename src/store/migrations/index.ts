import type { Migration } from 'kysely';
import { migration as m0001 } from './0001_events.js';
import { migration as m0002 } from './0002_detection.js';
import { migration as m0003 } from './0003_response.js';
import { migration as m0004 } from './0004_people.js';
import { migration as m0005 } from './0005_anomaly_models.js';
import { migration as m0006 } from './0006_login_scores.js';
import { migration as m0007 } from './0007_volume_monitor.js';
import { migration as m0008 } from './0008_health_indexes.js';
import { migration as m0009 } from './0009_events_user_index_without_id.js';
import { migration as m0010 } from './0010_suppressed_findings.js';
import { migration as m0013 } from './0013_rule_modes.js';
import { migration as m0014 } from './0014_snoozes.js';
import { migration as m0015 } from './0015_familiarity.js';
import { migration as m0016 } from './0016_lists.js';
import { migration as m0017 } from './0017_monitor_incidents.js';
import { migration as m0018 } from './0018_alert_owners_and_comments.js';
import { migration as m0019 } from './0019_staff_notifications.js';
import { migration as m0020 } from './0020_saved_views.js';
import { migration as m0021 } from './0021_staff_digest_lease.js';
import { migration as m0022 } from './0022_pending_effects.js';
import { migration as m0023 } from './0023_partition_fences.js';
import { migration as m0024 } from './0024_folded_alerts.js';
import { migration as m0025 } from './0025_open_alert_heads.js';

/** Every migration by name; Kysely applies them in the names' order. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_events': m0001,
  '0002_detection': m0002,
  '0003_response': m0003,
  '0004_people': m0004,
  '0005_anomaly_models': m0005,
  '0006_login_scores': m0006,
  '0007_volume_monitor': m0007,
  '0008_health_indexes': m0008,
  '0009_events_user_index_without_id': m0009,
  '0010_suppressed_findings': m0010,
  '0013_rule_modes': m0013,
  '0014_snoozes': m0014,
  '0015_familiarity': m0015,
  '0016_lists': m0016,
  '0017_monitor_incidents': m0017,
  '0018_alert_owners_and_comments': m0018,
  '0019_staff_notifications': m0019,
  '0020_saved_views': m0020,
  '0021_staff_digest_lease': m0021,
  '0022_pending_effects': m0022,
  '0023_partition_fences': m0023,
  '0024_folded_alerts': m0024,
  '0025_open_alert_heads': m0025,
};
