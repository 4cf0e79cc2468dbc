// The operator's commands (`node dist/ops.js …` in a service's container): what they print and
// their exit codes, and the dead-letter command against the test broker.
import { notificationEmail } from '@shop/events';
import { type FailingConsumer, startFailingConsumer } from '@shop/events/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterCommand, type OperatorCommand, runOperatorCommand, UsageError } from './operator-commands.js';
import { TEST_AMQP_URL as AMQP_URL } from './testing.js';

/** Runs `argv` among `commands`; its exit code and what it wrote to stdout and stderr. */
async function ops(commands: Record<string, OperatorCommand>, ...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const code = await runOperatorCommand('ops', commands, argv, {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
  });
  return { code, ...out };
}

describe('runOperatorCommand', () => {
  const commands: Record<string, OperatorCommand> = {
    greet: {
      usage: '<name>',
      run: async ([name], print) => {
        if (!name) throw new UsageError();
        print(`hello ${name}`);
        return 0;
      },
    },
    fail: {
      usage: '',
      run: async () => {
        throw new Error('the database did not answer');
      },
    },
  };

  it('runs the named command with the rest of the arguments: its lines on stdout, its exit code', async () => {
    expect(await ops(commands, 'greet', 'ada')).toEqual({ code: 0, stdout: 'hello ada\n', stderr: '' });
  });

  it('prints every usage line for a missing or unknown command (exit code 2)', async () => {
    const usage = 'usage:\n  ops greet <name>\n  ops fail\n';
    expect(await ops(commands)).toEqual({ code: 2, stdout: '', stderr: usage });
    expect(await ops(commands, 'grete')).toEqual({ code: 2, stdout: '', stderr: usage });
  });

  it("prints the command's usage for arguments it does not take (2), and its error when it fails (1)", async () => {
    expect(await ops(commands, 'greet')).toEqual({ code: 2, stdout: '', stderr: 'usage: ops greet <name>\n' });
    expect(await ops(commands, 'fail')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ops fail failed: the database did not answer\n',
    });
  });
});

describe('deadLetterCommand', () => {
  let consumer: FailingConsumer;
  let dlq: Record<string, OperatorCommand>;
  let never: string;

  beforeAll(async () => {
    consumer = await startFailingConsumer(AMQP_URL, 'ops');
    never = `${consumer.queue}.never-declared`;
    dlq = { dlq: deadLetterCommand(AMQP_URL, [consumer.queue, never]) };
  });
  afterAll(() => consumer.close());

  it('lists, shows and replays what its consumers parked; a queue never declared counts 0', async () => {
    const email = notificationEmail.create({ userId: 'u1', to: 'ada@example.com', subject: 'Hello', body: 'Hi' });
    await consumer.bus.publish(email);
    const parked = async () => (await ops(dlq, 'dlq', 'list')).stdout;
    await expect.poll(parked, { timeout: 20_000 }).toBe(`     1  ${consumer.queue}.dlq\n     0  ${never}.dlq\n`);

    const shown = await ops(dlq, 'dlq', 'show', consumer.queue);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual([
      expect.objectContaining({ messageId: email.id, type: 'notification.email', reason: 'handler-failed' }),
    ]);
    expect((await ops(dlq, 'dlq', 'list')).stdout).toContain(`     1  ${consumer.queue}.dlq\n`);

    consumer.failing = false;
    expect(await ops(dlq, 'dlq', 'replay', `${consumer.queue}.dlq`, email.id)).toEqual({
      code: 0,
      stdout: `replayed 1: ${email.id}\n`,
      stderr: '',
    });
    await expect.poll(() => consumer.delivered.map(({ id }) => id), { timeout: 20_000 }).toEqual([email.id]);
    expect((await ops(dlq, 'dlq', 'list', consumer.queue)).stdout).toBe(`     0  ${consumer.queue}.dlq\n`);
  });

  it('fails (exit code 1) when the broker refuses it, rather than count 0', async () => {
    const url = new URL(AMQP_URL);
    url.password = 'not-the-password';
    const refused = await ops({ dlq: deadLetterCommand(url.toString(), [consumer.queue]) }, 'dlq', 'list');
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^ops dlq failed: .*ACCESS.REFUSED/);
  });

  it('refuses a show or replay without a queue, and a limit that is not a whole number (exit code 2)', async () => {
    for (const argv of [['show'], ['replay'], ['show', consumer.queue, 'all'], ['purge', consumer.queue]]) {
      expect((await ops(dlq, 'dlq', ...argv)).code).toBe(2);
    }
  });
});
