// The e2e stack's mail server: a real SMTP server that appends each message it accepts, as it was
// sent, to the mailbox file the tests read as a customer's inbox (tests/contract/mailbox.ts). Only
// npm packages here: a vitest global setup loads it, where the workspace's packages do not resolve.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface MailSink {
  url: string;
  close: () => Promise<void>;
}

/** Starts the sink on a free port; `file` gets one JSON string (a raw message) per line. */
export async function startMailSink(file: string): Promise<MailSink> {
  writeFileSync(file, '');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, accepted) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        appendFileSync(file, `${JSON.stringify(Buffer.concat(chunks).toString('utf8'))}\n`);
        accepted();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
