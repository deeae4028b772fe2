// The reporter's app: Preact, built into build/web and served by intake at /.
// Everything it loads comes from our own origin (the map tiles excepted).
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  base: '/',
  build: {
    outDir: '../build/web',
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: {
      // The reporter's app at /, the staff app at /staff/.
      input: { reporter: 'index.html', staff: 'staff/index.html' },
    },
  },
  plugins: [
    preact(),
    // Each page names its manifest itself: the reporter's by the link the
    // neutral mode swaps (id="manifest"), the staff app its own
    // (public/staff/). The one the PWA plugin adds to every page goes.
    {
      name: 'pelukan-one-manifest',
      enforce: 'post',
      generateBundle(_options, bundle) {
        for (const name of ['index.html', 'staff/index.html']) {
          const page = bundle[name];
          if (page && page.type === 'asset' && typeof page.source === 'string')
            page.source = page.source.replace(/\s*<link rel="manifest" href="\/manifest\.webmanifest">/, '');
        }
      },
    },
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: null,
      manifest: {
        name: 'PELUKAN — Lapor Kekerasan',
        short_name: 'PELUKAN',
        description: 'Laporkan kekerasan terhadap perempuan dan anak di Kabupaten Tasikmalaya',
        lang: 'id',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#5b2a86',
        icons: [
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          // Full-bleed, the heart inside the safe zone: Android's launcher
          // and the Play Store app (deploy/android) crop it to their shape.
          { src: '/icon-maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell, offline; never the API (personal data stays out of caches).
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        globIgnores: ['staff/**', 'assets/staff-*'], // the staff app is not the reporter's
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/v1\//, /^\/healthz/, /^\/readyz/, /^\/staff/],
        // A report that could not leave is kept by the service worker too
        // and sent again by Background Sync where the browser has it (the
        // page's own queue covers the others); its Idempotency-Key makes
        // both one case. The queue lives in IndexedDB, wiped by the quick exit.
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname === '/v1/reports',
            method: 'POST',
            handler: 'NetworkOnly',
            options: { backgroundSync: { name: 'reports', options: { maxRetentionTime: 24 * 60 } } },
          },
        ],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
