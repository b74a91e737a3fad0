const { exec } = require("child_process");
const express = require("express");

const router = express.Router();
const REPO = "/srv/repos/website";

router.get("/log", (req, res) => {
  const branch = req.query.branch || "main";
  exec(`git -C ${REPO} log --oneline -n 20 ${branch}`, (err, stdout) => {
    if (err) return res.status(500).send("git failed");
    res.type("text/plain").send(stdout);
  });
});

module.exports = router;
