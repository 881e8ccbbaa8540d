/** The admin UI's entry: session check, then the layout and the page the route names (loaded on first use). */
import './styles.css';
import type { ComponentType } from 'preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { allowed, Layout } from './components/layout';
import { route } from './lib/router';
import { me, refreshMe } from './lib/session';
import './lib/theme';
import { Login } from './pages/login';
import { PAGES, type PageDef, type PageProps } from './routes';

const loaded = new Map<PageDef, ComponentType<PageProps>>();

function PageHost(props: { def: PageDef }) {
  const [component, setComponent] = useState<ComponentType<PageProps> | undefined>(() => loaded.get(props.def));
  const [failed, setFailed] = useState<unknown>(undefined);
  useEffect(() => {
    const known = loaded.get(props.def);
    if (known !== undefined) {
      setComponent(() => known);
      return;
    }
    setComponent(undefined);
    props.def.load().then(
      (m) => {
        loaded.set(props.def, m.default);
        setComponent(() => m.default);
      },
      (err: unknown) => setFailed(err),
    );
  }, [props.def]);
  if (failed !== undefined) return <p class="error">This page could not be loaded: {String(failed)}</p>;
  if (component === undefined) return <p class="muted">Loading…</p>;
  const Page = component;
  return <Page route={route.value} />;
}

function App() {
  if (me.value === undefined) return <p class="muted">Loading…</p>;
  if (me.value === null) return <Login />;
  const def = PAGES[route.value.path[0] ?? ''];
  return (
    <Layout>
      {def === undefined ? (
        <p class="error">There is no page at this address.</p>
      ) : !allowed(def.gate) ? (
        <p class="error">Your user's tags do not open this page.</p>
      ) : (
        <PageHost def={def} />
      )}
    </Layout>
  );
}

// The current page's code loads while the session is checked, not after.
void PAGES[route.value.path[0] ?? '']?.load().catch(() => undefined);
void refreshMe();
render(<App />, document.getElementById('app') as HTMLElement);
