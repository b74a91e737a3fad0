const express = require("express");

const app = express();

app.get("/api/calc", (req, res) => {
  const expr = String(req.query.expr || "0");
  try {
    const result = eval(expr);
    res.json({ expr, result });
  } catch (err) {
    res.status(400).json({ error: err.message });
  }
});

app.listen(3000);
