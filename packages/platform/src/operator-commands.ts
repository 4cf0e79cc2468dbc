import { countDeadLetters, inspectDeadLetters, replayDeadLetters } from '@shop/events';

/**
 * One thing an operator runs by hand: in a service's container, with that service's own
 * configuration and credentials (`node dist/ops.js <command> …`, each service's src/ops.ts).
 */
export interface OperatorCommand {
  /** Its arguments, for the usage line. */
  usage: string;
  /** Writes what it did to `print`, and answers its exit code. */
  run: (args: string[], print: (line: string) => void) => Promise<number>;
}

/** A command called with arguments it does not take: the usage line is printed, exit code 2. */
export class UsageError extends Error {}

export interface CommandStreams {
  stdout: { write: (text: string) => unknown };
  stderr: { write: (text: string) => unknown };
}

/**
 * Runs the command `argv` names with the rest of `argv`, and answers its exit code (runCommand);
 * 2, with every command's usage, for a command it does not know.
 */
export async function runOperatorCommand(
  program: string,
  commands: Record<string, OperatorCommand>,
  argv: string[],
  streams: CommandStreams = process,
): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (name && command) return runCommand(command, `${program} ${name}`, args, streams);
  const lines = Object.entries(commands).map(([known, { usage }]) => `  ${program} ${known} ${usage}`.trimEnd());
  streams.stderr.write(`usage:\n${lines.join('\n')}\n`);
  return 2;
}

/**
 * Runs one command and answers its exit code: 2 with its usage line for arguments it does not
 * take, 1 with the error's message when it fails.
 */
export async function runCommand(
  command: OperatorCommand,
  program: string,
  args: string[],
  streams: CommandStreams = process,
): Promise<number> {
  try {
    return await command.run(args, (line) => streams.stdout.write(`${line}\n`));
  } catch (error) {
    if (error instanceof UsageError) {
      streams.stderr.write(`usage: ${`${program} ${command.usage}`.trimEnd()}\n`);
      return 2;
    }
    streams.stderr.write(`${program} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * The dead-letter queues of `queues` (a process's consumers): `list` counts the parked messages,
 * `show` prints them (a confidential email's body withheld), `replay` sends them back to their
 * consumer with a fresh retry budget, all or those whose message ids are given. A queue is named
 * by its consumer (`orders.payments`) or its dead-letter queue (`orders.payments.dlq`).
 */
export function deadLetterCommand(url: string, queues: readonly string[]): OperatorCommand {
  return {
    usage: 'list [queue…] | show <queue> [limit] | replay <queue> [messageId…]',
    run: async ([action, queue, ...rest], print) => {
      if (action === 'list') {
        const counts = await countDeadLetters(url, queue ? [queue, ...rest] : [...queues]);
        for (const [name, count] of Object.entries(counts)) print(`${String(count).padStart(6)}  ${name}`);
        return 0;
      }
      if (!queue || (action !== 'show' && action !== 'replay')) throw new UsageError();
      if (action === 'show') {
        const limit = rest[0] === undefined ? 50 : Number(rest[0]);
        if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError();
        print(JSON.stringify(await inspectDeadLetters(url, queue, limit), null, 2));
        return 0;
      }
      const replayed = await replayDeadLetters(url, queue, rest.length > 0 ? rest : undefined);
      print(`replayed ${replayed.length}: ${replayed.join(' ')}`.trimEnd());
      return 0;
    },
  };
}
