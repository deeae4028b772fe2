// The feed of case events (/v1/staff/events), one per tab: every new
// timeline entry bumps `tick`, and the screens read again what they show.
// After a drop it reconnects within a second with Last-Event-ID, and the
// screens read everything again (nothing missed while it was down).
import { useEffect, useRef, useState } from 'preact/hooks';
import { readEvents } from '../shared/sse';

export function useFeed(token: string | null, expired: () => void): { live: boolean; tick: number } {
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  const expiredRef = useRef(expired);
  expiredRef.current = expired;
  useEffect(() => {
    if (!token) return;
    const abort = new AbortController();
    let last = '';
    let pending: ReturnType<typeof setTimeout> | undefined;
    const bump = () => {
      clearTimeout(pending);
      pending = setTimeout(() => setTick((n) => n + 1), 50);
    };
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          const status = await readEvents(
            '/v1/staff/events',
            token,
            abort.signal,
            (event) => {
              if (event === 'case') bump();
            },
            last ? { 'last-event-id': last } : undefined,
            (id) => (last = id),
            () => {
              setLive(true);
              bump(); // back: read everything again
            },
          );
          if (status === 401) {
            expiredRef.current();
            return;
          }
        } catch {
          /* dropped */
        }
        setLive(false);
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void loop();
    return () => {
      abort.abort();
      clearTimeout(pending);
    };
  }, [token]);
  return { live, tick };
}
