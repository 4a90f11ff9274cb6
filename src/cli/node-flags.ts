/**
 * The V8 flags `vigil serve` is run with: by `npm start`, the systemd units and the Compose file of
 * deploy/, and the benchmarks (which give the floor the same). Flags of V8's heap are read when the
 * process starts, so they cannot be set from inside it; `NODE_OPTIONS` takes them too.
 *
 * A young generation of 64 MB semi-spaces instead of V8's default of 16 MB. Under load a request's
 * objects live across several turns of the event loop (it waits for its group commit), so with small
 * semi-spaces many survive two scavenges and are copied into the old generation, where only a full
 * mark-compact frees them. With 64 MB they die young. Measured under single events from 50
 * connections (README, Speed): about 10% more events per second and 9% less main-thread CPU per event,
 * for at most about 130 MB more of memory while the young generation is at its largest.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
