// The desktop app is a static single-page app (adapter-static's SPA fallback): no
// server rendering and nothing to prerender.
export const ssr = false;
