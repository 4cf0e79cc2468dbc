// MongoDB `ping` over the wire protocol (OP_MSG) with no npm dependency, so infra:up can check
// a server before `pnpm install`. Usage: node mongo-ping.cjs URL -> exit 0 ok, 1 failed,
// 2 cannot check (srv/TLS URLs).
const net = require('node:net');
const url = process.argv[1];
if (/^mongodb\+srv:/.test(url) || /[?&](tls|ssl)=true/.test(url)) process.exit(2);
let a = url.replace(/^mongodb:\/\//, '').split(/[/?]/)[0];
a = a.slice(a.lastIndexOf('@') + 1).split(',')[0];
const m = a.match(/^\[(.*)\](?::(\d+))?$/) || a.match(/^([^:]*)(?::(\d+))?$/);
const host = m[1] || '127.0.0.1',
  port = Number(m[2] || 27017);
const i32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const cstr = (s) => Buffer.from(`${s}\0`);
const body = Buffer.concat([
  Buffer.from([0x10]),
  cstr('ping'),
  i32(1),
  Buffer.from([0x02]),
  cstr('$db'),
  i32(6),
  cstr('admin'),
  Buffer.from([0]),
]);
const doc = Buffer.concat([i32(body.length + 4), body]);
const msg = Buffer.concat([i32(21 + doc.length), i32(1), i32(0), i32(2013), i32(0), Buffer.from([0]), doc]);
const fail = (why) => {
  console.error(`mongo ping ${host}:${port}: ${why}`);
  process.exit(1);
};
function okField(b, off) {
  // value of the top-level "ok" field of the BSON document at off
  const end = off + b.readInt32LE(off);
  let p = off + 4;
  while (p < end - 1) {
    const t = b[p++];
    const z = b.indexOf(0, p);
    const name = b.toString('utf8', p, z);
    p = z + 1;
    let v, n;
    switch (t) {
      case 0x01:
        v = b.readDoubleLE(p);
        n = 8;
        break;
      case 0x10:
        v = b.readInt32LE(p);
        n = 4;
        break;
      case 0x12:
        v = Number(b.readBigInt64LE(p));
        n = 8;
        break;
      case 0x08:
        v = b[p];
        n = 1;
        break;
      case 0x02:
      case 0x0d:
      case 0x0e:
        n = 4 + b.readInt32LE(p);
        break;
      case 0x03:
      case 0x04:
        n = b.readInt32LE(p);
        break;
      case 0x05:
        n = 5 + b.readInt32LE(p);
        break;
      case 0x07:
        n = 12;
        break;
      case 0x09:
      case 0x11:
        n = 8;
        break;
      case 0x13:
        n = 16;
        break;
      case 0x06:
      case 0x0a:
      case 0x7f:
      case 0xff:
        n = 0;
        break;
      default:
        return undefined;
    }
    if (name === 'ok') return v;
    p += n;
  }
  return undefined;
}
const sock = net.connect({ host, port });
sock.setTimeout(3000, () => {
  sock.destroy();
  fail('timeout');
});
sock.on('error', (e) => fail(e.message));
sock.on('close', () => fail('connection closed without a reply'));
sock.on('connect', () => sock.write(msg));
let buf = Buffer.alloc(0);
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
  sock.destroy();
  if (buf.readInt32LE(12) !== 2013) fail('unexpected reply opcode');
  if (okField(buf, 21) !== 1) fail('reply is not { ok: 1 }');
  process.exit(0);
});
