const { execFile } = require("child_process");
const express = require("express");

const router = express.Router();
const REPO = "/srv/repos/website";
const BRANCH = /^[A-Za-z0-9._\/-]{1,100}$/;

router.get("/log", (req, res) => {
  const branch = String(req.query.branch || "main");
  if (!BRANCH.test(branch) || branch.startsWith("-")) return res.status(400).send("invalid branch");
  execFile("git", ["-C", REPO, "log", "--oneline", "-n", "20", branch, "--"], (err, stdout) => {
    if (err) return res.status(500).send("git failed");
    res.type("text/plain").send(stdout);
  });
});

module.exports = router;
