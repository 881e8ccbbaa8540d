/** The login form: the password goes to POST /api/leveret/session once; the browser keeps an HttpOnly cookie. */
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { login } from '../lib/session';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username, password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? `${err.reason}.` : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form class="form login-form" onSubmit={submit}>
        <h1>Leveret</h1>
        <div class="field">
          <label for="login-user">Username</label>
          <input id="login-user" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </div>
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
