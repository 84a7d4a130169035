// Node.js module hooks that resolve bare specifiers through a prebundle importmap.json,
// the way a browser does: the tests load the deps dir in Node exactly as a page would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let imports = {};
let depsDir = '';
let base = '';

export function initialize(data) {
  depsDir = data.depsDir;
  base = data.base;
  imports = JSON.parse(readFileSync(join(depsDir, 'importmap.json'), 'utf8')).imports;
}

export async function resolve(specifier, context, next) {
  const target = imports[specifier];
  if (target === undefined) return next(specifier, context);
  const [path, query] = target.slice(base.length).split('?');
  return { url: pathToFileURL(join(depsDir, path)).href + (query ? '?' + query : ''), shortCircuit: true };
}
