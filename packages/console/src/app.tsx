import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError, loadCredentials, saveCredentials, type Credentials, type Session } from './api';
import { parseRoute, type Route } from './query';
import { SignIn } from './views/sign-in';
import { EventHistory } from './views/event-history';
import { EventDetail } from './views/event-detail';
import { Findings } from './views/findings';
import { Insights } from './views/insights';

function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}

function scopeText(s: Session['scope']): string {
  const parts: string[] = [];
  if (s.accounts) parts.push(`accounts ${s.accounts.join(', ')}`);
  if (s.regions) parts.push(`regions ${s.regions.join(', ')}`);
  return parts.length ? parts.join(' · ') : 'all accounts and regions';
}

export function App() {
  const [creds, setCreds] = useState<Credentials | undefined>(loadCredentials);
  // A key this tab already signed in with (a reload, a link opened here) is used at once: the views load while the
  // session call confirms it, and a key the server refuses sends the tab back to sign-in. A key just typed waits.
  const [restored, setRestored] = useState(() => creds !== undefined);
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<string>();
  const api = useMemo(() => (creds ? new Api(creds) : undefined), [creds]);
  const route = useRoute();

  useEffect(() => {
    if (!api) return;
    api.session().then(setSession, (err: unknown) => {
      // a revoked or mistyped key: back to sign-in with the reason
      if (err instanceof ApiError && err.status === 401) {
        saveCredentials(undefined);
        setCreds(undefined);
      }
      setError(err instanceof Error ? err.message : String(err));
    });
  }, [api]);

  function signIn(c: Credentials) {
    setError(undefined);
    setRestored(false);
    saveCredentials(c);
    setCreds(c);
  }
  function signOut() {
    setRestored(false);
    saveCredentials(undefined);
    setSession(undefined);
    setCreds(undefined);
  }

  if (!api || (!session && (!restored || error))) return <SignIn onSignIn={signIn} error={error} pending={Boolean(api) && !error} />;
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">trailscope</span>
        <nav>
          <a href="#/events" class={route.view === 'events' || route.view === 'event' ? 'active' : ''}>Event history</a>
          <a href="#/findings" class={route.view === 'findings' ? 'active' : ''}>Findings</a>
          <a href="#/insights" class={route.view === 'insights' ? 'active' : ''}>Insights</a>
        </nav>
        {session ? (
          <span class="who" data-testid="scope">
            {session.key.name ?? session.key.id}: {scopeText(session.scope)}
          </span>
        ) : (
          <span class="who">checking the key…</span>
        )}
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      <main>
        {route.view === 'events' && <EventHistory api={api} params={route.params} />}
        {route.view === 'event' && <EventDetail api={api} id={route.id} />}
        {route.view === 'findings' && <Findings api={api} />}
        {route.view === 'insights' && <Insights api={api} params={route.params} />}
      </main>
    </div>
  );
}
