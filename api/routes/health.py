"""GET /health: whether the API, the database and Temporal all answer."""

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ResourcesDep
from api.schemas import Health

router = APIRouter()


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health}},
    tags=["health"],
    summary="200 when the API, the database and Temporal all answer",
)
async def health(res: ResourcesDep) -> Any:
    out = {"api": "ok", "database": "ok", "temporal": "ok"}
    try:
        async with res.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
    except Exception as e:  # noqa: BLE001
        out["database"] = f"unavailable: {type(e).__name__}"
    try:
        client = await res.temporal()
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception as e:  # noqa: BLE001
        out["temporal"] = f"unavailable: {type(e).__name__}"
    code = 200 if all(v == "ok" for v in out.values()) else 503
    return JSONResponse(status_code=code, content=out)
