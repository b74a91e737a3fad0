RULES = {
    "beta_banner": "age_days < 30 and plan == 'free'",
    "bulk_export": "plan in ('team', 'enterprise')",
    "new_checkout": "region == 'eu' and age_days > 7",
}

_COMPILED = {name: compile(expr, f"<flag:{name}>", "eval") for name, expr in RULES.items()}


def flag_enabled(name: str, user) -> bool:
    code = _COMPILED.get(name)
    if code is None:
        return False
    env = {"age_days": user.age_days, "plan": user.plan, "region": user.region}
    return bool(eval(code, {"__builtins__": {}}, env))
