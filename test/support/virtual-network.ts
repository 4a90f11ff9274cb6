import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Machines for a test, on one: each host a Linux network namespace of its own (`ip netns`) with one
 * interface on a private bridge, so processes on two hosts talk over a network, not one loopback.
 *
 * ```
 *   machine's namespace (the test)       vigil-N-hub                     vigil-N-<host>
 *   vglNr 10.231.N.1/24 ── veth ── uplink ─┐                 ┌─ hI ── veth ── eth0 10.231.N.(I+1)
 *                                          └────── br0 ──────┘
 * ```
 *
 * The bridge lives in a namespace of its own (the hub), so the only change to the machine's own
 * namespace is one veth with one address, the gateway, where the test reaches the hosts and where
 * its relays to the machine's services listen (`TcpRelay`). Nothing forwards or routes: a host
 * reaches the other hosts and the gateway, nothing beyond.
 *
 * Every run takes a subnet 10.231.N.0/24 of its own, N chosen at random and claimed by creating the
 * hub's namespace, which fails if it exists (two vitest workers, or two checkouts, running at once);
 * every name is derived from N. `remove()` deletes the namespaces, and the veths go with them.
 */
export class VirtualNetwork {
  private readonly hosts: VirtualHost[] = [];
  private removed = false;

  private constructor(
    /** `vigil-<N>`: the prefix of every namespace of this network. */
    readonly tag: string,
    private readonly subnet: number,
  ) {}

  /** The test's side: the address in the machine's namespace that every host reaches. */
  get gateway(): string {
    return `10.231.${this.subnet}.1`;
  }

  private get hub(): string {
    return `${this.tag}-hub`;
  }

  private get rootLink(): string {
    // Interface names have at most 15 characters: `vgl` + N + `r`.
    return `vgl${this.subnet}r`;
  }

  static create(): VirtualNetwork {
    let failure: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const subnet = 1 + Math.floor(Math.random() * 254);
      // A route over this subnet (anything but the default): the machine's, or a network still going away.
      const covering = ip(['-4', 'route', 'show', 'match', `10.231.${subnet}.0/24`])
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith('default'));
      if (covering.length > 0) continue;
      const network = new VirtualNetwork(`vigil-${subnet}`, subnet);
      try {
        ip(['netns', 'add', network.hub]);
      } catch (error) {
        failure = error; // Another run holds this subnet.
        continue;
      }
      try {
        network.remember(network.hub);
        network.buildHub();
        return network;
      } catch (error) {
        // The gateway's name still taken by a network being deleted (the kernel removes them a moment later).
        failure = error;
        network.remove();
      }
    }
    throw new Error(`no virtual network 10.231.N.0/24 could be made in 20 tries: ${(failure as Error | undefined)?.message}`);
  }

  private buildHub(): void {
    ip(['-n', this.hub, 'link', 'set', 'lo', 'up']);
    ip(['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.hub, 'link', 'set', 'br0', 'up']);
    ip(['link', 'add', this.rootLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', this.hub]);
    ip(['-n', this.hub, 'link', 'set', 'uplink', 'master', 'br0', 'up']);
    ip(['addr', 'add', `${this.gateway}/24`, 'dev', this.rootLink]);
    ip(['link', 'set', this.rootLink, 'up']);
  }

  /** A new host on the bridge: `<tag>-<name>`, the next address of the subnet (from .2). */
  addHost(name: string): VirtualHost {
    if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`host name "${name}": 1–12 lowercase letters or digits`);
    const index = this.hosts.length + 1;
    const host: VirtualHost = { name, netns: `${this.tag}-${name}`, address: `10.231.${this.subnet}.${index + 1}` };
    ip(['netns', 'add', host.netns]);
    this.remember(host.netns);
    this.hosts.push(host);
    ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
    ip(['-n', this.hub, 'link', 'add', `h${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
    ip(['-n', this.hub, 'link', 'set', `h${index}`, 'master', 'br0', 'up']);
    ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    ip(['-n', host.netns, 'link', 'set', 'eth0', 'up']);
    return host;
  }

  /**
   * Deletes every namespace of this network (their veths go with them, the gateway's among them).
   * Call it once the processes in them are stopped: a namespace lives on, unnamed, while a process
   * is in it. Never throws: it runs in `afterAll`, after whatever failed.
   */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    for (const netns of [...this.hosts.map((h) => h.netns).reverse(), this.hub]) {
      try {
        ip(['netns', 'del', netns]);
      } catch {}
      this.forget(netns);
    }
    // Gone with the hub already, unless the hub's namespace is still held by something.
    try {
      ip(['link', 'del', this.rootLink]);
    } catch {}
  }

  /**
   * The namespaces this run made, in VIGIL_TEST_NETNS_DIR, for the global teardown to delete should
   * the vitest worker be killed before its `afterAll` (global-setup.ts).
   */
  private remember(netns: string): void {
    const dir = process.env.VIGIL_TEST_NETNS_DIR;
    if (dir) fs.writeFileSync(path.join(dir, netns), '');
  }

  private forget(netns: string): void {
    const dir = process.env.VIGIL_TEST_NETNS_DIR;
    if (dir) fs.rmSync(path.join(dir, netns), { force: true });
  }
}

export interface VirtualHost {
  /** What the test calls it: `api1`, `worker2`, `nats`. */
  readonly name: string;
  /** Its network namespace, for `ip netns exec`. */
  readonly netns: string;
  /** Its one address on the bridge. */
  readonly address: string;
}

/** The command that runs `argv` on `host`: in its namespace, with its environment and pid. */
export function onHost(host: VirtualHost | undefined, argv: readonly string[]): [string, string[]] {
  const [command = '', ...args] = argv;
  // `ip netns exec` enters the namespace and execs the command: the child's pid is the command's own.
  return host ? ['ip', ['netns', 'exec', host.netns, command, ...args]] : [command, args];
}

/** Deletes namespaces a killed run left (their names in `dir`, see `VirtualNetwork.remember`). */
export function removeLeftNamespaces(dir: string): void {
  for (const netns of fs.readdirSync(dir)) {
    try {
      ip(['netns', 'del', netns]);
    } catch {}
  }
}

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A TCP relay of the test's own, in the machine's namespace: it listens on the virtual network's
 * gateway and pipes each connection to a service that listens on the machine's loopback only (its
 * PostgreSQL), so hosts reach it without any change to that service's configuration.
 */
export class TcpRelay {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((inbound) => this.relay(inbound));
  }

  static async open(listenOn: string, target: { host: string; port: number }): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await new Promise<void>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(0, listenOn, () => resolve());
    });
    return relay;
  }

  /** Where it listens: `host:port` for a URL. */
  get address(): string {
    const { address, port } = this.server.address() as net.AddressInfo;
    return `${address}:${port}`;
  }

  /** Stops listening and ends every connection still open. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(inbound: net.Socket): void {
    const outbound = net.connect(this.target.port, this.target.host);
    for (const socket of [inbound, outbound]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // A reset on either side ends both: the client sees its connection drop, as with the real server.
      socket.once('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }
}
