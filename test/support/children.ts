import { afterAll } from 'vitest';
import { stopChildren } from './process.js';

/**
 * A setup file (vitest.config.ts): after every test file, whatever its tests did or how they ended,
 * the Vigil servers they started as child processes are killed.
 */
afterAll(stopChildren);
