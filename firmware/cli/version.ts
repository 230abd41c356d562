import { readFileSync } from 'node:fs';

/** The package version (package.json sits at the package root, three levels above this compiled file). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
