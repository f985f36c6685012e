import {
  addressRefusal,
  Resolver,
  UnsafeWebhookUrlError,
  urlRefusal,
  vetWebhookUrl,
} from './webhook-address.policy';

describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['169.254.169.254', 'metadata service'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'metadata service'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'metadata service'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata service'],
    // Dotted ::a.b.c.d is read as mapped; the hex form (what URL hostnames normalize to) as compatible.
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible address (loopback)'],
    ['::a00:1', 'IPv4-compatible address (private)'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (address, why) => {
    expect(addressRefusal(address)).toBe(why);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  it('allows private and loopback addresses with WEBHOOK_ALLOW_PRIVATE, but never metadata', () => {
    expect(addressRefusal('127.0.0.1', true)).toBeUndefined();
    expect(addressRefusal('10.0.0.1', true)).toBeUndefined();
    expect(addressRefusal('::1', true)).toBeUndefined();
    expect(addressRefusal('169.254.169.254', true)).toBe('metadata service');
    expect(addressRefusal('::ffff:169.254.169.254', true)).toBe('metadata service');
  });
});

describe('urlRefusal', () => {
  it.each([
    ['ftp://example.com/x', 'url must use http or https'],
    ['file:///etc/passwd', 'url must use http or https'],
    ['javascript:alert(1)', 'url must use http or https'],
    ['not a url', 'url must be an absolute http(s) URL'],
    ['http://u:p@example.com/', 'url must not carry credentials (requests are signed instead)'],
    [
      'http://metadata.google.internal/computeMetadata/v1/',
      'url host metadata.google.internal is a metadata service',
    ],
    [
      'http://METADATA.google.internal./x',
      'url host metadata.google.internal is a metadata service',
    ],
    [`https://example.com/${'a'.repeat(2030)}`, 'url must be at most 2048 characters'],
  ])('refuses %s', (url, why) => {
    expect(urlRefusal(url)).toBe(why);
  });

  it('accepts a plain https URL with a port and a query', () => {
    expect(urlRefusal('https://hooks.example.com:8443/onair?x=1')).toBeUndefined();
  });
});

describe('vetWebhookUrl', () => {
  const resolver =
    (answers: Record<string, string[]>): Resolver =>
    (host) =>
      answers[host]
        ? Promise.resolve(
            answers[host].map((a) => ({ address: a, family: a.includes(':') ? 6 : 4 })),
          )
        : Promise.reject(new Error('ENOTFOUND'));

  it('returns the checked address to connect to', async () => {
    const t = await vetWebhookUrl('https://hooks.example.com/x', {
      allowPrivate: false,
      resolve: resolver({ 'hooks.example.com': ['93.184.216.34'] }),
    });
    expect(t).toMatchObject({ address: '93.184.216.34', family: 4 });
    expect(t.url.hostname).toBe('hooks.example.com');
  });

  it('refuses a name when any of its addresses is private (one bad answer among good ones)', async () => {
    await expect(
      vetWebhookUrl('https://mixed.example.com/x', {
        allowPrivate: false,
        resolve: resolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.5'] }),
      }),
    ).rejects.toThrow(
      'url host mixed.example.com resolves to 10.0.0.5, which is not allowed (private)',
    );
  });

  it('refuses names that do not resolve and IPv6 literals of loopback', async () => {
    await expect(
      vetWebhookUrl('https://nowhere.example.com/', { allowPrivate: false, resolve: resolver({}) }),
    ).rejects.toBeInstanceOf(UnsafeWebhookUrlError);
    await expect(
      vetWebhookUrl('http://[::ffff:127.0.0.1]:8080/', {
        allowPrivate: false,
        resolve: resolver({}),
      }),
    ).rejects.toThrow('(loopback)');
  });
});
