import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../core/clock.js';
import { ServerSecret } from './server-secret.js';

const PERIOD_S = 30;

export interface NewTotpSecret {
  /** Base32, for people who type it into their app instead of scanning. */
  readonly secret: string;
  readonly otpauthUrl: string;
  /** AES-256-GCM under the TOTP subkey: what the database keeps. */
  readonly sealed: string;
}

/**
 * RFC 6238 codes (SHA-1, 6 digits, 30 s: what every authenticator app reads from a QR code). One
 * step either side is accepted for clock drift; the caller records the step it accepted so that the
 * same code is never accepted twice.
 */
export class TotpCodes {
  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {}

  create(email: string): NewTotpSecret {
    const secret = new Secret({ size: 20 });
    const totp = this.totp(secret, email);
    return { secret: secret.base32, otpauthUrl: totp.toString(), sealed: ServerSecret.encrypt(this.key, secret.base32) };
  }

  /** The time step the code belongs to, or undefined when it is wrong for now ±1 step. */
  check(sealed: string, code: string): number | undefined {
    if (!/^[0-9]{6}$/.test(code)) return undefined;
    const totp = this.totp(Secret.fromBase32(ServerSecret.decrypt(this.key, sealed)), '');
    const now = this.clock.now();
    const delta = totp.validate({ token: code, timestamp: now, window: 1 });
    return delta === null ? undefined : Math.floor(now / 1000 / PERIOD_S) + delta;
  }

  /** The current code: for tests and the demo's own checks, never sent anywhere. */
  codeFor(sealed: string, at = this.clock.now()): string {
    return this.totp(Secret.fromBase32(ServerSecret.decrypt(this.key, sealed)), '').generate({ timestamp: at });
  }

  private totp(secret: Secret, label: string): TOTP {
    return new TOTP({ issuer: 'Vigil', label, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret });
  }
}
