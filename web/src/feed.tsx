import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { AccountChange, Alert } from '../../src/http/schemas';
import { api } from './api';

/**
 * The admins' live feed: one EventSource on GET /v1/feed for the whole dashboard, shared by the
 * pages that show alerts and accounts, and the source of the badge (and optional sound) for new
 * critical alerts wherever the admin is in the dashboard.
 */

export type FeedMessage = { readonly kind: 'alert'; readonly alert: Alert } | { readonly kind: 'account'; readonly change: AccountChange };
export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

interface FeedContextValue {
  readonly status: FeedStatus;
  /** Counts (re)connections: a page refetches when it changes, for what happened while the stream was down. */
  readonly epoch: number;
  readonly subscribe: (listener: (message: FeedMessage) => void) => () => void;
  /** Critical alerts raised since the admin last looked at the alert feed. */
  readonly unseenCritical: number;
  readonly markSeen: () => void;
  readonly sound: boolean;
  readonly setSound: (on: boolean) => void;
}

const FeedContext = createContext<FeedContextValue | undefined>(undefined);
const SOUND_KEY = 'vigil.sound';

function beep(context: AudioContext): void {
  // Two short tones: noticeable without being an alarm siren.
  const start = context.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.18, 660],
  ] as const) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.16);
  }
}

export function FeedProvider({ children }: { readonly children: ReactNode }) {
  const [status, setStatus] = useState<FeedStatus>('connecting');
  const [epoch, setEpoch] = useState(0);
  const [unseenCritical, setUnseenCritical] = useState(0);
  const [sound, setSoundState] = useState(() => window.localStorage.getItem(SOUND_KEY) === 'on');
  const listeners = useRef(new Set<(message: FeedMessage) => void>());
  const knownCritical = useRef(new Set<string>());
  const audio = useRef<AudioContext | null>(null);
  const soundRef = useRef(sound);
  soundRef.current = sound;

  useEffect(() => {
    let source: EventSource | undefined;
    let retry: number | undefined;
    let closed = false;

    const emit = (message: FeedMessage) => {
      for (const listener of listeners.current) listener(message);
    };

    const connect = () => {
      source = new EventSource('/v1/feed');
      source.addEventListener('open', () => {
        setStatus('live');
        setEpoch((e) => e + 1);
      });
      source.addEventListener('alert', (event) => {
        const alert = JSON.parse((event as MessageEvent<string>).data) as Alert;
        if (alert.severity === 'critical' && alert.status === 'new' && !knownCritical.current.has(alert.id)) {
          knownCritical.current.add(alert.id);
          setUnseenCritical((n) => n + 1);
          if (soundRef.current && audio.current) beep(audio.current);
        }
        emit({ kind: 'alert', alert });
      });
      source.addEventListener('account', (event) => {
        emit({ kind: 'account', change: JSON.parse((event as MessageEvent<string>).data) as AccountChange });
      });
      source.addEventListener('error', () => {
        if (closed || !source) return;
        if (source.readyState === EventSource.CLOSED) {
          // The browser gives up on an error status (a 401 after the session ended): check the session,
          // which signs out on a 401, and otherwise try again a little later.
          setStatus('reconnecting');
          source.close();
          void api.get('/v1/session').then(
            () => {
              if (!closed) retry = window.setTimeout(connect, 3000);
            },
            () => {},
          );
        } else {
          setStatus('reconnecting');
        }
      });
    };
    connect();
    return () => {
      closed = true;
      window.clearTimeout(retry);
      source?.close();
    };
  }, []);

  // A saved "sound on" needs a gesture in this page before audio may play: the first click or key.
  useEffect(() => {
    const unlock = () => {
      if (!soundRef.current) return;
      audio.current ??= new AudioContext();
      void audio.current.resume();
    };
    window.addEventListener('pointerdown', unlock);
    window.addEventListener('keydown', unlock);
    return () => {
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
    };
  }, []);

  const subscribe = useCallback((listener: (message: FeedMessage) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  const markSeen = useCallback(() => setUnseenCritical(0), []);

  const setSound = useCallback((on: boolean) => {
    window.localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
    setSoundState(on);
    // Browsers allow audio only after a gesture: this click is the one.
    if (on) {
      audio.current ??= new AudioContext();
      void audio.current.resume();
      beep(audio.current);
    }
  }, []);

  const value = useMemo(
    () => ({ status, epoch, subscribe, unseenCritical, markSeen, sound, setSound }),
    [status, epoch, subscribe, unseenCritical, markSeen, sound, setSound],
  );
  return <FeedContext.Provider value={value}>{children}</FeedContext.Provider>;
}

export function useFeed(): FeedContextValue {
  const value = useContext(FeedContext);
  if (!value) throw new Error('useFeed outside FeedProvider');
  return value;
}

/** Calls `listener` for every feed message while the component is mounted. */
export function useFeedMessages(listener: (message: FeedMessage) => void): void {
  const { subscribe } = useFeed();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => subscribe((m) => ref.current(m)), [subscribe]);
}
