import type { Channel } from './ports.js';

/**
 * A recipient as logs may show it: enough to tell two apart (`c***@example.com`, `+44*****89`),
 * not enough to contact the person. The number of hidden characters is not shown either.
 */
export function maskRecipient(channel: Channel, to: string): string {
  if (channel === 'email') {
    const at = to.lastIndexOf('@');
    if (at < 1) return '***';
    return `${to.slice(0, 1)}***${to.slice(at)}`;
  }
  const compact = to.replace(/[\s().-]/g, '');
  if (compact.length < 7) return '***';
  return `${compact.slice(0, 3)}*****${compact.slice(-2)}`;
}
