// Server-Sent Events with a bearer token: EventSource cannot send one, so
// the stream is read with fetch. Calls `on(event, data)` for each event and
// `onId(id)` for each id; `onOpen` once the answer is 200; resolves with
// the status when the stream ends; abort with the signal.
export async function readEvents(
  path: string,
  token: string,
  signal: AbortSignal,
  on: (event: string, data: string) => void,
  headers?: Record<string, string>,
  onId?: (id: string) => void,
  onOpen?: () => void,
): Promise<number> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}`, ...(headers ?? {}) }, signal, cache: 'no-store' });
  if (!res.ok || !res.body) return res.status;
  onOpen?.();
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        else if (line.startsWith('id:')) onId?.(line.slice(3).trim());
      }
      if (data.length) on(event, data.join('\n'));
    }
  }
  return res.status;
}
