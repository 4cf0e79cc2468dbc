import { recordingLogger } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import { createSmsProvider } from './sms.provider.js';

const TO = '+15551234567';
const BODY = 'Your order o-42 has shipped';

describe('the log SMS provider', () => {
  it('keeps neither the number nor the text in production logs', async () => {
    const { log, lines } = recordingLogger();
    const sms = createSmsProvider({ NODE_ENV: 'production' }, log);
    expect(await sms.send(TO, BODY, 'n-1')).toBe('log-n-1');
    expect(lines).toContainEqual(expect.objectContaining({ to: '…67', reference: 'n-1' }));
    expect(JSON.stringify(lines)).not.toMatch(/5551234|o-42|shipped/);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/no SMS gateway/) }));
  });

  it('shows the whole message in development', async () => {
    const { log, lines } = recordingLogger();
    await createSmsProvider({ NODE_ENV: 'development' }, log).send(TO, BODY, 'n-2');
    expect(lines).toEqual([expect.objectContaining({ to: TO, body: BODY, reference: 'n-2' })]);
  });
});
