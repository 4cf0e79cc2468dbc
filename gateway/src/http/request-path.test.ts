import { describe, expect, it } from 'vitest';
import { requestPath } from './request-path.js';

describe('requestPath', () => {
  it('reads the path of an origin-form target, without its query', () => {
    expect(requestPath('/graphql')).toBe('/graphql');
    expect(requestPath('/graphql?query=x')).toBe('/graphql');
    expect(requestPath(undefined)).toBe('/');
  });

  it('reads the path of an absolute-form target', () => {
    expect(requestPath('http://gateway.example/graphql?x=1')).toBe('/graphql');
  });

  it('never throws on a target that is no URL: it has no path a route would match', () => {
    expect(requestPath('//a:b/graphql')).toBe('//a:b/graphql');
    expect(requestPath('http://a:b/graphql')).toBe('');
    expect(requestPath('*')).toBe('');
  });
});
