// A single-page app: keel-server serves the built files and the JSON API.
export const ssr = false;
export const prerender = false;
