import jwt
from fastapi import Header, HTTPException

from api.keys import PUBLIC_KEYS


def current_user(authorization: str = Header(...)) -> dict:
    token = authorization.removeprefix("Bearer ")
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
        key = PUBLIC_KEYS[kid]
        claims = jwt.decode(token, key, algorithms=["RS256"], audience="orders-api")
    except (jwt.InvalidTokenError, KeyError):
        raise HTTPException(401, "invalid token") from None
    if claims.get("scope") != "api":
        raise HTTPException(403, "wrong scope")
    return {"id": claims["sub"], "admin": claims.get("admin", False)}
