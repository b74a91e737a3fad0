const jwt = require("jsonwebtoken");
const { publicKeyFor } = require("../lib/keys");

function requireAdmin(req, res, next) {
  const token = (req.get("authorization") || "").replace(/^Bearer /, "");
  try {
    const { header } = jwt.decode(token, { complete: true }) || { header: {} };
    const claims = jwt.verify(token, publicKeyFor(header.kid), { algorithms: ["RS256"], audience: "admin-api" });
    if (claims.role !== "admin") return res.status(403).json({ error: "admin only" });
    req.user = { id: claims.sub, role: claims.role };
    next();
  } catch (err) {
    res.status(401).json({ error: "invalid token" });
  }
}

module.exports = requireAdmin;
