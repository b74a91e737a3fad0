// Test cases for javascript-crypto.yaml (semgrep --test). Deliberately insecure code: never run it.
const crypto = require('crypto');
const TIPS = ['Use a password manager.', 'Turn on two-factor sign-in.'];
const jwt = require('jsonwebtoken');

function randomCases(user, session) {
  // ruleid: javascript-insecure-random-for-secret
  const token = Math.random().toString(36).slice(2);
  // ruleid: javascript-insecure-random-for-secret
  const resetCode = Math.floor(Math.random() * 1000000);
  // ruleid: javascript-insecure-random-for-secret
  user.password = Math.random().toString(36).substring(2, 10);
  // ruleid: javascript-insecure-random-for-secret
  const record = { id: 1, apiKey: 'k_' + Math.random().toString(16).slice(2) };
  // ruleid: javascript-insecure-random-for-secret
  session.csrfToken = String(Math.random());

  // ok: javascript-insecure-random-for-secret
  const delay = Math.random() * 1000;
  // ok: javascript-insecure-random-for-secret
  const color = `hsl(${Math.floor(Math.random() * 360)}, 50%, 50%)`;
  // ok: javascript-insecure-random-for-secret
  const tokenSafe = crypto.randomBytes(32).toString('base64url');
  // ok: javascript-insecure-random-for-secret
  const sessionId = crypto.randomUUID();
  return [token, resetCode, record, delay, color, tokenSafe, sessionId];
}

function createSessionId() {
  let id = '';
  for (let i = 0; i < 32; i++) {
    // ruleid: javascript-insecure-random-for-secret
    id += Math.floor(Math.random() * 16).toString(16);
  }
  return id;
}

const generateNonce = () => {
  // ruleid: javascript-insecure-random-for-secret
  const n = Math.random();
  return n.toString(36);
};

async function startPasswordReset(db, mailer, email) {
  const token = crypto.randomBytes(32).toString('hex');
  // ok: javascript-insecure-random-for-secret
  const tip = TIPS[Math.floor(Math.random() * TIPS.length)];
  // ok: javascript-insecure-random-for-secret
  const tokenExpiry = Date.now() + 30 * 60 * 1000 + Math.floor(Math.random() * 1000);
  await mailer.send(email, `https://app.example.com/reset/${token}\n\n${tip}`, tokenExpiry);
}

function shuffle(items) {
  // ok: javascript-insecure-random-for-secret
  return items.sort(() => Math.random() - 0.5);
}

function authenticate(req) {
  const token = req.headers.authorization.split(' ')[1];
  // ruleid: javascript-jwt-decode-without-verify
  const claims = jwt.decode(token);
  return claims && claims.role === 'admin';
}

async function verifyWithKid(token, getKey) {
  // ok: javascript-jwt-decode-without-verify
  const decoded = jwt.decode(token, { complete: true });
  const key = await getKey(decoded.header.kid);
  return jwt.verify(token, key, { algorithms: ['RS256'] });
}

const middleware = (req, res, next) => {
  // ruleid: javascript-jwt-decode-without-verify
  req.user = jwt.decode(req.cookies.session);
  next();
};

function noneCases(token, payload, key) {
  // ruleid: javascript-jwt-none-algorithm
  jwt.verify(token, key, { algorithms: ['HS256', 'none'] });
  // ruleid: javascript-jwt-none-algorithm
  const unsigned = jwt.sign(payload, '', { algorithm: 'none' });
  const options = { issuer: 'opsquad', algorithms: ['none'] };
  // ruleid: javascript-jwt-none-algorithm
  jwt.verify(token, key, options);
  // ok: javascript-jwt-none-algorithm
  jwt.verify(token, key, { algorithms: ['RS256'] });
  // ok: javascript-jwt-none-algorithm
  const signed = jwt.sign(payload, key, { algorithm: 'HS256', expiresIn: '1h' });
  return [unsigned, signed];
}

module.exports = { startPasswordReset, randomCases, createSessionId, generateNonce, shuffle, authenticate, verifyWithKid, middleware, noneCases };
