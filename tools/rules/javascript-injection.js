// Test cases for javascript-injection.yaml (semgrep --test). Deliberately vulnerable code: never run it.
const { exec, execSync: runSync, execFile, spawn } = require('child_process');
const cp = require('node:child_process');
const vm = require('vm');
const express = require('express');

const app = express();

app.get('/calc', (req, res) => {
  // ruleid: javascript-eval-injection
  res.send(String(eval(req.query.expr)));
});

function evalCases(input, name, handler) {
  // ruleid: javascript-eval-injection
  eval('var x = ' + input);
  // ruleid: javascript-eval-injection
  const fn = new Function('a', 'b', input);
  // ruleid: javascript-eval-injection
  const g = Function(`return ${name}`);
  // ruleid: javascript-eval-injection
  setTimeout('alert("' + name + '")', 100);
  // ruleid: javascript-eval-injection
  setInterval(`update(${name})`, 1000);
  // ruleid: javascript-eval-injection
  vm.runInNewContext(input, {});
  // ruleid: javascript-eval-injection
  window.eval(input);

  // ok: javascript-eval-injection
  eval('1 + 1');
  const FIXED = 'Math.max(1, 2)';
  // ok: javascript-eval-injection
  eval(FIXED);
  // ok: javascript-eval-injection
  new Function('a', 'b', 'return a + b');
  // ok: javascript-eval-injection
  setTimeout(() => handler(name), 100);
  // ok: javascript-eval-injection
  setTimeout(handler, 100);
  // ok: javascript-eval-injection
  setTimeout(function () { handler(name); }, 100);
  // ok: javascript-eval-injection
  JSON.parse(input);
  return [fn, g];
}

function commandCases(host, branch, args) {
  // ruleid: javascript-child-process-injection
  exec('ping -c 1 ' + host, (err, out) => console.log(out));
  // ruleid: javascript-child-process-injection
  runSync(`git checkout ${branch}`);
  // ruleid: javascript-child-process-injection
  cp.exec(host);
  // ruleid: javascript-child-process-injection
  require('child_process').execSync('nslookup ' + host);
  // ruleid: javascript-child-process-injection
  spawn(`tar -czf out.tgz ${args.dir}`, { shell: true });
  // ruleid: javascript-child-process-injection
  cp.spawn('ls', ['-la', args.dir], { cwd: '/tmp', shell: true });
  // ruleid: javascript-child-process-injection
  spawn('sh', ['-c', 'convert ' + args.file + ' out.png']);
  // ruleid: javascript-child-process-injection
  cp.execFileSync('/bin/bash', ['-lc', args.script]);

  // ok: javascript-child-process-injection
  exec('ls -la /tmp');
  const CMD = 'uptime';
  // ok: javascript-child-process-injection
  cp.execSync(CMD);
  // ok: javascript-child-process-injection
  execFile('ping', ['-c', '1', host], (err, out) => console.log(out));
  // ok: javascript-child-process-injection
  spawn('git', ['checkout', branch]);
  // ok: javascript-child-process-injection
  spawn('ls', ['-la', '/tmp'], { shell: true });
  // ok: javascript-child-process-injection
  const re = /(\d+)/; re.exec(host);
}

async function sqlCases(db, pool, knex, req) {
  const id = req.params.id;
  const name = req.query.name;
  // ruleid: javascript-sql-injection-string-built-query
  await db.query('SELECT * FROM users WHERE id = ' + id);
  // ruleid: javascript-sql-injection-string-built-query
  await pool.query(`SELECT * FROM users WHERE name = '${name}'`);
  const q = "SELECT * FROM orders WHERE user_id = '" + req.user.id + "' AND status = 'open'";
  // ruleid: javascript-sql-injection-string-built-query
  const rows = await db.execute(q);
  let where = 'SELECT * FROM users WHERE 1 = 1';
  if (name) where += " AND name = '" + name + "'";
  // ruleid: javascript-sql-injection-string-built-query
  await pool.query(where);
  // ruleid: javascript-sql-injection-string-built-query
  await knex.raw(`DELETE FROM sessions WHERE token = '${req.body.token}'`);
  // ruleid: javascript-sql-injection-string-built-query
  await pool.query({ text: 'SELECT * FROM t WHERE a = ' + req.query.a });
  // ruleid: javascript-sql-injection-string-built-query
  await db.query(req.query.columns + ' FROM users');

  // ok: javascript-sql-injection-string-built-query
  await db.query('SELECT * FROM users WHERE id = $1', [id]);
  // ok: javascript-sql-injection-string-built-query
  await pool.query('SELECT * FROM users WHERE name = ?', [name]);
  const safe = 'SELECT * FROM users WHERE name = :name';
  // ok: javascript-sql-injection-string-built-query
  await db.query(safe, { replacements: { name } });
  const TABLE = 'users';
  // ok: javascript-sql-injection-string-built-query
  await db.query(`SELECT * FROM ${TABLE} WHERE id = $1`, [id]);
  // ok: javascript-sql-injection-string-built-query
  await db.query('SELECT * FROM users ' + 'ORDER BY id');
  // ok: javascript-sql-injection-string-built-query
  await db.query('SELECT * FROM users LIMIT ' + parseInt(req.query.limit, 10));
  // ok: javascript-sql-injection-string-built-query
  await db.query(sql`SELECT * FROM users WHERE id = ${id}`);
  // ok: javascript-sql-injection-string-built-query
  await db.query('SELECT * FROM users WHERE name = ' + pool.escape(name));
  const url = 'https://api.example.org/search?q=' + name;
  // ok: javascript-sql-injection-string-built-query
  await fetch(url);
  return rows;
}

module.exports = { evalCases, commandCases, sqlCases };
