import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Session, SignInOptions } from '../../../src/http/schemas';
import { ApiError, api, describeError, formatWait } from '../api';
import { Field } from '../components/ui';
import { useTitle } from '../hooks';
import { homeOf } from '../roles';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

/** Only paths of this dashboard are followed after sign-in, never another site. */
function safeNext(next: string | null): string | undefined {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return undefined;
  return next;
}

export function SignInPage({ ended }: { readonly ended: boolean }) {
  useTitle('Sign in');
  const { signedIn } = useSession();
  const { search } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);
  const [sso, setSso] = useState<SignInOptions['sso']>(null);

  // Single sign-on, when the server has it configured: a plain link, since the provider's pages are a
  // full-page navigation away and back.
  useEffect(() => {
    api
      .get<SignInOptions>('/v1/session/options', { signInRequest: true })
      .then((options) => setSso(options.sso))
      .catch(() => setSso(null));
  }, []);

  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await api.post<Session>(
        '/v1/session',
        { email: email.trim(), password, ...(needTotp && { totp: totp.trim() }) },
        { signInRequest: true },
      );
      signedIn(session);
      const next = safeNext(search.get('next'));
      navigate(next ?? homeOf(session.person), { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'totp_required') {
        setNeedTotp(true);
        setError(needTotp ? 'That code was not accepted. Enter the current code from your authenticator app.' : undefined);
      } else if (e instanceof ApiError && e.status === 429) {
        setError(`Too many attempts. ${e.retryAfter !== undefined ? `Try again in ${formatWait(e.retryAfter)}.` : 'Try again later.'}`);
      } else if (e instanceof ApiError && e.code === 'invalid_credentials') {
        setError(needTotp ? e.message : 'The email or password is not right.');
        if (needTotp) setTotp('');
      } else {
        setError(describeError(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <div className="signin-card">
        <p className="brand brand-large">
          <span aria-hidden="true" className="brand-mark">
            ◈
          </span>{' '}
          Vigil
        </p>
        <h1>Sign in</h1>
        <p className="muted">Security alerts and response for your shop and its customers.</p>
        {ended && !error && (
          <p className="notice notice-info" role="status">
            Your session has ended. Sign in again to continue.
          </p>
        )}
        <form onSubmit={(e) => void submit(e)}>
          <Field label="Email">
            {(props) => (
              <input
                {...props}
                type="email"
                name="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                readOnly={needTotp}
              />
            )}
          </Field>
          <Field label="Password">
            {(props) => (
              <input
                {...props}
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                readOnly={needTotp}
              />
            )}
          </Field>
          {needTotp && (
            <Field label="Authentication code" hint="The 6-digit code from your authenticator app.">
              {(props) => (
                <input
                  {...props}
                  ref={totpRef}
                  name="totp"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxLength={6}
                  required
                  value={totp}
                  onChange={(e) => setTotp(e.target.value.replace(/\D/g, ''))}
                />
              )}
            </Field>
          )}
          <div aria-live="assertive" role="alert" className="notice-region">
            {error && <p className="notice notice-error">{error}</p>}
          </div>
          <button type="submit" className="button-primary button-wide" disabled={busy}>
            {busy ? 'Signing in…' : needTotp ? 'Verify and sign in' : 'Sign in'}
          </button>
          {needTotp && (
            <button
              type="button"
              className="button-quiet button-wide"
              onClick={() => {
                setNeedTotp(false);
                setTotp('');
                setError(undefined);
              }}
            >
              Use a different account
            </button>
          )}
        </form>
        {sso && !needTotp && (
          <div className="signin-sso">
            <p className="muted small">Staff of the shop can also sign in with their company account.</p>
            <a className="button button-wide" href={sso.url}>
              Sign in with {sso.label}
            </a>
          </div>
        )}
      </div>
    </main>
  );
}
