import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [sveltekit()],
  clearScreen: false,
  server: { fs: { allow: ['../ui/src'] } },
  test: { include: ['src/**/*.test.ts'] }
});
