const crypto = require("crypto");

const RESET_TTL_MS = 30 * 60 * 1000;
const TIPS = ["Use a password manager.", "Turn on two-factor sign-in.", "Never reuse passwords."];

async function startPasswordReset(db, mailer, email) {
  const user = await db.users.findOne({ email });
  if (!user) return;
  const token = crypto.randomBytes(32).toString("hex");
  await db.resets.insert({ userId: user.id, token, expires: Date.now() + RESET_TTL_MS });
  const tip = TIPS[Math.floor(Math.random() * TIPS.length)];
  await mailer.send(email, "Reset your password", `https://app.example.com/reset/${token}\n\n${tip}`);
}

module.exports = { startPasswordReset };
