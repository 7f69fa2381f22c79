import { useState } from 'preact/hooks';
import type { Credentials } from '../api';

/** Key id and secret, or the two joined as `keyId.secret` in the id field (as `keys create` prints them). */
export function SignIn(props: { onSignIn: (c: Credentials) => void; error?: string; pending: boolean }) {
  const [keyId, setKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [problem, setProblem] = useState<string>();

  function submit(e: Event) {
    e.preventDefault();
    let id = keyId.trim();
    let s = secret.trim();
    if (!s && id.includes('.')) [id, s] = [id.slice(0, id.indexOf('.')), id.slice(id.indexOf('.') + 1)];
    if (!id || !s) return setProblem('Enter the key id and its secret.');
    setProblem(undefined);
    props.onSignIn({ keyId: id, secret: s });
  }

  return (
    <form class="sign-in" onSubmit={submit} autocomplete="off">
      <h1>trailscope</h1>
      <p>Sign in with an API key (<code>trailscope keys create</code>).</p>
      <label>
        Key id
        <input name="keyId" value={keyId} onInput={(e) => setKeyId(e.currentTarget.value)} autofocus spellcheck={false} />
      </label>
      <label>
        Secret
        <input name="secret" type="password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={props.pending}>{props.pending ? 'Signing in…' : 'Sign in'}</button>
      {(problem ?? props.error) && <p class="error" role="alert">{problem ?? props.error}</p>}
    </form>
  );
}
