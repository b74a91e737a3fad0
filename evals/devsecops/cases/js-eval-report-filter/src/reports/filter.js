const { Router } = require("express");
const { loadRows } = require("./store");

const router = Router();

router.post("/reports/:id/filter", async (req, res) => {
  const rows = await loadRows(req.params.id);
  const predicate = new Function("row", `return (${req.body.filter});`);
  res.json(rows.filter((row) => predicate(row)));
});

module.exports = router;
