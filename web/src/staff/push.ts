// Web Push on a staff member's browser (issue 22 §3): a new visit (a
// companion) or an urgent report (an admin on duty) shown as a
// notification where the browser can subscribe; SMS otherwise. Asked when
// she goes on duty; the subscription is given to intake, which gives it
// to notification with her contact. Nothing of a case is ever pushed.
import { api } from '../shared/api/client';

export type PushState = 'on' | 'sms';

// Subscribes this browser; 'sms' where push is off here, not in this
// browser, refused, or the browser's push service cannot be reached.
export async function pushOn(token: string): Promise<PushState> {
  try {
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'sms';
    const { data } = await api<{ public_key: string | null }>('GET', '/v1/staff/push', { token });
    if (!data.public_key) return 'sms';
    const reg = await navigator.serviceWorker.getRegistration('/staff/');
    if (!reg) return 'sms';
    if (Notification.permission === 'default') await Notification.requestPermission();
    if (Notification.permission !== 'granted') return 'sms';
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: data.public_key });
    await api('PUT', '/v1/staff/push', { token, body: sub.toJSON() });
    return 'on';
  } catch {
    return 'sms';
  }
}

// How new visits reach her now, read without asking anything: push when
// the server holds a subscription and this browser still has one.
export async function pushNow(token: string): Promise<PushState> {
  try {
    const { data } = await api<{ subscribed: boolean }>('GET', '/v1/staff/push', { token });
    const reg = await navigator.serviceWorker?.getRegistration('/staff/');
    return data.subscribed && (await reg?.pushManager?.getSubscription()) ? 'on' : 'sms';
  } catch {
    return 'sms';
  }
}

// No more pushes here: going off duty, or signing out.
export async function pushOff(token: string): Promise<void> {
  try {
    const sub = await (await navigator.serviceWorker?.getRegistration('/staff/'))?.pushManager?.getSubscription();
    await sub?.unsubscribe();
  } catch {
    /* the server forgets it all the same */
  }
  await api('DELETE', '/v1/staff/push', { token }).catch(() => undefined);
}
