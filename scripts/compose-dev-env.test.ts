import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { read, root } from './compose.test-fixture.js';

describe('pnpm infra:up with a Docker engine', () => {
  const values = (env: Record<string, string>) =>
    Object.fromEntries(
      execFileSync('bash', ['scripts/infra/compose-dev-env.sh'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  it("gives compose a value for every variable docker-compose.yml requires, the caller's own where set", () => {
    // Compose checks the whole file, so one missing variable stops `up` of any service.
    const required = new Set([...read('docker-compose.yml').matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]));
    const given = values({ JWT_SECRET: 'my-own-secret-of-at-least-32-characters' });
    expect([...required].filter((name) => !given[name as string])).toEqual([]);
    expect(required.size).toBeGreaterThan(15);
    expect(given).toMatchObject({
      JWT_SECRET: 'my-own-secret-of-at-least-32-characters',
      // The credentials infra:up prints in its URLs.
      POSTGRES_USER: 'shop',
      POSTGRES_PASSWORD: 'shop',
      RABBITMQ_USER: 'guest',
      RABBITMQ_PASSWORD: 'guest',
    });
    expect(read('scripts/infra/common.sh')).toMatch(/compose-dev-env\.sh" >"\$env_file"/);
  });

  it("runs the development services as a project of their own, apart from the app stack's containers and volumes", () => {
    const common = read('scripts/infra/common.sh');
    const devCompose = /dev_compose\(\) \{([\s\S]*?)\n\}/.exec(common)?.[1] ?? '';
    expect(devCompose).toMatch(/docker compose -p shop-dev-infra --env-file "\$env_file"/);
    expect(devCompose).toMatch(/-f docker-compose\.yml -f compose\.infra\.yml/);
    // Up and down go through it, so down stops what up started, and only that.
    expect(read('scripts/infra-up.sh')).toMatch(/dev_compose \d+ up -d/);
    expect(read('scripts/infra-down.sh')).toMatch(/dev_compose \d+ stop/);
    for (const script of ['scripts/infra-up.sh', 'scripts/infra-down.sh']) {
      // No call of its own (its log lines may name the command).
      expect(read(script)).not.toMatch(/^[^#\n]*(?:&&|\btimeout \d+|^\s*)\s*docker compose /m);
    }
  });
});
