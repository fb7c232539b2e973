// The floor /api/interactions is compared with: a bare Node endpoint that verifies Discord's Ed25519
// signature natively (OpenSSL) and answers PING. Usage: PUBLIC_KEY_HEX=... PORT=... node interactions-baseline.js
const http = require('http');
const crypto = require('crypto');

const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
const key = crypto.createPublicKey({ key: Buffer.concat([spkiPrefix, Buffer.from(process.env.PUBLIC_KEY_HEX, 'hex')]), format: 'der', type: 'spki' });

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let valid = false;
    try {
      valid = crypto.verify(null, Buffer.concat([Buffer.from(req.headers['x-signature-timestamp'] || ''), body]), key, Buffer.from(req.headers['x-signature-ed25519'] || '', 'hex'));
    } catch { valid = false; }
    if (!valid) { res.writeHead(401); res.end(); return; }
    const interaction = JSON.parse(body);
    if (interaction.type === 1) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"type":1}'); return; }
    res.writeHead(400); res.end();
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
