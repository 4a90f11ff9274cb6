/** Debian's Chromium, started the way this machine allows (no sandbox as root, no network of its own). */
export const CHROMIUM_PATH = process.env.VIGIL_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
