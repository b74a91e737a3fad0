// TypeScript test cases for javascript-crypto.yaml (semgrep --test). Deliberately insecure code.
import * as jwt from 'jsonwebtoken';
import * as jose from 'jose';
import { randomBytes } from 'node:crypto';

export class Tokens {
  generateToken(length: number): string {
    let out = '';
    while (out.length < length) {
      // ruleid: javascript-insecure-random-for-secret
      out += Math.random().toString(36).slice(2);
    }
    return out.slice(0, length);
  }

  // ok: javascript-insecure-random-for-secret
  jitterMs(): number { return Math.random() * 250; }

  // ok: javascript-insecure-random-for-secret
  safeToken(): string { return randomBytes(32).toString('hex'); }
}

export function userFrom(header: string): jwt.JwtPayload | null {
  // ruleid: javascript-jwt-decode-without-verify
  return jwt.decode(header.replace('Bearer ', '')) as jwt.JwtPayload | null;
}

export function verified(token: string, key: string): jwt.JwtPayload {
  // ok: javascript-jwt-decode-without-verify
  const header = jwt.decode(token, { complete: true });
  const payload = jwt.verify(token, key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
  return { ...payload, kid: header?.header.kid };
}

export function unsigned(claims: jose.JWTPayload): string {
  // ruleid: javascript-jwt-none-algorithm
  return new jose.UnsecuredJWT(claims).setIssuedAt().encode();
}
