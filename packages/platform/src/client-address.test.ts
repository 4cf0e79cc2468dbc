import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './client-address.js';

describe('clientAddressKey', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts every address of one IPv6 /64 as one client, however it is written', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0DB8:0001:0002:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('2001:db8:0:3::1')).not.toBe(clientAddressKey('2001:db8:0:2::1'));
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    // Written with an IPv4 tail (which ipaddr.js 1.x, proxy-addr's parser, cannot read).
    expect(clientAddressKey('2001:db8::1.2.3.4')).toBe('2001:db8:0:0::/64');
  });
});
