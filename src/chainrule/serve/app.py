"""The web app: the page, its JSON API, and a run's metrics as server-sent events.

    GET  /                      the page (static files ship in chainrule/serve/static)
    GET  /api/model             the served model: where it came from, sizes, picture side
    POST /api/analyze           {canvas, label?, session?} -> the chain rule at the drawing
    POST /api/step              {canvas, label, learning_rate, session} -> before and after
    POST /api/reset             {session}: the page's model is the trained one again
    GET  /api/runs              run names under the runs root
    GET  /api/metrics?run=NAME  a run's metrics rows and results
    GET  /api/events?run=NAME   the same as server-sent events, as metrics.jsonl grows

Every error is a 4xx (or 500) response with a JSON body {"error": message}. Bodies are
bounded in size and must arrive within a time limit; the numerical work runs in worker
threads, so a slow client or a long computation never holds up the event loop.
"""

import asyncio
import json
import math
import re
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chainrule.errors import DataError

from .errors import BodyTooLarge, BodyTooSlow, NotJson, PayloadError, RequestError
from .picture import canvas_grey, network_input
from .runs import RunsRoot, read_metrics, signature

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 2 * 2**20
"""A 512x512 float32 canvas in base64 is 1.4 MB; nothing the page sends is larger."""
BODY_SECONDS = 10.0
"""A request body must arrive in full within this time (a stalled upload gets 408)."""
POLL_SECONDS = 0.25
"""How often a followed run's metrics.jsonl is looked at."""
HEARTBEAT_SECONDS = 5.0
SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    # The page may load nothing but its own files: no CDN, no font service, no tracker.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
}
COMPUTING = 4
"""Drawings worked on at once; more wait their turn, so a flood of them from one page
cannot take every worker thread from the others' light requests."""


def create_app(served, runs_root, *, max_body_bytes=MAX_BODY_BYTES, body_seconds=BODY_SECONDS,
               poll_seconds=POLL_SECONDS):
    """The Starlette app serving `served` (a ServedModel) and the runs under `runs_root`."""
    runs = RunsRoot(runs_root)
    computing = anyio.CapacityLimiter(COMPUTING)

    async def compute(function):
        return await anyio.to_thread.run_sync(function, limiter=computing)

    async def read_body(request):
        return await _read_json(request, max_body_bytes, body_seconds)

    async def index(request):
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def model_info(request):
        served_run = runs.name_of(served.run_dir) if served.run_dir else None
        return _json(served.describe() | {"run": served_run, "runs_root": str(runs.root)})

    async def analyze(request):
        body = await read_body(request)
        session = _session(body, required=False)
        return _json(await compute(lambda: served.analysis(
            _picture(body, served.side), body.get("label"), session)))

    async def step(request):
        body = await read_body(request)
        session = _session(body)
        return _json(await compute(lambda: served.step(
            _picture(body, served.side), body.get("label"), body.get("learning_rate"),
            session)))

    async def reset(request):
        served.reset(_session(await read_body(request)))
        return _json({"steps": 0})

    async def run_names(request):
        return _json({"root": str(runs.root), "runs": await run_in_threadpool(runs.runs)})

    async def metrics(request):
        folder = runs.run(request.query_params.get("run"))
        rows, results = await run_in_threadpool(read_metrics, folder)
        return _json({"run": request.query_params["run"], "rows": rows, "results": results})

    async def events(request):
        folder = runs.run(request.query_params.get("run"))
        return StreamingResponse(_follow(request, folder, poll_seconds),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    routes = [
        Route("/", index),
        Route("/api/model", model_info),
        Route("/api/analyze", analyze, methods=["POST"]),
        Route("/api/step", step, methods=["POST"]),
        Route("/api/reset", reset, methods=["POST"]),
        Route("/api/runs", run_names),
        Route("/api/metrics", metrics),
        Route("/api/events", events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {RequestError: _request_error, HTTPException: _http_error,
                Exception: _server_error}
    return Starlette(routes=routes, exception_handlers=handlers)


async def _read_json(request, limit, seconds):
    """The request's JSON object, refusing bodies over `limit` bytes or slower than `seconds`."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise NotJson("send the request body as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"request body of {declared} bytes is over the {limit}-byte limit")
    body = bytearray()

    async def receive():
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise BodyTooLarge(f"request body is over the {limit}-byte limit")

    try:
        await asyncio.wait_for(receive(), seconds)
    except TimeoutError:
        raise BodyTooSlow(f"the request body did not arrive within {seconds:g} s") from None
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"request body is not valid JSON: {exc}"[:200]) from None
    if not isinstance(value, dict):
        raise RequestError("request body must be a JSON object")
    return value


def _picture(body, side):
    """The network's input for the body's canvas; a blank drawing is a PayloadError."""
    try:
        return network_input(canvas_grey(body.get("canvas")), side)
    except DataError as exc:
        raise PayloadError(str(exc)) from None


def _session(body, required=True):
    session = body.get("session")
    if session is None and not required:
        return None
    if not isinstance(session, str) or not SESSION.fullmatch(session):
        raise RequestError("session must be 1 to 64 letters, digits, '-' or '_'")
    return session


async def _follow(request, folder, poll_seconds):
    """Server-sent events for a run: `rows` (new metrics rows), `reset` (the file was
    replaced by a shorter one: a new run), `finished` (results.json); a comment now and
    then keeps the connection open and notices a client that has gone."""
    sent, mark, finished, quiet = 0, None, False, 0.0
    while not await request.is_disconnected():
        current = signature(folder)
        if current != mark:
            mark = current
            rows, results = await run_in_threadpool(read_metrics, folder)
            if len(rows) < sent:
                yield _event("reset", {})
                sent = 0
            if len(rows) > sent:
                yield _event("rows", rows[sent:])
                sent = len(rows)
            if results is not None and not finished:
                yield _event("finished", results)
                finished = True
            quiet = 0.0
        elif quiet >= HEARTBEAT_SECONDS:
            yield ": still here\n\n"
            quiet = 0.0
        await asyncio.sleep(poll_seconds)
        quiet += poll_seconds


def _event(name, data):
    return f"event: {name}\ndata: {json.dumps(_finite(data), allow_nan=False)}\n\n"


def _finite(value):
    """`value` with non-finite floats written as the strings JavaScript's Number() reads."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _json(value, status=200):
    return Response(json.dumps(_finite(value), allow_nan=False), status_code=status,
                    media_type="application/json", headers={"Cache-Control": "no-store"})


async def _request_error(request, exc):
    return _json({"error": str(exc)}, exc.status)


async def _http_error(request, exc):
    headers = getattr(exc, "headers", None)
    return JSONResponse({"error": exc.detail}, exc.status_code, headers=headers)


async def _server_error(request, exc):
    return _json({"error": f"internal error: {type(exc).__name__}"}, 500)
