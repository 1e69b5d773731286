import { useEffect, useState } from "react";
import { type Session, currentSession, signIn, signOut } from "./api";
import { Designer } from "./Designer";

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

export function App() {
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
          <a href="#/designer" aria-current="page">
            Designer
          </a>
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
      <Designer canWrite={session.role !== "agent"} />
    </div>
  );
}
