const jwt = require("jsonwebtoken");

function requireAdmin(req, res, next) {
  const header = req.get("authorization") || "";
  const token = header.replace(/^Bearer /, "");
  const claims = jwt.decode(token);
  if (!claims || claims.role !== "admin") {
    return res.status(403).json({ error: "admin only" });
  }
  req.user = { id: claims.sub, role: claims.role };
  next();
}

module.exports = requireAdmin;
