const express = require("express");
const mysql = require("mysql2");

const db = mysql.createPool({ host: "orders-db", user: "api", database: "orders" });
const router = express.Router();

router.get("/orders/:id", (req, res) => {
  db.query("SELECT id, status, total FROM orders WHERE id = " + req.params.id, (err, rows) => {
    if (err) return res.status(500).json({ error: "query failed" });
    if (rows.length === 0) return res.sendStatus(404);
    res.json(rows[0]);
  });
});

module.exports = router;
