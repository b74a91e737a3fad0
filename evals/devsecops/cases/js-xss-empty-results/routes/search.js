const express = require("express");
const { searchArticles } = require("../lib/articles");

const router = express.Router();

router.get("/search", async (req, res) => {
  const q = req.query.q || "";
  const articles = await searchArticles(q);
  if (articles.length === 0) {
    return res.send(`<h2>No articles found for "${q}"</h2><p><a href="/">Home</a></p>`);
  }
  res.render("search", { q, articles });
});

module.exports = router;
