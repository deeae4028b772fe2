// The reporter's app at /: the page and its service worker (the app shell
// offline; reports without signal sent by Background Sync where the
// browser has it).
import { render } from 'preact';
import { registerSW } from 'virtual:pwa-register';
import { App } from './App';
import { startQueue } from './outbox';
import '../shared/style.css';

render(<App />, document.getElementById('app')!);
startQueue();
// The app shell works offline once installed; an update takes over quietly.
if ('serviceWorker' in navigator) registerSW({ immediate: true });
