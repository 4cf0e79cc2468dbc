import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TRACKER_MANIFEST, trackerDocuments, trackerManifestJson } from './persisted-manifest.js';

describe('pnpm persisted:manifest', () => {
  it("finds every operation the tracker page sends, with the page's own text", async () => {
    const documents = await trackerDocuments();
    expect(documents.map((text) => text.match(/^\w+ (\w+)/)?.[1])).toEqual([
      'Login',
      'MyOrders',
      'Catalogue',
      'PlaceOrder',
      'Pay',
      'RequestPasswordReset',
      'ResetPassword',
      'VerifyEmail',
      'OrderStatus',
    ]);
    expect(documents.join('\n')).not.toContain('${');
  });

  it('is current: the committed manifest is what the script makes from the page now', async () => {
    expect(await readFile(TRACKER_MANIFEST, 'utf8')).toBe(await trackerManifestJson());
  });
});
