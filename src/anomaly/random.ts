/**
 * Seeded pseudo-random numbers for the anomaly models: the same seed gives the same numbers on every
 * platform and Node version, so the same data and seed train the same forest. Not for secrets: keys,
 * codes and ids come from node:crypto.
 */

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 128 bits of state), its state filled
 * by splitmix32 so that nearby seeds (1, 2, 3…) start far apart. Uniform in [0, 1), 32 bits of
 * resolution: plenty for sampling rows and drawing split points.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
