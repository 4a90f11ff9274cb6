import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { Person, Session } from '../../src/http/schemas';
import { ApiError, api, onSessionEnded, setCsrfToken } from './api';

export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out'; readonly ended: boolean }
  | { readonly status: 'signed-in'; readonly person: Person }
  | { readonly status: 'error'; readonly message: string };

interface SessionContextValue {
  readonly state: SessionState;
  /** After POST /v1/session answered. */
  readonly signedIn: (session: Session) => void;
  readonly signOut: () => Promise<void>;
  /** Re-reads GET /v1/session (after turning two-factor sign-in on or off). */
  readonly refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', person: session.person });
  }, []);

  const load = useCallback(async () => {
    try {
      signedIn(await api.get<Session>('/v1/session', { signInRequest: true }));
    } catch (error) {
      setCsrfToken(null);
      if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out', ended: false });
      else setState({ status: 'error', message: error instanceof Error ? error.message : 'Vigil cannot be reached.' });
    }
  }, [signedIn]);

  useEffect(() => {
    onSessionEnded(() => {
      setCsrfToken(null);
      setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', ended: true } : s));
    });
    void load();
  }, [load]);

  const signOut = useCallback(async () => {
    try {
      await api.delete('/v1/session');
    } catch (error) {
      // Already signed out elsewhere: the outcome is the same.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    setCsrfToken(null);
    setState({ status: 'signed-out', ended: false });
  }, []);

  const value = useMemo(() => ({ state, signedIn, signOut, refresh: load }), [state, signedIn, signOut, load]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in person; only for pages rendered behind the sign-in check. */
export function usePerson(): Person {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('usePerson without a session');
  return state.person;
}
