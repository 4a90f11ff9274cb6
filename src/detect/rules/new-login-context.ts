import { type Static, Type } from '@sinclair/typebox';
import { HOUR } from '../../core/time.js';
import type { HitSeverity, SuggestedAction } from '../../domain/alert.js';
import type { PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';

const severityField = (description: string) =>
  Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')], { description });
const RANK: Readonly<Record<HitSeverity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
const DAY = 24 * HOUR;

export const NewLoginContextConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    checkNewDevice: Type.Boolean({ description: 'Flag logins from a device the account has not used before.' }),
    checkNewCountry: Type.Boolean({ description: 'Flag logins from a country the account has not logged in from before.' }),
    checkNewNetwork: Type.Boolean({ description: 'Flag logins from a network (IPv4 /24, IPv6 /48) the account has not used before.' }),
    newDeviceSeverity: severityField('Severity of a new device alone.'),
    newCountrySeverity: severityField('Severity of a new country alone, from a device that is not known to be the usual one.'),
    newCountryKnownDeviceSeverity: severityField(
      "Severity of a new country from one of the account's known devices: most often the owner travelling with their phone.",
    ),
    newNetworkSeverity: severityField('Severity of a new network alone.'),
    newDeviceAndCountrySeverity: severityField('Severity of a new device and a new country at once.'),
    usualCountriesDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'How far back the countries named as usual in the message are read (as far as detection history reaches).',
    }),
  },
  { additionalProperties: false },
);
export type NewLoginContextConfig = Static<typeof NewLoginContextConfigSchema>;

/**
 * A login from a device, country or network the account has not used before. Novelty itself comes
 * from enrichment, which remembers every device, country and network an account has used; an
 * account's very first login is never flagged, since everything about it is new.
 */
export const newLoginContextRule: Rule<NewLoginContextConfig> = {
  id: 'new-login-context',
  title: 'Login from a new device, country or network',
  description: 'A successful login from a device, country or network the account has not used before.',
  alertType: 'security',
  configSchema: NewLoginContextConfigSchema,
  defaults: {
    enabled: true,
    checkNewDevice: true,
    checkNewCountry: true,
    checkNewNetwork: true,
    newDeviceSeverity: 'low',
    newCountrySeverity: 'medium',
    newCountryKnownDeviceSeverity: 'low',
    newNetworkSeverity: 'low',
    newDeviceAndCountrySeverity: 'medium',
    usualCountriesDays: 30,
  },
  // Alerts about the same account's new places within a day are one story. The usual-countries
  // look-back is deliberately not the window: it would make start-up replay that much history.
  windowMs: () => DAY,

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'login.succeeded') return undefined;
    const { novelty, geo, network } = event.enrichment;
    if (!novelty.hasHistory) return undefined;
    // What the owner confirmed ("this was me" on an earlier alert) is not new any more.
    const trusted = (kind: 'device' | 'country', value: string | undefined) =>
      value !== undefined && history.trustOf(event.user, kind, value)?.trust === 'trusted';
    const newDevice = config.checkNewDevice && novelty.newDevice === true && !trusted('device', event.device);
    const newCountry = config.checkNewCountry && novelty.newCountry === true && !trusted('country', geo?.country);
    const newNetwork = config.checkNewNetwork && novelty.newNetwork === true;
    if (!newDevice && !newCountry && !newNetwork) return undefined;
    // A familiar device in a new country is most often its owner abroad; a new device there is not.
    const knownDevice = novelty.newDevice === false;

    const severities: HitSeverity[] = [];
    if (newDevice && newCountry) severities.push(config.newDeviceAndCountrySeverity);
    else if (newDevice) severities.push(config.newDeviceSeverity);
    else if (newCountry) severities.push(knownDevice ? config.newCountryKnownDeviceSeverity : config.newCountrySeverity);
    if (newNetwork) severities.push(config.newNetworkSeverity);
    const severity = severities.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));

    const parts: string[] = [];
    const evidence: Record<string, unknown> = { newDevice, newCountry, newNetwork, knownDevice };
    if (newDevice) {
      parts.push('a new device');
      if (event.device !== undefined) evidence.device = event.device;
      if (event.enrichment.userAgent !== undefined) evidence.userAgent = event.enrichment.userAgent.summary;
    }
    if (newCountry && geo?.country !== undefined) {
      const usual = usualCountries(
        history.forUser(event.user, event.occurredAt - config.usualCountriesDays * DAY, event.occurredAt),
        geo.country,
      );
      parts.push(`a new country (${geo.country}${usual.length > 0 ? `; usual: ${usual.join(', ')}` : ''})`);
      evidence.country = geo.country;
      evidence.usualCountries = usual;
    }
    if (newNetwork) {
      parts.push(network !== undefined ? `a new network (${network})` : 'a new network');
      if (network !== undefined) evidence.network = network;
    }

    const actions: SuggestedAction[] = [];
    if (RANK[severity] >= RANK.medium) actions.push('confirm_with_user_by_otp');
    if (newDevice) actions.push('review_device');
    return {
      severity,
      message: `Login from ${listing(parts)}${newCountry && knownDevice ? ', on a known device' : ''}`,
      evidence,
      ...(actions.length > 0 && { suggestedActions: actions }),
    };
  },
};

/** Countries of the account's trusted events (failed logins may be anyone's), most frequent first, at most 3. */
function usualCountries(events: readonly PastEvent[], current: string): string[] {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'login.failed' || e.country === undefined || e.country === current) continue;
    counts.set(e.country, (counts.get(e.country) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([country]) => country);
}

/** "a", "a and b", "a, b and c". */
function listing(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
