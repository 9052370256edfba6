// The signed-out pages: sign in with email and password, or create the first admin from the setup link.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type ApiError, api, type User } from './api.ts';
import { ErrorNotice, Loading, PageTitle } from './components.tsx';
import { toApiError, useRequest } from './use-request.ts';

export function LoginPage({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  return (
    <AuthForm
      title="Sign in"
      submitLabel="Sign in"
      busyLabel="Signing in…"
      passwordAutocomplete="current-password"
      action={async (email, password) => (await api.login(email, password)).user}
      onDone={onSignedIn}
    />
  );
}

export function SetupPage({ token, onSignedIn }: { token: string | null; onSignedIn: (user: User) => void }) {
  const [check, retry] = useRequest(
    (signal) => (token ? api.setupOpen(token, signal) : Promise.resolve({ open: false })),
    [token],
  );
  if (token && check.status === 'loading') {
    return (
      <AuthCard>
        <PageTitle title="Set up Touchpoint">Set up Touchpoint</PageTitle>
        <Loading label="Checking the setup link…" />
      </AuthCard>
    );
  }
  if (token && check.status === 'error') {
    return (
      <AuthCard>
        <PageTitle title="Set up Touchpoint">Set up Touchpoint</PageTitle>
        <ErrorNotice error={check.error} retry={retry} />
      </AuthCard>
    );
  }
  if (token && check.status === 'ready' && !check.data.open) {
    return (
      <AuthCard>
        <PageTitle title="Set up Touchpoint">This setup link is used</PageTitle>
        <p>
          The admin account has already been created with it, or it expired (a link works once, for 24 hours).{' '}
          <a href="/app/login">Sign in</a> instead; an admin adds more people under Settings → Team.
        </p>
      </AuthCard>
    );
  }
  if (!token) {
    return (
      <AuthCard>
        <PageTitle title="Set up Touchpoint">Set up Touchpoint</PageTitle>
        <p>
          This page needs the one-time link the collector printed when it first started (it ends in{' '}
          <code>?token=…</code>). Restart the collector without an admin to get a new one, or{' '}
          <a href="/app/login">sign in</a>.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthForm
      title="Create the admin account"
      intro="This is the first start of Touchpoint. Choose the email and password you will sign in with."
      submitLabel="Create account"
      busyLabel="Creating account…"
      passwordAutocomplete="new-password"
      passwordHint="At least 10 characters."
      action={async (email, password) => (await api.setup(token, email, password)).user}
      onDone={onSignedIn}
    />
  );
}

function AuthCard({ children }: { children: ComponentChildren }) {
  return (
    <main id="main" class="login">
      <div class="login-card">
        <p class="brand brand-large">
          <span class="brand-mark" aria-hidden="true" />
          Touchpoint
        </p>
        {children}
      </div>
    </main>
  );
}

function AuthForm(props: {
  title: string;
  intro?: string;
  submitLabel: string;
  busyLabel: string;
  passwordAutocomplete: 'current-password' | 'new-password';
  passwordHint?: string;
  action: (email: string, password: string) => Promise<User>;
  onDone: (user: User) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      props.onDone(await props.action(email.trim(), password));
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };
  // Bad credentials are about both fields; a 400 names the one field at fault.
  const invalid = (field: string) =>
    error && (error.status === 401 || error.field === field) ? true : undefined;

  return (
    <AuthCard>
      <form onSubmit={submit}>
        <PageTitle title={props.title}>{props.title}</PageTitle>
        {props.intro ? <p class="muted">{props.intro}</p> : null}
        {error ? (
          <p id="auth-error" class="notice notice-error" role="alert">
            {error.message}
          </p>
        ) : null}
        <label class="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
            aria-invalid={invalid('email')}
            aria-describedby={invalid('email') ? 'auth-error' : undefined}
          />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autocomplete={props.passwordAutocomplete}
            required
            minLength={props.passwordAutocomplete === 'new-password' ? 10 : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={invalid('password')}
            aria-describedby={
              [invalid('password') ? 'auth-error' : '', props.passwordHint ? 'password-hint' : '']
                .filter(Boolean)
                .join(' ') || undefined
            }
          />
          {props.passwordHint ? (
            <small id="password-hint" class="muted">
              {props.passwordHint}
            </small>
          ) : null}
        </label>
        <button type="submit" class="button button-primary button-wide" disabled={busy} aria-busy={busy}>
          {busy ? (
            <>
              <span class="spinner" aria-hidden="true" />
              {props.busyLabel}
            </>
          ) : (
            props.submitLabel
          )}
        </button>
      </form>
    </AuthCard>
  );
}
