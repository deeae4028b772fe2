// A new urgent report must not wait for someone to look at the desk: while
// the tab is in the background, each new urgent case (one this tab has not
// seen in the submitted queue before) plays a short sound and
// shows a desktop notification that names the ticket only (nothing
// personal: the notification may be seen by anyone near the screen).
// Read again at every case event of the feed, like the queue.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../shared/api/client';
import type { T } from './common';
type QueueItem = Schemas['QueueItem'];

// The sound: a tone made here (no file, nothing fetched). The browser lets
// a page start audio only after a tap or a key, so the context is made at
// the first one and kept.
let audio: AudioContext | null = null;
function unlockAudio(): void {
  audio ??= new AudioContext();
  void audio.resume();
}
function beep(): void {
  if (!audio) return;
  const o = audio.createOscillator();
  const g = audio.createGain();
  o.frequency.value = 880;
  g.gain.value = 0.2;
  o.connect(g).connect(audio.destination);
  o.start();
  o.stop(audio.currentTime + 0.4);
}

export type NotifyState = 'granted' | 'denied' | 'default' | 'unsupported';
function notifyState(): NotifyState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export function useUrgentAlert(t: T, token: string | null, tick: number): { state: NotifyState; enable: () => void } {
  const seen = useRef(new Set<string>());
  const [state, setState] = useState<NotifyState>(notifyState());
  useEffect(() => {
    addEventListener('pointerdown', unlockAudio, { once: true });
    addEventListener('keydown', unlockAudio, { once: true });
  }, []);
  useEffect(() => {
    if (!token) {
      seen.current = new Set();
      return;
    }
    let live = true;
    void api<{ cases: QueueItem[] }>('GET', '/v1/staff/cases?state=submitted&per_page=100', { token })
      .then(({ data }) => {
        if (!live) return;
        // At sign-in the tab is in front: what is already waiting is seen,
        // not announced.
        const fresh = data.cases.filter((c) => c.urgent && !seen.current.has(c.case_id));
        for (const c of fresh) seen.current.add(c.case_id);
        if (!fresh.length || document.visibilityState === 'visible') return;
        beep();
        if (notifyState() === 'granted')
          for (const c of fresh) new Notification(t('urgent_alert_title'), { body: t('urgent_alert_body', { ticket: c.ticket }), tag: c.case_id });
      })
      .catch(() => undefined); // the queue shows the failure; the next event asks again
    return () => {
      live = false;
    };
  }, [token, tick]);
  const enable = () => {
    unlockAudio();
    if (notifyState() === 'default') void Notification.requestPermission().then(() => setState(notifyState()));
  };
  return { state, enable };
}
