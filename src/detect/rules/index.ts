import type { Rule } from '../rule.js';

/** The built-in rules, in the order they are evaluated. */
export const BUILTIN_RULES: readonly Rule<any>[] = [];
