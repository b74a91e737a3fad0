const { Router } = require("express");
const { loadRows } = require("./store");

const router = Router();
const FIELDS = new Set(["region", "total", "status", "created"]);
const OPERATORS = { eq: (a, b) => a === b, gt: (a, b) => a > b, lt: (a, b) => a < b };

router.post("/reports/:id/filter", async (req, res) => {
  const { field, op, value } = req.body;
  if (!FIELDS.has(field) || !Object.hasOwn(OPERATORS, op)) {
    return res.status(400).json({ error: "unsupported filter" });
  }
  const rows = await loadRows(req.params.id);
  res.json(rows.filter((row) => OPERATORS[op](row[field], value)));
});

module.exports = router;
