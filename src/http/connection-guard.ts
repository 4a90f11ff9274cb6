import type { Server, Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface ConnectionLimits {
  /** Open connections one client address may hold at once. */
  readonly perClient: number;
  /** Open connections the server holds at once, all clients together. */
  readonly total: number;
  /** Peers exempt from the per-client limit: the trusted proxies, which carry many clients each. */
  readonly exempt: readonly string[];
}

export interface GuardLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** One warning per address (and one for the total) at most this often: a flood must not flood the log. */
const WARN_EVERY_MS = 10_000;

/**
 * Caps open connections per client address and overall. A connection over a cap is closed at once,
 * before it can hold a file descriptor or a parser, and the first one of each burst is logged. Without
 * it, two clients holding 21,000 half-open connections stopped every request for a minute, silently.
 */
export class ConnectionGuard {
  private readonly open = new Map<string, number>();
  private total = 0;
  private readonly lastWarned = new Map<string, number>();
  private readonly exempt: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  /** Connections refused since start, by cap: for tests and health. */
  refused = { perClient: 0, total: 0 };

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly log: GuardLog,
    private readonly now: () => number = Date.now,
  ) {
    this.exempt = limits.exempt.map((cidr) => (cidr.includes('/') ? ipaddr.parseCIDR(cidr) : toRange(cidr)));
  }

  attach(server: Server): void {
    server.on('connection', (socket) => this.admit(socket));
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const mine = this.open.get(address) ?? 0;
    if (this.total >= this.limits.total) {
      this.refused.total++;
      this.warn(
        '*',
        { limit: this.limits.total, open: this.total },
        'connection refused: the server holds its maximum of open connections',
      );
      socket.destroy();
      return;
    }
    if (mine >= this.limits.perClient && !this.isExempt(address)) {
      this.refused.perClient++;
      this.warn(
        address,
        { client: address, limit: this.limits.perClient },
        'connection refused: this client holds its maximum of open connections',
      );
      socket.destroy();
      return;
    }
    this.open.set(address, mine + 1);
    this.total++;
    socket.once('close', () => {
      this.total--;
      const left = (this.open.get(address) ?? 1) - 1;
      if (left === 0) this.open.delete(address);
      else this.open.set(address, left);
    });
  }

  private isExempt(address: string): boolean {
    if (this.exempt.length === 0 || !ipaddr.isValid(address)) return false;
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    return this.exempt.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  }

  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    const last = this.lastWarned.get(key);
    if (last !== undefined && t - last < WARN_EVERY_MS) return;
    this.lastWarned.set(key, t);
    if (this.lastWarned.size > 10_000) this.lastWarned.delete(this.lastWarned.keys().next().value as string);
    this.log.warn(fields, message);
  }
}

function toRange(address: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const parsed = ipaddr.parse(address);
  return [parsed, parsed.kind() === 'ipv4' ? 32 : 128];
}
