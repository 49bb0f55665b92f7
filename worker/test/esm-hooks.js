// @edx/edx-proctoring ships ES module syntax in a package without "type": "module";
// the LMS's webpack reads it as a module, and so must node (older node versions guess
// CommonJS from the missing "type").
export async function load(url, context, nextLoad) {
  if (url.includes('/node_modules/@edx/edx-proctoring/') && url.endsWith('.js')) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
