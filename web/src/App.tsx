import { useEffect, useState } from "react";
import { Analytics } from "./Analytics";
import { type Session, currentSession, signIn, signOut } from "./api";
import { ContactPage, Contacts, Messages, Runs } from "./Dashboard";
import { Designer } from "./Designer";
import { ExperimentList, ExperimentPage } from "./Experiments";
import { Tasks } from "./Tasks";
import { Templates } from "./Templates";

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || "#/designer");
  useEffect(() => {
    const changed = () => setHash(window.location.hash || "#/designer");
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

const SCREENS = [
  ["#/designer", "Designer"],
  ["#/contacts", "Contacts"],
  ["#/runs", "Runs"],
  ["#/messages", "Messages"],
  ["#/experiments", "Experiments"],
  ["#/tasks", "Tasks"],
  ["#/analytics", "Analytics"],
  ["#/templates", "Templates"],
] as const;

function SignIn({ onDone }: { onDone: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError("");
          try {
            const session = await signIn(key);
            setKey("");
            onDone(session);
          } catch {
            setError("That key was not accepted: check it, or ask an admin for a new one.");
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>leadflow</h1>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
        />
        <button type="submit" disabled={busy || !key}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Screen({ hash, session }: { hash: string; session: Session }) {
  const canWrite = session.role !== "agent";
  const contact = /^#\/contacts\/(.+)$/.exec(hash);
  if (contact) return <ContactPage id={decodeURIComponent(contact[1])} />;
  if (hash.startsWith("#/contacts")) return <Contacts />;
  if (hash.startsWith("#/runs")) return <Runs canWrite={canWrite} />;
  if (hash.startsWith("#/messages")) return <Messages />;
  const experiment = /^#\/experiments\/(.+)$/.exec(hash);
  if (experiment) return <ExperimentPage id={decodeURIComponent(experiment[1])} canWrite={canWrite} />;
  if (hash.startsWith("#/experiments")) return <ExperimentList />;
  if (hash.startsWith("#/analytics")) return <Analytics />;
  if (hash.startsWith("#/templates")) return <Templates canWrite={canWrite} />;
  if (hash.startsWith("#/tasks")) return <Tasks hasMember={Boolean(session.member_key)} />;
  return <Designer canWrite={canWrite} />;
}

export function App() {
  const hash = useHash();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    currentSession()
      .then(setSession)
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error) return <p role="alert">Could not reach the server: {error}</p>;
  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <SignIn onDone={setSession} />;
  return (
    <div className="app">
      <header>
        <strong>leadflow</strong>
        <nav>
          {SCREENS.map(([href, name]) => (
            <a key={href} href={href} aria-current={hash.startsWith(href) ? "page" : undefined}>
              {name}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {session.tenant_id} · {session.role}
          {session.member_key ? ` · ${session.member_key}` : ""}
        </span>
        <button
          onClick={async () => {
            await signOut().catch(() => undefined);
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main className="screen">
        <Screen hash={hash} session={session} />
      </main>
    </div>
  );
}
