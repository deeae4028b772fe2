import { render } from 'preact';
import { registerSW } from 'virtual:pwa-register';
import { App } from './app';
import { startQueue } from './outbox';
import '../shared/style.css';

render(<App />, document.getElementById('app')!);
startQueue();
// The app shell works offline once installed; an update takes over quietly.
if ('serviceWorker' in navigator) registerSW({ immediate: true });
