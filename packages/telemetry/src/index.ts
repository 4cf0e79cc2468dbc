export * from './spans.js';
