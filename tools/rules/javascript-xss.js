// Node/Express test cases for javascript-xss.yaml (semgrep --test). Deliberately vulnerable code: never run it.
const express = require('express');
const escapeHtml = require('escape-html');

const router = express.Router();

router.get('/search', async (req, res) => {
  const q = req.query.q || '';
  const articles = await searchArticles(q);
  if (articles.length === 0) {
    // ruleid: javascript-express-reflected-xss
    return res.send(`<h2>No articles found for "${q}"</h2>`);
  }
  // ok: javascript-express-reflected-xss
  return res.render('search', { q, articles });
});

router.get('/hello/:name', function (req, res) {
  // ruleid: javascript-express-reflected-xss
  res.status(200).send('<p>Hello ' + req.params.name + '</p>');
});

router.post('/echo', function echo(req, res) {
  res.write('<pre>');
  // ruleid: javascript-express-reflected-xss
  res.write(req.body.text);
  res.end('</pre>');
});

router.get('/safe', (req, res) => {
  const q = String(req.query.q || '');
  // ok: javascript-express-reflected-xss
  res.send(`<h2>No articles found for "${escapeHtml(q)}"</h2>`);
});

router.get('/page/:n', (req, res) => {
  // ok: javascript-express-reflected-xss
  res.send(`<p>Page ${Number(req.params.n)}</p>`);
});

router.get('/api/orders', async (req, res) => {
  const rows = await db.query('SELECT * FROM orders WHERE user_id = $1', [req.user.id]);
  // ok: javascript-express-reflected-xss
  res.send(rows);
  // ok: javascript-express-reflected-xss
  res.json({ q: req.query.q });
});

module.exports = router;
