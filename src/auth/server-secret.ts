import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The server's own secret: 32 random bytes, from VIGIL_SECRET_KEY or, when that is not set, from a
 * file created once beside the data (mode 0600). It never enters the database, so a stolen database
 * alone cannot brute-force one-time codes (stored as HMACs under it) or read webhook signing secrets
 * (stored encrypted under it). Each use gets its own subkey.
 */
export class ServerSecret {
  private constructor(private readonly master: Buffer) {}

  static fromBytes(master: Buffer): ServerSecret {
    if (master.length !== 32) throw new Error('The server secret must be 32 bytes.');
    return new ServerSecret(master);
  }

  /** Reads the key file, or creates it with a fresh random key if it does not exist. */
  static loadOrCreate(file: string): ServerSecret {
    try {
      return ServerSecret.fromBytes(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const key = randomBytes(32);
    // 'wx': never overwrite a key another process created meanwhile; read theirs instead.
    try {
      fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ServerSecret.loadOrCreate(file);
      throw error;
    }
    return new ServerSecret(key);
  }

  /** A 32-byte key for one purpose, derived with HKDF-SHA256. */
  subkey(purpose: 'one-time-codes' | 'webhook-secrets' | 'session-csrf' | 'totp-secrets' | 'oidc-flow' | 'staff-channel-urls'): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), `vigil:${purpose}`, 32));
  }

  /** HMAC-SHA256 of a short secret (a one-time code), hex. */
  static hmac(key: Buffer, value: string): string {
    return createHmac('sha256', key).update(value).digest('hex');
  }

  /** AES-256-GCM, as `iv.tag.ciphertext` in base64url. */
  static encrypt(key: Buffer, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  static decrypt(key: Buffer, sealed: string): string {
    const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !body) throw new Error('Sealed value is malformed.');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
