import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseOrigin } from '../../../firmware/api/access.js';
import {
  defaultRouteInterface,
  memAvailable,
  summariseNetwork,
  wirelessLevels,
} from '../../../firmware/api/host-info.js';

test('the Pi own network: the default route interface, its addresses, its MAC, the Wi-Fi level', () => {
  const route = 'Iface\tDestination\tGateway\nwlan0\t0001A8C0\t00000000\nwlan0\t00000000\t0101A8C0\n';
  assert.equal(defaultRouteInterface(route), 'wlan0');
  assert.equal(defaultRouteInterface(null), null);
  const wireless =
    'Inter-| sta-|   Quality        |   Discarded packets\n face | tus | link level noise |  nwid  crypt\n  wlan0: 0000   52.  -58.  -256        0      0\n';
  const levels = wirelessLevels(wireless);
  assert.equal(levels.get('wlan0'), -58);
  const net = summariseNetwork(
    {
      lo: [
        {
          address: '127.0.0.1',
          netmask: '255.0.0.0',
          family: 'IPv4',
          mac: '00:00:00:00:00:00',
          internal: true,
          cidr: '127.0.0.1/8',
        },
      ],
      eth0: [
        {
          address: '10.0.0.5',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: 'aa:bb:cc:00:00:01',
          internal: false,
          cidr: '10.0.0.5/24',
        },
      ],
      wlan0: [
        {
          address: '192.168.1.60',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: 'dc:a6:32:01:02:03',
          internal: false,
          cidr: '192.168.1.60/24',
        },
        {
          address: 'fe80::1',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: 'dc:a6:32:01:02:03',
          internal: false,
          cidr: 'fe80::1/64',
          scopeid: 3,
        },
      ],
    },
    'wlan0',
    levels,
  );
  assert.deepEqual(net, {
    interface: 'wlan0',
    wireless: true,
    ipv4: '192.168.1.60',
    ipv6: 'fe80::1',
    macAddr: 'DC:A6:32:01:02:03',
    rssiDbm: -58,
  });
  assert.equal(memAvailable('MemTotal: 100 kB\nMemAvailable:   2048 kB\n'), 2048 * 1024);
  assert.equal(memAvailable(null), null);
});

test('origins are compared as the URL parser normalises them: every numeric IPv4 spelling is the dotted quad', () => {
  for (const o of [
    'http://2130706433',
    'http://0x7f000001',
    'http://127.1',
    'http://0177.0.0.1',
    'http://127.0.0.1:80',
  ]) {
    assert.equal(normaliseOrigin(o)?.origin, 'http://127.0.0.1', o);
  }
  assert.equal(normaliseOrigin('null'), null);
  assert.equal(normaliseOrigin('file:///x'), null);
  assert.deepEqual(normaliseOrigin('https://[::1]:8443'), {
    origin: 'https://[::1]:8443',
    hostname: '::1',
    port: 8443,
  });
});
