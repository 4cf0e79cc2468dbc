import { recordingLogger } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import { createSmsProvider, NO_SMS_GATEWAY } from './sms.provider.js';

const TO = '+15551234567';
const BODY = 'Your order o-42 has shipped';

describe('the SMS provider', () => {
  it('sends nothing in production, where no gateway is wired, and logs neither the number nor the text', async () => {
    const { log, lines } = recordingLogger();
    const sms = createSmsProvider({ NODE_ENV: 'production' }, log);
    expect(await sms.send(TO, BODY, 'n-1')).toEqual({ notSent: NO_SMS_GATEWAY });
    expect(JSON.stringify(lines)).not.toMatch(/5551234|o-42|shipped/);
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringMatching(/no SMS gateway/) })]);
  });

  it('logs the whole message in development, and calls it accepted', async () => {
    const { log, lines } = recordingLogger();
    expect(await createSmsProvider({ NODE_ENV: 'development' }, log).send(TO, BODY, 'n-2')).toEqual({
      sentAs: 'log-n-2',
    });
    expect(lines).toEqual([expect.objectContaining({ to: TO, body: BODY, reference: 'n-2' })]);
  });
});
