export * from './header.js';
export * from './merkle.js';
export * from './sha256.js';
export * from './target.js';
