import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A static single-page app served by keel-server under /portal.
    adapter: adapter({ fallback: 'index.html' }),
    paths: { base: '/portal' },
    // The desktop app's look and formatting code, shared (money by string arithmetic, dates).
    alias: { $ui: '../ui/src' }
  }
};
