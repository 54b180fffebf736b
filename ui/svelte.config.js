import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A static single-page app: Tauri serves the built files, there is no server.
    adapter: adapter({ fallback: 'index.html' })
  }
};
