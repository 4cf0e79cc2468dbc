import type { AddressInfo } from 'node:net';
import { parseRawEmail, type ReceivedEmail } from '@shop/platform/testing';
import { SMTPServer } from 'smtp-server';

export interface TestSmtpServer {
  url: string;
  received: ReceivedEmail[];
  /** While set, the server refuses every message, with `refusalCode` (by default a temporary 451). */
  refuse: boolean;
  refusalCode: number;
  /** While set, the server refuses every recipient (550, quoting the address) at RCPT TO. */
  refuseRecipients: boolean;
  /** While set, the server refuses every login (535), as after a password was rotated. */
  refuseLogins: boolean;
  /** When set, each message waits for the promise it returns before it is answered (keeps a send in flight). */
  gate: (() => Promise<void>) | undefined;
  close: () => Promise<void>;
}

/** A real SMTP server in this process, on a free port, that keeps what it receives. */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const state = {
    received: [] as ReceivedEmail[],
    refuse: false,
    refusalCode: 451,
    refuseRecipients: false,
    refuseLogins: false,
    gate: undefined as TestSmtpServer['gate'],
  };
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (state.refuseLogins) return callback(Object.assign(new Error('Invalid login'), { responseCode: 535 }));
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (!state.refuseRecipients) return callback();
      callback(Object.assign(new Error(`<${address.address}> no such mailbox`), { responseCode: 550 }));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        await state.gate?.();
        if (state.refuse) {
          const message = state.refusalCode >= 500 ? 'no such mailbox' : 'try again later';
          const error = Object.assign(new Error(message), { responseCode: state.refusalCode });
          callback(error);
          return;
        }
        state.received.push(parseRawEmail(Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return Object.assign(state, {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
