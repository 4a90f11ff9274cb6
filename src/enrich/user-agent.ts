import type { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';
import { boundedCache } from '../core/bounded-cache.js';
import type { UserAgentInfo } from '../domain/activity-event.js';

const BOT = /bot|crawl|spider|slurp|curl|wget|python-requests|httpclient|headless|phantomjs|go-http-client/i;
const DESKTOP_OS = new Set(['Windows', 'Mac OS', 'macOS', 'Linux', 'Ubuntu', 'Debian', 'Fedora', 'Chromium OS']);

/**
 * Parses user agents into browser, OS and device class. A shop sees a few thousand distinct user
 * agents, so results are cached: parsing costs tens of microseconds, a cache hit well under one.
 */
export class UserAgentParser {
  private readonly cache: LRUCache<string, UserAgentInfo>;

  constructor(maxEntries = 10_000) {
    this.cache = boundedCache(maxEntries);
  }

  parse(userAgent: string): UserAgentInfo {
    const cached = this.cache.get(userAgent);
    if (cached) return cached;
    const info = parseUncached(userAgent);
    this.cache.set(userAgent, info);
    return info;
  }
}

function parseUncached(userAgent: string): UserAgentInfo {
  const r = new UAParser(userAgent).getResult();
  const browser = r.browser.name;
  const browserVersion = r.browser.major;
  const os = r.os.name;
  const osVersion = r.os.version;
  const deviceClass: UserAgentInfo['deviceClass'] = BOT.test(userAgent)
    ? 'bot'
    : r.device.type === 'mobile'
      ? 'mobile'
      : r.device.type === 'tablet'
        ? 'tablet'
        : r.device.type === undefined && os !== undefined && DESKTOP_OS.has(os)
          ? 'desktop'
          : 'other';
  const who = [browser, browserVersion].filter(Boolean).join(' ') || 'Unknown browser';
  const where = [os, osVersion].filter(Boolean).join(' ');
  return {
    ...(browser && { browser }),
    ...(browserVersion && { browserVersion }),
    ...(os && { os }),
    ...(osVersion && { osVersion }),
    deviceClass,
    summary: `${who}${where ? ` on ${where}` : ''} (${deviceClass})`,
  };
}
