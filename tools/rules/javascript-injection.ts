// TypeScript test cases for javascript-injection.yaml (semgrep --test). Deliberately vulnerable: never run it.
import { exec, execFile } from 'node:child_process';
import * as childProcess from 'child_process';
import vm from 'node:vm';
import type { Request, Response } from 'express';
import { PrismaClient } from '@prisma/client';
import { DataSource } from 'typeorm';

const prisma = new PrismaClient();

export function run(req: Request, res: Response): void {
  const target: string = String(req.query.target);
  // ruleid: javascript-child-process-injection
  exec(`dig ${target}`, (err: Error | null, out: string) => res.send(out));
  // ruleid: javascript-child-process-injection
  childProcess.execSync('whois ' + target);
  // ok: javascript-child-process-injection
  execFile('dig', [target], (err: Error | null, out: string) => res.send(out));
  // ok: javascript-child-process-injection
  childProcess.spawnSync('dig', ['+short', target]);
}

export function evaluate(code: string): unknown {
  // ruleid: javascript-eval-injection
  const script = new vm.Script(code);
  // ruleid: javascript-eval-injection
  const fn = new Function('x', code) as (x: number) => number;
  // ok: javascript-eval-injection
  const add = new Function('a', 'b', 'return a + b') as (a: number, b: number) => number;
  return [script, fn(1), add(1, 2)];
}

export async function find(ds: DataSource, email: string, sort: string): Promise<unknown[]> {
  // ruleid: javascript-sql-injection-string-built-query
  const users = await ds.query(`SELECT id FROM users WHERE email = '${email}' ORDER BY ${sort}`);
  // ruleid: javascript-sql-injection-string-built-query
  await prisma.$queryRawUnsafe('SELECT * FROM audit WHERE actor = ' + email);
  // ok: javascript-sql-injection-string-built-query
  await prisma.$queryRaw`SELECT * FROM audit WHERE actor = ${email}`;
  // ok: javascript-sql-injection-string-built-query
  await ds.query('SELECT id FROM users WHERE email = $1', [email]);
  return users;
}
