// `node --import <this file>`: install importmap_hooks.mjs for the deps dir in $PREBUNDLE_DEPS_DIR.
import { register } from 'node:module';

register('./importmap_hooks.mjs', import.meta.url, {
  data: { depsDir: process.env.PREBUNDLE_DEPS_DIR, base: process.env.PREBUNDLE_BASE || '/node_modules/.vite/deps/' },
});
