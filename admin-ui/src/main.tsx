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

/**
 * An object named '.' or '..' has no HTTP address: browsers resolve such path segments (also as %2E) before a request
 * leaves, so /api/queues/%2F/.. would ask for /api/queues. Lists show these objects; their own pages cannot load.
 */
function unaddressable(path: readonly string[]): string | undefined {
  return path.slice(1).find((segment) => segment === '.' || segment === '..');
}

function App() {
  if (me.value === undefined) return <p class="muted">Loading…</p>;
  if (me.value === null) return <Login />;
  const segment = route.value.path[0] ?? '';
  const def = PAGES[segment];
  const dots = unaddressable(route.value.path);
  return (
    <Layout>
      {def === undefined ? (
        <p class="error">There is no page at this address.</p>
      ) : !allowed(def.gate) ? (
        <p class="error">Your user's tags do not open this page.</p>
      ) : dots !== undefined ? (
        <p class="error">
          An object named '{dots}' cannot be opened here: browsers remove '{dots}' from the addresses of HTTP requests, so the
          API cannot be asked for it. It is listed, and AMQP clients can use it.
        </p>
      ) : (
        // Keyed by page: another page starts with its own component, never renders the previous one with a new route.
        <PageHost key={segment} def={def} />
      )}
    </Layout>
  );
}

// The current page's code loads while the session is checked, not after.
void PAGES[route.value.path[0] ?? '']?.load().catch(() => undefined);
void refreshMe();
render(<App />, document.getElementById('app') as HTMLElement);
