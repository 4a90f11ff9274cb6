import { useState } from 'react';
import { api, describeError } from '../api';
import { CodeForm } from '../components/CodeForm';
import { StaffChannels } from '../components/StaffChannels';
import { Notice, type NoticeValue } from '../components/ui';
import { useTitle } from '../hooks';
import { can, ROLE_DESCRIPTIONS } from '../roles';
import { usePerson, useSession } from '../session';

interface Enrolment {
  readonly secret: string;
  readonly otpauthUrl: string;
  readonly qrDataUrl: string;
}

export function SettingsPage() {
  useTitle('Settings');
  const person = usePerson();
  return (
    <section className="page narrow">
      <div className="page-head">
        <h1 tabIndex={-1}>Settings</h1>
      </div>
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Your sign-in</h2>
        <dl className="facts facts-stacked">
          <div>
            <dt>Email</dt>
            <dd>{person.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{person.role === 'member' ? `Member: the account “${person.user}”` : ROLE_DESCRIPTIONS[person.role]}</dd>
          </div>
        </dl>
      </section>
      <TwoFactor />
      {can(person, 'manage') && <StaffChannels />}
    </section>
  );
}

function TwoFactor() {
  const person = usePerson();
  const { refresh } = useSession();
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [busy, setBusy] = useState(false);
  const [turningOff, setTurningOff] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();

  const start = async () => {
    setBusy(true);
    setNotice(undefined);
    try {
      setEnrolment(await api.post<Enrolment>('/v1/session/totp', {}));
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (code: string) => {
    try {
      await api.post('/v1/session/totp/confirm', { code });
      setEnrolment(undefined);
      setNotice({
        tone: 'success',
        text: 'Two-factor sign-in is on. From now on you will be asked for a code from your app; your other sessions were signed out.',
      });
      await refresh();
      return true;
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      return false;
    }
  };

  const disable = async (code: string) => {
    try {
      await api.delete('/v1/session/totp', { code });
      setTurningOff(false);
      setNotice({ tone: 'success', text: 'Two-factor sign-in is off.' });
      await refresh();
      return true;
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      return false;
    }
  };

  return (
    <section className="card" aria-labelledby="totp-heading">
      <h2 id="totp-heading">Two-factor sign-in</h2>
      <p>
        Status: <strong className={person.totpEnabled ? 'text-good' : undefined}>{person.totpEnabled ? 'On' : 'Off'}</strong>. With it on,
        signing in takes your password and a 6-digit code from an authenticator app on your phone (such as Google Authenticator, 1Password
        or Aegis), so a stolen password alone is not enough.
      </p>
      {!person.totpEnabled && !enrolment && (
        <button type="button" className="button-primary" onClick={() => void start()} disabled={busy}>
          {busy ? 'Preparing…' : 'Turn on two-factor sign-in'}
        </button>
      )}
      {!person.totpEnabled && enrolment && (
        <div className="enrol">
          <ol className="steps">
            <li>
              Scan this QR code with your authenticator app.
              <img src={enrolment.qrDataUrl} alt="QR code to add Vigil to your authenticator app" width={200} height={200} className="qr" />
              <details>
                <summary>Cannot scan it? Enter the key by hand</summary>
                <p>
                  Key: <code className="secret">{enrolment.secret}</code>
                </p>
              </details>
            </li>
            <li>
              Enter the code the app shows, to check it works.
              <CodeForm label="Code from your app" submitLabel="Verify and turn on" onSubmit={confirm} />
            </li>
          </ol>
          <button type="button" className="button-quiet" onClick={() => setEnrolment(undefined)}>
            Cancel
          </button>
        </div>
      )}
      {person.totpEnabled && !turningOff && (
        <button type="button" onClick={() => setTurningOff(true)}>
          Turn off two-factor sign-in
        </button>
      )}
      {person.totpEnabled && turningOff && (
        <div className="confirm-box">
          <CodeForm
            label="Current code from your app"
            hint="To turn it off, prove you still have the app."
            submitLabel="Turn off"
            onSubmit={disable}
            autoFocus
          />
          <button type="button" className="button-quiet" onClick={() => setTurningOff(false)}>
            Cancel
          </button>
        </div>
      )}
      <Notice notice={notice} />
    </section>
  );
}
