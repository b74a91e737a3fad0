const RESET_TTL_MS = 30 * 60 * 1000;

function newResetToken() {
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

async function startPasswordReset(db, mailer, email) {
  const user = await db.users.findOne({ email });
  if (!user) return;
  const token = newResetToken();
  await db.resets.insert({ userId: user.id, token, expires: Date.now() + RESET_TTL_MS });
  await mailer.send(email, "Reset your password", `https://app.example.com/reset/${token}`);
}

module.exports = { startPasswordReset };
