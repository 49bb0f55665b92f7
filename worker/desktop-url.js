// The address at which the learner's browser reaches the desktop routes of the mockprock
// server: the worker's default when the LMS sends no `config` message, which it never
// does. Set at build time, before the LMS's webpack bundles the worker:
//   MOCKPROCK_DESKTOP_URL=https://mockprock.example.com node worker/configure.js
// rewrites this file (the Tutor plugin does so from its MOCKPROCK_DESKTOP_URL setting).
export const DESKTOP_URL = 'http://localhost:11136';
