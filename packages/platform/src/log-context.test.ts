import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ctx, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from './subgraph.js';
import { createTestTokens, recordingLogger, serveTestSubgraph, type TestSubgraph } from './testing.js';

const { log, lines } = recordingLogger('info', 'log-probe');

/** Stands for a service that logs with the process logger it was built with, not the request's. */
const background = { note: (message: string) => log.info(message) };

@Resolver()
class ProbeResolver {
  @Query(() => String)
  async probe(@Ctx() ctx: RequestContext): Promise<string> {
    ctx.log.info('from the request logger');
    await new Promise((resolve) => setTimeout(resolve, 20));
    background.note('from a service, after an await');
    return 'ok';
  }
}

let server: TestSubgraph;
let base: string;

beforeAll(async () => {
  server = await serveTestSubgraph({ name: 'log-probe', resolvers: [ProbeResolver] }, {}, createTestTokens(), { log });
  base = new URL(server.url).origin;
});
afterAll(() => server?.close());

const probe = (requestId: string) =>
  fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ query: '{ probe }' }),
  });

describe('log lines of a request', () => {
  it('carry its request id, whichever logger wrote them, and never another request’s', async () => {
    await Promise.all([probe('req-a'), probe('req-b')]);
    background.note('outside any request');
    const byMessage = (message: string) => lines.filter((line) => line.msg === message).map((line) => line.requestId);
    expect(byMessage('from the request logger').sort()).toEqual(['req-a', 'req-b']);
    expect(byMessage('from a service, after an await').sort()).toEqual(['req-a', 'req-b']);
    expect(byMessage('outside any request')).toEqual([undefined]);
    // One requestId key per line (no duplicate from a child logger binding).
    const raw = JSON.stringify(lines.find((line) => line.msg === 'from the request logger'));
    expect(raw.match(/"requestId"/g)).toHaveLength(1);
  });

  it('never carry a password, token or refresh token, at the top or inside GraphQL variables', () => {
    const secrets = {
      password: 'secret-1',
      token: 'secret-2',
      refreshToken: 'secret-3',
      variables: { refreshToken: 'secret-4', input: { currentPassword: 'secret-5', newPassword: 'secret-6' } },
      headers: { authorization: 'Bearer secret-7' },
      user: { passwordHash: 'secret-8' },
    };
    log.info(secrets, 'with secrets');
    const line = JSON.stringify(lines.find((entry) => entry.msg === 'with secrets'));
    expect(line).toContain('[redacted]');
    expect(line).not.toMatch(/secret-\d/);
  });

  it('are human-readable with LOG_PRETTY (pino-pretty), JSON otherwise', () => {
    const script = (pretty: boolean) =>
      `import { createLogger } from './logger.ts'; createLogger('pretty-probe', { LOG_LEVEL: 'info', LOG_PRETTY: ${pretty} }).info({ token: 'secret-token' }, 'hello there');`;
    const run = (pretty: boolean) =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(pretty)], {
        cwd: fileURLToPath(new URL('.', import.meta.url)),
        encoding: 'utf8',
      });
    const pretty = run(true);
    expect(pretty).toContain('hello there');
    expect(pretty.trim().startsWith('{')).toBe(false);
    expect(pretty).not.toContain('secret-token');
    expect(JSON.parse(run(false))).toMatchObject({ msg: 'hello there', token: '[redacted]' });
  });
});
