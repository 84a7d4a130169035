// prebundle: the `process` a package sees in the browser when it reads the Node.js global
// without importing it (`process.env.DEBUG`, `process.nextTick`). esbuild injects it only into
// files that use a free `process`; `process.env.NODE_ENV` is replaced by a define first.
const process = {
  env: {},
  browser: true,
  title: 'browser',
  argv: [],
  version: '',
  versions: {},
  platform: 'browser',
  cwd: () => '/',
  nextTick: (callback, ...args) => queueMicrotask(() => callback(...args)),
  on() { return process },
  once() { return process },
  off() { return process },
  emit() { return false },
  emitWarning() {},
}

export { process }
